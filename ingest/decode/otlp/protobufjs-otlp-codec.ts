import type { OtlpExportResponse, OtlpProtobufCodec, OtlpRpcStatus } from './otlp-protobuf-codec.ts';
import type { OtlpLogsRequest, OtlpTraceRequest } from './otlp-request.ts';

/**
 * What sluice uses of a protobufjs message type. Both kinds protobufjs produces fit: the
 * classes of a `pbjs -t static-module` build and the `Type`s of a reflected `Root`
 * (`root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest')`).
 * Typed structurally, so this file does not import protobufjs.
 */
export interface ProtobufjsMessageType {
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: ProtobufjsConversionOptions): Record<string, unknown>;
  fromObject(object: Record<string, unknown>): object;
  encode(message: object): { finish(): Uint8Array };
}

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
  return {
    decodeTraceRequest(bytes: Uint8Array): OtlpTraceRequest {
      const request = types.traceRequest.toObject(types.traceRequest.decode(bytes), AS_OTLP_JSON);
      for (const scopeSpans of children(request.resourceSpans, 'scopeSpans')) {
        for (const span of children([scopeSpans], 'spans')) {
          hexIds(span);
          for (const link of children([span], 'links')) hexIds(link);
        }
      }
      return request as OtlpTraceRequest;
    },
    decodeLogsRequest(bytes: Uint8Array): OtlpLogsRequest {
      const request = types.logsRequest.toObject(types.logsRequest.decode(bytes), AS_OTLP_JSON);
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
