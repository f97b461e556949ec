-- Each team's own schedule (see ../postgres/0017_team_sync_interval.sql).
ALTER TABLE teams ADD COLUMN sync_interval_seconds BIGINT;
