-- The write path of a backfill (docs/benchmarks.md).
--
-- 1. A page now replaces the actions of the object-days it carries (delete by key, then
--    insert), so a restatement that removes an action is handled on the page itself; the
--    index that found stale actions per chunk only cost every insert.
DROP INDEX insight_actions_by_sync;

-- The metrics index leads with the action type and window the metrics query fixes. Led by
-- (team_id, level, ..., date) it also matched the per-page delete above (team, level, date
-- are bound there too), and a planner with statistics lagging a fast-growing table chose it
-- over the primary key, scanning every object's actions of the day for each key.
DROP INDEX insight_actions_by_date;
CREATE INDEX insight_actions_for_metrics ON insight_actions (team_id, action_type, attribution_window, level, date);

-- 2. Key columns compare bytewise (COLLATE "C"). With the database's default collation every
-- B-tree comparison on these text keys went through strcoll(), and upserting ~17 action rows
-- per ad-day spent most of PostgreSQL's CPU there (docs/benchmarks.md). Ids, levels, windows
-- and breakdown strings have no linguistic order anyway. SQLite compares bytewise already.
-- Twin: ../sqlite/0004_write_path.sql.
ALTER TABLE insights_daily
    ALTER COLUMN ad_account_id TYPE TEXT COLLATE "C",
    ALTER COLUMN level TYPE TEXT COLLATE "C",
    ALTER COLUMN object_id TYPE TEXT COLLATE "C",
    ALTER COLUMN breakdown TYPE TEXT COLLATE "C",
    ALTER COLUMN campaign_id TYPE TEXT COLLATE "C",
    ALTER COLUMN adset_id TYPE TEXT COLLATE "C";

ALTER TABLE insight_actions
    ALTER COLUMN ad_account_id TYPE TEXT COLLATE "C",
    ALTER COLUMN level TYPE TEXT COLLATE "C",
    ALTER COLUMN object_id TYPE TEXT COLLATE "C",
    ALTER COLUMN breakdown TYPE TEXT COLLATE "C",
    ALTER COLUMN action_type TYPE TEXT COLLATE "C",
    ALTER COLUMN attribution_window TYPE TEXT COLLATE "C";

ALTER TABLE campaigns ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE adsets ALTER COLUMN id TYPE TEXT COLLATE "C", ALTER COLUMN campaign_id TYPE TEXT COLLATE "C";
ALTER TABLE ads
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN campaign_id TYPE TEXT COLLATE "C",
    ALTER COLUMN adset_id TYPE TEXT COLLATE "C";
