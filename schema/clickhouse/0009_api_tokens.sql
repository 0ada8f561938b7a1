-- API bearer tokens (api/auth): never the secret, only its SHA-256 (hex). A token is
-- created with version = its creation time and revoked by writing the same row again with
-- revoked_at set and a higher version; ReplacingMergeTree keeps the highest version and
-- readers use FINAL, so a revocation is visible to the next read whatever the merges.
-- Few rows, kept forever (revoked tokens stay listed for the audit trail).

CREATE TABLE IF NOT EXISTS api_tokens (
  token_id String,
  name String,
  role LowCardinality(String),
  teams Array(String),
  secret_sha256 String,
  created_at DateTime64(3, 'UTC'),
  created_by String,
  expires_at Nullable(DateTime64(3, 'UTC')),
  revoked_at Nullable(DateTime64(3, 'UTC')),
  revoked_by String,
  version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY token_id;
