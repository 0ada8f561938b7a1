import type { GatePolicyRules } from '../../../schema/policies/gate-policy.ts';
import type { AlertSeverity } from '../alerting/alert-rules.ts';
import { formatCount } from '../budget/error-budget.ts';
import { formatDurationMs } from '../time/duration.ts';
import type { GateAlertRule, GateCheckResult, GateSloState, GateStatus, VersionWindowCounts, VersionWindowRequest } from './gate-inputs.ts';
import { attribute, minEventsOf, shareBurnRate, sharesOf, versionWindow, type VersionShare } from './version-attribution.ts';

/**
 * The checks the gate makes per SLO of the service in the environment, from the judges'
 * state (docs/gates.md "Checks"):
 *
 *  - `budget:<slo>` — error budget left for the whole period against the policy's minimum.
 *    FAIL when exhausted (the engine's BREACHED) or below the minimum; INCONCLUSIVE when
 *    the data is stale or the window holds fewer than the SLO's minEvents events.
 *  - `alerts:<slo>` — active burn-rate alerts: a page (firing, or held by the breach state
 *    machine) → the policy's `alerts.page` (FAIL), a ticket → `alerts.ticket` (WARN), unless
 *    the version's own counts show it clean (version-attribution.ts).
 *  - `journey:<slo>` — syntheticSuccess SLOs: the journey's checks over the policy's window;
 *    FAIL when at least minFailures failed and the success ratio is below the target (same
 *    attribution).
 *  - `freshness:<slo>` — the SLO's data at decision time: the judge's event-time scope
 *    freshness, its wall-clock overlay, and the lag recomputed at the decision's wall clock
 *    (a state persisted by a judge that stopped is not fresh for ever). INCONCLUSIVE when
 *    stale.
 *
 * Never PASS on data the engine calls stale or too thin: those give INCONCLUSIVE; a
 * BREACHED or WARNING state held through silence still counts (the engine keeps it).
 */

/** Where an SLO's data stands at the decision's wall clock. */
export interface SloFreshnessAtDecision {
  fresh: boolean;
  watermark: number | null;
  /** Decision wall clock − the event time the SLO's sources vouch for, ms. */
  lagMs: number | null;
  reason: string | null;
}

const pct = (ratio: number) => `${(ratio * 100).toFixed(ratio !== 0 && Math.abs(ratio) < 0.01 ? 2 : 1)} %`;
/** A burn rate with at most 3 significant digits: `0.2×`, `14.4×`, `150×`. */
const burn = (b: number) => `${b >= 1000 ? Math.round(b) : Number(b.toPrecision(3))}×`;

/** The SLO's freshness at `decidedAtMs`. */
export function sloFreshness(slo: GateSloState, decidedAtMs: number): SloFreshnessAtDecision {
  const watermark = slo.watermarkMs ?? null;
  const lagMs = slo.vouchedMs === undefined ? null : Math.max(0, decidedAtMs - slo.vouchedMs);
  const stale = (reason: string): SloFreshnessAtDecision => ({ fresh: false, watermark, lagMs, reason });
  if (slo.evaluation === undefined) return stale(slo.reason.startsWith('not evaluated yet') ? slo.reason : `not evaluated yet (${slo.reason})`);
  if (slo.vouchedMs === undefined) return stale(slo.overlay.reason ?? 'no event-time progress of its sources yet');
  if (lagMs! > slo.maxStalenessMs) {
    return stale(`the event time its sources vouch for is ${Math.round(lagMs! / 1000)} s behind the wall clock at the decision, more than its maxStaleness ${formatDurationMs(slo.maxStalenessMs)}`);
  }
  if (slo.overlay.stale) return stale(slo.overlay.reason ?? 'the judge finds its data stale');
  if (!slo.evaluation.fresh) return stale(slo.evaluation.freshnessReason ?? 'its events went silent (event time)');
  return { fresh: true, watermark, lagMs, reason: null };
}

/** An active alert of one severity: the rules behind it, firing now or held by the breach state. */
export interface ActiveAlert {
  severity: AlertSeverity;
  /** Names of the rules firing now (empty when only held). */
  firing: string[];
  /** Firing now, or held after its rules stopped (the hold, docs/verdict-semantics.md §7). */
  held: boolean;
  /** The rules to attribute with: the firing ones, or every rule of the severity when held; undefined when the SLO's rules are unknown. */
  rules: GateAlertRule[] | undefined;
}

