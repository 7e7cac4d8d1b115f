-- Missing values in tree models: a NULL (or NaN, infinite) numeric value
-- goes to its own bin, each split learns which side it goes to, predict
-- sends it the learned way (a node whose training rows had none of it:
-- to the child with more rows), as scikit-learn's HistGradientBoosting.
--
-- Reference: scikit-learn 1.2.1 (Debian python3-sklearn, run as an oracle;
-- script and output in test/data/REFERENCES.md, section "Tree models with
-- missing values"), HistGradientBoostingRegressor / Classifier(max_depth=6,
-- no early stopping) fitted with NaN on exactly mldb's training rows
-- (mldb._split_unit(0, target, features...) >= 0.25) of diabetes and
-- breast_cancer with NULLs put in as below.  The training rows'
-- predictions are compared: scikit-learn's gradients are float32, so
-- sums agree to about 1e-10 relative (regression) and 1e-8 (classifier
-- probabilities); tolerances 1e-9 and 1e-6 relative.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(35);

-- A. an obvious learned direction: y = 10 where x IS NULL, 0 for small x,
-- 5 for large x
CREATE TABLE tm_h AS
SELECT i, CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 100)::float8 END AS x, (i % 7)::float8 AS z
  FROM generate_series(1, 1000) i;
ALTER TABLE tm_h ADD COLUMN y float8;
UPDATE tm_h SET y = CASE WHEN x IS NULL THEN 10 WHEN x < 50 THEN 0 ELSE 5 END;

SELECT lives_ok($$SELECT mldb.train('tm_dt', 'decision_tree', 'tm_h', 'y', ARRAY['x', 'z'], '{"max_depth": 2}')$$,
                'decision_tree trains on a column with NULLs (no impute option)');
SELECT is((SELECT array_agg(DISTINCT mldb.predict('tm_dt', x, z)) FROM tm_h WHERE x IS NULL), ARRAY[10::float8],
          'depth 2: every NULL row predicts 10');
SELECT is((SELECT array_agg(DISTINCT mldb.predict('tm_dt', x, z) ORDER BY mldb.predict('tm_dt', x, z))
             FROM tm_h WHERE x IS NOT NULL), ARRAY[0, 5]::float8[], 'the other rows predict 0 and 5');
SELECT is((metrics->>'r2')::float8, 1::float8, 'hold-out r2 = 1')
  FROM mldb.model_versions WHERE model = 'tm_dt';
SELECT is(mldb.predict('tm_dt', NULL::float8, 3::float8), 10::float8, 'a NULL at predict goes the learned way');
SELECT is(mldb.predict('tm_dt', 'NaN'::float8, 3::float8), 10::float8, 'NaN is missing too');
SELECT is(mldb.predict('tm_dt', '{"x": null, "z": 1}'::jsonb), 10::float8, 'jsonb null is missing too');
SELECT is((SELECT array_agg(k ORDER BY k) FROM mldb.model_versions, jsonb_object_keys(params->'feature_importances') k
            WHERE model = 'tm_dt'), ARRAY['x', 'z'], 'no indicator slot: importances of x and z only');

SELECT lives_ok($$SELECT mldb.train('tm_gbh', 'gradient_boosting', 'tm_h', 'y', ARRAY['x', 'z'],
                  '{"max_depth": 2, "min_samples_leaf": 5}')$$, 'gradient_boosting on the same');
SELECT ok((SELECT min(mldb.predict('tm_gbh', x, z)) > 9.99 AND max(mldb.predict('tm_gbh', x, z)) < 10.01
             FROM tm_h WHERE x IS NULL), 'gradient_boosting: NULL rows predict ~10');
SELECT lives_ok($$SELECT mldb.train('tm_rfh', 'random_forest', 'tm_h', 'y', ARRAY['x', 'z'], '{"n_estimators": 20}')$$,
                'random_forest on the same');
