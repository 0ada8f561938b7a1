import { z } from 'zod';
import { truncateText } from './storage-truncation.ts';

/**
 * Free-form attributes: string keys to string values. Non-string values given by a
 * producer are kept as their JSON text, so nothing a producer sent is lost (within the
 * storage caps below).
 */
export const AttributesSchema = z.record(z.string(), z.string());
export type Attributes = z.infer<typeof AttributesSchema>;

/** Most attributes stored per event, the dropped-count marker included. */
export const MAX_ATTRIBUTES = 128;
/** Longest attribute key stored, characters (UTF-16 code units); longer keys are cut with a marker. */
export const ATTRIBUTE_KEY_MAX_CHARS = 256;
/** Longest attribute value stored, characters (UTF-16 code units); longer values are cut with a marker. */
export const ATTRIBUTE_VALUE_MAX_CHARS = 4_096;
/** Set when attributes past {@link MAX_ATTRIBUTES} were dropped: how many, as decimal text. */
export const DROPPED_ATTRIBUTES_KEY = 'sluice.dropped_attributes_count';

/**
 * Attribute value as stored: strings as-is, anything else as JSON text. NaN and ±Infinity
 * (OTLP doubles; `1e999` in JSON) are kept as `NaN`, `Infinity`, `-Infinity`, and as the
 * strings `"NaN"`… inside arrays and objects (the proto3 JSON mapping), never as `null`.
 * The value must be within the input limits (input-limits.ts): `JSON.stringify` recurses.
 */
export function attributeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value, nonFiniteAsText) ?? 'null';
}

function nonFiniteAsText(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/**
 * Attributes within the storage caps: the first 127 of more than 128 kept (in the order
 * given) plus {@link DROPPED_ATTRIBUTES_KEY}; keys and values cut to their limits with a
 * marker. `truncated` is true when anything was cut or dropped.
 */
export function capAttributes(attributes: Attributes): { attributes: Attributes; truncated: boolean } {
  if (withinCaps(attributes)) return { attributes, truncated: false };
  const entries = Object.entries(attributes);
  const kept = entries.length <= MAX_ATTRIBUTES ? entries : entries.slice(0, MAX_ATTRIBUTES - 1);
  const capped = kept.map(([key, value]) => [truncateText(key, ATTRIBUTE_KEY_MAX_CHARS), truncateText(value, ATTRIBUTE_VALUE_MAX_CHARS)] as const);
  if (kept.length < entries.length) capped.push([DROPPED_ATTRIBUTES_KEY, String(entries.length - kept.length)]);
  return { attributes: Object.fromEntries(capped), truncated: true };
}

/** The common case, checked without allocating: nothing to cut. */
function withinCaps(attributes: Attributes): boolean {
  let count = 0;
  for (const key in attributes) {
    count += 1;
    if (count > MAX_ATTRIBUTES || key.length > ATTRIBUTE_KEY_MAX_CHARS || attributes[key]!.length > ATTRIBUTE_VALUE_MAX_CHARS) return false;
  }
  return true;
}

/** Formats zod issues as path-precise reasons: `durationMs: expected number, received string`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
