-- Taking a place in the throttle in one round trip (log-in pays it on every attempt):
-- lock each key, count each key's recent events, and record one event per key, or
-- answer how long to wait. Each statement inside sees what committed before its lock was
-- granted, so requests that arrive together are counted one after another.
CREATE FUNCTION throttle_take(buckets text[], keys text[], maxes bigint[], window_seconds bigint[], at_time timestamptz,
                              OUT event_ids bigint[], OUT retry_after integer)
LANGUAGE plpgsql AS $$
DECLARE
    i integer;
    recent bigint;
    oldest timestamptz;
BEGIN
    -- One key at a time in a fixed order, so requests that share keys never deadlock.
    PERFORM pg_advisory_xact_lock(hashtextextended(x.b || ':' || x.k, 7))
        FROM unnest(buckets, keys) AS x(b, k) ORDER BY x.b || ':' || x.k;
    FOR i IN 1 .. coalesce(array_length(buckets, 1), 0) LOOP
        SELECT count(*), min(e.at) INTO recent, oldest FROM throttle_events e
            WHERE e.bucket = buckets[i] AND e.key = keys[i] AND e.at > at_time - window_seconds[i] * interval '1 second';
        IF recent >= maxes[i] THEN
            -- The oldest event in the window leaves it first, and frees a place.
            retry_after := greatest(1, ceil(extract(epoch FROM oldest + window_seconds[i] * interval '1 second' - at_time)))::integer;
            RETURN;
        END IF;
    END LOOP;
    WITH inserted AS (
        INSERT INTO throttle_events (bucket, key, at) SELECT x.b, x.k, at_time FROM unnest(buckets, keys) AS x(b, k) RETURNING id
    )
    SELECT array_agg(id) INTO event_ids FROM inserted;
    -- Old events serve no limit; trimming here keeps the table small without a job.
    DELETE FROM throttle_events WHERE at < at_time - interval '1 day';
END;
$$;
