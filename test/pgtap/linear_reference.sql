-- linear_reference.sql: mldb's linear models against reference values
-- written down with their source, never against mldb's own output.
--
--   * closed forms worked by hand below (exact line; a 4-point line);
--   * NIST StRD Longley, certified values (test/data/longley.csv);
--   * scikit-learn 1.2.1 / statsmodels 0.13.5 / numpy 1.24.2 (Debian 12
--     packages) on the scikit-learn diabetes data (test/data/diabetes.csv)
--     and on Longley, for the OLS statistics and the penalised models.
-- How every number was obtained, with the generating scripts and their
-- printed output, is in test/data/REFERENCES.md.
--
-- Every model is trained with "test_size": 0 so it sees every row, as the
-- references did.  Tolerances: closed forms 1e-9; NIST coefficients,
-- standard deviations and residual SD 1e-7 relative, R^2 1e-9 absolute;
-- scikit-learn OLS and ridge (closed-form solutions) 1e-9 relative;
-- lasso / elastic net (iterative) 1e-6 relative (1e-6 absolute where the
-- reference is 0); p-values 1e-6 relative or 1e-15 absolute, whichever is
-- larger (a p-value of 1e-208 needs only be tiny).
--
-- Run from the repository root: pg_prove -d DB test/pgtap/linear_reference.sql

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;

SELECT plan(174);

-- ---------------------------------------------------------------------------
-- Helpers (temporary: gone with the ROLLBACK)
-- ---------------------------------------------------------------------------

\ir helpers.psql

-- Reference parameters: one row per (model, term), in the order printed.
CREATE TEMP TABLE ref (
    model    text,
    ord      int,
    term     text,
    coef     float8,
    std_err  float8,
    t_stat   float8,
    p_value  float8
);

-- The reference prediction intercept + sum(coef * x) for one row given as
-- jsonb (to_jsonb(row)), from the reference coefficients of `model`.
CREATE FUNCTION pg_temp.ref_predict(m text, r jsonb)
RETURNS float8 LANGUAGE sql AS $$
    SELECT sum(c.coef * CASE WHEN c.term = '(intercept)' THEN 1
                             ELSE (r ->> c.term)::float8 END)
      FROM pg_temp.ref c
     WHERE c.model = m
$$;

-- ---------------------------------------------------------------------------
-- A. Closed form, exact line: y = 2 + 3x on x = 1..5.
--    Every residual is 0, so b0 = 2, b1 = 3, R^2 = 1, sigma = 0 exactly
--    (a solver that forms SSE = Syy - b'Sxy may round it below 0: sigma must
--    still be 0, not NaN).  Prediction at x = 10: 2 + 3*10 = 32.
--    (std_err = 0 makes t and p undefined; they are not tested here.)
-- ---------------------------------------------------------------------------
CREATE TABLE cf_exact (x float8, y float8);
INSERT INTO cf_exact SELECT x, 2 + 3 * x FROM generate_series(1, 5) AS x;
INSERT INTO ref (model, ord, term, coef) VALUES
    ('cf_exact', 0, '(intercept)', 2),
    ('cf_exact', 1, 'x',           3);

SELECT ok(rows_used = 5 AND rows_skipped = 0,
          'cf_exact: linear_regression trains on all 5 rows (test_size 0)')
  FROM mldb.train(model => 'cf_exact', algorithm => 'linear_regression',
                  relation => 'cf_exact', target => 'y',
                  features => ARRAY['x'], options => '{"test_size": 0}');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-9, 0,
                    format('cf_exact: coef %s = %s (exact line y = 2 + 3x)', term, coef))
  FROM ref WHERE model = 'cf_exact' ORDER BY ord;

SELECT pg_temp.near(pg_temp.param('cf_exact', 'r2'), 1, 0, 1e-9,
                    'cf_exact: r2 = 1 (every residual is 0)');
SELECT pg_temp.near(pg_temp.param('cf_exact', 'sigma'), 0, 0, 1e-9,
                    'cf_exact: sigma = 0, not NaN (SSE = 0)');
