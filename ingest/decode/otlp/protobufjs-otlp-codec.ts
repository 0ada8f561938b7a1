import { decodeUtf8Escaping } from '../strict-utf8.ts';
import type { OtlpExportResponse, OtlpProtobufCodec, OtlpRpcStatus } from './otlp-protobuf-codec.ts';
import type { OtlpLogsRequest, OtlpTraceRequest } from './otlp-request.ts';

/**
 * What sluice uses of a protobufjs message type. Both kinds protobufjs produces fit: the
 * classes of a `pbjs -t static-module` build and the `Type`s of a reflected `Root`
 * (`root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')`).
 * Typed structurally, so this file does not import protobufjs.
 */
export interface ProtobufjsMessageType {
  decode(input: Uint8Array | ProtobufjsReader): object;
  toObject(message: object, options: ProtobufjsConversionOptions): Record<string, unknown>;
  fromObject(object: Record<string, unknown>): object;
  encode(message: object): { finish(): Uint8Array };
}

/**
 * What sluice uses of a protobufjs `Reader`: generated `decode` functions read every string
 * field through `string()` and pass the reader on to nested messages.
 */
export interface ProtobufjsReader {
  bytes(): Uint8Array;
  string(): string;
}

/** protobufjs' `BufferReader` (Node): the reader class sluice extends. */
export type ProtobufjsReaderClass = new (buffer: Buffer) => ProtobufjsReader;

/** protobufjs `IConversionOptions`: the constructor of the wanted JS type per field kind. */
export interface ProtobufjsConversionOptions {
  longs?: StringConstructor | NumberConstructor;
  enums?: StringConstructor | NumberConstructor;
  bytes?: StringConstructor | ArrayConstructor;
  defaults?: boolean;
  arrays?: boolean;
}

/** The opentelemetry-proto messages, as protobufjs types. */
export interface OtlpProtobufjsTypes {
  /** opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest */
  traceRequest: ProtobufjsMessageType;
  /** opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest */
  logsRequest: ProtobufjsMessageType;
  /** opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse */
  traceResponse: ProtobufjsMessageType;
  /** opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse */
  logsResponse: ProtobufjsMessageType;
  /** google.rpc.Status; without it error bodies are empty (an all-default Status). */
  status?: ProtobufjsMessageType;
  /** The `BufferReader` of the same protobufjs runtime as the types (generated code checks `instanceof Reader`). */
  reader: ProtobufjsReaderClass;
}

/**
 * A reader whose string fields are never rewritten: protobufjs replaces invalid UTF-8 with
 * U+FFFD; this reader keeps each invalid byte as a lone surrogate (strict-utf8.ts), so the
 * batch walker rejects that item alone as `invalid_utf8`, as every decoder does.
 */
function strictUtf8Reader(Base: ProtobufjsReaderClass): ProtobufjsReaderClass {
  return class StrictUtf8Reader extends Base {
    override string(): string {
      return decodeUtf8Escaping(this.bytes());
    }
  };
}

/** int64 as decimal strings, enums as numbers, bytes as base64: the OTLP/JSON conventions. */
const AS_OTLP_JSON: ProtobufjsConversionOptions = { longs: String, enums: Number, bytes: String, defaults: false };

/** OTLP/JSON writes trace and span ids as hex, not base64 like other bytes fields. */
function hexId(value: unknown): unknown {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('hex') : value;
}

function hexIds(item: Record<string, unknown>): void {
  for (const key of ['traceId', 'spanId', 'parentSpanId'] as const) if (key in item) item[key] = hexId(item[key]);
}

function* children(parents: unknown, key: string): Generator<Record<string, unknown>> {
  if (!Array.isArray(parents)) return;
  for (const parent of parents) {
    const list = (parent as Record<string, unknown> | null)?.[key];
    if (Array.isArray(list)) yield* list as Record<string, unknown>[];
  }
}

/** An {@link OtlpProtobufCodec} over protobufjs message types. */
export function createProtobufjsOtlpCodec(types: OtlpProtobufjsTypes): OtlpProtobufCodec {
  const encode = (type: ProtobufjsMessageType, value: object): Uint8Array =>
    type.encode(type.fromObject(value as Record<string, unknown>)).finish();
  const Reader = strictUtf8Reader(types.reader);
  const reader = (bytes: Uint8Array) => new Reader(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return {
    decodeTraceRequest(bytes: Uint8Array): OtlpTraceRequest {
      const request = types.traceRequest.toObject(types.traceRequest.decode(reader(bytes)), AS_OTLP_JSON);
      for (const scopeSpans of children(request.resourceSpans, 'scopeSpans')) {
        for (const span of children([scopeSpans], 'spans')) {
          hexIds(span);
          for (const link of children([span], 'links')) hexIds(link);
        }
      }
      return request as OtlpTraceRequest;
    },
    decodeLogsRequest(bytes: Uint8Array): OtlpLogsRequest {
      const request = types.logsRequest.toObject(types.logsRequest.decode(reader(bytes)), AS_OTLP_JSON);
      for (const scopeLogs of children(request.resourceLogs, 'scopeLogs')) {
        for (const record of children([scopeLogs], 'logRecords')) hexIds(record);
      }
      return request as OtlpLogsRequest;
    },
    encodeTraceResponse: (response: OtlpExportResponse) => encode(types.traceResponse, response),
    encodeLogsResponse: (response: OtlpExportResponse) => encode(types.logsResponse, response),
    encodeStatus: (status: OtlpRpcStatus) => (types.status ? encode(types.status, status) : new Uint8Array(0)),
  };
}
