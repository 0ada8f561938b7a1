import { describe, expect, it } from 'vitest';
import { assessFreshness, type SourceFreshness } from '../../../engine/core/freshness/source-freshness.ts';
import { evaluateSlo } from '../../../engine/core/slo-evaluator.ts';
import { buildSlo, SloDefinitionSchema, type Slo } from '../../../engine/core/slo/slo-definition.ts';
import { MinuteBucketStore } from '../../../engine/core/window/minute-bucket-store.ts';
import { T0_MS } from './fixtures/sli-events.ts';
import { emptyStore, fillMinutes, freshAt, HOUR, SLO_KEY, testSlo } from './fixtures/slo-fixtures.ts';
import { initialBreachState, step } from '../../../engine/core/breach/breach-state-machine.ts';

const MIN = 60_000;
const DAY = 86_400_000;

function slo(overrides: Record<string, unknown> = {}): Slo {
  return buildSlo(
    SloDefinitionSchema.parse({
      apiVersion: 'sluice/v1',
      kind: 'SLO',
      metadata: { name: 'checkout-availability' },
      spec: {
        service: 'checkout',
        environment: 'production',
        tier: 'critical',
        indicator: { kind: 'availability' },
        objectives: [{ target: 0.999 }],
        timeWindow: [{ duration: '28d', isRolling: true }],
        minEvents: 100,
        ...overrides,
      },
    }),
  );
}

/** 28 days of minute buckets before T0 with 1 000 requests a minute; `badAt` says how many failed. */
function storeWith(badAt: (minutesAgo: number) => number, version = '1.4.0'): MinuteBucketStore {
  const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
  for (let ago = 1; ago <= 28 * 24 * 60; ago++) {
    const bad = badAt(ago);
    store.mergeDelta({
      key: { sloName: 'checkout-availability', service: 'checkout', environment: 'production', version },
      minuteStartMs: T0_MS - ago * MIN,
      good: 1000 - bad,
      total: 1000,
      lateEvents: 0,
    });
  }
  return store;
}

const freshSources: SourceFreshness[] = [
  assessFreshness({ service: 'checkout', signal: 'spans', lastEventTimeMs: T0_MS - 1_000, watermarkMs: T0_MS - 61_000 }, { maxStalenessMs: 600_000 }, T0_MS),
];
const staleSources: SourceFreshness[] = [
  assessFreshness({ service: 'checkout', signal: 'spans', lastEventTimeMs: T0_MS - 30 * MIN }, { maxStalenessMs: 600_000 }, T0_MS),
];

