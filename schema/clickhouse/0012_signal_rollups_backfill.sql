-- Fills `signal_rollups` from the raw rows that exist when this migration runs (spans and
-- logs: the last 14 days, checks: 30), so SLOs defined now have that much past. Raw rows
-- are sampled: each counts with its weight 1/p (`sample_weight`), rounded per row group —
-- an estimate wherever a weight is not 1 (`estimated` = 1; exact when nothing was sampled
-- out). Events older than the raw retention cannot be rebuilt; for SLOs that existed,
-- `sli_rollups` stays their exact record (docs/history.md, "Storage").
-- It runs once, before this process ingests anything; the time it ran (schema_migrations.
-- applied_at) is where counting at ingest took over. Each insert has a fixed deduplication
-- token, so two processes migrating at once write it once.
-- Event time as sluice counts it: a span at its end (start + duration), a log record at its
-- timestamp, a check at its finish. Sketch bucket index as in latency-sketch.ts:
-- ⌈ln(x) / ln γ⌉, γ = (1 + 0.005) / (1 − 0.005); below 1e-6 ms the zero bucket (Int32 min).

INSERT INTO signal_rollups (signal, service, environment, version, minute, span_kind, route, operation, http_status_code, status, severity_number, check_id, journey, location, count, sketch_index, sketch_count, origin, estimated, source, source_partition, source_offset, segment_lo, written_at)
SETTINGS insert_deduplication_token = '0012_signal_rollups_backfill:spans'
SELECT
  'spans', service, environment, version,
  toDateTime(intDiv(toInt64(floor(toFloat64(toUnixTimestamp64Milli(start_time)) + duration_ms)), 60000) * 60, 'UTC') AS end_minute,
  kind, route, operation, http_status_code, status, 0, '', '', '',
  toUInt64(round(sum(sample_weight))),
  tupleElement(sumMap([bucket], [sample_weight]), 1),
  arrayMap(c -> toUInt64(round(c)), tupleElement(sumMap([bucket], [sample_weight]), 2)),
  'raw-backfill', toUInt8(max(sample_weight != 1)), 'backfill:spans_raw', 0, -1, -1, now64(3, 'UTC')
FROM (
  SELECT *, if(duration_ms < 1e-6, toInt32(-2147483648), toInt32(ceil(log(duration_ms) / log((1 + 0.005) / (1 - 0.005))))) AS bucket
  FROM spans_raw
)
GROUP BY service, environment, version, end_minute, kind, route, operation, http_status_code, status;

INSERT INTO signal_rollups (signal, service, environment, version, minute, span_kind, route, operation, http_status_code, status, severity_number, check_id, journey, location, count, sketch_index, sketch_count, origin, estimated, source, source_partition, source_offset, segment_lo, written_at)
SETTINGS insert_deduplication_token = '0012_signal_rollups_backfill:logs'
SELECT
  'logs', service, environment, version, toStartOfMinute(timestamp) AS record_minute,
  '', '', '', 0, '', severity_number, '', '', '',
  toUInt64(round(sum(sample_weight))), [], [],
  'raw-backfill', toUInt8(max(sample_weight != 1)), 'backfill:logs_raw', 0, -1, -1, now64(3, 'UTC')
FROM logs_raw
GROUP BY service, environment, version, record_minute, severity_number;

INSERT INTO signal_rollups (signal, service, environment, version, minute, span_kind, route, operation, http_status_code, status, severity_number, check_id, journey, location, count, sketch_index, sketch_count, origin, estimated, source, source_partition, source_offset, segment_lo, written_at)
SETTINGS insert_deduplication_token = '0012_signal_rollups_backfill:checks'
SELECT
  'checks', service, environment, version, toStartOfMinute(timestamp) AS run_minute,
  '', '', '', 0, if(success, 'ok', 'error') AS run_status, 0, check_id, journey, location,
  toUInt64(round(sum(sample_weight))),
  tupleElement(sumMap([bucket], [sample_weight]), 1),
  arrayMap(c -> toUInt64(round(c)), tupleElement(sumMap([bucket], [sample_weight]), 2)),
  'raw-backfill', toUInt8(max(sample_weight != 1)), 'backfill:checks_raw', 0, -1, -1, now64(3, 'UTC')
FROM (
  SELECT *, if(duration_ms < 1e-6, toInt32(-2147483648), toInt32(ceil(log(duration_ms) / log((1 + 0.005) / (1 - 0.005))))) AS bucket
  FROM checks_raw
)
GROUP BY service, environment, version, run_minute, run_status, check_id, journey, location;
