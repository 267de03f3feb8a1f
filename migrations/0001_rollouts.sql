-- Rollouts, overrides, their audit history, change notifications and the least-privilege roles.
--
-- Everything lives in the `canary` schema so the rollout store can share a database with
-- other applications. Rates are changed by people (the `canary` CLI or plain SQL); triggers
-- make both paths equal: each change is stamped, written to the history and announced with
-- NOTIFY canary_rollouts, '<rollout name>', which running workers LISTEN for.

CREATE TABLE canary.rollouts (
    name        text PRIMARY KEY
                CONSTRAINT rollout_name_format CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    -- NaN is greater than every number in Postgres, so this CHECK also refuses NaN.
    rate        double precision NOT NULL DEFAULT 0
                CONSTRAINT rate_between_0_and_1 CHECK (rate >= 0 AND rate <= 1),
    strategy    text NOT NULL DEFAULT 'sticky'
                CONSTRAINT strategy_known CHECK (strategy IN ('sticky', 'random')),
    -- Changing the salt re-randomises which subjects land in the v2 buckets.
    salt        text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', '')
                CONSTRAINT salt_length CHECK (length(salt) BETWEEN 1 AND 200),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text NOT NULL DEFAULT session_user,
    reason      text NOT NULL DEFAULT '(no reason given)'
);

CREATE TABLE canary.overrides (
    rollout     text NOT NULL REFERENCES canary.rollouts (name) ON DELETE CASCADE,
    subject     text NOT NULL CONSTRAINT subject_length CHECK (length(subject) BETWEEN 1 AND 500),
    version     smallint NOT NULL CONSTRAINT version_1_or_2 CHECK (version IN (1, 2)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL DEFAULT session_user,
    reason      text NOT NULL DEFAULT '(no reason given)',
    PRIMARY KEY (rollout, subject)
);

-- One row per change of a rollout or of one of its overrides. No foreign key: the history of
-- a deleted rollout stays.
CREATE TABLE canary.rollout_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rollout       text NOT NULL,
    change        text NOT NULL CONSTRAINT change_known CHECK (change IN (
                      'created', 'updated', 'deleted',
                      'override_added', 'override_changed', 'override_removed')),
    changed_at    timestamptz NOT NULL DEFAULT now(),
    changed_by    text NOT NULL,
    reason        text NOT NULL,
    old_rate      double precision,
    new_rate      double precision,
    old_strategy  text,
    new_strategy  text,
    salt_changed  boolean NOT NULL DEFAULT false,
    subject       text,
    old_version   smallint,
    new_version   smallint
);
CREATE INDEX rollout_history_by_rollout ON canary.rollout_history (rollout, id DESC);

-- Who and why: the CLI sets canary.actor and canary.reason for its transaction
-- (set_config(..., true)); plain SQL may set the columns itself; otherwise the session user
-- and "(no reason given)" are recorded.
CREATE FUNCTION canary.change_actor() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(nullif(current_setting('canary.actor', true), ''), session_user) $$;

CREATE FUNCTION canary.change_reason() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(nullif(current_setting('canary.reason', true), ''), '(no reason given)') $$;

CREATE FUNCTION canary.stamp_rollout() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    IF TG_OP = 'INSERT' THEN
        IF NEW.updated_by = session_user THEN NEW.updated_by := canary.change_actor(); END IF;
        IF NEW.reason = '(no reason given)' THEN NEW.reason := canary.change_reason(); END IF;
    ELSE
        -- A column left as it was means "not given in this change".
        IF NEW.updated_by IS NOT DISTINCT FROM OLD.updated_by THEN
            NEW.updated_by := canary.change_actor();
        END IF;
        IF NEW.reason IS NOT DISTINCT FROM OLD.reason THEN
            NEW.reason := canary.change_reason();
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON canary.rollouts
    FOR EACH ROW EXECUTE FUNCTION canary.stamp_rollout();

