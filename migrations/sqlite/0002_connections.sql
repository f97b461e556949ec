-- OAuth connections per team and platform, their ad accounts, pending OAuth states,
-- the connection event log and data-deletion requests. Twin: ../postgres/0002_connections.sql.
CREATE TABLE connections (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id            INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    platform           TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('connected', 'needs_reconnect', 'revoked')),
    external_user_id   TEXT NOT NULL,
    external_user_name TEXT,
    token_ciphertext   TEXT,
    scopes             TEXT NOT NULL,
    token_expires_at   TEXT,
    status_detail      TEXT,
    connected_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    connected_at       TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    last_checked_at    TEXT,
    UNIQUE (team_id, platform)
);
CREATE INDEX connections_external_user ON connections (platform, external_user_id);

CREATE TABLE ad_accounts (
    team_id       INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    currency      TEXT NOT NULL,
    timezone_name TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (team_id, id)
);

CREATE TABLE oauth_states (
    state_digest TEXT NOT NULL PRIMARY KEY,
    team_id      INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform     TEXT NOT NULL,
    return_to    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);

CREATE TABLE connection_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    platform   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    detail     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX connection_events_team ON connection_events (team_id, id);

CREATE TABLE deletion_requests (
    confirmation_code TEXT NOT NULL PRIMARY KEY,
    platform          TEXT NOT NULL,
    external_user_id  TEXT NOT NULL,
    status            TEXT NOT NULL,
    created_at        TEXT NOT NULL
);
