-- pgTAP: regression metric aggregates (src/metrics.c, sql/src/30_metrics.sql).
--
-- Every expected number comes from outside mldb: scikit-learn's documented
-- examples, closed forms worked out by hand below, or PostgreSQL's own
-- avg/var_pop/sqrt over the same rows.
\set ON_ERROR_STOP 1

BEGIN;
SELECT plan(58);

-- ---------------------------------------------------------------------------
-- 1. scikit-learn's docstring example
--    y = (3, -0.5, 2, 7), yhat = (2.5, 0, 2, 8); documented results
--    (https://scikit-learn.org/stable/modules/generated/sklearn.metrics.<name>.html):
--      mean_squared_error       = 0.375
--      mean_absolute_error      = 0.5
--      r2_score                 = 0.9486081370449679   (shown as 0.948... in older docs)
--      explained_variance_score = 0.9571734475374732   (shown as 0.957... in older docs)
--    By hand: e = y - yhat = (0.5, -0.5, 0, -1)
--      SSE = 0.25 + 0.25 + 0 + 1 = 1.5         -> mse = 1.5/4 = 0.375, rmse = sqrt(0.375)
--      sum|e| = 2                              -> mae = 0.5
--      mean y = 11.5/4 = 2.875, deviations (0.125, -3.375, -0.875, 4.125)
--      SST = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875 = 467/16
--      r2 = 1 - 1.5/29.1875 = 1 - 24/467 = 443/467
--      mean e = -0.25, e - mean e = (0.75, -0.25, 0.25, -0.75), sum of squares 1.25 = 20/16
--      explained_variance = 1 - 1.25/29.1875 = 1 - 20/467 = 447/467
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE sk (y float8, yhat float8);
INSERT INTO sk VALUES (3, 2.5), (-0.5, 0.0), (2, 2), (7, 8);

SELECT ok(abs(mldb.mse(y, yhat) - 0.375) < 1e-9, 'mse: sklearn example = 0.375') FROM sk;
SELECT ok(abs(mldb.mae(y, yhat) - 0.5) < 1e-9, 'mae: sklearn example = 0.5') FROM sk;
SELECT ok(abs(mldb.rmse(y, yhat) - sqrt(0.375::float8)) < 1e-9, 'rmse: sklearn example = sqrt(0.375)') FROM sk;
SELECT ok(abs(mldb.r2(y, yhat) - 443.0::float8 / 467) < 1e-9, 'r2: closed form 443/467') FROM sk;
SELECT ok(abs(mldb.r2(y, yhat) - 0.9486081370449679) < 1e-9, 'r2: sklearn r2_score = 0.9486081370449679') FROM sk;
SELECT ok(abs(mldb.explained_variance(y, yhat) - 447.0::float8 / 467) < 1e-9, 'explained_variance: closed form 447/467') FROM sk;
SELECT ok(abs(mldb.explained_variance(y, yhat) - 0.9571734475374732) < 1e-9,
          'explained_variance: sklearn explained_variance_score = 0.9571734475374732') FROM sk;

-- the jsonb summary carries the same numbers, digit for digit (shortest round-trip decimal)
SELECT is(mldb._regression_metrics(y, yhat) - 'n' - 'r2' - 'rmse' - 'mse' - 'mae' - 'explained_variance',
          '{}'::jsonb, '_regression_metrics: exactly the keys n, r2, rmse, mse, mae, explained_variance') FROM sk;
SELECT is(mldb._regression_metrics(y, yhat) -> 'n', '4'::jsonb, '_regression_metrics: n = 4') FROM sk;
SELECT is((m ->> 'r2')::float8, r2, '_regression_metrics: r2 equals mldb.r2')
  FROM (SELECT mldb._regression_metrics(y, yhat) m, mldb.r2(y, yhat) r2 FROM sk) s;
SELECT is((m ->> 'rmse')::float8, v, '_regression_metrics: rmse equals mldb.rmse')
  FROM (SELECT mldb._regression_metrics(y, yhat) m, mldb.rmse(y, yhat) v FROM sk) s;
SELECT is((m ->> 'mse')::float8, v, '_regression_metrics: mse equals mldb.mse')
  FROM (SELECT mldb._regression_metrics(y, yhat) m, mldb.mse(y, yhat) v FROM sk) s;
SELECT is((m ->> 'mae')::float8, v, '_regression_metrics: mae equals mldb.mae')
  FROM (SELECT mldb._regression_metrics(y, yhat) m, mldb.mae(y, yhat) v FROM sk) s;
SELECT is((m ->> 'explained_variance')::float8, v, '_regression_metrics: explained_variance equals mldb.explained_variance')
  FROM (SELECT mldb._regression_metrics(y, yhat) m, mldb.explained_variance(y, yhat) v FROM sk) s;

-- ---------------------------------------------------------------------------
-- 2. Further sklearn r2_score / explained_variance_score docstring examples
--    y = (1, 2, 3): mean 2, SST = 2
--      yhat = (1, 2, 3): SSE = 0            -> r2 = 1.0
--      yhat = (2, 2, 2): SSE = 2            -> r2 = 0.0
--      yhat = (3, 2, 1): e = (-2, 0, 2), SSE = 8 -> r2 = 1 - 8/2 = -3.0
--    constant y = (-2, -2, -2) (SST = 0, force_finite=True):
--      yhat = y                             -> r2 = 1.0, explained_variance = 1.0
--      yhat = (-2, -2, -2 + 1e-8)           -> r2 = 0.0, explained_variance = 0.0
-- ---------------------------------------------------------------------------
SELECT ok(abs(mldb.r2(y, yhat) - 1.0) < 1e-9, 'r2: perfect predictions = 1')
  FROM (VALUES (1::float8, 1::float8), (2, 2), (3, 3)) v(y, yhat);
SELECT ok(abs(mldb.r2(y, yhat) - 0.0) < 1e-9, 'r2: predicting the mean = 0')
  FROM (VALUES (1::float8, 2::float8), (2, 2), (3, 2)) v(y, yhat);
SELECT ok(abs(mldb.r2(y, yhat) - (-3.0)) < 1e-9, 'r2: reversed predictions = -3')
  FROM (VALUES (1::float8, 3::float8), (2, 2), (3, 1)) v(y, yhat);
SELECT is(mldb.r2(y, yhat), 1.0::float8, 'r2: constant y, perfect predictions = 1 (sklearn force_finite)')
  FROM (VALUES (-2::float8, -2::float8), (-2, -2), (-2, -2)) v(y, yhat);
SELECT is(mldb.r2(y, yhat), 0.0::float8, 'r2: constant y, imperfect predictions = 0 (sklearn force_finite)')
  FROM (VALUES (-2::float8, -2::float8), (-2, -2), (-2, -2 + 1e-8)) v(y, yhat);
SELECT is(mldb.explained_variance(y, yhat), 1.0::float8, 'explained_variance: constant y, perfect predictions = 1')
  FROM (VALUES (-2::float8, -2::float8), (-2, -2), (-2, -2)) v(y, yhat);
SELECT is(mldb.explained_variance(y, yhat), 0.0::float8, 'explained_variance: constant y, imperfect predictions = 0')
  FROM (VALUES (-2::float8, -2::float8), (-2, -2), (-2, -2 + 1e-8)) v(y, yhat);

-- A constant offset: y = (1, 2, 3), yhat = y + 1, e = (-1, -1, -1).
--   SSE = 3, SST = 2 -> r2 = 1 - 3/2 = -0.5; Var(e) = 0 -> explained_variance = 1
--   (sklearn: explained variance "does not account for systematic offsets").
SELECT ok(abs(mldb.r2(y, yhat) - (-0.5)) < 1e-9, 'r2: constant offset is penalized, = -0.5')
  FROM (VALUES (1::float8, 2::float8), (2, 3), (3, 4)) v(y, yhat);
SELECT ok(abs(mldb.explained_variance(y, yhat) - 1.0) < 1e-9, 'explained_variance: constant offset is ignored, = 1')
  FROM (VALUES (1::float8, 2::float8), (2, 3), (3, 4)) v(y, yhat);

-- ---------------------------------------------------------------------------
-- 3. 10 000 rows against PostgreSQL's own aggregates (an independent
--    computation: avg, sum and the Youngs-Cramer var_pop of float8)
--      mse  = avg(e^2)          rmse = sqrt(avg(e^2))      mae = avg(|e|)
--      r2   = 1 - sum(e^2) / (count * var_pop(y))
--      explained_variance = 1 - var_pop(e) / var_pop(y)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE big AS
SELECT i, 10 * sin(i) + i / 100.0 AS y,
       10 * sin(i) + i / 100.0 + 0.5 * cos(0.7 * i) + 0.1 AS yhat
  FROM generate_series(1, 10000) i;

