import { context, trace, type Attributes, type HrTime, type Span, type SpanKind, type SpanStatus } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

/**
 * Builds real SDK telemetry (ReadableSpan / ReadableLogRecord) for the OTLP tests, so the
 * bytes under test come from the OpenTelemetry JS serializers, never from hand-made input.
 */

/** 2026-01-15T10:00:00Z as [seconds, nanoseconds]: the fixed clock of these tests. */
export const T0: HrTime = [1_768_471_200, 0];
export const T0_MS = 1_768_471_200_000;

/** T0 (or `baseMs`, epoch ms, a whole second) plus a number of nanoseconds. */
export function at(nanos: number, baseMs = T0_MS): HrTime {
  return [Math.floor(baseMs / 1000) + Math.floor(nanos / 1e9), nanos % 1e9];
}

export interface SpanSpec {
  name: string;
  kind: SpanKind;
  attributes?: Attributes;
  status?: SpanStatus;
  /** ns after T0 */
  startNs?: number;
  /** ns after T0 */
  endNs: number;
  /** index of an earlier span in the same list to be the parent */
  parent?: number;
}

/** Finished spans of one resource, in the order of `specs`. */
export async function sdkSpans(resource: Attributes, specs: readonly SpanSpec[], baseMs = T0_MS): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource: resourceFromAttributes(resource), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('sluice-test', '1.0.0');
  const started: Span[] = [];
  for (const spec of specs) {
    const parent = spec.parent === undefined ? undefined : started[spec.parent];
    const ctx = parent === undefined ? context.active() : trace.setSpan(context.active(), parent);
    const span = tracer.startSpan(spec.name, { kind: spec.kind, attributes: spec.attributes ?? {}, startTime: at(spec.startNs ?? 0, baseMs) }, ctx);
    if (spec.status) span.setStatus(spec.status);
    started.push(span);
  }
  started.forEach((span, i) => span.end(at(specs[i]!.endNs, baseMs)));
  await provider.forceFlush();
  const byId = new Map(exporter.getFinishedSpans().map((s) => [s.spanContext().spanId, s]));
  await provider.shutdown();
  return started.map((span) => byId.get(span.spanContext().spanId)!);
}

export interface LogSpec {
  body?: unknown;
  severityNumber?: number;
  severityText?: string;
  attributes?: Attributes;
  /** ns after T0; absent: no event time (the SDK still sets the observed time) */
  timeNs?: number;
}

/** Finished log records of one resource, in the order of `specs`. */
export async function sdkLogRecords(resource: Attributes, specs: readonly LogSpec[], baseMs = T0_MS): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(resource), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('sluice-test', '1.0.0');
  for (const spec of specs) {
    logger.emit({
      body: spec.body as never,
      severityNumber: spec.severityNumber,
      severityText: spec.severityText,
      attributes: spec.attributes,
      ...(spec.timeNs !== undefined && { timestamp: at(spec.timeNs, baseMs) }),
    });
  }
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return [...records];
}
