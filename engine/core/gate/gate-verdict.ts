import type { GatePolicyRules } from '../../../schema/policies/gate-policy.ts';
import type { GateCheckResult, GateRequest, GateStatus } from './gate-inputs.ts';

/**
 * The verdict from the checks (docs/gates.md "Verdict"):
 *
 *  1. FAIL when a blocking check fails;
 *  2. else INCONCLUSIVE when a blocking check is INCONCLUSIVE (stale or too little data);
 *  3. else WARN when any check is not PASS (a WARN, or an advisory check's FAIL or
 *     INCONCLUSIVE: a policy's `checks.<kind>: warn` makes a check advisory);
 *  4. else PASS — only when every check passed.
 *
 * `blocking` is what a pipeline acts on: FAIL always blocks; INCONCLUSIVE blocks unless
 * the environment's policy says `inconclusive: pass` (then the verdict stays INCONCLUSIVE,
 * honestly, and the decision records `blocking: false`); PASS and WARN never block.
 */
export function gateVerdict(checks: readonly GateCheckResult[], rules: GatePolicyRules): { verdict: GateStatus; blocking: boolean; deciding: GateCheckResult[] } {
  const blockingWith = (status: GateStatus) => checks.filter((c) => c.blocking && c.status === status);
  const failed = blockingWith('FAIL');
  if (failed.length > 0) return { verdict: 'FAIL', blocking: true, deciding: failed };
  const inconclusive = blockingWith('INCONCLUSIVE');
  if (inconclusive.length > 0) return { verdict: 'INCONCLUSIVE', blocking: rules.inconclusive === 'block', deciding: inconclusive };
  if (checks.length === 0) return { verdict: 'INCONCLUSIVE', blocking: rules.inconclusive === 'block', deciding: [] };
  const warned = checks.filter((c) => c.status !== 'PASS');
  if (warned.length > 0) return { verdict: 'WARN', blocking: false, deciding: warned };
  return { verdict: 'PASS', blocking: false, deciding: [] };
}

/** The decision's one sentence: the verdict, whether it blocks, and the first check that decided it. */
export function gateSummary(request: GateRequest, verdict: GateStatus, blocking: boolean, deciding: readonly GateCheckResult[], checks: number, policyName: string): string {
  const release = `${request.service} ${request.version} → ${request.environment}`;
  const first = deciding[0];
  const more = deciding.length > 1 ? ` (and ${deciding.length - 1} more)` : '';
  const because = first === undefined ? '' : `${first.name}: ${first.explanation}${more}`;
  switch (verdict) {
    case 'FAIL':
      return `${release} FAILS: ${because}`;
    case 'INCONCLUSIVE':
      return `${release} is INCONCLUSIVE, which ${blocking ? 'blocks' : `does not block (policy ${policyName}: inconclusive: pass)`}: ${because || 'no checks'}`;
    case 'WARN':
      return `${release} passes with a warning: ${because}`;
    case 'PASS':
      return `${release} passes all ${checks} checks`;
  }
}
