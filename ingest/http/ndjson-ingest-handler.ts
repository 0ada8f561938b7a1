import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSignal, type Signal } from '../../schema/events/v1/signal.ts';
import { yieldTurn } from '../../platform/event-loop/yield-turn.ts';
import { readBody, statusOfBodyError } from '../../platform/http/read-body.ts';
import { errorMessage, isRetriable, SluiceError } from '../../platform/errors/sluice-error.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import { JsonEventDecoder } from '../decode/json-event-decoder.ts';

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
}

/**
 * `POST /ingest/<signal>` with NDJSON: one sluice v1 contract object per line (the same
 * contracts and validation as the Kafka topics). Invalid lines are dead-lettered with
 * their reason, valid ones are written; the response comes only once both are durable
 * (the request shares a batch with concurrent ones: group commit):
 * `{"accepted": n, "rejected": [{"line": 3, "reason": "schema_violation", "detail": "…"}]}`.
 * Lines are split on raw bytes and each is decoded strictly (invalid UTF-8 is a dead letter
 * `invalid_utf8`, as on every other path). While the store is failing the request is
 * refused with 503 and `Retry-After`, before anything is taken. A large body is decoded
 * in slices of ~2 ms, one slice per turn of the event loop across all requests
 * (platform/event-loop/yield-turn.ts), so requests never hold the event loop for long.
 */
/** Longest stretch of decoding before the handler yields to the event loop, ms. */
const DECODE_SLICE_MS = 2;

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
    let decoder = decoders.get(signal);
    if (!decoder) decoders.set(signal, (decoder = new JsonEventDecoder(signal)));
    let items: DecodedItem[] = [];
    const rejected: { line: number; reason: string; detail: string }[] = [];
    let line = 0;
    let sliceStartedMs = performance.now();
    for (let start = 0; start <= body.length; ) {
      if (performance.now() - sliceStartedMs >= DECODE_SLICE_MS) {
        // a large body is decoded in slices: the event loop serves gates and queries in between
        await yieldTurn();
        sliceStartedMs = performance.now();
      }
      let end = body.indexOf(0x0a, start);
      if (end === -1) end = body.length;
      line++;
      let raw = body.subarray(start, end);
      if (raw.length > 0 && raw[raw.length - 1] === 0x0d) raw = raw.subarray(0, raw.length - 1);
      start = end + 1;
      if (isBlank(raw)) continue;
      const item: DecodedItem = raw.byteLength > deps.maxLineBytes
        ? { ok: false, signal, reason: 'oversized', detail: `line is ${raw.byteLength} bytes, limit is ${deps.maxLineBytes} (SLUICE_MAX_MESSAGE_BYTES)`, raw }
        : decoder.decode(raw)[0]!;
      if (!item.ok) rejected.push({ line, reason: item.reason, detail: item.detail });
      items.push(item);
    }
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

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a) return false;
  return true;
}
