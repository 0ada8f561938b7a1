import { z } from 'zod';
import { errorMessage } from '../../platform/errors/sluice-error.ts';
import type { GateDecisionFilter, GateDecisionRecord, GateDecisionStore } from '../../engine/adapters/gate-decision-store.ts';
import type { GateService } from '../../engine/adapters/gate-service.ts';
import type { PolicyVersionRecord, PolicyVersionStore } from '../../engine/adapters/policy-version-store.ts';
import type { LoadedGatePolicy } from '../../engine/core/gate/gate-policy-set.ts';
import { apiError } from './api-error.ts';
import { pageSize, paginate } from './cursor-pagination.ts';
import { GATE_VERDICTS, type GateArgs, type GateResolver } from './gate-contract.ts';
import type { GateDecisionFeed } from './gate-decision-feed.ts';

/**
 * The gate's GraphQL surface (docs/gates.md): the `gate` resolver (GateResolver, plugged
 * into ApiDeps.gate), `gateDecision(id)` and `gateDecisions(filter, first, after)` over the
 * stored records, `gatePolicies`, the `gateDecisions` subscription, and the fields a
 * decision carries beyond the contract (`requestedBy`, `inputs`, `policy`). Authorization
 * and the audit entry of each `gate` call are added around these by field-authorization.ts.
 */

export interface GateRecordsDeps {
  service: GateService;
  decisions: GateDecisionStore;
  feed: GateDecisionFeed;
  policyVersions: PolicyVersionStore;
  /** The policies in force now. */
  policies: () => readonly LoadedGatePolicy[];
}

/** Longest argument accepted (service, environment, versions), characters. */
const MAX_ARG_LENGTH = 256;

function checkArg(name: string, value: string | null | undefined): void {
  if (value === null || value === undefined) return;
  if (value.trim().length === 0 || value.length > MAX_ARG_LENGTH) throw apiError('BAD_USER_INPUT', `${name} must be 1–${MAX_ARG_LENGTH} characters, not blank`, { argument: name });
}

/** A stored decision as the GraphQL `GateDecision` type (the contract plus its record fields). */
export function gateDecisionView(r: GateDecisionRecord) {
  return { ...r.decision, requestedBy: `${r.requestedBy.name} (${r.requestedBy.id})`, inputs: JSON.stringify(r.inputs) };
}

export function policyVersionView(p: PolicyVersionRecord) {
  return { version: p.version, name: p.name, file: p.file, environments: p.environments, sha256: p.sha256, content: p.content, directory: p.directory, loadedAt: p.loadedAtMs, loadedBy: p.loadedBy };
}

/** `gate`: decide, store, publish; storage and reading failures are UNAVAILABLE (the CLI exits 3, never a pass). */
export function gateResolver(deps: GateRecordsDeps): GateResolver {
  return async (args: GateArgs, caller) => {
    checkArg('service', args.service);
    checkArg('environment', args.environment);
    checkArg('version', args.version);
    checkArg('baselineVersion', args.baselineVersion);
    if (args.baselineVersion != null && args.baselineVersion === args.version) throw apiError('BAD_USER_INPUT', 'baselineVersion must differ from version', { argument: 'baselineVersion' });
    let record: GateDecisionRecord;
    try {
      record = await deps.service.decide(
        { service: args.service, environment: args.environment, version: args.version, baselineVersion: args.baselineVersion ?? null },
        { id: caller.id, name: caller.name, role: caller.role },
      );
    } catch (err) {
      throw apiError('UNAVAILABLE', `the gate could not decide: its inputs or its record could not be read or written (${errorMessage(err)}); retry later`);
    }
    return gateDecisionView(record);
  };
}

const DecisionKeySchema = z.strictObject({ decidedAt: z.number().int(), decisionId: z.string() });

interface FilterArg {
  service?: string | null;
  environment?: string | null;
  version?: string | null;
  verdict?: string | null;
  from?: number | null;
  to?: number | null;
}

