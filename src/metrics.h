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

#endif							/* MLDB_METRICS_H */
