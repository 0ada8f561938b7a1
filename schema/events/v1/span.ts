import { z } from 'zod';
import { AttributesSchema } from './attributes.ts';
import {
  DurationMsSchema,
  EnvironmentSchema,
  EpochMsSchema,
  NameSchema,
  SpanIdSchema,
  TraceIdSchema,
  VersionSchema,
} from './common.ts';
import { eventContract } from './event-contract.ts';

/** OpenTelemetry span kinds, lower-case. `server` and `consumer` spans are requests. */
export const SpanKindSchema = z.enum(['server', 'client', 'consumer', 'producer', 'internal']);
export type SpanKind = z.infer<typeof SpanKindSchema>;

/** Longest `operation` and `route` stored, characters; longer ones are cut with a marker (storage-truncation.ts). */
export const SPAN_TEXT_MAX_CHARS = 1_024;

/**
 * sluice span event, contract v1 (topic `sluice.spans.v1`). One finished span: a request
 * served (server/consumer) or made to a dependency (client, with `peerService`).
 */
export const SpanV1Schema = eventContract({
  service: NameSchema,
  environment: EnvironmentSchema,
  version: VersionSchema,
  traceId: TraceIdSchema,
  spanId: SpanIdSchema,
  parentSpanId: SpanIdSchema.optional(),
  /** Span name / operation, e.g. `GET /orders/{id}`; cut past 1,024 characters. */
  operation: z.string().default(''),
  /** HTTP route template (`http.route`), empty when not HTTP; cut past 1,024 characters. */
  route: z.string().default(''),
  kind: SpanKindSchema.default('server'),
  /** Start of the span, epoch ms. */
  startTimeMs: EpochMsSchema,
  /** Span duration in ms. */
  durationMs: DurationMsSchema,
  /** `error` when the span's status is ERROR; everything else is `ok`. */
  status: z.enum(['ok', 'error']).default('ok'),
  /** HTTP response status code (100–599), absent when not HTTP; 0 (OTLP's "unset") is taken as absent. */
  httpStatusCode: z
    .number()
    .int()
    .refine((code) => code === 0 || (code >= 100 && code <= 599), 'must be an HTTP status code 100–599 (or 0: unset)')
    .transform((code) => (code === 0 ? undefined : code))
    .optional(),
  /** Dependency called by a client span (OTLP: `service.peer.name`, `peer.service`, `server.address`); a name, at most 256 characters. */
  peerService: z.string().max(256).optional(),
  attributes: AttributesSchema.default({}),
}, { operation: SPAN_TEXT_MAX_CHARS, route: SPAN_TEXT_MAX_CHARS });
export type SpanV1 = z.infer<typeof SpanV1Schema>;