SELECT ok((SELECT min(mldb.predict('tm_rfh', x, z)) > 9 FROM tm_h WHERE x IS NULL),
          'random_forest: NULL rows predict ~10');
SELECT ok((SELECT (params->>'oob_r2')::float8 > 0.99 FROM mldb.model_versions WHERE model = 'tm_rfh'),
          'random_forest: out-of-bag rows with NULLs follow the learned way');

-- TreeSHAP follows the same way: contributions add up on NULL rows
SELECT ok((SELECT max(abs((mldb.explain(m, h)->>'prediction')::float8 - mldb.predict(m, h))) FROM tm_h h) < 1e-9,
          m || ': base value + contributions = predict, rows with NULLs too')
  FROM unnest(ARRAY['tm_dt', 'tm_gbh', 'tm_rfh']) m;
SELECT ok(abs((mldb.explain('tm_dt', '{"x": null, "z": null}'::jsonb)->>'prediction')::float8
              - mldb.predict('tm_dt', '{"x": null, "z": null}'::jsonb)) < 1e-12, 'explain of an all-NULL row');

-- B. a feature without NULLs in training: a NULL goes to the child with
-- more training rows (a stump on z: z <= 70 holds 70 rows of 100)
CREATE TABLE tm_s AS SELECT i::float8 AS z, CASE WHEN i <= 70 THEN 1 ELSE 2 END::float8 AS y
  FROM generate_series(1, 100) i;
SELECT lives_ok($$SELECT mldb.train('tm_st', 'decision_tree', 'tm_s', 'y', NULL, '{"max_depth": 1, "test_size": 0}')$$,
                'a stump on a column without NULLs');
SELECT is(mldb.predict('tm_st', NULL::float8), 1::float8, 'NULL goes to the larger (left) child');
UPDATE tm_s SET y = CASE WHEN z <= 30 THEN 1 ELSE 2 END;
SELECT lives_ok($$SELECT mldb.train('tm_st', 'decision_tree', 'tm_s', 'y', NULL, '{"max_depth": 1, "test_size": 0}')$$,
                'the stump the other way round');
SELECT is(mldb.predict('tm_st', NULL::float8), 2::float8, 'NULL goes to the larger (right) child');

-- C. an explicit impute option applies as before
SELECT ok((SELECT rows_skipped > 0 FROM mldb.train('tm_imp', 'decision_tree', 'tm_h', 'y', ARRAY['x', 'z'],
                  '{"max_depth": 2, "impute": "drop"}')), 'impute "drop": the NULL rows are skipped');
SELECT is(mldb.predict('tm_imp', NULL::float8, 3::float8), NULL, 'impute "drop": NULL predicts NULL');

-- D. against scikit-learn's HistGradientBoosting with NaN
CREATE TABLE tm_diab (age float8, sex float8, bmi float8, bp float8, s1 float8, s2 float8,
                      s3 float8, s4 float8, s5 float8, s6 float8, target float8);
\copy tm_diab from 'test/data/diabetes.csv' csv header
UPDATE tm_diab SET bmi = NULL WHERE age > 0.03;
UPDATE tm_diab SET s5 = NULL WHERE target > 200 AND sex > 0;
UPDATE tm_diab SET bp = NULL WHERE s1 < -0.04;
\ir data_breast_cancer.psql
CREATE TABLE tm_bc AS SELECT :bc_columns FROM bc ORDER BY id;
UPDATE tm_bc SET worst_perimeter = NULL WHERE mean_texture > 20;
UPDATE tm_bc SET worst_concave_points = NULL WHERE diagnosis = 'malignant' AND mean_radius > 17;
UPDATE tm_bc SET worst_radius = NULL WHERE mean_smoothness < 0.08;

SELECT lives_ok($$SELECT mldb.train('tm_gb', 'gradient_boosting', 'tm_diab', 'target')$$,
                'gradient_boosting regressor on diabetes with NULLs');
