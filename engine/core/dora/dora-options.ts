import { z } from 'zod';

/**
 * Options of the DORA computations (docs/dora.md). Durations in ms. Parsed with this strict
 * schema, so a wrong value names the option at fault.
 */
export const DoraOptionsSchema = z.strictObject({
  /**
   * An SLO of the service that becomes BREACHED within this long after a deploy finished,
   * while that deploy's change serves, marks the deploy failed, ms (default 24 h).
   */
  breachWindowMs: z.number().int().positive().default(86_400_000),
  /**
   * An incident that names no deploy is attributed to the change serving when it opened,
   * if that change started serving at most this long before, ms (default 7 days). Older
   * serving changes are not blamed: the incident is reported as unattributed, with why.
   */
  incidentWindowMs: z.number().int().positive().default(7 * 86_400_000),
  /** Incident severities that count as failures (default all, SEV1–SEV5). */
  severities: z.array(z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5'])).min(1).default(['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5']),
  /** Fewest deployments in the period for a DORA cluster and a peer percentile (default 10). */
  minDeployments: z.number().int().min(1).default(10),
  /** Fewest teams with minDeployments each before anyone gets a percentile (default 3). */
  minPeers: z.number().int().min(2).default(3),
  /** Significance level of period comparisons, 0–0.5 (default 0.05). */
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  /** Fewest samples per period for a bootstrap interval of a median (default 5). */
  minBootstrapSamples: z.number().int().min(2).default(5),
  /** Most values a period may have for a bootstrap interval of its median; above it the McKean–Schrader standard error is used (default 500). */
  maxBootstrapSamples: z.number().int().min(10).default(500),
  /** Bootstrap resamples (default 2000). */
  bootstrapResamples: z.number().int().min(100).max(100_000).default(2000),
});
export type DoraOptions = z.infer<typeof DoraOptionsSchema>;
export const DEFAULT_DORA_OPTIONS: DoraOptions = DoraOptionsSchema.parse({});

/** Options over the defaults, validated. */
export function doraOptions(overrides: Partial<DoraOptions> = {}): DoraOptions {
  return DoraOptionsSchema.parse({ ...DEFAULT_DORA_OPTIONS, ...overrides });
}
