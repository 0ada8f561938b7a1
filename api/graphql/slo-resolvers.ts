import type { ClickHouseClient } from '@clickhouse/client';
import { fromDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import { TRANSITION_BASES, type EngineTopics } from '../../engine/adapters/breach-publisher.ts';
import type { SloDirectoryReader } from '../../engine/adapters/slo-definition-directory.ts';
import type { SloStateSnapshot } from '../../engine/adapters/slo-state-snapshot.ts';
import type { SloStateReader } from '../../engine/adapters/slo-state-store.ts';
import { apiError } from './api-error.ts';
import { checkSloFilter, filterSloStates, type SloFilter } from './slo-filter.ts';

export interface SloDeps {
  /**
   * Where SLO state is read: the in-process judge (embedded mode), or the judges' persisted
   * state in ClickHouse, `slo_state` (cluster `sluice api`).
   */
  states: SloStateReader;
  /**
   * The breach stream subscriptions read (api/subscriptions/transition-hub.ts): the
   * in-process judge's pub/sub, or in `sluice api` the breach topic's (KafkaBreachFeed);
   * absent where there is neither.
   */
  pubsub?: PubSub<EngineTopics>;
  clickhouse: ClickHouseClient;
}

/** An SLO's state as the GraphQL `SloStatus` type. */
export function sloStatusView(s: SloStateSnapshot) {
  const e = s.evaluation;
  const fresh = !s.overlay.stale && (e?.fresh ?? false);
  return {
    name: s.sloName,
    displayName: s.definition.displayName,
    service: s.definition.service,
    environment: s.definition.environment,
    tier: s.definition.tier,
    indicator: s.definition.indicator,
    target: s.definition.target,
    status: s.status,
    since: s.sinceMs,
    reason: s.reason,
    eventTimeStatus: s.state.status,
    evaluation: e && {
      at: e.atMs,
      attainment: e.attainment,
      good: e.good,
      total: e.total,
      budget: e.budget,
      burnRates: e.burnRates,
      firing: e.firing,
      fresh: e.fresh,
      freshnessReason: e.freshnessReason ?? null,
      p50Ms: e.latency?.p50Ms ?? null,
      p95Ms: e.latency?.p95Ms ?? null,
      p99Ms: e.latency?.p99Ms ?? null,
    },
    freshness: {
      fresh,
      reason: s.overlay.stale ? (s.overlay.reason ?? null) : (e?.freshnessReason ?? (e === undefined ? 'not evaluated yet' : null)),
      watermark: s.watermarkMs ?? null,
      watermarkLagMs: s.watermarkLagMs ?? null,
      lastDataAt: s.lastDataMinuteMs === undefined ? null : s.lastDataMinuteMs + 60_000,
      maxStalenessMs: s.definition.maxStalenessMs,
      asOf: s.takenAtMs,
      sources: s.sources.map((src) => ({
        source: src.source,
        partition: src.partition,
        signal: src.signal,
        reported: src.reported,
        maxEventTime: src.maxEventTimeMs ?? null,
        eventTime: src.eventTimeMs ?? null,
        lagMs: src.lagMs ?? null,
        caughtUp: src.caughtUp,
        idle: src.idle,
        reportedAt: src.reportedAtMs ?? null,
      })),
    },
    judgedBy: s.owner,
  };
}

/** SQL (as a value) for `sloTransitions`: newest first, optionally one SLO, one basis, from a time on. */
export function sloTransitionsQuery(args: { slo?: string | null; since?: number | null; basis?: string | null; limit: number }): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT transition_id, slo, from_status, to_status, at, basis, reason, rule, details
          FROM slo_transitions FINAL
          WHERE ({slo:Nullable(String)} IS NULL OR slo = {slo:Nullable(String)})
            AND ({basis:Nullable(String)} IS NULL OR basis = {basis:Nullable(String)})
            AND at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
          ORDER BY at DESC, transition_id DESC LIMIT {limit:UInt32}`,
    params: { slo: args.slo ?? null, basis: args.basis ?? null, since: args.since ?? 0, limit: args.limit },
  };
}

/** slos, slo, sloTransitions; `directory` gives the teams `slos(filter: {team})` matches (slo-filter.ts). */
export function sloResolvers(deps: SloDeps, directory: SloDirectoryReader) {
  return {
    slos: async (_: unknown, args: { filter?: SloFilter | null }) => {
      const filter = checkSloFilter(args.filter);
      return (await filterSloStates(await deps.states.list(), filter, directory)).map(sloStatusView);
    },
    slo: async (_: unknown, args: { name: string }) => {
      const found = await deps.states.get(args.name);
      if (!found) throw apiError('NOT_FOUND', `no SLO named "${args.name}" has state (is it defined, and has a judge restored it?)`, { argument: 'name' });
      return sloStatusView(found);
    },
    sloTransitions: async (_: unknown, args: { slo?: string | null; since?: number | null; basis?: string | null; limit?: number | null }) => {
      const limit = args.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw apiError('BAD_USER_INPUT', `limit must be 1–1000, got ${limit}`, { argument: 'limit' });
      if (args.basis != null && !(TRANSITION_BASES as readonly string[]).includes(args.basis)) {
        throw apiError('BAD_USER_INPUT', `basis must be one of ${TRANSITION_BASES.join(', ')}, got ${args.basis}`, { argument: 'basis' });
      }
      const { sql, params } = sloTransitionsQuery({ ...args, limit });
      const result = await deps.clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return (await result.json<{ transition_id: string; slo: string; from_status: string; to_status: string; at: string; basis: string; reason: string; rule: string; details: string }>()).map((r) => ({
        id: r.transition_id, slo: r.slo, from: r.from_status, to: r.to_status, at: fromDateTime64(r.at), basis: r.basis, reason: r.reason, rule: r.rule || null, details: r.details,
      }));
    },
  };
}
