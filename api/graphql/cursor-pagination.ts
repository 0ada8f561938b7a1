import type { z } from 'zod';
import { apiError } from './api-error.ts';

/**
 * Relay-style cursor pagination (https://relay.dev/graphql/connections.htm), forward only:
 * `list(first, after) { edges { cursor node } pageInfo { hasNextPage endCursor } }`.
 * Cursors are opaque (base64url of a versioned JSON key) and keyset-based: a page starts
 * strictly after the key of the previous page's last node, so the order must be total and
 * stable (e.g. time, then a unique id) and new rows never shift a page.
 */

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

/** `first` checked against its bounds; null/undefined gives the default. */
export function pageSize(first: number | null | undefined, bounds: { default: number; max: number }): number {
  const n = first ?? bounds.default;
  if (!Number.isInteger(n) || n < 1 || n > bounds.max) throw apiError('BAD_USER_INPUT', `first must be 1–${bounds.max}, got ${n}`, { argument: 'first' });
  return n;
}

/** An opaque cursor for `key` of a list named `kind` (a cursor of one list is refused by another). */
export function encodeCursor(kind: string, key: unknown): string {
  return Buffer.from(JSON.stringify({ v: 1, k: kind, key })).toString('base64url');
}

/** The key inside a cursor; BAD_USER_INPUT (argument `after`) for anything this list did not issue. */
export function decodeCursor<K>(kind: string, cursor: string, keySchema: z.ZodType<K>): K {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const envelope = parsed as { v?: unknown; k?: unknown; key?: unknown } | undefined;
  const key = envelope?.v === 1 && envelope.k === kind ? keySchema.safeParse(envelope.key) : undefined;
  if (!key?.success) throw apiError('BAD_USER_INPUT', `after is not a cursor of this list (use pageInfo.endCursor of the previous page)`, { argument: 'after' });
  return key.data;
}

/**
 * One page: asks `fetch` for up to first + 1 nodes after the cursor's key, returns `first`
 * of them and whether more exist.
 */
export async function paginate<T, K>(opts: {
  kind: string;
  first: number;
  after: string | null | undefined;
  keySchema: z.ZodType<K>;
  keyOf: (node: T) => K;
  fetch: (limit: number, after: K | undefined) => Promise<T[]>;
}): Promise<Connection<T>> {
  const after = opts.after ? decodeCursor(opts.kind, opts.after, opts.keySchema) : undefined;
  const rows = await opts.fetch(opts.first + 1, after);
  const edges = rows.slice(0, opts.first).map((node) => ({ cursor: encodeCursor(opts.kind, opts.keyOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > opts.first, endCursor: edges.at(-1)?.cursor ?? null } };
}
