import { attributeValue } from '../../../schema/events/v1/attributes.ts';
import { LogRecordV1Schema, type LogRecordV1 } from '../../../schema/events/v1/log-record.ts';
import { contractRejection } from '../contract-rejection.ts';
import { collectAttributes, plainValue } from './otlp-attributes.ts';
import type { OtlpItemResult } from './otlp-item-result.ts';
import type { OtlpAnyValue, OtlpLogRecord } from './otlp-request.ts';
import type { OtlpOrigin } from './otlp-resource.ts';
import { nanosToEpochMs, unixNanos } from './otlp-unix-nanos.ts';

const NONE: ReadonlySet<string> = new Set();

/**
 * OTLP `SeverityNumber` (logs.proto), given as a number or its enum name. UNSPECIFIED (0)
 * is left out so that the contract derives the number from `severityText` when there is one.
 */
function severityNumber(value: number | string | undefined): number | undefined {
  if (value === undefined || value === null || value === 0 || value === '0' || value === 'SEVERITY_NUMBER_UNSPECIFIED') return undefined;
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  const match = /^SEVERITY_NUMBER_(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)([234])?$/.exec(value);
  if (!match) return Number.NaN;
  const base: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };
  return base[match[1]!]! + (match[2] ? Number(match[2]) - 1 : 0);
}

/** A log body: a string as-is, any other value (map, array, number…) as its JSON text; NaN as `NaN`. */
function bodyText(body: OtlpAnyValue | undefined): string {
  if (body === undefined || body === null || typeof body !== 'object') return '';
  if (typeof body.stringValue === 'string') return body.stringValue;
  const value = plainValue(body);
  return value === null ? '' : attributeValue(value);
}

/**
 * Maps one OTLP log record (with what it inherits from its resource and scope) to a
 * `LogRecordV1`, validated by `LogRecordV1Schema` exactly like a record sent as sluice JSON.
 * Its time is `timeUnixNano`, else `observedTimeUnixNano` (logs data model: the observed
 * time stands in when the event time is unknown).
 */
export function mapOtlpLogRecord(record: OtlpLogRecord, origin: OtlpOrigin): OtlpItemResult<LogRecordV1> {
  if (record === null || typeof record !== 'object') return { ok: false, reason: 'invalid_otlp', detail: 'log record is not an object' };
  if (origin.service === undefined) {
    return { ok: false, reason: 'invalid_otlp', detail: 'resource has no service.name attribute' };
  }
  const time = unixNanos(record.timeUnixNano) ?? unixNanos(record.observedTimeUnixNano);
  if (time === undefined) {
    return { ok: false, reason: 'invalid_otlp', detail: 'timeUnixNano and observedTimeUnixNano: both missing or zero' };
  }
  const attributes: Record<string, string> = { ...origin.attributes };
  collectAttributes(attributes, record.attributes, NONE);
  if (typeof record.eventName === 'string' && record.eventName !== '') attributes['event.name'] = record.eventName;

  const candidate = {
    service: origin.service,
    environment: origin.environment,
    version: origin.version,
    timestampMs: nanosToEpochMs(time),
    severityNumber: severityNumber(record.severityNumber),
    severityText: typeof record.severityText === 'string' && record.severityText !== '' ? record.severityText : undefined,
    body: bodyText(record.body),
    traceId: record.traceId === '' ? undefined : record.traceId,
    spanId: record.spanId === '' ? undefined : record.spanId,
    attributes,
  };
  const parsed = LogRecordV1Schema.safeParse(candidate);
  if (!parsed.success) return { ok: false, ...contractRejection(parsed.error) };
  return { ok: true, event: parsed.data };
}
