import type { Signal } from '../../schema/events/v1/signal.ts';
import type { DecodedItem, DeadLetterItem } from './decoder.ts';

/**
 * The outer edge of every decoder, so that no message stops the stream: a zero-length
 * message is `empty_message` (no decoder sees it), and anything a decoder throws becomes one
 * `decoder_error` dead letter for the whole message, its detail the error's name and message.
 * Inputs a decoder knows to be bad have their own reasons; `decoder_error` means a bug.
 */
export function guardMessage<Result>(
  signal: Signal,
  bytes: Uint8Array,
  decode: () => Result,
): { ok: true; value: Result } | { ok: false; item: DeadLetterItem } {
  if (bytes.byteLength === 0) return { ok: false, item: { ok: false, signal, reason: 'empty_message', detail: 'message has no bytes', raw: bytes } };
  try {
    return { ok: true, value: decode() };
  } catch (err) {
    return { ok: false, item: { ok: false, signal, reason: 'decoder_error', detail: describeThrown(err), raw: bytes } };
  }
}

/** {@link guardMessage} for a decoder that returns its items. */
export function guardDecode(signal: Signal, bytes: Uint8Array, decode: () => DecodedItem[]): DecodedItem[] {
  const guarded = guardMessage(signal, bytes, decode);
  return guarded.ok ? guarded.value : [guarded.item];
}

/** `TypeError: …` for errors; never empty, never throws (a hostile getter is not trusted). */
function describeThrown(err: unknown): string {
  try {
    if (err instanceof Error) return err.message === '' ? `${err.name} (no message)` : `${err.name}: ${err.message}`;
    const text = String(err);
    return text === '' ? '(empty error)' : text;
  } catch {
    return '(unprintable error)';
  }
}
