-- Training: the generic pass aggregate and the driver.

CREATE FUNCTION mldb._pass_step(internal, bytea, VARIADIC "any") RETURNS internal
    AS 'MODULE_PATHNAME', 'mldb_pass_step' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION mldb._pass_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'mldb_pass_combine' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION mldb._pass_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'mldb_pass_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION mldb._pass_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'mldb_pass_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION mldb._pass_final(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'mldb_pass_final' LANGUAGE C PARALLEL SAFE;

CREATE AGGREGATE mldb._pass(bytea, VARIADIC "any") (
    SFUNC = mldb._pass_step,
    STYPE = internal,
    FINALFUNC = mldb._pass_final,
    COMBINEFUNC = mldb._pass_combine,
    SERIALFUNC = mldb._pass_serialize,
    DESERIALFUNC = mldb._pass_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE mldb._pass(bytea, VARIADIC "any") IS
    'Internal: one training pass (accumulator chosen by the context bytes).';

CREATE FUNCTION mldb._split_unit(seed bigint, VARIADIC "any") RETURNS float8
    AS 'MODULE_PATHNAME', 'mldb_split_unit' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION mldb._split_unit(bigint, VARIADIC "any") IS
    'Internal: the [0,1) hash of a row that decides its train/hold-out side.';

CREATE TYPE mldb.train_result AS (
    model        text,
    version      integer,
    algorithm    text,
    rows_used    bigint,
    rows_skipped bigint,
    train_ms     float8,
    metrics      jsonb,
    deployed     boolean
);
COMMENT ON TYPE mldb.train_result IS 'The row mldb.train() returns.';

CREATE FUNCTION mldb.train(
    model     text,
    algorithm text,
    relation  text,
    target    text DEFAULT NULL,
    features  text[] DEFAULT NULL,
    options   jsonb DEFAULT '{}')
RETURNS mldb.train_result
    AS 'MODULE_PATHNAME', 'mldb_train' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mldb.train(text, text, text, text, text[], jsonb) IS
    'Train a new version of a model on a table, view or SELECT query; returns its metrics and whether it was deployed.';

CREATE PROCEDURE mldb.create_model(
    model     text,
    algorithm text,
    relation  text,
    target    text DEFAULT NULL,
    features  text[] DEFAULT NULL,
    options   jsonb DEFAULT '{}')
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM mldb.train(model, algorithm, relation, target, features, options);
END
$$;
COMMENT ON PROCEDURE mldb.create_model(text, text, text, text, text[], jsonb) IS
    'Same as mldb.train, as a procedure (CALL mldb.create_model(...)).';