SELECT pg_temp.near(mldb.predict('cf_exact', ARRAY[10]::float8[]), 32, 1e-9, 0,
                    'cf_exact: predict(x = 10) = 2 + 3*10 = 32');
SELECT pg_temp.near(max(abs(mldb.predict('cf_exact', t) - (2 + 3 * t.x))), 0, 0, 1e-9,
                    'cf_exact: predict(model, row) = 2 + 3x on every row')
  FROM cf_exact t;

-- ---------------------------------------------------------------------------
-- B. Closed form, simple regression with residuals:
--    x = 1, 2, 3, 4;  y = 1, 3, 2, 5;  n = 4, p = 1, df_resid = n - p - 1 = 2.
--      xbar = 10/4 = 2.5            ybar = 11/4 = 2.75
--      Sxx = 2.25 + 0.25 + 0.25 + 2.25 = 5
--      Sxy = (-1.5)(-1.75) + (-0.5)(0.25) + (0.5)(-0.75) + (1.5)(2.25)
--          = 2.625 - 0.125 - 0.375 + 3.375 = 5.5
--      Syy = 3.0625 + 0.0625 + 0.5625 + 5.0625 = 8.75
--      b1 = Sxy/Sxx = 1.1           b0 = ybar - b1*xbar = 2.75 - 2.75 = 0
--      SSR = Sxy^2/Sxx = 6.05       SSE = Syy - SSR = 2.7
--      R^2 = 6.05/8.75 = 121/175 = 0.69142857142857142...
--      adj R^2 = 1 - (1 - R^2)(n-1)/df = 1 - (54/175)(3/2) = 94/175
--              = 0.53714285714285714...
--      sigma^2 = SSE/df = 1.35      sigma = sqrt(1.35) = 1.1618950038622251
--      se(b1) = sqrt(sigma^2/Sxx) = sqrt(0.27) = 0.51961524227066325
--      se(b0) = sqrt(sigma^2 (1/n + xbar^2/Sxx)) = sqrt(1.35 * 1.5)
--             = sqrt(2.025) = 1.4230249470757708
--      t(b1) = 1.1/sqrt(0.27) = 2.1169509870286278      t(b0) = 0
--      Student t with 2 df has CDF 1/2 + t/(2 sqrt(2 + t^2)), so the
--      two-sided p = 1 - |t|/sqrt(2 + t^2); t(b1)^2 = 121/27, hence
--      p(b1) = 1 - sqrt(121/175) = 1 - 11/sqrt(175) = 0.16847815937970012
--      p(b0) = 1 - 0 = 1
--    Prediction at x = 5: 0 + 1.1*5 = 5.5.
-- ---------------------------------------------------------------------------
CREATE TABLE cf_small (x float8, y float8);
INSERT INTO cf_small VALUES (1, 1), (2, 3), (3, 2), (4, 5);
INSERT INTO ref VALUES
    ('cf_small', 0, '(intercept)', 0,   1.4230249470757708,  0,                  1),
    ('cf_small', 1, 'x',           1.1, 0.51961524227066325, 2.1169509870286278, 0.16847815937970012);

SELECT ok(rows_used = 4 AND rows_skipped = 0,
          'cf_small: linear_regression trains on all 4 rows (test_size 0)')
  FROM mldb.train(model => 'cf_small', algorithm => 'linear_regression',
                  relation => 'cf_small', target => 'y',
                  features => ARRAY['x'], options => '{"test_size": 0}');

-- b0 is exactly 0 here, so its checks are absolute.
SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-9, 1e-9,
                    format('cf_small: coef %s = %s (Sxy/Sxx, ybar - b1 xbar)', term, coef))
  FROM ref WHERE model = 'cf_small' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 'std_err', term), std_err, 1e-9, 0,
                    format('cf_small: std_err %s = %s (closed form)', term, std_err))
  FROM ref WHERE model = 'cf_small' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 't_stats', term), t_stat, 1e-9, 1e-9,
                    format('cf_small: t_stats %s = %s (coef/std_err)', term, t_stat))
  FROM ref WHERE model = 'cf_small' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 'p_values', term), p_value, 1e-9, 0,
                    format('cf_small: p_values %s = %s (Student t, 2 df, closed form)', term, p_value))
  FROM ref WHERE model = 'cf_small' ORDER BY ord;

