import type { AlertEpisode } from './alert-episodes.ts';

/**
 * How well alerts matched what really happened: the incidents of the SLO's service. The
 * workbook judges alerting on precision, recall, detection time and reset time [WB5,
 * "Alerting Considerations"]; here, against the recorded incidents:
 *
 *  - an alert *belongs to* an incident when it fires (starts) between `earlyToleranceMs`
 *    before the incident was opened and the incident's resolution (the end of the range
 *    while it is open) — an alert that led the incident report by up to the tolerance
 *    detected it (its delay is negative); a second alert during the same incident belongs
 *    to it too, it is not noise;
 *  - precision = alerts belonging to some incident / alerts; noise = the others;
 *  - recall = incidents with at least one alert / incidents; missed = the others;
 *  - detection delay of an incident = its first alert's start − opened (ms).
 * Alerts and incidents inside a maintenance window are left out of both (none exist yet:
 * the windows come in as an argument, see docs/history.md).
 */

/** An incident to score against. */
export interface ScoredIncidentInput {
  incidentId: string;
  severity: string;
  title: string;
  openedAtMs: number;
  resolvedAtMs: number | null;
}

/** A period alerts and incidents in which are not scored (planned work). */
export interface MaintenanceWindow {
  fromMs: number;
  toMs: number;
  reason: string;
}

export interface ScoringOptions {
  /** An alert up to this long before the incident was opened detected it, ms; default 1 h. */
  earlyToleranceMs?: number;
  /** End of the scored range, epoch ms: open incidents and open alerts last until here. */
  rangeEndMs: number;
  maintenance?: readonly MaintenanceWindow[];
}

/** An incident and whether an alert caught it. */
export interface IncidentOutcome extends ScoredIncidentInput {
  detected: boolean;
  /** First alert's start − opened, ms (negative: the alert came first); null when missed. */
  detectionDelayMs: number | null;
  /** Start of the first alert that caught it, epoch ms. */
  firstAlertAtMs: number | null;
}

/** An alert and the incidents it belongs to. */
export interface AlertOutcome<A extends AlertEpisode = AlertEpisode> {
  alert: A;
  incidentIds: string[];
  /** Belongs to no incident. */
  noise: boolean;
}

export interface AlertScore {
  alerts: number;
  incidents: number;
  /** Alerts that belong to an incident / alerts (ratio 0–1); null without alerts. */
  precision: number | null;
  /** Incidents an alert caught / incidents (ratio 0–1); null without incidents. */
  recall: number | null;
  noiseAlerts: number;
  missedIncidents: number;
  /** Median and largest detection delay of the caught incidents, ms; null when none was caught. */
  medianDetectionDelayMs: number | null;
  maxDetectionDelayMs: number | null;
  /** Alerts per week of the scored range (7 days). */
  alertsPerWeek: number;
}

export interface ScoredAlerts<A extends AlertEpisode = AlertEpisode> {
  score: AlertScore;
  alerts: AlertOutcome<A>[];
  incidents: IncidentOutcome[];
}

/** Default tolerance for an alert leading the incident report, ms (1 hour). */
export const DEFAULT_EARLY_TOLERANCE_MS = 3_600_000;

const WEEK_MS = 604_800_000;

const inMaintenance = (atMs: number, windows: readonly MaintenanceWindow[]) => windows.some((w) => atMs >= w.fromMs && atMs < w.toMs);

/** Scores `alerts` against `incidents` over `[rangeStartMs, options.rangeEndMs)`. */
export function scoreAlerts<A extends AlertEpisode>(alerts: readonly A[], incidents: readonly ScoredIncidentInput[], rangeStartMs: number, options: ScoringOptions): ScoredAlerts<A> {
  const early = options.earlyToleranceMs ?? DEFAULT_EARLY_TOLERANCE_MS;
  const maintenance = options.maintenance ?? [];
  const scoredAlerts = alerts.filter((a) => !inMaintenance(a.startMs, maintenance));
  const scoredIncidents = incidents.filter((i) => !inMaintenance(i.openedAtMs, maintenance));
  const belongs = (a: A, i: ScoredIncidentInput) => a.startMs >= i.openedAtMs - early && a.startMs <= (i.resolvedAtMs ?? options.rangeEndMs);

  const alertOutcomes = scoredAlerts.map((alert): AlertOutcome<A> => {
    const incidentIds = scoredIncidents.filter((i) => belongs(alert, i)).map((i) => i.incidentId);
    return { alert, incidentIds, noise: incidentIds.length === 0 };
  });
  const incidentOutcomes = scoredIncidents.map((i): IncidentOutcome => {
    const first = scoredAlerts.filter((a) => belongs(a, i)).sort((a, b) => a.startMs - b.startMs)[0];
    return first === undefined
      ? { ...i, detected: false, detectionDelayMs: null, firstAlertAtMs: null }
      : { ...i, detected: true, detectionDelayMs: first.startMs - i.openedAtMs, firstAlertAtMs: first.startMs };
  });
  const delays = incidentOutcomes.flatMap((i) => (i.detectionDelayMs === null ? [] : [i.detectionDelayMs])).sort((a, b) => a - b);
  const related = alertOutcomes.filter((a) => !a.noise).length;
  const detected = incidentOutcomes.filter((i) => i.detected).length;
  const weeks = Math.max(options.rangeEndMs - rangeStartMs, 0) / WEEK_MS;
  return {
    score: {
      alerts: alertOutcomes.length,
      incidents: incidentOutcomes.length,
      precision: alertOutcomes.length === 0 ? null : related / alertOutcomes.length,
      recall: incidentOutcomes.length === 0 ? null : detected / incidentOutcomes.length,
      noiseAlerts: alertOutcomes.length - related,
      missedIncidents: incidentOutcomes.length - detected,
      medianDetectionDelayMs: median(delays),
      maxDetectionDelayMs: delays.length === 0 ? null : delays.at(-1)!,
      alertsPerWeek: weeks === 0 ? 0 : alertOutcomes.length / weeks,
    },
    alerts: alertOutcomes,
    incidents: incidentOutcomes,
  };
}

/** Median of sorted numbers (mean of the two middle ones for an even count); null when empty. */
export function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
