-- On PostgreSQL this migration replaces the foreign key from `insights_daily` to `teams` by
-- a trigger, because PostgreSQL checks a foreign key per row at a cost that dominated a
-- backfill (see ../postgres/0007_facts_follow_their_team.sql). SQLite's check is a direct
-- B-tree lookup and stays; its ON DELETE CASCADE already deletes a team's facts with it.
-- Nothing changes here; the file keeps the two dialects' migration versions in step.
SELECT 1;
