import { randomBytes } from 'node:crypto';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { CanaryComparison } from '../core/canary/canary-comparison.ts';
import { attributionRequests, evaluateGateDetailed } from '../core/gate/gate-evaluation.ts';
import type {
  GateBakeInput,
  GateCanaryInput,
  GateDecisionDocument,
  GateInput,
  GateRequest,
  GateSloState,
  VersionWindowCounts,
} from '../core/gate/gate-inputs.ts';
import type { ResolvedGatePolicy } from '../core/gate/gate-policy-set.ts';
import { sloFreshness } from '../core/gate/slo-gate-checks.ts';
import { formatDurationMs } from '../core/time/duration.ts';
import { MINUTE_MS, minuteStartOf } from '../core/window/minute-bucket.ts';
import type { GateDecisionRecord, GateDecisionStore } from './gate-decision-store.ts';
import type { GateReleaseReader } from './gate-release-reader.ts';
import type { CanaryInputSource } from './rollback-watcher.ts';
import type { SloRules, SloRuleSource } from './slo-rule-source.ts';
import type { SloStateSnapshot } from './slo-state-snapshot.ts';
import type { SloStateReader } from './slo-state-store.ts';
import type { VersionCountsReader } from './version-counts.ts';

/**
 * The release gate as a service: gathers what the pure evaluation reads
 * (engine/core/gate/gate-evaluation.ts) — the policy of the environment, the judges' state
 * of the service's SLOs there (in-process judge or `slo_state`), per-version counts where
 * an alert must be attributed, the canary data and deploy facts — decides, stores the
 * decision with its inputs, and only then hands it out (returned, and published to the
 * `gateDecisions` subscription). A decision that cannot be stored is not returned: no
 * decision leaves sluice unrecorded.
 */

/** Who asked (the audit entry's actor; stored with the decision). */
export interface GateCaller {
  id: string;
  name: string;
  role: string;
}

/** What a decision record keeps as its inputs (JSON). */
export interface GateDecisionInputs {
  request: GateRequest;
  decidedAtMs: number;
  policy: { version: string; name: string; file: string; isDefault: boolean };
  /** The SLO states as read, and each one's freshness at the decision. */
  slos: (GateSloState & { freshnessAtDecision: ReturnType<typeof sloFreshness> })[];
  versionCounts: VersionWindowCounts[];
  /** The baseline comparison: the exact counts compared and every statistic (sampled durations are summarised, not kept). */
  canary:
    | { kind: 'missing'; baselineVersion: string | null; reason: string }
    | { kind: 'data'; baselineVersion: string; fromMs: number; toMs: number; errorCounts: unknown; latencySamples: { baseline: { weight: number; samples: number }[]; canary: { weight: number; samples: number }[] } | null; comparison: CanaryComparison }
    | undefined;
  bake: GateBakeInput | undefined;
}

export interface GateServiceOptions {
  states: SloStateReader;
  rules: SloRuleSource;
  versionCounts: VersionCountsReader;
  policies: { resolve(environment: string): ResolvedGatePolicy };
  decisions: GateDecisionStore;
  /** Canary data (ClickHouseCanarySource); absent: a baseline comparison is INCONCLUSIVE ("not available"). */
  canary?: CanaryInputSource | undefined;
  /** Deploy facts; absent: a required baseline must be named and a bake requirement is INCONCLUSIVE. */
  releases?: GateReleaseReader | undefined;
  /** Called with each stored decision record (the subscription's feed). */
  onDecision?: ((record: GateDecisionRecord) => void) | undefined;
  now?: () => number;
  newId?: (decidedAtMs: number) => string;
}

let sequence = 0;

/**
 * A new decision id: `gd_`, the decision time (12 hex digits of epoch ms), a per-process
 * sequence (4 hex digits) and 8 random hex digits — so ids sort like the decisions of a
 * process were made, also within one millisecond (the pages' tie-breaker).
 */
export function newDecisionId(decidedAtMs: number): string {
  sequence = (sequence + 1) % 0x10000;
  return `gd_${Math.max(0, Math.floor(decidedAtMs)).toString(16).padStart(12, '0')}${sequence.toString(16).padStart(4, '0')}${randomHex8()}`;
}

