#!/usr/bin/env bash
# The README's demo (docs/demo.sql) runs to the end without an error, so the
# first thing a newcomer sees keeps working.  Run by ./mldb test.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=mldb_demo_check
trap 'dropdb --if-exists $db' EXIT
dropdb --if-exists $db
createdb $db
psql -X -q -v ON_ERROR_STOP=1 -d $db -c "CREATE EXTENSION mldb" >/dev/null
psql -X -v ON_ERROR_STOP=1 -d $db -f docs/demo.sql >/dev/null
echo "demo: ok"
