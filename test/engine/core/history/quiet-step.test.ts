import { describe, expect, it } from 'vitest';
import type { RuleEvaluation } from '../../../../engine/core/alerting/alert-rules.ts';
import { BREACH_STATUSES, BREACH_STATE_SCHEMA_VERSION, initialBreachState, step, type BreachState } from '../../../../engine/core/breach/breach-state-machine.ts';
import { errorBudget } from '../../../../engine/core/budget/error-budget.ts';
import { quietStep, type MinuteFacts } from '../../../../engine/core/history/quiet-step.ts';
import type { SloEvaluation, SloStatus } from '../../../../engine/core/slo-evaluator.ts';
import { mulberry32 } from '../../../../platform/random/mulberry32.ts';

const MIN = 60_000;
const NOW = Date.UTC(2026, 2, 10, 12);
const HOLD = 10 * MIN;

function ruleEvaluation(severity: 'page' | 'ticket', firing: boolean): RuleEvaluation {
  const w = { window: '1h', durationMs: 3_600_000, good: 90, total: 100, badRatio: 0.1, burnRate: 100 };
  return { rule: { name: `${severity}-1h-5m`, severity, longWindowMs: 3_600_000, shortWindowMs: 300_000, burnRateThreshold: 14.4 }, firing, long: w, short: w, insufficientData: false };
}

/** An evaluation with exactly these facts, its status by the evaluator's cascade. */
function evaluationOf(f: { fresh: boolean; page: boolean; ticket: boolean; exhausted: boolean; enough: boolean }): SloEvaluation {
  const status: SloStatus = !f.fresh ? 'UNKNOWN' : f.page || f.exhausted ? 'BREACHED' : f.ticket ? 'WARNING' : !f.enough ? 'UNKNOWN' : 'OK';
  const rules = [ruleEvaluation('page', f.page), ruleEvaluation('ticket', f.ticket)];
  const budget = { ...errorBudget({ good: 99, total: 100 }, 0.999), exhausted: f.exhausted };
  return {
    sloName: 's', selector: { sloName: 's' }, atMs: NOW, target: 0.999, window: { fromMs: NOW - 28 * 86_400_000, toMs: NOW }, attainment: 0.99, budget,
    burnRates: [], rules, firing: rules.filter((r) => r.firing), status, reason: `evaluated ${status}`, holdMs: HOLD,
    rule: f.page ? rules[0] : f.ticket && !f.exhausted ? rules[1] : undefined,
    freshness: { fresh: f.fresh, sources: [], ...(f.fresh ? {} : { reason: 'stale', lastEventTimeMs: NOW - 20 * MIN }) },
  };
}

const bools = [false, true];

/**
 * Every state the machine reaches, relative to its clock: seeded random walks from the initial
 * state, one evaluation a minute with random facts (runs of the same facts, so holds run out
 * and quiet periods pass). Times are kept relative to the walk's clock, so a state reached
 * at different times is one state.
 */
function reachableStates(): { state: BreachState; atMs: number }[] {
  const random = mulberry32(11);
  const seen = new Map<string, { state: BreachState; atMs: number }>();
  for (let walk = 0; walk < 400; walk++) {
    let atMs = NOW;
    let state = initialBreachState('s', { sloName: 's' }, atMs);
    let facts = { fresh: true, page: false, ticket: false, exhausted: false, enough: true };
    for (let i = 0; i < 200; i++) {
      if (random() < 0.25) {
        const enough = random() < 0.8;
        facts = { fresh: random() < 0.8, page: random() < 0.3, ticket: random() < 0.4, exhausted: enough && random() < 0.1, enough };
      }
      atMs += MIN;
      state = step(state, { ...evaluationOf(facts), atMs }, atMs).state;
      const rel = (t: number | undefined) => (t === undefined ? undefined : t - atMs);
      const id = JSON.stringify({ ...state, reason: '', sinceMs: rel(state.sinceMs), recoveredAtMs: rel(state.recoveredAtMs), breachClearingSinceMs: rel(state.breachClearingSinceMs), warningClearingSinceMs: rel(state.warningClearingSinceMs) });
      if (!seen.has(id)) seen.set(id, { state, atMs });
    }
  }
  return [...seen.values()];
}

describe('quietStep', () => {
  it('claims quiet only where step publishes nothing and changes nothing but the reason — every reachable state, every combination of facts', () => {
    let quiet = 0;
    let checked = 0;
    const reachable = reachableStates();
    expect(new Set(reachable.map((r) => r.state.status))).toEqual(new Set(BREACH_STATUSES));
    for (const { state, atMs } of reachable) {
      for (const fresh of bools) for (const page of bools) for (const ticket of bools) for (const exhausted of bools) for (const enough of bools) {
        // the budget is only exhausted with enough events (errorBudget: total ≥ minEvents)
        if (exhausted && !enough) continue;
        {
          const facts: MinuteFacts = { pageFiring: page, ticketFiring: ticket, budgetExhausted: exhausted, enoughEvents: enough };
          checked++;
          if (!quietStep(state, facts, () => fresh)) continue;
          quiet++;
          const next = step(state, { ...evaluationOf({ fresh, page, ticket, exhausted, enough }), atMs: atMs + MIN }, atMs + MIN);
          const where = JSON.stringify({ state, fresh, page, ticket, exhausted, enough });
          expect(next.transitions, where).toEqual([]);
          expect({ ...next.state, reason: state.reason }, where).toEqual(state);
        }
      }
    }
    expect(checked).toBeGreaterThan(1_000);
    expect(quiet).toBeGreaterThan(100);
    console.log(`[quiet-step] ${reachable.length} reachable states, ${checked} combinations, ${quiet} quiet`);
  });

  it.each([
    { name: 'OK with a clean minute', state: 'OK', facts: { pageFiring: false, ticketFiring: false, budgetExhausted: false, enoughEvents: true }, fresh: true, quiet: true },
    { name: 'OK when the budget is exhausted', state: 'OK', facts: { pageFiring: false, ticketFiring: false, budgetExhausted: true, enoughEvents: true }, fresh: true, quiet: false },
    { name: 'OK when a ticket rule starts firing', state: 'OK', facts: { pageFiring: false, ticketFiring: true, budgetExhausted: false, enoughEvents: true }, fresh: true, quiet: false },
    { name: 'OK on stale data', state: 'OK', facts: { pageFiring: false, ticketFiring: false, budgetExhausted: false, enoughEvents: true }, fresh: false, quiet: false },
    { name: 'UNKNOWN on stale data', state: 'UNKNOWN', facts: { pageFiring: true, ticketFiring: true, budgetExhausted: true, enoughEvents: true }, fresh: false, quiet: true },
  ] as const)('$name → quiet $quiet', ({ state, facts, fresh, quiet }) => {
    const s: BreachState = { schemaVersion: BREACH_STATE_SCHEMA_VERSION, sloName: 's', key: { sloName: 's' }, status: state, sinceMs: NOW, reason: '', lastKnownStatus: state === 'UNKNOWN' ? null : state, warningActive: false };
    expect(quietStep(s, facts, () => fresh)).toBe(quiet);
  });
});
