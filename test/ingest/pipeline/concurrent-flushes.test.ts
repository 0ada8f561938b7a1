import { describe, expect, it } from 'vitest';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { EmbeddedFlusher } from '../../../ingest/pipeline/embedded-flusher.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline } from '../../../ingest/pipeline/ingest-pipeline.ts';
import { InMemoryProgressStore } from '../../../ingest/pipeline/partition-progress.ts';
import { InMemoryRowWriter, type RowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { BASE_TIME_MS, spanJson } from '../../support/span-fixtures.ts';

const decoder = new JsonEventDecoder('spans');
const span = (i: number) => decoder.decode(Buffer.from(JSON.stringify(spanJson(i))));
const tick = () => new Promise((r) => setTimeout(r, 1));

/** A writer whose spans_raw inserts wait until released, one gate per insert, in order. */
function gatedWriter() {
  const inner = new InMemoryRowWriter();
  const gates: { token: string; release: () => void }[] = [];
  const writer: RowWriter = {
    insert: async (table, rows, token) => {
      if (table === 'spans_raw') await new Promise<void>((release) => gates.push({ token, release }));
      await inner.insert(table, rows, token);
    },
  };
  return { writer, inner, gates };
}

function pipeline(writer: RowWriter, progress = new InMemoryProgressStore()) {
  const p = new IngestPipeline({
    writer, progress, writerId: 'test', metrics: new IngestMetrics(), logger: silentLogger(), now: () => BASE_TIME_MS + 60_000,
    batchMaxRows: 2, batchMaxDelayMs: 1_000, sleep: async () => undefined, claimWaitMs: 0,
  });
  return { p, progress };
}

describe('IngestPipeline.flushConcurrently', () => {
  it('writes different partitions at the same time, never two segments of one partition, and keeps each partition\'s progress in order', async () => {
    const { writer, inner, gates } = gatedWriter();
    const { p, progress } = pipeline(writer);
    await p.claim([0, 1].map((partition) => ({ source: 't', partition, signal: 'spans' })));
    const add = (partition: number, offset: number) => p.add({ source: 't', partition, offset }, span(offset));
    add(0, 0);
    add(0, 1);
    const first = p.flushConcurrently()!;
    add(0, 2); // partition 0 is being written: this one waits
    add(1, 0);
    const second = p.flushConcurrently()!;
    expect(p.flushConcurrently()).toBeUndefined(); // only partition 0's second segment is left, and 0 is in flight
    while (gates.length < 2) await tick();
    expect(gates.map((g) => g.token)).toEqual(['spans_raw:t:0:0-1', 'spans_raw:t:1:0-0']);
    gates[1]!.release(); // partition 1 finishes first
    expect((await second).get('t#1')).toMatchObject({ offset: 1 });
    gates[0]!.release();
    expect((await first).get('t#0')).toMatchObject({ offset: 2 });
    const third = p.flushConcurrently()!;
    while (gates.length < 3) await tick();
    gates[2]!.release();
    expect((await third).get('t#0')).toMatchObject({ offset: 3 });
    expect(inner.rows('spans_raw')).toHaveLength(4);
    const zero = progress.history.filter((r) => r.partition === 0).map((r) => `${r.state} ${r.lo}-${r.hi}`);
    expect(zero).toEqual(['claim -1--1', 'pending 0-1', 'done 0-1', 'pending 2-2', 'done 2-2']);
  });

  it('flush() waits for the flushes running, then writes what is left', async () => {
    const { writer, inner, gates } = gatedWriter();
    const { p } = pipeline(writer);
    await p.claim([{ source: 't', partition: 0, signal: 'spans' }]);
    p.add({ source: 't', partition: 0, offset: 0 }, span(0));
    const concurrent = p.flushConcurrently()!;
    p.add({ source: 't', partition: 0, offset: 1 }, span(1));
    const serial = p.flush();
    expect(p.flushConcurrently()).toBeUndefined(); // a serial flush is waiting
    while (gates.length < 1) await tick();
    gates[0]!.release();
    await concurrent;
    while (gates.length < 2) await tick();
    gates[1]!.release();
    expect((await serial).get('t#0')).toMatchObject({ offset: 2 });
    expect(inner.rows('spans_raw')).toHaveLength(2);
  });
});

/** An embedded pipeline over a gated writer, its flusher kicked by every waiting caller (as sluice start wires it). */
function embedded(flusherOpts: { lingerMs?: number } = {}) {
  const { writer, inner, gates } = gatedWriter();
  const q = new IngestPipeline({
    writer, progress: new InMemoryProgressStore(), writerId: 'test', metrics: new IngestMetrics(), logger: silentLogger(), now: () => BASE_TIME_MS + 60_000,
    batchMaxRows: 1_000, batchMaxDelayMs: 1_000, onWaiting: () => flusher.kick(),
  });
  const flusher = new EmbeddedFlusher(q, silentLogger(), 1_000, flusherOpts);
  return { q, flusher, inner, gates };
}

describe('EmbeddedFlusher', () => {
  it('acknowledges a request once durable; requests arriving while their source is written share the next flush', async () => {
    const { q, flusher, inner, gates } = embedded();
    const acked: number[] = [];
    const request = (i: number) => q.accept('http/spans', 'spans', span(i), { wait: true }).then(() => void acked.push(i));
    const first = request(1);
    while (gates.length < 1) await tick();
    const later = [request(2), request(3)];
    await tick();
    expect(gates).toHaveLength(1); // the source is being written: the others wait for it
    gates[0]!.release();
    await first;
    expect(acked).toEqual([1]);
    while (gates.length < 2) await tick();
    gates[1]!.release();
    await Promise.all(later);
    expect(gates.map((g) => g.token)).toEqual(['spans_raw:http/spans:0:0-0', 'spans_raw:http/spans:0:1-2']);
    expect(inner.rows('spans_raw')).toHaveLength(3);
    await flusher.stop();
  });

  it('writes one flush at a time: requests from several sources arriving meanwhile share the next one, one insert per table', async () => {
    const { q, flusher, inner, gates } = embedded({ lingerMs: 0 });
    const request = (source: string, i: number) => q.accept(source, 'spans', span(i), { wait: true });
    const first = request('http/spans', 1);
    while (gates.length < 1) await tick();
    const later = [request('otlp/spans', 2), request('sim/spans', 3), request('http/spans', 4)];
    await tick();
    expect(gates).toHaveLength(1); // other sources wait too: one flush at a time
    gates[0]!.release();
    await first;
    while (gates.length < 2) await tick();
    gates[1]!.release();
    await Promise.all(later);
    expect(gates).toHaveLength(2);
    expect(gates[1]!.token).toMatch(/^spans_raw:group:[0-9a-f]{32}$/);
    expect(inner.rows('spans_raw').map((r) => r.source).sort()).toEqual(['http/spans', 'http/spans', 'otlp/spans', 'sim/spans']);
    await flusher.stop();
  });

  it('lets a first request wait lingerMs for company when nothing is being written', async () => {
    const { q, flusher, inner, gates } = embedded({ lingerMs: 30 });
    const spans = q.accept('http/spans', 'spans', span(1), { wait: true });
    await tick();
    expect(gates).toHaveLength(0); // lingering
    const more = q.accept('otlp/spans', 'spans', span(2), { wait: true });
    while (gates.length < 1) await tick();
    gates[0]!.release();
    await Promise.all([spans, more]);
    expect(gates).toHaveLength(1); // both in one insert
    expect(inner.rows('spans_raw')).toHaveLength(2);
    await flusher.stop();
  });
});
