#!/usr/bin/env bash
# bench/linear.sh -- linear regression: train and predict against plain-SQL baselines.
#
# Connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD or
# ~/.pgpass, PGDATABASE; PGDATABASE defaults to mldb_bench, which is created,
# with the extension, when missing).  Every timing comes from ONE psql session
# (\timing, best of BENCH_REPEAT), with the baselines and the mldb queries
# interleaved round by round, so they share caches, settings and machine load.
# See bench/README.md for the knobs and what the ratios mean.
#
# A benchmark is not a test: the script exits 0 whatever the ratios are
# (it fails only if the server cannot run the queries at all).
set -euo pipefail

ROWS="${BENCH_ROWS:-1000000}"                   # table size (rebuilt if it changes)
T_TRAIN="${BENCH_TARGET_TRAIN:-1.5}"            # train / scan        <= this
T_PRED="${BENCH_TARGET_PREDICT:-1.5}"           # predict / hand SQL  <= this
T_SPEEDUP="${BENCH_TARGET_SPEEDUP:-1.7}"        # time(0 workers) / time(2 workers) >= this
WORKERS_HI=2

TABLE=bench_linear
MODEL=bench_lr
MARKER="mldb bench_linear v1 rows=${ROWS}"

# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# ---------------------------------------------------------------------------
# 0. database and extension
# ---------------------------------------------------------------------------
bench_database

# ---------------------------------------------------------------------------
# 1. the table: ROWS x (x1..x10, y), deterministic (setseed), built once
# ---------------------------------------------------------------------------
bench_uniform_table 0.4242 "1.5 + 2.0*x1 - 3.0*x2 + 0.5*x3 + 4.0*x4 - 1.0*x5
           + 2.5*x6 - 0.75*x7 + 1.25*x8 + 3.0*x9 - 2.0*x10
           + 0.1 * sqrt(-2.0 * ln(1.0 - random())) * cos(2.0 * pi() * random())  -- N(0, 0.1^2)
         AS y"

# ---------------------------------------------------------------------------
# 2. a fresh model, and the hand-written equivalent of its predict
# ---------------------------------------------------------------------------
q1 "SELECT mldb.drop_model('${MODEL}') FROM mldb.models WHERE name = '${MODEL}'" >/dev/null
q1 "SELECT rows_used FROM mldb.train('${MODEL}', 'linear_regression', '${TABLE}', 'y', NULL, '{\"test_size\": 0}')" >/dev/null

features=$(q1 "SELECT string_agg(f, ',' ORDER BY o) FROM jsonb_array_elements_text(mldb.describe('${MODEL}')->'features') WITH ORDINALITY a(f, o)")
if [[ "$features" != "x1,x2,x3,x4,x5,x6,x7,x8,x9,x10" ]]; then
    say "WARNING: model features are '${features}', expected x1..x10 in order"
