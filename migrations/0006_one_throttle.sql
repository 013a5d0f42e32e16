-- One limiter, one table: log-in failures, quick registration attempts and failed mailbox
-- checks become events of named buckets. Recent events are carried over, so a limit that
-- is reached stays reached across the upgrade.
CREATE TABLE throttle_events (
    id     bigserial PRIMARY KEY,
    bucket text NOT NULL,
    key    text NOT NULL,
    at     timestamptz NOT NULL
);
CREATE INDEX throttle_events_by_key ON throttle_events (bucket, key, at);
CREATE INDEX throttle_events_by_age ON throttle_events (at);

INSERT INTO throttle_events (bucket, key, at)
    SELECT 'login', login, at FROM login_failures WHERE at > now() - interval '1 day'
    UNION ALL SELECT 'login-client', client_addr, at FROM login_failures WHERE at > now() - interval '1 day'
    UNION ALL SELECT 'registration-client', client_addr, at FROM registration_attempts WHERE at > now() - interval '1 day'
    UNION ALL SELECT 'registration-email', email, at FROM registration_attempts WHERE at > now() - interval '1 day'
    UNION ALL SELECT 'mailbox-check', account_id::text, at FROM mailbox_check_failures WHERE at > now() - interval '1 day';

DROP TABLE login_failures;
DROP TABLE registration_attempts;
DROP TABLE mailbox_check_failures;
