#!/usr/bin/env bash
# The issue's load test at full length: pgbench with 4 clients predicting
# for 30 s while another connection deploys and rolls back in a loop (plus
# the cancel and kill checks).  Uses the libpq environment (PGHOST, PGPORT,
# PGUSER) of a running server with mldb installed.
exec env MLDB_LOAD_SECONDS="${MLDB_LOAD_SECONDS:-30}" bash "$(dirname "$0")/../test/shell/concurrency.sh"
