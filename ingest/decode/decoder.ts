import type { Signal, SluiceEvent } from '../../schema/events/v1/signal.ts';

/**
 * Why an input was dead-lettered. Stable names: they are counted by reason in metrics and
 * stored in the dead-letter table's `reason` column; `detail` carries the specifics
 * (e.g. the zod path and message). Rules and limits: docs/otlp-mapping.md "Inputs that
 * cannot be decoded".
 */
export const DEAD_LETTER_REASONS = [
  'empty_message', // message of zero bytes
  'tombstone', // Kafka message whose value is null (a compaction delete marker); set by the Kafka worker, never by a decoder
  'invalid_utf8', // text that is not UTF-8: a JSON message's bytes, a protobuf string field's bytes (that item alone), or a lone surrogate escape (`\ud800`) no UTF-8 can carry; detail gives the byte offset or field
  'invalid_json', // UTF-8 bytes that are not JSON
  'not_an_object', // JSON but not an object (array, string, …)
  'too_deep', // values nested deeper than MAX_NESTING_DEPTH (64) levels (schema/events/v1/input-limits.ts); not decoded further, not stored
  'schema_violation', // JSON object that fails the zod contract
  'oversized', // message larger than ingest.maxMessageBytes
  'invalid_protobuf', // bytes do not decode as the expected OTLP protobuf message
  'invalid_otlp', // OTLP message decoded but an item could not be mapped (e.g. no service.name)
  'unknown_topic', // message from a topic with no configured decoder
  'decoder_error', // the decoder threw (a bug): caught so that the stream goes on; detail is the error's name and message
  // set by the ingest pipeline after decoding (ingest/pipeline/ingest-pipeline.ts):
  'event_time_in_future', // event time later than now + the allowed clock skew (SLUICE_MAX_CLOCK_SKEW_MS)
  'event_time_too_old', // event time older than the longest retention (400 days of rollups)
  'duration_out_of_range', // a span's or check's durationMs beyond SLUICE_MAX_DURATION_MS
  'storage_rejected', // ClickHouse refused the row's content (isolated by halving the insert); detail is the table and error
  'dead_letter_rejected', // ClickHouse refused even the dead-letter row (counted and logged only)
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** One item out of a decoded message: a valid event, or a rejection with its reason. */
export type DecodedItem =
  | { ok: true; value: SluiceEvent }
  | { ok: false; signal: Signal; reason: DeadLetterReason; detail: string; /** the item's own bytes when the message holds many items (OTLP), else the whole message */ raw: Uint8Array };

/** A rejected item: what is written to the dead-letter table and topic. */
export type DeadLetterItem = Extract<DecodedItem, { ok: false }>;

/**
 * Turns one message's bytes into events. A message may hold many items (an OTLP export
 * request holds many spans): one bad item is rejected alone, its siblings go on.
 * Decoders are pure and never throw, whatever the bytes: a message that cannot be decoded
 * is a dead letter with its reason (see `guardDecode`).
 *
 * An accepted event whose free-text fields were longer than their storage limit carries
 * `event.truncated`, the names of the fields that were cut (`operation`, `route`, `body`,
 * `failedStep`, `title`, `attributes`); see schema/events/v1/storage-truncation.ts.
 */
export interface Decoder {
  readonly signal: Signal;
  /** Human-readable name for logs and config, e.g. `json`, `otlp_proto`. */
  readonly encoding: string;
  decode(bytes: Uint8Array): DecodedItem[];
}
