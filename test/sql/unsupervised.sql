-- Unsupervised models: kmeans and pca, their outputs, errors, and the
-- Lloyd pass running as a parallel Partial/Finalize Aggregate.
-- (Numbers are checked against scikit-learn in test/pgtap/kmeans_pca.sql;
-- this file pins what users see.)
CREATE TABLE iris (sepal_length float8, sepal_width float8,
                   petal_length float8, petal_width float8, species text);
\copy iris FROM 'test/data/iris.csv' WITH (FORMAT csv, HEADER true)

-- kmeans on the raw measurements, every row (test_size 0)
SELECT model, version, algorithm, rows_used, rows_skipped, deployed,
       round((metrics ->> 'inertia_sum')::numeric, 6) AS inertia, metrics ->> 'split' AS split
  FROM mldb.train('iris_km', 'kmeans', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                  '{"k": 3, "standardize": false, "n_init": 10, "test_size": 0}');
SELECT id - 1 AS cluster, size,
       round((c ->> 'sepal_length')::numeric, 4) AS sepal_length,
       round((c ->> 'sepal_width')::numeric, 4) AS sepal_width,
       round((c ->> 'petal_length')::numeric, 4) AS petal_length,
       round((c ->> 'petal_width')::numeric, 4) AS petal_width
  FROM mldb.model_versions v,
       jsonb_array_elements(v.params -> 'centroids') WITH ORDINALITY AS t(c, id),
       LATERAL (SELECT (v.params -> 'cluster_sizes' ->> (id - 1)::int)::int AS size) s
 WHERE v.model = 'iris_km'
 ORDER BY size;
SELECT round((params ->> 'inertia')::numeric, 6) AS inertia, params -> 'converged' AS converged,
       params -> 'n_init' AS n_init, params -> 'standardize' AS standardize,
       jsonb_array_length(params -> 'inertia_history') = (params ->> 'iterations')::int AS history_per_iteration
  FROM mldb.model_versions WHERE model = 'iris_km';

-- predict: cluster ids, 0-based; species against clusters
SELECT species, mldb.predict('iris_km', i) AS cluster, count(*)
  FROM iris i GROUP BY 1, 2 ORDER BY 1, 2;
-- transform: distance to each centroid; the smallest is the predicted one
SELECT array_length(mldb.transform('iris_km', i), 1) AS k,
       (SELECT array_position(d, min(x)) - 1 FROM unnest(d) x) = mldb.predict('iris_km', i) AS nearest
  FROM iris i, LATERAL (SELECT mldb.transform('iris_km', i) AS d) t
 LIMIT 3;
SELECT round(x::numeric, 6) AS distance
  FROM unnest(mldb.transform('iris_km', '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}'::jsonb)) x
 ORDER BY 1;

-- evaluate: inertia (mean and sum) and a sampled silhouette
SELECT key, CASE WHEN key IN ('inertia', 'inertia_sum', 'silhouette')
                 THEN round(value::text::numeric, 6)::text ELSE value::text END AS value
  FROM jsonb_each(mldb.evaluate('iris_km')) ORDER BY key;

-- standardized (the default) with a hold-out split: metrics on the hold-out
SELECT model, version, rows_used, metrics ->> 'split' AS split, (metrics ->> 'n')::int + rows_used AS total
  FROM mldb.train('iris_km_std', 'kmeans', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], '{"k": 3}');
SELECT (params -> 'mean') IS NOT NULL AS has_mean, (params -> 'scale') IS NOT NULL AS has_scale
  FROM mldb.model_versions WHERE model = 'iris_km_std';
SELECT (mldb.evaluate('iris_km_std') ->> 'n')::int = (metrics ->> 'n')::int AS evaluate_uses_holdout,
       abs((mldb.evaluate('iris_km_std') ->> 'inertia')::float8 - (metrics ->> 'inertia')::float8) < 1e-9 AS same_inertia
  FROM mldb.model_versions WHERE model = 'iris_km_std';

