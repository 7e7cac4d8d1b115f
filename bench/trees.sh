#!/usr/bin/env bash
# bench/trees.sh -- gradient_boosting: training time against scikit-learn's
# HistGradientBoostingRegressor on the same rows (one thread), and
# sum(mldb.predict(...)) against a plain scan, both measured in this run.
#
# Data: ROWS x 10 uniform features (setseed), y = Friedman #1 of x1..x5 +
# noise.  mldb: gradient_boosting, 100 trees, max_depth 6, 255 bins,
# test_size 0 (every row trains, as sklearn's fit); the scans run serially
# (max_parallel_workers_per_gather = 0), tree growth is single-threaded.
# sklearn: HistGradientBoostingRegressor(max_iter=100, max_depth=6,
# max_leaf_nodes=None, early_stopping=False), OMP_NUM_THREADS=1, on the
# same rows exported with COPY; needs Debian's python3-sklearn (benchmark
# only, never an mldb dependency).  mldb's time is mldb.train's wall time:
# both passes, tree growth and the driver's scoring of the stored version.
#
# Connects with the usual libpq variables; PGDATABASE defaults to
# mldb_bench.  A benchmark is not a test: it exits 0 whatever the ratios.
set -euo pipefail

ROWS="${BENCH_ROWS:-200000}"
: "${BENCH_FRESH_EXTENSION:=0}"                 # keep the extension (and other benches' models) unless told
PY="${BENCH_PYTHON:-/usr/bin/python3}"
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_database

have=$(q1 "SELECT count(*) FROM pg_class WHERE relname = 'bench_trees'")
if [[ "$have" != 1 || $(q1 "SELECT count(*) FROM bench_trees") != "$ROWS" ]]; then
    echo "building bench_trees ($ROWS rows x 10 features)"
    "${PSQL[@]}" <<SQL
DROP TABLE IF EXISTS bench_trees;
SELECT setseed(0.42);
CREATE TABLE bench_trees AS
SELECT x1, x2, x3, x4, x5, x6, x7, x8, x9, x10,
       10 * sin(pi() * x1 * x2) + 20 * (x3 - 0.5) ^ 2 + 10 * x4 + 5 * x5 + random() AS y
  FROM (SELECT random() x1, random() x2, random() x3, random() x4, random() x5, random() x6,
               random() x7, random() x8, random() x9, random() x10
          FROM generate_series(1, $ROWS)) s;
VACUUM ANALYZE bench_trees;
SQL
fi
q1 "COPY bench_trees TO STDOUT WITH (FORMAT csv)" > "$workdir/data.csv"

mldb_train=$(best_ms "SELECT mldb.train('bench_gb', 'gradient_boosting', 'bench_trees', 'y', NULL,
  '{\"test_size\": 0, \"n_estimators\": 100, \"max_depth\": 6, \"max_bins\": 255, \"deploy\": \"always\"}');")
sk=$(OMP_NUM_THREADS=1 "$PY" - "$workdir/data.csv" "$REPEAT" <<'PY'
import sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
d = np.loadtxt(sys.argv[1], delimiter=",")
X, y = d[:, :10], d[:, 10]
best = None
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    m = HistGradientBoostingRegressor(max_iter=100, max_depth=6, max_leaf_nodes=None,
                                      max_bins=255, early_stopping=False).fit(X, y)
    e = (time.perf_counter() - t) * 1000
    best = e if best is None else min(best, e)
print(f"{best:.1f} {m.predict(X).sum():.10g}")
PY
)
sk_ms=${sk%% *}
sk_sum=${sk##* }
scan=$(best_ms "SELECT sum(x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10) FROM bench_trees;")
pred=$(best_ms "SELECT sum(mldb.predict('bench_gb', x1, x2, x3, x4, x5, x6, x7, x8, x9, x10)) FROM bench_trees;")
mldb_sum=$(q1 "SELECT round(sum(mldb.predict('bench_gb', x1, x2, x3, x4, x5, x6, x7, x8, x9, x10))::numeric, 4) FROM bench_trees")

printf 'rows %s, gradient_boosting 100 trees, depth 6, 255 bins, best of %s\n' "$ROWS" "$REPEAT"
printf '  mldb.train             %10.1f ms\n' "$mldb_train"
printf '  sklearn HGB fit (1 thr) %9.1f ms\n' "$sk_ms"
printf '  train ratio mldb/sklearn      %.2fx   (target <= 2)\n' "$(awk "BEGIN{print $mldb_train / $sk_ms}")"
printf '  sum(predict)           %10.1f ms\n' "$pred"
printf '  plain scan sum(x1..x10) %9.1f ms\n' "$scan"
printf '  predict ratio predict/scan    %.2fx   (target <= 3)\n' "$(awk "BEGIN{print $pred / $scan}")"
printf '  sum of predictions: mldb %s, sklearn %s\n' "$mldb_sum" "$sk_sum"
