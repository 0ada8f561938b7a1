import { createHash } from 'node:crypto';
import { severityOf, stringEntries, utf8, type AlertOutcome, type PayloadRejection } from './alert-incident.ts';

/**
 * Datadog's monitor notifications through the Webhooks integration (docs.datadoghq.com,
 * "Webhooks"). Datadog posts the JSON payload configured on the webhook, its `$VARIABLES`
 * filled in; the default payload (`body`, `last_updated`, `event_type`, `title`, `date`,
 * `org`, `id`) names no alert transition, scope or tags, so sluice documents the payload to
 * configure (docs/releases.md "Datadog") — the default one plus:
 *
 *     "alert_id": "$ALERT_ID", "alert_cycle_key": "$ALERT_CYCLE_KEY",
 *     "alert_transition": "$ALERT_TRANSITION", "alert_title": "$ALERT_TITLE",
 *     "alert_type": "$ALERT_TYPE", "alert_priority": "$ALERT_PRIORITY",
 *     "alert_scope": "$ALERT_SCOPE", "tags": "$TAGS"
 *
 * Mapping:
 *  - transition (`alert_transition`, else the `[Triggered…]` / `[Recovered…]` prefix of the
 *    title): Triggered, Re-Triggered, Renotify → open; Recovered → resolve; Warn, Re-Warned,
 *    No Data and anything else are not incidents (answered as ignored, not dead-lettered);
 *  - id `datadog:<alert_id>:<alert_cycle_key>` — the cycle key links a trigger to its
 *    recovery; without it `datadog:<alert_id>:<hash of the scope>` (a monitor group);
 *  - time: `date` (epoch ms; `last_updated` if absent); a recovery's opening time is that of
 *    the incident it resolves (looked up by the handler);
 *  - service and environment: the `service:` and `env:` tags of `alert_scope`, else of `tags`
 *    (service required; environment default production);
 *  - severity: `alert_priority` P1–P5 → SEV1–SEV5, else `alert_type` (error SEV2, warning
 *    SEV3), else SEV3; title: `alert_title`, else `title`.
 */

const OPEN = new Set(['triggered', 're-triggered', 'renotify']);
const RESOLVE = new Set(['recovered']);

/** `[P1] [Triggered on {service:x}] name` → `triggered`. */
function transitionFromTitle(title: string): string | undefined {
  const m = /\[(Triggered|Re-Triggered|Recovered|Warn|Re-Warned|No Data|Renotify)\b/i.exec(title);
  return m?.[1]?.toLowerCase();
}

/** `key:value` tags of a comma-separated list (Datadog's $ALERT_SCOPE and $TAGS), first value wins. */
export function tagsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of (text ?? '').split(',')) {
    const t = tag.trim();
    const colon = t.indexOf(':');
    if (colon <= 0) continue;
    const key = t.slice(0, colon).trim();
    if (!(key in out)) out[key] = t.slice(colon + 1).trim();
  }
  return out;
}

function epochMs(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  // $DATE is epoch ms; a value in seconds ($DATE_POSIX) is taken too
  return n < 100_000_000_000 ? n * 1000 : n;
}

export function datadogAlerts(payload: unknown): AlertOutcome[] | PayloadRejection {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return { reason: 'not_an_object', detail: 'expected a Datadog webhook payload (a JSON object)' };
  const p = payload as Record<string, unknown>;
  const s = stringEntries(p);
  const raw = utf8(payload);
  const reject = (detail: string): AlertOutcome[] => [{ kind: 'rejected', index: 0, reason: 'schema_violation', detail, raw }];
  const title = s.alert_title ?? s.title ?? '';
  const transition = (s.alert_transition ?? transitionFromTitle(s.title ?? '') ?? '').trim().toLowerCase();
  if (transition === '') return reject('alert_transition: missing, and the title names no transition ([Triggered] / [Recovered]); add "alert_transition": "$ALERT_TRANSITION" to the webhook payload');
  if (!OPEN.has(transition) && !RESOLVE.has(transition)) return [{ kind: 'ignored', index: 0, why: `transition "${s.alert_transition ?? transition}" is not an incident (only Triggered, Re-Triggered, Renotify open one and Recovered resolves it)` }];
  const alertId = s.alert_id ?? (typeof p.alert_id === 'number' ? String(p.alert_id) : undefined);
  if (!alertId) return reject('alert_id: missing; add "alert_id": "$ALERT_ID" to the webhook payload');
  const atMs = epochMs(p.date) ?? epochMs(p.last_updated);
  if (atMs === undefined) return reject(`date: expected epoch milliseconds ($DATE), got ${JSON.stringify(p.date)}`);
  const scope = tagsOf(s.alert_scope);
  const tags = tagsOf(s.tags);
  const service = scope.service ?? tags.service;
  if (!service) return reject('no service: the monitor\'s scope ($ALERT_SCOPE) or tags ($TAGS) need a service:<name> tag');
  const cycle = s.alert_cycle_key?.trim();
  const group = createHash('sha256').update(s.alert_scope ?? '').digest('hex').slice(0, 16);
  const opening = OPEN.has(transition);
  return [{
    kind: 'incident',
    index: 0,
    incidentId: `datadog:${alertId}:${cycle ? cycle : group}`,
    service,
    environment: scope.env ?? tags.env ?? 'production',
    title: title || `Datadog monitor ${alertId}`,
    severity: severityOf(s.alert_priority) ?? severityOf(s.alert_type) ?? 'SEV3',
    openedAtMs: atMs,
    resolvedAtMs: opening ? undefined : atMs,
    openedAtKnown: opening,
    attributes: {
      'sluice.source': 'datadog',
      'datadog.alert_id': alertId,
      'datadog.transition': s.alert_transition ?? transition,
      ...(cycle ? { 'datadog.alert_cycle_key': cycle } : {}),
      ...(s.alert_scope ? { 'datadog.scope': s.alert_scope } : {}),
      ...(s.id ? { 'datadog.event_id': s.id } : {}),
      ...(s.link ? { 'datadog.link': s.link } : {}),
    },
    raw,
  }];
}
