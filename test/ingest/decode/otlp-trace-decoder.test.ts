import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import type { DecodedItem } from '../../../ingest/decode/decoder.ts';
import { OtlpTraceDecoder } from '../../../ingest/decode/otlp/otlp-trace-decoder.ts';
import type { SpanV1 } from '../../../schema/events/v1/span.ts';
import { protobufCodec } from './otlp-protobuf-codec-fixture.ts';
import { sdkSpans, T0_MS } from './otlp-sdk-fixture.ts';

const CHECKOUT = { 'service.name': 'checkout', 'service.version': '1.4.2', 'deployment.environment.name': 'staging', 'cloud.region': 'eu-west-1' };

const suites = [
  { encoding: 'otlp_json', serialize: (spans: ReadableSpan[]) => JsonTraceSerializer.serializeRequest(spans)!, decoder: new OtlpTraceDecoder({ encoding: 'otlp_json' }) },
  {
    encoding: 'otlp_proto',
    serialize: (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans)!,
    decoder: new OtlpTraceDecoder({ encoding: 'otlp_proto', protobuf: protobufCodec }),
  },
] as const;

function spansOf(items: DecodedItem[]): SpanV1[] {
  return items.flatMap((item) => (item.ok && item.value.signal === 'spans' ? [item.value.event] : []));
}

