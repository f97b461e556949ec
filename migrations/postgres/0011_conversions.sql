-- Conversions the way Ads Manager counts them (docs/schema.md, "Conversions"). Meta reports
-- one event under several redundant action types (`omni_purchase`, `purchase`,
-- `offsite_conversion.fb_pixel_purchase`, ...); each standard conversion is a precedence list
-- of them, and on each row the first type present wins (never the sum).
--
-- `conversion_action_types` holds the lists. adsync rewrites it from its own definition
-- (common/src/conversions.rs) whenever it starts, so it always says what the running
-- version counts; the rows below are that definition as of this migration, used once here.
-- `insight_conversions` reads every row's actions through it. The purchase rollup columns
-- counted the type `purchase` alone until now: they are recomputed with the precedence, so
-- an account that reports only the pixel type or only `omni_purchase` shows its purchases.
-- Teams choose the conversion their dashboard counts as results: `teams.primary_conversion`.
-- Twin: ../sqlite/0011_conversions.sql.
CREATE TABLE conversion_action_types (
    action_type TEXT COLLATE "C" PRIMARY KEY,
    conversion  TEXT COLLATE "C" NOT NULL,
    precedence  BIGINT NOT NULL
);

INSERT INTO conversion_action_types (conversion, action_type, precedence) VALUES
    ('purchases', 'omni_purchase', 1),
    ('purchases', 'purchase', 2),
    ('purchases', 'offsite_conversion.fb_pixel_purchase', 3),
    ('purchases', 'onsite_web_purchase', 4),
    ('purchases', 'onsite_web_app_purchase', 5),
    ('purchases', 'web_in_store_purchase', 6),
    ('purchases', 'app_custom_event.fb_mobile_purchase', 7),
    ('purchases', 'offline_conversion.purchase', 8),
    ('purchases', 'onsite_conversion.purchase', 9),
    ('leads', 'omni_lead', 1),
    ('leads', 'lead', 2),
    ('leads', 'offsite_conversion.fb_pixel_lead', 3),
    ('leads', 'onsite_conversion.lead_grouped', 4),
    ('leads', 'leadgen_grouped', 5),
    ('add_to_cart', 'omni_add_to_cart', 1),
    ('add_to_cart', 'add_to_cart', 2),
    ('add_to_cart', 'offsite_conversion.fb_pixel_add_to_cart', 3),
    ('add_to_cart', 'onsite_web_add_to_cart', 4),
    ('add_to_cart', 'onsite_web_app_add_to_cart', 5),
    ('add_to_cart', 'app_custom_event.fb_mobile_add_to_cart', 6),
    ('add_to_cart', 'offline_conversion.add_to_cart', 7),
    ('add_to_cart', 'onsite_conversion.add_to_cart', 8),
    ('initiate_checkout', 'omni_initiated_checkout', 1),
    ('initiate_checkout', 'initiate_checkout', 2),
    ('initiate_checkout', 'offsite_conversion.fb_pixel_initiate_checkout', 3),
    ('initiate_checkout', 'onsite_web_initiate_checkout', 4),
    ('initiate_checkout', 'app_custom_event.fb_mobile_initiated_checkout', 5),
    ('initiate_checkout', 'offline_conversion.initiate_checkout', 6),
    ('initiate_checkout', 'onsite_conversion.initiate_checkout', 7),
    ('complete_registration', 'omni_complete_registration', 1),
    ('complete_registration', 'complete_registration', 2),
    ('complete_registration', 'offsite_conversion.fb_pixel_complete_registration', 3),
    ('complete_registration', 'onsite_web_complete_registration', 4),
    ('complete_registration', 'app_custom_event.fb_mobile_complete_registration', 5),
    ('complete_registration', 'offline_conversion.complete_registration', 6),
    ('complete_registration', 'onsite_conversion.complete_registration', 7),
    ('app_installs', 'omni_app_install', 1),
    ('app_installs', 'app_install', 2),
    ('app_installs', 'mobile_app_install', 3);

