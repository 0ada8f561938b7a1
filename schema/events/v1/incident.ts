import { z } from 'zod';
import { AttributesSchema } from './attributes.ts';
import { EnvironmentSchema, EpochMsSchema, NameSchema } from './common.ts';
import { eventContract } from './event-contract.ts';

/** Longest `title` stored, characters; a longer one is cut with a marker (storage-truncation.ts). */
export const INCIDENT_TITLE_MAX_CHARS = 1_024;

/** SEV1 is the most severe. */
export const IncidentSeveritySchema = z.enum(['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5']);

/**
 * Incident event, contract v1 (topic `sluice.incidents.v1`). Sent when opened and again
 * when resolved (same `incidentId`; the latest state wins). `linkedDeployId` ties a
 * failure to the deploy that caused it (change failure rate, MTTR).
 */
export const IncidentV1Schema = eventContract({
  incidentId: NameSchema,
  service: NameSchema,
  environment: EnvironmentSchema,
  /** Cut past 1,024 characters. */
  title: z.string().default(''),
  severity: IncidentSeveritySchema,
  openedAtMs: EpochMsSchema,
  resolvedAtMs: EpochMsSchema.optional(),
  linkedDeployId: z.string().max(256).optional(),
  attributes: AttributesSchema.default({}),
}, { title: INCIDENT_TITLE_MAX_CHARS }).refine((i) => i.resolvedAtMs === undefined || i.resolvedAtMs >= i.openedAtMs, {
  path: ['resolvedAtMs'],
  message: 'must not be before openedAtMs',
});
export type IncidentV1 = z.infer<typeof IncidentV1Schema>;
