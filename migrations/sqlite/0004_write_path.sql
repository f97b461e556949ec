-- The write path of a backfill. Twin: ../postgres/0004_write_path.sql.
-- A page now replaces the actions of the object-days it carries (delete by key, then insert),
-- so the index that found stale actions per chunk is no longer needed.
DROP INDEX insight_actions_by_sync;

-- The metrics index leads with the action type and window the metrics query fixes. Led by
-- (team_id, level, ..., date) it also matched the per-page delete above (team, level, date
-- are bound there too), and a planner with statistics lagging a fast-growing table chose it
-- over the primary key, scanning every object's actions of the day for each key.
DROP INDEX insight_actions_by_date;
CREATE INDEX insight_actions_for_metrics ON insight_actions (team_id, action_type, attribution_window, level, date);
-- PostgreSQL's twin also gives its text key columns COLLATE "C"; SQLite compares text
-- bytewise already (BINARY), so there is nothing to do for that here.
