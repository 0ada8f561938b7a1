import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseGateDecisionStore } from '../../../engine/adapters/clickhouse-gate-decision-store.ts';
import type { GateDecisionRecord } from '../../../engine/adapters/gate-decision-store.ts';
import { loadGatePolicyDirectory } from '../../../engine/adapters/gate-policy-directory-loader.ts';
import { ClickHouseGateReleaseReader } from '../../../engine/adapters/gate-release-reader.ts';
import { ClickHousePolicyVersionStore } from '../../../engine/adapters/policy-version-store.ts';
import { ClickHouseRuleSource } from '../../../engine/adapters/slo-rule-source.ts';
import { ClickHouseVersionCounts } from '../../../engine/adapters/version-counts.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { countRows, migratedDatabase } from '../../support/test-services.ts';

const T = Date.UTC(2026, 2, 2, 9, 0, 0);
const MINUTE = 60_000;

function record(i: number, o: { service?: string; verdict?: GateDecisionRecord['decision']['verdict']; decidedAt?: number } = {}): GateDecisionRecord {
  return {
    decision: {
      decisionId: `gd_${String(i).padStart(4, '0')}`, verdict: o.verdict ?? 'PASS', blocking: o.verdict === 'FAIL', service: o.service ?? 'checkout', environment: 'production',
      version: `1.${i}.0`, baselineVersion: null, decidedAt: o.decidedAt ?? T + i, summary: `decision ${i}`, policyVersion: 'production.yaml@sha256:0123456789abcdef',
      checks: [{ name: 'budget:checkout-availability', status: 'PASS', blocking: true, observed: 0.95, threshold: 0.1, comparator: '>=', unit: 'ratio', window: { length: '28d', from: T - 28 * 86_400_000, to: T }, freshness: { fresh: true, watermark: T, lagMs: 31_000.5, reason: null }, explanation: 'ok – “unicode” ✓' }],
    },
    inputs: { slos: [{ name: 'checkout-availability', budget: { remainingRatio: 0.95 } }], nested: { deep: [1, 2.5, null] } },
    requestedBy: { id: 'a1b2c3d4e5f6', name: 'ci-checkout', role: 'ci' },
  };
}

