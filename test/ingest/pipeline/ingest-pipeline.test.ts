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
});
