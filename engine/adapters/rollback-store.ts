import type { RollbackRequest } from '../core/release/rollback-request.ts';

/** Where a rollback request stands: being delivered, delivered everywhere, given up on somewhere, or only recorded (dry run). */
export const ROLLBACK_STATES = ['pending', 'delivered', 'failed', 'dry_run'] as const;
export type RollbackState = (typeof ROLLBACK_STATES)[number];

/** What happened to one attempt at one target. */
export const DELIVERY_OUTCOMES = ['delivered', 'retry', 'failed', 'dry_run'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface StoredRollbackRequest {
  request: RollbackRequest;
  state: RollbackState;
  updatedAtMs: number;
}

/** One row of the delivery log. */
export interface DeliveryAttempt {
  requestId: string;
  /** A webhook URL (credentials removed), `kafka:<topic>` or `subscription`. */
  target: string;
  /** 1, 2, 3… per target. */
  attempt: number;
  /** When the attempt ended, epoch ms. */
  atMs: number;
  outcome: DeliveryOutcome;
  /** HTTP status; 0 when there was none (network error, Kafka, dry run). */
  statusCode: number;
  /** The error; for a dry run, what would have been sent. */
  detail: string;
  durationMs: number;
  /** When the next attempt is due (outcome `retry`), epoch ms. */
  nextAttemptAtMs: number | null;
}

/**
 * Rollback requests and their delivery log (ClickHouse tables `rollback_requests`,
 * `rollback_deliveries`; the in-memory one below for tests). `create` records a request
 * before anything is sent and says whether it is new — the guard that makes one request per
 * deploy, whatever the restarts.
 */
export interface RollbackStore {
  /** Records the request unless one with its id exists; resolves with the stored one and whether it is new. */
  create(request: RollbackRequest, nowMs: number): Promise<{ stored: StoredRollbackRequest; created: boolean }>;
  get(requestId: string): Promise<StoredRollbackRequest | undefined>;
  setState(requestId: string, state: RollbackState, nowMs: number): Promise<void>;
  appendDelivery(attempt: DeliveryAttempt): Promise<void>;
  deliveries(requestId: string): Promise<DeliveryAttempt[]>;
  /**
   * Newest first (requestedAtMs, then requestId, both descending), optionally for one
   * service, from a time on (requestedAtMs), and strictly after (older than) `before` — the
   * last request of the previous page.
   */
  list(filter: RollbackListFilter): Promise<StoredRollbackRequest[]>;
  /** Requests still being delivered (to resume after a restart). */
  pending(): Promise<StoredRollbackRequest[]>;
}

/** What `RollbackStore.list` selects. */
export interface RollbackListFilter {
  service?: string | undefined;
  sinceMs?: number | undefined;
  /** Key of the last request of the previous page: only older ones follow. */
  before?: { requestedAtMs: number; requestId: string } | undefined;
  limit: number;
}

/** Newest-first order of rollback requests: requestedAtMs, then requestId, both descending. */
export function newerFirst(a: { requestedAtMs: number; requestId: string }, b: { requestedAtMs: number; requestId: string }): number {
  return b.requestedAtMs - a.requestedAtMs || (a.requestId < b.requestId ? 1 : a.requestId > b.requestId ? -1 : 0);
}

/** The standard fake: everything in memory, in insertion order. */
export class InMemoryRollbackStore implements RollbackStore {
  private readonly requests = new Map<string, StoredRollbackRequest>();
  readonly log: DeliveryAttempt[] = [];

  async create(request: RollbackRequest, nowMs: number): Promise<{ stored: StoredRollbackRequest; created: boolean }> {
    const seen = this.requests.get(request.requestId);
    if (seen) return { stored: seen, created: false };
    const stored: StoredRollbackRequest = { request, state: request.dryRun ? 'dry_run' : 'pending', updatedAtMs: nowMs };
    this.requests.set(request.requestId, stored);
    return { stored, created: true };
  }

  async get(requestId: string): Promise<StoredRollbackRequest | undefined> {
    return this.requests.get(requestId);
  }

  async setState(requestId: string, state: RollbackState, nowMs: number): Promise<void> {
    const seen = this.requests.get(requestId);
    if (seen) this.requests.set(requestId, { ...seen, state, updatedAtMs: nowMs });
  }

  async appendDelivery(attempt: DeliveryAttempt): Promise<void> {
    this.log.push(attempt);
  }

  async deliveries(requestId: string): Promise<DeliveryAttempt[]> {
    return this.log.filter((a) => a.requestId === requestId);
  }

  async list(filter: RollbackListFilter): Promise<StoredRollbackRequest[]> {
    const before = filter.before;
    return [...this.requests.values()]
      .filter((r) => (filter.service === undefined || r.request.service === filter.service) && r.request.requestedAtMs >= (filter.sinceMs ?? 0))
      .filter((r) => before === undefined || newerFirst(before, r.request) < 0)
      .sort((a, b) => newerFirst(a.request, b.request))
      .slice(0, filter.limit);
  }

  async pending(): Promise<StoredRollbackRequest[]> {
    return [...this.requests.values()].filter((r) => r.state === 'pending');
  }
}
