-- pipeline_reference.sql: mldb's feature pipeline (missing values,
-- categorical one-hot coding, standardisation, the hold-out split) against
-- reference values written down with their source, never against mldb's
-- own output.
--
-- Data: the Palmer penguins (test/data/penguins.csv, 344 rows, from Debian's
-- r-cran-palmerpenguins; NULLs in the four measurements (2 rows) and in sex
-- (11 rows)).  References: numpy 1.24.2, statsmodels 0.13.5 and
-- scikit-learn 1.2.1 (Debian 12 packages), each fed the data encoded by
-- hand with the rules of docs/preparing-data.md: the script and its printed
-- output are in test/data/REFERENCES.md ("Feature pipeline on penguins").
--
--   A   OLS body_mass_g ~ bill_length_mm + flipper_length_mm + species +
--       island + sex: drop-first dummy coding, the most frequent level is
--       the reference, sex NULL is the level __null__ (statsmodels OLS)
--   A1  the same with max_categories 1 (__other__ levels); A2 with 2
--   B   OLS year ~ the four measurements + species + island + sex, with
--       impute mean / median / zero / drop (year is the only column never
--       NULL, so the two rows without measurements are really imputed)
--   E   as B without the text columns, impute mean (mldb's indicator path:
--       no profiling pass, means from the moments, gram_resolve_indicators)
--   C,D scikit-learn Pipeline(SimpleImputer(mean) | SimpleImputer(constant
--       "__null__") + OneHotEncoder(all levels, handle_unknown="ignore"),
--       StandardScaler, Ridge(alpha)), coefficients returned to the
--       original scale; F the same without text columns (indicator path)
--   G   predict with NULLs and unseen categories
--   H   the hold-out split: determinism, seeds, mldb.evaluate()
--
-- Every model but those of section H is trained with "test_size": 0, as
-- the references saw every row.  Tolerances: OLS and ridge are closed forms,
-- 1e-9 relative (coefficients, standard errors, sigma, predictions) and
-- 1e-9 absolute for R^2.
--
-- Run from the repository root: pg_prove -d DB test/pgtap/pipeline_reference.sql

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;

SELECT plan(269);

SET LOCAL client_min_messages = warning;

-- ---------------------------------------------------------------------------
-- Helpers (temporary: gone with the ROLLBACK)
-- ---------------------------------------------------------------------------

\ir helpers.psql

-- The coefficient names of a model, sorted.
CREATE FUNCTION pg_temp.terms(model text)
RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(k ORDER BY k)
      FROM jsonb_object_keys(mldb.describe(model) -> 'params' -> 'coef') k
$$;

-- Reference parameters, one row per (model, term), in the order printed.
CREATE TEMP TABLE ref (
    model    text,
    ord      int,
    term     text,
    coef     float8,
    std_err  float8
);
CREATE TEMP TABLE ref_fit (
    model    text,
    r2       float8,
    adj_r2   float8,
    sigma    float8,
    df_resid float8
);

CREATE FUNCTION pg_temp.ref_terms(m text)
RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(term ORDER BY term) FROM pg_temp.ref WHERE model = m
$$;

