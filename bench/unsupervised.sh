#!/usr/bin/env bash
# bench/unsupervised.sh -- kmeans and pca against plain-SQL baselines
# measured in this run (issue 8's targets).
#
# Data: ROWS x 10 uniform features (setseed).  Serial scans
# (max_parallel_workers_per_gather = 0), best of BENCH_REPEAT:
#   - one Lloyd iteration: (kmeans with max_iter 11 - with max_iter 1) / 10,
#     k 8, n_init 1, tol 0, test_size 0, against sum(x1 + .. + x10);
#   - pca training (every row, all components) against the same scan;
#   - mldb.transform of the pca model against the hand-written projection
#     (x - mean) . component for every component, as float8[].
# Connects with the usual libpq variables; PGDATABASE defaults to
# mldb_bench.  A benchmark is not a test: it exits 0 whatever the ratios.
set -euo pipefail

ROWS="${BENCH_ROWS:-1000000}"
TABLE=bench_unsup
MARKER="mldb bench_unsup v1 rows=${ROWS}"
: "${BENCH_FRESH_EXTENSION:=0}"
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_database
bench_uniform_table 0.6161

XS="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
XA="ARRAY['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10']"
km() { echo "SELECT mldb.train('bench_km', 'kmeans', '${TABLE}', NULL, ${XA},
  '{\"k\": 8, \"n_init\": 1, \"tol\": 0, \"test_size\": 0, \"max_iter\": $1, \"deploy\": \"always\"}');"; }
PCA="SELECT mldb.train('bench_pca', 'pca', '${TABLE}', NULL, ${XA}, '{\"test_size\": 0, \"deploy\": \"always\"}');"
q1 "${PCA}" >/dev/null
# the projection by hand: ARRAY[(x1 - m1) * c1_1 + .., ..], constants inlined
hand=$(q1 "
  SELECT 'ARRAY[' || string_agg(e, ', ' ORDER BY c) || ']'
    FROM (SELECT c, string_agg(format('(x%s - float8 %L) * float8 %L', i, d->'mean'->>('x' || i),
                                      d->'components'->(c - 1)->>('x' || i)), ' + ' ORDER BY i) e
            FROM (SELECT mldb.describe('bench_pca')->'params' d) p,
                 generate_series(1, jsonb_array_length(d->'components')) c, generate_series(1, 10) i
           GROUP BY c) s")

scan=$(best_ms "SELECT sum(x1+x2+x3+x4+x5+x6+x7+x8+x9+x10) FROM ${TABLE};")
k1=$(best_ms "$(km 1)")
k11=$(best_ms "$(km 11)")
iters=$(q1 "SELECT mldb.describe('bench_km')->'params'->>'iterations'")
pca=$(best_ms "${PCA}")
handt=$(best_ms "SELECT sum((${hand})[1]) FROM ${TABLE};")
# ... and of the first component alone, a lower bound for any projection
hand1=$(sed -e 's/^ARRAY\[//' -e 's/, (x1 - .*//' <<<"$hand")
hand1t=$(best_ms "SELECT sum(${hand1}) FROM ${TABLE};")
tr=$(best_ms "SELECT sum((mldb.transform('bench_pca', ${XS}))[1]) FROM ${TABLE};")
check=$(q1 "SELECT max(abs((mldb.transform('bench_pca', ${XS}))[1] - (${hand})[1])) FROM ${TABLE}")

say "$(bench_info "${TABLE}")"
printf 'best of %s, serial\n' "$REPEAT"
printf '  scan sum(x1..x10)                 %9.1f ms\n' "$scan"
printf '  kmeans max_iter 1 / 11            %9.1f / %.1f ms (the second ran %s iterations)\n' "$k1" "$k11" "$iters"
printf '  one Lloyd iteration / scan           %6.2fx   (target <= 2)\n' \
    "$(awk "BEGIN{print ($k11 - $k1) / 10 / $scan}")"
printf '  pca training                      %9.1f ms\n' "$pca"
printf '  pca training / scan                  %6.2fx   (target <= 1.5)\n' "$(awk "BEGIN{print $pca / $scan}")"
printf '  hand-written projection, all      %9.1f ms\n' "$handt"
printf '  hand-written, first component     %9.1f ms\n' "$hand1t"
printf '  mldb.transform (all components)   %9.1f ms\n' "$tr"
printf '  transform / hand-written all         %6.2fx   (target <= 2; largest difference %s)\n' \
    "$(awk "BEGIN{print $tr / $handt}")" "$check"
printf '  transform / hand-written first       %6.2fx\n' "$(awk "BEGIN{print $tr / $hand1t}")"
