-- Registration settings (per portal) and quick-registration requests awaiting the
-- confirmation of their email address.

ALTER TABLE portals
    ADD COLUMN quick_registration     boolean NOT NULL DEFAULT false,
    ADD COLUMN registration_moderated boolean NOT NULL DEFAULT true,
    -- Lower-cased domain names whose addresses need no administrator approval.
    ADD COLUMN trusted_domains        text[] NOT NULL DEFAULT '{}',
    ADD COLUMN registration_greeting  text NOT NULL DEFAULT '',
    -- The code in the quick registration link. Unlike single-use secrets it is kept
    -- readable: the link is meant to be shared and shown again to whoever may invite
    -- ("Copy"), and it grants only the right to ask to join (the address must still be
    -- confirmed, and moderation applies). Regenerating replaces it at once.
    ADD COLUMN registration_code      text NOT NULL
        DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
    ADD COLUMN everyone_can_invite    boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX portals_by_registration_code ON portals (registration_code);

CREATE TABLE registration_requests (
    token_hash        bytea PRIMARY KEY,
    portal_id         bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    -- The link the request came through: once it is regenerated or switched off, its
    -- unconfirmed requests die with it.
    registration_code text NOT NULL,
    email             text NOT NULL,
    first_name        text NOT NULL,
    last_name         text NOT NULL,
    -- The password chosen at registration; cleared once the request is used. The
    -- confirmation asks for it again, so only the registrant can confirm.
    password_hash     text NOT NULL,
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz
);
CREATE INDEX registration_requests_by_portal ON registration_requests (portal_id) WHERE used_at IS NULL;

-- Every quick registration attempt, refused ones included, for the per-client and
-- per-address limits (so the form cannot be used to probe addresses or flood a mailbox).
CREATE TABLE registration_attempts (
    id          bigserial PRIMARY KEY,
    client_addr text NOT NULL,
    email       text NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX registration_attempts_by_client ON registration_attempts (client_addr, at);
CREATE INDEX registration_attempts_by_email ON registration_attempts (email, at);