-- Every check of an OLS fit against ref/ref_fit: the coefficient names,
-- coef and std_err per term, r2, adj_r2, sigma, df_resid.
-- (2 * terms + 5 tests)
CREATE FUNCTION pg_temp.check_ols(m text, what text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
    f record;
BEGIN
    RETURN NEXT is(pg_temp.terms(m), pg_temp.ref_terms(m),
                   format('%s: coefficient names are the reference''s (%s)', m, what));
    FOR r IN SELECT * FROM pg_temp.ref WHERE model = m ORDER BY ord LOOP
        RETURN NEXT pg_temp.near(pg_temp.param(m, 'coef', r.term), r.coef, 1e-9, 0,
                                 format('%s: coef %s = %s', m, r.term, r.coef));
    END LOOP;
    FOR r IN SELECT * FROM pg_temp.ref WHERE model = m ORDER BY ord LOOP
        RETURN NEXT pg_temp.near(pg_temp.param(m, 'std_err', r.term), r.std_err, 1e-9, 0,
                                 format('%s: std_err %s = %s', m, r.term, r.std_err));
    END LOOP;
    SELECT * INTO f FROM pg_temp.ref_fit WHERE model = m;
    RETURN NEXT pg_temp.near(pg_temp.param(m, 'r2'), f.r2, 0, 1e-9,
                             format('%s: r2 = %s', m, f.r2));
    RETURN NEXT pg_temp.near(pg_temp.param(m, 'adj_r2'), f.adj_r2, 0, 1e-9,
                             format('%s: adj_r2 = %s', m, f.adj_r2));
    RETURN NEXT pg_temp.near(pg_temp.param(m, 'sigma'), f.sigma, 1e-9, 0,
                             format('%s: sigma = %s', m, f.sigma));
    RETURN NEXT is(pg_temp.param(m, 'df_resid'), f.df_resid,
                   format('%s: df_resid = %s', m, f.df_resid));
END $$;

-- The ridge coefficients against ref (terms + 1 tests).
CREATE FUNCTION pg_temp.check_ridge(m text)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    RETURN NEXT is(pg_temp.terms(m), pg_temp.ref_terms(m),
                   format('%s: coefficient names are the one-hot columns of sklearn''s OneHotEncoder (every level, no reference)', m));
    FOR r IN SELECT * FROM pg_temp.ref WHERE model = m ORDER BY ord LOOP
        RETURN NEXT pg_temp.near(pg_temp.param(m, 'coef', r.term), r.coef, 1e-9, 0,
                                 format('%s: coef %s = %s (sklearn, original scale)', m, r.term, r.coef));
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- The data (data_penguins.psql: NA -> NULL, id in file order).
-- ---------------------------------------------------------------------------
\ir data_penguins.psql

SELECT is(ARRAY[count(*), count(bill_length_mm), count(body_mass_g), count(sex)],
          ARRAY[344, 342, 342, 333]::bigint[],
          'penguins: 344 rows; 2 without measurements; 11 without sex')
  FROM penguins;

-- Reference values (test/data/REFERENCES.md, printed by penguins_reference.py)
INSERT INTO ref (model, ord, term, coef, std_err) VALUES
    ('pl_a',        0, '(intercept)',        -347.81927615883751,     571.51865868036896),
    ('pl_a',        1, 'bill_length_mm',     23.724519779596083,      7.1609321971283038),
    ('pl_a',        2, 'flipper_length_mm',  17.806862220780879,      2.9315550913143555),
    ('pl_a',        3, 'species=Gentoo',     660.02047205121573,      104.66486129085071),
    ('pl_a',        4, 'species=Chinstrap',  -308.74893324747018,     89.532127724088625),
    ('pl_a',        5, 'island=Dream',       -26.865737016301658,     59.760783138490659),
    ('pl_a',        6, 'island=Torgersen',   -23.654211673057375,     61.82901835862183),
    ('pl_a',        7, 'sex=female',         -458.07887668487569,     43.597144440743797),
    ('pl_a',        8, 'sex=__null__',       -449.85778428458025,     106.10353612158848),
    ('pl_a1',       0, '(intercept)',        -3240.5581865924441,     547.97961291575939),
    ('pl_a1',       1, 'bill_length_mm',     4.5952986436465508,      7.768259364715993),
    ('pl_a1',       2, 'flipper_length_mm',  37.930147697355878,      2.3368852227736756),
    ('pl_a1',       3, 'species=__other__',  -14.458102339013237,     87.995828134918582),
    ('pl_a1',       4, 'island=__other__',   -342.4015529354848,      47.873704276262934),
    ('pl_a1',       5, 'sex=__other__',      -392.19894509517326,     48.531265808051643),
    ('pl_a1',       6, 'sex=__null__',       -295.12257538246809,     117.53669902399125),
    ('pl_b_mean',   0, '(intercept)',        2000.1505407568434,      1.6043885378688807),
    ('pl_b_mean',   1, 'bill_length_mm',     0.018636659262817545,    0.018890863123298973),
    ('pl_b_mean',   2, 'bill_depth_mm',      -0.094985530025962106,   0.051378716647140991),
    ('pl_b_mean',   3, 'flipper_length_mm',  0.054228595851377293,    0.0080136469206547687),
    ('pl_b_mean',   4, 'body_mass_g',        -0.00034220156391773227, 0.00014389478545521469),
    ('pl_b_mean',   5, 'species=Gentoo',     -1.5895638372833218,     0.37224685990703699),
    ('pl_b_mean',   6, 'species=Chinstrap',  -0.52659068745475679,    0.23596428863366986),
    ('pl_b_mean',   7, 'island=Dream',       -0.19126341505092981,    0.15538392423186773),
    ('pl_b_mean',   8, 'island=Torgersen',   -0.32336900035202465,    0.16044861319556861),
    ('pl_b_mean',   9, 'sex=female',         0.071450371912305854,    0.13820607452053996),
    ('pl_b_mean',  10, 'sex=__null__',       -0.24357987279552162,    0.25974752964258396),
    ('pl_b_median',  0, '(intercept)',        2000.1769363972724,      1.6066046129266252),
    ('pl_b_median',  1, 'bill_length_mm',     0.019535882870599153,    0.018865939831464017),
    ('pl_b_median',  2, 'bill_depth_mm',      -0.093095226901674266,   0.051353026985009195),
    ('pl_b_median',  3, 'flipper_length_mm',  0.053790991232848917,    0.0080042771096444903),
    ('pl_b_median',  4, 'body_mass_g',        -0.00034594421123679275, 0.00014398168196367946),
    ('pl_b_median',  5, 'species=Gentoo',     -1.5731856669409581,     0.37213690808749705),
    ('pl_b_median',  6, 'species=Chinstrap',  -0.53287969611750441,    0.23598890673327344),
    ('pl_b_median',  7, 'island=Dream',       -0.19077125607772416,    0.15550755281354095),
    ('pl_b_median',  8, 'island=Torgersen',   -0.32190024216049551,    0.16056222621360858),
    ('pl_b_median',  9, 'sex=female',         0.072116572603704299,    0.13836335129122354),
    ('pl_b_median', 10, 'sex=__null__',       -0.21558602688361361,    0.26101436813328044),
    ('pl_b_zero',   0, '(intercept)',        2008.1267159712918,      0.6176352772644268),
    ('pl_b_zero',   1, 'bill_length_mm',     -0.0026812412983048262,  0.01927495820434439),
    ('pl_b_zero',   2, 'bill_depth_mm',      -0.18064595271730255,    0.050952143695667862),
    ('pl_b_zero',   3, 'flipper_length_mm',  0.024095249196555812,    0.0058675235642829341),
    ('pl_b_zero',   4, 'body_mass_g',        -0.00026190874350962012, 0.00014889246649153279),
    ('pl_b_zero',   5, 'species=Gentoo',     -0.95367011015662229,    0.36661615581465545),
    ('pl_b_zero',   6, 'species=Chinstrap',  -0.10918129154816825,    0.23215821694754007),
    ('pl_b_zero',   7, 'island=Dream',       -0.18431069406635459,    0.16168536845134152),
    ('pl_b_zero',   8, 'island=Torgersen',   -0.22519764823010746,    0.16582871147259326),
    ('pl_b_zero',   9, 'sex=female',         -0.28956813040940688,    0.12605786461517604),
    ('pl_b_zero',  10, 'sex=__null__',       -0.45187510890889371,    0.29406034086413657),
    ('pl_b_drop',   0, '(intercept)',        1999.797664261393,       1.5887406227019862),
    ('pl_b_drop',   1, 'bill_length_mm',     0.024084988319657441,    0.018766426748948954),
    ('pl_b_drop',   2, 'bill_depth_mm',      -0.13584604410816681,    0.052148062306617317),
    ('pl_b_drop',   3, 'flipper_length_mm',  0.057744839690344385,    0.0079762186350008611),
    ('pl_b_drop',   4, 'body_mass_g',        -0.00028379988179388915, 0.00014313103879696578),
    ('pl_b_drop',   5, 'species=Gentoo',     -1.9682059675768642,     0.38520538504403223),
    ('pl_b_drop',   6, 'species=Chinstrap',  -0.60141309897920792,    0.23429469479460158),
    ('pl_b_drop',   7, 'island=Dream',       -0.19418735628064798,    0.15329944859993241),
    ('pl_b_drop',   8, 'island=Torgersen',   -0.2998527910101032,     0.15847485692602781),
    ('pl_b_drop',   9, 'sex=female',         0.092756176361262987,    0.13676747841768205),
    ('pl_b_drop',  10, 'sex=__null__',       -0.30058120663170484,    0.27983455780747701),
    ('pl_e',        0, '(intercept)',        2001.8092974574465,      1.3234362119602392),
    ('pl_e',        1, 'bill_length_mm',     -0.016398800908810074,   0.010673915658822504),
    ('pl_e',        2, 'bill_depth_mm',      0.044728297163828756,    0.027490345233061261),
    ('pl_e',        3, 'flipper_length_mm',  0.040186062295751057,    0.0073832782352005154),
    ('pl_e',        4, 'body_mass_g',        -0.0004524524934551577,  0.00010884815536571554);

INSERT INTO ref_fit (model, r2, adj_r2, sigma, df_resid) VALUES
    ('pl_a', 0.86740488411297256, 0.86421941586343443, 295.50755211297826, 333),
    ('pl_a1', 0.82968282806999705, 0.82663237125931044, 333.91332684632897, 335),
    ('pl_b_mean', 0.14592046116672386, 0.12027242696752638, 0.76756706820448628, 333),
    ('pl_b_median', 0.14459023350186073, 0.11890225252594067, 0.76816457794742221, 333),
    ('pl_b_zero', 0.075225821854030039, 0.047454825513310261, 0.79870245988810018, 333),
    ('pl_b_drop', 0.16648824463561218, 0.14130662060647659, 0.75723491934017273, 331),
    ('pl_e', 0.085340890226855648, 0.07454845235342622, 0.78726161063169731, 339);

INSERT INTO ref (model, ord, term, coef) VALUES
    ('pl_c',   0, '(intercept)',        -1074.7572220905604),
    ('pl_c',   1, 'bill_length_mm',     20.142509921567854),
    ('pl_c',   2, 'bill_depth_mm',      67.017331106734119),
    ('pl_c',   3, 'flipper_length_mm',  16.037736054516913),
    ('pl_c',   4, 'species=Adelie',     -281.30920194786006),
    ('pl_c',   5, 'species=Chinstrap',  -551.33850613747029),
    ('pl_c',   6, 'species=Gentoo',     682.54734156557151),
    ('pl_c',   7, 'island=Biscoe',      14.758850335231632),
    ('pl_c',   8, 'island=Dream',       -8.6355503219078944),
    ('pl_c',   9, 'island=Torgersen',   -13.334088319282088),
    ('pl_c',  10, 'sex=__null__',       -204.71098911617645),
    ('pl_c',  11, 'sex=female',         -180.57379380820069),
    ('pl_c',  12, 'sex=male',           201.39492619558186),
    ('pl_d',   0, '(intercept)',        2001.1521589211652),
    ('pl_d',   1, 'bill_length_mm',     0.013982002481280766),
    ('pl_d',   2, 'bill_depth_mm',      -0.054881752249268438),
    ('pl_d',   3, 'flipper_length_mm',  0.04141695866592017),
    ('pl_d',   4, 'body_mass_g',        -0.00027755417657006793),
    ('pl_d',   5, 'species=Adelie',     0.49966530119274599),
    ('pl_d',   6, 'species=Chinstrap',  0.083475694854133697),
    ('pl_d',   7, 'species=Gentoo',     -0.59196862137218942),
    ('pl_d',   8, 'island=Biscoe',      0.10324918398105183),
    ('pl_d',   9, 'island=Dream',       -0.031078469003796447),
    ('pl_d',  10, 'island=Torgersen',   -0.14522202565384751),
    ('pl_d',  11, 'sex=__null__',       -0.28953850512380136),
    ('pl_d',  12, 'sex=female',         0.052490924910492925),
    ('pl_d',  13, 'sex=male',           -0.016563173801520389),
    ('pl_f',   0, '(intercept)',        2003.0293846514335),
    ('pl_f',   1, 'bill_length_mm',     -0.012475922633447602),
    ('pl_f',   2, 'bill_depth_mm',      0.032624745811816368),
    ('pl_f',   3, 'flipper_length_mm',  0.032129497784549273),
    ('pl_f',   4, 'body_mass_g',        -0.00034918877275535033);

-- ---------------------------------------------------------------------------
-- A. OLS with dummy coding.  Levels by count: species Adelie 152, Gentoo 124,
--    Chinstrap 68; island Biscoe 168, Dream 124, Torgersen 52; sex male 168,
--    female 165, NULL 11 (counted on every training row, also the two whose
--    target is NULL).  The first level of each is the reference, left out:
--    no species=Adelie, island=Biscoe, sex=male.  The two rows whose target
--    is NULL are skipped (rows_skipped = 2); the nine other rows without a
--    sex keep the level sex=__null__.
-- ---------------------------------------------------------------------------
SELECT ok(rows_used = 342 AND rows_skipped = 2,
          'pl_a: 342 rows used, 2 skipped (body_mass_g NULL)')
  FROM mldb.train('pl_a', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0}');
SELECT pg_temp.check_ols('pl_a', 'reference levels Adelie, Biscoe, male left out');

-- mldb.evaluate predicts every row again (predict's encoding must be the
-- training encoding, __null__ included): the same fit, and its MAE.
SELECT pg_temp.near((mldb.evaluate('pl_a') ->> 'r2')::float8, 0.86740488411297256, 0, 1e-9,
                    'pl_a: evaluate r2 = the reference r2');
SELECT pg_temp.near((mldb.evaluate('pl_a') ->> 'mae')::float8, 234.38183082798494, 1e-9, 0,
                    'pl_a: evaluate mae = 234.38183082798494 (mean |residual|, numpy)');
SELECT pg_temp.near((mldb.evaluate('pl_a') ->> 'rmse')::float8, 291.59337198105754, 1e-9, 0,
                    'pl_a: evaluate rmse = 291.59337198105754');
SELECT is((mldb.evaluate('pl_a') ->> 'n')::int, 342, 'pl_a: evaluate skips the 2 rows whose target is NULL');

-- A1: max_categories 1 keeps only the most frequent value of each column:
--     species Adelie | __other__, island Biscoe | __other__,
--     sex male | __other__ (female) | __null__.
SELECT ok(rows_used = 342 AND rows_skipped = 2, 'pl_a1: trains with max_categories 1')
  FROM mldb.train('pl_a1', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0, "max_categories": 1}');
SELECT pg_temp.check_ols('pl_a1', 'the rest of each column shares __other__');

-- A2: max_categories 2 cuts only the third level of species (Chinstrap) and
--     island (Torgersen): the same design as A with two columns renamed.
SELECT ok(rows_used = 342, 'pl_a2: trains with max_categories 2')
  FROM mldb.train('pl_a2', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0, "max_categories": 2}');
SELECT pg_temp.near(pg_temp.param('pl_a2', 'coef', 'species=__other__'), coef, 1e-9, 0,
                    'pl_a2: coef species=__other__ = A''s species=Chinstrap')
  FROM ref WHERE model = 'pl_a' AND term = 'species=Chinstrap';
SELECT pg_temp.near(pg_temp.param('pl_a2', 'coef', 'island=__other__'), coef, 1e-9, 0,
                    'pl_a2: coef island=__other__ = A''s island=Torgersen')
  FROM ref WHERE model = 'pl_a' AND term = 'island=Torgersen';
SELECT pg_temp.near(pg_temp.param('pl_a2', 'r2'), 0.86740488411297256, 0, 1e-9,
                    'pl_a2: r2 = A''s r2');

-- ---------------------------------------------------------------------------
-- B. Missing values.  year ~ measurements + species + island + sex: rows 4
--    and 272 have no measurement at all but a year, so they are imputed.
--    Reference impute values (numpy, over the 342 non-NULL values):
--      mean:   bill_length_mm 43.921929824561403, bill_depth_mm 17.151169590643274,
--              flipper_length_mm 200.91520467836258, body_mass_g 4201.7543859649122
--      median: 44.45, 17.3, 197, 4050 (exact: percentile_cont = numpy.median)
--    drop skips those two rows; their sex NULL stays a level through the
--    nine other rows.
-- ---------------------------------------------------------------------------
SELECT ok(rows_used = 344 AND rows_skipped = 0, 'pl_b_mean: every row used (impute mean, the default)')
  FROM mldb.train('pl_b_mean', 'linear_regression', 'penguins', 'year',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g',
                        'species', 'island', 'sex'],
                  '{"test_size": 0}');
