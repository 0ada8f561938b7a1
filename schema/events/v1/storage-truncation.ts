/**
 * Storage limits on free text. An event whose only fault is text longer than its column's
 * limit is valid telemetry: it is accepted and counts toward SLIs; the text is cut to the
 * limit, ending in a visible marker (`…[truncated from 70000 chars]`), and the event's
 * `truncated` lists the fields that were cut so that ingest can count them
 * (`truncated_<field>`). Names that group SLIs (service, environment, version, ids) are
 * not cut: an oversized name is a `schema_violation`.
 *
 * Lengths are in characters as JavaScript counts them (UTF-16 code units), like zod's
 * `.max()`.
 */

/** The marker that ends a cut text; `chars` is the original length. */
export function truncationMarker(chars: number): string {
  return `…[truncated from ${chars} chars]`;
}

/**
 * `text` cut to at most `maxChars` characters, marker included; as it is when it fits.
 * Never splits a surrogate pair.
 */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const marker = truncationMarker(text.length);
  let keep = Math.max(0, maxChars - marker.length);
  const last = text.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep -= 1;
  return text.slice(0, keep) + marker;
}
