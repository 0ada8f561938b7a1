import { describe, expect, it } from 'vitest';
import type { CanaryComparison } from '../../../../engine/core/canary/canary-comparison.ts';
import { decideBake, type BakeInput, type BreachTransitionView } from '../../../../engine/core/release/bake-decision.ts';
import { deploy, HOUR, MIN, T0 } from '../dora/delivery-fixtures.ts';

const release = deploy({ deployId: 'd-42', service: 'checkout', version: '1.4.2', finishedAtMs: T0 }) as BakeInput['deploy'];
const BAKE = HOUR;

function transition(o: Partial<BreachTransitionView> & { atMs: number }): BreachTransitionView {
  return {
    transitionId: `checkout-availability|OK|BREACHED|${o.atMs}|event-time`, slo: 'checkout-availability', service: 'checkout', environment: 'production',
    version: '', from: 'OK', to: 'BREACHED', rule: 'page-1h-5m', reason: 'page rule page-1h-5m fires: 1h burn 30×', basis: 'event-time', ...o,
  };
}

const failedCanary = { verdict: 'FAIL', baselineVersion: '1.4.1', summary: 'checkout 1.4.2 vs 1.4.1 in production: the canary is worse (canary:latency)',
  checks: [{ kind: 'latency', name: 'canary:latency', status: 'FAIL', explanation: 'slower' }] } as unknown as CanaryComparison;

describe('the bake period of a production release', () => {
  it.each([
    { name: 'a page burn of the service during the bake asks for a rollback', transitions: [transition({ atMs: T0 + 20 * MIN })], nowMs: T0 + 21 * MIN, kind: 'rollback' },
    { name: 'a burn whose key names this version, too', transitions: [transition({ atMs: T0 + 20 * MIN, version: '1.4.2' })], nowMs: T0 + 21 * MIN, kind: 'rollback' },
    { name: 'a burn whose key names another version does not', transitions: [transition({ atMs: T0 + 20 * MIN, version: '1.4.1' })], nowMs: T0 + 21 * MIN, kind: 'baking' },
    { name: 'a burn of another service does not', transitions: [transition({ atMs: T0 + 20 * MIN, service: 'search' })], nowMs: T0 + 21 * MIN, kind: 'baking' },
    { name: 'a burn that began before the deploy finished does not', transitions: [transition({ atMs: T0 - MIN })], nowMs: T0 + 21 * MIN, kind: 'baking' },
    { name: 'a burn after the bake period does not', transitions: [transition({ atMs: T0 + BAKE })], nowMs: T0 + 2 * HOUR, kind: 'passed' },
    { name: 'a ticket (WARNING) does not', transitions: [transition({ atMs: T0 + 20 * MIN, to: 'WARNING' })], nowMs: T0 + 2 * HOUR, kind: 'passed' },
    { name: 'BREACHED again after silence (a wall-clock transition) does not', transitions: [transition({ atMs: T0 + 20 * MIN, from: 'UNKNOWN', basis: 'wall-clock' })], nowMs: T0 + 2 * HOUR, kind: 'passed' },
  ])('$name', ({ transitions, nowMs, kind }) => {
    expect(decideBake({ deploy: release, bakePeriodMs: BAKE, transitions, nowMs }).kind).toBe(kind);
  });

  it('names the breach, its rule and how far into the bake it came', () => {
    const d = decideBake({ deploy: release, bakePeriodMs: BAKE, transitions: [transition({ atMs: T0 + 40 * MIN }), transition({ atMs: T0 + 20 * MIN, slo: 'checkout-latency' })], nowMs: T0 + 50 * MIN });
    expect(d).toMatchObject({ kind: 'rollback', bakeEndsAtMs: T0 + BAKE, trigger: { kind: 'slo-breach', slo: 'checkout-latency', atMs: T0 + 20 * MIN, rule: 'page-1h-5m' } });
    expect(d.reason).toBe('checkout 1.4.2 in production (deploy d-42): SLO checkout-latency became BREACHED 20 min into the bake period — page rule page-1h-5m fires: 1h burn 30×');
  });

  it('a failed canary comparison asks for a rollback, naming the failed checks', () => {
    const d = decideBake({ deploy: release, bakePeriodMs: BAKE, transitions: [], canary: { comparison: failedCanary, atMs: T0 + 10 * MIN }, nowMs: T0 + 10 * MIN });
    expect(d).toMatchObject({ kind: 'rollback', trigger: { kind: 'canary', baselineVersion: '1.4.1', failedChecks: [{ name: 'canary:latency', explanation: 'slower' }] } });
  });

  it('an inconclusive canary comparison asks for nothing', () => {
    const d = decideBake({ deploy: release, bakePeriodMs: BAKE, transitions: [], canary: { comparison: { ...failedCanary, verdict: 'INCONCLUSIVE' }, atMs: T0 + 10 * MIN }, nowMs: T0 + 2 * HOUR });
    expect(d.kind).toBe('passed');
  });

  it('the next deploy ends the bake: a burn after it is the next release\'s', () => {
    const d = decideBake({ deploy: release, bakePeriodMs: BAKE, replacedAtMs: T0 + 15 * MIN, transitions: [transition({ atMs: T0 + 20 * MIN })], nowMs: T0 + 30 * MIN });
    expect(d).toMatchObject({ kind: 'passed', bakeEndsAtMs: T0 + 15 * MIN });
    expect(d.reason).toMatch(/cut short: the next deploy finished 15 min after it/);
  });
});

describe('settling after the bake', () => {
  it('a quiet release keeps baking for settleAfterMs after its end, and a burn published meanwhile still counts', () => {
    const quiet = decideBake({ deploy: release, bakePeriodMs: BAKE, transitions: [], nowMs: T0 + BAKE + MIN, settleAfterMs: 5 * MIN });
    expect(quiet.kind).toBe('baking');
    expect(quiet.reason).toMatch(/waiting for the judges to publish its last minutes/);
    const late = decideBake({ deploy: release, bakePeriodMs: BAKE, transitions: [transition({ atMs: T0 + BAKE - MIN })], nowMs: T0 + BAKE + 2 * MIN, settleAfterMs: 5 * MIN });
    expect(late.kind).toBe('rollback');
    expect(decideBake({ deploy: release, bakePeriodMs: BAKE, transitions: [], nowMs: T0 + BAKE + 5 * MIN, settleAfterMs: 5 * MIN }).kind).toBe('passed');
  });
});
