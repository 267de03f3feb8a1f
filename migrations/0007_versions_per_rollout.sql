-- Versions per rollout (issue 12): a rollout names its baseline and canary versions (default 1
-- and 2), so the same rollout serves the next migration (2 -> 3). `rate` stays the canary's
-- share; everyone else gets the baseline.
--
-- 1. canary.rollouts gets baseline_version and canary_version. Existing rows take the defaults
--    1 and 2: exactly how they routed before.
-- 2. Every column that held "1 or 2" now holds any version from 1: overrides, recorded
--    decisions and recorded outcomes. The counters of 0003/0005 (outcome_counts,
--    outcome_latency, decision_counts, outcomes_seen, decisions_seen) and the history's
--    override columns never checked the version, so they need nothing.
-- 3. The pair changes only while everyone is on one version (rate 0 or 1): in between, a new
--    pair would move live subjects to versions they were never routed to. A trigger refuses it,
--    so plain SQL is held to the same rule as the CLI.
-- 4. The audit trail records the pair: each history row of a rollout carries the pair before
--    and after, and a change of the pair alone is an 'updated' row like a change of the rate.

ALTER TABLE canary.rollouts
    ADD COLUMN baseline_version smallint NOT NULL DEFAULT 1,
    ADD COLUMN canary_version smallint NOT NULL DEFAULT 2,
    ADD CONSTRAINT versions_valid
        CHECK (baseline_version >= 1 AND canary_version >= 1
               AND baseline_version <> canary_version);

-- The old constraints allowed 1 and 2 only; every row they admitted passes the new ones.
ALTER TABLE canary.overrides
    DROP CONSTRAINT version_1_or_2,
    ADD CONSTRAINT version_at_least_1 CHECK (version >= 1);
ALTER TABLE canary.decisions
    DROP CONSTRAINT version_1_or_2,
    ADD CONSTRAINT version_at_least_1 CHECK (version >= 1);
ALTER TABLE canary.outcomes
    DROP CONSTRAINT version_1_or_2,
    ADD CONSTRAINT version_at_least_1 CHECK (version >= 1);

ALTER TABLE canary.rollout_history
    ADD COLUMN old_baseline_version smallint,
    ADD COLUMN new_baseline_version smallint,
    ADD COLUMN old_canary_version smallint,
    ADD COLUMN new_canary_version smallint;

-- History rows written before this migration: every rollout then routed 1 -> 2.
UPDATE canary.rollout_history
SET old_baseline_version = CASE WHEN change IN ('updated', 'deleted') THEN 1 END,
    old_canary_version = CASE WHEN change IN ('updated', 'deleted') THEN 2 END,
    new_baseline_version = CASE WHEN change IN ('created', 'updated') THEN 1 END,
    new_canary_version = CASE WHEN change IN ('created', 'updated') THEN 2 END
WHERE change IN ('created', 'updated', 'deleted');

CREATE FUNCTION canary.guard_version_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (OLD.baseline_version, OLD.canary_version)
       IS DISTINCT FROM (NEW.baseline_version, NEW.canary_version)
       AND OLD.rate > 0 AND OLD.rate < 1 THEN
        RAISE EXCEPTION 'rollout % sends % of subjects to v% and the rest to v%: change its versions only at rate 0 or 1',
            OLD.name, round((OLD.rate * 100)::numeric, 4) || '%', OLD.canary_version,
            OLD.baseline_version
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER guard_versions BEFORE UPDATE ON canary.rollouts
    FOR EACH ROW EXECUTE FUNCTION canary.guard_version_change();

-- 0004's audit function, with the pair.
CREATE OR REPLACE FUNCTION canary.audit_rollout() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, canary
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, new_rate, new_strategy, database_user,
             new_baseline_version, new_canary_version)
        VALUES (NEW.name, 'created', NEW.updated_by, NEW.reason, NEW.rate, NEW.strategy,
                session_user, NEW.baseline_version, NEW.canary_version);
        PERFORM pg_notify('canary_rollouts', NEW.name);
    ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.rate, OLD.strategy, OLD.salt, OLD.reason, OLD.updated_by,
            OLD.baseline_version, OLD.canary_version)
           IS DISTINCT FROM (NEW.rate, NEW.strategy, NEW.salt, NEW.reason, NEW.updated_by,
                             NEW.baseline_version, NEW.canary_version) THEN
            INSERT INTO canary.rollout_history
                (rollout, change, changed_by, reason, old_rate, new_rate,
                 old_strategy, new_strategy, salt_changed, database_user,
                 old_baseline_version, new_baseline_version,
                 old_canary_version, new_canary_version)
            VALUES (NEW.name, 'updated', NEW.updated_by, NEW.reason, OLD.rate, NEW.rate,
                    OLD.strategy, NEW.strategy, OLD.salt IS DISTINCT FROM NEW.salt,
                    session_user, OLD.baseline_version, NEW.baseline_version,
                    OLD.canary_version, NEW.canary_version);
        END IF;
        PERFORM pg_notify('canary_rollouts', NEW.name);
    ELSE
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, old_rate, old_strategy, database_user,
             old_baseline_version, old_canary_version)
        VALUES (OLD.name, 'deleted', canary.change_actor(), canary.change_reason(),
                OLD.rate, OLD.strategy, session_user, OLD.baseline_version,
                OLD.canary_version);
        PERFORM pg_notify('canary_rollouts', OLD.name);
    END IF;
    RETURN NULL;
END $$;
