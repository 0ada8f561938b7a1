import { describe, expect, it } from 'vitest';
import { JsonEventDecoder } from '../../../ingest/decode/json-event-decoder.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';
import { IngestPipeline, type IngestPipelineOptions } from '../../../ingest/pipeline/ingest-pipeline.ts';
import { InMemoryProgressStore } from '../../../ingest/pipeline/partition-progress.ts';
import { InMemoryRowWriter, type RowWriter } from '../../../ingest/sink/clickhouse-row-writer.ts';
import type { Row } from '../../../ingest/sink/signal-rows.ts';
import { SluiceError } from '../../../platform/errors/sluice-error.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { BASE_TIME_MS, spanJson } from '../../support/span-fixtures.ts';

const decoder = new JsonEventDecoder('spans');
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const NOW = BASE_TIME_MS + 60_000;

function pipeline(over: Partial<IngestPipelineOptions> = {}) {
  const writer = (over.writer as InMemoryRowWriter | undefined) ?? new InMemoryRowWriter();
  const progress = (over.progress as InMemoryProgressStore | undefined) ?? new InMemoryProgressStore();
  const metrics = new IngestMetrics();
  const p = new IngestPipeline({
    writer, progress, writerId: 'test', metrics, logger: silentLogger(), now: () => NOW,
    batchMaxRows: 3, batchMaxDelayMs: 1_000, sleep: async () => undefined, claimWaitMs: 0, ...over,
  });
  return { p, writer, progress, metrics };
}

const claimT0 = (p: IngestPipeline, logEndOffset?: number) => p.claim([{ source: 't', partition: 0, signal: 'spans', logEndOffset }]);
const addSpans = (p: IngestPipeline, from: number, to: number) => {
  for (let i = from; i < to; i++) p.add({ source: 't', partition: 0, offset: i }, decoder.decode(bytes(spanJson(i))));
};
const offsets = (w: InMemoryRowWriter) => w.rows('spans_raw').map((r) => r.source_offset).sort((a, b) => Number(a) - Number(b));

