-- Single-use links: an owner's invitation to join a team, and a link to set a new password
-- (e-mailed to the user, or issued by an admin). The database keeps only each link's
-- digest, like sessions; a link works once, until it expires. Twin:
-- ../postgres/0019_invites_and_password_resets.sql.
CREATE TABLE team_invites (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id      INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    token_digest TEXT NOT NULL UNIQUE,
    invited_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    accepted_at  TEXT,
    accepted_by  INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX team_invites_by_team ON team_invites (team_id, email);

CREATE TABLE password_resets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_digest TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);
