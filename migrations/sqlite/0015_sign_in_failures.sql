-- Failed sign-ins (see ../postgres/0015_sign_in_failures.sql).
CREATE TABLE sign_in_failures (
    key            TEXT NOT NULL PRIMARY KEY,
    failures       INTEGER NOT NULL,
    window_ends_at TEXT NOT NULL
);
