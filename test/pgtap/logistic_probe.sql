-- logistic_regression on a boolean label skips the profiling pass
-- (MldbAlgorithm.probes_missing, docs/reference.md "Passes"): its moments
-- pass probes for missing features.  The fit must be the one the profiled
-- path gives (the same rows with an integer 0/1 label, test_size 0 so both
-- train on every row), whether a feature is missing or not, and a NULL at
-- predict must take the training mean, computed here by avg().
-- Tolerance: 1e-9 relative on coefficients and probabilities (both paths
-- run the same Newton iterations on the same sums).
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(14);
\ir helpers.psql
\ir data_breast_cancer.psql

ALTER TABLE bc ADD COLUMN malignant bool, ADD COLUMN m01 int;
UPDATE bc SET malignant = diagnosis = 'malignant', m01 = (diagnosis = 'malignant')::int;
-- the same rows with a missing texture in every 7th row
CREATE TABLE bc_nulls AS
SELECT id, mean_radius, CASE WHEN id % 7 = 0 THEN NULL ELSE mean_texture END AS mean_texture,
       mean_smoothness, malignant, m01
  FROM bc;

CREATE FUNCTION pg_temp.fit(model text, rel text, label text) RETURNS void LANGUAGE sql AS $$
    SELECT FROM mldb.train(model, 'logistic_regression', rel, label,
                           ARRAY['mean_radius', 'mean_texture', 'mean_smoothness'],
                           '{"test_size": 0, "C": 10}')
$$;
SELECT pg_temp.fit('probe_b', 'bc', 'malignant');
SELECT pg_temp.fit('probe_i', 'bc', 'm01');
SELECT pg_temp.fit('probe_nb', 'bc_nulls', 'malignant');
SELECT pg_temp.fit('probe_ni', 'bc_nulls', 'm01');

-- without missing values: one pass fewer, the same model
SELECT pg_temp.near(pg_temp.param('probe_b', 'coef', c), pg_temp.param('probe_i', 'coef', c), 1e-9, 1e-12,
            'no NULLs: bool label coefficient ' || c || ' = the profiled fit''s')
  FROM unnest(ARRAY['(intercept)', 'mean_radius', 'mean_texture', 'mean_smoothness']) c;
SELECT is(mldb.classes('probe_b'), ARRAY['false', 'true'], 'bool label: classes false, true');

-- with missing values: the probe finds them and trains profiled
SELECT pg_temp.near(pg_temp.param('probe_nb', 'coef', c), pg_temp.param('probe_ni', 'coef', c), 1e-9, 1e-12,
            'NULLs: bool label coefficient ' || c || ' = the profiled fit''s')
  FROM unnest(ARRAY['(intercept)', 'mean_radius', 'mean_texture', 'mean_smoothness']) c;
SELECT is((SELECT rows_used FROM mldb.model_versions WHERE model = 'probe_nb'),
          (SELECT rows_used FROM mldb.model_versions WHERE model = 'probe_ni'),
          'NULLs: both paths train on the same rows');

-- a NULL at predict is the training mean (avg over every row: test_size 0)
SELECT pg_temp.near((mldb.predict_proba('probe_b', 15.0, NULL::float8, 0.1))[2],
            (mldb.predict_proba('probe_b', 15.0, (SELECT avg(mean_texture) FROM bc), 0.1))[2],
            1e-9, 1e-12, 'no NULLs: a NULL at predict takes the training mean');
SELECT pg_temp.near((mldb.predict_proba('probe_nb', 15.0, NULL::float8, 0.1))[2],
            (mldb.predict_proba('probe_nb', 15.0, (SELECT avg(mean_texture) FROM bc_nulls), 0.1))[2],
            1e-9, 1e-12, 'NULLs: a NULL at predict takes the mean of the non-NULL values');

-- a boolean label with one class in the training rows: the profiled path's error
SELECT throws_ok($$SELECT pg_temp.fit('probe_one', 'SELECT * FROM bc WHERE malignant', 'malignant')$$,
                 '22023', 'target "malignant" has a single class (true) in the training rows',
                 'bool label with one class: the same error as a profiled training');
SELECT is((pg_temp.error_of($$SELECT pg_temp.fit('probe_one', 'SELECT * FROM bc WHERE malignant', 'malignant')$$)).hint,
          'A classifier needs at least two classes; check the relation or its WHERE clause.',
          '... with its hint');

SELECT * FROM finish();
ROLLBACK;
