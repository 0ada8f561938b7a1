/**
 * Payloads as the tools' public documentation describes them, with concrete values.
 *
 * Alertmanager: the webhook notification of prometheus.io "Configuration" → `<webhook_config>`
 * ("The Alertmanager will send HTTP POST requests in the following JSON format"): version
 * "4", groupKey, truncatedAlerts, status, receiver, groupLabels, commonLabels,
 * commonAnnotations, externalURL, and alerts with status, labels, annotations, startsAt,
 * endsAt, generatorURL, fingerprint.
 *
 * Datadog: the default payload of docs.datadoghq.com "Webhooks" (body, last_updated,
 * event_type, title, date, org { id, name }, id) plus the variables sluice asks for
 * (alert_id, alert_cycle_key, alert_transition, alert_title, alert_type, alert_priority,
 * alert_scope, tags), rendered with the example values the variable list gives
 * ($DATE "1406662672000", $ALERT_ID "1234", $ALERT_PRIORITY "P1", $EVENT_TYPE
 * "metric_alert_monitor", $ALERT_TYPE "error", …) and a service/env scope.
 */

export function alertmanagerPayload(o: { status: 'firing' | 'resolved'; startsAt: string; endsAt?: string; labels?: Record<string, string> }) {
  const labels = { alertname: 'HighErrorRate', service: 'checkout', environment: 'production', severity: 'critical', ...o.labels };
  return {
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    status: o.status,
    receiver: 'sluice',
    groupLabels: { alertname: 'HighErrorRate' },
    commonLabels: labels,
    commonAnnotations: { summary: 'checkout 5xx ratio above 5 %' },
    externalURL: 'http://alertmanager.example:9093',
    alerts: [
      {
        status: o.status,
        labels,
        annotations: { summary: 'checkout 5xx ratio above 5 %', description: 'rate(http_requests_total{code=~"5.."}[5m]) / rate(http_requests_total[5m]) > 0.05' },
        startsAt: o.startsAt,
        endsAt: o.endsAt ?? '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=…',
        fingerprint: 'c2a5b0e58b7d2f61',
      },
    ],
  };
}

export function datadogPayload(o: { transition: string; dateMs: number; cycleKey?: string; scope?: string; title?: string }) {
  const title = o.title ?? `[${o.transition}] checkout error rate is high`;
  return {
    body: '%%%\nError rate above 5 % on checkout\n%%%',
    last_updated: String(o.dateMs),
    event_type: 'metric_alert_monitor',
    title,
    date: String(o.dateMs),
    org: { id: '123456', name: 'Example Org' },
    id: '1234567890123456789',
    alert_id: '1234',
    alert_cycle_key: o.cycleKey ?? '7242911547958272734',
    alert_transition: o.transition,
    alert_title: 'checkout error rate is high',
    alert_type: 'error',
    alert_priority: 'P1',
    alert_scope: o.scope ?? 'env:production,service:checkout',
    tags: 'env:production,service:checkout,team:payments',
  };
}
