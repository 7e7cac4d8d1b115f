# bench/common.sh -- what the bench scripts share: the psql session settings,
# a scratch directory, the bench database and extension, the JIT setting, the
# report header and the parser of psql's \timing output.
#
# Sourced, not run.  A script sets its own ROWS, TABLE, MARKER and targets
# first (and may change the default of BENCH_FRESH_EXTENSION); it keeps its
# own data, queries and verdicts.  The knobs below are the ones every script
# reads (bench/README.md).

export PGDATABASE="${PGDATABASE:-mldb_bench}"
MAINT_DB="${BENCH_MAINTENANCE_DB:-postgres}"   # where CREATE DATABASE is issued
REPEAT="${BENCH_REPEAT:-3}"                     # timed runs per query and setting; best is kept
WARMUP="${BENCH_WARMUP:-1}"                     # untimed rounds before measuring
JIT="${BENCH_JIT:-off}"                         # off | on | server (leave the server's setting)
REBUILD="${BENCH_REBUILD:-0}"                   # 1 = drop and rebuild the table
FRESH_EXT="${BENCH_FRESH_EXTENSION:-auto}"      # 1 = DROP/CREATE EXTENSION mldb; auto = only in mldb_bench

export LC_ALL=C LC_MESSAGES=C       # psql prints "Time: X ms" untranslated
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

workdir=$(mktemp -d "${TMPDIR:-/tmp}/mldb-bench.XXXXXX")
trap 'rm -rf "$workdir"' EXIT

say() { printf '%s\n' "$*"; }
q1() { "${PSQL[@]}" -At -c "$1"; }     # one value from the bench database

case "$JIT" in
    on|off) JIT_SET="SET jit = ${JIT};" ;;
    *)      JIT_SET="" ;;
esac

# The bench database and the extension, created when missing.  In the bench's
# own database (FRESH_EXT=auto) the extension is recreated on every run, so
# its catalog matches the installed library even when the SQL changed without
# a version bump (development).  Elsewhere it is only created when missing.
bench_database() {
    local exists
    exists=$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'db';" |
             "${PSQL[@]}" -At -d "$MAINT_DB" -v db="$PGDATABASE")
    if [[ "$exists" != 1 ]]; then
        say "creating database $PGDATABASE"
        printf '%s\n' 'CREATE DATABASE :"db";' | "${PSQL[@]}" -d "$MAINT_DB" -v db="$PGDATABASE"
    fi
    if [[ "$FRESH_EXT" == 1 || ( "$FRESH_EXT" == auto && "$PGDATABASE" == mldb_bench ) ]]; then
        q1 "DROP EXTENSION IF EXISTS mldb CASCADE" >/dev/null
    fi
    q1 "CREATE EXTENSION IF NOT EXISTS mldb" >/dev/null
}

# True when TABLE must be (re)built: BENCH_REBUILD=1, or its comment is not
# MARKER (missing, or built for another ROWS or an older version of the data).
bench_table_stale() {
    [[ "$REBUILD" == 1 ||
       "$(q1 "SELECT coalesce(obj_description(to_regclass('${TABLE}'), 'pg_class'), '')")" != "$MARKER" ]]
}

# One line on the server, the extension and table $1, for the report.
bench_info() {
    q1 "${JIT_SET} SELECT format('PostgreSQL %s, mldb %s, jit=%s, shared_buffers=%s, max_parallel_workers=%s, table %s (%s rows)',
                         current_setting('server_version'),
                         (SELECT extversion FROM pg_extension WHERE extname = 'mldb'),
                         current_setting('jit'), current_setting('shared_buffers'),
                         current_setting('max_parallel_workers'),
                         pg_size_pretty(pg_relation_size('$1')),
                         (SELECT reltuples::bigint FROM pg_class WHERE oid = '$1'::regclass))"
}

# awk rules that read a timed script's output: "\echo @@ <workers> <id>" (or
# "@@ warmup") names the statement whose "Time: X ms" line follows.  They fill
# best[w, id], worst[w, id] and cnt[w, id]; ms(w, id) is the best time, -1 if
# none.  A script appends its own END block.
TIMINGS_AWK='
    /^@@ / { cur = ($2 == "warmup") ? "" : $2 SUBSEP $3; next }
    /^Time: / {
        if (cur != "") {
            v = $2 + 0
            if (!(cur in best) || v < best[cur]) best[cur] = v
            if (!(cur in worst) || v > worst[cur]) worst[cur] = v
            cnt[cur]++
            cur = ""
        }
        next
    }
    function ms(w, id) { return ((w SUBSEP id) in best) ? best[w, id] : -1 }
'

# Best wall time in ms of REPEAT runs of statement $1, in one serial
# session (max_parallel_workers_per_gather = 0, then the SET commands in
# $2) after WARMUP untimed runs, so the library load and first-call caches
# are not counted (as in linear.sh's rounds).
best_ms() {
    {
        printf 'SET max_parallel_workers_per_gather = 0;\n%s\n%s\n' "$JIT_SET" "${2:-}"
        for _ in $(seq "$WARMUP"); do printf '%s\n' "$1"; done
        printf '\\timing on\n'
        for _ in $(seq "$REPEAT"); do printf '%s\n' "$1"; done
    } | "${PSQL[@]}" -o /dev/null 2>&1 |
        awk '/^Time: / { v = $2 + 0; if (best == "" || v < best) best = v } END { print best }'
}

# Build TABLE when stale (bench_table_stale): x1..x10 uniform on [0, 1)
# after setseed($1), and the target column $2 ("expression AS name") over
# them if given; then VACUUM (FREEZE, ANALYZE).  The subquery is not flattened
# (volatile target list, OFFSET 0), so each random() is drawn once per row,
# in a fixed order: the data is reproducible.
bench_uniform_table() {
    bench_table_stale || return 0
    say "building ${TABLE} (${ROWS} rows) ..."
    "${PSQL[@]}" <<SQL
DROP TABLE IF EXISTS ${TABLE};
SELECT setseed($1) \\g /dev/null
CREATE TABLE ${TABLE} AS
SELECT x1, x2, x3, x4, x5, x6, x7, x8, x9, x10${2:+,
       $2}
  FROM (SELECT random() AS x1, random() AS x2, random() AS x3, random() AS x4,
               random() AS x5, random() AS x6, random() AS x7, random() AS x8,
               random() AS x9, random() AS x10
          FROM generate_series(1, ${ROWS}) OFFSET 0) s;
COMMENT ON TABLE ${TABLE} IS '${MARKER}';
SQL
    "${PSQL[@]}" -c "VACUUM (FREEZE, ANALYZE) ${TABLE}"
}
