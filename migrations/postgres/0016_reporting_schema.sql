-- What dashboards read: the `reporting` schema holds views only (metrics, actions,
-- conversions, names and status of campaigns, ad sets and ads, ad accounts, teams, sync runs
-- without their errors or workers), never users, sessions, API tokens, connections or OAuth
-- state. Each view shows the rows of the teams its reader may see: `reporting_readers` names a
-- role and its team (NULL: every team). Readers get the views through the `adsync_reporting`
-- role; docs/schema.md ("Grafana") shows how to add a reader scoped to one team.

CREATE TABLE reporting_readers (
    role_name TEXT NOT NULL PRIMARY KEY,
    team_id   BIGINT REFERENCES teams (id) ON DELETE CASCADE
);

CREATE SCHEMA IF NOT EXISTS reporting;

-- current_user is the reader (a view reads its tables as its owner, but the user is the caller's).
CREATE VIEW reporting.teams AS
SELECT t.id, t.name, t.primary_conversion, t.breakdowns, t.created_at
FROM public.teams t
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = t.id));

CREATE VIEW reporting.ad_accounts AS
SELECT a.team_id, a.id, a.account_id, a.name, a.currency, a.timezone_name, a.active, a.sync_enabled,
       a.created_at, a.updated_at
FROM public.ad_accounts a
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = a.team_id));

CREATE VIEW reporting.campaigns AS
SELECT c.team_id, c.ad_account_id, c.id, c.name, c.status, c.effective_status, c.objective, c.updated_at
FROM public.campaigns c
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = c.team_id));

CREATE VIEW reporting.adsets AS
SELECT s.team_id, s.ad_account_id, s.campaign_id, s.id, s.name, s.status, s.effective_status, s.updated_at
FROM public.adsets s
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = s.team_id));

CREATE VIEW reporting.ads AS
SELECT d.team_id, d.ad_account_id, d.campaign_id, d.adset_id, d.id, d.name, d.status, d.effective_status,
       d.updated_at
FROM public.ads d
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = d.team_id));

CREATE VIEW reporting.insights_daily AS
SELECT i.*
FROM public.insights_daily i
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = i.team_id));

CREATE VIEW reporting.insight_actions AS
SELECT x.*
FROM public.insight_actions x
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = x.team_id));

CREATE VIEW reporting.insight_conversions AS
SELECT x.*
FROM public.insight_conversions x
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = x.team_id));

-- Shared by every team: which action types count as which conversion.
CREATE VIEW reporting.conversion_action_types AS
SELECT action_type, conversion, precedence FROM public.conversion_action_types;

CREATE VIEW reporting.sync_runs AS
SELECT s.id, s.team_id, s.ad_account_id, s.kind, s.status, s.since, s.until, s.progress_done,
       s.progress_total, s.rows_written, s.created_at, s.started_at, s.finished_at, s.pause_ends_at,
       s.pause_reason
FROM public.sync_runs s
WHERE EXISTS (SELECT 1 FROM public.reporting_readers r
              WHERE r.role_name = current_user AND (r.team_id IS NULL OR r.team_id = s.team_id));

-- The role that holds the grants. Roles belong to the whole server, so several databases
-- (tests migrate many at once) may create it together: the loser's error is expected.
DO $$
BEGIN
    CREATE ROLE adsync_reporting NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
GRANT USAGE ON SCHEMA reporting TO adsync_reporting;
GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO adsync_reporting;
ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO adsync_reporting;

-- Makes `reader` (an existing role) a reader of the views: of one team, or of every team with
-- a NULL team. Private tables are revoked from it, and its search_path in this database is
-- `reporting`, so dashboards name the views as plain tables. Run by the migrating role:
--   SELECT reporting_grant('grafana_team_7', 7);
CREATE FUNCTION reporting_grant(reader TEXT, team BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', reader);
    BEGIN
        EXECUTE format('GRANT adsync_reporting TO %I', reader);
    EXCEPTION WHEN unique_violation THEN
        NULL;
    END;
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET search_path = reporting', reader, current_database());
    INSERT INTO reporting_readers (role_name, team_id) VALUES (reader, team)
    ON CONFLICT (role_name) DO UPDATE SET team_id = excluded.team_id;
END
$$;
REVOKE EXECUTE ON FUNCTION reporting_grant(TEXT, BIGINT) FROM PUBLIC;

-- grafana_reader (grafana/postgres-init/readonly.sql) read every table before: it now reads
-- the views, of every team.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM grafana_reader;
        PERFORM reporting_grant('grafana_reader', NULL);
    END IF;
END
$$;
