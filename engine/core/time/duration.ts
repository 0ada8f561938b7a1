import { z } from 'zod';

/** Milliseconds per unit of the duration syntax (`ms`, `s`, `m`, `h`, `d`, `w`). */
export const DURATION_UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;
export type DurationUnit = keyof typeof DURATION_UNIT_MS;

const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d|w)$/;

/**
 * Parses a duration such as `5m`, `1h`, `28d`, `250ms` into milliseconds.
 * One positive integer and one unit (ms, s, m, h, d, w); returns undefined for anything
 * else (no compound forms such as `1h30m`, no fractions, no zero unless `allowZero`, e.g.
 * `0m` to switch a hold off). Months are not durations: a calendar month is a window of
 * its own (see slo-definition.ts).
 */
export function parseDurationMs(text: string, options: { allowZero?: boolean } = {}): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  if (!Number.isSafeInteger(amount) || amount < 0 || (amount === 0 && options.allowZero !== true)) return undefined;
  return amount * DURATION_UNIT_MS[match[2] as DurationUnit];
}

/**
 * Shortest exact text for a duration in ms (`3600000` → `1h`, `90000` → `90s`); with
 * `{ weeks: false }` whole weeks stay days (`28d`, as SLO windows are usually written).
 */
export function formatDurationMs(durationMs: number, options: { weeks?: boolean } = {}): string {
  const units: DurationUnit[] = options.weeks === false ? ['d', 'h', 'm', 's'] : ['w', 'd', 'h', 'm', 's'];
  for (const unit of units) {
    const size = DURATION_UNIT_MS[unit];
    if (durationMs > 0 && durationMs % size === 0) return `${durationMs / size}${unit}`;
  }
  return `${durationMs}ms`;
}

/** A duration text (`5m`, `1h`, `28d`) validated by zod; stays text, parse with parseDurationMs. */
export const DurationTextSchema = z
  .string()
  .refine((text) => parseDurationMs(text) !== undefined, {
    message: 'must be a positive whole duration such as 250ms, 30s, 5m, 1h, 28d or 2w',
  });

/** A duration text that may also be zero (`0m`), e.g. a hold that can be switched off. */
export const ZeroOrDurationTextSchema = z
  .string()
  .refine((text) => parseDurationMs(text, { allowZero: true }) !== undefined, {
    message: 'must be a whole duration such as 0m, 30s, 5m, 10m or 1h',
  });
