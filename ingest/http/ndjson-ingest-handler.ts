import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSignal, type Signal } from '../../schema/events/v1/signal.ts';
import { yieldTurn } from '../../platform/event-loop/yield-turn.ts';
import { readBody, statusOfBodyError } from '../../platform/http/read-body.ts';
import { errorMessage, isRetriable, SluiceError } from '../../platform/errors/sluice-error.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import { JsonEventDecoder } from '../decode/json-event-decoder.ts';
import { decodeNdjsonBody, type DecodedNdjsonBody } from '../decode/ndjson-body-decoder.ts';
import type { NdjsonDecodeThread } from '../decode/ndjson-decode-thread.ts';

export interface NdjsonIngestDeps {
  /**
   * Takes every decoded item of one request (valid events and rejected lines) and resolves
   * once they are durable; a retriable rejection (store failing, backpressure) → 503.
   */
  submit(signal: Signal, items: DecodedItem[]): Promise<void>;
  maxBodyBytes: number;
  maxLineBytes: number;
  /** Counts a whole request refused before any line was read (413, 415, corrupt body, …), by reason. */
  onRejectedRequest?: (reason: string) => void;
  /** Decodes bodies of at least `decodeThreadMinBytes` off the event loop; without it, every body is decoded here in slices. */
  decodeThread?: Pick<NdjsonDecodeThread, 'decode'>;
  /** Smallest body sent to the decode thread, bytes (default 16 KiB: a smaller one decodes faster than a round trip). */
  decodeThreadMinBytes?: number;
}

/**
 * `POST /ingest/<signal>` with NDJSON: one sluice v1 contract object per line (the same
 * contracts and validation as the Kafka topics). Invalid lines are dead-lettered with
 * their reason, valid ones are written; the response comes only once both are durable
 * (the request shares a batch with concurrent ones: group commit):
 * `{"accepted": n, "rejected": [{"line": 3, "reason": "schema_violation", "detail": "…"}]}`.
 * Lines are split on raw bytes and each is decoded strictly (invalid UTF-8 is a dead letter
 * `invalid_utf8`, as on every other path). While the store is failing the request is
 * refused with 503 and `Retry-After`, before anything is taken. A body of 16 KiB or more
 * is decoded on the decode thread when one is given (ingest/decode/ndjson-decode-thread.ts);
 * otherwise — and when the thread fails — it is decoded here in slices of ~2 ms, one slice
 * per turn of the event loop across all requests (platform/event-loop/yield-turn.ts), so
 * requests never hold the event loop for long.
 */
/** Longest stretch of decoding before the handler yields to the event loop, ms. */
const DECODE_SLICE_MS = 2;
/** Smallest body sent to the decode thread by default, bytes. */
const DECODE_THREAD_MIN_BYTES = 16 * 1024;

export function createNdjsonIngestHandler(deps: NdjsonIngestDeps) {
  const decoders = new Map<Signal, JsonEventDecoder>();
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const match = /^\/ingest\/([a-z]+)\/?$/.exec(url.pathname);
    if (!match) return false;
    const signal = match[1]!;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (status: number, reason: string, message: string, headers: Record<string, string> = {}) => {
      deps.onRejectedRequest?.(reason);
      reply(status, { error: message, reason }, headers);
      if (!req.complete) res.once('finish', () => req.destroy());
    };
    if (!isSignal(signal)) {
      refuse(404, 'unknown_signal', `unknown signal "${signal}"; use one of spans, logs, checks, deploys, incidents`);
      return true;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      refuse(405, 'method_not_allowed', 'use POST with an NDJSON body');
      return true;
    }
    let body: Buffer;
    try {
      body = await readBody(req, deps.maxBodyBytes);
    } catch (err) {
      const status = statusOfBodyError(err);
      refuse(status, err instanceof SluiceError ? err.code.toLowerCase() : 'unreadable_body', errorMessage(err));
      return true;
    }
    let decoded: DecodedNdjsonBody | undefined;
    if (deps.decodeThread !== undefined && body.byteLength >= (deps.decodeThreadMinBytes ?? DECODE_THREAD_MIN_BYTES)) {
      // a body the thread could not decode (it failed or is closed) is decoded here instead
      decoded = await deps.decodeThread.decode(signal, body, deps.maxLineBytes).catch(() => undefined);
    }
    if (decoded === undefined) {
      let decoder = decoders.get(signal);
      if (!decoder) decoders.set(signal, (decoder = new JsonEventDecoder(signal)));
      // a large body is decoded in slices: the event loop serves gates and queries in between
      decoded = await decodeNdjsonBody(decoder, body, deps.maxLineBytes, { slicing: { sliceMs: DECODE_SLICE_MS, pause: yieldTurn } });
    }
    let items = decoded.items;
    const rejected = decoded.rejected;
    decoded = undefined;
    if (items.length === 0) {
      reply(200, { accepted: 0, rejected: [] });
      return true;
    }
    const taken = items.length;
    // the pipeline holds what it needs (rows, counts) until durable: this request lets go of
    // the decoded events now, so they do not survive young-generation collections while it waits
    const submitted = deps.submit(signal, items);
    items = [];
    try {
      await submitted;
    } catch (err) {
      if (isRetriable(err)) refuse(503, err instanceof SluiceError ? err.code.toLowerCase() : 'unavailable', `${errorMessage(err)}; nothing of this request was taken`, { 'retry-after': '1' });
      else refuse(500, 'internal', 'Unexpected error.');
      return true;
    }
    reply(rejected.length === taken ? 400 : 200, { accepted: taken - rejected.length, rejected });
    return true;
  };
}

