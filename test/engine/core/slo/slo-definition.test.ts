import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssues } from '../../../../schema/events/v1/attributes.ts';
import {
  buildSlo,
  complianceRange,
  SloDefinitionSchema,
} from '../../../../engine/core/slo/slo-definition.ts';
import { parseSloYaml } from '../../../../engine/adapters/slo-directory-loader.ts';
import { evaluateSlo } from '../../../../engine/core/slo-evaluator.ts';
import { T0_MS } from '../fixtures/sli-events.ts';
import { DAY, emptyStore, fillMinutes, freshAt, MIN, testSlo } from '../fixtures/slo-fixtures.ts';

const valid = () => ({
  apiVersion: 'sluice/v1',
  kind: 'SLO',
  metadata: { name: 'checkout-availability' },
  spec: {
    service: 'checkout',
    environment: 'production',
    tier: 'critical',
    indicator: { kind: 'availability' },
    objectives: [{ target: 0.999 }],
    timeWindow: [{ duration: '28d', isRolling: true }],
  },
});

type Mutation = (d: ReturnType<typeof valid>) => unknown;

describe('SLO definition format', () => {
  const rejected: { name: string; mutate: Mutation; message: string }[] = [
    { name: 'rejects an unknown key in spec with its path', mutate: (d) => ({ ...d, spec: { ...d.spec, sevrice: 'x' } }), message: 'spec: Unrecognized key: "sevrice"' },
    { name: 'rejects a target given as a percentage', mutate: (d) => ({ ...d, spec: { ...d.spec, objectives: [{ target: 99.9 }] } }), message: 'spec.objectives.0.target: must be < 1 (a ratio, e.g. 0.999, not 99.9)' },
    { name: 'rejects two objectives', mutate: (d) => ({ ...d, spec: { ...d.spec, objectives: [{ target: 0.99 }, { target: 0.999 }] } }), message: 'spec.objectives: exactly one objective is supported' },
    { name: 'rejects a duration without a unit', mutate: (d) => ({ ...d, spec: { ...d.spec, timeWindow: [{ duration: '28', isRolling: true }] } }), message: 'spec.timeWindow.0.duration: must be a positive whole duration such as 250ms, 30s, 5m, 1h, 28d or 2w' },
    { name: 'rejects a calendar window in another time zone', mutate: (d) => ({ ...d, spec: { ...d.spec, timeWindow: [{ duration: '1M', isRolling: false, calendar: { timeZone: 'Europe/Paris' } }] } }), message: 'spec.timeWindow.0.calendar.timeZone: only UTC calendar months are supported' },
    { name: 'rejects an unknown tier', mutate: (d) => ({ ...d, spec: { ...d.spec, tier: 'gold' } }), message: 'spec.tier' },
    { name: 'rejects an unknown apiVersion', mutate: (d) => ({ ...d, apiVersion: 'sloth/v1' }), message: 'apiVersion' },
    { name: 'rejects an upper-case name', mutate: (d) => ({ ...d, metadata: { name: 'Checkout' } }), message: 'metadata.name: must be lower-case' },
    { name: 'rejects a burn rate that the target can never reach', mutate: (d) => ({ ...d, spec: { ...d.spec, alerting: { rules: [{ severity: 'page', longWindow: '1h', shortWindow: '5m', burnRate: 2000 }] } } }), message: 'spec.alerting.rules.0.burnRate: 2000 can never be reached with target 0.999' },
    { name: 'rejects an alert window longer than the SLO window', mutate: (d) => ({ ...d, spec: { ...d.spec, timeWindow: [{ duration: '7d', isRolling: true }], alerting: { rules: [{ severity: 'ticket', longWindow: '2w', shortWindow: '1d', burnRate: 1 }] } } }), message: 'spec.alerting.rules.0.longWindow: must not be longer than the SLO window (1w)' },
    { name: 'rejects a minEvents of 0', mutate: (d) => ({ ...d, spec: { ...d.spec, minEvents: 0 } }), message: 'spec.minEvents' },
  ];
  it.each(rejected)('$name', ({ mutate, message }) => {
    const result = SloDefinitionSchema.safeParse(mutate(valid()));
    expect(result.success).toBe(false);
    expect(formatIssues(result.error!)).toContain(message);
  });

  const minimums: { name: string; target: number; minEvents: number }[] = [
    { name: 'the default minEvents at 99.9 % is the rule of three, 3 / (1 − 0.999) = 3,000 events', target: 0.999, minEvents: 3000 },
    { name: 'the default minEvents at 99 % is 300 events', target: 0.99, minEvents: 300 },
    { name: 'the default minEvents at 90 % is 30 events', target: 0.9, minEvents: 30 },
    { name: 'the default minEvents at 99.99 % is 30,000 events', target: 0.9999, minEvents: 30_000 },
  ];
  it.each(minimums)('$name', ({ target, minEvents }) => {
    const d = valid();
    expect(buildSlo(SloDefinitionSchema.parse({ ...d, spec: { ...d.spec, objectives: [{ target }] } })).minEvents).toBe(minEvents);
  });

  const holds: { name: string; holdFor?: string; holdMs: number }[] = [
    { name: 'the hold defaults to 10 minutes', holdMs: 600_000 },
    { name: 'spec.alerting.holdFor sets the hold', holdFor: '30m', holdMs: 1_800_000 },
    { name: 'holdFor 0m switches the hold off', holdFor: '0m', holdMs: 0 },
  ];
  it.each(holds)('$name', ({ holdFor, holdMs }) => {
    const d = valid();
    const spec = holdFor === undefined ? d.spec : { ...d.spec, alerting: { holdFor } };
    expect(buildSlo(SloDefinitionSchema.parse({ ...d, spec })).holdMs).toBe(holdMs);
  });

  it('rejects a holdFor without a unit, naming the option', () => {
    const d = valid();
    const result = SloDefinitionSchema.safeParse({ ...d, spec: { ...d.spec, alerting: { holdFor: '10' } } });
    expect(formatIssues(result.error!)).toContain('spec.alerting.holdFor: must be a whole duration');
  });

  it('takes minBadEvents from spec.alerting and keeps the tier rules when no rules are given', () => {
    const d = valid();
    const slo = buildSlo(SloDefinitionSchema.parse({ ...d, spec: { ...d.spec, alerting: { minBadEvents: 20 } } }));
    expect(slo.minBadEvents).toBe(20);
    expect(slo.alertRules.map((r) => r.name)).toEqual(['page-1h-5m', 'page-6h-30m', 'ticket-1d-2h', 'ticket-3d-6h']);
  });

  it('builds a runtime SLO with defaults: tier rules, minEvents 3 / (1 − target), 5 bad events per rule, 10 min staleness', () => {
    const slo = buildSlo(SloDefinitionSchema.parse(valid()));
    expect(slo).toMatchObject({
      name: 'checkout-availability',
      displayName: 'checkout-availability',
      target: 0.999,
      compliance: { kind: 'rolling', durationMs: 28 * 86_400_000 },
      minEvents: 3000,
      minBadEvents: 5,
      maxStalenessMs: 600_000,
      indicator: { kind: 'availability', minBadHttpStatus: 500, spanKinds: ['server', 'consumer'] },
    });
    expect(slo.alertRules.map((r) => r.name)).toEqual(['page-1h-5m', 'page-6h-30m', 'ticket-1d-2h', 'ticket-3d-6h']);
  });

  const ranges: { name: string; compliance: Parameters<typeof complianceRange>[0]; fromMs: number }[] = [
    { name: 'a rolling 28-day window ends now and starts 28 days earlier', compliance: { kind: 'rolling', durationMs: 28 * 86_400_000 }, fromMs: T0_MS - 28 * 86_400_000 },
    { name: 'a calendar month starts on the 1st at 00:00 UTC', compliance: { kind: 'calendarMonth' }, fromMs: Date.UTC(2025, 2, 1) },
  ];
  it.each(ranges)('$name', ({ compliance, fromMs }) => {
    expect(complianceRange(compliance, T0_MS)).toEqual({ fromMs, toMs: T0_MS });
  });

  const exampleDir = join(import.meta.dirname, '../../../../examples/slos');
  it.each(readdirSync(exampleDir).filter((f) => f.endsWith('.yaml')))('accepts the example file %s', (file) => {
    const set = parseSloYaml(file, readFileSync(join(exampleDir, file), 'utf8'));
    expect(set.errors).toEqual([]);
    expect(set.slos.length).toBeGreaterThan(0);
  });

  it('reports each bad document of a multi-document file and keeps the good ones', () => {
    const text = `${JSON.stringify(valid())}\n---\napiVersion: sluice/v1\nkind: SLO\nmetadata: { name: x }\n---\n: : bad yaml [\n`;
    const set = parseSloYaml('slos.yaml', text);
    expect(set.slos.map((s) => s.slo.name)).toEqual(['checkout-availability']);
    expect(set.errors.map((e) => [e.documentIndex, e.message.slice(0, 20)])).toEqual([
      [1, 'spec: Invalid input:'],
      [2, 'invalid YAML: Nested'],
    ]);
  });
});