SELECT pg_temp.check_ols('pl_b_mean', 'impute mean');
SELECT ok(rows_used = 344 AND rows_skipped = 0, 'pl_b_median: every row used')
  FROM mldb.train('pl_b_median', 'linear_regression', 'penguins', 'year',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g',
                        'species', 'island', 'sex'],
                  '{"test_size": 0, "impute": "median"}');
SELECT pg_temp.check_ols('pl_b_median', 'impute median');
SELECT ok(rows_used = 344 AND rows_skipped = 0, 'pl_b_zero: every row used')
  FROM mldb.train('pl_b_zero', 'linear_regression', 'penguins', 'year',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g',
                        'species', 'island', 'sex'],
                  '{"test_size": 0, "impute": "zero"}');
SELECT pg_temp.check_ols('pl_b_zero', 'impute zero');
SELECT ok(rows_used = 342 AND rows_skipped = 2, 'pl_b_drop: the 2 rows with NULL measurements are skipped')
  FROM mldb.train('pl_b_drop', 'linear_regression', 'penguins', 'year',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g',
                        'species', 'island', 'sex'],
                  '{"test_size": 0, "impute": "drop"}');
SELECT pg_temp.check_ols('pl_b_drop', 'impute drop');

-- predict applies the same rule to a row with NULLs
SELECT pg_temp.near(mldb.predict('pl_b_mean', NULL::float8, NULL::float8, NULL::int, NULL::int, 'Adelie'::text, 'Dream'::text, 'female'::text),
                    mldb.predict('pl_b_mean', 43.921929824561403::float8, 17.151169590643274::float8,
                                 200.91520467836258::float8, 4201.7543859649122::float8, 'Adelie'::text, 'Dream'::text, 'female'::text),
                    1e-12, 0, 'pl_b_mean: predict with NULL measurements = predict at the reference means');
