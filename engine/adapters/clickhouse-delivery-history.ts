import type { ClickHouseClient } from '@clickhouse/client';
import { fromDateTime64 } from '../../platform/clickhouse/clickhouse-time.ts';
import type { BreachEpisode, DeliveryHistory, DeployRecord, DeployStatus, IncidentRecord, IncidentSeverity } from '../core/dora/delivery-records.ts';
import type { BreachTransitionView } from '../core/release/bake-decision.ts';

/**
 * Reads the delivery history DORA metrics and release decisions need from ClickHouse:
 * `deploys` and `incidents` (latest state, FINAL) and the event-time transitions of
 * `slo_transitions`, turned into breach episodes. SQL is built as values with server-side
 * parameters (HyperDX style), so the builders are unit-tested and run as they are.
 */

interface DeployRow {
  deploy_id: string;
  service: string;
  environment: string;
  version: string;
  team: string;
  commit_sha: string;
  commit_time: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  strategy: string;
  attributes: Record<string, string>;
  updated_at: string;
}

interface IncidentRow {
  incident_id: string;
  service: string;
  environment: string;
  severity: string;
  opened_at: string;
  resolved_at: string | null;
  linked_deploy_id: string;
  link: string;
  title: string;
}

interface TransitionRow {
  transition_id: string;
  slo: string;
  service: string;
  environment: string;
  version: string;
  from_status: string;
  to_status: string;
  at: string;
  rule: string;
  reason: string;
  basis: string;
}

const DEPLOY_COLUMNS = 'deploy_id, service, environment, version, team, commit_sha, commit_time, started_at, finished_at, status, strategy, attributes, updated_at';

/** Deploys finished (or started, when unfinished) in [from, to), plus the last `before` deploys of each scope before `from` (what served then). */
export function deploysQuery(args: { fromMs: number; toMs: number; environments?: readonly string[] | undefined; before?: number }): { sql: string; params: Record<string, unknown> } {
  const envFilter = 'AND (empty({environments:Array(String)}) OR has({environments:Array(String)}, environment))';
  return {
    sql: `SELECT ${DEPLOY_COLUMNS} FROM deploys FINAL
          WHERE coalesce(finished_at, started_at) >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
            AND coalesce(finished_at, started_at) < fromUnixTimestamp64Milli({to:Int64}, 'UTC') ${envFilter}
          UNION ALL
          SELECT ${DEPLOY_COLUMNS} FROM (
            SELECT ${DEPLOY_COLUMNS} FROM deploys FINAL
            WHERE finished_at IS NOT NULL AND finished_at < fromUnixTimestamp64Milli({from:Int64}, 'UTC') ${envFilter}
            ORDER BY finished_at DESC LIMIT {before:UInt32} BY service, environment)`,
    params: { from: args.fromMs, to: args.toMs, environments: [...(args.environments ?? [])], before: args.before ?? 3 },
  };
}