-- SECURITY DEFINER: the history is written with the owner's rights, so roles that may change
-- rates (canary_operator) still cannot write or rewrite the history themselves.
CREATE FUNCTION canary.audit_rollout() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, canary
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, new_rate, new_strategy)
        VALUES (NEW.name, 'created', NEW.updated_by, NEW.reason, NEW.rate, NEW.strategy);
        PERFORM pg_notify('canary_rollouts', NEW.name);
    ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.rate, OLD.strategy, OLD.salt) IS DISTINCT FROM (NEW.rate, NEW.strategy, NEW.salt) THEN
            INSERT INTO canary.rollout_history
                (rollout, change, changed_by, reason, old_rate, new_rate,
                 old_strategy, new_strategy, salt_changed)
            VALUES (NEW.name, 'updated', NEW.updated_by, NEW.reason, OLD.rate, NEW.rate,
                    OLD.strategy, NEW.strategy, OLD.salt IS DISTINCT FROM NEW.salt);
        END IF;
        PERFORM pg_notify('canary_rollouts', NEW.name);
    ELSE
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, old_rate, old_strategy)
        VALUES (OLD.name, 'deleted', canary.change_actor(), canary.change_reason(),
                OLD.rate, OLD.strategy);
        PERFORM pg_notify('canary_rollouts', OLD.name);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON canary.rollouts
    FOR EACH ROW EXECUTE FUNCTION canary.audit_rollout();

CREATE FUNCTION canary.stamp_override() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now();
        IF NEW.created_by = session_user THEN NEW.created_by := canary.change_actor(); END IF;
        IF NEW.reason = '(no reason given)' THEN NEW.reason := canary.change_reason(); END IF;
    ELSE
        IF NEW.created_by IS NOT DISTINCT FROM OLD.created_by THEN
            NEW.created_by := canary.change_actor();
        END IF;
        IF NEW.reason IS NOT DISTINCT FROM OLD.reason THEN
            NEW.reason := canary.change_reason();
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON canary.overrides
    FOR EACH ROW EXECUTE FUNCTION canary.stamp_override();

CREATE FUNCTION canary.audit_override() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, canary
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, subject, new_version)
        VALUES (NEW.rollout, 'override_added', NEW.created_by, NEW.reason,
                NEW.subject, NEW.version);
        PERFORM pg_notify('canary_rollouts', NEW.rollout);
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.version IS DISTINCT FROM NEW.version OR OLD.subject IS DISTINCT FROM NEW.subject THEN
            INSERT INTO canary.rollout_history
                (rollout, change, changed_by, reason, subject, old_version, new_version)
            VALUES (NEW.rollout, 'override_changed', NEW.created_by, NEW.reason,
                    NEW.subject, OLD.version, NEW.version);
        END IF;
        PERFORM pg_notify('canary_rollouts', NEW.rollout);
    ELSE
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, subject, old_version)
        VALUES (OLD.rollout, 'override_removed', canary.change_actor(), canary.change_reason(),
                OLD.subject, OLD.version);
        PERFORM pg_notify('canary_rollouts', OLD.rollout);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON canary.overrides
    FOR EACH ROW EXECUTE FUNCTION canary.audit_override();

-- The rollout the identity-verification process follows. It starts at 0: nothing goes to v2
-- until someone decides so.
SELECT set_config('canary.reason', 'created by migration 0001', true);
INSERT INTO canary.rollouts (name, rate) VALUES ('verifymenow', 0);

-- Roles (cluster-wide, so created only when missing; a concurrent migration of another database
-- may create them first). Both are NOLOGIN groups: grant them to login users, e.g.
--   CREATE ROLE verify_worker LOGIN PASSWORD '...' IN ROLE canary_worker;
-- canary_worker: what the workers need. Read rollouts and overrides, nothing else; it can never
--   change a rate. Later migrations grant it INSERT on the tables workers record into.
-- canary_operator: people and tools that change rates and overrides; reads the history but
--   cannot write it (the audit triggers do, as the owner).
DO $$
BEGIN
    CREATE ROLE canary_worker NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
    CREATE ROLE canary_operator NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

GRANT USAGE ON SCHEMA canary TO canary_worker, canary_operator;
GRANT SELECT ON canary.rollouts, canary.overrides TO canary_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON canary.rollouts, canary.overrides TO canary_operator;
GRANT SELECT ON canary.rollout_history TO canary_operator;
