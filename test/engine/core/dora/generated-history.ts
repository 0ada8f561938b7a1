import type { BreachEpisode, DeployRecord, IncidentRecord } from '../../../../engine/core/dora/delivery-records.ts';
import { breach, DAY, deploy, HOUR, incident, MIN, T0 } from './delivery-fixtures.ts';

/**
 * A generated month of history whose answers are known by construction (January 2025,
 * 31 days; period [T0, T0 + 30 d)):
 *
 * | team     | deployments                         | lead time        | failed                                  | recovery               |
 * | payments | 60, every 12 h (pay-api)            | 2 h / 6 h alt.   | 6: incidents (1 also a breach)          | 45 min ×5, 60 min ×1   |
 * | search   | 12, every 2.5 d (+1 rollback deploy) | 3 d              | 1: rollback + breach + incident, once    | 2.5 h                  |
 * | platform | 20 gateway daily + 10 auth          | 10 d             | 4 incidents                              | 3 d                    |
 * | legacy   | 3 (ledger)                          | 20 d             | 0                                        | —                      |
 *
 * plus staging deploys and failed attempts that must not count.
 */
export function generatedMonth(): { deploys: DeployRecord[]; incidents: IncidentRecord[]; breaches: BreachEpisode[] } {
  const deploys: DeployRecord[] = [];
  const incidents: IncidentRecord[] = [];
  const breaches: BreachEpisode[] = [];
  for (let i = 0; i < 60; i++) {
    const finishedAtMs = T0 + i * 12 * HOUR + HOUR;
    deploys.push(deploy({ deployId: `pay-${i}`, service: 'pay-api', team: 'payments', finishedAtMs, leadTimeMs: i % 2 === 0 ? 2 * HOUR : 6 * HOUR }));
    if (i % 10 === 5) incidents.push(incident({ incidentId: `pay-inc-${i}`, service: 'pay-api', openedAtMs: finishedAtMs + 30 * MIN, resolvedAtMs: finishedAtMs + 75 * MIN }));
    if (i === 25) breaches.push(breach({ slo: 'pay-availability', service: 'pay-api', startMs: finishedAtMs + 20 * MIN, endMs: finishedAtMs + 80 * MIN }));
    // a staging deploy and a failed production attempt beside each fifth deploy: neither counts
    if (i % 5 === 0) {
      deploys.push(deploy({ deployId: `pay-stg-${i}`, service: 'pay-api', team: 'payments', environment: 'staging', finishedAtMs: finishedAtMs - 2 * HOUR }));
      deploys.push(deploy({ deployId: `pay-att-${i}`, service: 'pay-api', team: 'payments', finishedAtMs: finishedAtMs + 3 * HOUR, status: 'failed' }));
    }
  }
  for (let i = 0; i < 12; i++) {
    const finishedAtMs = T0 + i * 2.5 * DAY + 2 * HOUR;
    deploys.push(deploy({ deployId: `search-${i}`, service: 'search-api', team: 'search', finishedAtMs, leadTimeMs: 3 * DAY, commitSha: `5ea4c0${String(i).padStart(2, '0')}`,
      ...(i === 3 ? { status: 'rolled_back' as const } : {}) }));
    if (i === 3) {
      deploys.push(deploy({ deployId: 'search-3-rollback', service: 'search-api', team: 'search', finishedAtMs: finishedAtMs + 2 * HOUR, commitSha: '5ea4c002', attributes: { rollbackOf: 'search-3' } }));
      breaches.push(breach({ slo: 'search-availability', service: 'search-api', startMs: finishedAtMs + 30 * MIN, endMs: finishedAtMs + 150 * MIN }));
      incidents.push(incident({ incidentId: 'search-inc', service: 'search-api', openedAtMs: finishedAtMs + HOUR, resolvedAtMs: finishedAtMs + 3 * HOUR, linkedDeployId: 'search-3' }));
    }
  }
  for (let i = 0; i < 20; i++) {
    const finishedAtMs = T0 + i * DAY + 10 * HOUR;
    deploys.push(deploy({ deployId: `gw-${i}`, service: 'gateway', team: 'platform', finishedAtMs, leadTimeMs: 10 * DAY }));
    if (i % 5 === 2) incidents.push(incident({ incidentId: `gw-inc-${i}`, service: 'gateway', openedAtMs: finishedAtMs + HOUR, resolvedAtMs: finishedAtMs + HOUR + 3 * DAY }));
  }
  for (let i = 0; i < 10; i++) deploys.push(deploy({ deployId: `auth-${i}`, service: 'auth', team: 'platform', finishedAtMs: T0 + i * 3 * DAY + 5 * HOUR, leadTimeMs: 10 * DAY }));
  for (let i = 0; i < 3; i++) deploys.push(deploy({ deployId: `ledger-${i}`, service: 'ledger', team: 'legacy', finishedAtMs: T0 + i * 9 * DAY + HOUR, leadTimeMs: 20 * DAY }));
  return { deploys, incidents, breaches };
}

