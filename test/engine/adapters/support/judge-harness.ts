import { InMemoryBreachPublisher } from '../../../../engine/adapters/breach-publishers.ts';
import type { PublishedTransition } from '../../../../engine/adapters/breach-publisher.ts';
import { InMemorySliHistory } from '../../../../engine/adapters/sli-history.ts';
import { SloJudge } from '../../../../engine/adapters/slo-judge.ts';
import { InMemorySloStateStore } from '../../../../engine/adapters/slo-state-store.ts';
import type { Slo } from '../../../../engine/core/slo/slo-definition.ts';
import type { SluiceEvent } from '../../../../schema/events/v1/signal.ts';
import { silentLogger } from '../../../../platform/logging/logger.ts';
import { FakeIngest, type FakeSource } from './fake-ingest.ts';

/** Allowed lateness of every harness judge, ms. */
export const LATENESS_MS = 30_000;
/** Idle-source time of every harness judge, ms. */
export const IDLE_MS = 10_000;

/** An event and the event time it belongs to (for live feeding: also when it arrives). */
export interface TimedEvent {
  source: FakeSource;
  event: SluiceEvent;
  atMs: number;
}

/** The parts a test may share between two judges (a restart): durable history, persisted state, ingest positions. */
export interface Durable {
  history: InMemorySliHistory;
  states: InMemorySloStateStore;
  /** Next position per source (upstream offsets survive a judge restart). */
  positions?: Map<string, number>;
}

/** Fresh durable parts. */
export function durableParts(): Durable {
  return { history: new InMemorySliHistory(), states: new InMemorySloStateStore(), positions: new Map() };
}

/**
 * One embedded-style judge (one lane) fed by a FakeIngest, with a settable wall clock, an
 * in-memory history (what ingest made durable) and state store, and a publisher that
 * keeps every transition.
 */
export async function judgeHarness(slos: readonly Slo[], startMs: number, durable: Durable = durableParts()) {
  const clock = { nowMs: startMs };
  const published = new InMemoryBreachPublisher();
  const judge = new SloJudge({
    slos, laneOf: () => 0, allowedLatenessMs: LATENESS_MS, idleSourceMs: IDLE_MS,
    history: durable.history, states: durable.states, publishers: [published], logger: silentLogger(), now: () => clock.nowMs,
  });
  const ingest = new FakeIngest(() => slos, (batch) => {
    durable.history.record(batch);
    judge.apply(batch);
  }, durable.positions);
  await judge.assignLanes([0]);

  /** Feeds events as they happen: every `stepMs` of wall clock = event time, one flush and one judge pass. */
  function live(events: readonly TimedEvent[], fromMs: number, untilMs: number, stepMs = 5_000): void {
    let i = events.findIndex((e) => e.atMs > fromMs - stepMs);
    if (i < 0) i = events.length;
    for (let t = fromMs; t <= untilMs; t += stepMs) {
      clock.nowMs = t;
      for (; i < events.length && events[i]!.atMs <= t; i++) ingest.add(events[i]!.source, events[i]!.event, t);
      ingest.flush(t);
      judge.tick();
    }
  }

  /** Feeds every event at wall clock `atMs` in one burst of flushes of `chunk` events (a backlog until the last). */
  function burst(events: readonly TimedEvent[], atMs: number, chunk = 1_000): void {
    clock.nowMs = atMs;
    for (let i = 0; i < events.length; i += chunk) {
      for (const e of events.slice(i, i + chunk)) ingest.add(e.source, e.event, atMs);
      const last = i + chunk >= events.length;
      ingest.flush(atMs, () => !last);
      judge.tick();
    }
  }

  /** Heartbeats only (no events) every `stepMs` of wall clock from `fromMs` to `untilMs`. */
  function idle(fromMs: number, untilMs: number, stepMs = 5_000): void {
    live([], fromMs, untilMs, stepMs);
  }

  async function transitions(): Promise<PublishedTransition[]> {
    judge.tick();
    await judge.settle();
    return published.transitions;
  }

  return { judge, ingest, clock, published, durable, live, burst, idle, transitions };
}

/** What a live-vs-late comparison compares: the event-time transitions' meaning. */
export function eventTimeView(transitions: readonly PublishedTransition[]) {
  return transitions.filter((t) => t.basis === 'event-time').map((t) => ({ slo: t.sloName, from: t.from, to: t.to, atMs: t.atMs, rule: t.rule, reason: t.reason }));
}
