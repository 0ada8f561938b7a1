import { z } from 'zod';

/**
 * Free-form attributes: string keys to string values. Non-string scalar values given by a
 * producer are kept as their JSON text, so nothing a producer sent is lost.
 */
export const AttributesSchema = z.record(z.string(), z.string());
export type Attributes = z.infer<typeof AttributesSchema>;

/** Attribute value as stored: strings as-is, anything else as JSON text. */
export function attributeValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Wraps an object schema so that unknown top-level fields are kept in `attributes`
 * (merged under any explicit `attributes` the producer sent) instead of being rejected.
 * Known fields are validated strictly; a wrong type is rejected with its path.
 */
export function keepUnknownFieldsAsAttributes<Shape extends z.ZodRawShape & { attributes: z.ZodType }>(
  shape: Shape,
) {
  const known = new Set(Object.keys(shape));
  return z.preprocess((input) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
    const out: Record<string, unknown> = {};
    const extra: Record<string, string> = {};
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      if (known.has(key)) out[key] = value;
      else if (value !== undefined) extra[key] = attributeValue(value);
    }
    if (Object.keys(extra).length > 0) {
      const given = out.attributes;
      out.attributes =
        given !== null && typeof given === 'object' && !Array.isArray(given) ? { ...extra, ...given } : given ?? extra;
    }
    return out;
  }, z.strictObject(shape));
}

/** Formats zod issues as path-precise reasons: `durationMs: expected number, received string`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
