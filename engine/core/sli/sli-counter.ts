import type { SluiceEvent } from '../../../schema/events/v1/signal.ts';
import type { Slo } from '../slo/slo-definition.ts';
import type { BucketEvent, RecordOutcome } from '../window/minute-bucket-store.ts';
import { classifyEvent, signalOf } from './indicator-strategies.ts';

/** Where counted events go: MinuteBucketStore in memory, or anything with the same `record`. */
export interface BucketWriter {
  record(event: BucketEvent): RecordOutcome;
}

/** How one event counted for one SLO. */
export interface CountedEvent {
  sloName: string;
  good: boolean;
  /** Minute bucket it went to, epoch ms. */
  minuteStartMs: number;
  /** Behind its source's watermark: counted anyway, to be reported as a correction. */
  late: boolean;
}

/**
 * Counts one validated event for every SLO whose indicator reads its signal and has it in
 * scope (before any sampling: design guarantee 1). The bucket key is the SLO name plus
 * the event's service, environment and version. Returns one entry per SLO it counted for.
 */
export function countEvent(
  slos: readonly Slo[],
  input: SluiceEvent,
  sourceId: string,
  store: BucketWriter,
): CountedEvent[] {
  const out: CountedEvent[] = [];
  for (const slo of slos) {
    if (signalOf(slo.indicator) !== input.signal) continue;
    const c = classifyEvent(slo.indicator, slo, input);
    if (!c.inScope) continue;
    const event = input.event as { service: string; environment: string; version: string };
    const { minuteStartMs, late } = store.record({
      key: { sloName: slo.name, service: event.service, environment: event.environment, version: event.version },
      sourceId,
      eventTimeMs: c.eventTimeMs,
      good: c.good,
      latencyMs: c.latencyMs,
    });
    out.push({ sloName: slo.name, good: c.good, minuteStartMs, late });
  }
  return out;
}