describe('IngestPipeline', () => {
  it('writes valid events to their table and invalid ones to dead_letters with the reason; commits past the segment', async () => {
    const { p, writer, metrics, progress } = pipeline();
    await claimT0(p);
    p.add({ source: 't', partition: 0, offset: 0 }, decoder.decode(bytes(spanJson(0))));
    p.add({ source: 't', partition: 0, offset: 1 }, decoder.decode(Buffer.from('{nope')));
    p.add({ source: 't', partition: 0, offset: 2 }, decoder.decode(bytes({ ...spanJson(2), durationMs: 'x' })));
    const positions = await p.flush();
    expect(writer.rows('spans_raw')).toHaveLength(1);
    expect(writer.rows('dead_letters').map((r) => r.reason)).toEqual(['invalid_json', 'schema_violation']);
    expect(writer.rows('dead_letters')[1]!.detail).toMatch(/^durationMs: /);
    expect(positions.get('t#0')).toEqual({ source: 't', partition: 0, offset: 3 });
    expect(metrics.snapshot().deadLettered).toEqual({ invalid_json: 1, schema_violation: 1 });
    expect(progress.history.map((r) => [r.state, r.lo, r.hi, r.through])).toEqual([['claim', -1, -1, -1], ['pending', 0, 2, -1], ['done', 0, 2, 2]]);
  });

  it('is due when full, when the oldest input waited batchMaxDelayMs, or when a caller waits', async () => {
    let now = 0;
    const { p } = pipeline({ now: () => now, batchMaxRows: 10 });
    expect(p.isDue()).toBe(false);
    await claimT0(p);
    addSpans(p, 0, 1);
    now = 999;
    expect(p.isDue()).toBe(false);
    now = 1_000;
    expect(p.isDue()).toBe(true);
  });

  it('retries a failed write until it succeeds, losing and duplicating nothing', async () => {
    const writer = new InMemoryRowWriter();
    writer.failNext = 3;
    const { p, metrics } = pipeline({ writer });
    await claimT0(p);
    addSpans(p, 0, 5);
    const retries: number[] = [];
    await p.flush({ onRetry: (attempt) => void retries.push(attempt) });
    expect(retries).toEqual([0, 1, 2]);
    expect(writer.rows('spans_raw')).toHaveLength(5);
    expect(metrics.flushRetries).toBe(3);
  });

  it('a new owner skips positions an earlier owner made durable', async () => {
    const writer = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    const first = pipeline({ writer, progress }).p;
    await claimT0(first);
    addSpans(first, 0, 4);
    await first.flush();
    const { p: second, metrics } = pipeline({ writer, progress });
    const [claim] = await claimT0(second);
    expect(claim).toMatchObject({ generation: 2, through: 3 });
    addSpans(second, 0, 6); // the refetch from an older committed offset
    await second.flush();
    expect(offsets(writer)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(metrics.replaySkipped).toBe(4);
  });

  it('replays exactly the segment an owner died writing: whatever of it landed is not written twice', async () => {
    const inner = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    // the first owner dies after its spans insert landed, before dead_letters and done
    let die = false;
    const dying: RowWriter = {
      insert: async (table, rows, token) => {
        if (die && table === 'dead_letters') return new Promise<void>(() => undefined); // never returns: the process is gone
        await inner.insert(table, rows, token);
      },
    };
    const first = pipeline({ writer: dying, progress, batchMaxRows: 100 }).p;
    await claimT0(first);
    addSpans(first, 0, 3);
    first.add({ source: 't', partition: 0, offset: 3 }, decoder.decode(Buffer.from('{bad')));
    addSpans(first, 4, 6);
    die = true;
    void first.flush();
    await new Promise((r) => setTimeout(r, 20));
    expect(inner.rows('spans_raw')).toHaveLength(5);
    expect(inner.rows('dead_letters')).toHaveLength(0);

    // the new owner finds its pending segment 0–5 and replays it with the same bounds
    const { p: second } = pipeline({ writer: inner, progress, batchMaxRows: 100 });
    const [claim] = await claimT0(second);
    expect(claim).toMatchObject({ through: -1, replay: { lo: 0, hi: 5 } });
    addSpans(second, 0, 3);
    second.add({ source: 't', partition: 0, offset: 3 }, decoder.decode(Buffer.from('{bad')));
    addSpans(second, 4, 9); // beyond the replayed segment: a segment of its own
    await second.flush();
    await second.flush();
    expect(offsets(inner)).toEqual([0, 1, 2, 4, 5, 6, 7, 8]);
    expect(inner.rows('dead_letters')).toHaveLength(1);
  });

  it('writes a replayed segment only once it reaches its end, whatever flushes come before (else its tokens differ and what landed counts twice)', async () => {
    const inner = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    let die = false;
    const dying: RowWriter = {
      insert: async (table, rows, token) => {
        if (die && table === 'dead_letters') return new Promise<void>(() => undefined); // killed after its raw rows landed
        await inner.insert(table, rows, token);
      },
    };
    const bad = () => decoder.decode(Buffer.from('{bad'));
    const first = pipeline({ writer: dying, progress, batchMaxRows: 100 }).p;
    await claimT0(first);
    addSpans(first, 0, 5);
    first.add({ source: 't', partition: 0, offset: 5 }, bad());
    die = true;
    void first.flush();
    await new Promise((r) => setTimeout(r, 20));
    expect(offsets(inner)).toEqual([0, 1, 2, 3, 4]);

    // the new owner's messages arrive in pieces, and its batch timer fires in between
    const { p: second } = pipeline({ writer: inner, progress, batchMaxRows: 2 });
    const [claim] = await claimT0(second);
    expect(claim!.replay).toEqual({ lo: 0, hi: 5 });
    addSpans(second, 0, 3);
    expect(second.isFull()).toBe(true);
    await second.flush(); // 0–2 of the replay: not written yet (bounds 0–2 would get a token of their own)
    expect(offsets(inner)).toEqual([0, 1, 2, 3, 4]);
    // and nothing makes its reader wait for a flush that cannot take it (it would never read the rest)
    expect(second.pendingRowsOf('t', 0)).toBe(0);
    expect(second.flushConcurrently()).toBeUndefined();
    addSpans(second, 3, 5);
    second.add({ source: 't', partition: 0, offset: 5 }, bad());
    await second.flush(); // 0–5: the dead owner's bounds and tokens, so its landed rows are not written again
    addSpans(second, 6, 8);
    await second.flush();
    expect(offsets(inner)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(inner.rows('dead_letters')).toHaveLength(1);
  });

  it('ends a replayed segment at its bound when the log skips past it (positions that no longer exist)', async () => {
    const inner = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    await progress.write([{ source: 't', partition: 0, signal: 'spans', generation: 1, seq: 1, state: 'pending', lo: 0, hi: 5, through: -1, maxEventTimeMs: -1, writer: 'dead' }]);
    const { p } = pipeline({ writer: inner, progress, batchMaxRows: 100 });
    const [claim] = await claimT0(p);
    expect(claim!.replay).toEqual({ lo: 0, hi: 5 });
    addSpans(p, 0, 4);
    addSpans(p, 7, 9); // offsets 4–6 are gone (compaction, a transaction marker at 5)
    await p.flush();
    await p.flush();
    expect(offsets(inner)).toEqual([0, 1, 2, 3, 7, 8]);
    // the replay was written with the dead owner's bounds, then 7–8 as a segment of its own
    expect(progress.history.filter((r) => r.generation === 2 && r.state === 'pending').map((r) => [r.lo, r.hi])).toEqual([[0, 5], [7, 8]]);
  });

  it('an owner that lost its partition without noticing is fenced: it writes nothing and is told', async () => {
    const writer = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    const old = pipeline({ writer, progress }).p;
    await claimT0(old);
    addSpans(old, 0, 2);
    const newer = pipeline({ writer, progress }).p;
    await claimT0(newer); // a rebalance the old owner has not seen yet
    const fenced: string[][] = [];
    const positions = await old.flush({ onFenced: (keys) => void fenced.push(keys) });
    expect(fenced).toEqual([['t#0']]);
    expect(positions.size).toBe(0);
    expect(writer.rows('spans_raw')).toHaveLength(0);
    expect(old.owns('t', 0)).toBe(false);
    expect(progress.history.at(-1)).toMatchObject({ state: 'aborted', generation: 1 });
    addSpans(newer, 0, 2);
    await newer.flush();
    expect(offsets(writer)).toEqual([0, 1]);
  });

  it('waits for a segment an earlier owner still has in flight, then resumes after it', async () => {
    const writer = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    let release!: () => void;
    const slow: RowWriter = { insert: async (t, r, k) => { await new Promise<void>((res) => (release = res)); await writer.insert(t, r, k); } };
    const old = pipeline({ writer: slow, progress }).p;
    await claimT0(old);
    addSpans(old, 0, 2);
    const inflight = old.flush();
    await new Promise((r) => setTimeout(r, 10));
    const newer = pipeline({ writer, progress, claimWaitMs: 5_000, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))) }).p;
    const claimed = claimT0(newer);
    await new Promise((r) => setTimeout(r, 20));
    release();
    await inflight;
    const [claim] = await claimed;
    expect(claim).toMatchObject({ through: 1 });
    expect(claim!.replay).toBeUndefined();
  });

  it('resets progress when the partition ends before what was durable (the topic was recreated)', async () => {
    const writer = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    const first = pipeline({ writer, progress }).p;
    await claimT0(first);
    addSpans(first, 0, 1_000);
    await first.flush();
    await first.flush();
    const { p: second, metrics } = pipeline({ writer, progress });
    const [claim] = await claimT0(second, 10); // the new topic holds 10 messages
    expect(claim).toMatchObject({ through: -1 });
    expect(claim!.reset).toMatch(/recreated/);
    addSpans(second, 0, 10);
    await second.flush();
    expect(metrics.progressResets).toBe(1);
    expect(metrics.replaySkipped).toBe(0);
  });

  it('isolates a row the store refuses by halving the insert; the rest is written and the row dead-lettered', async () => {
    const writer = new InMemoryRowWriter();
    writer.rejectRow = (table, row) => (table === 'spans_raw' && row.source_offset === 5 ? 'Code: 321. DB::Exception: value out of range (VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE)' : undefined);
    const { p, metrics } = pipeline({ writer, batchMaxRows: 100 });
    await claimT0(p);
    addSpans(p, 0, 9);
    await p.flush();
    expect(offsets(writer)).toEqual([0, 1, 2, 3, 4, 6, 7, 8]);
    expect(writer.rows('dead_letters')).toMatchObject([{ reason: 'storage_rejected', source_offset: 5 }]);
    expect(metrics.snapshot().deadLettered).toEqual({ storage_rejected: 1 });
  });

  it.each([
    { name: 'a span a day in the future', span: spanJson(1, { startTimeMs: NOW + 86_400_000 }), reason: 'event_time_in_future' },
    { name: 'a span from year 9999', span: { ...spanJson(1), startTimeMs: 253_402_300_799_000 }, reason: 'schema_violation' },
    { name: 'a span older than 400 days', span: spanJson(1, { startTimeMs: NOW - 401 * 86_400_000 }), reason: 'event_time_too_old' },
    { name: 'a span lasting 1e16 ms', span: { ...spanJson(1), durationMs: 1e16 }, reason: 'duration_out_of_range' },
  ])('dead-letters $name ($reason) and writes the rest of the batch', async ({ span, reason }) => {
    const { p, writer } = pipeline();
    await claimT0(p);
    p.add({ source: 't', partition: 0, offset: 0 }, decoder.decode(bytes(span)));
    addSpans(p, 1, 3);
    await p.flush();
    expect(writer.rows('dead_letters').map((r) => r.reason)).toEqual([reason]);
    expect(offsets(writer)).toEqual([1, 2]);
  });

  it('counts events the sampler does not store, by reason; they still count as accepted', async () => {
    const { p, writer, metrics } = pipeline({
      sampler: (e) => (e.signal === 'spans' && e.event.status === 'error' ? { keep: true, weight: 1 } : { keep: false, weight: 0, reason: 'sampled_out' }),
    });
    await p.accept('http/spans', 'spans', [...decoder.decode(bytes(spanJson(1))), ...decoder.decode(bytes(spanJson(2, { error: true })))]);
    await p.flush();
    expect(writer.rows('spans_raw')).toHaveLength(1);
    expect(metrics.snapshot()).toMatchObject({ accepted: { spans: 2 }, notStored: { sampled_out: 1 } });
  });

  it('counts an event older than raw retention as not stored (ClickHouse would drop it by TTL) instead of writing it', async () => {
    const { p, writer, metrics } = pipeline();
    await p.accept('http/spans', 'spans', [...decoder.decode(bytes(spanJson(1, { startTimeMs: NOW - 15 * 86_400_000 }))), ...decoder.decode(bytes(spanJson(2)))]);
    await p.flush();
    expect(writer.rows('spans_raw')).toHaveLength(1);
    expect(metrics.snapshot()).toMatchObject({ accepted: { spans: 2 }, notStored: { older_than_raw_retention: 1 } });
  });

  it('takes a large embedded input in slices with turns of the event loop between them, whole, acknowledged once all is durable', async () => {
    const writer = new InMemoryRowWriter();
    const { p } = pipeline({ writer, batchMaxRows: 10_000 });
    const items = Array.from({ length: 1_000 }, (_, i) => decoder.decode(bytes(spanJson(i)))[0]!);
    let turns = 0;
    let counting = true;
    const tick = () => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    let acked = false;
    const ack = p.acceptInSlices('http/spans', 'spans', items, { sliceItems: 100 }).then(() => (acked = true));
    // a flush lands while slices are still being added: the slices before it and after it are both waited for
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await p.flush();
    expect(acked).toBe(false);
    for (let i = 0; i < 20 && writer.rows('spans_raw').length < 1_000; i++) {
      await new Promise((r) => setImmediate(r));
      await p.flush();
    }
    await ack;
    counting = false;
    expect(turns).toBeGreaterThanOrEqual(9); // other work ran between the 10 slices
    expect(writer.rows('spans_raw')).toHaveLength(1_000);
    expect(new Set(writer.rows('spans_raw').map((r) => r.span_id)).size).toBe(1_000);
  });

  it('refuses a large embedded input whole, before its first slice, under backpressure', async () => {
    const writer = new InMemoryRowWriter();
    const { p } = pipeline({ writer, batchMaxRows: 10, maxPendingRows: 50 });
    await p.accept('http/spans', 'spans', Array.from({ length: 60 }, (_, i) => decoder.decode(bytes(spanJson(i)))[0]!));
    const items = Array.from({ length: 500 }, (_, i) => decoder.decode(bytes(spanJson(100 + i)))[0]!);
    await expect(p.acceptInSlices('http/spans', 'spans', items, { sliceItems: 100 })).rejects.toMatchObject({ code: 'INGEST_BACKPRESSURE' });
    await p.flush();
    expect(writer.rows('spans_raw')).toHaveLength(60); // nothing of the refused input
  });

  it('acknowledges an embedded input only once it is durable; concurrent inputs share one flush (group commit)', async () => {
    const writer = new InMemoryRowWriter();
    const inserts: string[] = [];
    const counting: RowWriter = { insert: async (t, r, k) => { inserts.push(k); await writer.insert(t, r, k); } };
    let kicked = 0;
    const { p } = pipeline({ writer: counting, batchMaxRows: 1_000, onWaiting: () => kicked++ });
    const acks = [1, 2, 3].map((i) => p.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(i))), { wait: true }));
    let acked = 0;
    for (const a of acks) void a.then(() => acked++);
    await new Promise((r) => setTimeout(r, 5));
    expect(acked).toBe(0); // nothing durable yet
    expect(kicked).toBe(3);
    await p.flush();
    await Promise.all(acks);
    expect(acked).toBe(3);
    expect(inserts).toEqual(['spans_raw:http/spans:0:0-2']);
  });

  it('writes the embedded sources of one flush with one insert per table, and retries a failed group whole, never regrouped', async () => {
    const writer = new InMemoryRowWriter();
    const inserts: string[] = [];
    let failDeadLetters = 1;
    const failing: RowWriter = {
      insert: async (t, r, k) => {
        inserts.push(k);
        if (t === 'dead_letters' && failDeadLetters-- > 0) throw new SluiceError('TEST_REFUSED', 'refused once', { retriable: false });
        await writer.insert(t, r, k);
      },
    };
    const { p } = pipeline({ writer: failing, batchMaxRows: 1_000 });
    await p.accept('http/spans', 'spans', [...decoder.decode(bytes(spanJson(1))), ...decoder.decode(Buffer.from('{nope'))]);
    await p.accept('otlp/spans', 'spans', decoder.decode(bytes(spanJson(2))));
    await expect(p.flush()).rejects.toThrow(/refused once/);
    const group = inserts.find((k) => k.startsWith('spans_raw:group:'))!;
    expect(group).toBeDefined();
    expect(inserts.filter((k) => k.startsWith('spans_raw'))).toEqual([group]); // both sources, one insert
    expect(writer.rows('spans_raw')).toHaveLength(2); // that insert landed; dead_letters did not
    // a third source arrives before the retry: it is written on its own, the group exactly as before
    await p.accept('sim/spans', 'spans', decoder.decode(bytes(spanJson(3))));
    inserts.length = 0;
    await p.flush();
    const retried = inserts.filter((k) => k.startsWith('spans_raw'));
    expect(retried).toHaveLength(2);
    expect(retried).toContain(group);
    expect(retried.filter((k) => k.startsWith('spans_raw:sim/spans:0:'))).toHaveLength(1);
    expect(writer.rows('spans_raw').map((r) => r.source).sort()).toEqual(['http/spans', 'otlp/spans', 'sim/spans']); // nothing twice
    expect(writer.rows('dead_letters')).toHaveLength(1);
  });

  it('isolates a row the store refuses inside a grouped insert: the other sources are written, the row dead-lettered with its own source', async () => {
    const writer = new InMemoryRowWriter();
    writer.rejectRow = (table, row) => (table === 'spans_raw' && row.source === 'otlp/spans' ? 'Code: 321. DB::Exception: value out of range (VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE)' : undefined);
    const { p, metrics } = pipeline({ writer, batchMaxRows: 1_000 });
    for (const [i, source] of ['http/spans', 'otlp/spans', 'sim/spans'].entries()) await p.accept(source, 'spans', decoder.decode(bytes(spanJson(i))));
    await p.flush();
    expect(writer.rows('spans_raw').map((r) => r.source).sort()).toEqual(['http/spans', 'sim/spans']);
    expect(writer.rows('dead_letters')).toMatchObject([{ reason: 'storage_rejected', signal: 'spans', source: 'otlp/spans' }]);
    expect(metrics.snapshot().deadLettered).toEqual({ storage_rejected: 1 });
    await p.flush(); // nothing left, nothing written again
    expect(writer.rows('spans_raw')).toHaveLength(2);
  });

  it('continues an embedded source after a restart in a new generation of positions, past every one it used', async () => {
    const writer = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    const first = pipeline({ writer, progress }).p;
    await first.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(1))));
    await first.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(2))));
    await first.flush();
    const second = pipeline({ writer, progress }).p;
    await second.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(3))));
    await second.flush();
    expect(writer.rows('spans_raw').map((r: Row) => r.source_offset)).toEqual([0, 1, 1_000_000_000]);
    expect(progress.history.map((r) => [r.state, r.generation, r.through])).toEqual([['claim', 0, -1], ['done', 0, 1], ['claim', 1, 1], ['done', 1, 1_000_000_000]]);
  });

  it('never reuses a position (nor its insert token) of a run that died before recording its progress', async () => {
    const writer = new InMemoryRowWriter();
    const progress = new InMemoryProgressStore();
    const first = pipeline({ writer, progress }).p;
    const acked = first.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(1))), { wait: true });
    while (first.pendingRows === 0) await new Promise((r) => setTimeout(r, 1));
    await first.flushConcurrently();
    await acked; // durable and acknowledged; the process dies before its `done` row (due only a second after start)
    const second = pipeline({ writer, progress }).p;
    await second.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(2))), { wait: false });
    await second.flush();
    expect(writer.rows('spans_raw').map((r: Row) => r.source_offset)).toEqual([0, 1_000_000_000]);
  });

  it('refuses embedded input while the store is failing, so callers can retry (503) instead of waiting', async () => {
    const writer = new InMemoryRowWriter();
    writer.failNext = 1_000;
    let sleeps = 0;
    const { p } = pipeline({
      writer,
      sleep: (ms) => {
        sleeps++;
        return new Promise((r) => setTimeout(r, Math.min(ms, 1)));
      },
    });
    await p.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(1))));
    const flushing = p.flush();
    await new Promise((r) => setTimeout(r, 5));
    expect(p.inOutage).toBe(true);
    await expect(p.accept('http/spans', 'spans', decoder.decode(bytes(spanJson(2))))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retriable: true });
    writer.failNext = 0;
    await flushing;
    expect(p.inOutage).toBe(false);
    expect(sleeps).toBeGreaterThan(0);
  });

  it('counts dead letters the topic refuses for good instead of retrying forever; the table keeps them', async () => {
    const { p, writer, metrics } = pipeline({
      deadLetterPublisher: { publish: async () => { throw Object.assign(new Error('MESSAGE_TOO_LARGE'), { retriable: false }); } },
    });
    await p.accept('http/spans', 'spans', decoder.decode(Buffer.from('{bad')));
    await p.flush();
    expect(metrics.deadLetterTopicFailures).toBe(1);
    expect(writer.rows('dead_letters')).toHaveLength(1);
  });

  it('puts a batch back when a flush hook fails, so nothing is lost and nothing later is committed past it', async () => {
    const writer = new InMemoryRowWriter();
    writer.failNext = 1;
    const { p } = pipeline({ writer });
    await claimT0(p);
    addSpans(p, 0, 1);
    await expect(p.flush({ onRetry: () => { throw new Error('consumer gone'); } })).rejects.toThrow('consumer gone');
    addSpans(p, 1, 2);
    const first = await p.flush();
    const second = await p.flush();
    expect(offsets(writer)).toEqual([0, 1]);
    expect(first.get('t#0')!.offset).toBe(1);
    expect(second.get('t#0')!.offset).toBe(2);
  });
});
