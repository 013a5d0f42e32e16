-- Secret parts of a queued message (link tokens, generated passwords). The worker cuts
-- them out of the stored body once the message has left the server, so the outbox does
-- not keep working credentials after delivery.
ALTER TABLE outbox ADD COLUMN secrets text[] NOT NULL DEFAULT '{}';

-- Set when an administrator registered the person with a generated password: they must
-- choose their own before using any portal.
ALTER TABLE accounts ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
