-- mldb.drift: the sample pass over the new rows plans as a parallel
-- Partial/Finalize Aggregate, its sample (and so every number) is the same
-- in parallel and serially, and on a copy of the training data with one
-- feature shifted by two standard deviations exactly that feature (and the
-- prediction) is flagged.  Numerical checks against closed forms are in
-- test/pgtap/drift.sql.
CREATE TABLE drift_t AS
SELECT i AS id,
       ((i * 7919) % 1000) / 100.0 AS x1,
       sin(i)::float8 + cos(3 * i)::float8 AS x2,
       (i % 97)::float8 AS x3,
       (ARRAY['red', 'green', 'blue', 'green'])[i % 4 + 1] AS colour
FROM generate_series(1, 60000) i;
ALTER TABLE drift_t ADD COLUMN y float8;
UPDATE drift_t SET y = 1 + 2 * x1 + 3 * x2 - 0.05 * x3
                     + CASE colour WHEN 'red' THEN 1 WHEN 'blue' THEN -1 ELSE 0 END
                     + ((id * 31) % 17 - 8) / 10.0;
VACUUM ANALYZE drift_t;

SELECT model, version, rows_used
  FROM mldb.train('drift_m', 'linear_regression', 'drift_t', 'y', ARRAY['x1', 'x2', 'x3', 'colour']);

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

-- the pass plan, then the data against itself: nothing drifts
SET mldb.explain_passes = on;
SELECT feature, kind, round(psi::numeric, 4) AS psi, round(ks::numeric, 4) AS ks,
       round(chi2::numeric, 3) AS chi2, round(p_value::numeric, 3) AS p_value, drifted
  FROM mldb.drift('drift_m', 'drift_t');
SET mldb.explain_passes = off;

-- the same sample serially: identical numbers, to the last bit
CREATE TEMP TABLE drift_par AS SELECT * FROM mldb.drift('drift_m', 'drift_t');
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE drift_ser AS SELECT * FROM mldb.drift('drift_m', 'drift_t');
SET max_parallel_workers_per_gather = 2;
SELECT count(*) AS rows, count(*) FILTER (WHERE p IS NOT DISTINCT FROM s) AS identical
  FROM drift_par p FULL JOIN drift_ser s USING (feature);

-- x2 shifted by two standard deviations: x2 and the prediction drift.
-- (The standard deviation is rounded: a parallel stddev_samp may differ in
-- its last bit from run to run, and the sample is chosen by a hash of the
-- rows' exact values.)
CREATE TEMP TABLE drift_sd AS SELECT round(stddev_samp(x2)::numeric, 6)::float8 AS sd FROM drift_t;
CREATE TEMP VIEW drift_shifted AS
SELECT id, x1, x2 + 2 * (SELECT sd FROM drift_sd) AS x2, x3, colour FROM drift_t;
SELECT feature, kind, round(psi::numeric, 2) AS psi, round(ks::numeric, 2) AS ks, drifted
  FROM mldb.drift('drift_m', 'drift_shifted');

-- six green rows in seven turned blue: colour drifts (PSI and chi-square)
SELECT feature, kind, round(psi::numeric, 3) AS psi, round(chi2::numeric, 0) AS chi2,
       p_value < 1e-10 AS significant, drifted
  FROM mldb.drift('drift_m', $$SELECT x1, x2, x3,
                                      CASE WHEN colour = 'green' AND id % 7 <> 0 THEN 'blue'
                                           ELSE colour END AS colour
                                 FROM drift_t$$)
 WHERE feature = 'colour';

-- a pinned version and a query as relation work as everywhere else
SELECT count(*) AS rows, bool_or(drifted) AS any_drift
  FROM mldb.drift('drift_m@1', 'SELECT * FROM drift_t WHERE id % 3 = 0');

SELECT mldb.drop_model('drift_m');
