-- What a transition is based on (docs/time-and-ownership.md): `event-time` — a step of the
-- SLO's breach state machine at a minute boundary of its event-time watermark (`at` is
-- that boundary; a pure function of the data, so live, replay and backlog agree) — or
-- `wall-clock` — a change of the SLO's effective status by the staleness overlay (its
-- watermark fell behind the wall clock by more than maxStaleness, or caught up; `at` is
-- the judge's wall clock). Rows written before this migration came from the old engine,
-- which evaluated at the wall clock: they read as 'wall-clock'. Every new row names its basis.
ALTER TABLE slo_transitions ADD COLUMN IF NOT EXISTS basis LowCardinality(String) DEFAULT 'wall-clock' AFTER rule;
