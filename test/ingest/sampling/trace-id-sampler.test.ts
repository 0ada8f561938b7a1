import { describe, expect, it } from 'vitest';
import {
  buildTraceIdSampler,
  traceRandomness,
  TraceIdSamplerConfigSchema,
} from '../../../ingest/sampling/trace-id-sampler.ts';

/** Trace id whose low 56 bits are `fraction` of 2^56 (the high 18 hex digits are noise). */
function traceIdAt(fraction: number): string {
  const low = BigInt(Math.floor(fraction * 2 ** 56)).toString(16).padStart(14, '0');
  return `4bf92f3577b34da6a3${low}`;
}

const sampler = buildTraceIdSampler(
  TraceIdSamplerConfigSchema.parse({ defaultRate: 0.1, errorRate: 1, services: { checkout: { rate: 0.5, errorRate: 0.8 } } }),
);

describe('trace-id sampler', () => {
  const cases: { name: string; fraction: number; service: string; isError: boolean; sampled: boolean; weight: number }[] = [
    { name: 'keeps a trace whose randomness is below the default rate', fraction: 0.05, service: 'cart', isError: false, sampled: true, weight: 10 },
    { name: 'drops a trace whose randomness is above the default rate', fraction: 0.2, service: 'cart', isError: false, sampled: false, weight: 10 },
    { name: 'keeps every error at the default error rate of 1', fraction: 0.999, service: 'cart', isError: true, sampled: true, weight: 1 },
    { name: 'uses a service’s own rate', fraction: 0.4, service: 'checkout', isError: false, sampled: true, weight: 2 },
    { name: 'uses a service’s own error rate', fraction: 0.9, service: 'checkout', isError: true, sampled: false, weight: 1.25 },
  ];
  it.each(cases)('$name', ({ fraction, service, isError, sampled, weight }) => {
    const decision = sampler.decide({ traceId: traceIdAt(fraction), service, isError });
    expect(decision.sampled).toBe(sampled);
    expect(decision.weight).toBeCloseTo(weight, 12);
    expect(decision.reason).toBe(sampled ? undefined : 'sampled_out');
  });

  it('decides the same for every row of a trace, whatever the case of the hex digits', () => {
    const id = '0AF7651916CD43DD8448EB211C80319C';
    expect(traceRandomness(id)).toBe(traceRandomness(id.toLowerCase()));
    expect(traceRandomness(id)).toBe(0x8448eb211c80319cn & (2n ** 56n - 1n));
  });

  it('keeps close to the configured share of random trace ids, nested across rates', () => {
    let state = 42; // mulberry32, a seeded PRNG
    const hex = () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = Math.imul(state ^ (state >>> 15), state | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) & 0xffff).toString(16).padStart(4, '0');
    };
    const ids = Array.from({ length: 20_000 }, () => Array.from({ length: 8 }, hex).join(''));
    const kept = (rate: number) =>
      new Set(ids.filter((id) => buildTraceIdSampler(TraceIdSamplerConfigSchema.parse({ defaultRate: rate })).decide({ traceId: id, service: 's', isError: false }).sampled));
    const at10 = kept(0.1);
    const at30 = kept(0.3);
    expect(Math.abs(at10.size / ids.length - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(at30.size / ids.length - 0.3)).toBeLessThan(0.015);
    expect([...at10].every((id) => at30.has(id))).toBe(true);
  });

  it('hashes keys that are not trace ids deterministically', () => {
    expect(traceRandomness('log-without-trace')).toBe(traceRandomness('log-without-trace'));
    expect(traceRandomness('log-without-trace')).toBeLessThan(2n ** 56n);
  });

  it('drops everything at rate 0 with weight 0, and keeps everything at rate 1', () => {
    const none = buildTraceIdSampler(TraceIdSamplerConfigSchema.parse({ defaultRate: 0, errorRate: 0 }));
    expect(none.decide({ traceId: traceIdAt(0), service: 's', isError: false })).toEqual({ sampled: false, probability: 0, weight: 0, reason: 'sampled_out' });
    const all = buildTraceIdSampler(TraceIdSamplerConfigSchema.parse({ defaultRate: 1 }));
    expect(all.decide({ traceId: 'ffffffffffffffffffffffffffffffff', service: 's', isError: false }).sampled).toBe(true);
  });

  it('rejects an error rate below the normal rate, naming the option', () => {
    const result = TraceIdSamplerConfigSchema.safeParse({ defaultRate: 0.1, services: { checkout: { rate: 0.5, errorRate: 0.2 } } });
    expect(result.error?.issues[0]).toMatchObject({ path: ['services', 'checkout', 'errorRate'] });
  });
});
