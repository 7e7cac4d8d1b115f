-- mldb.drift against closed forms, the issue's check on diabetes (each
-- feature shifted by two standard deviations flags that feature and no
-- other), a categorical shift on penguins, and its errors.
--
-- Closed forms.  Every constructed table has at most 1000 rows and trains
-- with test_size 0: the training sample (2000 rows) and the drift sample
-- (5000 rows) then hold every row, so the numbers are exact up to
-- rounding (tolerance 1e-9; none of the checked values has a sampling
-- error).
--
-- Numeric: train on x = 1..1000.  The type-7 percentiles are
-- pct[k] = 1 + 9.99 k (equally spaced), so the training CDF is
-- F(x) = (x - 1) / 999 on [1, 1000]; the PSI cuts are the deciles 100.9,
-- 200.8, ..., 900.1, each bin holding 100 training values (fraction 0.1).
--  - new x = 501..1500: bins 1-5 are empty (floored to 1e-4), bins 6-9
--    hold 100 each, the last bin 600:
--      PSI = 5 (1e-4 - 0.1) ln(1e-4 / 0.1) + (0.6 - 0.1) ln 6
--          = 4.346303496465604
--    KS: F - F_new increases on [501, 1000) and, as x -> 1000 from below,
--    tends to 1 - 499/1000, so D = 0.501; effective n = 1000*1000/2000 =
--    500, p = Q_KS(sqrt(500) * 0.501), Q_KS(l) = 2 sum (-1)^(j-1)
--    exp(-2 j^2 l^2) (summed below in SQL, independently of the C code).
--  - new x = 31..1030: the first bin holds 70 (31..100), the last 130
--    (901..1030): PSI = (0.07 - 0.1) ln 0.7 + (0.13 - 0.1) ln 1.3
--    = 0.018571176252186704; D = 1 - 969/1000 = 0.031 (x -> 1000-).
--  - the training rows themselves: PSI = 0, D = 1 - 999/1000 = 0.001 (the
--    piecewise-linear CDF against the step function of the same points).
--  y = 2x + 1 is fitted exactly, so the predictions are an increasing
--  affine map of x: the prediction row has the same PSI and KS.
--
-- Categorical: train on a 500, b 300, c 200 (frequencies 0.5, 0.3, 0.2).
--  - new a 480, b 310, c 210: PSI = sum (q - p) ln(q / p); chi-square =
--    20^2/500 + 10^2/300 + 10^2/200 = 1.6333...; df = 2, and the
--    chi-square tail with 2 df is exp(-chi2 / 2).
--  - new a 400, b 300, c 200 and 100 rows of an unseen level 'd' (or NULL,
--    never seen in training): the unseen bucket has training fraction 0,
--    floored to 1e-4: PSI = (0.4 - 0.5) ln 0.8 + (0.1 - 1e-4) ln(0.1/1e-4)
--    = 0.7123991075017...; chi-square = 100^2/500 + (100 - 0.1)^2 / 0.1
--    = 99820.1 (expected count 1000 * 1e-4), df = 3.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(52);

CREATE FUNCTION pg_temp.q_ks(l float8) RETURNS float8 LANGUAGE sql AS $$
    SELECT 2 * sum((-1) ^ (j - 1) * exp(-2 * j * j * l * l)) FROM generate_series(1, 200) j
     WHERE 2 * j * j * l * l < 700    -- exp() of less underflows (an ERROR in SQL)
$$;
CREATE FUNCTION pg_temp.d(m text, rel text, f text)
RETURNS TABLE (feature text, kind text, psi float8, ks float8, chi2 float8, p_value float8, drifted boolean)
LANGUAGE sql AS $$ SELECT * FROM mldb.drift(m, rel) WHERE feature = f $$;

-- numeric closed forms ---------------------------------------------------
CREATE TABLE dr_u AS SELECT i::float8 AS x, 2 * i + 1.0 AS y FROM generate_series(1, 1000) i;
CREATE TABLE dr_u500 AS SELECT i::float8 AS x FROM generate_series(501, 1500) i;
CREATE TABLE dr_u30 AS SELECT i::float8 AS x FROM generate_series(31, 1030) i;
SELECT lives_ok($$SELECT mldb.train('dr_u', 'linear_regression', 'dr_u', 'y', ARRAY['x'], '{"test_size": 0}')$$,
                'linear regression on x = 1..1000');
