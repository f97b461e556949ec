-- The owner's choice of accounts, the objects' effective status, a team's breakdowns and
-- chunks per breakdown (see ../postgres/0013_accounts_objects_breakdowns.sql for the why).
ALTER TABLE ad_accounts ADD COLUMN sync_enabled BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE campaigns ADD COLUMN effective_status TEXT;
ALTER TABLE adsets ADD COLUMN effective_status TEXT;
ALTER TABLE ads ADD COLUMN effective_status TEXT;
ALTER TABLE teams ADD COLUMN breakdowns TEXT NOT NULL DEFAULT '';

-- A primary key changes only with the table: rebuilt, its rows copied.
CREATE TABLE sync_chunks_new (
    run_id        INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    ad_account_id TEXT NOT NULL,
    level         TEXT NOT NULL,
    since         TEXT NOT NULL,
    until         TEXT NOT NULL,
    rows_written  BIGINT NOT NULL,
    finished_at   TEXT NOT NULL,
    breakdown     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, ad_account_id, level, breakdown, since)
);
INSERT INTO sync_chunks_new (run_id, ad_account_id, level, since, until, rows_written, finished_at)
    SELECT run_id, ad_account_id, level, since, until, rows_written, finished_at FROM sync_chunks;
DROP TABLE sync_chunks;
ALTER TABLE sync_chunks_new RENAME TO sync_chunks;
