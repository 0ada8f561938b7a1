import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { DecodedItem, Decoder } from '../../../ingest/decode/decoder.ts';
import { OtlpLogDecoder } from '../../../ingest/decode/otlp/otlp-log-decoder.ts';
import type { OtlpEncoding } from '../../../ingest/decode/otlp/otlp-request-reader.ts';
import { OtlpTraceDecoder } from '../../../ingest/decode/otlp/otlp-trace-decoder.ts';
import { protobufCodec } from './otlp-protobuf-codec-fixture.ts';
import {
  logsRequest,
  nestedKvlist,
  otlpLogRecord,
  otlpSpan,
  requestBytes,
  serviceResource,
  traceRequest,
  wireTraceRequest,
} from './otlp-request-fixture.ts';
import { sdkSpans } from './otlp-sdk-fixture.ts';
import { keyValue, nestedKvlistAnyValue, stringField } from './protobuf-wire-writer.ts';

const ENCODINGS: OtlpEncoding[] = ['otlp_json', 'otlp_proto'];

function decoderFor(signal: 'spans' | 'logs', encoding: OtlpEncoding): Decoder {
  const options = encoding === 'otlp_proto' ? { encoding, protobuf: protobufCodec } : { encoding };
  return signal === 'spans' ? new OtlpTraceDecoder(options) : new OtlpLogDecoder(options);
}

const outcomes = (items: DecodedItem[]) => items.map((i) => (i.ok ? 'ok' : i.reason));

/** A request of two items of `signal`, the first one carrying `attributes`. */
function twoItems(signal: 'spans' | 'logs', attributes: object[], resource?: object) {
  return signal === 'spans'
    ? traceRequest([otlpSpan({ attributes }), otlpSpan({ spanId: 'eee19b7ec3c1b175' })], resource)
    : logsRequest([otlpLogRecord({ attributes }), otlpLogRecord()], resource);
}

/** Replaces the ASCII marker `XX` in protobuf bytes by an invalid UTF-8 sequence of the same length. */
function withInvalidUtf8(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const at = Buffer.from(copy).indexOf('XX');
  if (at < 0) throw new Error('marker XX not found');
  copy.set([0xc3, 0x28], at);
  return copy;
}

describe.each(['spans', 'logs'] as const)('OTLP %s: messages that are hostile or broken', (signal) => {
  describe.each(ENCODINGS)('%s', (encoding) => {
    const decoder = decoderFor(signal, encoding);

    it('dead-letters a zero-length message as empty_message', () => {
      const bytes = new Uint8Array(0);
      expect(decoder.decode(bytes)).toEqual([{ ok: false, signal, reason: 'empty_message', detail: 'message has no bytes', raw: bytes }]);
    });

    it('dead-letters an item whose attribute nests 65 kvlists as too_deep alone; 64 are stored', () => {
      const items = decoder.decode(requestBytes(signal, encoding, twoItems(signal, [{ key: 'deep', value: nestedKvlist(65) }])));
      expect(outcomes(items)).toEqual(['too_deep', 'ok']);
      expect(items[0]).toMatchObject({ detail: expect.stringMatching(/^attributes\.0\.value.*: nests deeper than 64 levels/) });
      const [kept] = decoder.decode(requestBytes(signal, encoding, twoItems(signal, [{ key: 'deep', value: nestedKvlist(64) }])));
      expect(kept).toMatchObject({ ok: true });
    });

    it('dead-letters every item under a resource whose attribute nests too deep, with its own raw', () => {
      const resource = serviceResource('api', [{ key: 'deep', value: nestedKvlist(100) }]);
      const items = decoder.decode(requestBytes(signal, encoding, twoItems(signal, [], resource)));
      expect(outcomes(items)).toEqual(['too_deep', 'too_deep']);
      expect(items[0]).toMatchObject({ detail: expect.stringMatching(/^resource\.attributes\.1\.value/) });
      const raw = JSON.parse(Buffer.from((items[0] as { raw: Uint8Array }).raw).toString());
      const [resourceKey, scopeKey, itemKey] = signal === 'spans' ? ['resourceSpans', 'scopeSpans', 'spans'] : ['resourceLogs', 'scopeLogs', 'logRecords'];
      expect(raw[resourceKey!][0][scopeKey!][0][itemKey!]).toHaveLength(1);
    });

    it('dead-letters an item whose text is not well-formed Unicode as invalid_utf8 alone', () => {
      const items = decoder.decode(requestBytes(signal, encoding, twoItems(signal, [{ key: 'note', value: { stringValue: 'a\ud800b' } }])));
      expect(outcomes(items)).toEqual(['invalid_utf8', 'ok']);
      expect(items[0]).toMatchObject({ detail: expect.stringMatching(/^attributes\.0\.value\.stringValue: /) });
    });
  });

  it('otlp_json: dead-letters a message with invalid UTF-8 bytes as invalid_utf8, with the byte offset', () => {
    const text = Buffer.from(JSON.stringify(twoItems(signal, [{ key: 'note', value: { stringValue: 'XX' } }])));
    const bytes = withInvalidUtf8(text);
    expect(decoderFor(signal, 'otlp_json').decode(bytes)).toEqual([
      { ok: false, signal, reason: 'invalid_utf8', detail: expect.stringContaining(`byte ${text.indexOf('XX')}`), raw: bytes },
    ]);
  });

  it('otlp_proto: dead-letters the item with invalid UTF-8 in a string field as invalid_utf8 alone, its siblings go on', () => {
    const bytes = withInvalidUtf8(requestBytes(signal, 'otlp_proto', twoItems(signal, [{ key: 'note', value: { stringValue: 'XX' } }])));
    const items = decoderFor(signal, 'otlp_proto').decode(bytes);
    expect(outcomes(items)).toEqual(['invalid_utf8', 'ok']);
    expect(items[0]).toMatchObject({ detail: expect.stringContaining('attributes.0.value.stringValue') });
  });

  it('otlp_proto: dead-letters every item under a resource with invalid UTF-8', () => {
    const resource = serviceResource('api', [{ key: 'host.name', value: { stringValue: 'XX' } }]);
    const items = decoderFor(signal, 'otlp_proto').decode(withInvalidUtf8(requestBytes(signal, 'otlp_proto', twoItems(signal, [], resource))));
    expect(outcomes(items)).toEqual(['invalid_utf8', 'invalid_utf8']);
  });
});

