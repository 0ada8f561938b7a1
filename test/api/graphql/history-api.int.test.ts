import type { ClickHouseClient } from '@clickhouse/client';
import type { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiAccess } from '../../../api/auth/api-access.ts';
import { InMemoryTokenStore } from '../../../api/auth/in-memory-token-store.ts';
import type { Principal } from '../../../api/auth/principal.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';
import { createGraphQLServer, type ApiDeps } from '../../../api/graphql/graphql-server.ts';
import { SloCatalog } from '../../../engine/adapters/slo-catalog.ts';
import { SloDefinitionRecorder } from '../../../engine/adapters/slo-definition-recorder.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { sloDirectory } from '../../support/slo-files.ts';
import { migratedDatabase } from '../../support/test-services.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** The month the report covers: 40 days of data end at its end. */
const MONTH_START = Date.UTC(2026, 9, 1);
const MONTH_END = Date.UTC(2026, 10, 1);
const DATA_FROM = MONTH_END - 40 * DAY;

const PAY_SLO = `apiVersion: sluice/v1
kind: SLO
metadata:
  name: pay-availability
  labels: { team: payments }
spec:
  service: pay
  environment: production
  tier: critical
  indicator: { kind: availability }
  objectives: [{ target: 0.999 }]
  timeWindow: [{ duration: 28d, isRolling: true }]
  minEvents: 100
`;

const viewer: Principal = { id: 'tok-viewer', name: 'dashboards', role: 'viewer', teams: [], kind: 'token' };
const ingestOnly: Principal = { id: 'tok-ingest', name: 'collector', role: 'ingest', teams: [], kind: 'token' };

