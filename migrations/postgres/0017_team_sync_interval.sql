-- Each team's own schedule: seconds between scheduled syncs, NULL for the server's default
-- (ADSYNC_SYNC_INTERVAL). Twin: ../sqlite/0017_team_sync_interval.sql.
ALTER TABLE teams ADD COLUMN sync_interval_seconds BIGINT;
