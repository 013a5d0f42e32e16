-- The invitation funnel (Employees > Invited > Funnel): every invitation and every
-- registration through a link, with the time of each step it reached:
--   sent -> delivered -> link opened -> registered -> active.
-- For a registration through the quick registration link or an invite link, the message
-- is the address confirmation letter and the link is the confirmation link.

ALTER TABLE invitations
    -- The first time a message of the invitation was delivered (kept across resends).
    ADD COLUMN delivered_at timestamptz,
    -- The first time a valid link of the invitation was opened.
    ADD COLUMN opened_at    timestamptz;

ALTER TABLE registration_requests
    -- A stable order for the funnel's list (the primary key is a hash).
    ADD COLUMN id             bigint GENERATED ALWAYS AS IDENTITY,
    -- NULL: the portal's quick registration link.
    ADD COLUMN invite_link_id bigint REFERENCES invite_links (id) ON DELETE CASCADE,
    ADD COLUMN outbox_id      bigint REFERENCES outbox (id) ON DELETE SET NULL,
    ADD COLUMN delivered_at   timestamptz,
    ADD COLUMN opened_at      timestamptz,
    -- The account that joined by confirming.
    ADD COLUMN account_id     bigint REFERENCES accounts (id) ON DELETE SET NULL;
CREATE UNIQUE INDEX registration_requests_by_id ON registration_requests (id);
CREATE INDEX registration_requests_funnel ON registration_requests (portal_id, created_at);
CREATE INDEX registration_requests_by_outbox ON registration_requests (outbox_id) WHERE outbox_id IS NOT NULL;
CREATE INDEX registration_requests_by_link ON registration_requests (invite_link_id) WHERE invite_link_id IS NOT NULL;
CREATE INDEX registration_requests_by_account ON registration_requests (account_id) WHERE account_id IS NOT NULL;
-- Unconfirmed requests past their expiry lose the password chosen for them, and then stay
-- (for the funnel) instead of being deleted.
CREATE INDEX registration_requests_to_clear ON registration_requests (expires_at) WHERE used_at IS NULL AND password_hash <> '';
CREATE INDEX invitations_by_outbox ON invitations (outbox_id) WHERE outbox_id IS NOT NULL;

UPDATE registration_requests r SET invite_link_id = l.id
FROM invite_links l WHERE l.code = r.registration_code AND l.portal_id = r.portal_id;
UPDATE registration_requests r SET account_id = a.id
FROM accounts a WHERE r.used_at IS NOT NULL AND a.login = r.email;
UPDATE invitations i SET delivered_at = o.sent_at
FROM outbox o WHERE o.id = i.outbox_id AND o.status = 'sent';

-- When a person last became active in the portal (joined active, or was approved).
ALTER TABLE memberships ADD COLUMN active_since timestamptz;
UPDATE memberships SET active_since = created_at WHERE status IN ('active', 'dismissed');

CREATE FUNCTION membership_active_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'active' AND (TG_OP = 'INSERT' OR OLD.status <> 'active') THEN
        NEW.active_since := now();
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER memberships_active_since BEFORE INSERT OR UPDATE OF status ON memberships
    FOR EACH ROW EXECUTE FUNCTION membership_active_since();

-- A delivered message marks the invitation or registration it was sent for, and the
-- portal's open Invited pages follow (the payload is live::server::PortalEvent's:
-- "<portal id> <topic>").
CREATE FUNCTION outbox_delivered() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    portal bigint;
BEGIN
    WITH marked AS (
        UPDATE invitations SET delivered_at = NEW.sent_at
        WHERE outbox_id = NEW.id AND delivered_at IS NULL RETURNING portal_id
    ), marked_requests AS (
        UPDATE registration_requests SET delivered_at = NEW.sent_at
        WHERE outbox_id = NEW.id AND delivered_at IS NULL RETURNING portal_id
    )
    SELECT min(portal_id) INTO portal FROM (SELECT portal_id FROM marked UNION ALL SELECT portal_id FROM marked_requests) AS both_kinds;
    IF portal IS NOT NULL THEN
        PERFORM pg_notify('portal_events', portal || ' people');
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_delivered AFTER UPDATE OF status ON outbox
    FOR EACH ROW WHEN (NEW.status = 'sent' AND OLD.status <> 'sent') EXECUTE FUNCTION outbox_delivered();

-- One row per invitation or registration through a link. The funnel's list and its
-- counts both read this view, so each count is the number of list rows that reached
-- the step.
CREATE VIEW invitation_funnel AS
SELECT i.portal_id,
       'invitation' AS source,
       i.id,
       i.channel::text AS channel,
       i.target AS contact,
       i.invited_by AS inviter_id,
       NULL::bigint AS invite_link_id,
       i.created_at AS sent_at,
       i.delivered_at,
       i.opened_at,
       i.accepted_at AS registered_at,
       m.active_since AS active_at
FROM invitations i
LEFT JOIN memberships m ON m.portal_id = i.portal_id AND m.account_id = i.accepted_by AND i.status = 'accepted'
UNION ALL
SELECT r.portal_id,
       'registration',
       r.id,
       CASE WHEN r.invite_link_id IS NULL THEN 'quick_registration' ELSE 'invite_link' END,
       r.email,
       l.created_by,
       r.invite_link_id,
       r.created_at,
       r.delivered_at,
       r.opened_at,
       r.used_at,
       m.active_since
FROM registration_requests r
LEFT JOIN invite_links l ON l.id = r.invite_link_id
LEFT JOIN memberships m ON m.portal_id = r.portal_id AND m.account_id = r.account_id AND r.used_at IS NOT NULL;