SELECT is((feature_stats #>> '{sample,features,x,n}')::int, 1000, 'the training sample holds every row')
  FROM mldb.model_versions WHERE model = 'dr_u';

SELECT ok(abs(psi - (5 * (1e-4 - 0.1) * ln(1e-4 / 0.1) + 0.5 * ln(6))) < 1e-9,
          'shift by 500: PSI = 5 (1e-4 - 0.1) ln(1e-3) + 0.5 ln 6 = 4.3463')
  FROM pg_temp.d('dr_u', 'dr_u500', 'x');
SELECT ok(abs(ks - 0.501) < 1e-12, 'shift by 500: KS = 1 - 499/1000')
  FROM pg_temp.d('dr_u', 'dr_u500', 'x');
SELECT ok(abs(p_value / pg_temp.q_ks(sqrt(500) * 0.501) - 1) < 1e-9,
          'shift by 500: KS p-value = Q_KS(sqrt(500) 0.501), about 2e-109')
  FROM pg_temp.d('dr_u', 'dr_u500', 'x');
SELECT ok(kind = 'numeric' AND chi2 IS NULL AND drifted, 'numeric row: no chi-square, drifted')
  FROM pg_temp.d('dr_u', 'dr_u500', 'x');
SELECT ok(abs(p.psi - x.psi) < 1e-9 AND abs(p.ks - x.ks) < 1e-9 AND p.drifted,
          'predictions 2x + 1 drift exactly as x')
  FROM pg_temp.d('dr_u', 'dr_u500', 'x') x, pg_temp.d('dr_u', 'dr_u500', '(prediction)') p;

SELECT ok(abs(psi - (0.03 * ln(1 / 0.7) + 0.03 * ln(1.3))) < 1e-9,
          'shift by 30: PSI = 0.03 ln(1/0.7) + 0.03 ln 1.3 = 0.01857')
  FROM pg_temp.d('dr_u', 'dr_u30', 'x');
SELECT ok(abs(ks - 0.031) < 1e-12, 'shift by 30: KS = 1 - 969/1000')
  FROM pg_temp.d('dr_u', 'dr_u30', 'x');
SELECT ok(abs(p_value - pg_temp.q_ks(sqrt(500) * 0.031)) < 1e-9,
          'shift by 30: KS p-value = Q_KS(sqrt(500) 0.031) = 0.7226')
  FROM pg_temp.d('dr_u', 'dr_u30', 'x');
SELECT ok(NOT drifted, 'shift by 30 (PSI 0.019) is not a drift') FROM pg_temp.d('dr_u', 'dr_u30', 'x');

SELECT ok(psi < 1e-12 AND abs(ks - 0.001) < 1e-12 AND NOT drifted,
          'the training rows: PSI 0, KS = 1 - 999/1000')
  FROM pg_temp.d('dr_u', 'dr_u', 'x');

-- categorical closed forms -----------------------------------------------
CREATE TABLE dr_c AS
SELECT CASE WHEN i <= 500 THEN 'a' WHEN i <= 800 THEN 'b' ELSE 'c' END AS c, 0.0::float8 AS y
  FROM generate_series(1, 1000) i;
UPDATE dr_c SET y = CASE c WHEN 'a' THEN 10 WHEN 'b' THEN 20 ELSE 30 END;
SELECT lives_ok($$SELECT mldb.train('dr_c', 'linear_regression', 'dr_c', 'y', ARRAY['c'], '{"test_size": 0}')$$,
                'linear regression on one categorical column');
CREATE TABLE dr_c1 AS
SELECT CASE WHEN i <= 480 THEN 'a' WHEN i <= 790 THEN 'b' ELSE 'c' END AS c FROM generate_series(1, 1000) i;
CREATE TABLE dr_c2 AS
SELECT CASE WHEN i <= 400 THEN 'a' WHEN i <= 700 THEN 'b' WHEN i <= 900 THEN 'c' ELSE 'd' END AS c
  FROM generate_series(1, 1000) i;
CREATE TABLE dr_c3 AS
SELECT CASE WHEN i <= 400 THEN 'a' WHEN i <= 700 THEN 'b' WHEN i <= 900 THEN 'c' END AS c
  FROM generate_series(1, 1000) i;

SELECT ok(abs(psi - ((0.48 - 0.5) * ln(0.48 / 0.5) + (0.31 - 0.3) * ln(0.31 / 0.3)
                     + (0.21 - 0.2) * ln(0.21 / 0.2))) < 1e-9,
          'categorical PSI = sum (q - p) ln(q/p)')
  FROM pg_temp.d('dr_c', 'dr_c1', 'c');
SELECT ok(abs(chi2 - (0.8 + 1.0 / 3 + 0.5)) < 1e-9, 'chi-square = 20^2/500 + 10^2/300 + 10^2/200')
  FROM pg_temp.d('dr_c', 'dr_c1', 'c');
SELECT ok(abs(p_value - exp(-(0.8 + 1.0 / 3 + 0.5) / 2)) < 1e-9, 'chi-square p-value with 2 df = exp(-chi2/2)')
  FROM pg_temp.d('dr_c', 'dr_c1', 'c');
SELECT ok(kind = 'categorical' AND ks IS NULL AND NOT drifted, 'categorical row: no KS; a small move is no drift')
  FROM pg_temp.d('dr_c', 'dr_c1', 'c');
SELECT ok(abs(psi - ((0.4 - 0.5) * ln(0.8) + (0.1 - 1e-4) * ln(0.1 / 1e-4))) < 1e-9,
          'an unseen level is a bucket of its own (training fraction floored at 1e-4)')
  FROM pg_temp.d('dr_c', 'dr_c2', 'c');
SELECT ok(abs(chi2 - 99820.1) < 1e-6 AND p_value < 1e-100 AND drifted,
          'chi-square with the unseen bucket = 20 + 99.9^2 / 0.1, 3 df')
  FROM pg_temp.d('dr_c', 'dr_c2', 'c');
SELECT ok(abs(n.psi - d.psi) < 1e-12 AND abs(n.chi2 - d.chi2) < 1e-9,
          'NULL (absent from training) counts as unseen')
  FROM pg_temp.d('dr_c', 'dr_c2', 'c') d, pg_temp.d('dr_c', 'dr_c3', 'c') n;
-- the predictions take three values: percentiles interpolated between
-- them would make 1%-bins holding nothing (PSI about 0.09 on identical
-- data) were such bins not merged
SELECT ok(psi < 0.005 AND NOT drifted, 'a prediction with three values: identical data scores about 0')
  FROM pg_temp.d('dr_c', 'dr_c', '(prediction)');

-- the issue's check: diabetes --------------------------------------------
CREATE TABLE dr_diab (age float8, sex float8, bmi float8, bp float8, s1 float8, s2 float8,
                      s3 float8, s4 float8, s5 float8, s6 float8, target float8);
\copy dr_diab from 'test/data/diabetes.csv' csv header
SELECT lives_ok($$SELECT mldb.train('dr_diab', 'linear_regression', 'dr_diab', 'target')$$,
                'linear regression on diabetes (default 25% hold-out)');

-- the copy with feature f moved by two of its standard deviations
CREATE FUNCTION pg_temp.shifted(f text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    sd float8;
    cols text;
BEGIN
    EXECUTE format('SELECT stddev_samp(%I) FROM dr_diab', f) INTO sd;
    SELECT string_agg(CASE WHEN c = f THEN format('%I + %s AS %I', c, 2 * sd, c) ELSE quote_ident(c) END, ', ')
      INTO cols FROM unnest(ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']) c;
    RETURN 'SELECT ' || cols || ' FROM dr_diab';
END
$$;
CREATE TABLE dr_flags AS
SELECT f, array_agg(d.feature ORDER BY d.feature) FILTER (WHERE d.drifted AND d.feature <> '(prediction)') AS flagged,
       max(d.psi) FILTER (WHERE d.feature NOT IN (f, '(prediction)')) AS other_psi,
       bool_or(d.drifted) FILTER (WHERE d.feature = '(prediction)') AS prediction
  FROM unnest(ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6']) f,
       LATERAL mldb.drift('dr_diab', pg_temp.shifted(f)) d
 GROUP BY f;
SELECT is((SELECT count(*) FROM dr_flags WHERE flagged = ARRAY[f]), 10::bigint,
          'each of the 10 features shifted by 2 sd flags that feature and only that one');
SELECT ok((SELECT max(other_psi) FROM dr_flags) < 0.1, 'the unshifted features stay below PSI 0.1');
SELECT ok((SELECT bool_and(prediction) FROM dr_flags WHERE f IN ('bmi', 's5')),
          'shifting bmi or s5 (large coefficients) flags prediction drift');
SELECT is((SELECT count(*) FROM mldb.drift('dr_diab', 'dr_diab') WHERE drifted), 0::bigint,
          'the unshifted copy flags nothing');
SELECT is((SELECT count(*) FROM mldb.drift('dr_diab', 'dr_diab')), 11::bigint,
          'one row per feature and one for the prediction');
SELECT is((SELECT array_agg(feature) FROM mldb.drift('dr_diab', 'dr_diab')),
          ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', '(prediction)'],
          'features in the model''s order, then the prediction');

-- categorical: penguins --------------------------------------------------
CREATE TABLE dr_peng (species text, island text, bill_length_mm float8, bill_depth_mm float8,
                      flipper_length_mm float8, body_mass_g float8, sex text, year int);
\copy dr_peng from 'test/data/penguins.csv' csv header null 'NA'
SELECT lives_ok($$SELECT mldb.train('dr_peng', 'naive_bayes', 'dr_peng', 'species',
                  ARRAY['island', 'bill_length_mm', 'flipper_length_mm', 'sex'])$$, 'naive bayes on penguins');
SELECT is((SELECT count(*) FROM mldb.drift('dr_peng', 'dr_peng') WHERE drifted), 0::bigint,
          'penguins against themselves: nothing drifts');
SELECT is((SELECT kind FROM mldb.drift('dr_peng', 'dr_peng') WHERE feature = '(prediction)'), 'categorical',
          'a classifier''s prediction row compares class frequencies');
SELECT is((SELECT array_agg(feature) FROM mldb.drift('dr_peng',
              $$SELECT CASE WHEN island = 'Dream' AND bill_depth_mm > 17 THEN 'Biscoe' ELSE island END AS island,
                       bill_length_mm, flipper_length_mm, sex FROM dr_peng$$) WHERE drifted),
          ARRAY['island'], 'most Dream penguins relabelled Biscoe: island, and only island, drifts');

-- unsupervised -----------------------------------------------------------
CREATE TABLE dr_iris (sepal_length float8, sepal_width float8, petal_length float8, petal_width float8, species text);
\copy dr_iris from 'test/data/iris.csv' csv header
SELECT lives_ok($$SELECT mldb.train('dr_pca', 'pca', 'dr_iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], '{"n_components": 2}')$$, 'pca');
SELECT is((SELECT count(*) FROM mldb.drift('dr_pca', 'dr_iris') WHERE feature = '(prediction)'), 0::bigint,
          'pca predicts nothing: no prediction row');
SELECT lives_ok($$SELECT mldb.train('dr_km', 'kmeans', 'dr_iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], '{"k": 3}')$$, 'kmeans');
SELECT is((SELECT count(*) FROM mldb.drift('dr_km', 'dr_iris') WHERE feature = '(prediction)' AND NOT drifted),
          1::bigint, 'kmeans: a prediction row (cluster ids), not drifted on the training data');
-- cluster ids are categories: trained on every row (test_size 0), the
-- training frequencies are the clusters' shares of the 150 rows (the
-- sample holds them all), and a relation of setosa only (one cluster)
-- drifts by the chi-square test
SELECT is((SELECT kind FROM pg_temp.d('dr_km', 'dr_iris', '(prediction)')), 'categorical',
          'kmeans: cluster ids compared as categories');
SELECT mldb.train('dr_km0', 'kmeans', 'dr_iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                  '{"k": 3, "test_size": 0}') \g /dev/null
SELECT ok((SELECT bool_and(abs((v.value)::float8 - c.share) < 1e-12) AND count(*) = 3
             FROM jsonb_each_text((SELECT feature_stats -> 'sample' -> 'prediction' -> 'frequencies'
                                     FROM mldb.model_versions WHERE model = 'dr_km0')) v
             JOIN (SELECT mldb.predict('dr_km0', sepal_length, sepal_width, petal_length, petal_width)::int::text AS id,
                          count(*) / 150.0 AS share
                     FROM dr_iris GROUP BY 1) c ON c.id = v.key),
          'kmeans: stored cluster frequencies = the clusters'' shares of the training rows');
SELECT ok(drifted AND p_value < 1e-10, 'kmeans: setosa only (one cluster) drifts, p ' || p_value)
  FROM pg_temp.d('dr_km', 'SELECT * FROM dr_iris WHERE species = ''setosa''', '(prediction)');

-- missing values ---------------------------------------------------------
-- 30% NULLs in x.  kmeans imputes them (the mean) in its passes, so its
-- training percentiles hold a 30% spike at the mean, and the new rows'
-- NULLs are imputed the same way; the linear family keeps them apart
-- (indicator slots), and only present values are compared.
CREATE TABLE dr_nulls AS
SELECT CASE WHEN i % 10 < 3 THEN NULL ELSE sin(i) END AS x, cos(i) AS z, sin(i) + cos(i) + i % 5 AS y
  FROM generate_series(1, 3000) i;
SELECT lives_ok($$SELECT mldb.train('dr_nk', 'kmeans', 'dr_nulls', NULL, ARRAY['x', 'z'], '{"k": 2}')$$,
                'kmeans with 30% NULLs in x');
SELECT lives_ok($$SELECT mldb.train('dr_nl', 'linear_regression', 'dr_nulls', 'y', ARRAY['x', 'z'])$$,
                'linear regression with 30% NULLs in x');
SELECT ok(psi < 0.02 AND NOT drifted, 'imputing model, identical data: the imputed spike is on both sides')
  FROM pg_temp.d('dr_nk', 'dr_nulls', 'x');
SELECT ok(psi > 1 AND drifted, 'imputing model: x turning all NULL is a drift')
  FROM pg_temp.d('dr_nk', 'SELECT NULL::float8 AS x, z FROM dr_nulls', 'x');
SELECT ok(psi < 0.02 AND NOT drifted, 'indicator model, identical data')
  FROM pg_temp.d('dr_nl', 'dr_nulls', 'x');
SELECT ok(psi IS NULL AND ks IS NULL AND drifted IS NULL,
          'indicator model: no present value to compare gives NULL, not false')
  FROM pg_temp.d('dr_nl', 'SELECT NULL::float8 AS x, z FROM dr_nulls', 'x');

-- errors -----------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM mldb.drift('dr_nope', 'dr_u')$$, '42704',
                 'model "dr_nope" does not exist', 'unknown model');
SELECT throws_ok($$SELECT * FROM mldb.drift('dr_u@9', 'dr_u')$$, '42704',
                 'model "dr_u" has no version 9', 'unknown version');
SELECT throws_ok($$SELECT * FROM mldb.drift('dr_diab', 'SELECT age, sex FROM dr_diab')$$, '42703',
                 'feature column "bmi" does not exist in "SELECT age, sex FROM dr_diab"', 'missing feature column');
SELECT throws_ok($$SELECT * FROM mldb.drift('dr_u', 'SELECT x::text AS x FROM dr_u')$$, '42804',
                 NULL, 'feature column of the wrong type');
SELECT throws_ok($$SELECT * FROM mldb.drift('dr_u', 'SELECT x FROM dr_u WHERE false')$$, 'P0002',
                 NULL, 'empty relation');
SELECT throws_ok($$SELECT * FROM mldb.drift(NULL, 'dr_u')$$, '22004', NULL, 'NULL model');
UPDATE mldb.model_versions SET feature_stats = feature_stats - 'sample' WHERE model = 'dr_u';
SELECT throws_ok($$SELECT * FROM mldb.drift('dr_u', 'dr_u')$$, '55000',
                 'version 1 of model "dr_u" has no training distribution to compare with',
                 'a version without a training sample (trained before mldb kept one)');

SELECT * FROM finish();
ROLLBACK;
