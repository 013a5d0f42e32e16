-- The network profile lists the account's sessions: browser and system (from the
-- User-Agent), the address it logged in from, when it began and when it was last seen.
-- Each session gets a public number, so one can be ended without its secret's hash ever
-- leaving the server. Sessions from before this migration show as "Unknown browser".
ALTER TABLE sessions
    ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN client_address text NOT NULL DEFAULT '',
    ADD COLUMN user_agent text NOT NULL DEFAULT '' CHECK (char_length(user_agent) <= 400);
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);
