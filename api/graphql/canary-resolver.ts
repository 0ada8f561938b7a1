import { ZodError } from 'zod';
import { compareCanary, type CanaryComparison, type CanaryOptions, type ErrorRatioCheck, type LatencyCheck } from '../../engine/core/canary/canary-comparison.ts';
import { apiError } from './api-error.ts';
import { checkPeriod, releaseDepsOf, type ReleaseDeps } from './release-deps.ts';

export interface CanaryComparisonArgs {
  service: string;
  environment?: string | null;
  baselineVersion: string;
  canaryVersion: string;
  from: number;
  to: number;
  options?: Partial<Record<keyof CanaryOptions, number | null>> | null;
}

/** The comparison as the GraphQL `CanaryComparison` type: every statistic, checks split by kind. */
export function canaryComparisonView(c: CanaryComparison) {
  const errorChecks = c.checks.filter((k): k is ErrorRatioCheck => k.kind === 'error-ratio');
  const latency = c.checks.find((k): k is LatencyCheck => k.kind === 'latency')!;
  return {
    verdict: c.verdict, summary: c.summary, service: c.service, environment: c.environment,
    baselineVersion: c.baselineVersion, canaryVersion: c.canaryVersion, from: c.fromMs, to: c.toMs, options: c.options,
    errorRatioChecks: errorChecks.map((k) => ({ ...k, differenceCiLow: k.differenceCi95[0], differenceCiHigh: k.differenceCi95[1] })),
    latencyCheck: latency,
  };
}

/**
 * `canaryComparison`: the data of both versions from storage (ClickHouseCanarySource) and
 * the pure comparison (engine/core/canary/canary-comparison.ts). Options that are out of
 * range are BAD_USER_INPUT naming the option.
 */
export function canaryResolvers(deps: ReleaseDeps | undefined) {
  return {
    canaryComparison: async (_: unknown, args: CanaryComparisonArgs) => {
      const d = releaseDepsOf(deps);
      checkPeriod(args.from, args.to);
      if (args.baselineVersion === args.canaryVersion) throw apiError('BAD_USER_INPUT', 'baselineVersion and canaryVersion must differ', { argument: 'canaryVersion' });
      const options = Object.fromEntries(Object.entries(args.options ?? {}).filter((e): e is [string, number] => e[1] !== null && e[1] !== undefined)) as Partial<CanaryOptions>;
      const input = await d.canary.load({
        service: args.service, environment: args.environment ?? 'production',
        baselineVersion: args.baselineVersion, canaryVersion: args.canaryVersion, fromMs: args.from, toMs: args.to,
      });
      try {
        return canaryComparisonView(compareCanary(input, options));
      } catch (err) {
        if (err instanceof ZodError) {
          const issue = err.issues[0]!;
          throw apiError('BAD_USER_INPUT', `options.${issue.path.join('.')}: ${issue.message}`, { argument: 'options' });
        }
        throw err;
      }
    },
  };
}
