import { createClient } from 'graphql-ws';
import { afterAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../../api/cli/embedded-mode.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { spanJson } from '../../support/span-fixtures.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { services, uniqueName, waitFor } from '../../support/test-services.ts';

describe('embedded mode: live SLO transitions over graphql-ws', () => {
  let app: Awaited<ReturnType<typeof runEmbedded>> | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('pushes OK then BREACHED to a subscriber as NDJSON spans arrive and their minutes close, and answers a bad argument with a code', async () => {
    const sloDir = sloDirectory({ 'api.yaml': availabilitySloYaml('api-availability', 'api', { minEvents: 100 }) });
    const config = parseConfig(['--port', '0', '--no-simulate', '--slo-dir', sloDir, '--clickhouse-url', services().clickhouseUrl, '--clickhouse-password', services().clickhousePassword,
      '--clickhouse-database', uniqueName('t_subs'), '--batch-max-delay-ms', '100', '--allowed-lateness-ms', '1000', '--idle-source-ms', '1000'], {});
    app = await runEmbedded(config, silentLogger());
    const client = createClient({ url: `${app.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    const received: { from: string; to: string; rule: string | null; basis: string; at: number }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe<{ sloTransitions: { from: string; to: string; rule: string | null; basis: string; at: number } }>(
        { query: 'subscription { sloTransitions(slo: "api-availability") { from to rule basis at reason details } }' },
        { next: (msg) => void received.push(msg.data!.sloTransitions), error: reject, complete: resolve },
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    const post = (lines: object[]) => fetch(`${app!.url}/ingest/spans`, { method: 'POST', body: lines.map((l) => JSON.stringify(l)).join('\n') });
    const now = Date.now();
    expect((await post(Array.from({ length: 500 }, (_, i) => spanJson(i, { service: 'api', startTimeMs: now - 9 * 60_000 + i * 1_000 })))).status).toBe(200);
    await waitFor(() => received.some((t) => t.to === 'OK'), 20_000, 'OK pushed');
    const errorsFrom = now - 60_000;
    await post(Array.from({ length: 100 }, (_, i) => spanJson(1_000 + i, { service: 'api', error: true, startTimeMs: errorsFrom + i * 100 })));
    // judged at the first minute boundary after the failures, once the watermark passes it (≤ 1 min)
    await waitFor(() => received.some((t) => t.to === 'BREACHED'), 75_000, 'BREACHED pushed');
    expect(received.map((t) => [t.to, t.basis])).toEqual([['OK', 'event-time'], ['BREACHED', 'event-time']]);
    expect(received[1]!.rule).toMatch(/^page-/);
    expect(received[1]!.at % 60_000).toBe(0);
    expect(received[1]!.at).toBeGreaterThan(errorsFrom);

    const bad = await fetch(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ sloTransitions(limit: 5000) { id } }' }) });
    const body = (await bad.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    await client.dispose();
    await done.catch(() => undefined);
  });
});
