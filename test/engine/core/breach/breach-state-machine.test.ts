import { describe, expect, it } from 'vitest';
import { evaluateAlertRules, WORKBOOK_ALERT_RULES } from '../../../../engine/core/alerting/alert-rules.ts';
import { errorBudget } from '../../../../engine/core/budget/error-budget.ts';
import {
  BreachStateSchema,
  initialBreachState,
  step,
  type BreachState,
  type BreachStatus,
} from '../../../../engine/core/breach/breach-state-machine.ts';
import { evaluateSlo, type SloEvaluation, type SloStatus } from '../../../../engine/core/slo-evaluator.ts';
import { mulberry32 } from '../../../../platform/random/mulberry32.ts';
import { T0_MS } from '../fixtures/sli-events.ts';
import { DAY, emptyStore, fillMinutes, freshAt, HOUR, SLO_KEY, testSlo } from '../fixtures/slo-fixtures.ts';

const MIN = 60_000;
const key = { sloName: 'checkout-availability', service: 'checkout', environment: 'production' };

/** An evaluation with the given status; WARNING / BREACHED carry a firing rule of that severity. */
/** The scope's last event in the fixture's stale evaluations: 15 minutes before T0. */
const LAST_EVENT_MS = T0_MS - 15 * MIN;

/**
 * An evaluation with the given status; WARNING / BREACHED carry a firing rule of that
 * severity. UNKNOWN is stale data (last event at LAST_EVENT_MS) unless `fresh` says it is
 * fresh data with too few events.
 */
function evaluation(status: SloStatus, reason = `status ${status}`, holdMs = 0, fresh = status !== 'UNKNOWN'): SloEvaluation {
  const errorRatio = status === 'BREACHED' ? 0.02 : status === 'WARNING' ? 0.002 : 0;
  const rules = evaluateAlertRules(WORKBOOK_ALERT_RULES, 0.999, (ms) => ({ good: ms / 1000 - (ms / 1000) * errorRatio, total: ms / 1000 }));
  const firing = rules.filter((r) => r.firing);
  return {
    sloName: key.sloName,
    selector: key,
    atMs: T0_MS,
    target: 0.999,
    window: { fromMs: T0_MS - 28 * 86_400_000, toMs: T0_MS },
    attainment: 1 - errorRatio,
    budget: errorBudget({ good: 1_000_000 * (1 - errorRatio), total: 1_000_000 }, 0.999),
    burnRates: [],
    rules,
    firing,
    status,
    reason,
    rule: status === 'BREACHED' ? firing.find((r) => r.rule.severity === 'page') : status === 'WARNING' ? firing[0] : undefined,
    holdMs,
    freshness: fresh
      ? { fresh: true, lastEventTimeMs: T0_MS, sources: [] }
      : { fresh: false, reason, lastEventTimeMs: LAST_EVENT_MS, sources: [{ service: 'checkout', signal: 'spans', fresh: false, reason, lastEventTimeMs: LAST_EVENT_MS }] },
  };
}

/** Runs evaluations one minute apart from T0 and returns the path of statuses after each step. */
function run(statuses: SloStatus[], quietMs = 10 * MIN, holdMs = 0, start?: BreachState): BreachStatus[] {
  let state = start ?? initialBreachState(key.sloName, key, T0_MS);
  return statuses.map((s, i) => {
    state = step(state, evaluation(s, `status ${s}`, holdMs), T0_MS + (i + 1) * MIN, { recoveredQuietPeriodMs: quietMs }).state;
    return state.status;
  });
}

