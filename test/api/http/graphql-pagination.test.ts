import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, paginate } from '../../../api/graphql/cursor-pagination.ts';
import { startTestApi, type TestApi } from './api-harness.ts';

describe('cursor pagination', () => {
  const rows = Array.from({ length: 7 }, (_, i) => ({ id: i }));
  const page = (first: number, after: string | null) =>
    paginate({ kind: 'n', first, after, keySchema: z.number(), keyOf: (r: { id: number }) => r.id, fetch: async (limit, a) => rows.filter((r) => a === undefined || r.id > a).slice(0, limit) });

  it('walks a list page by page with opaque cursors, without gaps or repeats', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (;;) {
      const p = await page(3, after);
      seen.push(...p.edges.map((e) => e.node.id));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it.each(['garbage', encodeCursor('other-list', 3), Buffer.from('{"v":1,"k":"n","key":"three"}').toString('base64url')])('refuses a cursor it did not issue (%s) as BAD_USER_INPUT on `after`', (cursor) => {
    expect(() => decodeCursor('n', cursor, z.number())).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } }));
  });
});

describe('auditLog and tokens over GraphQL', () => {
  let api: TestApi;
  let admin: string;
  beforeAll(async () => {
    let tick = Date.now();
    api = await startTestApi({ now: () => tick++ }); // distinct times: the order under test is by time
    admin = await api.tokenFor('admin');
    for (let i = 0; i < 5; i++) await api.graphql(`mutation { createToken(input: {name: "t${i}", role: "viewer"}) { secret } }`, { token: admin });
  });
  afterAll(async () => api.close());

  it('pages the audit log newest first, and a new entry does not shift a page already started', async () => {
    const q = 'query($after: String) { auditLog(first: 2, after: $after) { edges { cursor node { seq operation outcome } } pageInfo { hasNextPage endCursor } } }';
    type Page = { auditLog: { edges: { node: { seq: number } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const first = (await api.graphql(q, { token: admin })).body.data as Page;
    expect(first.auditLog.edges.map((e) => e.node.seq)).toEqual([5, 4]);
    await api.graphql('mutation { createToken(input: {name: "late", role: "viewer"}) { secret } }', { token: admin });
    const seqs: number[] = [];
    let after: string | null = first.auditLog.pageInfo.endCursor;
    while (after) {
      const p = (await api.graphql(q, { token: admin, variables: { after } })).body.data as Page;
      seqs.push(...p.auditLog.edges.map((e) => e.node.seq));
      after = p.auditLog.pageInfo.hasNextPage ? p.auditLog.pageInfo.endCursor : null;
    }
    expect(seqs).toEqual([3, 2, 1]);
  });

  it('lists tokens without secrets, and refuses `first` out of bounds', async () => {
    const { body } = await api.graphql('{ tokens(first: 3) { edges { node { name role status } } pageInfo { hasNextPage } } }', { token: admin });
    expect(body.data).toEqual({ tokens: { edges: [{ node: { name: 'late', role: 'viewer', status: 'ACTIVE' } }, { node: { name: 't4', role: 'viewer', status: 'ACTIVE' } }, { node: { name: 't3', role: 'viewer', status: 'ACTIVE' } }], pageInfo: { hasNextPage: true } } });
    const bad = await api.graphql('{ tokens(first: 0) { edges { cursor } } }', { token: admin });
    expect(bad.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'first' });
  });
});
