import { describe, expect, it } from 'vitest';
import { BuildMetricsReportSchema, defaultReportId, InMemoryBuildMetricsStore, storedReport } from '../../../engine/adapters/build-metrics-store.ts';
import { buildMetricsQuery, buildMetricsRow } from '../../../engine/adapters/clickhouse-build-metrics-store.ts';

describe('build metrics reports', () => {
  it.each([
    ['coverage as a percentage', { service: 's', version: '1', testCoverage: 83 }, 'testCoverage'],
    ['a negative coverage', { service: 's', version: '1', testCoverage: -0.1 }, 'testCoverage'],
    ['nothing to report', { service: 's', version: '1' }, 'testCoverage'],
    ['a benchmark named twice', { service: 's', version: '1', benchmarks: [{ name: 'a', value: 1, unit: 'ms' }, { name: 'a', value: 2, unit: 'ms' }] }, 'benchmarks.1.name'],
    ['an infinite value', { service: 's', version: '1', benchmarks: [{ name: 'a', value: Infinity, unit: 'ms' }] }, 'benchmarks.0.value'],
    ['a commit that is not hex', { service: 's', version: '1', testCoverage: 0.5, commitSha: 'main' }, 'commitSha'],
    ['an unknown field', { service: 's', version: '1', testCoverage: 0.5, coverage: 0.5 }, ''],
  ])('refuses %s, naming the field', (_what, input, path) => {
    const r = BuildMetricsReportSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe(path);
  });

  it('gives a report without an id the hash of its content: a retry replaces itself, other content does not', () => {
    const a = BuildMetricsReportSchema.parse({ service: 's', version: '1', testCoverage: 0.5, commitSha: 'ABCDEF1' });
    expect(defaultReportId(a)).toBe(defaultReportId(BuildMetricsReportSchema.parse({ service: 's', version: '1', testCoverage: 0.5, commitSha: 'abcdef1' })));
    expect(defaultReportId(a)).not.toBe(defaultReportId({ ...a, testCoverage: 0.51 }));
    expect(storedReport(a, 5, 'ci').reportId).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('lists newest first and pages strictly after a key', async () => {
    const store = new InMemoryBuildMetricsStore();
    for (const [at, id, version] of [[1, 'a', '1'], [2, 'b', '1'], [2, 'c', '2'], [3, 'd', '1']] as const) {
      await store.save({ service: 's', version, reportId: id, commitSha: '', testCoverage: 0.5, benchmarks: [], reportedAtMs: at, reportedBy: 'ci' });
    }
    expect((await store.list({ service: 's', limit: 10 })).map((r) => r.reportId)).toEqual(['d', 'c', 'b', 'a']);
    expect((await store.list({ service: 's', limit: 10, after: [2, 'c'] })).map((r) => r.reportId)).toEqual(['b', 'a']);
    expect((await store.list({ service: 's', version: '1', limit: 2 })).map((r) => r.reportId)).toEqual(['d', 'b']);
  });

  it('builds its SQL with parameters only, the keyset as a tuple comparison', () => {
    const q = buildMetricsQuery({ service: "it's", version: '1', limit: 3, after: [10, 'x'] });
    expect(q.params).toEqual({ service: "it's", version: '1', limit: 3, after_ms: 10, after_id: 'x' });
    expect(q.sql).toContain('(reported_at, report_id) < (fromUnixTimestamp64Milli({after_ms:Int64}');
    expect(q.sql).not.toContain("it's");
    expect(buildMetricsQuery({ service: 's', limit: 1 }).sql).not.toMatch(/version =|after_ms/);
    expect(buildMetricsRow({ service: 's', version: '1', reportId: 'r', commitSha: '', testCoverage: null, benchmarks: [{ name: 'p95', value: 3, unit: 'ms' }], reportedAtMs: 0, reportedBy: 'ci' }))
      .toMatchObject({ benchmark_names: ['p95'], benchmark_values: [3], benchmark_units: ['ms'], test_coverage: null, reported_at: '1970-01-01 00:00:00.000' });
  });
});
