/**
 * Fuzzes every decoder with seeded adversarial messages (test/ingest/decode/fuzz-cases.ts):
 * deep nesting, huge strings, invalid UTF-8, truncated and bit-flipped messages, random
 * bytes, wrong types, NaN/Infinity, prototype-pollution keys, numbers past 2^53, empty input.
 *
 *   node scripts/fuzz-decoders.ts [--cases N] [--seed S]
 *
 * `--cases` defaults to 100000; `--seed` (a uint32) to a random one, printed so the run can
 * be repeated. Prints cases/s and the outcome counts by reason. A case fails when a decoder
 * throws, answers `decoder_error` (it threw and only the guard caught it), or returns a dead
 * letter without a known reason or a detail; each failure is printed with the seed that
 * replays it alone (`--seed <that seed> --cases 1`). Exits 1 when any case failed.
 */
import { parseArgs } from 'node:util';
import { caseSeed, fuzzCase, fuzzTargets, runCase } from '../test/ingest/decode/fuzz-cases.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    seed: { type: 'string' },
  },
  strict: true,
});

function parseCount(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    console.error(`fuzz-decoders: --${name} must be an integer 0–${max}, got "${text}"`);
    process.exit(2);
  }
  return n;
}

const cases = parseCount('cases', values.cases, Number.MAX_SAFE_INTEGER);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : parseCount('seed', values.seed, 2 ** 32 - 1);

const targets = fuzzTargets();
const outcomes = new Map<string, number>();
const byKind = new Map<string, number>();
const failures: string[] = [];
const startedAt = performance.now();
let lastReportAt = startedAt;

for (let i = 0; i < cases; i++) {
  const fuzz = fuzzCase(caseSeed(seed, i), targets);
  byKind.set(fuzz.kind, (byKind.get(fuzz.kind) ?? 0) + 1);
  const result = runCase(fuzz);
  if (result.failure !== undefined) {
    failures.push(`seed ${fuzz.seed} (${fuzz.target.name}, ${fuzz.kind}): ${result.failure.slice(0, 300)}`);
    console.error(`FAIL seed ${fuzz.seed} (${fuzz.target.name}, ${fuzz.kind}): ${result.failure.slice(0, 300)}`);
  }
  for (const outcome of result.outcomes) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  const now = performance.now();
  if (now - lastReportAt > 10_000) {
    lastReportAt = now;
    console.log(`… ${i + 1} / ${cases} cases, ${Math.round(((i + 1) * 1000) / (now - startedAt))} cases/s`);
  }
}

const elapsedMs = performance.now() - startedAt;
const table = (counts: Map<string, number>) =>
  [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([name, count]) => `  ${name.padEnd(18)} ${count}`).join('\n');
console.log(`seed ${seed}: ${cases} cases in ${(elapsedMs / 1000).toFixed(1)} s, ${Math.round((cases * 1000) / Math.max(elapsedMs, 1))} cases/s`);
console.log(`items by outcome (a message may hold many items):\n${table(outcomes)}`);
console.log(`cases by kind:\n${table(byKind)}`);
if (failures.length > 0) {
  console.error(`${failures.length} case(s) failed; replay one with: node scripts/fuzz-decoders.ts --cases 1 --seed <seed>`);
  for (const failure of failures.slice(0, 50)) console.error(`  ${failure}`);
  process.exit(1);
}
console.log('no case failed');
