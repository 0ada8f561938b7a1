import { describe, expect, it } from 'vitest';
import { doraMetrics } from '../../../../engine/core/dora/benchmark-report.ts';
import { attributeFailures } from '../../../../engine/core/dora/failure-attribution.ts';
import { doraOptions } from '../../../../engine/core/dora/dora-options.ts';
import { breach, DAY, deploy, HOUR, incident, MIN, T0 } from './delivery-fixtures.ts';

describe('attribution: the deploy actually serving, never the latest however long ago', () => {
  // checkout in production: v1 on day 0, v2 on day 8, v3 on day 12 rolled back 2 h later
  // (v2 serves again), then deploys that never served checkout in production: v4 to
  // staging, a payments deploy, and a failed attempt of v5 on day 13.8
  const deploys = [
    deploy({ deployId: 'c1', service: 'checkout', finishedAtMs: T0 }),
    deploy({ deployId: 'c2', service: 'checkout', finishedAtMs: T0 + 8 * DAY }),
    deploy({ deployId: 'c3', service: 'checkout', finishedAtMs: T0 + 12 * DAY, status: 'rolled_back', attributes: { rolledBackAtMs: String(T0 + 12 * DAY + 2 * HOUR) } }),
    deploy({ deployId: 'c4', service: 'checkout', environment: 'staging', finishedAtMs: T0 + 13 * DAY }),
    deploy({ deployId: 'p1', service: 'payments', finishedAtMs: T0 + 13.5 * DAY }),
    deploy({ deployId: 'c5', service: 'checkout', finishedAtMs: T0 + 13.8 * DAY, status: 'failed' }),
  ];
  const incidents = [
    // two weeks after c1, with c2, c3, c4, p1, c5 in between: c2 was serving
    incident({ incidentId: 'INC-1', service: 'checkout', openedAtMs: T0 + 14 * DAY, resolvedAtMs: T0 + 14 * DAY + 90 * MIN }),
    // day 30: c2 still serving, but it finished 22 days before — nobody is blamed
    incident({ incidentId: 'INC-2', service: 'checkout', openedAtMs: T0 + 30 * DAY, resolvedAtMs: T0 + 30 * DAY + HOUR }),
  ];
  const breaches = [
    // while c3 served: counted with c3's rollback as one failure
    breach({ slo: 'checkout-availability', service: 'checkout', startMs: T0 + 12 * DAY + 30 * MIN, endMs: T0 + 12 * DAY + 150 * MIN }),
  ];
  const result = attributeFailures({ deploys, incidents, breaches }, doraOptions());

  it('blames the incident of day 14 on c2, the change serving then', () => {
    expect(result.outcomes.get('c2')!.causes).toEqual([{ kind: 'incident', incidentId: 'INC-1', severity: 'SEV2', openedAtMs: T0 + 14 * DAY, resolvedAtMs: T0 + 14 * DAY + 90 * MIN, link: 'serving' }]);
    expect(result.outcomes.get('c2')!.recoveryMs).toBe(90 * MIN);
  });

  it('blames nothing on c1, the staging deploy, the other service or the failed attempt', () => {
    expect(result.outcomes.get('c1')!.failed).toBe(false);
    expect(result.outcomes.get('c4')!.failed).toBe(false);
    expect(result.outcomes.get('p1')!.failed).toBe(false);
    expect(result.outcomes.has('c5')).toBe(false);
    expect(result.attempts.map((d) => d.deployId)).toEqual(['c5']);
  });

  it('counts c3 once, with its rollback and the breach that happened while it served', () => {
    const c3 = result.outcomes.get('c3')!;
    expect(c3.failed).toBe(true);
    expect(c3.causes.map((c) => c.kind)).toEqual(['rollback', 'slo-breach']);
    expect(c3.causes[0]).toEqual({ kind: 'rollback', atMs: T0 + 12 * DAY + 2 * HOUR, by: 'status' });
    // failure from the breach (30 min after the deploy) to the later of the rollback (2 h) and the breach's end (2.5 h)
    expect(c3.failureStartMs).toBe(T0 + 12 * DAY + 30 * MIN);
    expect(c3.restoredAtMs).toBe(T0 + 12 * DAY + 150 * MIN);
    expect(c3.recoveryMs).toBe(2 * HOUR);
  });

  it('reports the incident no deploy can be blamed for, with the reason', () => {
    expect(result.unattributed).toEqual([expect.objectContaining({ kind: 'incident', id: 'INC-2', service: 'checkout' })]);
    expect(result.unattributed[0]!.reason).toMatch(/deploy c2 \(checkout c2\) was serving, but had finished 22 d before, more than the 7 d incident window/);
  });

  it('gives production four deployments, one failed attempt and a change failure rate of 2 / 4 on the period', () => {
    const m = doraMetrics({ deploys, incidents, breaches }, { environment: 'production' }, T0, T0 + 31 * DAY);
    expect(m.keys.deployments).toBe(4); // c1, c2, c3, p1
    expect(m.keys.failedAttempts).toBe(1);
    expect(m.keys.changeFailureRate).toMatchObject({ failed: 2, deployments: 4, ratio: 0.5 });
    expect(m.failedDeployments.map((f) => f.deployId)).toEqual(['c2', 'c3']);
  });

  it('with a longer incident window, day 30 is blamed on c2 too (the window is an option, not a guess)', () => {
    const wide = attributeFailures({ deploys, incidents, breaches }, doraOptions({ incidentWindowMs: 30 * DAY }));
    expect(wide.outcomes.get('c2')!.causes.map((c) => c.kind === 'incident' && c.incidentId)).toEqual(['INC-1', 'INC-2']);
  });
});

