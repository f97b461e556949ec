-- Replayed deletion requests (see ../postgres/0014_deletion_request_replays.sql).
ALTER TABLE deletion_requests ADD COLUMN request_digest TEXT;
CREATE UNIQUE INDEX deletion_requests_digest ON deletion_requests (request_digest);
