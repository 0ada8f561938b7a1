import { afterEach, describe, expect, it } from 'vitest';
import type { DecodedItem } from '../../../ingest/decode/decoder.ts';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { decodeNdjsonBody } from '../../../ingest/decode/ndjson-body-decoder.ts';
import { NdjsonDecodeThread } from '../../../ingest/decode/ndjson-decode-thread.ts';
import type { SluiceError } from '../../../platform/errors/sluice-error.ts';
import { spanJson } from '../../support/span-fixtures.ts';

const MAX_LINE = 4 * 1024;
const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

/** A body with every kind of line: good spans, invalid UTF-8, nesting past the limit, oversized, not JSON, blank, CRLF. */
function mixedBody(): Buffer {
  return Buffer.concat([
    Buffer.from(`${JSON.stringify(spanJson(1))}\r\n\n   \n`),
    Buffer.from('{"service":"a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n'),
    Buffer.from(`${deep(100)}\n`),
    Buffer.from(`{"pad":"${'x'.repeat(MAX_LINE)}"}\n`),
    Buffer.from('not json\n'),
    Buffer.from(`${JSON.stringify({ ...spanJson(2), extraField: 'kept as attribute' })}\n`),
    Buffer.from(JSON.stringify(spanJson(3, { error: true }))),
  ]);
}

/** Items with their rejected bytes as plain arrays: a Buffer on one side and a Uint8Array on the other are the same bytes. */
const comparable = (items: DecodedItem[]) => items.map((item) => (item.ok ? item : { ...item, raw: [...item.raw] }));

let threads: NdjsonDecodeThread[] = [];
const newThread = (...args: ConstructorParameters<typeof NdjsonDecodeThread>) => {
  const thread = new NdjsonDecodeThread(...args);
  threads.push(thread);
  return thread;
};
afterEach(async () => {
  await Promise.all(threads.map((t) => t.close()));
  threads = [];
});

describe('NdjsonDecodeThread', () => {
  it('gives exactly the items and rejected lines the event loop gives, for every kind of line', async () => {
    const body = mixedBody();
    const here = await decodeNdjsonBody(new JsonEventDecoder('spans'), body, MAX_LINE);
    const there = await newThread().decode('spans', body, MAX_LINE);
    expect(here.rejected.map((r) => r.reason)).toEqual(['invalid_utf8', 'too_deep', 'oversized', 'invalid_json']);
    expect(there.rejected).toStrictEqual(here.rejected);
    expect(comparable(there.items)).toStrictEqual(comparable(here.items));
    expect(there.items.filter((i) => i.ok)).toHaveLength(3);
  });

  it('takes a body in pieces of whole lines and numbers their lines as in one piece', async () => {
    // 200 mixed bodies in one: bad lines fall on both sides of piece boundaries, CRLF and blank lines too
    const body = Buffer.concat(Array.from({ length: 200 }, () => Buffer.concat([mixedBody(), Buffer.from('\n')])));
    const here = await decodeNdjsonBody(new JsonEventDecoder('spans'), body, MAX_LINE);
    for (const pieceBytes of [1, 700, 64 * 1024]) {
      const there = await newThread({ pieceBytes }).decode('spans', body, MAX_LINE);
      expect(there.rejected).toStrictEqual(here.rejected);
      expect(comparable(there.items)).toStrictEqual(comparable(here.items));
    }
    expect(here.rejected).toHaveLength(800);
    expect(here.rejected.at(-1)!.line).toBe(199 * 9 + 7); // nine lines a body; the last bad one is the seventh
  });

  it('sends back a rejected line\'s own bytes, not the whole body once per bad line', async () => {
    const bad = 'not json';
    const body = Buffer.from(Array.from({ length: 2_000 }, (_, i) => (i % 2 === 0 ? bad : JSON.stringify(spanJson(i)))).join('\n'));
    const { items } = await newThread().decode('spans', body, MAX_LINE);
    const rejects = items.filter((i) => !i.ok);
    expect(rejects).toHaveLength(1_000);
    for (const r of rejects) {
      expect(Buffer.from(r.raw).toString()).toBe(bad);
      expect(r.raw.buffer.byteLength).toBe(bad.length);
    }
  });

  it('answers each of many concurrent bodies with its own items, and leaves the caller\'s body untouched', async () => {
    const thread = newThread();
    const bodies = Array.from({ length: 20 }, (_, b) => Buffer.from(Array.from({ length: 50 + b }, (_, i) => JSON.stringify(spanJson(b * 1_000 + i))).join('\n')));
    const copies = bodies.map((b) => Buffer.from(b));
    const answers = await Promise.all(bodies.map((body) => thread.decode('spans', body, MAX_LINE)));
    answers.forEach((answer, b) => {
      expect(answer.items).toHaveLength(50 + b);
      expect(answer.items.map((i) => (i.ok ? (i.value.event as { attributes?: Record<string, unknown> }).attributes?.seq : undefined))).toEqual(Array.from({ length: 50 + b }, (_, i) => String(b * 1_000 + i)));
    });
    bodies.forEach((body, b) => expect(body.equals(copies[b]!)).toBe(true));
    expect(thread.counts).toEqual({ decoded: 20, failures: 0 });
  });

  it('rejects the bodies waiting on a thread that dies (DECODE_THREAD_FAILED), says so, refuses bodies at once for restartDelayMs, then starts a new thread', async () => {
    const failures: SluiceError[] = [];
    const thread = newThread({ onFailure: (err) => failures.push(err), restartDelayMs: 300 });
    const big = Buffer.from(Array.from({ length: 40_000 }, (_, i) => JSON.stringify(spanJson(i))).join('\n'));
    const waiting = expect(thread.decode('spans', big, MAX_LINE)).rejects.toMatchObject({ code: 'DECODE_THREAD_FAILED' });
    // the thread dies while it decodes (as an out-of-memory kill or a native crash would end it)
    await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await waiting;
    expect(failures.map((f) => f.code)).toEqual(['DECODE_THREAD_FAILED']);
    // a thread that cannot stay up is not started again for every request: the caller decodes meanwhile
    await expect(thread.decode('spans', Buffer.from(JSON.stringify(spanJson(1))), MAX_LINE)).rejects.toMatchObject({ code: 'DECODE_THREAD_FAILED' });
    expect((thread as unknown as { worker: unknown }).worker).toBeUndefined();
    await new Promise((r) => setTimeout(r, 350));
    const next = await thread.decode('spans', Buffer.from(JSON.stringify(spanJson(1))), MAX_LINE);
    expect(next.items).toHaveLength(1);
    expect(thread.counts).toEqual({ decoded: 1, failures: 1 });
  });

  it('rejects waiting and later bodies once closed (DECODE_THREAD_CLOSED), so the caller decodes them itself', async () => {
    const thread = newThread();
    const big = Buffer.from(Array.from({ length: 40_000 }, (_, i) => JSON.stringify(spanJson(i))).join('\n'));
    const waiting = expect(thread.decode('spans', big, MAX_LINE)).rejects.toMatchObject({ code: 'DECODE_THREAD_CLOSED' });
    await thread.close();
    await waiting;
    await expect(thread.decode('spans', big, MAX_LINE)).rejects.toMatchObject({ code: 'DECODE_THREAD_CLOSED' });
  });
});
