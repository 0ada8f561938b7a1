import { z } from 'zod';
import { AttributesSchema, keepUnknownFieldsAsAttributes } from './attributes.ts';
import { DurationMsSchema, EnvironmentSchema, EpochMsSchema, NameSchema, VersionSchema } from './common.ts';

/**
 * Synthetic check result, contract v1 (topic `sluice.checks.v1`): one run of a scripted
 * probe (`checkId`) that exercises a user `journey` from a `location`.
 */
export const CheckResultV1Schema = keepUnknownFieldsAsAttributes({
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
  /** Name of the step that failed, when `success` is false. */
  failedStep: z.string().max(256).optional(),
  attributes: AttributesSchema.default({}),
});
export type CheckResultV1 = z.infer<typeof CheckResultV1Schema>;
