import { z } from 'zod';
import { SpanFilterShape, spanInScope, type IndicatorStrategy } from './indicator-strategy.ts';

/**
 * `latency`: the share of requests (server/consumer spans) answered within a threshold.
 * Good = durationMs <= thresholdMs. Every in-scope duration also goes into the bucket's
 * latency sketch, so p50/p95/p99 can be answered over any window.
 */
export const LatencyIndicatorSchema = z.strictObject({
  kind: z.literal('latency'),
  ...SpanFilterShape,
  /** Slowest duration in ms that still counts as good (inclusive), > 0. */
  thresholdMs: z.number().finite().positive(),
});
export type LatencyIndicator = z.infer<typeof LatencyIndicatorSchema>;

export const LATENCY_INDICATOR: IndicatorStrategy<LatencyIndicator, 'spans'> = {
  kind: 'latency',
  signal: 'spans',
  schema: LatencyIndicatorSchema,
  inScope: spanInScope,
  isGood: (spec, span) => span.durationMs <= spec.thresholdMs,
  latencyMs: (span) => span.durationMs,
  describe: (spec) => `requests (${spec.spanKinds.join('/')} spans) answered within ${spec.thresholdMs} ms`,
};
