import { randomBytes } from 'node:crypto';

/** A valid sluice span (contract v1) for service `service`, at `startTimeMs`. */
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
    startTimeMs: opts.startTimeMs ?? 1_764_000_000_000 + i,
    durationMs: 5 + (i % 200),
    status: opts.error ? 'error' : 'ok',
    httpStatusCode: opts.error ? 503 : 200,
    seq: i,
  };
}
