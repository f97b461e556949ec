-- A used OAuth `state` is kept, marked, until it expires (see
-- ../postgres/0010_oauth_states_remember_use.sql for why).
ALTER TABLE oauth_states ADD COLUMN used_at TEXT;
