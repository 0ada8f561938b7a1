import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { apiError } from './api-error.ts';

/**
 * The contract of the `gate` query (schema/graphql/sluice.graphql, "Release gates"): what
 * the gate resolver returns and what `sluice gate` reads. The evaluation itself plugs in
 * as a GateResolver (ApiDeps.gate); authorization (permission gate:evaluate, team scope
 * by service) and the audit entry of each decision are added around it by
 * field-authorization.ts — the resolver does neither.
 */

export const GATE_VERDICTS = ['PASS', 'WARN', 'FAIL', 'INCONCLUSIVE'] as const;
export const GateVerdictSchema = z.enum(GATE_VERDICTS);
export type GateVerdict = z.infer<typeof GateVerdictSchema>;

export const GateCheckSchema = z.object({
  /** `budget:<slo>`, `alerts:<slo>`, `journey:<slo>`, `freshness:<slo>`, `canary:error-ratio:slo:<slo>`, `canary:latency`, `canary`, `bake:<env>`, `slos` (docs/gates.md). */
  name: z.string(),
  status: GateVerdictSchema,
  /** Whether this check may block under the policy; an advisory check's FAIL or INCONCLUSIVE makes the gate WARN at most. */
  blocking: z.boolean(),
  /** Observed value in `unit`; null without data. */
  observed: z.number().nullable(),
  /** What `observed` is compared with; null for checks without one (a blackout). */
  threshold: z.number().nullable(),
  /** `>=`, `<=`, `>` or `<`: passing means observed <comparator> threshold. */
  comparator: z.string().nullable(),
  /** `ratio` (0–1), `ms`, `burnRate`, `events`, … */
  unit: z.string().nullable(),
  window: z.object({
    /** Length as text: `1h`, `28d`. */
    length: z.string(),
    /** Event-time bounds, epoch ms; null when the check has no data. */
    from: z.number().nullable(),
    to: z.number().nullable(),
  }),
  freshness: z.object({
    fresh: z.boolean(),
    /** Event-time watermark of the data the check used, epoch ms. */
    watermark: z.number().nullable(),
    /** Wall-clock age of that watermark at decision time, ms. */
    lagMs: z.number().nullable(),
    reason: z.string().nullable(),
  }),
  explanation: z.string(),
});
export type GateCheck = z.infer<typeof GateCheckSchema>;

export const GateDecisionSchema = z.object({
  /** Stable id of the decision, as recorded (audit log detail). */
  decisionId: z.string(),
  verdict: GateVerdictSchema,
  /**
   * Whether the decision stops the release: FAIL always; INCONCLUSIVE unless the
   * environment's policy says `inconclusive: pass`; PASS and WARN never. `sluice gate`
   * exits 0 when false (gateExitCode).
   */
  blocking: z.boolean(),
  service: z.string(),
  environment: z.string(),
  version: z.string(),
  baselineVersion: z.string().nullable(),
  /** Version of the policy that decided. */
  policyVersion: z.string(),
  /** Wall-clock time of the decision, epoch ms. */
  decidedAt: z.number(),
  /** One sentence: why this verdict. */
  summary: z.string(),
  checks: z.array(GateCheckSchema),
});
export type GateDecision = z.infer<typeof GateDecisionSchema>;

export interface GateArgs {
  service: string;
  environment: string;
  version: string;
  baselineVersion?: string | null;
}

/** Evaluates a gate for an authorised caller. Expected failures throw apiError (BAD_USER_INPUT, NOT_FOUND, UNAVAILABLE). */
export type GateResolver = (args: GateArgs, caller: Principal) => Promise<GateDecision>;

/** Until the gate evaluation is wired in: an honest UNAVAILABLE, never a made-up verdict. */
export const gateNotAvailable: GateResolver = async () => {
  throw apiError('UNAVAILABLE', 'gate evaluation is not available in this version of sluice yet');
};

/** The GraphQL selection `sluice gate` asks for: every field of the contract. */
export const GATE_SELECTION = `decisionId verdict blocking service environment version baselineVersion policyVersion decidedAt summary
  checks { name status blocking observed threshold comparator unit window { length from to } freshness { fresh watermark lagMs reason } explanation }`;
