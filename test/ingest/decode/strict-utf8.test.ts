import { describe, expect, it } from 'vitest';
import { decodeUtf8, decodeUtf8Escaping } from '../../../ingest/decode/strict-utf8.ts';
import { mulberry32 } from '../../../platform/random/mulberry32.ts';

/** Inverse of the surrogate escape: U+DC80–U+DCFF back to their byte, the rest as UTF-8. */
function unescape(text: string): Uint8Array {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xdc80 && code <= 0xdcff) out.push(code - 0xdc00);
    else out.push(...new TextEncoder().encode(char));
  }
  return Uint8Array.from(out);
}

describe('decodeUtf8', () => {
  it.each([
    ['valid text', [0x61, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80], undefined],
    ['a truncated sequence at the end', [0x61, 0x62, 0xe2, 0x82], 2],
    ['an overlong "/"', [0xc0, 0xaf], 0],
    ['an encoded surrogate U+D800', [0x61, 0xed, 0xa0, 0x80], 1],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a lone continuation byte', [0x61, 0x80], 1],
  ])('%s', (_name, bytes, offset) => {
    const result = decodeUtf8(Uint8Array.from(bytes));
    expect(result).toEqual(offset === undefined ? { ok: true, text: 'aé😀' } : { ok: false, detail: `byte ${offset} is not valid UTF-8` });
  });
});

describe('decodeUtf8Escaping', () => {
  it('decodes valid UTF-8 exactly as TextDecoder does', () => {
    expect(decodeUtf8Escaping(new TextEncoder().encode('aé😀 ok'))).toBe('aé😀 ok');
  });

  it('turns each invalid byte into U+DC00 + byte, keeping valid runs around it', () => {
    expect(decodeUtf8Escaping(Uint8Array.of(0x61, 0xc3, 0x28, 0xff, 0x62))).toBe('a\udcc3(\udcffb');
  });

  it('is lossless and marks the text ill-formed, for 2,000 random byte strings (seed 7)', () => {
    const random = mulberry32(7);
    for (let n = 0; n < 2_000; n++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 24) }, () => Math.floor(random() * 256));
      const text = decodeUtf8Escaping(bytes);
      expect(unescape(text)).toEqual(bytes);
      expect(text.isWellFormed()).toBe(decodeUtf8(bytes).ok);
    }
  });
});
