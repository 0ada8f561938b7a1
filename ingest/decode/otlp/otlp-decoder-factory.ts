import { SluiceError } from '../../../platform/errors/sluice-error.ts';
import { OtlpLogDecoder } from './otlp-log-decoder.ts';
import type { OtlpProtobufCodec } from './otlp-protobuf-codec.ts';
import type { OtlpEncoding } from './otlp-request-reader.ts';
import { OtlpTraceDecoder } from './otlp-trace-decoder.ts';

/** The OTLP signals sluice reads. */
export type OtlpSignal = 'spans' | 'logs';

/**
 * The decoder for one OTLP topic, from its configured signal and encoding. `protobuf` is
 * required for `otlp_proto`; asking for it without a codec is a configuration error.
 */
export function createOtlpDecoder(
  signal: OtlpSignal,
  encoding: OtlpEncoding,
  protobuf?: OtlpProtobufCodec,
): OtlpTraceDecoder | OtlpLogDecoder {
  if (encoding === 'otlp_proto' && protobuf === undefined) {
    throw new SluiceError('config_invalid', `encoding "otlp_proto" for ${signal} needs an OTLP protobuf codec`);
  }
  const options = encoding === 'otlp_proto' ? { encoding, protobuf: protobuf! } : { encoding };
  return signal === 'spans' ? new OtlpTraceDecoder(options) : new OtlpLogDecoder(options);
}
