import { z } from 'zod';

/** Epoch milliseconds (UTC), an integer within years 2000–2200. */
export const EpochMsSchema = z
  .number()
  .int()
  .min(946_684_800_000, 'must be epoch milliseconds after 2000-01-01')
  .max(7_258_118_400_000, 'must be epoch milliseconds before 2200-01-01');

/** Names of services, environments, versions: non-empty, at most 256 characters. */
export const NameSchema = z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/** Version label; producers that do not know it send nothing and get `unknown`. */
export const VersionSchema = NameSchema.default('unknown');

/** Environment label; `production` unless the producer says otherwise. */
export const EnvironmentSchema = NameSchema.default('production');

/** W3C trace id: 32 lower-case hex characters (upper case is accepted and lowered). */
export const TraceIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters')
  .transform((s) => s.toLowerCase());

/** W3C span id: 16 hex characters. */
export const SpanIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{16}$/, 'must be 16 hex characters')
  .transform((s) => s.toLowerCase());

/** A duration in milliseconds, finite and ≥ 0. */
export const DurationMsSchema = z.number().finite().nonnegative();
