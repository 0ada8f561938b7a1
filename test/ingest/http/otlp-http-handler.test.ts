import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogHttpExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPTraceHttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DecodedItem } from '../../../ingest/decode/decoder.ts';
import type { OtlpProtobufCodec } from '../../../ingest/decode/otlp/otlp-protobuf-codec.ts';
import { createOtlpHttpHandler } from '../../../ingest/http/otlp-http-handler.ts';
import { protobufCodec } from '../decode/otlp-protobuf-codec-fixture.ts';
import { sdkLogRecords, sdkSpans } from '../decode/otlp-sdk-fixture.ts';

const CHECKOUT: Attributes = { 'service.name': 'checkout', 'service.version': '2.0.0', 'deployment.environment.name': 'staging' };
const MAX_BODY_BYTES = 64 * 1024;

/** A node:http server on 127.0.0.1:0 whose only handler is the OTLP one (404 otherwise). */
async function startServer(protobuf: OtlpProtobufCodec | undefined) {
  const submitted: DecodedItem[][] = [];
  const rejected: string[] = [];
  const handler = createOtlpHttpHandler({ submit: async (items) => void submitted.push(items), maxBodyBytes: MAX_BODY_BYTES, protobuf, onRejectedRequest: (reason) => void rejected.push(reason) });
  const server: Server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, submitted, rejected };
}

function exportWith<T>(exporter: { export(items: T[], done: (r: ExportResult) => void): void }, items: T[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(items, resolve));
}

const exporters = [
  {
    name: 'exporter-*-otlp-http (JSON)',
    codec: undefined,
    traces: (url: string) => new OTLPTraceHttpExporter({ url: `${url}/v1/traces` }) as SpanExporter,
    logs: (url: string) => new OTLPLogHttpExporter({ url: `${url}/v1/logs` }) as LogRecordExporter,
  },
  {
    name: 'exporter-*-otlp-http (JSON, gzip)',
    codec: undefined,
    traces: (url: string) => new OTLPTraceHttpExporter({ url: `${url}/v1/traces`, compression: 'gzip' as never }) as SpanExporter,
    logs: (url: string) => new OTLPLogHttpExporter({ url: `${url}/v1/logs`, compression: 'gzip' as never }) as LogRecordExporter,
  },
  {
    name: 'exporter-*-otlp-proto (protobuf)',
    codec: protobufCodec,
    traces: (url: string) => new OTLPTraceProtoExporter({ url: `${url}/v1/traces` }) as SpanExporter,
    logs: (url: string) => new OTLPLogProtoExporter({ url: `${url}/v1/logs` }) as LogRecordExporter,
  },
];

