-- The breach stream: every change of an SLO's status (OK, WARNING, BREACHED, RECOVERED,
-- UNKNOWN) with the time, the reason and the values that caused it (`details`: JSON with
-- the rule's windows — burn rate, bad ratio, good/total, threshold — the error budget
-- and data freshness). `transition_id` is deterministic (SLO, from, to, time), so a
-- transition re-published after a restart replaces itself.

CREATE TABLE IF NOT EXISTS slo_transitions (
  transition_id String,
  slo LowCardinality(String),
  service LowCardinality(String),
  environment LowCardinality(String),
  version LowCardinality(String),
  from_status LowCardinality(String),
  to_status LowCardinality(String),
  at DateTime64(3, 'UTC'),
  reason String,
  rule LowCardinality(String),
  details String,
  published_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(published_at)
ORDER BY (slo, at, transition_id);
