-- One B-tree for `insights_daily` instead of two (docs/benchmarks.md, session 6).
--
-- The primary key led with (ad account, level, object), and `insights_daily_for_metrics`
-- (team, level, date, ad account, breakdown) served the reads. Every row written entered
-- both. The key now leads with what every read filters on, in that index's order, and still
-- identifies a row by the same six columns, so it serves the reads and the upserts alone:
-- - the metrics API, Grafana and docs/schema.md's queries fix team and level and range over
--   dates (then filter on ad account and breakdown): a range of this key;
-- - a page's rows are one account's objects over consecutive days, and land next to each
--   other in this order instead of one object's days apart.
-- `ON CONFLICT (team_id, ad_account_id, level, object_id, date, breakdown)` infers the key
-- by its set of columns, so it matches the key before and after this migration.
-- Twin: ../sqlite/0006_one_key_for_facts.sql.
ALTER TABLE insights_daily
    DROP CONSTRAINT insights_daily_pkey,
    ADD PRIMARY KEY (team_id, level, date, ad_account_id, object_id, breakdown);
DROP INDEX insights_daily_for_metrics;
