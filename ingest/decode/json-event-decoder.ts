import { formatIssues } from '../../schema/events/v1/attributes.ts';
import { SIGNAL_SCHEMAS, type Signal, type SluiceEvent } from '../../schema/events/v1/signal.ts';
import type { DecodedItem, Decoder } from './decoder.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes one sluice JSON contract (v1) object per message, validated by its zod schema. */
export class JsonEventDecoder implements Decoder {
  readonly signal: Signal;
  readonly encoding = 'json';

  constructor(signal: Signal) {
    this.signal = signal;
  }

  decode(bytes: Uint8Array): DecodedItem[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8.decode(bytes));
    } catch (err) {
      return [{ ok: false, signal: this.signal, reason: 'invalid_json', detail: (err as Error).message, raw: bytes }];
    }
    return [this.validate(parsed, bytes)];
  }

  /** Validates an already-parsed value (the HTTP NDJSON endpoint parses lines itself). */
  validate(value: unknown, raw: Uint8Array): DecodedItem {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
      return { ok: false, signal: this.signal, reason: 'not_an_object', detail: `expected a JSON object, got ${kind}`, raw };
    }
    const result = SIGNAL_SCHEMAS[this.signal].safeParse(value);
    if (!result.success) {
      return { ok: false, signal: this.signal, reason: 'schema_violation', detail: formatIssues(result.error), raw };
    }
    return { ok: true, value: { signal: this.signal, event: result.data } as SluiceEvent };
  }
}
