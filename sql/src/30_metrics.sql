-- 30_metrics.sql: model-quality metrics as parallel-safe aggregates (src/metrics.c).
--
-- Each family of metrics shares one internal transition state with combine,
-- serialize and deserialize functions, so every aggregate plans as
-- Partial/Finalize Aggregate under parallel query.  Reference:
-- docs/reference-metrics.md.  Classification metrics have their section
-- below the regression one.

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

-- ---------------------------------------------------------------------------
-- Classification metrics: accuracy, precision, recall, f1_score, roc_auc,
-- log_loss, _classification_metrics
--
-- Transition functions skip a row in which a compared value is NULL and are
-- not strict (the internal state starts NULL and is created there); combine
-- functions handle a NULL state on either side.
-- ---------------------------------------------------------------------------

-- accuracy(actual anycompatible, predicted anycompatible): labels compared with
-- the default equality operator of their common type (anycompatible, so that
-- e.g. an int4 label column and an int8 prediction, or a bigint label and the
-- literal 1 as positive class, need no casts)
CREATE FUNCTION mldb._accuracy_trans(internal, anycompatible, anycompatible)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_accuracy_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._accuracy_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_accuracy_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._accuracy_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mldb_accuracy_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._accuracy_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_accuracy_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._accuracy_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_accuracy_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE mldb.accuracy(actual anycompatible, predicted anycompatible) (
    SFUNC        = mldb._accuracy_trans,
    STYPE        = internal,
    SSPACE       = 16,
    FINALFUNC    = mldb._accuracy_final,
    COMBINEFUNC  = mldb._accuracy_combine,
    SERIALFUNC   = mldb._accuracy_serialize,
    DESERIALFUNC = mldb._accuracy_deserialize,
    PARALLEL     = SAFE
);

-- precision / recall / f1_score(actual, predicted, positive): one shared
-- state of one-vs-rest counts (tp, fp, fn, tn) for the positive class
CREATE FUNCTION mldb._binary_trans(internal, anycompatible, anycompatible, anycompatible)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_binary_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._binary_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_binary_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._binary_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mldb_binary_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._binary_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_binary_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._precision_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_precision_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._recall_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_recall_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._f1_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_f1_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- PRECISION is an SQL keyword: call it schema-qualified, mldb.precision(...)
CREATE AGGREGATE mldb.precision(actual anycompatible, predicted anycompatible, positive anycompatible) (
    SFUNC        = mldb._binary_trans,
    STYPE        = internal,
    SSPACE       = 64,
    FINALFUNC    = mldb._precision_final,
    COMBINEFUNC  = mldb._binary_combine,
    SERIALFUNC   = mldb._binary_serialize,
    DESERIALFUNC = mldb._binary_deserialize,
    PARALLEL     = SAFE
);

CREATE AGGREGATE mldb.recall(actual anycompatible, predicted anycompatible, positive anycompatible) (
    SFUNC        = mldb._binary_trans,
    STYPE        = internal,
    SSPACE       = 64,
    FINALFUNC    = mldb._recall_final,
    COMBINEFUNC  = mldb._binary_combine,
    SERIALFUNC   = mldb._binary_serialize,
    DESERIALFUNC = mldb._binary_deserialize,
    PARALLEL     = SAFE
);

CREATE AGGREGATE mldb.f1_score(actual anycompatible, predicted anycompatible, positive anycompatible) (
    SFUNC        = mldb._binary_trans,
    STYPE        = internal,
    SSPACE       = 64,
    FINALFUNC    = mldb._f1_final,
    COMBINEFUNC  = mldb._binary_combine,
    SERIALFUNC   = mldb._binary_serialize,
    DESERIALFUNC = mldb._binary_deserialize,
    PARALLEL     = SAFE
);

-- roc_auc(label bool, score float8): run-length list of (score, npos, nneg),
-- sorted and merged in the final function; memory grows with distinct scores
CREATE FUNCTION mldb._rocauc_trans(internal, bool, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_rocauc_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._rocauc_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_rocauc_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._rocauc_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mldb_rocauc_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._rocauc_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_rocauc_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._rocauc_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_rocauc_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE mldb.roc_auc(label bool, score float8) (
    SFUNC        = mldb._rocauc_trans,
    STYPE        = internal,
    SSPACE       = 8192,
    FINALFUNC    = mldb._rocauc_final,
    COMBINEFUNC  = mldb._rocauc_combine,
    SERIALFUNC   = mldb._rocauc_serialize,
    DESERIALFUNC = mldb._rocauc_deserialize,
    PARALLEL     = SAFE
);

-- log_loss(label bool, p float8): count and sum of per-row losses
CREATE FUNCTION mldb._logloss_trans(internal, bool, float8)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_logloss_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._logloss_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_logloss_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._logloss_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mldb_logloss_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._logloss_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_logloss_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._logloss_final(internal)
RETURNS float8
AS 'MODULE_PATHNAME', 'mldb_logloss_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE mldb.log_loss(label bool, p float8) (
    SFUNC        = mldb._logloss_trans,
    STYPE        = internal,
    SSPACE       = 16,
    FINALFUNC    = mldb._logloss_final,
    COMBINEFUNC  = mldb._logloss_combine,
    SERIALFUNC   = mldb._logloss_serialize,
    DESERIALFUNC = mldb._logloss_deserialize,
    PARALLEL     = SAFE
);

