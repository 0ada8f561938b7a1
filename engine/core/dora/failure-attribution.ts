import { reachedEnvironment, type BreachEpisode, type DeliveryHistory, type DeployRecord, type IncidentRecord } from './delivery-records.ts';
import type { DoraOptions } from './dora-options.ts';
import { humanDuration } from './human-duration.ts';
import { ServingTimeline, type ReachedDeploy } from './serving-timeline.ts';

/**
 * Which deployments failed, and why (docs/dora.md "Failed deployments"). A change deploy —
 * one that reached its environment and is not itself a rollback — failed when any of:
 *  1. it was rolled back (status `rolled_back`, or a rollback deploy names or restores past it);
 *  2. an SLO of its service in its environment became BREACHED within `breachWindowMs`
 *     after it finished, while its change was the one serving (and, when the SLO key has a
 *     version, that version is the deploy's);
 *  3. an incident names it (`linkedDeployId`), or, naming none (or linked by sluice's alert
 *     doors only because it served), opened in its service and environment while its change
 *     was serving, within `incidentWindowMs` after it finished.
 * Every signal goes to the change actually serving at the time (serving-timeline.ts). A
 * deploy with several signals — a rollback, the breach that triggered it and the incident
 * it opened — is **one** failed deployment with three causes. Signals no deploy can
 * honestly be blamed for are listed as unattributed, with the reason.
 */
export type FailureCause =
  | { kind: 'rollback'; /** when it stopped serving; undefined while unknown */ atMs: number | undefined; by: 'status' | 'rollback-deploy' }
  | { kind: 'slo-breach'; slo: string; startMs: number; endMs: number | undefined; transitionId: string; rule: string | undefined }
  | { kind: 'incident'; incidentId: string; severity: string; openedAtMs: number; resolvedAtMs: number | undefined; link: 'named' | 'serving' };

export interface DeployOutcome {
  deploy: ReachedDeploy;
  failed: boolean;
  causes: FailureCause[];
  /** When the failure began: the earliest breach or incident; a rollback alone: when the deploy finished. */
  failureStartMs: number | undefined;
  /** When service was restored: the latest of the rollback, the breaches' ends and the incidents' resolutions; undefined while any is open. */
  restoredAtMs: number | undefined;
  /** restoredAtMs − failureStartMs, ms. */
  recoveryMs: number | undefined;
}

export interface UnattributedFailure {
  kind: 'incident' | 'slo-breach';
  /** Incident id, or the transition id of the breach. */
  id: string;
  service: string;
  environment: string;
  atMs: number;
  reason: string;
}

export interface Attribution {
  timeline: ServingTimeline;
  /** Change deploys by id, in the order of the history. */
  outcomes: Map<string, DeployOutcome>;
  unattributed: UnattributedFailure[];
  /** Attempts that never reached their environment (status failed, or unfinished). */
  attempts: DeployRecord[];
  /** Rollback deploys (no change of their own). */
  rollbackDeploys: DeployRecord[];
}

const days = humanDuration;
const describeDeploy = (d: DeployRecord) => `deploy ${d.deployId} (${d.service} ${d.version})`;

/** The latest state of each deploy id (later `reportedAtMs`, else later in the list). */
function latestDeploys(deploys: readonly DeployRecord[]): DeployRecord[] {
  const byId = new Map<string, DeployRecord>();
  for (const d of deploys) {
    const seen = byId.get(d.deployId);
    if (seen === undefined || (d.reportedAtMs ?? 0) >= (seen.reportedAtMs ?? 0)) byId.set(d.deployId, d);
  }
  return [...byId.values()];
}

