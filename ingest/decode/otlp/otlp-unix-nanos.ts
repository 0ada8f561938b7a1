/**
 * OTLP timestamps are fixed64 unix nanoseconds: beyond 2^53, so they are read as BigInt
 * from their decimal text (OTLP/JSON writes them as strings; some producers as numbers).
 */

const NANOS_PER_MS = 1_000_000n;

/** Unix nanoseconds as a BigInt; undefined when absent, zero or not an integer. */
export function unixNanos(value: string | number | undefined | null): bigint | undefined {
  if (value === undefined || value === null || value === '' || value === 0 || value === '0') return undefined;
  try {
    const nanos = BigInt(value);
    return nanos > 0n ? nanos : undefined;
  } catch {
    return undefined;
  }
}

/** Whole epoch milliseconds (floor) of unix nanoseconds. */
export function nanosToEpochMs(nanos: bigint): number {
  return Number(nanos / NANOS_PER_MS);
}

/** end − start in milliseconds, keeping sub-millisecond precision (ms, float). */
export function nanosDurationMs(start: bigint, end: bigint): number {
  const diff = end - start;
  const whole = diff / NANOS_PER_MS;
  return Number(whole) + Number(diff - whole * NANOS_PER_MS) / 1e6;
}
