import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { SloDirectoryReader } from '../../engine/adapters/slo-definition-directory.ts';
import { checkStateChangeFilter } from '../subscriptions/state-change-filter.ts';
import { breachHistoryQuery, type TransitionKey } from './analytics-queries.ts';
import { apiError } from './api-error.ts';
import { readRows, storageRead } from './clickhouse-read.ts';
import { pageSize, paginate } from './cursor-pagination.ts';
import { stateChangeView, type SloStateChangeView } from './state-change-view.ts';

/** The GraphQL `BreachHistoryFilter`. */
export interface BreachHistoryArgs {
  filter?: {
    slo?: string[] | null;
    service?: string[] | null;
    environment?: string[] | null;
    status?: string[] | null;
    basis?: string[] | null;
    from?: number | null;
    to?: number | null;
  } | null;
  first?: number | null;
  after?: string | null;
}

const TransitionKeySchema = z.tuple([z.number().int(), z.string()]);

const orUndefined = <T>(v: T | null | undefined): T | undefined => v ?? undefined;

/**
 * `breachHistory(filter, first, after)`: the breach stream as stored (`slo_transitions`),
 * newest first, filtered by SLO, service, environment, status entered, basis and time, as a
 * connection; each node with its team and severity (SLO directory).
 */
export async function resolveBreachHistory(deps: { clickhouse: ClickHouseClient; directory: SloDirectoryReader }, args: BreachHistoryArgs) {
  const f = args.filter ?? {};
  checkStateChangeFilter({ slo: f.slo, service: f.service, environment: f.environment, status: f.status, basis: f.basis }, 'filter.');
  if (f.from != null && f.to != null && !(f.to > f.from)) throw apiError('BAD_USER_INPUT', `filter.to must be after filter.from`, { argument: 'filter.to' });
  const first = pageSize(args.first, { default: 50, max: 500 });
  const filter = {
    slo: orUndefined(f.slo), service: orUndefined(f.service), environment: orUndefined(f.environment), status: orUndefined(f.status), basis: orUndefined(f.basis),
    fromMs: orUndefined(f.from), toMs: orUndefined(f.to),
  };
  return paginate({
    kind: 'breachHistory', first, after: args.after, keySchema: TransitionKeySchema,
    keyOf: (node: SloStateChangeView): TransitionKey => [node.transition.at, node.transition.id],
    fetch: async (limit, after) => {
      const q = breachHistoryQuery(filter, { limit, after });
      const rows = await readRows<{
        transition_id: string; slo: string; service: string; environment: string; from_status: string; to_status: string; at_ms: number | string;
        basis: string; reason: string; rule: string; details: string;
      }>(deps.clickhouse, q);
      const entries = rows.length > 0 ? new Map((await storageRead('the SLO directory', () => deps.directory.list())).map((e) => [e.name, e])) : new Map();
      return rows.map((r) => stateChangeView(
        { id: r.transition_id, slo: r.slo, from: r.from_status, to: r.to_status, at: Number(r.at_ms), basis: r.basis, reason: r.reason, rule: r.rule || null, details: r.details },
        { service: r.service, environment: r.environment },
        entries.get(r.slo),
      ));
    },
  });
}
