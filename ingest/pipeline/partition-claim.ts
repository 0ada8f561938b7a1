import { partitionKey } from './source-position.ts';
import { progressVersion, type ProgressRow, type ProgressStore } from './partition-progress.ts';

/**
 * Taking over upstream partitions (step 1 of the protocol in partition-progress.ts): claim
 * each with a new generation, wait for a segment an older owner had in flight, and say
 * where ingestion resumes.
 */

/** What the new owner of a partition needs to know. */
export interface PartitionClaim {
  source: string;
  partition: number;
  /** This owner's generation: its pending rows carry it, and a newer one fences it. */
  generation: number;
  /** Every position at or below this is durable: skip it on replay. */
  through: number;
  /** Highest event time seen from the partition so far, epoch ms; -1 when unknown. */
  maxEventTimeMs: number;
  /**
   * A segment an older owner began and never finished (it died mid-flush): replay it with
   * exactly these bounds first, so its insert tokens match and nothing is written twice.
   */
  replay?: { lo: number; hi: number } | undefined;
  /**
   * Why earlier progress was dropped, when it was: the partition's log is shorter than
   * what was durable (the topic was deleted and recreated, or truncated), so positions
   * restart and nothing may be skipped.
   */
  reset?: string | undefined;
}

export interface ClaimOptions {
  store: ProgressStore;
  /** Who claims (written on the rows). */
  writer: string;
  /** How long to wait for an older owner's segment in flight, ms (longer than a normal flush). */
  waitMs: number;
  /** Between reads while waiting, ms. */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock, epoch ms (default Date.now); compared with the in-flight segment's start. */
  now?: () => number;
  /** Called on every poll while waiting for an older owner's segment (the Kafka worker heartbeats its group). */
  onWaiting?: (() => void) | undefined;
}

export interface ClaimRequest {
  source: string;
  partition: number;
  signal: string;
  /** The partition's current log-end offset (Kafka high watermark), if known: detects a recreated topic. */
  logEndOffset?: number | undefined;
}

/** Claims partitions (in parallel) and resolves once every one is safe to ingest. */
export async function claimPartitions(requests: readonly ClaimRequest[], opts: ClaimOptions): Promise<PartitionClaim[]> {
  const latest = await opts.store.latest(requests);
  const claims = requests.map((req): { row: ProgressRow; before: ProgressRow | undefined; reset?: string } => {
    const before = latest.get(partitionKey(req.source, req.partition));
    let through = before?.through ?? -1;
    let reset: string | undefined;
    if (before && req.logEndOffset !== undefined && through >= req.logEndOffset) {
      reset = `positions up to ${through} were durable but the partition now ends at ${req.logEndOffset}: the topic was recreated or truncated; ingesting it from the start`;
      through = -1;
    }
    // a segment in flight that this owner has not seen finish is carried by its claim: if it
    // dies before settling it, the next owner still finds it (instead of this claim hiding it)
    const inherited = reset ? undefined : inFlight(before);
    return {
      before,
      ...(reset ? { reset } : {}),
      row: {
        source: req.source,
        partition: req.partition,
        signal: req.signal,
        generation: (before?.generation ?? 0) + 1,
        seq: 0,
        state: 'claim',
        lo: inherited?.lo ?? -1,
        hi: inherited?.hi ?? -1,
        through,
        maxEventTimeMs: before?.maxEventTimeMs ?? -1,
        inFlightSinceMs: inherited?.sinceMs ?? -1,
        writer: opts.writer,
      },
    };
  });
  await opts.store.write(claims.map((c) => c.row));
  return Promise.all(claims.map(async ({ row, before, reset }) => {
    const claim: PartitionClaim = { source: row.source, partition: row.partition, generation: row.generation, through: row.through, maxEventTimeMs: row.maxEventTimeMs };
    if (reset) return { ...claim, reset };
    const settled = await settleOlderOwner(row, before, opts);
    return { ...claim, ...settled };
  }));
}

/**
 * The segment a progress row leaves in flight: a `pending` row's own, or the one a `claim`
 * inherited (its owner claimed while an older owner's segment was pending, and wrote
 * nothing after: it may have died waiting for it).
 */
function inFlight(row: ProgressRow | undefined): { lo: number; hi: number; sinceMs: number } | undefined {
  if (row?.state === 'pending' || (row?.state === 'claim' && row.lo >= 0)) return { lo: row.lo, hi: row.hi, sinceMs: row.inFlightSinceMs ?? -1 };
  return undefined;
}

/**
 * Looks at what older generations wrote up to (and just after) this claim: the last
 * segment of theirs decides — done (resume after it), aborted (resume after its `through`),
 * pending, or a claim that inherited one (wait for it; replay it exactly if it never
 * finishes). A segment finished by its own owner after a newer claim was written sorts
 * before that claim: then the wait runs out and the replay, with the same bounds and
 * tokens, writes nothing twice.
 */
async function settleOlderOwner(
  claim: ProgressRow,
  before: ProgressRow | undefined,
  opts: ClaimOptions,
): Promise<Pick<PartitionClaim, 'through' | 'maxEventTimeMs' | 'replay'>> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const claimedAtMs = now();
  let last = before;
  for (;;) {
    const after = await opts.store.rowsAfter(claim.source, claim.partition, last ? progressVersion(last) : -1);
    for (const row of after) if (row.generation < claim.generation) last = row;
    const pending = inFlight(last) ? last : undefined;
    if (!pending) {
      return { through: last?.through ?? claim.through, maxEventTimeMs: Math.max(last?.maxEventTimeMs ?? -1, claim.maxEventTimeMs) };
    }
    // wait until the segment is waitMs old — not waitMs from this claim: owners changing
    // every few seconds would otherwise each wait the whole time again and the partition
    // would never move. A segment older than any flush takes was left by a dead owner (or
    // a fenced one, whose late rows carry the replay's tokens and land once). Unknown age
    // (rows from before 0026): the whole waitMs from this claim.
    const sinceMs = inFlight(pending)!.sinceMs;
    const deadline = Math.min(claimedAtMs + opts.waitMs, sinceMs >= 0 ? sinceMs + opts.waitMs : Infinity);
    if (now() >= deadline) {
      // the older owner died with this segment in flight: replay it with the same bounds
      return { through: pending.through, maxEventTimeMs: Math.max(pending.maxEventTimeMs, claim.maxEventTimeMs), replay: { lo: pending.lo, hi: pending.hi } };
    }
    opts.onWaiting?.();
    await sleep(opts.pollMs ?? 100);
  }
}
