import type { GatePolicyRules } from '../../../schema/policies/gate-policy.ts';
import { compareCanary, type CanaryComparison } from '../canary/canary-comparison.ts';
import { formatDurationMs } from '../time/duration.ts';
import type { GateCanaryInput, GateCheckResult } from './gate-inputs.ts';
import type { SloFreshnessAtDecision } from './slo-gate-checks.ts';

/**
 * The baseline comparison (`canary:*` checks): this version's SLIs against the baseline
 * version's in the same environment and range, by compareCanary (engine/core/canary) —
 * error ratios from exact counts (Fisher's exact test), latency from sampled raw spans
 * (Mann–Whitney U). Each of its checks becomes a gate check with its status as it is: an
 * INCONCLUSIVE comparison (too few requests or spans) stays INCONCLUSIVE, never PASS.
 * Without data (no baseline to compare with when the policy requires one, or the data
 * could not be read) the one check `canary` is INCONCLUSIVE with the reason.
 */
export function canaryChecks(canary: GateCanaryInput | undefined, rules: GatePolicyRules, freshness: SloFreshnessAtDecision): { checks: GateCheckResult[]; comparison: CanaryComparison | undefined } {
  if (canary === undefined) return { checks: [], comparison: undefined };
  const blocking = rules.checks.canary === 'block';
  const fresh = { ...freshness };
  if (canary.kind === 'missing') {
    return {
      comparison: undefined,
      checks: [{
        name: 'canary', status: 'INCONCLUSIVE', blocking, observed: null, threshold: null, comparator: null, unit: null,
        window: { length: formatDurationMs(rules.baseline.windowMs), from: null, to: null }, freshness: fresh, explanation: canary.reason,
      }],
    };
  }
  const comparison = compareCanary(canary.input, rules.baseline.canary);
  const window = { length: formatDurationMs(comparison.toMs - comparison.fromMs), from: comparison.fromMs, to: comparison.toMs };
  const checks = comparison.checks.map((c): GateCheckResult => c.kind === 'error-ratio'
    ? {
        name: c.name, status: c.status, blocking, observed: c.canary.errorRatio, threshold: c.toleratedRatio, comparator: '<=', unit: 'ratio', window, freshness: fresh,
        explanation: c.explanation,
      }
    : {
        name: c.name, status: c.status, blocking, observed: c.commonLanguageEffect, threshold: c.minLatencyEffect, comparator: '<', unit: 'P(canary slower)', window, freshness: fresh,
        explanation: c.explanation,
      });
  return { checks, comparison };
}
