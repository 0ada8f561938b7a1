import { InMemoryBreachPublisher } from '../../../../engine/adapters/breach-publishers.ts';
import { InMemoryGateDecisionStore } from '../../../../engine/adapters/gate-decision-store.ts';
import { GatePolicyCatalog } from '../../../../engine/adapters/gate-policy-catalog.ts';
import { InMemoryGateReleaseReader } from '../../../../engine/adapters/gate-release-reader.ts';
import { GateService, type GateServiceOptions } from '../../../../engine/adapters/gate-service.ts';
import { InMemoryPolicyVersionStore } from '../../../../engine/adapters/policy-version-store.ts';
import { InMemorySliHistory } from '../../../../engine/adapters/sli-history.ts';
import { loadSloDirectory } from '../../../../engine/adapters/slo-directory-loader.ts';
import { SloJudge } from '../../../../engine/adapters/slo-judge.ts';
import { CatalogRuleSource } from '../../../../engine/adapters/slo-rule-source.ts';
import { InMemorySloStateStore } from '../../../../engine/adapters/slo-state-store.ts';
import { InMemoryVersionCounts } from '../../../../engine/adapters/version-counts.ts';
import type { Slo } from '../../../../engine/core/slo/slo-definition.ts';
import { silentLogger } from '../../../../platform/logging/logger.ts';
import { SIGNAL_SCHEMAS, type SluiceEvent } from '../../../../schema/events/v1/signal.ts';
import { FakeIngest } from './fake-ingest.ts';

/** Allowed lateness of the harness judge: the product's default, ms. */
export const GATE_LATENESS_MS = 30_000;

/**
 * The gate over a live judge, all in memory with a settable wall clock: a FakeIngest (the
 * core's counting, per-source segments and progress) feeds the judge and the per-version
 * counts; deploys go to the release reader; the gate service reads the judge, the SLO
 * definitions and the policy directory, and stores decisions in memory. `feed` takes
 * events as the embedded simulator runner does (every event through its zod contract).
 */
export async function gateHarness(opts: { sloDir?: string; slos?: readonly Slo[]; policyDir?: string; startMs: number }) {
  const slos = opts.slos ?? (await loadSloDirectory(opts.sloDir ?? 'examples/slos')).slos.map((p) => p.slo);
  const clock = { nowMs: opts.startMs };
  const published = new InMemoryBreachPublisher();
  const history = new InMemorySliHistory();
  const states = new InMemorySloStateStore();
  const judge = new SloJudge({
    slos, laneOf: () => 0, allowedLatenessMs: GATE_LATENESS_MS, idleSourceMs: 10_000,
    history, states, publishers: [published], logger: silentLogger(), now: () => clock.nowMs,
  });
  const versionCounts = new InMemoryVersionCounts();
  const ingest = new FakeIngest(() => slos, (batch) => {
    history.record(batch);
    versionCounts.record(batch);
    judge.apply(batch);
  });
  await judge.assignLanes([0]);
  const releases = new InMemoryGateReleaseReader();
  const policyVersions = new InMemoryPolicyVersionStore();
  const policies = await GatePolicyCatalog.open({ dir: opts.policyDir ?? 'examples/policies', logger: silentLogger(), store: policyVersions, loadedBy: 'test', watch: false, now: () => clock.nowMs });
  const decisions = new InMemoryGateDecisionStore();
  const gateOptions: GateServiceOptions = { states: judge, rules: new CatalogRuleSource(() => slos), versionCounts, policies, decisions, releases, now: () => clock.nowMs };
  const gate = new GateService(gateOptions);

  /** Takes events at wall clock `nowMs` (one embedded source per signal, `simulator/<signal>`), flushes and runs a judge pass. */
  function feed(events: readonly SluiceEvent[], nowMs: number): void {
    clock.nowMs = nowMs;
    for (const raw of events) {
      const e = { signal: raw.signal, event: SIGNAL_SCHEMAS[raw.signal].parse(raw.event) } as SluiceEvent;
      if (e.signal === 'spans' || e.signal === 'logs' || e.signal === 'checks') ingest.add({ source: `simulator/${e.signal}`, partition: 0, signal: e.signal }, e, nowMs);
      else if (e.signal === 'deploys') {
        const d = e.event;
        if (d.finishedAtMs !== undefined) releases.deploys.push({ service: d.service, environment: d.environment, version: d.version, finishedAtMs: d.finishedAtMs, status: d.status });
      }
    }
    ingest.flush(nowMs);
    judge.tick();
  }

  return { slos, clock, judge, published, gate, gateOptions, decisions, policies, policyVersions, releases, versionCounts, feed, settle: () => judge.settle() };
}
