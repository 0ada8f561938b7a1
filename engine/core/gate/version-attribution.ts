import { formatCount } from '../budget/error-budget.ts';
import { formatDurationMs } from '../time/duration.ts';
import type { GateSloState, VersionWindowCounts, VersionWindowRequest } from './gate-inputs.ts';

/**
 * Version attribution. The judges' state is per SLO — the service in the environment, every
 * version together — while a gate asks about one version. An active alert or a failing
 * journey therefore counts against every version, **except** a version whose own exact
 * counts (sli_rollups are kept per version) show it clean over the same window: at least
 * the SLO's minEvents events of that version, and the version's own figure on the right
 * side of the bar (below the rule's burn rate; the journey's failures below its bar). A
 * version that has not served there, or too little, cannot show that, so the service's
 * alert stands against it: the gate is never more confident than the data.
 *
 * The window is the check's own (a rule's long window, the journey window), or the policy's
 * attribution window when that is longer (default 1 h): a version that served until a bad
 * release replaced it ten minutes ago still has an hour of evidence.
 */

/** One version's counts over a window. */
export interface VersionShare {
  version: string;
  good: number;
  total: number;
  bad: number;
  /** bad / total, ratio 0–1; null without events. */
  badRatio: number | null;
}

/** The request for an SLO's per-version counts over `[atMs − windowMs, atMs)`. */
export function versionWindow(slo: string, atMs: number, windowMs: number): VersionWindowRequest {
  return { slo, fromMs: atMs - windowMs, toMs: atMs };
}

/** Every version's counts over a requested window; undefined when the adapter did not supply them. */
export function sharesOf(counts: readonly VersionWindowCounts[], request: VersionWindowRequest): VersionShare[] | undefined {
  const found = counts.find((c) => c.slo === request.slo && c.fromMs === request.fromMs && c.toMs === request.toMs);
  if (found === undefined) return undefined;
  return found.versions.map((v) => ({ version: v.version, good: v.good, total: v.total, bad: v.total - v.good, badRatio: v.total > 0 ? (v.total - v.good) / v.total : null }));
}

/** Burn rate of a share against a target: (bad / total) / (1 − target); null without events. */
export function shareBurnRate(share: VersionShare, target: number): number | null {
  return share.badRatio === null ? null : share.badRatio / (1 - target);
}

/** What attribution found for one window. */
export interface Attribution {
  /** True when the version's own events show it clean over the window. */
  clean: boolean;
  /** The version's share (zero counts when it had no events). */
  own: VersionShare;
  /** The other version with the worst figure, if any had events. */
  worstOther: VersionShare | undefined;
  /** One clause for an explanation. */
  text: string;
}

/**
 * Judges a version over one window: clean when it has at least `minEvents` events and
 * `isClean(its share)`. `describe` words a share's figure (e.g. `0.3× burn`).
 */
export function attribute(opts: {
  shares: readonly VersionShare[];
  version: string;
  minEvents: number;
  windowMs: number;
  isClean: (share: VersionShare) => boolean;
  describe: (share: VersionShare) => string;
  /** Orders other versions worst first. */
  worse: (a: VersionShare, b: VersionShare) => number;
}): Attribution {
  const own = opts.shares.find((s) => s.version === opts.version) ?? { version: opts.version, good: 0, total: 0, bad: 0, badRatio: null };
  const others = opts.shares.filter((s) => s.version !== opts.version && s.total > 0).sort(opts.worse);
  const worstOther = others[0];
  const over = `over ${formatDurationMs(opts.windowMs)}`;
  const driver = worstOther === undefined ? '' : `; worst other version ${worstOther.version}: ${opts.describe(worstOther)} on ${formatCount(worstOther.total)} events`;
  if (own.total === 0) {
    return { clean: false, own, worstOther, text: `version ${opts.version} has no events here ${over}, so nothing shows it clean${driver}` };
  }
  if (own.total < opts.minEvents) {
    return { clean: false, own, worstOther, text: `version ${opts.version} has only ${formatCount(own.total)} events ${over} (${formatCount(opts.minEvents)} needed to show it clean): ${opts.describe(own)}${driver}` };
  }
  const clean = opts.isClean(own);
  return {
    clean,
    own,
    worstOther,
    text: `version ${opts.version} itself: ${opts.describe(own)} on ${formatCount(own.total)} events ${over}${driver}`,
  };
}

/** A state's minEvents (from its latest evaluation), or 1. */
export function minEventsOf(slo: GateSloState): number {
  return slo.evaluation?.budget.minEvents ?? 1;
}
