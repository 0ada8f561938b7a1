import { describe, expect, it } from 'vitest';
import { breachEpisodes, definitionChanges, deployBurns, renderReviewMarkdown, type ReviewReport } from '../../../../engine/core/history/review-report.ts';

const H = 3_600_000;

describe('review report pieces', () => {
  it('turns transitions into BREACHED and WARNING periods with their causes', () => {
    expect(breachEpisodes([
      { from: 'OK', to: 'WARNING', atMs: 1 * H, reason: 'ticket rule ticket-1d-2h fires', rule: 'ticket-1d-2h' },
      { from: 'WARNING', to: 'BREACHED', atMs: 2 * H, reason: 'page rule page-1h-5m fires', rule: 'page-1h-5m' },
      { from: 'BREACHED', to: 'RECOVERED', atMs: 3 * H, reason: 'recovered', rule: '' },
      { from: 'RECOVERED', to: 'BREACHED', atMs: 5 * H, reason: 'error budget exhausted', rule: '' },
    ])).toEqual([
      { status: 'WARNING', startedAtMs: 1 * H, endedAtMs: 2 * H, rule: 'ticket-1d-2h', cause: 'ticket rule ticket-1d-2h fires' },
      { status: 'BREACHED', startedAtMs: 2 * H, endedAtMs: 3 * H, rule: 'page-1h-5m', cause: 'page rule page-1h-5m fires' },
      { status: 'BREACHED', startedAtMs: 5 * H, endedAtMs: null, rule: '', cause: 'error budget exhausted' },
    ]);
  });

  it('attributes bad events to the deploy of their version and flags versions burning faster than allowed', () => {
    const burns = deployBurns(
      [{ deployId: 'd1', version: '1.0', startedAtMs: 0, status: 'succeeded' }, { deployId: 'd2', version: '1.1', startedAtMs: H, status: 'succeeded' }, { deployId: 'd3', version: '1.0', startedAtMs: 2 * H, status: 'rolled_back' }],
      [{ version: '1.0', good: 9_995, total: 10_000 }, { version: '1.1', good: 990, total: 1_000 }],
      0.999,
      11,
    );
    expect(burns.map((b) => [b.deployId, b.badEvents, Number(b.burnRate?.toFixed(6)), b.burnedBudget, Number(b.budgetShare.toFixed(6))])).toEqual([
      ['d1', 5, 0.5, false, Number((5 / 11).toFixed(6))],
      ['d2', 10, 10, true, Number((10 / 11).toFixed(6))],
      ['d3', 0, NaN, false, 0],
    ]);
  });

  it('lists what changed between two definitions by path', () => {
    expect(definitionChanges({ spec: { objectives: [{ target: 0.999 }], tier: 'critical' } }, { spec: { objectives: [{ target: 0.995 }], tier: 'critical', minEvents: 100 } }))
      .toEqual(['spec.minEvents: (none) → 100', 'spec.objectives.0.target: 0.999 → 0.995']);
  });

  it('renders a summary table and a section per SLO in Markdown', () => {
    const report: ReviewReport = {
      title: 'SLO review — team payments — 2026-10', period: { fromMs: Date.UTC(2026, 9, 1), toMs: Date.UTC(2026, 10, 1), label: '2026-10' }, team: 'payments', generatedAtMs: Date.UTC(2026, 10, 2),
      sections: [{
        name: 'pay-availability', displayName: 'Payments', service: 'pay', environment: 'production', team: 'payments', target: 0.999, good: 999_000, total: 1_000_000, attainment: 0.999,
        allowedBadEvents: 1_000, badEvents: 1_000, budgetConsumedRatio: 1, met: true, breaches: [], alerts: [],
        alertScore: { alerts: 0, incidents: 0, precision: null, recall: null, noiseAlerts: 0, missedIncidents: 0, medianDetectionDelayMs: null, maxDetectionDelayMs: null, alertsPerWeek: 0 },
        incidents: [], deploys: [], configChanges: [{ atMs: Date.UTC(2026, 9, 3), loadedBy: 'host:1', file: 'pay.yaml', changes: ['spec.objectives.0.target: 0.995 → 0.999'] }], limits: [],
      }],
    };
    const md = renderReviewMarkdown(report);
    expect(md).toMatch(/^# SLO review — team payments — 2026-10/);
    expect(md).toContain('| pay-availability | 99.90 % | 99.900 % | yes | 100.0 % | 0 | 0 (0) | 0 (0) | 0 of 0 | 1 |');
    expect(md).toContain('## Payments (pay-availability)');
    expect(md).toContain('`spec.objectives.0.target: 0.995 → 0.999`');
  });
});
