-- Named invite links (Settings > Invite links), each with its own limits: a number of
-- uses, an expiry, the department newcomers join, and Public or Moderated. The portal's
-- single quick registration link keeps working as before, next to them.
CREATE TABLE invite_links (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- Shared and shown again like the quick registration link's code, and like it kept
    -- readable: it only lets someone ask to join (the address is still confirmed).
    code          text NOT NULL UNIQUE,
    -- NULL: no limit. `uses` counts the people who joined through the link; the check
    -- keeps the count within the limit even if a bug tried otherwise.
    max_uses      integer CHECK (max_uses > 0),
    uses          integer NOT NULL DEFAULT 0,
    expires_at    timestamptz,
    -- NULL: the top department (also once the chosen one is deleted).
    department_id bigint REFERENCES departments (id) ON DELETE SET NULL,
    moderated     boolean NOT NULL,
    created_by    bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    CHECK (max_uses IS NULL OR uses <= max_uses)
);
CREATE INDEX invite_links_by_portal ON invite_links (portal_id, created_at);
-- For the ON DELETE SET NULL of a deleted department or account.
CREATE INDEX invite_links_by_department ON invite_links (department_id) WHERE department_id IS NOT NULL;
CREATE INDEX invite_links_by_creator ON invite_links (created_by) WHERE created_by IS NOT NULL;
