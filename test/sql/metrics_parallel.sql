-- Metric aggregates under parallel query: they must plan as
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

-- Classification metric aggregates, the same way.  Their states are counts
-- (exact whatever the merge order) except log_loss's sum, and roc_auc's
-- run-length list of scores: 1000 distinct scores with many ties (score), or
-- 100000 distinct ones (score_distinct: the same plus a small jitter), so
-- that the workers ship and the leader merges large sorted runs.
CREATE TABLE cls_par AS
SELECT id,
       CASE WHEN id % 997 = 0 THEN NULL ELSE 'c' || (id % 5) END AS actual,
       CASE WHEN id % 4 = 0 THEN 'c' || (id % 3) ELSE 'c' || (id % 5) END AS predicted,
       ((id * 7919) % 1000) + (id % 7) * 100 > 700 AS label,
       CASE WHEN id % 1009 = 0 THEN NULL ELSE ((id * 7919) % 1000)::float8 / 1000 END AS score,
       ((id * 7919) % 1000)::float8 / 1000 + sin(id) / 10000 AS score_distinct
  FROM generate_series(1, 100000) id;
ANALYZE cls_par;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT mldb.roc_auc(label, score) FROM cls_par;
EXPLAIN (COSTS OFF) SELECT mldb.accuracy(actual, predicted) FROM cls_par;
EXPLAIN (COSTS OFF) CREATE TEMP TABLE cpar AS
SELECT mldb.accuracy(actual, predicted) AS acc,
       mldb.precision(actual, predicted, 'c1') AS pr, mldb.recall(actual, predicted, 'c1') AS rc,
       mldb.f1_score(actual, predicted, 'c1') AS f1,
       mldb.roc_auc(label, score) AS auc, mldb.roc_auc(label, score_distinct) AS auc_distinct,
       mldb.log_loss(label, score) AS ll,
       mldb._classification_metrics(actual, predicted) AS m
  FROM cls_par;
CREATE TEMP TABLE cpar AS
SELECT mldb.accuracy(actual, predicted) AS acc,
       mldb.precision(actual, predicted, 'c1') AS pr, mldb.recall(actual, predicted, 'c1') AS rc,
       mldb.f1_score(actual, predicted, 'c1') AS f1,
       mldb.roc_auc(label, score) AS auc, mldb.roc_auc(label, score_distinct) AS auc_distinct,
       mldb.log_loss(label, score) AS ll,
       mldb._classification_metrics(actual, predicted) AS m
  FROM cls_par;
-- only a few rows qualify: most partial states are NULL and must combine as such
SELECT mldb.accuracy(actual, predicted) AS acc_few, mldb.roc_auc(label, score) AS auc_few,
       mldb.precision(actual, predicted, 'c1') AS pr_few,
       mldb._classification_metrics(actual, predicted) -> 'classes' AS classes_few
  FROM cls_par WHERE id IN (1, 4, 9, 10);
SELECT mldb.accuracy(actual, predicted) IS NULL AS acc_no_rows_is_null,
       mldb.roc_auc(label, score) IS NULL AS auc_no_rows_is_null,
       mldb._classification_metrics(actual, predicted) IS NULL AS jsonb_no_rows_is_null
  FROM cls_par WHERE id < 0;
-- serial
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT mldb.roc_auc(label, score) FROM cls_par;
CREATE TEMP TABLE cser AS
SELECT mldb.accuracy(actual, predicted) AS acc,
       mldb.precision(actual, predicted, 'c1') AS pr, mldb.recall(actual, predicted, 'c1') AS rc,
       mldb.f1_score(actual, predicted, 'c1') AS f1,
       mldb.roc_auc(label, score) AS auc, mldb.roc_auc(label, score_distinct) AS auc_distinct,
       mldb.log_loss(label, score) AS ll,
       mldb._classification_metrics(actual, predicted) AS m
  FROM cls_par;
