import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, statusOfBodyError } from '../../platform/http/read-body.ts';
import { errorMessage, isRetriable, SluiceError } from '../../platform/errors/sluice-error.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import { JsonEventDecoder } from '../decode/json-event-decoder.ts';
import { decodeUtf8 } from '../decode/strict-utf8.ts';
import type { AlertIncident, AlertOutcome, PayloadRejection } from './alert-incident.ts';
import { alertmanagerAlerts } from './alertmanager-alerts.ts';
import { datadogAlerts } from './datadog-alerts.ts';

/** What the alert doors ask storage (engine/adapters/alert-context.ts reads ClickHouse). */
export interface AlertContext {
  /** The change deploy serving the service in the environment at `atMs` (engine/core/dora/serving-timeline.ts), if any. */
  servingDeployId(service: string, environment: string, atMs: number): Promise<string | undefined>;
  /** When sluice recorded the incident as opened, if it has it. */
  incidentOpenedAt(incidentId: string): Promise<number | undefined>;
}

export interface AlertWebhookDeps {
  /** Takes the decoded incidents and dead letters of one request and resolves once they are durable (ingest pipeline, `wait: true`). */
  submit(source: AlertSource, items: DecodedItem[]): Promise<void>;
  context: AlertContext;
  /** Largest body, bytes (larger → 413). */
  maxBodyBytes: number;
  /** Counts a whole request refused before any alert was read, by reason. */
  onRejectedRequest?: (reason: string) => void;
}

export const ALERT_SOURCES = { alertmanager: alertmanagerAlerts, datadog: datadogAlerts } as const;
export type AlertSource = keyof typeof ALERT_SOURCES;

/** Paths of the doors: `/alerts/alertmanager`, `/alerts/datadog`. */
export const ALERT_PATH = /^\/alerts\/(alertmanager|datadog)\/?$/;

/**
 * The inbound-alert doors (docs/releases.md "Inbound alerts"): `POST /alerts/alertmanager`
 * (Prometheus Alertmanager's webhook, payload version 4) and `POST /alerts/datadog`
 * (Datadog's Webhooks integration). Each alert becomes an incident of the v1 contract —
 * opened when it fires, resolved when it resolves — linked to the deploy serving the service
 * when it opened (attribute `sluice.link` = `serving`: sluice linked it, no person named
 * it), validated like every other incident and written through the ingest pipeline.
 *
 * A payload that cannot be read (not UTF-8, not JSON, not the tool's shape) is answered 400
 * with the reason and dead-lettered whole; a single bad alert is dead-lettered alone and
 * listed under `rejected` (400 only when nothing was taken). While storage is failing the
 * request is refused with 503 and Retry-After, before anything is taken (both tools retry
 * 5xx). Authentication is the caller's (api/cli/alert-webhook-routes.ts).
 */
