import type { DecodedItem } from '../decoder.ts';

/**
 * One OTLP message decoded: its items (valid events and rejected items), or, when the
 * bytes are no export request at all, the single rejection that stands for the message.
 * The OTLP/HTTP handler tells these apart (200 with partial success vs. 400).
 */
export type OtlpDecodeResult =
  | { ok: true; items: DecodedItem[]; /** items rejected alone */ rejected: number }
  | { ok: false; item: DecodedItem & { ok: false } };