SELECT pg_temp.near(mldb.predict('pl_b_median', NULL::float8, NULL::float8, NULL::int, NULL::int, 'Adelie'::text, 'Dream'::text, 'female'::text),
                    mldb.predict('pl_b_median', 44.45::float8, 17.3::float8, 197, 4050, 'Adelie'::text, 'Dream'::text, 'female'::text),
                    1e-12, 0, 'pl_b_median: predict with NULL measurements = predict at the reference medians');
SELECT pg_temp.near(mldb.predict('pl_b_zero', NULL::float8, NULL::float8, NULL::int, NULL::int, 'Adelie'::text, 'Dream'::text, 'female'::text),
                    mldb.predict('pl_b_zero', 0::float8, 0::float8, 0, 0, 'Adelie'::text, 'Dream'::text, 'female'::text),
                    1e-12, 0, 'pl_b_zero: predict with NULL measurements = predict at 0');
SELECT is(mldb.predict('pl_b_drop', NULL::float8, 17.3::float8, 197, 4050, 'Adelie'::text, 'Dream'::text, 'female'::text), NULL,
          'pl_b_drop: predict with a NULL measurement is NULL');
-- evaluate predicts the imputed rows with the stored rule: the training fit
SELECT pg_temp.near((mldb.evaluate('pl_b_mean') ->> 'r2')::float8, 0.14592046116672386, 0, 1e-9,
                    'pl_b_mean: evaluate r2 over all 344 rows = the reference r2');
