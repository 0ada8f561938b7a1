import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClusterApi } from '../../../api/cli/cluster-modes.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { sloDirectory } from '../../support/slo-files.ts';
import { createTopics, kafkaIt, migratedDatabase, services, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const CLI = fileURLToPath(new URL('../../../bin/sluice.ts', import.meta.url));
const MIN = 60_000;

const SLO_YAML = [
  'apiVersion: sluice/v1',
  'kind: SLO',
  'metadata: { name: shop-availability, labels: { team: storefront } }',
  'spec:',
  '  service: shop',
  '  environment: production',
  '  tier: critical',
  '  indicator: { kind: availability }',
  '  objectives: [{ target: 0.999 }]',
  '  timeWindow: [{ duration: 28d, isRolling: true }]',
  '  minEvents: 100',
  '',
].join('\n');

type Breach = { transition: { slo: string; from: string; to: string; rule: string | null; basis: string; at: number }; service: string; environment: string; team: string | null; severity: string | null };

async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * Cluster mode on the real broker, as deployed: a `sluice ingest` child process consumes
 * spans and judges the SLO, publishing transitions to the breach topic; a `sluice api` child
 * process, which judges nothing, serves a graphql-ws subscription from that topic (its own
 * consumer group, latest offset) and produces CI's deploy reports to the deploys topic.
 */
describe('cluster: a breach judged by `sluice ingest` reaches a `sluice api` subscriber over the breach topic', () => {
  let client: ClickHouseClient;
  let database: string;
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    ({ client, database } = await migratedDatabase('cluster_breaches'));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    for (const child of children) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    await client?.close();
  });

  function start(command: 'ingest' | 'api', env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string } {
    const child = spawn(process.execPath, [CLI, command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-8_000)));
    children.push(child);
    return { child, stdout: () => out, stderr: () => err };
  }

  kafkaIt('pushes BREACHED with team and page severity to the WebSocket subscriber; deploy reports reach the deploys table through the topic', async (brokers) => {
    const kafka = testKafka(brokers);
    const t = (name: string) => uniqueName(name);
    const topics = {
      SLUICE_TOPIC_SPANS: t('spans'), SLUICE_TOPIC_LOGS: t('logs'), SLUICE_TOPIC_CHECKS: t('checks'), SLUICE_TOPIC_DEPLOYS: t('deploys'),
      SLUICE_TOPIC_INCIDENTS: t('incidents'), SLUICE_TOPIC_DEADLETTER: t('dlq'), SLUICE_TOPIC_SLI_DELTAS: t('deltas'), SLUICE_TOPIC_BREACHES: t('breaches'),
      SLUICE_TOPIC_ROLLBACKS: t('rollbacks'),
    };
    await createTopics(kafka, [topics.SLUICE_TOPIC_SPANS, topics.SLUICE_TOPIC_LOGS, topics.SLUICE_TOPIC_CHECKS, topics.SLUICE_TOPIC_DEPLOYS, topics.SLUICE_TOPIC_INCIDENTS, topics.SLUICE_TOPIC_BREACHES].map((topic) => ({ topic, numPartitions: 1 })));
    const common = {
      ...topics, KAFKA_BROKERS: brokers.join(','), KAFKA_GROUP_ID: uniqueName('g'),
      CLICKHOUSE_URL: services().clickhouseUrl, CLICKHOUSE_PASSWORD: services().clickhousePassword, CLICKHOUSE_DATABASE: database,
      SLUICE_HTTP_PORT: '0', LOG_LEVEL: 'warn',
    };
    const ingest = start('ingest', {
      ...common, SLUICE_SLO_DIR: sloDirectory({ 'shop.yaml': SLO_YAML }), SLUICE_SLI_DELTA_PARTITIONS: '1',
      SLUICE_ALLOWED_LATENESS_MS: '2000', SLUICE_IDLE_SOURCE_MS: '1000', SLUICE_BATCH_MAX_DELAY_MS: '200',
    });
    const api = start('api', { ...common, SLUICE_AUTH: 'off' });
    await waitFor(() => /GraphQL at (http:\/\/[^\s]+)\/graphql/.test(api.stdout()) || api.child.exitCode !== null, 60_000, 'sluice api listening');
    const url = /GraphQL at (http:\/\/[^\s]+)\/graphql/.exec(api.stdout())?.[1];
    if (!url) throw new Error(`sluice api did not start: ${api.stderr()}`);

    // the dashboard subscribes before anything breaks
    const ws = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    cleanups.push(async () => ws.dispose());
    const received: Breach[] = [];
    ws.subscribe<{ breaches: Breach }>(
      { query: 'subscription { breaches(team: ["storefront"], service: ["shop"]) { transition { slo from to rule basis at } service environment team severity } }' },
      { next: (m) => void received.push(m.data!.breaches), error: (e) => console.error('[cluster-breaches] subscription error', e), complete: () => undefined },
    );
    await waitFor(async () => (await graphql<{ health: { subscriptions: { subscribers: number } } }>(url, '{ health { subscriptions { available subscribers } } }')).data?.health.subscriptions.subscribers === 1, 20_000, 'subscription open');

    // ten minutes of healthy traffic, then a minute of failures
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const now = Date.now();
    const good = Array.from({ length: 600 }, (_, i) => spanJson(i, { service: 'shop', startTimeMs: now - 10 * MIN + i * 1_000 }));
    await producer.send({ topic: topics.SLUICE_TOPIC_SPANS, messages: good.map((s) => ({ value: JSON.stringify(s) })) });
    const errorsFrom = now - MIN;
    const bad = Array.from({ length: 100 }, (_, i) => spanJson(1_000 + i, { service: 'shop', error: true, startTimeMs: errorsFrom + i * 100 }));
    await producer.send({ topic: topics.SLUICE_TOPIC_SPANS, messages: bad.map((s) => ({ value: JSON.stringify(s) })) });

    // judged at the first minute boundary after the failures, once the watermark passes it (≤ about a minute)
    await waitFor(() => received.some((b) => b.transition.to === 'BREACHED') || ingest.child.exitCode !== null, 110_000, 'BREACHED pushed over the breach topic');
    if (ingest.child.exitCode !== null) throw new Error(`sluice ingest exited: ${ingest.stderr()}`);
    const breach = received.find((b) => b.transition.to === 'BREACHED')!;
    expect(breach).toMatchObject({ service: 'shop', environment: 'production', team: 'storefront', severity: 'page', transition: { slo: 'shop-availability', basis: 'event-time', rule: expect.stringMatching(/^page-/) } });
    expect(breach.transition.at % MIN).toBe(0);
    expect(breach.transition.at).toBeGreaterThan(errorsFrom);
    // only breaches: the UNKNOWN→OK before them was not pushed to this subscription
    expect(received.every((b) => b.transition.to === 'BREACHED' || b.transition.to === 'WARNING')).toBe(true);
    const history = await graphql<{ breachHistory: { edges: { node: { transition: { to: string } } }[] } }>(url, '{ breachHistory(filter: {slo: ["shop-availability"], status: [BREACHED]}) { edges { node { transition { to } } } } }');
    expect(history.data!.breachHistory.edges.map((e) => e.node.transition.to)).toContain('BREACHED');

    // CI reports a deploy: produced to the deploys topic, written by the ingest worker
    const deploy = { deployId: uniqueName('d'), service: 'shop', version: '2.0.0', commitSha: 'abcdef1234', commitTimeMs: now - 3_600_000, startedAtMs: now - 120_000 };
    const startedReport = await graphql<{ reportDeployStarted: { destination: string; phase: string } }>(url, 'mutation($input: DeployStartedInput!) { reportDeployStarted(input: $input) { destination phase } }', { input: deploy });
    expect(startedReport.data?.reportDeployStarted).toEqual({ destination: `kafka:${topics.SLUICE_TOPIC_DEPLOYS}`, phase: 'started' });
    const stored = async () => (await (await client.query({
      query: 'SELECT status, finished_at FROM deploys FINAL WHERE deploy_id = {id:String}', query_params: { id: deploy.deployId }, format: 'JSONEachRow',
    })).json<{ status: string; finished_at: string | null }>())[0];
    await waitFor(async () => (await stored()) !== undefined, 30_000, 'started deploy stored');
    expect((await stored())!.finished_at).toBeNull();
    const finishedReport = await graphql(url, 'mutation($input: DeployFinishedInput!) { reportDeployFinished(input: $input) { phase status } }', { input: { ...deploy, status: 'failed', finishedAtMs: now - 60_000 } });
    expect(finishedReport.errors).toBeUndefined();
    await waitFor(async () => (await stored())?.status === 'failed', 30_000, 'finished deploy replaces the started one');
    expect((await stored())!.finished_at).not.toBeNull();
  }, 240_000);
});