describe('OTLP nesting far beyond the limit', () => {
  it('otlp_json: 10,000 kvlists deep is too_deep for its span alone', () => {
    // JSON.stringify cannot write this: build the text by hand
    const deep = '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(10_000) + '{"stringValue":"x"}' + '}]}}'.repeat(10_000);
    const request = JSON.stringify(traceRequest([otlpSpan({ attributes: [{ key: 'deep', value: { stringValue: '@' } }] }), otlpSpan()]));
    const bytes = new TextEncoder().encode(request.replace('{"stringValue":"@"}', deep));
    expect(outcomes(decoderFor('spans', 'otlp_json').decode(bytes))).toEqual(['too_deep', 'ok']);
  });

  it('otlp_json: an unknown field nested 100,000 arrays deep is too_deep for its span alone', () => {
    const request = JSON.stringify(traceRequest([otlpSpan({ junk: '@' }), otlpSpan()]));
    const bytes = new TextEncoder().encode(request.replace('"@"', '['.repeat(100_000) + ']'.repeat(100_000)));
    const items = decoderFor('spans', 'otlp_json').decode(bytes);
    expect(outcomes(items)).toEqual(['too_deep', 'ok']);
    expect(items[0]).toMatchObject({ detail: expect.stringMatching(/^junk: nests deeper than 1024 levels/) });
  });

  it('otlp_proto: 1,000 kvlists deep is too_deep for its span alone', () => {
    const bytes = wireTraceRequest([[keyValue('deep', nestedKvlistAnyValue(1_000))], [keyValue('a', stringField(1, 'b'))]]);
    expect(outcomes(decoderFor('spans', 'otlp_proto').decode(bytes))).toEqual(['too_deep', 'ok']);
  });

  it('otlp_proto: 10,000 kvlists deep (more than protobuf decoding can recurse through) is too_deep for the whole message', () => {
    const bytes = wireTraceRequest([[keyValue('deep', nestedKvlistAnyValue(10_000))], []]);
    expect(decoderFor('spans', 'otlp_proto').decode(bytes)).toEqual([
      { ok: false, signal: 'spans', reason: 'too_deep', detail: expect.stringContaining('nested too deep to decode'), raw: bytes },
    ]);
  });
});

describe('OTLP from the OpenTelemetry SDK: invalid UTF-8 in the span name', () => {
  it.each([
    ['otlp_proto', (s: Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0]) => ProtobufTraceSerializer.serializeRequest(s)!],
    ['otlp_json', (s: Parameters<typeof JsonTraceSerializer.serializeRequest>[0]) => JsonTraceSerializer.serializeRequest(s)!],
  ] as const)('%s: one rule — invalid UTF-8 is dead-lettered, never rewritten to U+FFFD', async (encoding, serialize) => {
    const spans = await sdkSpans({ 'service.name': 'checkout' }, [{ name: 'bad-XX', kind: SpanKind.SERVER, endNs: 1_000 }, { name: 'good', kind: SpanKind.SERVER, endNs: 1_000 }]);
    const items = decoderFor('spans', encoding).decode(withInvalidUtf8(serialize(spans)));
    expect(items.some((i) => i.ok && i.value.signal === 'spans' && i.value.event.operation.includes('\uFFFD'))).toBe(false);
    expect(outcomes(items)).toEqual(encoding === 'otlp_proto' ? ['invalid_utf8', 'ok'] : ['invalid_utf8']);
  });
});
