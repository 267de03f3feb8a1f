-- The audit trail cannot be forged or lose a change (issue 16, item 6).
--
-- 1. Who really changed it: the actor (`changed_by`) is declared by whoever changes a row
--    (`--by`, CANARY_ACTOR, or `UPDATE ... SET updated_by = 'alice@prod'`). Every history row
--    now also records the database login, `session_user`, which the changer cannot choose.
--    The audit functions run as their owner (SECURITY DEFINER), which changes current_user
--    but not session_user. Rows written before this migration keep NULL: not known.
-- 2. No silent change: a change of the reason or of the actor alone (rate, strategy, salt,
--    version unchanged) used to leave no history row; now it leaves an 'updated' or
--    'override_changed' row like any other change.

ALTER TABLE canary.rollout_history ADD COLUMN database_user text;
ALTER TABLE canary.rollout_history ALTER COLUMN database_user SET DEFAULT session_user;

CREATE OR REPLACE FUNCTION canary.audit_rollout() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, canary
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, new_rate, new_strategy, database_user)
        VALUES (NEW.name, 'created', NEW.updated_by, NEW.reason, NEW.rate, NEW.strategy,
                session_user);
        PERFORM pg_notify('canary_rollouts', NEW.name);
    ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.rate, OLD.strategy, OLD.salt, OLD.reason, OLD.updated_by)
           IS DISTINCT FROM (NEW.rate, NEW.strategy, NEW.salt, NEW.reason, NEW.updated_by) THEN
            INSERT INTO canary.rollout_history
                (rollout, change, changed_by, reason, old_rate, new_rate,
                 old_strategy, new_strategy, salt_changed, database_user)
            VALUES (NEW.name, 'updated', NEW.updated_by, NEW.reason, OLD.rate, NEW.rate,
                    OLD.strategy, NEW.strategy, OLD.salt IS DISTINCT FROM NEW.salt,
                    session_user);
        END IF;
        PERFORM pg_notify('canary_rollouts', NEW.name);
    ELSE
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, old_rate, old_strategy, database_user)
        VALUES (OLD.name, 'deleted', canary.change_actor(), canary.change_reason(),
                OLD.rate, OLD.strategy, session_user);
        PERFORM pg_notify('canary_rollouts', OLD.name);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION canary.audit_override() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, canary
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, subject, new_version, database_user)
        VALUES (NEW.rollout, 'override_added', NEW.created_by, NEW.reason,
                NEW.subject, NEW.version, session_user);
        PERFORM pg_notify('canary_rollouts', NEW.rollout);
    ELSIF TG_OP = 'UPDATE' THEN
        IF (OLD.version, OLD.subject, OLD.reason, OLD.created_by)
           IS DISTINCT FROM (NEW.version, NEW.subject, NEW.reason, NEW.created_by) THEN
            INSERT INTO canary.rollout_history
                (rollout, change, changed_by, reason, subject, old_version, new_version,
                 database_user)
            VALUES (NEW.rollout, 'override_changed', NEW.created_by, NEW.reason,
                    NEW.subject, OLD.version, NEW.version, session_user);
        END IF;
        PERFORM pg_notify('canary_rollouts', NEW.rollout);
    ELSE
        INSERT INTO canary.rollout_history
            (rollout, change, changed_by, reason, subject, old_version, database_user)
        VALUES (OLD.rollout, 'override_removed', canary.change_actor(), canary.change_reason(),
                OLD.subject, OLD.version, session_user);
        PERFORM pg_notify('canary_rollouts', OLD.rollout);
    END IF;
    RETURN NULL;
END $$;
