import type { CanaryComparison } from '../canary/canary-comparison.ts';
import type { DeployRecord } from '../dora/delivery-records.ts';
import { humanDuration } from '../dora/human-duration.ts';
import type { RollbackTrigger } from './rollback-request.ts';

/**
 * Does a fresh production release need to be rolled back? (docs/releases.md "Bake period")
 *
 * After a deploy finishes, its **bake period** runs for `bakePeriodMs`, cut short when
 * another deploy of the service finishes in that environment (the release no longer
 * serves). During it, the first of these asks for a rollback:
 *  - a **page-severity burn**: an SLO of the service in the environment makes an
 *    event-time transition into BREACHED (a page rule fires or the budget is spent,
 *    docs/verdict-semantics.md §2), and the transition's key names the release's version or
 *    names none (the release is what serves: the window ends when it stops serving);
 *  - a **failed canary comparison** of the release against the change it replaced
 *    (canary-comparison.ts) — FAIL only: INCONCLUSIVE never triggers anything.
 * Nothing found and the period over (plus `settleAfterMs`, for the judges to publish its last
 * minutes): the release passed its bake. A burn published during that grace still counts if
 * it happened within the bake. Pure: the adapter
 * (engine/adapters/rollback-watcher.ts) brings the transitions, the comparison and the clock.
 */

/** A transition of the breach stream, as the watcher reads it. */
export interface BreachTransitionView {
  transitionId: string;
  slo: string;
  service: string;
  environment: string;
  /** Version of the SLO key ('' when the key has none). */
  version: string;
  from: string;
  to: string;
  /** Event time, epoch ms. */
  atMs: number;
  rule: string;
  reason: string;
  basis: string;
}

export interface BakeInput {
  deploy: DeployRecord & { finishedAtMs: number };
  bakePeriodMs: number;
  /** When the next deploy of the service in the environment finished, if one did. */
  replacedAtMs?: number | undefined;
  /** Transitions of the service's SLOs in the environment, any order. */
  transitions: readonly BreachTransitionView[];
  /** The latest canary comparison of the release against its predecessor, with when it was made. */
  canary?: { comparison: CanaryComparison; atMs: number } | undefined;
  /** Wall clock, epoch ms. */
  nowMs: number;
  /**
   * How long after the bake's end a quiet release is still `baking`, ms (default 0): the
   * judges publish a minute's transitions only after its close and the allowed lateness, so
   * a burn in the bake's last minutes arrives after the bake has ended by the wall clock.
   */
  settleAfterMs?: number | undefined;
}

export type BakeDecision =
  | { kind: 'rollback'; trigger: RollbackTrigger; reason: string; bakeEndsAtMs: number }
  | { kind: 'baking'; bakeEndsAtMs: number; reason: string }
  | { kind: 'passed'; bakeEndsAtMs: number; reason: string };

/** The first transition into BREACHED that the release is responsible for, within [fromMs, toMs). */
export function pageBurnIn(input: BakeInput, fromMs: number, toMs: number): BreachTransitionView | undefined {
  const d = input.deploy;
  return input.transitions
    .filter((t) => t.to === 'BREACHED' && t.from !== 'BREACHED' && t.basis === 'event-time'
      && t.service === d.service && t.environment === d.environment
      && (t.version === '' || t.version === d.version)
      && t.atMs >= fromMs && t.atMs < toMs)
    .sort((a, b) => a.atMs - b.atMs || (a.transitionId < b.transitionId ? -1 : 1))[0];
}

export function decideBake(input: BakeInput): BakeDecision {
  const d = input.deploy;
  const nominalEnd = d.finishedAtMs + input.bakePeriodMs;
  const bakeEndsAtMs = input.replacedAtMs !== undefined && input.replacedAtMs < nominalEnd ? input.replacedAtMs : nominalEnd;
  const release = `${d.service} ${d.version} in ${d.environment} (deploy ${d.deployId})`;
  const burn = pageBurnIn(input, d.finishedAtMs, bakeEndsAtMs);
  const canaryFailed = input.canary !== undefined && input.canary.comparison.verdict === 'FAIL' && input.canary.atMs < bakeEndsAtMs ? input.canary : undefined;
  if (burn !== undefined && (canaryFailed === undefined || burn.atMs <= canaryFailed.atMs)) {
    return {
      kind: 'rollback',
      bakeEndsAtMs,
      reason: `${release}: SLO ${burn.slo} became BREACHED ${humanDuration(burn.atMs - d.finishedAtMs)} into the bake period — ${burn.reason}`,
      trigger: { kind: 'slo-breach', slo: burn.slo, transitionId: burn.transitionId, atMs: burn.atMs, rule: burn.rule, reason: burn.reason },
    };
  }
  if (canaryFailed !== undefined) {
    const c = canaryFailed.comparison;
    return {
      kind: 'rollback',
      bakeEndsAtMs,
      reason: `${release}: the canary comparison against ${c.baselineVersion} failed — ${c.summary}`,
      trigger: {
        kind: 'canary', baselineVersion: c.baselineVersion, atMs: canaryFailed.atMs, summary: c.summary,
        failedChecks: c.checks.filter((k) => k.status === 'FAIL').map((k) => ({ name: k.name, explanation: k.explanation })),
      },
    };
  }
  if (input.nowMs >= bakeEndsAtMs + (input.settleAfterMs ?? 0)) {
    const cut = bakeEndsAtMs < nominalEnd ? ` (cut short: the next deploy finished ${humanDuration(bakeEndsAtMs - d.finishedAtMs)} after it)` : '';
    return { kind: 'passed', bakeEndsAtMs, reason: `${release} baked ${humanDuration(bakeEndsAtMs - d.finishedAtMs)} without a page-severity burn or a failed canary comparison${cut}` };
  }
  const waiting = input.nowMs >= bakeEndsAtMs ? ' (ended; waiting for the judges to publish its last minutes)' : '';
  return { kind: 'baking', bakeEndsAtMs, reason: `${release} is baking until ${new Date(bakeEndsAtMs).toISOString()}${waiting}` };
}
