import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { BREACH_STATUSES } from '../core/breach/breach-state-machine.ts';
import { createPubSub, type PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import { TRANSITION_BASES, type EngineTopics, type PublishedTransition } from './breach-publisher.ts';

/**
 * A published transition as read back from the breach topic (KafkaBreachPublisher writes
 * the whole PublishedTransition as JSON). The fields subscribers filter and show on are
 * checked; the explanation (windows, budget, freshness) is passed on as it is.
 */
const BreachMessageSchema = z.looseObject({
  sloName: z.string().min(1),
  key: z.looseObject({ service: z.string().optional(), environment: z.string().optional(), version: z.string().optional() }),
  from: z.enum(BREACH_STATUSES),
  to: z.enum(BREACH_STATUSES),
  atMs: z.number(),
  reason: z.string(),
  rule: z.string().optional(),
  windows: z.array(z.unknown()).default([]),
  budget: z.unknown(),
  freshness: z.looseObject({ fresh: z.boolean() }),
  basis: z.enum(TRANSITION_BASES),
  transitionId: z.string().min(1),
  publishedAtMs: z.number(),
});

/** A breach topic message as a transition; undefined when it is not one (not JSON, or a field missing or wrong). */
export function decodeBreachMessage(value: Buffer | null): PublishedTransition | undefined {
  if (value === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = BreachMessageSchema.safeParse(json);
  return parsed.success ? (parsed.data as unknown as PublishedTransition) : undefined;
}

/** The last `capacity` ids seen, to drop copies (oldest forgotten first). */
export class RecentIds {
  private readonly capacity: number;
  private readonly ids = new Set<string>();

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** True the first time an id is offered (while it is remembered). */
  firstTime(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}

/** How many transition ids are remembered to drop a re-published copy (a judge that crashed between publishing and persisting). */
export const FEED_DEDUP_CAPACITY = 10_000;
/** How long start() waits for the consumer's first group join before going on (and logging), ms. */
export const FEED_JOIN_TIMEOUT_MS = 30_000;

/**
 * The breach stream of a cluster, for a process that judges nothing itself (`sluice api`):
 * a consumer of the breach topic (`sluice.breaches.v1`) in a consumer group of its own, so
 * every API process receives every transition, starting at the latest offset — a process
 * serves live transitions from when it joined; history is the `breachHistory` /
 * `sloTransitions` queries. Offsets are never committed: the group leaves nothing behind on
 * the broker, and a restart starts at the latest offset again. Each transition is handed to
 * `pubsub` (the same typed pub/sub the in-process judge feeds in embedded mode), once: a copy
 * re-published under the same id (`sluice-transition-id`) is dropped.
 */
export class KafkaBreachFeed {
  /** Transitions as they are read: what API subscriptions iterate. */
  readonly pubsub: PubSub<EngineTopics>;
  /** Transitions handed on. */
  received = 0;
  /** Copies dropped because their id was seen (re-published after a judge restart). */
  duplicates = 0;
  /** Messages that were not a transition (logged and skipped). */
  undecodable = 0;
  private readonly consumer: Consumer;
  private readonly seen = new RecentIds(FEED_DEDUP_CAPACITY);
  private readonly logger: Logger;

  private constructor(consumer: Consumer, pubsub: PubSub<EngineTopics>, logger: Logger) {
    this.consumer = consumer;
    this.pubsub = pubsub;
    this.logger = logger;
  }

  /** Joins `groupId` (give each process its own) on `topic` (which must exist) and starts handing transitions on. */
  static async start(opts: { kafka: Kafka; topic: string; groupId: string; logger: Logger; pubsub?: PubSub<EngineTopics>; joinTimeoutMs?: number }): Promise<KafkaBreachFeed> {
    const consumer = opts.kafka.consumer({ groupId: opts.groupId, allowAutoTopicCreation: false });
    const feed = new KafkaBreachFeed(consumer, opts.pubsub ?? createPubSub<EngineTopics>(), opts.logger);
    const joined = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), opts.joinTimeoutMs ?? FEED_JOIN_TIMEOUT_MS);
      timer.unref();
      consumer.on(consumer.events.GROUP_JOIN, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    consumer.on(consumer.events.CRASH, (e) => opts.logger.warn({ err: e.payload.error.message, restart: e.payload.restart }, 'breach topic consumer crashed (transitions published meanwhile are not pushed to subscribers)'));
    await consumer.connect();
    await consumer.subscribe({ topic: opts.topic, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => feed.take(message.value, message.headers?.['sluice-transition-id']) });
    if (!(await joined)) opts.logger.warn({ topic: opts.topic, groupId: opts.groupId }, 'breach topic consumer has not joined its group yet: subscriptions receive transitions once it has');
    else opts.logger.info({ topic: opts.topic, groupId: opts.groupId }, 'reading the breach topic for subscriptions');
    return feed;
  }

  private take(value: Buffer | null, idHeader: Buffer | string | (Buffer | string)[] | undefined): void {
    const t = decodeBreachMessage(value);
    if (t === undefined) {
      this.undecodable++;
      this.logger.warn('a breach topic message is not a transition: skipped');
      return;
    }
    const header = Array.isArray(idHeader) ? idHeader[0] : idHeader;
    if (!this.seen.firstTime(header === undefined ? t.transitionId : header.toString())) {
      this.duplicates++;
      return;
    }
    this.received++;
    this.pubsub.publish('breachTransition', t);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
