import type { OtlpProtobufCodec } from '../../../ingest/decode/otlp/otlp-protobuf-codec.ts';
import { otlpProtobufCodec } from '../../../ingest/decode/otlp/otlp-proto-definitions.ts';

/** The production OTLP protobuf codec (OpenTelemetry's generated opentelemetry-proto code). */
export const protobufCodec: OtlpProtobufCodec = otlpProtobufCodec();
