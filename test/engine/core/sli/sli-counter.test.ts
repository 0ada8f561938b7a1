import { describe, expect, it } from 'vitest';
import { countEvent } from '../../../../engine/core/sli/sli-counter.ts';
import { buildSlo, SloDefinitionSchema, type Slo } from '../../../../engine/core/slo/slo-definition.ts';
import { MinuteBucketStore } from '../../../../engine/core/window/minute-bucket-store.ts';
import { log, span, T0_MS } from '../fixtures/sli-events.ts';

const slo = (name: string, indicator: Record<string, unknown>): Slo =>
  buildSlo(
    SloDefinitionSchema.parse({
      apiVersion: 'sluice/v1',
      kind: 'SLO',
      metadata: { name },
      spec: {
        service: 'checkout',
        environment: 'production',
        tier: 'standard',
        indicator,
        objectives: [{ target: 0.99 }],
        timeWindow: [{ duration: '28d', isRolling: true }],
      },
    }),
  );

const slos = [
  slo('availability', { kind: 'availability' }),
  slo('latency', { kind: 'latency', thresholdMs: 100 }),
  slo('error-logs', { kind: 'errorLogRatio' }),
];

describe('countEvent', () => {
  const cases: { name: string; event: Parameters<typeof countEvent>[1]; expected: [string, boolean][] }[] = [
    { name: 'a fast successful span counts good for both span SLOs', event: { signal: 'spans', event: span({ durationMs: 20 }) }, expected: [['availability', true], ['latency', true]] },
    { name: 'a slow failing span counts bad for both span SLOs', event: { signal: 'spans', event: span({ durationMs: 500, httpStatusCode: 502 }) }, expected: [['availability', false], ['latency', false]] },
    { name: 'an error log counts only for the log SLO', event: { signal: 'logs', event: log({ severityNumber: 17 }) }, expected: [['error-logs', false]] },
    { name: 'a span of another service counts for nothing', event: { signal: 'spans', event: span({ service: 'cart' }) }, expected: [] },
  ];
  it.each(cases)('$name', ({ event, expected }) => {
    const store = new MinuteBucketStore({ allowedLatenessMs: 60_000 });
    expect(countEvent(slos, event, 'p0', store).map((c) => [c.sloName, c.good])).toEqual(expected);
  });

  it('keys buckets by SLO, service, environment and version and feeds the latency sketch', () => {
    const store = new MinuteBucketStore({ allowedLatenessMs: 60_000 });
    countEvent(slos, { signal: 'spans', event: span({ durationMs: 20, version: '2.0.0' }) }, 'p0', store);
    expect(store.keys('latency')).toEqual([{ sloName: 'latency', service: 'checkout', environment: 'production', version: '2.0.0' }]);
    expect(store.sketch({ sloName: 'latency' }, T0_MS, T0_MS + 60_000)!.count).toBe(1);
    expect(store.sketch({ sloName: 'availability' }, T0_MS, T0_MS + 60_000)).toBeUndefined();
  });
});
