-- The primary key of `insights_daily` orders rows as they are written and read: by team,
-- level and day, then ad account, object and breakdown.
--
-- It led with (ad account, level, object), then the day. A page's rows are one account's
-- objects over consecutive days; in that order they went to as many places in the B-tree as
-- the page had objects, and now they land next to each other. The order also lets a sync
-- ask, one key lookup per day, whether an account has rows on a chunk's days at all (it
-- then writes plain inserts rather than upserts) without reading other accounts' rows.
--
-- The key still identifies a row by the same six columns, so
-- `ON CONFLICT (team_id, ad_account_id, level, object_id, date, breakdown)` infers it
-- before and after this migration. `insights_daily_for_metrics` stays: the key could serve
-- the same reads, but it orders a day's rows by object id rather than where they lie in
-- the table, and the metrics API read ~15 % slower through it.
-- Twin: ../sqlite/0006_one_key_for_facts.sql.
ALTER TABLE insights_daily
    DROP CONSTRAINT insights_daily_pkey,
    ADD PRIMARY KEY (team_id, level, date, ad_account_id, object_id, breakdown);
