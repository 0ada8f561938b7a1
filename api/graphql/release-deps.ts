import type { PubSub } from '../../platform/pubsub/typed-pubsub.ts';
import type { CanaryInputSource } from '../../engine/adapters/rollback-watcher.ts';
import type { ReleaseTopics } from '../../engine/adapters/rollback-sinks.ts';
import type { RollbackStore } from '../../engine/adapters/rollback-store.ts';
import type { DeliveryHistory } from '../../engine/core/dora/delivery-records.ts';
import type { DoraOptions } from '../../engine/core/dora/dora-options.ts';
import { apiError } from './api-error.ts';

/** Reads what DORA metrics of a period need (ClickHouseDeliveryHistory.load). */
export interface DeliveryHistorySource {
  load(args: { fromMs: number; toMs: number; environments?: readonly string[] | undefined; lookbackMs: number; lookaheadMs: number; nowMs: number }): Promise<DeliveryHistory>;
}

/** What the release fields of the API (doraMetrics, benchmarks, canaryComparison, rollbackRequests) read. */
export interface ReleaseDeps {
  history: DeliveryHistorySource;
  canary: CanaryInputSource;
  rollbacks: RollbackStore;
  /** Rollback requests made by this process (the `rollbackRequests` subscription). */
  pubsub?: PubSub<ReleaseTopics> | undefined;
  /** DORA options over the defaults (engine/core/dora/dora-options.ts). */
  dora?: Partial<DoraOptions> | undefined;
  now?: () => number;
}

/** Longest period one DORA or benchmark query may span, ms (400 days: the rollups' retention and then some). */
export const MAX_PERIOD_MS = 400 * 86_400_000;

/** The release deps, or UNAVAILABLE when this process was started without them. */
export function releaseDepsOf(deps: ReleaseDeps | undefined): ReleaseDeps {
  if (deps === undefined) throw apiError('UNAVAILABLE', 'release analytics are not available in this process');
  return deps;
}

/** A period [from, to) checked: to after from, at most MAX_PERIOD_MS long. */
export function checkPeriod(from: number, to: number, names: { from: string; to: string } = { from: 'from', to: 'to' }): void {
  if (!(to > from)) throw apiError('BAD_USER_INPUT', `\`${names.to}\` must be after \`${names.from}\``, { argument: names.to });
  if (to - from > MAX_PERIOD_MS) throw apiError('BAD_USER_INPUT', `the period may span at most 400 days; ask for several`, { argument: names.from });
}
