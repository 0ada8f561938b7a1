import { apiError } from '../graphql/api-error.ts';

/**
 * WebSocket close code sent to a subscriber whose queue overflowed (4000–4999 are for
 * applications; 4008 echoes 1008 "policy violation"). graphql-ws clients treat it as
 * retryable: they reconnect and subscribe again.
 */
export const SLOW_SUBSCRIBER_CLOSE_CODE = 4008;

/**
 * Default events one subscription may have waiting before its connection is closed
 * (SLUICE_SUBSCRIPTION_QUEUE). A judge publishes a whole evaluation pass at once — after a
 * pipeline stall every SLO may change status in one pass — so the bound must exceed the
 * largest such burst (about two transitions per SLO), or readers that are merely behind a
 * burst would be cut off. A queued event is a reference to the one view all subscribers
 * share, so 10 000 of them cost a subscriber about 80 kB.
 */
export const DEFAULT_SUBSCRIBER_QUEUE = 10_000;

/**
 * The events waiting for one subscription, bounded. The engine and the other subscribers
 * only ever push into it — never wait for it — so a subscriber that reads slowly (a stalled
 * browser tab, a congested link) costs at most `capacity` events of memory and stalls
 * nobody. When a push finds it full, the queue **overflows**: everything waiting is
 * dropped, `onOverflow` runs once (the API closes the subscriber's connection with
 * SLOW_SUBSCRIBER_CLOSE_CODE, as the Subscription type of the schema says) and the iterator ends with an
 * UNAVAILABLE error. A disconnect rather than dropping the oldest events: a dashboard that
 * silently missed a BREACHED would show a wrong picture, while a closed connection tells
 * it to re-subscribe and read what it missed (`breachHistory(filter: {from: …})`).
 */
export class SubscriberQueue<T> implements AsyncIterableIterator<T> {
  private readonly capacity: number;
  private readonly onOverflow: (dropped: number) => void;
  private readonly onEnd: () => void;
  private readonly items: T[] = [];
  private head = 0;
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined;
  private state: 'open' | 'overflowed' | 'ended' = 'open';

  /**
   * `onEnd` runs once when the queue stops taking events (returned or overflowed):
   * unsubscribe there. `onOverflow` gets how many events were dropped (those waiting and the
   * one that did not fit).
   */
  constructor(opts: { capacity: number; onOverflow: (dropped: number) => void; onEnd: () => void }) {
    if (!Number.isInteger(opts.capacity) || opts.capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${opts.capacity}`);
    this.capacity = opts.capacity;
    this.onOverflow = opts.onOverflow;
    this.onEnd = opts.onEnd;
  }

  /** Events waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  get overflowed(): boolean {
    return this.state === 'overflowed';
  }

  /** Offers an event; false when the queue no longer takes events (ended, or it just overflowed). */
  push(item: T): boolean {
    if (this.state !== 'open') return false;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve({ value: item, done: false });
      return true;
    }
    if (this.size >= this.capacity) {
      this.overflow();
      return false;
    }
    this.items.push(item);
    return true;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head++]!;
      // compact now and then, so a long-lived queue does not keep consumed slots
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.state === 'overflowed') return Promise.reject(this.overflowError());
    if (this.state === 'ended') return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    if (this.state === 'open') {
      this.state = 'ended';
      this.drop();
      this.onEnd();
    }
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private overflow(): void {
    const dropped = this.size + 1;
    this.state = 'overflowed';
    this.drop();
    this.onEnd();
    this.onOverflow(dropped);
  }

  private drop(): void {
    this.items.length = 0;
    this.head = 0;
  }

  private overflowError() {
    return apiError('UNAVAILABLE', `subscriber too slow: more than ${this.capacity} events waited to be sent (SLUICE_SUBSCRIPTION_QUEUE); subscribe again and read what was missed with breachHistory`, { reason: 'subscriber_too_slow' });
  }
}