CREATE TEMP TABLE big_ref AS
SELECT avg((y - yhat) ^ 2)                                AS mse,
       sqrt(avg((y - yhat) ^ 2))                          AS rmse,
       avg(abs(y - yhat))                                 AS mae,
       1 - sum((y - yhat) ^ 2) / (count(*) * var_pop(y))  AS r2,
       1 - var_pop(y - yhat) / var_pop(y)                 AS ev
  FROM big;

SELECT ok(abs(mldb.mse(y, yhat) - (SELECT mse FROM big_ref)) < 1e-9, 'mse matches avg(e^2) on 10000 rows') FROM big;
SELECT ok(abs(mldb.rmse(y, yhat) - (SELECT rmse FROM big_ref)) < 1e-9, 'rmse matches sqrt(avg(e^2)) on 10000 rows') FROM big;
SELECT ok(abs(mldb.mae(y, yhat) - (SELECT mae FROM big_ref)) < 1e-9, 'mae matches avg(abs(e)) on 10000 rows') FROM big;
SELECT ok(abs(mldb.r2(y, yhat) - (SELECT r2 FROM big_ref)) < 1e-9, 'r2 matches 1 - SSE/(n var_pop(y)) on 10000 rows') FROM big;
SELECT ok(abs(mldb.explained_variance(y, yhat) - (SELECT ev FROM big_ref)) < 1e-9,
          'explained_variance matches 1 - var_pop(e)/var_pop(y) on 10000 rows') FROM big;
