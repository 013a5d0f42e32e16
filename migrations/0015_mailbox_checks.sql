-- Manage Email Accounts shows when each mailbox last answered a real IMAP log-in.
ALTER TABLE mailboxes ADD COLUMN last_checked_at timestamptz;
UPDATE mailboxes SET last_checked_at = connected_at;
