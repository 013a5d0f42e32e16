-- Foundation: network accounts, portals, memberships, sessions, one-time tokens,
-- log-in throttling and the outbox.

CREATE TABLE accounts (
    id            bigserial PRIMARY KEY,
    -- Lower-cased email, or an E.164 phone number for people invited by SMS.
    login         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portals (
    id         bigserial PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    plan       text NOT NULL DEFAULT 'free'
               CHECK (plan IN ('free', 'basic', 'standard', 'professional', 'crm_plus', 'project_plus')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status        text NOT NULL CHECK (status IN ('invited', 'pending_approval', 'active', 'dismissed')),
    role          text NOT NULL CHECK (role IN ('admin', 'employee')),
    contact_email text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, account_id)
);
CREATE INDEX memberships_by_account ON memberships (account_id);

CREATE TABLE sessions (
    token_hash        bytea PRIMARY KEY,
    account_id        bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    remember          boolean NOT NULL,
    created_at        timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    idle_timeout_secs bigint NOT NULL,
    expires_at        timestamptz NOT NULL
);
CREATE INDEX sessions_by_account ON sessions (account_id);

-- Single-use links sent by email: password reset, login change confirmation.
CREATE TABLE account_tokens (
    token_hash bytea PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('password_reset', 'login_change')),
    new_login  text,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_tokens_by_account ON account_tokens (account_id);

CREATE TABLE login_failures (
    id          bigserial PRIMARY KEY,
    login       text NOT NULL,
    client_addr text NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX login_failures_by_login ON login_failures (login, at);
CREATE INDEX login_failures_by_client ON login_failures (client_addr, at);

-- Every email and SMS, written in the transaction of the change that caused it.
CREATE TABLE outbox (
    id              bigserial PRIMARY KEY,
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued';

-- Wakes the delivery workers of every app instance when new messages commit.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