for (const setup of exporters) {
  describe(`OTLP/HTTP handler with the OTel JS ${setup.name}`, () => {
    let ctx: Awaited<ReturnType<typeof startServer>>;
    beforeAll(async () => {
      ctx = await startServer(setup.codec);
    });
    afterAll(() => new Promise<void>((resolve) => ctx.server.close(() => resolve())));
    beforeEach(() => {
      ctx.submitted.length = 0;
    });

    it('exports spans: every span is submitted as a SpanV1', async () => {
      const spans = await sdkSpans(CHECKOUT, [
        { name: 'GET /cart', kind: SpanKind.SERVER, endNs: 3_000_000, attributes: { 'http.route': '/cart', 'http.response.status_code': 200 } },
        { name: 'charge', kind: SpanKind.CLIENT, endNs: 1_000_000, attributes: { 'peer.service': 'payments' } },
      ]);
      const exporter = setup.traces(ctx.url);
      const result = await exportWith(exporter, spans);
      await exporter.shutdown();
      expect(result).toMatchObject({ code: 0 });
      expect(ctx.submitted).toHaveLength(1);
      expect(ctx.submitted[0]!.map((i) => i.ok && i.value.event)).toEqual([
        expect.objectContaining({ service: 'checkout', environment: 'staging', version: '2.0.0', kind: 'server', route: '/cart', httpStatusCode: 200, durationMs: 3 }),
        expect.objectContaining({ kind: 'client', peerService: 'payments', spanId: spans[1]!.spanContext().spanId }),
      ]);
    });

    it('exports a batch with a span lacking service.name: it alone is submitted as rejected', async () => {
      const good = await sdkSpans(CHECKOUT, [{ name: 'ok', kind: SpanKind.SERVER, endNs: 1_000 }]);
      const orphan = await sdkSpans({ 'host.name': 'h1' }, [{ name: 'orphan', kind: SpanKind.SERVER, endNs: 1_000 }]);
      const exporter = setup.traces(ctx.url);
      const result = await exportWith(exporter, [...good, ...orphan]);
      await exporter.shutdown();
      expect(result).toMatchObject({ code: 0 }); // partial success is still success for the exporter
      expect(ctx.submitted[0]!.map((i) => (i.ok ? 'ok' : i.reason))).toEqual(['ok', 'invalid_otlp']);
    });

    it('exports log records: every record is submitted as a LogRecordV1', async () => {
      const records = await sdkLogRecords(CHECKOUT, [
        { body: 'disk almost full', severityNumber: 13, timeNs: 0 },
        { body: { code: 'E42' }, severityText: 'ERROR', timeNs: 1_000_000 },
      ]);
      const exporter = setup.logs(ctx.url);
      const result = await exportWith(exporter, records);
      await exporter.shutdown();
      expect(result).toMatchObject({ code: 0 });
      expect(ctx.submitted[0]!.map((i) => i.ok && i.value.event)).toEqual([
        expect.objectContaining({ service: 'checkout', severityNumber: 13, severityText: 'WARN', body: 'disk almost full' }),
        expect.objectContaining({ severityNumber: 17, severityText: 'ERROR', body: '{"code":"E42"}' }),
      ]);
    });
  });
}

