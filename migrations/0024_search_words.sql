-- A one-word search that many people match (a common surname at a million people: 20,000
-- matches) read every match from the trigram index and sorted them, 30 ms. These tables
-- answer it in list order instead, 51 people per matching word:
--   portal_words:  the distinct words of a portal's people, trigram-indexed, to find the
--                  words that contain the search;
--   member_words:  per word, its people in list order (status, then sort_name).
-- Words are the runs between ASCII characters other than letters and digits, so the parts
-- of "j.garcia@acme.test" are words of their own. A search of letters and digits alone
-- matches a person's search text exactly when it lies inside one of its words, so both
-- ways find the same people.
CREATE FUNCTION search_words(text) RETURNS SETOF text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT DISTINCT w FROM regexp_split_to_table($1, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+') w WHERE w <> ''
$$;

CREATE TABLE portal_words (
    portal_id bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    word      text NOT NULL,
    -- Someone has it outside their login: colleagues' searches may use it. A word found
    -- only in logins is for administrators, as the logins are.
    public    boolean NOT NULL,
    PRIMARY KEY (portal_id, word)
);

CREATE TABLE member_words (
    portal_id  bigint NOT NULL,
    account_id bigint NOT NULL,
    word       text NOT NULL,
    -- Found in the login alone (not in search_public): only administrators search by it.
    private    boolean NOT NULL,
    status     membership_status NOT NULL,
    sort_name  text NOT NULL
);

-- The words of a portal's people, all at once: for this migration and for bulk loads,
-- which add the people with the row trigger below turned off.
CREATE FUNCTION add_portal_words(portal bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO member_words (portal_id, account_id, word, private, status, sort_name)
    SELECT m.portal_id, m.account_id, w.word, w.word NOT IN (SELECT search_words(m.search_public)), m.status, m.sort_name
      FROM memberships m CROSS JOIN LATERAL search_words(m.search_text) AS w (word)
     WHERE m.portal_id = portal;
    INSERT INTO portal_words (portal_id, word, public)
    SELECT portal_id, word, bool_or(NOT private) FROM member_words WHERE portal_id = portal GROUP BY portal_id, word
    ON CONFLICT (portal_id, word) DO UPDATE SET public = EXCLUDED.public;
$$;

-- Filled before the indexes and the foreign key are made: one sort per index, not an
-- index insertion and a key check per row.
SELECT add_portal_words(id) FROM portals;

ALTER TABLE member_words ADD FOREIGN KEY (portal_id, account_id) REFERENCES memberships ON DELETE CASCADE ON UPDATE CASCADE;
CREATE INDEX member_words_in_order ON member_words (portal_id, word, status, sort_name, account_id) INCLUDE (private);
CREATE INDEX member_words_by_member ON member_words (portal_id, account_id);
CREATE INDEX portal_words_search ON portal_words USING gin (word gin_trgm_ops);

-- After some people lost these words: a word no one has any more goes (a rejected
-- applicant's login is not kept), and one only logins still have is no longer public.
CREATE FUNCTION forget_portal_words(portal bigint, words text[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM portal_words pw WHERE pw.portal_id = portal AND pw.word = ANY (words)
       AND NOT EXISTS (SELECT 1 FROM member_words mw WHERE mw.portal_id = portal AND mw.word = pw.word);
    UPDATE portal_words pw SET public = false WHERE pw.portal_id = portal AND pw.word = ANY (words) AND pw.public
       AND NOT EXISTS (SELECT 1 FROM member_words mw WHERE mw.portal_id = portal AND mw.word = pw.word AND NOT mw.private);
$$;

-- Rewrites one membership's words. Planned for each row's values (force_custom_plan): a
-- plan kept from when the tables were small scans them whole, and a bulk addition of a
-- million people then took hours rather than minutes.
CREATE FUNCTION membership_words() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    words text[];
    public_words text[];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM member_words WHERE portal_id = OLD.portal_id AND account_id = OLD.account_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        words := ARRAY(SELECT search_words(NEW.search_text));
        public_words := ARRAY(SELECT search_words(NEW.search_public));
        INSERT INTO member_words (portal_id, account_id, word, private, status, sort_name)
        SELECT NEW.portal_id, NEW.account_id, w, NOT (w = ANY (public_words)), NEW.status, NEW.sort_name FROM unnest(words) w;
        -- In word order, so two admissions adding the same new words cannot deadlock.
        -- Words already there are left alone (not locked); only a word turning public
        -- is updated.
        INSERT INTO portal_words (portal_id, word, public)
        SELECT NEW.portal_id, w, w = ANY (public_words) FROM unnest(words) w ORDER BY w
        ON CONFLICT (portal_id, word) DO NOTHING;
        UPDATE portal_words SET public = true WHERE portal_id = NEW.portal_id AND word = ANY (public_words) AND NOT public;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM forget_portal_words(OLD.portal_id, ARRAY(SELECT search_words(OLD.search_text)));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER memberships_words_inserted AFTER INSERT ON memberships FOR EACH ROW EXECUTE FUNCTION membership_words();
-- Not "UPDATE OF search_text, …": a rename sets the position (to itself), and the copies
-- change in a BEFORE trigger, which column lists do not see.
CREATE TRIGGER memberships_words_changed AFTER UPDATE ON memberships FOR EACH ROW
    WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text OR OLD.search_public IS DISTINCT FROM NEW.search_public
          OR OLD.status IS DISTINCT FROM NEW.status OR OLD.sort_name IS DISTINCT FROM NEW.sort_name)
    EXECUTE FUNCTION membership_words();
CREATE TRIGGER memberships_words_deleted AFTER DELETE ON memberships FOR EACH ROW EXECUTE FUNCTION membership_words();

-- Statistics now, not at autovacuum's next pass: without them the first searches of a
-- big portal plan as if the tables were empty.
ANALYZE member_words, portal_words;
