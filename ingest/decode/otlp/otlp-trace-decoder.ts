import type { SluiceEvent } from '../../../schema/events/v1/signal.ts';
import type { DecodedItem, Decoder } from '../decoder.ts';
import type { OtlpDecodeResult } from './otlp-decode-result.ts';
import type { OtlpProtobufCodec } from './otlp-protobuf-codec.ts';
import type { OtlpResourceSpans, OtlpSpan, OtlpTraceRequest } from './otlp-request.ts';
import { jsonBytes, listOf, readOtlpRequest, type OtlpEncoding } from './otlp-request-reader.ts';
import { resourceOrigin, scopeOrigin } from './otlp-resource.ts';
import { mapOtlpSpan } from './otlp-span-mapper.ts';

/** `otlp_json` needs nothing more; `otlp_proto` needs the protobuf codec. */
export type OtlpDecoderOptions =
  | { encoding: 'otlp_json' }
  | { encoding: 'otlp_proto'; protobuf: OtlpProtobufCodec };

/**
 * Decodes `ExportTraceServiceRequest` messages, as the OpenTelemetry Collector's Kafka
 * exporter writes them (`otlp_proto` or `otlp_json`), into `SpanV1` events. One message
 * holds many spans; a span that cannot be mapped or fails the contract is rejected alone
 * (`invalid_otlp` / `schema_violation`, its `raw` the span re-encoded as an OTLP/JSON
 * request with its resource and scope), its siblings go on.
 */
export class OtlpTraceDecoder implements Decoder {
  readonly signal = 'spans' as const;
  readonly encoding: OtlpEncoding;
  readonly #decodeProtobuf: ((bytes: Uint8Array) => OtlpTraceRequest) | undefined;

  constructor(options: OtlpDecoderOptions) {
    this.encoding = options.encoding;
    const codec = options.encoding === 'otlp_proto' ? options.protobuf : undefined;
    this.#decodeProtobuf = codec ? (bytes) => codec.decodeTraceRequest(bytes) : undefined;
  }

  decode(bytes: Uint8Array): DecodedItem[] {
    const result = this.decodeRequest(bytes);
    return result.ok ? result.items : [result.item];
  }

  decodeRequest(bytes: Uint8Array): OtlpDecodeResult {
    const read = readOtlpRequest(bytes, this.encoding, this.#decodeProtobuf, 'resourceSpans');
    if (!read.ok) return { ok: false, item: { ok: false, signal: 'spans', reason: read.reason, detail: read.detail, raw: bytes } };
    const items: DecodedItem[] = [];
    let rejected = 0;
    for (const resourceSpans of listOf<OtlpResourceSpans>(read.request.resourceSpans)) {
      if (resourceSpans === null || typeof resourceSpans !== 'object') continue;
      const origin = resourceOrigin(resourceSpans.resource);
      for (const scopeSpans of listOf<NonNullable<OtlpResourceSpans['scopeSpans']>[number]>(resourceSpans.scopeSpans)) {
        if (scopeSpans === null || typeof scopeSpans !== 'object') continue;
        const scoped = scopeOrigin(origin, scopeSpans.scope);
        for (const span of listOf<OtlpSpan>(scopeSpans.spans)) {
          const mapped = mapOtlpSpan(span, scoped);
          if (mapped.ok) {
            items.push({ ok: true, value: { signal: 'spans', event: mapped.event } as SluiceEvent });
            continue;
          }
          rejected += 1;
          const single = { resourceSpans: [{ resource: resourceSpans.resource, scopeSpans: [{ scope: scopeSpans.scope, spans: [span] }] }] };
          items.push({ ok: false, signal: 'spans', reason: mapped.reason, detail: mapped.detail, raw: jsonBytes(single) });
        }
      }
    }
    return { ok: true, items, rejected };
  }
}