SELECT pg_temp.near(pg_temp.param('cf_small', 'r2'), 121.0 / 175, 0, 1e-9,
                    'cf_small: r2 = 121/175');
SELECT pg_temp.near(pg_temp.param('cf_small', 'adj_r2'), 94.0 / 175, 0, 1e-9,
                    'cf_small: adj_r2 = 94/175');
SELECT pg_temp.near(pg_temp.param('cf_small', 'sigma'), sqrt(1.35::float8), 1e-9, 0,
                    'cf_small: sigma = sqrt(SSE/df) = sqrt(1.35)');
SELECT is(pg_temp.param('cf_small', 'df_resid'), 2::float8, 'cf_small: df_resid = n - p - 1 = 2');
SELECT is(pg_temp.param('cf_small', 'n'), 4::float8, 'cf_small: n = 4');
SELECT is(pg_temp.param('cf_small', 'rank'), 2::float8, 'cf_small: rank = 2 (intercept + x)');
SELECT pg_temp.near(mldb.predict('cf_small', ARRAY[5]::float8[]), 5.5, 1e-9, 0,
                    'cf_small: predict(x = 5) = 0 + 1.1*5 = 5.5');

-- ---------------------------------------------------------------------------
-- C. NIST StRD Longley, certified values.
--    https://www.itl.nist.gov/div898/strd/lls/data/LINKS/DATA/Longley.dat
--    Copied from two independent transcriptions that agree digit for digit:
--    GSL multifit/test_longley.c (github ampl/gsl) and statsmodels 0.13.5
--    regression/tests/results/results_regression.py; every digit also
--    re-derived in exact rational arithmetic (REFERENCES.md).
--    NIST certifies estimates, their standard deviations, residual SD
--    (304.854073561965) and R^2 (0.995479004577296), with 9 residual df.
--    t = estimate / certified SD, p = two-sided Student t (9 df, scipy
--    1.10.1) and adj R^2 = 1 - (1 - R^2) 15/9 are derived from them; the
--    p-values agree with statsmodels' stored R results to their 8 digits.
-- ---------------------------------------------------------------------------
CREATE TABLE longley (y float8, x1 float8, x2 float8, x3 float8,
                      x4 float8, x5 float8, x6 float8);
\copy longley FROM 'test/data/longley.csv' WITH (FORMAT csv, HEADER true)

INSERT INTO ref VALUES
    ('longley_ols', 0, '(intercept)', -3482258.63459582,      890420.383607373,      -3.9108029181543391,  0.0035604036637262282),
    ('longley_ols', 1, 'x1',            15.0618722713733,      84.9149257747669,      0.17737602822999873, 0.8631408328092145),
    ('longley_ols', 2, 'x2',            -0.358191792925910E-01, 0.334910077722432E-01, -1.0695163172210467, 0.31268106109271143),
    ('longley_ols', 3, 'x3',            -2.02022980381683,      0.488399681651699,    -4.136427355940727,   0.0025350917341112251),
    ('longley_ols', 4, 'x4',            -1.03322686717359,      0.214274163161675,    -4.8219853104454575,  0.00094436676416179697),
    ('longley_ols', 5, 'x5',            -0.511041056535807E-01, 0.226073200069370,    -0.22605114466420403, 0.82621179576364678),
    ('longley_ols', 6, 'x6',          1829.15146461355,       455.478499142212,        4.0158898127097808,  0.0030368033416303111);

SELECT ok(rows_used = 16 AND rows_skipped = 0,
          'longley_ols: linear_regression trains on all 16 rows (test_size 0)')
  FROM mldb.train(model => 'longley_ols', algorithm => 'linear_regression',
                  relation => 'longley', target => 'y',
                  features => ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6'],
                  options => '{"test_size": 0}');