SELECT is((mldb._regression_metrics(y, yhat) ->> 'n')::bigint, 10000::bigint, '_regression_metrics: n = 10000') FROM big;

-- the same per group (several states alive at once, hash or sorted grouping)
SELECT is(count(*), 3::bigint, 'per-group r2 and mse match the reference in every group')
  FROM (SELECT i % 3 AS g, mldb.r2(y, yhat) AS r2, mldb.mse(y, yhat) AS mse,
               1 - sum((y - yhat) ^ 2) / (count(*) * var_pop(y)) AS r2_ref,
               avg((y - yhat) ^ 2) AS mse_ref
          FROM big GROUP BY 1) s
 WHERE abs(r2 - r2_ref) < 1e-9 AND abs(mse - mse_ref) < 1e-9;

-- as a window aggregate (the final function must leave the state usable)
SELECT is(count(*), 10000::bigint, 'running mse over ORDER BY i matches the running avg(e^2)')
  FROM (SELECT mldb.mse(y, yhat) OVER w AS mse, avg((y - yhat) ^ 2) OVER w AS mse_ref
          FROM big WINDOW w AS (ORDER BY i)) s
 WHERE abs(mse - mse_ref) < 1e-9;

-- ---------------------------------------------------------------------------
-- 4. Numerical stability: a large offset that destroys sum-of-squares formulas.
--    i = 1..30000, y = 1e9 + (i % 10), yhat = y + 0.5 * ((i % 3) - 1)
--    (every value exact in float8; 30000 is a multiple of 10 and 3, so each
--    residue is equally frequent):
--      var_pop(y) = var of uniform{0..9} = (10^2 - 1)/12 = 8.25
--      e uniform on {0.5, 0, -0.5}: mean 0, var_pop(e) = mean(e^2) = 1/6
--      mse = 1/6, mae = 1/3, r2 = explained_variance = 1 - (1/6)/8.25 = 97/99
--    A one-pass sum(y^2) - n mean^2 would lose every digit here (sum y^2 ~ 3e22,
--    SST ~ 2.5e5, float8 resolution at 3e22 ~ 4e6).
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE offset_data AS
SELECT 1e9::float8 + (i % 10) AS y, 1e9::float8 + (i % 10) - 0.5 * ((i % 3) - 1) AS yhat
  FROM generate_series(1, 30000) i;

SELECT ok(abs(mldb.mse(y, yhat) - 1.0 / 6) < 1e-9, 'mse with offset 1e9 = 1/6') FROM offset_data;
SELECT ok(abs(mldb.mae(y, yhat) - 1.0 / 3) < 1e-9, 'mae with offset 1e9 = 1/3') FROM offset_data;
SELECT ok(abs(mldb.r2(y, yhat) - 97.0 / 99) < 1e-9, 'r2 with offset 1e9 = 97/99 (no cancellation)') FROM offset_data;
SELECT ok(abs(mldb.explained_variance(y, yhat) - 97.0 / 99) < 1e-9,
          'explained_variance with offset 1e9 = 97/99 (no cancellation)') FROM offset_data;

-- ---------------------------------------------------------------------------
-- 5. NULL handling: a row with a NULL y or yhat is skipped (as avg() skips
--    NULLs); no non-NULL row at all, or no row at all, gives NULL.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE sk_nulls AS
SELECT * FROM sk UNION ALL VALUES (NULL::float8, 1::float8), (1, NULL), (NULL, NULL);

SELECT ok(abs(mldb.mse(y, yhat) - 0.375) < 1e-9, 'mse skips rows with a NULL y or yhat') FROM sk_nulls;
SELECT ok(abs(mldb.mae(y, yhat) - 0.5) < 1e-9, 'mae skips rows with a NULL y or yhat') FROM sk_nulls;
SELECT ok(abs(mldb.r2(y, yhat) - 443.0::float8 / 467) < 1e-9, 'r2 skips rows with a NULL y or yhat') FROM sk_nulls;
SELECT ok(abs(mldb.explained_variance(y, yhat) - 447.0::float8 / 467) < 1e-9,
          'explained_variance skips rows with a NULL y or yhat') FROM sk_nulls;
