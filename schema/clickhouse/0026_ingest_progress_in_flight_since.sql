-- When the segment a progress row leaves in flight began (epoch ms, the clock of the worker
-- that wrote its `pending` row): set on `pending` rows and carried by a `claim` that
-- inherits the segment; -1 otherwise (and on rows written before this column). A new owner
-- waits for an older owner's segment only until it is `claimWaitMs` old, not `claimWaitMs`
-- from its own claim: otherwise owners that keep changing (a rebalance every few seconds)
-- would each wait the whole time again and the partition would never move
-- (ingest/pipeline/partition-claim.ts).
ALTER TABLE ingest_progress ADD COLUMN IF NOT EXISTS in_flight_since_ms Int64 DEFAULT -1 AFTER max_event_time_ms;
