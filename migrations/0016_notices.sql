-- In-app notices, shown under the bell in the portal's top bar: "<name> asks to join"
-- for the portal's administrators (with Approve and Deny), "<name> accepted your
-- invitation" for the inviter. They reach people who log in by phone too.
CREATE TABLE notices (
    id          bigserial PRIMARY KEY,
    portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('join_request', 'invitation_accepted')),
    subject_id  bigint REFERENCES accounts (id) ON DELETE CASCADE,
    text        text NOT NULL,
    created_at  timestamptz NOT NULL,
    read_at     timestamptz
);
CREATE INDEX notices_for_reader ON notices (portal_id, account_id, id DESC);
CREATE INDEX notices_unread ON notices (portal_id, account_id) WHERE read_at IS NULL;
CREATE INDEX notices_by_subject ON notices (portal_id, kind, subject_id);
