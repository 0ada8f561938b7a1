import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import type { DecodedItem } from '../../../ingest/decode/decoder.ts';
import { OtlpLogDecoder } from '../../../ingest/decode/otlp/otlp-log-decoder.ts';
import type { LogRecordV1 } from '../../../schema/events/v1/log-record.ts';
import { protobufCodec } from './otlp-protobuf-codec-fixture.ts';
import { sdkLogRecords, T0_MS } from './otlp-sdk-fixture.ts';

const CHECKOUT = { 'service.name': 'checkout', 'service.version': '1.4.2', 'deployment.environment.name': 'staging' };

const suites = [
  { encoding: 'otlp_json', serialize: (r: ReadableLogRecord[]) => JsonLogsSerializer.serializeRequest(r)!, decoder: new OtlpLogDecoder({ encoding: 'otlp_json' }) },
  {
    encoding: 'otlp_proto',
    serialize: (r: ReadableLogRecord[]) => ProtobufLogsSerializer.serializeRequest(r)!,
    decoder: new OtlpLogDecoder({ encoding: 'otlp_proto', protobuf: protobufCodec }),
  },
] as const;

function logsOf(items: DecodedItem[]): LogRecordV1[] {
  return items.flatMap((item) => (item.ok && item.value.signal === 'logs' ? [item.value.event] : []));
}

for (const suite of suites) {
  const decoder = suite.decoder;
  describe(`OtlpLogDecoder (${suite.encoding}, bytes from the OTel JS serializer)`, () => {
    const decode = (...batches: ReadableLogRecord[][]) => decoder.decode(suite.serialize(batches.flat()));

    it('maps severity, body, time and attributes', async () => {
      const records = await sdkLogRecords(CHECKOUT, [
        { body: 'payment failed', severityNumber: 17, severityText: 'ERROR', timeNs: 2_500_000, attributes: { 'order.id': 'o-1', attempt: 3 } },
      ]);
      expect(logsOf(decode(records))).toEqual([
        {
          service: 'checkout',
          environment: 'staging',
          version: '1.4.2',
          timestampMs: T0_MS + 2,
          severityNumber: 17,
          severityText: 'ERROR',
          body: 'payment failed',
          attributes: { 'order.id': 'o-1', attempt: '3', 'otel.scope.name': 'sluice-test', 'otel.scope.version': '1.0.0' },
        },
      ]);
    });

    it.each([
      ['a structured body becomes its JSON text', { body: { user: 'u-1', items: [1, 2] }, severityNumber: 9 }, { body: '{"user":"u-1","items":[1,2]}', severityText: 'INFO' }],
      ['severity text alone gives the number', { body: 'x', severityText: 'WARN' }, { severityNumber: 13, severityText: 'WARN' }],
      ['severity number alone gives the text', { body: 'x', severityNumber: 21 }, { severityNumber: 21, severityText: 'FATAL' }],
      ['no body is an empty body', { severityNumber: 5 }, { body: '', severityText: 'DEBUG' }],
    ])('%s', async (_name, spec, expected) => {
      const [event] = logsOf(decode(await sdkLogRecords(CHECKOUT, [{ timeNs: 0, ...spec }])));
      expect(event).toMatchObject(expected);
    });

    it('falls back to the observed time when the record has no time', async () => {
      const records = await sdkLogRecords(CHECKOUT, [{ body: 'no time' }]);
      const observedMs = records[0]!.hrTimeObserved[0] * 1000 + Math.floor(records[0]!.hrTimeObserved[1] / 1e6);
      expect(logsOf(decode(records))[0]!.timestampMs).toBe(observedMs);
    });

    it('rejects a record whose resource has no service.name alone', async () => {
      const good = await sdkLogRecords(CHECKOUT, [{ body: 'kept', severityNumber: 9, timeNs: 0 }]);
      const orphan = await sdkLogRecords({ 'host.name': 'h1' }, [{ body: 'orphan', severityNumber: 9, timeNs: 0 }]);
      const items = decode(good, orphan);
      expect(logsOf(items).map((e) => e.body)).toEqual(['kept']);
      const rejected = items.find((i) => !i.ok) as Extract<DecodedItem, { ok: false }>;
      expect(rejected).toMatchObject({ signal: 'logs', reason: 'invalid_otlp', detail: 'resource has no service.name attribute' });
      const raw = JSON.parse(new TextDecoder().decode(rejected.raw));
      expect(raw.resourceLogs[0].scopeLogs[0].logRecords).toEqual([expect.objectContaining({ body: { stringValue: 'orphan' } })]);
    });

    it('rejects a record that fails the contract as schema_violation', async () => {
      const records = await sdkLogRecords(CHECKOUT, [{ body: 'x', severityNumber: 30, timeNs: 0 }, { body: 'fine', timeNs: 0 }]);
      const items = decode(records);
      expect(items.map((i) => (i.ok ? 'ok' : i.reason))).toEqual(['schema_violation', 'ok']);
      expect(items[0]).toMatchObject({ detail: expect.stringContaining('severityNumber') });
    });

    it('accepts a record whose body is over 64 KiB, cut with a marker and reported', async () => {
      const records = await sdkLogRecords(CHECKOUT, [{ body: 'x'.repeat(70_000), severityNumber: 17, timeNs: 0 }]);
      const [event] = logsOf(decode(records));
      expect(event).toMatchObject({ severityText: 'ERROR', truncated: ['body'] });
      expect(event!.body).toHaveLength(65_536);
      expect(event!.body.endsWith('…[truncated from 70000 chars]')).toBe(true);
    });

    it('keeps a NaN body as its text', async () => {
      const [event] = logsOf(decode(await sdkLogRecords(CHECKOUT, [{ body: Number.NaN, timeNs: 0 }])));
      expect(event!.body).toBe(suite.encoding === 'otlp_proto' ? 'NaN' : '');
    });

    it('rejects a whole message that does not decode', () => {
      const bytes = suite.encoding === 'otlp_json' ? new TextEncoder().encode('not json') : Uint8Array.of(0x0a, 0x05, 0x01);
      expect(decoder.decode(bytes)).toEqual([
        { ok: false, signal: 'logs', reason: suite.encoding === 'otlp_json' ? 'invalid_json' : 'invalid_protobuf', detail: expect.any(String), raw: bytes },
      ]);
    });
  });
}

