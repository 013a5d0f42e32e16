-- E-mails carry an HTML part beside their plain text (`body`). SMS and messages queued
-- before this have none and go out as plain text.
ALTER TABLE outbox ADD COLUMN html text;
