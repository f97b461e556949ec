-- `insights_daily.actions` holds one element per action type, `[action_type, counts, values]`
-- (see ../postgres/0008_actions_per_type.sql for the form and why). The `insight_actions`
-- view reads the new form and keeps its columns.
DROP VIEW insight_actions;

UPDATE insights_daily SET actions = (
    SELECT json_group_array(json(t.element))
    FROM (
        SELECT json_array(
                   json_extract(a.value, '$[0]'),
                   json_array(
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = 'default' THEN json_extract(a.value, '$[2]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '1d_click' THEN json_extract(a.value, '$[2]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '7d_click' THEN json_extract(a.value, '$[2]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '28d_click' THEN json_extract(a.value, '$[2]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '1d_view' THEN json_extract(a.value, '$[2]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '7d_view' THEN json_extract(a.value, '$[2]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '28d_view' THEN json_extract(a.value, '$[2]') END)
                   ),
                   json(CASE WHEN MAX(json_extract(a.value, '$[3]')) IS NOT NULL THEN json_array(
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = 'default' THEN json_extract(a.value, '$[3]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '1d_click' THEN json_extract(a.value, '$[3]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '7d_click' THEN json_extract(a.value, '$[3]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '28d_click' THEN json_extract(a.value, '$[3]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '1d_view' THEN json_extract(a.value, '$[3]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '7d_view' THEN json_extract(a.value, '$[3]') END),
                   MAX(CASE WHEN json_extract(a.value, '$[1]') = '28d_view' THEN json_extract(a.value, '$[3]') END)
                   ) END)
               ) AS element
        FROM json_each(insights_daily.actions) AS a
        GROUP BY json_extract(a.value, '$[0]')
        ORDER BY MIN(a.key)
    ) t
)
WHERE actions <> '[]';

CREATE VIEW insight_actions AS
SELECT i.team_id, i.ad_account_id, i.level, i.object_id, i.date, i.breakdown,
       json_extract(a.value, '$[0]') AS action_type,
       w.name AS attribution_window,
       json_extract(a.value, '$[1][' || w.i || ']') AS count,
       json_extract(a.value, '$[2][' || w.i || ']') AS value_micros,
       i.synced_at
FROM insights_daily i, json_each(i.actions) AS a,
     (SELECT 0 AS i, 'default' AS name
      UNION ALL SELECT 1, '1d_click'
      UNION ALL SELECT 2, '7d_click'
      UNION ALL SELECT 3, '28d_click'
      UNION ALL SELECT 4, '1d_view'
      UNION ALL SELECT 5, '7d_view'
      UNION ALL SELECT 6, '28d_view') AS w
WHERE json_extract(a.value, '$[1][' || w.i || ']') IS NOT NULL;
