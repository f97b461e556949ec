-- `insights_daily.actions` holds one element per action type:
-- `[action_type, counts, values]`, where `counts` has one entry per attribution window in the
-- order default, 1d_click, 7d_click, 28d_click, 1d_view, 7d_view, 28d_view (`null` where
-- Facebook reported nothing in that window), and `values` the value in micro-units likewise,
-- or is `null` for a type without values.
--
-- It held one element per type and window, `[action_type, attribution_window, count,
-- value_micros]` (migration 0005): about 600 bytes for an ad-day, where this form takes about
-- 220. Every byte of it is parsed, stored, logged and written out by PostgreSQL on each
-- insert, and it was two thirds of a daily row.
--
-- The `insight_actions` view reads the new form and keeps its columns.
-- Twin: ../sqlite/0008_actions_per_type.sql.
DROP VIEW insight_actions;

UPDATE insights_daily SET actions = (
    SELECT COALESCE(CAST(json_agg(json_build_array(t.action_type, t.counts, t.vals) ORDER BY t.first) AS TEXT), '[]')
    FROM (
        SELECT a.value ->> 0 AS action_type,
               MIN(a.n) AS first,
               json_build_array(
                   MAX(CASE WHEN a.value ->> 1 = 'default' THEN CAST(a.value ->> 2 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '1d_click' THEN CAST(a.value ->> 2 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '7d_click' THEN CAST(a.value ->> 2 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '28d_click' THEN CAST(a.value ->> 2 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '1d_view' THEN CAST(a.value ->> 2 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '7d_view' THEN CAST(a.value ->> 2 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '28d_view' THEN CAST(a.value ->> 2 AS BIGINT) END)
               ) AS counts,
               CASE WHEN BOOL_OR(a.value ->> 3 IS NOT NULL) THEN json_build_array(
                   MAX(CASE WHEN a.value ->> 1 = 'default' THEN CAST(a.value ->> 3 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '1d_click' THEN CAST(a.value ->> 3 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '7d_click' THEN CAST(a.value ->> 3 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '28d_click' THEN CAST(a.value ->> 3 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '1d_view' THEN CAST(a.value ->> 3 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '7d_view' THEN CAST(a.value ->> 3 AS BIGINT) END),
                   MAX(CASE WHEN a.value ->> 1 = '28d_view' THEN CAST(a.value ->> 3 AS BIGINT) END)
               ) END AS vals
        FROM json_array_elements(CAST(insights_daily.actions AS json)) WITH ORDINALITY AS a (value, n)
        GROUP BY a.value ->> 0
    ) t
)
WHERE actions <> '[]';

CREATE VIEW insight_actions AS
SELECT i.team_id, i.ad_account_id, i.level, i.object_id, i.date, i.breakdown,
       (a.value ->> 0) COLLATE "C" AS action_type,
       w.name COLLATE "C" AS attribution_window,
       CAST(a.value -> 1 ->> w.i AS BIGINT) AS count,
       CAST(a.value -> 2 ->> w.i AS BIGINT) AS value_micros,
       i.synced_at
FROM insights_daily i
CROSS JOIN LATERAL json_array_elements(CAST(i.actions AS json)) AS a (value)
CROSS JOIN (VALUES (0, 'default'), (1, '1d_click'), (2, '7d_click'), (3, '28d_click'), (4, '1d_view'), (5, '7d_view'), (6, '28d_view')) AS w (i, name)
WHERE a.value -> 1 ->> w.i IS NOT NULL;
