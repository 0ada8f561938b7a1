import { randomBytes } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import { auditEntryHash, GENESIS_HASH, type AuditEntry, type AuditEvent } from './audit-entry.ts';
import type { AuditStore } from './audit-store.ts';

export interface AuditLogOptions {
  store: AuditStore;
  /**
   * Names this process's chains: `<kind>@<host>:<pid>`; each chain adds a random suffix.
   * Two processes never share a chain, so no cross-process lock is needed.
   */
  writer: string;
  now: () => number;
  /** Attempts per append before the entry's fate is declared unknown (default 3). */
  attempts?: number;
  /** Pause between attempts, ms (default 200). */
  retryDelayMs?: number;
  random?: (n: number) => Buffer;
}

/**
 * The writing end of the audit log: one hash chain per process. Appends are serialised
 * (a promise queue is the lock): each takes the next `seq`, links to the previous entry's
 * hash and is stored before the next one starts, so the chain is totally ordered.
 *
 * If an append fails after its retries, it is unknown whether it landed; the chain is then
 * closed and the next append opens a new chain, so neither chain ever has two different
 * entries with one `seq` (docs/api-security.md, "Audit chain").
 */
export class AuditLog {
  private readonly store: AuditStore;
  private readonly writer: string;
  private readonly now: () => number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly random: (n: number) => Buffer;
  private chainId: string;
  private head: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: AuditLogOptions) {
    this.store = opts.store;
    this.writer = opts.writer;
    this.now = opts.now;
    this.attempts = opts.attempts ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 200;
    this.random = opts.random ?? randomBytes;
    this.chainId = this.newChainId();
  }

  /** The chain the next entry goes to. */
  get chain(): string {
    return this.chainId;
  }

  /** Appends one entry after every earlier append has finished; resolves once it is stored. */
  append(event: AuditEvent): Promise<AuditEntry> {
    const run = this.queue.then(() => this.write(event));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async write(event: AuditEvent): Promise<AuditEntry> {
    const unhashed = {
      chain: this.chainId,
      seq: this.head.seq + 1,
      atMs: this.now(),
      actor: { id: event.actor.id, name: event.actor.name, role: event.actor.role },
      operation: event.operation,
      input: canonicalJson(event.input ?? null),
      outcome: event.outcome,
      detail: event.detail,
      prevHash: this.head.hash,
    };
    const entry: AuditEntry = { ...unhashed, hash: auditEntryHash(unhashed) };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.append(entry);
        this.head = { seq: entry.seq, hash: entry.hash };
        return entry;
      } catch (err) {
        if (attempt >= this.attempts) {
          // it may have landed: never reuse its seq on this chain
          this.chainId = this.newChainId();
          this.head = { seq: 0, hash: GENESIS_HASH };
          throw err;
        }
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      }
    }
  }

  private newChainId(): string {
    return `${this.writer}/${this.random(4).toString('hex')}`;
  }
}
