-- Exact SLI counts: per (SLO, service, environment, version, minute of event time) the
-- good and total events counted before any sampling, plus a DDSketch of latencies
-- (bucket index → count; merge with sumMap). Rows are deltas written with each ingest
-- batch, one per Kafka partition and key: a query sums them, so totals are the same
-- whatever the number of workers. `source_offset` is the highest offset of the partition
-- the delta covers; a worker that replays a partition after a crash skips positions at or
-- below it, so nothing is counted twice. `late_events` counts corrections that arrived
-- behind the watermark (counted, never dropped).

CREATE TABLE IF NOT EXISTS sli_rollups (
  slo LowCardinality(String),
  service LowCardinality(String),
  environment LowCardinality(String),
  version LowCardinality(String),
  minute DateTime('UTC'),
  good UInt64,
  total UInt64,
  late_events UInt64,
  sketch_index Array(Int32),
  sketch_count Array(UInt64),
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64,
  written_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (slo, service, environment, minute)
TTL minute + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;
