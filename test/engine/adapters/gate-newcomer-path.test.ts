import { describe, expect, it } from 'vitest';
import { TrafficSimulator } from '../../../ingest/simulator/traffic-simulator.ts';
import { gateHarness } from './support/gate-harness.ts';

const MINUTE = 60_000;
const START = Date.UTC(2026, 2, 2, 9, 0, 7);
const CI = { id: 'tok-ci', name: 'ci-checkout', role: 'ci' };

/**
 * The newcomer's path (README "See a bad release fail the gate"): `npm start` runs the
 * simulator with examples/slos and examples/policies; its first bad release (checkout
 * 1.2.0, four minutes in) must page within ten minutes of event time, with the default 30 s
 * allowed lateness, and hold; the gate must FAIL the bad version and PASS the good one.
 * Here the same simulator, SLOs and policies run through the core's counting and the
 * judge in memory, on a fast-forwarded clock (ticks of 250 ms, as `sluice start` runs it).
 */
describe('the newcomer path: the simulator\'s bad release', () => {
  it('pages checkout-availability within ten minutes, holds, and fails the gate for 1.2.0 while 1.1.0 passes', async () => {
    const h = await gateHarness({ startMs: START });
    const sim = new TrafficSimulator({ seed: START });
    const deploys: { version: string; atMs: number; rollbackOf?: string }[] = [];
    let t = START;
    const runUntil = (untilMs: number) => {
      for (; t <= untilMs; t += 250) {
        const events = sim.tick(t);
        for (const e of events) if (e.signal === 'deploys' && e.event.service === 'checkout') deploys.push({ version: e.event.version, atMs: t, ...(e.event.attributes?.rollbackOf ? { rollbackOf: e.event.attributes.rollbackOf } : {}) });
        h.feed(events, t);
      }
    };

    // a few minutes of clean traffic: every checkout SLO judged, the gate passes 1.1.0
    runUntil(START + 3.5 * MINUTE);
    await h.settle();
    const early = await h.gate.decide({ service: 'checkout', environment: 'production', version: '1.1.0', baselineVersion: null }, CI);
    expect(early.decision.verdict, early.decision.summary).toBe('PASS');

    // the bad release goes out four minutes in; the page comes at a minute boundary once lateness has passed it
    runUntil(START + 10 * MINUTE);
    await h.settle();
    expect(deploys[0]).toMatchObject({ version: '1.2.0', atMs: START + 4 * MINUTE });
    const breach = h.published.transitions.find((tr) => tr.sloName === 'checkout-availability' && tr.to === 'BREACHED' && tr.basis === 'event-time');
    expect(breach, JSON.stringify(h.published.transitions.map((tr) => [tr.sloName, tr.to, tr.atMs - START]))).toBeDefined();
    expect(breach!.rule).toBe('page-1h-5m');
    const pagedAfterMs = breach!.publishedAtMs - START;
    expect(pagedAfterMs).toBeLessThanOrEqual(10 * MINUTE);
    // event time of the page: about 35 s of bad traffic, rounded up to the next minute boundary
    expect(breach!.atMs - (START + 4 * MINUTE)).toBeLessThanOrEqual(2 * MINUTE);

    const bad = await h.gate.decide({ service: 'checkout', environment: 'production', version: '1.2.0', baselineVersion: null }, CI);
    const good = await h.gate.decide({ service: 'checkout', environment: 'production', version: '1.1.0', baselineVersion: null }, CI);
    expect(bad.decision.verdict, bad.decision.summary).toBe('FAIL');
    expect(bad.decision.blocking).toBe(true);
    expect(bad.decision.checks.find((c) => c.name === 'alerts:checkout-availability')).toMatchObject({ status: 'FAIL', explanation: expect.stringMatching(/page rules? page-1h-5m.* fires? .*version 1\.2\.0 itself: \d+× burn/) });
    expect(bad.decision.checks.find((c) => c.name === 'journey:checkout-journey')).toMatchObject({ status: 'FAIL' });
    expect(good.decision.verdict, good.decision.summary).toBe('PASS');
    expect(good.decision.checks.find((c) => c.name === 'alerts:checkout-availability')!.explanation).toMatch(/but not because of this version: version 1\.1\.0 itself: 0\.\d+× burn/);
    expect(good.decision.policyVersion).toMatch(/^production\.yaml@sha256:/);

    // the page holds while the bad release serves (one BREACHED, no flapping) and is still on right after the rollback
    runUntil(START + 19.5 * MINUTE);
    await h.settle();
    expect(deploys.find((d) => d.rollbackOf !== undefined)).toMatchObject({ version: '1.1.0', atMs: START + 19 * MINUTE });
    const availability = h.published.transitions.filter((tr) => tr.sloName === 'checkout-availability' && tr.basis === 'event-time');
    expect(availability.map((tr) => tr.to)).toEqual(['OK', 'BREACHED']);
    expect((await h.judge.get('checkout-availability'))!.status).toBe('BREACHED');
    const afterRollback = await h.gate.decide({ service: 'checkout', environment: 'production', version: '1.2.0', baselineVersion: null }, CI);
    expect(afterRollback.decision.verdict).toBe('FAIL');
  }, 120_000);

  it('pages within ten minutes of event time even after an hour of clean traffic fills the 1 h window', async () => {
    const h = await gateHarness({ startMs: START });
    // half the traffic (the ratios, not the volume, decide), the bad release after 61 clean minutes
    const sim = new TrafficSimulator({ seed: START, rateScale: 0.5, firstBadRelease: { service: 'checkout', afterMs: 61 * MINUTE }, deployEveryMs: 10 * MINUTE });
    const badAt = START + 61 * MINUTE;
    for (let t = START; t <= badAt + 10 * MINUTE; t += 1_000) h.feed(sim.tick(t), t);
    await h.settle();
    const breach = h.published.transitions.find((tr) => tr.sloName === 'checkout-availability' && tr.to === 'BREACHED' && tr.basis === 'event-time');
    expect(breach).toBeDefined();
    // the 1h/5m rule needs 1.44 % of a full hour bad: 0.864 / 0.15 = 5.8 minutes, then the next boundary and 30 s of
    // lateness; with only 71 minutes in the 6 h window the 6h/30m page (0.6 %) may come first
    expect(breach!.publishedAtMs - badAt).toBeLessThanOrEqual(8 * MINUTE);
  }, 120_000);
});
