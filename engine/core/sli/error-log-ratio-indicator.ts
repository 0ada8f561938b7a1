import { z } from 'zod';
import type { LogRecordV1 } from '../../../schema/events/v1/log-record.ts';
import { SEVERITY_ERROR } from '../../../schema/events/v1/log-record.ts';
import type { IndicatorStrategy } from './indicator-strategy.ts';

/**
 * Restricts which log records count: the value of `field` (`body` or
 * `attributes.<name>`) must equal or contain a text. Exactly one of equals / contains.
 */
export const LogMatchSchema = z
  .strictObject({
    field: z.string().regex(/^(body|attributes\..+)$/, 'must be "body" or "attributes.<name>"'),
    equals: z.string().optional(),
    contains: z.string().min(1).optional(),
  })
  .refine((m) => (m.equals === undefined) !== (m.contains === undefined), {
    message: 'give exactly one of equals or contains',
  });
export type LogMatch = z.infer<typeof LogMatchSchema>;

/**
 * `errorLogRatio`: the share of a service's log records that are not errors.
 * Bad = severityNumber >= minBadSeverity (default 17, OpenTelemetry's ERROR).
 * In scope = service and environment match, and `match` (when given) holds.
 */
export const ErrorLogRatioIndicatorSchema = z.strictObject({
  kind: z.literal('errorLogRatio'),
  /** Lowest OpenTelemetry severity number (1–24) that makes a record bad; default 17 (ERROR). */
  minBadSeverity: z.number().int().min(1).max(24).default(SEVERITY_ERROR),
  match: LogMatchSchema.optional(),
});
export type ErrorLogRatioIndicator = z.infer<typeof ErrorLogRatioIndicatorSchema>;

function fieldValue(log: LogRecordV1, field: string): string | undefined {
  return field === 'body' ? log.body : log.attributes[field.slice('attributes.'.length)];
}

/** True when the record satisfies the match (or there is none). */
export function logMatches(match: LogMatch | undefined, log: LogRecordV1): boolean {
  if (match === undefined) return true;
  const value = fieldValue(log, match.field);
  if (value === undefined) return false;
  return match.equals !== undefined ? value === match.equals : value.includes(match.contains ?? '');
}

export const ERROR_LOG_RATIO_INDICATOR: IndicatorStrategy<ErrorLogRatioIndicator, 'logs'> = {
  kind: 'errorLogRatio',
  signal: 'logs',
  schema: ErrorLogRatioIndicatorSchema,
  inScope: (spec, scope, log) =>
    log.service === scope.service && log.environment === scope.environment && logMatches(spec.match, log),
  isGood: (spec, log) => log.severityNumber < spec.minBadSeverity,
  describe: (spec) =>
    `log records${spec.match ? ` whose ${spec.match.field} ${spec.match.equals !== undefined ? `equals "${spec.match.equals}"` : `contains "${spec.match.contains}"`}` : ''} below severity ${spec.minBadSeverity}`,
};
