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

/** Most entries stored in one write (one ClickHouse insert). */
const MAX_BATCH = 500;

interface Waiting {
  event: AuditEvent;
  resolve: (entry: AuditEntry) => void;
  reject: (err: unknown) => void;
}

/**
 * The writing end of the audit log: one hash chain per process. Appends are ordered by a
 * single writer: each takes the next `seq` and links to the previous entry's hash, so the
 * chain is totally ordered. Appends that arrive while a write is in flight are stored
 * together in the next write (group commit: one insert for many entries, hashed in order),
 * so the log keeps up with many concurrent gate decisions instead of one insert each.
 * Each append resolves once its entry is stored.
 *
 * If a write fails after its retries, it is unknown whether it landed; the chain is then
 * closed and the next write opens a new chain, so neither chain ever has two different
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
  private readonly waiting: Waiting[] = [];
  private writing = false;

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

  /** Appends one entry after every earlier append; resolves once it is stored. */
  append(event: AuditEvent): Promise<AuditEntry> {
    return new Promise<AuditEntry>((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        let head = this.head;
        const entries = batch.map(({ event }): AuditEntry => {
          const unhashed = {
            chain: this.chainId,
            seq: head.seq + 1,
            atMs: this.now(),
            actor: { id: event.actor.id, name: event.actor.name, role: event.actor.role },
            operation: event.operation,
            input: canonicalJson(event.input ?? null),
            outcome: event.outcome,
            detail: event.detail,
            prevHash: head.hash,
          };
          const entry: AuditEntry = { ...unhashed, hash: auditEntryHash(unhashed) };
          head = { seq: entry.seq, hash: entry.hash };
          return entry;
        });
        try {
          await this.write(entries);
          this.head = head;
          batch.forEach((w, i) => w.resolve(entries[i]!));
        } catch (err) {
          // they may have landed: never reuse their seqs on this chain
          this.chainId = this.newChainId();
          this.head = { seq: 0, hash: GENESIS_HASH };
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Stores the entries, retrying the same write (idempotent in the store). */
  private async write(entries: readonly AuditEntry[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.append(entries);
        return;
      } catch (err) {
        if (attempt >= this.attempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      }
    }
  }

  private newChainId(): string {
    return `${this.writer}/${this.random(4).toString('hex')}`;
  }
}
