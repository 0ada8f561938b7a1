import { describe, expect, it } from 'vitest';
import { severityOf } from '../../../api/graphql/state-change-view.ts';
import { statusSubscriptions } from '../../../api/subscriptions/status-subscriptions.ts';
import { SubscriberQueue } from '../../../api/subscriptions/subscriber-queue.ts';
import { TransitionHub } from '../../../api/subscriptions/transition-hub.ts';
import type { EngineTopics } from '../../../engine/adapters/breach-publisher.ts';
import { StaticSloDirectory } from '../../../engine/adapters/slo-definition-directory.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { createPubSub } from '../../../platform/pubsub/typed-pubsub.ts';
import { entry, transition } from '../graphql/status-harness.ts';

describe('SubscriberQueue', () => {
  const queue = (capacity: number, log: string[] = []) =>
    new SubscriberQueue<number>({ capacity, onOverflow: (dropped) => log.push(`overflow ${dropped}`), onEnd: () => log.push('end') });

  it('hands events over in order, to a waiting reader at once', async () => {
    const q = queue(3);
    const waiting = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect([(await q.next()).value, (await q.next()).value, q.size]).toEqual([2, 3, 0]);
  });

  it('overflows at capacity: drops what waited, runs onEnd and onOverflow once, then ends with UNAVAILABLE', async () => {
    const log: string[] = [];
    const q = queue(2, log);
    expect([q.push(1), q.push(2), q.push(3), q.push(4)]).toEqual([true, true, false, false]);
    expect([q.overflowed, q.size, log]).toEqual([true, 0, ['end', 'overflow 3']]);
    await expect(q.next()).rejects.toMatchObject({ extensions: { code: 'UNAVAILABLE', reason: 'subscriber_too_slow' } });
  });

  it('return() ends a pending next() at once and takes nothing more', async () => {
    const log: string[] = [];
    const q = queue(2, log);
    const pending = q.next();
    await q.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect([q.push(1), log]).toEqual([false, ['end']]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => queue(0)).toThrow(RangeError);
  });
});

describe('severity behind a transition', () => {
  const known = entry('a', { ruleSeverities: { 'fast-burn': 'page', 'slow-burn': 'ticket' } });
  it.each([
    ['BREACHED by a page rule', 'BREACHED', 'fast-burn', known, 'page'],
    ['WARNING by a ticket rule', 'WARNING', 'slow-burn', known, 'ticket'],
    ['BREACHED with no rule: the budget is exhausted', 'BREACHED', null, known, 'page'],
    ['WARNING held with no rule', 'WARNING', null, known, 'ticket'],
    ['BREACHED of an SLO whose definition is not read yet', 'BREACHED', 'page-1h-5m', undefined, 'page'],
    ['into OK', 'OK', null, known, null],
    ['into RECOVERED', 'RECOVERED', null, known, null],
    ['into UNKNOWN', 'UNKNOWN', null, known, null],
  ] as const)('%s', (_what, to, rule, e, expected) => {
    expect(severityOf(to, rule, e)).toBe(expected);
  });
});

describe('TransitionHub: one view per transition, fanned out through bounded queues', () => {
  const directory = new StaticSloDirectory([entry('checkout-availability', { team: 'payments' }), entry('search-availability', { service: 'search', team: 'discovery' })]);
  const hub = (capacity = 100) => {
    const source = createPubSub<EngineTopics>();
    return { source, hub: new TransitionHub({ source, directory, logger: silentLogger(), capacity }) };
  };

  it('views each transition once: every subscriber receives the same object, with team and severity', async () => {
    const { source, hub: h } = hub();
    const a = await h.subscribe(() => true, () => undefined);
    const b = await h.subscribe(() => true, () => undefined);
    source.publish('breachTransition', transition('checkout-availability', 'BREACHED', { rule: 'page-1h-5m' }));
    const [x, y] = [(await a.next()).value, (await b.next()).value];
    expect(x).toBe(y);
    expect(x).toMatchObject({ service: 'checkout', environment: 'production', team: 'payments', severity: 'page', transition: { slo: 'checkout-availability', to: 'BREACHED', rule: 'page-1h-5m' } });
    expect(h.stats()).toEqual({ subscribers: 2, transitions: 1, delivered: 2, slowSubscribersDisconnected: 0, droppedEvents: 0 });
  });

  it('an overflowing subscriber is cut off alone; the others keep everything', async () => {
    const { source, hub: h } = hub(3);
    let closed = 0;
    const slow = await h.subscribe(() => true, () => closed++);
    const reader = await h.subscribe(() => true, () => undefined);
    const got: string[] = [];
    for (let i = 0; i < 10; i++) {
      source.publish('breachTransition', transition('checkout-availability', 'BREACHED', { atMs: i }));
      got.push((await reader.next()).value!.transition.id);
    }
    expect(got).toHaveLength(10);
    expect([slow.overflowed, closed, h.stats().subscribers, h.stats().slowSubscribersDisconnected, h.stats().droppedEvents]).toEqual([true, 1, 1, 1, 4]);
  });

  it('listens to the stream only while someone subscribes', async () => {
    const { source, hub: h } = hub();
    source.publish('breachTransition', transition('checkout-availability', 'OK'));
    const q = await h.subscribe(() => true, () => undefined);
    source.publish('breachTransition', transition('checkout-availability', 'BREACHED'));
    await q.return();
    source.publish('breachTransition', transition('checkout-availability', 'OK'));
    expect(h.stats()).toMatchObject({ subscribers: 0, transitions: 1 });
  });
});

