-- Upgrade path: a model trained under 0.1 survives ALTER EXTENSION UPDATE
-- to 0.2 and predicts identically; 0.2's export/import then round-trips it.
DROP EXTENSION mldb CASCADE;
CREATE EXTENSION mldb VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'mldb';
CREATE TABLE up_t AS SELECT i::float8 AS x, (i % 7)::float8 AS z, 3 * i - 2 + (i % 5) AS y
  FROM generate_series(1, 200) i;
SELECT model, version, rows_used FROM mldb.train('up', 'linear_regression', 'up_t', 'y');
CREATE TABLE up_before AS SELECT x, z, mldb.predict('up', x, z) AS p FROM up_t;
SELECT count(*) AS has_export FROM pg_proc WHERE proname = 'export_model';

ALTER EXTENSION mldb UPDATE TO '0.2';
SELECT extversion FROM pg_extension WHERE extname = 'mldb';
SELECT count(*) AS same_predictions
  FROM up_before b WHERE b.p = mldb.predict('up', b.x, b.z);

-- export/import: the copy predicts exactly as the original
SELECT mldb.import_model('up_copy', mldb.export_model('up')) AS versions_imported;
SELECT count(*) AS copy_predicts_identically
  FROM up_t t WHERE mldb.predict('up_copy', t.x, t.z) = mldb.predict('up', t.x, t.z);
SELECT name, algorithm, deployed_version, owner = current_user::regrole AS owned_by_importer
  FROM mldb.models ORDER BY name;

-- bad documents are clean errors, and leave nothing behind
\set VERBOSITY terse
SELECT mldb.import_model('up_copy', mldb.export_model('up'));
SELECT mldb.import_model('x', '{"format": "something else"}');
SELECT mldb.import_model('x', jsonb_set(mldb.export_model('up'), '{format_version}', '99'));
SELECT mldb.import_model('x', jsonb_set(mldb.export_model('up'), '{versions,0,state}', '"AAAA"'));
SELECT mldb.import_model('x@1', mldb.export_model('up'));
SELECT mldb.import_model('x', mldb.export_model('up') - 'versions');
SELECT mldb.import_model('x', jsonb_set(mldb.export_model('up'), '{versions}', '[]'));
SELECT mldb.import_model('x', jsonb_set(mldb.export_model('up'), '{model,deployed_version}', '99'));
SELECT mldb.import_model('x', jsonb_set(mldb.export_model('up'), '{model,options}', '[1]'));
SELECT mldb.import_model('x', jsonb_set(mldb.export_model('up'), '{versions,0,algorithm}', '"kmeans"'));
SELECT mldb.import_model('x', jsonb_set(mldb.export_model('up'), '{versions}',
       (mldb.export_model('up')->'versions') || (mldb.export_model('up')->'versions')));
\set VERBOSITY default
SELECT count(*) AS no_half_imports FROM mldb.models WHERE name = 'x';
SELECT mldb.drop_model('up');
SELECT mldb.drop_model('up_copy');
