import { describe, expect, it } from 'vitest';
import { estimateCount, estimateRatio, estimateTotal } from '../../../../engine/core/estimate/weighted-estimate.ts';

describe('Horvitz–Thompson estimates', () => {
  const totals: { name: string; rows: { weight: number; value: number }[]; estimate: number; variance: number }[] = [
    { name: 'a fully kept sample is exact with no variance', rows: [{ weight: 1, value: 1 }, { weight: 1, value: 1 }], estimate: 2, variance: 0 },
    { name: 'ten rows kept at 10 % estimate 100 with variance Σ w(w−1)', rows: Array.from({ length: 10 }, () => ({ weight: 10, value: 1 })), estimate: 100, variance: 900 },
    { name: 'mixed weights add up per row', rows: [{ weight: 1, value: 1 }, { weight: 4, value: 2 }], estimate: 9, variance: 4 * 3 * 4 },
  ];
  it.each(totals)('$name', ({ rows, estimate, variance }) => {
    const e = estimateTotal(rows);
    expect(e.estimate).toBe(estimate);
    expect(e.variance).toBe(variance);
    expect(e.ci95[0]).toBeCloseTo(Math.max(0, estimate - 1.959964 * Math.sqrt(variance)), 9);
    expect(e.ci95[1]).toBeCloseTo(estimate + 1.959964 * Math.sqrt(variance), 9);
  });

  it('counts only the rows matching a predicate', () => {
    const rows = [{ weight: 10, error: true }, { weight: 10, error: false }, { weight: 1, error: true }];
    expect(estimateCount(rows, (r) => r.error)).toMatchObject({ estimate: 11, variance: 90, sampledRows: 3 });
  });

  it('estimates an error ratio with a linearised interval', () => {
    const rows = [
      ...Array.from({ length: 20 }, () => ({ weight: 1, numerator: 1, denominator: 1 })), // errors kept at 100 %
      ...Array.from({ length: 98 }, () => ({ weight: 10, numerator: 0, denominator: 1 })), // successes kept at 10 %
    ];
    const e = estimateRatio(rows);
    expect(e.estimate).toBeCloseTo(20 / 1000, 12);
    // residuals: errors have w−1 = 0; successes (0 − R)² · 10 · 9 each
    expect(e.variance).toBeCloseTo((98 * 90 * 0.02 ** 2) / 1000 ** 2, 15);
    expect(e.ci95[0]).toBeLessThan(0.02);
    expect(e.ci95[1]).toBeGreaterThan(0.02);
  });

  it('covers the true count in about 95 % of repeated samples', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647);
    const population = 5_000;
    const p = 0.05;
    let covered = 0;
    const runs = 400;
    for (let run = 0; run < runs; run++) {
      const rows = [];
      for (let i = 0; i < population; i++) if (random() < p) rows.push({ weight: 1 / p, value: 1 });
      const e = estimateTotal(rows);
      if (e.ci95[0] <= population && population <= e.ci95[1]) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.92);
    expect(covered / runs).toBeLessThan(0.98);
  });

  it('rejects a weight below 1', () => {
    expect(() => estimateTotal([{ weight: 0.5, value: 1 }])).toThrowError(/weight must be/);
  });
});
