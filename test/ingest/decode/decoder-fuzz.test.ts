import { describe, expect, it } from 'vitest';
import { caseSeed, FUZZ_KINDS, fuzzCase, fuzzTargets, runCase } from './fuzz-cases.ts';

/** Fixed: the same cases on every run. A larger, any-seed run: `node scripts/fuzz-decoders.ts --cases N --seed S`. */
const SEED = 20_260_115;
const CASES = 3_000;

describe('every decoder, fuzzed (seed 20260115)', () => {
  it(`decodes or dead-letters ${CASES} adversarial messages, never throws, every dead letter has a known reason and a detail`, () => {
    const targets = fuzzTargets();
    const failures: string[] = [];
    const kinds = new Set<string>();
    const reasons = new Set<string>();
    for (let i = 0; i < CASES; i++) {
      const fuzz = fuzzCase(caseSeed(SEED, i), targets);
      kinds.add(fuzz.kind);
      const result = runCase(fuzz);
      if (result.failure !== undefined) failures.push(`seed ${fuzz.seed} (${fuzz.target.name}, ${fuzz.kind}): ${result.failure}`);
      for (const outcome of result.outcomes) reasons.add(outcome);
    }
    expect(failures).toEqual([]);
    expect([...kinds].sort()).toEqual([...FUZZ_KINDS].sort());
    // the run reaches the outcomes it is about
    expect([...reasons]).toEqual(expect.arrayContaining(['ok', 'empty_message', 'too_deep', 'invalid_utf8', 'invalid_json', 'invalid_protobuf', 'schema_violation']));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 120_000); // CPU-bound: a loaded 2-core CI machine needs more than the default 5 s (tests never fail on timing)
});
