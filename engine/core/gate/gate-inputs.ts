import type { AlertSeverity } from '../alerting/alert-rules.ts';
import type { CanaryInput } from '../canary/canary-comparison.ts';
import type { ResolvedGatePolicy } from './gate-policy-set.ts';
import type { WindowBurn } from '../budget/burn-rate.ts';

/**
 * What a gate evaluation reads, as plain data: the request, the policy, the judges' state
 * of every SLO of the service in the environment, a version's own counts where an alert or
 * journey has to be attributed, the canary data and the bake facts. The adapter
 * (engine/adapters/gate-service.ts) gathers it; the decision record stores it as the
 * decision's inputs, so a decision can be explained — and re-derived — from its record.
 */

export const GATE_VERDICTS = ['PASS', 'WARN', 'FAIL', 'INCONCLUSIVE'] as const;
export type GateStatus = (typeof GATE_VERDICTS)[number];

export interface GateRequest {
  service: string;
  environment: string;
  version: string;
  /** The version to compare with (canary analysis); null when none was asked for. */
  baselineVersion: string | null;
}

/** An alert rule of an SLO as the gate needs it. */
export interface GateAlertRule {
  name: string;
  severity: AlertSeverity;
  /** ms */
  longWindowMs: number;
  /** ms */
  shortWindowMs: number;
  /** Burn-rate threshold (multiple of the allowed error rate). */
  burnRate: number;
}

/** One burn-rate window of the latest evaluation (service-level: every version): the evaluator's own. */
export type GateBurnWindow = WindowBurn;

/** The judge's latest evaluation of an SLO, reduced to what the gate reads. */
export interface GateSloEvaluation {
  /** The minute boundary of event time every window ends at, epoch ms. */
  atMs: number;
  budget: {
    good: number;
    total: number;
    bad: number;
    /** Bad events allowed over the whole period (events, an estimate: docs/verdict-semantics.md §3). */
    allowedBadEvents: number;
    consumedEvents: number;
    /** Ratio; may be negative when overspent. */
    remainingRatio: number;
    /** Length of the whole period, ms. */
    periodMs: number;
    /** Fewest events the window needs before the budget is judged (the SLO's minEvents). */
    minEvents: number;
    exhausted: boolean;
  };
  burnRates: GateBurnWindow[];
  /** Names of the rules firing at atMs. */
  firing: string[];
  /** The evaluator's instantaneous status at atMs. */
  status: 'OK' | 'WARNING' | 'BREACHED' | 'UNKNOWN';
  reason: string;
  /** Event-time freshness of the SLO's scope at atMs. */
  fresh: boolean;
  freshnessReason?: string | undefined;
}

/** One SLO of the service in the environment as the judges know it (SloStateSnapshot, reduced). */
export interface GateSloState {
  name: string;
  /** availability, latency, errorLogRatio, syntheticSuccess */
  indicator: string;
  /** Ratio 0–1 exclusive. */
  target: number;
  /** ms */
  maxStalenessMs: number;
  /** Compliance window as text: `28d`, `1M`. */
  complianceWindow: string;
  /** Effective status (event-time breach status, UNKNOWN while the wall-clock overlay finds it stale; BREACHED / WARNING stay). */
  status: 'OK' | 'WARNING' | 'BREACHED' | 'RECOVERED' | 'UNKNOWN';
  reason: string;
  /** The event-time breach state: its status and whether the ticket condition is on (or held). */
  eventTimeStatus: 'OK' | 'WARNING' | 'BREACHED' | 'RECOVERED' | 'UNKNOWN';
  warningActive: boolean;
  evaluation: GateSloEvaluation | undefined;
  /** The SLO's alert rules; undefined when its definition could not be read (then attribution is off and severities come from rule names). */
  rules: GateAlertRule[] | undefined;
  /** Event-time watermark, epoch ms; undefined while a source holds it back. */
  watermarkMs: number | undefined;
  /** Event time the SLO's sources vouch for (watermark + allowed lateness) when the state was taken, epoch ms. */
  vouchedMs: number | undefined;
  /** The judge's wall-clock overlay when the state was taken. */
  overlay: { stale: boolean; reason?: string | undefined };
  /** Wall clock when the judge took the state, epoch ms. */
  takenAtMs: number;
}

/** A window `[fromMs, toMs)` of one SLO whose per-version counts a check needs. */
export interface VersionWindowRequest {
  slo: string;
  fromMs: number;
  toMs: number;
}

/** Exact counts per version of one SLO over one window (sli_rollups). */
export interface VersionWindowCounts extends VersionWindowRequest {
  versions: { version: string; good: number; total: number }[];
}

/** The canary comparison's data, or why there is none. */
export type GateCanaryInput =
  | { kind: 'data'; input: CanaryInput }
  | { kind: 'missing'; baselineVersion: string | null; reason: string };

/** When the version first served in the bake environment. */
export interface GateBakeInput {
  environment: string;
  /** Finish of the version's first succeeded deploy there, epoch ms; undefined when none is recorded. */
  firstServedAtMs: number | undefined;
  /** Why it could not be read, when it could not. */
  unavailable?: string | undefined;
}

export interface GateInput {
  request: GateRequest;
  /** Wall clock of the decision, epoch ms: judges staleness only. */
  decidedAtMs: number;
  policy: ResolvedGatePolicy;
  slos: GateSloState[];
  /** Per-version counts for the windows attributionRequests asked for. */
  versionCounts: VersionWindowCounts[];
  /** Present when a baseline was asked for or the policy requires one. */
  canary: GateCanaryInput | undefined;
  /** Present when the policy has a bake requirement. */
  bake: GateBakeInput | undefined;
}

/** One check of a decision (the contract's GateCheck: api/graphql/gate-contract.ts). */
export interface GateCheckResult {
  name: string;
  status: GateStatus;
  /** Whether this check may block under the policy (an advisory check's FAIL or INCONCLUSIVE makes the gate WARN at most). */
  blocking: boolean;
  observed: number | null;
  threshold: number | null;
  comparator: '>=' | '<=' | '>' | '<' | null;
  unit: string | null;
  window: { length: string; from: number | null; to: number | null };
  freshness: { fresh: boolean; watermark: number | null; lagMs: number | null; reason: string | null };
  explanation: string;
}

/** What the gate decides (the decision id and time are added by the adapter). */
export interface GateOutcome {
  verdict: GateStatus;
  /** FAIL always; INCONCLUSIVE when the policy says INCONCLUSIVE blocks; PASS and WARN never. */
  blocking: boolean;
  summary: string;
  policyVersion: string;
  checks: GateCheckResult[];
}

/** A decision as made and recorded: the outcome with its id, the release asked about and the wall-clock time (the contract's GateDecision). */
export interface GateDecisionDocument extends GateOutcome, GateRequest {
  /** Stable id (`gd_…`), as the audit entry names it. */
  decisionId: string;
  /** Wall clock of the decision, epoch ms. */
  decidedAt: number;
}
