import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An availability SLO (spans of `service`, target 99.9 %, 28 d, workbook alert rules) as YAML. */
export function availabilitySloYaml(name: string, service: string, opts: { minEvents?: number; maxStaleness?: string } = {}): string {
  return [
    'apiVersion: sluice/v1',
    'kind: SLO',
    `metadata: { name: ${name} }`,
    'spec:',
    `  service: ${service}`,
    '  environment: production',
    '  tier: critical',
    '  indicator: { kind: availability }',
    '  objectives: [{ target: 0.999 }]',
    '  timeWindow: [{ duration: 28d, isRolling: true }]',
    `  minEvents: ${opts.minEvents ?? 100}`,
    `  freshness: { maxStaleness: ${opts.maxStaleness ?? '10m'} }`,
    '',
  ].join('\n');
}

/** A temporary SLO directory holding the given files (name → YAML). */
export function sloDirectory(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-slos-'));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}
