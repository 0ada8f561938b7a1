import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, isRetriable, SluiceError } from '../../platform/errors/sluice-error.ts';
import { readBody, statusOfBodyError } from '../../platform/http/read-body.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import type { OtlpDecodeResult } from '../decode/otlp/otlp-decode-result.ts';
import { OtlpLogDecoder } from '../decode/otlp/otlp-log-decoder.ts';
import type { OtlpExportResponse, OtlpProtobufCodec, OtlpRpcStatus } from '../decode/otlp/otlp-protobuf-codec.ts';
import type { OtlpEncoding } from '../decode/otlp/otlp-request-reader.ts';
import { OtlpTraceDecoder } from '../decode/otlp/otlp-trace-decoder.ts';

/** google.rpc.Code values used in error bodies. */
const RPC_INVALID_ARGUMENT = 3;
const RPC_RESOURCE_EXHAUSTED = 8;
const RPC_INTERNAL = 13;
const RPC_UNAVAILABLE = 14;

/** How many distinct rejection details the partial-success `errorMessage` lists. */
const MAX_REASONS_IN_MESSAGE = 3;

export interface OtlpHttpHandlerDeps {
  /**
   * Takes every decoded item of one request: valid events and rejected items (to be
   * dead-lettered and counted). Resolves once they are accepted; a rejection answers
   * 503 (retriable error, the exporter retries) or 500.
   */
  submit(items: DecodedItem[]): Promise<void>;
  /** Largest accepted request body in bytes, after gzip decompression too; larger → 413. */
  maxBodyBytes: number;
  /** Needed for `application/x-protobuf`; without it protobuf requests get 415. */
  protobuf?: OtlpProtobufCodec;
  /** Counts a whole request refused (405, 413, 415, corrupt body, unavailable, …), by reason. */
  onRejectedRequest?: (reason: string) => void;
}

interface Route {
  signal: 'spans' | 'logs';
  /** Name of the response's rejected-items counter. */
  rejectedKey: 'rejectedSpans' | 'rejectedLogRecords';
  decoders: Partial<Record<OtlpEncoding, { decodeRequest(bytes: Uint8Array): OtlpDecodeResult }>>;
  encodeResponse(codec: OtlpProtobufCodec, response: OtlpExportResponse): Uint8Array;
}

const MEDIA_TYPES: Record<string, OtlpEncoding> = {
  'application/json': 'otlp_json',
  'application/x-protobuf': 'otlp_proto',
};

class HttpFailure extends Error {
  readonly status: number;
  readonly rpcCode: number;
  /** Counted reason of the rejection. */
  readonly reason: string;
  constructor(status: number, rpcCode: number, message: string, reason: string) {
    super(message);
    this.status = status;
    this.rpcCode = rpcCode;
    this.reason = reason;
  }
}

/**
 * OTLP/HTTP receiver for the embedded mode: POST `/v1/traces` and `/v1/logs` with
 * `application/x-protobuf` or `application/json` bodies (optionally `Content-Encoding` gzip or
 * zstd — the Collector's choices — or deflate, br),
 * answered as the OTLP/HTTP spec says (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
 * 200 with an `Export…ServiceResponse` in the request's encoding, carrying `partialSuccess`
 * when some items were rejected; 400 for bodies that are no export request; 413 for bodies
 * over `maxBodyBytes`; 415 for other content types or encodings; 405 for other methods.
 * Error bodies are a `google.rpc.Status`. Returns false for paths it does not own, so it
 * can be mounted in front of other handlers.
 */
