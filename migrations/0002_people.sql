-- People: company structure, member details for the Employees lists, workgroups, the
-- Activity Stream, the General chat and the admins' audit log.

-- Trigram indexes make "search by name, email or position" fast at 100k people.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The department tree. Every portal has exactly one top department (parent NULL),
-- created with the portal. The composite keys keep parents, heads and members inside
-- the department's own portal.
CREATE TABLE departments (
    id              bigserial PRIMARY KEY,
    portal_id       bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    parent_id       bigint,
    name            text NOT NULL,
    head_account_id bigint,
    -- Active members, kept by a trigger so the org chart does not count 100k rows.
    active_members  integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (portal_id, id),
    FOREIGN KEY (portal_id, parent_id) REFERENCES departments (portal_id, id)
);
CREATE UNIQUE INDEX departments_one_top_per_portal ON departments (portal_id) WHERE parent_id IS NULL;
CREATE INDEX departments_by_parent ON departments (portal_id, parent_id);

INSERT INTO departments (portal_id, name) SELECT id, name FROM portals;

CREATE FUNCTION create_top_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO departments (portal_id, name) VALUES (NEW.id, NEW.name);
    RETURN NULL;
END;
$$;
CREATE TRIGGER portals_top_department AFTER INSERT ON portals FOR EACH ROW EXECUTE FUNCTION create_top_department();

-- Member details. sort_name and search_text copy the account's name and login so that
-- the lists sort and search on one indexed table; triggers keep the copies current.
ALTER TABLE memberships
    ADD COLUMN position      text NOT NULL DEFAULT '',
    ADD COLUMN phone         text NOT NULL DEFAULT '',
    ADD COLUMN department_id bigint,
    ADD COLUMN sort_name     text NOT NULL DEFAULT '',
    ADD COLUMN search_text   text NOT NULL DEFAULT '',
    ADD FOREIGN KEY (portal_id, department_id) REFERENCES departments (portal_id, id);

ALTER TABLE departments
    ADD FOREIGN KEY (portal_id, head_account_id) REFERENCES memberships (portal_id, account_id) ON DELETE SET NULL (head_account_id);

CREATE FUNCTION membership_derived_fields() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- People added without a department land in the top one.
    IF NEW.department_id IS NULL THEN
        SELECT id INTO NEW.department_id FROM departments WHERE portal_id = NEW.portal_id AND parent_id IS NULL;
    END IF;
    SELECT lower(a.last_name || ' ' || a.first_name),
           lower(a.first_name || ' ' || a.last_name || ' ' || a.login || ' ' || coalesce(NEW.contact_email, '') || ' ' || NEW.position)
      INTO NEW.sort_name, NEW.search_text
      FROM accounts a WHERE a.id = NEW.account_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER memberships_derived_fields BEFORE INSERT OR UPDATE OF account_id, contact_email, position, department_id
    ON memberships FOR EACH ROW EXECUTE FUNCTION membership_derived_fields();

CREATE FUNCTION account_copies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Naming the column in SET fires the BEFORE trigger above, which re-copies.
    UPDATE memberships SET position = position WHERE account_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER accounts_copies_changed AFTER UPDATE OF first_name, last_name, login ON accounts FOR EACH ROW
    WHEN (OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name OR OLD.login IS DISTINCT FROM NEW.login)
    EXECUTE FUNCTION account_copies_changed();

UPDATE memberships SET position = position;
ALTER TABLE memberships ALTER COLUMN department_id SET NOT NULL;

UPDATE departments d SET active_members = (SELECT count(*) FROM memberships m WHERE m.department_id = d.id AND m.status = 'active');

CREATE FUNCTION count_department_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.department_id = NEW.department_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        UPDATE departments SET active_members = active_members - 1 WHERE id = OLD.department_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'active' THEN
        UPDATE departments SET active_members = active_members + 1 WHERE id = NEW.department_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER memberships_count_department_members AFTER INSERT OR UPDATE OF status, department_id OR DELETE
    ON memberships FOR EACH ROW EXECUTE FUNCTION count_department_members();

-- Keyset pagination of each filter, in name order.
CREATE INDEX memberships_list ON memberships (portal_id, status, sort_name, account_id);
CREATE INDEX memberships_admins ON memberships (portal_id, sort_name, account_id) WHERE role = 'admin' AND status = 'active';
CREATE INDEX memberships_search ON memberships USING gin (search_text gin_trgm_ops);
CREATE INDEX memberships_by_department ON memberships (portal_id, department_id, sort_name, account_id);

CREATE TABLE workgroups (
    id          bigserial PRIMARY KEY,
    portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    created_by  bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (portal_id, id)
);
CREATE UNIQUE INDEX workgroups_unique_name ON workgroups (portal_id, lower(name));

CREATE TABLE workgroup_members (
    workgroup_id bigint NOT NULL,
    portal_id    bigint NOT NULL,
    account_id   bigint NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workgroup_id, account_id),
    FOREIGN KEY (portal_id, workgroup_id) REFERENCES workgroups (portal_id, id) ON DELETE CASCADE,
    FOREIGN KEY (portal_id, account_id) REFERENCES memberships (portal_id, account_id) ON DELETE CASCADE
);
CREATE INDEX workgroup_members_by_account ON workgroup_members (portal_id, account_id);

-- The Activity Stream and the General chat. author_id NULL marks a system notice.
CREATE TABLE stream_posts (
    id         bigserial PRIMARY KEY,
    portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    author_id  bigint REFERENCES accounts (id) ON DELETE SET NULL,
    kind       text NOT NULL CHECK (kind IN ('post', 'joined')),
    body       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX stream_posts_feed ON stream_posts (portal_id, id DESC);

CREATE TABLE chat_messages (
    id         bigserial PRIMARY KEY,
    portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    author_id  bigint REFERENCES accounts (id) ON DELETE SET NULL,
    kind       text NOT NULL CHECK (kind IN ('message', 'joined')),
    body       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX chat_messages_feed ON chat_messages (portal_id, id DESC);

-- Who did what to whom, for the portal's administrators.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    actor_id   bigint REFERENCES accounts (id) ON DELETE SET NULL,
    action     text NOT NULL,
    subject_id bigint REFERENCES accounts (id) ON DELETE SET NULL,
    detail     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL
);
CREATE INDEX audit_log_by_portal ON audit_log (portal_id, id DESC);
