/**
 * The OTLP export requests in their OTLP/JSON form (the protobuf JSON mapping with the
 * OTLP exceptions: lowerCamelCase keys, trace/span ids as lower-case hex, enums as
 * integers, int64 as decimal strings or numbers, `bytesValue` as base64).
 * Source: https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 *
 * Both encodings are read into this one shape: OTLP/JSON by `JSON.parse`, OTLP/protobuf by
 * an {@link OtlpProtobufCodec} that converts its ids to hex. Every field is optional and
 * typed `unknown` where producers disagree, because the mappers check what they read.
 */

/** `opentelemetry.proto.common.v1.AnyValue`: exactly one of the fields is set. */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  /** int64: a decimal string (proto3 JSON) or a number (what the JS SDK writes). */
  intValue?: string | number;
  doubleValue?: number | string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  /** base64 */
  bytesValue?: string;
}

export interface OtlpKeyValue {
  key?: string;
  value?: OtlpAnyValue;
}

export interface OtlpResource {
  attributes?: OtlpKeyValue[];
}

export interface OtlpScope {
  name?: string;
  version?: string;
  attributes?: OtlpKeyValue[];
}

export interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind?: number | string;
  /** fixed64 unix nanoseconds. */
  startTimeUnixNano?: string | number;
  /** fixed64 unix nanoseconds. */
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  /** StatusCode: 0 unset, 1 ok, 2 error. */
  status?: { code?: number | string; message?: string };
}

export interface OtlpLogRecord {
  /** fixed64 unix nanoseconds; 0 or absent when unknown. */
  timeUnixNano?: string | number;
  /** fixed64 unix nanoseconds, set by the collector that first saw the record. */
  observedTimeUnixNano?: string | number;
  severityNumber?: number | string;
  severityText?: string;
  body?: OtlpAnyValue;
  attributes?: OtlpKeyValue[];
  traceId?: string;
  spanId?: string;
  eventName?: string;
}

export interface OtlpResourceSpans {
  resource?: OtlpResource;
  scopeSpans?: { scope?: OtlpScope; spans?: OtlpSpan[] }[];
}

export interface OtlpResourceLogs {
  resource?: OtlpResource;
  scopeLogs?: { scope?: OtlpScope; logRecords?: OtlpLogRecord[] }[];
}

/** `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` */
export interface OtlpTraceRequest {
  resourceSpans?: OtlpResourceSpans[];
}

/** `opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest` */
export interface OtlpLogsRequest {
  resourceLogs?: OtlpResourceLogs[];
}
