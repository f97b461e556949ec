-- Actions move onto their daily row.
--
-- A row's actions, about 17 per ad-day (types × attribution windows), were rows of their own
-- in `insight_actions`: 13 million rows and 4 GB for the large benchmark dataset, against
-- 315 MB for the daily rows, and entering each into two 8-column B-trees was most of
-- PostgreSQL's work in a backfill. They are now one JSON array on the daily row,
-- `[[action_type, attribution_window, count, value_micros], ...]`, written by the same upsert
-- (so a restatement that drops an action replaces the array, with no delete). Text, not
-- json/jsonb: adsync writes it and nothing needs to parse it on the way in.
--
-- `insight_actions` stays, as a view with the same columns, for SQL tools and Grafana.
-- Twin: ../sqlite/0005_actions_on_rows.sql.
ALTER TABLE insights_daily ADD COLUMN actions TEXT NOT NULL DEFAULT '[]';

UPDATE insights_daily i SET actions = a.actions
FROM (
    SELECT team_id, ad_account_id, level, object_id, date, breakdown,
           CAST(json_agg(json_build_array(action_type, attribution_window, count, value_micros)
                         ORDER BY action_type, attribution_window) AS TEXT) AS actions
    FROM insight_actions
    GROUP BY team_id, ad_account_id, level, object_id, date, breakdown
) a
WHERE i.team_id = a.team_id AND i.ad_account_id = a.ad_account_id AND i.level = a.level
  AND i.object_id = a.object_id AND i.date = a.date AND i.breakdown = a.breakdown;

DROP TABLE insight_actions;

CREATE VIEW insight_actions AS
SELECT i.team_id, i.ad_account_id, i.level, i.object_id, i.date, i.breakdown,
       (a.value ->> 0) COLLATE "C" AS action_type,
       (a.value ->> 1) COLLATE "C" AS attribution_window,
       CAST(a.value ->> 2 AS BIGINT) AS count,
       CAST(a.value ->> 3 AS BIGINT) AS value_micros,
       i.synced_at
FROM insights_daily i
CROSS JOIN LATERAL json_array_elements(CAST(i.actions AS json)) AS a (value);
