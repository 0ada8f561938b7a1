-- Raw (sampled) signal rows. Ordered for per-service time scans; raw data expires after
-- 14 days (SLIs come from exact rollups, not from these rows). Every row carries the
-- weight 1/p of the sampler that kept it and the Kafka position it came from
-- (source = topic, or 'http' / 'simulator' in embedded mode; offset -1 there), which
-- makes replays after a crash idempotent: a worker skips positions already written.
-- non_replicated_deduplication_window lets a retried insert with the same
-- insert_deduplication_token be dropped by the server (ClickHouse docs: "Deduplication").

CREATE TABLE IF NOT EXISTS spans_raw (
  service LowCardinality(String),
  environment LowCardinality(String),
  version LowCardinality(String),
  start_time DateTime64(3, 'UTC'),
  trace_id String,
  span_id String,
  parent_span_id String,
  operation String,
  route LowCardinality(String),
  kind LowCardinality(String),
  duration_ms Float64,
  status LowCardinality(String),
  http_status_code UInt16,
  peer_service LowCardinality(String),
  attributes Map(String, String),
  sample_weight Float64,
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64,
  ingested_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (service, environment, start_time)
TTL toDateTime(start_time) + INTERVAL 14 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS logs_raw (
  service LowCardinality(String),
  environment LowCardinality(String),
  version LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  severity_number UInt8,
  severity_text LowCardinality(String),
  body String,
  trace_id String,
  span_id String,
  attributes Map(String, String),
  sample_weight Float64,
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64,
  ingested_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (service, environment, timestamp)
TTL toDateTime(timestamp) + INTERVAL 14 DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS checks_raw (
  check_id LowCardinality(String),
  service LowCardinality(String),
  environment LowCardinality(String),
  version LowCardinality(String),
  journey LowCardinality(String),
  location LowCardinality(String),
  timestamp DateTime64(3, 'UTC'),
  success Bool,
  duration_ms Float64,
  failed_step String,
  attributes Map(String, String),
  sample_weight Float64,
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64,
  ingested_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (service, environment, timestamp)
TTL toDateTime(timestamp) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 1000;
