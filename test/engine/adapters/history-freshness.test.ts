import { describe, expect, it } from 'vitest';
import { seriesFreshness } from '../../../engine/adapters/history-freshness.ts';
import { scopeFreshness } from '../../../engine/adapters/scope-freshness.ts';
import { combineFreshness } from '../../../engine/core/freshness/source-freshness.ts';
import { testSlo } from '../core/fixtures/slo-fixtures.ts';
import { DAY, generatedMinutes, HOUR, MIN, seriesOf, T0 } from '../core/history/history-scenarios.ts';

describe('seriesFreshness', () => {
  const cases = [
    { name: 'a busy service with a silence and a trickle', perMinute: 60, silences: [{ atMs: T0 + 8 * DAY + 3 * HOUR, durationMs: 40 * MIN }], outages: [] },
    { name: 'a service sending a request every few minutes', perMinute: 0.3, silences: [{ atMs: T0 + 8 * DAY, durationMs: 2 * HOUR }], outages: [] },
    { name: 'a history starting late (no expected rate for a day)', perMinute: 30, silences: [{ atMs: T0, durationMs: 7 * DAY + 12 * HOUR }], outages: [] },
  ];
  it.each(cases)('isFresh is scopeFreshness\'s verdict at every boundary: $name', ({ perMinute, silences }) => {
    const minutes = generatedMinutes({ days: 10, perMinute, silences, seed: 9 });
    // a trickle: the received rate drops to a tenth of the usual for an hour on day 9
    const trickled = minutes.filter((m) => !(m.minuteStartMs >= T0 + 9 * DAY && m.minuteStartMs < T0 + 9 * DAY + HOUR && m.minuteStartMs % (20 * MIN) !== 0));
    const series = seriesOf(trickled, 10);
    const slo = testSlo({ freshness: { maxStaleness: '10m' } });
    const judge = seriesFreshness(slo, series);
    let stale = 0;
    for (let atMs = T0 + 7 * DAY; atMs <= T0 + 10 * DAY; atMs += MIN) {
      const last = series.lastDataMinuteBefore(atMs);
      const want = combineFreshness([scopeFreshness(slo, series, atMs, last)]).fresh;
      expect(judge.isFresh(atMs, last), new Date(atMs).toISOString()).toBe(want);
      expect(judge.at(atMs, last)).toEqual([scopeFreshness(slo, series, atMs, last)]);
      if (!want) stale++;
    }
    expect(stale).toBeGreaterThan(0);
  });
});
