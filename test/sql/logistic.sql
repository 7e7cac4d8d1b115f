-- logistic_regression as a user sees it: training with the default
-- hold-out, class predictions, the metrics, separable data, the parallel
-- Newton pass, hyperparameter search, warm start and the errors.  The
-- numbers themselves are checked against scikit-learn, statsmodels and
-- MADlib/Stata references in test/pgtap/logistic_reference.sql; here the
-- outputs are rounded so that the file is stable.
CREATE TABLE lr_iris (sepal_length float8, sepal_width float8, petal_length float8,
                      petal_width float8, species text);
\copy lr_iris FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER true)

-- 1. Multinomial on text labels, 25% held out (the default)
SELECT model, version, algorithm, rows_used, rows_skipped, deployed,
       metrics ->> 'split' AS split, metrics ->> 'n' AS n,
       round((metrics ->> 'accuracy')::numeric, 4) AS accuracy,
       round((metrics ->> 'log_loss')::numeric, 4) AS log_loss
  FROM mldb.train('lr_iris', 'logistic_regression', 'lr_iris', 'species');
SELECT mldb.classes('lr_iris');
SELECT k, jsonb_typeof(v) FROM jsonb_each(mldb.describe('lr_iris') -> 'params') AS e(k, v) ORDER BY k;
SELECT p ->> 'penalty' AS penalty, p ->> 'C' AS c, p ->> 'standardize' AS standardize,
       p ->> 'converged' AS converged, p ->> 'separable' AS separable,
       p ->> 'stop' AS stop, p -> 'class_counts' AS class_counts,
       jsonb_array_length(p -> 'loss_history') > 0 AS has_loss_history
  FROM (SELECT mldb.describe('lr_iris') -> 'params' AS p) s;
-- the intercepts of the K penalised vectors sum to zero
SELECT abs(sum((mldb.describe('lr_iris') -> 'params' -> 'coef' -> c ->> '(intercept)')::float8)) < 1e-9
       AS intercepts_sum_to_zero
  FROM unnest(mldb.classes('lr_iris')) c;

-- predictions: the label, the probabilities (summing to 1, the label's is
-- the largest) and one class's probability
SELECT mldb.predict_class('lr_iris', i) AS predicted, count(*)
  FROM lr_iris i GROUP BY 1 ORDER BY 1;
SELECT bool_and(abs((SELECT sum(p) FROM unnest(mldb.predict_proba('lr_iris', i)) p) - 1) < 1e-12) AS sums_to_one,
       bool_and(mldb.predict_proba('lr_iris', i, mldb.predict_class('lr_iris', i)) =
                (SELECT max(p) FROM unnest(mldb.predict_proba('lr_iris', i)) p)) AS label_is_argmax
  FROM lr_iris i;
SELECT round(mldb.predict_proba('lr_iris', '{"sepal_length": 5.1, "sepal_width": 3.5,
                                             "petal_length": 1.4, "petal_width": 0.2}'::jsonb,
                                'setosa')::numeric, 3) AS p_setosa;
-- text labels cannot be a float8
SELECT mldb.predict('lr_iris', i) FROM lr_iris i LIMIT 1;

-- the training metrics are those of mldb.evaluate on the same hold-out rows
SELECT (e ->> 'n') = (v.metrics ->> 'n') AS same_n,
       (e ->> 'accuracy') = (v.metrics ->> 'accuracy') AS same_accuracy,
       abs((e ->> 'log_loss')::float8 - (v.metrics ->> 'log_loss')::float8) < 1e-12 AS same_log_loss,
       (e -> 'per_class') = (v.metrics -> 'per_class') AS same_per_class
  FROM mldb.model_versions v, mldb.evaluate('lr_iris') e
 WHERE v.model = 'lr_iris' AND v.version = 1;

-- 2. Binary, boolean label: predict returns the label as 1/0
CREATE TABLE lr_flowers AS
SELECT *, species = 'virginica' AS virginica FROM lr_iris;
SELECT rows_used, metrics ->> 'split' AS split,
       round((metrics ->> 'accuracy')::numeric, 4) AS accuracy
  FROM mldb.train('lr_virginica', 'logistic_regression', 'lr_flowers', 'virginica',
                  ARRAY['petal_length', 'petal_width']);
SELECT mldb.classes('lr_virginica'), mldb.describe('lr_virginica') -> 'params' ->> 'positive_class' AS positive;
SELECT virginica, mldb.predict('lr_virginica', f) AS predicted, count(*)
  FROM lr_flowers f GROUP BY 1, 2 ORDER BY 1, 2;
