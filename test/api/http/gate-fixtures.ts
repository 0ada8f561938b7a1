import type { GateDecision, GateResolver, GateVerdict } from '../../../api/graphql/gate-contract.ts';

/** A decision of the gate contract with one check, as a gate evaluation would return it. */
export function gateDecision(verdict: GateVerdict, overrides: Partial<GateDecision> = {}): GateDecision {
  return {
    decisionId: `dec-${verdict.toLowerCase()}`,
    verdict,
    blocking: verdict === 'FAIL' || verdict === 'INCONCLUSIVE',
    service: 'checkout',
    environment: 'production',
    version: '1.4.2',
    baselineVersion: '1.4.1',
    policyVersion: 'policy@7d3a2f1',
    decidedAt: Date.UTC(2026, 0, 15, 12, 0, 0),
    summary: `${verdict}: availability of 1.4.2 over the last hour`,
    checks: [{
      name: 'slo:checkout-availability',
      status: verdict,
      blocking: true,
      observed: verdict === 'INCONCLUSIVE' ? null : verdict === 'FAIL' ? 0.981 : 0.9993,
      threshold: 0.995,
      comparator: '>=',
      unit: 'ratio',
      window: { length: '1h', from: Date.UTC(2026, 0, 15, 11, 0, 0), to: Date.UTC(2026, 0, 15, 12, 0, 0) },
      freshness: verdict === 'INCONCLUSIVE' ? { fresh: false, watermark: null, lagMs: null, reason: 'no data since 11:02' } : { fresh: true, watermark: Date.UTC(2026, 0, 15, 11, 59, 56), lagMs: 4_000, reason: null },
      explanation: verdict === 'FAIL' ? 'good/total 0.981 < 0.995 over 1h (2,104 of 110,732 requests failed)' : 'within target',
    }],
    ...overrides,
  };
}

/** A gate resolver test double that answers `verdict` for whatever it is asked, echoing the release asked about. */
export function fixedGate(verdict: GateVerdict): GateResolver {
  return async (args) => gateDecision(verdict, { service: args.service, environment: args.environment, version: args.version, baselineVersion: args.baselineVersion ?? null });
}
