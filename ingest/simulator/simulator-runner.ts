import { SIGNAL_SCHEMAS, type Signal } from '../../schema/events/v1/signal.ts';
import { formatIssues } from '../../schema/events/v1/attributes.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import type { IngestPipeline } from '../pipeline/ingest-pipeline.ts';
import type { TrafficSimulator } from './traffic-simulator.ts';

/**
 * Feeds the simulator's events into the pipeline every `periodMs`, through the same zod
 * contracts as real input (so simulated data can never bypass validation), as one
 * embedded source per signal (`simulator/spans`, …). A tick refused by backpressure or a
 * failing store is dropped and counted (`simulatorTicksDropped`): simulated traffic is not
 * worth queueing.
 */
export function runSimulator(simulator: TrafficSimulator, pipeline: IngestPipeline, periodMs = 250, onDropped?: (err: unknown) => void): { stop(): void } {
  const timer = setInterval(() => {
    const bySignal = new Map<Signal, DecodedItem[]>();
    for (const e of simulator.tick(Date.now())) {
      const result = SIGNAL_SCHEMAS[e.signal].safeParse(e.event);
      const item: DecodedItem = result.success
        ? { ok: true, value: { signal: e.signal, event: result.data } as typeof e }
        : { ok: false, signal: e.signal, reason: 'schema_violation', detail: formatIssues(result.error), raw: Buffer.from(JSON.stringify(e.event)) };
      const list = bySignal.get(e.signal) ?? [];
      list.push(item);
      bySignal.set(e.signal, list);
    }
    for (const [signal, items] of bySignal) pipeline.accept(`simulator/${signal}`, signal, items).catch((err) => onDropped?.(err));
  }, periodMs);
  return { stop: () => clearInterval(timer) };
}
