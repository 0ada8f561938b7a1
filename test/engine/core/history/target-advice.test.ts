import { describe, expect, it } from 'vitest';
import type { SeriesMinute } from '../../../../engine/core/history/minute-series.ts';
import { attainmentWindows, forecastExhaustion, recommendTarget, targetsMet } from '../../../../engine/core/history/target-advice.ts';
import { evaluateSlo } from '../../../../engine/core/slo-evaluator.ts';
import { freshAt, testSlo } from '../fixtures/slo-fixtures.ts';
import { DAY, MIN, seriesOf, T0 } from './history-scenarios.ts';

describe('targets from history', () => {
  // 60 days at 100 requests a minute; on day d (d = 0…59) the first (d mod 10) minutes fail entirely
  const minutes: SeriesMinute[] = [];
  for (let t = T0; t < T0 + 60 * DAY; t += MIN) {
    const day = Math.floor((t - T0) / DAY);
    const minuteOfDay = (t - T0 - day * DAY) / MIN;
    const bad = minuteOfDay < day % 10 ? 100 : 0;
    minutes.push({ minuteStartMs: t, good: 100 - bad, total: 100 });
  }
  const series = seriesOf(minutes, 60);
  const slo = testSlo({ timeWindow: [{ duration: '7d', isRolling: true }] });

  it('gives the attainment of every 7-day window ending each day, and the target met in each share of them', () => {
    const windows = attainmentWindows(slo, series, { fromMs: T0, toMs: T0 + 60 * DAY });
    expect(windows).toHaveLength(54);
    expect(windows[0]).toMatchObject({ fromMs: T0, toMs: T0 + 7 * DAY, total: 7 * 144_000, good: 7 * 144_000 - (0 + 1 + 2 + 3 + 4 + 5 + 6) * 100 });
    const attainments = windows.map((w) => w.attainment!).sort((a, b) => a - b);
    const met = targetsMet(windows, [0.5, 0.9, 1]);
    // at least ⌈s·54⌉ windows reach the answer: the (54 − ⌈s·54⌉ + 1)-th smallest
    expect(met).toEqual([{ share: 0.5, target: attainments[27] }, { share: 0.9, target: attainments[5] }, { share: 1, target: attainments[0] }]);
  });

  it('recommends the highest ladder target met in 90 % of windows, within what the windows can judge', () => {
    const windows = attainmentWindows(slo, series, { fromMs: T0, toMs: T0 + 60 * DAY });
    // the worst weeks lose at most (9+8+…+3)·100 = 4,200 of 1,008,000: 99.58 %; so 99.5 % is met in every window
    const rec = recommendTarget(slo, windows);
    expect(rec.target).toBe(0.995);
    expect(rec.reasoning.join(' ')).toMatch(/90 % of 54 past 7d windows reached an attainment of 99\.58 %/);
  });

  it('forecasts when the budget runs out at the current burn, or says it does not', () => {
    const at = T0 + 60 * DAY;
    const burning = forecastExhaustion(slo, evaluateSlo({ slo, store: series, freshness: freshAt(at), nowMs: at }));
    // the last day lost 9 minutes (900 bad of 144,000): 6.25× at 99.9 %; a 7-day budget of 1,008 bad is long spent by then
    expect(burning.burnRate).toBeCloseTo(900 / 144_000 / 0.001, 9);
    expect(burning.exhausted).toBe(true);
    expect(burning.statement).toMatch(/^exhausted at/);
    const lenient = testSlo({ objectives: [{ target: 0.99 }], timeWindow: [{ duration: '7d', isRolling: true }] });
    const calm = forecastExhaustion(lenient, evaluateSlo({ slo: lenient, store: series, freshness: freshAt(at), nowMs: at }));
    expect(calm.exhaustsAtMs).toBeNull();
    expect(calm.statement).toMatch(/^not at this rate: 0\.62× \(last 1d\) is within the budget rate/);
  });
});