SELECT is(ARRAY(SELECT k FROM jsonb_object_keys(mldb.describe('longley_ols') -> 'params' -> 'coef') AS k
                ORDER BY k COLLATE "C"),
          ARRAY['(intercept)', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6'],
          'longley_ols: params.coef is keyed by (intercept) and the feature names');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-7, 0,
                    format('longley_ols: coef %s = %s (NIST certified)', term, coef))
  FROM ref WHERE model = 'longley_ols' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 'std_err', term), std_err, 1e-7, 0,
                    format('longley_ols: std_err %s = %s (NIST certified SD of estimate)', term, std_err))
  FROM ref WHERE model = 'longley_ols' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 't_stats', term), t_stat, 1e-7, 0,
                    format('longley_ols: t_stats %s = %s (certified estimate/SD)', term, t_stat))
  FROM ref WHERE model = 'longley_ols' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 'p_values', term), p_value, 1e-6, 1e-15,
                    format('longley_ols: p_values %s = %s (Student t, 9 df)', term, p_value))
  FROM ref WHERE model = 'longley_ols' ORDER BY ord;

SELECT pg_temp.near(pg_temp.param('longley_ols', 'sigma'), 304.854073561965, 1e-7, 0,
                    'longley_ols: sigma = 304.854073561965 (NIST certified residual SD)');
SELECT pg_temp.near(pg_temp.param('longley_ols', 'r2'), 0.995479004577296, 0, 1e-9,
                    'longley_ols: r2 = 0.995479004577296 (NIST certified)');
SELECT pg_temp.near(pg_temp.param('longley_ols', 'adj_r2'), 0.99246500762882661, 0, 1e-9,
                    'longley_ols: adj_r2 = 1 - (1 - R^2)*15/9 from the certified R^2');
SELECT is(pg_temp.param('longley_ols', 'df_resid'), 9::float8, 'longley_ols: df_resid = 9 (NIST)');
SELECT is(pg_temp.param('longley_ols', 'n'), 16::float8, 'longley_ols: n = 16');
SELECT is(pg_temp.param('longley_ols', 'rank'), 7::float8, 'longley_ols: rank = 7 (full rank despite collinearity)');
-- Longley is the textbook ill-conditioned design: cond(X) = 4.9e9 raw,
-- 111 after standardising, so any definition of the condition number is > 100.
SELECT ok(pg_temp.param('longley_ols', 'condition_no') > 100,
          'longley_ols: condition_no flags the near-collinear design (> 100)');
SELECT ok(jsonb_typeof(mldb.describe('longley_ols') -> 'params' -> 'solver') = 'string',
          'longley_ols: params.solver names the solver');

-- Fitted values are well determined even though the coefficients are not
-- (the uncertain direction is X's near-null vector), so predictions at the
-- training rows must match intercept + coef.x from the certified values.
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-9,
                    'longley_ols: predict(model, row) = NIST intercept + coef.x on all 16 rows (max relative error)')
  FROM (SELECT mldb.predict('longley_ols', l) AS got,
               pg_temp.ref_predict('longley_ols', to_jsonb(l)) AS want
          FROM longley l) s;
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-9,
                    'longley_ols: predict(model, float8[]) = NIST intercept + coef.x on all 16 rows (max relative error)')
  FROM (SELECT mldb.predict('longley_ols', ARRAY[x1, x2, x3, x4, x5, x6]::float8[]) AS got,
               pg_temp.ref_predict('longley_ols', to_jsonb(l)) AS want
          FROM longley l) s;

