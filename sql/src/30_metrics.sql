-- 30_metrics.sql: model-quality metrics as parallel-safe aggregates (src/metrics.c).
--
-- Each family of metrics shares one internal transition state with combine,
-- serialize and deserialize functions, so every aggregate plans as
-- Partial/Finalize Aggregate under parallel query.  Reference:
-- docs/reference-metrics.md.  Classification metrics get a section of their
-- own below the regression one.

-- ---------------------------------------------------------------------------
-- Regression metrics: rmse, mse, mae, r2, explained_variance, _regression_metrics
-- ---------------------------------------------------------------------------

-- Transition: skips rows where y or yhat is NULL, errors on NaN/infinity.
-- Not strict, because the internal state starts NULL and is created here.
CREATE FUNCTION mldb._regmetrics_trans(internal, float8, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_regmetrics_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- Combine: handles a NULL state on either side (an internal-state combine
-- function must not be strict).
CREATE FUNCTION mldb._regmetrics_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_regmetrics_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mldb_regmetrics_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_regmetrics_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_mse_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_regmetrics_mse_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_rmse_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_regmetrics_rmse_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_mae_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_regmetrics_mae_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_r2_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_regmetrics_r2_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_explained_variance_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_regmetrics_explained_variance_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._regmetrics_jsonb_final(internal)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mldb_regmetrics_jsonb_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE mldb.mse(y float8, yhat float8) (
    SFUNC        = mldb._regmetrics_trans,
    STYPE        = internal,
    SSPACE       = 56,
    FINALFUNC    = mldb._regmetrics_mse_final,
    COMBINEFUNC  = mldb._regmetrics_combine,
    SERIALFUNC   = mldb._regmetrics_serialize,
    DESERIALFUNC = mldb._regmetrics_deserialize,
    PARALLEL     = SAFE
);

CREATE AGGREGATE mldb.rmse(y float8, yhat float8) (
    SFUNC        = mldb._regmetrics_trans,
    STYPE        = internal,
    SSPACE       = 56,
    FINALFUNC    = mldb._regmetrics_rmse_final,
    COMBINEFUNC  = mldb._regmetrics_combine,
    SERIALFUNC   = mldb._regmetrics_serialize,
    DESERIALFUNC = mldb._regmetrics_deserialize,
    PARALLEL     = SAFE
);

CREATE AGGREGATE mldb.mae(y float8, yhat float8) (
    SFUNC        = mldb._regmetrics_trans,
    STYPE        = internal,
    SSPACE       = 56,
    FINALFUNC    = mldb._regmetrics_mae_final,
    COMBINEFUNC  = mldb._regmetrics_combine,
    SERIALFUNC   = mldb._regmetrics_serialize,
    DESERIALFUNC = mldb._regmetrics_deserialize,
    PARALLEL     = SAFE
);

CREATE AGGREGATE mldb.r2(y float8, yhat float8) (
    SFUNC        = mldb._regmetrics_trans,
    STYPE        = internal,
    SSPACE       = 56,
    FINALFUNC    = mldb._regmetrics_r2_final,
    COMBINEFUNC  = mldb._regmetrics_combine,
    SERIALFUNC   = mldb._regmetrics_serialize,
    DESERIALFUNC = mldb._regmetrics_deserialize,
    PARALLEL     = SAFE
);

CREATE AGGREGATE mldb.explained_variance(y float8, yhat float8) (
    SFUNC        = mldb._regmetrics_trans,
    STYPE        = internal,
    SSPACE       = 56,
    FINALFUNC    = mldb._regmetrics_explained_variance_final,
    COMBINEFUNC  = mldb._regmetrics_combine,
    SERIALFUNC   = mldb._regmetrics_serialize,
    DESERIALFUNC = mldb._regmetrics_deserialize,
    PARALLEL     = SAFE
);

CREATE AGGREGATE mldb._regression_metrics(y float8, yhat float8) (
    SFUNC        = mldb._regmetrics_trans,
    STYPE        = internal,
    SSPACE       = 56,
    FINALFUNC    = mldb._regmetrics_jsonb_final,
    COMBINEFUNC  = mldb._regmetrics_combine,
    SERIALFUNC   = mldb._regmetrics_serialize,
    DESERIALFUNC = mldb._regmetrics_deserialize,
    PARALLEL     = SAFE
);

COMMENT ON AGGREGATE mldb.mse(float8, float8) IS
    'mean squared error avg((y - yhat)^2), as sklearn mean_squared_error; rows with a NULL y or yhat are skipped, NaN/infinity is an error, NULL for no rows';
COMMENT ON AGGREGATE mldb.rmse(float8, float8) IS
    'root mean squared error sqrt(avg((y - yhat)^2)); rows with a NULL y or yhat are skipped, NaN/infinity is an error, NULL for no rows';
COMMENT ON AGGREGATE mldb.mae(float8, float8) IS
    'mean absolute error avg(abs(y - yhat)), as sklearn mean_absolute_error; rows with a NULL y or yhat are skipped, NaN/infinity is an error, NULL for no rows';
COMMENT ON AGGREGATE mldb.r2(float8, float8) IS
    'coefficient of determination 1 - SSE/SST, as sklearn r2_score (constant y: 1 if predictions are perfect, else 0); rows with a NULL y or yhat are skipped, NaN/infinity is an error, NULL for fewer than 2 rows';
COMMENT ON AGGREGATE mldb.explained_variance(float8, float8) IS
    'explained variance 1 - var_pop(y - yhat)/var_pop(y), as sklearn explained_variance_score (constant y: 1 if var_pop(y - yhat) = 0, else 0); rows with a NULL y or yhat are skipped, NaN/infinity is an error, NULL for fewer than 2 rows';
COMMENT ON AGGREGATE mldb._regression_metrics(float8, float8) IS
    'internal: all regression metrics of (y, yhat) as jsonb {n, r2, rmse, mse, mae, explained_variance}, used by mldb.evaluate; NULL for no rows';

COMMENT ON FUNCTION mldb._regmetrics_trans(internal, float8, float8) IS
    'internal: transition function of the regression metric aggregates';
COMMENT ON FUNCTION mldb._regmetrics_combine(internal, internal) IS
    'internal: merges two regression metric states (Chan et al. 1979)';
COMMENT ON FUNCTION mldb._regmetrics_serialize(internal) IS
    'internal: regression metric state to bytea for parallel workers';
COMMENT ON FUNCTION mldb._regmetrics_deserialize(bytea, internal) IS
    'internal: bytea to regression metric state, validated';