/** The severity of a firing rule: from the SLO's rules, else its name (`page-…`, `ticket-…`). */
function severityOf(slo: GateSloState, name: string): AlertSeverity | undefined {
  const rule = slo.rules?.find((r) => r.name === name);
  if (rule !== undefined) return rule.severity;
  return name.startsWith('page') ? 'page' : name.startsWith('ticket') ? 'ticket' : undefined;
}

/**
 * Active alerts of an SLO, most severe first. A page is active while a page rule fires, or
 * while the event-time breach state is BREACHED without an exhausted budget (the hold keeps
 * a page on after its rules stop); a ticket while a ticket rule fires or the warning
 * condition is on (or held). A firing rule of unknown severity is a page when the
 * evaluation is BREACHED without an exhausted budget, else a ticket.
 */
export function activeAlerts(slo: GateSloState): ActiveAlert[] {
  const e = slo.evaluation;
  if (e === undefined) return [];
  const severities = e.firing.map((name) => ({ name, severity: severityOf(slo, name) ?? (e.status === 'BREACHED' && !e.budget.exhausted ? 'page' : 'ticket') }));
  const out: ActiveAlert[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const firing = severities.filter((s) => s.severity === severity).map((s) => s.name);
    const held = severity === 'page'
      ? slo.eventTimeStatus === 'BREACHED' && !e.budget.exhausted
      : slo.warningActive || slo.eventTimeStatus === 'WARNING';
    if (firing.length === 0 && !held) continue;
    const rules = slo.rules === undefined ? undefined
      : firing.length > 0 ? slo.rules.filter((r) => firing.includes(r.name)) : slo.rules.filter((r) => r.severity === severity);
    out.push({ severity, firing, held: firing.length === 0, rules });
  }
  return out;
}

/** The journey window's counts of a syntheticSuccess SLO and whether it fails the policy's bar. */
export function journeyState(slo: GateSloState, rules: GatePolicyRules): { good: number; total: number; failures: number; ratio: number | null; failing: boolean } | undefined {
  if (slo.indicator !== 'syntheticSuccess' || slo.evaluation === undefined) return undefined;
  const w = slo.evaluation.burnRates.find((b) => b.window === rules.journeys.window);
  if (w === undefined) return undefined;
  const failures = w.total - w.good;
  const ratio = w.total > 0 ? w.good / w.total : null;
  return { good: w.good, total: w.total, failures, ratio, failing: ratio !== null && failures >= rules.journeys.minFailures && ratio < slo.target };
}

/** The per-version windows the alerts and journey checks of an SLO need (empty when nothing is to be attributed). */
export function sloAttributionRequests(slo: GateSloState, rules: GatePolicyRules): VersionWindowRequest[] {
  const e = slo.evaluation;
  if (e === undefined) return [];
  const out: VersionWindowRequest[] = [];
  for (const alert of activeAlerts(slo)) {
    for (const rule of alert.rules ?? []) out.push(versionWindow(slo.name, e.atMs, Math.max(rule.longWindowMs, rules.attributionWindowMs)));
  }
  if (journeyState(slo, rules)?.failing) out.push(versionWindow(slo.name, e.atMs, Math.max(rules.journeys.windowMs, rules.attributionWindowMs)));
  return out;
}

/** Shared parts of one SLO's checks. */
export interface SloCheckContext {
  slo: GateSloState;
  version: string;
  rules: GatePolicyRules;
  freshness: SloFreshnessAtDecision;
  versionCounts: readonly VersionWindowCounts[];
}

function check(ctx: SloCheckContext, kind: 'budget' | 'alerts' | 'journeys' | 'freshness', fields: Omit<GateCheckResult, 'blocking' | 'freshness'>): GateCheckResult {
  return { ...fields, blocking: ctx.rules.checks[kind] === 'block', freshness: { ...ctx.freshness } };
}