-- ---------------------------------------------------------------------------
-- D. Ridge on Longley: scikit-learn 1.2.1
--    make_pipeline(StandardScaler(), Ridge(alpha=1.0)), coefficients taken back
--    to the original scale (coef/scale_, intercept - sum(coef/scale_*mean_));
--    agrees with the closed form (Z'Z + I)^-1 Z'(y - ybar) to 5e-15.  The
--    features are far from centred, so this exercises the intercept's return
--    from the standardised scale.
-- ---------------------------------------------------------------------------
INSERT INTO ref (model, ord, term, coef) VALUES
    ('longley_ridge', 0, '(intercept)', -408547.3989074608),
    ('longley_ridge', 1, 'x1',            85.746858443706131),
    ('longley_ridge', 2, 'x2',             0.011281152257100203),
    ('longley_ridge', 3, 'x3',            -0.82193694593802635),
    ('longley_ridge', 4, 'x4',            -0.29179557462884703),
    ('longley_ridge', 5, 'x5',             0.11721887227067371),
    ('longley_ridge', 6, 'x6',           230.43892483865889);

SELECT ok(rows_used = 16 AND rows_skipped = 0,
          'longley_ridge: ridge trains on all 16 rows (test_size 0)')
  FROM mldb.train(model => 'longley_ridge', algorithm => 'ridge',
                  relation => 'longley', target => 'y',
                  features => ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6'],
                  options => '{"test_size": 0, "alpha": 1.0, "standardize": true}');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-9, 0,
                    format('longley_ridge: coef %s = %s (sklearn StandardScaler+Ridge(alpha=1), original scale)', term, coef))
  FROM ref WHERE model = 'longley_ridge' ORDER BY ord;
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-9,
                    'longley_ridge: predict(model, row) = reference intercept + coef.x on all 16 rows')
  FROM (SELECT mldb.predict('longley_ridge', l) AS got,
               pg_temp.ref_predict('longley_ridge', to_jsonb(l)) AS want
          FROM longley l) s;

-- ---------------------------------------------------------------------------
-- E. Lasso on Longley: scikit-learn 1.2.1
--    make_pipeline(StandardScaler(), Lasso(alpha=10, tol=1e-12, max_iter=100000)),
--    original scale; LassoLars (exact homotopy) agrees to 1.6e-11 with the
--    same zero pattern (x1, x2, x5 exactly 0).
-- ---------------------------------------------------------------------------
INSERT INTO ref (model, ord, term, coef) VALUES
    ('longley_lasso', 0, '(intercept)', -1759481.636320126),
    ('longley_lasso', 1, 'x1',                0),
    ('longley_lasso', 2, 'x2',                0),
    ('longley_lasso', 3, 'x3',               -1.3797850216055665),
    ('longley_lasso', 4, 'x4',               -0.68013956912344875),
    ('longley_lasso', 5, 'x5',                0),
    ('longley_lasso', 6, 'x6',              936.80103985163544);

SELECT ok(rows_used = 16 AND rows_skipped = 0,
          'longley_lasso: lasso trains on all 16 rows (test_size 0)')
  FROM mldb.train(model => 'longley_lasso', algorithm => 'lasso',
                  relation => 'longley', target => 'y',
                  features => ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6'],
                  options => '{"test_size": 0, "alpha": 10, "standardize": true, "tol": 1e-12, "max_iter": 100000}');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-6, 1e-6,
                    format('longley_lasso: coef %s = %s (sklearn StandardScaler+Lasso(alpha=10), original scale)', term, coef))
  FROM ref WHERE model = 'longley_lasso' ORDER BY ord;
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-6,
                    'longley_lasso: predict(model, row) = reference intercept + coef.x on all 16 rows')
  FROM (SELECT mldb.predict('longley_lasso', l) AS got,
               pg_temp.ref_predict('longley_lasso', to_jsonb(l)) AS want
          FROM longley l) s;

