import { describe, expect, it } from 'vitest';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline } from '../../../ingest/pipeline/ingest-pipeline.ts';
import { InMemoryRowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';

const decoder = new JsonEventDecoder('spans');
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

function pipeline(writer = new InMemoryRowWriter(), now = () => 1_000) {
  const metrics = new IngestMetrics();
  const p = new IngestPipeline({ writer, metrics, logger: silentLogger(), now, batchMaxRows: 3, batchMaxDelayMs: 1_000, sleep: async () => undefined });
  return { p, writer, metrics };
}

describe('IngestPipeline', () => {
  it('writes valid events to their table and invalid ones to dead_letters with the reason', async () => {
    const { p, writer, metrics } = pipeline();
    await p.prepare('t', 0, 'spans');
    p.add({ source: 't', partition: 0, offset: 0 }, decoder.decode(bytes(spanJson(0))));
    p.add({ source: 't', partition: 0, offset: 1 }, decoder.decode(Buffer.from('{nope')));
    p.add({ source: 't', partition: 0, offset: 2 }, decoder.decode(bytes({ ...spanJson(2), durationMs: 'x' })));
    const positions = await p.flush();
    expect(writer.rows('spans_raw')).toHaveLength(1);
    expect(writer.rows('dead_letters').map((r) => r.reason)).toEqual(['invalid_json', 'schema_violation']);
    expect(writer.rows('dead_letters')[1]!.detail).toMatch(/^durationMs: /);
    expect(positions.get('t#0')).toEqual({ source: 't', partition: 0, offset: 2 });
    expect(metrics.snapshot().deadLettered).toEqual({ invalid_json: 1, schema_violation: 1 });
  });

  it('is due when full or when the oldest row waited batchMaxDelayMs', () => {
    let now = 0;
    const { p } = pipeline(undefined, () => now);
    expect(p.isDue()).toBe(false);
    p.add({ source: 'http', partition: 0, offset: -1 }, decoder.decode(bytes(spanJson(0))));
    now = 999;
    expect(p.isDue()).toBe(false);
    now = 1_000;
    expect(p.isDue()).toBe(true);
  });

  it('retries a failed write until it succeeds, losing and duplicating nothing', async () => {
    const writer = new InMemoryRowWriter();
    writer.failNext = 3;
    const { p, metrics } = pipeline(writer);
    await p.prepare('t', 0, 'spans');
    for (let i = 0; i < 5; i++) p.add({ source: 't', partition: 0, offset: i }, decoder.decode(bytes(spanJson(i))));
    const retries: number[] = [];
    await p.flush({ onRetry: (attempt) => void retries.push(attempt) });
    expect(retries).toEqual([0, 1, 2]);
    expect(writer.rows('spans_raw')).toHaveLength(5);
    expect(metrics.flushRetries).toBe(3);
  });

  it('skips positions already durable when a partition is replayed', async () => {
    const writer = new InMemoryRowWriter();
    const first = pipeline(writer).p;
    await first.prepare('t', 0, 'spans');
    for (let i = 0; i < 4; i++) first.add({ source: 't', partition: 0, offset: i }, decoder.decode(bytes(spanJson(i))));
    await first.flush();
    const { p: second, metrics } = pipeline(writer);
    await second.prepare('t', 0, 'spans');
    for (let i = 0; i < 6; i++) second.add({ source: 't', partition: 0, offset: i }, decoder.decode(bytes(spanJson(i))));
    await second.flush();
    expect(writer.rows('spans_raw').map((r) => r.source_offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(metrics.replaySkipped).toBe(4);
  });

  it('counts events the sampler does not store, by reason', async () => {
    const metrics = new IngestMetrics();
    const writer = new InMemoryRowWriter();
    const p = new IngestPipeline({
      writer, metrics, logger: silentLogger(), now: () => 0, batchMaxRows: 10, batchMaxDelayMs: 10,
      sampler: (e) => (e.signal === 'spans' && e.event.status === 'error' ? { keep: true, weight: 1 } : { keep: false, weight: 0, reason: 'sampled_out' }),
    });
    p.add({ source: 'http', partition: 0, offset: -1 }, [...decoder.decode(bytes(spanJson(1))), ...decoder.decode(bytes(spanJson(2, { error: true })))]);
    await p.flush();
    expect(writer.rows('spans_raw')).toHaveLength(1);
    expect(metrics.snapshot()).toMatchObject({ accepted: { spans: 2 }, notStored: { sampled_out: 1 } });
  });

  it('counts an event older than raw retention as not stored (ClickHouse would drop it by TTL) instead of writing it', async () => {
    const now = 1_800_000_000_000;
    const { p, writer, metrics } = pipeline(undefined, () => now);
    p.add({ source: 'http', partition: 0, offset: -1 }, decoder.decode(bytes(spanJson(1, { startTimeMs: now - 15 * 86_400_000 }))));
    p.add({ source: 'http', partition: 0, offset: -1 }, decoder.decode(bytes(spanJson(2, { startTimeMs: now - 1_000 }))));
    await p.flush();
    expect(writer.rows('spans_raw')).toHaveLength(1);
    expect(metrics.snapshot()).toMatchObject({ accepted: { spans: 2 }, notStored: { older_than_raw_retention: 1 } });
  });

  it('after a rejoin, writing what is pending and then re-learning what is durable makes the refetch from committed offsets write nothing twice', async () => {
    const { p, writer } = pipeline();
    const batchOf = (from: number, to: number) => {
      for (let i = from; i < to; i++) p.add({ source: 't', partition: 0, offset: i }, decoder.decode(bytes(spanJson(i))));
    };
    await p.prepare('t', 0, 'spans');
    batchOf(0, 2);
    const inflight = p.flush(); // offsets 0–1 being written
    batchOf(2, 5); // pending, not committed
    p.retainPartitions(new Set(['t#0'])); // GROUP_JOIN: kafkajs will refetch from offset 0
    // the worker's settle step: wait for the write in flight, write what is pending, forget
    await inflight;
    await p.flush();
    p.forgetDurable();
    await p.prepare('t', 0, 'spans');
    batchOf(0, 8); // the refetch from the committed offset (0)
    await p.flush();
    expect(writer.rows('spans_raw').map((r) => r.source_offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('resumes consumption after a dead-letter publish needed retries', async () => {
    let failures = 1;
    const metrics = new IngestMetrics();
    const p = new IngestPipeline({
      writer: new InMemoryRowWriter(), metrics, logger: silentLogger(), now: () => 0, batchMaxRows: 10, batchMaxDelayMs: 10, sleep: async () => undefined,
      deadLetterPublisher: { publish: async () => { if (failures-- > 0) throw new Error('broker away'); } },
    });
    p.add({ source: 'http', partition: 0, offset: -1 }, decoder.decode(Buffer.from('{bad')));
    const calls: string[] = [];
    await p.flush({ onRetry: () => void calls.push('pause'), onRecovered: () => void calls.push('resume') });
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('counts dead letters the topic refuses for good instead of retrying forever; the table keeps them', async () => {
    const writer = new InMemoryRowWriter();
    const metrics = new IngestMetrics();
    const p = new IngestPipeline({
      writer, metrics, logger: silentLogger(), now: () => 0, batchMaxRows: 10, batchMaxDelayMs: 10, sleep: async () => undefined,
      deadLetterPublisher: { publish: async () => { throw Object.assign(new Error('MESSAGE_TOO_LARGE'), { retriable: false }); } },
    });
    p.add({ source: 'http', partition: 0, offset: -1 }, decoder.decode(Buffer.from('{bad')));
    await p.flush();
    expect(metrics.deadLetterTopicFailures).toBe(1);
    expect(writer.rows('dead_letters')).toHaveLength(1);
  });

  it('is due after batchMaxDelayMs even when every event was sampled out (counts and offsets still need writing)', () => {
    let now = 0;
    const metrics = new IngestMetrics();
    const p = new IngestPipeline({
      writer: new InMemoryRowWriter(), metrics, logger: silentLogger(), now: () => now, batchMaxRows: 10, batchMaxDelayMs: 1_000,
      sampler: () => ({ keep: false, weight: 0, reason: 'sampled_out' }),
    });
    for (let i = 0; i < 20; i++) {
      now += 100;
      p.add({ source: 't', partition: 0, offset: i }, decoder.decode(bytes(spanJson(i))));
    }
    expect(p.isDue()).toBe(true);
  });

  it('puts a batch back when a flush hook fails, so nothing is lost and nothing later is committed past it', async () => {
    const writer = new InMemoryRowWriter();
    writer.failNext = 1;
    const { p } = pipeline(writer);
    await p.prepare('t', 0, 'spans');
    p.add({ source: 't', partition: 0, offset: 0 }, decoder.decode(bytes(spanJson(0))));
    await expect(p.flush({ onRetry: () => { throw new Error('consumer gone'); } })).rejects.toThrow('consumer gone');
    p.add({ source: 't', partition: 0, offset: 1 }, decoder.decode(bytes(spanJson(1))));
    const positions = await p.flush();
    expect(writer.rows('spans_raw').map((r) => r.source_offset)).toEqual([0, 1]);
    expect(positions.get('t#0')!.offset).toBe(1);
  });
});