/** `budget:<slo>`: error budget left for the whole period (docs/verdict-semantics.md §3). */
export function budgetCheck(ctx: SloCheckContext): GateCheckResult {
  const { slo, rules, freshness } = ctx;
  const e = slo.evaluation;
  const base = {
    name: `budget:${slo.name}`,
    threshold: rules.minBudgetRemaining,
    comparator: '>=' as const,
    unit: 'ratio',
    window: { length: slo.complianceWindow, from: e === undefined ? null : e.atMs - e.budget.periodMs, to: e?.atMs ?? null },
  };
  if (e === undefined) return check(ctx, 'budget', { ...base, status: 'INCONCLUSIVE', observed: null, explanation: `no evaluation of ${slo.name} yet: ${slo.reason}` });
  const b = e.budget;
  const spent = `${formatCount(b.consumedEvents)} bad events of ${formatCount(b.allowedBadEvents)} allowed for the ${slo.complianceWindow} window`;
  if (b.exhausted) return check(ctx, 'budget', { ...base, status: 'FAIL', observed: b.remainingRatio, explanation: `error budget exhausted: ${spent}` });
  if (!freshness.fresh) return check(ctx, 'budget', { ...base, status: 'INCONCLUSIVE', observed: b.remainingRatio, explanation: `data not fresh, so the budget cannot be judged: ${freshness.reason}` });
  if (b.total < b.minEvents) {
    return check(ctx, 'budget', { ...base, status: 'INCONCLUSIVE', observed: b.remainingRatio, explanation: `too few events to judge the budget: ${formatCount(b.total)} of the ${formatCount(b.minEvents)} ${slo.name} needs` });
  }
  if (b.remainingRatio < rules.minBudgetRemaining) {
    return check(ctx, 'budget', { ...base, status: 'FAIL', observed: b.remainingRatio, explanation: `${pct(b.remainingRatio)} of the error budget left (${spent}); the policy wants at least ${pct(rules.minBudgetRemaining)}` });
  }
  return check(ctx, 'budget', { ...base, status: 'PASS', observed: b.remainingRatio, explanation: `${pct(b.remainingRatio)} of the error budget left (${spent})${rules.minBudgetRemaining > 0 ? `; the policy wants at least ${pct(rules.minBudgetRemaining)}` : ''}` });
}

/** The service's burn over a rule's long and short windows, from the evaluation. */
function ruleBurns(slo: GateSloState, rule: GateAlertRule): { long: number | undefined; short: number | undefined } {
  const rates = slo.evaluation?.burnRates ?? [];
  return { long: rates.find((w) => w.durationMs === rule.longWindowMs)?.burnRate, short: rates.find((w) => w.durationMs === rule.shortWindowMs)?.burnRate };
}

/** What attributing an alert found: whether the version is clean, why, and the comparison that decided (its own burn against a rule). */
interface AlertAttribution {
  clean: boolean;
  text: string;
  /** The rule and window of the deciding comparison, and the version's own burn rate there (null: no events of it). */
  decided?: { rule: GateAlertRule; windowMs: number; ownBurn: number | null } | undefined;
}

/** Attribution of an alert to the version over each of its rules' windows. */
function attributeAlert(ctx: SloCheckContext, alert: ActiveAlert): AlertAttribution {
  const e = ctx.slo.evaluation!;
  if (alert.rules === undefined || alert.rules.length === 0) return { clean: false, text: `the SLO's rules are unknown here, so the alert counts against every version` };
  // the version is clean of the alert only when it is below every rule's threshold; the first rule it is not clean of explains
  let first: AlertAttribution | undefined;
  for (const rule of alert.rules) {
    const windowMs = Math.max(rule.longWindowMs, ctx.rules.attributionWindowMs);
    const shares = sharesOf(ctx.versionCounts, versionWindow(ctx.slo.name, e.atMs, windowMs));
    if (shares === undefined) return { clean: false, text: 'per-version counts were not available, so the alert counts against every version' };
    const rate = (s: VersionShare) => shareBurnRate(s, ctx.slo.target) ?? 0;
    const a = attribute({
      shares, version: ctx.version, minEvents: minEventsOf(ctx.slo), windowMs,
      isClean: (s) => rate(s) < rule.burnRate,
      describe: (s) => `${burn(rate(s))} burn`,
      worse: (x, y) => rate(y) - rate(x),
    });
    const result = { clean: a.clean, text: a.text, decided: { rule, windowMs, ownBurn: shareBurnRate(a.own, ctx.slo.target) } };
    if (!a.clean) return result;
    first ??= result;
  }
  return first!;
}

