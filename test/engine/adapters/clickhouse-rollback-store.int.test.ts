import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseRollbackStore } from '../../../engine/adapters/clickhouse-rollback-store.ts';
import { InMemoryRollbackStore, type RollbackStore } from '../../../engine/adapters/rollback-store.ts';
import { ROLLBACK_REQUEST_SCHEMA_VERSION, type RollbackRequest } from '../../../engine/core/release/rollback-request.ts';
import { migratedDatabase } from '../../support/test-services.ts';

const T0 = Date.UTC(2026, 10, 1);
const request = (requestId: string, service: string, requestedAtMs: number): RollbackRequest => ({
  schemaVersion: ROLLBACK_REQUEST_SCHEMA_VERSION, requestId, service, environment: 'production', version: '2.0.0', deployId: `d-${requestId}`,
  rollbackToVersion: '1.9.0', rollbackToDeployId: 'd-prev', reason: 'burn',
  trigger: { kind: 'slo-breach', slo: `${service}-availability`, transitionId: 't', atMs: requestedAtMs, rule: 'page-1h-5m', reason: 'fires' },
  deployFinishedAtMs: requestedAtMs - 600_000, bakeEndsAtMs: requestedAtMs + 600_000, requestedAtMs, dryRun: true,
});
/** Requested at: two pairs share a millisecond (the id orders them), one is older than `since` below. */
const REQUESTS = [
  request('rb_a', 'checkout', T0 + 3_000), request('rb_b', 'search', T0 + 2_000), request('rb_c', 'checkout', T0 + 2_000),
  request('rb_d', 'checkout', T0 + 1_000), request('rb_e', 'checkout', T0 + 1_000), request('rb_f', 'checkout', T0 - 60_000),
];

/** Every page of `list`, `size` at a time, following each page's last request. */
async function allPages(store: RollbackStore, filter: { service?: string; sinceMs?: number }, size: number): Promise<string[][]> {
  const pages: string[][] = [];
  let before: { requestedAtMs: number; requestId: string } | undefined;
  for (;;) {
    const page = await store.list({ ...filter, before, limit: size });
    if (page.length === 0) return pages;
    pages.push(page.map((s) => s.request.requestId));
    const last = page.at(-1)!.request;
    before = { requestedAtMs: last.requestedAtMs, requestId: last.requestId };
  }
}

describe('rollback requests listed page by page (newest first, keyset)', () => {
  let client: ClickHouseClient;
  const memory = new InMemoryRollbackStore();
  let stored: ClickHouseRollbackStore;
  beforeAll(async () => {
    ({ client } = await migratedDatabase('rollback_pages'));
    stored = new ClickHouseRollbackStore(client);
    for (const r of REQUESTS) {
      await stored.create(r, r.requestedAtMs);
      await memory.create(r, r.requestedAtMs);
    }
  });
  afterAll(async () => {
    await client?.close();
  });

  it('ClickHouse pages as the in-memory store does: ties at one millisecond by id, nothing skipped or repeated', async () => {
    const expected = [['rb_a', 'rb_c'], ['rb_b', 'rb_e'], ['rb_d', 'rb_f']];
    expect(await allPages(memory, {}, 2)).toEqual(expected);
    expect(await allPages(stored, {}, 2)).toEqual(expected);
    const checkoutSince = [['rb_a', 'rb_c', 'rb_e'], ['rb_d']];
    expect(await allPages(stored, { service: 'checkout', sinceMs: T0 }, 3)).toEqual(checkoutSince);
    expect(await allPages(memory, { service: 'checkout', sinceMs: T0 }, 3)).toEqual(checkoutSince);
  });
});
