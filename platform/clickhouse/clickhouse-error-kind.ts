import { ClickHouseError } from '@clickhouse/client';
import { SluiceError } from '../errors/sluice-error.ts';

/**
 * ClickHouse errors worth retrying: the server is busy, restarting, overloaded or out of
 * memory for now (names from ClickHouse's src/Common/ErrorCodes.cpp). A statement
 * ClickHouse refuses for what it says (syntax, unknown table, a parameter that does not
 * parse) fails the same way every time: retrying it only hides a bug.
 */
const TRANSIENT = new Set([
  'TOO_MANY_PARTS', 'TOO_MANY_SIMULTANEOUS_QUERIES', 'TIMEOUT_EXCEEDED', 'MEMORY_LIMIT_EXCEEDED', 'SOCKET_TIMEOUT',
  'NETWORK_ERROR', 'ALL_CONNECTION_TRIES_FAILED', 'CANNOT_SCHEDULE_TASK', 'ABORTED', 'QUERY_WAS_CANCELLED',
  'TABLE_IS_READ_ONLY', 'KEEPER_EXCEPTION', 'UNEXPECTED_ZOOKEEPER_ERROR', 'NO_ZOOKEEPER', 'ALL_REPLICAS_ARE_STALE',
  'TOO_MANY_QUERIES', 'CANNOT_ALLOCATE_MEMORY', 'SERVER_OVERLOADED',
]);

/**
 * True when retrying may help: a transient ClickHouse error, a connection-level failure
 * (refused, reset, timed out: no ClickHouseError at all), or a SluiceError marked retriable.
 */
export function isTransientStoreError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof ClickHouseError) return TRANSIENT.has(e.type ?? '');
    if (e instanceof SluiceError && e.cause === undefined) return e.retriable;
  }
  return true; // no ClickHouse answer at all: the connection failed
}
