-- What the judge of each SLO knows (docs/time-and-ownership.md): its event-time breach
-- state, the last minute boundary it evaluated, its watermark, the wall-clock staleness
-- overlay, the status subscribers last heard and the latest evaluation — `snapshot` is
-- that as JSON (SloStateSnapshotSchema, engine/adapters/slo-state-snapshot.ts), the other
-- columns repeat its headline for SQL readers. Written after every evaluation pass; a new
-- owner (restart, rebalance) restores from it, and `sluice api` serves it. One row per SLO
-- survives merges: the highest `updated_at` (strictly increasing per SLO across owners);
-- `deleted` = 1 marks an SLO whose definition was removed. Read with FINAL.

CREATE TABLE IF NOT EXISTS slo_state (
  slo String,
  service LowCardinality(String),
  environment LowCardinality(String),
  status LowCardinality(String),
  since DateTime64(3, 'UTC'),
  reason String,
  event_time_status LowCardinality(String),
  evaluated_through Nullable(DateTime64(3, 'UTC')),
  watermark Nullable(DateTime64(3, 'UTC')),
  snapshot String,
  owner String,
  updated_at DateTime64(3, 'UTC'),
  deleted UInt8
) ENGINE = ReplacingMergeTree(updated_at, deleted)
ORDER BY slo;
