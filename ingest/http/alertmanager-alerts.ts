import { rfc3339Ms, severityOf, stringEntries, utf8, type AlertOutcome, type PayloadRejection } from './alert-incident.ts';

/**
 * Prometheus Alertmanager's webhook notification, payload version 4 (prometheus.io, "Alerting
 * configuration", `<webhook_config>`):
 *
 *     { "version": "4", "groupKey": …, "truncatedAlerts": n, "status": "firing"|"resolved",
 *       "receiver": …, "groupLabels": {…}, "commonLabels": {…}, "commonAnnotations": {…},
 *       "externalURL": …,
 *       "alerts": [ { "status": "firing"|"resolved", "labels": {…}, "annotations": {…},
 *                     "startsAt": rfc3339, "endsAt": rfc3339, "generatorURL": …, "fingerprint": … } ] }
 *
 * Each alert becomes an incident (docs/releases.md "Inbound alerts"):
 *  - id `alertmanager:<fingerprint>:<startsAt ms>` — the fingerprint identifies the label
 *    set, startsAt this firing of it, so the resolved notification resolves the same
 *    incident and a later firing is a new one;
 *  - firing → open at startsAt; resolved → resolved at endsAt;
 *  - service: label `service`, else `service_name`, `app`, `job` (required);
 *  - environment: label `environment`, else `env`, `deployment_environment`; default production;
 *  - severity: label `severity` (critical SEV1, page/high/error SEV2, warning SEV3, …, or
 *    SEV1–SEV5 / P1–P5), default SEV3;
 *  - title: annotation `summary`, else `description`, else the `alertname` label.
 * An alert without a usable service, fingerprint or time is rejected alone (dead-lettered);
 * its neighbours go on.
 */

const SERVICE_LABELS = ['service', 'service_name', 'app', 'job'] as const;
const ENVIRONMENT_LABELS = ['environment', 'env', 'deployment_environment'] as const;

const first = (labels: Record<string, string>, names: readonly string[]) => names.map((n) => labels[n]?.trim()).find((v) => v !== undefined && v !== '');

export function alertmanagerAlerts(payload: unknown): AlertOutcome[] | PayloadRejection {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return { reason: 'not_an_object', detail: 'expected an Alertmanager webhook payload (a JSON object)' };
  const p = payload as Record<string, unknown>;
  if (p.version !== '4') return { reason: 'schema_violation', detail: `version: expected "4" (Alertmanager webhook payload version 4), got ${JSON.stringify(p.version) ?? 'nothing'}` };
  if (!Array.isArray(p.alerts)) return { reason: 'schema_violation', detail: 'alerts: expected an array' };
  const common = stringEntries(p.commonLabels);
  return p.alerts.map((alert: unknown, index): AlertOutcome => {
    const raw = utf8(alert);
    const reject = (detail: string): AlertOutcome => ({ kind: 'rejected', index, reason: 'schema_violation', detail: `alerts[${index}]: ${detail}`, raw });
    if (alert === null || typeof alert !== 'object' || Array.isArray(alert)) return reject('expected an object');
    const a = alert as Record<string, unknown>;
    const labels = { ...common, ...stringEntries(a.labels) };
    const annotations = stringEntries(a.annotations);
    const status = a.status;
    if (status !== 'firing' && status !== 'resolved') return reject(`status: expected "firing" or "resolved", got ${JSON.stringify(status)}`);
    const fingerprint = typeof a.fingerprint === 'string' && a.fingerprint !== '' ? a.fingerprint : undefined;
    if (fingerprint === undefined) return reject('fingerprint: expected a non-empty string');
    const startsAt = rfc3339Ms(a.startsAt);
    if (startsAt === undefined) return reject(`startsAt: expected an RFC 3339 time, got ${JSON.stringify(a.startsAt)}`);
    const service = first(labels, SERVICE_LABELS);
    if (service === undefined) return reject(`labels: no service (set one of ${SERVICE_LABELS.join(', ')})`);
    const endsAt = rfc3339Ms(a.endsAt);
    if (status === 'resolved' && endsAt === undefined) return reject(`endsAt: a resolved alert needs an RFC 3339 end time, got ${JSON.stringify(a.endsAt)}`);
    const attributes: Record<string, string> = {
      'sluice.source': 'alertmanager',
      'alertmanager.fingerprint': fingerprint,
      ...(labels.alertname ? { 'alertmanager.alertname': labels.alertname } : {}),
      ...(typeof a.generatorURL === 'string' && a.generatorURL ? { 'alertmanager.generator_url': a.generatorURL } : {}),
      ...(typeof p.groupKey === 'string' ? { 'alertmanager.group_key': p.groupKey } : {}),
      ...(typeof p.receiver === 'string' ? { 'alertmanager.receiver': p.receiver } : {}),
    };
    return {
      kind: 'incident',
      index,
      incidentId: `alertmanager:${fingerprint}:${startsAt}`,
      service,
      environment: first(labels, ENVIRONMENT_LABELS) ?? 'production',
      title: annotations.summary ?? annotations.description ?? labels.alertname ?? `alert ${fingerprint}`,
      severity: severityOf(labels.severity) ?? 'SEV3',
      openedAtMs: startsAt,
      resolvedAtMs: status === 'resolved' ? Math.max(endsAt!, startsAt) : undefined,
      openedAtKnown: true,
      attributes,
      raw,
    };
  });
}
