import { describe, expect, it } from 'vitest';
import { MinuteSeries } from '../../../../engine/core/history/minute-series.ts';
import { MinuteBucketStore } from '../../../../engine/core/window/minute-bucket-store.ts';
import { mulberry32 } from '../../../../platform/random/mulberry32.ts';
import { SLO_KEY } from '../fixtures/slo-fixtures.ts';
import { DAY, generatedMinutes, MIN, T0 } from './history-scenarios.ts';

describe('MinuteSeries', () => {
  const minutes = generatedMinutes({ days: 3, perMinute: 20, backgroundBadRatio: 0.01, silences: [{ atMs: T0 + DAY, durationMs: 3 * 3_600_000 }] });
  const series = MinuteSeries.of({ fromMs: T0, toMs: T0 + 3 * DAY }, minutes);
  const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
  for (const m of minutes) store.mergeDelta({ key: SLO_KEY, minuteStartMs: m.minuteStartMs, good: m.good, total: m.total, lateEvents: 0 });

  it('sums any range exactly as the judge\'s bucket store does (same rounding of both ends)', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 2_000; i++) {
      const a = T0 - DAY + Math.floor(random() * 5 * DAY);
      const b = a + Math.floor(random() * 2 * DAY) - 3_600_000;
      expect(series.sum({}, a, b)).toEqual(store.sum({ sloName: SLO_KEY.sloName }, a, b));
    }
  });

  it('knows the first minute with data and the last one before a boundary', () => {
    expect(series.firstMinuteMs()).toBe(store.firstMinuteMs({ sloName: SLO_KEY.sloName }));
    expect(series.lastDataMinuteBefore(T0 + DAY + 60 * MIN)).toBe(T0 + DAY - MIN);
    expect(series.lastDataMinuteBefore(T0)).toBeUndefined();
  });

  it('takes an earlier history start than its own first minute (data before the range read)', () => {
    expect(MinuteSeries.of({ fromMs: T0, toMs: T0 + DAY, historyStartMs: T0 - 40 * DAY }, minutes).firstMinuteMs()).toBe(T0 - 40 * DAY);
    expect(MinuteSeries.of({ fromMs: T0, toMs: T0 + DAY }, []).firstMinuteMs()).toBeUndefined();
  });

  it('adds repeated minutes and ignores minutes outside its range', () => {
    const s = MinuteSeries.of({ fromMs: T0, toMs: T0 + 10 * MIN }, [
      { minuteStartMs: T0 + MIN, good: 1, total: 2, uncertain: 1 },
      { minuteStartMs: T0 + MIN, good: 3, total: 3 },
      { minuteStartMs: T0 + 10 * MIN, good: 5, total: 5 },
      { minuteStartMs: T0 - MIN, good: 5, total: 5 },
    ]);
    expect(s.sum({}, T0, T0 + 10 * MIN)).toEqual({ good: 4, total: 5 });
    expect(s.uncertainBetween(T0, T0 + 10 * MIN)).toBe(1);
  });
});
