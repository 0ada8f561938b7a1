import { createHash } from 'node:crypto';
import { z } from 'zod';
import { NameSchema } from '../../schema/events/v1/common.ts';

/**
 * Build metrics of a release, as CI reports them (`reportBuildMetrics`): test coverage and
 * benchmark results attached to a service's version. The schema is the single source of
 * the type and of the validation (GraphQL input → this schema → BAD_USER_INPUT with the
 * field path).
 */
export const BenchmarkResultSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  /** The measured value, in `unit`. */
  value: z.number().finite('must be a finite number'),
  /** e.g. ms, ops/s, bytes, ratio. */
  unit: z.string().trim().min(1, 'must not be empty').max(32, 'must be at most 32 characters'),
});
export type BenchmarkResult = z.infer<typeof BenchmarkResultSchema>;

/** Most benchmark results in one report. */
export const MAX_BENCHMARKS = 1_000;

export const BuildMetricsReportSchema = z.strictObject({
  service: NameSchema,
  version: NameSchema,
  commitSha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be 7–64 hex characters').transform((s) => s.toLowerCase()).optional(),
  /** The reporter's idempotency key: a report sent again with the same id replaces the first. Default: a hash of the content. */
  reportId: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
  /** Share of code covered by tests, ratio 0–1 (0.83, not 83). */
  testCoverage: z.number().min(0, 'must be a ratio 0–1 (0.83, not 83)').max(1, 'must be a ratio 0–1 (0.83, not 83)').optional(),
  benchmarks: z.array(BenchmarkResultSchema).max(MAX_BENCHMARKS, `must hold at most ${MAX_BENCHMARKS} results`).default([]),
}).superRefine((r, ctx) => {
  if (r.testCoverage === undefined && r.benchmarks.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['testCoverage'], message: 'a report needs testCoverage or at least one benchmark' });
  }
  const seen = new Set<string>();
  r.benchmarks.forEach((b, i) => {
    if (seen.has(b.name)) ctx.addIssue({ code: 'custom', path: ['benchmarks', i, 'name'], message: `"${b.name}" is reported twice` });
    seen.add(b.name);
  });
});
export type BuildMetricsReport = z.infer<typeof BuildMetricsReportSchema>;

/** A report as stored: with its id, when and by whom it was reported. */
export interface StoredBuildMetrics {
  service: string;
  version: string;
  reportId: string;
  /** '' when not reported. */
  commitSha: string;
  testCoverage: number | null;
  benchmarks: BenchmarkResult[];
  reportedAtMs: number;
  /** The reporting caller (token id and name). */
  reportedBy: string;
}

/** Keyset position in a list of reports: (reported at, report id), newest first. */
export type BuildMetricsKey = [reportedAtMs: number, reportId: string];

export interface BuildMetricsQuery {
  service: string;
  /** One version, or every version of the service. */
  version?: string | undefined;
  limit: number;
  after?: BuildMetricsKey | undefined;
}

/** Where build metrics are kept (ClickHouse `build_metrics`, migration 0025; in memory for tests). */
export interface BuildMetricsStore {
  /** Stores a report; one with the same (service, version, reportId) replaces it. */
  save(report: StoredBuildMetrics): Promise<void>;
  /** Reports newest first (reported at, then report id, descending). */
  list(query: BuildMetricsQuery): Promise<StoredBuildMetrics[]>;
}

/** The id of a report that names none: the first 16 hex digits of the SHA-256 of its content, so an identical retry replaces itself. */
export function defaultReportId(r: BuildMetricsReport): string {
  const content = JSON.stringify([r.service, r.version, r.commitSha ?? '', r.testCoverage ?? null, r.benchmarks.map((b) => [b.name, b.value, b.unit])]);
  return `sha256:${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;
}

/** A validated report as it is stored. */
export function storedReport(r: BuildMetricsReport, reportedAtMs: number, reportedBy: string): StoredBuildMetrics {
  return {
    service: r.service, version: r.version, reportId: r.reportId ?? defaultReportId(r), commitSha: r.commitSha ?? '',
    testCoverage: r.testCoverage ?? null, benchmarks: r.benchmarks, reportedAtMs, reportedBy,
  };
}

const newestFirst = (a: StoredBuildMetrics, b: StoredBuildMetrics) => b.reportedAtMs - a.reportedAtMs || (a.reportId < b.reportId ? 1 : a.reportId > b.reportId ? -1 : 0);

/** Reports in memory (the standard fake). */
export class InMemoryBuildMetricsStore implements BuildMetricsStore {
  private readonly rows = new Map<string, StoredBuildMetrics>();

  async save(report: StoredBuildMetrics): Promise<void> {
    this.rows.set(JSON.stringify([report.service, report.version, report.reportId]), structuredClone(report));
  }

  async list(q: BuildMetricsQuery): Promise<StoredBuildMetrics[]> {
    return [...this.rows.values()]
      .filter((r) => r.service === q.service && (q.version === undefined || r.version === q.version))
      .filter((r) => q.after === undefined || r.reportedAtMs < q.after[0] || (r.reportedAtMs === q.after[0] && r.reportId < q.after[1]))
      .sort(newestFirst)
      .slice(0, q.limit)
      .map((r) => structuredClone(r));
  }
}
