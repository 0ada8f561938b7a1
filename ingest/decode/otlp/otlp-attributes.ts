import { attributeValue } from '../../../schema/events/v1/attributes.ts';
import type { OtlpAnyValue, OtlpKeyValue } from './otlp-request.ts';
import { listOf } from './otlp-request-reader.ts';

/** Hostile OTLP/JSON may put null or a number where an object belongs. */
const isObject = <T>(value: T | null | undefined): value is T & object => value !== null && typeof value === 'object';

/**
 * An OTLP AnyValue as a plain JSON value: strings, booleans and doubles as themselves
 * (NaN and ±Infinity too: `attributeValue` writes them as text), int64 as a number when it
 * is a safe integer (else its decimal text, so no digit is lost), arrays as arrays, kvlists
 * as objects, bytes as their base64 text, empty as null. A field that is null (what some
 * JSON serializers write for a NaN double) counts as unset. Malformed shapes (a kvlist
 * whose `values` is not a list…) read as empty, never throw.
 *
 * Recurses once per arrayValue/kvlistValue level: the batch walker has checked that the
 * value nests at most MAX_NESTING_DEPTH (64) levels.
 */
export function plainValue(value: OtlpAnyValue | undefined): unknown {
  if (!isObject(value)) return null;
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return value.boolValue;
  if (value.intValue != null) return plainInt(value.intValue);
  if (value.doubleValue != null) return Number(value.doubleValue);
  if (value.arrayValue != null) return listOf<OtlpAnyValue>(value.arrayValue.values).map(plainValue);
  if (value.kvlistValue != null) {
    // no prototype: a `__proto__` key is a key like any other
    const out = Object.create(null) as Record<string, unknown>;
    for (const kv of listOf<OtlpKeyValue>(value.kvlistValue.values)) if (isObject(kv) && typeof kv.key === 'string') out[kv.key] = plainValue(kv.value);
    return out;
  }
  if (value.bytesValue != null) return value.bytesValue;
  return null;
}

function plainInt(int: string | number): number | string {
  const n = typeof int === 'number' ? int : Number(int);
  return Number.isSafeInteger(n) ? n : String(int);
}

/**
 * An AnyValue as sluice stores attribute values: strings as-is, everything else as its
 * JSON text (`true`, `42`, `[1,2]`, `{"a":1}`). Int64 keeps all its digits; NaN and
 * ±Infinity doubles are `NaN`, `Infinity`, `-Infinity`.
 */
export function stringValue(value: OtlpAnyValue | undefined): string {
  if (isObject(value) && value.intValue != null) return String(value.intValue);
  return attributeValue(plainValue(value));
}

/** An AnyValue holding an integer (int, or a string/double of an integer), else undefined. */
export function integerValue(value: OtlpAnyValue | undefined): number | undefined {
  if (!isObject(value)) return undefined;
  const raw = value.intValue ?? value.doubleValue ?? value.stringValue;
  if (raw === undefined || raw === null || raw === '' || typeof raw === 'object') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/** Copies OTLP attributes into `target` (later calls win on equal keys), skipping `skip`. */
export function collectAttributes(
  target: Record<string, string>,
  attributes: readonly OtlpKeyValue[] | undefined,
  skip: ReadonlySet<string>,
): void {
  for (const kv of listOf<OtlpKeyValue>(attributes)) {
    if (!isObject(kv) || typeof kv.key !== 'string' || skip.has(kv.key)) continue;
    target[kv.key] = stringValue(kv.value);
  }
}

/** The AnyValue of the first key present, in order of preference. */
export function findAttribute(attributes: readonly OtlpKeyValue[] | undefined, keys: readonly string[]): OtlpAnyValue | undefined {
  const list = listOf<OtlpKeyValue>(attributes);
  for (const key of keys) {
    for (const kv of list) if (isObject(kv) && kv.key === key && kv.value != null) return kv.value;
  }
  return undefined;
}

/** The non-empty string value of the first key present, in order of preference. */
export function findString(attributes: readonly OtlpKeyValue[] | undefined, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = findAttribute(attributes, [key]);
    if (value === undefined) continue;
    const text = stringValue(value);
    if (text !== '' && text !== 'null') return text;
  }
  return undefined;
}
