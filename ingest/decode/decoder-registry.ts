import type { Signal } from '../../schema/events/v1/signal.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { Decoder } from './decoder.ts';
import { JsonEventDecoder } from './json-event-decoder.ts';
import { SizeLimitedDecoder } from './size-limited-decoder.ts';

export type Encoding = 'json' | 'otlp_proto' | 'otlp_json';

type DecoderFactory = (signal: Signal) => Decoder;

/** Which decoder reads (encoding, signal). OTLP encodings exist for spans and logs only. */
const FACTORIES: Record<Encoding, Partial<Record<Signal, DecoderFactory>> | DecoderFactory> = {
  json: (signal) => new JsonEventDecoder(signal),
  otlp_proto: {},
  otlp_json: {},
};

/** Registers an extra decoder (OTLP decoders register themselves here). */
export function registerDecoder(encoding: Exclude<Encoding, 'json'>, signal: Signal, factory: DecoderFactory): void {
  (FACTORIES[encoding] as Partial<Record<Signal, DecoderFactory>>)[signal] = factory;
}

/** The decoder for a topic's (signal, encoding), limited to `maxMessageBytes`. */
export function createDecoder(signal: Signal, encoding: Encoding, maxMessageBytes: number): Decoder {
  const entry = FACTORIES[encoding];
  const factory = typeof entry === 'function' ? entry : entry[signal];
  if (!factory) {
    throw new SluiceError('CONFIG_INVALID', `encoding ${encoding} is not supported for ${signal} (supported: json${signal === 'spans' || signal === 'logs' ? ', otlp_proto, otlp_json' : ''})`);
  }
  return new SizeLimitedDecoder(factory(signal), maxMessageBytes);
}
