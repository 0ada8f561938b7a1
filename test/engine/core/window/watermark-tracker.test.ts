import { describe, expect, it } from 'vitest';
import { WatermarkTracker } from '../../../../engine/core/window/watermark-tracker.ts';
import { T0_MS } from '../fixtures/sli-events.ts';

describe('WatermarkTracker', () => {
  const cases: { name: string; events: [string, number][]; last: boolean; watermarkMs: number | undefined }[] = [
    { name: 'the first event of a source is never late', events: [['p0', T0_MS]], last: false, watermarkMs: T0_MS - 60_000 },
    { name: 'an event within the allowed lateness is on time', events: [['p0', T0_MS], ['p0', T0_MS - 60_000]], last: false, watermarkMs: T0_MS - 60_000 },
    { name: 'an event behind the watermark is late', events: [['p0', T0_MS], ['p0', T0_MS - 60_001]], last: true, watermarkMs: T0_MS - 60_000 },
    { name: 'watermarks are per source', events: [['p0', T0_MS], ['p1', T0_MS - 600_000]], last: false, watermarkMs: T0_MS - 660_000 },
    { name: 'a newer event moves the watermark forward', events: [['p0', T0_MS], ['p0', T0_MS + 120_000]], last: false, watermarkMs: T0_MS + 60_000 },
  ];
  it.each(cases)('$name', ({ events, last, watermarkMs }) => {
    const tracker = new WatermarkTracker({ allowedLatenessMs: 60_000 });
    let outcome = { late: false, watermarkMs: undefined as number | undefined };
    for (const [source, time] of events) outcome = tracker.observe(source, time);
    expect(outcome).toEqual({ late: last, watermarkMs });
  });

  it('reports the lowest watermark over sources, undefined while one is unseen', () => {
    const tracker = new WatermarkTracker({ allowedLatenessMs: 0 });
    tracker.observe('p0', T0_MS);
    tracker.observe('p1', T0_MS - 5_000);
    expect(tracker.minWatermarkMs(['p0', 'p1'])).toBe(T0_MS - 5_000);
    expect(tracker.minWatermarkMs(['p0', 'p2'])).toBeUndefined();
  });

  it('rejects a negative allowed lateness', () => {
    expect(() => new WatermarkTracker({ allowedLatenessMs: -1 })).toThrowError(/allowedLatenessMs/);
  });
});
