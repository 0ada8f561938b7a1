import { describe, expect, it } from 'vitest';
import type { CanaryRequest } from '../../../engine/adapters/clickhouse-canary-source.ts';
import { RollbackDispatcher, type RollbackSink } from '../../../engine/adapters/rollback-dispatcher.ts';
import { InMemoryRollbackStore } from '../../../engine/adapters/rollback-store.ts';
import { rollbackRequestId, RollbackWatcher, type ReleaseEventReader } from '../../../engine/adapters/rollback-watcher.ts';
import type { CanaryInput } from '../../../engine/core/canary/canary-comparison.ts';
import type { DeployRecord } from '../../../engine/core/dora/delivery-records.ts';
import type { BreachTransitionView } from '../../../engine/core/release/bake-decision.ts';
import type { RollbackRequest } from '../../../engine/core/release/rollback-request.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';
import { deploy, HOUR, MIN, T0 } from '../core/dora/delivery-fixtures.ts';

/** A reader over fixed lists (the standard fake of ReleaseEventReader). */
class FakeReader implements ReleaseEventReader {
  deploysList: DeployRecord[] = [];
  transitionList: BreachTransitionView[] = [];
  async deploys(args: { fromMs: number; toMs: number; environments: readonly string[] }) {
    return this.deploysList.filter((d) => args.environments.includes(d.environment) && (d.finishedAtMs ?? d.startedAtMs) < args.toMs);
  }
  async transitions(args: { fromMs: number; service: string; environment: string }) {
    return this.transitionList.filter((t) => t.service === args.service && t.environment === args.environment && t.atMs >= args.fromMs);
  }
}

function breached(atMs: number, service = 'checkout'): BreachTransitionView {
  return { transitionId: `${service}-availability|OK|BREACHED|${atMs}|event-time`, slo: `${service}-availability`, service, environment: 'production', version: '', from: 'OK', to: 'BREACHED', atMs, rule: 'page-1h-5m', reason: 'page rule page-1h-5m fires', basis: 'event-time' };
}

function setup(o: { canary?: (r: CanaryRequest) => CanaryInput; dryRun?: boolean } = {}) {
  let now = T0;
  const reader = new FakeReader();
  const store = new InMemoryRollbackStore();
  const sent: RollbackRequest[] = [];
  const sink: RollbackSink = { target: 'subscription', send: async (r) => void sent.push(r) };
  const dispatcher = new RollbackDispatcher({ store, sinks: [sink], webhooks: [], dryRun: o.dryRun ?? false, maxAttempts: 3, retry: { initialMs: 1, maxMs: 1 }, timeoutMs: 1000, logger: silentLogger(), now: () => now });
  const watcher = new RollbackWatcher({
    reader, dispatcher, environments: ['production'], bakePeriodMs: 30 * MIN, dryRun: o.dryRun ?? false, logger: silentLogger(), now: () => now,
    ...(o.canary ? { canary: { source: { load: async (r: CanaryRequest) => o.canary!(r) }, intervalMs: 0 } } : {}),
  });
  const at = async (ms: number) => {
    now = ms;
    await watcher.check();
    await dispatcher.settle();
  };
  return { reader, store, sent, watcher, at };
}

const previous = deploy({ deployId: 'd-41', service: 'checkout', version: '1.4.1', finishedAtMs: T0 - 2 * HOUR });
const release = deploy({ deployId: 'd-42', service: 'checkout', version: '1.4.2', finishedAtMs: T0 });