describe('a rollback is counted once', () => {
  // s2 is rolled back twice over: its status says rolled_back, and a rollback deploy names it
  const deploys = [
    deploy({ deployId: 's1', service: 'search', finishedAtMs: T0, commitSha: 'aaaaaaa1' }),
    deploy({ deployId: 's2', service: 'search', finishedAtMs: T0 + DAY, status: 'rolled_back' }),
    deploy({ deployId: 's2-rollback', service: 'search', finishedAtMs: T0 + DAY + HOUR, commitSha: 'aaaaaaa1', version: 's1', attributes: { rollbackOf: 's2' } }),
    deploy({ deployId: 's3', service: 'search', finishedAtMs: T0 + 2 * DAY }),
  ];
  const incidents = [incident({ incidentId: 'INC-9', service: 'search', openedAtMs: T0 + DAY + 20 * MIN, resolvedAtMs: T0 + DAY + 70 * MIN, linkedDeployId: 's2' })];
  const breaches = [breach({ slo: 'search-availability', service: 'search', startMs: T0 + DAY + 10 * MIN, endMs: T0 + DAY + 80 * MIN })];

  it('as one failed deployment with three causes; the rollback deploy is not a deployment', () => {
    const m = doraMetrics({ deploys, incidents, breaches }, { environment: 'production', service: 'search' }, T0, T0 + 3 * DAY);
    expect(m.keys).toMatchObject({ deployments: 3, rollbackDeploys: 1, changeFailureRate: { failed: 1, deployments: 3 } });
    const [failed] = m.failedDeployments;
    expect(failed!.deployId).toBe('s2');
    expect(failed!.causes.map((c) => c.kind)).toEqual(['rollback', 'slo-breach', 'incident']);
    expect(failed!.causes[0]).toEqual({ kind: 'rollback', atMs: T0 + DAY + HOUR, by: 'rollback-deploy' });
    // from the breach (10 min) to the breach's end (80 min), the latest of rollback (60), incident (70), breach (80)
    expect(failed!.recoveryMs).toBe(70 * MIN);
  });

  it('and the same when the rollback deploy names nothing but redeploys the commit that served before', () => {
    const unnamed = deploys.map((d) => (d.deployId === 's2-rollback' ? { ...d, attributes: {} } : d));
    const m = doraMetrics({ deploys: unnamed, incidents, breaches }, { environment: 'production', service: 'search' }, T0, T0 + 3 * DAY);
    expect(m.keys).toMatchObject({ deployments: 3, rollbackDeploys: 1, changeFailureRate: { failed: 1 } });
  });

  it('an incident after the rollback is blamed on the restored change, not on the rollback deploy', () => {
    const later = [incident({ incidentId: 'INC-10', service: 'search', openedAtMs: T0 + DAY + 3 * HOUR })];
    const r = attributeFailures({ deploys, incidents: later, breaches: [] }, doraOptions());
    expect(r.outcomes.get('s1')!.causes).toEqual([expect.objectContaining({ kind: 'incident', incidentId: 'INC-10', link: 'serving' })]);
    expect(r.outcomes.has('s2-rollback')).toBe(false);
  });

  it('a deploy sent twice (succeeded, then rolled_back) is one deploy in its latest state', () => {
    const twice = [
      deploy({ deployId: 'x1', service: 'x', finishedAtMs: T0, reportedAtMs: T0 }),
      deploy({ deployId: 'x2', service: 'x', finishedAtMs: T0 + DAY, reportedAtMs: T0 + DAY }),
      deploy({ deployId: 'x2', service: 'x', finishedAtMs: T0 + DAY, reportedAtMs: T0 + DAY + HOUR, status: 'rolled_back' }),
    ];
    const m = doraMetrics({ deploys: twice, incidents: [], breaches: [] }, { environment: 'production' }, T0, T0 + 2 * DAY);
    expect(m.keys).toMatchObject({ deployments: 2, changeFailureRate: { failed: 1 } });
    // rolled back when the status was reported: 1 h after it finished
    expect(m.failedDeployments[0]!.recoveryMs).toBe(HOUR);
  });
});

