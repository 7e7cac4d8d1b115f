#!/usr/bin/env bash
# Faults and load: (1) a training cancelled by statement_timeout leaves no
# version; (2) a backend killed mid-training loses nothing committed;
# (3) pgbench clients predicting while another connection deploys and
# rolls back in a loop: 0 failed transactions (bench/load.sh runs the
# long version).  Run by ./mldb test with PGHOST/PGPORT/PGUSER set.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=mldb_conc
seconds=${MLDB_LOAD_SECONDS:-5}
script=$(mktemp)
trap 'rm -f "$script"; dropdb --if-exists $db' EXIT
dropdb --if-exists $db
createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE EXTENSION mldb;
CREATE TABLE big AS SELECT i::float8 AS x1, (i % 97)::float8 AS x2, sin(i) AS x3,
       2 * i + (i % 13) AS y FROM generate_series(1, 2000000) i;
SELECT mldb.train('conc', 'linear_regression', 'SELECT * FROM big LIMIT 1000', 'y') IS NOT NULL;
SELECT mldb.train('conc', 'ridge', 'SELECT * FROM big LIMIT 1000', 'y', NULL, '{"deploy": "never"}') IS NOT NULL;
SQL

# (1) cancel: statement_timeout fires inside the training pass
if psql -X -q -v ON_ERROR_STOP=1 -d $db -c "SET statement_timeout = '200ms'" \
       -c "SELECT mldb.train('conc', 'lasso', 'SELECT big.* FROM big, generate_series(1, 50) g', 'y')" >/dev/null 2>&1; then
    echo "cancel: the training was expected to time out"; exit 1
fi
n=$(psql -X -At -d $db -c "SELECT count(*) FROM mldb.model_versions WHERE model = 'conc'")
[[ $n == 2 ]] || { echo "cancel: $n versions, expected 2"; exit 1; }
echo "cancel: no partial version"

# (2) kill: terminate a backend in the middle of a training
psql -X -q -d $db -c "SELECT mldb.train('conc', 'lasso', 'SELECT big.* FROM big, generate_series(1, 50) g', 'y')" >/dev/null 2>&1 &
bg=$!
# wait until the training pass is running, then kill its backend
for _ in $(seq 50); do
    n=$(psql -X -At -d $db -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%mldb.train(''conc'', ''lasso''%' AND pid <> pg_backend_pid()")
    [[ $n -gt 0 ]] && break
    sleep 0.1
done
sleep 0.3
psql -X -q -At -d $db -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                          WHERE datname = current_database() AND query LIKE '%mldb.train(''conc'', ''lasso''%'
                            AND pid <> pg_backend_pid()" >/dev/null
wait $bg || true
n=$(psql -X -At -d $db -c "SELECT count(*) || ' ' || min(deployed_version) FROM mldb.model_versions, mldb.models WHERE model = 'conc' AND name = 'conc'")
[[ $n == "2 1" ]] || { echo "kill: got '$n', expected 2 versions with version 1 deployed"; exit 1; }
echo "kill: committed versions intact"

# (3) predict under load while deploys flip between versions
echo "SELECT mldb.predict('conc', 1.0::float8, 2.0::float8, 0.5::float8);" >"$script"
( end=$((SECONDS + seconds)); while ((SECONDS < end)); do
      psql -X -q -d $db -c "SELECT mldb.deploy('conc', 2)" -c "SELECT mldb.rollback('conc')" >/dev/null
  done ) &
flipper=$!
out=$(pgbench -n -c 4 -j 2 -T "$seconds" -f "$script" $db 2>&1)
wait $flipper
echo "$out" | grep -E "number of (transactions actually processed|failed transactions)" || true
failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
processed=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
if [[ -z "$processed" || "$processed" -eq 0 || "${failed:-0}" -ne 0 ]] || echo "$out" | grep -q "ERROR"; then
    echo "load: failures under concurrent deploys"; echo "$out" | tail -20; exit 1
fi
echo "load: $processed predictions, 0 failed, while deploying and rolling back"
