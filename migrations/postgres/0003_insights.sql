-- Normalized ad data, per team (two teams connecting one ad account each get their own rows).
-- Money is stored as integer micro-units of the account's currency (12.34 EUR = 12340000),
-- exact in both dialects and summable without rounding. Dates are days in the ad account's
-- time zone. Natural primary keys make every write an idempotent upsert.
-- Twin: ../sqlite/0003_insights.sql.
CREATE TABLE campaigns (
    team_id       BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    ad_account_id TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT,
    objective     TEXT,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, id)
);

CREATE TABLE adsets (
    team_id       BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    ad_account_id TEXT NOT NULL,
    campaign_id   TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, id)
);

CREATE TABLE ads (
    team_id       BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    ad_account_id TEXT NOT NULL,
    campaign_id   TEXT NOT NULL,
    adset_id      TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    status        TEXT,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, id)
);

-- One row per object (level: account | campaign | adset | ad), day and breakdown
-- ('' when not broken down, e.g. 'age=25-34' otherwise). Reach belongs to its level and is
-- never summed across days or objects.
CREATE TABLE insights_daily (
    team_id            BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    ad_account_id      TEXT NOT NULL,
    level              TEXT NOT NULL CHECK (level IN ('account', 'campaign', 'adset', 'ad')),
    object_id          TEXT NOT NULL,
    date               DATE NOT NULL,
    breakdown          TEXT NOT NULL,
    campaign_id        TEXT,
    adset_id           TEXT,
    impressions        BIGINT NOT NULL,
    reach              BIGINT,
    clicks             BIGINT NOT NULL,
    inline_link_clicks BIGINT NOT NULL,
    spend_micros       BIGINT NOT NULL,
    synced_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, ad_account_id, level, object_id, date, breakdown)
);
CREATE INDEX insights_daily_by_date ON insights_daily (team_id, level, date);

-- Actions (purchases, link clicks, ...) per attribution window: `count` from `actions`,
-- `value_micros` from `action_values` (NULL when Facebook reports no value). Rows a re-sync of
-- their range did not write again (`synced_at` older than the sync) are deleted with its last page.
CREATE TABLE insight_actions (
    team_id            BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    ad_account_id      TEXT NOT NULL,
    level              TEXT NOT NULL,
    object_id          TEXT NOT NULL,
    date               DATE NOT NULL,
    breakdown          TEXT NOT NULL,
    action_type        TEXT NOT NULL,
    attribution_window TEXT NOT NULL,
    count              BIGINT NOT NULL,
    value_micros       BIGINT,
    synced_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, ad_account_id, level, object_id, date, breakdown, action_type, attribution_window)
);
CREATE INDEX insight_actions_by_date ON insight_actions (team_id, level, action_type, date);
-- Finding actions a restatement removed: rows of a synced range not rewritten by the sync.
CREATE INDEX insight_actions_by_sync ON insight_actions (team_id, ad_account_id, level, date);

-- Sync bookkeeping: the chunks of a run that are committed (a resumed run skips them) and
-- one lock per team and ad account, so two runs never write the same account at once.
CREATE TABLE sync_chunks (
    run_id        BIGINT NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
    ad_account_id TEXT NOT NULL,
    level         TEXT NOT NULL,
    since         DATE NOT NULL,
    until         DATE NOT NULL,
    rows_written  BIGINT NOT NULL,
    finished_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, ad_account_id, level, since)
);

CREATE TABLE sync_locks (
    team_id       BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    ad_account_id TEXT NOT NULL,
    run_id        BIGINT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (team_id, ad_account_id)
);

-- Which worker last claimed a run (for operators and the scale-out test).
ALTER TABLE sync_runs ADD COLUMN claimed_by TEXT;
