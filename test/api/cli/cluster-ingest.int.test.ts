import { afterAll, describe, expect } from 'vitest';
import { runClusterIngest } from '../../../api/cli/cluster-modes.ts';
import type { RunningCommand } from '../../../api/cli/sluice-cli.ts';
import { ClickHouseSloStateStore } from '../../../engine/adapters/clickhouse-slo-state-store.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { kafkaIt, migratedDatabase, services, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const MIN = 60_000;

describe('`sluice ingest` × 2 in cluster mode (item 3)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  kafkaIt('two ingest workers judge each SLO once: one state per SLO, every transition published once', async (brokers) => {
    const { client, database } = await migratedDatabase('cluster_ingest');
    cleanups.push(() => client.close());
    const topic = (name: string) => uniqueName(name);
    const flags = [
      '--port', '0', '--clickhouse-url', services().clickhouseUrl, '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', database,
      '--kafka-brokers', brokers.join(','), '--kafka-group-id', uniqueName('ingest'),
      '--topic-spans', topic('spans'), '--topic-logs', topic('logs'), '--topic-checks', topic('checks'), '--topic-deploys', topic('deploys'),
      '--topic-incidents', topic('incidents'), '--topic-deadletter', topic('dlq'), '--topic-breaches', topic('breaches'),
      '--topic-sli-deltas', topic('sli_deltas'), '--sli-delta-partitions', '4', '--allowed-lateness-ms', '2000', '--idle-source-ms', '1000',
      '--slo-dir', sloDirectory(Object.fromEntries(['a', 'b', 'c', 'd'].map((s) => [`${s}.yaml`, availabilitySloYaml(`${s}-availability`, s)]))),
    ];
    const config = parseConfig(flags, {});
    const workers: RunningCommand[] = [];
    for (let w = 0; w < 2; w++) {
      const worker = await runClusterIngest(config, silentLogger());
      workers.push(worker);
      cleanups.push(() => worker.stop());
    }

    const producer = testKafka(brokers).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const now = Date.now();
    // four services, 20 minutes of traffic spread over the spans topic's partitions; `d` fails half its requests for the last 6
    const spans = ['a', 'b', 'c', 'd'].flatMap((service, k) => Array.from({ length: 600 }, (_, i) => {
      const atMs = now - 20 * MIN + i * 2_000 + k * 100;
      return { key: `${service}-${i % 7}`, value: JSON.stringify(spanJson(i, { service, startTimeMs: atMs, error: service === 'd' && atMs > now - 6 * MIN && i % 2 === 0 })) };
    }));
    await producer.send({ topic: config.topicSpans, messages: spans });

    const store = new ClickHouseSloStateStore(client);
    await waitFor(async () => {
      const states = await store.list();
      return states.length === 4 && states.every((s) => (s.evaluatedThroughMs ?? 0) >= now - 2 * MIN) && states.find((s) => s.sloName === 'd-availability')?.state.status === 'BREACHED';
    }, 90_000, 'every SLO judged through the last minutes, d BREACHED');
    const rs = await client.query({
      query: `SELECT slo, from_status AS f, to_status AS t, count() AS n FROM slo_transitions WHERE basis = 'event-time' GROUP BY slo, f, t, transition_id ORDER BY slo, min(at)`,
      format: 'JSONEachRow',
    });
    const rows = (await rs.json<{ slo: string; f: string; t: string; n: string | number }>()).map((r) => `${r.slo} ${r.f}→${r.t} ×${Number(r.n)}`);
    expect(rows.filter((r) => r.startsWith('d-'))).toEqual(['d-availability UNKNOWN→OK ×1', 'd-availability OK→BREACHED ×1']);
    for (const slo of ['a', 'b', 'c']) expect(rows.filter((r) => r.startsWith(`${slo}-`))).toEqual([`${slo}-availability UNKNOWN→OK ×1`]);
  }, 180_000);
});
