-- Cross-validated search: the fold scores that mldb computes from the
-- per-fold moments of one pass must equal an independent computation:
-- a separate training on the other folds' rows, scored by mldb.evaluate
-- (a second scan through predict and the r2 aggregate) on the fold's rows.
-- Folds are the training rows (u >= test_size) split by
-- fold = floor((u - test_size) / (1 - test_size) * cv), u = mldb._split_unit.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(12);

CREATE TABLE cv_d (age float8, sex float8, bmi float8, bp float8, s1 float8, s2 float8,
                   s3 float8, s4 float8, s5 float8, s6 float8, target float8);
\copy cv_d from 'test/data/diabetes.csv' csv header

CREATE TEMP TABLE cv_folds AS
SELECT d.*, floor((u - 0.25) / 0.75 * 5)::int + 1 AS fold
  FROM cv_d d,
       LATERAL (SELECT mldb._split_unit(11, target, age, sex, bmi, bp, s1, s2, s3, s4, s5, s6) AS u) s
 WHERE u >= 0.25;

SELECT lives_ok($$SELECT mldb.train('cv_ridge', 'ridge', 'cv_d', 'target', NULL,
    '{"seed": 11, "cv": 5, "search": {"alpha": [0.1, 10]}}')$$, 'ridge grid search trains');

SELECT is(jsonb_array_length(mldb.training_info('cv_ridge')->'trials'), 2, 'one trial per grid point');
SELECT is((mldb.training_info('cv_ridge')->>'cv')::int, 5, 'five folds');

-- independent fold scores for alpha = 10, folds 1 and 4
CREATE TEMP TABLE cv_check AS
SELECT f,
       (SELECT (t->'fold_r2'->>(f - 1))::float8
          FROM jsonb_array_elements(mldb.training_info('cv_ridge')->'trials') t
         WHERE (t->'params'->>'alpha')::float8 = 10) AS mldb_fold_r2
  FROM unnest(ARRAY[1, 4]) f;

SELECT mldb.train('cv_f1', 'ridge', 'SELECT * FROM cv_folds WHERE fold <> 1', 'target',
                  ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'],
                  '{"alpha": 10, "test_size": 0}') IS NOT NULL AS trained_f1;
SELECT mldb.train('cv_f4', 'ridge', 'SELECT * FROM cv_folds WHERE fold <> 4', 'target',
                  ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'],
                  '{"alpha": 10, "test_size": 0}') IS NOT NULL AS trained_f4;
SELECT ok(abs((mldb.evaluate('cv_f1', 'SELECT * FROM cv_folds WHERE fold = 1')->>'r2')::float8
              - mldb_fold_r2) < 1e-9, 'fold 1 r2 equals a separate training + evaluate')
  FROM cv_check WHERE f = 1;
SELECT ok(abs((mldb.evaluate('cv_f4', 'SELECT * FROM cv_folds WHERE fold = 4')->>'r2')::float8
              - mldb_fold_r2) < 1e-9, 'fold 4 r2 equals a separate training + evaluate')
  FROM cv_check WHERE f = 4;

-- the best setting is the trial with the highest mean r2, retrained on all
-- training rows: the same model as training it directly
SELECT is(mldb.training_info('cv_ridge')->'best_params',
          (SELECT t->'params' FROM jsonb_array_elements(mldb.training_info('cv_ridge')->'trials') t
            ORDER BY (t->>'mean_r2')::float8 DESC LIMIT 1),
          'best_params is the trial with the highest mean r2');
SELECT mldb.train('cv_direct', 'ridge', 'cv_d', 'target', NULL,
                  jsonb_build_object('seed', 11) || (mldb.training_info('cv_ridge')->'best_params')) IS NOT NULL;
SELECT ok(abs((mldb.describe('cv_ridge')->'params'->'coef'->>'bmi')::float8
              - (mldb.describe('cv_direct')->'params'->'coef'->>'bmi')::float8) < 1e-9,
          'the searched model equals the best setting trained directly');

-- random search: search_iter distinct settings, the same ones for the same seed
SELECT lives_ok($$SELECT mldb.train('cv_rand', 'elastic_net', 'cv_d', 'target', NULL,
    '{"seed": 3, "search": {"alpha": [0.01, 0.1, 1], "l1_ratio": [0.2, 0.5, 0.9]},
      "search_method": "random", "search_iter": 4}')$$, 'random search trains');
SELECT is((SELECT count(DISTINCT t->'params') FROM jsonb_array_elements(mldb.training_info('cv_rand')->'trials') t),
          4::bigint, 'four distinct settings drawn');
SELECT mldb.train('cv_rand', 'elastic_net', 'cv_d', 'target', NULL,
    '{"seed": 3, "search": {"alpha": [0.01, 0.1, 1], "l1_ratio": [0.2, 0.5, 0.9]},
      "search_method": "random", "search_iter": 4, "deploy": "always"}') IS NOT NULL;
SELECT is((SELECT jsonb_agg(t->'params') FROM jsonb_array_elements(mldb.training_info('cv_rand@1')->'trials') t),
          (SELECT jsonb_agg(t->'params') FROM jsonb_array_elements(mldb.training_info('cv_rand@2')->'trials') t),
          'same seed, same draws');

SELECT throws_ok($$SELECT mldb.train('cv_bad', 'ridge', 'SELECT * FROM cv_d LIMIT 4', 'target', NULL,
    '{"cv": 10, "search": {"alpha": [1]}, "test_size": 0}')$$, '22023', NULL, 'more folds than rows');
SELECT throws_ok($$SELECT mldb.train('cv_bad', 'ridge', 'cv_d', 'target', NULL,
    '{"search": {"l1_ratio": [0.5]}}')$$, '22023', NULL, 'ridge cannot search l1_ratio');

SELECT * FROM finish();
ROLLBACK;
