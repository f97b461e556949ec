-- Read-only PostgreSQL role for Grafana (and any other SQL reader of adsync's data).
--
-- docker-compose.yml mounts this folder at /docker-entrypoint-initdb.d of the `postgres`
-- service, so it runs once, when the data volume is first initialised, as the adsync user,
-- before `adsync migrate`. The migration that creates the `reporting` schema (views only: no
-- users, sessions, tokens or connections) then makes grafana_reader a reader of every team's
-- rows in it. Grafana_reader can read nothing else.
--
-- For a database that already exists (the volume predates this file), run it by hand; it is
-- idempotent:
--   docker compose exec -T postgres psql -U adsync -d adsync < grafana/postgres-init/readonly.sql
--
-- The password matches grafana/provisioning/datasources/adsync.yml; the compose file does not
-- publish PostgreSQL's port, so only containers on the compose network can use it. Change both
-- together (ALTER ROLE grafana_reader PASSWORD '...') when the database is reachable otherwise.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        CREATE ROLE grafana_reader LOGIN PASSWORD 'grafana_reader';
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO grafana_reader', current_database());
    -- After the migrations (run by hand on an existing database): the views, every team.
    IF EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'reporting_grant') THEN
        PERFORM reporting_grant('grafana_reader', NULL);
    END IF;
END
$$;

-- Belt and braces: sessions start read-only, and a runaway dashboard query is cut off.
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '30s';
