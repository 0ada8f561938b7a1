import { ALERT_SEVERITIES } from '../../engine/core/alerting/alert-rules.ts';
import { BREACH_STATUSES } from '../../engine/core/breach/breach-state-machine.ts';
import { TRANSITION_BASES } from '../../engine/adapters/breach-publisher.ts';
import { checkListFilter, inList } from '../graphql/list-filter.ts';
import type { SloStateChangeView } from '../graphql/state-change-view.ts';

/** What a subscriber asks for: each given list must contain the change's value (any of it); absent = any. */
export interface StateChangeFilter {
  slo?: readonly string[] | null | undefined;
  team?: readonly string[] | null | undefined;
  service?: readonly string[] | null | undefined;
  environment?: readonly string[] | null | undefined;
  /** The status entered (`to`). */
  status?: readonly string[] | null | undefined;
  /** page or ticket (only transitions into BREACHED or WARNING have one). */
  severity?: readonly string[] | null | undefined;
  basis?: readonly string[] | null | undefined;
}

const ALLOWED: Partial<Record<keyof StateChangeFilter, readonly string[]>> = {
  status: BREACH_STATUSES,
  severity: ALERT_SEVERITIES,
  basis: TRANSITION_BASES,
};

/** The filter checked (checkListFilter): empty lists and unknown statuses, severities or bases are BAD_USER_INPUT. */
export function checkStateChangeFilter(filter: StateChangeFilter, prefix = ''): StateChangeFilter {
  return checkListFilter(filter, ALLOWED, prefix);
}

/** Whether a change passes the filter. */
export function matchesStateChange(change: SloStateChangeView, filter: StateChangeFilter): boolean {
  const t = change.transition;
  return inList(filter.slo, t.slo) && inList(filter.team, change.team) && inList(filter.service, change.service) && inList(filter.environment, change.environment)
    && inList(filter.status, t.to) && inList(filter.severity, change.severity) && inList(filter.basis, t.basis);
}
