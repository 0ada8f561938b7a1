-- The audit log (api/audit): every mutation, denied attempt and gate decision, with
-- actor, time, operation, input and outcome. Append-only (plain MergeTree: nothing
-- replaces or collapses a row). Each writing process appends to its own hash chain
-- (`chain`): `seq` counts 1, 2, 3… under a lock in that process, and `hash` is the
-- SHA-256 of the canonical JSON of the entry including `prev_hash`, the hash of the entry
-- before it (64 zeros for seq 1). `sluice audit verify` recomputes every chain and names
-- the first entry whose content, link or sequence does not fit (docs/api-security.md).

CREATE TABLE IF NOT EXISTS audit_log (
  chain String,
  seq UInt64,
  at DateTime64(3, 'UTC'),
  actor_id String,
  actor_name String,
  actor_role LowCardinality(String),
  operation LowCardinality(String),
  input String,
  outcome LowCardinality(String),
  detail String,
  prev_hash String,
  hash String
) ENGINE = MergeTree
ORDER BY (chain, seq)
SETTINGS non_replicated_deduplication_window = 1000;