/** Incidents opened in [from, to). */
export function incidentsQuery(args: { fromMs: number; toMs: number; environments?: readonly string[] | undefined }): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT incident_id, service, environment, severity, opened_at, resolved_at, linked_deploy_id, attributes['sluice.link'] AS link, title FROM incidents FINAL
          WHERE opened_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND opened_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
            AND (empty({environments:Array(String)}) OR has({environments:Array(String)}, environment))`,
    params: { from: args.fromMs, to: args.toMs, environments: [...(args.environments ?? [])] },
  };
}

/** Event-time transitions at or after `from` (optionally of one service and environment), in order per SLO. */
export function transitionsQuery(args: { fromMs: number; toMs?: number | undefined; service?: string | undefined; environment?: string | undefined }): { sql: string; params: Record<string, unknown> } {
  return {
    sql: `SELECT transition_id, slo, service, environment, version, from_status, to_status, at, rule, reason, basis FROM slo_transitions FINAL
          WHERE at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
            AND ({to:Nullable(Int64)} IS NULL OR at < fromUnixTimestamp64Milli(assumeNotNull({to:Nullable(Int64)}), 'UTC'))
            AND ({service:Nullable(String)} IS NULL OR service = {service:Nullable(String)})
            AND ({environment:Nullable(String)} IS NULL OR environment = {environment:Nullable(String)})
          ORDER BY slo, at, transition_id`,
    params: { from: args.fromMs, to: args.toMs ?? null, service: args.service ?? null, environment: args.environment ?? null },
  };
}

export function deployFromRow(r: DeployRow): DeployRecord {
  return {
    deployId: r.deploy_id, service: r.service, environment: r.environment, version: r.version, team: r.team,
    commitSha: r.commit_sha, commitTimeMs: fromDateTime64(r.commit_time), startedAtMs: fromDateTime64(r.started_at),
    finishedAtMs: r.finished_at === null ? undefined : fromDateTime64(r.finished_at),
    status: r.status as DeployStatus, strategy: r.strategy, attributes: r.attributes, reportedAtMs: fromDateTime64(r.updated_at),
  };
}

function transitionFromRow(r: TransitionRow): BreachTransitionView {
  return {
    transitionId: r.transition_id, slo: r.slo, service: r.service, environment: r.environment, version: r.version,
    from: r.from_status, to: r.to_status, atMs: fromDateTime64(r.at), rule: r.rule, reason: r.reason, basis: r.basis,
  };
}

/** Breach episodes from event-time transitions ordered per SLO: into BREACHED, until the next transition of that SLO. */
export function breachEpisodes(transitions: readonly BreachTransitionView[]): BreachEpisode[] {
  const bySlo = new Map<string, BreachTransitionView[]>();
  for (const t of transitions) {
    if (t.basis !== 'event-time') continue;
    const list = bySlo.get(t.slo);
    if (list) list.push(t);
    else bySlo.set(t.slo, [t]);
  }
  const episodes: BreachEpisode[] = [];
  for (const list of bySlo.values()) {
    list.sort((a, b) => a.atMs - b.atMs);
    list.forEach((t, i) => {
      if (t.to !== 'BREACHED' || t.from === 'BREACHED') return;
      const next = list.slice(i + 1).find((n) => n.to !== 'BREACHED');
      episodes.push({
        slo: t.slo, service: t.service, environment: t.environment, version: t.version === '' ? undefined : t.version,
        startMs: t.atMs, endMs: next?.atMs, transitionId: t.transitionId, rule: t.rule,
      });
    });
  }
  return episodes;
}

export class ClickHouseDeliveryHistory {
  private readonly client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.client = client;
  }

  private async rows<T>(q: { sql: string; params: Record<string, unknown> }): Promise<T[]> {
    const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async deploys(args: { fromMs: number; toMs: number; environments?: readonly string[] | undefined }): Promise<DeployRecord[]> {
    return (await this.rows<DeployRow>(deploysQuery(args))).map(deployFromRow);
  }

  async transitions(args: { fromMs: number; toMs?: number | undefined; service?: string | undefined; environment?: string | undefined }): Promise<BreachTransitionView[]> {
    return (await this.rows<TransitionRow>(transitionsQuery(args))).map(transitionFromRow);
  }

  /**
   * What DORA metrics of the period [fromMs, toMs) need: deploys from `lookbackMs` before it
   * (and what served then), and the incidents and breaches that can be blamed on deploys of
   * the period — up to `lookaheadMs` after it (an incident the day after the period still
   * counts against a deploy of its last day), never past `nowMs`.
   */
  async load(args: { fromMs: number; toMs: number; environments?: readonly string[] | undefined; lookbackMs: number; lookaheadMs: number; nowMs: number }): Promise<DeliveryHistory> {
    const end = Math.min(args.nowMs + 1, args.toMs + args.lookaheadMs);
    const [deploys, incidents, transitions] = await Promise.all([
      this.deploys({ fromMs: args.fromMs - args.lookbackMs, toMs: end, environments: args.environments }),
      this.rows<IncidentRow>(incidentsQuery({ fromMs: args.fromMs - args.lookbackMs, toMs: end, environments: args.environments })),
      // every later transition too: a breach that began in the period ends whenever it ends
      this.transitions({ fromMs: args.fromMs - args.lookbackMs }),
    ]);
    return {
      deploys,
      incidents: incidents.map((r): IncidentRecord => ({
        incidentId: r.incident_id, service: r.service, environment: r.environment, severity: r.severity as IncidentSeverity,
        openedAtMs: fromDateTime64(r.opened_at), resolvedAtMs: r.resolved_at === null ? undefined : fromDateTime64(r.resolved_at),
        linkedDeployId: r.linked_deploy_id === '' ? undefined : r.linked_deploy_id,
        linkedBy: r.linked_deploy_id === '' ? undefined : r.link === 'serving' ? 'serving' : 'reporter', title: r.title,
      })),
      breaches: breachEpisodes(transitions).filter((b) => b.startMs < end && (args.environments === undefined || args.environments.length === 0 || args.environments.includes(b.environment))),
    };
  }
}