export function attributeFailures(history: DeliveryHistory, options: DoraOptions): Attribution {
  const deploys = latestDeploys(history.deploys);
  const timeline = new ServingTimeline(deploys);
  const byId = new Map(deploys.map((d) => [d.deployId, d]));
  const outcomes = new Map<string, DeployOutcome>();
  const attempts: DeployRecord[] = [];
  const rollbackDeploys: DeployRecord[] = [];
  for (const d of deploys) {
    if (!reachedEnvironment(d)) attempts.push(d);
    else if (timeline.isRollbackDeploy(d.deployId)) rollbackDeploys.push(d);
    else outcomes.set(d.deployId, { deploy: d, failed: false, causes: [], failureStartMs: undefined, restoredAtMs: undefined, recoveryMs: undefined });
  }
  const unattributed: UnattributedFailure[] = [];
  const blame = (deployId: string, cause: FailureCause): void => void outcomes.get(deployId)!.causes.push(cause);

  for (const b of history.breaches) attributeBreach(b);
  const severities = new Set<string>(options.severities);
  for (const i of history.incidents) if (severities.has(i.severity)) attributeIncident(i);

  function attributeBreach(b: BreachEpisode): void {
    const cause: FailureCause = { kind: 'slo-breach', slo: b.slo, startMs: b.startMs, endMs: b.endMs, transitionId: b.transitionId, rule: b.rule };
    const miss = (reason: string): void => void unattributed.push({ kind: 'slo-breach', id: b.transitionId, service: b.service, environment: b.environment, atMs: b.startMs, reason: `SLO ${b.slo} BREACHED at ${new Date(b.startMs).toISOString()}: ${reason}` });
    const serving = timeline.servingAt(b.service, b.environment, b.startMs);
    let change = serving?.change;
    if (b.version !== undefined && b.version !== '' && change?.version !== b.version) {
      // the SLO key names a version (e.g. a canary serving beside the main release): its latest change deploy
      change = [...outcomes.values()].map((o) => o.deploy)
        .filter((d) => d.service === b.service && d.environment === b.environment && d.version === b.version && d.finishedAtMs <= b.startMs)
        .sort((x, y) => y.finishedAtMs - x.finishedAtMs)[0];
      if (change === undefined) return miss(`no deploy of version ${b.version} had finished`);
    }
    if (change === undefined) return miss(`no deploy of ${b.service} in ${b.environment} had finished`);
    const age = b.startMs - change.finishedAtMs;
    if (age > options.breachWindowMs) return miss(`${describeDeploy(change)} was serving, but had finished ${days(age)} before, more than the ${days(options.breachWindowMs)} breach window`);
    if (!outcomes.has(change.deployId)) return miss(`${describeDeploy(change)} is not a change deploy`);
    blame(change.deployId, cause);
  }

  function attributeIncident(i: IncidentRecord): void {
    const miss = (reason: string): void => void unattributed.push({ kind: 'incident', id: i.incidentId, service: i.service, environment: i.environment, atMs: i.openedAtMs, reason: `incident ${i.incidentId} opened ${new Date(i.openedAtMs).toISOString()}: ${reason}` });
    const cause = (link: 'named' | 'serving'): FailureCause => ({ kind: 'incident', incidentId: i.incidentId, severity: i.severity, openedAtMs: i.openedAtMs, resolvedAtMs: i.resolvedAtMs, link });
    const named = i.linkedBy === 'serving' ? undefined : i.linkedDeployId;
    const linked = named ? byId.get(named) : undefined;
    if (linked !== undefined) {
      if (outcomes.has(linked.deployId)) return blame(linked.deployId, cause('named'));
      if (!reachedEnvironment(linked)) return miss(`it names ${describeDeploy(linked)}, an attempt that never served (status ${linked.status})`);
      // a rollback deploy carries no change: the change it restored is what served
      const restored = timeline.servingAt(linked.service, linked.environment, linked.finishedAtMs)?.change;
      if (restored !== undefined && outcomes.has(restored.deployId)) return blame(restored.deployId, cause('named'));
      return miss(`it names rollback ${describeDeploy(linked)}, and the change it restored is unknown`);
    }
    const serving = timeline.servingAt(i.service, i.environment, i.openedAtMs);
    const unknownLink = named ? `it names deploy ${named}, which sluice does not know; ` : '';
    if (serving === undefined) return miss(`${unknownLink}no deploy of ${i.service} in ${i.environment} had finished`);
    const age = i.openedAtMs - serving.change.finishedAtMs;
    if (age > options.incidentWindowMs) {
      return miss(`${unknownLink}${describeDeploy(serving.change)} was serving, but had finished ${days(age)} before, more than the ${days(options.incidentWindowMs)} incident window`);
    }
    if (!outcomes.has(serving.change.deployId)) return miss(`${unknownLink}${describeDeploy(serving.change)} is not a change deploy`);
    blame(serving.change.deployId, cause('serving'));
  }

  const rolledBackByDeploy = new Set(timeline.rollbackDeploys.values());
  for (const o of outcomes.values()) {
    const d = o.deploy;
    if (timeline.rolledBack.has(d.deployId)) {
      const by = rolledBackByDeploy.has(d.deployId) ? 'rollback-deploy' : 'status';
      o.causes.unshift({ kind: 'rollback', atMs: timeline.rolledBack.get(d.deployId), by });
    }
    o.failed = o.causes.length > 0;
    if (!o.failed) continue;
    let start = Infinity;
    let restored: number | undefined = -Infinity;
    for (const c of o.causes) {
      const [begin, end] = c.kind === 'rollback' ? [undefined, c.atMs] : c.kind === 'slo-breach' ? [c.startMs, c.endMs] : [c.openedAtMs, c.resolvedAtMs];
      if (begin !== undefined) start = Math.min(start, begin);
      restored = end === undefined || restored === undefined ? undefined : Math.max(restored, end);
    }
    o.failureStartMs = start === Infinity ? d.finishedAtMs : start;
    o.restoredAtMs = restored;
    o.recoveryMs = restored === undefined ? undefined : Math.max(0, restored - o.failureStartMs);
  }
  return { timeline, outcomes, unattributed, attempts, rollbackDeploys };
}
