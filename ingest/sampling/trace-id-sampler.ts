import { z } from 'zod';

/**
 * Deterministic trace-id sampler for raw rows (design guarantee 1: SLI counts are made on
 * every event before sampling; this only decides which raw rows are stored).
 *
 * Like OpenTelemetry's TraceIdRatioBased sampler with W3C Trace Context level 2
 * randomness: the low 56 bits of the trace id (its last 14 hex digits) are taken as a
 * uniform random number r in [0, 2^56), and a row is kept when r < p · 2^56. The decision
 * is a pure function of the trace id, so every service, span and log of one trace is kept
 * or dropped together, and a trace kept at rate p is also kept at any higher rate (the
 * kept sets nest), which is what lets errors be kept at a higher rate without breaking
 * traces. Keys that are not 32-hex trace ids (e.g. logs without a trace) are hashed with
 * 64-bit FNV-1a first.
 *
 * A kept row carries weight 1/p for Horvitz–Thompson estimates (weighted-estimate.ts).
 */

/** Sampling rates of one service, ratios 0–1. */
export const ServiceSamplingSchema = z.strictObject({
  /** Share of traces whose rows are kept, ratio 0–1. */
  rate: z.number().min(0).max(1),
  /** Share kept for error rows, ratio 0–1; must be ≥ rate. Defaults to the top-level errorRate. */
  errorRate: z.number().min(0).max(1).optional(),
});

export const TraceIdSamplerConfigSchema = z
  .strictObject({
    /** Rate for services without their own entry, ratio 0–1. Default 0.1. */
    defaultRate: z.number().min(0).max(1).default(0.1),
    /** Rate for error rows, ratio 0–1, ≥ every rate. Default 1 (keep every error). */
    errorRate: z.number().min(0).max(1).default(1),
    /** Per-service rates. */
    services: z.record(z.string(), ServiceSamplingSchema).default({}),
  })
  .superRefine((config, ctx) => {
    if (config.errorRate < config.defaultRate) {
      ctx.addIssue({ code: 'custom', path: ['errorRate'], message: 'must be >= defaultRate' });
    }
    for (const [service, s] of Object.entries(config.services)) {
      const errorRate = s.errorRate ?? config.errorRate;
      if (errorRate < s.rate) {
        ctx.addIssue({ code: 'custom', path: ['services', service, 'errorRate'], message: `must be >= rate (${s.rate})` });
      }
    }
  });
export type TraceIdSamplerConfig = z.infer<typeof TraceIdSamplerConfigSchema>;

/** A row to decide on. */
export interface SamplingInput {
  /** W3C trace id (32 hex); any other text is hashed. */
  traceId: string;
  service: string;
  /** True for error rows (span status error, HTTP ≥ 500, log severity ≥ ERROR). */
  isError: boolean;
}

/** Why a row was not kept; counted by the caller. */
export type SamplingDropReason = 'sampled_out';

export interface SamplingDecision {
  sampled: boolean;
  /** Probability the row was kept with, ratio 0–1. */
  probability: number;
  /** Weight of a kept row, 1 / probability (0 when the probability is 0). */
  weight: number;
  reason?: SamplingDropReason;
}

const TWO_POW_56 = 2n ** 56n;
const LOW_56_BITS = TWO_POW_56 - 1n;
const TRACE_ID = /^[0-9a-fA-F]{32}$/;

/** 64-bit FNV-1a of a string's UTF-16 code units (a stable hash for non-trace-id keys). */
function fnv1a64(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

/** The 56-bit randomness of a trace id (its last 14 hex digits), or of a hash of other keys. */
export function traceRandomness(traceId: string): bigint {
  return TRACE_ID.test(traceId) ? BigInt(`0x${traceId.slice(18)}`) : fnv1a64(traceId) & LOW_56_BITS;
}

/** Keep-threshold for a probability: ⌊p · 2^56⌋ (p = 1 keeps everything, p = 0 nothing). */
export function rateThreshold(probability: number): bigint {
  if (probability >= 1) return TWO_POW_56;
  if (probability <= 0) return 0n;
  return BigInt(Math.floor(probability * 2 ** 56));
}

/** A sampler built from a validated config. */
export interface TraceIdSampler {
  decide(input: SamplingInput): SamplingDecision;
  /** Probability a row of this service and error-ness is kept, ratio 0–1. */
  probabilityOf(service: string, isError: boolean): number;
}

/** Builds the sampler (Vector's config → build()). */
export function buildTraceIdSampler(config: TraceIdSamplerConfig): TraceIdSampler {
  const probabilityOf = (service: string, isError: boolean): number => {
    const own = config.services[service];
    if (isError) return own?.errorRate ?? config.errorRate;
    return own?.rate ?? config.defaultRate;
  };
  return {
    probabilityOf,
    decide(input) {
      const probability = probabilityOf(input.service, input.isError);
      const weight = probability > 0 ? 1 / probability : 0;
      const sampled = traceRandomness(input.traceId) < rateThreshold(probability);
      return sampled ? { sampled, probability, weight } : { sampled, probability, weight, reason: 'sampled_out' };
    },
  };
}