/** `alerts:<slo>`: active burn-rate alerts (page → policy.alerts.page, ticket → policy.alerts.ticket). */
export function alertsCheck(ctx: SloCheckContext): GateCheckResult {
  const { slo, rules, freshness } = ctx;
  const e = slo.evaluation;
  const name = `alerts:${slo.name}`;
  const noWindow = { length: '-', from: null, to: null };
  if (e === undefined) {
    return check(ctx, 'alerts', { name, status: 'INCONCLUSIVE', observed: null, threshold: null, comparator: null, unit: 'burnRate', window: noWindow, explanation: `no evaluation of ${slo.name} yet: ${slo.reason}` });
  }
  // observed / threshold: the version's own burn against the rule when an alert was attributed, else the service's over the rule's long window
  const figures = (rule: GateAlertRule | undefined, attributed?: AlertAttribution['decided']) => {
    if (attributed !== undefined) {
      const { windowMs } = attributed;
      return { observed: attributed.ownBurn, threshold: attributed.rule.burnRate, comparator: '<' as const, window: { length: formatDurationMs(windowMs), from: e.atMs - windowMs, to: e.atMs } };
    }
    if (rule === undefined) return { observed: null, threshold: null, comparator: null, window: noWindow };
    return { observed: ruleBurns(slo, rule).long ?? null, threshold: rule.burnRate, comparator: '<' as const, window: { length: formatDurationMs(rule.longWindowMs), from: e.atMs - rule.longWindowMs, to: e.atMs } };
  };
  const passed: string[] = [];
  let cleared: AlertAttribution['decided'];
  for (const alert of activeAlerts(slo)) {
    const rule = alert.rules?.[0];
    const what = alert.firing.length > 0
      ? `${alert.severity} rule${alert.firing.length > 1 ? 's' : ''} ${alert.firing.join(', ')} fire${alert.firing.length > 1 ? '' : 's'}${rule ? ` (${burn(ruleBurns(slo, rule).long ?? 0)} over ${formatDurationMs(rule.longWindowMs)}, ${burn(ruleBurns(slo, rule).short ?? 0)} over ${formatDurationMs(rule.shortWindowMs)}; threshold ${burn(rule.burnRate)})` : ''}`
      : `a ${alert.severity} is held (${slo.eventTimeStatus}: ${slo.reason})`;
    const attribution = attributeAlert(ctx, alert);
    if (attribution.clean) {
      passed.push(`${what} for ${slo.name}, but not because of this version: ${attribution.text}`);
      cleared ??= attribution.decided;
      continue;
    }
    const status: GateStatus = rules.alerts[alert.severity];
    return check(ctx, 'alerts', { name, status, unit: 'burnRate', ...figures(rule, attribution.decided), explanation: `${what}: ${attribution.text}` });
  }
  if (passed.length > 0) {
    return check(ctx, 'alerts', { name, status: 'PASS', unit: 'burnRate', ...figures(undefined, cleared), explanation: passed.join('; ') });
  }
  // nothing active: report the rule closest to firing
  const closest = (slo.rules ?? [])
    .map((r) => ({ r, b: ruleBurns(slo, r) }))
    .sort((x, y) => Math.min(y.b.long ?? 0, y.b.short ?? 0) / y.r.burnRate - Math.min(x.b.long ?? 0, x.b.short ?? 0) / x.r.burnRate)[0];
  if (!freshness.fresh) {
    return check(ctx, 'alerts', { name, status: 'INCONCLUSIVE', unit: 'burnRate', ...figures(closest?.r), explanation: `no alert rule fires, but the data is not fresh, so that proves nothing: ${freshness.reason}` });
  }
  return check(ctx, 'alerts', {
    name, status: 'PASS', unit: 'burnRate', ...figures(closest?.r),
    explanation: `no alert rule fires${closest ? ` (closest: ${closest.r.name} at ${burn(closest.b.long ?? 0)} over ${formatDurationMs(closest.r.longWindowMs)} of ${burn(closest.r.burnRate)})` : ''}`,
  });
}

