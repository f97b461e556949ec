-- `insights_daily_for_metrics` leaves out ad rows, the bulk of the table; reads of ad rows
-- use the primary key (see ../postgres/0009_read_index_without_ads.sql for why).
DROP INDEX insights_daily_for_metrics;
CREATE INDEX insights_daily_for_metrics ON insights_daily (team_id, level, date, ad_account_id, breakdown)
    WHERE level <> 'ad';
