import { WORKBOOK_ALERT_RULES } from '../../../../engine/core/alerting/alert-rules.ts';
import { BURN_RATE_WINDOWS } from '../../../../engine/core/budget/burn-rate.ts';
import type { GateAlertRule, GateInput, GateSloState, VersionWindowCounts } from '../../../../engine/core/gate/gate-inputs.ts';
import { BUILTIN_DEFAULT_POLICY, policyRules, type ResolvedGatePolicy } from '../../../../engine/core/gate/gate-policy-set.ts';
import type { GatePolicySpec } from '../../../../schema/policies/gate-policy.ts';

/** The minute boundary every fixture evaluation is for. */
export const AT = Date.UTC(2026, 0, 15, 12, 0, 0);
/** The decision's wall clock: a minute after AT (30 s lateness, ~30 s of pipeline). */
export const DECIDED = AT + 60_000;
const DAY = 86_400_000;

export const WORKBOOK_RULES: GateAlertRule[] = WORKBOOK_ALERT_RULES.map((r) => ({
  name: r.name, severity: r.severity, longWindowMs: r.longWindowMs, shortWindowMs: r.shortWindowMs, burnRate: r.burnRateThreshold,
}));

/** Burn-rate windows at one bad ratio (and `overrides` per window label), 1 000 events a minute. */
export function burnWindows(target: number, badRatio: number, overrides: Record<string, number> = {}) {
  return BURN_RATE_WINDOWS.map((w) => {
    const total = (w.durationMs / 60_000) * 1_000;
    const ratio = overrides[w.window] ?? badRatio;
    const good = Math.round(total * (1 - ratio));
    return { window: w.window, durationMs: w.durationMs, good, total, badRatio: (total - good) / total, burnRate: (total - good) / total / (1 - target) };
  });
}

/** A healthy availability SLO of checkout in production: 99.9 %, 28 d, fresh, 5 % of its budget spent. */
export function sloState(overrides: Omit<Partial<GateSloState>, 'evaluation'> & { evaluation?: Partial<NonNullable<GateSloState['evaluation']>> | undefined; budget?: Partial<NonNullable<GateSloState['evaluation']>['budget']> } = {}): GateSloState {
  const { evaluation, budget, ...rest } = overrides;
  const target = rest.target ?? 0.999;
  const base: GateSloState = {
    name: 'checkout-availability',
    indicator: 'availability',
    target,
    maxStalenessMs: 600_000,
    complianceWindow: '28d',
    status: 'OK',
    reason: 'no alert rule firing and error budget left',
    eventTimeStatus: 'OK',
    warningActive: false,
    evaluation: {
      atMs: AT,
      budget: { good: 999_950, total: 1_000_000, bad: 50, allowedBadEvents: 1_000, consumedEvents: 50, remainingRatio: 0.95, periodMs: 28 * DAY, minEvents: 100, exhausted: false, ...budget },
      burnRates: burnWindows(target, 0.0001),
      firing: [],
      status: 'OK',
      reason: 'no alert rule firing and error budget left',
      fresh: true,
      ...evaluation,
    },
    rules: WORKBOOK_RULES,
    watermarkMs: AT + 20_000,
    vouchedMs: AT + 50_000,
    overlay: { stale: false },
    takenAtMs: AT + 55_000,
  };
  if ('evaluation' in overrides && overrides.evaluation === undefined) base.evaluation = undefined;
  return { ...base, ...rest, evaluation: base.evaluation };
}

/** A resolved policy: the built-in defaults changed by `spec`. */
export function policy(spec: Partial<GatePolicySpec> = {}, name = 'production'): ResolvedGatePolicy {
  return { version: `${name}.yaml@sha256:0123456789abcdef`, name, file: `${name}.yaml`, isDefault: false, rules: policyRules({ ...BUILTIN_DEFAULT_POLICY.spec, ...spec }) };
}

/** Per-version counts of one SLO over `[AT − windowMs, AT)`. */
export function counts(slo: string, windowMs: number, versions: Record<string, [good: number, total: number]>): VersionWindowCounts {
  return { slo, fromMs: AT - windowMs, toMs: AT, versions: Object.entries(versions).map(([version, [good, total]]) => ({ version, good, total })) };
}

export function gateInput(o: Partial<GateInput> = {}): GateInput {
  return {
    request: { service: 'checkout', environment: 'production', version: '1.4.2', baselineVersion: null },
    decidedAtMs: DECIDED,
    policy: policy(),
    slos: [sloState()],
    versionCounts: [],
    canary: undefined,
    bake: undefined,
    ...o,
  };
}
