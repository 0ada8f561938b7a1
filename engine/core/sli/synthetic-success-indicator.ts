import { z } from 'zod';
import type { IndicatorStrategy } from './indicator-strategy.ts';

/**
 * `syntheticSuccess`: the share of synthetic check runs that succeeded.
 * In scope = service and environment match, and checkId / journey / location when given.
 * Good = success.
 */
export const SyntheticSuccessIndicatorSchema = z.strictObject({
  kind: z.literal('syntheticSuccess'),
  /** Only runs of this check. */
  checkId: z.string().min(1).optional(),
  /** Only runs exercising this user journey. */
  journey: z.string().min(1).optional(),
  /** Only runs from this probe location. */
  location: z.string().min(1).optional(),
});
export type SyntheticSuccessIndicator = z.infer<typeof SyntheticSuccessIndicatorSchema>;

export const SYNTHETIC_SUCCESS_INDICATOR: IndicatorStrategy<SyntheticSuccessIndicator, 'checks'> = {
  kind: 'syntheticSuccess',
  signal: 'checks',
  schema: SyntheticSuccessIndicatorSchema,
  inScope: (spec, scope, check) =>
    check.service === scope.service &&
    check.environment === scope.environment &&
    (spec.checkId === undefined || check.checkId === spec.checkId) &&
    (spec.journey === undefined || check.journey === spec.journey) &&
    (spec.location === undefined || check.location === spec.location),
  isGood: (_spec, check) => check.success,
  describe: (spec) =>
    `synthetic check runs${spec.checkId ? ` of ${spec.checkId}` : ''}${spec.journey ? ` on journey ${spec.journey}` : ''} that succeeded`,
};