describe('OtlpLogDecoder (otlp_json, OTLP/JSON variants other producers write)', () => {
  const decoder = new OtlpLogDecoder({ encoding: 'otlp_json' });
  const request = (record: object) =>
    new TextEncoder().encode(
      JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }, scopeLogs: [{ logRecords: [record] }] }] }),
    );

  it.each([
    ['severity as enum name', { timeUnixNano: '1768471200000000000', severityNumber: 'SEVERITY_NUMBER_ERROR3' }, { severityNumber: 19, severityText: 'ERROR' }],
    ['zero time falls back to observed', { timeUnixNano: '0', observedTimeUnixNano: '1768471200005000000' }, { timestampMs: T0_MS + 5 }],
    ['trace context as hex ids', { timeUnixNano: '1768471200000000000', traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'eee19b7ec3c1b174' }, { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' }],
    ['event name kept as attribute', { timeUnixNano: '1768471200000000000', eventName: 'session.start' }, { attributes: { 'event.name': 'session.start' } }],
  ])('%s', (_name, record, expected) => {
    expect(decoder.decode(request(record))[0]).toMatchObject({ ok: true, value: { signal: 'logs', event: expected } });
  });

  it('rejects a record with neither time nor observed time', () => {
    expect(decoder.decode(request({ body: { stringValue: 'x' } }))[0]).toMatchObject({ ok: false, reason: 'invalid_otlp' });
  });
});
