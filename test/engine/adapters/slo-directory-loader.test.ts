import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSloDirectory, watchSloDirectory } from '../../../engine/adapters/slo-directory-loader.ts';
import type { SloSet } from '../../../engine/core/slo/slo-set.ts';

const slo = (name: string, target = 0.999) => `apiVersion: sluice/v1
kind: SLO
metadata:
  name: ${name}
spec:
  service: checkout
  environment: production
  tier: critical
  indicator:
    kind: availability
  objectives:
    - target: ${target}
  timeWindow:
    - duration: 28d
      isRolling: true
`;

describe('SLO directory loader', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-slos-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads valid files and reports bad ones with file and path, skipping non-YAML files', async () => {
    writeFileSync(join(dir, 'a.yaml'), slo('checkout-availability'));
    writeFileSync(join(dir, 'b.yml'), slo('checkout-bad', 99.9));
    writeFileSync(join(dir, 'c.yaml'), slo('checkout-availability'));
    writeFileSync(join(dir, 'README.md'), '# not an SLO');
    const set = await loadSloDirectory(dir);
    expect(set.slos.map((s) => [s.slo.name, s.file])).toEqual([['checkout-availability', join(dir, 'a.yaml')]]);
    expect(set.errors.map((e) => [e.file, e.message.split(':')[0]])).toEqual([
      [join(dir, 'b.yml'), 'spec.objectives.0.target'],
      [join(dir, 'c.yaml'), 'metadata.name'],
    ]);
  });

  it('reports a missing directory as one error', async () => {
    const set = await loadSloDirectory(join(dir, 'missing'));
    expect(set.slos).toEqual([]);
    expect(set.errors[0]!.message).toMatch(/cannot read SLO directory/);
  });

  it('calls back with the reloaded set after a file changes', async () => {
    writeFileSync(join(dir, 'a.yaml'), slo('checkout-availability'));
    const reloaded = new Promise<SloSet>((resolve) => {
      const watcher = watchSloDirectory(
        dir,
        (set) => {
          if (set.slos.length === 2) {
            watcher.close();
            resolve(set);
          }
        },
        { debounceMs: 20 },
      );
    });
    writeFileSync(join(dir, 'b.yaml'), slo('checkout-availability-2'));
    const set = await reloaded;
    expect(set.slos.map((s) => s.slo.name).sort()).toEqual(['checkout-availability', 'checkout-availability-2']);
  });
});
