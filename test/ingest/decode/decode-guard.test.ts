import { describe, expect, it } from 'vitest';
import { guardDecode } from '../../../ingest/decode/decode-guard.ts';

const bytes = Uint8Array.of(1, 2, 3);

describe('guardDecode', () => {
  it('returns what the decoder returns', () => {
    expect(guardDecode('logs', bytes, () => [])).toEqual([]);
  });

  it.each([
    ['an Error', new TypeError("Cannot read properties of null (reading 'values')"), "TypeError: Cannot read properties of null (reading 'values')"],
    ['an Error without a message', new Error(''), 'Error (no message)'],
    ['a string', 'boom', 'boom'],
    ['undefined', undefined, 'undefined'],
  ])('turns %s thrown by the decoder into one decoder_error dead letter with the message', (_name, thrown, detail) => {
    const items = guardDecode('spans', bytes, () => {
      throw thrown;
    });
    expect(items).toEqual([{ ok: false, signal: 'spans', reason: 'decoder_error', detail, raw: bytes }]);
  });

  it('dead-letters a zero-length message as empty_message without calling the decoder', () => {
    const empty = new Uint8Array(0);
    expect(guardDecode('checks', empty, () => { throw new Error('not called'); })).toEqual([
      { ok: false, signal: 'checks', reason: 'empty_message', detail: 'message has no bytes', raw: empty },
    ]);
  });
});
