-- kmeans_pca.sql: mldb's kmeans and pca on Fisher's iris data
-- (test/data/iris.csv, scikit-learn's copy) against scikit-learn 1.2.1 /
-- numpy 1.24.2 (Debian 12 python3-sklearn, used only as an oracle), never
-- against mldb's own output.  Every model is trained with "test_size": 0 so
-- it sees all 150 rows, as the references did.
--
-- Tolerances: kmeans inertia 1e-6 relative (the optimum k = 3 inertia of
-- raw iris, 78.851441426146, is reached with n_init restarts); centroids,
-- distances and silhouettes 1e-9; PCA explained variance (ratio) 1e-9
-- relative (the issue asks 1e-6); components and transforms 1e-9, up to
-- the sign of each component: scikit-learn flips signs by the scores
-- (svd_flip on U), mldb makes the largest-magnitude loading positive.
--
-- The reference script (run from the repository root with /usr/bin/python3):
--
--   # Reference values for test/pgtap/kmeans_pca.sql (Debian 12 python3-sklearn).
--   import numpy as np, sklearn
--   from sklearn.cluster import KMeans
--   from sklearn.decomposition import PCA
--   from sklearn.preprocessing import StandardScaler
--   from sklearn.datasets import load_iris
--   X = np.loadtxt("test/data/iris.csv", delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))
--   assert np.array_equal(X, load_iris().data)
--   print("sklearn", sklearn.__version__, "numpy", np.__version__)
--   km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X)
--   print("kmeans raw inertia", repr(km.inertia_))
--   print("kmeans raw sizes", sorted(np.bincount(km.labels_).tolist()))
--   for c in km.cluster_centers_:
--       print("kmeans raw centre", [repr(v) for v in c])
--   sc = StandardScaler().fit(X)
--   Z = sc.transform(X)
--   print("scaler mean", [repr(v) for v in sc.mean_])
--   print("scaler scale", [repr(v) for v in sc.scale_])
--   kz = KMeans(n_clusters=3, n_init=10, random_state=0).fit(Z)
--   print("kmeans standardized inertia", repr(kz.inertia_))
--   for name, D in (("cov", X), ("corr", Z)):
--       p = PCA().fit(D)
--       print(name, "mean", [repr(v) for v in p.mean_])
--       print(name, "explained_variance", [repr(v) for v in p.explained_variance_])
--       print(name, "explained_variance_ratio", [repr(v) for v in p.explained_variance_ratio_])
--       for c in p.components_:
--           print(name, "component", [repr(v) for v in c])
--       T = p.transform(D)
--       for i in (0, 50, 100):
--           print(name, "transform row", i + 1, [repr(v) for v in T[i]])
--       print(name, "n_components=0.95 ->", PCA(n_components=0.95).fit(D).n_components_)
--   from sklearn.metrics import silhouette_score
--   print("silhouette raw k=3", repr(silhouette_score(X, km.labels_)))
--   print("silhouette standardized k=3", repr(silhouette_score(Z, kz.labels_)))
--
-- and its output:
--
--   sklearn 1.2.1 numpy 1.24.2
--   kmeans raw inertia 78.851441426146
--   kmeans raw sizes [38, 50, 62]
--   kmeans raw centre ['5.901612903225806', '2.7483870967741937', '4.393548387096774', '1.4338709677419355']
--   kmeans raw centre ['5.006', '3.428', '1.4620000000000002', '0.24600000000000055']
--   kmeans raw centre ['6.85', '3.0736842105263156', '5.742105263157894', '2.0710526315789473']
--   scaler mean ['5.843333333333335', '3.057333333333334', '3.7580000000000027', '1.199333333333334']
--   scaler scale ['0.8253012917851409', '0.43441096773549437', '1.7594040657753032', '0.7596926279021594']
--   kmeans standardized inertia 139.82049635974982
--   cov mean ['5.843333333333335', '3.057333333333334', '3.7580000000000027', '1.199333333333334']
--   cov explained_variance ['4.228241706034862', '0.2426707479286332', '0.07820950004291935', '0.023835092973449427']
--   cov explained_variance_ratio ['0.9246187232017271', '0.053066483117067804', '0.017102609807929763', '0.005212183873275374']
--   cov component ['0.3613865917853685', '-0.08452251406456857', '0.8566706059498348', '0.35828919715155066']
--   cov component ['0.6565887712868423', '0.7301614347850268', '-0.17337266279585695', '-0.07548101991746337']
--   cov component ['-0.5820298513060653', '0.5979108301000855', '0.07623607582096331', '0.5458314320200754']
--   cov component ['-0.31548719290397526', '0.3197231036661291', '0.47983898699463445', '-0.7536574252640454']
--   cov transform row 1 ['-2.684125625969536', '0.3193972465851003', '-0.027914827589413993', '-0.00226243707131768']
--   cov transform row 51 ['1.2848256888583505', '0.6851604704673092', '-0.40656802546769444', '-0.018525287923270184']
--   cov transform row 101 ['2.5311927278036266', '-0.009849109498801939', '0.7601654272458952', '0.029055572778699967']
--   cov n_components=0.95 -> 2
--   corr mean ['-1.6903145549918008e-15', '-1.84297022087776e-15', '-1.6986412276764896e-15', '-1.4092430925908654e-15']
--   corr explained_variance ['2.938085050199996', '0.9201649041624869', '0.14774182104494812', '0.020853862176462297']
--   corr explained_variance_ratio ['0.7296244541329988', '0.2285076178670175', '0.03668921889282877', '0.0051787091071548025']
--   corr component ['0.5210659146701195', '-0.26934744250594256', '0.5804130957962944', '0.5648565357793611']
--   corr component ['0.37741761556456677', '0.9232956595407149', '0.024491609085586563', '0.06694198696805831']
--   corr component ['-0.719566352700817', '0.2443817795143992', '0.14212636933390357', '0.6342727371109229']
--   corr component ['-0.2612862799524532', '0.12350961958551887', '0.801449246335988', '-0.5235971345661907']
--   corr transform row 1 ['-2.264702808807587', '0.4800265965209898', '-0.1277060223001525', '-0.024168203855478243']
--   corr transform row 51 ['1.1017811830529478', '0.8629724182621581', '-0.6845861626897375', '-0.03483377552322103']
--   corr transform row 101 ['1.8445688677230292', '0.870421312324823', '1.0054010176069876', '0.0492497432376775']
--   corr n_components=0.95 -> 2
--   silhouette raw k=3 0.5528190123564094
--   silhouette standardized k=3 0.45994823920518635
--
-- Run from the repository root: pg_prove -d DB test/pgtap/kmeans_pca.sql