/** Random bytes drawn 4 KiB at a time: one call into the CSPRNG per 1,024 decisions, not one each. */
const randomPool = { bytes: Buffer.alloc(0), at: 0 };
function randomHex8(): string {
  if (randomPool.at + 4 > randomPool.bytes.length) {
    randomPool.bytes = randomBytes(4096);
    randomPool.at = 0;
  }
  randomPool.at += 4;
  return randomPool.bytes.toString('hex', randomPool.at - 4, randomPool.at);
}

/** An SLO's persisted state, reduced to what the gate reads. */
export function gateSloState(s: SloStateSnapshot, rules: SloRules | undefined): GateSloState {
  const e = s.evaluation;
  return {
    name: s.sloName,
    indicator: s.definition.indicator,
    target: s.definition.target,
    maxStalenessMs: s.definition.maxStalenessMs,
    complianceWindow: rules?.complianceWindow ?? (e ? formatDurationMs(e.budget.periodMs, { weeks: false }) : '-'),
    status: s.status,
    reason: s.reason,
    eventTimeStatus: s.state.status,
    warningActive: s.state.warningActive,
    evaluation: e === undefined ? undefined : {
      atMs: e.atMs,
      budget: {
        good: e.budget.good, total: e.budget.total, bad: e.budget.bad, allowedBadEvents: e.budget.allowedBadEvents, consumedEvents: e.budget.consumedEvents,
        remainingRatio: e.budget.remainingRatio, periodMs: e.budget.periodMs, minEvents: e.budget.minEvents, exhausted: e.budget.exhausted,
      },
      burnRates: e.burnRates.map((b) => ({ window: b.window, durationMs: b.durationMs, good: b.good, total: b.total, badRatio: b.badRatio, burnRate: b.burnRate })),
      firing: [...e.firing],
      status: e.status,
      reason: e.reason,
      fresh: e.fresh,
      ...(e.freshnessReason !== undefined ? { freshnessReason: e.freshnessReason } : {}),
    },
    rules: rules?.rules,
    watermarkMs: s.watermarkMs,
    // the judge's lag is takenAt − (watermark + allowed lateness): what its sources vouch for
    vouchedMs: s.watermarkMs === undefined || s.watermarkLagMs === undefined ? undefined : s.takenAtMs - s.watermarkLagMs,
    overlay: { stale: s.overlay.stale, ...(s.overlay.reason !== undefined ? { reason: s.overlay.reason } : {}) },
    takenAtMs: s.takenAtMs,
  };
}

export class GateService {
  private readonly opts: GateServiceOptions;
  private readonly now: () => number;
  private readonly newId: (decidedAtMs: number) => string;
  /** Decisions made, by verdict, and decisions that could not be stored. */
  readonly metrics = { decisions: { PASS: 0, WARN: 0, FAIL: 0, INCONCLUSIVE: 0 }, storeFailures: 0 };

  constructor(opts: GateServiceOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? newDecisionId;
  }

  /** Decides, stores and publishes one gate decision. Rejects when its inputs or its record cannot be read or written. */
  async decide(request: GateRequest, caller: GateCaller): Promise<GateDecisionRecord> {
    const { decision, inputs } = await this.evaluate(request);
    const record: GateDecisionRecord = { decision, inputs, requestedBy: { id: caller.id, name: caller.name, role: caller.role } };
    try {
      await this.opts.decisions.save(record);
    } catch (err) {
      this.metrics.storeFailures++;
      throw err;
    }
    this.metrics.decisions[decision.verdict]++;
    this.opts.onDecision?.(record);
    return record;
  }

  /** The decision and its inputs, not stored (decide stores them). */
  async evaluate(request: GateRequest): Promise<{ decision: GateDecisionDocument; inputs: GateDecisionInputs }> {
    const decidedAtMs = this.now();
    const policy = this.opts.policies.resolve(request.environment);
    const snapshots = (await this.opts.states.list()).filter((s) => s.definition.service === request.service && s.definition.environment === request.environment);
    const rules = snapshots.length === 0 ? new Map<string, SloRules>() : await this.opts.rules.rulesOf(snapshots.map((s) => s.sloName));
    const slos = snapshots.map((s) => gateSloState(s, rules.get(s.sloName)));
    const requests = attributionRequests({ slos, policy });
    const [versionCounts, canary, bake] = await Promise.all([
      requests.length === 0 ? Promise.resolve([]) : this.opts.versionCounts.counts(requests),
      this.canary(request, policy, decidedAtMs),
      this.bake(request, policy),
    ]);
    const { outcome, canaryComparison } = evaluateGateDetailed({ request, decidedAtMs, policy, slos, versionCounts, canary, bake });
    const decision: GateDecisionDocument = { decisionId: this.newId(decidedAtMs), ...request, decidedAt: decidedAtMs, ...outcome };
    return { decision, inputs: this.inputs({ request, decidedAtMs, policy, slos, versionCounts, canary, bake }, canaryComparison) };
  }

