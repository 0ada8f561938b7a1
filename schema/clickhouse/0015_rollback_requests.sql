-- Rollback requests (engine/adapters/rollback-dispatcher.ts, docs/releases.md) and the log of
-- their deliveries.
--
-- rollback_requests: one request per deploy at most. `request_id` is deterministic per deploy
-- and the row is written before anything is sent, so a restart neither forgets a request
-- nor makes a second one. `state` goes pending → delivered | failed | dry_run (a dry run
-- records what would have been sent, and sends nothing). `payload` is the request JSON
-- exactly as sent. ReplacingMergeTree(updated_at): the latest state wins; read with FINAL.
--
-- rollback_deliveries: append-only, one row per attempt per target (a webhook URL without
-- credentials, `kafka:<topic>`, `subscription`): its outcome (delivered, retry, failed,
-- dry_run), HTTP status, detail (the error; for a dry run, what would have been sent) and
-- duration, and when the next attempt is due.

CREATE TABLE IF NOT EXISTS rollback_requests (
  request_id String,
  service LowCardinality(String),
  environment LowCardinality(String),
  version String,
  deploy_id String,
  trigger_kind LowCardinality(String),
  reason String,
  payload String,
  dry_run Bool,
  requested_at DateTime64(3, 'UTC'),
  state LowCardinality(String),
  updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY request_id;

CREATE TABLE IF NOT EXISTS rollback_deliveries (
  request_id String,
  target String,
  attempt UInt32,
  at DateTime64(3, 'UTC'),
  outcome LowCardinality(String),
  status_code UInt16,
  detail String,
  duration_ms Float64,
  next_attempt_at Nullable(DateTime64(3, 'UTC'))
) ENGINE = MergeTree
ORDER BY (request_id, target, attempt, at)
SETTINGS non_replicated_deduplication_window = 1000;
