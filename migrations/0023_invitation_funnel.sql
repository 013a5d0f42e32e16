-- The invitation funnel (Employees > Invited > Funnel): every invitation and every
-- registration through a link, with the time of each step it reached:
--   sent -> delivered -> link opened -> registered -> active.
-- For a registration through the quick registration link or an invite link, the message
-- is the address confirmation letter and the link is the confirmation link.

ALTER TABLE invitations
    -- The first time a message of the invitation was delivered (kept across resends).
    ADD COLUMN delivered_at timestamptz,
    -- The first time a valid link of the invitation was opened.
    ADD COLUMN opened_at    timestamptz,
    -- When the person became active through it (accepting makes them active at once).
    ADD COLUMN active_at    timestamptz;

ALTER TABLE registration_requests
    -- A stable order for the funnel's list (the primary key is a hash).
    ADD COLUMN id             bigint GENERATED ALWAYS AS IDENTITY,
    -- NULL: the portal's quick registration link. Links are revoked, never deleted.
    ADD COLUMN invite_link_id bigint REFERENCES invite_links (id),
    ADD COLUMN outbox_id      bigint REFERENCES outbox (id) ON DELETE SET NULL,
    ADD COLUMN delivered_at   timestamptz,
    ADD COLUMN opened_at      timestamptz,
    -- The account that joined by confirming.
    ADD COLUMN account_id     bigint REFERENCES accounts (id) ON DELETE SET NULL,
    -- When the person became active through it: at confirmation, or at approval.
    ADD COLUMN active_at      timestamptz;
CREATE UNIQUE INDEX registration_requests_by_id ON registration_requests (id);
CREATE INDEX registration_requests_funnel ON registration_requests (portal_id, created_at);
CREATE INDEX registration_requests_by_outbox ON registration_requests (outbox_id) WHERE outbox_id IS NOT NULL;
CREATE INDEX registration_requests_by_link ON registration_requests (invite_link_id) WHERE invite_link_id IS NOT NULL;
CREATE INDEX registration_requests_by_account ON registration_requests (account_id) WHERE account_id IS NOT NULL;
-- A day after an unconfirmed request expires, it loses the address, names and password
-- typed into the public form, and stays (for the funnel) instead of being deleted.
CREATE INDEX registration_requests_to_clear ON registration_requests (expires_at) WHERE used_at IS NULL AND password_hash <> '';
CREATE INDEX invitations_by_outbox ON invitations (outbox_id) WHERE outbox_id IS NOT NULL;

-- What the rows already there can tell: a link was delivered and opened if it was used.
UPDATE registration_requests r SET invite_link_id = l.id
FROM invite_links l WHERE l.code = r.registration_code AND l.portal_id = r.portal_id;
UPDATE registration_requests r SET account_id = a.id, delivered_at = r.used_at, opened_at = r.used_at,
       active_at = CASE WHEN EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = a.id AND m.portal_id = r.portal_id
                                     AND m.status IN ('active', 'dismissed')) THEN r.used_at END
FROM accounts a WHERE r.used_at IS NOT NULL AND a.login = r.email;
UPDATE invitations i SET delivered_at = o.sent_at
FROM outbox o WHERE o.id = i.outbox_id AND o.status = 'sent';
UPDATE invitations SET delivered_at = coalesce(delivered_at, accepted_at), opened_at = accepted_at, active_at = accepted_at
WHERE status = 'accepted';

-- A delivered message marks the invitation or registration it was sent for, and the
-- portal's open Invited pages follow (the payload is live::server::PortalEvent's:
-- "<portal id> <topic>").
CREATE FUNCTION outbox_delivered() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    portal bigint;
BEGIN
    WITH marked AS (
        UPDATE invitations SET delivered_at = coalesce(NEW.sent_at, now())
        WHERE outbox_id = NEW.id AND delivered_at IS NULL RETURNING portal_id
    ), marked_requests AS (
        UPDATE registration_requests SET delivered_at = coalesce(NEW.sent_at, now())
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
SELECT portal_id,
       'invitation' AS source,
       id,
       channel::text AS channel,
       target AS contact,
       invited_by AS inviter_id,
       NULL::bigint AS invite_link_id,
       created_at AS sent_at,
       delivered_at,
       opened_at,
       accepted_at AS registered_at,
       active_at
FROM invitations
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
       r.active_at
FROM registration_requests r
LEFT JOIN invite_links l ON l.id = r.invite_link_id;
