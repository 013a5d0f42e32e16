-- The outbox worker claims a batch with a lease and commits before sending, so no
-- transaction stays open across network I/O. A worker that dies leaves its claims; once
-- `claimed_until` has passed, any worker sends those messages again, with the same
-- `message_id` (the e-mail's Message-ID header), so a receiving server can drop the copy.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz, ADD COLUMN message_id text;
