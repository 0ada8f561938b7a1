import { MinuteSeries, type MinuteSeriesBuilder } from '../core/history/minute-series.ts';
import { bucketIndexOf, MIN_INDEXABLE_MS, RELATIVE_ACCURACY, ZERO_BUCKET_INDEX } from '../core/sketch/latency-sketch.ts';
import { validateSloDocument } from '../core/slo/slo-set.ts';
import type { Slo } from '../core/slo/slo-definition.ts';
import { MINUTE_MS } from '../core/window/minute-bucket.ts';
import { signalDerivation } from './history-queries.ts';
import type { HistoryStore, MinuteSource } from './history-store.ts';

/** Which stored counts a history read prefers (docs/history.md, "Storage"). */
export const SOURCE_PREFERENCES = ['auto', 'signals', 'slo-rollups'] as const;
export type SourcePreference = (typeof SOURCE_PREFERENCES)[number];

/** Raw log records are kept this long (schema/clickhouse/0001_raw_signals.sql TTL), ms. */
export const RAW_LOG_RETENTION_MS = 14 * 86_400_000;

/** Which stored counts a part of a series came from. */
export interface SeriesBasis {
  fromMs: number;
  toMs: number;
  source: MinuteSource;
  /** False where counts were rebuilt from sampled raw rows (weights 1/p): estimates. */
  exact: boolean;
  note: string;
}

/**
 * The error bound of a latency SLO read from sketches (docs/history.md, "The latency
 * bound"). DDSketch buckets are (γ^(i−1), γ^i] with γ = (1 + α)/(1 − α) [Masson et al.,
 * VLDB 2019, §2]: every bucket below the threshold's one is certainly within it, every one
 * above certainly not; the events of the threshold's own bucket (`uncertainEvents`) are the
 * only ones whose side is unknown. They are counted bad, so the answer is exactly the SLI
 * of the threshold `lowerThresholdMs` = γ^(i−1) (≥ T/γ: at most 1.0 % below T); counted
 * good it would be the SLI of `upperThresholdMs` = γ^i (< T·γ). Per answer, over its range.
 */
export interface LatencyBound {
  thresholdMs: number;
  /** The threshold bucket's lower edge γ^(i−1), ms: the answer is exact for this threshold. */
  lowerThresholdMs: number;
  /** Its upper edge γ^i, ms. */
  upperThresholdMs: number;
  /** γ, the largest ratio between T and either edge. */
  gamma: number;
  /** Events in the threshold's bucket over the answer's range: counted bad, maybe good. */
  uncertainEvents: number;
  totalEvents: number;
  /** Attainment over the range with the uncertain events bad (what the answer uses) and good; null without events. */
  attainmentLow: number | null;
  attainmentHigh: number | null;
}

/** An SLO's series and what it rests on. */
export interface LoadedHistory {
  series: MinuteSeries;
  basis: SeriesBasis[];
  /** Minutes whose counts include estimates (raw rows sampled at a rate below 1). */
  estimatedMinutes: number;
  /** Limits of the answer, in words (retention, estimates). */
  limits: string[];
  latencyBound?: LatencyBound | undefined;
}

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);

/** Whether two SLOs count the same events the same way (scope and indicator; target and rules do not matter). */
export function sameIndicator(a: Slo, b: Slo): boolean {
  return a.service === b.service && a.environment === b.environment && JSON.stringify(a.indicator) === JSON.stringify(b.indicator);
}

/**
 * Loads an SLO's minutes over `[fetchFromMs, toMs)` into a series, choosing the source:
 *  - an indicator that signal rollups cannot give (errorLogRatio with a `match`) reads the
 *    raw log records: only their 14 days exist, weighted by 1/p;
 *  - `signals`: signal rollups (exact from the epoch migration 0012 ran; before it, rebuilt
 *    from the raw rows that existed then — estimates where sampled);
 *  - `slo-rollups`: `sli_rollups` by the SLO's name (what the live engine counted);
 *  - `auto`: signal rollups, except before the epoch, where `sli_rollups` is read when the
 *    SLO existed then with the same indicator (its first recorded definition): exact where
 *    the backfill is an estimate. `reportFromMs` bounds the latency bound's range.
 */
