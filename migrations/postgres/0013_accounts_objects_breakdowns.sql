-- What an owner chooses to sync, and what Facebook says of the objects.
--
-- - `ad_accounts.sync_enabled`: the owner's choice of the connected accounts to sync (all of
--   them until an owner says otherwise; a reconnect keeps the choice). An unchosen account
--   keeps no data: adsync deletes its rows when it is unchosen.
-- - `campaigns.effective_status` (and ad sets', ads'): Facebook's delivery status, besides
--   `status` (what the advertiser set) and the campaigns' `objective`, which the sync now fills
--   from the object lists.
-- - `teams.breakdowns`: the breakdowns the owner enabled (comma-separated: age, gender,
--   country, region, publisher_platform, platform_position, device_platform); the sync
--   stores their rows beside the unbroken ones, keyed by `insights_daily.breakdown`.
-- - `sync_chunks.breakdown`: a run's chunks are per breakdown too.
-- Twin: ../sqlite/0013_accounts_objects_breakdowns.sql.
ALTER TABLE ad_accounts ADD COLUMN sync_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE campaigns ADD COLUMN effective_status TEXT;
ALTER TABLE adsets ADD COLUMN effective_status TEXT;
ALTER TABLE ads ADD COLUMN effective_status TEXT;
ALTER TABLE teams ADD COLUMN breakdowns TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_chunks ADD COLUMN breakdown TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_chunks DROP CONSTRAINT sync_chunks_pkey;
ALTER TABLE sync_chunks ADD PRIMARY KEY (run_id, ad_account_id, level, breakdown, since);