describe('breach state machine', () => {
  const paths: { name: string; evaluations: SloStatus[]; expected: BreachStatus[]; quietMs?: number }[] = [
    { name: 'starts UNKNOWN and becomes OK on the first good evaluation', evaluations: ['OK'], expected: ['OK'] },
    { name: 'goes OK → WARNING when a ticket rule fires', evaluations: ['OK', 'WARNING'], expected: ['OK', 'WARNING'] },
    { name: 'escalates WARNING → BREACHED when a page rule fires', evaluations: ['OK', 'WARNING', 'BREACHED'], expected: ['OK', 'WARNING', 'BREACHED'] },
    { name: 'steps BREACHED → WARNING when only the ticket keeps firing', evaluations: ['BREACHED', 'WARNING'], expected: ['BREACHED', 'WARNING'] },
    { name: 'goes BREACHED → RECOVERED when nothing fires any more', evaluations: ['BREACHED', 'OK'], expected: ['BREACHED', 'RECOVERED'] },
    {
      name: 'stays RECOVERED through the quiet period, then returns to OK',
      evaluations: ['WARNING', 'OK', 'OK', 'OK', 'OK'],
      quietMs: 3 * MIN,
      expected: ['WARNING', 'RECOVERED', 'RECOVERED', 'RECOVERED', 'OK'],
    },
    { name: 'returns to OK on the next quiet evaluation when the quiet period is 0', evaluations: ['WARNING', 'OK', 'OK'], quietMs: 0, expected: ['WARNING', 'RECOVERED', 'OK'] },
    { name: 'goes RECOVERED → BREACHED when the burn comes back', evaluations: ['BREACHED', 'OK', 'BREACHED'], expected: ['BREACHED', 'RECOVERED', 'BREACHED'] },
    { name: 'never turns stale data into BREACHED', evaluations: ['OK', 'UNKNOWN', 'UNKNOWN'], expected: ['OK', 'UNKNOWN', 'UNKNOWN'] },
    { name: 'stays BREACHED while its source is silent and recovers when data returns quiet', evaluations: ['BREACHED', 'UNKNOWN', 'UNKNOWN', 'OK'], expected: ['BREACHED', 'BREACHED', 'BREACHED', 'RECOVERED'] },
    { name: 'stays BREACHED while its source is silent and when data returns still burning', evaluations: ['BREACHED', 'UNKNOWN', 'BREACHED'], expected: ['BREACHED', 'BREACHED', 'BREACHED'] },
    { name: 'stays WARNING while its source is silent: a ticket is not resolved by silence either', evaluations: ['WARNING', 'UNKNOWN', 'UNKNOWN'], expected: ['WARNING', 'WARNING', 'WARNING'] },
    { name: 'goes RECOVERED → UNKNOWN when its source is silent', evaluations: ['BREACHED', 'OK', 'UNKNOWN'], expected: ['BREACHED', 'RECOVERED', 'UNKNOWN'] },
    { name: 'goes OK → UNKNOWN → OK when data returns quiet', evaluations: ['OK', 'UNKNOWN', 'OK'], expected: ['OK', 'UNKNOWN', 'OK'] },
    {
      name: 'keeps the quiet period of RECOVERED running across UNKNOWN',
      evaluations: ['WARNING', 'OK', 'UNKNOWN', 'UNKNOWN', 'OK'],
      quietMs: 3 * MIN,
      expected: ['WARNING', 'RECOVERED', 'UNKNOWN', 'UNKNOWN', 'OK'],
    },
  ];
  it.each(paths)('$name', ({ evaluations, expected, quietMs }) => {
    expect(run(evaluations, quietMs)).toEqual(expected);
  });

  const holds: { name: string; evaluations: SloStatus[]; expected: BreachStatus[]; holdMs: number }[] = [
    {
      name: 'with a 3-minute hold BREACHED clears 3 minutes after the first quiet evaluation, like keep_firing_for',
      evaluations: ['BREACHED', 'OK', 'OK', 'OK', 'OK'],
      holdMs: 3 * MIN,
      expected: ['BREACHED', 'BREACHED', 'BREACHED', 'BREACHED', 'RECOVERED'],
    },
    {
      name: 'a burn returning during the hold cancels it and the hold starts again',
      evaluations: ['BREACHED', 'OK', 'OK', 'BREACHED', 'OK', 'OK', 'OK'],
      holdMs: 2 * MIN,
      expected: ['BREACHED', 'BREACHED', 'BREACHED', 'BREACHED', 'BREACHED', 'BREACHED', 'RECOVERED'],
    },
    { name: 'BREACHED steps down to WARNING only after the hold', evaluations: ['BREACHED', 'WARNING', 'WARNING', 'WARNING'], holdMs: 2 * MIN, expected: ['BREACHED', 'BREACHED', 'BREACHED', 'WARNING'] },
    { name: 'WARNING is held the same way (a ticket is not resolved by one quiet minute)', evaluations: ['WARNING', 'OK', 'OK', 'OK'], holdMs: 2 * MIN, expected: ['WARNING', 'WARNING', 'WARNING', 'RECOVERED'] },
    { name: 'a breach turns on at once, the hold only delays clearing', evaluations: ['OK', 'WARNING', 'BREACHED'], holdMs: 10 * MIN, expected: ['OK', 'WARNING', 'BREACHED'] },
  ];
  it.each(holds)('$name', ({ evaluations, expected, holdMs }) => {
    expect(run(evaluations, 30 * MIN, holdMs)).toEqual(expected);
  });

  it('a silent source while BREACHED keeps BREACHED with "no data since" the last event, and publishes nothing', () => {
    const breached = step(initialBreachState(key.sloName, key, T0_MS), evaluation('BREACHED'), T0_MS).state;
    const { state, transitions } = step(breached, evaluation('UNKNOWN', 'data not fresh: checkout/spans: no events for 900 s, more than 600 s'), T0_MS + MIN);
    expect(transitions).toEqual([]);
    expect(state.status).toBe('BREACHED');
    expect(state.reason).toBe('no data since 2025-03-10T11:45:00.000Z: BREACHED holds until data shows recovery (data not fresh: checkout/spans: no events for 900 s, more than 600 s)');
  });

  it('after silence the hold starts again only when data shows the condition false', () => {
    let state = step(initialBreachState(key.sloName, key, T0_MS), evaluation('BREACHED', 'burn', 2 * MIN), T0_MS).state;
    const statuses = (['OK', 'UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'OK', 'OK', 'OK'] as const).map((s, i) => {
      state = step(state, evaluation(s, `status ${s}`, 2 * MIN), T0_MS + (i + 1) * MIN).state;
      return state.status;
    });
    // the hold that began at +1 min is not run down by silence; data from +5 min restarts it
    expect(statuses).toEqual(['BREACHED', 'BREACHED', 'BREACHED', 'BREACHED', 'BREACHED', 'BREACHED', 'RECOVERED']);
  });

  const fewEvents: { name: string; evaluations: [SloStatus, boolean][]; expected: BreachStatus[] }[] = [
    { name: 'too few events while BREACHED is data without a firing rule: the breach clears after its hold', evaluations: [['BREACHED', true], ['UNKNOWN', true]], expected: ['BREACHED', 'RECOVERED'] },
    { name: 'too few events after RECOVERED waits out the quiet period, then UNKNOWN', evaluations: [['BREACHED', true], ['OK', true], ['UNKNOWN', true], ['UNKNOWN', true]], expected: ['BREACHED', 'RECOVERED', 'RECOVERED', 'UNKNOWN'] },
    { name: 'too few events from OK is UNKNOWN', evaluations: [['OK', true], ['UNKNOWN', true]], expected: ['OK', 'UNKNOWN'] },
  ];
  it.each(fewEvents)('$name', ({ evaluations, expected }) => {
    let state = initialBreachState(key.sloName, key, T0_MS);
    const statuses = evaluations.map(([s, fresh], i) => {
      state = step(state, evaluation(s, `status ${s}`, 0, fresh), T0_MS + (i + 1) * MIN, { recoveredQuietPeriodMs: 2 * MIN }).state;
      return state.status;
    });
    expect(statuses).toEqual(expected);
  });

  it('explains a held breach in the state and the hold in the clearing transition', () => {
    let state = initialBreachState(key.sloName, key, T0_MS);
    const transitions = (['BREACHED', 'OK', 'OK', 'OK'] as const).flatMap((s, i) => {
      const out = step(state, evaluation(s, `status ${s}`, 2 * MIN), T0_MS + i * MIN);
      state = out.state;
      if (i === 1) expect(state.reason).toMatch(/^holding BREACHED: no page rule fires and the budget is not exhausted since 2025-03-10T12:01:00.000Z/);
      return out.transitions;
    });
    expect(transitions.map((t) => [t.from, t.to, t.reason])).toEqual([
      ['UNKNOWN', 'BREACHED', 'status BREACHED'],
      ['BREACHED', 'RECOVERED', 'recovered: no alert rule fired and the error budget was not exhausted for 2m (hold) (was BREACHED)'],
    ]);
  });

  it('persists as plain JSON and restores through BreachStateSchema', () => {
    let state = initialBreachState(key.sloName, key, T0_MS);
    for (const [i, s] of (['WARNING', 'BREACHED', 'OK'] as const).entries()) state = step(state, evaluation(s, `status ${s}`, 10 * MIN), T0_MS + i * MIN).state;
    const restored = BreachStateSchema.parse(JSON.parse(JSON.stringify(state)));
    expect(restored).toEqual(state);
    expect(restored).toMatchObject({ schemaVersion: 1, status: 'BREACHED', warningActive: true, breachClearingSinceMs: T0_MS + 2 * MIN });
  });

  it('emits one transition per change and none while the status holds', () => {
    let state = initialBreachState(key.sloName, key, T0_MS);
    const counts = (['OK', 'OK', 'BREACHED', 'BREACHED'] as const).map((s, i) => {
      const out = step(state, evaluation(s), T0_MS + i * MIN);
      state = out.state;
      return out.transitions.length;
    });
    expect(counts).toEqual([1, 0, 1, 0]);
    expect(state.sinceMs).toBe(T0_MS + 2 * MIN);
  });

  it('explains a breach with its rule, both windows, budget and freshness', () => {
    const ok = step(initialBreachState(key.sloName, key, T0_MS), evaluation('OK'), T0_MS).state;
    const { transitions } = step(ok, evaluation('BREACHED', 'page-1h-5m: burn'), T0_MS + MIN);
    expect(transitions).toHaveLength(1);
    const t = transitions[0]!;
    expect(t).toMatchObject({ sloName: key.sloName, key, from: 'OK', to: 'BREACHED', atMs: T0_MS + MIN, reason: 'page-1h-5m: burn', rule: 'page-1h-5m' });
    expect(t.windows.map((w) => [w.window, w.thresholdBurnRate])).toEqual([
      ['1h', 14.4],
      ['5m', 14.4],
    ]);
    expect(t.windows[0]).toMatchObject({ rule: 'page-1h-5m', good: 3528, total: 3600, badRatio: expect.closeTo(0.02, 9), burnRate: expect.closeTo(20, 9) });
    expect(t.budget.target).toBe(0.999);
    expect(t.freshness).toEqual({ fresh: true, reason: undefined });
  });

  it('gives UNKNOWN the reason of the evaluation and no rule', () => {
    const ok = step(initialBreachState(key.sloName, key, T0_MS), evaluation('OK'), T0_MS).state;
    const { transitions } = step(ok, evaluation('UNKNOWN', 'data not fresh: checkout/spans: no events for 900 s'), T0_MS + MIN);
    expect(transitions[0]).toMatchObject({ from: 'OK', to: 'UNKNOWN', reason: 'data not fresh: checkout/spans: no events for 900 s', rule: undefined, freshness: { fresh: false } });
  });
});

