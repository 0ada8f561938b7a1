/**
 * What DORA metrics are computed from (docs/dora.md): deploys, incidents and SLO breach
 * episodes, as plain data (the adapter engine/adapters/clickhouse-delivery-history.ts reads
 * them from the `deploys`, `incidents` and `slo_transitions` tables). Times are epoch ms.
 */

export type DeployStatus = 'succeeded' | 'failed' | 'rolled_back';

/** One deploy, in its latest reported state (the contract is schema/events/v1/deploy.ts). */
export interface DeployRecord {
  deployId: string;
  service: string;
  environment: string;
  version: string;
  /** Owning team; '' when the deploy named none. */
  team: string;
  commitSha: string;
  /** Commit time of the newest change in the release. */
  commitTimeMs: number;
  startedAtMs: number;
  /** When it finished; undefined while it runs (it does not serve yet). */
  finishedAtMs?: number | undefined;
  status: DeployStatus;
  /** rolling, canary or blue-green (a canary deploy is compared with its predecessor while it bakes). */
  strategy?: string | undefined;
  /** Free attributes; `rollbackOf` (a deploy id) marks a rollback, `rolledBackAtMs` (epoch ms) dates one. */
  attributes: Readonly<Record<string, string>>;
  /** When this state was reported (the `updated_at` of the row), if known. */
  reportedAtMs?: number | undefined;
}

export type IncidentSeverity = 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4' | 'SEV5';

/** One incident, in its latest reported state (schema/events/v1/incident.ts). */
export interface IncidentRecord {
  incidentId: string;
  service: string;
  environment: string;
  severity: IncidentSeverity;
  openedAtMs: number;
  resolvedAtMs?: number | undefined;
  /** The deploy the reporter named as the cause ('' or undefined: none). */
  linkedDeployId?: string | undefined;
  /**
   * Who linked it: `reporter` (a person or tool named the cause) or `serving` (sluice's
   * alert doors linked the deploy that served when the alert fired — attribute
   * `sluice.link`). A `serving` link is attributed like no link at all: by the serving
   * change, within the incident window.
   */
  linkedBy?: 'reporter' | 'serving' | undefined;
  title?: string | undefined;
}

/**
 * One stretch of an SLO being BREACHED (event-time transitions of `slo_transitions`): from
 * the transition into BREACHED to the next one out of it.
 */
export interface BreachEpisode {
  slo: string;
  service: string;
  environment: string;
  /** Version of the SLO key, when the key has one. */
  version?: string | undefined;
  startMs: number;
  /** When the SLO left BREACHED; undefined while it still is. */
  endMs?: number | undefined;
  /** Id of the transition into BREACHED. */
  transitionId: string;
  /** Name of the page rule, or '' for an exhausted budget. */
  rule?: string | undefined;
}

/** Everything DORA metrics are computed from. */
export interface DeliveryHistory {
  deploys: readonly DeployRecord[];
  incidents: readonly IncidentRecord[];
  breaches: readonly BreachEpisode[];
}

/** Deploys that reached their environment: finished, and not a failed attempt. */
export function reachedEnvironment(d: DeployRecord): d is DeployRecord & { finishedAtMs: number } {
  return d.finishedAtMs !== undefined && (d.status === 'succeeded' || d.status === 'rolled_back');
}

/** `service|environment`: the key deploys and incidents are matched on. */
export function scopeKey(service: string, environment: string): string {
  return `${service}|${environment}`;
}

/** The attribute naming when a deploy was rolled back, if it is a valid epoch-ms number. */
export function rolledBackAtAttribute(d: DeployRecord): number | undefined {
  const text = d.attributes.rolledBackAtMs;
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  return Number(text);
}