describe('tier default alert rules checked against the target and the SLO window', () => {
  /** Minutes from the start of a total outage (after a clean day at 1 000 requests a minute) until the SLO is first BREACHED. */
  function minutesToBreach(spec: Record<string, unknown>, limitMinutes: number): number | undefined {
    const slo = testSlo(spec);
    const store = fillMinutes(emptyStore(), T0_MS - DAY, T0_MS + limitMinutes * MIN, (m) => ({ good: m < T0_MS ? 1000 : 0, total: 1000 }));
    for (let t = 1; t <= limitMinutes; t++) {
      const now = T0_MS + t * MIN;
      if (evaluateSlo({ slo, store, freshness: freshAt(now), nowMs: now }).status === 'BREACHED') return t;
    }
    return undefined;
  }

  it('at a 90 % target a total outage pages after 30 minutes: the unreachable 14.4× page rule is lowered to 5×', () => {
    expect(minutesToBreach({ objectives: [{ target: 0.9 }] }, 240)).toBe(30);
  });

  it('at a 90 % target the built SLO lists the adapted rules in its notes with their detection time', () => {
    const slo = testSlo({ objectives: [{ target: 0.9 }] });
    expect(slo.alertRules.map((r) => [r.name, r.burnRateThreshold])).toEqual([
      ['page-1h-5m', 5],
      ['page-6h-30m', 5],
      ['ticket-1d-2h', 3],
      ['ticket-3d-6h', 1],
    ]);
    expect(slo.notes).toEqual([
      'page-1h-5m: burn rate 14.4× is more than half the highest burn rate possible at target 0.9 (10×); lowered to 5×, so a total outage fires it after 30m',
      'page-6h-30m: burn rate 6× is more than half the highest burn rate possible at target 0.9 (10×); lowered to 5×, so a total outage fires it after 3h',
    ]);
  });

  it('at 99.9 % the tier rules are the workbook\'s, unchanged and without notes', () => {
    const slo = testSlo();
    expect(slo.alertRules.map((r) => r.burnRateThreshold)).toEqual([14.4, 6, 3, 1]);
    expect(slo.notes).toEqual([]);
  });

  it('a 1d SLO drops the 3-day default rule and says so in its notes', () => {
    const slo = testSlo({ timeWindow: [{ duration: '1d', isRolling: true }] });
    expect(slo.alertRules.map((r) => r.name)).toEqual(['page-1h-5m', 'page-6h-30m', 'ticket-1d-2h']);
    expect(slo.notes).toEqual(['ticket-3d-6h dropped: its long window 3d is longer than the 1d SLO window']);
  });

  const failing: { name: string; spec: Record<string, unknown>; message: string }[] = [
    {
      name: 'a target below 0.5 cannot use the tier rules: loading fails naming the target and the tier, asking for spec.alerting',
      spec: { objectives: [{ target: 0.4 }] },
      message: "spec.objectives.0.target: 0.4 is too low for the default alert rules of tier critical (spec.tier): the highest burn rate possible is 1.67×, and a default rule is never lowered below 1×; give your own spec.alerting.rules",
    },
    {
      name: 'an SLO window shorter than every default rule\'s long window fails naming the window, asking for spec.alerting',
      spec: { timeWindow: [{ duration: '30m', isRolling: true }] },
      message: "spec.timeWindow.0.duration: 30m is shorter than the long window of every default alert rule of tier critical (spec.tier); give your own spec.alerting.rules",
    },
  ];
  it.each(failing)('$name', ({ spec, message }) => {
    const d = valid();
    const result = SloDefinitionSchema.safeParse({ ...d, spec: { ...d.spec, ...spec } });
    expect(result.success).toBe(false);
    expect(formatIssues(result.error!)).toContain(message);
  });

  it('rules given in spec.alerting are checked, never adapted (a 1d SLO with a 3d rule is rejected as before)', () => {
    const d = valid();
    const result = SloDefinitionSchema.safeParse({
      ...d,
      spec: { ...d.spec, timeWindow: [{ duration: '1d', isRolling: true }], alerting: { rules: [{ severity: 'ticket', longWindow: '3d', shortWindow: '6h', burnRate: 1 }] } },
    });
    expect(formatIssues(result.error!)).toContain('spec.alerting.rules.0.longWindow: must not be longer than the SLO window (1d)');
  });
});

describe('docs/slo-format.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '../../../../docs/slo-format.md'), 'utf8');
  const examples = [...doc.matchAll(/```yaml\n(apiVersion:[\s\S]*?)```/g)].map((m) => m[1]!);
  it('shows a full example for every indicator kind', () => {
    expect(examples.map((text) => /kind: (\w+)\n/.exec(text.split('indicator:')[1]!)?.[1])).toEqual([
      'availability',
      'latency',
      'errorLogRatio',
      'syntheticSuccess',
    ]);
  });
  it.each(examples.map((text, i) => [i, text] as const))('accepts documented example %i', (_i, text) => {
    expect(parseSloYaml('docs', text).errors).toEqual([]);
  });
});
