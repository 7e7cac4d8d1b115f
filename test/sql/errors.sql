-- Every user mistake is an ERROR with a SQLSTATE, a message and a hint,
-- never a crash.  pg_temp.err() runs a statement and prints what it raised
-- (in a subtransaction, which also exercises mldb's error unwinding).
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    st text; msg text; detail text; hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN st || ': ' || msg
        || coalesce(E'\n       detail: ' || nullif(detail, ''), '')
        || E'\n       hint: ' || coalesce(nullif(hint, ''), 'NO HINT');
END
$f$;

SET client_min_messages = notice;
CREATE TABLE err_t (y float8, a float8, b int, c text, k float8, d date);
INSERT INTO err_t SELECT i * 2 + 1, i, i % 7, 'v' || i, 5, date '2026-01-01' + i FROM generate_series(1, 40) i;
CREATE TABLE err_empty (y float8, a float8);
CREATE TABLE err_nully (y float8, a float8);
INSERT INTO err_nully SELECT NULL, i FROM generate_series(1, 10) i;
CREATE TABLE err_few (y float8, a float8, b float8, c float8);
INSERT INTO err_few VALUES (1, 1, 2, 3), (2, 2, 1, 5), (3, 0, 0, 1);
CREATE TABLE "My Table" ("Y" float8, "the x" float8);
INSERT INTO "My Table" SELECT 3 * i - 2, i FROM generate_series(1, 10) i;

-- unknown algorithm / option / wrong option type / out of range
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regresion', 'err_t', 'y', ARRAY['a'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a'], '{"alfa": 1}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a'], '{"alpha": "big"}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a'], '{"alpha": -1}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a'], '{"test_size": 1}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a'], '{"deploy": "sometimes"}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a'], '[1, 2]')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'lasso', 'err_t', 'y', ARRAY['a'], '{"max_iter": 2.5}')$$);
-- bad model names
SELECT pg_temp.err($$SELECT model FROM mldb.train('e@1', 'ridge', 'err_t', 'y', ARRAY['a'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train(NULL, 'ridge', 'err_t', 'y', ARRAY['a'])$$);
-- missing relation, columns, wrong types
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'no_such_table', 'y')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'My Table', 'Y')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', 'nope')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', 'y', ARRAY['a', 'nope'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', 'y', ARRAY['a', 'd'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a'], '{"impute": "mode"}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a', 'c'], '{"max_categories": 0}')$$);
SET mldb.max_distinct = 10;
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'ridge', 'err_t', 'y', ARRAY['a', 'c'])$$);
RESET mldb.max_distinct;
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', NULL, ARRAY['a'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', 'y', ARRAY['a', 'a'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', 'y', ARRAY['a', 'y'])$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', 'c', ARRAY['a'])$$);
-- data problems
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_empty', 'y')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_nully', 'y')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_few', 'y', NULL, '{"test_size": 0}')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t', 'y', ARRAY['a', 'k'])$$);
-- injection attempts through the relation string
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'err_t; DROP TABLE err_t', 'y')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'SELECT * FROM err_t; DROP TABLE err_t', 'y')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'SELECT * FROM err_t) s, (SELECT 1', 'y')$$);
SELECT pg_temp.err($$SELECT model FROM mldb.train('e1', 'linear_regression', 'WITH d AS (DELETE FROM err_t RETURNING *) SELECT * FROM d', 'y')$$);
SELECT count(*) AS err_t_rows_still_there FROM err_t;
-- names that need quoting work
SELECT model, rows_used FROM mldb.train('quoted', 'linear_regression', '"My Table"', 'Y', NULL, '{"test_size": 0}');
SELECT round(mldb.predict('quoted', 5)::numeric, 9) AS predict_quoted;
SELECT model, rows_used FROM mldb.train('q2', 'linear_regression', 'SELECT a AS "the x", y FROM err_t -- trailing comment', 'y', NULL, '{"test_size": 0}');

