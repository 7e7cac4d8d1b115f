-- Tree models: both training passes (bin-edge sample, binned rows) plan as
-- Partial/Finalize Aggregate; a parallel training gives the same trees as
-- a serial one (rows are put in a content-hash order before growing);
-- mldb.tree_memory caps the in-memory rows with a NOTICE.
CREATE TABLE tr_t AS
SELECT i AS id,
       (i % 97) / 10.0 AS x1,
       ((i * 7919) % 1000) / 100.0 AS x2,
       sin(i)::float8 AS x3,
       CASE WHEN i % 3 = 0 THEN 'a' WHEN i % 3 = 1 THEN 'b' ELSE 'c' END AS grp
FROM generate_series(1, 60000) i;
ALTER TABLE tr_t ADD COLUMN y float8;
UPDATE tr_t SET y = 3 + 2 * x1 - 0.5 * x2 + 4 * x3 * x3 + CASE grp WHEN 'a' THEN 1 ELSE 0 END
                    + ((id * 31) % 17 - 8) / 100.0;
VACUUM ANALYZE tr_t;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET mldb.explain_passes = on;
SELECT model, version, rows_used, rows_skipped
  FROM mldb.train('tr_gb', 'gradient_boosting', 'tr_t', 'y', ARRAY['x1', 'x2', 'x3', 'grp'],
                  '{"n_estimators": 20, "learning_rate": 0.5}');
SET mldb.explain_passes = off;

-- the same model trained serially
SET max_parallel_workers_per_gather = 0;
SELECT model, version, rows_used
  FROM mldb.train('tr_gb', 'gradient_boosting', 'tr_t', 'y', ARRAY['x1', 'x2', 'x3', 'grp'],
                  '{"n_estimators": 20, "learning_rate": 0.5, "deploy": "never"}');
SET max_parallel_workers_per_gather = 2;
SELECT a.params = b.params AS same_params,
       abs((a.metrics->>'r2')::float8 - (b.metrics->>'r2')::float8) < 1e-12 AS same_r2,
       (a.metrics->>'r2')::float8 > 0.99 AS fits
  FROM mldb.model_versions a, mldb.model_versions b
 WHERE a.model = 'tr_gb' AND a.version = 1 AND b.model = 'tr_gb' AND b.version = 2;

-- predict runs in parallel workers; pinned serial version predicts the same
EXPLAIN (COSTS OFF) SELECT sum(mldb.predict('tr_gb', x1, x2, x3, grp)) FROM tr_t;
SELECT round(sum(mldb.predict('tr_gb', x1, x2, x3, grp))::numeric, 6) =
       round(sum(mldb.predict('tr_gb@2', x1, x2, x3, grp))::numeric, 6) AS same_predictions
  FROM tr_t;

-- one-hot slots are 2-bin features; importances name the slots
SELECT key, round(value::numeric, 3) AS importance
  FROM mldb.model_versions, jsonb_each_text(params->'feature_importances')
 WHERE model = 'tr_gb' AND version = 1 ORDER BY key;
SELECT params->'bins' AS bins FROM mldb.model_versions WHERE model = 'tr_gb' AND version = 1;

-- a small memory budget: a uniform sample, with a NOTICE; the same sample
-- whether the scan is parallel or not
SET mldb.tree_memory = '1MB';
SELECT model, version, rows_used
  FROM mldb.train('tr_small', 'random_forest', 'tr_t', 'y', ARRAY['x1', 'x2', 'x3'],
                  '{"n_estimators": 5, "max_depth": 4}');
SET max_parallel_workers_per_gather = 0;
SELECT model, version, rows_used
  FROM mldb.train('tr_small', 'random_forest', 'tr_t', 'y', ARRAY['x1', 'x2', 'x3'],
                  '{"n_estimators": 5, "max_depth": 4, "deploy": "never"}');
RESET max_parallel_workers_per_gather;
RESET mldb.tree_memory;
SELECT a.params = b.params AS same_forest
  FROM mldb.model_versions a, mldb.model_versions b
 WHERE a.model = 'tr_small' AND a.version = 1 AND b.model = 'tr_small' AND b.version = 2;

-- classification with a boolean target; options checked
SELECT model, (metrics->>'accuracy')::float8 > 0.9 AS accurate
  FROM mldb.train('tr_cls', 'decision_tree', 'SELECT x1, x2, x3, y > 10 AS big FROM tr_t', 'big',
                  NULL, '{"max_depth": 5}');
SELECT mldb.classes('tr_cls');
SELECT mldb.train('tr_bad', 'gradient_boosting', 'tr_t', 'y', NULL, '{"max_depth": 0}');
SELECT mldb.train('tr_bad', 'random_forest', 'tr_t', 'y', NULL, '{"n_estimators": 0}');
SELECT mldb.train('tr_bad', 'gradient_boosting', 'tr_t', 'y', NULL, '{"learning_rate": 0}');
SELECT mldb.train('tr_bad', 'decision_tree', 'tr_t', 'y', NULL, '{"max_bins": 256}');
SELECT mldb.train('tr_bad', 'decision_tree', 'tr_t', 'y', NULL, '{"criterion": "entropy"}');

SELECT mldb.drop_model(m) FROM unnest(ARRAY['tr_gb', 'tr_small', 'tr_cls']) m;
DROP TABLE tr_t;
