import { describe, expect, it } from 'vitest';
import { buildBenchmarks, monthsOf, type BenchmarkRow } from '../../../../engine/core/dora/benchmark-report.ts';
import type { KeyPercentiles } from '../../../../engine/core/dora/peer-percentile.ts';
import { wilsonInterval } from '../../../../engine/core/canary/two-proportion-comparison.ts';
import { DAY, HOUR, MIN, T0 } from './delivery-fixtures.ts';
import { generatedMonth as history } from './generated-history.ts';

const FROM = T0;
const TO = T0 + 30 * DAY;
const report = buildBenchmarks(history(), { fromMs: FROM, toMs: TO, environment: 'production', groupBy: 'team' });
const row = (team: string): BenchmarkRow => report.rows.find((r) => r.group === team)!;

describe('the four keys of a generated month, with known answers', () => {
  it('lists every team that deployed to production, in name order', () => {
    expect(report.rows.map((r) => r.group)).toEqual(['legacy', 'payments', 'platform', 'search']);
    expect(row('platform').services).toEqual(['auth', 'gateway']);
  });

  it('payments: 60 deployments in 30 days, lead time 4 h median, 6 of 60 failed, recovery 45 min median', () => {
    const k = row('payments').keys;
    expect(k).toMatchObject({ deployments: 60, failedAttempts: 12, rollbackDeploys: 0, periodDays: 30 });
    expect(k.deploymentFrequency).toMatchObject({ perDay: 2, perWeek: 14, deployDays: 30, bucket: 'ON_DEMAND' });
    // 30 × 2 h and 30 × 6 h: the median is the mean of the middle two (2 h, 6 h), the 90th percentile 6 h
    expect(k.leadTime).toMatchObject({ samples: 60, excluded: 0, medianMs: 4 * HOUR, p90Ms: 6 * HOUR, bucket: 'LESS_THAN_ONE_DAY' });
    expect(k.changeFailureRate).toMatchObject({ failed: 6, deployments: 60, ratio: 0.1 });
    expect(k.changeFailureRate.ci95).toEqual(wilsonInterval(6, 60));
    // five incidents of 45 min, and pay-25 whose breach began 10 min before its incident and ended 5 min after: 60 min
    expect(k.recoveryTime).toMatchObject({ samples: 6, unrecovered: 0, medianMs: 45 * MIN, p90Ms: 52.5 * MIN, bucket: 'LESS_THAN_ONE_HOUR' });
  });

  it('search: 12 deployments; the rollback deploy is not one, and the rolled-back release is one failure with three causes', () => {
    const r = row('search');
    expect(r.keys).toMatchObject({ deployments: 12, rollbackDeploys: 1, changeFailureRate: { failed: 1, deployments: 12 } });
    expect(r.keys.deploymentFrequency.perDay).toBeCloseTo(0.4, 12);
    expect(r.keys.leadTime).toMatchObject({ medianMs: 3 * DAY, bucket: 'ONE_DAY_TO_ONE_WEEK' });
    expect(r.failedDeployments).toHaveLength(1);
    expect(r.failedDeployments[0]!.causes.map((c) => c.kind)).toEqual(['rollback', 'slo-breach', 'incident']);
    // from the breach (30 min after the deploy) to the incident's resolution (3 h)
    expect(r.keys.recoveryTime).toMatchObject({ samples: 1, medianMs: 2.5 * HOUR });
  });

  it('platform: two services, 30 deployments, 4 failed, recovery 3 days', () => {
    const k = row('platform').keys;
    expect(k).toMatchObject({ deployments: 30, changeFailureRate: { failed: 4, deployments: 30 } });
    expect(k.deploymentFrequency.perDay).toBe(1);
    expect(k.leadTime.medianMs).toBe(10 * DAY);
    expect(k.recoveryTime).toMatchObject({ samples: 4, medianMs: 3 * DAY, bucket: 'ONE_DAY_TO_ONE_WEEK' });
  });
});