-- predict mistakes
SELECT pg_temp.err($$SELECT mldb.predict('no_such_model', 1.0)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted@7', 1.0)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted@x', 1.0)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted', 1.0, 2.0)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted', ARRAY[1.0, 2.0])$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted', ARRAY[[1.0], [2.0]])$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted', 'x'::text)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted', '{"x": 1}'::jsonb)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted', '{"the x": "one"}'::jsonb)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted', '[1]'::jsonb)$$);
SELECT mldb.predict('quoted', e) FROM err_empty e;
SELECT pg_temp.err($$SELECT mldb.predict('quoted', t) FROM err_t t LIMIT 1$$);
-- a missing feature follows the impute rule (mean of "the x" = 5.5, so
-- 3 * 5.5 - 2 = 14.5); a NULL row is NULL
SELECT round(mldb.predict('quoted', NULL::float8)::numeric, 9) AS imputed,
       round(mldb.predict('quoted', '{"the x": null}'::jsonb)::numeric, 9) AS json_null_imputed,
       mldb.predict('quoted', NULL::jsonb) IS NULL AS null_object;

-- NULL arguments are NULL results or clean errors, never a crash
SELECT mldb.classes(NULL) IS NULL AS classes_null, mldb.predict(NULL, 1.0) IS NULL AS predict_null;
SELECT pg_temp.err($$SELECT mldb.retrain('no_such_model')$$);
SELECT pg_temp.err($$SELECT mldb.update('no_such_model', 'err_t')$$);
SELECT pg_temp.err($$SELECT mldb.train('e2', 'naive_bayes', 'err_t', 'c', ARRAY['a'], '{"search": {"alpha": [1, 2]}}')$$);
SELECT pg_temp.err($$SELECT mldb.update('quoted', 'SELECT 1 AS x')$$);
SELECT pg_temp.err($$SELECT mldb.update('quoted', 'SELECT * FROM "My Table" WHERE false')$$);
SELECT pg_temp.err($$SELECT * FROM mldb.confusion_matrix('quoted', NULL)$$);
SELECT pg_temp.err($$SELECT mldb.train('e3', 'linear_regression', 'SELECT * FROM err_t FOR UPDATE', 'y', ARRAY['a'])$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted@ 1', 1.0)$$);
SELECT pg_temp.err($$SELECT mldb.predict('quoted@+1', 1.0)$$);
-- a classifier with many classes evaluates (its metrics document is large)
SELECT (metrics->>'n')::int AS n, jsonb_typeof(metrics->'per_class') AS per_class
  FROM mldb.train('many', 'naive_bayes', 'SELECT i::float8 AS x, (i % 150)::text AS y FROM generate_series(1, 600) i',
                  'y', ARRAY['x'], '{"test_size": 0}');
SELECT jsonb_typeof(mldb.evaluate('many')) AS evaluate_many;
SELECT mldb.drop_model('many');

-- evaluate / lifecycle mistakes
SELECT pg_temp.err($$SELECT mldb.evaluate('no_such_model')$$);
SELECT pg_temp.err($$SELECT mldb.evaluate('quoted', 'err_t')$$);
SELECT pg_temp.err($$SELECT mldb.deploy('quoted', 9)$$);
SELECT pg_temp.err($$SELECT mldb.deploy('nope', 1)$$);
SELECT pg_temp.err($$SELECT mldb.describe('nope')$$);
SELECT pg_temp.err($$SELECT mldb.drop_model('nope')$$);

-- a corrupted state is an error on load, not a crash
UPDATE mldb.model_versions SET state = substring(state from 1 for 30) WHERE model = 'quoted';
SELECT pg_temp.err($$SELECT mldb.predict('quoted', 5)$$);
UPDATE mldb.model_versions SET state = state || '\x00'::bytea WHERE model = 'quoted';
SELECT pg_temp.err($$SELECT mldb.predict('quoted', 5)$$);
SELECT model, rows_used FROM mldb.train('quoted', 'linear_regression', '"My Table"', 'Y', NULL, '{"test_size": 0}');
UPDATE mldb.model_versions SET state = overlay(state placing '\xff'::bytea from 40) WHERE model = 'quoted' AND version = 2;
SELECT pg_temp.err($$SELECT mldb.predict('quoted', 5)$$);
UPDATE mldb.model_versions SET state = overlay(state placing '\x07'::bytea from 9) WHERE model = 'quoted' AND version = 2;
SELECT pg_temp.err($$SELECT mldb.predict('quoted', 5)$$);
UPDATE mldb.model_versions SET state = '\x00'::bytea WHERE model = 'quoted';
SELECT pg_temp.err($$SELECT mldb.predict('quoted', 5)$$);
SELECT mldb.drop_model('quoted');
SELECT mldb.drop_model('q2');
SELECT count(*) AS models_left FROM mldb.models;