SELECT pg_temp.near((mldb.evaluate('pl_b_mean') ->> 'mae')::float8, 0.64322566954981186, 1e-9, 0,
                    'pl_b_mean: evaluate mae = 0.64322566954981186 (numpy)');
SELECT is((mldb.evaluate('pl_b_mean') ->> 'n')::int, 344, 'pl_b_mean: evaluate n = 344');
SELECT is((mldb.evaluate('pl_b_drop') ->> 'n')::int, 342, 'pl_b_drop: evaluate skips the 2 rows predict cannot encode');
SELECT pg_temp.near((mldb.evaluate('pl_b_drop') ->> 'mae')::float8, 0.63530160221916654, 1e-9, 0,
                    'pl_b_drop: evaluate mae = 0.63530160221916654 (numpy)');

-- ---------------------------------------------------------------------------
-- E. All features numeric: the linear family skips the profiling pass and
--    imputes the mean from missing-value indicators in the moments
--    (gram_resolve_indicators).  Same answer as imputing first.
-- ---------------------------------------------------------------------------
SELECT ok(rows_used = 344 AND rows_skipped = 0, 'pl_e: every row used')
  FROM mldb.train('pl_e', 'linear_regression', 'penguins', 'year',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'],
                  '{"test_size": 0}');
SELECT is(feature_stats->'profile', NULL, 'pl_e: no profiling pass was made (no profile in feature_stats)')
  FROM mldb.model_versions WHERE model = 'pl_e';