describe('DORA 2023 clusters', () => {
  it.each([
    { team: 'payments', level: 'HIGH', limitedBy: ['changeFailureRate'] },
    { team: 'search', level: 'HIGH', limitedBy: ['deploymentFrequency', 'leadTime', 'changeFailureRate', 'recoveryTime'] },
    { team: 'platform', level: 'MEDIUM', limitedBy: ['leadTime', 'changeFailureRate', 'recoveryTime'] },
  ])('$team is $level, held back by $limitedBy', ({ team, level, limitedBy }) => {
    expect(row(team).cluster).toMatchObject({ level, limitedBy });
  });

  it('a team with 3 deployments is not placed, and says why', () => {
    expect(row('legacy').cluster).toEqual({ level: null, limitedBy: [], reason: '3 deployments in the period; placing a team in a DORA cluster needs at least 10' });
  });

  it('names the report and the thresholds it used', () => {
    expect(report.reference.report).toMatch(/Accelerate State of DevOps Report 2023/);
    expect(report.reference.clusters.map((c) => [c.level, c.changeFailureRate])).toEqual([['ELITE', 0.05], ['HIGH', 0.1], ['MEDIUM', 0.15], ['LOW', 0.64]]);
  });
});

describe('percentiles among peer teams', () => {
  it('ranks the three teams with enough deployments per key, by mid-rank', () => {
    // frequency 2.0 > 1.0 > 0.4 a day; lead 4 h < 3 d < 10 d; CFR 1/12 < 6/60 < 4/30; recovery 45 min < 2.5 h < 3 d
    const close = (actual: KeyPercentiles | null, expected: Record<keyof KeyPercentiles, number>) => {
      for (const [key, value] of Object.entries(expected)) expect(actual![key as keyof KeyPercentiles], key).toBeCloseTo(value, 9);
    };
    const top = 250 / 3; // (2 worse + ½ · itself) / 3 peers
    const bottom = 50 / 3;
    close(row('payments').ranking.percentiles, { deploymentFrequency: top, leadTime: top, changeFailureRate: 50, recoveryTime: top, overall: 75 });
    close(row('search').ranking.percentiles, { deploymentFrequency: bottom, leadTime: 50, changeFailureRate: top, recoveryTime: 50, overall: 50 });
    close(row('platform').ranking.percentiles, { deploymentFrequency: 50, leadTime: bottom, changeFailureRate: bottom, recoveryTime: bottom, overall: 25 });
    expect(row('payments').ranking.peers).toBe(3);
  });

  it('gives the team with 3 deployments no percentile, and the reason', () => {
    expect(row('legacy').ranking).toEqual({ percentiles: null, peers: 3, reason: '3 deployments in the period; a percentile needs at least 10' });
  });

  it('gives nobody a percentile when too few teams qualify', () => {
    const two = buildBenchmarks(history(), { fromMs: FROM, toMs: TO, environment: 'production', groupBy: 'team' }, { minPeers: 4 });
    expect(two.rows.find((r) => r.group === 'payments')!.ranking.reason).toBe('only 3 teams with at least 10 deployments; ranking needs 4');
  });

  it('returns the asked rows only, still ranked among every team', () => {
    const one = buildBenchmarks(history(), { fromMs: FROM, toMs: TO, environment: 'production', groupBy: 'team', groups: ['payments'] });
    expect(one.rows.map((r) => r.group)).toEqual(['payments']);
    expect(one.rows[0]!.ranking.percentiles!.overall).toBeCloseTo(75, 9);
  });
});

describe('monthly trend', () => {
  it('splits a period into UTC calendar months, clipped to it', () => {
    expect(monthsOf(Date.UTC(2025, 0, 20), Date.UTC(2025, 2, 3))).toEqual([
      { month: '2025-01', fromMs: Date.UTC(2025, 0, 20), toMs: Date.UTC(2025, 1, 1) },
      { month: '2025-02', fromMs: Date.UTC(2025, 1, 1), toMs: Date.UTC(2025, 2, 1) },
      { month: '2025-03', fromMs: Date.UTC(2025, 2, 1), toMs: Date.UTC(2025, 2, 3) },
    ]);
  });

  it('gives each month its own keys', () => {
    const trend = row('payments').trend;
    expect(trend.map((m) => [m.month, m.keys.deployments])).toEqual([['2025-01', 60]]);
  });
});
