import type { Signal } from '../../schema/events/v1/signal.ts';
import type { DecodedItem } from './decoder.ts';
import { JsonEventDecoder } from './json-event-decoder.ts';

/** A line of an NDJSON body that was dead-lettered, as the HTTP answer names it (line numbers from 1). */
export interface NdjsonRejectedLine {
  line: number;
  reason: string;
  detail: string;
}

/** Every item of one NDJSON body, in line order (blank lines skipped), and the rejected lines among them. */
export interface DecodedNdjsonBody {
  items: DecodedItem[];
  rejected: NdjsonRejectedLine[];
}

/** Where a long decode lets other work run: every `sliceMs` of decoding it awaits `pause()`. */
export interface DecodeSlicing {
  sliceMs: number;
  pause(): Promise<void>;
}

/**
 * Decodes an NDJSON body: one sluice v1 contract object per line, split on raw bytes (a
 * `\r` before the `\n` is dropped, blank lines are skipped), each line decoded strictly by
 * the signal's JSON contract decoder; a line longer than `maxLineBytes` is `oversized`
 * without being read. The same function runs on the event loop (with `slicing`) and on the
 * decode thread (ingest/decode/ndjson-decode-thread.ts), so both give the same items; the
 * thread takes a body in pieces, each numbered from its `firstLine`.
 */
export async function decodeNdjsonBody(
  decoder: JsonEventDecoder,
  body: Uint8Array,
  maxLineBytes: number,
  opts: { slicing?: DecodeSlicing; firstLine?: number } = {},
): Promise<DecodedNdjsonBody> {
  const signal: Signal = decoder.signal;
  const { slicing } = opts;
  const items: DecodedItem[] = [];
  const rejected: NdjsonRejectedLine[] = [];
  let line = (opts.firstLine ?? 1) - 1;
  let sliceStartedMs = slicing === undefined ? 0 : performance.now();
  for (let start = 0; start <= body.length; ) {
    if (slicing !== undefined && performance.now() - sliceStartedMs >= slicing.sliceMs) {
      await slicing.pause();
      sliceStartedMs = performance.now();
    }
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    line++;
    let raw = body.subarray(start, end);
    if (raw.length > 0 && raw[raw.length - 1] === 0x0d) raw = raw.subarray(0, raw.length - 1);
    start = end + 1;
    if (isBlank(raw)) continue;
    const item: DecodedItem = raw.byteLength > maxLineBytes
      ? { ok: false, signal, reason: 'oversized', detail: `line is ${raw.byteLength} bytes, limit is ${maxLineBytes} (SLUICE_MAX_MESSAGE_BYTES)`, raw }
      : decoder.decode(raw)[0]!;
    if (!item.ok) rejected.push({ line, reason: item.reason, detail: item.detail });
    items.push(item);
  }
  return { items, rejected };
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) return false;
  return true;
}