-- ---------------------------------------------------------------------------
-- F. OLS on the scikit-learn diabetes data (442 rows, 10 features, no split):
--    coefficients from sklearn 1.2.1 LinearRegression(); std_err from
--    sqrt(diag((X'X)^-1) * SSE/(n-p-1)) with numpy 1.24.2, t = coef/std_err,
--    p two-sided Student t with 431 df (scipy 1.10.1); statsmodels 0.13.5
--    OLS agrees on all of them to <= 1.1e-13 relative.
-- ---------------------------------------------------------------------------
CREATE TABLE diabetes (age float8, sex float8, bmi float8, bp float8,
                       s1 float8, s2 float8, s3 float8, s4 float8,
                       s5 float8, s6 float8, target float8);
\copy diabetes FROM 'test/data/diabetes.csv' WITH (FORMAT csv, HEADER true)

INSERT INTO ref VALUES
    ('diab_ols',  0, '(intercept)',  152.13348416289597,   2.5758544851189753,  59.061365865886295,   1.0100819291680096e-208),
    ('diab_ols',  1, 'age',          -10.009866299810508,  59.74924652149317,   -0.16753125574913702, 0.86703063370008504),
    ('diab_ols',  2, 'sex',         -239.81564367242302,   61.222343943465113,  -3.9171261377035371,  0.00010416711927693274),
    ('diab_ols',  3, 'bmi',          519.84592005446098,   66.53344473855087,    7.8133023488749469,  4.296391419518496e-14),
    ('diab_ols',  4, 'bp',           324.38464550232334,   65.421992054915776,   4.9583425284578944,  1.024278392211408e-06),
    ('diab_ols',  5, 's1',          -792.17563855223023,  416.67987034062787,   -1.9011612869722785,  0.057947605369196908),
    ('diab_ols',  6, 's2',           476.73902100525737,  339.03049482184144,    1.4061833029379287,  0.16039024001496399),
    ('diab_ols',  7, 's3',           101.04326793803405,  212.53145672236218,    0.47542735318485424, 0.63472325577520516),
    ('diab_ols',  8, 's4',           177.06323767134606,  161.47579520020119,    1.0965311392448585,  0.27345869366067871),
    ('diab_ols',  9, 's5',           751.27369955710344,  171.89998192310225,    4.3704117426445004,  1.5558990865392922e-05),
    ('diab_ols', 10, 's6',            67.626692183704563,  65.984281907481716,   1.0248909320332638,  0.30598952619642306);

SELECT ok(rows_used = 442 AND rows_skipped = 0,
          'diab_ols: linear_regression trains on all 442 rows (test_size 0)')
  FROM mldb.train(model => 'diab_ols', algorithm => 'linear_regression',
                  relation => 'diabetes', target => 'target',
                  features => ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                  options => '{"test_size": 0}');

SELECT is(ARRAY(SELECT k FROM jsonb_object_keys(mldb.describe('diab_ols') -> 'params' -> 'coef') AS k
                ORDER BY k COLLATE "C"),
          ARRAY['(intercept)', 'age', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'sex'],
          'diab_ols: params.coef is keyed by (intercept) and the feature names');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-9, 0,
                    format('diab_ols: coef %s = %s (sklearn LinearRegression)', term, coef))
  FROM ref WHERE model = 'diab_ols' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 'std_err', term), std_err, 1e-9, 0,
                    format('diab_ols: std_err %s = %s (numpy, = statsmodels bse)', term, std_err))
  FROM ref WHERE model = 'diab_ols' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 't_stats', term), t_stat, 1e-9, 0,
                    format('diab_ols: t_stats %s = %s (= statsmodels tvalues)', term, t_stat))
  FROM ref WHERE model = 'diab_ols' ORDER BY ord;
SELECT pg_temp.near(pg_temp.param(model, 'p_values', term), p_value, 1e-6, 1e-15,
                    format('diab_ols: p_values %s = %s (Student t, 431 df; = statsmodels pvalues)', term, p_value))
  FROM ref WHERE model = 'diab_ols' ORDER BY ord;

SELECT pg_temp.near(pg_temp.param('diab_ols', 'r2'), 0.51774842222034989, 0, 1e-9,
                    'diab_ols: r2 = 0.51774842222034989 (sklearn score)');
SELECT pg_temp.near(pg_temp.param('diab_ols', 'adj_r2'), 0.50655929048532322, 0, 1e-9,
                    'diab_ols: adj_r2 = 1 - (1 - R^2)*441/431');
