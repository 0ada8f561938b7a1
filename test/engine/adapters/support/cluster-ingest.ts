import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { SLI_ROLLUP_TABLE } from '../../../../engine/adapters/sli-rollup-participant.ts';
import type { SliDeltaBatch } from '../../../../engine/adapters/sli-delta-bus.ts';
import type { Slo } from '../../../../engine/core/slo/slo-definition.ts';
import { KafkaSliDeltaPublisher } from '../../../../ingest/kafka/kafka-sli-delta-publisher.ts';
import { toDateTime64 } from '../../../../platform/clickhouse/clickhouse-time.ts';
import { FakeIngest } from './fake-ingest.ts';

/** The `sli_rollups` rows of a batch's deltas, as ingest writes them before publishing. */
export function rollupRows(batch: SliDeltaBatch, writtenAtMs: number): Record<string, unknown>[] {
  return batch.deltas.flatMap((d) => d.buckets.map((b) => ({
    slo: d.sloName,
    service: b.key.service,
    environment: b.key.environment,
    version: b.key.version,
    minute: toDateTime64(b.minuteStartMs).slice(0, 19),
    good: b.good,
    total: b.total,
    late_events: b.lateEvents,
    sketch_index: (b.sketch ?? []).map((s) => s.index),
    sketch_count: (b.sketch ?? []).map((s) => s.count),
    source: d.position.source,
    source_partition: d.position.partition,
    source_offset: d.position.hi,
    segment_lo: d.position.lo,
    written_at: toDateTime64(writtenAtMs),
  })));
}

/**
 * Cluster-mode ingest in miniature: a FakeIngest whose flushes are made durable in
 * ClickHouse (`sli_rollups`) and then published to the SLI-delta topic with the ingest
 * side's own publisher (ingest/kafka/kafka-sli-delta-publisher.ts) — the order and format
 * a judge relies on.
 */
export async function clusterIngest(opts: { kafka: Kafka; topic: string; clickhouse: ClickHouseClient; slos: () => readonly Slo[] }) {
  const publisher = await KafkaSliDeltaPublisher.connect(opts.kafka, opts.topic);
  let chain: Promise<void> = Promise.resolve();
  const ingest = new FakeIngest(opts.slos, (batch) => {
    chain = chain.then(async () => {
      const rows = rollupRows(batch, Date.now());
      if (rows.length > 0) await opts.clickhouse.insert({ table: SLI_ROLLUP_TABLE, format: 'JSONEachRow', values: rows });
      await publisher.publish(batch);
    });
  });
  return {
    ingest,
    /** Resolves once every flush so far is durable and published. */
    drained: () => chain,
    close: async () => {
      await chain;
      await publisher.close();
    },
  };
}
