import type { Logger } from 'pino';
import type { EngineTopics, PublishedTransition } from '../../engine/adapters/breach-publisher.ts';
import { DIRECTORY_MISS_REREAD_MS, DIRECTORY_TTL_MS, type SloDirectoryEntry, type SloDirectoryReader } from '../../engine/adapters/slo-definition-directory.ts';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import { stateChangeView, transitionView, type SloStateChangeView } from '../graphql/state-change-view.ts';
import { SubscriberQueue } from './subscriber-queue.ts';

/** How long a new subscription waits for the first read of the SLO directory (teams, severities), ms. */
export const FIRST_LABELS_WAIT_MS = 3_000;

/** Counters of the hub (GraphQL `health { subscriptions }`). */
export interface HubStats {
  /** Subscriptions open now. */
  subscribers: number;
  /** Transitions received from the breach stream since start. */
  transitions: number;
  /** Events handed to subscriptions' queues since start. */
  delivered: number;
  /** Subscriptions ended because their queue overflowed (their connection was closed), since start. */
  slowSubscribersDisconnected: number;
  /** Events those subscriptions had waiting, dropped with them, since start. */
  droppedEvents: number;
}

interface Subscriber {
  accept: (change: SloStateChangeView) => boolean;
  queue: SubscriberQueue<SloStateChangeView>;
}

/**
 * Fans the breach stream out to API subscriptions. Each transition is turned into its view
 * — with the SLO's service, environment, team and the severity behind it — **once**, and the
 * same object is offered to every subscription whose filter takes it, each through its own
 * bounded SubscriberQueue. Offering never waits: the publisher (the in-process judge, or
 * the Kafka feed of `sluice api`) returns at once whatever the subscribers do, and one slow
 * subscriber is disconnected without touching the others.
 *
 * The hub listens to the stream only while someone subscribes. Teams and rule severities
 * come from the SLO directory (`slo_definitions`), kept in memory and re-read in the
 * background every DIRECTORY_TTL_MS while subscribed (and when an unknown SLO shows up, at
 * most once a second): a view is never delayed by a read. Until an SLO's definition has
 * been read, its changes carry team null and the severity its status implies.
 */
export class TransitionHub {
  private readonly source: PubSub<EngineTopics> | undefined;
  private readonly directory: SloDirectoryReader;
  private readonly logger: Logger;
  private readonly capacity: number;
  private readonly now: () => number;
  private readonly subscribers = new Set<Subscriber>();
  private labels = new Map<string, SloDirectoryEntry>();
  private labelsReadAtMs = -Infinity;
  private reading: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly counters = { transitions: 0, delivered: 0, slowSubscribersDisconnected: 0, droppedEvents: 0 };

  constructor(opts: { source: PubSub<EngineTopics> | undefined; directory: SloDirectoryReader; logger: Logger; capacity: number; now?: () => number }) {
    this.source = opts.source;
    this.directory = opts.directory;
    this.logger = opts.logger;
    this.capacity = opts.capacity;
    this.now = opts.now ?? Date.now;
  }

  /** Whether this process has a breach stream to serve (a judge in process, or the breach topic). */
  get available(): boolean {
    return this.source !== undefined;
  }

  stats(): HubStats {
    return { subscribers: this.subscribers.size, ...this.counters };
  }

  /**
   * A new subscription: the changes `accept` takes, from now on, through a queue of the
   * hub's capacity. `onOverflow` runs when the queue overflows (close the connection).
   */
  async subscribe(accept: (change: SloStateChangeView) => boolean, onOverflow: () => void): Promise<SubscriberQueue<SloStateChangeView>> {
    if (!this.source) throw new Error('no breach stream in this process');
    const subscriber: Subscriber = {
      accept,
      queue: new SubscriberQueue<SloStateChangeView>({
        capacity: this.capacity,
        onEnd: () => this.leave(subscriber),
        onOverflow: (dropped) => {
          this.counters.slowSubscribersDisconnected++;
          this.counters.droppedEvents += dropped;
          this.logger.warn({ capacity: this.capacity, dropped }, 'subscriber too slow: its queue overflowed, closing its connection');
          onOverflow();
        },
      }),
    };
    this.subscribers.add(subscriber);
    if (!this.unsubscribe) this.listen(this.source);
    // the first subscriber waits (briefly) for teams and severities; later ones find them read
    await Promise.race([this.refresh(), new Promise((r) => setTimeout(r, FIRST_LABELS_WAIT_MS).unref())]);
    return subscriber.queue;
  }

  /** Offers one transition to every subscriber (what the stream's listener does; exposed for tests). */
  offer(t: PublishedTransition): void {
    this.counters.transitions++;
    const entry = this.labels.get(t.sloName);
    if (!entry && this.now() - this.labelsReadAtMs >= DIRECTORY_MISS_REREAD_MS) void this.refresh(t.sloName);
    const change = stateChangeView(transitionView(t), t.key, entry);
    for (const s of this.subscribers) {
      if (s.accept(change) && s.queue.push(change)) this.counters.delivered++;
    }
  }

  private listen(source: PubSub<EngineTopics>): void {
    this.unsubscribe = source.subscribe('breachTransition', (t) => this.offer(t));
    this.refreshTimer = setInterval(() => void this.refresh(), DIRECTORY_TTL_MS);
    this.refreshTimer.unref();
  }

  private leave(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.refreshTimer);
  }

  /** Re-reads the directory in the background (asking for `missing` by name first); a failure keeps what was read before. */
  private refresh(missing?: string): Promise<void> {
    this.reading ??= (missing === undefined ? Promise.resolve(undefined) : this.directory.get(missing))
      .then(() => this.directory.list())
      .then((entries) => {
        this.labels = new Map(entries.map((e) => [e.name, e]));
      })
      .catch((err: unknown) => this.logger.warn({ err: errorMessage(err) }, 'SLO directory not read: subscriptions keep the teams read before'))
      .finally(() => {
        this.labelsReadAtMs = this.now();
        this.reading = undefined;
      });
    return this.reading;
  }
}
