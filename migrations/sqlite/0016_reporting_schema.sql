-- Readers of the reporting views (see ../postgres/0016_reporting_schema.sql). SQLite has no
-- roles or schemas: the table is kept so both dialects hold the same tables, and stays empty.
CREATE TABLE reporting_readers (
    role_name TEXT NOT NULL PRIMARY KEY,
    team_id   INTEGER REFERENCES teams (id) ON DELETE CASCADE
);
