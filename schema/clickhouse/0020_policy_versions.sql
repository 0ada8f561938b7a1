-- Gate policy versions (engine/adapters/policy-version-store.ts, docs/gates.md "Policies"):
-- every version of a gate policy document any process loaded, with its full content, so a
-- decision (gate_decisions.policy_version) can always be shown with the exact policy it
-- used. `version` = `<file>[#<document>]@sha256:<first 16 hex digits>`; `sha256` = SHA-256
-- of `content`, the document's canonical JSON (sorted keys, no whitespace); `directory`:
-- SLUICE_POLICY_DIR of the loading process. A version is written the first time a process
-- loads it and never changed; two processes loading it at once may both write it, so
-- readers take the first row of each version (LIMIT 1 BY version).

CREATE TABLE IF NOT EXISTS policy_versions (
  version String,
  sha256 String,
  name String,
  file String,
  document_index UInt32,
  environments Array(String),
  content String,
  directory String,
  loaded_at DateTime64(3, 'UTC'),
  loaded_by String
) ENGINE = MergeTree
ORDER BY (version, loaded_at);
