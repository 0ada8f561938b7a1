import type { Signal } from '../../../schema/events/v1/signal.ts';

/** 2026-01-15T10:00:00Z, epoch ms: the fixed clock of the decoder tests. */
export const T_MS = 1_768_471_200_000;

/** One valid event of each v1 contract, as a producer would send it (JSON object). */
export const VALID_EVENTS: Record<Signal, Record<string, unknown>> = {
  spans: { service: 'checkout', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', startTimeMs: T_MS, durationMs: 42, httpStatusCode: 200 },
  logs: { service: 'checkout', timestampMs: T_MS, severityText: 'ERROR', body: 'payment failed' },
  checks: { checkId: 'login', service: 'web', timestampMs: T_MS, success: false, durationMs: 812, failedStep: 'submit' },
  deploys: { deployId: 'd-1', service: 'checkout', version: '1.4.2', commitSha: 'abc1234', commitTimeMs: T_MS - 60_000, startedAtMs: T_MS, status: 'succeeded' },
  incidents: { incidentId: 'inc-1', service: 'checkout', severity: 'SEV2', openedAtMs: T_MS, title: 'checkout down' },
};
