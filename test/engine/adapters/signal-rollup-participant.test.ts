import { describe, expect, it } from 'vitest';
import { SignalRollupParticipant } from '../../../engine/adapters/signal-rollup-participant.ts';
import { IngestSegment } from '../../../ingest/pipeline/ingest-segment.ts';
import { CheckResultV1Schema } from '../../../schema/events/v1/check-result.ts';
import { LogRecordV1Schema } from '../../../schema/events/v1/log-record.ts';
import type { SluiceEvent } from '../../../schema/events/v1/signal.ts';
import { SpanV1Schema } from '../../../schema/events/v1/span.ts';

const T = Date.UTC(2026, 9, 1, 12, 0, 0);
const span = (startTimeMs: number, durationMs: number, extra: Record<string, unknown> = {}): SluiceEvent => ({
  signal: 'spans',
  event: SpanV1Schema.parse({ service: 'pay', environment: 'production', version: '2.1', traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), route: '/pay', operation: 'POST /pay', startTimeMs, durationMs, ...extra }),
});

describe('SignalRollupParticipant', () => {
  it('counts every event per minute of its event time and its dimensions, with a sketch of durations, into rows of its segment', () => {
    const p = new SignalRollupParticipant({ now: () => T });
    const segment = new IngestSegment({ source: 'sluice.spans.v1', partition: 3, signal: 'spans', generation: 1 });
    segment.cover(100);
    segment.cover(104);
    // a span counts when it ends: 11:59:59.990 + 20 ms is 12:00:00.010
    p.observe(span(T - 10, 20), segment);
    p.observe(span(T + 1_000, 30), segment);
    p.observe(span(T + 2_000, 900, { status: 'error', httpStatusCode: 503 }), segment);
    p.observe({ signal: 'logs', event: LogRecordV1Schema.parse({ service: 'pay', timestampMs: T + 5, severityText: 'error' }) }, segment);
    p.observe({ signal: 'checks', event: CheckResultV1Schema.parse({ checkId: 'smoke', service: 'pay', timestampMs: T + 7, success: false, durationMs: 1_200, journey: 'checkout', location: 'eu' }) }, segment);
    p.observe({ signal: 'deploys', event: {} } as unknown as SluiceEvent, segment);
    const [{ table, rows }] = p.rowsOf(segment) as [{ table: string; rows: Record<string, unknown>[] }];
    expect(table).toBe('signal_rollups');
    const view = rows.map((r) => [r.signal, r.minute, r.span_kind, r.http_status_code, r.status, r.severity_number, r.check_id, r.count, (r.sketch_count as number[]).reduce((a, b) => a + b, 0)]);
    expect(view).toEqual([
      ['spans', '2026-10-01 12:00:00', 'server', 0, 'ok', 0, '', 2, 2],
      ['spans', '2026-10-01 12:00:00', 'server', 503, 'error', 0, '', 1, 1],
      ['logs', '2026-10-01 12:00:00', '', 0, '', 17, '', 1, 0],
      ['checks', '2026-10-01 12:00:00', '', 0, 'error', 0, 'smoke', 1, 1],
    ]);
    expect(rows[0]).toMatchObject({ service: 'pay', environment: 'production', version: '2.1', route: '/pay', operation: 'POST /pay', origin: 'ingest', estimated: 0, source: 'sluice.spans.v1', source_partition: 3, source_offset: 104, segment_lo: 100 });
  });

  it('writes nothing for a segment without SLI signals', () => {
    const p = new SignalRollupParticipant();
    expect(p.rowsOf(new IngestSegment({ source: 'http/deploys', partition: 0, signal: 'deploys' }))).toEqual([]);
  });
});
