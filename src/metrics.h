/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Model-quality metrics as mergeable states (see metrics.c).
 *
 * The regression state is exposed so that C code elsewhere (mldb.evaluate,
 * training hold-out scores) computes exactly the numbers the SQL aggregates
 * mldb.rmse / mae / mse / r2 / explained_variance return.  Callers skip rows
 * with a NULL y or yhat themselves; mldb_regmetrics_add() raises an error on
 * NaN or infinite input.
 *
 * The multiclass state behind mldb._classification_metrics is exposed the
 * same way, for classifiers scored from C: labels are byte strings (the
 * text form of the class), compared bytewise.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_METRICS_H
#define MLDB_METRICS_H

#include "utils/jsonb.h"

/*
 * Running moments of y and of the residual e = y - yhat.  mean/m2 follow
 * Welford (1962) per row and Chan, Golub & LeVeque (1979) per merge, so no
 * variance is ever formed as a difference of sums of squares.
 */
typedef struct RegMetricsState
{
	double		n;				/* rows seen (NULL rows excluded) */
	double		mean_y;			/* running mean of y */
	double		m2_y;			/* sum of (y - mean_y)^2 */
	double		mean_e;			/* running mean of e */
	double		m2_e;			/* sum of (e - mean_e)^2 */
	double		sum_abs_e;		/* sum of |e| */
	double		sum_sq_e;		/* sum of e^2 (SSE) */
} RegMetricsState;

typedef enum RegMetric
{
	REGMETRIC_MSE,
	REGMETRIC_RMSE,
	REGMETRIC_MAE,
	REGMETRIC_R2,
	REGMETRIC_EXPLAINED_VARIANCE
} RegMetric;

extern void mldb_regmetrics_init(RegMetricsState *state);
extern void mldb_regmetrics_add(RegMetricsState *state, double y, double yhat);
extern void mldb_regmetrics_merge(RegMetricsState *dst,
								  const RegMetricsState *src);

/*
 * Computes one metric; returns false (result untouched) when the metric is
 * undefined: no rows for any metric, fewer than two rows for r2 and
 * explained_variance.
 */
extern bool mldb_regmetrics_value(const RegMetricsState *state,
								  RegMetric metric, double *result);

/*
 * {"n", "r2", "mae", "mse", "rmse", "explained_variance"}; undefined metrics
 * are JSON null (so an empty state gives n = 0 and nulls elsewhere).
 */
extern Jsonb *mldb_regmetrics_jsonb(const RegMetricsState *state);

/*
 * Multiclass counts: per class (label), how many rows have it as the actual
 * value (support), how many predict it, and how many do both (true
 * positives).  That is all sklearn's classification_report needs:
 * precision = tp / predicted, recall = tp / support, f1 = 2 tp /
 * (support + predicted), accuracy = sum tp / n.
 *
 * Classes are kept sorted by label (bytewise, shorter first on a common
 * prefix: code point order for UTF-8), at most MLDB_CLSMETRICS_MAX_CLASSES of
 * them, so the state is bounded; one more distinct label is an error.
 */
#define MLDB_CLSMETRICS_MAX_CLASSES 1000

typedef struct ClsMetricsClass
{
	char	   *label;			/* NUL-terminated copy, in the state's context */
	int			len;			/* strlen(label) */
	int64		support;		/* rows whose actual value is this class */
	int64		predicted;		/* rows predicted as this class */
	int64		tp;				/* rows with both */
} ClsMetricsClass;

typedef struct ClsMetricsState
{
	MemoryContext mcxt;			/* labels and the class array live here */
	int64		n;				/* rows seen (NULL pairs excluded) */
	int			nclasses;
	int			maxclasses;		/* allocated length of classes[] */
	ClsMetricsClass *classes;	/* sorted by label */
} ClsMetricsState;

extern void mldb_clsmetrics_init(ClsMetricsState *state, MemoryContext mcxt);

/*
 * Adds one (actual, predicted) pair, given as byte strings of the given
 * lengths (not necessarily NUL-terminated; must not contain NUL bytes, as
 * text never does).  Errors with ERRCODE_PROGRAM_LIMIT_EXCEEDED beyond
 * MLDB_CLSMETRICS_MAX_CLASSES distinct labels.
 */
extern void mldb_clsmetrics_add(ClsMetricsState *state,
								const char *actual, int actual_len,
								const char *predicted, int predicted_len);
extern void mldb_clsmetrics_merge(ClsMetricsState *dst,
								  const ClsMetricsState *src);

/*
 * {"n", "accuracy", "classes", "per_class", "macro", "weighted"}:
 *   classes   - the labels, sorted as above (jsonb reorders object keys, so
 *               this array is the place to read the order from);
 *   per_class - {label: {"precision", "recall", "f1", "support"}};
 *   macro     - {"precision", "recall", "f1"}: unweighted means over classes;
 *   weighted  - the same, weighted by support.
 * Zero divisions give 0.0 (sklearn's zero_division="warn" default).  An
 * empty state gives n = 0, accuracy null, empty classes and null averages.
 */
extern Jsonb *mldb_clsmetrics_jsonb(const ClsMetricsState *state);

#endif							/* MLDB_METRICS_H */
