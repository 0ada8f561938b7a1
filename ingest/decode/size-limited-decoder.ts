import type { Signal } from '../../schema/events/v1/signal.ts';
import type { DecodedItem, Decoder } from './decoder.ts';

/** Rejects inputs larger than `maxBytes` as `oversized` before decoding them. */
export class SizeLimitedDecoder implements Decoder {
  readonly signal: Signal;
  readonly encoding: string;
  private readonly inner: Decoder;
  private readonly maxBytes: number;

  constructor(inner: Decoder, maxBytes: number) {
    this.inner = inner;
    this.signal = inner.signal;
    this.encoding = inner.encoding;
    this.maxBytes = maxBytes;
  }

  decode(bytes: Uint8Array): DecodedItem[] {
    if (bytes.byteLength > this.maxBytes) {
      return [{
        ok: false,
        signal: this.signal,
        reason: 'oversized',
        detail: `message is ${bytes.byteLength} bytes, limit is ${this.maxBytes} (SLUICE_MAX_MESSAGE_BYTES)`,
        raw: bytes,
      }];
    }
    return this.inner.decode(bytes);
  }
}
