-- When the account's login address was proven by a link sent to it. A portal sends no
-- invitation until one of its administrators has a proven address, so a fresh sign-up
-- with someone else's address cannot be used to mail strangers.
ALTER TABLE accounts ADD COLUMN email_confirmed_at timestamptz;
-- Accounts from before this rule keep working as they did.
UPDATE accounts SET email_confirmed_at = created_at;

ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check
    CHECK (purpose IN ('password_reset', 'login_change', 'email_confirm'));

-- Messages queued per day (UTC), per portal and for the whole instance, by channel:
-- the daily caps count here. One row per scope and day; the increment and the check are
-- one statement, so parallel requests cannot pass the cap together.
CREATE TABLE message_quota (
    scope   text    NOT NULL,
    channel channel NOT NULL,
    day     date    NOT NULL,
    used    integer NOT NULL CHECK (used >= 0),
    PRIMARY KEY (scope, channel, day)
);
