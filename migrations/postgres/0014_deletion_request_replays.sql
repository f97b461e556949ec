-- A data-deletion request Facebook sends again (or someone replays) is recognised by the
-- digest of its signed_request and answered with the first confirmation code.
ALTER TABLE deletion_requests ADD COLUMN request_digest TEXT;
CREATE UNIQUE INDEX deletion_requests_digest ON deletion_requests (request_digest);
