import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import { SluiceError } from '../errors/sluice-error.ts';

/**
 * Reads a request body (gunzipping/inflating per Content-Encoding) up to `maxBytes`
 * decoded bytes; larger bodies fail with PAYLOAD_TOO_LARGE rather than being truncated.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  const stream = encoding === 'gzip' ? req.pipe(createGunzip()) : encoding === 'deflate' ? req.pipe(createInflate()) : req;
  if (encoding !== 'gzip' && encoding !== 'deflate' && encoding !== 'identity') {
    throw new SluiceError('UNSUPPORTED_ENCODING', `unsupported Content-Encoding ${encoding}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new SluiceError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
