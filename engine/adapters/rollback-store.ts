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
  /** Newest first, optionally for one service and from a time on (requestedAtMs). */
  list(filter: { service?: string | undefined; sinceMs?: number | undefined; limit: number }): Promise<StoredRollbackRequest[]>;
  /** Requests still being delivered (to resume after a restart). */
  pending(): Promise<StoredRollbackRequest[]>;
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

  async list(filter: { service?: string | undefined; sinceMs?: number | undefined; limit: number }): Promise<StoredRollbackRequest[]> {
    return [...this.requests.values()]
      .filter((r) => (filter.service === undefined || r.request.service === filter.service) && r.request.requestedAtMs >= (filter.sinceMs ?? 0))
      .sort((a, b) => b.request.requestedAtMs - a.request.requestedAtMs)
      .slice(0, filter.limit);
  }

  async pending(): Promise<StoredRollbackRequest[]> {
    return [...this.requests.values()].filter((r) => r.state === 'pending');
  }
}
