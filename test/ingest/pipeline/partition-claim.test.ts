import { describe, expect, it } from 'vitest';
import { claimPartitions } from '../../../ingest/pipeline/partition-claim.ts';
import { InMemoryProgressStore, type ProgressRow } from '../../../ingest/pipeline/partition-progress.ts';

const base = { source: 't', partition: 0, signal: 'spans', writer: 'w', maxEventTimeMs: -1 };
const row = (r: Pick<ProgressRow, 'generation' | 'seq' | 'state' | 'lo' | 'hi' | 'through'>): ProgressRow => ({ ...base, ...r });
const claim = (store: InMemoryProgressStore) =>
  claimPartitions([{ source: 't', partition: 0, signal: 'spans' }], { store, writer: 'next', waitMs: 0, sleep: async () => undefined }).then(([c]) => c!);

describe('claimPartitions', () => {
  it('replays a segment whose owner died mid-flush, even when an owner in between claimed and died waiting for it', async () => {
    const store = new InMemoryProgressStore();
    await store.write([
      row({ generation: 1, seq: 0, state: 'claim', lo: -1, hi: -1, through: 99 }),
      row({ generation: 1, seq: 1, state: 'pending', lo: 100, hi: 199, through: 99 }), // its rows may have landed
    ]);
    await claim(store); // an owner claims, and dies before it writes anything more
    expect(store.history.at(-1)).toMatchObject({ state: 'claim', generation: 2, lo: 100, hi: 199, through: 99 });
    expect(await claim(store)).toMatchObject({ generation: 3, through: 99, replay: { lo: 100, hi: 199 } });
  });

  it('resumes after a segment its owner finished, when no claim came in between', async () => {
    const store = new InMemoryProgressStore();
    await store.write([
      row({ generation: 1, seq: 1, state: 'pending', lo: 100, hi: 199, through: 99 }),
      row({ generation: 1, seq: 2, state: 'done', lo: 100, hi: 199, through: 199 }),
    ]);
    const c = await claim(store);
    expect(c).toMatchObject({ generation: 2, through: 199 });
    expect(c.replay).toBeUndefined();
    expect(store.history.at(-1)).toMatchObject({ state: 'claim', lo: -1, hi: -1 });
  });
});
