import { describe, expect, it } from 'vitest';
import { createOtlpDecoder } from '../../../ingest/decode/otlp/otlp-decoder-factory.ts';
import type { OtlpProtobufCodec } from '../../../ingest/decode/otlp/otlp-protobuf-codec.ts';

const codec = {} as OtlpProtobufCodec;

describe('createOtlpDecoder', () => {
  it.each([
    ['spans', 'otlp_json', undefined],
    ['spans', 'otlp_proto', codec],
    ['logs', 'otlp_json', undefined],
    ['logs', 'otlp_proto', codec],
  ] as const)('builds the %s decoder for %s', (signal, encoding, protobuf) => {
    const decoder = createOtlpDecoder(signal, encoding, protobuf);
    expect([decoder.signal, decoder.encoding]).toEqual([signal, encoding]);
  });

  it('refuses otlp_proto without a codec, naming the signal', () => {
    expect(() => createOtlpDecoder('logs', 'otlp_proto')).toThrow(/otlp_proto.*logs/);
  });
});
