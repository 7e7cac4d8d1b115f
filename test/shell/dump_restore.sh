#!/usr/bin/env bash
# Models survive pg_dump -Fc / pg_restore: every model, version and
# deployment comes back (catalog tables are extension config tables) and
# predicts identically.  Run by ./mldb test with PGHOST/PGPORT/PGUSER set.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=mldb_dump_src dst=mldb_dump_dst dump=$(mktemp)
trap 'rm -f "$dump"; dropdb --if-exists $src; dropdb --if-exists $dst' EXIT
dropdb --if-exists $src; dropdb --if-exists $dst
createdb $src
psql -X -q -v ON_ERROR_STOP=1 -d $src <<'SQL'
CREATE EXTENSION mldb;
CREATE TABLE iris (sepal_length float8, sepal_width float8, petal_length float8,
                   petal_width float8, species text);
\copy iris from 'test/data/iris.csv' csv header
SELECT mldb.train('dr_lin', 'linear_regression', 'iris', 'petal_width') IS NOT NULL;
SELECT mldb.train('dr_lin', 'ridge', 'iris', 'petal_width', NULL, '{"deploy": "never"}') IS NOT NULL;
SELECT mldb.train('dr_nb', 'naive_bayes', 'iris', 'species') IS NOT NULL;
SELECT mldb.train('dr_km', 'kmeans', 'iris', NULL, ARRAY['sepal_length','sepal_width'], '{"k": 3}') IS NOT NULL;
SELECT mldb.evaluate('dr_lin') IS NOT NULL;
-- enum values are OIDs that a restore renumbers: the split must not move
CREATE TYPE size_class AS ENUM ('small', 'medium', 'large');
CREATE TABLE iris_e AS SELECT *, (CASE WHEN petal_length < 2 THEN 'small' WHEN petal_length < 5
                                  THEN 'medium' ELSE 'large' END)::size_class AS size FROM iris;
SELECT mldb.train('dr_enum', 'ridge', 'iris_e', 'sepal_length', ARRAY['sepal_width', 'size']) IS NOT NULL;
CREATE TABLE eval_before AS SELECT mldb.evaluate('dr_enum') AS m;
CREATE TABLE preds AS
SELECT row_number() OVER () AS i, mldb.predict('dr_lin', t) AS lin, mldb.predict('dr_lin@2', t) AS lin2,
       mldb.predict_class('dr_nb', t) AS nb, mldb.predict('dr_km', t) AS km FROM iris t;
SQL
pg_dump -Fc -d $src -f "$dump"
createdb $dst
pg_restore -d $dst "$dump"
out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d $dst <<'SQL'
SELECT (SELECT count(*) FROM mldb.models) || ' models, '
    || (SELECT count(*) FROM mldb.model_versions) || ' versions, '
    || (SELECT count(*) FROM mldb.evaluations) || ' evaluations, '
    || (SELECT string_agg(name || '@' || deployed_version, ' ' ORDER BY name) FROM mldb.models);
SELECT (mldb.evaluate('dr_enum') - 'split') = (m - 'split') FROM eval_before;
SELECT count(*) FROM (SELECT row_number() OVER () AS i, * FROM iris) t JOIN preds p USING (i)
 WHERE p.lin = mldb.predict('dr_lin', t) AND p.lin2 = mldb.predict('dr_lin@2', t)
   AND p.nb = mldb.predict_class('dr_nb', t) AND p.km = mldb.predict('dr_km', t);
SQL
)
expected=$'4 models, 5 versions, 2 evaluations, dr_enum@1 dr_km@1 dr_lin@1 dr_nb@1\nt\n150'
echo "$out"
if [[ "$out" != "$expected" ]]; then
    echo "dump/restore: expected:"; echo "$expected"
    exit 1
fi
echo "dump/restore: ok"