SELECT round(acc::numeric, 10) AS accuracy, round(pr::numeric, 10) AS precision,
       round(rc::numeric, 10) AS recall, round(f1::numeric, 10) AS f1_score,
       round(auc::numeric, 10) AS roc_auc, round(auc_distinct::numeric, 10) AS roc_auc_distinct,
       round(ll::numeric, 10) AS log_loss, m ->> 'n' AS n
  FROM cpar;
SELECT round(acc::numeric, 10) AS accuracy, round(pr::numeric, 10) AS precision,
       round(rc::numeric, 10) AS recall, round(f1::numeric, 10) AS f1_score,
       round(auc::numeric, 10) AS roc_auc, round(auc_distinct::numeric, 10) AS roc_auc_distinct,
       round(ll::numeric, 10) AS log_loss, m ->> 'n' AS n
  FROM cser;
-- counts merge exactly, so everything but log_loss is equal to the last bit
SELECT p.acc = s.acc AS acc_same, p.pr = s.pr AS pr_same, p.rc = s.rc AS rc_same,
       p.f1 = s.f1 AS f1_same, p.auc = s.auc AS auc_same,
       p.auc_distinct = s.auc_distinct AS auc_distinct_same,
       abs(p.ll - s.ll) < 1e-10 AS ll_same, p.m = s.m AS jsonb_same
  FROM cpar p, cser s;
-- and agree with plain SQL over the non-NULL rows
SELECT abs(p.acc - avg((actual = predicted)::int)) < 1e-12 AS acc_ok,
       abs(p.pr - count(*) FILTER (WHERE actual = 'c1' AND predicted = 'c1')::float8
                  / count(*) FILTER (WHERE predicted = 'c1')) < 1e-12 AS pr_ok,
       abs(p.rc - count(*) FILTER (WHERE actual = 'c1' AND predicted = 'c1')::float8
                  / count(*) FILTER (WHERE actual = 'c1')) < 1e-12 AS rc_ok,
       abs((p.m ->> 'accuracy')::float8 - p.acc) < 1e-12 AS jsonb_acc_ok,
       abs((p.m #>> '{per_class,c1,f1}')::float8 - p.f1) < 1e-12 AS jsonb_f1_ok
  FROM cls_par, cpar p
 WHERE actual IS NOT NULL
 GROUP BY p.acc, p.pr, p.rc, p.f1, p.m;
SELECT abs(p.ll - avg(CASE WHEN label THEN -ln(greatest(score, 1e-15::float8))
                           ELSE -ln(1 - least(score, 1 - 1e-15::float8)) END)) < 1e-9 AS ll_ok
  FROM cls_par, cpar p
 WHERE score IS NOT NULL
 GROUP BY p.ll;
-- roc_auc as the Mann-Whitney rank sum with midranks for ties
SELECT abs(p.auc - ((sum(midrank) FILTER (WHERE label) - npos * (npos + 1) / 2.0) / (npos * nneg))) < 1e-12 AS auc_ok
  FROM (SELECT label,
               rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2.0 AS midrank,
               count(*) FILTER (WHERE label) OVER () AS npos,
               count(*) FILTER (WHERE NOT label) OVER () AS nneg
          FROM cls_par WHERE score IS NOT NULL) r, cpar p
 GROUP BY p.auc, npos, nneg;
SELECT abs(p.auc_distinct - ((sum(midrank) FILTER (WHERE label) - npos * (npos + 1) / 2.0) / (npos * nneg))) < 1e-12 AS auc_distinct_ok
  FROM (SELECT label,
               rank() OVER (ORDER BY score_distinct) + (count(*) OVER (PARTITION BY score_distinct) - 1) / 2.0 AS midrank,
               count(*) FILTER (WHERE label) OVER () AS npos,
               count(*) FILTER (WHERE NOT label) OVER () AS nneg
          FROM cls_par) r, cpar p
 GROUP BY p.auc_distinct, npos, nneg;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE metrics_par;
DROP TABLE cls_par;
