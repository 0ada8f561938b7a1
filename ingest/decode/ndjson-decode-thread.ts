import { Worker } from 'node:worker_threads';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { Signal } from '../../schema/events/v1/signal.ts';
import type { DecodedItem } from './decoder.ts';
import type { DecodedNdjsonBody, NdjsonRejectedLine } from './ndjson-body-decoder.ts';

/** One body for the decode thread. */
export interface DecodeRequest {
  id: number;
  signal: Signal;
  /** A copy of one piece of the body (whole lines), transferred: the caller keeps its own. */
  body: Uint8Array;
  maxLineBytes: number;
  /** Line number of the piece's first line in the whole body (from 1). */
  firstLine: number;
}

/** The decode thread's answer to one request. */
export type DecodeReply = { id: number; decoded: DecodedNdjsonBody } | { id: number; error: string };

export interface NdjsonDecodeThreadOptions {
  /** Told when the thread failed (it is started again for the next body). */
  onFailure?: (err: SluiceError) => void;
  /** Largest piece of a body sent at once, bytes (default 64 KiB; a longer line goes whole). */
  pieceBytes?: number;
  /** After a failure, how long bodies are refused at once (decoded on the event loop) before a new thread is started, ms (default 5 000). */
  restartDelayMs?: number;
}

/**
 * Default piece size, bytes: the event loop takes each answer in one go (~1.5–4 µs per
 * item), so a 64 KiB piece (~200 spans) costs it well under a millisecond.
 */
const PIECE_BYTES = 64 * 1024;

/**
 * Decodes NDJSON bodies on a worker thread (ingest/decode/ndjson-decode-worker.ts), so
 * that UTF-8 checks, JSON parsing and zod validation of embedded HTTP ingest do not run on
 * the event loop that answers release gates. Measured per span event (2 cores,
 * `npm run bench:gate`'s traffic): decoding ~5 µs, taking the decoded items back from the
 * thread ~1.5–4 µs, and the validation's garbage stays on the thread's own heap.
 *
 * A body goes in pieces of whole lines (`pieceBytes`), the next sent when the last one's
 * answer is in: each answer is a separate event-loop task, so a 64 MiB body never holds the
 * loop while its items are taken in, and other requests' pieces take turns with it.
 * One thread, started on first use; pieces are decoded in the order they are sent. When
 * the thread fails (it threw, exited or an answer could not be read), the bodies waiting
 * on it are rejected with `DECODE_THREAD_FAILED`, and so is every body for `restartDelayMs`
 * (a thread that cannot start is not restarted for every request); the next body after
 * that starts a new thread. The caller decodes a rejected body itself: nothing is lost.
 */
export class NdjsonDecodeThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (d: DecodedNdjsonBody) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private closed = false;
  private readonly onFailure: ((err: SluiceError) => void) | undefined;
  private readonly pieceBytes: number;
  private readonly restartDelayMs: number;
  /** performance.now() before which no new thread is started, ms. */
  private restartAfterMs = 0;
  /** Bodies decoded on the thread, and times the thread failed. */
  readonly counts = { decoded: 0, failures: 0 };

  constructor(opts: NdjsonDecodeThreadOptions = {}) {
    this.onFailure = opts.onFailure;
    this.pieceBytes = opts.pieceBytes ?? PIECE_BYTES;
    this.restartDelayMs = opts.restartDelayMs ?? 5_000;
  }

  /** Decodes `body` on the thread; rejects with DECODE_THREAD_FAILED or DECODE_THREAD_CLOSED (then decode it here). */
  async decode(signal: Signal, body: Uint8Array, maxLineBytes: number): Promise<DecodedNdjsonBody> {
    const items: DecodedItem[] = [];
    const rejected: NdjsonRejectedLine[] = [];
    let firstLine = 1;
    let start = 0;
    do {
      let end = start + this.pieceBytes >= body.length ? -1 : body.indexOf(0x0a, start + this.pieceBytes - 1);
      end = end === -1 ? body.length : end + 1;
      const piece = body.subarray(start, end);
      const decoded = await this.decodePiece(signal, piece, maxLineBytes, firstLine);
      for (const item of decoded.items) items.push(item);
      for (const line of decoded.rejected) rejected.push(line);
      firstLine += newlines(piece);
      start = end;
    } while (start < body.length);
    this.counts.decoded++;
    return { items, rejected };
  }

  private decodePiece(signal: Signal, piece: Uint8Array, maxLineBytes: number, firstLine: number): Promise<DecodedNdjsonBody> {
    if (this.closed) return Promise.reject(new SluiceError('DECODE_THREAD_CLOSED', 'the decode thread is closed'));
    if (this.worker === undefined && performance.now() < this.restartAfterMs) {
      return Promise.reject(new SluiceError('DECODE_THREAD_FAILED', 'the decode thread failed recently and is not started again yet'));
    }
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const copy = new Uint8Array(piece); // exactly the piece's bytes, whatever buffer it is a view of
    return new Promise<DecodedNdjsonBody>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, signal, body: copy, maxLineBytes, firstLine } satisfies DecodeRequest, [copy.buffer]);
    });
  }

  /** Stops the thread; bodies still waiting are rejected (DECODE_THREAD_CLOSED). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.rejectAll(new SluiceError('DECODE_THREAD_CLOSED', 'the decode thread is closed'));
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(new URL('./ndjson-decode-worker.ts', import.meta.url));
    worker.unref(); // never keeps the process alive on its own
    worker.on('message', (reply: DecodeReply) => {
      const waiter = this.waiting.get(reply.id);
      if (waiter === undefined) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) {
        waiter.reject(new SluiceError('DECODE_THREAD_FAILED', `the decode thread failed on a body: ${reply.error}`));
        return;
      }
      waiter.resolve(reply.decoded);
    });
    const fail = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      void worker.terminate();
      this.counts.failures++;
      this.restartAfterMs = performance.now() + this.restartDelayMs;
      const err = new SluiceError('DECODE_THREAD_FAILED', `the decode thread ${reason}; its bodies are decoded on the event loop`);
      this.rejectAll(err);
      this.onFailure?.(err);
    };
    worker.on('error', (err) => fail(`threw ${err.name}: ${err.message}`));
    worker.on('messageerror', (err) => fail(`sent an answer that could not be read (${err.message})`));
    worker.on('exit', (code) => fail(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private rejectAll(err: SluiceError): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(err);
  }
}

/** Newlines in `bytes`: the lines a piece ending in one holds. */
function newlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) count++;
  return count;
}
