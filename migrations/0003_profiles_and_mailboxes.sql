-- Portal profiles and Webmail: contact emails are looked up per portal (the "already
-- exists" rule), and each membership may have one connected IMAP mailbox.

CREATE INDEX memberships_contact_email ON memberships (portal_id, lower(contact_email))
    WHERE contact_email IS NOT NULL;

-- One mailbox per employee per portal. The password is sealed with XChaCha20-Poly1305
-- under the key named by key_id (24-byte nonce, then ciphertext and tag); the plain
-- password never reaches the database.
CREATE TABLE mailboxes (
    portal_id       bigint NOT NULL,
    account_id      bigint NOT NULL,
    address         text NOT NULL,
    imap_host       text NOT NULL,
    imap_port       integer NOT NULL CHECK (imap_port BETWEEN 1 AND 65535),
    security        text NOT NULL CHECK (security IN ('tls', 'starttls')),
    username        text NOT NULL,
    sealed_password bytea NOT NULL,
    key_id          text NOT NULL,
    connected_at    timestamptz NOT NULL,
    PRIMARY KEY (portal_id, account_id),
    FOREIGN KEY (portal_id, account_id) REFERENCES memberships (portal_id, account_id) ON DELETE CASCADE
);

-- Failed mailbox checks, so the server cannot be used to guess IMAP passwords.
CREATE TABLE mailbox_check_failures (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    at         timestamptz NOT NULL
);
CREATE INDEX mailbox_check_failures_by_account ON mailbox_check_failures (account_id, at);
