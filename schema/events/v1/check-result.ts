import { z } from 'zod';
import { AttributesSchema } from './attributes.ts';
import { DurationMsSchema, EnvironmentSchema, EpochMsSchema, NameSchema, VersionSchema } from './common.ts';
import { eventContract } from './event-contract.ts';

/** Longest `failedStep` stored, characters; a longer one is cut with a marker (storage-truncation.ts). */
export const FAILED_STEP_MAX_CHARS = 256;

/**
 * Synthetic check result, contract v1 (topic `sluice.checks.v1`): one run of a scripted
 * probe (`checkId`) that exercises a user `journey` from a `location`.
 */
export const CheckResultV1Schema = eventContract({
  checkId: NameSchema,
  service: NameSchema,
  environment: EnvironmentSchema,
  version: VersionSchema,
  journey: z.string().max(256).default(''),
  location: z.string().max(256).default(''),
  /** When the run finished, epoch ms. */
  timestampMs: EpochMsSchema,
  success: z.boolean(),
  /** Run duration in ms. */
  durationMs: DurationMsSchema,
  /** Name of the step that failed, when `success` is false; cut past 256 characters. */
  failedStep: z.string().optional(),
  attributes: AttributesSchema.default({}),
}, { failedStep: FAILED_STEP_MAX_CHARS });
export type CheckResultV1 = z.infer<typeof CheckResultV1Schema>;
