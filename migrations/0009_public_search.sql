-- Colleagues search by name, contact e-mail and position; only administrators also by
-- login. A login is private (it may be a phone number), so it gets its own column:
-- `search_text` (with the login, for administrators) and `search_public` (without).
ALTER TABLE memberships ADD COLUMN search_public text NOT NULL DEFAULT '';

CREATE OR REPLACE FUNCTION membership_derived_fields() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- People added without a department land in the top one.
    IF NEW.department_id IS NULL THEN
        SELECT id INTO NEW.department_id FROM departments WHERE portal_id = NEW.portal_id AND parent_id IS NULL;
    END IF;
    SELECT lower(a.last_name || ' ' || a.first_name),
           lower(a.first_name || ' ' || a.last_name || ' ' || a.login || ' ' || coalesce(NEW.contact_email, '') || ' ' || NEW.position),
           lower(a.first_name || ' ' || a.last_name || ' ' || coalesce(NEW.contact_email, '') || ' ' || NEW.position)
      INTO NEW.sort_name, NEW.search_text, NEW.search_public
      FROM accounts a WHERE a.id = NEW.account_id;
    RETURN NEW;
END;
$$;

UPDATE memberships m SET search_public = lower(a.first_name || ' ' || a.last_name || ' ' || coalesce(m.contact_email, '') || ' ' || m.position)
    FROM accounts a WHERE a.id = m.account_id;
CREATE INDEX memberships_search_public ON memberships USING gin (search_public gin_trgm_ops);
