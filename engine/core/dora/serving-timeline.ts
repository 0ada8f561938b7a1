import { reachedEnvironment, rolledBackAtAttribute, scopeKey, type DeployRecord } from './delivery-records.ts';

/**
 * Which change was serving a service in an environment at any time — the basis of honest
 * attribution (docs/dora.md "Attribution"): a failure is blamed on the deploy that was
 * actually serving when it began, never on "the latest deploy however long ago", never on
 * a deploy of another service or environment, a failed attempt, or a release that had
 * already been rolled back.
 *
 * Built per (service, environment) from the deploys that reached it (finished, status
 * succeeded or rolled_back), in order of finishing:
 *  - a deploy starts serving when it finishes, and serves until the next one finishes;
 *  - a **rollback** puts the change that served before the rolled-back deploy back in
 *    service. A rollback is either a deploy of its own — one whose attribute `rollbackOf`
 *    names the rolled-back deploy, or one that follows a `rolled_back` deploy and redeploys
 *    the commit that served before it — or only the `rolled_back` status of a deploy, dated
 *    by its attribute `rolledBackAtMs` (epoch ms) or, failing that, by when that status was
 *    reported. A rollback deploy carries no change of its own: the interval it opens is the
 *    restored change's.
 */
export type ReachedDeploy = DeployRecord & { finishedAtMs: number };

export interface ServingInterval {
  /** The change in production: the deploy that first brought the serving commit. */
  change: ReachedDeploy;
  /** What put it in service: the change's own deploy, a rollback deploy, or the rollback of a later deploy. */
  via: { kind: 'deploy' | 'rollback-deploy' | 'rollback'; deploy: ReachedDeploy };
  fromMs: number;
  /** End, exclusive; Infinity while it still serves. */
  toMs: number;
}

export class ServingTimeline {
  private readonly byScope = new Map<string, ServingInterval[]>();
  /** Rollback deploys: id → the id of the deploy they rolled back. */
  readonly rollbackDeploys = new Map<string, string>();
  /** Deploys that were rolled back (by status or by a rollback deploy): id → when they stopped serving (undefined: unknown yet). */
  readonly rolledBack = new Map<string, number | undefined>();
  /** The change that served before each change deploy: id → that change (undefined: none known). */
  readonly previous = new Map<string, ReachedDeploy | undefined>();

  constructor(deploys: readonly DeployRecord[]) {
    const scopes = new Map<string, ReachedDeploy[]>();
    for (const d of deploys) {
      if (!reachedEnvironment(d)) continue;
      const key = scopeKey(d.service, d.environment);
      const list = scopes.get(key);
      if (list) list.push(d);
      else scopes.set(key, [d]);
    }
    for (const [key, list] of scopes) this.byScope.set(key, this.build(list));
  }

