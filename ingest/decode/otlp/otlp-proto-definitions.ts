import { createRequire } from 'node:module';
import type { OtlpProtobufCodec } from './otlp-protobuf-codec.ts';
import { createProtobufjsOtlpCodec, type ProtobufjsMessageType, type ProtobufjsReaderClass } from './protobufjs-otlp-codec.ts';

/**
 * The OTLP protobuf codec over OpenTelemetry's own generated code for the
 * opentelemetry-proto definitions: `build/src/generated/root.js` of
 * `@opentelemetry/otlp-transformer@0.212.0` (a `pbjs -t static-module` build of the
 * official .proto files, with its protobufjs runtime), installed under the alias
 * `otlp-transformer-protos`. Newer otlp-transformer releases dropped the generated
 * decoders (they only encode), and no maintained package ships the .proto files; OTLP is
 * backward compatible, and fields newer than these definitions are skipped by protobuf.
 */
let codec: OtlpProtobufCodec | undefined;

export function otlpProtobufCodec(): OtlpProtobufCodec {
  if (codec) return codec;
  type Collector = Record<'trace' | 'logs', { v1: Record<string, ProtobufjsMessageType> }>;
  const rootPath = createRequire(import.meta.url).resolve('otlp-transformer-protos/build/src/generated/root.js');
  const fromRoot = createRequire(rootPath);
  const root = fromRoot(rootPath) as { opentelemetry: { proto: { collector: Collector } } };
  // the runtime root.js itself requires, so that its `instanceof Reader` checks hold
  const { BufferReader } = fromRoot('protobufjs/minimal') as { BufferReader: ProtobufjsReaderClass };
  const { trace, logs } = root.opentelemetry.proto.collector;
  codec = createProtobufjsOtlpCodec({
    status: rpcStatusType(fromRoot),
    traceRequest: trace.v1.ExportTraceServiceRequest!,
    traceResponse: trace.v1.ExportTraceServiceResponse!,
    logsRequest: logs.v1.ExportLogsServiceRequest!,
    logsResponse: logs.v1.ExportLogsServiceResponse!,
    reader: BufferReader,
  });
  return codec;
}

/**
 * `google.rpc.Status` (googleapis google/rpc/status.proto: `int32 code = 1; string message =
 * 2; repeated google.protobuf.Any details = 3`), the body of OTLP/HTTP error responses in
 * protobuf. The generated OTLP code does not include it, so it is declared here through the
 * same protobufjs runtime's reflection (details are never sent).
 */
function rpcStatusType(require: NodeJS.Require): ProtobufjsMessageType {
  type Reflection = { Type: new (name: string) => { add(field: unknown): unknown }; Field: new (name: string, id: number, type: string) => unknown; Root: new () => { define(path: string): { add(type: unknown): unknown } } };
  const { Type, Field, Root } = require('protobufjs') as Reflection;
  const status = new Type('Status');
  status.add(new Field('code', 1, 'int32'));
  status.add(new Field('message', 2, 'string'));
  new Root().define('google.rpc').add(status);
  return status as unknown as ProtobufjsMessageType;
}
