import { parse as parseYaml } from 'yaml';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import type { AlertRuleSpec } from '../core/alerting/alert-rules.ts';
import type { ParsedSlo } from '../core/slo/slo-set.ts';
import { parseDurationMs } from '../core/time/duration.ts';
import { parseSloYaml } from './slo-directory-loader.ts';
import { CandidateRulesSchema } from './slo-history-service.ts';

/**
 * What callers of the history use cases give as text — an SLO document, candidate rules, a
 * month, a duration — parsed once at the edge (API, CLI) into what the service takes, with
 * errors (SluiceError `HISTORY_BAD_INPUT`) that name what is wrong.
 */

function bad(message: string): SluiceError {
  return new SluiceError('HISTORY_BAD_INPUT', message);
}

/** The one SLO of a YAML or JSON document (sluice/v1, as in SLO files); `where` names it in errors. */
export function sloFromText(text: string, where: string): ParsedSlo {
  const set = parseSloYaml(where, text);
  if (set.errors.length > 0) throw bad(`${where}: ${set.errors.map((e) => `${e.documentIndex !== undefined ? `document ${e.documentIndex + 1}: ` : ''}${e.message}`).join('; ')}`);
  if (set.slos.length !== 1) throw bad(`${where}: expected exactly one SLO document, found ${set.slos.length}`);
  return set.slos[0]!;
}

/**
 * Candidate alert rules from YAML or JSON: a list of rules, `{ rules: [...] }`, or an SLO
 * document (its `spec.alerting.rules`). Each rule as in SLO files:
 * `{ severity, longWindow, shortWindow, burnRate, name? }`.
 */
export function rulesFromText(text: string, where: string): AlertRuleSpec[] {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw bad(`${where}: invalid YAML: ${(err as Error).message}`);
  }
  const obj = value as { rules?: unknown; spec?: { alerting?: { rules?: unknown } } } | null;
  const list = Array.isArray(value) ? value : (obj?.rules ?? obj?.spec?.alerting?.rules);
  const parsed = CandidateRulesSchema.safeParse(list);
  if (!parsed.success) throw bad(`${where}: ${parsed.error.issues.map((i) => `rules.${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** `2026-10` → the UTC calendar month `[fromMs, toMs)`. */
export function monthRange(text: string): { fromMs: number; toMs: number; label: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim());
  const month = m ? Number(m[2]) : 0;
  if (!m || month < 1 || month > 12) throw bad(`month must be YYYY-MM (e.g. 2026-10), got ${JSON.stringify(text)}`);
  const year = Number(m[1]);
  return { fromMs: Date.UTC(year, month - 1, 1), toMs: Date.UTC(year, month, 1), label: `${m[1]}-${m[2]}` };
}

/** A duration (`1d`, `90m`) in ms; `what` names the option in the error. */
export function durationOf(text: string, what: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw bad(`${what} must be a duration such as 30m, 1h or 1d, got ${JSON.stringify(text)}`);
  return ms;
}

/** A time: epoch ms, or an ISO 8601 date / date-time (UTC when no zone is given); `what` names the option. */
export function timeOf(text: string, what: string): number {
  const trimmed = text.trim();
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(trimmed) ? `${trimmed}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(trimmed) ? trimmed : `${trimmed}Z`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw bad(`${what} must be an ISO date or time (2026-10-01, 2026-10-01T12:00) or epoch ms, got ${JSON.stringify(text)}`);
  return ms;
}