describe('OTLP/HTTP handler responses (OTLP/HTTP spec)', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    ctx = await startServer(protobufCodec);
  });
  afterAll(() => new Promise<void>((resolve) => ctx.server.close(() => resolve())));
  beforeEach(() => {
    ctx.submitted.length = 0;
  });

  const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
    fetch(`${ctx.url}${path}`, { method: 'POST', body, headers });

  const jsonRequest = (services: (string | undefined)[]) =>
    JSON.stringify({
      resourceSpans: services.map((service, i) => ({
        resource: { attributes: service === undefined ? [] : [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: `eee19b7ec3c1b17${i}`, name: 'op', kind: 2, startTimeUnixNano: '1768471200000000000', endTimeUnixNano: '1768471200001000000' }] }],
      })),
    });

  it('answers 200 with an empty ExportTraceServiceResponse when all spans are accepted', async () => {
    const res = await post('/v1/traces', jsonRequest(['a', 'b']), { 'Content-Type': 'application/json' });
    expect([res.status, res.headers.get('content-type'), await res.json()]).toEqual([200, 'application/json', {}]);
    expect(ctx.submitted[0]).toHaveLength(2);
  });

  it('answers 200 with partialSuccess counting the rejected spans', async () => {
    const res = await post('/v1/traces', jsonRequest(['a', undefined, undefined]), { 'Content-Type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: 2, errorMessage: '2 rejected: invalid_otlp: resource has no service.name attribute' },
    });
    expect(ctx.submitted[0]!.map((i) => i.ok)).toEqual([true, false, false]);
  });

  it('answers 200 with partialSuccess rejectedLogRecords for logs', async () => {
    const body = JSON.stringify({ resourceLogs: [{ resource: {}, scopeLogs: [{ logRecords: [{ timeUnixNano: '1768471200000000000' }] }] }] });
    const res = await post('/v1/logs', body, { 'Content-Type': 'application/json' });
    expect(await res.json()).toMatchObject({ partialSuccess: { rejectedLogRecords: 1 } });
  });

  it('accepts a gzip body', async () => {
    const res = await post('/v1/traces', gzipSync(jsonRequest(['a'])), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(ctx.submitted[0]).toHaveLength(1);
  });

  it.each([
    ['an undecodable JSON body', '/v1/traces', '{"resourceSpans": [', { 'Content-Type': 'application/json' }, 400],
    ['a JSON array', '/v1/logs', '[]', { 'Content-Type': 'application/json' }, 400],
    ['a corrupt gzip body', '/v1/traces', 'not gzip', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, 400],
    ['an unsupported content type', '/v1/traces', 'x', { 'Content-Type': 'text/plain' }, 415],
    ['an unsupported content encoding', '/v1/traces', 'x', { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' }, 415],
    ['a corrupt gzip body', '/v1/traces', Buffer.from('not gzip at all'), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, 400],
    ['a body over maxBodyBytes', '/v1/traces', 'x'.repeat(MAX_BODY_BYTES + 1), { 'Content-Type': 'application/json' }, 413],
    ['a gzip body over maxBodyBytes once inflated', '/v1/traces', gzipSync(' '.repeat(MAX_BODY_BYTES * 4)), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, 413],
  ])('answers %s with a google.rpc.Status, and counts the rejected request', async (_name, path, body, headers, status) => {
    const before = ctx.rejected.length;
    const res = await post(path, body, headers);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ code: expect.any(Number), message: expect.any(String) });
    // every whole-request rejection reaches onRejectedRequest (health.rejectedRequests) with its reason
    expect(ctx.rejected.slice(before)).toEqual([
      { 400: expect.stringMatching(/^(invalid_json|not_an_object|corrupt_body|invalid_otlp)$/), 413: 'payload_too_large', 415: expect.stringMatching(/^(unsupported_media_type|unsupported_encoding)$/) }[status],
    ]);
  });

  it('takes a zstd-compressed body (the Collector\'s OTLP/HTTP exporter sends zstd)', async () => {
    const body = zstdCompressSync(Buffer.from(JSON.stringify({ resourceSpans: [] })));
    const res = await post('/v1/traces', body, { 'Content-Type': 'application/json', 'Content-Encoding': 'zstd' });
    expect(res.status).toBe(200);
  });

  it('answers a protobuf request it cannot decode with a protobuf google.rpc.Status carrying the code and the reason', async () => {
    const res = await post('/v1/traces', Buffer.from([0xff, 0xff, 0xff]), { 'Content-Type': 'application/x-protobuf' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const body = Buffer.from(await res.arrayBuffer());
    // field 1 (code) = 3 INVALID_ARGUMENT, then field 2 (message), length-delimited
    expect([...body.subarray(0, 3)]).toEqual([0x08, 0x03, 0x12]);
    expect(body.subarray(4).toString('utf8')).toMatch(/^invalid_protobuf: /);
  });

  it('answers an empty protobuf body (a valid empty export request) with 200', async () => {
    const res = await post('/v1/traces', Buffer.alloc(0), { 'Content-Type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
  });

  it('submits an undecodable message as one rejected item, so it is dead-lettered and counted', async () => {
    await post('/v1/traces', 'nope', { 'Content-Type': 'application/json' });
    expect(ctx.submitted).toEqual([[expect.objectContaining({ ok: false, reason: 'invalid_json' })]]);
  });

  it('answers 405 to other methods on its paths, and leaves other paths alone', async () => {
    const get = await fetch(`${ctx.url}/v1/traces`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await post('/v1/metrics', '{}', { 'Content-Type': 'application/json' })).status).toBe(404);
  });

  it('answers protobuf with 415 when the handler has no protobuf codec', async () => {
    const jsonOnly = await startServer(undefined);
    try {
      const res = await fetch(`${jsonOnly.url}/v1/traces`, { method: 'POST', body: Uint8Array.of(), headers: { 'Content-Type': 'application/x-protobuf' } });
      expect(res.status).toBe(415);
    } finally {
      await new Promise<void>((resolve) => jsonOnly.server.close(() => resolve()));
    }
  });

  it('answers a protobuf request in protobuf, with partialSuccess', async () => {
    const orphan = await sdkSpans({}, [{ name: 'orphan', kind: SpanKind.SERVER, endNs: 1_000 }]);
    const { ProtobufTraceSerializer } = await import('@opentelemetry/otlp-transformer');
    const res = await post('/v1/traces', ProtobufTraceSerializer.serializeRequest(orphan)!, { 'Content-Type': 'application/x-protobuf' });
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/x-protobuf']);
    const response = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
    expect(response.partialSuccess).toMatchObject({ rejectedSpans: 1, errorMessage: expect.stringContaining('service.name') });
  });
});