SELECT pg_temp.check_ols('pl_e', 'numeric only');
SELECT pg_temp.near(mldb.predict('pl_e', ARRAY[NULL, NULL, NULL, NULL]::float8[]),
                    mldb.predict('pl_e', ARRAY[43.921929824561403, 17.151169590643274,
                                               200.91520467836258, 4201.7543859649122]::float8[]),
                    1e-12, 0, 'pl_e: predict with NULLs = predict at the reference means');
SELECT pg_temp.near((mldb.evaluate('pl_e') ->> 'mae')::float8, 0.66978005842787192, 1e-9, 0,
                    'pl_e: evaluate mae = 0.66978005842787192 (numpy)');

-- ---------------------------------------------------------------------------
-- C, D, F. Standardised ridge against scikit-learn's pipeline.  mldb keeps
--    every level for penalised models and scales every encoded column (the
--    one-hot ones too) by its population std, as StandardScaler after
--    OneHotEncoder does; coefficients are reported on the original scale,
--    so predict is intercept + coef . x on the unscaled encoding.
--    Predictions: the rows printed by the script (sklearn pipe.predict),
--    with NULLs and unseen values (OneHotEncoder(handle_unknown="ignore"):
--    all zeros before scaling, as mldb).
-- ---------------------------------------------------------------------------
SELECT ok(rows_used = 342 AND rows_skipped = 2, 'pl_c: ridge alpha 1, 342 rows')
  FROM mldb.train('pl_c', 'ridge', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0, "alpha": 1}');
SELECT pg_temp.check_ridge('pl_c');
SELECT is(mldb.describe('pl_c') -> 'params' -> 'standardize', 'true'::jsonb, 'pl_c: standardize is on by default');
SELECT pg_temp.near((mldb.describe('pl_c') -> 'metrics' ->> 'r2')::float8, 0.87235629828056949, 0, 1e-9,
                    'pl_c: training r2 = sklearn pipe.score 0.87235629828056949');
SELECT pg_temp.near(mldb.predict('pl_c', 39.1::float8, 18.7::float8, 181, 'Adelie'::text, 'Torgersen'::text, 'male'::text),
                    3775.6208693346721, 1e-9, 0, 'pl_c: predict (39.1, 18.7, 181, Adelie, Torgersen, male) = sklearn');
SELECT pg_temp.near(mldb.predict('pl_c', 46.5::float8, 17.9::float8, 192, 'Chinstrap'::text, 'Dream'::text, 'female'::text),
                    3400.1771882725543, 1e-9, 0, 'pl_c: predict (46.5, 17.9, 192, Chinstrap, Dream, female) = sklearn');
SELECT pg_temp.near(mldb.predict('pl_c', 50.0::float8, 15.2::float8, 218, 'Gentoo'::text, 'Biscoe'::text, NULL::text),
                    4939.8533694795051, 1e-9, 0, 'pl_c: predict (50, 15.2, 218, Gentoo, Biscoe, NULL sex) = sklearn');
SELECT pg_temp.near(mldb.predict('pl_c', '{"bill_length_mm": 45, "bill_depth_mm": 17, "flipper_length_mm": 200,
                                          "species": "Emperor", "island": "Biscoe", "sex": "male"}'::jsonb),
                    4394.6513406286695, 1e-9, 0, 'pl_c: predict (45, 17, 200, Emperor (unseen), Biscoe, male) = sklearn');

SELECT ok(rows_used = 344 AND rows_skipped = 0, 'pl_d: ridge alpha 10 on year, every row (imputed)')
  FROM mldb.train('pl_d', 'ridge', 'penguins', 'year',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g',
                        'species', 'island', 'sex'],
                  '{"test_size": 0, "alpha": 10}');
SELECT pg_temp.check_ridge('pl_d');
SELECT pg_temp.near((mldb.describe('pl_d') -> 'metrics' ->> 'r2')::float8, 0.13747776831864733, 0, 1e-9,
                    'pl_d: training r2 = sklearn pipe.score 0.13747776831864733');
SELECT pg_temp.near(mldb.predict('pl_d', 39.1::float8, 18.7::float8, 181, 3750, 'Adelie'::text, 'Torgersen'::text, 'male'::text),
                    2007.4660879092532, 1e-9, 0, 'pl_d: predict (39.1, 18.7, 181, 3750, Adelie, Torgersen, male) = sklearn');
