-- Inputs that could not be ingested, with the reason and the original bytes
-- (base64, since they may not be valid UTF-8). Kept 30 days.

CREATE TABLE IF NOT EXISTS dead_letters (
  received_at DateTime64(3, 'UTC'),
  signal LowCardinality(String),
  reason LowCardinality(String),
  detail String,
  raw_base64 String,
  raw_bytes UInt32,
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64
) ENGINE = MergeTree
ORDER BY (signal, reason, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 1000;
