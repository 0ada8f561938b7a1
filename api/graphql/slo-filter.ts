import { z } from 'zod';
import { BREACH_STATUSES } from '../../engine/core/breach/breach-state-machine.ts';
import { TIERS } from '../../engine/core/slo/service-tier.ts';
import type { SloDirectoryReader } from '../../engine/adapters/slo-definition-directory.ts';
import type { SloStateSnapshot } from '../../engine/adapters/slo-state-snapshot.ts';
import type { SloStateReader } from '../../engine/adapters/slo-state-store.ts';
import { storageRead } from './clickhouse-read.ts';
import { checkListFilter, inList } from './list-filter.ts';
import { pageSize, paginate } from './cursor-pagination.ts';

/** The GraphQL `SloFilter`: each given list must contain the SLO's value (any of them); absent = any. */
export interface SloFilter {
  /** `metadata.labels.team` of the SLO's definition (docs/slo-format.md "Team"). */
  team?: readonly string[] | null | undefined;
  service?: readonly string[] | null | undefined;
  environment?: readonly string[] | null | undefined;
  tier?: readonly string[] | null | undefined;
  /** Effective status. */
  status?: readonly string[] | null | undefined;
}

const ALLOWED: Partial<Record<keyof SloFilter, readonly string[]>> = { tier: TIERS, status: BREACH_STATUSES };

/** The filter checked (checkListFilter): empty lists, unknown tiers and statuses are BAD_USER_INPUT naming `filter.<field>`. */
export function checkSloFilter(filter: SloFilter | null | undefined): SloFilter {
  return checkListFilter(filter ?? {}, ALLOWED, 'filter.');
}

/**
 * The states that pass the filter, in the order given. The team comes from the SLO
 * directory (read only when the filter names teams): an SLO whose definition names no team
 * matches no team filter.
 */
export async function filterSloStates(states: readonly SloStateSnapshot[], filter: SloFilter, directory: SloDirectoryReader): Promise<SloStateSnapshot[]> {
  const teams = filter.team ? new Map((await storageRead('the SLO directory', () => directory.list())).map((e) => [e.name, e.team])) : undefined;
  return states.filter((s) =>
    inList(filter.service, s.definition.service) && inList(filter.environment, s.definition.environment) && inList(filter.tier, s.definition.tier)
    && inList(filter.status, s.status) && (!teams || inList(filter.team, teams.get(s.sloName))));
}

/**
 * `sloStatuses(filter, first, after)`: the SLOs with state that pass the filter, by name,
 * as a connection (keyset on the name: unique and stable). `view` is the SloStatus view.
 */
export async function sloStatusesPage<V extends { name: string }>(deps: { states: SloStateReader; directory: SloDirectoryReader; view: (s: SloStateSnapshot) => V }, args: { filter?: SloFilter | null; first?: number | null; after?: string | null }) {
  const filter = checkSloFilter(args.filter);
  const first = pageSize(args.first, { default: 100, max: 500 });
  const matching = await filterSloStates(await deps.states.list(), filter, deps.directory);
  const byName = matching.sort((a, b) => (a.sloName < b.sloName ? -1 : a.sloName > b.sloName ? 1 : 0));
  const page = await paginate({
    kind: 'sloStatuses', first, after: args.after, keySchema: z.string(),
    keyOf: (node: V) => node.name,
    fetch: async (limit, after) => byName.filter((s) => after === undefined || s.sloName > after).slice(0, limit).map(deps.view),
  });
  return { ...page, totalCount: byName.length };
}