CREATE VIEW insight_conversions AS
SELECT i.team_id, i.ad_account_id, i.level, i.object_id, i.date, i.breakdown,
       c.conversion, c.action_type,
       w.name COLLATE "C" AS attribution_window,
       CAST(c.element -> 1 ->> w.i AS BIGINT) AS count,
       CAST(c.element -> 2 ->> w.i AS BIGINT) AS value_micros,
       i.synced_at
FROM insights_daily i
CROSS JOIN LATERAL (
    SELECT DISTINCT ON (t.conversion) t.conversion, t.action_type, a.value AS element
    FROM json_array_elements(CAST(i.actions AS json)) AS a (value)
    JOIN conversion_action_types t ON t.action_type = (a.value ->> 0)
    ORDER BY t.conversion, t.precedence
) AS c
CROSS JOIN (VALUES (0, 'default'), (1, '1d_click'), (2, '7d_click'), (3, '28d_click'), (4, '1d_view'), (5, '7d_view'), (6, '28d_view')) AS w (i, name)
WHERE c.element -> 1 ->> w.i IS NOT NULL;

UPDATE insights_daily i SET
    purchases_default = COALESCE(p.c0, 0),
    purchases_1d_click = COALESCE(p.c1, 0),
    purchases_7d_click = COALESCE(p.c2, 0),
    purchases_28d_click = COALESCE(p.c3, 0),
    purchases_1d_view = COALESCE(p.c4, 0),
    purchases_7d_view = COALESCE(p.c5, 0),
    purchases_28d_view = COALESCE(p.c6, 0),
    purchase_value_default_micros = COALESCE(p.v0, 0),
    purchase_value_1d_click_micros = COALESCE(p.v1, 0),
    purchase_value_7d_click_micros = COALESCE(p.v2, 0),
    purchase_value_28d_click_micros = COALESCE(p.v3, 0),
    purchase_value_1d_view_micros = COALESCE(p.v4, 0),
    purchase_value_7d_view_micros = COALESCE(p.v5, 0),
    purchase_value_28d_view_micros = COALESCE(p.v6, 0)
FROM (
    SELECT team_id, level, date, ad_account_id, object_id, breakdown,
               MAX(CASE WHEN attribution_window = 'default' THEN count END) AS c0,
               MAX(CASE WHEN attribution_window = '1d_click' THEN count END) AS c1,
               MAX(CASE WHEN attribution_window = '7d_click' THEN count END) AS c2,
               MAX(CASE WHEN attribution_window = '28d_click' THEN count END) AS c3,
               MAX(CASE WHEN attribution_window = '1d_view' THEN count END) AS c4,
               MAX(CASE WHEN attribution_window = '7d_view' THEN count END) AS c5,
               MAX(CASE WHEN attribution_window = '28d_view' THEN count END) AS c6,
               MAX(CASE WHEN attribution_window = 'default' THEN value_micros END) AS v0,
               MAX(CASE WHEN attribution_window = '1d_click' THEN value_micros END) AS v1,
               MAX(CASE WHEN attribution_window = '7d_click' THEN value_micros END) AS v2,
               MAX(CASE WHEN attribution_window = '28d_click' THEN value_micros END) AS v3,
               MAX(CASE WHEN attribution_window = '1d_view' THEN value_micros END) AS v4,
               MAX(CASE WHEN attribution_window = '7d_view' THEN value_micros END) AS v5,
               MAX(CASE WHEN attribution_window = '28d_view' THEN value_micros END) AS v6
    FROM insight_conversions
    WHERE conversion = 'purchases'
    GROUP BY team_id, level, date, ad_account_id, object_id, breakdown
) p
WHERE i.team_id = p.team_id AND i.level = p.level AND i.date = p.date
  AND i.ad_account_id = p.ad_account_id AND i.object_id = p.object_id AND i.breakdown = p.breakdown;

ALTER TABLE teams ADD COLUMN primary_conversion TEXT NOT NULL DEFAULT 'purchases';
