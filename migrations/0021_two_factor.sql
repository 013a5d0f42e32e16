-- Two-factor log-in (TOTP, RFC 6238): each account's secret, its single-use recovery
-- codes, the log-ins waiting for their code, and a portal rule for administrators.
CREATE TABLE two_factor (
    account_id  bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    -- The secret, sealed under the server's key (XChaCha20-Poly1305, bound to the
    -- account), and that key's id: a server started with another key says so.
    secret      bytea NOT NULL,
    key_id      text NOT NULL,
    created_at  timestamptz NOT NULL,
    -- NULL while being set up: the app was shown the secret, no code has confirmed it.
    enabled_at  timestamptz,
    -- The newest 30-second step a code was accepted for: each code works once.
    last_step   bigint NOT NULL DEFAULT 0
);

-- Kept as SHA-256 hashes (80 random bits each); a used code keeps its row, so the
-- profile can say how many are left.
CREATE TABLE two_factor_recovery_codes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL,
    used_at     timestamptz,
    UNIQUE (account_id, code_hash)
);

-- A log-in whose password was right and whose code is still to come: the browser holds
-- the secret in a short-lived cookie, the database its hash.
CREATE TABLE login_challenges (
    token_hash  bytea PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    remember    boolean NOT NULL,
    -- The page the log-in goes on to, checked when the password was.
    destination text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX login_challenges_by_account ON login_challenges (account_id);
CREATE INDEX login_challenges_by_expiry ON login_challenges (expires_at);

ALTER TABLE portals ADD COLUMN admins_need_two_factor boolean NOT NULL DEFAULT false;

-- "An administrator reset your two-factor log-in": a notice to the person it was done to.
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('join_request', 'invitation_accepted', 'security'));
