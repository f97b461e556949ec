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
-- The ad account and breakdown follow the date as key columns: the metrics query filters on
-- them, and in the index that filter needs no visit to the table row.
DROP INDEX insight_actions_by_date;
CREATE INDEX insight_actions_for_metrics
    ON insight_actions (team_id, action_type, attribution_window, level, date, ad_account_id, breakdown);
DROP INDEX insights_daily_by_date;
CREATE INDEX insights_daily_for_metrics ON insights_daily (team_id, level, date, ad_account_id, breakdown);

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

-- Purchases per attribution window, rolled up onto each daily row (a copy of the
-- `insight_actions` rows with action_type = 'purchase', written in the same transaction).
-- The metrics API then reads one row per object and day instead of joining ~7k action rows
-- scattered over a table 17 times larger.
ALTER TABLE insights_daily
    ADD COLUMN purchases_default BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchases_1d_click BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchases_7d_click BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchases_28d_click BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchases_1d_view BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchases_7d_view BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchases_28d_view BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchase_value_default_micros BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchase_value_1d_click_micros BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchase_value_7d_click_micros BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchase_value_28d_click_micros BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchase_value_1d_view_micros BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchase_value_7d_view_micros BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN purchase_value_28d_view_micros BIGINT NOT NULL DEFAULT 0;
-- Rows synced before this migration get theirs from insight_actions.
UPDATE insights_daily SET
    purchases_default = p.purchases_default,
    purchases_1d_click = p.purchases_1d_click,
    purchases_7d_click = p.purchases_7d_click,
    purchases_28d_click = p.purchases_28d_click,
    purchases_1d_view = p.purchases_1d_view,
    purchases_7d_view = p.purchases_7d_view,
    purchases_28d_view = p.purchases_28d_view,
    purchase_value_default_micros = p.purchase_value_default_micros,
    purchase_value_1d_click_micros = p.purchase_value_1d_click_micros,
    purchase_value_7d_click_micros = p.purchase_value_7d_click_micros,
    purchase_value_28d_click_micros = p.purchase_value_28d_click_micros,
    purchase_value_1d_view_micros = p.purchase_value_1d_view_micros,
    purchase_value_7d_view_micros = p.purchase_value_7d_view_micros,
    purchase_value_28d_view_micros = p.purchase_value_28d_view_micros
FROM (SELECT team_id, ad_account_id, level, object_id, date, breakdown,
           SUM(CASE WHEN attribution_window = 'default' THEN count ELSE 0 END) AS purchases_default,
           SUM(CASE WHEN attribution_window = '1d_click' THEN count ELSE 0 END) AS purchases_1d_click,
           SUM(CASE WHEN attribution_window = '7d_click' THEN count ELSE 0 END) AS purchases_7d_click,
           SUM(CASE WHEN attribution_window = '28d_click' THEN count ELSE 0 END) AS purchases_28d_click,
           SUM(CASE WHEN attribution_window = '1d_view' THEN count ELSE 0 END) AS purchases_1d_view,
           SUM(CASE WHEN attribution_window = '7d_view' THEN count ELSE 0 END) AS purchases_7d_view,
           SUM(CASE WHEN attribution_window = '28d_view' THEN count ELSE 0 END) AS purchases_28d_view,
           SUM(CASE WHEN attribution_window = 'default' THEN COALESCE(value_micros, 0) ELSE 0 END) AS purchase_value_default_micros,
           SUM(CASE WHEN attribution_window = '1d_click' THEN COALESCE(value_micros, 0) ELSE 0 END) AS purchase_value_1d_click_micros,
           SUM(CASE WHEN attribution_window = '7d_click' THEN COALESCE(value_micros, 0) ELSE 0 END) AS purchase_value_7d_click_micros,
           SUM(CASE WHEN attribution_window = '28d_click' THEN COALESCE(value_micros, 0) ELSE 0 END) AS purchase_value_28d_click_micros,
           SUM(CASE WHEN attribution_window = '1d_view' THEN COALESCE(value_micros, 0) ELSE 0 END) AS purchase_value_1d_view_micros,
           SUM(CASE WHEN attribution_window = '7d_view' THEN COALESCE(value_micros, 0) ELSE 0 END) AS purchase_value_7d_view_micros,
           SUM(CASE WHEN attribution_window = '28d_view' THEN COALESCE(value_micros, 0) ELSE 0 END) AS purchase_value_28d_view_micros
      FROM insight_actions WHERE action_type = 'purchase'
      GROUP BY team_id, ad_account_id, level, object_id, date, breakdown) AS p
WHERE insights_daily.team_id = p.team_id AND insights_daily.ad_account_id = p.ad_account_id
  AND insights_daily.level = p.level AND insights_daily.object_id = p.object_id
  AND insights_daily.date = p.date AND insights_daily.breakdown = p.breakdown;