CREATE TEMP TABLE tm_dp AS
SELECT mldb.predict('tm_gb', d) AS p,
       mldb.predict('tm_gb', NULL::float8, sex, bmi, bp, s1, s2, s3, s4, s5, s6) AS p_age_null,
       num_nulls(bmi, s5, bp) > 0 AS miss
  FROM tm_diab d WHERE mldb._split_unit(0, target, age, sex, bmi, bp, s1, s2, s3, s4, s5, s6) >= 0.25;
CREATE FUNCTION pg_temp.rel(a float8, b float8) RETURNS float8 LANGUAGE sql AS $$ SELECT abs(a - b) / abs(b) $$;
SELECT is((SELECT count(*) FILTER (WHERE miss) FROM tm_dp), 172::bigint, '331 training rows, 172 with a NULL');
SELECT ok(pg_temp.rel((SELECT sum(p) FROM tm_dp), 50474.000000248292) < 1e-9,
          'training rows: sum of predictions = sklearn (1e-9)');
SELECT ok(pg_temp.rel((SELECT sum(p) FROM tm_dp WHERE miss), 28971.969403699994) < 1e-9,
          'training rows with a NULL: sum of predictions = sklearn (1e-9)');
SELECT ok(pg_temp.rel((SELECT sum(p * p) FROM tm_dp), 9265085.9500402249) < 1e-9,
          'training rows: sum of squared predictions = sklearn (1e-9)');
SELECT ok(pg_temp.rel((SELECT sum(p_age_null) FROM tm_dp WHERE NOT miss), 20914.974853377294) < 1e-9,
          'age (no NULL in training) set to NULL: the larger child, as sklearn (1e-9)');
SELECT ok(abs((metrics->>'r2')::float8 - 0.5892921790232708) < 1e-6, 'hold-out r2 = sklearn (1e-6)')
  FROM mldb.model_versions WHERE model = 'tm_gb';

SELECT lives_ok($$SELECT mldb.train('tm_gbc', 'gradient_boosting', 'tm_bc', 'diagnosis')$$,
                'gradient_boosting classifier on breast cancer with NULLs');
CREATE TEMP TABLE tm_cp AS
SELECT mldb.predict_proba('tm_gbc', d, 'malignant') AS p, mldb.predict_class('tm_gbc', d) AS c,
       num_nulls(worst_perimeter, worst_concave_points, worst_radius) > 0 AS miss
  FROM tm_bc d
 WHERE mldb._split_unit(0, :bc_split_args) >= 0.25;
SELECT ok(pg_temp.rel((SELECT sum(p) FROM tm_cp), 160.00257572009758) < 1e-6
          AND pg_temp.rel((SELECT sum(p) FROM tm_cp WHERE miss), 132.98129767908748) < 1e-6
          AND (SELECT count(*) FROM tm_cp WHERE c = 'malignant') = 160
          AND (SELECT count(*) FROM tm_cp WHERE miss) = 215,
          'classifier, training rows: sums of P(malignant) = sklearn (1e-6), same 160 predicted malignant');
SELECT ok(abs((metrics->>'accuracy')::float8 - 0.95424836601307195) <= 0.02, 'hold-out accuracy within 0.02 of sklearn')
  FROM mldb.model_versions WHERE model = 'tm_gbc';

-- E. the model's features and drift: present values only, no indicator slot
SELECT is((SELECT (feature_stats->'sample'->'features'->'bmi'->>'n')::int FROM mldb.model_versions WHERE model = 'tm_gb'),
          (SELECT count(bmi)::int FROM tm_diab WHERE mldb._split_unit(0, target, age, sex, bmi, bp, s1, s2, s3, s4, s5, s6) >= 0.25),
          'feature_stats: the present values of bmi');
SELECT is((SELECT count(*) FROM mldb.drift('tm_gb', 'tm_diab') WHERE drifted), 0::bigint,
          'drift of the training relation against itself: none');

SELECT * FROM finish();
ROLLBACK;
