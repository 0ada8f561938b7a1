import type { ClickHouseClient } from '@clickhouse/client';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { rollupTotals } from '../../../engine/adapters/clickhouse-rollup-loader.ts';
import { SliEngine } from '../../../engine/adapters/sli-engine.ts';
import { startKafkaIngest } from '../../../ingest/kafka/start-kafka-ingest.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { sdkLogRecords, sdkSpans, type SpanSpec } from '../decode/otlp-sdk-fixture.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { countRows, kafkaIt, migratedDatabase, testKafka, uniqueName, waitFor } from '../../support/test-services.ts';

const ENCODINGS = [
  { encoding: 'otlp_proto', traces: ProtobufTraceSerializer, logs: ProtobufLogsSerializer },
  { encoding: 'otlp_json', traces: JsonTraceSerializer, logs: JsonLogsSerializer },
] as const;

const errorLogSlo = (service: string) => [
  'apiVersion: sluice/v1', 'kind: SLO', `metadata: { name: ${service}-error-logs }`, 'spec:', `  service: ${service}`, '  environment: production',
  '  tier: standard', '  indicator: { kind: errorLogRatio }', '  objectives: [{ target: 0.95 }]', '  timeWindow: [{ duration: 28d, isRolling: true }]', '',
].join('\n');

describe('OTLP from Kafka, as the OpenTelemetry Collector writes it', () => {
  let client: ClickHouseClient;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    ({ client } = await migratedDatabase('otlp'));
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await client?.close();
  });

  for (const { encoding, traces, logs } of ENCODINGS) {
    kafkaIt(`${encoding}: spans and logs from the OTel JS SDK become exact SLI counts; a span without service.name is dead-lettered alone`, async (brokers) => {
      const service = uniqueName('otelshop').replace(/_/g, '-');
      const kafka = testKafka(brokers);
      const spansTopic = uniqueName('otlp_spans');
      const logsTopic = uniqueName('otlp_logs');
      const engine = await SliEngine.start({
        clickhouse: client, logger: silentLogger(), allowedLatenessMs: 120_000,
        sloDir: sloDirectory({ 'a.yaml': availabilitySloYaml(`${service}-availability`, service, { minEvents: 1 }), 'b.yaml': errorLogSlo(service) }),
      });
      cleanups.push(() => engine.stop());
      const ingest = await startKafkaIngest({
        brokers, clientId: uniqueName('w'), groupId: uniqueName('g'), deadLetterTopic: `${spansTopic}.dlq`,
        routes: [{ topic: spansTopic, signal: 'spans', encoding }, { topic: logsTopic, signal: 'logs', encoding }],
        clickhouse: client, logger: silentLogger(), batchMaxRows: 1_000, batchMaxDelayMs: 300, maxMessageBytes: 1_048_576,
        participants: [engine.participant],
      });
      cleanups.push(() => ingest.stop());

      const base = Math.floor(Date.now() / 1000) * 1000 - 120_000;
      const resource = { 'service.name': service, 'service.version': '3.1.0', 'deployment.environment.name': 'production' };
      // 5 messages × (18 server spans, 2 of them errors, + 2 client spans to a dependency)
      const messages: Uint8Array[] = [];
      let good = 0;
      for (let m = 0; m < 5; m++) {
        const specs: SpanSpec[] = Array.from({ length: 20 }, (_, i) => {
          const client = i >= 18;
          const error = !client && i % 9 === 0;
          if (!client && !error) good++;
          return {
            name: client ? 'GET payments' : 'GET /orders/{id}',
            kind: client ? SpanKind.CLIENT : SpanKind.SERVER,
            attributes: client ? { 'peer.service': 'payments' } : { 'http.route': '/orders/{id}', 'http.response.status_code': error ? 503 : 200 },
            ...(error ? { status: { code: SpanStatusCode.ERROR } } : {}),
            startNs: (m * 20 + i) * 1e6,
            endNs: (m * 20 + i) * 1e6 + 25e6,
          };
        });
        const spans = await sdkSpans(resource, specs, base);
        // the last message also carries a span of a resource with no service.name
        if (m === 4) spans.push(...(await sdkSpans({ 'service.version': '9.9.9' }, [{ name: 'orphan', kind: SpanKind.SERVER, endNs: 5e6 }], base)));
        messages.push(traces.serializeRequest(spans)!);
      }
      const logRecords = await sdkLogRecords(resource, Array.from({ length: 20 }, (_, i) => ({
        body: i % 5 === 0 ? 'payment failed' : 'ok', severityNumber: i % 5 === 0 ? 17 : 9, severityText: i % 5 === 0 ? 'ERROR' : 'INFO', timeNs: i * 1e6,
      })), base);

      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: spansTopic, messages: messages.map((value) => ({ value: Buffer.from(value) })) });
      await producer.send({ topic: logsTopic, messages: [{ value: Buffer.from(logs.serializeRequest(logRecords)!) }] });
      await producer.disconnect();

      await waitFor(async () => {
        const totals = await rollupTotals(client);
        return totals.get(`${service}-availability`)?.total === 90 && totals.get(`${service}-error-logs`)?.total === 20;
      }, 60_000, 'SLI counts');
      const totals = await rollupTotals(client);
      expect(totals.get(`${service}-availability`)).toEqual({ good, total: 90 });
      expect(totals.get(`${service}-error-logs`)).toEqual({ good: 16, total: 20 });
      await waitFor(async () => (await countRows(client, 'SELECT count() FROM dead_letters WHERE source = {t:String}', { t: spansTopic })) === 1, 30_000, 'dead letter');
      const [dead] = await (await client.query({ query: 'SELECT reason, detail FROM dead_letters WHERE source = {t:String}', query_params: { t: spansTopic }, format: 'JSONEachRow' })).json<{ reason: string; detail: string }>();
      expect(dead!.reason).toBe('invalid_otlp');
      expect(dead!.detail).toMatch(/service\.name/);
      // the siblings of the orphan span in the same message were all ingested: 100 spans stored
      expect(await countRows(client, 'SELECT count() FROM spans_raw WHERE source = {t:String}', { t: spansTopic })).toBe(100);
      expect(await countRows(client, "SELECT count() FROM spans_raw WHERE source = {t:String} AND kind = 'client' AND peer_service = 'payments'", { t: spansTopic })).toBe(10);
    });
  }
});
