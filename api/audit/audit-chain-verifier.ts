import { auditEntryHash, GENESIS_HASH, type AuditEntry } from './audit-entry.ts';

/** Why a link of a chain does not hold. */
export type AuditBreakKind =
  /** The entry's stored hash is not the hash of its content: a column was changed. */
  | 'CONTENT_ALTERED'
  /** The entry's prev_hash is not the previous entry's hash: the previous entry was rewritten (content and hash) or replaced. */
  | 'PREVIOUS_HASH_MISMATCH'
  /** Sequence numbers jump: entries are missing. */
  | 'SEQUENCE_GAP'
  /** One sequence number twice: a copied or forged row. */
  | 'DUPLICATE_SEQUENCE'
  /** The chain does not start at seq 1 with the genesis hash: its first entries are missing. */
  | 'MISSING_START';

export interface AuditBreak {
  chain: string;
  /** The first entry of the chain that does not verify. */
  seq: number;
  kind: AuditBreakKind;
  /** What differs, in words, with the hashes involved. */
  detail: string;
}

export interface AuditChainHead {
  chain: string;
  /** Last entry: an auditor can keep (chain, seq, hash) elsewhere to detect a later truncation. */
  seq: number;
  hash: string;
  atMs: number;
  entries: number;
}

export interface AuditVerification {
  ok: boolean;
  chains: number;
  entries: number;
  /** The first broken link of each broken chain, in chain order. */
  breaks: AuditBreak[];
  heads: AuditChainHead[];
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/**
 * Checks audit chains entry by entry, in (chain, seq) order — pure and streaming: push
 * each entry, then `result()`. For every chain it reports the first entry that does not
 * fit: a sequence number out of place, a prev_hash that is not the previous entry's
 * hash, or content that does not hash to the stored hash.
 */
export class AuditChainVerifier {
  private readonly breaks: AuditBreak[] = [];
  private readonly heads: AuditChainHead[] = [];
  private current: { head: AuditChainHead; broken: boolean } | undefined;
  private entries = 0;

  push(entry: AuditEntry): void {
    this.entries++;
    if (!this.current || this.current.head.chain !== entry.chain) {
      this.current = { head: { chain: entry.chain, seq: 0, hash: GENESIS_HASH, atMs: entry.atMs, entries: 0 }, broken: false };
      this.heads.push(this.current.head);
    }
    const state = this.current;
    const previous = { ...state.head };
    state.head.entries++;
    state.head.seq = entry.seq;
    state.head.hash = entry.hash;
    state.head.atMs = entry.atMs;
    if (state.broken) return;
    const problem = this.check(previous, entry);
    if (problem) {
      state.broken = true;
      this.breaks.push({ chain: entry.chain, seq: entry.seq, ...problem });
    }
  }

  result(): AuditVerification {
    return { ok: this.breaks.length === 0, chains: this.heads.length, entries: this.entries, breaks: [...this.breaks], heads: this.heads.map((h) => ({ ...h })) };
  }

  private check(previous: AuditChainHead, entry: AuditEntry): Omit<AuditBreak, 'chain' | 'seq'> | undefined {
    if (previous.entries === 0 && entry.seq !== 1) {
      return { kind: 'MISSING_START', detail: `the chain starts at seq ${entry.seq}: entries 1–${entry.seq - 1} are missing` };
    }
    if (previous.entries > 0 && entry.seq === previous.seq) {
      return { kind: 'DUPLICATE_SEQUENCE', detail: `seq ${entry.seq} appears twice (hashes ${short(previous.hash)} and ${short(entry.hash)})` };
    }
    if (previous.entries > 0 && entry.seq !== previous.seq + 1) {
      const missing = entry.seq - 1 === previous.seq + 1 ? `entry ${previous.seq + 1} is` : `entries ${previous.seq + 1}–${entry.seq - 1} are`;
      return { kind: 'SEQUENCE_GAP', detail: `after seq ${previous.seq} comes seq ${entry.seq}: ${missing} missing` };
    }
    if (entry.prevHash !== previous.hash) {
      const what = previous.entries === 0
        ? `prev_hash is ${short(entry.prevHash)}, not the genesis hash (64 zeros)`
        : `prev_hash is ${short(entry.prevHash)} but entry ${previous.seq} hashes to ${short(previous.hash)}: entry ${previous.seq} was rewritten (content and hash) or this link was changed`;
      return { kind: 'PREVIOUS_HASH_MISMATCH', detail: what };
    }
    const computed = auditEntryHash(entry);
    if (computed !== entry.hash) {
      return {
        kind: 'CONTENT_ALTERED',
        detail: `stored hash ${short(entry.hash)} but the stored content hashes to ${short(computed)}: a column of entry ${entry.seq} (${entry.operation}, ${entry.outcome}) was changed after it was written`,
      };
    }
    return undefined;
  }
}

/** Verifies every chain of a log read in (chain, seq) order. */
export async function verifyAuditEntries(entries: AsyncIterable<AuditEntry> | Iterable<AuditEntry>): Promise<AuditVerification> {
  const verifier = new AuditChainVerifier();
  for await (const entry of entries) verifier.push(entry);
  return verifier.result();
}
