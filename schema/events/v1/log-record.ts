import { z } from 'zod';
import { AttributesSchema } from './attributes.ts';
import { EnvironmentSchema, EpochMsSchema, NameSchema, SpanIdSchema, TraceIdSchema, VersionSchema } from './common.ts';
import { eventContract } from './event-contract.ts';

/**
 * OpenTelemetry severity numbers (logs data model): TRACE 1–4, DEBUG 5–8, INFO 9–12,
 * WARN 13–16, ERROR 17–20, FATAL 21–24.
 * Source: https://opentelemetry.io/docs/specs/otel/logs/data-model/#field-severitynumber
 */
export const SEVERITY_RANGES = [
  { text: 'TRACE', min: 1 },
  { text: 'DEBUG', min: 5 },
  { text: 'INFO', min: 9 },
  { text: 'WARN', min: 13 },
  { text: 'ERROR', min: 17 },
  { text: 'FATAL', min: 21 },
] as const;

/** Severity number of the lowest ERROR level (17). */
export const SEVERITY_ERROR = 17;

/** Severity number for a text such as `warn`, `Error`, `FATAL2`; undefined when unknown. */
export function severityNumberOf(text: string): number | undefined {
  const match = /^(trace|debug|info|information|warn|warning|error|err|fatal|critical|crit)(\d)?$/i.exec(text.trim());
  if (!match) return undefined;
  const word = match[1]!.toLowerCase();
  const base: Record<string, number> = {
    trace: 1, debug: 5, info: 9, information: 9, warn: 13, warning: 13,
    error: 17, err: 17, fatal: 21, critical: 21, crit: 21,
  };
  const step = match[2] ? Math.min(Number(match[2]), 4) - 1 : 0;
  return base[word]! + Math.max(step, 0);
}

/** Severity text for a number 1–24 (`ERROR` for 17–20). */
export function severityTextOf(num: number): string {
  let text = 'UNSPECIFIED';
  for (const range of SEVERITY_RANGES) if (num >= range.min) text = range.text;
  return text;
}

/** Longest `body` stored, characters (64 Ki); a longer body is cut with a marker (storage-truncation.ts). */
export const LOG_BODY_MAX_CHARS = 65_536;

/**
 * sluice log record event, contract v1 (topic `sluice.logs.v1`). Give `severityNumber`,
 * `severityText` or both; the missing one is derived.
 */
export const LogRecordV1Schema = eventContract({
  service: NameSchema,
  environment: EnvironmentSchema,
  version: VersionSchema,
  /** Time of the log record, epoch ms. */
  timestampMs: EpochMsSchema,
  severityNumber: z.number().int().min(0).max(24).optional(),
  severityText: z.string().max(64).optional(),
  /** Cut past 65,536 characters. */
  body: z.string().default(''),
  traceId: TraceIdSchema.optional(),
  spanId: SpanIdSchema.optional(),
  attributes: AttributesSchema.default({}),
}, { body: LOG_BODY_MAX_CHARS }).transform((record, ctx) => {
  let severityNumber = record.severityNumber;
  if (severityNumber === undefined && record.severityText !== undefined) {
    severityNumber = severityNumberOf(record.severityText);
    if (severityNumber === undefined) {
      ctx.addIssue({ code: 'custom', path: ['severityText'], message: `unknown severity "${record.severityText}"` });
      return z.NEVER;
    }
  }
  severityNumber ??= 0;
  return { ...record, severityNumber, severityText: record.severityText ?? severityTextOf(severityNumber) };
});
export type LogRecordV1 = z.infer<typeof LogRecordV1Schema>;
