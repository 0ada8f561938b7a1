import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DecodedItem } from '../../../ingest/decode/decoder.ts';
import { createAlertWebhookHandler, type AlertContext } from '../../../ingest/http/alert-webhook-handler.ts';
import { tagsOf } from '../../../ingest/http/datadog-alerts.ts';
import { SluiceError } from '../../../platform/errors/sluice-error.ts';
import type { IncidentV1 } from '../../../schema/events/v1/incident.ts';
import { alertmanagerPayload, datadogPayload } from './alert-payloads.ts';

const OPENED = '2025-03-10T11:45:00.000Z';
const OPENED_MS = Date.parse(OPENED);
let server: Server;
let url: string;
let submitted: { source: string; items: DecodedItem[] }[] = [];
let failWith: Error | undefined;
let opened: Map<string, number>;
const context: AlertContext = {
  // deploy d-42 of checkout has served production since 11:00
  servingDeployId: async (service, environment, atMs) => (service === 'checkout' && environment === 'production' && atMs >= Date.parse('2025-03-10T11:00:00Z') ? 'd-42' : undefined),
  incidentOpenedAt: async (id) => opened.get(id),
};

beforeAll(async () => {
  const handler = createAlertWebhookHandler({
    maxBodyBytes: 64 * 1024,
    context,
    submit: async (source, items) => {
      if (failWith) throw failWith;
      submitted.push({ source, items });
    },
  });
  server = createServer((req, res) => void handler(req, res, new URL(req.url ?? '/', 'http://x')).then((handled) => {
    if (!handled) res.writeHead(404).end();
  }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  submitted = [];
  failWith = undefined;
  opened = new Map();
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const incidents = () => submitted.flatMap((s) => s.items).filter((i): i is Extract<DecodedItem, { ok: true }> => i.ok).map((i) => i.value.event as IncidentV1);
const deadLetters = () => submitted.flatMap((s) => s.items).filter((i): i is Extract<DecodedItem, { ok: false }> => !i.ok);

describe('POST /alerts/alertmanager (webhook payload version 4)', () => {
  it('a firing alert opens an incident linked to the deploy serving then', async () => {
    const res = await post('/alerts/alertmanager', alertmanagerPayload({ status: 'firing', startsAt: OPENED }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, incidents: [{ incidentId: `alertmanager:c2a5b0e58b7d2f61:${OPENED_MS}`, state: 'open', linkedDeployId: 'd-42' }], rejected: [] });
    expect(incidents()).toEqual([expect.objectContaining({
      incidentId: `alertmanager:c2a5b0e58b7d2f61:${OPENED_MS}`, service: 'checkout', environment: 'production', severity: 'SEV1',
      title: 'checkout 5xx ratio above 5 %', openedAtMs: OPENED_MS, linkedDeployId: 'd-42',
    })]);
    expect(incidents()[0]!.resolvedAtMs).toBeUndefined();
    expect(incidents()[0]!.attributes).toMatchObject({ 'sluice.source': 'alertmanager', 'sluice.link': 'serving', 'alertmanager.alertname': 'HighErrorRate', 'alertmanager.receiver': 'sluice' });
    expect(submitted[0]!.source).toBe('alertmanager');
  });

  it('the resolved notification resolves the same incident', async () => {
    await post('/alerts/alertmanager', alertmanagerPayload({ status: 'resolved', startsAt: OPENED, endsAt: '2025-03-10T12:05:00.000Z' }));
    expect(incidents()).toEqual([expect.objectContaining({ incidentId: `alertmanager:c2a5b0e58b7d2f61:${OPENED_MS}`, openedAtMs: OPENED_MS, resolvedAtMs: Date.parse('2025-03-10T12:05:00Z'), linkedDeployId: 'd-42' })]);
  });

  it('an alert before any deploy served is an incident without a link', async () => {
    await post('/alerts/alertmanager', alertmanagerPayload({ status: 'firing', startsAt: '2025-03-10T10:00:00Z' }));
    expect(incidents()[0]!.linkedDeployId).toBeUndefined();
    expect(incidents()[0]!.attributes['sluice.link']).toBeUndefined();
  });

  it.each([
    { name: 'not JSON', body: '{"version": "4", "alerts": [', status: 400, reason: 'invalid_json' },
    { name: 'another payload version', body: { ...alertmanagerPayload({ status: 'firing', startsAt: OPENED }), version: '3' }, status: 400, reason: 'schema_violation', detail: /version: expected "4"/ },
    { name: 'an array', body: [], status: 400, reason: 'not_an_object' },
  ])('a payload that is $name is refused with 400 and the reason, and dead-lettered whole', async ({ body, status, reason, detail }) => {
    const res = await post('/alerts/alertmanager', body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ reason });
    if (detail) expect(String(res.body.error)).toMatch(detail);
    expect(deadLetters()).toEqual([expect.objectContaining({ signal: 'incidents', reason })]);
    expect(Buffer.from(deadLetters()[0]!.raw).toString()).toBe(typeof body === 'string' ? body : JSON.stringify(body));
  });

  it('an alert without a service is dead-lettered alone; its neighbour goes on', async () => {
    const payload = alertmanagerPayload({ status: 'firing', startsAt: OPENED });
    const noService = { ...payload.alerts[0]!, labels: { alertname: 'DiskFull' }, fingerprint: 'aaaa' };
    const res = await post('/alerts/alertmanager', { ...payload, commonLabels: {}, alerts: [noService, payload.alerts[0]] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: [{ alert: 0, reason: 'schema_violation' }] });
    expect(String((res.body.rejected as { detail: string }[])[0]!.detail)).toMatch(/alerts\[0\]: labels: no service \(set one of service, service_name, app, job\)/);
    expect(incidents()).toHaveLength(1);
    expect(JSON.parse(Buffer.from(deadLetters()[0]!.raw).toString())).toEqual(noService);
  });

  it('while storage fails, refuses with 503 and Retry-After (Alertmanager retries)', async () => {
    failWith = new SluiceError('INGEST_BACKPRESSURE', 'too much waiting', { retriable: true });
    const res = await fetch(`${url}/alerts/alertmanager`, { method: 'POST', body: JSON.stringify(alertmanagerPayload({ status: 'firing', startsAt: OPENED })) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});

describe('POST /alerts/datadog (Webhooks integration)', () => {
  const at = Date.parse('2025-03-10T11:50:00Z');

  it('Triggered opens an incident (P1 → SEV1), linked to the deploy serving then', async () => {
    const res = await post('/alerts/datadog', datadogPayload({ transition: 'Triggered', dateMs: at }));
    expect(res.status).toBe(200);
    expect(incidents()).toEqual([expect.objectContaining({
      incidentId: 'datadog:1234:7242911547958272734', service: 'checkout', environment: 'production', severity: 'SEV1',
      title: 'checkout error rate is high', openedAtMs: at, linkedDeployId: 'd-42',
    })]);
    expect(incidents()[0]!.attributes).toMatchObject({ 'sluice.source': 'datadog', 'datadog.alert_id': '1234', 'datadog.transition': 'Triggered' });
  });

  it('Recovered resolves it, keeping the time it opened', async () => {
    opened.set('datadog:1234:7242911547958272734', at);
    await post('/alerts/datadog', datadogPayload({ transition: 'Recovered', dateMs: at + 600_000 }));
    expect(incidents()).toEqual([expect.objectContaining({ incidentId: 'datadog:1234:7242911547958272734', openedAtMs: at, resolvedAtMs: at + 600_000 })]);
  });

  it('a recovery of an alert sluice never saw opens and resolves at once, and says so', async () => {
    await post('/alerts/datadog', datadogPayload({ transition: 'Recovered', dateMs: at }));
    expect(incidents()[0]).toMatchObject({ openedAtMs: at, resolvedAtMs: at });
    expect(incidents()[0]!.attributes['sluice.opened_at']).toMatch(/unknown/);
  });

  it('reads the transition from the title of the default payload', async () => {
    const { alert_transition: _t, ...payload } = datadogPayload({ transition: 'Triggered', dateMs: at, title: '[P1] [Triggered on {service:checkout}] checkout error rate is high' });
    const res = await post('/alerts/datadog', payload);
    expect(res.body).toMatchObject({ accepted: 1, incidents: [{ state: 'open' }] });
  });

  it('a warning or "no data" is not an incident: answered as ignored, nothing written', async () => {
    const res = await post('/alerts/datadog', datadogPayload({ transition: 'No Data', dateMs: at }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 0, ignored: [{ alert: 0 }] });
    expect(submitted).toEqual([]);
  });

  it('a monitor without a service tag is refused with 400 and dead-lettered', async () => {
    const res = await post('/alerts/datadog', { ...datadogPayload({ transition: 'Triggered', dateMs: at, scope: 'host:web-1' }), tags: 'role:web' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ reason: 'schema_violation' });
    expect(String(res.body.error)).toMatch(/service:<name> tag/);
    expect(deadLetters()).toHaveLength(1);
  });

  it('reads key:value tags, first value first', () => {
    expect(tagsOf('env:production, service:checkout,service:other,bare')).toEqual({ env: 'production', service: 'checkout' });
  });
});
