import { describe, expect, it } from 'vitest';
import {
  estimateCount,
  estimateRatio,
  estimateSpanSample,
  estimateTotal,
  type SampledSpanGroup,
} from '../../../../engine/core/estimate/weighted-estimate.ts';
import { mulberry32 } from '../../../../platform/random/mulberry32.ts';

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

/** A trace of the population: its spans, each failed or not. */
type Trace = boolean[];

/**
 * Samples a population the way ingest/sampling/trace-id-sampler.ts does: one uniform
 * number r per trace; a span is kept when r < its rate (errors at `errorRate`, others at
 * `rate`), so the kept sets nest. Returns what `GROUP BY trace_id, sample_weight` reads.
 */
function sampleTraces(population: readonly Trace[], rate: number, errorRate: number, random: () => number): SampledSpanGroup[] {
  const groups: SampledSpanGroup[] = [];
  population.forEach((spans, i) => {
    const r = random();
    const byWeight = new Map<number, SampledSpanGroup>();
    for (const error of spans) {
      const p = error ? errorRate : rate;
      if (!(r < p)) continue;
      const weight = 1 / p;
      let g = byWeight.get(weight);
      if (g === undefined) byWeight.set(weight, (g = { traceId: `t${i}`, weight, spans: 0, errors: 0 }));
      g.spans += 1;
      if (error) g.errors += 1;
    }
    groups.push(...byWeight.values());
  });
  return groups;
}

describe('span estimates from trace-sampled spans with per-span weights', () => {
  /** "503 then a successful retry": one failed and one good server span per trace. */
  const retries: Trace[] = Array.from({ length: 10_000 }, () => [true, false]);

  it('estimates 503-then-retry traces (errors kept at 1.0, ok spans at 0.1) at the true error ratio 0.5, with an interval', () => {
    const e = estimateSpanSample(sampleTraces(retries, 0.1, 1, mulberry32(1)));
    expect(e.errorRatio.estimate).toBeGreaterThan(0.47);
    expect(e.errorRatio.estimate).toBeLessThan(0.53);
    expect(e.errorRatio.ci95[0]).toBeLessThanOrEqual(0.5);
    expect(e.errorRatio.ci95[1]).toBeGreaterThanOrEqual(0.5);
    expect(e.errorRatio.ci95[1] - e.errorRatio.ci95[0]).toBeGreaterThan(0.01);
    expect(e.errors).toMatchObject({ estimate: 10_000, variance: 0 }); // every error kept: exactly known
    expect(e.exact).toBe(false);
    expect(e.sampledTraces).toBe(10_000);
  });

  const exactness: { name: string; groups: SampledSpanGroup[]; exact: boolean }[] = [
    { name: 'is exact only when nothing was sampled away (every weight 1)', groups: [{ traceId: 'a', weight: 1, spans: 2, errors: 1 }, { traceId: 'b', weight: 1, spans: 1, errors: 0 }], exact: true },
    { name: 'is not exact when any span carries a weight above 1', groups: [{ traceId: 'a', weight: 1, spans: 1, errors: 1 }, { traceId: 'a', weight: 10, spans: 1, errors: 0 }], exact: false },
  ];
  it.each(exactness)('$name', ({ groups, exact }) => {
    const e = estimateSpanSample(groups);
    expect(e.exact).toBe(exact);
    if (exact) expect(e.errorRatio.variance).toBe(0);
  });

  it('counts within-trace covariance: spans of one trace kept together add up before squaring', () => {
    // one trace, two ok spans at weight 10 (kept together): Ŷ = 20, V̂ = (1 − 1/10) · (10 · 2)² = 360 (not 2 · 90)
    const e = estimateSpanSample([{ traceId: 'a', weight: 10, spans: 2, errors: 0 }]);
    expect(e.requests.estimate).toBe(20);
    expect(e.requests.variance).toBeCloseTo(360, 9);
  });

  it('covers the true error ratio and request count in about 95 % of repeated samples of a mixed population', () => {
    // a fifth of the traces are 503-then-retry, the rest one good span; 10 % sampling, errors always kept
    const population: Trace[] = Array.from({ length: 2_000 }, (_, i) => (i % 5 === 0 ? [true, false] : [false]));
    const trueRatio = 400 / 2400;
    const random = mulberry32(7);
    let ratioCovered = 0;
    let requestsCovered = 0;
    const runs = 400;
    for (let run = 0; run < runs; run++) {
      const e = estimateSpanSample(sampleTraces(population, 0.1, 1, random));
      if (e.errorRatio.ci95[0] <= trueRatio && trueRatio <= e.errorRatio.ci95[1]) ratioCovered++;
      if (e.requests.ci95[0] <= 2400 && 2400 <= e.requests.ci95[1]) requestsCovered++;
    }
    expect(ratioCovered / runs).toBeGreaterThan(0.92);
    expect(ratioCovered / runs).toBeLessThan(0.98);
    expect(requestsCovered / runs).toBeGreaterThan(0.92);
    expect(requestsCovered / runs).toBeLessThan(0.98);
  });
});
