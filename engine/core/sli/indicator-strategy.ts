import { z } from 'zod';
import type { SignalEvents } from '../../../schema/events/v1/signal.ts';
import { SpanKindSchema } from '../../../schema/events/v1/span.ts';

/** The signals an SLI can count: finished spans, log records, synthetic check results. */
export const SLI_SIGNALS = ['spans', 'logs', 'checks'] as const;
export type SliSignal = (typeof SLI_SIGNALS)[number];

/** Which service and environment an SLO is about; every indicator matches these first. */
export interface IndicatorScope {
  service: string;
  environment: string;
}

/**
 * One kind of SLI (after Sloth's SLI plugins): which signal it reads, which events of that
 * signal count at all (the denominator), and which of those are good (the numerator).
 * The differences between kinds live only here, in one strategy per kind, collected in
 * the table of indicator-strategies.ts; nothing else switches on the kind.
 */
export interface IndicatorStrategy<Spec extends { kind: string }, S extends SliSignal> {
  readonly kind: Spec['kind'];
  readonly signal: S;
  /** The strict zod schema of this kind's `spec.indicator` block. */
  readonly schema: z.ZodType<Spec>;
  /** True when the event counts toward the SLI (scope and filters match). */
  inScope(spec: Spec, scope: IndicatorScope, event: SignalEvents[S]): boolean;
  /** True when an in-scope event is good. */
  isGood(spec: Spec, event: SignalEvents[S]): boolean;
  /** Latency in ms to record into the bucket's latency sketch; absent for non-latency kinds. */
  latencyMs?(event: SignalEvents[S]): number;
  /** One sentence saying what "good" means for this spec, for explanations and docs. */
  describe(spec: Spec): string;
}

/**
 * Event time in epoch ms of each SLI signal: a span counts when it ends (start + duration,
 * i.e. when the request was answered), a log record at its timestamp, a check result
 * when its run finished.
 */
export const SLI_EVENT_TIME_MS: { [S in SliSignal]: (event: SignalEvents[S]) => number } = {
  spans: (span) => span.startTimeMs + span.durationMs,
  logs: (log) => log.timestampMs,
  checks: (check) => check.timestampMs,
};

/** Optional span filters shared by the span-based kinds (availability, latency). */
export const SpanFilterShape = {
  /** Only spans whose HTTP route template equals this (`http.route`, e.g. `/orders/{id}`). */
  route: z.string().min(1).optional(),
  /** Only spans whose name / operation equals this (e.g. `GET /orders/{id}`). */
  operation: z.string().min(1).optional(),
  /**
   * Span kinds that are requests of this service; default server and consumer (the
   * service answered an incoming request or consumed a message).
   */
  spanKinds: z.array(SpanKindSchema).min(1).default(['server', 'consumer']),
};

export interface SpanFilter {
  route?: string | undefined;
  operation?: string | undefined;
  spanKinds: readonly SignalEvents['spans']['kind'][];
}

/** Scope test shared by span-based kinds: service, environment, span kind, route, operation. */
export function spanInScope(filter: SpanFilter, scope: IndicatorScope, span: SignalEvents['spans']): boolean {
  return (
    span.service === scope.service &&
    span.environment === scope.environment &&
    filter.spanKinds.includes(span.kind) &&
    (filter.route === undefined || span.route === filter.route) &&
    (filter.operation === undefined || span.operation === filter.operation)
  );
}
