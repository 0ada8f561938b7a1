import { z } from 'zod';

/**
 * A rollback request: what sluice sends to rollout controllers and CD platforms when a
 * fresh production release burns its SLO budget at page severity, or fails its canary
 * comparison, during its bake period (docs/releases.md "Rollback requests"). The same JSON
 * goes to the rollback topic, the `rollbackRequests` subscription and every webhook.
 * `requestId` is deterministic per deploy, so every copy of one request — a retried webhook,
 * a re-published message after a restart — carries the same id: receivers deduplicate on it
 * (it is also the webhook's idempotency key).
 */
export const ROLLBACK_REQUEST_SCHEMA_VERSION = 1;

export const RollbackTriggerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('slo-breach'),
    slo: z.string(),
    /** Id of the BREACHED transition (slo_transitions.transition_id). */
    transitionId: z.string(),
    /** Event time of the transition, epoch ms. */
    atMs: z.number(),
    /** The page rule that fired; '' for an exhausted budget. */
    rule: z.string(),
    reason: z.string(),
  }),
  z.object({
    kind: z.literal('canary'),
    baselineVersion: z.string(),
    /** When the comparison was made (wall clock), epoch ms. */
    atMs: z.number(),
    summary: z.string(),
    /** The failed checks, with their explanations (every statistic is in the canary query's answer). */
    failedChecks: z.array(z.object({ name: z.string(), explanation: z.string() })),
  }),
]);
export type RollbackTrigger = z.infer<typeof RollbackTriggerSchema>;

export const RollbackRequestSchema = z.object({
  schemaVersion: z.literal(ROLLBACK_REQUEST_SCHEMA_VERSION),
  /** Deterministic per deploy; also the idempotency key. */
  requestId: z.string(),
  service: z.string(),
  environment: z.string(),
  /** The release to take back. */
  version: z.string(),
  deployId: z.string(),
  /** The change that served before it: what to roll back to (null when sluice knows none). */
  rollbackToVersion: z.string().nullable(),
  rollbackToDeployId: z.string().nullable(),
  reason: z.string(),
  trigger: RollbackTriggerSchema,
  /** When the release finished deploying, epoch ms. */
  deployFinishedAtMs: z.number(),
  /** End of its bake period, epoch ms. */
  bakeEndsAtMs: z.number(),
  /** When sluice decided, epoch ms (wall clock). */
  requestedAtMs: z.number(),
  /** True when sluice runs in dry-run mode: recorded, never sent. */
  dryRun: z.boolean(),
});
export type RollbackRequest = z.infer<typeof RollbackRequestSchema>;
