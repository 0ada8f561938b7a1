import { SpanV1Schema, type SpanKind, type SpanV1 } from '../../../schema/events/v1/span.ts';
import { contractRejection } from '../contract-rejection.ts';
import { collectAttributes, findAttribute, findString, integerValue } from './otlp-attributes.ts';
import type { OtlpItemResult } from './otlp-item-result.ts';
import type { OtlpSpan } from './otlp-request.ts';
import type { OtlpOrigin } from './otlp-resource.ts';
import { nanosDurationMs, nanosToEpochMs, unixNanos } from './otlp-unix-nanos.ts';

/** `http.response.status_code` (semantic conventions ≥ 1.21), then the older `http.status_code`. */
export const HTTP_STATUS_KEYS = ['http.response.status_code', 'http.status_code'] as const;
export const HTTP_ROUTE_KEY = 'http.route';
/**
 * Dependency name of a client span, in order of preference: `service.peer.name` (current
 * semantic conventions), `peer.service` (its deprecated name), else `server.address`.
 */
export const PEER_SERVICE_KEYS = ['service.peer.name', 'peer.service', 'server.address'] as const;

/** OTLP SpanKind numbers (trace.proto) to sluice kinds; UNSPECIFIED (0) counts as internal. */
const KINDS: Record<string, SpanKind> = {
  0: 'internal', 1: 'internal', 2: 'server', 3: 'client', 4: 'producer', 5: 'consumer',
  SPAN_KIND_UNSPECIFIED: 'internal', SPAN_KIND_INTERNAL: 'internal', SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client', SPAN_KIND_PRODUCER: 'producer', SPAN_KIND_CONSUMER: 'consumer',
};

/** STATUS_CODE_ERROR (trace.proto `Status.StatusCode` = 2). */
const STATUS_ERROR = new Set<unknown>([2, '2', 'STATUS_CODE_ERROR']);

const MAPPED_SPAN_KEYS: ReadonlySet<string> = new Set([...HTTP_STATUS_KEYS, HTTP_ROUTE_KEY]);
/** `server.address` stays an attribute: it names a host, not only the dependency. */
const MAPPED_CLIENT_SPAN_KEYS: ReadonlySet<string> = new Set([...MAPPED_SPAN_KEYS, 'service.peer.name', 'peer.service']);

/**
 * Maps one OTLP span (with what it inherits from its resource and scope) to a `SpanV1`,
 * validated by `SpanV1Schema` exactly like a span sent as sluice JSON. The table of the
 * mapping is in docs/otlp-mapping.md.
 */
export function mapOtlpSpan(span: OtlpSpan, origin: OtlpOrigin): OtlpItemResult<SpanV1> {
  if (span === null || typeof span !== 'object') return { ok: false, reason: 'invalid_otlp', detail: 'span is not an object' };
  if (origin.service === undefined) {
    return { ok: false, reason: 'invalid_otlp', detail: 'resource has no service.name attribute' };
  }
  const start = unixNanos(span.startTimeUnixNano);
  const end = unixNanos(span.endTimeUnixNano);
  if (start === undefined) return { ok: false, reason: 'invalid_otlp', detail: 'startTimeUnixNano: missing or not unix nanoseconds' };
  if (end === undefined) return { ok: false, reason: 'invalid_otlp', detail: 'endTimeUnixNano: missing or not unix nanoseconds' };

  const kindKey = String(span.kind ?? 0);
  const kind = Object.hasOwn(KINDS, kindKey) ? KINDS[kindKey] : undefined;
  if (kind === undefined) return { ok: false, reason: 'invalid_otlp', detail: `kind: unknown span kind ${JSON.stringify(span.kind).slice(0, 100)}` };

  const attributes: Record<string, string> = { ...origin.attributes };
  collectAttributes(attributes, span.attributes, kind === 'client' ? MAPPED_CLIENT_SPAN_KEYS : MAPPED_SPAN_KEYS);
  const statusMessage = span.status?.message;
  if (typeof statusMessage === 'string' && statusMessage !== '') attributes['otel.status_description'] = statusMessage;

  const httpStatus = findAttribute(span.attributes, HTTP_STATUS_KEYS);
  const candidate = {
    service: origin.service,
    environment: origin.environment,
    version: origin.version,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId === '' ? undefined : span.parentSpanId,
    operation: span.name ?? '',
    route: findString(span.attributes, [HTTP_ROUTE_KEY]) ?? '',
    kind,
    startTimeMs: nanosToEpochMs(start),
    durationMs: nanosDurationMs(start, end),
    status: STATUS_ERROR.has(span.status?.code) ? 'error' : 'ok',
    httpStatusCode: httpStatus === undefined ? undefined : integerValue(httpStatus) ?? Number.NaN,
    peerService: kind === 'client' ? findString(span.attributes, PEER_SERVICE_KEYS) : undefined,
    attributes,
  };
  const parsed = SpanV1Schema.safeParse(candidate);
  if (!parsed.success) return { ok: false, ...contractRejection(parsed.error) };
  return { ok: true, event: parsed.data };
}
