import type { AlertEpisode } from './alert-episodes.ts';
import type { AlertScore, IncidentOutcome } from './incident-scoring.ts';

/**
 * The SLO review report (a recurring review, per SLO or per team, over a period — the
 * workbook's SLO review [WB2, "Continuous Improvement of SLO Targets"]): attainment, budget
 * consumed, breaches and their causes, alerts and their noise, incidents, deploys and which
 * burnt budget, and changes of the SLO's definition. Pure: the model and its Markdown.
 */

/** A status change as recorded in the breach stream. */
export interface TransitionRecord {
  from: string;
  to: string;
  atMs: number;
  reason: string;
  /** '' when no rule caused it. */
  rule: string;
}

/** A period an SLO spent BREACHED or WARNING. */
export interface BreachEpisode {
  status: 'BREACHED' | 'WARNING';
  startedAtMs: number;
  /** When it left that status, epoch ms; null when still in it at the period's end. */
  endedAtMs: number | null;
  /** The rule behind it, '' when none (an exhausted budget). */
  rule: string;
  /** The transition's reason: page rule and burn rates, exhausted budget, ticket rule. */
  cause: string;
}

/** A deploy and the budget its release burnt. */
export interface DeployBurn {
  deployId: string;
  version: string;
  startedAtMs: number;
  status: string;
  /** Events of this version in the period (all its deploys). */
  total: number;
  badEvents: number;
  /** Burn rate of the version over its events: (bad / total) / (1 − target); null without events. */
  burnRate: number | null;
  /** Its bad events / the period's allowed bad events (ratio). */
  budgetShare: number;
  /** The version burnt budget faster than allowed (burn rate > 1). */
  burnedBudget: boolean;
}

/** A change of the SLO's definition in the period. */
export interface ConfigChange {
  atMs: number;
  loadedBy: string;
  file: string;
  /** `path: before → after`, one per changed value; `added` / `removed` for the first / last version. */
  changes: string[];
}

/** One SLO's section of a report. */
export interface ReviewSection {
  name: string;
  displayName: string;
  service: string;
  environment: string;
  team: string;
  /** Target, ratio 0–1. */
  target: number;
  good: number;
  total: number;
  /** good / total over the period, ratio 0–1; null without events. */
  attainment: number | null;
  /** (1 − target) · total. */
  allowedBadEvents: number;
  badEvents: number;
  /** bad / allowed (ratio, > 1 overspent). */
  budgetConsumedRatio: number;
  /** attainment ≥ target; null without events. */
  met: boolean | null;
  breaches: BreachEpisode[];
  alerts: (AlertEpisode & { incidentIds: string[]; noise: boolean })[];
  alertScore: AlertScore;
  incidents: IncidentOutcome[];
  deploys: DeployBurn[];
  configChanges: ConfigChange[];
  /** What the figures rest on and cannot say. */
  limits: string[];
}

export interface ReviewReport {
  title: string;
  period: { fromMs: number; toMs: number; label: string };
  team: string | null;
  generatedAtMs: number;
  sections: ReviewSection[];
}

/** BREACHED and WARNING periods from an SLO's transitions (oldest first), each ended by the next transition. */
export function breachEpisodes(transitions: readonly TransitionRecord[]): BreachEpisode[] {
  const sorted = [...transitions].sort((a, b) => a.atMs - b.atMs);
  const out: BreachEpisode[] = [];
  sorted.forEach((t, i) => {
    if (t.to !== 'BREACHED' && t.to !== 'WARNING') return;
    const next = sorted[i + 1];
    out.push({ status: t.to, startedAtMs: t.atMs, endedAtMs: next?.atMs ?? null, rule: t.rule, cause: t.reason });
  });
  return out;
}

/**
 * Budget per deploy: a release's bad events are the bad events of its version (signal
 * rollups and `sli_rollups` keep the version), as a share of the period's allowance. A
 * version deployed twice is attributed to its first deploy in the period.
 */
export function deployBurns(
  deploys: readonly { deployId: string; version: string; startedAtMs: number; status: string }[],
  versions: readonly { version: string; good: number; total: number }[],
  target: number,
  allowedBadEvents: number,
): DeployBurn[] {
  const seen = new Set<string>();
  return deploys.map((d) => {
    const v = seen.has(d.version) ? undefined : versions.find((x) => x.version === d.version);
    seen.add(d.version);
    const total = v?.total ?? 0;
    const bad = v === undefined ? 0 : v.total - v.good;
    const burnRate = total === 0 ? null : bad / total / (1 - target);
    return {
      deployId: d.deployId, version: d.version, startedAtMs: d.startedAtMs, status: d.status, total, badEvents: bad, burnRate,
      budgetShare: allowedBadEvents > 0 ? bad / allowedBadEvents : 0, burnedBudget: burnRate !== null && burnRate > 1,
    };
  });
}

/** The values that differ between two JSON documents, as `path: before → after` (sorted by path). */
export function definitionChanges(before: unknown, after: unknown, path = ''): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(before) && isObject(after) && Array.isArray(before) === Array.isArray(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => definitionChanges(before[k], after[k], path === '' ? k : `${path}.${k}`));
  }
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return [`${path}: ${show(before)} → ${show(after)}`];
}

