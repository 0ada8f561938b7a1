import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { describe, expect } from 'vitest';
import { createKafka } from '../../../ingest/kafka/kafka-client.ts';
import { registerKafkaCodecs } from '../../../ingest/kafka/kafka-codecs.ts';
import { startKafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { ingestHealthRoutes } from '../../../api/http/ingest-health-routes.ts';
import { startHttpServer } from '../../../api/http/http-server.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { createTopics, kafkaIt, migratedDatabase, services, uniqueName, waitFor } from '../../support/test-services.ts';

/**
 * A dead consumer must not keep the process alive (issue "Intake that nothing stops",
 * item 3): a crash kafkajs will not restart reaches `onFatal` (sluice ingest then exits
 * non-zero) and health says the consumer is dead; a fatal start-up error exits non-zero
 * with a message naming the cause.
 */

const CLI = fileURLToPath(new URL('../../../bin/sluice.ts', import.meta.url));
const { CompressionCodecs, CompressionTypes } = kafkajs;

// gzip batches of this process decompress damaged (the broker refuses corrupt batches on
// produce, so the damage is done on the way in; the codec table is per process)
registerKafkaCodecs();
const codecs = CompressionCodecs as unknown as Record<number, () => { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> }>;
const gzip = codecs[CompressionTypes.GZIP]!();
codecs[CompressionTypes.GZIP] = () => ({ compress: (e) => gzip.compress(e), decompress: (b) => gzip.decompress(Buffer.from(b).fill(0x5a, 0, 32)) });

describe('a dead consumer', () => {
  kafkaIt('a batch that cannot be decompressed kills the consumer: onFatal is called and health reports it dead', async (brokers) => {
    const { client } = await migratedDatabase('fatal');
    const kafka = createKafka({ brokers, clientId: uniqueName('fatal'), logger: silentLogger() });
    const topic = uniqueName('spans_fatal');
    await createTopics(kafka, [{ topic, numPartitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: Array.from({ length: 50 }, (_, i) => ({ value: JSON.stringify(spanJson(i)) })) });
    await producer.disconnect();
    const fatal: Error[] = [];
    const ingest = await startKafkaIngest({
      brokers, clientId: uniqueName('w'), groupId: uniqueName('g'), routes: [{ topic, signal: 'spans', encoding: 'json' }], deadLetterTopic: `${topic}.dlq`,
      clickhouse: client, logger: silentLogger(), batchMaxRows: 100, batchMaxDelayMs: 100, maxMessageBytes: 65_536,
      onFatal: (err) => void fatal.push(err),
    });
    try {
      await waitFor(() => fatal.length > 0, 30_000, 'the fatal crash');
      expect(fatal[0]!.message).toMatch(/cannot decompress a gzip record batch/);
      expect(ingest.worker.health()).toMatchObject({ state: 'dead', crash: expect.stringMatching(/gzip/) });
      // what an orchestrator's probes see of a dead consumer (the routes of `sluice ingest`)
      const http = await startHttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), routes: ingestHealthRoutes({ worker: ingest.worker, metrics: ingest.metrics, clickhouse: client }) });
      try {
        const healthz = await fetch(`${http.url}/healthz`);
        expect(healthz.status).toBe(503);
        expect(await healthz.json()).toMatchObject({ status: 'dead', consumer: 'dead', crash: expect.stringMatching(/gzip/) });
        const readyz = await fetch(`${http.url}/readyz`);
        expect(readyz.status).toBe(503);
        expect(await readyz.json()).toMatchObject({ ready: false, reasons: ['consumer is dead'] });
      } finally {
        await http.close();
      }
    } finally {
      await ingest.stop();
      await client.close();
    }
  });

  kafkaIt('sluice ingest exits non-zero at start-up on a topic name Kafka refuses, naming it', async (brokers) => {
    const r = spawnSync(process.execPath, [CLI, 'ingest'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers.join(','),
        CLICKHOUSE_URL: services().clickhouseUrl,
        CLICKHOUSE_PASSWORD: services().clickhousePassword,
        CLICKHOUSE_DATABASE: uniqueName('t_fatal'),
        SLUICE_TOPIC_SPANS: 'not a valid topic!',
        SLUICE_HTTP_PORT: '0',
      },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/start-up failed/);
    expect(r.stderr).toMatch(/not a valid topic!|INVALID_TOPIC|invalid/i);
  });

  kafkaIt('sluice ingest answers /healthz and /readyz while it runs, and exits 0 on SIGTERM after a complete stop', async (brokers) => {
    const topic = uniqueName('spans_probe');
    const child = spawn(process.execPath, [CLI, 'ingest'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers.join(','),
        CLICKHOUSE_URL: services().clickhouseUrl,
        CLICKHOUSE_PASSWORD: services().clickhousePassword,
        CLICKHOUSE_DATABASE: uniqueName('t_probe'),
        KAFKA_GROUP_ID: uniqueName('g_probe'),
        SLUICE_TOPIC_SPANS: topic,
        SLUICE_TOPIC_BREACHES: `${topic}.breaches`,
        SLUICE_TOPIC_DEADLETTER: `${topic}.dlq`,
        SLUICE_TOPIC_SLI_DELTAS: `${topic}.deltas`,
        SLUICE_HTTP_PORT: '0',
        LOG_LEVEL: 'info',
      },
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => void (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => void (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      let healthUrl = '';
      await waitFor(() => {
        healthUrl = /"health":"(http:\/\/[^"]+)\/healthz"/.exec(output)?.[1] ?? '';
        return healthUrl !== '';
      }, 60_000, `the worker's health URL in its log (output so far: ${output.slice(-500)})`);
      const healthz = await fetch(`${healthUrl}/healthz`);
      expect(healthz.status).toBe(200);
      expect(await healthz.json()).toMatchObject({ status: 'alive' });
      // ready once it has joined its group and ClickHouse answers
      await waitFor(async () => (await fetch(`${healthUrl}/readyz`)).status === 200, 60_000, '/readyz 200');
      expect(await (await fetch(`${healthUrl}/readyz`)).json()).toEqual({ ready: true, reasons: [] });
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output).toMatch(/ingest stopped/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