export async function loadSloHistory(store: HistoryStore, slo: Slo, opts: { fetchFromMs: number; reportFromMs: number; toMs: number; source?: SourcePreference }): Promise<LoadedHistory> {
  const { fetchFromMs, toMs } = opts;
  const builder = MinuteSeries.builder({ fromMs: fetchFromMs, toMs });
  const basis: SeriesBasis[] = [];
  const limits: string[] = [];
  let estimatedMinutes = 0;
  let uncertain = 0;
  let total = 0;
  let certainGood = 0;
  const reportFromMs = opts.reportFromMs;
  const sink = (m: number, good: number, t: number, u: number, estimated: boolean) => {
    builder.add(m, good, t, u);
    if (estimated) estimatedMinutes++;
    if (m >= reportFromMs && m < toMs) {
      uncertain += u;
      total += t;
      certainGood += good;
    }
  };
  const read = async (source: MinuteSource, fromMs: number, untilMs: number, exact: boolean, note: string) => {
    if (untilMs <= fromMs) return;
    await store.minutes(slo, source, fromMs, untilMs, sink);
    basis.push({ fromMs, toMs: untilMs, source, exact, note });
  };

  const derivable = signalDerivation(slo);
  let historyStartMs: number | undefined;
  if ('notDerivable' in derivable && opts.source !== 'slo-rollups') {
    const retainedFromMs = Math.max(fetchFromMs, toMs - RAW_LOG_RETENTION_MS);
    await read('raw-logs', retainedFromMs, toMs, false, 'raw log records, each weighted by its 1/p');
    limits.push(`${derivable.notDerivable}; raw log records are kept ${RAW_LOG_RETENTION_MS / 86_400_000} days, so this SLO has no history before ${new Date(retainedFromMs).toISOString()} (counts weighted by 1/p: estimates where records were sampled)`);
    historyStartMs = undefined;
  } else if (opts.source === 'slo-rollups') {
    await read('slo-rollups', fetchFromMs, toMs, true, `sli_rollups of ${slo.name}: what the live engine counted`);
    historyStartMs = await earlierStart(store, slo, 'slo-rollups', builder, fetchFromMs);
  } else {
    const epochMs = opts.source === 'signals' ? undefined : await store.signalEpochMs();
    const cutMs = epochMs === undefined ? fetchFromMs : Math.min(toMs, Math.max(fetchFromMs, Math.ceil(epochMs / MINUTE_MS) * MINUTE_MS));
    const sloRollupsBefore = cutMs > fetchFromMs && (await sloRollupsValid(store, slo, cutMs));
    if (sloRollupsBefore) {
      await read('slo-rollups', fetchFromMs, cutMs, true, `sli_rollups of ${slo.name} (the SLO existed with this indicator before signal rollups were counted)`);
      await read('signals', cutMs, toMs, true, 'signal rollups counted at ingest');
    } else {
      await read('signals', fetchFromMs, toMs, epochMs === undefined || epochMs <= fetchFromMs, epochMs !== undefined && epochMs > fetchFromMs
        ? `signal rollups: before ${new Date(epochMs).toISOString()} rebuilt from the raw rows kept then (weighted by 1/p), exact after`
        : 'signal rollups');
    }
    historyStartMs = await earlierStart(store, slo, sloRollupsBefore ? 'slo-rollups' : 'signals', builder, fetchFromMs);
  }
  if (estimatedMinutes > 0) limits.push(`${estimatedMinutes} minutes are estimates: rebuilt from sampled raw rows, each weighted by its 1/p`);

  const series = builder.build(historyStartMs);
  let latencyBound: LatencyBound | undefined;
  if (slo.indicator.kind === 'latency' && basis.some((b) => b.source === 'signals')) {
    const i = bucketIndexOf(slo.indicator.thresholdMs);
    const upperThresholdMs = i === ZERO_BUCKET_INDEX ? MIN_INDEXABLE_MS : Math.exp(i * Math.log(GAMMA));
    latencyBound = {
      thresholdMs: slo.indicator.thresholdMs,
      lowerThresholdMs: i === ZERO_BUCKET_INDEX ? 0 : upperThresholdMs / GAMMA,
      upperThresholdMs,
      gamma: GAMMA,
      uncertainEvents: uncertain,
      totalEvents: total,
      attainmentLow: total === 0 ? null : certainGood / total,
      attainmentHigh: total === 0 ? null : (certainGood + uncertain) / total,
    };
    limits.push(
      `latency from sketches: ${uncertain} of ${total} events fell in the bucket (${latencyBound.lowerThresholdMs.toPrecision(6)} ms, ${latencyBound.upperThresholdMs.toPrecision(6)} ms] holding the ${slo.indicator.thresholdMs} ms threshold ` +
        'and are counted bad: the answer is exact for a threshold of the lower edge (≤ 1.0 % below)',
    );
  }
  return { series, basis, estimatedMinutes, limits, latencyBound };
}

/**
 * The first minute with data when the series' own first minute is empty: the SLO's history
 * may start before the read (a gap at its start), and the evaluator needs the true start.
 * When the first minute read holds data, the history starts there or earlier — which the
 * evaluator cannot tell apart — so no query is made.
 */
async function earlierStart(store: HistoryStore, slo: Slo, source: MinuteSource, builder: MinuteSeriesBuilder, fetchFromMs: number): Promise<number | undefined> {
  if (builder.firstMinuteTotal > 0) return fetchFromMs;
  return store.historyStart(slo, source, fetchFromMs);
}

/**
 * Whether `sli_rollups` counted this SLO's indicator before `beforeMs`: the SLO's first
 * recorded definition (slo_definitions) has the same scope and indicator, and there are
 * rows. Without a recorded definition it cannot be told, and signal rollups are used.
 */
async function sloRollupsValid(store: HistoryStore, slo: Slo, beforeMs: number): Promise<boolean> {
  const [first] = await store.definitionVersions([slo.name]);
  if (first === undefined) return false;
  const parsed = validateSloDocument(first.file, 0, first.definition);
  if (!('slo' in parsed) || !sameIndicator(parsed.slo, slo)) return false;
  return (await store.historyStart(slo, 'slo-rollups', beforeMs)) !== undefined;
}
