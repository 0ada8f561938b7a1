import type { DoraKey } from './performance-clusters.ts';
import type { FourKeys } from './four-keys.ts';

/**
 * Where a team stands among its peers — the other teams of the same report — per key, as a
 * percentile rank (0–100, higher is better):
 *     PR = 100 · (peers strictly worse + ½ · peers equal, itself included) / peers
 * (the mid-rank definition, e.g. Crocker & Algina, "Introduction to Classical and Modern
 * Test Theory", 1986, §19). Better means: more deploys a day, shorter median lead time,
 * lower change failure rate, shorter median recovery time. `overall` is the mean of the
 * keys the team has a percentile for (recovery time only among teams that had failures).
 *
 * Small samples get no percentile, with the reason: a team needs `minDeployments`
 * deployments in the period, and a key needs `minPeers` teams that qualify.
 */
export interface KeyPercentiles {
  deploymentFrequency: number | null;
  leadTime: number | null;
  changeFailureRate: number | null;
  recoveryTime: number | null;
  /** Mean of the keys above that are not null. */
  overall: number | null;
}

export interface PeerRanking {
  /** null with `reason` when the team gets none. */
  percentiles: KeyPercentiles | null;
  /** Teams that qualified for ranking. */
  peers: number;
  reason: string | null;
}

const SCORES: Record<DoraKey, (k: FourKeys) => number | null> = {
  // higher is better: negate the "lower is better" keys
  deploymentFrequency: (k) => k.deploymentFrequency.perDay,
  leadTime: (k) => (k.leadTime.medianMs === null ? null : -k.leadTime.medianMs),
  changeFailureRate: (k) => (k.changeFailureRate.ratio === null ? null : -k.changeFailureRate.ratio),
  recoveryTime: (k) => (k.recoveryTime.medianMs === null ? null : -k.recoveryTime.medianMs),
};

/** Percentile rank of `score` among `scores` (which include it). */
export function percentileRank(score: number, scores: readonly number[]): number {
  let worse = 0;
  let equal = 0;
  for (const s of scores) {
    if (s < score) worse++;
    else if (s === score) equal++;
  }
  return (100 * (worse + 0.5 * equal)) / scores.length;
}

export function rankPeers(teams: readonly { id: string; keys: FourKeys }[], opts: { minDeployments: number; minPeers: number }): Map<string, PeerRanking> {
  const eligible = teams.filter((t) => t.keys.deployments >= opts.minDeployments);
  const out = new Map<string, PeerRanking>();
  const tooFewPeers = eligible.length < opts.minPeers;
  const scoresOf = Object.fromEntries((Object.keys(SCORES) as DoraKey[]).map((key) => [key, eligible.flatMap((t) => {
    const s = SCORES[key](t.keys);
    return s === null ? [] : [s];
  })])) as Record<DoraKey, number[]>;
  for (const t of teams) {
    if (t.keys.deployments < opts.minDeployments) {
      out.set(t.id, { percentiles: null, peers: eligible.length, reason: `${t.keys.deployments} deployments in the period; a percentile needs at least ${opts.minDeployments}` });
      continue;
    }
    if (tooFewPeers) {
      out.set(t.id, { percentiles: null, peers: eligible.length, reason: `only ${eligible.length} team${eligible.length === 1 ? '' : 's'} with at least ${opts.minDeployments} deployments; ranking needs ${opts.minPeers}` });
      continue;
    }
    const per = {} as Record<DoraKey, number | null>;
    for (const key of Object.keys(SCORES) as DoraKey[]) {
      const s = SCORES[key](t.keys);
      per[key] = s === null || scoresOf[key].length < opts.minPeers ? null : percentileRank(s, scoresOf[key]);
    }
    const present = Object.values(per).filter((v): v is number => v !== null);
    out.set(t.id, {
      percentiles: { ...per, overall: present.length === 0 ? null : present.reduce((a, v) => a + v, 0) / present.length },
      peers: eligible.length,
      reason: null,
    });
  }
  return out;
}
