-- Regression metric aggregates under parallel query: they must plan as
-- Partial/Finalize Aggregate (combine, serialize and deserialize functions)
-- and give the serial answer.  Numbers are rounded to 10 digits so that the
-- order in which workers' partial states are merged cannot show.
CREATE TABLE metrics_par AS
SELECT id,
       100 * sin(id) + id * 0.001 AS y,
       CASE WHEN id % 1000 = 0 THEN NULL            -- some missing predictions
            ELSE 100 * sin(id) + id * 0.001 + 2 * cos(1.3 * id) - 0.05 END AS yhat
  FROM generate_series(1, 100000) id;
ANALYZE metrics_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT mldb.rmse(y, yhat) FROM metrics_par;
-- parallel: all six aggregates share one transition state per worker
EXPLAIN (COSTS OFF) CREATE TEMP TABLE par AS
SELECT mldb.rmse(y, yhat) AS rmse, mldb.mse(y, yhat) AS mse, mldb.mae(y, yhat) AS mae,
       mldb.r2(y, yhat) AS r2, mldb.explained_variance(y, yhat) AS ev,
       mldb._regression_metrics(y, yhat) AS m
  FROM metrics_par;
CREATE TEMP TABLE par AS
SELECT mldb.rmse(y, yhat) AS rmse, mldb.mse(y, yhat) AS mse, mldb.mae(y, yhat) AS mae,
       mldb.r2(y, yhat) AS r2, mldb.explained_variance(y, yhat) AS ev,
       mldb._regression_metrics(y, yhat) AS m
  FROM metrics_par;
-- only a few rows qualify: most partial states are NULL and must combine as such
SELECT round(mldb.rmse(y, yhat)::numeric, 10) AS rmse_few,
       mldb.r2(y, yhat) IS NULL AS r2_one_row_is_null
  FROM metrics_par WHERE id = 5;
SELECT mldb.rmse(y, yhat) IS NULL AS rmse_no_rows_is_null,
       mldb._regression_metrics(y, yhat) IS NULL AS jsonb_no_rows_is_null
  FROM metrics_par WHERE id < 0;
-- serial
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT mldb.rmse(y, yhat) FROM metrics_par;
CREATE TEMP TABLE ser AS
SELECT mldb.rmse(y, yhat) AS rmse, mldb.mse(y, yhat) AS mse, mldb.mae(y, yhat) AS mae,
       mldb.r2(y, yhat) AS r2, mldb.explained_variance(y, yhat) AS ev,
       mldb._regression_metrics(y, yhat) AS m
  FROM metrics_par;
SELECT round(rmse::numeric, 10) AS rmse, round(mse::numeric, 10) AS mse,
       round(mae::numeric, 10) AS mae, round(r2::numeric, 10) AS r2,
       round(ev::numeric, 10) AS explained_variance, m ->> 'n' AS n
  FROM par;
SELECT round(rmse::numeric, 10) AS rmse, round(mse::numeric, 10) AS mse,
       round(mae::numeric, 10) AS mae, round(r2::numeric, 10) AS r2,
       round(ev::numeric, 10) AS explained_variance, m ->> 'n' AS n
  FROM ser;
SELECT abs(p.rmse - s.rmse) < 1e-10 AS rmse_same, abs(p.mse - s.mse) < 1e-10 AS mse_same,
       abs(p.mae - s.mae) < 1e-10 AS mae_same, abs(p.r2 - s.r2) < 1e-10 AS r2_same,
       abs(p.ev - s.ev) < 1e-10 AS ev_same,
       abs((p.m ->> 'r2')::float8 - p.r2) < 1e-10 AS jsonb_r2_same
  FROM par p, ser s;
-- both agree with PostgreSQL's own aggregates over the non-NULL pairs
SELECT abs(p.mse - avg((y - yhat) ^ 2)) < 1e-9 AS mse_ok,
       abs(p.mae - avg(abs(y - yhat))) < 1e-9 AS mae_ok,
       abs(p.r2 - (1 - sum((y - yhat) ^ 2) / (count(*) * var_pop(y)))) < 1e-9 AS r2_ok,
       abs(p.ev - (1 - var_pop(y - yhat) / var_pop(y))) < 1e-9 AS ev_ok
  FROM metrics_par, par p
 WHERE yhat IS NOT NULL
 GROUP BY p.mse, p.mae, p.r2, p.ev;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE metrics_par;
