import { attributeValue } from '../../../schema/events/v1/attributes.ts';
import type { OtlpAnyValue, OtlpKeyValue } from './otlp-request.ts';

/**
 * An OTLP AnyValue as a plain JSON value: strings, booleans and doubles as themselves,
 * int64 as a number when it is a safe integer (else its decimal text, so no digit is lost),
 * arrays as arrays, kvlists as objects, bytes as their base64 text, empty as null.
 */
export function plainValue(value: OtlpAnyValue | undefined): unknown {
  if (value === undefined || value === null || typeof value !== 'object') return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return plainInt(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plainValue);
  if (value.kvlistValue !== undefined) {
    const out: Record<string, unknown> = {};
    for (const kv of value.kvlistValue.values ?? []) if (typeof kv?.key === 'string') out[kv.key] = plainValue(kv.value);
    return out;
  }
  if (value.bytesValue !== undefined) return value.bytesValue;
  return null;
}

function plainInt(int: string | number): number | string {
  const n = typeof int === 'number' ? int : Number(int);
  return Number.isSafeInteger(n) ? n : String(int);
}

/**
 * An AnyValue as sluice stores attribute values: strings as-is, everything else as its
 * JSON text (`true`, `42`, `[1,2]`, `{"a":1}`). Int64 keeps all its digits.
 */
export function stringValue(value: OtlpAnyValue | undefined): string {
  if (value?.intValue !== undefined) return String(value.intValue);
  return attributeValue(plainValue(value));
}

/** An AnyValue holding an integer (int, or a string/double of an integer), else undefined. */
export function integerValue(value: OtlpAnyValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  const raw = value.intValue ?? value.doubleValue ?? value.stringValue;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/** Copies OTLP attributes into `target` (later calls win on equal keys), skipping `skip`. */
export function collectAttributes(
  target: Record<string, string>,
  attributes: readonly OtlpKeyValue[] | undefined,
  skip: ReadonlySet<string>,
): void {
  if (!Array.isArray(attributes)) return;
  for (const kv of attributes) {
    if (typeof kv?.key !== 'string' || skip.has(kv.key)) continue;
    target[kv.key] = stringValue(kv.value);
  }
}

/** The AnyValue of the first key present, in order of preference. */
export function findAttribute(attributes: readonly OtlpKeyValue[] | undefined, keys: readonly string[]): OtlpAnyValue | undefined {
  if (!Array.isArray(attributes)) return undefined;
  for (const key of keys) {
    for (const kv of attributes) if (kv?.key === key && kv.value !== undefined) return kv.value;
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
