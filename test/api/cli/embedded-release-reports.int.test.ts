import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../../api/cli/embedded-mode.ts';
import { connectClickHouse } from '../../../platform/clickhouse/clickhouse-connection.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { services, uniqueName, waitFor } from '../../support/test-services.ts';

async function graphql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/**
 * `sluice start` (embedded mode): CI's deploy reports go through the ingest pipeline (source
 * api/deploys) and are durable when the mutation answers; health.ingest shows this process's
 * rates and the api/deploys source.
 */
describe('embedded mode: deploy reports through the pipeline, ingest health', () => {
  let app: Awaited<ReturnType<typeof runEmbedded>>;
  let client: ClickHouseClient;
  beforeAll(async () => {
    const database = uniqueName('t_reports');
    const config = parseConfig(['--port', '0', '--no-simulate', '--slo-dir', sloDirectory({ 'api.yaml': availabilitySloYaml('api-availability', 'api') }),
      '--clickhouse-url', services().clickhouseUrl, '--clickhouse-password', services().clickhousePassword, '--clickhouse-database', database, '--batch-max-delay-ms', '100'], {});
    app = await runEmbedded(config, silentLogger());
    client = await connectClickHouse({ url: services().clickhouseUrl, password: services().clickhousePassword, username: services().clickhouseUser, database });
  });
  afterAll(async () => {
    await client?.close();
    await app?.stop();
  });

  it('stores a started deploy before answering, then the finished one replaces it', async () => {
    const now = Date.now();
    const deploy = { deployId: 'd-7', service: 'api', environment: 'staging', version: '3.1.0', team: 'platform', commitSha: '0123abcd', commitTimeMs: now - 7_200_000, startedAtMs: now - 300_000 };
    const started = await graphql<{ reportDeployStarted: Record<string, unknown> }>(app.url, 'mutation($input: DeployStartedInput!) { reportDeployStarted(input: $input) { deployId environment phase status destination } }', { input: deploy });
    expect(started).toEqual({ data: { reportDeployStarted: { deployId: 'd-7', environment: 'staging', phase: 'started', status: null, destination: 'clickhouse' } } });
    const row = async () => (await (await client.query({ query: "SELECT status, finished_at, team, source FROM deploys FINAL WHERE deploy_id = 'd-7'", format: 'JSONEachRow' })).json<{ status: string; finished_at: string | null; team: string; source: string }>())[0];
    // durable when the mutation answered: no waiting
    expect(await row()).toEqual({ status: 'succeeded', finished_at: null, team: 'platform', source: 'api/deploys' });
    const finished = await graphql(app.url, 'mutation($input: DeployFinishedInput!) { reportDeployFinished(input: $input) { status finishedAt } }', { input: { ...deploy, status: 'succeeded', finishedAtMs: now - 60_000 } });
    expect(finished).toEqual({ data: { reportDeployFinished: { status: 'succeeded', finishedAt: now - 60_000 } } });
    expect((await row())!.finished_at).not.toBeNull();
    const bad = await graphql(app.url, 'mutation($input: DeployStartedInput!) { reportDeployStarted(input: $input) { phase } }', { input: { ...deploy, commitSha: 'zzz' } });
    expect(bad.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'input.commitSha' });
  });

  it('health.ingest: this process’s rates, the api/deploys and http/spans sources, dead letters by signal and reason', async () => {
    const now = Date.now();
    const body = [...Array.from({ length: 50 }, (_, i) => JSON.stringify(spanJson(i, { service: 'api', startTimeMs: now - 30_000 + i }))), '{"service":"api"}'].join('\n');
    expect((await fetch(`${app.url}/ingest/spans`, { method: 'POST', body })).status).toBe(200);
    type H = { health: { ingest: { rates: { windowMs: number; accepted: { spans: number; deploys: number } }; sources: { source: string; signal: string; durableThrough: number }[]; deadLetters: { signal: string; reason: string; count: number }[] } } };
    await waitFor(async () => ((await graphql<H>(app.url, '{ health { ingest { sources { source } } } }')).data?.health.ingest.sources.some((s) => s.source === 'http/spans')) ?? false, 10_000, 'http/spans durable');
    const { data } = await graphql<H>(app.url, '{ health { ingest { rates { windowMs accepted { spans deploys } } sources { source signal durableThrough } deadLetters { signal reason count } } } }');
    expect(data!.health.ingest.rates.accepted.spans).toBeGreaterThan(0);
    expect(data!.health.ingest.rates.accepted.deploys).toBeGreaterThan(0);
    expect(data!.health.ingest.sources.map((s) => [s.source, s.signal])).toEqual(expect.arrayContaining([['api/deploys', 'deploys'], ['http/spans', 'spans']]));
    expect(data!.health.ingest.deadLetters).toEqual([{ signal: 'spans', reason: 'schema_violation', count: 1 }]);
  });
});
