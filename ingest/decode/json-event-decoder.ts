import { SIGNAL_SCHEMAS, type Signal, type SluiceEvent } from '../../schema/events/v1/signal.ts';
import { contractRejection } from './contract-rejection.ts';
import { guardDecode } from './decode-guard.ts';
import type { DecodedItem, Decoder } from './decoder.ts';
import { decodeUtf8 } from './strict-utf8.ts';

/**
 * Decodes one sluice JSON contract (v1) object per message, validated by its zod schema:
 * `empty_message`, `invalid_utf8` (with the byte offset), `invalid_json`, `not_an_object`,
 * then the contract's own reasons (`too_deep`, `invalid_utf8`, `schema_violation`).
 */
export class JsonEventDecoder implements Decoder {
  readonly signal: Signal;
  readonly encoding = 'json';

  constructor(signal: Signal) {
    this.signal = signal;
  }

  decode(bytes: Uint8Array): DecodedItem[] {
    return guardDecode(this.signal, bytes, () => [this.#decodeMessage(bytes)]);
  }

  #decodeMessage(bytes: Uint8Array): DecodedItem {
    const text = decodeUtf8(bytes);
    if (!text.ok) return { ok: false, signal: this.signal, reason: 'invalid_utf8', detail: text.detail, raw: bytes };
    let value: unknown;
    try {
      value = JSON.parse(text.text);
    } catch (err) {
      return { ok: false, signal: this.signal, reason: 'invalid_json', detail: (err as Error).message, raw: bytes };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
      return { ok: false, signal: this.signal, reason: 'not_an_object', detail: `expected a JSON object, got ${kind}`, raw: bytes };
    }
    const result = SIGNAL_SCHEMAS[this.signal].safeParse(value);
    if (!result.success) return { ok: false, signal: this.signal, ...contractRejection(result.error), raw: bytes };
    return { ok: true, value: { signal: this.signal, event: result.data } as SluiceEvent };
  }
}
