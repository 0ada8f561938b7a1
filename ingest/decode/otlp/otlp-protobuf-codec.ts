import type { OtlpLogsRequest, OtlpTraceRequest } from './otlp-request.ts';

/** `ExportTraceServiceResponse` / `ExportLogsServiceResponse`, in OTLP/JSON form. */
export interface OtlpExportResponse {
  partialSuccess?: {
    /** int64 count of rejected spans (trace responses). */
    rejectedSpans?: number;
    /** int64 count of rejected log records (logs responses). */
    rejectedLogRecords?: number;
    errorMessage?: string;
  };
}

/** `google.rpc.Status`, the body of OTLP/HTTP 4xx/5xx responses. */
export interface OtlpRpcStatus {
  /** google.rpc.Code, e.g. 3 INVALID_ARGUMENT. */
  code: number;
  message: string;
}

/**
 * The OTLP protobuf messages sluice reads and writes. Port: the implementation comes from
 * a package with the opentelemetry-proto definitions (see protobufjs-otlp-codec.ts); sluice
 * does no protobuf wire parsing itself.
 *
 * Decoding returns the request in its OTLP/JSON form (ids as lower-case hex, int64 as
 * decimal strings, enums as numbers) so that one mapper serves both encodings; it throws
 * when the bytes are not the message. A string field whose bytes are not UTF-8 is returned
 * with each invalid byte as a lone surrogate U+DC80–U+DCFF (never as U+FFFD), so that its
 * item is rejected as `invalid_utf8`.
 */
export interface OtlpProtobufCodec {
  decodeTraceRequest(bytes: Uint8Array): OtlpTraceRequest;
  decodeLogsRequest(bytes: Uint8Array): OtlpLogsRequest;
  encodeTraceResponse(response: OtlpExportResponse): Uint8Array;
  encodeLogsResponse(response: OtlpExportResponse): Uint8Array;
  encodeStatus(status: OtlpRpcStatus): Uint8Array;
}
