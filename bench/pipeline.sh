#!/usr/bin/env bash
# bench/pipeline.sh -- training with the default feature pipeline (profiling
# pass, mean imputation, one-hot coding of text columns, hold-out split)
# against a plain scan of the same table.
#
# Issue 4's target: on 1M rows with 8 numeric and 2 text columns (20
# categories each) and 5% NULLs, linear_regression with default
# preprocessing takes <= 2.5x a plain scan of the table; a 5-fold x
# 6-alpha ridge search takes <= 3x a single ridge training.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD or
# ~/.pgpass, PGDATABASE; PGDATABASE defaults to mldb_bench, which is created,
# with the extension, when missing).  Every timing comes from ONE psql session
# (\timing, best of BENCH_REPEAT), with the baseline and the mldb queries
# interleaved round by round, so they share caches, settings and machine load.
# Knobs (environment), as bench/linear.sh: BENCH_ROWS, BENCH_REPEAT,
# BENCH_WARMUP, BENCH_JIT, BENCH_REBUILD, BENCH_FRESH_EXTENSION,
# BENCH_MAINTENANCE_DB; and BENCH_TARGET_TRAIN (default 2.5),
# BENCH_TARGET_SEARCH (default 3), BENCH_WORKERS
# (the max_parallel_workers_per_gather settings measured, default "0 2").
#
# "train" is mldb.train(..., 'linear_regression', table, 'y') with no
# options but "deploy": "never": every default (test_size 0.25, impute mean,
# max_categories 100): one moments pass that also finds the vocabularies.
# "ridge" is one ridge training with the same defaults, "search" the same
# with {"cv": 5, "search": {"alpha": [6 values]}}: the folds share the
# pass (each fold's moments in one scan), so it should cost little more.
#
# A benchmark is not a test: the script exits 0 whatever the ratios are
# (it fails only if the server cannot run the queries at all).
set -euo pipefail

ROWS="${BENCH_ROWS:-1000000}"                   # table size (rebuilt if it changes)
T_TRAIN="${BENCH_TARGET_TRAIN:-2.5}"            # train / scan <= this
T_SEARCH="${BENCH_TARGET_SEARCH:-3}"            # search / ridge <= this
WORKERS="${BENCH_WORKERS:-0 2}"                 # max_parallel_workers_per_gather settings to measure

TABLE=bench_pipeline
MODEL=bench_pipe
MARKER="mldb bench_pipeline v1 rows=${ROWS}"

# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# ---------------------------------------------------------------------------
# 0. database and extension
# ---------------------------------------------------------------------------
bench_database

# ---------------------------------------------------------------------------
# 1. the table: ROWS x (x1..x8 float8, c1, c2 text, y float8), deterministic
#    (setseed), built once.  Each of the ten feature columns is NULL in 5% of
#    the rows, independently; y is never NULL (every row can be trained on).
#    c1 and c2 take 20 values each with unequal frequencies (cat00 the most
#    frequent), so the vocabulary order and the reference level mean something.
# ---------------------------------------------------------------------------
if bench_table_stale; then
    say "building ${TABLE} (${ROWS} rows) ..."
    "${PSQL[@]}" <<SQL