-- pca: covariance, then correlation keeping 95% of the variance
SELECT model, rows_used, metrics ->> 'n_components' AS n_components,
       round((metrics ->> 'explained_variance_ratio')::numeric, 6) AS kept
  FROM mldb.train('iris_pca', 'pca', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
SELECT ord, round(ev::text::numeric, 6) AS explained_variance, round(r::text::numeric, 6) AS ratio
  FROM mldb.model_versions v,
       jsonb_array_elements(v.params -> 'explained_variance') WITH ORDINALITY AS a(ev, ord)
       JOIN jsonb_array_elements(v.params -> 'explained_variance_ratio') WITH ORDINALITY AS b(r, ord2) ON ord = ord2
 WHERE v.model = 'iris_pca' ORDER BY ord;
SELECT ord, key, round(value::text::numeric, 6) AS loading
  FROM mldb.model_versions v,
       jsonb_array_elements(v.params -> 'components') WITH ORDINALITY AS c(comp, ord),
       jsonb_each(comp)
 WHERE v.model = 'iris_pca' AND ord <= 2 ORDER BY ord, key;
SELECT array(SELECT round(x::numeric, 6) FROM unnest(mldb.transform('iris_pca', i)) x) AS scores
  FROM iris i LIMIT 3;
SELECT model, rows_used, metrics ->> 'n_components' AS n_components,
       round((metrics ->> 'explained_variance_ratio')::numeric, 6) AS kept
  FROM mldb.train('iris_pca95', 'pca', 'iris', NULL,
                  ARRAY['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
                  '{"standardize": true, "n_components": 0.95}');
SELECT array(SELECT round(x::numeric, 6) FROM unnest(mldb.transform('iris_pca95', sepal_length, sepal_width, petal_length, petal_width)) x) AS scores
  FROM iris LIMIT 3;

-- errors
SELECT * FROM mldb.train('bad', 'kmeans', 'iris', NULL, ARRAY['sepal_length']);
SELECT * FROM mldb.train('bad', 'kmeans', 'iris', NULL, ARRAY['sepal_length'], '{"k": 0}');
SELECT * FROM mldb.train('bad', 'kmeans', 'iris', NULL, ARRAY['sepal_length'], '{"k": 200, "test_size": 0}');
SELECT * FROM mldb.train('bad', 'kmeans', 'iris', 'species', ARRAY['sepal_length'], '{"k": 2}');
SELECT * FROM mldb.train('bad', 'pca', 'iris', NULL, ARRAY['sepal_length', 'sepal_width'], '{"n_components": 3}');
SELECT * FROM mldb.train('bad', 'pca', 'iris', NULL, ARRAY['sepal_length'], '{"n_components": 0}');
SELECT * FROM mldb.train('bad', 'pca', 'iris', NULL, ARRAY['sepal_length', 'sepal_width'], '{"n_components": 1.5}');
SELECT * FROM mldb.train('bad', 'pca', 'SELECT now() AS t, 1.0 AS x', NULL, ARRAY['t', 'x']);
SELECT mldb.predict('iris_pca', i) FROM iris i LIMIT 1;
SELECT mldb.evaluate('iris_pca');

-- every Lloyd iteration is one parallel pass: Partial/Finalize Aggregate
CREATE TABLE km_big AS
SELECT i AS id,
       (i % 4) * 5 + sin(i * 1.3) AS a,
       ((i % 4) / 2) * 7 + cos(i * 0.7) AS b
FROM generate_series(1, 60000) i;
VACUUM ANALYZE km_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET mldb.explain_passes = on;
SELECT model, version, rows_used FROM mldb.train('km_big', 'kmeans', 'km_big', NULL, ARRAY['a', 'b'], '{"k": 4}');
SET mldb.explain_passes = off;
-- the same model trained serially
SET max_parallel_workers_per_gather = 0;
SELECT model, version FROM mldb.train('km_big', 'kmeans', 'km_big', NULL, ARRAY['a', 'b'], '{"k": 4, "deploy": "never"}');
SET max_parallel_workers_per_gather = 2;
SELECT (SELECT max(abs((a.params #>> ARRAY['centroids', c::text, f])::float8 - (b.params #>> ARRAY['centroids', c::text, f])::float8))
          FROM generate_series(0, 3) c, unnest(ARRAY['a', 'b']) f) < 1e-9 AS same_centroids,
       a.params -> 'cluster_sizes' = b.params -> 'cluster_sizes' AS same_sizes
  FROM mldb.model_versions a, mldb.model_versions b
 WHERE a.model = 'km_big' AND a.version = 1 AND b.model = 'km_big' AND b.version = 2;
-- predict and transform inside parallel workers
EXPLAIN (COSTS OFF) SELECT mldb.predict('km_big', a, b) AS c, count(*) FROM km_big GROUP BY 1;
SELECT mldb.predict('km_big', a, b) AS cluster, count(*) FROM km_big GROUP BY 1 ORDER BY 2, 1;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

SELECT mldb.drop_model(m) FROM unnest(ARRAY['iris_km', 'iris_km_std', 'iris_pca', 'iris_pca95', 'km_big']) m;
DROP TABLE iris, km_big;
