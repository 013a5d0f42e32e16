-- People who log in with a phone number prove it with a 6-digit code sent by SMS: to
-- reset a forgotten password, or to make a number their new login. A code is stored
-- hashed, lives 10 minutes, allows 5 tries, and only the newest one of a purpose counts.
CREATE TABLE sms_codes (
    id          bigserial PRIMARY KEY,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('password_reset', 'login_change')),
    phone       text NOT NULL,
    code_hash   bytea NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX sms_codes_live ON sms_codes (account_id, purpose, id DESC) WHERE used_at IS NULL;
CREATE INDEX sms_codes_by_age ON sms_codes (account_id, purpose, created_at);
