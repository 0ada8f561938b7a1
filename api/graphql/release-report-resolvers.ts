import { z } from 'zod';
import { formatIssues } from '../../schema/events/v1/attributes.ts';
import { DeployV1Schema, type DeployV1 } from '../../schema/events/v1/deploy.ts';
import { BuildMetricsReportSchema, storedReport, type StoredBuildMetrics } from '../../engine/adapters/build-metrics-store.ts';
import { SluiceError } from '../../platform/errors/sluice-error.ts';
import { apiError } from './api-error.ts';
import { pageSize, paginate } from './cursor-pagination.ts';
import { principalOf } from './graphql-context.ts';
import type { StatusDeps } from './status-deps.ts';

/** `[{key, value}]` as GraphQL carries attributes. */
type AttributeInput = { key: string; value: string }[] | null | undefined;

/** The GraphQL `DeployStartedInput` / `DeployFinishedInput`: the deploy contract's fields (schema/events/v1/deploy.ts). */
export type DeployInput = Record<string, unknown> & { attributes?: AttributeInput; status?: string | null; finishedAtMs?: number | null };

/**
 * The status a started deploy carries. The contract (schema/events/v1/deploy.ts) requires a
 * status and has none for "running": a deploy without `finishedAtMs` is one still running,
 * whatever its status (engine/core/dora/delivery-records.ts: it neither serves nor counts as
 * a deployment or a failed attempt), so the started report says the outcome it is heading
 * for, `succeeded`, until the finished report replaces the row (deploys is a
 * ReplacingMergeTree by deploy id).
 */
export const STARTED_DEPLOY_STATUS = 'succeeded';

/** A GraphQL input as the contract's raw object: null means absent, attributes become a map. */
function contractObject(input: DeployInput, extra: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) if (v !== null && v !== undefined && k !== 'attributes') raw[k] = v;
  if (input.attributes) {
    const attributes: Record<string, string> = {};
    input.attributes.forEach((a, i) => {
      if (Object.hasOwn(attributes, a.key)) throw apiError('BAD_USER_INPUT', `input.attributes.${i}.key: "${a.key}" is given twice`, { argument: `input.attributes.${i}.key` });
      attributes[a.key] = a.value;
    });
    raw.attributes = attributes;
  }
  return { ...raw, ...extra };
}

/** A zod failure as BAD_USER_INPUT: every issue with its path under `input`, the first one's path as the argument. */
function inputError(error: z.ZodError): never {
  const first = error.issues[0]?.path.join('.');
  const message = formatIssues(error).replace(/(^|; )(?!\(root\))/g, '$1input.');
  throw apiError('BAD_USER_INPUT', message, { argument: first ? `input.${first}` : 'input' });
}

/** A deploy event from a report, validated with the deploys topic's own schema (DeployV1Schema). */
export function deployEvent(input: DeployInput, phase: 'started' | 'finished'): DeployV1 {
  if (phase === 'started' && (input.status != null || input.finishedAtMs != null)) {
    throw apiError('BAD_USER_INPUT', 'a started deploy has no status or finishedAtMs yet: report them with reportDeployFinished', { argument: input.status != null ? 'input.status' : 'input.finishedAtMs' });
  }
  const parsed = DeployV1Schema.safeParse(contractObject(input, phase === 'started' ? { status: STARTED_DEPLOY_STATUS } : {}));
  if (!parsed.success) inputError(parsed.error);
  return parsed.data;
}

/** The start of a deploy checked against the bounds the ingest pipeline would otherwise dead-letter it for. */
function checkDeployTime(event: DeployV1, bounds: StatusDeps['deployTimeBounds'], nowMs: number): void {
  if (event.startedAtMs > nowMs + bounds.maxFutureMs) {
    throw apiError('BAD_USER_INPUT', `input.startedAtMs is more than ${bounds.maxFutureMs} ms after now (SLUICE_MAX_CLOCK_SKEW_MS): ${new Date(event.startedAtMs).toISOString()}`, { argument: 'input.startedAtMs' });
  }
  if (event.startedAtMs < nowMs - bounds.maxAgeMs) {
    throw apiError('BAD_USER_INPUT', `input.startedAtMs is more than ${Math.round(bounds.maxAgeMs / 86_400_000)} days ago: ${new Date(event.startedAtMs).toISOString()}`, { argument: 'input.startedAtMs' });
  }
}