describe('status subscriptions', () => {
  const directory = new StaticSloDirectory([entry('checkout-availability', { team: 'payments' }), entry('search-availability', { service: 'search', team: 'discovery' })]);
  const setup = () => {
    const source = createPubSub<EngineTopics>();
    const subs = statusSubscriptions(new TransitionHub({ source, directory, logger: silentLogger(), capacity: 100 }));
    return { source, subs };
  };

  it('breaches: only transitions into BREACHED or WARNING that pass team, service, environment and severity', async () => {
    const { source, subs } = setup();
    const it = await subs.breaches.subscribe(undefined, { team: ['payments'], severity: ['page'] }, {});
    source.publish('breachTransition', transition('checkout-availability', 'WARNING', { rule: 'ticket-1d-2h' })); // ticket
    source.publish('breachTransition', transition('search-availability', 'BREACHED', { service: 'search' })); // other team
    source.publish('breachTransition', transition('checkout-availability', 'RECOVERED', { from: 'BREACHED' })); // not a breach
    source.publish('breachTransition', transition('checkout-availability', 'BREACHED', { rule: 'page-6h-30m', atMs: 42 }));
    const next = await it.next();
    expect(next.value).toMatchObject({ breaches: { severity: 'page', team: 'payments', transition: { to: 'BREACHED', at: 42 } } });
    await it.return!();
  });

  it('sloStateChanges and sloTransitions: every transition, filtered', async () => {
    const { source, subs } = setup();
    const changes = await subs.sloStateChanges.subscribe(undefined, { service: ['search'], status: ['OK'] }, {});
    const transitions = await subs.sloTransitions.subscribe(undefined, { slo: 'checkout-availability' }, {});
    source.publish('breachTransition', transition('search-availability', 'BREACHED', { service: 'search' }));
    source.publish('breachTransition', transition('search-availability', 'OK', { service: 'search', from: 'RECOVERED' }));
    source.publish('breachTransition', transition('checkout-availability', 'UNKNOWN'));
    expect((await changes.next()).value).toMatchObject({ sloStateChanges: { team: 'discovery', severity: null, transition: { slo: 'search-availability', to: 'OK' } } });
    expect((await transitions.next()).value).toMatchObject({ sloTransitions: { slo: 'checkout-availability', to: 'UNKNOWN', basis: 'event-time' } });
  });

  it.each([
    ['an unknown severity', { severity: ['urgent'] }, 'severity'],
    ['an empty team list', { team: [] }, 'team'],
  ])('refuses %s with BAD_USER_INPUT naming the argument', async (_what, args, argument) => {
    const { subs } = setup();
    await expect(subs.breaches.subscribe(undefined, args, {})).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument } });
  });

  it('answers UNAVAILABLE where there is no breach stream (sluice api without Kafka)', async () => {
    const subs = statusSubscriptions(new TransitionHub({ source: undefined, directory, logger: silentLogger(), capacity: 10 }));
    await expect(subs.breaches.subscribe(undefined, {}, {})).rejects.toMatchObject({ extensions: { code: 'UNAVAILABLE' }, message: expect.stringMatching(/KAFKA_BROKERS/) });
  });
});
