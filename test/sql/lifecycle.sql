-- Versions, the deploy rule, pins, and the predict cache: a deploy made in
-- another session (here through dblink) is seen by this session's next
-- statement; a rolled-back change is never seen.
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('other', format('dbname=%s host=%s port=%s',
       current_database(), split_part(current_setting('unix_socket_directories'), ',', 1),
       current_setting('port')));

CREATE TABLE lc_a AS SELECT i::float8 AS x, 2 * i + 1.0 AS y FROM generate_series(1, 50) i;
CREATE TABLE lc_b AS SELECT i::float8 AS x, 5 * i - 3.0 AS y FROM generate_series(1, 50) i;

-- version 1 (y = 2x + 1) is deployed: nothing else exists
SELECT version, deployed FROM mldb.train('lc', 'linear_regression', 'lc_a', 'y', NULL, '{"test_size": 0}');
SELECT round(mldb.predict('lc', 10.0)::numeric, 6) AS v1_at_10;
-- version 2 (y = 5x - 3) with deploy never: predictions stay on version 1
SELECT version, deployed FROM mldb.train('lc', 'linear_regression', 'lc_b', 'y', NULL, '{"test_size": 0, "deploy": "never"}');
SELECT round(mldb.predict('lc', 10.0)::numeric, 6) AS still_v1,
       round(mldb.predict('lc@2', 10.0)::numeric, 6) AS pinned_v2;

-- another session deploys version 2; this session sees it at once
SELECT * FROM dblink('other', $$SELECT mldb.deploy('lc', 2)::text$$) AS t(deployed text);
SELECT round(mldb.predict('lc', 10.0)::numeric, 6) AS now_v2;
SELECT deployed_version FROM mldb.models WHERE name = 'lc';

-- a deploy rolled back in the other session is never seen
SELECT dblink_exec('other', 'BEGIN');
SELECT * FROM dblink('other', $$SELECT mldb.deploy('lc', 1)::text$$) AS t(deployed text);
SELECT round(mldb.predict('lc', 10.0)::numeric, 6) AS uncommitted_not_seen;
SELECT dblink_exec('other', 'ROLLBACK');
SELECT round(mldb.predict('lc', 10.0)::numeric, 6) AS rolled_back_not_seen;

-- a training rolled back here leaves no version behind, and the cache
-- forgets what it saw inside the aborted transaction
BEGIN;
SELECT version, deployed FROM mldb.train('lc', 'linear_regression', 'lc_a', 'y', NULL, '{"test_size": 0, "deploy": "always"}');
SELECT round(mldb.predict('lc', 10.0)::numeric, 6) AS inside_tx_v3;
ROLLBACK;
SELECT round(mldb.predict('lc', 10.0)::numeric, 6) AS after_rollback_v2;
SELECT version FROM mldb.model_versions WHERE model = 'lc' ORDER BY version;

-- the deploy rule "best" compares hold-out r2: a worse model is kept back
CREATE TABLE lc_noisy AS
SELECT i::float8 AS x, 2 * i + 1.0 + CASE WHEN i % 2 = 0 THEN 40 ELSE -40 END AS y
FROM generate_series(1, 400) i;
CREATE TABLE lc_clean AS SELECT i::float8 AS x, 2 * i + 1.0 + (i % 3) / 10.0 AS y FROM generate_series(1, 400) i;
SELECT version, deployed FROM mldb.train('lc2', 'linear_regression', 'lc_clean', 'y');
SELECT version, deployed FROM mldb.train('lc2', 'linear_regression', 'lc_noisy', 'y');
SELECT version, deployed FROM mldb.train('lc2', 'linear_regression', 'lc_clean', 'y', NULL, '{"seed": 7}');
SELECT deployed_version FROM mldb.models WHERE name = 'lc2';

-- a version reading other features is never deployed automatically:
-- callers of the deployed one pass its features
SELECT version, deployed FROM mldb.train('lc2', 'linear_regression',
       'SELECT x, y, x * x AS x2 FROM lc_clean', 'y', ARRAY['x', 'x2']);
SELECT deployed_version FROM mldb.models WHERE name = 'lc2';
-- the same names with another kind (x as text: categorical) are not deployed either
SELECT version, deployed FROM mldb.train('lc2', 'linear_regression',
       'SELECT (x::int % 5)::text AS x, y FROM lc_clean', 'y', ARRAY['x']);
SELECT deployed_version FROM mldb.models WHERE name = 'lc2';

-- CALL mldb.create_model is the procedure form of train
CALL mldb.create_model('lc3', 'ridge', 'lc_clean', 'y', NULL, '{"alpha": 0.5}');
SELECT name, algorithm, task, target, features, deployed_version FROM mldb.models WHERE name = 'lc3';
SELECT mldb.describe('lc3')->'params'->>'alpha' AS alpha,
       mldb.describe('lc3')->'metrics'->>'split' AS split,
       mldb.describe('lc3')->>'versions' AS versions;

-- drop removes the model and its versions; predict then says it is gone
SELECT mldb.drop_model('lc');
SELECT count(*) FROM mldb.model_versions WHERE model = 'lc';
SELECT mldb.predict('lc', 10.0);
SELECT mldb.drop_model('lc2');
SELECT mldb.drop_model('lc3');
SELECT dblink_disconnect('other');
