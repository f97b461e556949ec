-- Why a running sync waits and until when (see ../postgres/0012_run_pauses.sql).
ALTER TABLE sync_runs ADD COLUMN pause_ends_at TEXT;
ALTER TABLE sync_runs ADD COLUMN pause_reason TEXT;
