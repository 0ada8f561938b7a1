import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { resolveHealth } from '../../../api/graphql/health-resolver.ts';
import { IngestMetrics } from '../../../ingest/pipeline/ingest-metrics.ts';

const unreachable = { ping: async () => ({ success: false, error: new Error('connect ECONNREFUSED 127.0.0.1:8124') }) } as unknown as ClickHouseClient;

describe('health', () => {
  it('never reports a count it could not read: an unreadable store is an UNAVAILABLE error in the answer, not 0 rows', async () => {
    const metrics = new IngestMetrics();
    metrics.accepted.spans = 7;
    const health = await resolveHealth({
      version: 'test', mode: 'embedded', clickhouse: unreachable, clickhouseMode: 'embedded', clickhouseUrl: 'http://127.0.0.1:8124',
      database: 'sluice', kafkaBrokers: [], metrics, simulator: false, startedAtMs: 0,
    });
    expect(health.clickhouse).toMatchObject({ reachable: false, error: 'connect ECONNREFUSED 127.0.0.1:8124' });
    expect(() => health.rowsIngested()).toThrow(expect.objectContaining({ extensions: { code: 'UNAVAILABLE' } }));
    expect(() => health.deadLettered()).toThrow(/ClickHouse could not be read: connect ECONNREFUSED/);
    // what this process knows without the store is still answered
    expect(health.eventsAccepted).toMatchObject({ spans: 7 });
  });
});