SELECT pg_temp.near(mldb.predict('pl_d', NULL::float8, NULL::float8, NULL::int, NULL::int, 'Adelie'::text, 'Torgersen'::text, NULL::text),
                    2008.0449762318838, 1e-9, 0, 'pl_d: predict (NULL x 4, Adelie, Torgersen, NULL sex) = sklearn');
SELECT pg_temp.near(mldb.predict('pl_d', 45::float8, 17::float8, 200, 4000, 'Emperor'::text, 'Atlantis'::text, 'male'::text),
                    2008.0049710976875, 1e-9, 0, 'pl_d: predict (45, 17, 200, 4000, Emperor, Atlantis (both unseen), male) = sklearn');

SELECT ok(rows_used = 344 AND rows_skipped = 0, 'pl_f: ridge alpha 10, numeric only (indicator path)')
  FROM mldb.train('pl_f', 'ridge', 'penguins', 'year',
                  ARRAY['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g'],
                  '{"test_size": 0, "alpha": 10}');
SELECT pg_temp.check_ridge('pl_f');
SELECT pg_temp.near((mldb.describe('pl_f') -> 'metrics' ->> 'r2')::float8, 0.082001979624732768, 0, 1e-9,
                    'pl_f: training r2 = sklearn pipe.score 0.082001979624732768');
SELECT pg_temp.near(mldb.predict('pl_f', ARRAY[39.1, 18.7, 181, 3750]::float8[]),
                    2007.6576400243175, 1e-9, 0, 'pl_f: predict (39.1, 18.7, 181, 3750) = sklearn');
SELECT pg_temp.near(mldb.predict('pl_f', ARRAY[NULL, NULL, NULL, NULL]::float8[]),
                    2008.0290697674418, 1e-9, 0, 'pl_f: predict (NULL x 4) = sklearn (the mean of year)');

-- ---------------------------------------------------------------------------
-- G. Predict on NULL and unseen values (model pl_a).  References: the
--    script's hand encoding times statsmodels' coefficients.  An unseen
--    level encodes as all zeros, which under drop-first coding is the
--    reference level's row; a NULL number is the training mean; NULL in
--    species or island (never NULL in training) is all zeros too; NULL sex
--    is its __null__ level.
-- ---------------------------------------------------------------------------
SELECT pg_temp.near(mldb.predict('pl_a', p), want, 1e-9, 0,
                    format('pl_a: predict(whole row) of penguins row %s (%s) = %s', p.id, what, want))
  FROM penguins p
  JOIN (VALUES (1,   3779.197297511651,  'complete'),
               (4,   3798.3647885319551, 'no measurement, no sex: imputed means, __null__'),
               (9,   3424.3992609784605, 'sex NULL'),
               (200, 5516.8334444376778, 'Gentoo'),
               (300, 3953.7511630356621, 'Chinstrap')) w(id, want, what) USING (id)
 ORDER BY p.id;
SELECT pg_temp.near(mldb.predict('pl_a', 46.5::float8, 192, 'Chinstrap'::text, 'Dream'::text, 'female'::text),
                    3380.5948930336617, 1e-9, 0, 'pl_a: predict (46.5, 192, Chinstrap, Dream, female)');
SELECT pg_temp.near(mldb.predict('pl_a', 45::float8, 200, 'Emperor'::text, 'Biscoe'::text, 'male'::text),
                    4281.1565580791621, 1e-9, 0, 'pl_a: predict (45, 200, Emperor (unseen), Biscoe, male)');
SELECT pg_temp.near(mldb.predict('pl_a', NULL::float8, 210, 'Gentoo'::text, 'Atlantis'::text, NULL::text),
                    4643.8111708526212, 1e-9, 0, 'pl_a: predict (NULL bill, 210, Gentoo, Atlantis (unseen), NULL sex)');
SELECT pg_temp.near(mldb.predict('pl_a', NULL::float8, NULL::int, NULL::text, NULL::text, NULL::text),
                    3822.0190002050131, 1e-9, 0, 'pl_a: predict (every feature NULL)');
SELECT pg_temp.near(mldb.predict('pl_a', '{"bill_length_mm": 45, "flipper_length_mm": 200, "species": "Emperor",
                                          "island": "Biscoe", "sex": "male"}'::jsonb),
                    4281.1565580791621, 1e-9, 0, 'pl_a: predict(jsonb) with an unseen species');
SELECT pg_temp.near(mldb.predict('pl_a', '{"bill_length_mm": null, "flipper_length_mm": null, "species": null,
                                          "island": null, "sex": null}'::jsonb),
                    3822.0190002050131, 1e-9, 0, 'pl_a: predict(jsonb) with every value null');
SELECT is(mldb.predict('pl_a', 45::float8, 200, 'Emperor'::text, 'Biscoe'::text, 'male'::text),
          mldb.predict('pl_a', 45::float8, 200, 'Adelie'::text, 'Biscoe'::text, 'male'::text),
          'pl_a: an unseen species predicts as the reference level Adelie (all zeros)');