/** A Poisson-distributed count with mean `mean` (inverse transform; fine for small means). */
function poisson(random: () => number, mean: number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let cumulative = p;
  const u = random();
  while (u > cumulative) {
    k += 1;
    p *= mean / k;
    cumulative += p;
  }
  return k;
}

describe('hysteresis: a breach clears only after its condition stayed false for the hold period', () => {
  /**
   * A day of clean traffic at 1 000 requests a minute, then two hours burning at 16× a 99.9 %
   * target (Poisson(16) bad events a minute): the 1 h window sits steadily above 14.4×, the
   * 5 m window (mean 80 bad events, threshold 72) dips below it every few minutes.
   */
  function run(holdFor: string): string[] {
    const slo = testSlo({ alerting: { holdFor } });
    const random = mulberry32(16);
    const burnFrom = T0_MS;
    const store = fillMinutes(emptyStore(), T0_MS - DAY, T0_MS + 2 * HOUR, (m) => ({ good: m >= burnFrom ? 1000 - poisson(random, 16) : 1000, total: 1000 }));
    let state = initialBreachState(slo.name, SLO_KEY, T0_MS - HOUR);
    const transitions: string[] = [];
    for (let now = T0_MS - HOUR; now <= T0_MS + 2 * HOUR; now += MIN) {
      const out = step(state, evaluateSlo({ slo, store, freshness: freshAt(now), nowMs: now }), now);
      state = out.state;
      transitions.push(...out.transitions.filter((t) => t.from !== 'UNKNOWN').map((t) => `${t.from}→${t.to}`));
    }
    return transitions;
  }

  it('without a hold, a constant 16× burn against the 14.4× rule flaps BREACHED ↔ RECOVERED', () => {
    const transitions = run('0m');
    expect(transitions.length).toBeGreaterThanOrEqual(8);
    expect(transitions.slice(0, 3)).toEqual(['OK→BREACHED', 'BREACHED→RECOVERED', 'RECOVERED→BREACHED']);
  });

  it('with the default 10-minute hold, the same burn publishes one transition', () => {
    expect(run('10m')).toEqual(['OK→BREACHED']);
  });
});
