import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/** `prev_hash` of the first entry of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Who did it, as the audit log records it. */
export interface AuditActor {
  /** Token id, `open` (auth off) or `cli:<os user>`. */
  id: string;
  name: string;
  /** Role of the token, or `operator` for the local CLI operator. */
  role: string;
}

/** What happened, before the log gives it a place in its chain. */
export interface AuditEvent {
  actor: AuditActor;
  /** e.g. `Mutation.createToken`, `Query.gate`, `cli.token.revoke`. */
  operation: string;
  /** The operation's input (arguments), as a JSON value. */
  input: unknown;
  /** `ok`, `denied` (not allowed) or `error` (failed). */
  outcome: 'ok' | 'denied' | 'error';
  /** Result summary or error code and message. */
  detail: string;
}

/** One stored entry: its content, its place in the chain and the hashes that link it. */
export interface AuditEntry {
  chain: string;
  /** 1, 2, 3… within the chain. */
  seq: number;
  /** Wall-clock time of the entry, epoch ms. */
  atMs: number;
  actor: AuditActor;
  operation: string;
  /** Canonical JSON of the input (stored as text, hashed as text). */
  input: string;
  outcome: string;
  detail: string;
  prevHash: string;
  /** Hex SHA-256 of the canonical JSON of every field above. */
  hash: string;
}

/**
 * The hash of an entry: SHA-256 over the canonical JSON (RFC 8785) of all its fields but
 * `hash` itself, so changing any stored column — or the link to the previous entry — changes it.
 */
export function auditEntryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const content = {
    v: 1,
    chain: entry.chain,
    seq: entry.seq,
    at: entry.atMs,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    actorRole: entry.actor.role,
    operation: entry.operation,
    input: entry.input,
    outcome: entry.outcome,
    detail: entry.detail,
    prevHash: entry.prevHash,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