SELECT * FROM mldb.confusion_matrix('lr_virginica', 'lr_flowers');
-- a threshold from the ROC curve: the highest one with a true positive rate >= 0.98
SELECT round(threshold::numeric, 4) AS threshold, round(tpr::numeric, 3) AS tpr, round(fpr::numeric, 3) AS fpr
  FROM mldb.roc_curve('lr_virginica', 'lr_flowers')
 WHERE tpr >= 0.98 ORDER BY threshold DESC LIMIT 1;

-- 3. Separable data: a WARNING and a flag, finite coefficients
CREATE TABLE lr_sep AS
SELECT x::float8 AS x, x > 0 AS y FROM generate_series(-20, 20) x WHERE x <> 0;
SELECT rows_used FROM mldb.train('lr_sep', 'logistic_regression', 'lr_sep', 'y', NULL,
                                 '{"test_size": 0, "penalty": "none"}');
SELECT p ->> 'separable' AS separable, p ->> 'separation' AS separation,
       p ->> 'converged' AS converged, p ? 'std_err' AS has_std_err,
       (p -> 'coef' ->> 'x')::float8 BETWEEN 0 AND 1e4 AS finite_positive_slope
  FROM (SELECT mldb.describe('lr_sep') -> 'params' AS p) s;
-- with the (default) L2 penalty the optimum exists
SELECT rows_used FROM mldb.train('lr_sep', 'logistic_regression', 'lr_sep', 'y', NULL,
                                 '{"test_size": 0}');
SELECT p ->> 'separable' AS separable, p ->> 'converged' AS converged,
       round((p -> 'coef' ->> 'x')::numeric, 4) AS slope
  FROM (SELECT mldb.describe('lr_sep') -> 'params' AS p) s;

-- 4. Each Newton iteration is one parallel aggregate pass
CREATE TABLE lr_big AS
SELECT i AS id,
       (i % 97) / 48.5 - 1 AS x1,
       sin(i)::float8 AS x2,
       ((i * 31) % 101) / 50.0 - 1 AS x3
  FROM generate_series(1, 60000) i;
ALTER TABLE lr_big ADD COLUMN y bool;
UPDATE lr_big SET y = ((id * 7919) % 10007) / 10007.0 < 1 / (1 + exp(-(0.3 + x1 - 2 * x2 + 0.5 * x3)));
VACUUM ANALYZE lr_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET mldb.explain_passes = on;
SELECT model, version, rows_used, rows_skipped
  FROM mldb.train('lr_big', 'logistic_regression', 'lr_big', 'y', ARRAY['x1', 'x2', 'x3'],
                  '{"penalty": "none"}');
SET mldb.explain_passes = off;
SELECT p ->> 'converged' AS converged,
       round((p -> 'coef' ->> '(intercept)')::numeric, 2) AS b0,
       round((p -> 'coef' ->> 'x1')::numeric, 2) AS b1,
       round((p -> 'coef' ->> 'x2')::numeric, 2) AS b2,
       round((p -> 'coef' ->> 'x3')::numeric, 2) AS b3
  FROM (SELECT mldb.describe('lr_big') -> 'params' AS p) s;
-- the same model trained serially
SET max_parallel_workers_per_gather = 0;
SELECT version FROM mldb.train('lr_big', 'logistic_regression', 'lr_big', 'y', ARRAY['x1', 'x2', 'x3'],
                               '{"penalty": "none", "deploy": "never"}');
SET max_parallel_workers_per_gather = 2;
SELECT k, abs((a.params -> 'coef' ->> k)::float8 - (b.params -> 'coef' ->> k)::float8)
            <= 1e-9 * abs((b.params -> 'coef' ->> k)::float8) AS same_coef,
       abs((a.params -> 'std_err' ->> k)::float8 - (b.params -> 'std_err' ->> k)::float8)
            <= 1e-9 * abs((b.params -> 'std_err' ->> k)::float8) AS same_std_err
  FROM mldb.model_versions a, mldb.model_versions b,
       unnest(ARRAY['(intercept)', 'x1', 'x2', 'x3']) k
 WHERE a.model = 'lr_big' AND a.version = 1 AND b.model = 'lr_big' AND b.version = 2
 ORDER BY k;
SELECT a.metrics ->> 'n' = b.metrics ->> 'n' AS same_holdout_rows,
       a.metrics ->> 'accuracy' = b.metrics ->> 'accuracy' AS same_accuracy
  FROM mldb.model_versions a, mldb.model_versions b
 WHERE a.model = 'lr_big' AND a.version = 1 AND b.model = 'lr_big' AND b.version = 2;
-- predict_proba runs inside parallel workers
EXPLAIN (COSTS OFF) SELECT sum((mldb.predict_proba('lr_big', x1, x2, x3))[2]) FROM lr_big;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- 5. Search over C by 3-fold cross-validation on the training rows
SELECT rows_used, metrics ->> 'split' AS split
  FROM mldb.train('lr_search', 'logistic_regression', 'lr_iris', 'species', NULL,
                  '{"search": {"C": [0.01, 1, 100]}, "cv": 3}');
