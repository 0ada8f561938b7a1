import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSignal } from '../../schema/events/v1/signal.ts';
import { readBody } from '../../platform/http/read-body.ts';
import { errorMessage, SluiceError } from '../../platform/errors/sluice-error.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import { JsonEventDecoder } from '../decode/json-event-decoder.ts';
import type { IngestPipeline } from '../pipeline/ingest-pipeline.ts';
import { NO_OFFSET } from '../pipeline/source-position.ts';

/**
 * `POST /ingest/<signal>` with NDJSON: one sluice v1 contract object per line (the same
 * contracts and validation as the Kafka topics). Invalid lines are dead-lettered with
 * their reason, valid ones are written; the response comes once both are durable:
 * `{"accepted": n, "rejected": [{"line": 3, "reason": "schema_violation", "detail": "…"}]}`.
 */
export function createNdjsonIngestHandler(deps: { pipeline: IngestPipeline; maxBodyBytes: number; maxLineBytes: number }) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const match = /^\/ingest\/([a-z]+)\/?$/.exec(url.pathname);
    if (!match) return false;
    const signal = match[1]!;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!isSignal(signal)) {
      reply(404, { error: `unknown signal "${signal}"; use one of spans, logs, checks, deploys, incidents` });
      return true;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      reply(405, { error: 'use POST with an NDJSON body' });
      return true;
    }
    let body: Buffer;
    try {
      body = await readBody(req, deps.maxBodyBytes);
    } catch (err) {
      const code = err instanceof SluiceError && err.code === 'PAYLOAD_TOO_LARGE' ? 413 : 400;
      reply(code, { error: errorMessage(err) });
      return true;
    }
    const decoder = new JsonEventDecoder(signal);
    const lines = body.toString('utf8').split('\n');
    const items: DecodedItem[] = [];
    const rejected: { line: number; reason: string; detail: string }[] = [];
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const raw = Buffer.from(line, 'utf8');
      let item: DecodedItem;
      if (raw.byteLength > deps.maxLineBytes) {
        item = { ok: false, signal, reason: 'oversized', detail: `line is ${raw.byteLength} bytes, limit is ${deps.maxLineBytes}`, raw };
      } else {
        item = decoder.decode(raw)[0]!;
      }
      if (!item.ok) rejected.push({ line: index + 1, reason: item.reason, detail: item.detail });
      items.push(item);
    });
    deps.pipeline.add({ source: 'http', partition: 0, offset: NO_OFFSET }, items);
    await deps.pipeline.flush();
    reply(rejected.length > 0 && rejected.length === items.length ? 400 : 200, { accepted: items.length - rejected.length, rejected });
    return true;
  };
}