SELECT pg_temp.near(pg_temp.param('diab_ols', 'sigma'), 54.154239328055688, 1e-9, 0,
                    'diab_ols: sigma = sqrt(SSE/431) = 54.154239328055688');
SELECT is(pg_temp.param('diab_ols', 'df_resid'), 431::float8, 'diab_ols: df_resid = 442 - 10 - 1 = 431');
SELECT is(pg_temp.param('diab_ols', 'n'), 442::float8, 'diab_ols: n = 442');
SELECT is(pg_temp.param('diab_ols', 'rank'), 11::float8, 'diab_ols: rank = 11');

SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-9,
                    'diab_ols: predict(model, row) = reference intercept + coef.x on all 442 rows (max relative error)')
  FROM (SELECT mldb.predict('diab_ols', d) AS got,
               pg_temp.ref_predict('diab_ols', to_jsonb(d)) AS want
          FROM diabetes d) s;
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-9,
                    'diab_ols: predict(model, float8[]) = reference intercept + coef.x on all 442 rows (max relative error)')
  FROM (SELECT mldb.predict('diab_ols', ARRAY[age, sex, bmi, bp, s1, s2, s3, s4, s5, s6]::float8[]) AS got,
               pg_temp.ref_predict('diab_ols', to_jsonb(d)) AS want
          FROM diabetes d) s;

-- ---------------------------------------------------------------------------
-- G. Ridge on diabetes: sklearn make_pipeline(StandardScaler(), Ridge(alpha=1.0)),
--    original scale; closed form agrees to 1.3e-14.  (The diabetes features
--    are already centred, so the intercept is ybar here; section D covers the
--    intercept of non-centred data.)
-- ---------------------------------------------------------------------------
INSERT INTO ref (model, ord, term, coef) VALUES
    ('diab_ridge',  0, '(intercept)', 152.133484162896),
    ('diab_ridge',  1, 'age',          -9.0648860252472758),
    ('diab_ridge',  2, 'sex',        -238.27644969399401),
    ('diab_ridge',  3, 'bmi',         520.78553550023184),
    ('diab_ridge',  4, 'bp',          323.20875771239912),
    ('diab_ridge',  5, 's1',         -632.57239727755405),
    ('diab_ridge',  6, 's2',          350.1124774758992),
    ('diab_ridge',  7, 's3',           30.7390395925196),
    ('diab_ridge',  8, 's4',          158.12230218035913),
    ('diab_ridge',  9, 's5',          690.50031924945336),
    ('diab_ridge', 10, 's6',           68.671809287128752);

SELECT ok(rows_used = 442 AND rows_skipped = 0,
          'diab_ridge: ridge trains on all 442 rows (test_size 0)')
  FROM mldb.train(model => 'diab_ridge', algorithm => 'ridge',
                  relation => 'diabetes', target => 'target',
                  features => ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                  options => '{"test_size": 0, "alpha": 1.0, "standardize": true}');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-9, 0,
                    format('diab_ridge: coef %s = %s (sklearn StandardScaler+Ridge(alpha=1), original scale)', term, coef))
  FROM ref WHERE model = 'diab_ridge' ORDER BY ord;
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-9,
                    'diab_ridge: predict(model, row) = reference intercept + coef.x on all 442 rows')
  FROM (SELECT mldb.predict('diab_ridge', d) AS got,
               pg_temp.ref_predict('diab_ridge', to_jsonb(d)) AS want
          FROM diabetes d) s;