  private async canary(request: GateRequest, policy: ResolvedGatePolicy, decidedAtMs: number): Promise<GateCanaryInput | undefined> {
    let baseline = request.baselineVersion;
    if (baseline === null) {
      if (!policy.rules.baseline.required) return undefined;
      if (this.opts.releases === undefined) return { kind: 'missing', baselineVersion: null, reason: `policy ${policy.name} requires a baseline comparison: name one (baselineVersion, --baseline-version); deploy records are not readable here` };
      try {
        baseline = (await this.opts.releases.servingVersion({ service: request.service, environment: request.environment, except: request.version, atMs: decidedAtMs })) ?? null;
      } catch (err) {
        return { kind: 'missing', baselineVersion: null, reason: `policy ${policy.name} requires a baseline comparison, and the serving version could not be read: ${errorMessage(err)}` };
      }
      if (baseline === null) return { kind: 'missing', baselineVersion: null, reason: `policy ${policy.name} requires a baseline comparison, and no other version of ${request.service} has a succeeded deploy in ${request.environment}: name one (baselineVersion, --baseline-version)` };
    }
    if (this.opts.canary === undefined) return { kind: 'missing', baselineVersion: baseline, reason: 'canary data is not readable in this process' };
    // whole minutes up to the decision's minute: rollups are per minute
    const toMs = minuteStartOf(decidedAtMs) + MINUTE_MS;
    try {
      const input = await this.opts.canary.load({ service: request.service, environment: request.environment, baselineVersion: baseline, canaryVersion: request.version, fromMs: toMs - policy.rules.baseline.windowMs, toMs });
      return { kind: 'data', input };
    } catch (err) {
      return { kind: 'missing', baselineVersion: baseline, reason: `the baseline comparison's data could not be read: ${errorMessage(err)}` };
    }
  }

  private async bake(request: GateRequest, policy: ResolvedGatePolicy): Promise<GateBakeInput | undefined> {
    const requirement = policy.rules.bake;
    if (requirement === undefined) return undefined;
    if (this.opts.releases === undefined) return { environment: requirement.environment, firstServedAtMs: undefined, unavailable: 'deploy records are not readable in this process' };
    try {
      return { environment: requirement.environment, firstServedAtMs: await this.opts.releases.firstServedAt({ service: request.service, environment: requirement.environment, version: request.version }) };
    } catch (err) {
      return { environment: requirement.environment, firstServedAtMs: undefined, unavailable: errorMessage(err) };
    }
  }

  private inputs(input: GateInput, comparison: CanaryComparison | undefined): GateDecisionInputs {
    const { request, decidedAtMs, policy, slos, versionCounts, canary, bake } = input;
    let canaryRecord: GateDecisionInputs['canary'];
    if (canary?.kind === 'data' && comparison !== undefined) {
      const i = canary.input;
      const strata = (list: { weight: number; durationsMs: number[] }[]) => list.map((s) => ({ weight: s.weight, samples: s.durationsMs.length }));
      canaryRecord = {
        kind: 'data', baselineVersion: i.baselineVersion, fromMs: i.fromMs, toMs: i.toMs, errorCounts: i.errorCounts,
        latencySamples: i.latency === undefined ? null : { baseline: strata(i.latency.baseline), canary: strata(i.latency.canary) },
        comparison,
      };
    } else {
      canaryRecord = canary?.kind === 'missing' ? canary : undefined;
    }
    return {
      request, decidedAtMs,
      policy: { version: policy.version, name: policy.name, file: policy.file, isDefault: policy.isDefault },
      slos: slos.map((s) => ({ ...s, freshnessAtDecision: sloFreshness(s, decidedAtMs) })),
      versionCounts, canary: canaryRecord, bake,
    };
  }
}
