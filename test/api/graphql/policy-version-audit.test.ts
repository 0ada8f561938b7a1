import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../api/audit/audit-log.ts';
import { verifyAuditEntries } from '../../../api/audit/audit-chain-verifier.ts';
import { InMemoryAuditStore } from '../../../api/audit/in-memory-audit-store.ts';
import { auditPolicyVersions } from '../../../api/graphql/gate-wiring.ts';
import type { PolicyVersionRecord } from '../../../engine/adapters/policy-version-store.ts';

const record = (version: string, environments: string[]): PolicyVersionRecord => ({
  version, sha256: version.split('@sha256:')[1]!, name: 'prod', file: '/etc/sluice/policies/prod.yaml', documentIndex: 0, environments,
  content: '{}', directory: '/etc/sluice/policies', loadedAtMs: 1_767_225_600_000, loadedBy: 'host:42',
});

describe('audit of gate policy changes', () => {
  it('writes one chained entry per new policy version: which version, from which file, loaded by whom', async () => {
    const store = new InMemoryAuditStore();
    const audit = new AuditLog({ store, writer: 'test@host:1', now: () => 1_767_225_600_000 });
    await auditPolicyVersions(audit, [record('prod.yaml@sha256:0123456789abcdef', ['production']), record('prod.yaml@sha256:fedcba9876543210', ['production', 'staging'])], 'reloaded', 'host:42');
    expect(store.entries.map((e) => ({ operation: e.operation, actor: e.actor, outcome: e.outcome, detail: e.detail }))).toEqual([
      { operation: 'policy.version', actor: { id: 'policy-dir:/etc/sluice/policies', name: 'host:42', role: 'operator' }, outcome: 'ok', detail: 'new gate policy version prod.yaml@sha256:0123456789abcdef (prod, production) reloaded from /etc/sluice/policies/prod.yaml' },
      { operation: 'policy.version', actor: { id: 'policy-dir:/etc/sluice/policies', name: 'host:42', role: 'operator' }, outcome: 'ok', detail: 'new gate policy version prod.yaml@sha256:fedcba9876543210 (prod, production, staging) reloaded from /etc/sluice/policies/prod.yaml' },
    ]);
    expect(JSON.parse(store.entries[0]!.input)).toMatchObject({ version: 'prod.yaml@sha256:0123456789abcdef', file: '/etc/sluice/policies/prod.yaml', environments: ['production'] });
    expect(await verifyAuditEntries(store.scan())).toMatchObject({ ok: true, chains: 1, entries: 2 });
  });
});
