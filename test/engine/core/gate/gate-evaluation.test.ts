import { describe, expect, it } from 'vitest';
import { attributionRequests, evaluateGate } from '../../../../engine/core/gate/gate-evaluation.ts';
import type { GateInput, GateStatus } from '../../../../engine/core/gate/gate-inputs.ts';
import { AT, burnWindows, counts, DECIDED, gateInput, policy, sloState } from './gate-fixtures.ts';

const HOUR = 3_600_000;

/** A page rule firing on checkout-availability: 5 % of requests fail over the last hour and 5 minutes (50×). */
const paging = () => sloState({
  status: 'BREACHED', eventTimeStatus: 'BREACHED', reason: 'page rule page-1h-5m fires',
  evaluation: { firing: ['page-1h-5m'], status: 'BREACHED', reason: 'page rule page-1h-5m fires', burnRates: burnWindows(0.999, 0.0001, { '5m': 0.05, '30m': 0.05, '1h': 0.05 }) },
});

/** A synthetic journey SLO whose last five minutes ran `failed` of 60 checks into a failure. */
const journey = (failed: number) => sloState({
  name: 'checkout-journey', indicator: 'syntheticSuccess', target: 0.99, rules: undefined,
  budget: { minEvents: 30 },
  evaluation: { burnRates: burnWindows(0.99, 0.001).map((w) => (w.window === '5m' ? { ...w, total: 60, good: 60 - failed, badRatio: failed / 60, burnRate: failed / 60 / 0.01 } : w)) },
});

interface Row {
  name: string;
  input: GateInput;
  verdict: GateStatus;
  blocking: boolean;
  /** A check that must have this status, and words its explanation must contain. */
  check?: [name: string, status: GateStatus, explains: RegExp];
}

