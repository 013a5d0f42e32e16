-- Invitations by e-mail (and, later, SMS): one row per person invited, with the links
-- sent to them. Every send makes a new single-use link (only its hash is kept); earlier
-- links of the same invitation stay valid until it is accepted, cancelled or expires.

CREATE TABLE invitations (
    id            bigserial PRIMARY KEY,
    portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    channel       text NOT NULL CHECK (channel IN ('email', 'sms')),
    -- A lower-cased email address, or an E.164 phone number.
    target        text NOT NULL,
    -- NULL once the department is deleted: the person then joins the top department.
    department_id bigint,
    workgroup_ids bigint[] NOT NULL DEFAULT '{}',
    message       text NOT NULL,
    invited_by    bigint REFERENCES accounts (id) ON DELETE SET NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled')),
    created_at    timestamptz NOT NULL,
    sent_at       timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    accepted_by   bigint REFERENCES accounts (id) ON DELETE SET NULL,
    -- The latest message sent for it: its delivery status is the invitation's.
    outbox_id     bigint REFERENCES outbox (id) ON DELETE SET NULL,
    renewal_asked_at timestamptz,
    FOREIGN KEY (portal_id, department_id) REFERENCES departments (portal_id, id) ON DELETE SET NULL (department_id)
);
-- Inviting someone twice resends the pending invitation instead.
CREATE UNIQUE INDEX invitations_one_pending ON invitations (portal_id, target) WHERE status = 'pending';
CREATE INDEX invitations_list ON invitations (portal_id, id DESC);

CREATE TABLE invitation_links (
    token_hash    bytea PRIMARY KEY,
    invitation_id bigint NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL
);
-- The daily cap counts the links a portal sent in the last 24 hours.
CREATE INDEX invitation_links_by_portal ON invitation_links (portal_id, created_at);
CREATE INDEX invitation_links_by_invitation ON invitation_links (invitation_id);
