-- logistic_reference.sql: mldb's logistic_regression against reference
-- values written down with their source, never against mldb's own output.
--
--   A. unpenalised binary, Apache MADlib's install-check data "patients"
--      (Brannick's heart-attack example): statsmodels 0.13.5 Logit to 1e-6
--      relative, and MADlib's own assertions (3 figures) with its tolerances;
--   B. unpenalised binary, MADlib's "crime" data: Stata's published output
--      (MADlib asserts it to 1e-5) and statsmodels Logit to 1e-6;
--   C-F. L2 penalty (C = 1) against scikit-learn 1.2.1 LogisticRegression:
--      iris multinomial (standardized, and on the raw scale), breast cancer
--      binary (standardized), wine multinomial (standardized); coefficients
--      back on the original scale and predict_proba to 1e-6; accuracy within
--      0.002 and log-loss within 1e-3 of the default (lbfgs) fit;
--   G. unpenalised multinomial against statsmodels MNLogit (wine, 3 features);
--   H. separable data: WARNING, "separable": true, finite coefficients;
--   I. errors (SQLSTATE and hint); J. warm start.
--
-- Oracles: Debian 12 python3-sklearn 1.2.1, python3-statsmodels 0.13.5,
-- python3-numpy 1.24.2, python3-scipy 1.10.1, run by /usr/bin/python3 from
-- the repository root.  The script, logistic_references.py, and its full
-- output are in test/data/REFERENCES.md ("Logistic regression"); the
-- INSERTs below are its output, pasted by the small converter printed
-- there.  Why newton-cg rather than lbfgs for the 1e-6 comparisons:
-- scikit-learn's lbfgs stops on its relative objective change
-- (ftol = 64 eps) with |gradient| ~ 1e-4 left even at tol=1e-10, which
-- moves coefficients in the 4th-5th digit; newton-cg reaches |gradient|
-- <= 5e-9 (printed), i.e. the optimum to ~1e-9.  mldb's Newton fits have
-- |gradient| ~ 1e-14 there.
--
-- Run from the repository root:
--   pg_prove -d DB test/pgtap/logistic_reference.sql
-- (the database needs CREATE EXTENSION pgtap; CREATE EXTENSION mldb).

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;

SELECT plan(281);

-- ---------------------------------------------------------------------------
-- Helpers (temporary: gone with the ROLLBACK)
-- ---------------------------------------------------------------------------

\ir helpers.psql

-- MADlib's relative_error for arrays: ||got - want|| / ||want||
CREATE FUNCTION pg_temp.relerr(got float8[], want float8[])
RETURNS float8 LANGUAGE sql AS $$
    SELECT sqrt(sum((g - w) ^ 2)) / sqrt(sum(w ^ 2))
      FROM unnest(got, want) AS u(g, w)
$$;

-- The params values of one statistic for the given terms, in that order.
CREATE FUNCTION pg_temp.params(model text, stat text, terms text[])
RETURNS float8[] LANGUAGE sql AS $$
    SELECT array_agg(pg_temp.param(model, stat, t) ORDER BY o)
      FROM unnest(terms) WITH ORDINALITY AS u(t, o)
$$;

-- ---------------------------------------------------------------------------
-- Data.  Each table gets id = its line number in the CSV file (COPY keeps
-- the file's order), so rows can be matched with the references.
-- ---------------------------------------------------------------------------
CREATE TABLE patients (id int, second_attack int, treatment int, trait_anxiety int);
\copy patients FROM 'test/data/patients.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE crime (crimerat float8, maleteen int, south smallint, educ float8,
                    police60 int, police59 int, labor int, males int, pop int,
                    nonwhite int, unemp1 int, unemp2 int, median int, belowmed int);
\copy crime FROM 'test/data/crime.csv' WITH (FORMAT csv, HEADER true)

\ir data_iris.psql

\ir data_breast_cancer.psql

CREATE TABLE wine (id serial, alcohol float8, malic_acid float8, ash float8,
    alcalinity_of_ash float8, magnesium float8, total_phenols float8, flavanoids float8,
    nonflavanoid_phenols float8, proanthocyanins float8, color_intensity float8, hue float8,
    od280_od315_of_diluted_wines float8, proline float8, cultivar int);
\copy wine (alcohol, malic_acid, ash, alcalinity_of_ash, magnesium, total_phenols, flavanoids, nonflavanoid_phenols, proanthocyanins, color_intensity, hue, od280_od315_of_diluted_wines, proline, cultivar) FROM 'test/data/wine.csv' WITH (FORMAT csv, HEADER true)

-- ---------------------------------------------------------------------------
-- Reference values (test/data/REFERENCES.md, section "Logistic regression";
-- printed by logistic_references.py and pasted as printed).
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE ref_stat (model text, term text, coef float8, std_err float8,
                            z_stat float8, p_value float8, odds_ratio float8);
CREATE TEMP TABLE ref_coef (model text, class text, term text, coef float8);
CREATE TEMP TABLE ref_proba (model text, id int, k int, p float8);
CREATE TEMP TABLE ref_metric (model text, source text, metric text, value float8);

INSERT INTO ref_stat (model, term, coef, std_err, z_stat, p_value, odds_ratio) VALUES
('patients', '(intercept)', -6.3634699418458727, 3.2139045247337088, -1.9799810146423451, 0.047705662037200544, 0.0017233763091220034),
    ('patients', 'treatment', -1.0241060524080712, 1.1710801464951675, -0.87449698081983263, 0.3818476636997139, 0.35911735404963935),
    ('patients', 'trait_anxiety', 0.11904491666978412, 0.054979175575078976, 2.1652728587611803, 0.030366795595680372, 1.1264205122102742),
    ('crime', '(intercept)', -17.701766731816388, 9.496007800352233, -1.8641272315677522, 0.062303839205738669, 2.0522033321393348e-08),
    ('crime', 'maleteen', 0.083383725596770306, 0.044035363521799729, 1.893562785180396, 0.058283067104982669, 1.0869588224564775),
    ('crime', 'south', -1.1170906553346842, 1.3596171395081587, -0.82162148657436873, 0.41129235657381669, 0.32723043720584732),
    ('crime', 'educ', 0.022922358362285497, 0.55940532168763191, 0.040976296566383373, 0.96731479258705355, 1.0231870945414288),
    ('crime', 'police59', 0.058183434047398674, 0.021004904782569569, 2.7699927540581304, 0.0056057539723487525, 1.0599094013508013);

INSERT INTO ref_coef (model, class, term, coef) VALUES
('iris', 'setosa', '(intercept)', 6.2184355286394597),
    ('iris', 'setosa', 'sepal_length', -1.301423086876502),
    ('iris', 'setosa', 'sepal_width', 2.6705474838759162),
    ('iris', 'setosa', 'petal_length', -1.0973555746805985),
    ('iris', 'setosa', 'petal_width', -2.3845908961182007),
    ('iris', 'versicolor', '(intercept)', 2.5403021201523268),
    ('iris', 'versicolor', 'sepal_length', 0.71223715079126204),
    ('iris', 'versicolor', 'sepal_width', -0.83294542239252256),
    ('iris', 'versicolor', 'petal_length', -0.20656484270019931),
    ('iris', 'versicolor', 'petal_width', -1.0876366906542758),
    ('iris', 'virginica', '(intercept)', -8.7587376487917954),
    ('iris', 'virginica', 'sepal_length', 0.58918593608524183),
    ('iris', 'virginica', 'sepal_width', -1.8376020614833937),
    ('iris', 'virginica', 'petal_length', 1.3039204173807986),
    ('iris', 'virginica', 'petal_width', 3.4722275867724761),
    ('iris_raw', 'setosa', '(intercept)', 9.8495680132129415),
    ('iris_raw', 'setosa', 'sepal_length', -0.42350991725805748),
    ('iris_raw', 'setosa', 'sepal_width', 0.96735058331188772),
    ('iris_raw', 'setosa', 'petal_length', -2.5171523753507015),
    ('iris_raw', 'setosa', 'petal_width', -1.0793366485078906),
    ('iris_raw', 'versicolor', '(intercept)', 2.2372056182644466),
    ('iris_raw', 'versicolor', 'sepal_length', 0.53446150873368325),
    ('iris_raw', 'versicolor', 'sepal_width', -0.32158785362351411),
    ('iris_raw', 'versicolor', 'petal_length', -0.20639206832183915),
    ('iris_raw', 'versicolor', 'petal_width', -0.94429846822141705),
    ('iris_raw', 'virginica', '(intercept)', -12.086773631477197),
    ('iris_raw', 'virginica', 'sepal_length', -0.11095159147563072),
    ('iris_raw', 'virginica', 'sepal_width', -0.64576272968837234),
    ('iris_raw', 'virginica', 'petal_length', 2.7235444436725427),
    ('iris_raw', 'virginica', 'petal_width', 2.023635116729309),
    ('bc', 'malignant', '(intercept)', -31.999050906381779),
    ('bc', 'malignant', 'mean_radius', 0.10312343372855666),
    ('bc', 'malignant', 'mean_texture', 0.090214677861471179),
    ('bc', 'malignant', 'mean_perimeter', 0.014460318981750016),
    ('bc', 'malignant', 'mean_area', 0.001238918978935464),
    ('bc', 'malignant', 'mean_smoothness', 11.516781954404189),
    ('bc', 'malignant', 'mean_compactness', -10.663126330740543),
    ('bc', 'malignant', 'mean_concavity', 10.79623458977356),
    ('bc', 'malignant', 'mean_concave_points', 24.821039077025933),
    ('bc', 'malignant', 'mean_symmetry', -2.7823486142226859),
    ('bc', 'malignant', 'mean_fractal_dimension', -45.678922120868229),
    ('bc', 'malignant', 'radius_error', 4.6592818475723137),
    ('bc', 'malignant', 'texture_error', -0.48791681049700247),
    ('bc', 'malignant', 'perimeter_error', 0.32670762755931837),
    ('bc', 'malignant', 'area_error', 0.022278001204003448),
    ('bc', 'malignant', 'smoothness_error', 92.408066203295789),
    ('bc', 'malignant', 'compactness_error', -41.15280995676229),
    ('bc', 'malignant', 'concavity_error', -3.6651547937706721),
    ('bc', 'malignant', 'concave_points_error', 54.081938384082115),
    ('bc', 'malignant', 'symmetry_error', -35.814176944446928),
    ('bc', 'malignant', 'fractal_dimension_error', -257.55878015238591),
    ('bc', 'malignant', 'worst_radius', 0.21314223323722548),
    ('bc', 'malignant', 'worst_texture', 0.21407569143082764),
    ('bc', 'malignant', 'worst_perimeter', 0.024524092105501293),
    ('bc', 'malignant', 'worst_area', 0.0017767343854971133),
    ('bc', 'malignant', 'worst_smoothness', 29.399941656483161),
    ('bc', 'malignant', 'worst_compactness', -0.28349090612946787),
    ('bc', 'malignant', 'worst_concavity', 4.1898400114697667),
    ('bc', 'malignant', 'worst_concave_points', 13.886704352096787),
    ('bc', 'malignant', 'worst_symmetry', 14.363260095543712),
    ('bc', 'malignant', 'worst_fractal_dimension', 26.589557030258351),
    ('wine', '0', '(intercept)', -20.58966969359496),
    ('wine', '0', 'alcohol', 1.0007328656898933),
    ('wine', '0', 'malic_acid', 0.18294759012629233),
    ('wine', '0', 'ash', 1.7260625348609242),
    ('wine', '0', 'alcalinity_of_ash', -0.25367847033285656),
    ('wine', '0', 'magnesium', 0.0034764948677812203),
    ('wine', '0', 'total_phenols', 0.34241780267778388),
    ('wine', '0', 'flavanoids', 0.65045478112565769),
    ('wine', '0', 'nonflavanoid_phenols', -1.6103391574916415),
    ('wine', '0', 'proanthocyanins', 0.24239847140916351),
    ('wine', '0', 'color_intensity', 0.074232477165938379),
    ('wine', '0', 'hue', 0.57434303780103735),
    ('wine', '0', 'od280_od315_of_diluted_wines', 1.0253823887736628),
    ('wine', '0', 'proline', 0.0034359178372218571),
    ('wine', '1', '(intercept)', 22.210121733288929),
    ('wine', '1', 'alcohol', -1.2480267781071235),
    ('wine', '1', 'malic_acid', -0.39537650025306226),
    ('wine', '1', 'ash', -3.0999491381380548),
    ('wine', '1', 'alcalinity_of_ash', 0.17524531933655751),
    ('wine', '1', 'magnesium', -0.0068603594091817127),
    ('wine', '1', 'total_phenols', 0.044133703895738494),
    ('wine', '1', 'flavanoids', 0.35539088613017589),
    ('wine', '1', 'nonflavanoid_phenols', 1.7146169754378764),
    ('wine', '1', 'proanthocyanins', 0.46142015173358492),
    ('wine', '1', 'color_intensity', -0.45041414274004976),
    ('wine', '1', 'hue', 2.9944163184720214),
    ('wine', '1', 'od280_od315_of_diluted_wines', 0.074698288120351994),
    ('wine', '1', 'proline', -0.0036328138846416949),
    ('wine', '2', '(intercept)', -1.6204520396939726),
    ('wine', '2', 'alcohol', 0.24729391241722895),
    ('wine', '2', 'malic_acid', 0.21242891012676926),
    ('wine', '2', 'ash', 1.3738866032771333),
    ('wine', '2', 'alcalinity_of_ash', 0.078433150996299383),
    ('wine', '2', 'magnesium', 0.0033838645414005744),
    ('wine', '2', 'total_phenols', -0.38655150657352316),
    ('wine', '2', 'flavanoids', -1.0058456672558349),
    ('wine', '2', 'nonflavanoid_phenols', -0.10427781794623409),
    ('wine', '2', 'proanthocyanins', -0.70381862314274901),
    ('wine', '2', 'color_intensity', 0.3761816655741117),
    ('wine', '2', 'hue', -3.5687593562730551),
    ('wine', '2', 'od280_od315_of_diluted_wines', -1.1000806768940155),
    ('wine', '2', 'proline', 0.00019689604741983822),
    ('wine3', '1', '(intercept)', 70.662759256876711),
    ('wine3', '1', 'alcohol', -4.9223448980390669),
    ('wine3', '1', 'malic_acid', 0.28690124352181601),
    ('wine3', '1', 'ash', -3.0069084008653597),
    ('wine3', '2', '(intercept)', 25.871263140722405),
    ('wine3', '2', 'alcohol', -2.1226978791574971),
    ('wine3', '2', 'malic_acid', 1.2516949294888788),
    ('wine3', '2', 'ash', -0.29653237567082613);

INSERT INTO ref_proba (model, id, k, p) VALUES
('iris', 1, 0, 0.98469555872462589),
    ('iris', 1, 1, 0.015304379258742954),
    ('iris', 1, 2, 6.2016630956288405e-08),
    ('iris', 71, 0, 0.012012143463070311),
    ('iris', 71, 1, 0.44032622400771471),
    ('iris', 71, 2, 0.54766163252921485),
    ('iris', 84, 0, 0.0016785855649915043),
    ('iris', 84, 1, 0.43725132562801994),
    ('iris', 84, 2, 0.56107008880698861),
    ('iris', 134, 0, 0.0019804189958680875),
    ('iris', 134, 1, 0.58401018862878684),
    ('iris', 134, 2, 0.41400939237534512),
    ('iris_raw', 1, 0, 0.9815834948742117),
    ('iris_raw', 1, 1, 0.018416490627120707),
    ('iris_raw', 1, 2, 1.4498667630981494e-08),
    ('iris_raw', 71, 0, 0.0023098314262674337),
    ('iris_raw', 71, 1, 0.44008098407522173),
    ('iris_raw', 71, 2, 0.55760918449851082),
    ('iris_raw', 84, 0, 0.0004496983783999784),
    ('iris_raw', 84, 1, 0.34970601501098986),
    ('iris_raw', 84, 2, 0.64984428661061022),
    ('iris_raw', 134, 0, 0.00052900395431727777),
    ('iris_raw', 134, 1, 0.47556588394770383),
    ('iris_raw', 134, 2, 0.52390511209797896),
    ('bc', 1, 0, 1.2077510103125633e-09),
    ('bc', 1, 1, 0.99999999879224899),
    ('bc', 41, 0, 0.88579840646142471),
    ('bc', 41, 1, 0.11420159353857529),
    ('bc', 74, 0, 0.8828982899320752),
    ('bc', 74, 1, 0.11710171006792475),
    ('bc', 298, 0, 0.99341711014602241),
    ('bc', 298, 1, 0.006582889853977562),
    ('wine', 1, 0, 0.99978044572202629),
    ('wine', 1, 1, 0.00019538372161615912),
    ('wine', 1, 2, 2.4170556357732996e-05),
    ('wine', 61, 0, 0.0043263173859680853),
    ('wine', 61, 1, 0.97567865871649706),
    ('wine', 61, 2, 0.019995023897534984),
    ('wine', 84, 0, 0.010116982741482332),
    ('wine', 84, 1, 0.662600363711777),
    ('wine', 84, 2, 0.32728265354674074),
    ('wine', 131, 0, 0.014485075475526101),
    ('wine', 131, 1, 0.16896845233855914),
    ('wine', 131, 2, 0.8165464721859147),
    ('wine3', 1, 0, 0.94675275211367171),
    ('wine3', 1, 1, 0.001924455448422908),
    ('wine3', 1, 2, 0.05132279243790544),
    ('wine3', 61, 0, 0.029967116437650414),
    ('wine3', 61, 1, 0.92536433875348723),
    ('wine3', 61, 2, 0.044668544808862426),
    ('wine3', 84, 0, 0.077774909695526279),
    ('wine3', 84, 1, 0.13582788450539468),
    ('wine3', 84, 2, 0.78639720579907912),
    ('wine3', 131, 0, 0.26181492393283989),
    ('wine3', 131, 1, 0.56698390312997138),
    ('wine3', 131, 2, 0.17120117293718873);

INSERT INTO ref_metric (model, source, metric, value) VALUES
('patients', 'statsmodels', 'log_likelihood', -9.4101829838508859),
    ('patients', 'statsmodels', 'condition_no', 326.08221035908775),
    ('crime', 'statsmodels', 'log_likelihood', -18.606958882684484),
    ('crime', 'statsmodels', 'condition_no', 3809.7063828475298),
    ('iris', 'lbfgs', 'accuracy', 0.97333333333333338),
    ('iris', 'lbfgs', 'log_loss', 0.12954221311381833),
    ('iris', 'newton-cg', 'accuracy', 0.97333333333333338),
    ('iris', 'newton-cg', 'log_loss', 0.129542268131003),
    ('iris_raw', 'lbfgs', 'accuracy', 0.97333333333333338),
    ('iris_raw', 'lbfgs', 'log_loss', 0.11962364678773837),
    ('iris_raw', 'newton-cg', 'accuracy', 0.97333333333333338),
    ('iris_raw', 'newton-cg', 'log_loss', 0.11963667803232186),
    ('bc', 'lbfgs', 'accuracy', 0.9876977152899824),
    ('bc', 'lbfgs', 'log_loss', 0.053392039909916728),
    ('bc', 'newton-cg', 'accuracy', 0.9876977152899824),
    ('bc', 'newton-cg', 'log_loss', 0.053391857503271044),
    ('wine', 'lbfgs', 'accuracy', 1),
    ('wine', 'lbfgs', 'log_loss', 0.031861395048489102),
    ('wine', 'newton-cg', 'accuracy', 1),
    ('wine', 'newton-cg', 'log_loss', 0.031861546103315694),
    ('wine3', 'mnlogit', 'log_likelihood', -90.458775448100894),
    ('wine3', 'mnlogit', 'accuracy', 0.8033707865168539),
    ('wine3', 'mnlogit', 'log_loss', 0.50819536768595996);


-- Feature lists in the references' order
CREATE TEMP TABLE feats (model text, features text[]);
INSERT INTO feats VALUES
    ('iris', ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width']),
    ('bc', ARRAY['mean_radius', 'mean_texture', 'mean_perimeter', 'mean_area',
                 'mean_smoothness', 'mean_compactness', 'mean_concavity',
                 'mean_concave_points', 'mean_symmetry', 'mean_fractal_dimension',
                 'radius_error', 'texture_error', 'perimeter_error', 'area_error',
                 'smoothness_error', 'compactness_error', 'concavity_error',
                 'concave_points_error', 'symmetry_error', 'fractal_dimension_error',
                 'worst_radius', 'worst_texture', 'worst_perimeter', 'worst_area',
                 'worst_smoothness', 'worst_compactness', 'worst_concavity',
                 'worst_concave_points', 'worst_symmetry', 'worst_fractal_dimension']),
    ('wine', ARRAY['alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', 'magnesium',
                   'total_phenols', 'flavanoids', 'nonflavanoid_phenols',
                   'proanthocyanins', 'color_intensity', 'hue',
                   'od280_od315_of_diluted_wines', 'proline']);

-- The probability of class k of row r from the reference coefficients:
-- softmax over the classes of eta = intercept + sum coef * x (a class with
-- no reference row is the reference class, eta = 0).
CREATE FUNCTION pg_temp.ref_proba(m text, r jsonb, classes text[], k int)
RETURNS float8 LANGUAGE sql AS $$
    WITH eta AS (
        SELECT c.o, coalesce((SELECT sum(rc.coef * CASE WHEN rc.term = '(intercept)' THEN 1
                                                        ELSE (r ->> rc.term)::float8 END)
                                FROM pg_temp.ref_coef rc
                               WHERE rc.model = m AND rc.class = c.cls), 0) AS v
          FROM unnest(classes) WITH ORDINALITY AS c(cls, o))
    SELECT exp(e.v - mx) / (SELECT sum(exp(v - mx)) FROM eta)
      FROM eta e, (SELECT max(v) AS mx FROM eta) s
     WHERE e.o = k + 1
$$;

SET client_min_messages = warning;

-- ===========================================================================
-- A. Unpenalised binary, Apache MADlib's install-check "patients" data
--    (20 usable rows; one NULL label and two NULL features are skipped with
--    impute "drop", as MADlib skips them).  statsmodels Logit to 1e-6
--    relative; MADlib's asserted values with MADlib's own tolerances.
-- ===========================================================================
SELECT ok(rows_used = 20 AND rows_skipped = 3,
          'patients: 20 rows used, 3 skipped (NULL label or feature), as MADlib')
  FROM mldb.train('patients', 'logistic_regression',
                  'SELECT second_attack = 1 AS second_attack, treatment, trait_anxiety FROM patients',
                  'second_attack', NULL,
                  '{"test_size": 0, "penalty": "none", "impute": "drop"}');

SELECT pg_temp.near(pg_temp.param(r.model, s.stat, r.term),
                    CASE s.stat WHEN 'coef' THEN r.coef WHEN 'std_err' THEN r.std_err
                                WHEN 'z_stats' THEN r.z_stat WHEN 'p_values' THEN r.p_value
                                ELSE r.odds_ratio END, 1e-6, 0,
                    format('%s: %s %s = statsmodels Logit', r.model, s.stat, r.term))
  FROM ref_stat r
  CROSS JOIN unnest(ARRAY['coef', 'std_err', 'z_stats', 'p_values', 'odds_ratios']) AS s(stat)
 WHERE r.model = 'patients'
 ORDER BY s.stat, r.term;
SELECT pg_temp.near(pg_temp.param('patients', metric), value, 1e-6, 0,
                    format('patients: %s = statsmodels / numpy', metric))
  FROM ref_metric WHERE model = 'patients' ORDER BY metric;

-- MADlib src/ports/postgres/modules/regress/test/logistic.sql_in (values
-- "from the source above", Brannick's page, to 3 figures)
SELECT ok(pg_temp.relerr(pg_temp.params('patients', 'coef', t), ARRAY[-6.36, -1.02, 0.119]) < 1e-3
          AND pg_temp.relerr(ARRAY[pg_temp.param('patients', 'log_likelihood')], ARRAY[-9.41]) < 1e-3
          AND pg_temp.relerr(pg_temp.params('patients', 'std_err', t), ARRAY[3.21, 1.17, 0.0550]) < 0.002
          AND pg_temp.relerr(pg_temp.params('patients', 'z_stats', t), ARRAY[-1.98, -0.874, 2.17]) < 0.002
          AND pg_temp.relerr(pg_temp.params('patients', 'p_values', t), ARRAY[0.0477, 0.382, 0.0304]) < 1e-3
          AND pg_temp.relerr(pg_temp.params('patients', 'odds_ratios', t), ARRAY[0.00172, 0.359, 1.13]) < 0.004
          AND pg_temp.relerr(ARRAY[pg_temp.param('patients', 'condition_no')], ARRAY[sqrt(106329)]) < 1e-2,
          'patients: MADlib install-check assertions hold (coef, log_likelihood, std_err, z, p, odds ratios, condition_no)')
  FROM (SELECT ARRAY['(intercept)', 'treatment', 'trait_anxiety'] AS t) s;
SELECT ok((mldb.describe('patients') -> 'params' ->> 'converged')::bool
          AND NOT (mldb.describe('patients') -> 'params' ->> 'separable')::bool,
          'patients: converged, not separable');

-- ===========================================================================
-- B. Unpenalised binary, MADlib's "crime" data (47 US states, 1960), label
--    crimerat >= 110; Stata's output (UCLA, as MADlib asserts it to 1e-5)
--    and statsmodels Logit to 1e-6.
-- ===========================================================================
SELECT ok(rows_used = 47, 'crime: 47 rows used')
  FROM mldb.train('crime', 'logistic_regression',
                  'SELECT crimerat >= 110 AS high, maleteen, south, educ, police59 FROM crime',
                  'high', NULL, '{"test_size": 0, "penalty": "none"}');
SELECT pg_temp.near(pg_temp.param('crime', s.stat, r.term),
                    CASE s.stat WHEN 'coef' THEN r.coef WHEN 'std_err' THEN r.std_err
                                WHEN 'z_stats' THEN r.z_stat WHEN 'p_values' THEN r.p_value
                                ELSE r.odds_ratio END, 1e-6, 0,
                    format('crime: %s %s = statsmodels Logit', s.stat, r.term))
  FROM ref_stat r
  CROSS JOIN unnest(ARRAY['coef', 'std_err', 'z_stats', 'p_values', 'odds_ratios']) AS s(stat)
 WHERE r.model = 'crime'
 ORDER BY s.stat, r.term;
SELECT pg_temp.near(pg_temp.param('crime', metric), value, 1e-6, 0,
                    format('crime: %s = statsmodels / numpy', metric))
  FROM ref_metric WHERE model = 'crime' ORDER BY metric;
SELECT ok(pg_temp.relerr(pg_temp.params('crime', 'coef', t), ARRAY[-17.70177, .0833837, -1.117091, .0229224, .0581834]) < 1e-5
          AND pg_temp.relerr(ARRAY[pg_temp.param('crime', 'log_likelihood')], ARRAY[-18.606959]) < 1e-5
          AND pg_temp.relerr(pg_temp.params('crime', 'std_err', t), ARRAY[9.495993, .0440353, 1.359616, .5594047, .0210049]) < 1e-5
          AND pg_temp.relerr(pg_temp.params('crime', 'z_stats', t), ARRAY[-1.864, 1.894, -0.822, 0.041, 2.770]) < 1e-3
          AND pg_temp.relerr(pg_temp.params('crime', 'p_values', t), ARRAY[0.062, 0.058, 0.411, 0.967, 0.006]) < 1e-3
          AND pg_temp.relerr(pg_temp.params('crime', 'odds_ratios', t), ARRAY[exp(-17.70177), 1.086959, .3272305, 1.023187, 1.059909]) < 1e-5
          AND pg_temp.relerr(ARRAY[pg_temp.param('crime', 'condition_no')], ARRAY[sqrt(14513863)]) < 1e-2,
          'crime: Stata values as asserted by MADlib''s install-check')
  FROM (SELECT ARRAY['(intercept)', 'maleteen', 'south', 'educ', 'police59'] AS t) s;
-- bool labels: predict returns the label as 1/0, the argmax of predict_proba
SELECT ok(bool_and(mldb.predict('crime', c) = CASE WHEN mldb.predict_proba('crime', c, 'true') > 0.5 THEN 1 ELSE 0 END),
          'crime: predict = 1 exactly when P(true) > 0.5')
  FROM (SELECT crimerat >= 110 AS high, maleteen, south, educ, police59 FROM crime) c;

-- ===========================================================================
-- C-F. L2 penalty, C = 1, against scikit-learn 1.2.1 LogisticRegression.
--    Coefficients (original scale) and predict_proba are compared with the
--    newton-cg solution (|gradient| <= 5e-9 there) to 1e-6; accuracy
--    within 0.002 and log-loss within 1e-3 of the default lbfgs run
--    (LogisticRegression(C=1.0, tol=1e-10, max_iter=10000)), whose solution
--    stops at |gradient| ~ 1e-4 (see REFERENCES.md).
--    Every model: "test_size": 0 (all rows, as the references).
-- ===========================================================================
SELECT ok(rows_used = 150, 'iris: standardized multinomial trains on 150 rows')
  FROM mldb.train('iris', 'logistic_regression', 'iris', 'species',
                  (SELECT features FROM feats WHERE model = 'iris'), '{"test_size": 0}');
SELECT ok(rows_used = 150, 'iris: raw-scale multinomial trains on 150 rows')
  FROM mldb.train('iris_raw', 'logistic_regression', 'iris', 'species',
                  (SELECT features FROM feats WHERE model = 'iris'),
                  '{"test_size": 0, "standardize": false}');
SELECT ok(rows_used = 569, 'breast cancer: standardized binary trains on 569 rows')
  FROM mldb.train('bc', 'logistic_regression', 'bc', 'diagnosis',
                  (SELECT features FROM feats WHERE model = 'bc'), '{"test_size": 0}');
-- integer labels as text ('0' < '1' < '2', the order of the integers)
SELECT ok(rows_used = 178, 'wine: standardized multinomial trains on 178 rows')
  FROM mldb.train('wine', 'logistic_regression',
                  'SELECT *, cultivar::text AS label FROM wine', 'label',
                  (SELECT features FROM feats WHERE model = 'wine'), '{"test_size": 0}');

SELECT pg_temp.near(CASE WHEN r.model = 'bc' THEN pg_temp.param(r.model, 'coef', r.term)
                         ELSE pg_temp.param(r.model, 'coef', r.class, r.term) END,
                    r.coef, 1e-6, 1e-6,
                    format('%s: coef %s %s = scikit-learn', r.model, r.class, r.term))
  FROM ref_coef r WHERE r.model IN ('iris', 'iris_raw', 'bc', 'wine')
 ORDER BY r.model, r.class, r.term;

-- predict_proba of single rows, to 1e-6
SELECT pg_temp.near((mldb.predict_proba(m.mldb, to_jsonb(t) - 'id'))[r.k + 1], r.p, 0, 1e-6,
                    format('%s: predict_proba row %s class %s = scikit-learn', r.model, r.id, r.k))
  FROM ref_proba r
  JOIN (VALUES ('iris'), ('iris_raw')) m(mldb) ON m.mldb = r.model
  JOIN iris t ON t.id = r.id
 ORDER BY r.model, r.id, r.k;
SELECT pg_temp.near((mldb.predict_proba('bc', t))[r.k + 1], r.p, 0, 1e-6,
                    format('bc: predict_proba row %s class %s = scikit-learn', r.id, r.k))
  FROM ref_proba r JOIN bc t ON t.id = r.id WHERE r.model = 'bc' ORDER BY r.id, r.k;
SELECT pg_temp.near((mldb.predict_proba('wine', t))[r.k + 1], r.p, 0, 1e-6,
                    format('wine: predict_proba row %s class %s = scikit-learn', r.id, r.k))
  FROM ref_proba r JOIN wine t ON t.id = r.id WHERE r.model = 'wine' ORDER BY r.id, r.k;

-- every row: predict_proba = softmax of the reference coefficients
SELECT pg_temp.near(max(abs((mldb.predict_proba('iris', t))[k + 1] -
                            pg_temp.ref_proba('iris', to_jsonb(t), mldb.classes('iris'), k))),
                    0, 0, 1e-6, 'iris: predict_proba of all 150 rows within 1e-6 of the reference model')
  FROM iris t, generate_series(0, 2) k;
SELECT pg_temp.near(max(abs((mldb.predict_proba('bc', t))[2] -
                            pg_temp.ref_proba('bc', to_jsonb(t), ARRAY['benign', 'malignant'], 1))),
                    0, 0, 1e-6, 'bc: P(malignant) of all 569 rows within 1e-6 of the reference model')
  FROM bc t;
SELECT pg_temp.near(max(abs((mldb.predict_proba('wine', t))[k + 1] -
                            pg_temp.ref_proba('wine', to_jsonb(t), mldb.classes('wine'), k))),
                    0, 0, 1e-6, 'wine: predict_proba of all 178 rows within 1e-6 of the reference model')
  FROM wine t, generate_series(0, 2) k;

-- training metrics (split "train": every row), against both sklearn runs
SELECT pg_temp.near((v.metrics ->> r.metric)::float8, r.value, 0,
                    CASE WHEN r.source = 'lbfgs' AND r.metric = 'accuracy' THEN 0.002
                         WHEN r.source = 'lbfgs' THEN 1e-3 ELSE 1e-6 END,
                    format('%s: %s within %s of scikit-learn (%s)', r.model, r.metric,
                           CASE WHEN r.source = 'lbfgs' AND r.metric = 'accuracy' THEN '0.002'
                                WHEN r.source = 'lbfgs' THEN '1e-3' ELSE '1e-6' END, r.source))
  FROM ref_metric r
  JOIN (VALUES ('iris'), ('iris_raw'), ('bc'), ('wine')) m(mldb) ON m.mldb = r.model
  JOIN mldb.model_versions v ON v.model = m.mldb AND v.version = 1
 WHERE r.metric IN ('accuracy', 'log_loss')
 ORDER BY r.model, r.source, r.metric;
SELECT is(metrics ->> 'split', 'train', format('%s: metrics on the training rows when test_size is 0', model))
  FROM mldb.model_versions WHERE model IN ('iris', 'bc') ORDER BY model;

-- alpha = 1/C: the same model
SELECT ok(rows_used = 150, 'iris: alpha = 0.5 trains')
  FROM mldb.train('iris_alpha', 'logistic_regression', 'iris', 'species',
                  (SELECT features FROM feats WHERE model = 'iris'), '{"test_size": 0, "alpha": 0.5}');
SELECT ok(rows_used = 150, 'iris: C = 2 trains')
  FROM mldb.train('iris_c2', 'logistic_regression', 'iris', 'species',
                  (SELECT features FROM feats WHERE model = 'iris'), '{"test_size": 0, "C": 2}');
SELECT pg_temp.near(max(abs(pg_temp.param('iris_alpha', 'coef', c, t) - pg_temp.param('iris_c2', 'coef', c, t))),
                    0, 0, 1e-12, 'alpha = 0.5 and C = 2 give the same coefficients')
  FROM unnest(ARRAY['setosa', 'versicolor', 'virginica']) c,
       unnest(ARRAY['(intercept)', 'sepal_length', 'sepal_width', 'petal_length', 'petal_width']) t;

-- ===========================================================================
-- G. Unpenalised multinomial (K - 1 vectors against the first class)
--    against statsmodels MNLogit, wine on three features.
-- ===========================================================================
SELECT ok(rows_used = 178, 'wine3: unpenalised multinomial trains on 178 rows')
  FROM mldb.train('wine3', 'logistic_regression',
                  'SELECT cultivar::text AS label, alcohol, malic_acid, ash FROM wine', 'label',
                  NULL, '{"test_size": 0, "penalty": "none"}');
SELECT pg_temp.near(pg_temp.param('wine3', 'coef', r.class, r.term), r.coef, 1e-6, 1e-9,
                    format('wine3: coef %s %s = statsmodels MNLogit', r.class, r.term))
  FROM ref_coef r WHERE r.model = 'wine3' ORDER BY r.class, r.term;
SELECT ok(pg_temp.param('wine3', 'coef', '0', t) = 0, format('wine3: reference class 0 has %s = 0', t))
  FROM unnest(ARRAY['(intercept)', 'alcohol', 'malic_acid', 'ash']) t;
SELECT pg_temp.near(pg_temp.param('wine3', 'log_likelihood'), value, 1e-6, 0,
                    'wine3: log_likelihood = statsmodels MNLogit')
  FROM ref_metric WHERE model = 'wine3' AND metric = 'log_likelihood';
SELECT pg_temp.near((metrics ->> r.metric)::float8, r.value, 1e-6, 0,
                    format('wine3: %s = statsmodels MNLogit', r.metric))
  FROM ref_metric r, mldb.model_versions v
 WHERE r.model = 'wine3' AND r.metric IN ('accuracy', 'log_loss') AND v.model = 'wine3'
 ORDER BY r.metric;
SELECT pg_temp.near((mldb.predict_proba('wine3', alcohol, malic_acid, ash))[r.k + 1], r.p, 0, 1e-6,
                    format('wine3: predict_proba row %s class %s = statsmodels', r.id, r.k))
  FROM ref_proba r JOIN wine t ON t.id = r.id WHERE r.model = 'wine3' ORDER BY r.id, r.k;

-- ===========================================================================
-- H. Separable data: a WARNING, "separable": true, finite coefficients, no
--    inference statistics.  Complete: x < 0 is always false, x > 0 true.
--    Quasi-complete: the same plus x = 0 rows of both classes.
-- ===========================================================================
SET client_min_messages = error;	-- the WARNINGs are in test/expected/logistic.out
CREATE TABLE sep AS
SELECT x::float8 AS x, x > 0 AS y FROM generate_series(-10, 10) x WHERE x <> 0;
CREATE TABLE quasi AS
SELECT x::float8 AS x, (x > 0 OR (x = 0 AND i % 2 = 0)) AS y, (i % 3)::float8 AS z
  FROM generate_series(-10, 10) x, generate_series(1, 6) i;
SELECT ok(rows_used = 20, 'separable: trains (with a WARNING)')
  FROM mldb.train('sep', 'logistic_regression', 'sep', 'y', NULL, '{"test_size": 0, "penalty": "none"}');
SELECT ok(rows_used = 126, 'quasi-separable: trains (with a WARNING)')
  FROM mldb.train('quasi', 'logistic_regression', 'quasi', 'y', NULL, '{"test_size": 0, "penalty": "none"}');
SELECT is(mldb.describe(m) -> 'params' ->> 'separation', s, format('%s: separation %s detected', m, s))
  FROM (VALUES ('sep', 'complete'), ('quasi', 'quasi-complete')) v(m, s) ORDER BY m;
SELECT ok((p ->> 'separable')::bool AND NOT (p ->> 'converged')::bool
          AND (p ->> 'iterations')::int < 100 AND NOT p ? 'std_err'
          AND abs((p -> 'coef' ->> 'x')::float8) < 1e4 AND (p -> 'coef' ->> 'x')::float8 > 0,
          format('%s: stopped early with a finite positive slope and no standard errors', m))
  FROM (SELECT m, mldb.describe(m) -> 'params' AS p FROM unnest(ARRAY['quasi', 'sep']) m) s
 ORDER BY m;
SELECT ok(bool_and(mldb.predict('sep', s) = s.y::int), 'separable: every training row predicted right')
  FROM sep s;
-- the same data with the default L2 penalty: a proper optimum
SELECT ok(rows_used = 20, 'separable data with the L2 penalty trains')
  FROM mldb.train('sep_l2', 'logistic_regression', 'sep', 'y', NULL, '{"test_size": 0}');
SELECT ok(NOT (p ->> 'separable')::bool AND (p ->> 'converged')::bool,
          'separable data with the L2 penalty: a proper optimum, converged')
  FROM (SELECT mldb.describe('sep_l2') -> 'params' AS p) s;
SET client_min_messages = warning;

-- ===========================================================================
-- I. Errors: SQLSTATE and hint.
-- ===========================================================================
SELECT is(e.state, w.state, format('error %s: SQLSTATE %s', w.what, w.state))
  FROM (VALUES
    ('C and alpha together', '22023',
     $q$SELECT mldb.train('e1', 'logistic_regression', 'iris', 'species', NULL, '{"C": 1, "alpha": 1}')$q$),
    ('penalty none with C', '22023',
     $q$SELECT mldb.train('e2', 'logistic_regression', 'iris', 'species', NULL, '{"penalty": "none", "C": 1}')$q$),
    ('C = 0', '22023',
     $q$SELECT mldb.train('e3', 'logistic_regression', 'iris', 'species', NULL, '{"C": 0}')$q$),
    ('C negative', '22023',
     $q$SELECT mldb.train('e4', 'logistic_regression', 'iris', 'species', NULL, '{"C": -1}')$q$),
    ('penalty l1', '22023',
     $q$SELECT mldb.train('e5', 'logistic_regression', 'iris', 'species', NULL, '{"penalty": "l1"}')$q$),
    ('tol = 0', '22023',
     $q$SELECT mldb.train('e6', 'logistic_regression', 'iris', 'species', NULL, '{"tol": 0}')$q$),
    ('single class', '22023',
     $q$SELECT mldb.train('e7', 'logistic_regression', 'SELECT * FROM iris WHERE species = ''setosa''', 'species', NULL, '{}')$q$),
    ('too many coefficients', '54000',
     $q$SELECT mldb.train('e8', 'logistic_regression', 'SELECT (g % 3)::text AS label, (g % 500)::text AS code FROM generate_series(1, 1500) g', 'label', NULL, '{"max_categories": 500, "solver": "newton"}')$q$),
    ('constant feature without penalty', '22023',
     $q$SELECT mldb.train('e9', 'logistic_regression', 'SELECT species, 1.0::float8 AS one, petal_length FROM iris', 'species', NULL, '{"penalty": "none"}')$q$),
    ('predict on text labels', '42804',
     $q$SELECT mldb.predict('iris', t) FROM iris t LIMIT 1$q$),
    ('predict_proba of an unknown class', '22023',
     $q$SELECT mldb.predict_proba('iris', t, 'rose') FROM iris t LIMIT 1$q$)
  ) AS w(what, state, sql)
  CROSS JOIN LATERAL pg_temp.error_of(w.sql) e
 ORDER BY w.what;
SELECT ok(e.hint LIKE w.hint, format('error %s: the hint says %s', w.what, w.hint))
  FROM (VALUES
    ('C and alpha together', '%alpha = 1/C%',
     $q$SELECT mldb.train('e1', 'logistic_regression', 'iris', 'species', NULL, '{"C": 1, "alpha": 1}')$q$),
    ('penalty none with C', '%"penalty": "l2"%',
     $q$SELECT mldb.train('e2', 'logistic_regression', 'iris', 'species', NULL, '{"penalty": "none", "C": 1}')$q$),
    ('penalty l1', '%l2, none%',
     $q$SELECT mldb.train('e5', 'logistic_regression', 'iris', 'species', NULL, '{"penalty": "l1"}')$q$),
    ('too many coefficients', '%fewer features%',
     $q$SELECT mldb.train('e8', 'logistic_regression', 'SELECT (g % 3)::text AS label, (g % 500)::text AS code FROM generate_series(1, 1500) g', 'label', NULL, '{"max_categories": 500, "solver": "newton"}')$q$),
    ('predict on text labels', '%predict_class%',
     $q$SELECT mldb.predict('iris', t) FROM iris t LIMIT 1$q$)
  ) AS w(what, hint, sql)
  CROSS JOIN LATERAL pg_temp.error_of(w.sql) e
 ORDER BY w.what;

-- ===========================================================================
-- J. Warm start: from the deployed version, the same optimum.
-- ===========================================================================
SELECT ok(rows_used = 150, 'iris: retrained with warm_start')
  FROM mldb.train('iris', 'logistic_regression', 'iris', 'species',
                  (SELECT features FROM feats WHERE model = 'iris'),
                  '{"test_size": 0, "warm_start": true, "deploy": "never"}');
SELECT ok((b.params ->> 'warm_start')::bool AND (b.params ->> 'iterations')::int <= 1
          AND (b.params ->> 'sample_iterations')::int = 0,
          'warm start: starts at the deployed coefficients, at most one Newton step')
  FROM mldb.model_versions b WHERE b.model = 'iris' AND b.version = 2;
SELECT pg_temp.near(max(abs((a.params -> 'coef' -> c ->> t)::float8 - (b.params -> 'coef' -> c ->> t)::float8)),
                    0, 0, 1e-8, 'warm start: the same coefficients as the cold start')
  FROM mldb.model_versions a, mldb.model_versions b,
       unnest(ARRAY['setosa', 'versicolor', 'virginica']) c,
       unnest(ARRAY['(intercept)', 'sepal_length', 'sepal_width', 'petal_length', 'petal_width']) t
 WHERE a.model = 'iris' AND a.version = 1 AND b.model = 'iris' AND b.version = 2;

SELECT * FROM finish();
ROLLBACK;