describe('`sluice api` without Kafka', () => {
  let client: ClickHouseClient;
  let database: string;
  beforeAll(async () => {
    ({ client, database } = await migratedDatabase('api_no_kafka'));
  });
  afterAll(async () => client?.close());

  it('says why subscriptions and deploy reports are unavailable; queries and build metrics still work', async () => {
    const config = parseConfig(['--port', '0', '--auth', 'off', '--clickhouse-url', services().clickhouseUrl, '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', database], {});
    const api = await runClusterApi(config, silentLogger());
    try {
      const health = await graphql<{ health: { subscriptions: { available: boolean } } }>(api.url, '{ health { subscriptions { available } } }');
      expect(health.data!.health.subscriptions.available).toBe(false);
      const ws = createClient({ url: `${api.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
      // a subscribe resolver's refusal comes as a result with errors, then complete
      const refusal = await new Promise<unknown>((resolve) => ws.subscribe({ query: 'subscription { breaches { severity } }' }, { next: (r) => resolve(r.errors), error: resolve, complete: () => resolve(undefined) }));
      await ws.dispose();
      expect(refusal).toEqual([expect.objectContaining({ message: expect.stringMatching(/KAFKA_BROKERS/), extensions: { code: 'UNAVAILABLE' } })]);
      const report = await graphql(api.url, 'mutation($input: DeployStartedInput!) { reportDeployStarted(input: $input) { phase } }', {
        input: { deployId: 'd-1', service: 'shop', version: '1', commitSha: 'abcdef1', commitTimeMs: Date.now() - 60_000, startedAtMs: Date.now() - 1_000 },
      });
      expect(report.errors?.[0]).toMatchObject({ extensions: { code: 'UNAVAILABLE' }, message: expect.stringMatching(/no KAFKA_BROKERS.*deploys topic/) });
      const build = await graphql(api.url, 'mutation { reportBuildMetrics(input: {service: "shop", version: "1", testCoverage: 0.75}) { testCoverage } }');
      expect(build).toEqual({ data: { reportBuildMetrics: { testCoverage: 0.75 } } });
    } finally {
      await api.stop();
    }
  });
});
