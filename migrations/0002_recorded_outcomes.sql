-- Recorded routing decisions and verification outcomes: what `canary report` compares.
--
-- The workers append rows in batches (COPY) off the job's path; nothing updates them. Both
-- tables are logs: no foreign keys (a decision's outcome may arrive first, or never, and a
-- rollout may be deleted while its records stay), and rows are removed only by retention
-- (`canary prune`). Delivery is at-least-once: a job redelivered after a timeout, or a batch
-- re-sent after a commit whose answer was lost, can appear twice; the report counts decisions
-- once per job key.

CREATE TABLE canary.decisions (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at           timestamptz NOT NULL,
    rollout               text NOT NULL,
    process_instance_key  bigint NOT NULL,
    job_key               bigint NOT NULL,
    version               smallint NOT NULL CONSTRAINT version_1_or_2 CHECK (version IN (1, 2)),
    rule                  text NOT NULL CONSTRAINT rule_known
                          CHECK (rule IN ('sticky', 'random', 'override', 'fallback')),
    -- The subject's bucket (sticky) or the draw (random) in [0, 1); NULL for override/fallback.
    bucket                double precision,
    -- The rate in force when the decision was made; NULL for the fallback (no rate known).
    rate                  double precision
                          CONSTRAINT rate_between_0_and_1 CHECK (rate >= 0 AND rate <= 1)
);

CREATE TABLE canary.outcomes (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at           timestamptz NOT NULL,
    -- The rollout the verify job belongs to: its `rollout` task header, else the worker's
    -- configured rollout.
    rollout               text NOT NULL,
    process_instance_key  bigint NOT NULL,
    job_key               bigint NOT NULL,
    version               smallint NOT NULL CONSTRAINT version_1_or_2 CHECK (version IN (1, 2)),
    outcome               text NOT NULL CONSTRAINT outcome_known CHECK (outcome IN (
                              'verified', 'rejected', 'unreadable',
                              'transient_failure', 'incident')),
    latency_ms            double precision CONSTRAINT latency_not_negative CHECK (latency_ms >= 0),
    -- BPMN error code (business outcomes) or failure class (technical ones), never a message:
    -- messages may carry personal data.
    error_code            text CONSTRAINT error_code_length CHECK (length(error_code) <= 200),
    -- The job's retries when it was activated: 3, 2, 1 for the attempts of a job with 3.
    retries               integer NOT NULL
);

-- The report reads one rollout over a time window.
CREATE INDEX decisions_by_rollout_time ON canary.decisions (rollout, recorded_at);
CREATE INDEX outcomes_by_rollout_time ON canary.outcomes (rollout, recorded_at);
-- Retention deletes by age across rollouts; rows arrive in time order, so a BRIN index is
-- a few pages for millions of rows.
CREATE INDEX decisions_recorded_at_brin ON canary.decisions USING brin (recorded_at);
CREATE INDEX outcomes_recorded_at_brin ON canary.outcomes USING brin (recorded_at);

-- Workers append (COPY needs INSERT only; identity columns need no sequence privilege);
-- operators read. Pruning deletes and runs as the owner that applies migrations.
GRANT INSERT ON canary.decisions, canary.outcomes TO canary_worker;
GRANT SELECT ON canary.decisions, canary.outcomes TO canary_operator;
