-- Signal rollups (docs/history.md): exact per-minute counts of every span, log record and
-- check result, keyed by what SLO indicators select on — so the history of ANY SLO can be
-- rebuilt, also one defined after its data arrived (`sli_rollups` is keyed by SLO name and
-- only has the past of SLOs that existed then). Per minute of event time (a span's end, a
-- record's timestamp, a check's finish), per:
--   spans:  service, environment, version, span kind, route, operation, HTTP status code
--           (exact; 0 = none) and status (ok | error), with a DDSketch of durations;
--   logs:   service, environment, version, severity number (0–24);
--   checks: service, environment, version, check id, journey, location, status (ok =
--           success | error), with a DDSketch of durations.
-- Columns a signal does not have are '' / 0. Sketch: bucket index → count, α = 0.5 %
-- (engine/core/sketch/latency-sketch.ts; merge with sumMap).
-- Rows are deltas written with each ingest segment (engine/adapters/signal-rollup-participant.ts),
-- with the segment's bounds and insert deduplication token, exactly like `sli_rollups`: a
-- query sums them, a replayed segment is written once. `origin`: `ingest` (counted before
-- sampling: exact) or `raw-backfill` (rebuilt from the sampled raw rows by 0012, weighted
-- by 1/p: `estimated` = 1 when a weight other than 1 went into the row).

CREATE TABLE IF NOT EXISTS signal_rollups (
  signal LowCardinality(String),
  service LowCardinality(String),
  environment LowCardinality(String),
  version LowCardinality(String),
  minute DateTime('UTC'),
  span_kind LowCardinality(String),
  route LowCardinality(String),
  operation LowCardinality(String),
  http_status_code UInt16,
  status LowCardinality(String),
  severity_number UInt8,
  check_id LowCardinality(String),
  journey LowCardinality(String),
  location LowCardinality(String),
  count UInt64,
  sketch_index Array(Int32),
  sketch_count Array(UInt64),
  origin LowCardinality(String),
  estimated UInt8,
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64,
  segment_lo Int64,
  written_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (signal, service, environment, minute)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;
