-- Employees > Invited shows one status at a time (waiting, accepted, cancelled), newest
-- first, and finds invitations by address or number.
CREATE INDEX invitations_by_status ON invitations (portal_id, status, id DESC);
CREATE INDEX invitations_target_search ON invitations USING gin (target gin_trgm_ops);

-- Times are shown in the viewer's zone: the browser detects it (an IANA name such as
-- Europe/Berlin) and the account keeps it.
ALTER TABLE accounts ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC'
    CHECK (char_length(time_zone) BETWEEN 1 AND 64);
