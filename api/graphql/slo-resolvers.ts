import type { ClickHouseClient } from '@clickhouse/client';
import { fromDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { SliEngine } from '../../engine/adapters/sli-engine.ts';
import type { SloStatusView } from '../../engine/adapters/slo-monitor.ts';
import type { PublishedTransition } from '../../engine/adapters/breach-publisher.ts';
import { apiError } from './api-error.ts';

export interface SloDeps {
  /** Absent in processes that do not run the engine (`sluice api`). */
  engine?: SliEngine;
  clickhouse: ClickHouseClient;
}

function view(v: SloStatusView) {
  const e = v.evaluation;
  return {
    name: v.slo.name,
    displayName: v.slo.displayName,
    service: v.slo.service,
    environment: v.slo.environment,
    tier: v.slo.tier,
    indicator: v.slo.indicator.kind,
    target: v.slo.target,
    status: v.state.status,
    since: v.state.sinceMs,
    reason: v.state.reason,
    evaluation: e && {
      at: e.atMs,
      attainment: e.attainment,
      good: e.budget.good,
      total: e.budget.total,
      budget: e.budget,
      burnRates: e.burnRates,
      firing: e.firing.map((r) => r.rule.name),
      fresh: e.freshness.fresh,
      freshnessReason: e.freshness.reason ?? null,
      p50Ms: e.latency?.p50Ms ?? null,
      p95Ms: e.latency?.p95Ms ?? null,
      p99Ms: e.latency?.p99Ms ?? null,
    },
  };
}

function requireEngine(deps: SloDeps): SliEngine {
  if (!deps.engine) throw apiError('UNAVAILABLE', 'this process does not run the SLI engine (query an ingest or embedded process)');
  return deps.engine;
}

function transitionView(t: PublishedTransition) {
  return {
    id: t.transitionId, slo: t.sloName, from: t.from, to: t.to, at: t.atMs, reason: t.reason, rule: t.rule ?? null,
    details: JSON.stringify({ windows: t.windows, budget: t.budget, freshness: t.freshness }),
  };
}

/** `Subscription.sloTransitions`: the engine's in-process breach stream, optionally for one SLO. */
export function sloSubscriptions(deps: SloDeps) {
  return {
    sloTransitions: {
      subscribe: (_: unknown, args: { slo?: string | null }) => {
        const iterator = requireEngine(deps).pubsub.iterate('breachTransition');
        return (async function* () {
          try {
            for await (const t of iterator) if (!args.slo || t.sloName === args.slo) yield { sloTransitions: transitionView(t) };
          } finally {
            await iterator.return?.();
          }
        })();
      },
    },
  };
}

export function sloResolvers(deps: SloDeps) {
  return {
    slos: () => requireEngine(deps).monitor.statuses().map(view),
    slo: (_: unknown, args: { name: string }) => {
      const found = requireEngine(deps).monitor.statuses().find((s) => s.slo.name === args.name);
      if (!found) throw apiError('NOT_FOUND', `no SLO named "${args.name}"`, { argument: 'name' });
      return view(found);
    },
    sloTransitions: async (_: unknown, args: { slo?: string | null; since?: number | null; limit?: number | null }) => {
      const limit = args.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw apiError('BAD_USER_INPUT', `limit must be 1–1000, got ${limit}`, { argument: 'limit' });
      const result = await deps.clickhouse.query({
        query: `SELECT transition_id, slo, from_status, to_status, at, reason, rule, details
                FROM slo_transitions FINAL
                WHERE ({slo:Nullable(String)} IS NULL OR slo = {slo:Nullable(String)})
                  AND at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
                ORDER BY at DESC LIMIT {limit:UInt32}`,
        query_params: { slo: args.slo ?? null, since: args.since ?? 0, limit },
        format: 'JSONEachRow',
      });
      return (await result.json<{ transition_id: string; slo: string; from_status: string; to_status: string; at: string; reason: string; rule: string; details: string }>()).map((r) => ({
        id: r.transition_id, slo: r.slo, from: r.from_status, to: r.to_status, at: fromDateTime64(r.at), reason: r.reason, rule: r.rule || null, details: r.details,
      }));
    },
  };
}