describe('history over the GraphQL API', () => {
  let client: ClickHouseClient;
  let server: ApolloServer;
  /** Runs an operation in-process through the whole server (roles, masking), as `principal`. */
  const run = async (query: string, principal: Principal = viewer, variables: Record<string, unknown> = {}) => {
    const response = await server.executeOperation({ query, variables }, { contextValue: { principal } });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  };

  beforeAll(async () => {
    ({ client } = await migratedDatabase('history_api'));
    // 40 days of `pay`: 50 requests a minute; a 20-minute total outage on Oct 12 (with its incident), a 2 % burn on Oct 20 for 3 hours (no incident)
    const rows: Record<string, unknown>[] = [];
    const row = (t: number, code: number, count: number, version: string) => ({
      signal: 'spans', service: 'pay', environment: 'production', version, minute: toDateTime64(t).slice(0, 19), span_kind: 'server', route: '/pay', operation: 'POST /pay',
      http_status_code: code, status: code >= 500 ? 'error' : 'ok', severity_number: 0, check_id: '', journey: '', location: '', count, sketch_index: [], sketch_count: [],
      origin: 'ingest', estimated: 0, source: 'test', source_partition: 0, source_offset: 0, segment_lo: 0, written_at: toDateTime64(Date.now()),
    });
    const outage = Date.UTC(2026, 9, 12, 14, 0);
    const burn = Date.UTC(2026, 9, 20, 3, 0);
    for (let t = DATA_FROM; t < MONTH_END; t += MIN) {
      const version = t < Date.UTC(2026, 9, 12, 13, 55) ? '3.1' : t < Date.UTC(2026, 9, 12, 14, 25) ? '3.2' : '3.3';
      const bad = t >= outage && t < outage + 20 * MIN ? 50 : t >= burn && t < burn + 3 * HOUR ? 1 : 0;
      rows.push(row(t, 200, 50 - bad, version));
      if (bad > 0) rows.push(row(t, 503, bad, version));
    }
    for (let i = 0; i < rows.length; i += 20_000) await client.insert({ table: 'signal_rollups', values: rows.slice(i, i + 20_000), format: 'JSONEachRow' });
    await client.insert({ table: 'incidents', format: 'JSONEachRow', values: [{
      incident_id: 'INC-7', service: 'pay', environment: 'production', title: 'payments down', severity: 'SEV1', opened_at: toDateTime64(outage + 6 * MIN), resolved_at: toDateTime64(outage + HOUR),
      linked_deploy_id: 'd-3.2', attributes: {}, source: 'test', source_partition: 0, source_offset: 1, updated_at: toDateTime64(Date.now()),
    }] });
    await client.insert({ table: 'deploys', format: 'JSONEachRow', values: ['3.1', '3.2', '3.3'].map((v, i) => ({
      deploy_id: `d-${v}`, service: 'pay', environment: 'production', version: v, team: 'payments', commit_sha: 'abcdef1', commit_time: toDateTime64(MONTH_START),
      started_at: toDateTime64([DATA_FROM, Date.UTC(2026, 9, 12, 13, 55), Date.UTC(2026, 9, 12, 14, 25)][i]!), finished_at: null, status: 'succeeded', strategy: 'rolling',
      emergency: false, change_ticket: '', attributes: {}, source: 'test', source_partition: 0, source_offset: i, updated_at: toDateTime64(Date.now()),
    })) });
    // the SLO as the directory loads it: its definition is recorded, with its team
    const recorder = await SloDefinitionRecorder.start({ clickhouse: client, sloDir: sloDirectory({ 'pay.yaml': PAY_SLO }), catalog: SloCatalog.of([]), logger: silentLogger() });
    await recorder.stop();
    const access = createApiAccess({ mode: 'required', tokenStore: new InMemoryTokenStore(), auditStore: new InMemoryAuditStore(), auditWriter: 'test', now: Date.now });
    server = createGraphQLServer({
      logger: silentLogger(), access,
      slo: { clickhouse: client } as unknown as ApiDeps['slo'],
      health: {} as ApiDeps['health'],
    });
    await server.start();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await client?.close();
  });

  it('backtests an SLO by name: its alerts, the incident they caught, noise, and the budget', async () => {
    const r = await run(`{ backtest(input: { slo: { name: "pay-availability" }, from: ${MONTH_START}, to: ${MONTH_END} }) {
      ruleSet rules { name } alerts { severity start end noise incidents peakBurnRate } score { alerts precision recall noiseAlerts missedIncidents medianDetectionDelayMs }
      incidents { incidentId detected detectionDelayMs } budget { at consumedRatio } transitions { at from to rule } data { basis { source exact } limits } maintenanceNote } }`);
    expect(r.errors).toBeUndefined();
    const b = (r.data as { backtest: Record<string, unknown> & { alerts: { severity: string; start: number; noise: boolean; incidents: string[] }[]; incidents: unknown[] } }).backtest;
    expect(b.ruleSet).toBe('slo');
    const firstPage = b.alerts.find((a) => a.severity === 'page')!;
    // a total outage pages at the first boundary: 50 bad of 3,000 in the hour is 1.67 % ≥ 1.44 %
    expect(firstPage).toMatchObject({ start: Date.UTC(2026, 9, 12, 14, 1), noise: false, incidents: ['INC-7'] });
    expect(b.incidents).toEqual([{ incidentId: 'INC-7', detected: true, detectionDelayMs: -5 * MIN }]);
    // the 2 % burn on Oct 20 (20×) pages through the 6 h rule with no incident: noise
    expect(b.alerts.some((a) => a.noise && a.start >= Date.UTC(2026, 9, 20))).toBe(true);
    expect(b).toMatchObject({ score: { missedIncidents: 0, recall: 1 }, maintenanceNote: expect.stringMatching(/no maintenance windows/) });
  });

  it('backtests an SLO defined only now, with candidate rules, and tunes page rules on the same history', async () => {
    const definition = PAY_SLO.replace('pay-availability', 'pay-new').replace('minEvents: 100', 'minEvents: 100\n  alerting: { holdFor: 5m }');
    const r = await run(`query($d: String!) {
      backtest(input: { slo: { definition: $d }, from: ${MONTH_START}, to: ${MONTH_END}, rules: [{ severity: "page", longWindow: "1h", shortWindow: "5m", burnRate: 14.4 }] }) { ruleSet rules { name burnRate } score { alerts recall noiseAlerts } }
      tuneAlerts(input: { slo: { definition: $d }, from: ${MONTH_START}, to: ${MONTH_END}, windows: [{ longWindow: "1h", shortWindow: "5m" }, { longWindow: "6h", shortWindow: "30m" }], burnRates: [2, 6, 14.4] }) {
        points { rule { name } pareto score { alertsPerWeek recall } } front { rule { name } } recommended { rules { name } why } } }`, viewer, { d: definition });
    expect(r.errors).toBeUndefined();
    const d = r.data as { backtest: { ruleSet: string; score: { alerts: number; recall: number } }; tuneAlerts: { points: unknown[]; front: unknown[]; recommended: { why: string[] } } };
    // the outage, and the 2 % burn (20× ≥ 14.4× over 1 h and 5 m) that no incident covers
    expect(d.backtest).toMatchObject({ ruleSet: 'candidates', score: { alerts: 2, recall: 1, noiseAlerts: 1 } });
    expect(d.tuneAlerts.points).toHaveLength(6);
    expect(d.tuneAlerts.front.length).toBeGreaterThan(0);
    expect(d.tuneAlerts.recommended.why.join(' ')).toMatch(/caught 1 of 1 incidents/);
  });

  it('recommends a target from the past windows and forecasts the budget', async () => {
    const r = await run(`{ sloTargets(input: { slo: { name: "pay-availability" }, at: ${MONTH_END} }) { windows met { share target } recommendedTarget reasoning forecast { burnRate exhausted statement } } }`);
    expect(r.errors).toBeUndefined();
    const t = (r.data as { sloTargets: { windows: number; recommendedTarget: number; forecast: { statement: string } } }).sloTargets;
    // 13 28-day windows ending daily; each lost at most 1,000 + 180 of ~2,016,000 requests: 99.94 %, so 99.9 % held in all of them
    expect(t.windows).toBe(13);
    expect(t.recommendedTarget).toBe(0.999);
    expect(t.forecast.statement).toMatch(/^not at this rate: no bad event over the last 1d/);
  });

  it('writes the team\'s monthly review with deploys that burnt budget, as JSON and Markdown', async () => {
    const r = await run(`{ sloReport(input: { team: "payments", month: "2026-10" }) { title label markdown json slos { name attainment budgetConsumedRatio met alerts noiseAlerts incidents deploys { version burnedBudget } configChanges { changes } } } }`);
    expect(r.errors).toBeUndefined();
    const report = (r.data as { sloReport: { title: string; markdown: string; json: string; slos: { deploys: { version: string; burnedBudget: boolean }[]; configChanges: unknown[] }[] } }).sloReport;
    expect(report.title).toBe('SLO review — team payments — 2026-10');
    // 3.2 served the outage: 1,000 bad of 1,500 requests; 3.3's 180 bad on Oct 20 are 0.13× over its 19 days
    expect(report.slos[0]!.deploys).toEqual([{ version: '3.1', burnedBudget: false }, { version: '3.2', burnedBudget: true }, { version: '3.3', burnedBudget: false }]);
    expect(report.markdown).toContain('## pay-availability (pay-availability)');
    expect(JSON.parse(report.json).sections[0].name).toBe('pay-availability');
  });

  it('refuses what it cannot answer with a reason, and callers without status:read', async () => {
    const unknown = await run(`{ backtest(input: { slo: { name: "nope" }, from: ${MONTH_START}, to: ${MONTH_END} }) { ruleSet } }`);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const bad = await run(`{ backtest(input: { slo: { definition: "kind: SLO" }, from: ${MONTH_START}, to: ${MONTH_END} }) { ruleSet } }`);
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/slo\.definition/) });
    const reversed = await run(`{ backtest(input: { slo: { name: "pay-availability" }, from: ${MONTH_END}, to: ${MONTH_START} }) { ruleSet } }`);
    expect(reversed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const forbidden = await run(`{ sloReport(input: { team: "payments", month: "2026-10" }) { title } }`, ingestOnly);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
