-- Why a running sync waits and until when: Facebook's rate limit (a block it announced, a
-- backoff after a throttle, pacing as the budget runs low). Set by the worker when a wait
-- of a second or more starts, cleared when it is over and when the run ends; the
-- connectors page and `GET /api/v1/teams/{team}/syncs` show them.
-- Twin: ../sqlite/0012_run_pauses.sql.
ALTER TABLE sync_runs ADD COLUMN pause_ends_at TIMESTAMPTZ;
ALTER TABLE sync_runs ADD COLUMN pause_reason TEXT;
