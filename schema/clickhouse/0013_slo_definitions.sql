-- SLO definition versions (docs/history.md, "Definition versions"): a row each time a
-- process loads an SLO whose definition differs from the last one recorded for its name
-- (engine/adapters/slo-definition-recorder.ts) — the review report's "config changes", the
-- definition `sluice api` backtests by name, and what tells a backtest whether
-- `sli_rollups` counted the same indicator. `definition`: the document as loaded (JSON:
-- apiVersion, kind, metadata, spec); `fingerprint`: SHA-256 of its canonical JSON;
-- `team`: metadata.labels.team ('' when none); `removed` = 1: the SLO left the directory.
-- Two processes loading the same change may both record it: readers collapse consecutive
-- rows with the same fingerprint.

CREATE TABLE IF NOT EXISTS slo_definitions (
  slo String,
  fingerprint String,
  definition String,
  service LowCardinality(String),
  environment LowCardinality(String),
  team LowCardinality(String),
  file String,
  loaded_at DateTime64(3, 'UTC'),
  loaded_by String,
  removed UInt8
) ENGINE = MergeTree
ORDER BY (slo, loaded_at);