describe('the rollback watcher', () => {
  it('asks for one rollback of a release that burns during its bake, however often it looks', async () => {
    const { reader, sent, at, store, watcher } = setup();
    reader.deploysList = [previous, release];
    await at(T0 + 5 * MIN);
    expect(sent).toEqual([]);
    reader.transitionList = [breached(T0 + 10 * MIN)];
    await at(T0 + 11 * MIN);
    await at(T0 + 12 * MIN);
    reader.transitionList.push(breached(T0 + 15 * MIN, 'checkout'));
    await at(T0 + 16 * MIN);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      requestId: rollbackRequestId(release), service: 'checkout', environment: 'production', version: '1.4.2', deployId: 'd-42',
      rollbackToVersion: '1.4.1', rollbackToDeployId: 'd-41', trigger: { kind: 'slo-breach', slo: 'checkout-availability', atMs: T0 + 10 * MIN },
      deployFinishedAtMs: T0, bakeEndsAtMs: T0 + 30 * MIN, requestedAtMs: T0 + 11 * MIN, dryRun: false,
    });
    expect((await store.list({ limit: 10 })).map((r) => r.state)).toEqual(['delivered']);
    expect(watcher.metrics).toMatchObject({ rollbacks: 1 });
  });

  it('a restarted watcher does not ask again: the request is recorded under the same id', async () => {
    const first = setup();
    first.reader.deploysList = [previous, release];
    first.reader.transitionList = [breached(T0 + 10 * MIN)];
    await first.at(T0 + 11 * MIN);
    const again = new RollbackWatcher({
      reader: first.reader, environments: ['production'], bakePeriodMs: 30 * MIN, dryRun: false, logger: silentLogger(), now: () => T0 + 12 * MIN,
      dispatcher: new RollbackDispatcher({ store: first.store, sinks: [{ target: 'subscription', send: async (r) => void first.sent.push(r) }], webhooks: [], dryRun: false, maxAttempts: 1, retry: { initialMs: 1, maxMs: 1 }, timeoutMs: 1, logger: silentLogger() }),
    });
    await again.check();
    expect(first.sent).toHaveLength(1);
  });

  it.each([
    { name: 'a release that bakes quietly passes', deploys: [previous, release], transitions: [], passed: 1 },
    { name: 'a staging release does not bake', deploys: [deploy({ deployId: 's', service: 'checkout', environment: 'staging', finishedAtMs: T0 })], transitions: [breached(T0 + MIN)], passed: 0 },
    { name: 'a release already rolled back needs no request', deploys: [previous, { ...release, status: 'rolled_back' as const, attributes: { rolledBackAtMs: String(T0 + 5 * MIN) } }], transitions: [breached(T0 + MIN)], passed: 0 },
    { name: 'a burn after the next deploy is not this release\'s', deploys: [previous, release, deploy({ deployId: 'd-43', service: 'checkout', finishedAtMs: T0 + 5 * MIN })], transitions: [breached(T0 + 10 * MIN)], passed: 1 },
  ])('$name', async ({ deploys, transitions, passed }) => {
    const { reader, sent, at, watcher } = setup();
    reader.deploysList = deploys;
    reader.transitionList = transitions;
    await at(T0 + HOUR);
    expect(sent.filter((r) => r.deployId === 'd-42')).toEqual([]);
    expect(watcher.metrics.passed).toBeGreaterThanOrEqual(passed);
  });

  it('compares a canary deploy with its predecessor and asks for a rollback when it fails', async () => {
    const requests: CanaryRequest[] = [];
    const { reader, sent, at } = setup({
      canary: (r) => {
        requests.push(r);
        return { ...r, errorCounts: [{ source: 'slo:checkout-availability', canary: { good: 4750, total: 5000 }, baseline: { good: 4950, total: 5000 } }] };
      },
    });
    reader.deploysList = [previous, { ...release, strategy: 'canary', startedAtMs: T0 - 20 * MIN }];
    await at(T0 + 5 * MIN);
    expect(requests[0]).toMatchObject({ baselineVersion: '1.4.1', canaryVersion: '1.4.2', fromMs: T0 - 20 * MIN, toMs: T0 + 5 * MIN });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.trigger).toMatchObject({ kind: 'canary', baselineVersion: '1.4.1', failedChecks: [{ name: 'canary:error-ratio:slo:checkout-availability' }] });
  });

  it('in dry-run mode records the request as a dry run and sends nothing', async () => {
    const { reader, sent, at, store } = setup({ dryRun: true });
    reader.deploysList = [previous, release];
    reader.transitionList = [breached(T0 + 10 * MIN)];
    await at(T0 + 11 * MIN);
    expect(sent).toEqual([]);
    const [stored] = await store.list({ limit: 1 });
    expect(stored).toMatchObject({ state: 'dry_run', request: { dryRun: true, deployId: 'd-42' } });
  });
});
