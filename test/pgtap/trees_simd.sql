-- The vector tree walks (src/tree_simd.c, forests of depth <= 6: 32 trees
-- at a time with AVX-512 on <= 32 features, mldb.simd = on; 16 at a time
-- with AVX2 on <= 16 features, mldb.simd = avx2) against the scalar rank
-- walk they replace (mldb.simd = off), on the same stored models: every
-- prediction and probability equal to 1e-12 relative (the only difference
-- is the order in which tree values are added).  The scalar walk itself is
-- checked against scikit-learn in trees_reference.sql and
-- trees_missing.sql, which run with the default, mldb.simd = on.
--
-- The shapes that have their own code: a last block of 32 with fewer
-- trees (45 = 32 + 13, 33, 1 tree), exactly 32 trees, each depth 1 .. 6
-- (depth 7 keeps the scalar walk), leaves returned per tree
-- (predict_proba of a forest, multiclass boosting), 30 features (breast
-- cancer: AVX-512 only), and a feature whose thresholds crowd one rank
-- bucket (for the AVX-512 walk's own ranking): x5 =
-- exp(k / 40) spans 1 .. 7e10 and the buckets are equal-width, so ~190 of
-- its thresholds share the first bucket, where the rank is counted
-- lane by lane.  On a CPU without AVX-512 (AVX2) mldb.simd = on takes the
-- next walk down, and these still hold.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(36);
\ir helpers.psql
\ir data_breast_cancer.psql

CREATE TABLE ts AS
SELECT i, sin(i * 0.37) AS x1, cos(i * 0.11) * 3 AS x2, (i % 17)::float8 AS x3,
       sqrt(i::float8) AS x4, exp((i % 1000) / 40.0) AS x5
  FROM generate_series(1, 3000) i;
ALTER TABLE ts ADD COLUMN y float8, ADD COLUMN c text;
UPDATE ts SET y = 10 * x1 * x2 + x3 ^ 2 / 10 + ln(x5) + x4 / 10,
              c = CASE WHEN ln(x5) + x3 < 12 THEN 'low' WHEN x1 > 0 THEN 'high' ELSE 'mid' END;

-- every model: name, algorithm, label, options
CREATE TEMP TABLE models (name text, algo text, label text, opts jsonb);
INSERT INTO models VALUES
  ('s_gb45', 'gradient_boosting', 'y', '{"n_estimators": 45, "max_depth": 6}'),
  ('s_gb32', 'gradient_boosting', 'y', '{"n_estimators": 32, "max_depth": 3}'),
  ('s_gb33', 'gradient_boosting', 'y', '{"n_estimators": 33, "max_depth": 5}'),
  ('s_gb1', 'gradient_boosting', 'y', '{"n_estimators": 1, "max_depth": 1}'),
  ('s_gbd2', 'gradient_boosting', 'y', '{"n_estimators": 40, "max_depth": 2}'),
  ('s_gbd4', 'gradient_boosting', 'y', '{"n_estimators": 40, "max_depth": 4}'),
  ('s_gbd7', 'gradient_boosting', 'y', '{"n_estimators": 20, "max_depth": 7}'),
  ('s_dt', 'decision_tree', 'y', '{"max_depth": 6}'),
  ('s_rfc', 'random_forest', 'c', '{"n_estimators": 37, "max_depth": 6}'),
  ('s_gbc', 'gradient_boosting', 'c', '{"n_estimators": 30, "max_depth": 6}');

SELECT lives_ok(format($$SELECT mldb.train(%L, %L, 'ts', %L, ARRAY['x1', 'x2', 'x3', 'x4', 'x5'], %L)$$,
                       name, algo, label, opts), name || ' trains')
  FROM models ORDER BY name;
SELECT lives_ok($$SELECT mldb.train('s_bc', 'gradient_boosting', 'bc', 'diagnosis', NULL,
                  '{"n_estimators": 50, "max_depth": 6}')$$, 'breast cancer (30 features) trains');

-- predictions (and probabilities) under one setting of mldb.simd
CREATE FUNCTION pg_temp.outputs(simd text)
RETURNS TABLE (model text, id int, k int, v float8) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('mldb.simd', simd, true);
    RETURN QUERY
    SELECT m.name, t.i, 0, mldb.predict(m.name, t.x1, t.x2, t.x3, t.x4, t.x5)
      FROM models m, ts t WHERE m.label = 'y'
    UNION ALL
    SELECT m.name, t.i, p.k::int, p.v
      FROM models m, ts t,
           unnest(mldb.predict_proba(m.name, t.x1, t.x2, t.x3, t.x4, t.x5)) WITH ORDINALITY p(v, k)
     WHERE m.label = 'c'
    UNION ALL
    SELECT 's_bc', b.id, 0, mldb.predict_proba('s_bc', b, 'malignant') FROM bc b;
END $$;

CREATE TEMP TABLE vec AS SELECT * FROM pg_temp.outputs('on');
CREATE TEMP TABLE av2 AS SELECT * FROM pg_temp.outputs('avx2');
CREATE TEMP TABLE sca AS SELECT * FROM pg_temp.outputs('off');
RESET mldb.simd;

SELECT is((SELECT count(*) FROM vec JOIN sca USING (model, id, k)), (SELECT count(*) FROM sca),
          'the same outputs under on and off');
SELECT is((SELECT count(*) FROM av2 JOIN sca USING (model, id, k)), (SELECT count(*) FROM sca),
          'the same outputs under avx2 and off');
SELECT ok(max(abs(vec.v - sca.v) / greatest(abs(sca.v), 1)) <= 1e-12,
          model || ': vector walk (on) = scalar walk to 1e-12 relative')
  FROM vec JOIN sca USING (model, id, k) GROUP BY model ORDER BY model;
SELECT ok(max(abs(av2.v - sca.v) / greatest(abs(sca.v), 1)) <= 1e-12,
          model || ': AVX2 walk = scalar walk to 1e-12 relative')
  FROM av2 JOIN sca USING (model, id, k) GROUP BY model ORDER BY model;
SELECT throws_ok($$SET mldb.simd = 'avx3'$$, '22023', NULL, 'mldb.simd takes on, avx2 or off');
SELECT * FROM finish();
ROLLBACK;
