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
    traceRequest: trace.v1.ExportTraceServiceRequest!,
    traceResponse: trace.v1.ExportTraceServiceResponse!,
    logsRequest: logs.v1.ExportLogsServiceRequest!,
    logsResponse: logs.v1.ExportLogsServiceResponse!,
    reader: BufferReader,
  });
  return codec;
}