\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;

SELECT plan(90);

-- ---------------------------------------------------------------------------
-- Helpers (temporary: gone with the ROLLBACK)
-- ---------------------------------------------------------------------------

\ir helpers.psql

-- 'SQLSTATE|message|hint' of the error a statement raises ('no error' if none)
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; msg text; hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN st || '|' || msg || '|' || hint;
END $$;

CREATE FUNCTION pg_temp.params(model text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT mldb.describe(model) -> 'params'
$$;

\ir data_iris.psql

-- x as an array, in feature order
CREATE FUNCTION pg_temp.x(i iris) RETURNS float8[] LANGUAGE sql AS $$
    SELECT ARRAY[i.sepal_length, i.sepal_width, i.petal_length, i.petal_width]
$$;

-- ---------------------------------------------------------------------------
-- A. kmeans, k = 3, raw features (standardize false), n_init 10
-- ---------------------------------------------------------------------------
SELECT ok(rows_used = 150 AND rows_skipped = 0, 'kmeans raw: trains on all 150 rows')
  FROM mldb.train('km_raw', 'kmeans', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                  '{"k": 3, "standardize": false, "n_init": 10, "test_size": 0, "seed": 0}');

SELECT pg_temp.near((pg_temp.params('km_raw') ->> 'inertia')::float8, 78.851441426146, 1e-6, 0,
                    'kmeans raw: inertia = sklearn KMeans(3, n_init=10).inertia_ 78.851441426146');
SELECT is((SELECT array_agg(s::int ORDER BY s::int)
             FROM jsonb_array_elements_text(pg_temp.params('km_raw') -> 'cluster_sizes') s),
          ARRAY[38, 50, 62], 'kmeans raw: cluster sizes 38, 50, 62 (sklearn)');
SELECT ok((pg_temp.params('km_raw') ->> 'converged')::bool, 'kmeans raw: converged');

CREATE TEMP TABLE ref_centre (ord int, c float8[]);
INSERT INTO ref_centre VALUES
    (1, ARRAY[5.901612903225806, 2.7483870967741937, 4.393548387096774, 1.4338709677419355]),
    (2, ARRAY[5.006, 3.428, 1.4620000000000002, 0.24600000000000055]),
    (3, ARRAY[6.85, 3.0736842105263156, 5.742105263157894, 2.0710526315789473]);

-- mldb's centroids, original scale, as arrays (0-based id = array position - 1)
CREATE FUNCTION pg_temp.centres(model text) RETURNS TABLE (id int, c float8[])
LANGUAGE sql AS $$
    SELECT (o - 1)::int, ARRAY[(e ->> 'sepal_length')::float8, (e ->> 'sepal_width')::float8,
                               (e ->> 'petal_length')::float8, (e ->> 'petal_width')::float8]
      FROM jsonb_array_elements(pg_temp.params(model) -> 'centroids') WITH ORDINALITY AS t(e, o)
$$;
CREATE FUNCTION pg_temp.dist(a float8[], b float8[]) RETURNS float8 LANGUAGE sql AS $$
    SELECT sqrt(sum((a[j] - b[j])^2)) FROM generate_series(1, array_length(a, 1)) j
$$;

SELECT pg_temp.near((SELECT min(pg_temp.dist(m.c, r.c)) FROM pg_temp.centres('km_raw') m), 0, 0, 1e-9,
                    format('kmeans raw: sklearn centre %s is an mldb centroid', r.ord))
  FROM ref_centre r ORDER BY r.ord;

SELECT pg_temp.near(max(abs((mldb.transform('km_raw', i))[m.id + 1] - pg_temp.dist(pg_temp.x(i), m.c))), 0, 0, 1e-9,
                    'kmeans raw: transform = Euclidean distance to every centroid, every row')
  FROM iris i, pg_temp.centres('km_raw') m;
SELECT is(count(*) FILTER (WHERE mldb.predict('km_raw', i) <>
                              (SELECT m.id FROM pg_temp.centres('km_raw') m
                                ORDER BY pg_temp.dist(pg_temp.x(i), m.c), m.id LIMIT 1)),
          0::bigint, 'kmeans raw: predict = 0-based id of the nearest centroid, every row')
  FROM iris i;
SELECT is((SELECT array_agg(n ORDER BY n) FROM
             (SELECT count(*)::int AS n FROM iris i GROUP BY mldb.predict('km_raw', i)) s),
          ARRAY[38, 50, 62], 'kmeans raw: predict gives clusters of 38, 50, 62 rows');
SELECT is(mldb.predict('km_raw', ARRAY[5.0, 3.4, 1.5, 0.2]::float8[]),
          (SELECT m.id FROM pg_temp.centres('km_raw') m
            ORDER BY pg_temp.dist(ARRAY[5.0, 3.4, 1.5, 0.2], m.c) LIMIT 1)::float8,
          'kmeans raw: predict(float8[]) = nearest centroid (the setosa one)');

SELECT pg_temp.near((metrics ->> 'inertia')::float8, 78.851441426146 / 150, 1e-6, 0,
                    'kmeans raw: metrics inertia is the per-row mean (no hold-out: train split)')
  FROM mldb.model_versions WHERE model = 'km_raw' AND version = 1;
SELECT pg_temp.near((mldb.evaluate('km_raw') ->> 'inertia_sum')::float8, 78.851441426146, 1e-6, 0,
                    'kmeans raw: evaluate inertia_sum (all rows, test_size 0)');
SELECT is((mldb.evaluate('km_raw') ->> 'n')::int, 150, 'kmeans raw: evaluate n = 150');
SELECT pg_temp.near((mldb.evaluate('km_raw') ->> 'silhouette')::float8, 0.5528190123564094, 0, 1e-9,
                    'kmeans raw: evaluate silhouette = sklearn silhouette_score (150 <= 2000 rows: exact)');
SELECT pg_temp.near((pg_temp.params('km_raw') ->> 'silhouette')::float8, 0.5528190123564094, 0, 1e-9,
                    'kmeans raw: params silhouette on the training sample = sklearn silhouette_score');
SELECT pg_temp.near((mldb.evaluate('km_raw', 'SELECT * FROM iris WHERE species = ''setosa''') ->> 'n')::float8,
                    50, 0, 0, 'kmeans raw: evaluate on another relation scores its rows');

-- same seed, same model; the training is deterministic
SELECT ok(deployed IS NOT NULL, 'kmeans raw: retrained with the same options')
  FROM mldb.train('km_raw', 'kmeans', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                  '{"k": 3, "standardize": false, "n_init": 10, "test_size": 0, "seed": 0, "deploy": "never"}');
SELECT is(b.params -> 'centroids', a.params -> 'centroids', 'kmeans raw: same seed gives identical centroids')
  FROM mldb.model_versions a, mldb.model_versions b
 WHERE a.model = 'km_raw' AND a.version = 1 AND b.model = 'km_raw' AND b.version = 2;

-- ---------------------------------------------------------------------------
-- B. kmeans, standardized features (the default): sklearn StandardScaler +
--    KMeans(3, n_init=10)
-- ---------------------------------------------------------------------------
SELECT ok(rows_used = 150, 'kmeans standardized: trains on all 150 rows')
  FROM mldb.train('km_std', 'kmeans', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                  '{"k": 3, "n_init": 10, "test_size": 0}');
SELECT pg_temp.near((pg_temp.params('km_std') ->> 'inertia')::float8, 139.82049635974982, 1e-6, 0,
                    'kmeans standardized: inertia = sklearn 139.82049635974982 (standardized units)');
SELECT pg_temp.near((pg_temp.params('km_std') -> 'mean' ->> f)::float8, m, 1e-12, 0,
                    format('kmeans standardized: mean %s = StandardScaler.mean_', f))
  FROM (VALUES ('sepal_length', 5.843333333333335), ('sepal_width', 3.057333333333334),
               ('petal_length', 3.7580000000000027), ('petal_width', 1.199333333333334)) v(f, m);
SELECT pg_temp.near((pg_temp.params('km_std') -> 'scale' ->> f)::float8, s, 1e-12, 0,
                    format('kmeans standardized: scale %s = StandardScaler.scale_', f))
  FROM (VALUES ('sepal_length', 0.8253012917851409), ('sepal_width', 0.43441096773549437),
               ('petal_length', 1.7594040657753032), ('petal_width', 0.7596926279021594)) v(f, s);
SELECT pg_temp.near((mldb.evaluate('km_std') ->> 'silhouette')::float8, 0.45994823920518635, 0, 1e-9,
                    'kmeans standardized: silhouette (standardized space) = sklearn');

-- ---------------------------------------------------------------------------
-- C. PCA on the covariance (standardize false, the default) and on the
--    correlation (standardize true = StandardScaler + PCA)
-- ---------------------------------------------------------------------------
CREATE TEMP TABLE ref_pca (model text, mean float8[], scale float8[],
                           ev float8[], evr float8[], comps float8[]);
INSERT INTO ref_pca VALUES
  ('pca_cov',
   ARRAY[5.843333333333335, 3.057333333333334, 3.7580000000000027, 1.199333333333334],
   ARRAY[1, 1, 1, 1],
   ARRAY[4.228241706034862, 0.2426707479286332, 0.07820950004291935, 0.023835092973449427],
   ARRAY[0.9246187232017271, 0.053066483117067804, 0.017102609807929763, 0.005212183873275374],
   ARRAY[[0.3613865917853685, -0.08452251406456857, 0.8566706059498348, 0.35828919715155066],
         [0.6565887712868423, 0.7301614347850268, -0.17337266279585695, -0.07548101991746337],
         [-0.5820298513060653, 0.5979108301000855, 0.07623607582096331, 0.5458314320200754],
         [-0.31548719290397526, 0.3197231036661291, 0.47983898699463445, -0.7536574252640454]]),
  ('pca_corr',
   ARRAY[5.843333333333335, 3.057333333333334, 3.7580000000000027, 1.199333333333334],
   ARRAY[0.8253012917851409, 0.43441096773549437, 1.7594040657753032, 0.7596926279021594],
   ARRAY[2.938085050199996, 0.9201649041624869, 0.14774182104494812, 0.020853862176462297],
   ARRAY[0.7296244541329988, 0.2285076178670175, 0.03668921889282877, 0.0051787091071548025],
   ARRAY[[0.5210659146701195, -0.26934744250594256, 0.5804130957962944, 0.5648565357793611],
         [0.37741761556456677, 0.9232956595407149, 0.024491609085586563, 0.06694198696805831],
         [-0.719566352700817, 0.2443817795143992, 0.14212636933390357, 0.6342727371109229],
         [-0.2612862799524532, 0.12350961958551887, 0.801449246335988, -0.5235971345661907]]);

-- sklearn's transform of a row: component c . (x - mean) / scale
CREATE FUNCTION pg_temp.ref_score(m text, c int, x float8[]) RETURNS float8 LANGUAGE sql AS $$
    SELECT sum(r.comps[c][j] * (x[j] - r.mean[j]) / r.scale[j])
      FROM pg_temp.ref_pca r, generate_series(1, 4) j WHERE r.model = m
$$;

SELECT ok(rows_used = 150, 'pca cov: trains on all 150 rows')
  FROM mldb.train('pca_cov', 'pca', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
SELECT ok(rows_used = 150, 'pca corr: trains on all 150 rows, whatever test_size (PCA has no hold-out)')
  FROM mldb.train('pca_corr', 'pca', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                  '{"standardize": true, "test_size": 0.25}');

SELECT pg_temp.near((pg_temp.params(r.model) -> 'explained_variance_ratio' ->> (c - 1))::float8, r.evr[c], 1e-9, 0,
                    format('%s: explained_variance_ratio[%s] = sklearn %s', r.model, c, r.evr[c]))
  FROM ref_pca r, generate_series(1, 4) c ORDER BY r.model, c;
SELECT pg_temp.near((pg_temp.params(r.model) -> 'explained_variance' ->> (c - 1))::float8, r.ev[c], 1e-9, 0,
                    format('%s: explained_variance[%s] (n - 1 denominator) = sklearn %s', r.model, c, r.ev[c]))
  FROM ref_pca r, generate_series(1, 4) c ORDER BY r.model, c;

-- components equal up to sign; mldb's largest-magnitude loading is positive
SELECT pg_temp.near(least(max(abs(got - r.comps[c][j])), max(abs(got + r.comps[c][j]))), 0, 0, 1e-9,
                    format('%s: component %s = sklearn up to sign', r.model, c))
  FROM ref_pca r, generate_series(1, 4) c, generate_series(1, 4) j,
       LATERAL (SELECT (pg_temp.params(r.model) -> 'components' -> (c - 1) ->>
                        (ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'])[j])::float8 AS got) g
 GROUP BY r.model, c ORDER BY r.model, c;
SELECT ok(bool_and(v.got = (SELECT max(abs(x::float8)) FROM jsonb_each_text(comp) AS e(k, x))),
          format('%s: sign convention: each component''s largest-magnitude loading is positive', m))
  FROM unnest(ARRAY['pca_cov', 'pca_corr']) m,
       jsonb_array_elements(pg_temp.params(m) -> 'components') comp,
       LATERAL (SELECT max(x::float8) AS got FROM jsonb_each_text(comp) AS e(k, x)) v
 GROUP BY m ORDER BY m;

-- transform: sklearn's rows 1, 51, 101 as printed, and every row against
-- sklearn's components and means, each up to the component's sign
CREATE TEMP TABLE ref_t (model text, id int, t float8[]);
INSERT INTO ref_t VALUES
  ('pca_cov', 1, ARRAY[-2.684125625969536, 0.3193972465851003, -0.027914827589413993, -0.00226243707131768]),
  ('pca_cov', 51, ARRAY[1.2848256888583505, 0.6851604704673092, -0.40656802546769444, -0.018525287923270184]),
  ('pca_cov', 101, ARRAY[2.5311927278036266, -0.009849109498801939, 0.7601654272458952, 0.029055572778699967]),
  ('pca_corr', 1, ARRAY[-2.264702808807587, 0.4800265965209898, -0.1277060223001525, -0.024168203855478243]),
  ('pca_corr', 51, ARRAY[1.1017811830529478, 0.8629724182621581, -0.6845861626897375, -0.03483377552322103]),
  ('pca_corr', 101, ARRAY[1.8445688677230292, 0.870421312324823, 1.0054010176069876, 0.0492497432376775]);
SELECT pg_temp.near(least(max(abs(g - w)), max(abs(g + w))), 0, 0, 1e-9,
                    format('%s: transform of rows 1, 51, 101, component %s = sklearn''s printed values up to sign', model, c))
  FROM (SELECT r.model, c, (mldb.transform(r.model, i))[c] AS g, r.t[c] AS w
          FROM ref_t r JOIN iris i USING (id), generate_series(1, 4) c) s
 GROUP BY model, c ORDER BY model, c;
SELECT pg_temp.near(least(max(abs(g - w)), max(abs(g + w))), 0, 0, 1e-9,
                    format('%s: transform of all 150 rows, component %s = sklearn up to sign', model, c))
  FROM (SELECT r.model, c, (mldb.transform(r.model, i))[c] AS g,
               pg_temp.ref_score(r.model, c, pg_temp.x(i)) AS w
          FROM ref_pca r, iris i, generate_series(1, 4) c) s
 GROUP BY model, c ORDER BY model, c;

-- n_components as a variance fraction: sklearn PCA(n_components=0.95) keeps 2
SELECT is((SELECT (metrics ->> 'n_components')::int
             FROM mldb.train('pca_frac', 'pca', 'iris', NULL,
                             ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                             '{"n_components": 0.95}')),
          2, 'pca: n_components 0.95 keeps 2 components (sklearn n_components_ = 2)');
SELECT is(array_length(mldb.transform('pca_frac', i), 1), 2, 'pca: transform returns n_components values')
  FROM iris i WHERE id = 1;

-- ---------------------------------------------------------------------------
-- D. Bad input: clean errors with a hint
-- ---------------------------------------------------------------------------
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'kmeans', 'iris', NULL, ARRAY['sepal_length'], '{}')$$),
               '^22023\|kmeans needs the number of clusters, option "k"\|.+',
               'kmeans without k: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'kmeans', 'iris', NULL, ARRAY['sepal_length'], '{"k": 0}')$$),
               '^22023\|option "k" is out of range: 0\|.+', 'kmeans k = 0: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'kmeans', 'iris', NULL, ARRAY['sepal_length'], '{"k": 151, "test_size": 0}')$$),
               '^22023\|k \(151\) is larger than the number of training rows \(150\)\|.+',
               'kmeans k > rows: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'kmeans', 'iris', NULL, ARRAY['sepal_length'], '{"k": 2.5}')$$),
               '^22023\|option "k" must be an integer\|.+', 'kmeans k = 2.5: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'kmeans', 'iris', 'sepal_length', ARRAY['sepal_width'], '{"k": 2}')$$),
               '^22023\|algorithm kmeans takes no target\|.+', 'kmeans with a target: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'pca', 'iris', 'sepal_length', ARRAY['sepal_width'])$$),
               '^22023\|algorithm pca takes no target\|.+', 'pca with a target: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'pca', 'iris', NULL, ARRAY['sepal_length', 'sepal_width'], '{"n_components": 3}')$$),
               '^22023\|n_components \(3\) is larger than the number of features \(2\)\|.+',
               'pca n_components > features: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'pca', 'iris', NULL, ARRAY['sepal_length'], '{"n_components": 0}')$$),
               '^22023\|option "n_components" is out of range: 0\|.+', 'pca n_components = 0: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'pca', 'iris', NULL, ARRAY['sepal_length'], '{"n_components": -2}')$$),
               '^22023\|option "n_components" is out of range: -2\|.+', 'pca n_components < 0: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'pca', 'iris', NULL, ARRAY['sepal_length', 'sepal_width'], '{"n_components": 1.5}')$$),
               '^22023\|option "n_components" must be an integer >= 1 or a fraction in \(0, 1\)\|.+',
               'pca n_components = 1.5: 22023 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.train('e', 'pca', 'SELECT now() AS t, 1.0 AS x', NULL, ARRAY['t', 'x'])$$),
               '^42804\|feature column "t" has type .*\|.+', 'pca on a timestamp feature: 42804 with a hint');
SELECT matches(pg_temp.err($$SELECT mldb.predict('pca_cov', i) FROM iris i$$),
               '^0A000\|a pca model has no prediction\|.*mldb.transform.*', 'predict on pca: 0A000, hint names transform');
SELECT matches(pg_temp.err($$SELECT mldb.transform('pca_cov', ARRAY[1, 2]::float8[])$$),
               '^2202E\|model "pca_cov" takes 4 features, the array has 2\|.+', 'transform with a wrong array length: clean error');
SELECT is(pg_temp.err($$SELECT mldb.train('e', 'pca', 'iris', NULL, ARRAY['sepal_length'], '{"n_components": 1}')$$),
          'no error', 'pca with a single feature and one component trains');

SELECT * FROM finish();
ROLLBACK;