const rows: Row[] = [
  {
    name: 'passes a fresh, healthy SLO with budget left and no alert',
    input: gateInput(),
    verdict: 'PASS', blocking: false,
    check: ['budget:checkout-availability', 'PASS', /95\.0 % of the error budget left \(50 bad events of 1,000 allowed for the 28d window\)/],
  },
  {
    name: 'warns while a ticket rule fires',
    input: gateInput({
      slos: [sloState({ status: 'WARNING', eventTimeStatus: 'WARNING', warningActive: true, evaluation: { firing: ['ticket-1d-2h'], status: 'WARNING' } })],
      versionCounts: [counts('checkout-availability', 24 * HOUR, { '1.4.1': [990_000, 1_000_000] })],
    }),
    verdict: 'WARN', blocking: false,
    check: ['alerts:checkout-availability', 'WARN', /ticket rule ticket-1d-2h fires .*version 1\.4\.2 has no events here over 1d/],
  },
  {
    name: 'fails while a page rule fires and this version burns above its threshold',
    input: gateInput({ slos: [paging()], versionCounts: [counts('checkout-availability', HOUR, { '1.4.2': [9_500, 10_000], '1.4.1': [49_990, 50_000] })] }),
    verdict: 'FAIL', blocking: true,
    check: ['alerts:checkout-availability', 'FAIL', /page rule page-1h-5m fires \(50× over 1h, 50× over 5m; threshold 14\.4×\): version 1\.4\.2 itself: 50× burn on 10,000 events over 1h/],
  },
  {
    name: 'fails a version that has not served while the service pages (nothing shows it clean)',
    input: gateInput({ slos: [paging()], versionCounts: [counts('checkout-availability', HOUR, { '1.4.1': [47_500, 50_000] })] }),
    verdict: 'FAIL', blocking: true,
    check: ['alerts:checkout-availability', 'FAIL', /version 1\.4\.2 has no events here over 1h, so nothing shows it clean; worst other version 1\.4\.1: 50× burn/],
  },
  {
    name: 'passes a version whose own events show it clean while another version pages',
    input: gateInput({ slos: [paging()], versionCounts: [counts('checkout-availability', HOUR, { '1.4.2': [49_990, 50_000], '1.5.0': [9_000, 10_000] })] }),
    verdict: 'PASS', blocking: false,
    check: ['alerts:checkout-availability', 'PASS', /but not because of this version: version 1\.4\.2 itself: 0\.2× burn on 50,000 events over 1h; worst other version 1\.5\.0: 100× burn/],
  },
  {
    name: 'fails on an exhausted error budget',
    input: gateInput({ slos: [sloState({ status: 'BREACHED', eventTimeStatus: 'BREACHED', budget: { exhausted: true, consumedEvents: 1_200, remainingRatio: -0.2 }, evaluation: { status: 'BREACHED' } })] }),
    verdict: 'FAIL', blocking: true,
    check: ['budget:checkout-availability', 'FAIL', /error budget exhausted: 1,200 bad events of 1,000 allowed for the 28d window/],
  },
  {
    name: 'fails below the policy\'s minimum budget remaining',
    input: gateInput({ policy: policy({ minBudgetRemaining: 0.25 }), slos: [sloState({ budget: { remainingRatio: 0.2, consumedEvents: 800 } })] }),
    verdict: 'FAIL', blocking: true,
    check: ['budget:checkout-availability', 'FAIL', /20\.0 % of the error budget left .* the policy wants at least 25\.0 %/],
  },
  {
    name: 'fails on a failing synthetic journey',
    input: gateInput({ slos: [journey(18)], versionCounts: [counts('checkout-journey', HOUR, { '1.4.2': [170, 200] })] }),
    verdict: 'FAIL', blocking: true,
    check: ['journey:checkout-journey', 'FAIL', /the journey fails: 18 of 60 checks failed over 5m \(success 70\.0 % < 99\.0 %\)/],
  },
  {
    name: 'passes a journey with fewer failures than the policy\'s bar',
    input: gateInput({ slos: [journey(2)] }),
    verdict: 'PASS', blocking: false,
    check: ['journey:checkout-journey', 'PASS', /the journey works: 2 of 60 checks failed over 5m/],
  },
  {
    name: 'is inconclusive when the data is stale by the wall clock at the decision',
    input: gateInput({ decidedAtMs: AT + 20 * 60_000 }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['freshness:checkout-availability', 'INCONCLUSIVE', /1150 s behind the wall clock at the decision, more than its maxStaleness 10m/],
  },
  {
    name: 'is inconclusive when the judge\'s overlay finds the data stale',
    input: gateInput({ slos: [sloState({ status: 'UNKNOWN', overlay: { stale: true, reason: 'data not fresh: the event time of x\'s spans sources is 900 s behind' } })] }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['budget:checkout-availability', 'INCONCLUSIVE', /data not fresh, so the budget cannot be judged: data not fresh: the event time/],
  },
  {
    name: 'is inconclusive while the scope is silent in event time (no alert firing proves nothing)',
    input: gateInput({ slos: [sloState({ status: 'UNKNOWN', evaluation: { fresh: false, freshnessReason: 'no events for 660 s', status: 'UNKNOWN' } })] }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['alerts:checkout-availability', 'INCONCLUSIVE', /no alert rule fires, but the data is not fresh, so that proves nothing: no events for 660 s/],
  },
  {
    name: 'is inconclusive for an SLO the judge has not evaluated (UNKNOWN)',
    input: gateInput({ slos: [sloState({ status: 'UNKNOWN', eventTimeStatus: 'UNKNOWN', reason: 'not evaluated yet', evaluation: undefined, watermarkMs: undefined, vouchedMs: undefined })] }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['budget:checkout-availability', 'INCONCLUSIVE', /no evaluation of checkout-availability yet: not evaluated yet/],
  },
  {
    name: 'is inconclusive with too few events to judge the budget',
    input: gateInput({ slos: [sloState({ status: 'UNKNOWN', eventTimeStatus: 'UNKNOWN', budget: { total: 40, good: 40, bad: 0, consumedEvents: 0, remainingRatio: 1 }, evaluation: { status: 'UNKNOWN' } })] }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['budget:checkout-availability', 'INCONCLUSIVE', /too few events to judge the budget: 40 of the 100 checkout-availability needs/],
  },
  {
    name: 'is inconclusive when no SLO covers the service in the environment (never PASS by default)',
    input: gateInput({ slos: [] }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['slos', 'INCONCLUSIVE', /no SLO covers checkout in production, so there is nothing to judge it by/],
  },
  {
    name: 'stays INCONCLUSIVE but does not block where the environment\'s policy lets INCONCLUSIVE pass',
    input: gateInput({ policy: policy({ environments: ['staging'], inconclusive: 'pass' }, 'staging'), decidedAtMs: AT + 20 * 60_000 }),
    verdict: 'INCONCLUSIVE', blocking: false,
  },
  {
    name: 'keeps a BREACHED state held through silence a FAIL (silence is not recovery)',
    input: gateInput({
      decidedAtMs: AT + 20 * 60_000,
      slos: [sloState({ status: 'BREACHED', eventTimeStatus: 'BREACHED', reason: 'no data since …: BREACHED holds until data shows recovery', evaluation: { status: 'BREACHED', firing: [] } })],
    }),
    verdict: 'FAIL', blocking: true,
    check: ['alerts:checkout-availability', 'FAIL', /a page is held \(BREACHED: no data since/],
  },
  {
    name: 'makes a page an advisory WARN where the policy says alerts: warn',
    input: gateInput({ policy: policy({ checks: { alerts: 'warn' } }), slos: [paging()], versionCounts: [counts('checkout-availability', HOUR, {})] }),
    verdict: 'WARN', blocking: false,
    check: ['alerts:checkout-availability', 'FAIL', /page rule page-1h-5m fires/],
  },
  {
    name: 'fails on a ticket where the policy says alerts.ticket: FAIL',
    input: gateInput({ policy: policy({ alerts: { ticket: 'FAIL' } }), slos: [sloState({ eventTimeStatus: 'WARNING', warningActive: true, evaluation: { firing: ['ticket-3d-6h'] } })] }),
    verdict: 'FAIL', blocking: true,
  },
  {
    name: 'fails when the canary is worse than the baseline',
    input: gateInput({
      request: { service: 'checkout', environment: 'production', version: '1.4.2', baselineVersion: '1.4.1' },
      canary: { kind: 'data', input: {
        service: 'checkout', environment: 'production', baselineVersion: '1.4.1', canaryVersion: '1.4.2', fromMs: AT - HOUR, toMs: AT,
        errorCounts: [{ source: 'slo:checkout-availability', baseline: { good: 9_990, total: 10_000 }, canary: { good: 9_700, total: 10_000 } }],
        latency: { source: 'spans_raw', baseline: [{ weight: 1, durationsMs: Array.from({ length: 200 }, (_, i) => 40 + (i % 20)) }], canary: [{ weight: 1, durationsMs: Array.from({ length: 200 }, (_, i) => 40 + (i % 20)) }] },
      } },
    }),
    verdict: 'FAIL', blocking: true,
    check: ['canary:error-ratio:slo:checkout-availability', 'FAIL', /.+/],
  },
  {
    name: 'is inconclusive when the canary comparison has too few requests (never PASS)',
    input: gateInput({
      request: { service: 'checkout', environment: 'production', version: '1.4.2', baselineVersion: '1.4.1' },
      canary: { kind: 'data', input: {
        service: 'checkout', environment: 'production', baselineVersion: '1.4.1', canaryVersion: '1.4.2', fromMs: AT - HOUR, toMs: AT,
        errorCounts: [{ source: 'slo:checkout-availability', baseline: { good: 50, total: 50 }, canary: { good: 20, total: 20 } }],
      } },
    }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['canary:error-ratio:slo:checkout-availability', 'INCONCLUSIVE', /.+/],
  },
  {
    name: 'is inconclusive when the policy requires a baseline and none serves',
    input: gateInput({ policy: policy({ baseline: { required: true } }), canary: { kind: 'missing', baselineVersion: null, reason: 'the policy requires a baseline comparison and no other version serves checkout in production' } }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['canary', 'INCONCLUSIVE', /no other version serves checkout in production/],
  },
  {
    name: 'is inconclusive while the version has baked for less than the policy asks',
    input: gateInput({ policy: policy({ bake: { environment: 'staging', minDuration: '30m' } }), bake: { environment: 'staging', firstServedAtMs: DECIDED - 12 * 60_000 } }),
    verdict: 'INCONCLUSIVE', blocking: true,
    check: ['bake:staging', 'INCONCLUSIVE', /has served in staging for 12m of the 30m required .* ask again after 2026-01-15T12:19:00\.000Z/],
  },
  {
    name: 'passes once the version has baked long enough',
    input: gateInput({ policy: policy({ bake: { environment: 'staging', minDuration: '30m' } }), bake: { environment: 'staging', firstServedAtMs: DECIDED - 31 * 60_000 } }),
    verdict: 'PASS', blocking: false,
    check: ['bake:staging', 'PASS', /has served in staging since/],
  },
];

describe('evaluateGate', () => {
  it.each(rows)('$name', (row) => {
    const outcome = evaluateGate(row.input);
    expect({ verdict: outcome.verdict, blocking: outcome.blocking }, outcome.summary).toEqual({ verdict: row.verdict, blocking: row.blocking });
    expect(outcome.policyVersion).toBe(row.input.policy.version);
    if (row.check) {
      const [name, status, explains] = row.check;
      const found = outcome.checks.find((c) => c.name === name);
      expect(found, `checks: ${outcome.checks.map((c) => c.name).join(', ')}`).toBeDefined();
      expect(found!.status, found!.explanation).toBe(status);
      expect(found!.explanation).toMatch(explains);
    }
  });

  it('lists budget, alerts, journey and freshness per SLO by name, with window and freshness on every check', () => {
    const outcome = evaluateGate(gateInput({ slos: [sloState(), sloState({ name: 'checkout-journey', indicator: 'syntheticSuccess', target: 0.99 })] }));
    expect(outcome.checks.map((c) => c.name)).toEqual([
      'budget:checkout-availability', 'alerts:checkout-availability', 'freshness:checkout-availability',
      'budget:checkout-journey', 'alerts:checkout-journey', 'journey:checkout-journey', 'freshness:checkout-journey',
    ]);
    const freshness = outcome.checks.find((c) => c.name === 'freshness:checkout-availability')!;
    expect(freshness).toMatchObject({ observed: DECIDED - (AT + 50_000), threshold: 600_000, comparator: '<=', unit: 'ms', freshness: { fresh: true, watermark: AT + 20_000, lagMs: 10_000 } });
    expect(outcome.checks.find((c) => c.name === 'budget:checkout-availability')!.window).toEqual({ length: '28d', from: AT - 28 * 86_400_000, to: AT });
  });

  it('reports the version\'s own burn against the rule when it attributes an alert, the service\'s otherwise', () => {
    const alerts = (input: GateInput) => evaluateGate(input).checks.find((c) => c.name === 'alerts:checkout-availability')!;
    const guilty = alerts(gateInput({ slos: [paging()], versionCounts: [counts('checkout-availability', HOUR, { '1.4.2': [9_500, 10_000] })] }));
    expect(guilty).toMatchObject({ status: 'FAIL', observed: expect.closeTo(50, 6), threshold: 14.4, comparator: '<', unit: 'burnRate', window: { length: '1h', from: AT - HOUR, to: AT } });
    const clean = alerts(gateInput({ slos: [paging()], versionCounts: [counts('checkout-availability', HOUR, { '1.4.2': [49_990, 50_000], '1.5.0': [9_000, 10_000] })] }));
    expect(clean).toMatchObject({ status: 'PASS', observed: expect.closeTo(0.2, 6), threshold: 14.4 });
    const absent = alerts(gateInput({ slos: [paging()], versionCounts: [counts('checkout-availability', HOUR, {})] }));
    expect(absent).toMatchObject({ status: 'FAIL', observed: null, threshold: 14.4 });
    expect(alerts(gateInput())).toMatchObject({ status: 'PASS', unit: 'burnRate', threshold: expect.any(Number), observed: expect.any(Number) });
  });

  it('writes one sentence that names the deciding check', () => {
    const outcome = evaluateGate(gateInput({ slos: [sloState({ budget: { exhausted: true, consumedEvents: 1_200, remainingRatio: -0.2 } })] }));
    expect(outcome.summary).toBe('checkout 1.4.2 → production FAILS: budget:checkout-availability: error budget exhausted: 1,200 bad events of 1,000 allowed for the 28d window');
    expect(evaluateGate(gateInput()).summary).toBe('checkout 1.4.2 → production passes all 3 checks');
  });

  it('asks for per-version counts only where an alert or a failing journey must be attributed', () => {
    expect(attributionRequests(gateInput())).toEqual([]);
    expect(attributionRequests(gateInput({ slos: [paging(), journey(18)] }))).toEqual([
      { slo: 'checkout-availability', fromMs: AT - HOUR, toMs: AT },
      { slo: 'checkout-journey', fromMs: AT - HOUR, toMs: AT },
    ]);
    // a held page (BREACHED, no rule firing any more) is attributed over every page rule's window
    const held = sloState({ eventTimeStatus: 'BREACHED', evaluation: { firing: [] } });
    expect(attributionRequests(gateInput({ slos: [held] })).map((r) => (r.toMs - r.fromMs) / HOUR)).toEqual([1, 6]);
  });
});
