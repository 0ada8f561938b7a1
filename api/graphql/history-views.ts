import type { AlertRule } from '../../engine/core/alerting/alert-rules.ts';
import type { AlertScore } from '../../engine/core/history/incident-scoring.ts';
import type { ReviewReport } from '../../engine/core/history/review-report.ts';
import { formatDurationMs } from '../../engine/core/time/duration.ts';
import type { BacktestAnswer, DataBasis, TargetsAnswer, TuneAnswer } from '../../engine/adapters/slo-history-service.ts';

/**
 * The history answers as the API shows them (schema/graphql/sluice.graphql, "History"):
 * times in epoch ms (`at`, `start`, `end`), durations as text (`1h`), nulls for unknowns.
 * `sluice backtest|tune|targets --json` print the same shapes.
 */

export function ruleView(r: AlertRule) {
  return { name: r.name, severity: r.severity, longWindow: formatDurationMs(r.longWindowMs), shortWindow: formatDurationMs(r.shortWindowMs), burnRate: r.burnRateThreshold };
}

export function scoreView(s: AlertScore) {
  return { ...s };
}

export function dataView(d: DataBasis) {
  return {
    basis: d.basis.map((b) => ({ from: b.fromMs, to: b.toMs, source: b.source, exact: b.exact, note: b.note })),
    estimatedMinutes: d.estimatedMinutes,
    limits: d.limits,
    latencyBound: d.latencyBound ?? null,
  };
}

export function backtestView(a: BacktestAnswer) {
  return {
    slo: a.slo.name,
    service: a.slo.service,
    environment: a.slo.environment,
    target: a.slo.target,
    from: a.fromMs,
    to: a.toMs,
    ruleSet: a.ruleSet,
    rules: a.rules.map(ruleView),
    alerts: a.alerts.map((x) => ({ severity: x.severity, start: x.startMs, end: x.endMs, rules: x.rules, peakBurnRate: x.peakBurnRate, peakAt: x.peakAtMs, incidents: x.incidentIds, noise: x.noise })),
    transitions: a.transitions.map((t) => ({ at: t.atMs, from: t.from, to: t.to, rule: t.rule ?? null, reason: t.reason })),
    budget: a.budget.map((b) => ({ at: b.atMs, attainment: b.attainment, good: b.good, total: b.total, consumedRatio: b.consumedRatio, remainingRatio: b.remainingRatio, allowedBadEvents: b.allowedBadEvents, exhausted: b.exhausted })),
    good: a.counts.good,
    total: a.counts.total,
    attainment: a.counts.total === 0 ? null : a.counts.good / a.counts.total,
    incidents: a.incidents.map((i) => ({ incidentId: i.incidentId, severity: i.severity, title: i.title, openedAt: i.openedAtMs, resolvedAt: i.resolvedAtMs, detected: i.detected, detectionDelayMs: i.detectionDelayMs, firstAlertAt: i.firstAlertAtMs })),
    score: scoreView(a.score),
    pageScore: scoreView(a.bySeverity.page),
    ticketScore: scoreView(a.bySeverity.ticket),
    data: dataView(a.data),
    maintenanceNote: a.maintenance.note,
    boundaries: a.stats.boundaries,
    evaluated: a.stats.evaluated,
  };
}

export function tuneView(a: TuneAnswer) {
  const point = (p: TuneAnswer['points'][number]) => ({ rule: ruleView(p.rule), score: scoreView(p.score), pareto: p.pareto });
  return {
    slo: a.slo.name,
    from: a.fromMs,
    to: a.toMs,
    incidents: a.incidents,
    points: a.points.map(point),
    front: a.front.map(point),
    recommended: a.recommended === undefined ? null : { rules: a.recommended.rules.map(ruleView), score: scoreView(a.recommended.score), why: a.recommended.why },
    skipped: a.skipped,
    data: dataView(a.data),
  };
}

export function targetsView(a: TargetsAnswer) {
  return {
    slo: a.slo.name,
    at: a.atMs,
    currentTarget: a.slo.target,
    windows: a.windows.length,
    met: a.met,
    recommendedTarget: a.recommendation.target,
    reasoning: a.recommendation.reasoning,
    forecast: {
      burnWindow: a.forecast.burnWindow, burnRate: a.forecast.burnRate, remainingEvents: a.forecast.remainingEvents, remainingRatio: a.forecast.remainingRatio,
      exhausted: a.forecast.exhausted, exhaustsAt: a.forecast.exhaustsAtMs, statement: a.forecast.statement,
    },
    data: dataView(a.data),
  };
}

export function reportView(r: ReviewReport, markdown: string) {
  return {
    title: r.title,
    from: r.period.fromMs,
    to: r.period.toMs,
    label: r.period.label,
    team: r.team,
    generatedAt: r.generatedAtMs,
    markdown,
    json: JSON.stringify(r),
    slos: r.sections.map((s) => ({
      name: s.name, displayName: s.displayName, service: s.service, environment: s.environment, team: s.team, target: s.target,
      good: s.good, total: s.total, attainment: s.attainment, budgetConsumedRatio: s.budgetConsumedRatio, met: s.met,
      breaches: s.breaches.map((b) => ({ status: b.status, start: b.startedAtMs, end: b.endedAtMs, rule: b.rule || null, cause: b.cause })),
      alerts: s.alertScore.alerts,
      noiseAlerts: s.alertScore.noiseAlerts,
      incidents: s.incidents.length,
      missedIncidents: s.incidents.filter((i) => !i.detected).length,
      deploys: s.deploys.map((d) => ({ deployId: d.deployId, version: d.version, startedAt: d.startedAtMs, status: d.status, badEvents: d.badEvents, burnRate: d.burnRate, budgetShare: d.budgetShare, burnedBudget: d.burnedBudget })),
      configChanges: s.configChanges.map((c) => ({ at: c.atMs, loadedBy: c.loadedBy, file: c.file, changes: c.changes })),
      limits: s.limits,
    })),
  };
}
