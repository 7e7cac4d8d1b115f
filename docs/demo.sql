-- =====================================================================
-- mldb demo: train, inspect, evaluate, serve and version a model in SQL.
--
-- Run it with   ./mldb demo   (builds mldb, starts a throwaway cluster,
-- creates a fresh database with CREATE EXTENSION mldb, runs this file).
-- By hand, from the repository root, in a fresh database that has mldb:
--   psql -X -a -v ON_ERROR_STOP=1 -d DBNAME -f docs/demo.sql
-- psql -a prints every line of this file before its result, so the
-- comments below are the narration.  docs/tutorial.md walks through it.
-- =====================================================================

\pset pager off
\pset null '(null)'

-- ---------------------------------------------------------------------
-- 1. Load the data
-- ---------------------------------------------------------------------
-- The diabetes data of Efron et al. (2004), as scikit-learn ships it:
-- 442 patients, ten baseline measurements (age, sex, body-mass index,
-- blood pressure, six blood serum values s1..s6; already centred and
-- scaled), and target, a score of disease progression one year later.
-- Source and licence: test/data/README.md.
CREATE TABLE diabetes (
    age float8, sex float8, bmi float8, bp float8,
    s1  float8, s2  float8, s3  float8, s4 float8, s5 float8, s6 float8,
    target float8
);

-- \copy is run by psql, so the path is relative to where psql runs (the
-- repository root); the server never opens the file.
\copy diabetes FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)

SELECT count(*) AS patients,
       round(avg(target)::numeric, 1) AS mean_target,
       min(target) AS min_target,
       max(target) AS max_target
FROM diabetes;

-- ---------------------------------------------------------------------
-- 2. Train a model
-- ---------------------------------------------------------------------
-- model 'diabetes', algorithm 'linear_regression', read from table
-- 'diabetes', predicting column 'target'; features NULL means every other
-- column.  By default a quarter of the rows is held out for evaluation;
-- the split is a hash of each row and the seed, so it is the same on
-- every run.  The result is one row; \x shows it one field per line.
\x on
SELECT * FROM mldb.train('diabetes', 'linear_regression', 'diabetes', 'target', NULL, '{"seed": 42}');
\x off

-- ---------------------------------------------------------------------
-- 3. Look inside
-- ---------------------------------------------------------------------
-- mldb.describe(model) -> 'params' holds the fitted parameters as readable
-- JSON.  Its summary numbers (rows, R^2 and adjusted R^2 on the training
-- rows, residual standard error, condition number, solver) ...
SELECT jsonb_pretty(p - 'coef' - 'std_err' - 't_stats' - 'p_values') AS summary
FROM (SELECT mldb.describe('diabetes') -> 'params' AS p) d;

-- ... and, per term, the coefficient with the statistics of ordinary least
-- squares: standard error, t statistic and p-value (as R's summary(lm)).
SELECT t.term,
       round(t.coef::numeric, 2)                           AS coef,
       round((d.p -> 'std_err' ->> t.term)::numeric, 2)    AS std_err,
       round((d.p -> 't_stats' ->> t.term)::numeric, 2)    AS t_stat,
       to_char((d.p -> 'p_values' ->> t.term)::float8, '9.9EEEE') AS p_value
FROM (SELECT mldb.describe('diabetes') -> 'params' AS p) d,
     jsonb_each_text(d.p -> 'coef') AS t(term, coef)
ORDER BY t.term <> '(intercept)', abs(t.coef::float8) DESC;

-- ---------------------------------------------------------------------
-- 4. Evaluate on the held-out rows
-- ---------------------------------------------------------------------
-- The rows the model never saw: R^2, RMSE, MAE, MSE, explained variance.
SELECT jsonb_pretty(mldb.evaluate('diabetes')) AS holdout_metrics;

-- ---------------------------------------------------------------------
-- 5. Predict
-- ---------------------------------------------------------------------
-- Pass the whole row: its columns are matched to the features by name
-- (target is simply ignored).
SELECT target AS actual,
       round(mldb.predict('diabetes', d)::numeric, 1) AS predicted
FROM diabetes d
LIMIT 5;

-- Or pass the features as arguments, in training order: the fastest form.
-- predict is an ordinary PARALLEL SAFE function, usable anywhere in a
-- query: a WHERE clause, a join, an ORDER BY, an UPDATE, a view ...
SELECT target AS actual,
       round(mldb.predict('diabetes', age, sex, bmi, bp, s1, s2, s3, s4, s5, s6)::numeric, 1) AS predicted
FROM diabetes
WHERE mldb.predict('diabetes', age, sex, bmi, bp, s1, s2, s3, s4, s5, s6) > 250
ORDER BY predicted DESC
LIMIT 5;

-- The metrics are plain aggregates too, for any query.  Here over all 442
-- rows, training rows included: an optimistic number, which is why
-- evaluate() scores the held-out rows only.
SELECT round(mldb.rmse(target, mldb.predict('diabetes', age, sex, bmi, bp, s1, s2, s3, s4, s5, s6))::numeric, 2) AS rmse,
       round(mldb.r2(target, mldb.predict('diabetes', age, sex, bmi, bp, s1, s2, s3, s4, s5, s6))::numeric, 3)   AS r2
FROM diabetes;

-- ---------------------------------------------------------------------
-- 6. A second version: ridge regression
-- ---------------------------------------------------------------------
-- Training under the same model name adds version 2.  Same seed, so the
-- same rows are held out and the two versions are scored on equal terms.
-- The deploy rule (option "deploy", default "best") makes version 2 the
-- one predict() serves only if its hold-out score is no worse than the
-- deployed version's; the column "deployed" says what happened.
\x on
SELECT * FROM mldb.train('diabetes', 'ridge', 'diabetes', 'target', options => '{"alpha": 1.0, "seed": 42}');
\x off

-- Every version is kept, with its metrics.
SELECT model, version, rows_used, jsonb_pretty(metrics) AS metrics
FROM mldb.model_versions
WHERE model = 'diabetes'
ORDER BY version;

SELECT name, deployed_version FROM mldb.models WHERE name = 'diabetes';

-- 'model@N' pins a version, to compare them side by side.
SELECT target AS actual,
       round(mldb.predict('diabetes@1', d)::numeric, 1) AS v1_linear,
       round(mldb.predict('diabetes@2', d)::numeric, 1) AS v2_ridge,
       round(mldb.predict('diabetes', d)::numeric, 1)   AS deployed
FROM diabetes d
LIMIT 5;

-- ---------------------------------------------------------------------
-- 7. Choose the version to serve
-- ---------------------------------------------------------------------
-- deploy() moves the pointer explicitly (mldb.rollback() goes back one
-- step).  Every session sees the change from its next statement on.
SELECT mldb.deploy('diabetes', 1);

SELECT name, deployed_version FROM mldb.models WHERE name = 'diabetes';