/** A report's storage failure as the API answers it: UNAVAILABLE with the reason (retriable or not, the caller may try later). */
function unavailable(err: unknown): never {
  if (err instanceof SluiceError) throw apiError('UNAVAILABLE', err.message, { retriable: err.retriable });
  throw err;
}

const BuildMetricsKeySchema = z.tuple([z.number().int(), z.string()]);

/** A stored report as the GraphQL `BuildMetrics` type. */
export function buildMetricsView(r: StoredBuildMetrics) {
  return {
    service: r.service, version: r.version, reportId: r.reportId, commitSha: r.commitSha || null, testCoverage: r.testCoverage,
    benchmarks: r.benchmarks, reportedAt: r.reportedAtMs, reportedBy: r.reportedBy,
  };
}

/**
 * What CI reports: `reportDeployStarted` / `reportDeployFinished` (the deploys topic's
 * contract, stored the way the mode stores deploys) and `reportBuildMetrics` (ClickHouse
 * `build_metrics`), and `buildMetrics` to read them back. Access (permission release:report,
 * team-scoped by `input.service`) and the audit entry of every call come from the field
 * guard (api/auth/field-authorization.ts).
 */
export function releaseReportResolvers(deps: StatusDeps) {
  const now = deps.now ?? Date.now;
  const reportDeploy = async (input: DeployInput, phase: 'started' | 'finished') => {
    const event = deployEvent(input, phase);
    checkDeployTime(event, deps.deployTimeBounds, now());
    await deps.deploys.submit(event).catch(unavailable);
    return {
      deployId: event.deployId, service: event.service, environment: event.environment, version: event.version,
      phase, status: phase === 'started' ? null : event.status, startedAt: event.startedAtMs, finishedAt: event.finishedAtMs ?? null,
      destination: deps.deploys.destination, truncated: (event as { truncated?: string[] }).truncated ?? [],
    };
  };
  return {
    Query: {
      buildMetrics: async (_: unknown, args: { service: string; version?: string | null; first?: number | null; after?: string | null }) => {
        const first = pageSize(args.first, { default: 50, max: 500 });
        return paginate({
          kind: 'buildMetrics', first, after: args.after, keySchema: BuildMetricsKeySchema,
          keyOf: (node: ReturnType<typeof buildMetricsView>) => [node.reportedAt, node.reportId] as [number, string],
          fetch: async (limit, after) => (await deps.buildMetrics.list({ service: args.service, version: args.version ?? undefined, limit, after })).map(buildMetricsView),
        });
      },
    },
    Mutation: {
      reportDeployStarted: (_: unknown, args: { input: DeployInput }) => reportDeploy(args.input, 'started'),
      reportDeployFinished: (_: unknown, args: { input: DeployInput }) => reportDeploy(args.input, 'finished'),
      reportBuildMetrics: async (_: unknown, args: { input: Record<string, unknown> }, context: unknown) => {
        const raw = Object.fromEntries(Object.entries(args.input).filter(([, v]) => v !== null && v !== undefined));
        const parsed = BuildMetricsReportSchema.safeParse(raw);
        if (!parsed.success) inputError(parsed.error);
        const caller = principalOf(context);
        const report = storedReport(parsed.data, now(), `${caller.id} (${caller.name})`);
        await deps.buildMetrics.save(report).catch((err: unknown) => {
          throw apiError('UNAVAILABLE', `the build metrics could not be stored: ${err instanceof Error ? err.message : String(err)}`);
        });
        return buildMetricsView(report);
      },
    },
  };
}
