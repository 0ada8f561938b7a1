-- Build metrics CI reports for a release (service + version) through the API
-- (`reportBuildMetrics`, engine/adapters/build-metrics-store.ts): test coverage (ratio 0–1)
-- and benchmark results (name, value, unit; parallel arrays, in the order reported). One row
-- per report: `report_id` is the reporter's idempotency key (default: a hash of the
-- report's content), so a retried report replaces itself — ReplacingMergeTree(reported_at),
-- read with FINAL. Kept as long as deploys (releases are compared across months).

CREATE TABLE IF NOT EXISTS build_metrics (
  service LowCardinality(String),
  version String,
  report_id String,
  commit_sha String,
  test_coverage Nullable(Float64),
  benchmark_names Array(String),
  benchmark_values Array(Float64),
  benchmark_units Array(String),
  reported_at DateTime64(3, 'UTC'),
  reported_by String
) ENGINE = ReplacingMergeTree(reported_at)
ORDER BY (service, version, report_id);