fi
# c0 + c1*x1 + ... + c10*x10, coefficients inlined as float8 literals
hand_expr=$(q1 "
  SELECT format('float8 %L', c->>'(intercept)')
         || string_agg(format(' + float8 %L * x%s', c->>('x' || i), i), '' ORDER BY i)
    FROM (SELECT mldb.describe('${MODEL}')->'params'->'coef' AS c) d,
         generate_series(1, 10) i
   GROUP BY c")
if [[ -z "$hand_expr" || "$hand_expr" == *"float8 NULL"* ]]; then
    say "ERROR: could not read coefficients from mldb.describe('${MODEL}')->'params'->'coef'" >&2
    exit 1
fi

XS="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
declare -A SQLQ LABEL
IDS=(scan train25 train0 hand pred_var pred_row pred_arr)
SQLQ[scan]="SELECT sum(x1+x2+x3+x4+x5+x6+x7+x8+x9+x10) FROM ${TABLE}"
SQLQ[train25]="SELECT * FROM mldb.train('${MODEL}', 'linear_regression', '${TABLE}', 'y', NULL, '{\"test_size\": 0.25}')"
SQLQ[train0]="SELECT * FROM mldb.train('${MODEL}', 'linear_regression', '${TABLE}', 'y', NULL, '{\"test_size\": 0}')"
SQLQ[hand]="SELECT sum(${hand_expr}) FROM ${TABLE}"
SQLQ[pred_var]="SELECT sum(mldb.predict('${MODEL}', ${XS})) FROM ${TABLE}"
SQLQ[pred_row]="SELECT sum(mldb.predict('${MODEL}', t)) FROM ${TABLE} t"
SQLQ[pred_arr]="SELECT sum(mldb.predict('${MODEL}', ARRAY[${XS}])) FROM ${TABLE}"
LABEL[scan]="scan     sum(x1+..+x10)"
LABEL[train25]="train    test_size 0.25"
LABEL[train0]="train    test_size 0"
LABEL[hand]="hand SQL sum(c0+c1*x1+..)"
LABEL[pred_var]="predict  VARIADIC x1..x10"
LABEL[pred_row]="predict  whole row t"
LABEL[pred_arr]="predict  ARRAY[x1..x10]"
# The plan of a training pass is what train runs through SPI: the same
# aggregate over the same relation (EXPLAIN does not execute it).
PASS_PROXY="SELECT mldb._pass(NULL::bytea, y, ${XS}) FROM ${TABLE}"

# ---------------------------------------------------------------------------
# 3. check the 2-worker plans: Gather + Partial Aggregate with default costs
# ---------------------------------------------------------------------------
PAR_SET=""
plan_ok() {  # $1 = query; 0 if it plans Gather over a Partial Aggregate
    local plan
    plan=$("${PSQL[@]}" -At <<SQL
${JIT_SET}
SET max_parallel_workers_per_gather = ${WORKERS_HI};
${PAR_SET}
EXPLAIN (COSTS OFF) $1;
SQL
)
    grep -q 'Gather' <<<"$plan" && grep -q 'Partial Aggregate' <<<"$plan"
}
par_note="parallel costs: server defaults (parallel_setup_cost, parallel_tuple_cost, min_parallel_table_scan_size)"
if ! plan_ok "${SQLQ[scan]}"; then
    PAR_SET="SET parallel_setup_cost = 10; SET min_parallel_table_scan_size = 0;"
    par_note="NOTE: with the server's parallel costs the 2-worker baseline did not plan Gather + Partial Aggregate;
      the 2-worker runs use: ${PAR_SET}"
    plan_ok "${SQLQ[scan]}" || par_note="${par_note}
      WARNING: even then the baseline does not plan parallel; the 2-worker numbers are serial"
fi
declare -A PLAN
for id in scan hand pred_var pred_row pred_arr; do
    if plan_ok "${SQLQ[$id]}"; then PLAN[$id]="Gather + Partial Aggregate"; else PLAN[$id]="NOT PARALLEL"; fi
done
if plan_ok "$PASS_PROXY"; then PLAN[train]="Gather + Partial Aggregate"; else PLAN[train]="NOT PARALLEL"; fi

# Best effort: watch a real training run with auto_explain (needs LOAD rights).
train_workers="not checked (auto_explain unavailable)"
if ae=$("${PSQL[@]}" 2>&1 >/dev/null <<SQL
LOAD 'auto_explain';
${JIT_SET}
SET max_parallel_workers_per_gather = ${WORKERS_HI};
${PAR_SET}
SET client_min_messages = notice;
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_level = notice;
${SQLQ[train25]};
SQL
); then
    # one entry per training pass: "Workers Launched: N" of each nested _pass query
    train_workers=$(awk '/Query Text:/ { inpass = /mldb\._pass\(/; if (inpass) n++ }
                         inpass && /Workers Launched:/ { w[n] = $NF }
                         END { for (i = 1; i <= n; i++) printf "%s%s", (i > 1 ? ", " : ""), (i in w ? w[i] : "0 (serial)");
                               if (n == 0) printf "no pass seen" }' <<<"$ae")
    train_workers="workers launched per pass: ${train_workers}"
fi

# ---------------------------------------------------------------------------
# 4. timed runs, one session, interleaved
# ---------------------------------------------------------------------------
script="$workdir/run.sql"
{
    echo '\o /dev/null'
    echo "${JIT_SET}"
    printf '%s\n' '\timing on'
    for ((r = 1 - WARMUP; r <= REPEAT; r++)); do
        for w in 0 "$WORKERS_HI"; do
            echo "SET max_parallel_workers_per_gather = ${w};"
            if ((w > 0)); then echo "${PAR_SET}"; else echo "RESET parallel_setup_cost; RESET min_parallel_table_scan_size;"; fi
            for id in "${IDS[@]}"; do
                if ((r >= 1)); then printf '\\echo @@ %s %s\n' "$w" "$id"; else printf '%s\n' '\echo @@ warmup'; fi
                echo "${SQLQ[$id]};"
            done
        done
    done
} >"$script"

# Idle CPU of this host just before the runs (meaningful when the server is
# local): the 2-worker speed-ups need the CPUs to themselves.
cpu_idle() {  # percent idle over 2 s, from /proc/stat; '?' if unavailable
    local a b
    read -ra a 2>/dev/null </proc/stat || { echo '?'; return; }
    sleep 2
    read -ra b 2>/dev/null </proc/stat || { echo '?'; return; }
    local t1=$((a[1]+a[2]+a[3]+a[4]+a[5])) t2=$((b[1]+b[2]+b[3]+b[4]+b[5]))
    if ((t2 > t1)); then echo $((100 * (b[4] - a[4]) / (t2 - t1))); else echo '?'; fi
}
idle_before=$(cpu_idle)
say "running: ${REPEAT} rounds (+${WARMUP} warm-up) x 2 settings x ${#IDS[@]} queries ..."
"${PSQL[@]}" -f "$script" >"$workdir/out.txt"

# sanity: predict and the hand-written SQL compute the same thing
check=$("${PSQL[@]}" -At -F ' ' <<SQL
SELECT p, h, CASE WHEN h = 0 THEN abs(p) ELSE abs(p - h) / abs(h) END
  FROM (${SQLQ[pred_var]}) a(p), (${SQLQ[hand]}) b(h);
SQL
)
read -r sum_pred sum_hand reldiff <<<"$check"

# ---------------------------------------------------------------------------
# 5. report
# ---------------------------------------------------------------------------
info=$(bench_info "${TABLE}")

say ""
say "mldb linear benchmark  $(date -u '+%Y-%m-%d %H:%M:%S UTC')  db=${PGDATABASE} host=${PGHOST:-default}:${PGPORT:-default}"
say "  ${info}"
say "  this (client) host: $(nproc 2>/dev/null || echo '?') CPUs, ${idle_before}% idle just before the runs"
if [[ "$idle_before" =~ ^[0-9]+$ ]] && ((idle_before < 90)); then
    say "  WARNING: other work was using the CPUs: the ${WORKERS_HI}-worker timings and speed-ups understate"
    say "           what an idle machine gives (if the server runs on this host)"
fi
say "  best of ${REPEAT} (${WARMUP} warm-up round), wall-clock ms from psql \\timing in one session"
say "  ${par_note}"
say "  plans with ${WORKERS_HI} workers: scan: ${PLAN[scan]}; train pass: ${PLAN[train]}; predict VARIADIC: ${PLAN[pred_var]};"
say "      whole row: ${PLAN[pred_row]}; array: ${PLAN[pred_arr]}; hand SQL: ${PLAN[hand]}"
say "  train (test_size 0.25, ${WORKERS_HI} workers) with auto_explain: ${train_workers}"
say "  sanity: sum(predict) = ${sum_pred}, sum(hand SQL) = ${sum_hand}, relative difference ${reldiff}"
say ""

awk -v repeat="$REPEAT" -v whi="$WORKERS_HI" \
    -v t_train="$T_TRAIN" -v t_pred="$T_PRED" -v t_sp="$T_SPEEDUP" \
    -v ids="${IDS[*]}" \
    -v labels="$(for id in "${IDS[@]}"; do printf '%s|' "${LABEL[$id]}"; done)" "${TIMINGS_AWK}"'
    function verdict(ok) { return ok ? "PASS" : "MISS" }
    function ratio(name, a, b, target, le,    r) {
        if (a < 0 || b <= 0) { printf "  %-44s %8s\n", name, "n/a"; return }
        r = a / b
        printf "  %-44s %8.2f   target %s %.2f   %s\n", name, r, (le ? "<=" : ">="), target,
               verdict(le ? r <= target : r >= target)
    }
    END {
        n = split(ids, id, " "); split(labels, lab, "|")
        printf "  %-28s %12s %12s %10s   %s\n", "query", "0 workers", whi " workers", "speed-up", "spread (worst/best)"
        for (i = 1; i <= n; i++) {
            a = ms(0, id[i]); b = ms(whi, id[i])
            printf "  %-28s %12.1f %12.1f %9.2fx   %.2f / %.2f\n", lab[i], a, b, (b > 0 ? a / b : 0),
                   (a > 0 ? worst[0, id[i]] / a : 0), (b > 0 ? worst[whi, id[i]] / b : 0)
        }
        print ""
        print "  ratios (same setting, same session):"
        for (k = 0; k <= 1; k++) {
            w = (k == 0) ? 0 : whi
            ratio("train(0.25) / scan   [" w " workers]", ms(w, "train25"), ms(w, "scan"), t_train, 1)
            ratio("train(0)    / scan   [" w " workers]", ms(w, "train0"),  ms(w, "scan"), t_train, 1)
            ratio("predict VARIADIC / hand SQL [" w " workers]", ms(w, "pred_var"), ms(w, "hand"), t_pred, 1)
            ratio("predict row      / hand SQL [" w " workers]", ms(w, "pred_row"), ms(w, "hand"), t_pred, 1)
            ratio("predict ARRAY    / hand SQL [" w " workers]", ms(w, "pred_arr"), ms(w, "hand"), t_pred, 1)
        }
        print ""
        print "  speed-up, time with 0 workers / time with " whi ":"
        ratio("train(0.25)", ms(0, "train25"), ms(whi, "train25"), t_sp, 0)
        ratio("train(0)", ms(0, "train0"), ms(whi, "train0"), t_sp, 0)
        ratio("predict VARIADIC", ms(0, "pred_var"), ms(whi, "pred_var"), t_sp, 0)
        ratio("predict row", ms(0, "pred_row"), ms(whi, "pred_row"), t_sp, 0)
        ratio("predict ARRAY", ms(0, "pred_arr"), ms(whi, "pred_arr"), t_sp, 0)
        printf "  %-44s %8.2f   (reference: what the machine gives a plain scan)\n", "scan (reference)",
               (ms(whi, "scan") > 0 ? ms(0, "scan") / ms(whi, "scan") : 0)
        printf "  %-44s %8.2f   (reference)\n", "hand SQL (reference)",
               (ms(whi, "hand") > 0 ? ms(0, "hand") / ms(whi, "hand") : 0)
        for (c in cnt) if (cnt[c] != repeat) { print "  WARNING: a query has " cnt[c] " timings instead of " repeat; break }
    }' "$workdir/out.txt"

say ""
say "  (MISS marks a ratio off its target; a benchmark never fails the run)"
exit 0
