import type { Signal } from '../../schema/events/v1/signal.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { Decoder } from './decoder.ts';
import { JsonEventDecoder } from './json-event-decoder.ts';
import { createOtlpDecoder } from './otlp/otlp-decoder-factory.ts';
import { otlpProtobufCodec } from './otlp/otlp-proto-definitions.ts';
import { SizeLimitedDecoder } from './size-limited-decoder.ts';
import { OtlpEitherSignalDecoder } from './otlp/otlp-either-signal-decoder.ts';

export type Encoding = 'json' | 'otlp_proto' | 'otlp_json';

/**
 * Which decoder reads a topic: sluice's JSON contracts for every signal; OTLP, as the
 * OpenTelemetry Collector's Kafka exporter writes it (`otlp_proto` by default, or
 * `otlp_json`), for spans and logs — reading the other of the two as well when a message
 * holds it (one topic for both: OtlpEitherSignalDecoder).
 */
export function createDecoder(signal: Signal, encoding: Encoding, maxMessageBytes: number): Decoder {
  let decoder: Decoder;
  if (encoding === 'json') decoder = new JsonEventDecoder(signal);
  else if (signal === 'spans' || signal === 'logs') {
    // an OTLP topic may carry the other signal too (the Collector's one-topic mode)
    const codec = encoding === 'otlp_proto' ? otlpProtobufCodec() : undefined;
    decoder = new OtlpEitherSignalDecoder(createOtlpDecoder(signal, encoding, codec), createOtlpDecoder(signal === 'spans' ? 'logs' : 'spans', encoding, codec));
  } else throw new SluiceError('CONFIG_INVALID', `encoding ${encoding} is not supported for ${signal}: OTLP carries spans and logs only (use json)`);
  return new SizeLimitedDecoder(decoder, maxMessageBytes);
}