function filterOf(f: FilterArg | null | undefined): GateDecisionFilter {
  const verdict = f?.verdict ?? undefined;
  if (verdict !== undefined && !(GATE_VERDICTS as readonly string[]).includes(verdict)) throw apiError('BAD_USER_INPUT', `filter.verdict must be one of ${GATE_VERDICTS.join(', ')}`, { argument: 'filter' });
  if (f?.from != null && f.to != null && !(f.to > f.from)) throw apiError('BAD_USER_INPUT', 'filter.to must be after filter.from', { argument: 'filter' });
  return {
    service: f?.service ?? undefined, environment: f?.environment ?? undefined, version: f?.version ?? undefined,
    verdict: verdict as GateDecisionFilter['verdict'], fromMs: f?.from ?? undefined, toMs: f?.to ?? undefined,
  };
}

function unavailable(what: string) {
  return (err: unknown): never => {
    throw apiError('UNAVAILABLE', `${what} could not be read: ${errorMessage(err)}`);
  };
}

/** The record resolvers; without deps every field answers UNAVAILABLE. */
export function gateRecordResolvers(deps: GateRecordsDeps | undefined) {
  const need = (): GateRecordsDeps => {
    if (deps === undefined) throw apiError('UNAVAILABLE', 'gate decisions are not available in this process');
    return deps;
  };
  return {
    Query: {
      gateDecision: async (_: unknown, args: { id: string }) => {
        const record = await need().decisions.get(args.id).catch(unavailable('gate decisions'));
        if (record === undefined) throw apiError('NOT_FOUND', `no gate decision with id ${JSON.stringify(args.id)}`, { argument: 'id' });
        return gateDecisionView(record);
      },
      gateDecisions: async (_: unknown, args: { filter?: FilterArg | null; first?: number | null; after?: string | null }) => {
        const d = need();
        const filter = filterOf(args.filter);
        const first = pageSize(args.first, { default: 50, max: 500 });
        const page = await paginate({
          kind: 'gateDecisions', first, after: args.after, keySchema: DecisionKeySchema,
          keyOf: (r: GateDecisionRecord) => ({ decidedAt: r.decision.decidedAt, decisionId: r.decision.decisionId }),
          fetch: (limit, after) => d.decisions.list(filter, limit, after).catch(unavailable('gate decisions')),
        });
        return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: gateDecisionView(e.node) })), pageInfo: page.pageInfo };
      },
      gatePolicies: async () => {
        const d = need();
        const records = await Promise.all(d.policies().map((p) => d.policyVersions.get(p.version))).catch(unavailable('gate policy versions'));
        return records.filter((r): r is PolicyVersionRecord => r !== undefined).map(policyVersionView);
      },
    },
    Subscription: {
      gateDecisions: {
        subscribe: (_: unknown, args: { service?: string | null; environment?: string | null }) => {
          const feed = need().feed;
          const stream = feed.subscribe((r) => (!args.service || r.decision.service === args.service) && (!args.environment || r.decision.environment === args.environment));
          return (async function* () {
            try {
              for await (const item of stream) {
                yield item;
                if (item.kind === 'fell-behind') return;
              }
            } finally {
              await stream.return?.();
            }
          })();
        },
        // a subscriber that fell behind gets one error, then its subscription completes
        resolve: (item: { kind: 'decision'; record: GateDecisionRecord } | { kind: 'fell-behind'; queued: number }) => {
          if (item.kind === 'fell-behind') {
            throw apiError('UNAVAILABLE', `this subscriber fell ${item.queued} decisions behind and was disconnected (slow_subscriber); subscribe again and read gateDecisions(filter: {from: …}) for the decisions missed`, { reason: 'slow_subscriber' });
          }
          return gateDecisionView(item.record);
        },
      },
    },
    GateDecision: {
      policy: async (parent: { policyVersion: string }) => {
        const record = await need().policyVersions.get(parent.policyVersion).catch(unavailable('the policy version'));
        return record === undefined ? null : policyVersionView(record);
      },
    },
  };
}
