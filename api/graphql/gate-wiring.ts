import { hostname } from 'node:os';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { ClickHouseGateDecisionStore } from '../../engine/adapters/clickhouse-gate-decision-store.ts';
import { GatePolicyCatalog } from '../../engine/adapters/gate-policy-catalog.ts';
import { ClickHouseGateReleaseReader } from '../../engine/adapters/gate-release-reader.ts';
import { GateService } from '../../engine/adapters/gate-service.ts';
import { ClickHousePolicyVersionStore, type PolicyVersionRecord, type PolicyVersionStore } from '../../engine/adapters/policy-version-store.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { InsertJournal } from '../../platform/clickhouse/insert-journal.ts';
import type { CanaryInputSource } from '../../engine/adapters/rollback-watcher.ts';
import type { SloRuleSource } from '../../engine/adapters/slo-rule-source.ts';
import type { SloStateReader } from '../../engine/adapters/slo-state-store.ts';
import { ClickHouseVersionCounts } from '../../engine/adapters/version-counts.ts';
import type { GateResolver } from './gate-contract.ts';
import { GateDecisionFeed } from './gate-decision-feed.ts';
import { gateResolver, type GateRecordsDeps } from './gate-resolvers.ts';

/**
 * Assembles the release gate of a serving process (`sluice start`, `sluice api`) over
 * ClickHouse: the policy catalog (opened first, so a bad policy file stops start-up before
 * anything else runs), the gate service, the decision store and the live feed. The two
 * modes differ only in where SLO state and rules come from: the in-process judge and SLO
 * catalog (embedded), or `slo_state` and `slo_definitions` (cluster API).
 */

/**
 * Loads SLUICE_POLICY_DIR (strict: an invalid file throws, naming path, document and field),
 * records its versions, watches it. A version never recorded before is a policy change: it
 * gets an audit entry (`policy.version`, actor the operator who controls the directory)
 * before it decides anything. Who may change policies is who may write the directory.
 */
export async function openGatePolicies(opts: { dir: string; clickhouse: ClickHouseClient; logger: Logger; audit?: AuditLog; watch?: boolean }): Promise<{ catalog: GatePolicyCatalog; store: PolicyVersionStore }> {
  const store = new ClickHousePolicyVersionStore(opts.clickhouse);
  const loadedBy = `${hostname()}:${process.pid}`;
  const audit = opts.audit;
  const catalog = await GatePolicyCatalog.open({
    dir: opts.dir, logger: opts.logger.child({ component: 'gate-policies' }), store, loadedBy,
    ...(opts.watch !== undefined ? { watch: opts.watch } : {}),
    ...(audit ? { onNewVersions: (records: readonly PolicyVersionRecord[], how: 'loaded' | 'reloaded') => auditPolicyVersions(audit, records, how, loadedBy) } : {}),
  });
  return { catalog, store };
}

/** One audit entry per new policy version: what it is, where it came from, who loaded it. */
export async function auditPolicyVersions(audit: AuditLog, records: readonly PolicyVersionRecord[], how: 'loaded' | 'reloaded', loadedBy: string): Promise<void> {
  await Promise.all(records.map((r) => audit.append({
    actor: { id: `policy-dir:${r.directory}`, name: loadedBy, role: 'operator' },
    operation: 'policy.version',
    input: { version: r.version, sha256: r.sha256, name: r.name, file: r.file, documentIndex: r.documentIndex, environments: r.environments, directory: r.directory },
    outcome: 'ok',
    detail: `new gate policy version ${r.version} (${r.name}, ${r.environments.join(', ')}) ${how} from ${r.file}`,
  })));
}

export interface RunningGates {
  resolver: GateResolver;
  records: GateRecordsDeps;
  service: GateService;
  feed: GateDecisionFeed;
  stop(): void;
}

export function startGates(opts: {
  policies: { catalog: GatePolicyCatalog; store: PolicyVersionStore };
  clickhouse: ClickHouseClient;
  /** The embedded store's insert journal: a decision is stored once journaled (platform/clickhouse/insert-journal.ts). */
  journal?: InsertJournal | undefined;
  logger: Logger;
  /** SLO state: the in-process judge, or ClickHouseSloStateStore. */
  states: SloStateReader;
  rules: SloRuleSource;
  /** Canary data (ClickHouseCanarySource, as the release services read it). */
  canary?: CanaryInputSource | undefined;
  /** Most decisions a subscriber may have waiting (default 256). */
  maxQueuedPerSubscriber?: number;
}): RunningGates {
  const logger = opts.logger.child({ component: 'gate' });
  const feed = new GateDecisionFeed({ logger, ...(opts.maxQueuedPerSubscriber !== undefined ? { maxQueued: opts.maxQueuedPerSubscriber } : {}) });
  const decisions = new ClickHouseGateDecisionStore(opts.clickhouse, { journal: opts.journal });
  const service = new GateService({
    states: opts.states,
    rules: opts.rules,
    versionCounts: new ClickHouseVersionCounts(opts.clickhouse),
    policies: opts.policies.catalog,
    decisions,
    canary: opts.canary,
    releases: new ClickHouseGateReleaseReader(opts.clickhouse),
    onDecision: (record) => {
      feed.publish(record);
      logger.debug({ decisionId: record.decision.decisionId, service: record.decision.service, environment: record.decision.environment, version: record.decision.version, verdict: record.decision.verdict, blocking: record.decision.blocking, policyVersion: record.decision.policyVersion }, 'gate decision');
    },
  });
  const records: GateRecordsDeps = { service, decisions, feed, policyVersions: opts.policies.store, policies: () => opts.policies.catalog.policies() };
  return { resolver: gateResolver(records), records, service, feed, stop: () => opts.policies.catalog.close() };
}
