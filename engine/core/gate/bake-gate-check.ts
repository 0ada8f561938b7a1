import type { GatePolicyRules } from '../../../schema/policies/gate-policy.ts';
import { formatDurationMs } from '../time/duration.ts';
import type { GateBakeInput, GateCheckResult } from './gate-inputs.ts';

const iso = (ms: number) => new Date(ms).toISOString();
/** Whole minutes, or whole seconds under a minute. */
const bakedText = (ms: number) => (ms >= 60_000 ? formatDurationMs(Math.floor(ms / 60_000) * 60_000) : `${Math.floor(ms / 1000)}s`);

/**
 * `bake:<environment>`: the policy's bake requirement — the version must have served in
 * the bake environment (e.g. staging) for at least minDuration, counted from the finish of
 * its first succeeded deploy there. Too short, or no such deploy recorded, is
 * INCONCLUSIVE: the version is not known to be bad, there is not enough evidence yet
 * (ask again later; whether that blocks is the policy's `inconclusive`).
 */
export function bakeCheck(bake: GateBakeInput | undefined, rules: GatePolicyRules, version: string, decidedAtMs: number): GateCheckResult | undefined {
  const requirement = rules.bake;
  if (requirement === undefined || bake === undefined) return undefined;
  const base = {
    name: `bake:${requirement.environment}`,
    blocking: rules.checks.bake === 'block',
    threshold: requirement.minDurationMs,
    comparator: '>=' as const,
    unit: 'ms',
    freshness: { fresh: bake.unavailable === undefined, watermark: null, lagMs: null, reason: bake.unavailable ?? null },
  };
  const required = formatDurationMs(requirement.minDurationMs);
  if (bake.unavailable !== undefined) {
    return { ...base, status: 'INCONCLUSIVE', observed: null, window: { length: required, from: null, to: decidedAtMs }, explanation: `deploy records could not be read: ${bake.unavailable}` };
  }
  if (bake.firstServedAtMs === undefined) {
    return { ...base, status: 'INCONCLUSIVE', observed: null, window: { length: required, from: null, to: decidedAtMs }, explanation: `version ${version} has no succeeded deploy recorded in ${requirement.environment}: it has not baked there (${required} required)` };
  }
  const bakedMs = Math.max(0, decidedAtMs - bake.firstServedAtMs);
  const window = { length: required, from: bake.firstServedAtMs, to: decidedAtMs };
  if (bakedMs < requirement.minDurationMs) {
    return {
      ...base, status: 'INCONCLUSIVE', observed: bakedMs, window,
      explanation: `version ${version} has served in ${requirement.environment} for ${bakedText(bakedMs)} of the ${required} required (since ${iso(bake.firstServedAtMs)}); ask again after ${iso(bake.firstServedAtMs + requirement.minDurationMs)}`,
    };
  }
  return { ...base, status: 'PASS', observed: bakedMs, window, explanation: `version ${version} has served in ${requirement.environment} since ${iso(bake.firstServedAtMs)} (${required} required)` };
}
