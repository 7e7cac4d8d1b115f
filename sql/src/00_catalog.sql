-- mldb 0.1: the catalog.  (Fragments in sql/src/ are concatenated in
-- file-name order into sql/mldb--0.1.sql by the Makefile.)
\echo Use "CREATE EXTENSION mldb" to load this file. \quit

CREATE TABLE mldb.models (
    name             text PRIMARY KEY
                     CHECK (name <> '' AND strpos(name, '@') = 0),
    owner            regrole NOT NULL,
    algorithm        text NOT NULL,
    task             text NOT NULL,
    relation         text NOT NULL,
    target           text,
    features         text[] NOT NULL,
    options          jsonb NOT NULL DEFAULT '{}',
    deployed_version integer,
    predict_roles    regrole[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mldb.model_versions (
    model         text NOT NULL REFERENCES mldb.models (name) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version > 0),
    algorithm     text NOT NULL,
    relation      text NOT NULL,
    target        text,
    features      text[] NOT NULL,
    trained_at    timestamptz NOT NULL DEFAULT now(),
    trained_by    name NOT NULL,
    rows_used     bigint NOT NULL,
    rows_skipped  bigint NOT NULL,
    train_ms      float8 NOT NULL,
    metrics       jsonb,
    params        jsonb,
    options       jsonb NOT NULL DEFAULT '{}',
    state         bytea NOT NULL,
    feature_stats jsonb,
    training_info jsonb,
    PRIMARY KEY (model, version)
);

-- Every mldb.evaluate call, so quality over time is a query.
CREATE TABLE mldb.evaluations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model        text NOT NULL REFERENCES mldb.models (name) ON DELETE CASCADE,
    version      integer NOT NULL,
    evaluated_at timestamptz NOT NULL DEFAULT now(),
    evaluated_by name NOT NULL,
    relation     text,              -- NULL: the version's hold-out split
    metrics      jsonb NOT NULL
);
CREATE INDEX ON mldb.evaluations (model, evaluated_at);

-- Every change to the catalog empties the predict caches of all backends
-- (at their next statement, once the change commits).
CREATE FUNCTION mldb._catalog_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'mldb_catalog_changed' LANGUAGE C;
CREATE TRIGGER models_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mldb.models
    FOR EACH STATEMENT EXECUTE FUNCTION mldb._catalog_changed();
CREATE TRIGGER model_versions_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mldb.model_versions
    FOR EACH STATEMENT EXECUTE FUNCTION mldb._catalog_changed();

-- Models are data: pg_dump must carry them (extension config tables).
SELECT pg_catalog.pg_extension_config_dump('mldb.models', '');
SELECT pg_catalog.pg_extension_config_dump('mldb.model_versions', '');
SELECT pg_catalog.pg_extension_config_dump('mldb.evaluations', '');
-- and the position of its id sequence, or a restored log collides on insert
SELECT pg_catalog.pg_extension_config_dump('mldb.evaluations_id_seq', '');

-- Only mldb's C code writes the catalog (as the catalog owner, after its
-- own ownership checks).  Everyone may see which models exist and how they
-- score; the binary state is read only through predict.
GRANT USAGE ON SCHEMA mldb TO PUBLIC;
REVOKE ALL ON mldb.models, mldb.model_versions, mldb.evaluations FROM PUBLIC;
GRANT SELECT ON mldb.models, mldb.evaluations TO PUBLIC;
GRANT SELECT (model, version, algorithm, relation, target, features, trained_at, trained_by, rows_used, rows_skipped,
              train_ms, metrics, params, options, feature_stats, training_info)
    ON mldb.model_versions TO PUBLIC;

COMMENT ON TABLE mldb.models IS
    'One row per mldb model: its training specification, owner and deployed version.';
COMMENT ON TABLE mldb.model_versions IS
    'One row per trained version of a model: metrics, readable params and the binary state predict uses.';
COMMENT ON TABLE mldb.evaluations IS
    'One row per mldb.evaluate call: which version, on what, when, by whom, with what metrics.';
COMMENT ON COLUMN mldb.models.predict_roles IS
    'Roles allowed to predict besides the owner (mldb.grant_predict); 0 (shown as -) is PUBLIC.';
COMMENT ON COLUMN mldb.models.deployed_version IS
    'The version mldb.predict(''name'', ...) uses; NULL when none is deployed.';
COMMENT ON COLUMN mldb.model_versions.metrics IS
    'Evaluation at training time: on the hold-out split ("split": "holdout") or, with test_size 0, on the training rows.';
COMMENT ON COLUMN mldb.model_versions.state IS
    'Binary model state (format version and CRC-32C checked on every load).';
