import { z } from 'zod';
import type { SliSegmentDelta, SourceProgress } from '../../engine/core/window/sli-segment.ts';

/**
 * Messages of the SLI-delta topic (default `sluice.sli-deltas.v1`), the repartition from
 * ingest workers to judges (DESIGN.md "One judge per SLO"), JSON, version 1:
 *
 * - `delta`: the exact counts one ingest segment adds for one SLO. Key = SLO name;
 *   partition = sloPartition(slo, partitions) set explicitly by the producer, so the owner
 *   of that partition is the SLO's only judge.
 * - `progress`: event-time progress of one upstream source (Kafka partition). Sent to every
 *   partition of the topic, so every judge sees every source's watermark in order with the
 *   deltas that precede it.
 *
 * A producer publishes a segment's deltas before its progress record, and only after the
 * segment is durable in ClickHouse; a replayed segment is published again with the same
 * bounds, which judges skip (see engine/core/window/sli-segment.ts).
 */

const Position = z.strictObject({
  source: z.string().min(1),
  partition: z.number().int().min(0),
  lo: z.number().int(),
  hi: z.number().int(),
});

const Bucket = z.strictObject({
  key: z.strictObject({ sloName: z.string(), service: z.string(), environment: z.string(), version: z.string() }),
  minuteStartMs: z.number().int().multipleOf(60_000),
  good: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  lateEvents: z.number().int().nonnegative(),
  sketch: z.array(z.strictObject({ index: z.number().int(), count: z.number().int().positive() })).optional(),
});

export const SliDeltaMessageSchema = z.strictObject({
  type: z.literal('delta'),
  v: z.literal(1),
  sloName: z.string().min(1),
  position: Position,
  buckets: z.array(Bucket),
});

export const SourceProgressMessageSchema = z.strictObject({
  type: z.literal('progress'),
  v: z.literal(1),
  source: z.string().min(1),
  partition: z.number().int().min(0),
  signal: z.enum(['spans', 'logs', 'checks']),
  hi: z.number().int(),
  maxEventTimeMs: z.number().int().optional(),
  caughtUp: z.boolean(),
  reportedAtMs: z.number().int(),
  lastActivityAtMs: z.number().int().optional(),
});

export const SliTopicMessageSchema = z.discriminatedUnion('type', [SliDeltaMessageSchema, SourceProgressMessageSchema]);
export type SliTopicMessage = z.infer<typeof SliTopicMessageSchema>;

export function encodeDelta(delta: SliSegmentDelta): string {
  return JSON.stringify({ type: 'delta', v: 1, sloName: delta.sloName, position: delta.position, buckets: delta.buckets });
}

export function encodeProgress(progress: SourceProgress): string {
  const { maxEventTimeMs, lastActivityAtMs, ...rest } = progress;
  return JSON.stringify({
    type: 'progress',
    v: 1,
    ...rest,
    ...(maxEventTimeMs !== undefined ? { maxEventTimeMs } : {}),
    ...(lastActivityAtMs !== undefined ? { lastActivityAtMs } : {}),
  });
}

/** Decodes one topic message; a malformed one is an error naming the field (the judge logs and skips it). */
export function decodeSliTopicMessage(bytes: Uint8Array | string): { ok: true; message: SliTopicMessage } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const parsed = SliTopicMessageSchema.safeParse(value);
  if (!parsed.success) return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  return { ok: true, message: parsed.data };
}
