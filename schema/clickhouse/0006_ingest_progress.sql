-- Exactly-once ingest across workers and crashes (ingest/pipeline/partition-progress.ts):
-- the log of every upstream (source, partition)'s claims by a new owner, segments
-- written (`pending` before its rows, `done` after them) and segments abandoned by a
-- fenced owner (`aborted`). `version` = generation·1e9 + seq orders a partition's rows;
-- the latest row is read with ORDER BY … DESC LIMIT 1 BY (the primary key order, so the
-- read touches a granule or two per partition, whatever the history). `through`: every
-- position at or below it is durable. `max_event_time_ms`: the partition's highest event
-- time (the input of its watermark). Kept 30 days; the latest row of a partition idle for
-- longer expires too, and its next owner then starts from the committed Kafka offset.

CREATE TABLE IF NOT EXISTS ingest_progress (
  source LowCardinality(String),
  partition Int32,
  version UInt64,
  signal LowCardinality(String),
  generation UInt64,
  seq UInt64,
  state Enum8('claim' = 1, 'pending' = 2, 'done' = 3, 'aborted' = 4),
  lo Int64,
  hi Int64,
  through Int64,
  max_event_time_ms Int64,
  writer String,
  written_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
ORDER BY (source, partition, version)
TTL toDateTime(written_at) + INTERVAL 30 DAY;

-- the first position of the segment a rollup delta covers (source_offset is its last)
ALTER TABLE sli_rollups ADD COLUMN IF NOT EXISTS segment_lo Int64 DEFAULT -1 AFTER source_offset;
