import type { z } from 'zod';
import { CheckResultV1Schema, type CheckResultV1 } from './check-result.ts';
import { DeployV1Schema, type DeployV1 } from './deploy.ts';
import { IncidentV1Schema, type IncidentV1 } from './incident.ts';
import { LogRecordV1Schema, type LogRecordV1 } from './log-record.ts';
import { SpanV1Schema, type SpanV1 } from './span.ts';

/** The five kinds of event sluice ingests. */
export const SIGNALS = ['spans', 'logs', 'checks', 'deploys', 'incidents'] as const;
export type Signal = (typeof SIGNALS)[number];

/** Event type of each signal. */
export interface SignalEvents {
  spans: SpanV1;
  logs: LogRecordV1;
  checks: CheckResultV1;
  deploys: DeployV1;
  incidents: IncidentV1;
}

/** A validated event tagged with its signal. */
export type SluiceEvent = { [S in Signal]: { signal: S; event: SignalEvents[S] } }[Signal];

/** The v1 contract (zod schema) of each signal: the single source of its type. */
export const SIGNAL_SCHEMAS: { [S in Signal]: z.ZodType<SignalEvents[S]> } = {
  spans: SpanV1Schema,
  logs: LogRecordV1Schema,
  checks: CheckResultV1Schema,
  deploys: DeployV1Schema,
  incidents: IncidentV1Schema,
};

/** Default Kafka topic of each signal's JSON contract. */
export const DEFAULT_TOPICS: Record<Signal, string> = {
  spans: 'sluice.spans.v1',
  logs: 'sluice.logs.v1',
  checks: 'sluice.checks.v1',
  deploys: 'sluice.deploys.v1',
  incidents: 'sluice.incidents.v1',
};

export function isSignal(value: string): value is Signal {
  return (SIGNALS as readonly string[]).includes(value);
}
