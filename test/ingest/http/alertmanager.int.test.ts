import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../../api/cli/embedded-mode.ts';
import { connectClickHouse } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { fromDateTime64, toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { services, uniqueName, waitFor } from '../../support/test-services.ts';

/**
 * A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`: apt-get install -y
 * prometheus-alertmanager) posts to `sluice start`'s /alerts/alertmanager, authenticated by
 * the shared secret (SLUICE_ALERT_WEBHOOK_SECRET) as its http_config bearer credentials: an
 * alert raised through its API (POST /api/v2/alerts) opens an incident linked to the deploy
 * serving then, and resolving it (the same alert with endsAt in the past) resolves it.
 */
const BINARIES = ['prometheus-alertmanager', 'alertmanager'];
const SECRET = 'alert-secret-0123456789abcdef';

function findAlertmanager(): string | undefined {
  return BINARIES.find((b) => spawnSync(b, ['--version'], { stdio: 'ignore' }).status === 0);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const binary = findAlertmanager();
const skip = binary === undefined && services().skipMissing;

describe('Prometheus Alertmanager → sluice incidents', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it.skipIf(skip)('an alert raised through Alertmanager\'s API opens an incident linked to the serving deploy, and resolving it resolves the incident', async () => {
    if (binary === undefined) throw new Error('Alertmanager not found: apt-get install -y prometheus-alertmanager (or set SLUICE_SKIP_SERVICE_TESTS=1)');
    const database = uniqueName('t_alerts');
    const config = parseConfig(['--port', '0', '--no-simulate', '--auth', 'required', '--clickhouse-url', services().clickhouseUrl, '--clickhouse-password', services().clickhousePassword,
      '--clickhouse-database', database, '--batch-max-delay-ms', '200'], { SLUICE_ALERT_WEBHOOK_SECRET: SECRET });
    const app = await runEmbedded(config, silentLogger());
    cleanups.push(() => app.stop());
    const client: ClickHouseClient = await connectClickHouse({ url: services().clickhouseUrl, password: services().clickhousePassword, database });
    cleanups.push(() => client.close());

    // checkout 4.2.0 has served production for ten minutes
    const now = Date.now();
    await client.insert({
      table: 'deploys', format: 'JSONEachRow',
      values: [{
        deploy_id: 'd-420', service: 'checkout', environment: 'production', version: '4.2.0', team: 'web', commit_sha: 'abcdef1', commit_time: toDateTime64(now - 3_600_000),
        started_at: toDateTime64(now - 11 * 60_000), finished_at: toDateTime64(now - 10 * 60_000), status: 'succeeded', strategy: 'rolling', emergency: false, change_ticket: '',
        attributes: {}, source: 'test', source_partition: 0, source_offset: -1, updated_at: toDateTime64(now),
      }],
    });

    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-alertmanager-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'alertmanager.yml'), [
      'route:',
      '  receiver: sluice',
      "  group_by: ['alertname', 'service']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: sluice',
      '    webhook_configs:',
      `      - url: ${app.url}/alerts/alertmanager`,
      '        send_resolved: true',
      '        http_config:',
      '          authorization:',
      '            type: Bearer',
      `            credentials: ${SECRET}`,
      '',
    ].join('\n'));
    const am: ChildProcess = spawn(binary, [
      `--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    am.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
    cleanups.push(() => new Promise<void>((resolve) => {
      if (am.exitCode !== null) return resolve();
      am.once('exit', () => resolve());
      am.kill('SIGTERM');
    }));
    const amUrl = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok === true, 30_000, `Alertmanager ready (${stderr})`);

    const startsAt = new Date(now - 5_000).toISOString();
    const alert = {
      labels: { alertname: 'HighErrorRate', service: 'checkout', environment: 'production', severity: 'critical' },
      annotations: { summary: 'checkout 5xx ratio above 5 %' },
      generatorURL: 'http://prometheus.example/graph',
    };
    const raise = await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ ...alert, startsAt }]) });
    expect(raise.status).toBe(200);

    type Row = { incident_id: string; service: string; severity: string; title: string; opened_at: string; resolved_at: string | null; linked_deploy_id: string; link: string; source: string };
    const incidents = async () => (await (await client.query({
      query: "SELECT incident_id, service, severity, title, opened_at, resolved_at, linked_deploy_id, attributes['sluice.link'] AS link, attributes['sluice.source'] AS source FROM incidents FINAL",
      format: 'JSONEachRow',
    })).json<Row>());
    await waitFor(async () => (await incidents()).length === 1, 60_000, `the incident opened (Alertmanager: ${stderr})`);
    const [opened] = await incidents();
    expect(opened).toMatchObject({ service: 'checkout', severity: 'SEV1', title: 'checkout 5xx ratio above 5 %', resolved_at: null, linked_deploy_id: 'd-420', link: 'serving', source: 'alertmanager' });
    expect(opened!.incident_id).toMatch(new RegExp(`^alertmanager:[0-9a-f]{16}:${Date.parse(startsAt)}$`));
    expect(fromDateTime64(opened!.opened_at)).toBe(Date.parse(startsAt));

    // the same alert with an end in the past: Alertmanager resolves it and notifies
    const endsAt = new Date(Date.now() - 1_000).toISOString();
    await fetch(`${amUrl}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ ...alert, startsAt, endsAt }]) });
    await waitFor(async () => (await incidents())[0]?.resolved_at !== null, 60_000, `the incident resolved (Alertmanager: ${stderr})`);
    const [resolved] = await incidents();
    expect(resolved!.incident_id).toBe(opened!.incident_id);
    expect(fromDateTime64(resolved!.resolved_at!)).toBe(Date.parse(endsAt));
    expect(await incidents()).toHaveLength(1);
  }, 180_000);
});
