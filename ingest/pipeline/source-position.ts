/**
 * Where an input came from: a Kafka topic partition and offset, or an embedded source
 * (`http`, `simulator`) with partition 0 and offset -1 (no replay, nothing to dedupe).
 */
export interface SourcePosition {
  source: string;
  partition: number;
  /** Kafka offset of the message; -1 for sources without offsets. */
  offset: number;
}

export const NO_OFFSET = -1;

export function partitionKey(source: string, partition: number): string {
  return `${source}#${partition}`;
}
