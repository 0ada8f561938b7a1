import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_REASONS, type DecodedItem } from '../../../ingest/decode/decoder.ts';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { SIGNALS, type Signal } from '../../../schema/events/v1/signal.ts';
import { VALID_EVENTS } from './json-event-fixture.ts';

const text = (s: string) => new TextEncoder().encode(s);
const deepArray = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const deepObject = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
/** A valid event of `signal` as JSON text with `extra` spliced in as one more top-level field. */
const withField = (signal: Signal, key: string, json: string) => text(JSON.stringify(VALID_EVENTS[signal]).replace(/^\{/, `{${JSON.stringify(key)}:${json},`));

function rejection(items: DecodedItem[]) {
  expect(items).toHaveLength(1);
  const [item] = items;
  if (item!.ok) throw new Error(`expected a dead letter, got ${JSON.stringify(item!.value)}`);
  return item!;
}

describe.each(SIGNALS)('JsonEventDecoder (%s)', (signal) => {
  const decoder = new JsonEventDecoder(signal);

  it('accepts the valid event', () => {
    expect(decoder.decode(text(JSON.stringify(VALID_EVENTS[signal])))).toMatchObject([{ ok: true, value: { signal } }]);
  });

  it.each([
    ['an unknown field nested 10,000 arrays deep', () => withField(signal, 'x', deepArray(10_000))],
    ['an unknown field nested 10,000 objects deep', () => withField(signal, 'x', deepObject(10_000))],
    ['an unknown field nested 65 levels deep', () => withField(signal, 'x', deepArray(65))],
    ['a known field nested 10,000 levels deep', () => withField(signal, 'environment', deepArray(10_000))],
    ['explicit attributes nested 10,000 levels deep', () => withField(signal, 'attributes', `{"k":${deepArray(10_000)}}`)],
  ])('dead-letters %s as too_deep, naming the field', (_name, bytes) => {
    const input = bytes();
    const item = rejection(decoder.decode(input));
    expect(item).toMatchObject({ signal, reason: 'too_deep', raw: input });
    expect(item.detail).toMatch(/^(x|environment|attributes): nests deeper than 64 levels/);
  });

  it('keeps an unknown field nested exactly 64 levels as its JSON text', () => {
    const [item] = decoder.decode(withField(signal, 'x', deepArray(64)));
    expect(item).toMatchObject({ ok: true, value: { event: { attributes: { x: deepArray(64) } } } });
  });

  it.each([
    ['a truncated 2-byte sequence', [0xc3, 0x28]],
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a byte that never occurs in UTF-8', [0xff]],
  ])('dead-letters %s inside a string as invalid_utf8, with its byte offset', (_name, bad) => {
    const prefix = text('{"note":"');
    const bytes = Uint8Array.from([...prefix, ...bad, ...text('",'), ...text(JSON.stringify(VALID_EVENTS[signal]).slice(1))]);
    const item = rejection(decoder.decode(bytes));
    expect(item).toMatchObject({ signal, reason: 'invalid_utf8', raw: bytes });
    expect(item.detail).toContain(`byte ${prefix.length}`);
  });

  it('dead-letters a lone surrogate escape (text no UTF-8 can carry) as invalid_utf8, naming the field', () => {
    const item = rejection(decoder.decode(withField(signal, 'note', '"a\\ud800b"')));
    expect(item).toMatchObject({ reason: 'invalid_utf8', detail: expect.stringMatching(/^note: /) });
  });

  it('dead-letters a zero-length message as empty_message', () => {
    const bytes = new Uint8Array(0);
    expect(decoder.decode(bytes)).toEqual([{ ok: false, signal, reason: 'empty_message', detail: 'message has no bytes', raw: bytes }]);
  });

  it('still calls bytes that are UTF-8 but not JSON invalid_json', () => {
    expect(rejection(decoder.decode(text('{"service": ')))).toMatchObject({ reason: 'invalid_json' });
  });

  it('keeps prototype-pollution keys as plain data', () => {
    const [item] = decoder.decode(withField(signal, 'constructor', '{"prototype":{"polluted":1}}'));
    expect(item).toMatchObject({ ok: true, value: { event: { attributes: { constructor: '{"prototype":{"polluted":1}}' } } } });
    decoder.decode(withField(signal, '__proto__', '{"polluted":1}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('DEAD_LETTER_REASONS', () => {
  it('has the reasons of messages that cannot be decoded at all', () => {
    expect(DEAD_LETTER_REASONS).toEqual(expect.arrayContaining(['too_deep', 'invalid_utf8', 'empty_message', 'tombstone', 'decoder_error']));
  });
});
