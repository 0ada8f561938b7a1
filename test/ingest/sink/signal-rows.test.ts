import { describe, expect, it } from 'vitest';
import { SIGNAL_TABLES } from '../../../ingest/sink/signal-rows.ts';
import { toDateTime64 } from '../../../platform/clickhouse/clickhouse-time.ts';

const position = { source: 't', partition: 0, offset: 1 };

describe('signal rows', () => {
  it('write event and ingest times exactly as toDateTime64, whatever the order of the times', () => {
    const base = Date.UTC(2026, 10, 26, 10, 0, 0);
    const times = [base, base + 1, base + 999, base + 1_000, base + 7, base - 1, base + 59_999, 946_684_800_000, 7_258_118_399_999];
    for (let i = 0; i < 2_000; i++) times.push(base + Math.floor(Math.sin(i) * 5e8));
    for (const ms of times) {
      const span = SIGNAL_TABLES.spans.toRow({ startTimeMs: ms } as never, position, 1, ms + 3);
      const log = SIGNAL_TABLES.logs.toRow({ timestampMs: ms } as never, position, 1, ms + 3);
      const check = SIGNAL_TABLES.checks.toRow({ timestampMs: ms } as never, position, 1, ms + 3);
      expect([span.start_time, span.ingested_at, log.timestamp, log.ingested_at, check.timestamp, check.ingested_at])
        .toEqual([ms, ms + 3, ms, ms + 3, ms, ms + 3].map(toDateTime64));
    }
  });
});
