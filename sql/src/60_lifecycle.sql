
-- Lifecycle: retrain, incremental update, rollback, who may predict,
-- scheduled retraining through pg_cron.

CREATE FUNCTION mldb.retrain(model text) RETURNS mldb.train_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    m mldb.models;
BEGIN
    SELECT * INTO m FROM mldb.models WHERE name = retrain.model;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'model "%" does not exist', retrain.model
              USING ERRCODE = 'undefined_object',
                    HINT = 'List models with SELECT name FROM mldb.models.';
    END IF;
    RETURN mldb.train(m.name, m.algorithm, m.relation, m.target, m.features, m.options);
END
$$;
COMMENT ON FUNCTION mldb.retrain(text) IS
    'Train a new version with the stored specification over the relation''s current rows (the deploy rule applies).';

CREATE FUNCTION mldb.update(model text, relation text) RETURNS mldb.train_result
    AS 'MODULE_PATHNAME', 'mldb_update' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.update(text, text) IS
    'Fold the rows of relation into the deployed version of a model that keeps sufficient statistics (linear family), as a new version, without rereading old rows.';

CREATE FUNCTION mldb.rollback(model text) RETURNS integer
    AS 'MODULE_PATHNAME', 'mldb_rollback' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.rollback(text) IS
    'Deploy the newest version older than the deployed one; returns its number (owner only).';

CREATE FUNCTION mldb.grant_predict(model text, role text) RETURNS void
    AS 'MODULE_PATHNAME', 'mldb_grant_predict' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.grant_predict(text, text) IS
    'Allow a role (or public) to predict with a model (owner only).';

CREATE FUNCTION mldb.revoke_predict(model text, role text) RETURNS void
    AS 'MODULE_PATHNAME', 'mldb_revoke_predict' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.revoke_predict(text, text) IS
    'Withdraw a role''s (or public''s) permission to predict with a model.';

CREATE FUNCTION mldb._check_owner(model text, action text) RETURNS void
    AS 'MODULE_PATHNAME', 'mldb_check_owner' LANGUAGE C STABLE STRICT;

-- pg_cron runs the job as the role that scheduled it, with its rights.
CREATE FUNCTION mldb.schedule_retrain(model text, schedule text) RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    job bigint;
BEGIN
    PERFORM mldb._check_owner(model, 'schedule retraining of');
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'schedule must not be NULL'
              USING ERRCODE = 'null_value_not_allowed',
                    HINT = 'Pass a cron schedule such as ''0 3 * * *'' (every day at 03:00).';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
              USING ERRCODE = 'feature_not_supported',
                    HINT = 'Install postgresql-15-cron, add pg_cron to shared_preload_libraries, set cron.database_name to this database, then CREATE EXTENSION pg_cron.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)'
       INTO job
      USING 'mldb_retrain_' || model, schedule,
            format('SELECT mldb.retrain(%L)', model);
    RETURN job;
END
$$;
COMMENT ON FUNCTION mldb.schedule_retrain(text, text) IS
    'Retrain a model on a cron schedule through pg_cron (job name mldb_retrain_<model>); returns the job id.';

CREATE FUNCTION mldb.unschedule_retrain(model text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    done boolean;
BEGIN
    PERFORM mldb._check_owner(model, 'unschedule retraining of');
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in this database'
              USING ERRCODE = 'feature_not_supported',
                    HINT = 'Scheduled retraining needs pg_cron; see mldb.schedule_retrain.';
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO done USING 'mldb_retrain_' || model;
    RETURN done;
END
$$;
COMMENT ON FUNCTION mldb.unschedule_retrain(text) IS
    'Stop the scheduled retraining of a model.';
