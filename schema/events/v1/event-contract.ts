import { z } from 'zod';
import { attributeValue, capAttributes, type Attributes } from './attributes.ts';
import { findInputLimitBreach, type InputLimitBreach } from './input-limits.ts';
import { truncateText } from './storage-truncation.ts';

/** Longest value of a free-text field, characters (UTF-16 code units), per field of a contract. */
export type StorageLimits<Shape> = Partial<Record<keyof Shape & string, number>>;

/** What a contract adds to its event: the fields cut to their storage limit, in contract order; absent when none was. */
export interface Truncation {
  truncated?: string[];
}

/**
 * A v1 event contract from its fields, in three steps:
 *
 * 1. the input limits (input-limits.ts): a value nested deeper than 64 levels or text that
 *    is not valid UTF-8 fails with one issue marked by its reason ({@link inputLimitReasonOf});
 * 2. unknown top-level fields are kept in `attributes` (as their JSON text, under any
 *    explicit `attributes` the producer sent) instead of being rejected; known fields are
 *    validated strictly, a wrong type is rejected with its path;
 * 3. storage limits (storage-truncation.ts): text fields in `storageLimits` and attributes
 *    (attributes.ts caps) longer than their limit are cut with a marker and listed in
 *    `truncated`.
 */
export function eventContract<Shape extends z.ZodRawShape & { attributes: z.ZodType<Attributes> }>(
  shape: Shape,
  storageLimits: StorageLimits<Shape>,
) {
  const known = new Set(Object.keys(shape));
  const limits = Object.entries(storageLimits) as [string, number][];
  return z
    .preprocess((input, ctx) => {
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
      const breach = findInputLimitBreach(input);
      if (breach !== undefined) {
        ctx.addIssue({ code: 'custom', path: breach.path, message: breach.message, params: { inputLimit: breach.reason }, input });
        return input;
      }
      return withUnknownFieldsAsAttributes(input as Record<string, unknown>, known);
    }, z.strictObject(shape))
    .transform((event): typeof event & Truncation => {
      const fields = event as Record<string, unknown>;
      const cut = limits.filter(([field, maxChars]) => typeof fields[field] === 'string' && (fields[field] as string).length > maxChars);
      const capped = capAttributes(fields.attributes as Attributes);
      if (cut.length === 0 && !capped.truncated) return event;
      const out: Record<string, unknown> = { ...event };
      for (const [field, maxChars] of cut) out[field] = truncateText(fields[field] as string, maxChars);
      if (capped.truncated) out.attributes = capped.attributes;
      const truncated = [...cut.map(([field]) => field), ...(capped.truncated ? ['attributes'] : [])];
      return { ...out, truncated } as typeof event & Truncation;
    });
}

/** The input-limit reason (`too_deep`, `invalid_utf8`) of a failed parse, if that is why it failed. */
export function inputLimitReasonOf(error: z.ZodError): InputLimitBreach['reason'] | undefined {
  for (const issue of error.issues) {
    const reason = issue.code === 'custom' ? (issue.params as { inputLimit?: InputLimitBreach['reason'] } | undefined)?.inputLimit : undefined;
    if (reason !== undefined) return reason;
  }
  return undefined;
}

function withUnknownFieldsAsAttributes(input: Record<string, unknown>, known: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(input)) {
    if (known.has(key)) out[key] = value;
    else if (value !== undefined) extra[key] = attributeValue(value);
  }
  if (Object.keys(extra).length > 0) {
    const given = out.attributes;
    out.attributes = given !== null && typeof given === 'object' && !Array.isArray(given) ? { ...extra, ...given } : given ?? extra;
  }
  return out;
}
