import { describe, expect, it } from 'vitest';
import { incidentsQuery, rawLogMinutesQuery, signalDerivation, signalMinutesQuery, sloMinutesQuery, type SignalDerivation } from '../../../engine/adapters/history-queries.ts';
import { bucketIndexOf } from '../../../engine/core/sketch/latency-sketch.ts';
import { testSlo } from '../core/fixtures/slo-fixtures.ts';

const FROM = Date.UTC(2026, 0, 1);
const TO = Date.UTC(2026, 3, 1);
/** Values a test puts in SLOs: none may appear in SQL text, all must be parameters. */
const HOSTILE = "x' OR 1=1 --";

describe('history SQL builders', () => {
  const cases = [
    { name: 'availability with a route and an operation', indicator: { kind: 'availability', route: HOSTILE, operation: `${HOSTILE}op`, minBadHttpStatus: 429 }, signal: 'spans', params: { route: HOSTILE, operation: `${HOSTILE}op`, min_bad_http_status: 429, span_kinds: ['server', 'consumer'] } },
    { name: 'latency', indicator: { kind: 'latency', thresholdMs: 300, spanKinds: ['client'] }, signal: 'spans', params: { threshold_bucket: bucketIndexOf(300), span_kinds: ['client'] } },
    { name: 'error logs without a match', indicator: { kind: 'errorLogRatio', minBadSeverity: 21 }, signal: 'logs', params: { min_bad_severity: 21 } },
    { name: 'synthetic checks of a journey and a location', indicator: { kind: 'syntheticSuccess', journey: HOSTILE, location: 'eu-west-1' }, signal: 'checks', params: { journey: HOSTILE, location: 'eu-west-1' } },
  ];
  it.each(cases)('derives $name from signal rollups with every value a server-side parameter', ({ indicator, signal, params }) => {
    const slo = testSlo({ service: HOSTILE, indicator });
    const d = signalDerivation(slo) as SignalDerivation;
    expect(d.signal).toBe(signal);
    const q = signalMinutesQuery(slo, d, FROM, TO);
    expect(q.sql).not.toContain(HOSTILE);
    expect(q.sql).toMatch(/\{service:String\}/);
    expect(q.params).toMatchObject({ ...params, signal, service: HOSTILE, environment: 'production', from_s: FROM / 1000, to_s: TO / 1000 });
    for (const name of Object.keys(q.params)) expect(q.sql, name).toMatch(new RegExp(`\\{${name}:`));
  });

  it('says why an errorLogRatio SLO with a match cannot come from rollups, and reads raw records weighted by 1/p instead', () => {
    const slo = testSlo({ indicator: { kind: 'errorLogRatio', match: { field: 'attributes.component', contains: HOSTILE } } });
    expect(signalDerivation(slo)).toEqual({ notDerivable: expect.stringMatching(/match on attributes\.component needs the log records themselves/) });
    const q = rawLogMinutesQuery(slo, FROM, TO);
    expect(q.sql).not.toContain(HOSTILE);
    expect(q.sql).toMatch(/sum\(sample_weight\)/);
    expect(q.params).toMatchObject({ match_key: 'component', match_text: HOSTILE });
  });

  it('reads sli_rollups by SLO name, and incidents by service, with parameters only', () => {
    const slo = { ...testSlo(), name: 'n' };
    expect(sloMinutesQuery(slo, FROM, TO).params).toEqual({ slo: 'n', service: 'checkout', environment: 'production', from_s: FROM / 1000, to_s: TO / 1000 });
    const q = incidentsQuery(HOSTILE, 'production', FROM, TO);
    expect(q.sql).not.toContain(HOSTILE);
    expect(q.params).toEqual({ service: HOSTILE, environment: 'production', from_ms: FROM, to_ms: TO });
  });
});
