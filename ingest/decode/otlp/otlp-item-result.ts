import type { DeadLetterReason } from '../decoder.ts';

/** What mapping one OTLP item gives: the validated event, or why it was rejected. */
export type OtlpItemResult<Event> =
  | { ok: true; event: Event }
  | { ok: false; reason: Extract<DeadLetterReason, 'invalid_otlp' | 'schema_violation' | 'too_deep' | 'invalid_utf8'>; detail: string };
