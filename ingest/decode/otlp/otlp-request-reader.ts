import type { DeadLetterReason } from '../decoder.ts';

/** How an OTLP topic (or HTTP request) is encoded; the Collector's Kafka exporter names. */
export const OTLP_ENCODINGS = ['otlp_proto', 'otlp_json'] as const;
export type OtlpEncoding = (typeof OTLP_ENCODINGS)[number];

/** A whole message that could not be read as an export request. */
export interface OtlpMessageFailure {
  ok: false;
  reason: Extract<DeadLetterReason, 'invalid_json' | 'not_an_object' | 'invalid_protobuf' | 'invalid_otlp'>;
  detail: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads one export request: OTLP/JSON with `JSON.parse`, OTLP/protobuf with the codec.
 * `listKey` (`resourceSpans` / `resourceLogs`) must be absent or an array.
 */
export function readOtlpRequest<Request extends object>(
  bytes: Uint8Array,
  encoding: OtlpEncoding,
  decodeProtobuf: ((bytes: Uint8Array) => Request) | undefined,
  listKey: string,
): { ok: true; request: Request } | OtlpMessageFailure {
  let request: unknown;
  if (encoding === 'otlp_json') {
    try {
      request = JSON.parse(utf8.decode(bytes));
    } catch (err) {
      return { ok: false, reason: 'invalid_json', detail: (err as Error).message };
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      const kind = request === null ? 'null' : Array.isArray(request) ? 'array' : typeof request;
      return { ok: false, reason: 'not_an_object', detail: `expected an OTLP/JSON export request object, got ${kind}` };
    }
  } else {
    if (decodeProtobuf === undefined) return { ok: false, reason: 'invalid_protobuf', detail: 'no OTLP protobuf codec configured' };
    try {
      request = decodeProtobuf(bytes);
    } catch (err) {
      return { ok: false, reason: 'invalid_protobuf', detail: (err as Error).message };
    }
  }
  const list = (request as Record<string, unknown>)[listKey];
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    return { ok: false, reason: 'invalid_otlp', detail: `${listKey}: expected an array` };
  }
  return { ok: true, request: request as Request };
}

const utf8Encoder = new TextEncoder();

/** JSON bytes of a value: the dead-letter `raw` of one item re-encoded as OTLP/JSON. */
export function jsonBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(value));
}

/** An array field of an OTLP message, or empty when absent or malformed. */
export function listOf<Item>(value: unknown): readonly Item[] {
  return Array.isArray(value) ? (value as Item[]) : [];
}