SELECT pg_temp.near(mldb.predict('pl_a', NULL::float8, 200, 'Gentoo'::text, 'Dream'::text, 'female'::text),
                    mldb.predict('pl_a', 43.921929824561403::float8, 200, 'Gentoo'::text, 'Dream'::text, 'female'::text),
                    1e-12, 0, 'pl_a: a NULL bill_length_mm predicts as the training mean 43.921929824561403');

-- ---------------------------------------------------------------------------
-- H. The hold-out split: a hash of the row's content and the seed, so the
--    same seed gives the same split (and the same metrics) whatever the
--    physical order, another seed another split, and mldb.evaluate(model)
--    finds the same hold-out rows again.
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE split_runs AS
SELECT 1 AS run, * FROM mldb.train('pl_s', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0.3, "seed": 42}');
INSERT INTO split_runs
SELECT 2, * FROM mldb.train('pl_s', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0.3, "seed": 42}');
INSERT INTO split_runs
SELECT 3, * FROM mldb.train('pl_s', 'linear_regression', 'penguins', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0.3, "seed": 43, "deploy": "never"}');
-- the same rows in reverse physical order
CREATE TABLE penguins_rev AS SELECT * FROM penguins ORDER BY id DESC;
INSERT INTO split_runs
SELECT 4, * FROM mldb.train('pl_s_rev', 'linear_regression', 'penguins_rev', 'body_mass_g',
                  ARRAY['bill_length_mm', 'flipper_length_mm', 'species', 'island', 'sex'],
                  '{"test_size": 0.3, "seed": 42}');

SELECT is(a.metrics, b.metrics, 'pl_s: same seed, same metrics (jsonb equal)')
  FROM split_runs a, split_runs b WHERE a.run = 1 AND b.run = 2;
SELECT is(a.rows_used, b.rows_used, 'pl_s: same seed, same rows_used')
  FROM split_runs a, split_runs b WHERE a.run = 1 AND b.run = 2;
SELECT is(a.params -> 'coef', b.params -> 'coef', 'pl_s: same seed, identical coefficients')
  FROM mldb.model_versions a, mldb.model_versions b
 WHERE a.model = 'pl_s' AND a.version = 1 AND b.model = 'pl_s' AND b.version = 2;
SELECT ok(a.metrics ->> 'split' = 'holdout' AND
          a.rows_used + (a.metrics ->> 'n')::int + a.rows_skipped = 344,
          'pl_s: metrics are on the hold-out; train + hold-out + skipped = 344 rows')
  FROM split_runs a WHERE a.run = 1;
SELECT ok(a.rows_used <> b.rows_used OR a.metrics ->> 'r2' <> b.metrics ->> 'r2',
          'pl_s: another seed, another split (rows_used or r2 differ)')
  FROM split_runs a, split_runs b WHERE a.run = 1 AND b.run = 3;
SELECT ok(a.rows_used = b.rows_used AND a.metrics ->> 'n' = b.metrics ->> 'n',
          'pl_s_rev: reverse physical order, same seed: the same split')
  FROM split_runs a, split_runs b WHERE a.run = 1 AND b.run = 4;
SELECT pg_temp.near((b.metrics ->> 'r2')::float8, (a.metrics ->> 'r2')::float8, 0, 1e-9,
                    'pl_s_rev: reverse physical order, same seed: the same hold-out r2')
  FROM split_runs a, split_runs b WHERE a.run = 1 AND b.run = 4;
-- evaluate(model) selects the hold-out rows again and predicts them
SELECT pg_temp.near((mldb.evaluate('pl_s@1') ->> 'r2')::float8, (a.metrics ->> 'r2')::float8, 0, 1e-9,
                    'pl_s: evaluate(version 1) r2 = the training-time hold-out r2')
  FROM split_runs a WHERE a.run = 1;
SELECT pg_temp.near((mldb.evaluate('pl_s@1') ->> 'rmse')::float8, (a.metrics ->> 'rmse')::float8, 1e-9, 0,
                    'pl_s: evaluate(version 1) rmse = the training-time hold-out rmse')
  FROM split_runs a WHERE a.run = 1;
SELECT is((mldb.evaluate('pl_s@1') ->> 'n')::int, (a.metrics ->> 'n')::int,
          'pl_s: evaluate(version 1) sees as many hold-out rows as training did')
  FROM split_runs a WHERE a.run = 1;
SELECT pg_temp.near((mldb.evaluate('pl_s@3') ->> 'r2')::float8, (a.metrics ->> 'r2')::float8, 0, 1e-9,
                    'pl_s: evaluate(version 3, seed 43) r2 = its training-time hold-out r2')
  FROM split_runs a WHERE a.run = 3;
SELECT pg_temp.near((mldb.evaluate('pl_s') ->> 'r2')::float8, (a.metrics ->> 'r2')::float8, 0, 1e-9,
                    'pl_s: evaluate(model) uses the deployed version 2: its hold-out r2')
  FROM split_runs a WHERE a.run = 2;

SELECT * FROM finish();
ROLLBACK;