/** `journey:<slo>`: a synthetic journey's recent checks (syntheticSuccess SLOs only). */
export function journeyCheck(ctx: SloCheckContext): GateCheckResult | undefined {
  const { slo, rules, freshness } = ctx;
  if (slo.indicator !== 'syntheticSuccess') return undefined;
  const e = slo.evaluation;
  const name = `journey:${slo.name}`;
  const window = { length: rules.journeys.window, from: e === undefined ? null : e.atMs - rules.journeys.windowMs, to: e?.atMs ?? null };
  const base = { name, threshold: slo.target, comparator: '>=' as const, unit: 'ratio', window };
  const state = journeyState(slo, rules);
  if (e === undefined || state === undefined) return check(ctx, 'journeys', { ...base, status: 'INCONCLUSIVE', observed: null, explanation: `no evaluation of ${slo.name} yet: ${slo.reason}` });
  const counts = `${formatCount(state.failures)} of ${formatCount(state.total)} checks failed over ${rules.journeys.window}`;
  if (!state.failing) {
    if (!freshness.fresh) return check(ctx, 'journeys', { ...base, status: 'INCONCLUSIVE', observed: state.ratio, explanation: `data not fresh: ${freshness.reason}` });
    if (state.total === 0) return check(ctx, 'journeys', { ...base, status: 'INCONCLUSIVE', observed: null, explanation: `no journey checks ran over the last ${rules.journeys.window}` });
    return check(ctx, 'journeys', { ...base, status: 'PASS', observed: state.ratio, explanation: `the journey works: ${counts} (fails at ≥ ${rules.journeys.minFailures} failures and below ${pct(slo.target)} success)` });
  }
  const windowMs = Math.max(rules.journeys.windowMs, rules.attributionWindowMs);
  const shares = sharesOf(ctx.versionCounts, versionWindow(slo.name, e.atMs, windowMs));
  const bar = (s: VersionShare) => !(s.bad >= rules.journeys.minFailures && s.total > 0 && s.good / s.total < slo.target);
  const a = shares === undefined ? undefined : attribute({
    shares, version: ctx.version, minEvents: minEventsOf(slo), windowMs, isClean: bar,
    describe: (s) => `${formatCount(s.bad)} of ${formatCount(s.total)} checks failed`,
    worse: (x, y) => (y.badRatio ?? 0) - (x.badRatio ?? 0),
  });
  const why = a?.text ?? 'per-version counts were not available, so the failing journey counts against every version';
  if (a?.clean) return check(ctx, 'journeys', { ...base, status: 'PASS', observed: state.ratio, explanation: `the journey fails for the service (${counts}), but not because of this version: ${why}` });
  return check(ctx, 'journeys', { ...base, status: 'FAIL', observed: state.ratio, explanation: `the journey fails: ${counts} (success ${pct(state.ratio!)} < ${pct(slo.target)}): ${why}` });
}

/** `freshness:<slo>`: the SLO's data at the decision's wall clock. */
export function freshnessCheck(ctx: SloCheckContext): GateCheckResult {
  const { slo, freshness } = ctx;
  const base = {
    name: `freshness:${slo.name}`,
    observed: freshness.lagMs,
    threshold: slo.maxStalenessMs,
    comparator: '<=' as const,
    unit: 'ms',
    window: { length: formatDurationMs(slo.maxStalenessMs), from: freshness.watermark, to: slo.vouchedMs === undefined || freshness.lagMs === null ? null : slo.vouchedMs + freshness.lagMs },
  };
  if (!freshness.fresh) return check(ctx, 'freshness', { ...base, status: 'INCONCLUSIVE', explanation: `data not fresh: ${freshness.reason}` });
  return check(ctx, 'freshness', {
    ...base,
    status: 'PASS',
    explanation: `its sources vouch for event time ${Math.round((freshness.lagMs ?? 0) / 1000)} s behind the wall clock (≤ ${formatDurationMs(slo.maxStalenessMs)}) and its events were fresh at the last evaluation`,
  });
}
