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

  it('waits for a segment only until it is waitMs old: owners that keep changing do not each wait the whole time again', async () => {
    let nowMs = 1_000_000;
    const store = new InMemoryProgressStore();
    store.now = () => nowMs;
    await store.write([row({ generation: 1, seq: 1, state: 'pending', lo: 100, hi: 199, through: 99 })]); // in flight since 1,000,000
    const claimAt = (at: number) => {
      nowMs = at;
      let polls = 0;
      return claimPartitions([{ source: 't', partition: 0, signal: 'spans' }], {
        store, writer: `w${at}`, waitMs: 30_000, now: () => nowMs,
        onWaiting: () => void polls++,
        sleep: async (ms) => void (nowMs += ms),
      }).then(([c]) => ({ claim: c!, polls, waitedMs: nowMs - at }));
    };
    // the first new owner claims 5 s after the segment began: it waits the remaining 25 s, heartbeating as it polls
    const first = await claimAt(1_005_000);
    expect(first.waitedMs).toBe(25_000);
    expect(first.polls).toBe(250);
    expect(first.claim.replay).toEqual({ lo: 100, hi: 199 });
    // its claim carries the segment and when it began; an owner after it (that one died) does not wait again
    expect(store.history.at(-1)).toMatchObject({ state: 'claim', generation: 2, lo: 100, hi: 199, inFlightSinceMs: 1_000_000 });
    const second = await claimAt(1_040_000);
    expect(second).toMatchObject({ waitedMs: 0, polls: 0, claim: { generation: 3, through: 99, replay: { lo: 100, hi: 199 } } });
  });

  it('waits the whole waitMs from its claim when the segment\'s age is unknown (a row from before in_flight_since_ms)', async () => {
    let nowMs = 5_000_000;
    const store = new InMemoryProgressStore();
    store.history.push({ ...row({ generation: 1, seq: 1, state: 'pending', lo: 100, hi: 199, through: 99 }), inFlightSinceMs: -1 });
    const [c] = await claimPartitions([{ source: 't', partition: 0, signal: 'spans' }], { store, writer: 'next', waitMs: 30_000, now: () => nowMs, sleep: async (ms) => void (nowMs += ms) });
    expect(nowMs - 5_000_000).toBe(30_000);
    expect(c!.replay).toEqual({ lo: 100, hi: 199 });
  });
});
