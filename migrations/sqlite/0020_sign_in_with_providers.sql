-- Signing in with an identity provider (Google over OpenID Connect, Facebook Login). Twin:
-- ../postgres/0020_sign_in_with_providers.sql.
--
-- A user signs in with any identity linked to them; a provider account links to one user
-- at most, and a user links one account per provider. A user created by a provider sign-in
-- has no password: users.password_hash holds '!' (no hash parses as it), until they set one.
CREATE TABLE user_identities (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    UNIQUE (provider, subject),
    UNIQUE (user_id, provider)
);

-- A sign-in (or a link from the account page) on its way through the provider: single-use,
-- short-lived. The PKCE verifier stays in the browser's cookie; only its S256 challenge is
-- here, so the callback proves it is the browser that started.
CREATE TABLE sign_in_states (
    state_digest TEXT NOT NULL PRIMARY KEY,
    provider     TEXT NOT NULL,
    link_user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    nonce        TEXT NOT NULL,
    challenge    TEXT NOT NULL,
    next         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);

-- A provider sign-in whose e-mail belongs to an existing user: linked only once that user
-- confirms with their password (single-use, short-lived; the database keeps its digest).
CREATE TABLE identity_confirmations (
    token_digest TEXT NOT NULL PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT NOT NULL,
    next         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    used_at      TEXT
);