/** The gate's ClickHouse adapters against the real engine, each with its own database. */
describe('gate storage in ClickHouse', () => {
  let client: ClickHouseClient;
  beforeAll(async () => {
    ({ client } = await migratedDatabase('gate'));
  });
  afterAll(async () => client?.close());

  it('stores decisions exactly, group-commits concurrent saves, and pages newest first with filters', async () => {
    const store = new ClickHouseGateDecisionStore(client);
    const records = Array.from({ length: 30 }, (_, i) => record(i, { service: i % 3 === 0 ? 'search' : 'checkout', verdict: i % 5 === 0 ? 'FAIL' : 'PASS', decidedAt: T + Math.floor(i / 2) }));
    await Promise.all(records.map((r) => store.save(r)));
    expect(store.metrics.rows).toBe(30);
    expect(store.metrics.inserts).toBeLessThan(30);
    expect(await store.get('gd_0007')).toEqual(records[7]);
    expect(await store.get('gd_nope')).toBeUndefined();

    const all: string[] = [];
    let after: { decidedAt: number; decisionId: string } | undefined;
    for (;;) {
      const page = await store.list({ service: 'checkout' }, 7, after);
      all.push(...page.map((r) => r.decision.decisionId));
      if (page.length < 7) break;
      after = { decidedAt: page.at(-1)!.decision.decidedAt, decisionId: page.at(-1)!.decision.decisionId };
    }
    const expected = records.filter((r) => r.decision.service === 'checkout')
      .sort((a, b) => b.decision.decidedAt - a.decision.decidedAt || (a.decision.decisionId < b.decision.decisionId ? 1 : -1))
      .map((r) => r.decision.decisionId);
    expect(all).toEqual(expected);
    const failed = await store.list({ verdict: 'FAIL', fromMs: T + 5, toMs: T + 12 }, 100);
    expect(failed.map((r) => r.decision.decisionId)).toEqual(['gd_0020', 'gd_0015', 'gd_0010']);
  });

  it('collapses a decision written twice (a retried insert)', async () => {
    const store = new ClickHouseGateDecisionStore(client);
    const r = record(900);
    await store.save(r);
    await store.save(r);
    expect(await countRows(client, "SELECT count() FROM gate_decisions FINAL WHERE decision_id = 'gd_0900'")).toBe(1);
  });

  it('records each policy version once, with the content it hashes, readable by another process', async () => {
    const set = await loadGatePolicyDirectory('examples/policies');
    const ctx = { directory: 'examples/policies', loadedAtMs: T, loadedBy: 'host:1' };
    await new ClickHousePolicyVersionStore(client).record(set.policies, ctx);
    await new ClickHousePolicyVersionStore(client).record(set.policies, { ...ctx, loadedAtMs: T + 1, loadedBy: 'host:2' });
    expect(await countRows(client, 'SELECT count() FROM policy_versions')).toBe(set.policies.length);
    const production = set.policies.find((p) => p.document.metadata.name === 'production')!;
    const read = await new ClickHousePolicyVersionStore(client).get(production.version);
    expect(read).toMatchObject({ version: production.version, sha256: production.sha256, name: 'production', file: 'production.yaml', environments: ['production'], loadedAtMs: T, loadedBy: 'host:1' });
    expect(JSON.parse(read!.content)).toEqual(JSON.parse(JSON.stringify(production.document)));
  });

  it('sums sli_rollups per version over whole minutes of a window', async () => {
    const row = (version: string, minute: number, good: number, total: number, offset: number) => ({
      slo: 'checkout-availability', service: 'checkout', environment: 'production', version, minute: toDateTime64(minute).slice(0, 19),
      good, total, late_events: 0, sketch_index: [], sketch_count: [], source: 'http/spans', source_partition: 0, source_offset: offset, written_at: toDateTime64(T),
    });
    await client.insert({ table: 'sli_rollups', format: 'JSONEachRow', values: [
      row('1.1.0', T - 61 * MINUTE, 1000, 1000, 1), row('1.1.0', T - 30 * MINUTE, 990, 1000, 2), row('1.1.0', T - 30 * MINUTE, 10, 10, 3),
      row('1.2.0', T - MINUTE, 850, 1000, 4), row('1.2.0', T, 0, 500, 5),
    ] });
    const [counts] = await new ClickHouseVersionCounts(client).counts([{ slo: 'checkout-availability', fromMs: T - 60 * MINUTE, toMs: T }]);
    expect(counts!.versions).toEqual([{ version: '1.1.0', good: 1000, total: 1010 }, { version: '1.2.0', good: 850, total: 1000 }]);

    // cached 5 s; then served while a refresh runs (gates do not wait for it), and replaced by it; never older than 10 s
    let nowMs = 0;
    const cached = new ClickHouseVersionCounts(client, { cacheMs: 5_000, now: () => nowMs });
    const window = [{ slo: 'checkout-availability', fromMs: T - 60 * MINUTE, toMs: T }];
    const total12 = async () => (await cached.counts(window))[0]!.versions.find((v) => v.version === '1.2.0')!.total;
    expect(await total12()).toBe(1000);
    await client.insert({ table: 'sli_rollups', format: 'JSONEachRow', values: [row('1.2.0', T - 2 * MINUTE, 0, 100, 6)] });
    nowMs = 4_000;
    expect(await total12()).toBe(1000); // fresh enough
    nowMs = 6_000;
    expect(await total12()).toBe(1000); // stale answer served, refresh started
    for (let i = 0; i < 100 && (await total12()) === 1000; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await total12()).toBe(1100); // the refresh replaced it
    await client.insert({ table: 'sli_rollups', format: 'JSONEachRow', values: [row('1.2.0', T - 3 * MINUTE, 0, 100, 7)] });
    nowMs = 20_000;
    expect(await total12()).toBe(1200); // too old to serve: read again before answering
  });

  it('reads an SLO\'s rules from its latest recorded definition', async () => {
    const definition = (target: number) => JSON.stringify({ apiVersion: 'sluice/v1', kind: 'SLO', metadata: { name: 'checkout-latency' }, spec: {
      service: 'checkout', environment: 'production', tier: 'standard', indicator: { kind: 'latency', thresholdMs: 300 }, objectives: [{ target }], timeWindow: [{ duration: '28d', isRolling: true }],
      alerting: { rules: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 14.4, name: 'fast' }, { severity: 'ticket', longWindow: '6h', shortWindow: '30m', burnRate: 6 }] },
    } });
    const base = { slo: 'checkout-latency', fingerprint: 'x', service: 'checkout', environment: 'production', team: '', file: 'a.yaml', loaded_by: 'h', removed: 0 };
    await client.insert({ table: 'slo_definitions', format: 'JSONEachRow', values: [
      { ...base, definition: '{}', loaded_at: toDateTime64(T - MINUTE) },
      { ...base, definition: definition(0.99), loaded_at: toDateTime64(T) },
    ] });
    const rules = await new ClickHouseRuleSource(client).rulesOf(['checkout-latency', 'unknown-slo']);
    expect([...rules.keys()]).toEqual(['checkout-latency']);
    expect(rules.get('checkout-latency')).toEqual({
      complianceWindow: '28d',
      rules: [
        { name: 'fast', severity: 'page', longWindowMs: 3_600_000, shortWindowMs: 300_000, burnRate: 14.4 },
        { name: 'ticket-6h-30m', severity: 'ticket', longWindowMs: 21_600_000, shortWindowMs: 1_800_000, burnRate: 6 },
      ],
    });
  });

  it('finds the serving version and when a version first served, from the latest state of each deploy', async () => {
    const deploy = (id: string, version: string, env: string, finishedAt: number, status = 'succeeded', updatedAt = finishedAt) => ({
      deploy_id: id, service: 'checkout', environment: env, version, team: 'payments', commit_sha: 'abc', commit_time: toDateTime64(finishedAt - MINUTE),
      started_at: toDateTime64(finishedAt - MINUTE), finished_at: toDateTime64(finishedAt), status, strategy: 'rolling', emergency: false, change_ticket: '',
      attributes: {}, source: 'test', source_partition: 0, source_offset: 0, updated_at: toDateTime64(updatedAt),
    });
    await client.insert({ table: 'deploys', format: 'JSONEachRow', values: [
      deploy('d1', '1.1.0', 'production', T - 60 * MINUTE),
      deploy('d2', '1.2.0', 'staging', T - 40 * MINUTE),
      deploy('d3', '1.2.0', 'staging', T - 20 * MINUTE),
      deploy('d4', '1.2.0', 'production', T - 5 * MINUTE),
      deploy('d5', '1.3.0', 'production', T - 2 * MINUTE, 'failed'),
    ] });
    const reader = new ClickHouseGateReleaseReader(client);
    expect(await reader.servingVersion({ service: 'checkout', environment: 'production', except: '1.3.0', atMs: T })).toBe('1.2.0');
    // the version asked about already serves (a canary): the baseline is the one before it
    expect(await reader.servingVersion({ service: 'checkout', environment: 'production', except: '1.2.0', atMs: T })).toBe('1.1.0');
    expect(await reader.firstServedAt({ service: 'checkout', environment: 'staging', version: '1.2.0' })).toBe(T - 40 * MINUTE);
    expect(await reader.firstServedAt({ service: 'checkout', environment: 'staging', version: '9.9.9' })).toBeUndefined();
  });
});