SELECT t -> 'params' AS params, round((t ->> 'mean_accuracy')::numeric, 3) AS mean_accuracy,
       jsonb_array_length(t -> 'fold_accuracy') AS folds
  FROM mldb.model_versions, jsonb_array_elements(training_info -> 'trials') t
 WHERE model = 'lr_search' ORDER BY (t -> 'params' ->> 'C')::float8;
SELECT training_info -> 'best_params' AS best,
       (params ->> 'C')::float8 = (training_info -> 'best_params' ->> 'C')::float8 AS model_uses_best
  FROM mldb.model_versions WHERE model = 'lr_search';

-- 6. Warm start from the deployed version
SELECT version FROM mldb.train('lr_warm', 'logistic_regression', 'lr_iris', 'species', NULL,
                               '{"warm_start": true}');
SELECT version FROM mldb.train('lr_warm', 'logistic_regression', 'lr_iris', 'species', NULL,
                               '{"warm_start": true, "deploy": "always"}');
-- version 1 starts from an in-memory fit on a sample of the rows (here all
-- of them), version 2 from version 1's coefficients: each then needs at
-- most one Newton step over the table
SELECT version, params ->> 'warm_start' AS warm_start,
       (params ->> 'sample_iterations')::int > 0 AS started_on_sample,
       (params ->> 'iterations')::int <= 1 AS at_most_one_step
  FROM mldb.model_versions WHERE model = 'lr_warm' ORDER BY version;

-- 7. One-hot categoricals are not dropped: without a penalty the levels
--    are collinear with the intercept (pseudo-inverse, NOTICE); with the
--    default penalty they are fine
CREATE TABLE lr_cat AS
SELECT i, CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END AS colour,
       (i % 7) / 7.0 AS x, ((i * 13) % 10) < (i % 3) * 3 + (i % 7) / 2 AS y
  FROM generate_series(1, 300) i;
SELECT rows_used FROM mldb.train('lr_cat', 'logistic_regression', 'lr_cat', 'y',
                                 ARRAY['colour', 'x'], '{"penalty": "none", "test_size": 0}');
SELECT params ->> 'solver' AS solver, params ->> 'rank' AS rank, params ? 'std_err' AS has_std_err
  FROM mldb.model_versions WHERE model = 'lr_cat' AND version = 1;
SELECT rows_used FROM mldb.train('lr_cat', 'logistic_regression', 'lr_cat', 'y',
                                 ARRAY['colour', 'x'], '{"test_size": 0}');
SELECT params ->> 'solver' AS solver FROM mldb.model_versions WHERE model = 'lr_cat' AND version = 2;

-- 8. Errors
SELECT mldb.train('lr_e', 'logistic_regression', 'lr_iris', 'species', NULL, '{"C": 1, "alpha": 1}');
SELECT mldb.train('lr_e', 'logistic_regression', 'lr_iris', 'species', NULL, '{"penalty": "none", "alpha": 0.1}');
SELECT mldb.train('lr_e', 'logistic_regression', 'lr_iris', 'species', NULL, '{"C": 0}');
SELECT mldb.train('lr_e', 'logistic_regression', 'lr_iris', 'species', NULL, '{"penalty": "l1"}');
SELECT mldb.train('lr_e', 'logistic_regression', 'lr_iris', 'species', NULL, '{"max_iter": 0}');
SELECT mldb.train('lr_e', 'logistic_regression', 'SELECT * FROM lr_iris WHERE species = ''setosa''', 'species');
SELECT mldb.train('lr_e', 'logistic_regression',
                  'SELECT (g % 3)::text AS label, (g % 500)::text AS code FROM generate_series(1, 1500) g',
                  'label', NULL, '{"max_categories": 500, "solver": "newton"}');
SELECT mldb.train('lr_e', 'logistic_regression', 'SELECT species, 2.0::float8 AS two, petal_length FROM lr_iris',
                  'species', NULL, '{"penalty": "none"}');
SELECT mldb.predict_proba('lr_iris', i, 'rose') FROM lr_iris i LIMIT 1;
-- max_iter reached: a WARNING, the model is kept
SELECT rows_used FROM mldb.train('lr_short', 'logistic_regression', 'lr_iris', 'species', NULL,
                                 '{"max_iter": 1, "test_size": 0}');
SELECT params ->> 'converged' AS converged, params ->> 'stop' AS stop
  FROM mldb.model_versions WHERE model = 'lr_short';

SELECT mldb.drop_model(m)
  FROM unnest(ARRAY['lr_iris', 'lr_virginica', 'lr_sep', 'lr_big', 'lr_search', 'lr_warm',
                    'lr_cat', 'lr_short']) m;
DROP TABLE lr_iris, lr_flowers, lr_sep, lr_big, lr_cat;
