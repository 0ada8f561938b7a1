import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createDecoder } from '../../../ingest/decode/decoder-registry.ts';
import { sdkLogRecords, sdkSpans } from './otlp-sdk-fixture.ts';

const RESOURCE = { 'service.name': 'checkout', 'deployment.environment.name': 'production' };

describe.each([
  { encoding: 'otlp_proto' as const, traces: ProtobufTraceSerializer, logs: ProtobufLogsSerializer },
  { encoding: 'otlp_json' as const, traces: JsonTraceSerializer, logs: JsonLogsSerializer },
])('an OTLP topic carrying traces and logs ($encoding, the Collector\'s one-topic mode)', ({ encoding, traces, logs }) => {
  it('reads a logs export on the spans topic as logs, and spans as spans, instead of dead-lettering them', async () => {
    const decoder = createDecoder('spans', encoding, 1_048_576);
    const spanItems = decoder.decode(traces.serializeRequest(await sdkSpans(RESOURCE, [{ name: 'GET /', kind: SpanKind.SERVER, endNs: 12_000_000 }]))!);
    const logItems = decoder.decode(logs.serializeRequest(await sdkLogRecords(RESOURCE, [{ body: 'hello', severityNumber: 9, timeNs: 1_000_000 }]))!);
    expect(spanItems.map((i) => (i.ok ? i.value.signal : i.reason))).toEqual(['spans']);
    expect(logItems.map((i) => (i.ok ? i.value.signal : i.reason))).toEqual(['logs']);
  });

  it('keeps its own signal\'s dead letter for a message neither reading understands', () => {
    const items = createDecoder('logs', encoding, 1_048_576).decode(Buffer.from('garbage that is neither'));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ ok: false, signal: 'logs' });
  });
});
