-- A used OAuth `state` is kept, marked, until it expires rather than deleted, so a replayed
-- callback is told apart from a forged one: it names its team, which then sees the failure
-- on its connectors page and in its events. Twin: ../sqlite/0010_oauth_states_remember_use.sql.
ALTER TABLE oauth_states ADD COLUMN used_at TIMESTAMPTZ;