  private build(list: ReachedDeploy[]): ServingInterval[] {
    list.sort((a, b) => a.finishedAtMs - b.finishedAtMs || a.startedAtMs - b.startedAtMs || (a.deployId < b.deployId ? -1 : a.deployId > b.deployId ? 1 : 0));
    const byId = new Map(list.map((d) => [d.deployId, d]));
    type Event = { atMs: number; order: number; kind: 'deploy' | 'rollback'; deploy: ReachedDeploy };
    const events: Event[] = [];
    list.forEach((d, i) => {
      events.push({ atMs: d.finishedAtMs, order: i * 2, kind: 'deploy', deploy: d });
      if (d.status === 'rolled_back') {
        const reported = d.reportedAtMs !== undefined && d.reportedAtMs > d.finishedAtMs ? d.reportedAtMs : undefined;
        const at = rolledBackAtAttribute(d) ?? reported;
        if (at !== undefined && at >= d.finishedAtMs) events.push({ atMs: at, order: i * 2 + 1, kind: 'rollback', deploy: d });
        this.rolledBack.set(d.deployId, undefined);
      }
    });
    // at the same instant a deploy goes first: a rollback of a deploy already replaced does nothing
    events.sort((a, b) => a.atMs - b.atMs || (a.kind === b.kind ? a.order - b.order : a.kind === 'deploy' ? -1 : 1));

    const intervals: ServingInterval[] = [];
    let current: ServingInterval | undefined;
    const open = (change: ReachedDeploy | undefined, via: ServingInterval['via'], atMs: number) => {
      if (current) {
        current.toMs = atMs;
        if (this.rolledBack.has(current.change.deployId) && this.rolledBack.get(current.change.deployId) === undefined && current.via.kind === 'deploy') {
          this.rolledBack.set(current.change.deployId, atMs);
        }
      }
      current = change === undefined ? undefined : { change, via, fromMs: atMs, toMs: Infinity };
      if (current) intervals.push(current);
    };
    for (const e of events) {
      const d = e.deploy;
      if (e.kind === 'rollback') {
        if (current?.change.deployId !== d.deployId) continue; // already replaced: the rollback changes nothing
        this.rolledBack.set(d.deployId, e.atMs);
        open(this.previous.get(d.deployId), { kind: 'rollback', deploy: d }, e.atMs);
        continue;
      }
      const target = this.rollbackTarget(d, byId, current);
      if (target !== undefined) {
        this.rollbackDeploys.set(d.deployId, target.deployId);
        if (!this.rolledBack.has(target.deployId) || this.rolledBack.get(target.deployId) === undefined) {
          // stopped serving now, unless a rollback (or a later deploy) already ended it
          const ended = current?.change.deployId === target.deployId ? e.atMs : this.firstEndOf(intervals, target.deployId);
          this.rolledBack.set(target.deployId, ended);
        }
        const restored = this.previous.get(target.deployId);
        if (restored !== undefined && current?.change.deployId === restored.deployId) continue; // already restored (by its rolled_back date)
        open(restored ?? d, { kind: 'rollback-deploy', deploy: d }, e.atMs);
        continue;
      }
      this.previous.set(d.deployId, current?.change);
      open(d, { kind: 'deploy', deploy: d }, e.atMs);
    }
    return intervals;
  }

  /** The deploy `d` rolls back, if it is a rollback deploy. */
  private rollbackTarget(d: ReachedDeploy, byId: Map<string, ReachedDeploy>, current: ServingInterval | undefined): ReachedDeploy | undefined {
    const named = d.attributes.rollbackOf;
    if (named !== undefined && named !== d.deployId) {
      const target = byId.get(named);
      if (target !== undefined && target.finishedAtMs <= d.finishedAtMs) return target;
    }
    // redeploying, right after a rolled-back deploy, the commit that served before it (the
    // rolled-back deploy still serves, or its rolled_back date already restored that commit)
    if (current === undefined) return undefined;
    const rolled = current.via.kind === 'deploy' && current.change.status === 'rolled_back' ? current.change
      : current.via.kind === 'rollback' ? current.via.deploy : undefined;
    if (rolled !== undefined && this.previous.get(rolled.deployId)?.commitSha === d.commitSha) return rolled;
    return undefined;
  }

  private firstEndOf(intervals: readonly ServingInterval[], deployId: string): number | undefined {
    const first = intervals.find((i) => i.change.deployId === deployId);
    return first === undefined || first.toMs === Infinity ? undefined : first.toMs;
  }

  /** The serving intervals of a scope, in time order (contiguous, not overlapping). */
  intervals(service: string, environment: string): readonly ServingInterval[] {
    return this.byScope.get(scopeKey(service, environment)) ?? [];
  }

  /** What served the service in the environment at `atMs`; undefined before its first deploy. */
  servingAt(service: string, environment: string, atMs: number): ServingInterval | undefined {
    const list = this.byScope.get(scopeKey(service, environment));
    if (list === undefined || list.length === 0) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    if (atMs < list[0]!.fromMs) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (list[mid]!.fromMs <= atMs) lo = mid;
      else hi = mid - 1;
    }
    const found = list[lo]!;
    return atMs < found.toMs ? found : undefined;
  }

  /** Whether a deploy is a rollback deploy (it carries no change of its own). */
  isRollbackDeploy(deployId: string): boolean {
    return this.rollbackDeploys.has(deployId);
  }
}
