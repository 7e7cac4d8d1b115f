-- Serving, evaluation and lifecycle.

CREATE FUNCTION mldb.predict(model text, VARIADIC "any") RETURNS float8
    AS 'MODULE_PATHNAME', 'mldb_predict' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb.predict(text, VARIADIC "any") IS
    'Predict with the deployed version (or ''model@N''): pass a whole row, a numeric array, a jsonb object, or the features in order.';

CREATE FUNCTION mldb.predict_class(model text, VARIADIC "any") RETURNS text
    AS 'MODULE_PATHNAME', 'mldb_predict_class' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb.predict_class(text, VARIADIC "any") IS
    'A classifier''s predicted label, as text (same argument forms as mldb.predict).';

CREATE FUNCTION mldb.predict_proba(model text, VARIADIC "any") RETURNS float8[]
    AS 'MODULE_PATHNAME', 'mldb_predict_proba' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb.predict_proba(text, VARIADIC "any") IS
    'Class probabilities in mldb.classes(model) order (same argument forms as mldb.predict).';

CREATE FUNCTION mldb.predict_proba(model text, "row" record, class text) RETURNS float8
    AS 'MODULE_PATHNAME', 'mldb_predict_proba_class' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION mldb.predict_proba(model text, features jsonb, class text) RETURNS float8
    AS 'MODULE_PATHNAME', 'mldb_predict_proba_class' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION mldb.predict_proba(model text, features float8[], class text) RETURNS float8
    AS 'MODULE_PATHNAME', 'mldb_predict_proba_class' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb.predict_proba(text, record, text) IS
    'The probability of one class for a whole row.';
COMMENT ON FUNCTION mldb.predict_proba(text, jsonb, text) IS
    'The probability of one class for a jsonb object of features.';
COMMENT ON FUNCTION mldb.predict_proba(text, float8[], text) IS
    'The probability of one class for a feature array in the model''s order.';

CREATE FUNCTION mldb.classes(model text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'mldb_classes' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION mldb.classes(text) IS
    'A classifier''s labels, in the order of predict_proba.';

CREATE FUNCTION mldb.transform(model text, VARIADIC "any") RETURNS float8[]
    AS 'MODULE_PATHNAME', 'mldb_transform' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb.transform(text, VARIADIC "any") IS
    'Transform a row with the deployed version (or ''model@N''): pca components, kmeans distances to each centroid.';

CREATE FUNCTION mldb.explain(model text, VARIADIC "any") RETURNS jsonb
    AS 'MODULE_PATHNAME', 'mldb_explain' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb.explain(text, VARIADIC "any") IS
    'Why a prediction: each feature''s contribution and the base value, adding up to the prediction.';

CREATE FUNCTION mldb.evaluate(model text, relation text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'mldb_evaluate' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.evaluate(text, text) IS
    'Metrics of the deployed version (or ''model@N'') on its hold-out split, or on any relation with the target and feature columns.';

CREATE FUNCTION mldb.deploy(model text, version integer) RETURNS void
    AS 'MODULE_PATHNAME', 'mldb_deploy' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.deploy(text, integer) IS
    'Make a version the one mldb.predict(model, ...) uses (owner only).';

CREATE FUNCTION mldb.drop_model(model text) RETURNS void
    AS 'MODULE_PATHNAME', 'mldb_drop_model' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.drop_model(text) IS
    'Drop a model and all its versions (owner only).';

CREATE FUNCTION mldb.describe(model text) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    result jsonb;
BEGIN
    SELECT jsonb_build_object(
               'model', m.name, 'owner', m.owner,
               'algorithm', coalesce(v.algorithm, m.algorithm),
               'task', m.task, 'relation', coalesce(v.relation, m.relation),
               'target', CASE WHEN v.version IS NULL THEN m.target ELSE v.target END,
               'features', to_jsonb(coalesce(v.features, m.features)),
               'options', coalesce(v.options, m.options),
               'deployed_version', m.deployed_version, 'created_at', m.created_at,
               'version', v.version, 'trained_at', v.trained_at,
               'rows_used', v.rows_used, 'rows_skipped', v.rows_skipped,
               'train_ms', v.train_ms, 'metrics', v.metrics, 'params', v.params,
               'versions', (SELECT count(*) FROM mldb.model_versions x WHERE x.model = m.name))
      INTO result
      FROM mldb.models m
      LEFT JOIN mldb.model_versions v
             ON v.model = m.name AND v.version = m.deployed_version
     WHERE m.name = describe.model;
    IF result IS NULL THEN
        RAISE EXCEPTION 'model "%" does not exist', describe.model
              USING ERRCODE = 'undefined_object',
                    HINT = 'List models with SELECT name FROM mldb.models.';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION mldb.describe(text) IS
    'A model and its deployed version: algorithm, options, params (coefficients, statistics) and metrics of that version, as jsonb.';

CREATE FUNCTION mldb.training_info(model text) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mname text := model;
    pinned integer;
    result jsonb;
    found_version integer;
BEGIN
    IF strpos(model, '@') > 0 THEN
        mname := split_part(model, '@', 1);
        pinned := split_part(model, '@', 2)::integer;
    END IF;
    SELECT v.version, coalesce(v.training_info, '{}'::jsonb)
           || jsonb_build_object('version', v.version, 'rows_used', v.rows_used,
                                 'rows_skipped', v.rows_skipped, 'train_ms', v.train_ms)
      INTO found_version, result
      FROM mldb.models m
      JOIN mldb.model_versions v
        ON v.model = m.name AND v.version = coalesce(pinned, m.deployed_version)
     WHERE m.name = mname;
    IF found_version IS NULL THEN
        RAISE EXCEPTION 'model "%" does not exist or has no such version', model
              USING ERRCODE = 'undefined_object',
                    HINT = 'List models and versions with SELECT model, version FROM mldb.model_versions.';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION mldb.training_info(text) IS
    'How the deployed version (or ''model@N'') was trained: rows, time, and every search trial with its cross-validation scores.';
