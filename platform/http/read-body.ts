import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate, createZstdDecompress } from 'node:zlib';
import type { Transform } from 'node:stream';
import { SluiceError } from '../errors/sluice-error.ts';

/** Content-Encodings a request body may use (the OpenTelemetry Collector sends gzip or zstd). */
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
  zstd: createZstdDecompress,
};

export const SUPPORTED_CONTENT_ENCODINGS = ['identity', ...Object.keys(DECODERS)] as const;

/**
 * Reads a request body, decompressed per Content-Encoding, up to `maxBytes` decoded bytes.
 * Fails with a SluiceError whose code names the rejection (each is counted by the caller):
 * `PAYLOAD_TOO_LARGE` (413), `UNSUPPORTED_ENCODING` (415), `CORRUPT_BODY` (400, e.g. bad gzip).
 * Never truncates.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase() || 'identity';
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (encoding !== 'identity' && !DECODERS[encoding]) {
    throw new SluiceError('UNSUPPORTED_ENCODING', `unsupported Content-Encoding "${encoding}"; use one of ${SUPPORTED_CONTENT_ENCODINGS.join(', ')}`);
  }
  const stream = encoding === 'identity' ? req : req.pipe(DECODERS[encoding]!());
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new SluiceError('CORRUPT_BODY', `the body is not valid ${encoding}: ${(err as Error).message}`, { cause: err });
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(maxBytes: number): SluiceError {
  return new SluiceError('PAYLOAD_TOO_LARGE', `request body larger than ${maxBytes} bytes`);
}

/** HTTP status for a readBody failure. */
export function statusOfBodyError(err: unknown): number {
  const code = err instanceof SluiceError ? err.code : '';
  return code === 'PAYLOAD_TOO_LARGE' ? 413 : code === 'UNSUPPORTED_ENCODING' ? 415 : 400;
}
