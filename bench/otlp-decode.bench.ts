/**
 * OTLP decode throughput: spans/s through OtlpTraceDecoder (decode + map + zod validation)
 * for export requests of 100 spans, as the OTel JS SDK serializer writes them.
 *
 *   node_modules/.bin/node bench/otlp-decode.bench.ts
 *
 * The otlp_proto row uses the production codec (ingest/decode/otlp/otlp-proto-definitions.ts).
 */
import { SpanKind } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { Decoder } from '../ingest/decode/decoder.ts';
import { OtlpTraceDecoder } from '../ingest/decode/otlp/otlp-trace-decoder.ts';
import { protobufCodec } from '../test/ingest/decode/otlp-protobuf-codec-fixture.ts';
import { sdkSpans, type SpanSpec } from '../test/ingest/decode/otlp-sdk-fixture.ts';

const SPANS_PER_BATCH = 100;
const BATCHES = 20;
/** Wall time each measured row runs for, ms. */
const MEASURE_MS = 2_000;
const WARMUP_MS = 500;

const specs: SpanSpec[] = Array.from({ length: SPANS_PER_BATCH }, (_, i) => ({
  name: i % 5 === 0 ? 'SELECT orders' : 'GET /orders/{id}',
  kind: i % 5 === 0 ? SpanKind.CLIENT : SpanKind.SERVER,
  startNs: i * 1_000_000,
  endNs: i * 1_000_000 + 250_000 + i * 1_337,
  attributes: {
    'http.route': '/orders/{id}',
    'http.request.method': 'GET',
    'http.response.status_code': i % 17 === 0 ? 503 : 200,
    'url.path': `/orders/${i}`,
    'server.address': 'orders.internal',
    'peer.service': 'postgres',
    'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
  },
}));
const resource = { 'service.name': 'orders', 'service.version': '3.2.1', 'deployment.environment.name': 'production', 'host.name': 'node-7', 'k8s.pod.name': 'orders-7f9c' };

const batches = await Promise.all(Array.from({ length: BATCHES }, () => sdkSpans(resource, specs)));

interface Row { encoding: string; decoder: Decoder; messages: Uint8Array[] }
const rows: Row[] = [
  {
    encoding: 'otlp_proto',
    decoder: new OtlpTraceDecoder({ encoding: 'otlp_proto', protobuf: protobufCodec }),
    messages: batches.map((b) => ProtobufTraceSerializer.serializeRequest(b)!),
  },
  { encoding: 'otlp_json', decoder: new OtlpTraceDecoder({ encoding: 'otlp_json' }), messages: batches.map((b) => JsonTraceSerializer.serializeRequest(b)!) },
];

function run(decoder: Decoder, messages: Uint8Array[], ms: number): { spans: number; seconds: number } {
  let spans = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let i = 0;
  do {
    const items = decoder.decode(messages[i++ % messages.length]!);
    if (items.length !== SPANS_PER_BATCH || !items[0]!.ok) throw new Error('benchmark input did not decode');
    spans += items.length;
  } while (process.hrtime.bigint() < deadline);
  return { spans, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

console.log(`OTLP trace decode, ${SPANS_PER_BATCH} spans/message, ${MEASURE_MS} ms per row, node ${process.version}\n`);
console.log('| encoding   | bytes/message | spans/s   | µs/message |');
console.log('| ---------- | ------------- | --------- | ---------- |');
for (const row of rows) {
  const bytes = Math.round(row.messages.reduce((n, m) => n + m.byteLength, 0) / row.messages.length);
  run(row.decoder, row.messages, WARMUP_MS);
  const { spans, seconds } = run(row.decoder, row.messages, MEASURE_MS);
  const perSecond = spans / seconds;
  const usPerMessage = (1e6 * SPANS_PER_BATCH) / perSecond;
  console.log(`| ${row.encoding.padEnd(10)} | ${String(bytes).padStart(13)} | ${Math.round(perSecond).toLocaleString('en').padStart(9)} | ${usPerMessage.toFixed(0).padStart(10)} |`);
}
