import { MAX_STRUCTURE_DEPTH } from '../../../schema/events/v1/input-limits.ts';
import type { DeadLetterReason } from '../decoder.ts';
import { decodeUtf8 } from '../strict-utf8.ts';

/** How an OTLP topic (or HTTP request) is encoded; the Collector's Kafka exporter names. */
export const OTLP_ENCODINGS = ['otlp_proto', 'otlp_json'] as const;
export type OtlpEncoding = (typeof OTLP_ENCODINGS)[number];

/** A whole message that could not be read as an export request. */
export interface OtlpMessageFailure {
  ok: false;
  reason: Extract<DeadLetterReason, 'invalid_utf8' | 'invalid_json' | 'not_an_object' | 'invalid_protobuf' | 'invalid_otlp' | 'too_deep'>;
  detail: string;
}

/**
 * Reads one export request: OTLP/JSON with `JSON.parse` (after strict UTF-8 decoding: one
 * invalid byte fails the message as `invalid_utf8`), OTLP/protobuf with the codec. A
 * protobuf message nested so deep that decoding it overflows the stack (thousands of
 * levels; decoding recurses) is `too_deep` as a whole. `listKey` (`resourceSpans` /
 * `resourceLogs`) must be absent or an array.
 */
export function readOtlpRequest<Request extends object>(
  bytes: Uint8Array,
  encoding: OtlpEncoding,
  decodeProtobuf: ((bytes: Uint8Array) => Request) | undefined,
  listKey: string,
): { ok: true; request: Request } | OtlpMessageFailure {
  let request: unknown;
  if (encoding === 'otlp_json') {
    const text = decodeUtf8(bytes);
    if (!text.ok) return { ok: false, reason: 'invalid_utf8', detail: text.detail };
    try {
      request = JSON.parse(text.text);
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
      if (isStackOverflow(err)) return { ok: false, reason: 'too_deep', detail: `protobuf message nested too deep to decode (${err.message})` };
      return { ok: false, reason: 'invalid_protobuf', detail: (err as Error).message };
    }
  }
  const list = (request as Record<string, unknown>)[listKey];
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    return { ok: false, reason: 'invalid_otlp', detail: `${listKey}: expected an array` };
  }
  return { ok: true, request: request as Request };
}

/** V8's "Maximum call stack size exceeded". */
function isStackOverflow(err: unknown): err is RangeError {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

const utf8Encoder = new TextEncoder();

/**
 * JSON bytes of a value: the dead-letter `raw` of one item re-encoded as OTLP/JSON.
 * Containers nested deeper than MAX_STRUCTURE_DEPTH (1,024) levels are written as the text
 * `…[nested deeper than 1024 levels]` (`JSON.stringify` recurses, and such an item is
 * rejected as `too_deep` for that very nesting).
 */
export function jsonBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(JSON.stringify(pruneDeep(value, MAX_STRUCTURE_DEPTH + 8)));
}

/** A copy of `value` without containers deeper than `maxDepth` levels; copied iteratively. */
function pruneDeep(value: unknown, maxDepth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  const copyOf = (source: object): Record<string | number, unknown> => (Array.isArray(source) ? (new Array(source.length) as unknown as Record<number, unknown>) : {});
  const root = copyOf(value);
  const stack: { source: object; target: Record<string | number, unknown>; depth: number }[] = [{ source: value, target: root, depth: 1 }];
  while (stack.length > 0) {
    const { source, target, depth } = stack.pop()!;
    for (const key of Object.keys(source)) {
      const child = (source as Record<string, unknown>)[key];
      let copy: unknown = child;
      if (child !== null && typeof child === 'object') {
        if (depth >= maxDepth) {
          copy = `…[nested deeper than ${MAX_STRUCTURE_DEPTH} levels]`;
        } else {
          copy = copyOf(child);
          stack.push({ source: child, target: copy as Record<string | number, unknown>, depth: depth + 1 });
        }
      }
      // defineProperty: a `__proto__` key stays a plain key, as JSON.parse made it
      Object.defineProperty(target, key, { value: copy, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

/** An array field of an OTLP message, or empty when absent or malformed. */
export function listOf<Item>(value: unknown): readonly Item[] {
  return Array.isArray(value) ? (value as Item[]) : [];
}
