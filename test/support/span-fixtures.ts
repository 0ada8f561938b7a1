import { randomBytes } from 'node:crypto';

/** A fixed base time for test events: the start of the current hour, within raw-row retention. */
export const BASE_TIME_MS = Math.floor(Date.now() / 3_600_000) * 3_600_000;

/** A valid sluice span (contract v1) for service `service`, at `startTimeMs` (default BASE_TIME_MS + i ms). */
export function spanJson(i: number, opts: { service?: string; startTimeMs?: number; error?: boolean; version?: string } = {}): Record<string, unknown> {
  return {
    service: opts.service ?? `svc-${i % 5}`,
    environment: 'production',
    version: opts.version ?? '1.0.0',
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    operation: 'GET /orders/{id}',
    route: '/orders/{id}',
    kind: 'server',
    startTimeMs: opts.startTimeMs ?? BASE_TIME_MS + i,
    durationMs: 5 + (i % 200),
    status: opts.error ? 'error' : 'ok',
    httpStatusCode: opts.error ? 503 : 200,
    seq: i,
  };
}
