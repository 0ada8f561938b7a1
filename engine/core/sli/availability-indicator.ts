import { z } from 'zod';
import { SpanFilterShape, spanInScope, type IndicatorStrategy } from './indicator-strategy.ts';

/**
 * `availability`: the share of requests (server/consumer spans) that succeeded.
 * Good = span status is not `error` AND (no HTTP status OR HTTP status < minBadHttpStatus).
 */
export const AvailabilityIndicatorSchema = z.strictObject({
  kind: z.literal('availability'),
  ...SpanFilterShape,
  /**
   * Lowest HTTP status code that makes a request bad; default 500 (5xx are the server's
   * fault, 4xx the client's). Set 400 to count 4xx as bad as well.
   */
  minBadHttpStatus: z.number().int().min(100).max(600).default(500),
});
export type AvailabilityIndicator = z.infer<typeof AvailabilityIndicatorSchema>;

export const AVAILABILITY_INDICATOR: IndicatorStrategy<AvailabilityIndicator, 'spans'> = {
  kind: 'availability',
  signal: 'spans',
  schema: AvailabilityIndicatorSchema,
  inScope: spanInScope,
  isGood: (spec, span) =>
    span.status !== 'error' && (span.httpStatusCode === undefined || span.httpStatusCode < spec.minBadHttpStatus),
  describe: (spec) =>
    `requests (${spec.spanKinds.join('/')} spans) that did not fail and answered below HTTP ${spec.minBadHttpStatus}`,
};