describe('breaches', () => {
  const deploys = [deploy({ deployId: 'a1', service: 'api', finishedAtMs: T0 }), deploy({ deployId: 'a2', service: 'api', finishedAtMs: T0 + 3 * DAY })];

  it.each([
    { name: 'within the window after the serving deploy: blamed on it', startMs: T0 + 3 * DAY + 5 * HOUR, blamed: 'a2' },
    { name: 'more than the window after it: unattributed', startMs: T0 + 2 * DAY, blamed: undefined },
    { name: 'before any deploy: unattributed', startMs: T0 - HOUR, blamed: undefined },
  ])('$name', ({ startMs, blamed }) => {
    const r = attributeFailures({ deploys, incidents: [], breaches: [breach({ slo: 'api-availability', service: 'api', startMs })] }, doraOptions());
    const failed = [...r.outcomes.values()].filter((o) => o.failed).map((o) => o.deploy.deployId);
    expect(failed).toEqual(blamed === undefined ? [] : [blamed]);
    expect(r.unattributed.length).toBe(blamed === undefined ? 1 : 0);
  });

  it('an SLO key with a version is blamed on that version\'s deploy, even when another one serves', () => {
    const canary = [...deploys, deploy({ deployId: 'a3-canary', service: 'api', version: '3.0.0-canary', finishedAtMs: T0 + 3 * DAY - HOUR })];
    const r = attributeFailures({ deploys: canary, incidents: [], breaches: [breach({ slo: 'api-availability', service: 'api', version: '3.0.0-canary', startMs: T0 + 3 * DAY + HOUR })] }, doraOptions());
    expect(r.outcomes.get('a3-canary')!.failed).toBe(true);
    expect(r.outcomes.get('a2')!.failed).toBe(false);
  });

  it('a breach still open leaves the failure unrecovered', () => {
    const r = attributeFailures({ deploys, incidents: [], breaches: [breach({ slo: 'api-availability', service: 'api', startMs: T0 + 3 * DAY + HOUR })] }, doraOptions());
    expect(r.outcomes.get('a2')).toMatchObject({ failed: true, failureStartMs: T0 + 3 * DAY + HOUR, restoredAtMs: undefined, recoveryMs: undefined });
  });
});

describe('incidents', () => {
  const deploys = [deploy({ deployId: 'a1', service: 'api', finishedAtMs: T0 }), deploy({ deployId: 'a2', service: 'api', finishedAtMs: T0 + 3 * DAY, status: 'failed' })];

  it('an incident naming a failed attempt is not a failed deployment, and says why', () => {
    const r = attributeFailures({ deploys, incidents: [incident({ incidentId: 'I', service: 'api', openedAtMs: T0 + 3 * DAY, linkedDeployId: 'a2' })], breaches: [] }, doraOptions());
    expect(r.outcomes.get('a1')!.failed).toBe(false);
    expect(r.unattributed[0]!.reason).toMatch(/names deploy a2 \(api a2\), an attempt that never served \(status failed\)/);
  });

  it('an incident naming an unknown deploy falls back to the deploy serving then', () => {
    const r = attributeFailures({ deploys, incidents: [incident({ incidentId: 'I', service: 'api', openedAtMs: T0 + DAY, linkedDeployId: 'nope' })], breaches: [] }, doraOptions());
    expect(r.outcomes.get('a1')!.causes).toEqual([expect.objectContaining({ incidentId: 'I', link: 'serving' })]);
  });

  it('severities not counted are not failures', () => {
    const r = attributeFailures({ deploys, incidents: [incident({ incidentId: 'I', service: 'api', severity: 'SEV5', openedAtMs: T0 + DAY })], breaches: [] }, doraOptions({ severities: ['SEV1', 'SEV2'] }));
    expect(r.outcomes.get('a1')!.failed).toBe(false);
    expect(r.unattributed).toEqual([]);
  });
});

describe('links made by the alert doors', () => {
  it('an incident sluice linked to the deploy serving then is attributed like an unlinked one: never past the window', () => {
    const deploys = [deploy({ deployId: 'old', service: 'api', finishedAtMs: T0 })];
    const incidents = [
      incident({ incidentId: 'near', service: 'api', openedAtMs: T0 + DAY, linkedDeployId: 'old', linkedBy: 'serving' }),
      incident({ incidentId: 'far', service: 'api', openedAtMs: T0 + 20 * DAY, linkedDeployId: 'old', linkedBy: 'serving' }),
      incident({ incidentId: 'named', service: 'api', openedAtMs: T0 + 20 * DAY, linkedDeployId: 'old', linkedBy: 'reporter' }),
    ];
    const r = attributeFailures({ deploys, incidents, breaches: [] }, doraOptions());
    expect(r.outcomes.get('old')!.causes.map((c) => c.kind === 'incident' && `${c.incidentId}:${c.link}`)).toEqual(['near:serving', 'named:named']);
    expect(r.unattributed.map((u) => u.id)).toEqual(['far']);
  });
});