export function createAlertWebhookHandler(deps: AlertWebhookDeps) {
  const decoder = new JsonEventDecoder('incidents');
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const match = ALERT_PATH.exec(url.pathname);
    if (!match) return false;
    const source = match[1] as AlertSource;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (status: number, reason: string, message: string, headers: Record<string, string> = {}) => {
      deps.onRejectedRequest?.(`${source}:${reason}`);
      reply(status, { error: message, reason }, headers);
      if (!req.complete) res.once('finish', () => req.destroy());
    };
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      refuse(405, 'method_not_allowed', `POST the ${source} webhook payload`);
      return true;
    }
    let body: Buffer;
    try {
      body = await readBody(req, deps.maxBodyBytes);
    } catch (err) {
      refuse(statusOfBodyError(err), err instanceof SluiceError ? err.code.toLowerCase() : 'unreadable_body', errorMessage(err));
      return true;
    }

    const submit = async (items: DecodedItem[]): Promise<boolean> => {
      try {
        await deps.submit(source, items);
        return true;
      } catch (err) {
        if (isRetriable(err)) refuse(503, err instanceof SluiceError ? err.code.toLowerCase() : 'unavailable', `${errorMessage(err)}; nothing of this request was taken`, { 'retry-after': '1' });
        else refuse(500, 'internal', 'Unexpected error.');
        return false;
      }
    };
    const deadLetterWhole = async (rejection: PayloadRejection) => {
      if (await submit([{ ok: false, signal: 'incidents', reason: rejection.reason, detail: `${source}: ${rejection.detail}`, raw: body }])) {
        reply(400, { error: `${source}: ${rejection.detail}`, reason: rejection.reason, accepted: 0, deadLettered: 1 });
      }
    };

    const text = decodeUtf8(body);
    if (!text.ok) {
      await deadLetterWhole({ reason: 'invalid_utf8', detail: text.detail });
      return true;
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text.text);
    } catch (err) {
      await deadLetterWhole({ reason: 'invalid_json', detail: (err as Error).message });
      return true;
    }
    const outcomes = ALERT_SOURCES[source](payload);
    if (!Array.isArray(outcomes)) {
      await deadLetterWhole(outcomes);
      return true;
    }

    let incidents: { item: DecodedItem; outcome: AlertIncident; linkedDeployId: string | undefined }[];
    try {
      incidents = await Promise.all(outcomes.filter((o): o is AlertIncident => o.kind === 'incident').map(async (o) => {
        const item = await toIncidentItem(o, deps.context, decoder);
        return { ...item, outcome: o };
      }));
    } catch (err) {
      refuse(503, 'alert_context_unavailable', `cannot read deploys and incidents to link the alert: ${errorMessage(err)}; nothing of this request was taken`, { 'retry-after': '1' });
      return true;
    }
    const rejected = [
      ...outcomes.filter((o): o is Extract<AlertOutcome, { kind: 'rejected' }> => o.kind === 'rejected').map((o) => ({ index: o.index, item: { ok: false, signal: 'incidents', reason: o.reason, detail: `${source}: ${o.detail}`, raw: o.raw } as DecodedItem })),
      ...incidents.filter((i) => !i.item.ok).map((i) => ({ index: i.outcome.index, item: i.item })),
    ];
    const accepted = incidents.filter((i) => i.item.ok);
    const ignored = outcomes.filter((o): o is Extract<AlertOutcome, { kind: 'ignored' }> => o.kind === 'ignored');
    const items = [...accepted.map((i) => i.item), ...rejected.map((r) => r.item)];
    if (items.length > 0 && !(await submit(items))) return true;
    const detailOf = (i: DecodedItem) => (i.ok ? undefined : { reason: i.reason, detail: i.detail });
    const answer = {
      accepted: accepted.length,
      incidents: accepted.map((i) => ({
        incidentId: i.outcome.incidentId, service: i.outcome.service, environment: i.outcome.environment,
        state: i.outcome.resolvedAtMs === undefined ? 'open' : 'resolved', linkedDeployId: i.linkedDeployId ?? null,
      })),
      ignored: ignored.map((o) => ({ alert: o.index, why: o.why })),
      rejected: rejected.sort((a, b) => a.index - b.index).map((r) => ({ alert: r.index, ...detailOf(r.item) })),
    };
    reply(accepted.length === 0 && rejected.length > 0 ? 400 : 200, rejected.length > 0 && accepted.length === 0 ? { error: `${source}: ${answer.rejected[0]!.detail}`, reason: answer.rejected[0]!.reason, ...answer } : answer);
    return true;
  };
}

/** The incident contract object of an alert, linked to the serving deploy, validated by the incident decoder. */
async function toIncidentItem(o: AlertIncident, context: AlertContext, decoder: JsonEventDecoder): Promise<{ item: DecodedItem; linkedDeployId: string | undefined }> {
  let openedAtMs = o.openedAtMs;
  const attributes = { ...o.attributes };
  if (!o.openedAtKnown) {
    const opened = await context.incidentOpenedAt(o.incidentId);
    if (opened !== undefined && opened <= openedAtMs) openedAtMs = opened;
    else attributes['sluice.opened_at'] = 'unknown: the recovery came without the alert that opened it';
  }
  const linkedDeployId = await context.servingDeployId(o.service, o.environment, openedAtMs);
  if (linkedDeployId !== undefined) attributes['sluice.link'] = 'serving';
  const incident = {
    incidentId: o.incidentId,
    service: o.service,
    environment: o.environment,
    title: o.title,
    severity: o.severity,
    openedAtMs,
    ...(o.resolvedAtMs !== undefined ? { resolvedAtMs: Math.max(o.resolvedAtMs, openedAtMs) } : {}),
    ...(linkedDeployId !== undefined ? { linkedDeployId } : {}),
    attributes,
  };
  const [item] = decoder.decode(Buffer.from(JSON.stringify(incident), 'utf8'));
  // a refused incident is dead-lettered with the alert's own bytes, as it came in
  return { item: item!.ok ? item! : { ...item!, detail: `alert ${o.index}: ${item!.detail}`, raw: o.raw }, linkedDeployId };
}
