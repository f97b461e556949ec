-- Conversions the way Ads Manager counts them: precedence lists of action types, the view
-- that reads rows through them, the purchase rollup recomputed with them and each team's
-- primary conversion (see ../postgres/0011_conversions.sql for the why).
CREATE TABLE conversion_action_types (
    action_type TEXT NOT NULL PRIMARY KEY,
    conversion  TEXT NOT NULL,
    precedence  INTEGER NOT NULL
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

-- A row's pick per conversion: the element whose type has the lowest precedence among the
-- row's types of that conversion.
CREATE VIEW insight_conversions AS
SELECT i.team_id, i.ad_account_id, i.level, i.object_id, i.date, i.breakdown,
       t.conversion, t.action_type,
       w.name AS attribution_window,
       json_extract(a.value, '$[1][' || w.i || ']') AS count,
       json_extract(a.value, '$[2][' || w.i || ']') AS value_micros,
       i.synced_at
FROM insights_daily i, json_each(i.actions) AS a, conversion_action_types t,
     (SELECT 0 AS i, 'default' AS name
      UNION ALL SELECT 1, '1d_click'
      UNION ALL SELECT 2, '7d_click'
      UNION ALL SELECT 3, '28d_click'
      UNION ALL SELECT 4, '1d_view'
      UNION ALL SELECT 5, '7d_view'
      UNION ALL SELECT 6, '28d_view') AS w
WHERE t.action_type = json_extract(a.value, '$[0]')
  AND t.precedence = (SELECT MIN(t2.precedence) FROM json_each(i.actions) AS a2, conversion_action_types t2
                      WHERE t2.action_type = json_extract(a2.value, '$[0]') AND t2.conversion = t.conversion)
  AND json_extract(a.value, '$[1][' || w.i || ']') IS NOT NULL;

UPDATE insights_daily SET
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
WHERE insights_daily.team_id = p.team_id AND insights_daily.level = p.level AND insights_daily.date = p.date
  AND insights_daily.ad_account_id = p.ad_account_id AND insights_daily.object_id = p.object_id
  AND insights_daily.breakdown = p.breakdown;

ALTER TABLE teams ADD COLUMN primary_conversion TEXT NOT NULL DEFAULT 'purchases';
