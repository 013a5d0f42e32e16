-- A one-word search that many people match (a common surname at a million people: 20,000
-- matches) read every match from the trigram index and sorted them, 30 ms. These tables
-- answer it in list order instead, 51 people per matching word:
--   portal_words:  the distinct words of a portal's people, trigram-indexed, to find the
--                  words that contain the search;
--   member_words:  per word, its people in list order (status, then sort_name).
-- A search without a space matches a person's search text exactly when it lies inside one
-- of its space-separated words, so both ways find the same people.
CREATE TABLE portal_words (
    portal_id bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
    word      text NOT NULL,
    PRIMARY KEY (portal_id, word)
);
CREATE INDEX portal_words_search ON portal_words USING gin (word gin_trgm_ops);

CREATE TABLE member_words (
    portal_id  bigint NOT NULL,
    account_id bigint NOT NULL,
    word       text NOT NULL,
    -- Found in the login alone (not in search_public): only administrators search by it.
    private    boolean NOT NULL,
    status     membership_status NOT NULL,
    sort_name  text NOT NULL,
    FOREIGN KEY (portal_id, account_id) REFERENCES memberships ON DELETE CASCADE
);
CREATE INDEX member_words_in_order ON member_words (portal_id, status, word, sort_name, account_id) INCLUDE (private);
CREATE INDEX member_words_by_member ON member_words (portal_id, account_id);

-- Rewrites one membership's words. Words stay in portal_words after their last person
-- has gone: a stale word finds no one.
CREATE FUNCTION membership_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM member_words WHERE portal_id = OLD.portal_id AND account_id = OLD.account_id;
    END IF;
    INSERT INTO member_words (portal_id, account_id, word, private, status, sort_name)
    SELECT NEW.portal_id, NEW.account_id, w.word, NOT (w.word = ANY (string_to_array(NEW.search_public, ' '))), NEW.status, NEW.sort_name
      FROM (SELECT DISTINCT unnest(string_to_array(NEW.search_text, ' ')) AS word) w
     WHERE w.word <> '';
    INSERT INTO portal_words (portal_id, word)
    SELECT DISTINCT NEW.portal_id, w FROM unnest(string_to_array(NEW.search_text, ' ')) w WHERE w <> ''
    ON CONFLICT DO NOTHING;
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

INSERT INTO member_words (portal_id, account_id, word, private, status, sort_name)
SELECT m.portal_id, m.account_id, w.word, NOT (w.word = ANY (string_to_array(m.search_public, ' '))), m.status, m.sort_name
  FROM memberships m
 CROSS JOIN LATERAL (SELECT DISTINCT unnest(string_to_array(m.search_text, ' ')) AS word) w
 WHERE w.word <> '';
INSERT INTO portal_words (portal_id, word) SELECT DISTINCT portal_id, word FROM member_words ON CONFLICT DO NOTHING;
-- Statistics now, not at autovacuum's next pass: without them the first searches of a
-- big portal plan as if the tables were empty.
ANALYZE member_words, portal_words;
