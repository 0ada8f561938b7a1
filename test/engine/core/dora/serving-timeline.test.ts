import { describe, expect, it } from 'vitest';
import { ServingTimeline } from '../../../../engine/core/dora/serving-timeline.ts';
import { DAY, deploy, HOUR, T0 } from './delivery-fixtures.ts';

const servingId = (t: ServingTimeline, atMs: number, service = 'svc', environment = 'production') => t.servingAt(service, environment, atMs)?.change.deployId;

describe('which change was serving', () => {
  it('is the deploy that finished last, from its finish until the next one finishes', () => {
    const t = new ServingTimeline([
      deploy({ deployId: 'b', service: 'svc', finishedAtMs: T0 + DAY }),
      deploy({ deployId: 'a', service: 'svc', finishedAtMs: T0 }),
      deploy({ deployId: 'running', service: 'svc', startedAtMs: T0 + 2 * DAY, finishedAtMs: undefined as unknown as number }),
    ]);
    expect(servingId(t, T0 - 1)).toBeUndefined();
    expect(servingId(t, T0)).toBe('a');
    expect(servingId(t, T0 + DAY - 1)).toBe('a');
    expect(servingId(t, T0 + DAY)).toBe('b');
    expect(servingId(t, T0 + 100 * DAY)).toBe('b');
  });

  it('is kept apart per service and environment', () => {
    const t = new ServingTimeline([
      deploy({ deployId: 'prod', service: 'svc', finishedAtMs: T0 }),
      deploy({ deployId: 'stg', service: 'svc', environment: 'staging', finishedAtMs: T0 + HOUR }),
      deploy({ deployId: 'other', service: 'other', finishedAtMs: T0 + HOUR }),
    ]);
    expect(servingId(t, T0 + 2 * HOUR)).toBe('prod');
    expect(servingId(t, T0 + 2 * HOUR, 'svc', 'staging')).toBe('stg');
  });

  it('goes back to the previous change when a deploy is rolled back at its rolledBackAtMs', () => {
    const t = new ServingTimeline([
      deploy({ deployId: 'a', service: 'svc', finishedAtMs: T0 }),
      deploy({ deployId: 'b', service: 'svc', finishedAtMs: T0 + DAY, status: 'rolled_back', attributes: { rolledBackAtMs: String(T0 + DAY + HOUR) } }),
    ]);
    expect(servingId(t, T0 + DAY + 30 * 60_000)).toBe('b');
    expect(t.servingAt('svc', 'production', T0 + DAY + HOUR)).toMatchObject({ change: { deployId: 'a' }, via: { kind: 'rollback', deploy: { deployId: 'b' } } });
    expect(t.rolledBack.get('b')).toBe(T0 + DAY + HOUR);
  });

  it('ignores a rollback date after the deploy was already replaced', () => {
    const t = new ServingTimeline([
      deploy({ deployId: 'a', service: 'svc', finishedAtMs: T0 }),
      deploy({ deployId: 'b', service: 'svc', finishedAtMs: T0 + DAY, status: 'rolled_back', attributes: { rolledBackAtMs: String(T0 + 3 * DAY) } }),
      deploy({ deployId: 'c', service: 'svc', finishedAtMs: T0 + 2 * DAY }),
    ]);
    expect(servingId(t, T0 + 4 * DAY)).toBe('c');
    expect(t.rolledBack.get('b')).toBe(T0 + 2 * DAY);
  });

  it('treats a rollback deploy as the restored change, not as a change of its own', () => {
    const t = new ServingTimeline([
      deploy({ deployId: 'a', service: 'svc', finishedAtMs: T0, commitSha: 'aaaaaaaa' }),
      deploy({ deployId: 'b', service: 'svc', finishedAtMs: T0 + DAY, status: 'rolled_back' }),
      deploy({ deployId: 'r', service: 'svc', finishedAtMs: T0 + DAY + HOUR, commitSha: 'aaaaaaaa' }),
    ]);
    expect(t.isRollbackDeploy('r')).toBe(true);
    expect(t.servingAt('svc', 'production', T0 + 2 * DAY)).toMatchObject({ change: { deployId: 'a' }, via: { kind: 'rollback-deploy', deploy: { deployId: 'r' } } });
    expect(t.rolledBack.get('b')).toBe(T0 + DAY + HOUR);
  });

  it('a redeploy of the same commit after a healthy deploy is a deploy like any other', () => {
    const t = new ServingTimeline([
      deploy({ deployId: 'a', service: 'svc', finishedAtMs: T0, commitSha: 'aaaaaaaa' }),
      deploy({ deployId: 'b', service: 'svc', finishedAtMs: T0 + DAY }),
      deploy({ deployId: 'r', service: 'svc', finishedAtMs: T0 + 2 * DAY, commitSha: 'aaaaaaaa' }),
    ]);
    expect(t.isRollbackDeploy('r')).toBe(false);
    expect(servingId(t, T0 + 3 * DAY)).toBe('r');
  });
});
