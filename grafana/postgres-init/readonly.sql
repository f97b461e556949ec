-- Read-only PostgreSQL role for Grafana (and any other SQL reader of the adsync tables).
--
-- docker-compose.yml mounts this folder at /docker-entrypoint-initdb.d of the `postgres`
-- service, so it runs once, when the data volume is first initialised, as the adsync user,
-- before `adsync migrate` creates the tables. The default privileges below then give
-- grafana_reader SELECT on every table that adsync's migrations create later.
--
-- For a database that already exists (the volume predates this file), run it by hand; it is
-- idempotent and also grants SELECT on the tables that are already there:
--   docker compose exec -T postgres psql -U adsync -d adsync < grafana/postgres-init/readonly.sql
--
-- Run it as the role that runs the migrations (`adsync` in docker-compose.yml): default
-- privileges apply to tables created by the role that set them.
-- The password matches grafana/provisioning/datasources/adsync.yml; the compose file does not
-- publish PostgreSQL's port, so only containers on the compose network can use it. Change both
-- together (ALTER ROLE grafana_reader PASSWORD '...') when the database is reachable otherwise.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana_reader') THEN
        CREATE ROLE grafana_reader LOGIN PASSWORD 'grafana_reader';
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO grafana_reader', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO grafana_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO grafana_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO grafana_reader;

-- Belt and braces: sessions start read-only, and a runaway dashboard query is cut off.
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '30s';
