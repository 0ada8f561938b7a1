import { parentPort } from 'node:worker_threads';
import { isSignal, type Signal } from '../../schema/events/v1/signal.ts';
import { JsonEventDecoder } from './json-event-decoder.ts';
import { decodeNdjsonBody } from './ndjson-body-decoder.ts';
import type { DecodeReply, DecodeRequest } from './ndjson-decode-thread.ts';

/**
 * The decode thread's side (started by NdjsonDecodeThread): decodes each body it is sent
 * with the same function the event loop uses, and posts the items back in request order.
 * A rejected item's bytes are copied out of the body, so the answer carries that line
 * alone, not the whole body once per bad line.
 */
const decoders = new Map<Signal, JsonEventDecoder>();

parentPort!.on('message', (request: DecodeRequest) => {
  void decode(request).then((reply) => parentPort!.postMessage(reply));
});

async function decode({ id, signal, body, maxLineBytes, firstLine }: DecodeRequest): Promise<DecodeReply> {
  try {
    if (!isSignal(signal)) return { id, error: `unknown signal ${JSON.stringify(signal)}` };
    let decoder = decoders.get(signal);
    if (!decoder) decoders.set(signal, (decoder = new JsonEventDecoder(signal)));
    const decoded = await decodeNdjsonBody(decoder, body, maxLineBytes, { firstLine });
    for (const item of decoded.items) if (!item.ok) item.raw = new Uint8Array(item.raw);
    return { id, decoded };
  } catch (err) {
    return { id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
