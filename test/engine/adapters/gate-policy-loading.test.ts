import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatePolicyCatalog } from '../../../engine/adapters/gate-policy-catalog.ts';
import { loadGatePolicyDirectory } from '../../../engine/adapters/gate-policy-directory-loader.ts';
import { InMemoryPolicyVersionStore } from '../../../engine/adapters/policy-version-store.ts';
import { silentLogger } from '../../../platform/logging/logger.ts';

function policyDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-policies-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const doc = (name: string, environments: string, extra = '') => `apiVersion: sluice/v1
kind: GatePolicy
metadata: { name: ${name} }
spec:
  environments: ${environments}
${extra}`;

/** A logger that keeps what is logged at error level. */
function recordingLogger() {
  const errors: unknown[] = [];
  const logger = silentLogger();
  return { errors, logger: Object.assign(Object.create(logger) as typeof logger, { error: (obj: unknown) => void errors.push(obj), child: () => logger }) };
}

describe('gate policy files', () => {
  it('loads the example policies, each named by its file and content hash', async () => {
    const set = await loadGatePolicyDirectory('examples/policies');
    expect(set.errors).toEqual([]);
    expect(set.policies.map((p) => p.version)).toEqual([
      expect.stringMatching(/^default\.yaml@sha256:[0-9a-f]{16}$/),
      expect.stringMatching(/^production\.yaml@sha256:[0-9a-f]{16}$/),
      expect.stringMatching(/^staging\.yaml@sha256:[0-9a-f]{16}$/),
    ]);
    const production = set.policies.find((p) => p.document.metadata.name === 'production')!;
    expect(production.rules).toMatchObject({ inconclusive: 'block', minBudgetRemaining: 0.1, alerts: { page: 'FAIL', ticket: 'WARN' }, journeys: { window: '5m', windowMs: 300_000, minFailures: 3 } });
    expect(set.policies.find((p) => p.document.metadata.name === 'staging')!.rules).toMatchObject({ inconclusive: 'pass', checks: { freshness: 'warn', budget: 'block' } });
  });

  it.each([
    ['a ratio given as a percentage', doc('prod', '[production]', '  minBudgetRemaining: 10\n'), 'prod.yaml (document 1): spec.minBudgetRemaining: must be a ratio 0–1 (0.1 = 10 %)'],
    ['a misspelt key', doc('prod', '[production]', '  inconclusve: pass\n'), 'prod.yaml (document 1): spec: Unrecognized key: "inconclusve"'],
    ['an unknown check kind', doc('prod', '[production]', '  checks: { latency: warn }\n'), 'prod.yaml (document 1): spec.checks: Unrecognized key: "latency"'],
    ['a journey window the judge does not report', doc('prod', '[production]', '  journeys: { window: 10m }\n'), 'prod.yaml (document 1): spec.journeys.window: Invalid option: expected one of "5m"|"30m"|"1h"|"2h"|"6h"|"1d"|"3d"'],
    ['a bad canary option', doc('prod', '[production]', '  baseline: { canary: { alpha: 0.7 } }\n'), 'prod.yaml (document 1): spec.baseline.canary.alpha: Too big: expected number to be <0.5'],
    ['a bake without an environment', doc('prod', '[production]', '  bake: { minDuration: 30m }\n'), 'prod.yaml (document 1): spec.bake.environment: Invalid input: expected string, received undefined'],
    ['no environments', doc('prod', '[]'), 'prod.yaml (document 1): spec.environments: must name at least one environment, or "*"'],
    ['invalid YAML', 'apiVersion: sluice/v1\nkind: [GatePolicy\n', 'prod.yaml (document 1): invalid YAML'],
  ])('stops on %s, naming the path and field', async (_case, text, message) => {
    const dir = policyDir({ 'prod.yaml': text });
    await expect(GatePolicyCatalog.open({ dir, logger: silentLogger(), store: new InMemoryPolicyVersionStore(), loadedBy: 'test', watch: false }))
      .rejects.toThrow(`invalid gate policies in ${dir} (SLUICE_POLICY_DIR):\n  ${join(dir, message.split(':')[0]!.replace(/ \(document \d+\)$/, ''))}${message.slice(message.indexOf(' ('))}`);
  });

  it('refuses an environment decided by two documents, and two defaults, naming both files', async () => {
    const set = await loadGatePolicyDirectory(policyDir({
      'a.yaml': doc('a', '["*", production]'),
      'b.yaml': `${doc('b', '[staging, production]')}---\n${doc('c', '["*"]')}`,
    }));
    expect(set.errors).toEqual([
      { file: 'b.yaml', documentIndex: 0, message: 'spec.environments.1: environment "production" is already decided by a.yaml' },
      { file: 'b.yaml', documentIndex: 1, message: 'spec.environments.0: the default ("*") is already decided by a.yaml' },
    ]);
  });

  it('keeps a version across comments, key order and formatting, and changes it with the meaning', async () => {
    const a = await loadGatePolicyDirectory(policyDir({ 'p.yaml': doc('p', '[production]', '  inconclusive: pass\n  minBudgetRemaining: 0.2\n') }));
    const b = await loadGatePolicyDirectory(policyDir({ 'p.yaml': `# a comment\n${doc('p', '[ production ]', '  minBudgetRemaining: 0.20   # 20 %\n  inconclusive: pass\n')}` }));
    const c = await loadGatePolicyDirectory(policyDir({ 'p.yaml': doc('p', '[production]', '  inconclusive: block\n  minBudgetRemaining: 0.2\n') }));
    const version = (s: typeof a) => s.policies.find((p) => p.file === 'p.yaml')!.version;
    expect(version(b)).toBe(version(a));
    expect(version(c)).not.toBe(version(a));
  });

  it('uses the built-in default, versioned like a file, when no document is the default', async () => {
    const set = await loadGatePolicyDirectory(policyDir({ 'prod.yaml': doc('prod', '[production]') }));
    expect(set.policies.map((p) => p.version)).toEqual([expect.stringMatching(/^prod\.yaml@sha256:/), expect.stringMatching(/^\(built-in\)@sha256:[0-9a-f]{16}$/)]);
  });

  it('resolves an environment to its document, else the default, and records every version it loads', async () => {
    const store = new InMemoryPolicyVersionStore();
    const catalog = await GatePolicyCatalog.open({ dir: 'examples/policies', logger: silentLogger(), store, loadedBy: 'test', watch: false });
    expect(catalog.resolve('production')).toMatchObject({ name: 'production', isDefault: false });
    expect(catalog.resolve('qa')).toMatchObject({ name: 'staging', isDefault: false });
    expect(catalog.resolve('perf')).toMatchObject({ name: 'default', isDefault: true });
    expect([...store.records.keys()].sort()).toEqual(catalog.policies().map((p) => p.version).sort());
    expect(JSON.parse(store.records.get(catalog.resolve('production').version)!.content)).toMatchObject({ kind: 'GatePolicy', spec: { minBudgetRemaining: 0.1 } });
  });

  it('keeps the previous set when an edit while running is invalid, and logs why', async () => {
    const dir = policyDir({ 'prod.yaml': doc('prod', '[production]', '  minBudgetRemaining: 0.2\n') });
    const { errors, logger } = recordingLogger();
    const store = new InMemoryPolicyVersionStore();
    const catalog = await GatePolicyCatalog.open({ dir, logger, store, loadedBy: 'test', watch: false });
    const before = catalog.resolve('production').version;
    writeFileSync(join(dir, 'prod.yaml'), doc('prod', '[production]', '  minBudgetRemaining: 20\n'));
    expect(await catalog.take(await loadGatePolicyDirectory(dir))).toBe(false);
    expect(catalog.resolve('production').version).toBe(before);
    expect(JSON.stringify(errors)).toContain('spec.minBudgetRemaining: must be a ratio 0–1');

    writeFileSync(join(dir, 'prod.yaml'), doc('prod', '[production]', '  minBudgetRemaining: 0.3\n'));
    expect(await catalog.take(await loadGatePolicyDirectory(dir))).toBe(true);
    const after = catalog.resolve('production');
    expect(after.version).not.toBe(before);
    expect(after.rules.minBudgetRemaining).toBe(0.3);
    expect(store.records.has(before) && store.records.has(after.version)).toBe(true);
  });

  it('keeps the previous set when the new versions cannot be recorded', async () => {
    const dir = policyDir({ 'prod.yaml': doc('prod', '[production]') });
    const store = new InMemoryPolicyVersionStore();
    const catalog = await GatePolicyCatalog.open({ dir, logger: silentLogger(), store, loadedBy: 'test', watch: false });
    const before = catalog.resolve('production').version;
    store.record = async () => { throw new Error('ClickHouse is down'); };
    writeFileSync(join(dir, 'prod.yaml'), doc('prod', '[production]', '  inconclusive: pass\n'));
    expect(await catalog.take(await loadGatePolicyDirectory(dir))).toBe(false);
    expect(catalog.resolve('production').version).toBe(before);
  });

  it('announces each version never recorded before — at start and on a change, not again for a known one — before it decides', async () => {
    const dir = policyDir({ 'prod.yaml': doc('prod', '[production]', '  minBudgetRemaining: 0.2\n') });
    const store = new InMemoryPolicyVersionStore();
    const announced: Array<{ how: string; versions: string[] }> = [];
    const onNewVersions = (records: readonly { version: string }[], how: string) => void announced.push({ how, versions: records.map((r) => r.version) });
    const catalog = await GatePolicyCatalog.open({ dir, logger: silentLogger(), store, loadedBy: 'test', watch: false, onNewVersions });
    const first = catalog.resolve('production').version;
    expect(announced).toEqual([{ how: 'loaded', versions: expect.arrayContaining([first]) }]);
    // the same files again (a touch, a comment): nothing new
    expect(await catalog.take(await loadGatePolicyDirectory(dir))).toBe(true);
    expect(announced).toHaveLength(1);
    writeFileSync(join(dir, 'prod.yaml'), doc('prod', '[production]', '  minBudgetRemaining: 0.3\n'));
    expect(await catalog.take(await loadGatePolicyDirectory(dir))).toBe(true);
    const second = catalog.resolve('production').version;
    expect(announced[1]).toEqual({ how: 'reloaded', versions: [second] });
    // a process restarted on a store that knows both versions announces nothing
    const again: unknown[] = [];
    await GatePolicyCatalog.open({ dir, logger: silentLogger(), store, loadedBy: 'test', watch: false, onNewVersions: (r) => void again.push(r) });
    expect(again).toEqual([]);
  });

  it('does not take a change it could not announce (audit log down): the previous version keeps deciding', async () => {
    const dir = policyDir({ 'prod.yaml': doc('prod', '[production]') });
    let failing = false;
    const catalog = await GatePolicyCatalog.open({
      dir, logger: silentLogger(), store: new InMemoryPolicyVersionStore(), loadedBy: 'test', watch: false,
      onNewVersions: () => { if (failing) throw new Error('audit store unavailable'); },
    });
    const before = catalog.resolve('production').version;
    failing = true;
    writeFileSync(join(dir, 'prod.yaml'), doc('prod', '[production]', '  inconclusive: pass\n'));
    expect(await catalog.take(await loadGatePolicyDirectory(dir))).toBe(false);
    expect(catalog.resolve('production').version).toBe(before);
    // and a start-up whose versions cannot be announced fails
    await expect(GatePolicyCatalog.open({ dir, logger: silentLogger(), store: new InMemoryPolicyVersionStore(), loadedBy: 'test', watch: false, onNewVersions: () => { throw new Error('audit store unavailable'); } }))
      .rejects.toThrow('audit store unavailable');
  });
});