export function createOtlpHttpHandler(deps: OtlpHttpHandlerDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const protobuf = deps.protobuf;
  const routes: Record<string, Route> = {
    '/v1/traces': {
      signal: 'spans',
      rejectedKey: 'rejectedSpans',
      decoders: {
        otlp_json: new OtlpTraceDecoder({ encoding: 'otlp_json' }),
        ...(protobuf && { otlp_proto: new OtlpTraceDecoder({ encoding: 'otlp_proto', protobuf }) }),
      },
      encodeResponse: (codec, response) => codec.encodeTraceResponse(response),
    },
    '/v1/logs': {
      signal: 'logs',
      rejectedKey: 'rejectedLogRecords',
      decoders: {
        otlp_json: new OtlpLogDecoder({ encoding: 'otlp_json' }),
        ...(protobuf && { otlp_proto: new OtlpLogDecoder({ encoding: 'otlp_proto', protobuf }) }),
      },
      encodeResponse: (codec, response) => codec.encodeLogsResponse(response),
    },
  };

  return async function handleOtlpHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '').split('?', 1)[0]!;
    const route = routes[path];
    if (route === undefined) return false;

    const mediaType = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    const encoding = MEDIA_TYPES[mediaType];
    // Errors before the encoding is known are sent as JSON: the request's encoding is unusable.
    const replyEncoding: OtlpEncoding = encoding === 'otlp_proto' && protobuf ? 'otlp_proto' : 'otlp_json';
    try {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new HttpFailure(405, RPC_INVALID_ARGUMENT, `method ${req.method} not allowed, use POST`, 'method_not_allowed');
      }
      const decoder = encoding === undefined ? undefined : route.decoders[encoding];
      if (decoder === undefined) {
        throw new HttpFailure(415, RPC_INVALID_ARGUMENT, `unsupported content type "${mediaType}", use application/x-protobuf or application/json`, 'unsupported_media_type');
      }
      const body = await readRequestBody(req, deps.maxBodyBytes);
      if (body.byteLength === 0 && encoding === 'otlp_proto') {
        // an empty protobuf message is a valid, empty export request
        reply(res, 200, replyEncoding, (codec) => route.encodeResponse(codec, {}), {}, protobuf);
        return true;
      }
      const result = decoder.decodeRequest(body);
      if (!result.ok) {
        await submitOrFail(deps, [result.item]);
        throw new HttpFailure(400, RPC_INVALID_ARGUMENT, `${result.item.reason}: ${result.item.detail}`, result.item.reason);
      }
      await submitOrFail(deps, result.items);
      const response: OtlpExportResponse =
        result.rejected === 0
          ? {}
          : { partialSuccess: { [route.rejectedKey]: result.rejected, errorMessage: rejectionSummary(result.items, result.rejected) } };
      reply(res, 200, replyEncoding, (codec) => route.encodeResponse(codec, response), response, protobuf);
    } catch (err) {
      const failure = err instanceof HttpFailure ? err : new HttpFailure(500, RPC_INTERNAL, 'Unexpected error.', 'internal');
      deps.onRejectedRequest?.(failure.reason);
      if (!res.headersSent) {
        const status: OtlpRpcStatus = { code: failure.rpcCode, message: failure.message };
        // OTLP/HTTP: a retryable 503 may say when to retry
        if (failure.status === 503) res.setHeader('Retry-After', '1');
        reply(res, failure.status, replyEncoding, (codec) => codec.encodeStatus(status), status, protobuf);
      }
      // the body may be unread (415, 413): close so the client does not keep sending
      if (!req.complete) res.once('finish', () => req.destroy());
    }
    return true;
  };
}

async function submitOrFail(deps: OtlpHttpHandlerDeps, items: DecodedItem[]): Promise<void> {
  try {
    await deps.submit(items);
  } catch (err) {
    // masked: the cause stays with the sink's own logging
    throw isRetriable(err)
      ? new HttpFailure(503, RPC_UNAVAILABLE, `ingest temporarily unavailable (${errorMessage(err)}), retry later`, err instanceof SluiceError ? err.code.toLowerCase() : 'unavailable')
      : new HttpFailure(500, RPC_INTERNAL, 'Unexpected error.', 'internal');
  }
}

/** Reads the body (gzip, zstd, deflate, br), refusing more than `maxBytes` either way. */
async function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readBody(req, maxBytes);
  } catch (err) {
    const status = statusOfBodyError(err);
    const code = err instanceof SluiceError ? err.code.toLowerCase() : 'unreadable_body';
    throw new HttpFailure(status, status === 413 ? RPC_RESOURCE_EXHAUSTED : RPC_INVALID_ARGUMENT, errorMessage(err), code);
  }
}

/** "2 rejected: invalid_otlp: resource has no service.name attribute; …" */
function rejectionSummary(items: readonly DecodedItem[], rejected: number): string {
  const details = new Set<string>();
  for (const item of items) {
    if (!item.ok) details.add(`${item.reason}: ${item.detail}`);
    if (details.size === MAX_REASONS_IN_MESSAGE) break;
  }
  return `${rejected} rejected: ${[...details].join('; ')}`;
}

function reply(
  res: ServerResponse,
  status: number,
  encoding: OtlpEncoding,
  encodeProtobuf: (codec: OtlpProtobufCodec) => Uint8Array,
  json: object,
  codec: OtlpProtobufCodec | undefined,
): void {
  const protobufBody = encoding === 'otlp_proto' && codec !== undefined;
  const body = protobufBody ? encodeProtobuf(codec) : Buffer.from(JSON.stringify(json));
  res.writeHead(status, {
    'Content-Type': protobufBody ? 'application/x-protobuf' : 'application/json',
    'Content-Length': body.byteLength,
  });
  res.end(body);
}
