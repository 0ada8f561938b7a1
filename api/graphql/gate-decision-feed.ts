import type { Logger } from 'pino';
import type { GateDecisionRecord } from '../../engine/adapters/gate-decision-store.ts';

/**
 * Fan-out of gate decisions to `gateDecisions` subscribers. Each decision is computed once
 * (by the gate service) and handed to every subscriber's own bounded queue; publishing
 * never waits for a subscriber, so a slow one never delays the others or the gate.
 *
 * Slow subscribers: a subscriber whose queue already holds `maxQueued` decisions (default
 * 256) when the next one arrives is **disconnected**, not silently thinned: its queue is
 * dropped, its next message is an error saying it fell behind (code UNAVAILABLE, reason
 * `slow_subscriber`) and its subscription then completes. Dropping single decisions would
 * leave an auditor's stream with holes nobody sees; ending the stream tells the client
 * exactly what happened, and `gateDecisions(filter: {from: …})` returns what it missed.
 * Every disconnection is counted by reason (`metrics.disconnected`) and logged.
 */

/** What a subscriber's iterator yields: a decision, or the end of a subscriber that fell behind. */
export type FeedItem = { kind: 'decision'; record: GateDecisionRecord } | { kind: 'fell-behind'; queued: number };

export interface GateDecisionFeedMetrics {
  subscribers: number;
  published: number;
  delivered: number;
  /** Subscribers ended by sluice, by reason. */
  disconnected: { slow_subscriber: number };
}

interface Subscriber {
  filter: (r: GateDecisionRecord) => boolean;
  queue: GateDecisionRecord[];
  fellBehind: number | undefined;
  wake: (() => void) | undefined;
  done: boolean;
}

/** Default bound of a subscriber's queue, decisions. */
export const DEFAULT_MAX_QUEUED_DECISIONS = 256;

export class GateDecisionFeed {
  readonly metrics: GateDecisionFeedMetrics = { subscribers: 0, published: 0, delivered: 0, disconnected: { slow_subscriber: 0 } };
  private readonly subscribers = new Set<Subscriber>();
  private readonly maxQueued: number;
  private readonly logger: Logger | undefined;

  constructor(opts: { maxQueued?: number; logger?: Logger } = {}) {
    this.maxQueued = opts.maxQueued ?? DEFAULT_MAX_QUEUED_DECISIONS;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 1) throw new RangeError(`maxQueued must be a positive integer, got ${this.maxQueued}`);
    this.logger = opts.logger;
  }

  /** Hands a stored decision to every subscriber whose filter takes it; never waits. */
  publish(record: GateDecisionRecord): void {
    this.metrics.published++;
    for (const s of this.subscribers) {
      if (s.done || s.fellBehind !== undefined || !s.filter(record)) continue;
      if (s.queue.length >= this.maxQueued) {
        s.fellBehind = s.queue.length;
        s.queue = [];
        this.metrics.disconnected.slow_subscriber++;
        this.logger?.warn({ queued: s.fellBehind, reason: 'slow_subscriber' }, 'gateDecisions subscriber fell behind; disconnecting it');
      } else {
        s.queue.push(record);
      }
      const wake = s.wake;
      s.wake = undefined;
      wake?.();
    }
  }

  /** A subscriber's stream; `return()` unsubscribes. */
  subscribe(filter: (r: GateDecisionRecord) => boolean = () => true): AsyncIterableIterator<FeedItem> {
    const s: Subscriber = { filter, queue: [], fellBehind: undefined, wake: undefined, done: false };
    this.subscribers.add(s);
    this.metrics.subscribers = this.subscribers.size;
    const finish = () => {
      s.done = true;
      s.queue = [];
      this.subscribers.delete(s);
      this.metrics.subscribers = this.subscribers.size;
      const wake = s.wake;
      s.wake = undefined;
      wake?.();
    };
    const iterator: AsyncIterableIterator<FeedItem> = {
      next: async (): Promise<IteratorResult<FeedItem>> => {
        for (;;) {
          if (s.done) return { value: undefined, done: true };
          if (s.fellBehind !== undefined) {
            const queued = s.fellBehind;
            finish();
            return { value: { kind: 'fell-behind', queued }, done: false };
          }
          const record = s.queue.shift();
          if (record !== undefined) {
            this.metrics.delivered++;
            return { value: { kind: 'decision', record }, done: false };
          }
          await new Promise<void>((resolve) => (s.wake = resolve));
        }
      },
      return: async () => {
        finish();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}
