import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBacktestCommand } from '../../../api/cli/backtest-command.ts';
import type { CliIo } from '../../../api/cli/cli-io.ts';
import { runReportCommand } from '../../../api/cli/report-command.ts';
import { runTargetsCommand } from '../../../api/cli/targets-command.ts';
import { runTuneCommand } from '../../../api/cli/tune-command.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { sloDirectory } from '../../support/slo-files.ts';
import { migratedDatabase, services } from '../../support/test-services.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const FROM = Date.UTC(2026, 8, 1);
const TO = Date.UTC(2026, 9, 1);
const OUTAGE = Date.UTC(2026, 8, 15, 9, 0);

const SLO = `apiVersion: sluice/v1
kind: SLO
metadata: { name: search-availability, labels: { team: discovery } }
spec:
  service: search
  environment: production
  tier: critical
  indicator: { kind: availability }
  objectives: [{ target: 0.999 }]
  timeWindow: [{ duration: 7d, isRolling: true }]
`;

function capture(): CliIo & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) };
  return io;
}

describe('sluice backtest, tune, targets and report', () => {
  let client: ClickHouseClient;
  let database: string;
  let sloDir: string;
  let sloFile: string;
  const storage = () => ['--clickhouse-url', services().clickhouseUrl, '--clickhouse-user', services().clickhouseUser, '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', database];

  beforeAll(async () => {
    ({ client, database } = await migratedDatabase('history_cli'));
    sloDir = sloDirectory({ 'search.yaml': SLO });
    sloFile = join(sloDir, 'search.yaml');
    // 40 days of `search` (September, and 10 days before it): 30 requests a minute, one 15-minute outage with its incident
    const rows: Record<string, unknown>[] = [];
    const row = (t: number, code: number, count: number) => ({
      signal: 'spans', service: 'search', environment: 'production', version: '7.0', minute: toDateTime64(t).slice(0, 19), span_kind: 'server', route: '/q', operation: 'GET /q',
      http_status_code: code, status: code >= 500 ? 'error' : 'ok', severity_number: 0, check_id: '', journey: '', location: '', count, sketch_index: [], sketch_count: [],
      origin: 'ingest', estimated: 0, source: 'test', source_partition: 0, source_offset: 0, segment_lo: 0, written_at: toDateTime64(Date.now()),
    });
    for (let t = FROM - 10 * DAY; t < TO; t += MIN) {
      const down = t >= OUTAGE && t < OUTAGE + 15 * MIN;
      rows.push(row(t, 200, down ? 0 : 30));
      if (down) rows.push(row(t, 502, 30));
    }
    for (let i = 0; i < rows.length; i += 20_000) await client.insert({ table: 'signal_rollups', values: rows.slice(i, i + 20_000), format: 'JSONEachRow' });
    await client.insert({ table: 'incidents', format: 'JSONEachRow', values: [{
      incident_id: 'INC-1', service: 'search', environment: 'production', title: 'search 502s', severity: 'SEV2', opened_at: toDateTime64(OUTAGE + 3 * MIN), resolved_at: toDateTime64(OUTAGE + 40 * MIN),
      linked_deploy_id: '', attributes: {}, source: 'test', source_partition: 0, source_offset: 1, updated_at: toDateTime64(Date.now()),
    }] });
  }, 120_000);
  afterAll(async () => {
    await client?.close();
  });

  it('backtest prints the alerts, the incident caught and the scores, with progress on stderr', async () => {
    const io = capture();
    const code = await runBacktestCommand(['--slo', sloFile, '--from', '2026-09-01', '--to', '2026-10-01', ...storage()], {}, io);
    expect(io.stderr).toMatch(/load: search-availability: reading/);
    expect(io.stderr).toMatch(/replay: search-availability: replaying 43200 minute boundaries/);
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/^backtest search-availability \(search\/production, target 99\.90 %\)/);
    expect(io.stdout).toMatch(/page\s+2026-09-15 09:01Z/);
    expect(io.stdout).toMatch(/INC-1\s+SEV2\s+2026-09-15 09:03Z\s+yes, 2026-09-15 09:01Z\s+-2 min/);
  });

  it('backtest --rules replays candidates, and --json prints the API\'s shape', async () => {
    const rules = join(sloDir, 'candidates.yaml');
    writeFileSync(rules, '- { severity: page, longWindow: 6h, shortWindow: 30m, burnRate: 6 }\n');
    const io = capture();
    expect(await runBacktestCommand(['--slo', sloFile, '--from', '2026-09-01', '--to', '2026-10-01', '--rules', rules, '--json', ...storage()], {}, io)).toBe(0);
    const answer = JSON.parse(io.stdout);
    expect(answer).toMatchObject({ ruleSet: 'candidates', rules: [{ name: 'page-6h-30m', burnRate: 6 }], score: { incidents: 1, recall: 1 } });
  });

  it('tune prints the Pareto front and a recommendation', async () => {
    const io = capture();
    expect(await runTuneCommand(['--slo', sloFile, '--from', '2026-09-01', '--to', '2026-10-01', '--windows', '1h/5m,6h/30m', '--burn-rates', '2,6,14.4', ...storage()], {}, io)).toBe(0);
    expect(io.stdout).toMatch(/6 grid points, 1 incidents/);
    expect(io.stdout).toMatch(/^recommended: /m);
  });

  it('targets prints the attainment table, a recommendation and the forecast', async () => {
    const io = capture();
    expect(await runTargetsCommand(['--slo', sloFile, '--at', '2026-10-01', '--lookback', '40d', ...storage()], {}, io)).toBe(0);
    expect(io.stdout).toMatch(/targets of search-availability/);
    expect(io.stdout).toMatch(/exhaustion: not at this rate/);
  });

  it('report writes the team\'s month in Markdown', async () => {
    const io = capture();
    expect(await runReportCommand(['--team', 'discovery', '--month', '2026-09', '--slo-dir', sloDir, ...storage()], {}, io)).toBe(0);
    expect(io.stdout).toMatch(/^# SLO review — team discovery — 2026-09/);
    expect(io.stdout).toContain('| search-availability | 99.90 % |');
  });

  it('says what is wrong with the command line and exits 2', async () => {
    const io = capture();
    expect(await runBacktestCommand(['--slo', sloFile, '--from', 'yesterday', ...storage()], {}, io)).toBe(2);
    expect(io.stderr).toMatch(/--from must be an ISO date or time/);
    const io2 = capture();
    expect(await runReportCommand(['--month', '2026-09', ...storage()], {}, io2)).toBe(2);
    expect(io2.stderr).toMatch(/give --team or --slo/);
  });
});
