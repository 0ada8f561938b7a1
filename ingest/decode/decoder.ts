import type { Signal, SluiceEvent } from '../../schema/events/v1/signal.ts';

/**
 * Why an input was dead-lettered. Stable names: they are counted by reason in metrics and
 * stored in the dead-letter table's `reason` column; `detail` carries the specifics
 * (e.g. the zod path and message).
 */
export const DEAD_LETTER_REASONS = [
  'invalid_json', // bytes are not UTF-8 JSON
  'not_an_object', // JSON but not an object (array, string, …)
  'schema_violation', // JSON object that fails the zod contract
  'oversized', // message larger than ingest.maxMessageBytes
  'invalid_protobuf', // bytes do not decode as the expected OTLP protobuf message
  'invalid_otlp', // OTLP message decoded but an item could not be mapped (e.g. no service.name)
  'unknown_topic', // message from a topic with no configured decoder
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** One item out of a decoded message: a valid event, or a rejection with its reason. */
export type DecodedItem =
  | { ok: true; value: SluiceEvent }
  | { ok: false; signal: Signal; reason: DeadLetterReason; detail: string; /** the item's own bytes when the message holds many items (OTLP), else the whole message */ raw: Uint8Array };

/**
 * Turns one message's bytes into events. A message may hold many items (an OTLP export
 * request holds many spans): one bad item is rejected alone, its siblings go on.
 * Decoders are pure and never throw for bad input.
 */
export interface Decoder {
  readonly signal: Signal;
  /** Human-readable name for logs and config, e.g. `json`, `otlp_proto`. */
  readonly encoding: string;
  decode(bytes: Uint8Array): DecodedItem[];
}
