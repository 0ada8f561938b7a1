import type { BreachEpisode, DeployRecord, IncidentRecord } from '../../../../engine/core/dora/delivery-records.ts';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** 2025-01-01T00:00:00Z: a 31-day month follows. */
export const T0 = Date.UTC(2025, 0, 1);

let sha = 0;
const nextSha = () => (++sha).toString(16).padStart(12, 'a');

/** A deploy that finished at `finishedAtMs` (production, succeeded, lead time 2 h unless given). */
export function deploy(o: Partial<DeployRecord> & { deployId: string; service: string; finishedAtMs: number; leadTimeMs?: number }): DeployRecord {
  const { leadTimeMs = 2 * HOUR, ...rest } = o;
  return {
    environment: 'production',
    version: o.deployId,
    team: '',
    commitSha: nextSha(),
    commitTimeMs: o.finishedAtMs - leadTimeMs,
    startedAtMs: o.finishedAtMs - 10 * MIN,
    status: 'succeeded',
    attributes: {},
    ...rest,
  };
}

export function incident(o: Partial<IncidentRecord> & { incidentId: string; service: string; openedAtMs: number }): IncidentRecord {
  return { environment: 'production', severity: 'SEV2', ...o };
}

export function breach(o: Partial<BreachEpisode> & { slo: string; service: string; startMs: number }): BreachEpisode {
  return { environment: 'production', transitionId: `${o.slo}|OK|BREACHED|${o.startMs}|event-time`, ...o };
}
