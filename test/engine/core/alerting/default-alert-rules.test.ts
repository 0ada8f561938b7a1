import { describe, expect, it } from 'vitest';
import { defaultAlertRules } from '../../../../engine/core/alerting/default-alert-rules.ts';

const DAY = 86_400_000;

describe('tier default rules adapted to the target', () => {
  const cases: { name: string; target: number; thresholds: number[]; lowered: number }[] = [
    { name: 'at 99.9 % the workbook thresholds stand', target: 0.999, thresholds: [14.4, 6, 3, 1], lowered: 0 },
    { name: 'at 97 % (highest burn 33.3×) the workbook thresholds stand', target: 0.97, thresholds: [14.4, 6, 3, 1], lowered: 0 },
    { name: 'at 95 % (highest burn 20×) the 14.4× page is lowered to 10×', target: 0.95, thresholds: [10, 6, 3, 1], lowered: 1 },
    { name: 'at 90 % (highest burn 10×) both pages are lowered to 5×', target: 0.9, thresholds: [5, 5, 3, 1], lowered: 2 },
    { name: 'at 50 % (highest burn 2×) every threshold above 1× is lowered to 1×, never below', target: 0.5, thresholds: [1, 1, 1, 1], lowered: 3 },
  ];
  it.each(cases)('$name', ({ target, thresholds, lowered }) => {
    const outcome = defaultAlertRules('critical', target, 28 * DAY, '28d');
    expect(outcome.rules.map((r) => r.burnRateThreshold)).toEqual(thresholds);
    expect(outcome.notes).toHaveLength(lowered);
    expect(outcome.problems).toEqual([]);
  });

  it('states the detection time of a total outage for each lowered rule', () => {
    expect(defaultAlertRules('critical', 0.95, 28 * DAY, '28d').notes).toEqual([
      'page-1h-5m: burn rate 14.4× is more than half the highest burn rate possible at target 0.95 (20×); lowered to 10×, so a total outage fires it after 30m',
    ]);
  });

  it('best-effort tiers (tickets only) are adapted the same way', () => {
    expect(defaultAlertRules('best-effort', 0.9, 28 * DAY, '28d').rules.map((r) => [r.name, r.burnRateThreshold])).toEqual([
      ['ticket-6h-30m', 5],
      ['ticket-1d-2h', 3],
      ['ticket-3d-6h', 1],
    ]);
  });

  it('fails below a 50 % target, where half the highest burn rate is below 1×', () => {
    expect(defaultAlertRules('standard', 0.4, 28 * DAY, '28d').problems.map((p) => p.path)).toEqual([['spec', 'objectives', 0, 'target']]);
  });
});

describe('tier default rules checked against the SLO window', () => {
  const cases: { name: string; windowMs: number; label: string; names: string[] }[] = [
    { name: 'a 28-day window keeps all four rules', windowMs: 28 * DAY, label: '28d', names: ['page-1h-5m', 'page-6h-30m', 'ticket-1d-2h', 'ticket-3d-6h'] },
    { name: 'a 2-day window drops the 3-day rule', windowMs: 2 * DAY, label: '2d', names: ['page-1h-5m', 'page-6h-30m', 'ticket-1d-2h'] },
    { name: 'a 1-hour window keeps only the 1-hour rule (a long window equal to the SLO window is allowed)', windowMs: DAY / 24, label: '1h', names: ['page-1h-5m'] },
  ];
  it.each(cases)('$name', ({ windowMs, label, names }) => {
    const outcome = defaultAlertRules('critical', 0.999, windowMs, label);
    expect(outcome.rules.map((r) => r.name)).toEqual(names);
    expect(outcome.notes).toHaveLength(4 - names.length);
    expect(outcome.problems).toEqual([]);
  });

  it('fails when the window is shorter than every rule', () => {
    expect(defaultAlertRules('critical', 0.999, 30 * 60_000, '30m').problems.map((p) => p.path)).toEqual([['spec', 'timeWindow', 0, 'duration']]);
  });
});