const pct = (r: number | null, digits = 3) => (r === null ? 'n/a' : `${(r * 100).toFixed(digits)} %`);
const iso = (ms: number | null) => (ms === null ? 'ongoing' : new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z').replace('T', ' '));
const minutes = (ms: number | null) => (ms === null ? '–' : `${ms < 0 ? '−' : ''}${Math.abs(ms / 60_000).toFixed(0)} min`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The report as Markdown: a summary table, then one section per SLO. */
export function renderReviewMarkdown(report: ReviewReport): string {
  const lines: string[] = [`# ${report.title}`, '', `Period: ${iso(report.period.fromMs)} – ${iso(report.period.toMs)} (${report.period.label})${report.team === null ? '' : ` · team ${report.team}`} · generated ${iso(report.generatedAtMs)}`, ''];
  lines.push('| SLO | target | attainment | met | budget consumed | breaches | pages (noise) | incidents (missed) | deploys burning budget | config changes |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of report.sections) {
    const pages = s.alerts.filter((a) => a.severity === 'page');
    lines.push(`| ${cell(s.name)} | ${pct(s.target, 2)} | ${pct(s.attainment)} | ${s.met === null ? 'n/a' : s.met ? 'yes' : '**no**'} | ${pct(s.budgetConsumedRatio, 1)} | ${s.breaches.filter((b) => b.status === 'BREACHED').length} | ${pages.length} (${pages.filter((a) => a.noise).length}) | ${s.incidents.length} (${s.incidents.filter((i) => !i.detected).length}) | ${s.deploys.filter((d) => d.burnedBudget).length} of ${s.deploys.length} | ${s.configChanges.length} |`);
  }
  for (const s of report.sections) {
    lines.push('', `## ${s.displayName} (${s.name})`, '', `${s.service} / ${s.environment}${s.team ? ` · team ${s.team}` : ''} · target ${pct(s.target, 2)}`, '');
    lines.push(`- Attainment ${pct(s.attainment)} over ${s.total} events (${s.badEvents} bad): ${s.met === null ? 'no events' : s.met ? 'target met' : '**target missed**'}.`);
    lines.push(`- Budget: ${s.badEvents} bad events of ${s.allowedBadEvents.toFixed(1)} allowed — ${pct(s.budgetConsumedRatio, 1)} consumed.`);
    lines.push(`- Alerts: ${s.alertScore.alerts} (precision ${pct(s.alertScore.precision, 0)}, ${s.alertScore.noiseAlerts} without an incident); incidents: ${s.alertScore.incidents} (recall ${pct(s.alertScore.recall, 0)}, median detection delay ${minutes(s.alertScore.medianDetectionDelayMs)}).`);
    lines.push('', '### Breaches', '');
    if (s.breaches.length === 0) lines.push('None.');
    else {
      lines.push('| status | from | to | rule | cause |', '| --- | --- | --- | --- | --- |');
      for (const b of s.breaches) lines.push(`| ${b.status} | ${iso(b.startedAtMs)} | ${iso(b.endedAtMs)} | ${cell(b.rule || '–')} | ${cell(b.cause)} |`);
    }
    lines.push('', '### Alerts', '');
    if (s.alerts.length === 0) lines.push('None.');
    else {
      lines.push('| severity | from | to | rules | peak burn | incidents |', '| --- | --- | --- | --- | --- | --- |');
      for (const a of s.alerts) lines.push(`| ${a.severity} | ${iso(a.startMs)} | ${iso(a.endMs)} | ${cell(a.rules.join(', '))} | ${a.peakBurnRate.toFixed(1)}× | ${a.noise ? '**noise**' : cell(a.incidentIds.join(', '))} |`);
    }
    lines.push('', '### Incidents', '');
    if (s.incidents.length === 0) lines.push('None.');
    else {
      lines.push('| incident | severity | opened | resolved | detected | delay | title |', '| --- | --- | --- | --- | --- | --- | --- |');
      for (const i of s.incidents) lines.push(`| ${cell(i.incidentId)} | ${i.severity} | ${iso(i.openedAtMs)} | ${iso(i.resolvedAtMs)} | ${i.detected ? 'yes' : '**missed**'} | ${minutes(i.detectionDelayMs)} | ${cell(i.title)} |`);
    }
    lines.push('', '### Deploys', '');
    if (s.deploys.length === 0) lines.push('None.');
    else {
      lines.push('| deploy | version | started | status | events | bad | burn | budget share |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
      for (const d of s.deploys) lines.push(`| ${cell(d.deployId)} | ${cell(d.version)} | ${iso(d.startedAtMs)} | ${d.status} | ${d.total} | ${d.badEvents} | ${d.burnRate === null ? '–' : `${d.burnRate.toFixed(2)}×${d.burnedBudget ? ' **burnt budget**' : ''}`} | ${pct(d.budgetShare, 1)} |`);
    }
    lines.push('', '### Configuration changes', '');
    if (s.configChanges.length === 0) lines.push('None.');
    else for (const c of s.configChanges) lines.push(`- ${iso(c.atMs)} by ${c.loadedBy} (${c.file}): ${c.changes.map((x) => `\`${x}\``).join('; ')}`);
    if (s.limits.length > 0) lines.push('', '### Limits', '', ...s.limits.map((l) => `- ${l}`));
  }
  return `${lines.join('\n')}\n`;
}
