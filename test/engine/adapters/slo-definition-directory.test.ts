import { describe, expect, it } from 'vitest';
import { definitionEntry, latestDefinitionsQuery } from '../../../engine/adapters/slo-definition-directory.ts';
import { SloDefinitionSchema } from '../../../engine/core/slo/slo-definition.ts';

const definition = (o: { labels?: Record<string, string>; tier?: string; rules?: unknown[] } = {}) => SloDefinitionSchema.parse({
  apiVersion: 'sluice/v1', kind: 'SLO',
  metadata: { name: 'checkout-availability', ...(o.labels ? { labels: o.labels } : {}) },
  spec: {
    service: 'checkout', environment: 'production', tier: o.tier ?? 'standard', indicator: { kind: 'availability' },
    objectives: [{ target: 0.999 }], timeWindow: [{ duration: '28d', isRolling: true }],
    ...(o.rules ? { alerting: { rules: o.rules } } : {}),
  },
});

describe('SLO directory entries', () => {
  it('takes the team from metadata.labels.team and each rule severity as the judge uses it (tier defaults)', () => {
    expect(definitionEntry(definition({ labels: { team: 'payments', other: 'x' } }))).toEqual({
      name: 'checkout-availability', service: 'checkout', environment: 'production', team: 'payments', tier: 'standard', indicator: 'availability', target: 0.999,
      // standard tier: the 6× rule is a ticket (docs/slo-format.md)
      ruleSeverities: { 'page-1h-5m': 'page', 'ticket-6h-30m': 'ticket', 'ticket-1d-2h': 'ticket', 'ticket-3d-6h': 'ticket' },
    });
  });

  it('has no team without the label, and the severities of explicit rules', () => {
    const e = definitionEntry(definition({ rules: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 10, name: 'fast' }] }));
    expect([e.team, e.ruleSeverities]).toEqual([undefined, { fast: 'page' }]);
  });

  it('reads the latest recorded row of each SLO', () => {
    expect(latestDefinitionsQuery().sql).toMatch(/argMax\(definition, loaded_at\)[\s\S]*GROUP BY slo/);
  });
});
