import type { ClickHouseClient } from '@clickhouse/client';
import type { SloDirectoryReader } from '../../engine/adapters/slo-definition-directory.ts';
import type { SloStateReader } from '../../engine/adapters/slo-state-store.ts';
import { sliSeriesQuery } from './analytics-queries.ts';
import { apiError } from './api-error.ts';
import { readRows, storageRead } from './clickhouse-read.ts';

const MINUTE_MS = 60_000;
/** Most points one series may have (a day of minutes). More are refused, never thinned silently. */
export const MAX_SERIES_POINTS = 1_440;
/** Longest range of a series, ms: the 400 days `sli_rollups` keeps. */
export const MAX_SERIES_RANGE_MS = 400 * 86_400_000;

export interface SliSeriesArgs {
  slo: string;
  from: number;
  to: number;
  stepMinutes?: number | null;
}

/** One step of a series: exact counts over [from, to). */
export interface SliPoint {
  from: number;
  to: number;
  good: number;
  total: number;
  bad: number;
  /** good / total, ratio 0–1; null without events. */
  attainment: number | null;
  /** (bad / total) / (1 − target); null without events. */
  burnRate: number | null;
}

/**
 * A range [from, to) of `sli_rollups` checked: from and to whole minutes (the rollups hold
 * whole minutes: a part of one cannot be answered exactly), to after from, at most
 * MAX_SERIES_RANGE_MS apart — BAD_USER_INPUT naming the argument, never adjusted.
 */
export function checkMinuteRange(from: number, to: number): void {
  for (const [name, value] of [['from', from], ['to', to]] as const) {
    if (value % MINUTE_MS !== 0) {
      throw apiError('BAD_USER_INPUT', `${name} must be a whole minute (epoch ms divisible by 60000): SLIs are counted per minute; got ${value}, e.g. ${Math.floor(value / MINUTE_MS) * MINUTE_MS}`, { argument: name });
    }
  }
  if (!(to > from)) throw apiError('BAD_USER_INPUT', `to must be after from (got from ${from}, to ${to})`, { argument: 'to' });
  if (to - from > MAX_SERIES_RANGE_MS) throw apiError('BAD_USER_INPUT', `from and to may be at most 400 days apart (the rollups' retention); got ${Math.round((to - from) / 86_400_000)} days`, { argument: 'from' });
}

/**
 * The arguments checked — refused with BAD_USER_INPUT naming the argument, never adjusted:
 * the range (checkMinuteRange), a step of 1 or more whole minutes, at most
 * MAX_SERIES_POINTS steps. Returns the step in ms and the number of points.
 */
export function checkSeriesArgs(a: SliSeriesArgs): { stepMs: number; points: number } {
  checkMinuteRange(a.from, a.to);
  const stepMinutes = a.stepMinutes ?? 1;
  if (!Number.isInteger(stepMinutes) || stepMinutes < 1) throw apiError('BAD_USER_INPUT', `stepMinutes must be a whole number of minutes ≥ 1, got ${stepMinutes}`, { argument: 'stepMinutes' });
  const stepMs = stepMinutes * MINUTE_MS;
  const points = Math.ceil((a.to - a.from) / stepMs);
  if (points > MAX_SERIES_POINTS) {
    const least = Math.ceil((a.to - a.from) / MINUTE_MS / MAX_SERIES_POINTS);
    throw apiError('BAD_USER_INPUT', `from–to in steps of ${stepMinutes} min gives ${points} points, more than ${MAX_SERIES_POINTS}: use stepMinutes ≥ ${least} or a shorter range`, { argument: 'stepMinutes' });
  }
  return { stepMs, points };
}

/**
 * Every step of [from, to) with its counts (steps without rows have zero events; the last
 * step ends at `to`, so it is shorter when the range is not a whole number of steps). Burn
 * rate as in The Site Reliability Workbook ch. 5: the bad ratio over the allowed one, 1 − target.
 */
export function seriesPoints(rows: readonly { step: number; good: number; total: number }[], a: { fromMs: number; toMs: number; stepMs: number; target: number }): SliPoint[] {
  const byStep = new Map(rows.map((r) => [r.step, r]));
  const points: SliPoint[] = [];
  for (let i = 0, from = a.fromMs; from < a.toMs; i++, from += a.stepMs) {
    const r = byStep.get(i);
    const good = r?.good ?? 0;
    const total = r?.total ?? 0;
    const bad = total - good;
    points.push({
      from, to: Math.min(from + a.stepMs, a.toMs), good, total, bad,
      attainment: total > 0 ? good / total : null,
      burnRate: total > 0 ? bad / total / (1 - a.target) : null,
    });
  }
  return points;
}

/** `sliSeries(slo, from, to, stepMinutes)`: exact good/total/attainment/burn rate per step, from `sli_rollups`. */
export async function resolveSliSeries(deps: { clickhouse: ClickHouseClient; states: SloStateReader; directory: SloDirectoryReader }, args: SliSeriesArgs) {
  const { stepMs } = checkSeriesArgs(args);
  const state = await storageRead('SLO state', () => deps.states.get(args.slo));
  const entry = state ? undefined : await storageRead('the SLO directory', () => deps.directory.get(args.slo));
  const target = state?.definition.target ?? entry?.target;
  if (target === undefined) throw apiError('NOT_FOUND', `no SLO named "${args.slo}" is known (not in the SLO directory, and no judge has state for it)`, { argument: 'slo' });
  const q = sliSeriesQuery({ slo: args.slo, fromMs: args.from, toMs: args.to, stepMs });
  const rows = (await readRows<{ step: number | string; good: number | string; total: number | string }>(deps.clickhouse, q))
    .map((r) => ({ step: Number(r.step), good: Number(r.good), total: Number(r.total) }));
  const points = seriesPoints(rows, { fromMs: args.from, toMs: args.to, stepMs, target });
  const good = points.reduce((n, p) => n + p.good, 0);
  const total = points.reduce((n, p) => n + p.total, 0);
  return {
    slo: args.slo, target, from: args.from, to: args.to, stepMinutes: stepMs / MINUTE_MS, good, total,
    attainment: total > 0 ? good / total : null,
    burnRate: total > 0 ? (total - good) / total / (1 - target) : null,
    points,
  };
}
