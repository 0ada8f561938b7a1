import type { DeadLetterReason } from '../decode/decoder.ts';

/**
 * What an inbound alert (Prometheus Alertmanager, Datadog) becomes: an incident to open or
 * resolve, an alert sluice does not turn into an incident (a Datadog warning, "no data"),
 * or a rejection with the dead-letter reason. The mappers (alertmanager-alerts.ts,
 * datadog-alerts.ts) are pure; alert-webhook-handler.ts links the serving deploy, validates
 * the result against the incident contract and submits it.
 */
export interface AlertIncident {
  kind: 'incident';
  /** Position of the alert in the payload (0 for a single-alert payload). */
  index: number;
  incidentId: string;
  service: string;
  environment: string;
  title: string;
  severity: 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4' | 'SEV5';
  openedAtMs: number;
  /** Set when the alert is resolved. */
  resolvedAtMs?: number | undefined;
  /** Datadog recoveries: the opening time is looked up from the incident opened before (undefined: not in the payload). */
  openedAtKnown: boolean;
  attributes: Record<string, string>;
  /** The alert's own JSON bytes (for the dead letter, should the incident contract refuse it). */
  raw: Uint8Array;
}

export interface AlertIgnored {
  kind: 'ignored';
  index: number;
  why: string;
}

export interface AlertRejected {
  kind: 'rejected';
  index: number;
  reason: DeadLetterReason;
  detail: string;
  raw: Uint8Array;
}

export type AlertOutcome = AlertIncident | AlertIgnored | AlertRejected;

/** A payload that cannot be read at all (400, one dead letter with the whole body). */
export interface PayloadRejection {
  reason: DeadLetterReason;
  detail: string;
}

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5'] as const;
type Severity = AlertIncident['severity'];

/** Words alerting tools use for severity, to sluice's SEV1 (worst) … SEV5; `SEV1`–`SEV5` and `P1`–`P5` map directly. */
const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'SEV1', fatal: 'SEV1', emergency: 'SEV1',
  page: 'SEV2', high: 'SEV2', error: 'SEV2', major: 'SEV2',
  warning: 'SEV3', warn: 'SEV3', medium: 'SEV3',
  minor: 'SEV4', low: 'SEV4',
  info: 'SEV5', informational: 'SEV5', none: 'SEV5',
};

/** The severity a label value names, or undefined. */
export function severityOf(value: string | undefined): Severity | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  const numbered = /^(?:sev|p)([1-5])$/.exec(v);
  if (numbered) return `SEV${numbered[1]}` as Severity;
  return SEVERITY_WORDS[v];
}

/** Epoch ms of an RFC 3339 time; undefined for anything else (and for Go's zero time, 0001-01-01). */
export function rfc3339Ms(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) || ms <= 0 ? undefined : ms;
}

/** An object's string-valued entries (labels, annotations); other values are dropped. */
export function stringEntries(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function utf8(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
}
