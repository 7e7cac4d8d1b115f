-- Lifecycle and security with real roles: incremental update equals a full
-- retraining (to 1e-9, from the moments), rollback, retrain, the
-- evaluations log, pg_cron schedules, and privileges: training runs with
-- the caller's rights (table privileges, row level security), only owners
-- change a model, predict needs a grant, the catalog is not writable.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(31);

CREATE TABLE lc_d (age float8, sex float8, bmi float8, bp float8, s1 float8, s2 float8,
                   s3 float8, s4 float8, s5 float8, s6 float8, target float8);
\copy lc_d from 'test/data/diabetes.csv' csv header
ALTER TABLE lc_d ADD COLUMN id serial;
CREATE TABLE lc_old AS SELECT * FROM lc_d WHERE id <= 300;
CREATE TABLE lc_new AS SELECT * FROM lc_d WHERE id > 300;

-- update: old rows' moments + new rows' moments = a training on all rows
SELECT mldb.train('lc_u', 'ridge', 'lc_old', 'target',
                  ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'], '{"alpha": 0.5}') IS NOT NULL;
SELECT is(version, 2, 'update makes version 2')
  FROM mldb.update('lc_u', 'lc_new');
SELECT mldb.train('lc_full', 'ridge', 'lc_d', 'target',
                  ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'], '{"alpha": 0.5}') IS NOT NULL;
SELECT ok(bool_and(abs((u.params->'coef'->>k)::float8 - (f.params->'coef'->>k)::float8)
                   <= 1e-9 * abs((f.params->'coef'->>k)::float8)),
          'updated coefficients equal the full training (1e-9 relative)')
  FROM mldb.model_versions u, mldb.model_versions f,
       unnest(ARRAY['(intercept)','age','sex','bmi','bp','s1','s2','s3','s4','s5','s6']) k
 WHERE u.model = 'lc_u' AND u.version = 2 AND f.model = 'lc_full' AND f.version = 1;
SELECT ok(abs((u.metrics->>'r2')::float8 - (f.metrics->>'r2')::float8) <= 1e-9,
          'updated hold-out r2 equals the full training''s')
  FROM mldb.model_versions u, mldb.model_versions f
 WHERE u.model = 'lc_u' AND u.version = 2 AND f.model = 'lc_full' AND f.version = 1;
SELECT is(rows_used, (SELECT rows_used FROM mldb.model_versions WHERE model = 'lc_full'),
          'update counts old and new training rows')
  FROM mldb.model_versions WHERE model = 'lc_u' AND version = 2;

-- a searched model updates with the setting its search chose
SELECT mldb.train('lc_s', 'ridge', 'lc_old', 'target',
                  ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6'],
                  '{"search": {"alpha": [0.001, 1000]}, "cv": 3}') IS NOT NULL;
SELECT mldb.update('lc_s', 'lc_new') IS NOT NULL;
SELECT is((SELECT (params->>'alpha')::float8 FROM mldb.model_versions WHERE model = 'lc_s' AND version = 2),
          (mldb.training_info('lc_s@1')->'best_params'->>'alpha')::float8,
          'update refits with the searched alpha');

-- deploy / rollback / retrain
SELECT mldb.deploy('lc_u', 2);
SELECT is(mldb.rollback('lc_u'), 1, 'rollback goes back to version 1');
SELECT is(deployed_version, 1, 'version 1 deployed') FROM mldb.models WHERE name = 'lc_u';
SELECT throws_ok($$SELECT mldb.rollback('lc_u')$$, '55000', NULL, 'nothing before version 1');
SELECT is(version, 3, 'retrain makes version 3 from the stored specification')
  FROM mldb.retrain('lc_u');
SELECT is((SELECT relation FROM mldb.model_versions WHERE model = 'lc_u' AND version = 3), 'lc_old',
          'retrain reads the model''s relation');
SELECT throws_ok($$SELECT mldb.update('lc_u', 'SELECT 1 AS x')$$, '42703', NULL,
                 'update needs the feature columns');
CREATE TABLE lc_iris (a float8, b float8, c float8, d float8, species text);
\copy lc_iris from 'test/data/iris.csv' csv header
SELECT mldb.train('lc_tree', 'decision_tree', 'lc_iris', 'species', ARRAY['a','b','c','d']) IS NOT NULL;
SELECT throws_ok($$SELECT mldb.update('lc_tree', 'lc_iris')$$, '0A000', NULL,
                 'models without sufficient statistics say to retrain');

-- naive bayes keeps its per-class moments: update = training on all rows
ALTER TABLE lc_iris ADD COLUMN id serial;
CREATE TABLE lc_iris_a AS SELECT * FROM lc_iris WHERE id % 3 <> 0;
CREATE TABLE lc_iris_b AS SELECT * FROM lc_iris WHERE id % 3 = 0;
SELECT mldb.train('lc_nb', 'naive_bayes', 'lc_iris_a', 'species', ARRAY['a','b','c','d'], '{"test_size": 0}') IS NOT NULL;
SELECT mldb.update('lc_nb', 'lc_iris_b') IS NOT NULL;
SELECT mldb.train('lc_nb_full', 'naive_bayes', 'lc_iris', 'species', ARRAY['a','b','c','d'], '{"test_size": 0}') IS NOT NULL;
SELECT ok(max(abs(p - q)) < 1e-9, 'naive bayes update predicts as a training on all rows')
  FROM lc_iris i, unnest(mldb.predict_proba('lc_nb@2', i), mldb.predict_proba('lc_nb_full', i)) AS u(p, q);
-- kmeans: a mini-batch step; sizes add up, centres are the running means
SELECT mldb.train('lc_km', 'kmeans', 'lc_iris_a', NULL, ARRAY['a','b','c','d'], '{"k": 3, "test_size": 0}') IS NOT NULL;
SELECT mldb.update('lc_km', 'lc_iris_b') IS NOT NULL;
SELECT is((SELECT sum(s::int) FROM mldb.model_versions, jsonb_array_elements_text(params->'cluster_sizes') s
            WHERE model = 'lc_km' AND version = 2), 150::bigint, 'kmeans update counts every row');

-- evaluate calls are logged
SELECT mldb.evaluate('lc_u') IS NOT NULL;
SELECT mldb.evaluate('lc_u', 'lc_new') IS NOT NULL;
SELECT is((SELECT count(*) FROM mldb.evaluations WHERE model = 'lc_u'), 2::bigint, 'two evaluations logged');
SELECT is((SELECT relation FROM mldb.evaluations WHERE model = 'lc_u' ORDER BY id DESC LIMIT 1), 'lc_new',
          'with the relation evaluated on');

-- pg_cron schedules (the test cluster preloads pg_cron for this database)
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT ok(mldb.schedule_retrain('lc_u', '0 3 * * *') > 0, 'schedule_retrain returns a job id');
SELECT is((SELECT command FROM cron.job WHERE jobname = 'mldb_retrain_lc_u'),
          $$SELECT mldb.retrain('lc_u')$$, 'the job retrains the model');
SELECT ok(mldb.unschedule_retrain('lc_u'), 'unschedule_retrain');
SELECT mldb.schedule_retrain('lc_full', '0 4 * * *') > 0;
SELECT mldb.drop_model('lc_full');
SELECT is((SELECT count(*) FROM cron.job WHERE jobname = 'mldb_retrain_lc_full'), 0::bigint,
          'drop_model removes its retraining job');

-- privileges, with real roles
CREATE ROLE lc_alice;
CREATE ROLE lc_bob;
GRANT SELECT ON lc_d TO lc_alice, lc_bob;
CREATE TABLE lc_secret AS SELECT * FROM lc_d;
ALTER TABLE lc_d ENABLE ROW LEVEL SECURITY;
CREATE POLICY lc_alice_half ON lc_d FOR SELECT TO lc_alice USING (id <= 221);

SET ROLE lc_alice;
SELECT throws_ok($$SELECT mldb.train('lc_a', 'ridge', 'lc_secret', 'target')$$, '42501', NULL,
                 'training reads only what the caller may read');
SELECT is(rows_used + (SELECT count(*) FROM lc_d WHERE id <= 221 AND mldb._split_unit(0, target, age, sex, bmi, bp, s1, s2, s3, s4, s5, s6) < 0.25),
          221::bigint, 'row level security applies to training')
  FROM mldb.train('lc_a', 'ridge', 'lc_d', 'target', ARRAY['age','sex','bmi','bp','s1','s2','s3','s4','s5','s6']);
SELECT throws_ok($$INSERT INTO mldb.models (name, owner, algorithm, task, relation, features)
                   VALUES ('x', 'lc_alice', 'ridge', 'regression', 't', '{}')$$, '42501', NULL,
                 'the catalog is not writable by users');
SELECT throws_ok($$SELECT state FROM mldb.model_versions$$, '42501', NULL,
                 'model states are not readable by users');
RESET ROLE;

SET ROLE lc_bob;
SELECT throws_ok($$SELECT mldb.predict('lc_a', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)$$, '42501', NULL,
                 'predict needs a grant');
SELECT throws_ok($$SELECT mldb.drop_model('lc_a')$$, '42501', NULL, 'only the owner drops');
SELECT throws_ok($$SELECT mldb.retrain('lc_a')$$, '42501', NULL, 'only the owner retrains');
SELECT throws_ok($$SELECT mldb.grant_predict('lc_a', 'lc_bob')$$, '42501', NULL, 'only the owner grants');
RESET ROLE;
SET ROLE lc_alice;
SELECT mldb.grant_predict('lc_a', 'lc_bob');
RESET ROLE;
SET ROLE lc_bob;
SELECT lives_ok($$SELECT mldb.predict('lc_a', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)$$, 'granted: bob predicts');
RESET ROLE;
-- a call site cached by a function must not carry a grant over to another role
CREATE FUNCTION public.lc_pp() RETURNS float8 LANGUAGE plpgsql AS
  $$BEGIN RETURN mldb.predict('lc_a', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1); END$$;
CREATE ROLE lc_mallory;
SELECT public.lc_pp() IS NOT NULL;
SET ROLE lc_mallory;
SELECT throws_ok($$SELECT public.lc_pp()$$, '42501', NULL,
                 'the cached call site rechecks after SET ROLE');
RESET ROLE;
SET ROLE lc_alice;
SELECT mldb.revoke_predict('lc_a', 'lc_bob');
RESET ROLE;
SET ROLE lc_bob;
SELECT throws_ok($$SELECT mldb.predict('lc_a', 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)$$, '42501', NULL,
                 'revoked: bob no longer predicts (the cache is per user)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
