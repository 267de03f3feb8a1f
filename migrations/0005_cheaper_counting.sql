-- The counters of migration 0003 at the recorder's rate: the same counters, the same
-- deduplication (an attempt or a decision counts once, as its earliest row), less work per
-- recorded row (issue 15: the recorder sustains 100 000 records/s with the counters kept).
--
-- Where the time went (server CPU per row, bench/recorder_cost.py): inserting a row into
-- canary.outcomes cost about 8 us, the counting trigger another 12-14 us; a perf profile of
-- the trigger is mostly index inserts (the dedup key) and per-row aggregation. What changes:
--
-- 1. The raw tables lose their (rollout, recorded_at) indexes: the report and the analysis
--    read the counters, retention deletes by time through the BRIN indexes, and only the
--    raw-row reference queries of the tests and benchmarks still read them (a scan either
--    way). One btree insert less per row: 1.5-2 us of the 8.
-- 2. Aggregation runs once per second bin, not once per row and grain: a batch's changes are
--    summed per (rollout, second, version) and the minute bins are added up from those
--    seconds; the latency sketch per minute, and the hour sketch from the minutes. Decisions
--    are grouped by their rate before the exact numeric sums, which then take one
--    multiplication per distinct rate instead of two per row (the sums are the same
--    numerics: n * rate is exact).
-- 3. The identity sequences hand each session 100 ids at a time instead of one (a sequence
--    update per row was 3.5 % of a decision insert's time); ids stay unique and ordered
--    within a session, which is all the tie-break "earliest row: recorded_at, then id" needs.
--
-- The trigger functions keep their shape (a plain insert of the dedup keys, an upsert only
-- when a batch holds a known attempt) and hand their changes to one counting function per
-- table, shared by both paths.

DROP INDEX canary.outcomes_by_rollout_time;
DROP INDEX canary.decisions_by_rollout_time;

ALTER TABLE canary.outcomes ALTER COLUMN id SET CACHE 100;
ALTER TABLE canary.decisions ALTER COLUMN id SET CACHE 100;

-- What a batch changes, added to the counters: +1 per attempt counted, -1 per displaced one.
CREATE FUNCTION canary.count_outcome_changes(changes canary.outcome_change[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, canary
    AS $$
BEGIN
    WITH change AS (
        SELECT * FROM unnest(changes)
    ), seconds AS (
        SELECT rollout, date_bin('1 second', recorded_at, '2000-01-01 00:00:00+00') AS bin,
               version,
               coalesce(sum(sign) FILTER (WHERE outcome = 'verified'), 0) AS verified,
               coalesce(sum(sign) FILTER (WHERE outcome = 'rejected'), 0) AS rejected,
               coalesce(sum(sign) FILTER (WHERE outcome = 'unreadable'), 0) AS unreadable,
               coalesce(sum(sign) FILTER (WHERE outcome = 'transient_failure'), 0)
                   AS transient_failure,
               coalesce(sum(sign) FILTER (WHERE outcome = 'incident'), 0) AS incident
        FROM change GROUP BY 1, 2, 3
    ), minutes AS (
        SELECT rollout, date_bin('1 minute', recorded_at, '2000-01-01 00:00:00+00') AS bin,
               version, latency_bucket, sum(sign) AS attempts
        FROM change WHERE latency_bucket IS NOT NULL GROUP BY 1, 2, 3, 4
    ), sketches AS (
        SELECT rollout, 60 AS grain, bin, version, latency_bucket, attempts FROM minutes
        UNION ALL
        SELECT rollout, 3600, date_bin('1 hour', bin, '2000-01-01 00:00:00+00'), version,
               latency_bucket, sum(attempts)
        FROM minutes GROUP BY 1, 3, 4, 5
    ), latency AS (
        INSERT INTO canary.outcome_latency AS l (rollout, grain, bin, version, buckets, attempts)
        SELECT rollout, grain, bin, version,
               array_agg(latency_bucket ORDER BY latency_bucket),
               array_agg(attempts ORDER BY latency_bucket)
        FROM sketches WHERE attempts <> 0
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (rollout, grain, bin, version) DO UPDATE SET (buckets, attempts) = (
            SELECT coalesce(array_agg(b ORDER BY b), '{}'), coalesce(array_agg(n ORDER BY b), '{}')
            FROM (SELECT b, sum(n) AS n
                  FROM (SELECT * FROM unnest(l.buckets, l.attempts)
                        UNION ALL
                        SELECT * FROM unnest(EXCLUDED.buckets, EXCLUDED.attempts)) AS u (b, n)
                  GROUP BY b HAVING sum(n) <> 0) AS merged)
    )
    INSERT INTO canary.outcome_counts AS c (rollout, grain, bin, version, verified, rejected,
                                            unreadable, transient_failure, incident)
    SELECT * FROM (
        SELECT rollout, 1::smallint, bin, version, verified, rejected, unreadable,
               transient_failure, incident
        FROM seconds
        UNION ALL
        SELECT rollout, 60::smallint, date_bin('1 minute', bin, '2000-01-01 00:00:00+00'),
               version, sum(verified), sum(rejected), sum(unreadable), sum(transient_failure),
               sum(incident)
        FROM seconds GROUP BY 1, 3, 4
    ) AS bins (rollout, grain, bin, version)
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (rollout, grain, bin, version) DO UPDATE SET
        verified = c.verified + EXCLUDED.verified,
        rejected = c.rejected + EXCLUDED.rejected,
        unreadable = c.unreadable + EXCLUDED.unreadable,
        transient_failure = c.transient_failure + EXCLUDED.transient_failure,
        incident = c.incident + EXCLUDED.incident;
END $$;

CREATE FUNCTION canary.count_decision_changes(changes canary.decision_change[]) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, canary
    AS $$
BEGIN
    WITH seconds AS (
        SELECT rollout, date_bin('1 second', recorded_at, '2000-01-01 00:00:00+00') AS bin,
               rule, version, rate, sum(sign) AS decisions
        FROM unnest(changes) GROUP BY 1, 2, 3, 4, 5
    )
    INSERT INTO canary.decision_counts AS d
        (rollout, grain, bin, rule, version, decisions, rate_sum, variance_sum)
    SELECT s.rollout, g.grain, date_bin(g.size, s.bin, '2000-01-01 00:00:00+00'), s.rule,
           s.version, sum(s.decisions),
           coalesce(sum(s.decisions * s.rate::numeric), 0),
           coalesce(sum(s.decisions * s.rate::numeric * (1 - s.rate::numeric)), 0)
    FROM seconds AS s
    CROSS JOIN (VALUES (1::smallint, interval '1 second'), (60::smallint, interval '1 minute'))
        AS g (grain, size)
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (rollout, grain, bin, rule, version) DO UPDATE SET
        decisions = d.decisions + EXCLUDED.decisions,
        rate_sum = d.rate_sum + EXCLUDED.rate_sum,
        variance_sum = d.variance_sum + EXCLUDED.variance_sum;
END $$;

-- The trigger functions of 0003, their counting handed to the functions above.
CREATE OR REPLACE FUNCTION canary.count_inserted_outcomes() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, canary
    AS $$
DECLARE
    everywhere timestamptz;
    changes canary.outcome_change[];
BEGIN
    PERFORM pg_advisory_xact_lock_shared(canary.counting_lock_key());
    everywhere := coalesce((SELECT before FROM canary.count_horizon WHERE rollout = '*'),
                           '-infinity');
    INSERT INTO canary.count_horizon AS h (rollout, before, late_outcomes)
    SELECT b.rollout, max(greatest(everywhere, r.before)), count(*)
    FROM inserted AS b LEFT JOIN canary.count_horizon AS r ON r.rollout = b.rollout
    WHERE b.recorded_at < greatest(everywhere, r.before)
    GROUP BY b.rollout ORDER BY b.rollout
    ON CONFLICT (rollout) DO UPDATE SET late_outcomes = h.late_outcomes + EXCLUDED.late_outcomes;
    BEGIN
        WITH firsts AS (
            SELECT DISTINCT ON (b.rollout, b.job_key, b.retries) b.*
            FROM inserted AS b LEFT JOIN canary.count_horizon AS r ON r.rollout = b.rollout
            WHERE b.recorded_at >= greatest(everywhere, r.before)
            ORDER BY b.rollout, b.job_key, b.retries, b.recorded_at, b.id
        ), counted AS (
            INSERT INTO canary.outcomes_seen
                (rollout, job_key, retries, recorded_at, row_id, version, outcome, latency_bucket)
            SELECT rollout, job_key, retries, recorded_at, id, version, outcome,
                   canary.latency_bucket(latency_ms)
            FROM firsts ORDER BY rollout, job_key, retries
            RETURNING rollout, recorded_at, version, outcome, latency_bucket
        )
        SELECT array_agg(ROW(c.*, 1)::canary.outcome_change) INTO changes FROM counted AS c;
    EXCEPTION WHEN unique_violation THEN
        WITH firsts AS (
            SELECT DISTINCT ON (b.rollout, b.job_key, b.retries) b.*
            FROM inserted AS b LEFT JOIN canary.count_horizon AS r ON r.rollout = b.rollout
            WHERE b.recorded_at >= greatest(everywhere, r.before)
            ORDER BY b.rollout, b.job_key, b.retries, b.recorded_at, b.id
        ), counted AS (
            INSERT INTO canary.outcomes_seen AS s
                (rollout, job_key, retries, recorded_at, row_id, version, outcome, latency_bucket)
            SELECT rollout, job_key, retries, recorded_at, id, version, outcome,
                   canary.latency_bucket(latency_ms)
            FROM firsts ORDER BY rollout, job_key, retries
            ON CONFLICT (rollout, job_key, retries) DO UPDATE SET
                recorded_at = EXCLUDED.recorded_at, row_id = EXCLUDED.row_id,
                version = EXCLUDED.version, outcome = EXCLUDED.outcome,
                latency_bucket = EXCLUDED.latency_bucket,
                prev_recorded_at = s.recorded_at, prev_version = s.version,
                prev_outcome = s.outcome, prev_latency_bucket = s.latency_bucket
            WHERE (EXCLUDED.recorded_at, EXCLUDED.row_id) < (s.recorded_at, s.row_id)
            RETURNING s.*
        )
        SELECT array_agg(c) INTO changes FROM (
            SELECT rollout, recorded_at, version, outcome, latency_bucket, 1 FROM counted
            UNION ALL
            SELECT rollout, prev_recorded_at, prev_version, prev_outcome, prev_latency_bucket, -1
            FROM counted WHERE prev_recorded_at IS NOT NULL
        ) AS c;
    END;
    IF changes IS NOT NULL THEN
        PERFORM canary.count_outcome_changes(changes);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION canary.count_inserted_decisions() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, canary
    AS $$
DECLARE
    everywhere timestamptz;
    changes canary.decision_change[];
BEGIN
    PERFORM pg_advisory_xact_lock_shared(canary.counting_lock_key());
    everywhere := coalesce((SELECT before FROM canary.count_horizon WHERE rollout = '*'),
                           '-infinity');
    INSERT INTO canary.count_horizon AS h (rollout, before, late_decisions)
    SELECT b.rollout, max(greatest(everywhere, r.before)), count(*)
    FROM inserted AS b LEFT JOIN canary.count_horizon AS r ON r.rollout = b.rollout
    WHERE b.recorded_at < greatest(everywhere, r.before)
    GROUP BY b.rollout ORDER BY b.rollout
    ON CONFLICT (rollout) DO UPDATE
    SET late_decisions = h.late_decisions + EXCLUDED.late_decisions;
    BEGIN
        WITH firsts AS (
            SELECT DISTINCT ON (b.rollout, b.job_key) b.*
            FROM inserted AS b LEFT JOIN canary.count_horizon AS r ON r.rollout = b.rollout
            WHERE b.recorded_at >= greatest(everywhere, r.before)
            ORDER BY b.rollout, b.job_key, b.recorded_at, b.id
        ), counted AS (
            INSERT INTO canary.decisions_seen
                (rollout, job_key, recorded_at, row_id, version, rule, rate)
            SELECT rollout, job_key, recorded_at, id, version, rule, rate
            FROM firsts ORDER BY rollout, job_key
            RETURNING rollout, recorded_at, version, rule, rate
        )
        SELECT array_agg(ROW(c.*, 1)::canary.decision_change) INTO changes FROM counted AS c;
    EXCEPTION WHEN unique_violation THEN
        WITH firsts AS (
            SELECT DISTINCT ON (b.rollout, b.job_key) b.*
            FROM inserted AS b LEFT JOIN canary.count_horizon AS r ON r.rollout = b.rollout
            WHERE b.recorded_at >= greatest(everywhere, r.before)
            ORDER BY b.rollout, b.job_key, b.recorded_at, b.id
        ), counted AS (
            INSERT INTO canary.decisions_seen AS s
                (rollout, job_key, recorded_at, row_id, version, rule, rate)
            SELECT rollout, job_key, recorded_at, id, version, rule, rate
            FROM firsts ORDER BY rollout, job_key
            ON CONFLICT (rollout, job_key) DO UPDATE SET
                recorded_at = EXCLUDED.recorded_at, row_id = EXCLUDED.row_id,
                version = EXCLUDED.version, rule = EXCLUDED.rule, rate = EXCLUDED.rate,
                prev_recorded_at = s.recorded_at, prev_version = s.version,
                prev_rule = s.rule, prev_rate = s.rate
            WHERE (EXCLUDED.recorded_at, EXCLUDED.row_id) < (s.recorded_at, s.row_id)
            RETURNING s.*
        )
        SELECT array_agg(c) INTO changes FROM (
            SELECT rollout, recorded_at, version, rule, rate, 1 FROM counted
            UNION ALL
            SELECT rollout, prev_recorded_at, prev_version, prev_rule, prev_rate, -1
            FROM counted WHERE prev_recorded_at IS NOT NULL
        ) AS c;
    END;
    IF changes IS NOT NULL THEN
        PERFORM canary.count_decision_changes(changes);
    END IF;
    RETURN NULL;
END $$;

-- Only the trigger functions (running as the owner) count; nobody calls these directly.
REVOKE EXECUTE ON FUNCTION canary.count_outcome_changes(canary.outcome_change[]),
    canary.count_decision_changes(canary.decision_change[]) FROM PUBLIC;
