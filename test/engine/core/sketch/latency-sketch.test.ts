import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../../platform/random/mulberry32.ts';
import {
  LatencySketch,
  RELATIVE_ACCURACY,
  ZERO_BUCKET_INDEX,
} from '../../../../engine/core/sketch/latency-sketch.ts';


/**
 * Heavy-tailed latencies in ms: 90 % log-normal (median 40 ms, σ = 0.8), 9.5 % Pareto tail
 * (x_m = 200 ms, shape 1.3), 0.5 % sub-millisecond cache hits (0.01–1 ms), plus exact zeros.
 */
function heavyTailedLatencies(n: number, seed: number): number[] {
  const random = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = random();
    if (u < 0.9) {
      const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      out.push(Math.exp(Math.log(40) + 0.8 * z));
    } else if (u < 0.995) {
      out.push(200 / Math.pow(1 - random(), 1 / 1.3));
    } else if (u < 0.999) {
      out.push(0.01 + random() * 0.99);
    } else {
      out.push(0);
    }
  }
  return out;
}

const exactQuantile = (sorted: number[], q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;

describe('LatencySketch', () => {
  it('answers p50, p95, p99 of 200 000 heavy-tailed latencies within 1 % of the exact quantiles', () => {
    const values = heavyTailedLatencies(200_000, 20250310);
    const sketch = new LatencySketch();
    for (const v of values) sketch.add(v);
    const sorted = [...values].sort((a, b) => a - b);
    const report: string[] = [];
    for (const q of [0.5, 0.95, 0.99, 0.999]) {
      const exact = exactQuantile(sorted, q);
      const approx = sketch.quantile(q)!;
      const relativeError = Math.abs(approx - exact) / exact;
      report.push(`p${q * 100}: exact ${exact.toFixed(3)} ms, sketch ${approx.toFixed(3)} ms, error ${(relativeError * 100).toFixed(4)} %`);
      expect(relativeError).toBeLessThanOrEqual(0.01);
      expect(relativeError).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
    }
    report.push(`buckets: ${sketch.toBuckets().length} for ${sketch.count} values`);
    console.log(`latency sketch accuracy (α = ${RELATIVE_ACCURACY}):\n  ${report.join('\n  ')}`);
  });

  it('gives the same quantiles after merging parts as after adding everything to one sketch', () => {
    const values = heavyTailedLatencies(30_000, 7);
    const whole = new LatencySketch();
    const parts = [new LatencySketch(), new LatencySketch(), new LatencySketch()];
    values.forEach((v, i) => {
      whole.add(v);
      parts[i % 3]!.add(v);
    });
    const merged = new LatencySketch().merge(parts[0]!).merge(parts[1]!).merge(parts[2]!);
    expect(merged.toBuckets()).toEqual(whole.toBuckets());
    expect(merged.quantile(0.99)).toBe(whole.quantile(0.99));
  });

  it('round-trips through toBuckets and fromBuckets', () => {
    const sketch = new LatencySketch().add(0).add(0.0000001).add(0.4).add(12, 3).add(90_000);
    const copy = LatencySketch.fromBuckets(sketch.toBuckets());
    expect(copy.toBuckets()).toEqual(sketch.toBuckets());
    expect(copy.count).toBe(7);
    expect(copy.toBuckets()[0]).toEqual({ index: ZERO_BUCKET_INDEX, count: 2 });
  });

  const small: { name: string; values: number[]; q: number; expected: number }[] = [
    { name: 'answers 0 for a quantile that falls among zero latencies', values: [0, 0, 0, 5], q: 0.5, expected: 0 },
    { name: 'keeps a sub-millisecond latency within 0.5 %', values: [0.25], q: 0.5, expected: 0.25 },
    { name: 'answers the maximum at q = 1', values: [1, 2, 3, 1000], q: 1, expected: 1000 },
    { name: 'answers the minimum at q = 0', values: [7, 8, 9], q: 0, expected: 7 },
  ];
  it.each(small)('$name', ({ values, q, expected }) => {
    const sketch = new LatencySketch();
    for (const v of values) sketch.add(v);
    const got = sketch.quantile(q)!;
    if (expected === 0) expect(got).toBe(0);
    else expect(Math.abs(got - expected) / expected).toBeLessThanOrEqual(RELATIVE_ACCURACY);
  });

  it('answers undefined when empty', () => {
    expect(new LatencySketch().quantile(0.5)).toBeUndefined();
  });

  const rejected: { name: string; act: () => unknown }[] = [
    { name: 'rejects a negative latency', act: () => new LatencySketch().add(-1) },
    { name: 'rejects a non-finite latency', act: () => new LatencySketch().add(Number.NaN) },
    { name: 'rejects a fractional count', act: () => new LatencySketch().add(1, 0.5) },
    { name: 'rejects a quantile above 1', act: () => new LatencySketch().add(1).quantile(1.5) },
    { name: 'rejects a negative bucket count', act: () => LatencySketch.fromBuckets([{ index: 3, count: -1 }]) },
  ];
  it.each(rejected)('$name', ({ act }) => {
    expect(act).toThrowError(RangeError);
  });
});
