import type { DecodedItem, Decoder } from '../decoder.ts';
import type { OtlpDecodeResult } from './otlp-decode-result.ts';

/** A decoder of one OTLP signal that can also answer with the whole-request result. */
export interface OtlpRequestDecoder extends Decoder {
  decodeRequest(bytes: Uint8Array): OtlpDecodeResult;
}

/**
 * An OTLP topic that may carry both traces and logs: the OpenTelemetry Collector's Kafka
 * exporter writes every signal to one topic when one `topic` is set for all its pipelines
 * (open-telemetry/opentelemetry-collector-contrib#35432). Each message is read as the
 * topic's own signal first; only when that yields no valid item is it read as the other
 * signal, and the reading with valid items wins. So a logs export on the spans topic is
 * ingested as logs instead of every message being dead-lettered; a message neither
 * reading understands keeps the own signal's dead letters.
 */
export class OtlpEitherSignalDecoder implements Decoder {
  readonly signal: Decoder['signal'];
  readonly encoding: string;
  private readonly own: OtlpRequestDecoder;
  private readonly other: OtlpRequestDecoder;
  /** Messages read as the other signal (for logs and metrics). */
  otherSignalMessages = 0;

  constructor(own: OtlpRequestDecoder, other: OtlpRequestDecoder) {
    this.own = own;
    this.other = other;
    this.signal = own.signal;
    this.encoding = own.encoding;
  }

  decode(bytes: Uint8Array): DecodedItem[] {
    const first = this.own.decodeRequest(bytes);
    if (first.ok && first.items.some((i) => i.ok)) return first.items;
    const second = this.other.decodeRequest(bytes);
    if (second.ok && second.items.some((i) => i.ok)) {
      this.otherSignalMessages++;
      return second.items;
    }
    return first.ok ? first.items : [first.item];
  }
}