SELECT is(mldb._regression_metrics(y, yhat) -> 'n', '4'::jsonb, '_regression_metrics: n counts only non-NULL pairs') FROM sk_nulls;

SELECT is(mldb.rmse(y, yhat), NULL, 'rmse of only NULL pairs is NULL')
  FROM (VALUES (NULL::float8, 1::float8), (2, NULL)) v(y, yhat);
SELECT is(mldb._regression_metrics(y, yhat), NULL, '_regression_metrics of only NULL pairs is NULL')
  FROM (VALUES (NULL::float8, 1::float8), (2, NULL)) v(y, yhat);

SELECT is(mldb.rmse(y, yhat), NULL, 'rmse of no rows is NULL') FROM sk WHERE false;
SELECT is(mldb.mse(y, yhat), NULL, 'mse of no rows is NULL') FROM sk WHERE false;
SELECT is(mldb.mae(y, yhat), NULL, 'mae of no rows is NULL') FROM sk WHERE false;
SELECT is(mldb.r2(y, yhat), NULL, 'r2 of no rows is NULL') FROM sk WHERE false;
SELECT is(mldb.explained_variance(y, yhat), NULL, 'explained_variance of no rows is NULL') FROM sk WHERE false;
SELECT is(mldb._regression_metrics(y, yhat), NULL, '_regression_metrics of no rows is NULL') FROM sk WHERE false;

-- One row, y = 3, yhat = 1: e = 2, mse = 4, rmse = mae = 2; r2 and
-- explained_variance need two rows (sklearn r2_score returns NaN for fewer
-- than two samples), so they are NULL, and JSON null in the summary.
SELECT ok(mldb.mse(3, 1) = 4 AND mldb.rmse(3, 1) = 2 AND mldb.mae(3, 1) = 2, 'one row: mse 4, rmse 2, mae 2');
SELECT is(mldb.r2(3, 1), NULL, 'one row: r2 is NULL');
SELECT is(mldb.explained_variance(3, 1), NULL, 'one row: explained_variance is NULL');
SELECT is(mldb._regression_metrics(3, 1),
          '{"n": 1, "r2": null, "mae": 2, "mse": 4, "rmse": 2, "explained_variance": null}'::jsonb,
          'one row: jsonb summary has null r2 and explained_variance');

-- ---------------------------------------------------------------------------
-- 6. Errors: NaN and infinity are rejected (22023 invalid_parameter_value);
--    finite values whose residual overflows float8 raise 22003.
-- ---------------------------------------------------------------------------
SELECT throws_ok($$SELECT mldb.rmse(y, yhat) FROM (VALUES (1::float8, 'NaN'::float8)) v(y, yhat)$$,
                 '22023', 'regression metrics are not defined for NaN or infinite values', 'NaN yhat is an error');
SELECT throws_ok($$SELECT mldb.r2(y, yhat) FROM (VALUES (1::float8, 1::float8), ('NaN', 2)) v(y, yhat)$$,
                 '22023', 'regression metrics are not defined for NaN or infinite values', 'NaN y is an error');
SELECT throws_ok($$SELECT mldb.mae(y, yhat) FROM (VALUES ('Infinity'::float8, 1::float8)) v(y, yhat)$$,
                 '22023', 'regression metrics are not defined for NaN or infinite values', 'infinite y is an error');
SELECT throws_ok($$SELECT mldb.mse(y, yhat) FROM (VALUES (1e308::float8, -1e308::float8)) v(y, yhat)$$,
                 '22003', NULL, 'a residual beyond float8 range is an overflow error');

-- ---------------------------------------------------------------------------
-- 7. Catalog: every metric aggregate is parallel safe with combine,
--    serialize and deserialize functions, and documented.
-- ---------------------------------------------------------------------------
SELECT is(count(*), 6::bigint, 'all six regression aggregates are PARALLEL SAFE with combine/serial/deserial functions')
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE p.pronamespace = 'mldb'::regnamespace
   AND p.proname IN ('rmse', 'mse', 'mae', 'r2', 'explained_variance', '_regression_metrics')
   AND p.proparallel = 's'
   AND a.aggcombinefn <> 0 AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0;
SELECT is(count(*), 6::bigint, 'all six regression aggregates have a COMMENT')
  FROM pg_proc p
 WHERE p.pronamespace = 'mldb'::regnamespace
   AND p.proname IN ('rmse', 'mse', 'mae', 'r2', 'explained_variance', '_regression_metrics')
   AND p.prokind = 'a'
   AND obj_description(p.oid, 'pg_proc') IS NOT NULL;

SELECT * FROM finish();
ROLLBACK;
