import { createRequire } from 'node:module';
import type { OtlpEncoding } from '../../../ingest/decode/otlp/otlp-request-reader.ts';
import { bytesField, concat, fixed64Field, keyValue, stringField, varintField } from './protobuf-wire-writer.ts';

/**
 * Hand-made OTLP export requests for the cases the OpenTelemetry SDK will not produce
 * (NaN doubles, kvlists nested 100 deep, lone surrogates): built in their OTLP/JSON form,
 * and encoded as protobuf by the same generated opentelemetry-proto code sluice decodes with.
 */

type Message = { fromObject(o: object): object; encode(m: object): { finish(): Uint8Array } };
const collector = (createRequire(import.meta.url)('otlp-transformer-protos/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: Record<'trace' | 'logs', { v1: Record<string, Message> }> } };
}).opentelemetry.proto.collector;

/** 2026-01-15T10:00:00Z in unix nanoseconds, as OTLP/JSON writes it. */
export const T0_NANOS = '1768471200000000000';

export const serviceResource = (service = 'api', extra: object[] = []) => ({
  attributes: [{ key: 'service.name', value: { stringValue: service } }, ...extra],
});

export function otlpSpan(overrides: object = {}): Record<string, unknown> {
  return {
    traceId: '5b8efff798038103d269b633813fc60c',
    spanId: 'eee19b7ec3c1b174',
    name: 'GET /',
    kind: 2,
    startTimeUnixNano: T0_NANOS,
    endTimeUnixNano: '1768471200000250000',
    ...overrides,
  };
}

export function otlpLogRecord(overrides: object = {}): Record<string, unknown> {
  return { timeUnixNano: T0_NANOS, severityNumber: 9, body: { stringValue: 'hello' }, ...overrides };
}

export const traceRequest = (spans: object[], resource: object = serviceResource()) => ({ resourceSpans: [{ resource, scopeSpans: [{ spans }] }] });
export const logsRequest = (logRecords: object[], resource: object = serviceResource()) => ({ resourceLogs: [{ resource, scopeLogs: [{ logRecords }] }] });

/** An AnyValue nesting `levels` kvlists around a string, OTLP/JSON form. */
export function nestedKvlist(levels: number, leaf = 'leaf'): object {
  let value: object = { stringValue: leaf };
  for (let i = 0; i < levels; i++) value = { kvlistValue: { values: [{ key: 'k', value }] } };
  return value;
}

const base64Ids = (item: Record<string, unknown>) => {
  for (const key of ['traceId', 'spanId', 'parentSpanId']) {
    if (typeof item[key] === 'string') item[key] = Buffer.from(item[key], 'hex').toString('base64');
  }
};

/** The bytes of an OTLP/JSON-form request in `encoding` (hex ids become protobuf bytes). */
export function requestBytes(signal: 'spans' | 'logs', encoding: OtlpEncoding, request: object): Uint8Array {
  if (encoding === 'otlp_json') return new TextEncoder().encode(JSON.stringify(request));
  const copy = structuredClone(request) as Record<string, { [k: string]: { [k: string]: Record<string, unknown>[] }[] }[]>;
  const [resourceKey, scopeKey, itemKey] = signal === 'spans' ? ['resourceSpans', 'scopeSpans', 'spans'] : ['resourceLogs', 'scopeLogs', 'logRecords'];
  for (const resource of copy[resourceKey!] ?? []) for (const scope of resource[scopeKey!] ?? []) for (const item of scope[itemKey!] ?? []) base64Ids(item);
  const type = signal === 'spans' ? collector.trace.v1.ExportTraceServiceRequest! : collector.logs.v1.ExportLogsServiceRequest!;
  return type.encode(type.fromObject(copy)).finish();
}

/**
 * An export request's bytes, written field by field: one resource (`service.name` api), one
 * scope, and one item per entry of `itemAttributes` (each a list of KeyValue bodies): server
 * spans, or log records with a body. For nesting deeper than protobufjs can encode (its
 * encoder recurses) and for fields of the wrong wire type (`extraFields`, appended raw).
 */
export function wireRequest(signal: 'spans' | 'logs', itemAttributes: Uint8Array[][], extraFields: Uint8Array = new Uint8Array(0)): Uint8Array {
  const items = itemAttributes.map((attributes, i) =>
    bytesField(2, signal === 'spans'
      ? concat(
        bytesField(1, Buffer.from('5b8efff798038103d269b633813fc60c', 'hex')),
        bytesField(2, Buffer.from(`eee19b7ec3c1b17${i % 10}`, 'hex')),
        stringField(5, `span-${i}`),
        varintField(6, 2),
        fixed64Field(7, BigInt(T0_NANOS)),
        fixed64Field(8, BigInt(T0_NANOS) + 250_000n),
        ...attributes.map((kv) => bytesField(9, kv)),
        extraFields,
      )
      : concat(
        fixed64Field(1, BigInt(T0_NANOS)),
        varintField(2, 9),
        bytesField(5, stringField(1, `record-${i}`)),
        ...attributes.map((kv) => bytesField(6, kv)),
        extraFields,
      )));
  const resource = bytesField(1, bytesField(1, keyValue('service.name', stringField(1, 'api'))));
  return bytesField(1, concat(resource, bytesField(2, concat(...items))));
}

/** {@link wireRequest} of spans. */
export function wireTraceRequest(spanAttributes: Uint8Array[][]): Uint8Array {
  return wireRequest('spans', spanAttributes);
}