-- _classification_metrics(actual text, predicted text): per-class counts of
-- at most 1000 classes, reported as jsonb (used by mldb.evaluate)
CREATE FUNCTION mldb._clsmetrics_trans(internal, text, text)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_clsmetrics_trans'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._clsmetrics_combine(internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_clsmetrics_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mldb._clsmetrics_serialize(internal)
RETURNS bytea
AS 'MODULE_PATHNAME', 'mldb_clsmetrics_serialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._clsmetrics_deserialize(bytea, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'mldb_clsmetrics_deserialize'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION mldb._clsmetrics_jsonb_final(internal)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'mldb_clsmetrics_jsonb_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE mldb._classification_metrics(actual text, predicted text) (
    SFUNC        = mldb._clsmetrics_trans,
    STYPE        = internal,
    SSPACE       = 1024,
    FINALFUNC    = mldb._clsmetrics_jsonb_final,
    COMBINEFUNC  = mldb._clsmetrics_combine,
    SERIALFUNC   = mldb._clsmetrics_serialize,
    DESERIALFUNC = mldb._clsmetrics_deserialize,
    PARALLEL     = SAFE
);

COMMENT ON AGGREGATE mldb.accuracy(anycompatible, anycompatible) IS
    'fraction of rows where actual = predicted (the type''s default equality), as sklearn accuracy_score; rows with a NULL actual or predicted value are skipped, NULL for no rows';
COMMENT ON AGGREGATE mldb.precision(anycompatible, anycompatible, anycompatible) IS
    'tp / (tp + fp) for the given positive class, as sklearn precision_score(pos_label=positive); 0 when nothing is predicted positive; error if the positive class never occurs; rows with a NULL actual or predicted value are skipped, NULL for no rows';
COMMENT ON AGGREGATE mldb.recall(anycompatible, anycompatible, anycompatible) IS
    'tp / (tp + fn) for the given positive class, as sklearn recall_score(pos_label=positive); 0 when no actual value is positive; error if the positive class never occurs; rows with a NULL actual or predicted value are skipped, NULL for no rows';
COMMENT ON AGGREGATE mldb.f1_score(anycompatible, anycompatible, anycompatible) IS
    'harmonic mean of precision and recall, 2 tp / (2 tp + fp + fn), for the given positive class, as sklearn f1_score(pos_label=positive); error if the positive class never occurs; rows with a NULL actual or predicted value are skipped, NULL for no rows';
COMMENT ON AGGREGATE mldb.roc_auc(bool, float8) IS
    'exact area under the ROC curve of score against label (ties count 1/2), as sklearn roc_auc_score; memory grows with the number of distinct scores; error if only one class is present or a score is NaN; rows with a NULL label or score are skipped, NULL for no rows';
COMMENT ON AGGREGATE mldb.log_loss(bool, float8) IS
    'mean of -(y log p + (1 - y) log(1 - p)) with p, the probability that label is true, clipped to [1e-15, 1 - 1e-15], as sklearn log_loss; error if p is outside [0, 1]; rows with a NULL label or p are skipped, NULL for no rows';
COMMENT ON AGGREGATE mldb._classification_metrics(text, text) IS
    'internal: accuracy and per-class, macro and weighted precision/recall/f1 of (actual, predicted) labels as jsonb, used by mldb.evaluate; at most 1000 classes; NULL for no rows';

COMMENT ON FUNCTION mldb._accuracy_trans(internal, anycompatible, anycompatible) IS
    'internal: transition function of mldb.accuracy';
COMMENT ON FUNCTION mldb._binary_trans(internal, anycompatible, anycompatible, anycompatible) IS
    'internal: transition function of mldb.precision, recall and f1_score';
COMMENT ON FUNCTION mldb._rocauc_trans(internal, bool, float8) IS
    'internal: transition function of mldb.roc_auc';
COMMENT ON FUNCTION mldb._logloss_trans(internal, bool, float8) IS
    'internal: transition function of mldb.log_loss';
COMMENT ON FUNCTION mldb._clsmetrics_trans(internal, text, text) IS
    'internal: transition function of mldb._classification_metrics';
