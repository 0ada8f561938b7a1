import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { createRequire } from 'node:module';
import type { ExecutionResult } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiAccess } from '../../api/auth/api-access.ts';
import { InMemoryTokenStore } from '../../api/auth/in-memory-token-store.ts';
import { OPEN_PRINCIPAL } from '../../api/auth/principal.ts';
import { InMemoryAuditStore } from '../../api/audit/in-memory-audit-store.ts';
import { GateDecisionFeed, type FeedItem } from '../../api/graphql/gate-decision-feed.ts';
import { gateResolver } from '../../api/graphql/gate-resolvers.ts';
import { createGraphQLSchema, type ApiDeps } from '../../api/graphql/graphql-server.ts';
import type { GateDecisionRecord } from '../../engine/adapters/gate-decision-store.ts';
import { GateService } from '../../engine/adapters/gate-service.ts';
import { silentLogger } from '../../platform/logging/logger.ts';
import { gateHarness } from '../engine/adapters/support/gate-harness.ts';

// graphql as @graphql-tools loads it (CommonJS): the schema's classes must come from the same copy
const { parse, subscribe } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

function record(n: number, service = 'checkout'): GateDecisionRecord {
  return {
    decision: {
      decisionId: `gd_${n}`, verdict: 'PASS', blocking: false, service, environment: 'production', version: '1.1.0', baselineVersion: null,
      decidedAt: n, summary: 'passes', policyVersion: 'p@sha256:0', checks: [],
    },
    inputs: {},
    requestedBy: { id: 'tok', name: 'ci', role: 'ci' },
  };
}

describe('the gate decision feed', () => {
  it('delivers every decision to a subscriber that reads while another never reads, and disconnects the slow one with a counted reason', async () => {
    const feed = new GateDecisionFeed({ maxQueued: 8 });
    const fast = feed.subscribe();
    const slow = feed.subscribe();
    const got: string[] = [];
    const reading = (async () => {
      for await (const item of fast) {
        if (item.kind === 'decision') got.push(item.record.decision.decisionId);
        if (got.length === 100) break;
      }
    })();
    for (let n = 1; n <= 100; n++) {
      feed.publish(record(n));
      await Promise.resolve(); // the fast reader takes each decision as it comes
    }
    await reading;
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `gd_${i + 1}`));
    expect(feed.metrics.disconnected).toEqual({ slow_subscriber: 1 });
    const first = await slow.next();
    expect(first.value).toEqual({ kind: 'fell-behind', queued: 8 } satisfies FeedItem);
    expect((await slow.next()).done).toBe(true);
    expect(feed.metrics.subscribers).toBe(0);
  });

  it('keeps up to maxQueued decisions for a subscriber that reads late, in order', async () => {
    const feed = new GateDecisionFeed({ maxQueued: 8 });
    const late = feed.subscribe((r) => r.decision.service === 'checkout');
    for (let n = 1; n <= 8; n++) feed.publish(record(n));
    feed.publish(record(99, 'search')); // filtered out: does not count against its queue
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(((await late.next()).value as Extract<FeedItem, { kind: 'decision' }>).record.decision.decisionId);
    expect(ids).toEqual(['gd_1', 'gd_2', 'gd_3', 'gd_4', 'gd_5', 'gd_6', 'gd_7', 'gd_8']);
    expect(feed.metrics.disconnected.slow_subscriber).toBe(0);
    await late.return!();
    expect(feed.metrics.subscribers).toBe(0);
  });
});

describe('the gateDecisions subscription', () => {
  const unreachable = createClient({ url: 'http://127.0.0.1:9', request_timeout: 1_000, log: { level: ClickHouseLogLevel.OFF } });
  afterAll(() => unreachable.close());

  it('is not delayed by a slow subscriber, and ends the slow one with an UNAVAILABLE error naming slow_subscriber', async () => {
    const h = await gateHarness({ startMs: Date.UTC(2026, 2, 2, 9, 0, 0) });
    const feed = new GateDecisionFeed({ maxQueued: 5 });
    const service = new GateService({ ...h.gateOptions, onDecision: (r) => feed.publish(r) });
    const records = { service, decisions: h.decisions, feed, policyVersions: h.policyVersions, policies: () => h.policies.policies() };
    const deps: ApiDeps = {
      logger: silentLogger(),
      access: createApiAccess({ mode: 'off', tokenStore: new InMemoryTokenStore(), auditStore: new InMemoryAuditStore(), auditWriter: 'test', now: Date.now }),
      gate: gateResolver(records),
      gateRecords: records,
      slo: { states: h.judge, clickhouse: unreachable },
      health: {} as ApiDeps['health'],
    };
    const schema = createGraphQLSchema(deps);
    const document = parse('subscription { gateDecisions { decisionId verdict } }');
    const open = async () => (await subscribe({ schema, document, contextValue: { principal: OPEN_PRINCIPAL } })) as AsyncGenerator<ExecutionResult<{ gateDecisions: { decisionId: string } }>>;
    const fast = await open();
    const slow = await open();
    const fastIds: string[] = [];
    const reading = (async () => {
      for await (const result of fast) {
        fastIds.push(result.data!.gateDecisions.decisionId);
        if (fastIds.length === 20) return;
      }
    })();
    const made: string[] = [];
    for (let i = 0; i < 20; i++) made.push((await service.decide({ service: 'checkout', environment: 'production', version: '1.1.0', baselineVersion: null }, { id: 'open', name: 'open', role: 'admin' })).decision.decisionId);
    await reading;
    expect(fastIds).toEqual(made);
    const ended = await slow.next();
    expect(ended.value?.errors?.[0]?.message).toMatch(/fell 5 decisions behind and was disconnected \(slow_subscriber\)/);
    expect(ended.value?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'slow_subscriber' });
    expect((await slow.next()).done).toBe(true);
    expect(feed.metrics.disconnected.slow_subscriber).toBe(1);
  });
});
