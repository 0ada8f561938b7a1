import type { ClickHouseClient } from '@clickhouse/client';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { SqlQuery } from './analytics-queries.ts';
import { apiError } from './api-error.ts';

/**
 * A read of storage at the API's edge: a failure (ClickHouse unreachable, a timeout) is
 * answered UNAVAILABLE with its cause — the caller may retry — instead of being masked as
 * an unexpected error.
 */
export async function storageRead<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw apiError('UNAVAILABLE', `${what} could not be read: ${errorMessage(err)}`);
  }
}

/** The rows of a `{sql, params}` query (JSONEachRow), or UNAVAILABLE. */
export function readRows<T>(client: ClickHouseClient, q: SqlQuery): Promise<T[]> {
  return storageRead('ClickHouse', async () => (await client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' })).json<T>());
}
