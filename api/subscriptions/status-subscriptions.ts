import { apiError } from '../graphql/api-error.ts';
import { BREACH_TARGETS, type SloStateChangeView } from '../graphql/state-change-view.ts';
import { checkStateChangeFilter, matchesStateChange, type StateChangeFilter } from './state-change-filter.ts';
import { subscriberConnectionOf } from './subscriber-connection.ts';
import { SLOW_SUBSCRIBER_CLOSE_CODE } from './subscriber-queue.ts';
import type { TransitionHub } from './transition-hub.ts';

type ListArg = readonly string[] | null | undefined;

/**
 * The subscriptions on the breach stream — `sloTransitions`, `breaches`, `sloStateChanges` —
 * all served by one TransitionHub: each transition is viewed once and offered to every
 * subscription's bounded queue. A subscription whose queue overflows has its connection
 * closed with SLOW_SUBSCRIBER_CLOSE_CODE (4008).
 */
export function statusSubscriptions(hub: TransitionHub) {
  async function open<V>(field: string, accept: (c: SloStateChangeView) => boolean, context: unknown, view: (c: SloStateChangeView) => V): Promise<AsyncIterableIterator<Record<string, V>>> {
    if (!hub.available) {
      throw apiError('UNAVAILABLE', 'this process has no breach stream: `sluice start` judges in process; `sluice api` reads the breach topic (SLUICE_TOPIC_BREACHES) only when KAFKA_BROKERS is set');
    }
    const connection = subscriberConnectionOf(context);
    const queue = await hub.subscribe(accept, () => connection?.close(SLOW_SUBSCRIBER_CLOSE_CODE, 'subscriber too slow: its event queue overflowed (SLUICE_SUBSCRIPTION_QUEUE)'));
    // a plain iterator, not an async generator: return() must end the queue at once, even
    // while a next() waits (a generator would run its finally only after the next event)
    const iterator: AsyncIterableIterator<Record<string, V>> = {
      next: async () => {
        const r = await queue.next();
        return r.done ? { value: undefined, done: true } : { value: { [field]: view(r.value) }, done: false };
      },
      return: async () => {
        await queue.return();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  return {
    sloTransitions: {
      subscribe: (_: unknown, args: { slo?: string | null }, context: unknown) =>
        open('sloTransitions', (c) => !args.slo || c.transition.slo === args.slo, context, (c) => c.transition),
    },
    breaches: {
      subscribe: async (_: unknown, args: { team?: ListArg; service?: ListArg; environment?: ListArg; severity?: ListArg }, context: unknown) => {
        const filter = checkStateChangeFilter({ team: args.team, service: args.service, environment: args.environment, severity: args.severity });
        return open('breaches', (c) => (BREACH_TARGETS as readonly string[]).includes(c.transition.to) && matchesStateChange(c, filter), context, (c) => c);
      },
    },
    sloStateChanges: {
      subscribe: async (_: unknown, args: StateChangeFilter, context: unknown) => {
        const filter = checkStateChangeFilter({ slo: args.slo, team: args.team, service: args.service, environment: args.environment, status: args.status, basis: args.basis });
        return open('sloStateChanges', (c) => matchesStateChange(c, filter), context, (c) => c);
      },
    },
  };
}
