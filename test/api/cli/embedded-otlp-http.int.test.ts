import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { runEmbedded } from '../../../api/cli/embedded-mode.ts';
import { parseConfig } from '../../../platform/config/sluice-config.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { availabilitySloYaml, sloDirectory } from '../../support/slo-files.ts';
import { services, uniqueName, waitFor } from '../../support/test-services.ts';

async function graphql<T>(url: string, query: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

describe('embedded mode: the OpenTelemetry JS SDK exports over OTLP/HTTP to sluice', () => {
  let app: Awaited<ReturnType<typeof runEmbedded>> | undefined;
  afterAll(async () => {
    await app?.stop();
  });

  it('counts exported spans and logs into SLIs, judged at the minute boundary after them, and stores them', async () => {
    const sloDir = sloDirectory({ 'web.yaml': availabilitySloYaml('web-availability', 'web', { minEvents: 1 }) });
    const config = parseConfig(['--port', '0', '--no-simulate', '--slo-dir', sloDir, '--clickhouse-url', services().clickhouseUrl, '--clickhouse-password', services().clickhousePassword,
      '--clickhouse-database', uniqueName('t_embedded'), '--batch-max-delay-ms', '200', '--allowed-lateness-ms', '1000', '--idle-source-ms', '1000'], {});
    app = await runEmbedded(config, silentLogger());
    const resource = resourceFromAttributes({ 'service.name': 'web', 'service.version': '7.0.0', 'deployment.environment.name': 'production' });

    const tracerProvider = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${app.url}/v1/traces` }) })] });
    const tracer = tracerProvider.getTracer('checkout-web');
    // requests that ended in the minute before the current one: an SLO is evaluated at whole-minute
    // boundaries of event time, so their minute is judged once the watermark (their source idle
    // for 1 s, minus 1 s lateness) passes the current minute's start — within seconds
    const minuteStart = Math.floor(Date.now() / 60_000) * 60_000;
    const endsAt = (i: number) => new Date(minuteStart - 60_000 + 1_000 + i * 1_000);
    for (let i = 0; i < 30; i++) {
      const span = tracer.startSpan('GET /', { kind: SpanKind.SERVER, startTime: new Date(endsAt(i).getTime() - 20), attributes: { 'http.route': '/', 'http.response.status_code': i < 3 ? 500 : 200 } });
      if (i < 3) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(endsAt(i));
    }
    await tracerProvider.forceFlush();
    const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${app.url}/v1/logs` }) })] });
    for (let i = 0; i < 10; i++) loggerProvider.getLogger('web').emit({ severityNumber: 9, severityText: 'INFO', body: `request ${i}` });
    await loggerProvider.forceFlush();

    type Slo = { slo: { status: string; evaluation: { at: number; good: number; total: number } | null } };
    const query = '{ slo(name: "web-availability") { status evaluation { at good total } } }';
    await waitFor(async () => (await graphql<Slo>(app!.url, query)).slo.evaluation?.total === 30, 30_000, 'SLI counted');
    const { slo } = await graphql<Slo>(app.url, query);
    expect(slo.evaluation).toEqual({ at: expect.any(Number), good: 27, total: 30 });
    expect(slo.evaluation!.at % 60_000).toBe(0);
    expect(slo.evaluation!.at).toBeGreaterThan(endsAt(29).getTime());
    type Health = { health: { rowsIngested: { spans: number; logs: number }; eventsAccepted: { spans: number; logs: number } } };
    const { health } = await graphql<Health>(app.url, '{ health { rowsIngested { spans logs } eventsAccepted { spans logs } } }');
    expect(health.eventsAccepted).toEqual({ spans: 30, logs: 10 });
    expect(health.rowsIngested).toEqual({ spans: 30, logs: 10 });
    await tracerProvider.shutdown();
    await loggerProvider.shutdown();
  });
});
