/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter", 2015): delay_n = random(0, min(maxMs, initialMs · 2^n)).
 */
export interface BackoffOptions {
  /** First retry's upper bound, ms. */
  initialMs: number;
  /** Cap on any delay, ms. */
  maxMs: number;
}

export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return Math.max(opts.initialMs / 2, Math.floor(random() * ceiling));
}
