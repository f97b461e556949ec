-- Actions move onto their daily row, as one JSON array
-- `[[action_type, attribution_window, count, value_micros], ...]` written by the row's upsert;
-- `insight_actions` stays as a view with the same columns.
-- Why: ../postgres/0005_actions_on_rows.sql (its twin).
ALTER TABLE insights_daily ADD COLUMN actions TEXT NOT NULL DEFAULT '[]';

UPDATE insights_daily SET actions = (
    SELECT json_group_array(json_array(a.action_type, a.attribution_window, a.count, a.value_micros))
    FROM (
        SELECT * FROM insight_actions a
        WHERE a.team_id = insights_daily.team_id AND a.ad_account_id = insights_daily.ad_account_id
          AND a.level = insights_daily.level AND a.object_id = insights_daily.object_id
          AND a.date = insights_daily.date AND a.breakdown = insights_daily.breakdown
        ORDER BY a.action_type, a.attribution_window
    ) a
)
WHERE EXISTS (
    SELECT 1 FROM insight_actions a
    WHERE a.team_id = insights_daily.team_id AND a.ad_account_id = insights_daily.ad_account_id
      AND a.level = insights_daily.level AND a.object_id = insights_daily.object_id
      AND a.date = insights_daily.date AND a.breakdown = insights_daily.breakdown
);

DROP TABLE insight_actions;

CREATE VIEW insight_actions AS
SELECT i.team_id, i.ad_account_id, i.level, i.object_id, i.date, i.breakdown,
       json_extract(a.value, '$[0]') AS action_type,
       json_extract(a.value, '$[1]') AS attribution_window,
       json_extract(a.value, '$[2]') AS count,
       json_extract(a.value, '$[3]') AS value_micros,
       i.synced_at
FROM insights_daily i, json_each(i.actions) AS a;
