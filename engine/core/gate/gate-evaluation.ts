import type { CanaryComparison } from '../canary/canary-comparison.ts';
import { bakeCheck } from './bake-gate-check.ts';
import { canaryChecks } from './canary-gate-checks.ts';
import type { GateCheckResult, GateInput, GateOutcome, VersionWindowRequest } from './gate-inputs.ts';
import { gateSummary, gateVerdict } from './gate-verdict.ts';
import {
  alertsCheck,
  budgetCheck,
  freshnessCheck,
  journeyCheck,
  sloAttributionRequests,
  sloFreshness,
  type SloCheckContext,
  type SloFreshnessAtDecision,
} from './slo-gate-checks.ts';

/**
 * The release gate, pure: may `version` of `service` go to `environment` now, and why?
 * The adapter (engine/adapters/gate-service.ts) gathers the inputs — the judges' state of
 * every SLO of the service in the environment, the policy, per-version counts, canary data,
 * deploy facts — and stores the outcome with them. Nothing here reads a clock or storage:
 * the same inputs give the same decision (docs/gates.md).
 *
 * Checks, in order: for each SLO (by name) `budget`, `alerts`, `journey` (syntheticSuccess
 * SLOs) and `freshness`; then `canary:*` when a baseline is compared; then `bake:<env>` when
 * the policy asks for one. No SLO for the service in the environment is one INCONCLUSIVE
 * check, `slos` — never a PASS by default.
 */
export function evaluateGate(input: GateInput): GateOutcome {
  return evaluateGateDetailed(input).outcome;
}

/** evaluateGate, and the canary comparison it made (a decision record keeps its statistics). */
export function evaluateGateDetailed(input: GateInput): { outcome: GateOutcome; canaryComparison: CanaryComparison | undefined } {
  const { request, policy } = input;
  const rules = policy.rules;
  const checks: GateCheckResult[] = [];
  const slos = [...input.slos].sort((a, b) => a.name.localeCompare(b.name));
  const freshness = new Map(slos.map((s) => [s.name, sloFreshness(s, input.decidedAtMs)]));
  if (slos.length === 0) {
    checks.push({
      name: 'slos', status: 'INCONCLUSIVE', blocking: true, observed: 0, threshold: 1, comparator: '>=', unit: 'SLOs',
      window: { length: '-', from: null, to: null }, freshness: { fresh: false, watermark: null, lagMs: null, reason: 'no SLO' },
      explanation: `no SLO covers ${request.service} in ${request.environment}, so there is nothing to judge it by (define one in SLUICE_SLO_DIR; docs/slo-format.md)`,
    });
  }
  for (const slo of slos) {
    const ctx: SloCheckContext = { slo, version: request.version, rules, freshness: freshness.get(slo.name)!, versionCounts: input.versionCounts };
    checks.push(budgetCheck(ctx), alertsCheck(ctx));
    const journey = journeyCheck(ctx);
    if (journey !== undefined) checks.push(journey);
    checks.push(freshnessCheck(ctx));
  }
  const availability = slos.filter((s) => s.indicator === 'availability');
  const canary = canaryChecks(input.canary, rules, combinedFreshness((availability.length > 0 ? availability : slos).map((s) => freshness.get(s.name)!)));
  checks.push(...canary.checks);
  const bake = bakeCheck(input.bake, rules, request.version, input.decidedAtMs);
  if (bake !== undefined) checks.push(bake);
  const { verdict, blocking, deciding } = gateVerdict(checks, rules);
  return {
    outcome: { verdict, blocking, summary: gateSummary(request, verdict, blocking, deciding, checks.length, policy.name), policyVersion: policy.version, checks },
    canaryComparison: canary.comparison,
  };
}

/**
 * The per-version windows the evaluation will look up (active alerts and failing journeys
 * to attribute): the adapter reads them from sli_rollups before calling evaluateGate. Empty
 * in the common case — no alert, no failing journey, no query.
 */
export function attributionRequests(input: Pick<GateInput, 'slos' | 'policy'>): VersionWindowRequest[] {
  const seen = new Set<string>();
  const out: VersionWindowRequest[] = [];
  for (const slo of input.slos) {
    for (const r of sloAttributionRequests(slo, input.policy.rules)) {
      const key = `${r.slo}\u0000${r.fromMs}\u0000${r.toMs}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}

/** Several SLOs' freshness as one: fresh when all are; the oldest watermark, the largest lag, the first reason. */
function combinedFreshness(all: readonly SloFreshnessAtDecision[]): SloFreshnessAtDecision {
  if (all.length === 0) return { fresh: false, watermark: null, lagMs: null, reason: 'no SLO of the service here' };
  const watermarks = all.map((f) => f.watermark).filter((w): w is number => w !== null);
  const lags = all.map((f) => f.lagMs).filter((l): l is number => l !== null);
  return {
    fresh: all.every((f) => f.fresh),
    watermark: watermarks.length > 0 ? Math.min(...watermarks) : null,
    lagMs: lags.length > 0 ? Math.max(...lags) : null,
    reason: all.find((f) => !f.fresh)?.reason ?? null,
  };
}
