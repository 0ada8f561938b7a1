import { isUtf8 } from 'node:buffer';

/**
 * Reading UTF-8 strictly: the one rule of every decoder is that text which is not UTF-8 is
 * dead-lettered as `invalid_utf8`, never rewritten to U+FFFD. Well-formed sequences are those
 * of the Unicode Standard, Table 3-7 (no overlong forms, no encoded surrogates, nothing past
 * U+10FFFF): https://www.unicode.org/versions/latest/core-spec/chapter-3/#G27506
 */

const fatal = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** A whole message's text, or the byte offset (0-based) of its first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array): { ok: true; text: string } | { ok: false; detail: string } {
  try {
    return { ok: true, text: fatal.decode(bytes) };
  } catch {
    return { ok: false, detail: `byte ${firstInvalidOffset(bytes)} is not valid UTF-8` };
  }
}

/**
 * A string field's text, keeping invalid bytes visible instead of replacing them: each
 * byte of an invalid sequence becomes the lone surrogate U+DC80–U+DCFF (U+DC00 + byte, the
 * "surrogateescape" of PEP 383, https://peps.python.org/pep-0383/). The result is not
 * well-formed (`isWellFormed()` is false), so the item holding it is rejected as
 * `invalid_utf8`, and the original bytes can be read back from its dead-letter `raw`.
 */
export function decodeUtf8Escaping(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return lenient.decode(bytes);
  let text = '';
  let runStart = 0;
  let at = 0;
  while (at < bytes.byteLength) {
    const length = sequenceLength(bytes, at);
    if (length > 0) {
      at += length;
      continue;
    }
    text += lenient.decode(bytes.subarray(runStart, at)) + String.fromCharCode(0xdc00 + bytes[at]!);
    at += 1;
    runStart = at;
  }
  return text + lenient.decode(bytes.subarray(runStart));
}

function firstInvalidOffset(bytes: Uint8Array): number {
  let at = 0;
  while (at < bytes.byteLength) {
    const length = sequenceLength(bytes, at);
    if (length === 0) return at;
    at += length;
  }
  return at;
}

/** Length (1–4) of the well-formed sequence starting at `at`, 0 when it is not one. */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at]!;
  if (lead < 0x80) return 1;
  const inRange = (offset: number, min: number, max: number) => {
    const b = bytes[at + offset];
    return b !== undefined && b >= min && b <= max;
  };
  const tail = (from: number, to: number) => {
    for (let i = from; i <= to; i++) if (!inRange(i, 0x80, 0xbf)) return false;
    return true;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return tail(1, 1) ? 2 : 0;
  if (lead === 0xe0) return inRange(1, 0xa0, 0xbf) && tail(2, 2) ? 3 : 0;
  if ((lead >= 0xe1 && lead <= 0xec) || lead === 0xee || lead === 0xef) return tail(1, 2) ? 3 : 0;
  if (lead === 0xed) return inRange(1, 0x80, 0x9f) && tail(2, 2) ? 3 : 0;
  if (lead === 0xf0) return inRange(1, 0x90, 0xbf) && tail(2, 3) ? 4 : 0;
  if (lead >= 0xf1 && lead <= 0xf3) return tail(1, 3) ? 4 : 0;
  if (lead === 0xf4) return inRange(1, 0x80, 0x8f) && tail(2, 3) ? 4 : 0;
  return 0;
}
