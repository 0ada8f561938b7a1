import type { RollbackRequest } from '../../engine/core/release/rollback-request.ts';
import { z } from 'zod';
import type { DeliveryAttempt, StoredRollbackRequest } from '../../engine/adapters/rollback-store.ts';
import { apiError } from './api-error.ts';
import { pageSize, paginate } from './cursor-pagination.ts';
import { releaseDepsOf, type ReleaseDeps } from './release-deps.ts';

/** A rollback request as the GraphQL `RollbackRequest` type. */
export function rollbackRequestView(r: RollbackRequest) {
  return {
    requestId: r.requestId, service: r.service, environment: r.environment, version: r.version, deployId: r.deployId,
    rollbackToVersion: r.rollbackToVersion, rollbackToDeployId: r.rollbackToDeployId, reason: r.reason,
    trigger: JSON.stringify(r.trigger), triggerKind: r.trigger.kind,
    deployFinishedAt: r.deployFinishedAtMs, bakeEndsAt: r.bakeEndsAtMs, requestedAt: r.requestedAtMs, dryRun: r.dryRun,
  };
}

const deliveryView = (a: DeliveryAttempt) => ({
  target: a.target, attempt: a.attempt, at: a.atMs, outcome: a.outcome, statusCode: a.statusCode, detail: a.detail, durationMs: a.durationMs, nextAttemptAt: a.nextAttemptAtMs,
});

/** Cursor key of a rollback request: requested at (epoch ms) and id, the list's order. */
const ROLLBACK_KEY = z.tuple([z.number().int(), z.string()]);

/** `rollbackRequests` (query: the requests and their delivery log; subscription: as this process makes them). */
export function rollbackResolvers(deps: ReleaseDeps | undefined) {
  return {
    Query: {
      rollbackRequests: async (_: unknown, args: { service?: string | null; since?: number | null; first?: number | null; after?: string | null }) => {
        const d = releaseDepsOf(deps);
        const page = await paginate({
          kind: 'rollbackRequests', first: pageSize(args.first, { default: 50, max: 500 }), after: args.after, keySchema: ROLLBACK_KEY,
          keyOf: (s: StoredRollbackRequest) => [s.request.requestedAtMs, s.request.requestId] as [number, string],
          fetch: (limit, before) => d.rollbacks.list({
            service: args.service ?? undefined, sinceMs: args.since ?? undefined, limit,
            before: before && { requestedAtMs: before[0], requestId: before[1] },
          }),
        });
        return {
          pageInfo: page.pageInfo,
          edges: await Promise.all(page.edges.map(async ({ cursor, node: s }) => ({
            cursor,
            node: {
              request: rollbackRequestView(s.request), state: s.state, updatedAt: s.updatedAtMs,
              deliveries: (await d.rollbacks.deliveries(s.request.requestId)).map(deliveryView),
            },
          }))),
        };
      },
    },
    Subscription: {
      rollbackRequests: {
        subscribe: (_: unknown, args: { service?: string | null }) => {
          const pubsub = deps?.pubsub;
          if (!pubsub) throw apiError('UNAVAILABLE', 'this process makes no rollback requests: read the rollback topic (SLUICE_TOPIC_ROLLBACKS)');
          const iterator = pubsub.iterate('rollbackRequest');
          return (async function* () {
            try {
              for await (const r of iterator) if (!args.service || r.service === args.service) yield { rollbackRequests: rollbackRequestView(r) };
            } finally {
              await iterator.return?.();
            }
          })();
        },
      },
    },
  };
}
