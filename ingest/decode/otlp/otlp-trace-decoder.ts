import type { DecodedItem, Decoder } from '../decoder.ts';
import type { OtlpDecodeResult } from './otlp-decode-result.ts';
import type { OtlpProtobufCodec } from './otlp-protobuf-codec.ts';
import type { OtlpSpan, OtlpTraceRequest } from './otlp-request.ts';
import type { OtlpEncoding } from './otlp-request-reader.ts';
import { decodeOtlpBatch, type OtlpSignalShape } from './otlp-batch-walker.ts';
import { mapOtlpSpan } from './otlp-span-mapper.ts';


const SHAPE: OtlpSignalShape<OtlpSpan> = { signal: 'spans', resourceKey: 'resourceSpans', scopeKey: 'scopeSpans', itemKey: 'spans', map: mapOtlpSpan };
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
    return decodeOtlpBatch(bytes, this.encoding, this.#decodeProtobuf, SHAPE);
  }
}
