/**
 * In-process publish/subscribe typed by topic (GraphQL Yoga's pub/sub shape): the breach
 * stream reaches API subscriptions through it. Swappable for a distributed one (Kafka,
 * Redis) behind the same interface.
 */
export interface PubSub<Topics extends Record<string, unknown>> {
  publish<T extends keyof Topics>(topic: T, payload: Topics[T]): void;
  /** Calls `listener` for every later payload; returns the unsubscribe function. */
  subscribe<T extends keyof Topics>(topic: T, listener: (payload: Topics[T]) => void): () => void;
  /** Async iterator over later payloads (for graphql-ws subscriptions); `return()` unsubscribes. */
  iterate<T extends keyof Topics>(topic: T): AsyncIterableIterator<Topics[T]>;
}

export function createPubSub<Topics extends Record<string, unknown>>(): PubSub<Topics> {
  const listeners = new Map<keyof Topics, Set<(payload: never) => void>>();
  const subscribe = <T extends keyof Topics>(topic: T, listener: (payload: Topics[T]) => void) => {
    let set = listeners.get(topic);
    if (!set) listeners.set(topic, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  };
  return {
    publish(topic, payload) {
      for (const listener of listeners.get(topic) ?? []) (listener as (p: typeof payload) => void)(payload);
    },
    subscribe,
    iterate(topic) {
      type P = Topics[typeof topic];
      const queue: P[] = [];
      let wake: ((r: IteratorResult<P>) => void) | undefined;
      let done = false;
      const unsubscribe = subscribe(topic, (payload) => {
        if (wake) {
          const w = wake;
          wake = undefined;
          w({ value: payload, done: false });
        } else queue.push(payload);
      });
      const iterator: AsyncIterableIterator<P> = {
        next: () => {
          if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
          if (done) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => (wake = resolve));
        },
        return: () => {
          done = true;
          unsubscribe();
          wake?.({ value: undefined, done: true });
          return Promise.resolve({ value: undefined, done: true });
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
  };
}
