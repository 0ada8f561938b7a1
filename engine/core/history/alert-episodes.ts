import type { AlertSeverity } from '../alerting/alert-rules.ts';
import { MINUTE_MS } from '../window/minute-bucket.ts';
import type { BoundaryRange, RuleSeries } from './rule-firing.ts';

/**
 * Alerts as a pager sees them: one alert per severity (`page`, `ticket`) — the workbook's
 * and Sloth's shape, where each severity's multiwindow conditions are ORed into one alert
 * [WB5, "Multiwindow, Multi-Burn-Rate Alerts"] — held like the breach state machine holds
 * its conditions (Prometheus' `keep_firing_for`): on at the first boundary where one of the
 * severity's rules fires; the first boundary without any starts the hold; a firing boundary
 * cancels it; the first boundary at least `holdMs` after its start resolves the alert.
 */
export interface AlertEpisode {
  severity: AlertSeverity;
  /** Boundary the alert fired at, epoch ms. */
  startMs: number;
  /** Boundary it resolved at (hold run out), epoch ms; null while still firing at the end of the range. */
  endMs: number | null;
  /** Rules that fired during the episode, by name, in first-firing order. */
  rules: string[];
  /** Highest long-window burn rate of a firing rule of this severity during the episode. */
  peakBurnRate: number;
  /** Boundary of the peak, epoch ms. */
  peakAtMs: number;
}

/**
 * The alerts of `rules` (one RuleSeries each, over `range`), per severity, oldest first.
 * An alert already firing at the range's first boundary starts there.
 */
export function alertEpisodes(rules: readonly RuleSeries[], range: BoundaryRange, holdMs: number): AlertEpisode[] {
  const out: AlertEpisode[] = [];
  for (const severity of ['page', 'ticket'] as const) {
    const mine = rules.filter((r) => r.rule.severity === severity);
    if (mine.length === 0) continue;
    const any = unionFiring(mine, range.count);
    let open: AlertEpisode | undefined;
    let clearingSinceMs: number | undefined;
    for (let k = 0; k < range.count; k++) {
      if (any[k] !== 1 && open === undefined) continue;
      const atMs = range.fromAtMs + k * MINUTE_MS;
      if (any[k] === 1) {
        for (const r of mine) {
          if (r.firing[k] !== 1) continue;
          if (open === undefined) {
            open = { severity, startMs: atMs, endMs: null, rules: [], peakBurnRate: -1, peakAtMs: atMs };
            out.push(open);
          }
          if (!open.rules.includes(r.rule.name)) open.rules.push(r.rule.name);
          const burn = r.longBurn[k]!;
          if (burn > open.peakBurnRate) {
            open.peakBurnRate = burn;
            open.peakAtMs = atMs;
          }
        }
        clearingSinceMs = undefined;
        continue;
      }
      clearingSinceMs ??= atMs;
      if (atMs - clearingSinceMs >= holdMs) {
        open!.endMs = atMs;
        open = undefined;
        clearingSinceMs = undefined;
      }
    }
  }
  return out.sort((a, b) => a.startMs - b.startMs || a.severity.localeCompare(b.severity));
}

/** Boundaries at which an alert of these rules fires or is held, as one on/off array over `range` (for unions of candidate rules). */
export function unionFiring(rules: readonly { firing: Uint8Array }[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (const r of rules) for (let k = 0; k < count; k++) if (r.firing[k] === 1) out[k] = 1;
  return out;
}
