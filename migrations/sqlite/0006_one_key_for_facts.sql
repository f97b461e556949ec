-- The primary key of `insights_daily` orders rows by team, level and day, then ad account,
-- object and breakdown (see ../postgres/0006_one_key_for_facts.sql for why). SQLite cannot
-- change a table's primary key, so the table is rebuilt under the same name with the same
-- columns; its index and the `insight_actions` view are recreated over it.
DROP VIEW insight_actions;

CREATE TABLE insights_daily_new (
    team_id            INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    ad_account_id      TEXT NOT NULL,
    level              TEXT NOT NULL CHECK (level IN ('account', 'campaign', 'adset', 'ad')),
    object_id          TEXT NOT NULL,
    date               TEXT NOT NULL,
    breakdown          TEXT NOT NULL,
    campaign_id        TEXT,
    adset_id           TEXT,
    impressions        BIGINT NOT NULL,
    reach              BIGINT,
    clicks             BIGINT NOT NULL,
    inline_link_clicks BIGINT NOT NULL,
    spend_micros       BIGINT NOT NULL,
    synced_at          TEXT NOT NULL,
    purchases_default INTEGER NOT NULL DEFAULT 0,
    purchases_1d_click INTEGER NOT NULL DEFAULT 0,
    purchases_7d_click INTEGER NOT NULL DEFAULT 0,
    purchases_28d_click INTEGER NOT NULL DEFAULT 0,
    purchases_1d_view INTEGER NOT NULL DEFAULT 0,
    purchases_7d_view INTEGER NOT NULL DEFAULT 0,
    purchases_28d_view INTEGER NOT NULL DEFAULT 0,
    purchase_value_default_micros INTEGER NOT NULL DEFAULT 0,
    purchase_value_1d_click_micros INTEGER NOT NULL DEFAULT 0,
    purchase_value_7d_click_micros INTEGER NOT NULL DEFAULT 0,
    purchase_value_28d_click_micros INTEGER NOT NULL DEFAULT 0,
    purchase_value_1d_view_micros INTEGER NOT NULL DEFAULT 0,
    purchase_value_7d_view_micros INTEGER NOT NULL DEFAULT 0,
    purchase_value_28d_view_micros INTEGER NOT NULL DEFAULT 0,
    actions TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (team_id, level, date, ad_account_id, object_id, breakdown)
);
INSERT INTO insights_daily_new SELECT
    team_id, ad_account_id, level, object_id, date, breakdown, campaign_id, adset_id,
    impressions, reach, clicks, inline_link_clicks, spend_micros, synced_at,
    purchases_default, purchases_1d_click, purchases_7d_click, purchases_28d_click,
    purchases_1d_view, purchases_7d_view, purchases_28d_view,
    purchase_value_default_micros, purchase_value_1d_click_micros, purchase_value_7d_click_micros,
    purchase_value_28d_click_micros, purchase_value_1d_view_micros, purchase_value_7d_view_micros,
    purchase_value_28d_view_micros, actions
FROM insights_daily;
DROP TABLE insights_daily;
ALTER TABLE insights_daily_new RENAME TO insights_daily;
CREATE INDEX insights_daily_for_metrics ON insights_daily (team_id, level, date, ad_account_id, breakdown);

CREATE VIEW insight_actions AS
SELECT i.team_id, i.ad_account_id, i.level, i.object_id, i.date, i.breakdown,
       json_extract(a.value, '$[0]') AS action_type,
       json_extract(a.value, '$[1]') AS attribution_window,
       json_extract(a.value, '$[2]') AS count,
       json_extract(a.value, '$[3]') AS value_micros,
       i.synced_at
FROM insights_daily i, json_each(i.actions) AS a;