DROP TABLE IF EXISTS ${TABLE};
SELECT setseed(0.4242) \\g /dev/null
-- The subquery is not flattened (volatile target list, OFFSET 0), so each
-- random() is drawn once per row, in a fixed order: the data is reproducible.
CREATE TABLE ${TABLE} AS
SELECT CASE WHEN n1 < 0.05 THEN NULL ELSE x1 END AS x1,
       CASE WHEN n2 < 0.05 THEN NULL ELSE x2 END AS x2,
       CASE WHEN n3 < 0.05 THEN NULL ELSE x3 END AS x3,
       CASE WHEN n4 < 0.05 THEN NULL ELSE x4 END AS x4,
       CASE WHEN n5 < 0.05 THEN NULL ELSE x5 END AS x5,
       CASE WHEN n6 < 0.05 THEN NULL ELSE x6 END AS x6,
       CASE WHEN n7 < 0.05 THEN NULL ELSE x7 END AS x7,
       CASE WHEN n8 < 0.05 THEN NULL ELSE x8 END AS x8,
       CASE WHEN n9 < 0.05 THEN NULL ELSE 'cat' || lpad(k1::text, 2, '0') END AS c1,
       CASE WHEN n10 < 0.05 THEN NULL ELSE 'cat' || lpad(k2::text, 2, '0') END AS c2,
       1.5 + 2.0*x1 - 3.0*x2 + 0.5*x3 + 4.0*x4 - 1.0*x5 + 2.5*x6 - 0.75*x7 + 1.25*x8
           + 0.1 * k1 - 0.05 * k2
           + 0.1 * sqrt(-2.0 * ln(1.0 - u1)) * cos(2.0 * pi() * u2)  -- N(0, 0.1^2)
         AS y
  FROM (SELECT random() AS x1, random() AS x2, random() AS x3, random() AS x4,
               random() AS x5, random() AS x6, random() AS x7, random() AS x8,
               floor(20 * random() ^ 2)::int AS k1, floor(20 * random() ^ 2)::int AS k2,
               random() AS u1, random() AS u2,
               random() AS n1, random() AS n2, random() AS n3, random() AS n4, random() AS n5,
               random() AS n6, random() AS n7, random() AS n8, random() AS n9, random() AS n10
          FROM generate_series(1, ${ROWS}) OFFSET 0) s;
COMMENT ON TABLE ${TABLE} IS '${MARKER}';
SQL
    "${PSQL[@]}" -c "VACUUM (FREEZE, ANALYZE) ${TABLE}"
fi

# ---------------------------------------------------------------------------
# 2. one training run to check what the pipeline did
# ---------------------------------------------------------------------------
q1 "SELECT mldb.drop_model('${MODEL}') FROM mldb.models WHERE name = '${MODEL}'" >/dev/null
q1 "SELECT version FROM mldb.train('${MODEL}', 'linear_regression', '${TABLE}', 'y')" >/dev/null
check=$(q1 "SELECT format('rows_used %s, rows_skipped %s, %s coefficients, hold-out r2 %s',
                          rows_used, rows_skipped,
                          (SELECT count(*) FROM jsonb_object_keys(params -> 'coef')),
                          round((metrics ->> 'r2')::numeric, 6))
              FROM mldb.model_versions WHERE model = '${MODEL}' AND version = 1")
nulls=$(q1 "SELECT format('%s%% of x1, %s%% of c1 NULL; %s distinct c1',
                          round(100.0 * count(*) FILTER (WHERE x1 IS NULL) / count(*), 2),
                          round(100.0 * count(*) FILTER (WHERE c1 IS NULL) / count(*), 2),
                          count(DISTINCT c1))
              FROM ${TABLE}")

declare -A SQLQ LABEL
IDS=(scan train ridge search)
SQLQ[scan]="SELECT count(*), sum(x1+x2+x3+x4+x5+x6+x7+x8) FROM ${TABLE}"
SQLQ[train]="SELECT * FROM mldb.train('${MODEL}', 'linear_regression', '${TABLE}', 'y', NULL, '{\"deploy\": \"never\"}')"
SQLQ[ridge]="SELECT * FROM mldb.train('${MODEL}_ridge', 'ridge', '${TABLE}', 'y', NULL, '{\"deploy\": \"never\"}')"
SQLQ[search]="SELECT * FROM mldb.train('${MODEL}_search', 'ridge', '${TABLE}', 'y', NULL, '{\"deploy\": \"never\", \"cv\": 5, \"search\": {\"alpha\": [0.001, 0.01, 0.1, 1, 10, 100]}}')"
LABEL[scan]="scan  count(*), sum(x1+..+x8)"
LABEL[train]="train linear_regression, defaults"
LABEL[ridge]="ridge, defaults"
LABEL[search]="ridge, 5-fold x 6-alpha search"

