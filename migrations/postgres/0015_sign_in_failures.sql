-- Failed sign-ins counted per account and per client address over a fixed window, so every
-- API replica refuses the same guesses (the database is what they all share).
CREATE TABLE sign_in_failures (
    key            TEXT NOT NULL PRIMARY KEY,
    failures       INTEGER NOT NULL,
    window_ends_at TIMESTAMPTZ NOT NULL
);