describe('evaluateSlo', () => {
  const cases: { name: string; badAt: (ago: number) => number; freshness?: SourceFreshness[]; status: string; reason: RegExp; rule?: string }[] = [
    { name: 'healthy traffic is OK', badAt: () => 0, status: 'OK', reason: /no alert rule firing/ },
    { name: 'ten minutes of total failure pages through the 1 h / 5 m rule', badAt: (ago) => (ago <= 10 ? 1000 : 0), status: 'BREACHED', reason: /^page rule page-1h-5m fires: burn rate/, rule: 'page-1h-5m' },
    { name: 'a steady 0.2 % error rate for three days opens a ticket', badAt: (ago) => (ago <= 3 * 24 * 60 ? 2 : 0), status: 'WARNING', reason: /^ticket rule ticket-3d-6h fires/, rule: 'ticket-3d-6h' },
    {
      name: 'an old outage that spent the whole budget is BREACHED though nothing burns now',
      badAt: (ago) => (ago > 10 * 24 * 60 && ago <= 10 * 24 * 60 + 45 ? 1000 : 0),
      status: 'BREACHED',
      reason: /^error budget exhausted: 45,000 bad events of 40,320 allowed for the 28d window/,
    },
    { name: 'total failure with stale data is UNKNOWN, never BREACHED', badAt: () => 1000, freshness: staleSources, status: 'UNKNOWN', reason: /data not fresh: checkout\/spans: no events for 1800 s/ },
  ];
  it.each(cases)('$name', ({ badAt, freshness, status, reason, rule }) => {
    const result = evaluateSlo({ slo: slo(), store: storeWith(badAt), freshness: freshness ?? freshSources, nowMs: T0_MS });
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
    expect(result.rule?.rule.name).toBe(rule);
  });

  it('reports attainment, budget and the seven burn-rate windows', () => {
    // 0.05 % errors everywhere: half the allowed rate
    const result = evaluateSlo({ slo: slo(), store: storeWith((ago) => (ago % 2 === 0 ? 1 : 0)), freshness: freshSources, nowMs: T0_MS });
    expect(result.budget.total).toBe(28 * 24 * 60 * 1000);
    expect(result.attainment).toBeCloseTo(0.9995, 9);
    expect(result.budget.consumedRatio).toBeCloseTo(0.5, 9);
    expect(result.burnRates.map((w) => [w.window, Number(w.burnRate.toFixed(6))])).toEqual([
      ['5m', 0.4],
      ['30m', 0.5],
      ['1h', 0.5],
      ['2h', 0.5],
      ['6h', 0.5],
      ['1d', 0.5],
      ['3d', 0.5],
    ]);
    expect(result.window).toEqual({ fromMs: T0_MS - 28 * DAY, toMs: T0_MS });
  });

  describe('too few events', () => {
    const noMinimum = testSlo();
    const cases: { name: string; slo: Slo; counts: { good: number; total: number }; status: string; reason: RegExp }[] = [
      {
        name: 'right after start 15 events with one failure are UNKNOWN, not BREACHED (default minimum ⌈3 / (1 − 0.999)⌉ = 3,000)',
        slo: noMinimum,
        counts: { good: 14, total: 15 },
        status: 'UNKNOWN',
        reason: /^too few events to judge: 15 in the 28d window, at least 3,000 needed/,
      },
      { name: 'an explicit minEvents is the minimum of the compliance window', slo: slo(), counts: { good: 49, total: 50 }, status: 'UNKNOWN', reason: /^too few events to judge: 50 in the 28d window, at least 100 needed/ },
      { name: 'a new service failing 50 of 50 requests pages before its window holds minEvents (the rule has 50 bad events of evidence)', slo: noMinimum, counts: { good: 0, total: 50 }, status: 'BREACHED', reason: /^page rule page-1h-5m fires/ },
    ];
    it.each(cases)('$name', ({ slo: s, counts, status, reason }) => {
      const store = fillMinutes(emptyStore(), T0_MS - MIN, T0_MS, () => counts);
      const result = evaluateSlo({ slo: s, store, freshness: freshSources, nowMs: T0_MS });
      expect(result.status).toBe(status);
      expect(result.reason).toMatch(reason);
    });

    it('a new 28-day SLO with a trickle of events and an occasional failure does not flap', () => {
      const start = T0_MS - 70 * MIN;
      // 2 events a minute; one fails in minute 20 and one in minute 50
      const store = fillMinutes(emptyStore(), start, T0_MS, (m) => ({ good: [20, 50].includes((m - start) / MIN) ? 1 : 2, total: 2 }));
      let state = initialBreachState(noMinimum.name, SLO_KEY, start);
      const transitions: string[] = [];
      for (let now = start + MIN; now <= T0_MS; now += MIN) {
        const out = step(state, evaluateSlo({ slo: noMinimum, store, freshness: freshAt(now), nowMs: now }), now);
        state = out.state;
        transitions.push(...out.transitions.map((t) => `${t.from}→${t.to}`));
      }
      expect(transitions).toEqual([]);
      expect(state.status).toBe('UNKNOWN');
    });
  });

  it('evaluates one version alone when asked', () => {
    const store = storeWith(() => 0, '1.4.0');
    store.mergeDelta({ key: { sloName: 'checkout-availability', service: 'checkout', environment: 'production', version: '1.5.0-canary' }, minuteStartMs: T0_MS - MIN, good: 100, total: 200, lateEvents: 0 });
    const canary = evaluateSlo({ slo: slo(), store, freshness: freshSources, nowMs: T0_MS, version: '1.5.0-canary' });
    expect(canary.budget).toMatchObject({ good: 100, total: 200 });
    expect(canary.status).toBe('BREACHED');
    expect(evaluateSlo({ slo: slo(), store, freshness: freshSources, nowMs: T0_MS }).status).toBe('OK');
  });

  describe('the error budget is for the whole period, from its expected volume', () => {
    const MARCH_1 = Date.UTC(2025, 2, 1);
    const APRIL_1 = Date.UTC(2025, 3, 1);
    /** Feb 1 to Mar 31 at 1 000 requests a minute, with 2 bad a minute (a 2× burn at 99.9 %) for 3 minutes from `burnFromMs`. */
    function monthStore(burnFromMs: number) {
      return fillMinutes(emptyStore(), Date.UTC(2025, 1, 1), APRIL_1, (m) => ({ good: m >= burnFromMs && m < burnFromMs + 3 * MIN ? 998 : 1000, total: 1000 }));
    }
    const calendar = testSlo({ timeWindow: [{ duration: '1M', isRolling: false }] });
    const monthCases: { name: string; burnFromMs: number; nowMs: number }[] = [
      { name: 'a calendar month judges a 3-minute 2× burn at 00:03 on the 1st against the whole month', burnFromMs: MARCH_1, nowMs: MARCH_1 + 3 * MIN },
      { name: 'a calendar month judges a 3-minute 2× burn at 23:57 on the 31st the same way', burnFromMs: APRIL_1 - 6 * MIN, nowMs: APRIL_1 - 3 * MIN },
    ];
    it.each(monthCases)('$name', ({ burnFromMs, nowMs }) => {
      const result = evaluateSlo({ slo: calendar, store: monthStore(burnFromMs), freshness: freshAt(nowMs), nowMs });
      expect(result.status).toBe('OK');
      expect(result.budget.exhausted).toBe(false);
      // trailing 30 days at 1 000 / min, times the 31 days of March
      expect(result.budget.expectedTotal).toBeCloseTo(31 * 24 * 60 * 1000, -2);
      expect(result.budget.allowedBadEvents).toBeCloseTo(0.001 * 31 * 24 * 60 * 1000, -1);
      expect(result.budget.periodMs).toBe(31 * DAY);
    });

    it('a rolling SLO 10 minutes after its first data judges its budget against the volume expected over its whole window', () => {
      const start = T0_MS - 10 * MIN;
      const store = fillMinutes(emptyStore(), start, T0_MS, (m) => ({ good: 1000 - (((m - start) / MIN) % 2 === 0 ? 1 : 2), total: 1000 })); // a 1.5× burn
      const result = evaluateSlo({ slo: slo(), store, freshness: freshSources, nowMs: T0_MS });
      expect(result.budget).toMatchObject({ total: 10_000, bad: 15 });
      expect(result.budget.expectedTotal).toBe(10_000 * (28 * DAY) / (10 * MIN));
      expect(result.budget.exhausted).toBe(false);
      expect(result.status).not.toBe('BREACHED');
    });

    it('25 bad events after 4 h of history at 100 requests a minute do not exhaust a 30-day budget', () => {
      const thirtyDays = testSlo({ timeWindow: [{ duration: '30d', isRolling: true }] });
      const start = T0_MS - 4 * HOUR;
      const store = fillMinutes(emptyStore(), start, T0_MS, (m) => ({ good: m === T0_MS - MIN ? 75 : 100, total: 100 }));
      const result = evaluateSlo({ slo: thirtyDays, store, freshness: freshSources, nowMs: T0_MS });
      expect(result.budget).toMatchObject({ total: 24_000, bad: 25, expectedTotal: 24_000 * 180, exhausted: false });
      expect(result.budget.allowedBadEvents).toBeCloseTo(4320, 6);
      expect(result.status).not.toBe('BREACHED');
    });
  });

  describe('windows end at the minute boundary M and hold exactly [M − W, M)', () => {
    const key = { sloName: 'checkout-availability', service: 'checkout', environment: 'production', version: '1' };
    /** A clean day of 1 000 requests a minute before T0, a 50-bad-event burst in [T0 − 5m, T0 − 4m), and a failing current minute. */
    function burstStore(): MinuteBucketStore {
      const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
      for (let ago = 1; ago <= 24 * 60; ago++) {
        store.mergeDelta({ key, minuteStartMs: T0_MS - ago * MIN, good: ago === 5 ? 950 : 1000, total: 1000, lateEvents: 0 });
      }
      // the minute that starts at T0 is not over at T0 (or at T0 + 1 s): it must not count yet
      store.mergeDelta({ key, minuteStartMs: T0_MS, good: 0, total: 3, lateEvents: 0 });
      return store;
    }
    const cases: { name: string; nowMs: number }[] = [
      { name: 'evaluated at the boundary M the 5m window covers the five buckets [M − 5m, M) and reads 10× as Prometheus would', nowMs: T0_MS },
      { name: 'evaluated 1 s after the boundary the windows still end at M: the burst 5 minutes ago still reads 10×', nowMs: T0_MS + 1_000 },
      { name: 'evaluated 59.9 s after the boundary the windows still end at M', nowMs: T0_MS + 59_900 },
    ];
    it.each(cases)('$name', ({ nowMs }) => {
      const result = evaluateSlo({ slo: slo(), store: burstStore(), freshness: freshSources, nowMs });
      const fiveMinutes = result.burnRates.find((w) => w.window === '5m')!;
      expect(result.atMs).toBe(T0_MS);
      expect(fiveMinutes).toMatchObject({ good: 4950, total: 5000 });
      expect(fiveMinutes.burnRate).toBeCloseTo(10, 9);
      expect(result.window.toMs).toBe(T0_MS);
    });
  });

  it('reports latency quantiles for a latency SLO', () => {
    const latency = slo({ indicator: { kind: 'latency', thresholdMs: 300 } });
    const store = new MinuteBucketStore({ allowedLatenessMs: MIN });
    for (let i = 1; i <= 1000; i++) {
      store.record({ key: { sloName: 'checkout-availability', service: 'checkout', environment: 'production', version: '1' }, sourceId: 'p0', eventTimeMs: T0_MS - i * 1000, good: i <= 300, latencyMs: i });
    }
    const result = evaluateSlo({ slo: latency, store, freshness: freshSources, nowMs: T0_MS });
    expect(result.latency!.p50Ms).toBeCloseTo(500, -1);
    expect(Math.abs(result.latency!.p99Ms - 990) / 990).toBeLessThanOrEqual(0.005);
  });
});
