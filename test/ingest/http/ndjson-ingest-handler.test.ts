import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DecodedItem } from '../../../ingest/decode/decoder.ts';
import { NdjsonDecodeThread } from '../../../ingest/decode/ndjson-decode-thread.ts';
import { createNdjsonIngestHandler } from '../../../ingest/http/ndjson-ingest-handler.ts';
import { SluiceError } from '../../../platform/errors/sluice-error.ts';
import { spanJson } from '../../support/span-fixtures.ts';

const MAX_BODY = 256 * 1024;
/** One server decodes on the event loop, one sends every body to a real decode thread, one to a thread that always fails. */
const servers: Server[] = [];
const urls: Record<'event loop' | 'decode thread' | 'failing decode thread', string> = { 'event loop': '', 'decode thread': '', 'failing decode thread': '' };
let url: string;
let submitted: DecodedItem[][] = [];
let rejected: string[] = [];
let failWith: Error | undefined;
const thread = new NdjsonDecodeThread();

beforeAll(async () => {
  const failing = { decode: () => Promise.reject(new SluiceError('DECODE_THREAD_FAILED', 'the decode thread exited with code 1')) };
  for (const [mode, decodeThread] of [['event loop', undefined], ['decode thread', thread], ['failing decode thread', failing]] as const) {
    const handler = createNdjsonIngestHandler({
      maxBodyBytes: MAX_BODY,
      maxLineBytes: 64 * 1024,
      submit: async (_signal, items) => {
        if (failWith) throw failWith;
        submitted.push(items);
      },
      onRejectedRequest: (reason) => void rejected.push(reason),
      decodeThread,
      decodeThreadMinBytes: 0,
    });
    const server = createServer((req, res) => void handler(req, res, new URL(req.url ?? '/', 'http://x')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    urls[mode] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
});
afterAll(async () => {
  await thread.close();
  await Promise.all(servers.map((server) => new Promise<void>((r) => server.close(() => r()))));
});
beforeEach(() => {
  submitted = [];
  rejected = [];
  failWith = undefined;
});

const post = (body: string | Buffer, headers: Record<string, string> = {}) => fetch(`${url}/ingest/spans`, { method: 'POST', body, headers });
const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

describe.each(Object.keys(urls) as (keyof typeof urls)[])('POST /ingest/<signal> (NDJSON), decoded on the %s', (mode) => {
  beforeEach(() => {
    url = urls[mode];
  });

  it('dead-letters one line nested 10,000 levels deep (too_deep) and takes the 100 good lines of the same request', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify(spanJson(i)));
    lines.splice(50, 0, JSON.stringify({ ...spanJson(999), extra: JSON.parse(deep(100)) }).replace('"extra":', `"extra":${deep(10_000)},"x":`));
    const res = await post(lines.join('\n'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: { line: number; reason: string }[] };
    expect(body.accepted).toBe(100);
    expect(body.rejected).toEqual([expect.objectContaining({ line: 51, reason: 'too_deep' })]);
    expect(submitted[0]).toHaveLength(101);
  });

  it('dead-letters a line with invalid UTF-8 (invalid_utf8), as every other path does, instead of rewriting it', async () => {
    const good = Buffer.from(JSON.stringify(spanJson(1)));
    const bad = Buffer.concat([Buffer.from('{"service":"a'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await post(Buffer.concat([good, Buffer.from('\n'), bad]));
    const body = (await res.json()) as { accepted: number; rejected: { reason: string }[] };
    expect(body).toMatchObject({ accepted: 1, rejected: [{ reason: 'invalid_utf8' }] });
  });

  it.each([
    { name: 'a body over the limit', body: 'x'.repeat(MAX_BODY + 1), headers: {}, status: 413, reason: 'payload_too_large' },
    { name: 'an unsupported Content-Encoding', body: 'x', headers: { 'Content-Encoding': 'compress' }, status: 415, reason: 'unsupported_encoding' },
    { name: 'a corrupt gzip body', body: Buffer.from('not gzip'), headers: { 'Content-Encoding': 'gzip' }, status: 400, reason: 'corrupt_body' },
  ])('refuses $name with $status and counts it ($reason)', async ({ body, headers, status, reason }) => {
    const res = await post(body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(rejected).toEqual([reason]);
    expect(submitted).toEqual([]);
  });

  it('takes a gzip or zstd body', async () => {
    for (const [encoding, body] of [['gzip', gzipSync(JSON.stringify(spanJson(1)))], ['zstd', zstdCompressSync(Buffer.from(JSON.stringify(spanJson(1))))]] as const) {
      const res = await post(body, { 'Content-Encoding': encoding });
      expect(await res.json()).toMatchObject({ accepted: 1 });
    }
  });

  it('answers 503 with Retry-After while the store is failing, and counts it; nothing of the request is taken', async () => {
    failWith = new SluiceError('STORE_UNAVAILABLE', 'the store is failing; retry later', { retriable: true });
    const res = await post(JSON.stringify(spanJson(1)));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(rejected).toEqual(['store_unavailable']);
  });
});
