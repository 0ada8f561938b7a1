import { SIGNAL_SCHEMAS } from '../../schema/events/v1/signal.ts';
import { formatIssues } from '../../schema/events/v1/attributes.ts';
import type { DecodedItem } from '../decode/decoder.ts';
import type { IngestPipeline } from '../pipeline/ingest-pipeline.ts';
import { NO_OFFSET } from '../pipeline/source-position.ts';
import type { TrafficSimulator } from './traffic-simulator.ts';

/**
 * Feeds the simulator's events into the pipeline every `periodMs`, through the same zod
 * contracts as real input (so simulated data can never bypass validation).
 */
export function runSimulator(simulator: TrafficSimulator, pipeline: IngestPipeline, periodMs = 250): { stop(): void } {
  const timer = setInterval(() => {
    const items: DecodedItem[] = simulator.tick(Date.now()).map((e) => {
      const result = SIGNAL_SCHEMAS[e.signal].safeParse(e.event);
      return result.success
        ? { ok: true, value: { signal: e.signal, event: result.data } as typeof e }
        : { ok: false, signal: e.signal, reason: 'schema_violation', detail: formatIssues(result.error), raw: Buffer.from(JSON.stringify(e.event)) };
    });
    pipeline.add({ source: 'simulator', partition: 0, offset: NO_OFFSET }, items);
  }, periodMs);
  return { stop: () => clearInterval(timer) };
}
