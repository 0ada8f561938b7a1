import type { RollbackRequest } from '../../engine/core/release/rollback-request.ts';
import type { DeliveryAttempt } from '../../engine/adapters/rollback-store.ts';
import { apiError } from './api-error.ts';
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

/** `rollbackRequests` (query: the requests and their delivery log; subscription: as this process makes them). */
export function rollbackResolvers(deps: ReleaseDeps | undefined) {
  return {
    Query: {
      rollbackRequests: async (_: unknown, args: { service?: string | null; since?: number | null; first?: number | null }) => {
        const d = releaseDepsOf(deps);
        const first = args.first ?? 50;
        if (!Number.isInteger(first) || first < 1 || first > 500) throw apiError('BAD_USER_INPUT', '`first` must be 1–500', { argument: 'first' });
        const stored = await d.rollbacks.list({ service: args.service ?? undefined, sinceMs: args.since ?? undefined, limit: first });
        return Promise.all(stored.map(async (s) => ({
          request: rollbackRequestView(s.request), state: s.state, updatedAt: s.updatedAtMs,
          deliveries: (await d.rollbacks.deliveries(s.request.requestId)).map(deliveryView),
        })));
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