-- ---------------------------------------------------------------------------
-- H. Lasso on diabetes: sklearn make_pipeline(StandardScaler(),
--    Lasso(alpha=0.1, tol=1e-12, max_iter=100000)), original scale;
--    LassoLars agrees to 5.3e-10 (standardised scale); s3 is exactly 0.
-- ---------------------------------------------------------------------------
INSERT INTO ref (model, ord, term, coef) VALUES
    ('diab_lasso',  0, '(intercept)', 152.133484162896),
    ('diab_lasso',  1, 'age',          -5.8352024916381069),
    ('diab_lasso',  2, 'sex',        -234.64195011080548),
    ('diab_lasso',  3, 'bmi',         522.51042341690766),
    ('diab_lasso',  4, 'bp',          320.44695114610778),
    ('diab_lasso',  5, 's1',         -556.65952249218537),
    ('diab_lasso',  6, 's2',          289.21821582668952),
    ('diab_lasso',  7, 's3',            0),
    ('diab_lasso',  8, 's4',          148.07096423848566),
    ('diab_lasso',  9, 's5',          664.12017712281613),
    ('diab_lasso', 10, 's6',           66.409880979206719);

SELECT ok(rows_used = 442 AND rows_skipped = 0,
          'diab_lasso: lasso trains on all 442 rows (test_size 0)')
  FROM mldb.train(model => 'diab_lasso', algorithm => 'lasso',
                  relation => 'diabetes', target => 'target',
                  features => ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                  options => '{"test_size": 0, "alpha": 0.1, "standardize": true, "tol": 1e-12, "max_iter": 100000}');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-6, 1e-6,
                    format('diab_lasso: coef %s = %s (sklearn StandardScaler+Lasso(alpha=0.1), original scale)', term, coef))
  FROM ref WHERE model = 'diab_lasso' ORDER BY ord;
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-6,
                    'diab_lasso: predict(model, row) = reference intercept + coef.x on all 442 rows')
  FROM (SELECT mldb.predict('diab_lasso', d) AS got,
               pg_temp.ref_predict('diab_lasso', to_jsonb(d)) AS want
          FROM diabetes d) s;

-- ---------------------------------------------------------------------------
-- I. Elastic net on diabetes: sklearn make_pipeline(StandardScaler(),
--    ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-12, max_iter=100000)),
--    original scale; its KKT conditions hold to 2e-11.
-- ---------------------------------------------------------------------------
INSERT INTO ref (model, ord, term, coef) VALUES
    ('diab_enet',  0, '(intercept)', 152.13348416289602),
    ('diab_enet',  1, 'age',          -1.3536984790832711),
    ('diab_enet',  2, 'sex',        -219.52177026011023),
    ('diab_enet',  3, 'bmi',         507.3365215777747),
    ('diab_enet',  4, 'bp',          310.14935486365982),
    ('diab_enet',  5, 's1',         -134.59747112468756),
    ('diab_enet',  6, 's2',          -36.341117115286451),
    ('diab_enet',  7, 's3',         -176.7403271314447),
    ('diab_enet',  8, 's4',          109.42404943622252),
    ('diab_enet',  9, 's5',          482.37116993309877),
    ('diab_enet', 10, 's6',           78.30364632214112);

SELECT ok(rows_used = 442 AND rows_skipped = 0,
          'diab_enet: elastic_net trains on all 442 rows (test_size 0)')
  FROM mldb.train(model => 'diab_enet', algorithm => 'elastic_net',
                  relation => 'diabetes', target => 'target',
                  features => ARRAY['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6'],
                  options => '{"test_size": 0, "alpha": 0.1, "l1_ratio": 0.5, "standardize": true, "tol": 1e-12, "max_iter": 100000}');

SELECT pg_temp.near(pg_temp.param(model, 'coef', term), coef, 1e-6, 1e-6,
                    format('diab_enet: coef %s = %s (sklearn StandardScaler+ElasticNet(alpha=0.1, l1_ratio=0.5), original scale)', term, coef))
  FROM ref WHERE model = 'diab_enet' ORDER BY ord;
SELECT pg_temp.near(max(abs(got - want) / abs(want)), 0, 0, 1e-6,
                    'diab_enet: predict(model, row) = reference intercept + coef.x on all 442 rows')
  FROM (SELECT mldb.predict('diab_enet', d) AS got,
               pg_temp.ref_predict('diab_enet', to_jsonb(d)) AS want
          FROM diabetes d) s;

SELECT * FROM finish();
ROLLBACK;
