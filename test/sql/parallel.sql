-- Training passes and predict run in parallel workers: the pass aggregate
-- plans as Partial/Finalize Aggregate, and a parallel training gives the
-- same model as a serial one (the merge is exact up to rounding).
CREATE TABLE par_t AS
SELECT i AS id,
       (i % 97) / 10.0 AS x1,
       ((i * 7919) % 1000) / 100.0 AS x2,
       sin(i)::float8 AS x3
FROM generate_series(1, 100000) i;
ALTER TABLE par_t ADD COLUMN y float8;
UPDATE par_t SET y = 3 + 2 * x1 - 0.5 * x2 + 4 * x3 + ((id * 31) % 17 - 8) / 100.0;
VACUUM ANALYZE par_t;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET mldb.explain_passes = on;

SELECT model, version, rows_used, rows_skipped
  FROM mldb.train('par', 'linear_regression', 'par_t', 'y', ARRAY['x1', 'x2', 'x3']);
SET mldb.explain_passes = off;
SELECT model, version, rows_used
  FROM mldb.train('par', 'linear_regression', 'SELECT x1, x2, x3, y FROM par_t', 'y', NULL, '{"deploy": "never"}');

-- the same version trained serially
SET max_parallel_workers_per_gather = 0;
SELECT model, version, rows_used
  FROM mldb.train('par', 'linear_regression', 'par_t', 'y', ARRAY['x1', 'x2', 'x3'], '{"deploy": "never"}');
SET max_parallel_workers_per_gather = 2;

SELECT k, round((a.params->'coef'->>k)::numeric, 9) AS parallel,
       round((b.params->'coef'->>k)::numeric, 9) AS serial,
       abs((a.params->'coef'->>k)::float8 - (b.params->'coef'->>k)::float8)
         <= 1e-9 * abs((b.params->'coef'->>k)::float8) AS same
  FROM mldb.model_versions a, mldb.model_versions b,
       unnest(ARRAY['(intercept)', 'x1', 'x2', 'x3']) k
 WHERE a.model = 'par' AND a.version = 1 AND b.model = 'par' AND b.version = 3
 ORDER BY k;
SELECT (a.metrics->>'n') = (b.metrics->>'n') AS same_holdout_rows
  FROM mldb.model_versions a, mldb.model_versions b
 WHERE a.model = 'par' AND a.version = 1 AND b.model = 'par' AND b.version = 3;

-- predict inside parallel workers, in every argument form
EXPLAIN (COSTS OFF) SELECT sum(mldb.predict('par', x1, x2, x3)) FROM par_t;
EXPLAIN (COSTS OFF) SELECT sum(mldb.predict('par', t)) FROM par_t t;
SELECT round(sum(mldb.predict('par', x1, x2, x3))::numeric, 4) AS variadic,
       round(sum(mldb.predict('par', t))::numeric, 4) AS whole_row,
       round(sum(mldb.predict('par', ARRAY[x1, x2, x3]))::numeric, 4) AS array_form,
       round(sum(mldb.predict('par@3', x1, x2, x3))::numeric, 4) AS pinned_serial_version
  FROM par_t t;

-- evaluate on the hold-out split scans in parallel too, and agrees with
-- the metrics computed at training from the hold-out moments
SELECT abs((mldb.evaluate('par')->>'r2')::float8 - (metrics->>'r2')::float8) < 1e-9 AS r2_agrees,
       (mldb.evaluate('par')->>'n') = metrics->>'n' AS n_agrees
  FROM mldb.model_versions WHERE model = 'par' AND version = 1;
SELECT mldb.drop_model('par');
