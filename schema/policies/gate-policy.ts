import { z } from 'zod';
import { CanaryOptionsSchema, type CanaryOptions } from '../../engine/core/canary/canary-comparison.ts';
import { BURN_RATE_WINDOWS } from '../../engine/core/budget/burn-rate.ts';
import { DurationTextSchema } from '../../engine/core/time/duration.ts';

/**
 * The gate policy file format (`apiVersion: sluice/v1`, `kind: GatePolicy`; documented with
 * examples in docs/gates.md): what a release gate checks in an environment, which checks
 * block, how much error budget must be left, whether INCONCLUSIVE blocks, and the
 * baseline and bake requirements. Files live in SLUICE_POLICY_DIR (default
 * examples/policies/), one or more YAML documents each; a document applies to the
 * environments it names, `'*'` to every environment no other document names.
 *
 * Every object is strict: an unknown or misspelt key is an error naming its path. Every
 * key but `spec.environments` is optional; the defaults are GATE_POLICY_DEFAULTS below —
 * a document says only what it changes, and the document is the whole policy of its
 * environments (documents are never merged with each other).
 */

export const GATE_POLICY_API_VERSION = 'sluice/v1';
export const GATE_POLICY_KIND = 'GatePolicy';

/** The checks a policy can make advisory, by kind (docs/gates.md "Checks"). */
export const GATE_CHECK_KINDS = ['budget', 'alerts', 'journeys', 'freshness', 'canary', 'bake'] as const;
export type GateCheckKind = (typeof GATE_CHECK_KINDS)[number];

/**
 * `block`: a FAIL of the check fails the gate and an INCONCLUSIVE makes it INCONCLUSIVE.
 * `warn`: the check is advisory — its FAIL or INCONCLUSIVE makes the gate WARN at most.
 */
export const CheckModeSchema = z.enum(['block', 'warn']);
export type CheckMode = z.infer<typeof CheckModeSchema>;

/** Environment names as events carry them; `*` is the default document. */
const EnvironmentNameSchema = z.string().min(1).max(128).regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._-]*)$/, 'must be an environment name (letters, digits, ".", "_", "-") or "*" for the default');

/** Windows the judge reports burn rates for: a journey window must be one of them. */
const BURN_WINDOW_LABELS = BURN_RATE_WINDOWS.map((w) => w.window) as [string, ...string[]];

export const GatePolicySpecSchema = z.strictObject({
  /** Environments this document decides for (`production`, `staging`, …); `'*'` = every environment no other document names. */
  environments: z.array(EnvironmentNameSchema).min(1, 'must name at least one environment, or "*"'),
  description: z.string().optional(),
  /**
   * Whether an INCONCLUSIVE verdict (stale or too little data) blocks the release:
   * `block` (CLI exit 2) or `pass` (the verdict stays INCONCLUSIVE, the decision records
   * `blocking: false`, the CLI exits 0). Default `block`.
   */
  inconclusive: z.enum(['block', 'pass']).optional(),
  /** Least error budget each SLO must have left for the whole period, ratio 0–1 (default 0: only an exhausted budget fails). */
  minBudgetRemaining: z.number().min(0, 'must be a ratio 0–1').max(1, 'must be a ratio 0–1 (0.1 = 10 %)').optional(),
  /** What an active burn-rate alert of each severity does to the gate (defaults: page FAIL, ticket WARN). */
  alerts: z.strictObject({
    page: z.enum(['FAIL', 'WARN']).optional(),
    ticket: z.enum(['FAIL', 'WARN']).optional(),
  }).optional(),
  /** Which checks block (`block`, default) and which are advisory (`warn`), by kind. */
  checks: z.strictObject(Object.fromEntries(GATE_CHECK_KINDS.map((k) => [k, CheckModeSchema.optional()])) as Record<GateCheckKind, z.ZodOptional<typeof CheckModeSchema>>).optional(),
  /** Synthetic journeys (syntheticSuccess SLOs): a journey fails when its window holds at least minFailures failed checks and its success ratio is below the SLO's target. */
  journeys: z.strictObject({
    /** One of the judge's burn-rate windows (5m, 30m, 1h, 2h, 6h, 1d, 3d); default 5m: is the journey working now? */
    window: z.enum(BURN_WINDOW_LABELS).optional(),
    /** Fewest failed checks in the window before a journey fails, integer ≥ 1 (default 3). */
    minFailures: z.number().int().min(1).optional(),
  }).optional(),
  /**
   * Version attribution: an active alert or a failing journey counts against every version,
   * except a version whose own events in the environment show it clean — at least the
   * SLO's minEvents events, below the rule's burn rate (or the journey's bar) — over the
   * check's window, or over this window when it is longer. Default 1h.
   */
  attribution: z.strictObject({ window: DurationTextSchema.optional() }).optional(),
  /** The comparison of this version with a baseline version (canary analysis). */
  baseline: z.strictObject({
    /** Without `baselineVersion` in the request, compare with the version serving in the environment now; none → INCONCLUSIVE. Default false. */
    required: z.boolean().optional(),
    /** Compared time range: the last `window` before the decision (default 1h). */
    window: DurationTextSchema.optional(),
    /** Options of compareCanary (engine/core/canary/canary-comparison.ts); defaults there. */
    canary: CanaryOptionsSchema.partial().optional(),
  }).optional(),
  /** The version must have served in `environment` for at least `minDuration` (its first succeeded deploy there, finished). Default: no bake requirement. */
  bake: z.strictObject({
    environment: EnvironmentNameSchema.refine((e) => e !== '*', 'must name one environment'),
    minDuration: DurationTextSchema,
  }).optional(),
});

export const GatePolicyMetadataSchema = z.strictObject({
  name: z.string().max(253).regex(/^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/, 'must be lower-case letters, digits, "-", "_" or "." (e.g. production)'),
  displayName: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

export const GatePolicyDocumentSchema = z.strictObject({
  apiVersion: z.literal(GATE_POLICY_API_VERSION),
  kind: z.literal(GATE_POLICY_KIND),
  metadata: GatePolicyMetadataSchema,
  spec: GatePolicySpecSchema,
});
export type GatePolicyDocument = z.infer<typeof GatePolicyDocumentSchema>;
export type GatePolicySpec = z.infer<typeof GatePolicySpecSchema>;

/** A policy with every default applied: what the gate evaluation reads. */
export interface GatePolicyRules {
  inconclusive: 'block' | 'pass';
  /** Ratio 0–1. */
  minBudgetRemaining: number;
  alerts: { page: 'FAIL' | 'WARN'; ticket: 'FAIL' | 'WARN' };
  checks: Record<GateCheckKind, CheckMode>;
  /** `window` is a burn-rate window label; its length in ms is `windowMs`. */
  journeys: { window: string; windowMs: number; minFailures: number };
  /** Least window over which a version's own events may show it clean, ms. */
  attributionWindowMs: number;
  baseline: { required: boolean; windowMs: number; canary: Partial<CanaryOptions> };
  bake: { environment: string; minDurationMs: number } | undefined;
}

/** Defaults of every optional key (docs/gates.md lists them). */
export const GATE_POLICY_DEFAULTS = {
  inconclusive: 'block',
  minBudgetRemaining: 0,
  alerts: { page: 'FAIL', ticket: 'WARN' },
  checkMode: 'block',
  journeys: { window: '5m', minFailures: 3 },
  attributionWindow: '1h',
  baseline: { required: false, window: '1h' },
} as const;
