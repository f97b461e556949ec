-- `insights_daily` keeps to its team without a foreign key.
--
-- PostgreSQL checks a foreign key with a trigger per inserted row that runs a lookup of the
-- team with its own executor start-up; in a backfill that was a quarter of PostgreSQL's CPU,
-- to check the same team for every row of every page. The two guarantees it gave hold
-- without it:
--
-- * No row for a team that is gone: facts are written only by a sync's page, in the
--   transaction that updates that run's row, and `sync_runs` has the foreign key (ON DELETE
--   CASCADE). A team deleted first leaves no run row to update, and the page rolls back; a
--   team deleted while the page is written waits for the page's lock on the run row.
-- * Facts go with their team: the trigger below deletes them. It is named after the
--   `RI_ConstraintTrigger` ones that cascade to `sync_runs`, so it runs after them, when no
--   page of the team can still commit.
--
-- SQLite checks a foreign key with a direct lookup in the same B-tree code, at a fraction of
-- that cost, and keeps it. Twin: ../sqlite/0007_facts_follow_their_team.sql.
ALTER TABLE insights_daily DROP CONSTRAINT insights_daily_team_id_fkey;

CREATE FUNCTION delete_team_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM insights_daily WHERE team_id = OLD.id;
    RETURN OLD;
END
$$;

CREATE TRIGGER teams_delete_facts AFTER DELETE ON teams
    FOR EACH ROW EXECUTE FUNCTION delete_team_facts();
