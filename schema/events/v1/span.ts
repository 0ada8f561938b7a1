import { z } from 'zod';
import { AttributesSchema, keepUnknownFieldsAsAttributes } from './attributes.ts';
import {
  DurationMsSchema,
  EnvironmentSchema,
  EpochMsSchema,
  NameSchema,
  SpanIdSchema,
  TraceIdSchema,
  VersionSchema,
} from './common.ts';

/** OpenTelemetry span kinds, lower-case. `server` and `consumer` spans are requests. */
export const SpanKindSchema = z.enum(['server', 'client', 'consumer', 'producer', 'internal']);
export type SpanKind = z.infer<typeof SpanKindSchema>;

/**
 * sluice span event, contract v1 (topic `sluice.spans.v1`). One finished span: a request
 * served (server/consumer) or made to a dependency (client, with `peerService`).
 */
export const SpanV1Schema = keepUnknownFieldsAsAttributes({
  service: NameSchema,
  environment: EnvironmentSchema,
  version: VersionSchema,
  traceId: TraceIdSchema,
  spanId: SpanIdSchema,
  parentSpanId: SpanIdSchema.optional(),
  /** Span name / operation, e.g. `GET /orders/{id}`. */
  operation: z.string().max(1024).default(''),
  /** HTTP route template (`http.route`), empty when not HTTP. */
  route: z.string().max(1024).default(''),
  kind: SpanKindSchema.default('server'),
  /** Start of the span, epoch ms. */
  startTimeMs: EpochMsSchema,
  /** Span duration in ms. */
  durationMs: DurationMsSchema,
  /** `error` when the span's status is ERROR; everything else is `ok`. */
  status: z.enum(['ok', 'error']).default('ok'),
  /** HTTP response status code (100–599), absent when not HTTP. */
  httpStatusCode: z.number().int().min(100).max(599).optional(),
  /** Dependency called by a client span (`peer.service` / `server.address`). */
  peerService: z.string().max(256).optional(),
  attributes: AttributesSchema.default({}),
});
export type SpanV1 = z.infer<typeof SpanV1Schema>;
