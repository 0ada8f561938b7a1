import { z } from 'zod';
import { AttributesSchema } from './attributes.ts';
import { EnvironmentSchema, EpochMsSchema, NameSchema } from './common.ts';
import { eventContract } from './event-contract.ts';

export const DeployStatusSchema = z.enum(['succeeded', 'failed', 'rolled_back']);
export const DeployStrategySchema = z.enum(['rolling', 'canary', 'blue-green']);

/**
 * Deploy event, contract v1 (topic `sluice.deploys.v1`): a release (service + version)
 * reaching an environment. Feeds DORA metrics (lead time from `commitTimeMs`, change
 * failure rate from `status` and linked incidents) and release gates.
 */
export const DeployV1Schema = eventContract({
  deployId: NameSchema,
  service: NameSchema,
  environment: EnvironmentSchema,
  version: NameSchema,
  team: z.string().max(256).optional(),
  commitSha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be 7–64 hex characters'),
  /** Commit time of the newest change in the release, epoch ms. */
  commitTimeMs: EpochMsSchema,
  startedAtMs: EpochMsSchema,
  finishedAtMs: EpochMsSchema.optional(),
  status: DeployStatusSchema,
  strategy: DeployStrategySchema.default('rolling'),
  /** Emergency release: bypassed the normal gate (recorded and audited). */
  emergency: z.boolean().default(false),
  changeTicket: z.string().max(256).optional(),
  attributes: AttributesSchema.default({}),
}, {}).refine((d) => d.finishedAtMs === undefined || d.finishedAtMs >= d.startedAtMs, {
  path: ['finishedAtMs'],
  message: 'must not be before startedAtMs',
});
export type DeployV1 = z.infer<typeof DeployV1Schema>;
