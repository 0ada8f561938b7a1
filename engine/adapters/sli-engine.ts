import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import { createPubSub, type PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import type { SliSignal } from '../core/sli/indicator-strategy.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { sloPartition } from '../core/window/sli-segment.ts';
import type { BreachPublisher, EngineTopics } from './breach-publisher.ts';
import { ClickHouseTransitionSink, PubSubBreachPublisher } from './breach-publishers.ts';
import { ClickHouseRollupLoader } from './clickhouse-rollup-loader.ts';
import { ClickHouseSloStateStore } from './clickhouse-slo-state-store.ts';
import { KafkaSliDeltaSource } from './kafka-sli-delta-source.ts';
import { InMemorySliDeltaBus } from './sli-delta-bus.ts';
import { SliRollupParticipant } from './sli-rollup-participant.ts';
import { SloCatalog } from './slo-catalog.ts';
import { SloJudge } from './slo-judge.ts';

/** Default time a caught-up source must be without input before it stops holding the watermark back, ms (10 s: ten heartbeats). */
export const DEFAULT_IDLE_SOURCE_MS = 10_000;

/** Where the judge's input comes from in cluster mode: its share of the SLI-delta topic. */
export interface ClusterJudging {
  kafka: Kafka;
  /** The judges' consumer group. */
  groupId: string;
  /** The SLI-delta topic (its partition count decides ownership). */
  topic: string;
  /** Raw topics whose events feed SLIs (their partitions are the watermark's sources). */
  upstream: readonly { topic: string; signal: SliSignal }[];
  onFatal?: (err: Error) => void;
}

export interface SliEngineOptions {
  clickhouse: ClickHouseClient;
  logger: Logger;
  /** Directory of SLO definition files (YAML), reloaded on change. */
  sloDir: string;
  /** How far behind its source's newest event an event may arrive and still be on time, ms: late-event counting and the watermark. */
  allowedLatenessMs: number;
  /** A caught-up source without input this long stops holding the watermark back, ms (default 10 000). */
  idleSourceMs?: number;
  /** Extra breach publishers (e.g. the Kafka breach topic). */
  publishers?: BreachPublisher[];
  /** Wall clock, epoch ms (staleness only). */
  now?: () => number;
  recoveredQuietPeriodMs?: number;
  /** How often the judge re-checks watermarks and staleness without new input, ms (default 1 000). */
  tickMs?: number;
  /** Cluster mode: judge the SLOs of the SLI-delta partitions Kafka assigns. Default: one in-process judge of every SLO, fed by `bus`. */
  cluster?: ClusterJudging;
}

/**
 * The SLI engine of one process: the SLO definitions (reloaded on change) and the SLO
 * judge with its publishers (ClickHouse `slo_transitions`, the in-process pub/sub, and any
 * extra one such as the Kafka breach topic), its persisted state (`slo_state`) and the
 * history it restores from (`sli_rollups`).
 *  - Embedded (default): the judge owns every SLO and reads `bus`, where `participant`
 *    (the ingest pipeline's SLI counter) publishes each durable segment's deltas.
 *  - Cluster (`cluster`): the judge owns the SLOs of the SLI-delta topic partitions its
 *    consumer group assigns (KafkaSliDeltaSource); ingest publishes to that topic.
 */
export class SliEngine {
  readonly pubsub: PubSub<EngineTopics>;
  /** Where the in-process ingest publishes durable SLI deltas (embedded mode). */
  readonly bus = new InMemorySliDeltaBus();
  /** Counts events into per-segment SLI deltas and publishes them to `bus` (embedded mode's pipeline participant). */
  readonly participant: SliRollupParticipant;
  readonly catalog: SloCatalog;
  readonly judge: SloJudge;
  private readonly source: KafkaSliDeltaSource | undefined;
  private unsubscribe: (() => void) | undefined;

  private constructor(parts: { catalog: SloCatalog; judge: SloJudge; pubsub: PubSub<EngineTopics>; source: KafkaSliDeltaSource | undefined; allowedLatenessMs: number }) {
    this.catalog = parts.catalog;
    this.judge = parts.judge;
    this.pubsub = parts.pubsub;
    this.source = parts.source;
    this.participant = new SliRollupParticipant({ slos: () => parts.catalog.slos(), publisher: this.bus, allowedLatenessMs: parts.allowedLatenessMs });
  }

  /** Loads the SLO directory (an invalid file stops start-up), restores the judge's SLOs and starts judging. */
  static async start(opts: SliEngineOptions): Promise<SliEngine> {
    const catalog = await SloCatalog.open(opts.sloDir, opts.logger.child({ component: 'slo-catalog' }));
    const pubsub = createPubSub<EngineTopics>();
    const history = new ClickHouseRollupLoader(opts.clickhouse);
    const lanes = opts.cluster === undefined ? undefined : await KafkaSliDeltaSource.partitionsOf(opts.cluster.kafka, opts.cluster.topic);
    const judge = new SloJudge({
      slos: catalog.slos(),
      laneOf: lanes === undefined ? () => 0 : (name) => sloPartition(name, lanes),
      allowedLatenessMs: opts.allowedLatenessMs,
      idleSourceMs: opts.idleSourceMs ?? DEFAULT_IDLE_SOURCE_MS,
      history,
      states: new ClickHouseSloStateStore(opts.clickhouse, opts.logger),
      publishers: [new ClickHouseTransitionSink(opts.clickhouse), new PubSubBreachPublisher(pubsub), ...(opts.publishers ?? [])],
      logger: opts.logger.child({ component: 'slo-judge' }),
      owner: `${hostname()}:${process.pid}`,
      ...(opts.now !== undefined ? { now: opts.now } : {}),
      ...(opts.recoveredQuietPeriodMs !== undefined ? { recoveredQuietPeriodMs: opts.recoveredQuietPeriodMs } : {}),
    });
    catalog.onChange((slos) => void judge.setDefinitions(slos));
    const source = opts.cluster === undefined ? undefined : new KafkaSliDeltaSource({
      kafka: opts.cluster.kafka, groupId: opts.cluster.groupId, topic: opts.cluster.topic, upstream: opts.cluster.upstream,
      judge, history, logger: opts.logger.child({ component: 'sli-delta-source' }),
      ...(opts.cluster.onFatal !== undefined ? { onFatal: opts.cluster.onFatal } : {}),
    });
    const engine = new SliEngine({ catalog, judge, pubsub, source, allowedLatenessMs: opts.allowedLatenessMs });
    if (source === undefined) {
      // subscribed before the restore: deltas published meanwhile wait for it instead of being lost
      engine.unsubscribe = engine.bus.subscribe((batch) => judge.apply(batch, 0));
      await judge.assignLanes([0]);
    } else {
      await source.start();
    }
    judge.start(opts.tickMs ?? 1_000);
    return engine;
  }

  /** The SLOs in force. */
  definitions(): readonly Slo[] {
    return this.catalog.slos();
  }

  async stop(): Promise<void> {
    this.catalog.close();
    await this.source?.stop();
    this.unsubscribe?.();
    await this.judge.stop();
  }
}
