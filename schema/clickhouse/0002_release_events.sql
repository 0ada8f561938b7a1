-- Deploys and incidents: few rows, kept forever (DORA metrics look back months).
-- ReplacingMergeTree keeps the latest state of a deploy / incident by `updated_at`
-- (an incident is sent when opened and again when resolved); read with FINAL.

CREATE TABLE IF NOT EXISTS deploys (
  deploy_id String,
  service LowCardinality(String),
  environment LowCardinality(String),
  version String,
  team LowCardinality(String),
  commit_sha String,
  commit_time DateTime64(3, 'UTC'),
  started_at DateTime64(3, 'UTC'),
  finished_at Nullable(DateTime64(3, 'UTC')),
  status LowCardinality(String),
  strategy LowCardinality(String),
  emergency Bool,
  change_ticket String,
  attributes Map(String, String),
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64,
  updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (service, environment, deploy_id)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS incidents (
  incident_id String,
  service LowCardinality(String),
  environment LowCardinality(String),
  title String,
  severity LowCardinality(String),
  opened_at DateTime64(3, 'UTC'),
  resolved_at Nullable(DateTime64(3, 'UTC')),
  linked_deploy_id String,
  attributes Map(String, String),
  source LowCardinality(String),
  source_partition Int32,
  source_offset Int64,
  updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (service, environment, incident_id)
SETTINGS non_replicated_deduplication_window = 1000;