for (const suite of suites) {
  const decoder = suite.decoder;
  describe(`OtlpTraceDecoder (${suite.encoding}, bytes from the OTel JS serializer)`, () => {
    const decode = async (...batches: ReadableSpan[][]) => decoder.decode(suite.serialize(batches.flat()));

    it('maps a server span: resource, ids, times, route, status code, attributes', async () => {
      const [server, child] = await sdkSpans(CHECKOUT, [
        {
          name: 'GET /orders/{id}',
          kind: SpanKind.SERVER,
          startNs: 1_500_000,
          endNs: 14_250_500,
          attributes: { 'http.route': '/orders/{id}', 'http.response.status_code': 200, 'http.request.method': 'GET', retries: 2, tags: ['a', 'b'], cached: false },
        },
        { name: 'load order', kind: SpanKind.INTERNAL, startNs: 2_000_000, endNs: 3_000_000, parent: 0 },
      ]);
      const items = await decode([server!, child!]);
      expect(items.every((i) => i.ok)).toBe(true);
      const [event, internal] = spansOf(items);
      expect(event).toEqual({
        service: 'checkout',
        environment: 'staging',
        version: '1.4.2',
        traceId: server!.spanContext().traceId,
        spanId: server!.spanContext().spanId,
        operation: 'GET /orders/{id}',
        route: '/orders/{id}',
        kind: 'server',
        startTimeMs: T0_MS + 1,
        durationMs: 12.7505,
        status: 'ok',
        httpStatusCode: 200,
        attributes: {
          'cloud.region': 'eu-west-1',
          'http.request.method': 'GET',
          retries: '2',
          tags: '["a","b"]',
          cached: 'false',
          'otel.scope.name': 'sluice-test',
          'otel.scope.version': '1.0.0',
        },
      });
      expect(event!.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(internal).toMatchObject({ kind: 'internal', parentSpanId: server!.spanContext().spanId, traceId: event!.traceId, durationMs: 1 });
    });

    it('maps error status, older attribute names and the deprecated environment key', async () => {
      const spans = await sdkSpans({ 'service.name': 'legacy', 'deployment.environment': 'production-eu' }, [
        {
          name: 'POST /pay',
          kind: SpanKind.SERVER,
          endNs: 5_000_000,
          status: { code: SpanStatusCode.ERROR, message: 'card declined' },
          attributes: { 'http.status_code': 502, 'http.route': '/pay' },
        },
      ]);
      const [event] = spansOf(await decode(spans));
      expect(event).toMatchObject({ service: 'legacy', environment: 'production-eu', version: 'unknown', status: 'error', httpStatusCode: 502, route: '/pay' });
      expect(event!.attributes).toMatchObject({ 'otel.status_description': 'card declined' });
      expect(event!.attributes).not.toHaveProperty('http.status_code');
    });

    it('maps client spans to dependencies: service.peer.name, else peer.service, else server.address', async () => {
      const spans = await sdkSpans(CHECKOUT, [
        { name: 'pay', kind: SpanKind.CLIENT, endNs: 1_000, attributes: { 'service.peer.name': 'payments-v2', 'peer.service': 'payments', 'server.address': 'payments.internal' } },
        { name: 'charge', kind: SpanKind.CLIENT, endNs: 1_000, attributes: { 'peer.service': 'payments', 'server.address': 'payments.internal' } },
        { name: 'GET', kind: SpanKind.CLIENT, endNs: 1_000, attributes: { 'server.address': 'inventory.internal' } },
        { name: 'publish', kind: SpanKind.PRODUCER, endNs: 1_000, attributes: { 'peer.service': 'kafka', 'service.peer.name': 'kafka' } },
        { name: 'consume', kind: SpanKind.CONSUMER, endNs: 1_000 },
      ]);
      const events = spansOf(await decode(spans));
      expect(events.map((e) => [e.kind, e.peerService])).toEqual([
        ['client', 'payments-v2'],
        ['client', 'payments'],
        ['client', 'inventory.internal'],
        ['producer', undefined],
        ['consumer', undefined],
      ]);
      expect(events[0]!.attributes).toMatchObject({ 'server.address': 'payments.internal' });
      expect(events[0]!.attributes).not.toHaveProperty('service.peer.name');
      expect(events[0]!.attributes).not.toHaveProperty('peer.service');
      expect(events[3]!.attributes).toMatchObject({ 'peer.service': 'kafka', 'service.peer.name': 'kafka' });
    });

    it('counts an error span whose status code is 0 (unset): no httpStatusCode, status error', async () => {
      const spans = await sdkSpans(CHECKOUT, [
        { name: 'POST /pay', kind: SpanKind.SERVER, endNs: 1_000, status: { code: SpanStatusCode.ERROR }, attributes: { 'http.response.status_code': 0 } },
      ]);
      const items = await decode(spans);
      expect(items).toMatchObject([{ ok: true, value: { event: { status: 'error' } } }]);
      expect(spansOf(items)[0]!.httpStatusCode).toBeUndefined();
    });

    it('accepts a span whose name and route are over 1,024 characters, cut with a marker and reported', async () => {
      const spans = await sdkSpans(CHECKOUT, [
        { name: 'n'.repeat(5_000), kind: SpanKind.SERVER, endNs: 1_000, status: { code: SpanStatusCode.ERROR }, attributes: { 'http.route': `/${'r'.repeat(2_000)}` } },
      ]);
      const [event] = spansOf(await decode(spans));
      expect(event).toMatchObject({ status: 'error', truncated: ['operation', 'route'] });
      expect(event!.operation).toMatch(/^n+…\[truncated from 5000 chars\]$/);
      expect(event!.route).toMatch(/…\[truncated from 2001 chars\]$/);
    });

    it('rejects a span whose resource has no service.name alone, with its own bytes', async () => {
      const good = await sdkSpans(CHECKOUT, [{ name: 'a', kind: SpanKind.SERVER, endNs: 1_000 }, { name: 'b', kind: SpanKind.SERVER, endNs: 1_000 }]);
      const orphan = await sdkSpans({ 'deployment.environment.name': 'staging' }, [{ name: 'nameless', kind: SpanKind.SERVER, endNs: 1_000 }]);
      const items = await decode(good, orphan);
      expect(items).toHaveLength(3);
      expect(spansOf(items).map((e) => e.operation).sort()).toEqual(['a', 'b']);
      const rejected = items.filter((i) => !i.ok);
      expect(rejected).toEqual([
        { ok: false, signal: 'spans', reason: 'invalid_otlp', detail: 'resource has no service.name attribute', raw: expect.any(Uint8Array) },
      ]);
      const raw = JSON.parse(new TextDecoder().decode((rejected[0] as { raw: Uint8Array }).raw));
      expect(raw.resourceSpans).toHaveLength(1);
      expect(raw.resourceSpans[0].scopeSpans[0].spans).toHaveLength(1);
      expect(raw.resourceSpans[0].scopeSpans[0].spans[0]).toMatchObject({ name: 'nameless', spanId: orphan[0]!.spanContext().spanId });
      // the dead-letter raw is itself an OTLP/JSON request: it decodes to the same rejection
      expect(new OtlpTraceDecoder({ encoding: 'otlp_json' }).decode((rejected[0] as { raw: Uint8Array }).raw)[0]).toMatchObject({ reason: 'invalid_otlp' });
    });

    it('rejects a span that fails the contract as schema_violation, its siblings go on', async () => {
      const spans = await sdkSpans(CHECKOUT, [
        { name: 'ok', kind: SpanKind.SERVER, endNs: 1_000 },
        { name: 'teapot', kind: SpanKind.SERVER, endNs: 1_000, attributes: { 'http.response.status_code': 999 } },
      ]);
      const items = await decode(spans);
      expect(items.filter((i) => i.ok)).toHaveLength(1);
      expect(items.find((i) => !i.ok)).toMatchObject({ reason: 'schema_violation', detail: expect.stringContaining('httpStatusCode') });
    });

    it('rejects a whole message that does not decode', () => {
      const bytes = suite.encoding === 'otlp_json' ? new TextEncoder().encode('{"resourceSpans": [') : Uint8Array.of(0x0a, 0xff, 0xff, 0x01);
      expect(decoder.decode(bytes)).toEqual([
        { ok: false, signal: 'spans', reason: suite.encoding === 'otlp_json' ? 'invalid_json' : 'invalid_protobuf', detail: expect.any(String), raw: bytes },
      ]);
    });

    it('decodes a request with no spans to no items; one of zero bytes (protobuf) is empty_message', () => {
      const bytes = suite.serialize([]);
      expect(decoder.decode(bytes)).toEqual(bytes.byteLength === 0 ? [expect.objectContaining({ reason: 'empty_message' })] : []);
      expect(decoder.decode(new TextEncoder().encode('{"resourceSpans":[]}'.slice(0, suite.encoding === 'otlp_json' ? undefined : 0)))).toEqual(
        suite.encoding === 'otlp_json' ? [] : [expect.objectContaining({ reason: 'empty_message' })],
      );
    });
  });
}

describe('OtlpTraceDecoder (otlp_json, OTLP/JSON variants other producers write)', () => {
  const decoder = new OtlpTraceDecoder({ encoding: 'otlp_json' });
  const request = (span: object, resource: object = { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] }) =>
    new TextEncoder().encode(JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ spans: [span] }] }] }));
  const span = {
    traceId: '5B8EFFF798038103D269B633813FC60C',
    spanId: 'EEE19B7EC3C1B174',
    parentSpanId: '',
    name: 'GET /',
    kind: 'SPAN_KIND_SERVER',
    startTimeUnixNano: '1768471200000000000',
    endTimeUnixNano: '1768471200000250000',
    status: { code: 'STATUS_CODE_ERROR' },
    attributes: [
      { key: 'http.response.status_code', value: { intValue: '503' } },
      { key: 'big', value: { intValue: '9007199254740993' } },
      { key: 'ratio', value: { doubleValue: 0.25 } },
      { key: 'labels', value: { kvlistValue: { values: [{ key: 'a', value: { stringValue: 'x' } }] } } },
    ],
  };

  it.each([
    ['enum names, int64 as strings, upper-case hex ids', span, { kind: 'server', status: 'error', httpStatusCode: 503, durationMs: 0.25, traceId: '5b8efff798038103d269b633813fc60c' }],
    ['unspecified kind counts as internal', { ...span, kind: 0 }, { kind: 'internal' }],
  ])('%s', (_name, input, expected) => {
    const [item] = decoder.decode(request(input));
    expect(item).toMatchObject({ ok: true, value: { signal: 'spans', event: expected } });
  });

  it('keeps NaN and ±Infinity doubles as their text, also inside arrays and kvlists', () => {
    const attributes = [
      { key: 'nan', value: { doubleValue: 'NaN' } },
      { key: 'inf', value: { doubleValue: 'Infinity' } },
      { key: 'ninf', value: { doubleValue: '-Infinity' } },
      { key: 'list', value: { arrayValue: { values: [{ doubleValue: 'NaN' }, { doubleValue: 1.5 }] } } },
      { key: 'map', value: { kvlistValue: { values: [{ key: 'x', value: { doubleValue: '-Infinity' } }] } } },
    ];
    const [item] = decoder.decode(request({ ...span, attributes }));
    expect(item!.ok && item!.value.event.attributes).toEqual({ nan: 'NaN', inf: 'Infinity', ninf: '-Infinity', list: '["NaN",1.5]', map: '{"x":"-Infinity"}' });
  });

  it('keeps int64 digits and stringifies structured attribute values', () => {
    const [item] = decoder.decode(request(span));
    expect(item!.ok && item!.value.event.attributes).toEqual({ big: '9007199254740993', ratio: '0.25', labels: '{"a":"x"}' });
  });

  it.each([
    ['a span without start time', { ...span, startTimeUnixNano: undefined }, 'invalid_otlp', 'startTimeUnixNano'],
    ['a span ending before it starts', { ...span, endTimeUnixNano: '1768471199000000000' }, 'schema_violation', 'durationMs'],
    ['a span with an 8-byte trace id', { ...span, traceId: 'eee19b7ec3c1b174' }, 'schema_violation', 'traceId'],
    ['a span with an unknown kind', { ...span, kind: 9 }, 'invalid_otlp', 'kind'],
  ])('rejects %s', (_name, input, reason, inDetail) => {
    expect(decoder.decode(request(input))).toEqual([
      { ok: false, signal: 'spans', reason, detail: expect.stringContaining(inDetail), raw: expect.any(Uint8Array) },
    ]);
  });

  it.each([
    ['an array', '[]', 'not_an_object'],
    ['resourceSpans that is not a list', '{"resourceSpans": {}}', 'invalid_otlp'],
    ['bytes that are not UTF-8', '\uFFFD', 'invalid_utf8'],
  ])('rejects a message that is %s as a whole', (_name, text, reason) => {
    const bytes = reason === 'invalid_utf8' ? Uint8Array.of(0xc3, 0x28) : new TextEncoder().encode(text);
    expect(decoder.decode(bytes)).toEqual([{ ok: false, signal: 'spans', reason, detail: expect.any(String), raw: bytes }]);
  });
});
