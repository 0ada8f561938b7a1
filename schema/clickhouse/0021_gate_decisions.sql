-- Release gate decisions (engine/adapters/clickhouse-gate-decision-store.ts, docs/gates.md
-- "Decision records"): one row per decision, kept forever (auditors read them). `decision`
-- is the decision exactly as the `gate` query returned it (JSON of the contract's
-- GateDecision), so `gateDecision(id)` shows it again as made; `inputs` is what it read
-- (the SLO states, their freshness, per-version counts, the baseline comparison, deploy
-- facts); `policy_version` names a row of policy_versions. The other columns are there to
-- filter and page (newest first: decided_at, then decision_id). A retried insert carries a
-- deduplication token, and ReplacingMergeTree collapses a row written twice; read with FINAL.

CREATE TABLE IF NOT EXISTS gate_decisions (
  decision_id String,
  decided_at DateTime64(3, 'UTC'),
  service LowCardinality(String),
  environment LowCardinality(String),
  version String,
  baseline_version Nullable(String),
  verdict LowCardinality(String),
  blocking Bool,
  policy_version String,
  requested_by String,
  requested_by_name String,
  requested_by_role LowCardinality(String),
  decision String,
  inputs String,
  INDEX decision_id_bloom decision_id TYPE bloom_filter GRANULARITY 4
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(decided_at)
ORDER BY (decided_at, decision_id)
SETTINGS non_replicated_deduplication_window = 1000;