# With the highest worker setting, does each query plan Gather + Partial
# Aggregate?  (The training passes are what train runs through SPI: the
# aggregate mldb._pass over the same relation; EXPLAIN does not execute it.)
PASS_PROXY="SELECT mldb._pass(NULL::bytea, y, x1, x2, x3, x4, x5, x6, x7, x8, c1, c2) FROM ${TABLE}"
WMAX=0
for w in $WORKERS; do ((w > WMAX)) && WMAX=$w; done
plan_of() {  # $1 = query
    local plan
    plan=$("${PSQL[@]}" -At <<SQL
${JIT_SET}
SET max_parallel_workers_per_gather = ${WMAX};
EXPLAIN (COSTS OFF) $1;
SQL
)
    if grep -q 'Gather' <<<"$plan" && grep -q 'Partial Aggregate' <<<"$plan"; then
        echo "Gather + Partial Aggregate"
    else
        echo "NOT PARALLEL"
    fi
}
plans="scan: $(plan_of "${SQLQ[scan]}"); training pass: $(plan_of "$PASS_PROXY")"

# ---------------------------------------------------------------------------
# 3. timed runs, one session, interleaved
# ---------------------------------------------------------------------------
script="$workdir/run.sql"
{
    echo '\o /dev/null'
    echo "${JIT_SET}"
    echo '\timing on'
    for ((r = 1 - WARMUP; r <= REPEAT; r++)); do
        for w in $WORKERS; do
            echo "SET max_parallel_workers_per_gather = ${w};"
            for id in "${IDS[@]}"; do
                if ((r >= 1)); then echo "\\echo @@ ${w} ${id}"; else echo "\\echo @@ warmup"; fi
                echo "${SQLQ[$id]};"
            done
        done
    done
} >"$script"

say "running: ${REPEAT} rounds (+${WARMUP} warm-up) x workers {${WORKERS}} x ${#IDS[@]} queries ..."
"${PSQL[@]}" -f "$script" >"$workdir/out.txt"

# ---------------------------------------------------------------------------
# 4. report
# ---------------------------------------------------------------------------
info=$(bench_info "${TABLE}")

say ""
say "mldb pipeline benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')  db=${PGDATABASE} host=${PGHOST:-default}:${PGPORT:-default}"
say "  ${info}"
say "  this (client) host: $(nproc 2>/dev/null || echo '?') CPUs"
say "  data: 8 numeric + 2 text columns (20 categories), ${nulls}"
say "  default preprocessing: ${check}"
say "  plans with ${WMAX} workers: ${plans}"
say "  best of ${REPEAT} (${WARMUP} warm-up round), wall-clock ms from psql \\timing in one session"
say ""

awk -v repeat="$REPEAT" -v workers="$WORKERS" -v t_train="$T_TRAIN" -v t_search="$T_SEARCH" \
    -v ids="${IDS[*]}" \
    -v labels="$(for id in "${IDS[@]}"; do printf '%s|' "${LABEL[$id]}"; done)" "${TIMINGS_AWK}"'
    # one ratio line: query a over query b with w workers, against target t
    function ratio(w, a, b, t,    x, y, name) {
        x = ms(w, a); y = ms(w, b); name = a " / " b " [" w " workers]"
        if (x < 0 || y <= 0) { printf "  %-44s %8s\n", name, "n/a"; return }
        printf "  %-44s %8.2f   target <= %.2f   %s\n", name, x / y, t, (x / y <= t ? "PASS" : "MISS")
    }
    END {
        n = split(ids, id, " "); split(labels, lab, "|"); nw = split(workers, ws, " ")
        printf "  %-36s %8s %12s %10s\n", "query", "workers", "best ms", "worst/best"
        for (k = 1; k <= nw; k++)
            for (i = 1; i <= n; i++) {
                a = ms(ws[k], id[i])
                printf "  %-36s %8s %12.1f %10.2f\n", lab[i], ws[k], a, (a > 0 ? worst[ws[k], id[i]] / a : 0)
            }
        print ""
        print "  ratios (same setting, same session):"
        for (k = 1; k <= nw; k++) ratio(ws[k], "train", "scan", t_train)
        for (k = 1; k <= nw; k++) ratio(ws[k], "search", "ridge", t_search)
        for (c in cnt) if (cnt[c] != repeat) { print "  WARNING: a query has " cnt[c] " timings instead of " repeat; break }
    }' "$workdir/out.txt"

say ""
say "  (MISS marks a ratio off its target; a benchmark never fails the run)"
exit 0
