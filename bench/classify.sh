#!/usr/bin/env bash
# bench/classify.sh -- logistic_regression: training against a plain scan,
# predict_proba against the hand-written sigmoid, both measured in this run.
#
# Data: ROWS x 10 uniform features (setseed) and a boolean label drawn from
# a logistic model of them (not separable).  Training uses the defaults
# (test_size 0.25, tol 1e-6, Newton); the ratio counts every pass: the
# profiling pass, the moments pass and the Newton passes, as mldb.train's
# wall time.  Serial (max_parallel_workers_per_gather = 0) and with 2
# workers.  Connects with the usual libpq variables; PGDATABASE defaults to
# mldb_bench.  A benchmark is not a test: it exits 0 whatever the ratios.
set -euo pipefail

ROWS="${BENCH_ROWS:-1000000}"
T_TRAIN="${BENCH_TARGET_TRAIN:-8}"              # train / scan <= this (issue 5)
T_PROBA="${BENCH_TARGET_PROBA:-2}"              # predict_proba / hand sigmoid <= this
TABLE=bench_logistic
MODEL=bench_logit
MARKER="mldb bench_logistic v1 rows=${ROWS}"
: "${BENCH_FRESH_EXTENSION:=0}"
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_database

bench_uniform_table 0.2424 "random() < 1 / (1 + exp(-(-1.0 + 2.0*x1 - 3.0*x2 + 0.5*x3 + 1.5*x4 - 1.0*x5
                                 + 2.5*x6 - 0.75*x7 + 1.25*x8 - 0.5*x9 + 0.25*x10))) AS label"

XS="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
TRAIN="SELECT mldb.train('${MODEL}', 'logistic_regression', '${TABLE}', 'label', NULL, '{\"deploy\": \"always\"}')"
q1 "${TRAIN}" >/dev/null
hand=$(q1 "
  SELECT format('1 / (1 + exp(-(float8 %L', c->>'(intercept)')
         || string_agg(format(' + float8 %L * x%s', c->>('x' || i), i), '' ORDER BY i) || ')))'
    FROM (SELECT mldb.describe('${MODEL}')->'params'->'coef' AS c) d, generate_series(1, 10) i
   GROUP BY c")
PAR="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 10; SET min_parallel_table_scan_size = 0;"

scan=$(best_ms "SELECT sum(x1+x2+x3+x4+x5+x6+x7+x8+x9+x10) FROM ${TABLE};")
train=$(best_ms "${TRAIN};")
scan2=$(best_ms "SELECT sum(x1+x2+x3+x4+x5+x6+x7+x8+x9+x10) FROM ${TABLE};" "$PAR")
train2=$(best_ms "${TRAIN};" "$PAR")
handt=$(best_ms "SELECT sum(${hand}) FROM ${TABLE};")
proba=$(best_ms "SELECT sum((mldb.predict_proba('${MODEL}', ${XS}))[2]) FROM ${TABLE};")
info=$(q1 "SELECT format('Newton iterations %s (after %s on the sample), hold-out accuracy %s', p->>'iterations', p->>'sample_iterations',
                         round((m->>'accuracy')::numeric, 4))
             FROM (SELECT mldb.describe('${MODEL}') d) s, LATERAL (SELECT d->'params' p, d->'metrics' m) x")
check=$(q1 "SELECT abs(a - b) / abs(b) FROM (SELECT sum((mldb.predict_proba('${MODEL}', ${XS}))[2]) a,
                                               sum(${hand}) b FROM ${TABLE}) s")

say "$(bench_info "${TABLE}")"
printf 'logistic_regression, defaults (test_size 0.25, tol 1e-6); %s; best of %s\n' "$info" "$REPEAT"
printf '  scan sum(x1..x10)          %9.1f ms   with 2 workers %9.1f ms\n' "$scan" "$scan2"
printf '  mldb.train                 %9.1f ms   with 2 workers %9.1f ms\n' "$train" "$train2"
printf '  train ratio train/scan        %6.2fx   with 2 workers    %6.2fx   (target <= %s)\n' \
    "$(awk "BEGIN{print $train / $scan}")" "$(awk "BEGIN{print $train2 / $scan2}")" "$T_TRAIN"
printf '  hand-written sigmoid       %9.1f ms\n' "$handt"
printf '  sum(predict_proba)         %9.1f ms\n' "$proba"
printf '  predict_proba ratio           %6.2fx   (target <= %s; relative difference of the sums %s)\n' \
    "$(awk "BEGIN{print $proba / $handt}")" "$T_PROBA" "$check"
