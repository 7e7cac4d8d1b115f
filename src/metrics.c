/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Model-quality metrics as parallel-safe, mergeable aggregates.
 *
 * This file owns the C side of the metric aggregates in
 * sql/src/30_metrics.sql: their transition states, the combine, serialize
 * and deserialize functions that let PostgreSQL run them as
 * Partial/Finalize Aggregate (and let Citus merge shard partials), the final
 * functions, and the jsonb summary used by mldb.evaluate.
 *
 * Regression metrics (mldb.rmse, mse, mae, r2, explained_variance,
 * _regression_metrics) share one state, RegMetricsState (metrics.h).
 * Classification metrics will get their own state in a section of their
 * own below; keep one state per family and one final function per metric.
 *
 * Definitions follow scikit-learn's sklearn.metrics (mean_squared_error,
 * mean_absolute_error, r2_score with force_finite=True,
 * explained_variance_score), so numbers can be compared with it directly;
 * docs/reference-metrics.md lists them and the few deliberate differences.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "metrics.h"

/*
 * Serialized RegMetricsState: int32 format version, then the seven float8
 * fields in struct order (network byte order, as pq_sendfloat8 writes them).
 * The bytes only travel between processes of one query (or from Citus
 * workers to the coordinator), but a version word makes a state produced by
 * a different build an error instead of garbage.
 */
#define REGMETRICS_FORMAT_VERSION	1
#define REGMETRICS_SERIAL_SIZE		(4 + 7 * 8)

static void reject_nonfinite(double y, double yhat);
static void check_regmetrics_state(const RegMetricsState *state);
static double regmetrics_final(FunctionCallInfo fcinfo, RegMetric metric,
							   bool *isnull);
static void jsonb_push_number(JsonbParseState **pstate, const char *key,
							  bool defined, double value);
static Numeric float8_to_numeric_exact(double value);


/* ----------------------------------------------------------------
 * Regression metrics: state arithmetic (exported through metrics.h)
 * ----------------------------------------------------------------
 */

void
mldb_regmetrics_init(RegMetricsState *state)
{
	memset(state, 0, sizeof(RegMetricsState));
}

/*
 * Adds one row.  Moments are updated with Welford's recurrence (Welford
 * 1962; Knuth TAOCP vol. 2, 4.2.2): mean += d/n, M2 += d * (x - new mean),
 * which never subtracts two large sums of squares.  sum_abs_e and sum_sq_e
 * add non-negative terms only, so they cannot cancel either.
 */
void
mldb_regmetrics_add(RegMetricsState *state, double y, double yhat)
{
	double		e;
	double		n;
	double		d;

	reject_nonfinite(y, yhat);

	e = y - yhat;
	n = state->n + 1.0;

	d = y - state->mean_y;
	state->mean_y += d / n;
	state->m2_y += d * (y - state->mean_y);

	d = e - state->mean_e;
	state->mean_e += d / n;
	state->m2_e += d * (e - state->mean_e);

	state->sum_abs_e += fabs(e);
	state->sum_sq_e += e * e;
	state->n = n;

	/* finite inputs can still overflow (y - yhat, e * e, the sums) */
	if (!isfinite(e) || !isfinite(state->mean_y) || !isfinite(state->m2_y) ||
		!isfinite(state->mean_e) || !isfinite(state->m2_e) ||
		!isfinite(state->sum_abs_e) || !isfinite(state->sum_sq_e))
		float_overflow_error();
}

/*
 * Folds src into dst with the pairwise update of Chan, Golub & LeVeque,
 * "Updating formulae and a pairwise algorithm for computing sample
 * variances" (Stanford CS tech. report STAN-CS-79-773, 1979), eq. 2.1:
 *   n = na + nb,  delta = mean_b - mean_a,
 *   mean = mean_a + delta * nb / n,
 *   M2 = M2a + M2b + delta^2 * na * nb / n.
 */
void
mldb_regmetrics_merge(RegMetricsState *dst, const RegMetricsState *src)
{
	double		na = dst->n;
	double		nb = src->n;
	double		n;
	double		delta;

	if (nb == 0.0)
		return;
	if (na == 0.0)
	{
		*dst = *src;
		return;
	}

	n = na + nb;

	delta = src->mean_y - dst->mean_y;
	dst->mean_y += delta * (nb / n);
	dst->m2_y += src->m2_y + delta * delta * (na * nb / n);

	delta = src->mean_e - dst->mean_e;
	dst->mean_e += delta * (nb / n);
	dst->m2_e += src->m2_e + delta * delta * (na * nb / n);

	dst->sum_abs_e += src->sum_abs_e;
	dst->sum_sq_e += src->sum_sq_e;
	dst->n = n;

	if (!isfinite(dst->mean_y) || !isfinite(dst->m2_y) ||
		!isfinite(dst->mean_e) || !isfinite(dst->m2_e) ||
		!isfinite(dst->sum_abs_e) || !isfinite(dst->sum_sq_e))
		float_overflow_error();
}

/*
 * With SSE = sum e^2, SST = M2_y = sum (y - mean y)^2 and n rows:
 *   mse = SSE / n, rmse = sqrt(mse), mae = sum |e| / n,
 *   r2 = 1 - SSE / SST                      (sklearn r2_score),
 *   explained_variance = 1 - M2_e / M2_y    (= 1 - Var(e) / Var(y), both
 *                                            population variances, as in
 *                                            sklearn explained_variance_score).
 * When y is constant (SST = 0) the ratios are not finite; like sklearn's
 * default force_finite=True we return 1.0 if the numerator is 0 as well
 * (perfect predictions) and 0.0 otherwise.  r2 and explained_variance need
 * two rows: sklearn's r2_score returns NaN for fewer than two samples, which
 * SQL spells NULL, and we treat explained_variance the same way.
 */
bool
mldb_regmetrics_value(const RegMetricsState *state, RegMetric metric,
					  double *result)
{
	double		value;

	if (state == NULL || state->n <= 0.0)
		return false;

	switch (metric)
	{
		case REGMETRIC_MSE:
			value = state->sum_sq_e / state->n;
			break;
		case REGMETRIC_RMSE:
			value = sqrt(state->sum_sq_e / state->n);
			break;
		case REGMETRIC_MAE:
			value = state->sum_abs_e / state->n;
			break;
		case REGMETRIC_R2:
			if (state->n < 2.0)
				return false;
			if (state->m2_y == 0.0)
				value = (state->sum_sq_e == 0.0) ? 1.0 : 0.0;
			else
				value = 1.0 - state->sum_sq_e / state->m2_y;
			break;
		case REGMETRIC_EXPLAINED_VARIANCE:
			if (state->n < 2.0)
				return false;
			if (state->m2_y == 0.0)
				value = (state->m2_e == 0.0) ? 1.0 : 0.0;
			else
				value = 1.0 - state->m2_e / state->m2_y;
			break;
		default:
			elog(ERROR, "unrecognized regression metric: %d", (int) metric);
			return false;		/* keep compiler quiet */
	}

	/* a huge SSE over a tiny SST can still overflow the ratio */
	if (!isfinite(value))
		float_overflow_error();

	*result = value;
	return true;
}

Jsonb *
mldb_regmetrics_jsonb(const RegMetricsState *state)
{
	JsonbParseState *pstate = NULL;
	JsonbValue	key;
	JsonbValue	val;
	JsonbValue *res;
	double		value;
	bool		defined;

	pushJsonbValue(&pstate, WJB_BEGIN_OBJECT, NULL);

	key.type = jbvString;
	key.val.string.val = "n";
	key.val.string.len = 1;
	pushJsonbValue(&pstate, WJB_KEY, &key);
	val.type = jbvNumeric;
	val.val.numeric = int64_to_numeric(state ? (int64) state->n : 0);
	pushJsonbValue(&pstate, WJB_VALUE, &val);

	defined = mldb_regmetrics_value(state, REGMETRIC_R2, &value);
	jsonb_push_number(&pstate, "r2", defined, value);
	defined = mldb_regmetrics_value(state, REGMETRIC_RMSE, &value);
	jsonb_push_number(&pstate, "rmse", defined, value);
	defined = mldb_regmetrics_value(state, REGMETRIC_MSE, &value);
	jsonb_push_number(&pstate, "mse", defined, value);
	defined = mldb_regmetrics_value(state, REGMETRIC_MAE, &value);
	jsonb_push_number(&pstate, "mae", defined, value);
	defined = mldb_regmetrics_value(state, REGMETRIC_EXPLAINED_VARIANCE, &value);
	jsonb_push_number(&pstate, "explained_variance", defined, value);

	res = pushJsonbValue(&pstate, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}


/* ----------------------------------------------------------------
 * Regression metrics: aggregate support functions (SQL-callable)
 * ----------------------------------------------------------------
 */

/*
 * mldb._regmetrics_trans(internal, y float8, yhat float8) RETURNS internal
 *
 * Not strict: the state starts as NULL and is created here, in the
 * aggregate context.  A row whose y or yhat is NULL is skipped, as the
 * built-in aggregates skip NULL inputs; NaN or infinity is an error.
 */
PG_FUNCTION_INFO_V1(mldb_regmetrics_trans);
Datum
mldb_regmetrics_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	RegMetricsState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_regmetrics_trans called in non-aggregate context");

	state = PG_ARGISNULL(0) ? NULL : (RegMetricsState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	if (state == NULL)
	{
		state = (RegMetricsState *) MemoryContextAlloc(aggcontext,
													   sizeof(RegMetricsState));
		mldb_regmetrics_init(state);
	}

	mldb_regmetrics_add(state, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2));

	PG_RETURN_POINTER(state);
}

/*
 * mldb._regmetrics_combine(internal, internal) RETURNS internal
 *
 * Either side may be NULL (a worker that saw no non-NULL row).  The result
 * must live in the aggregate context, so a NULL left side gets a fresh copy
 * of the right one rather than the right pointer itself, which belongs to
 * the deserialize call's memory.
 */
PG_FUNCTION_INFO_V1(mldb_regmetrics_combine);
Datum
mldb_regmetrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	RegMetricsState *state1;
	RegMetricsState *state2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_regmetrics_combine called in non-aggregate context");

	state1 = PG_ARGISNULL(0) ? NULL : (RegMetricsState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (RegMetricsState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}

	if (state1 == NULL)
	{
		state1 = (RegMetricsState *) MemoryContextAlloc(aggcontext,
														sizeof(RegMetricsState));
		*state1 = *state2;
		PG_RETURN_POINTER(state1);
	}

	mldb_regmetrics_merge(state1, state2);

	PG_RETURN_POINTER(state1);
}

/*
 * mldb._regmetrics_serialize(internal) RETURNS bytea
 */
PG_FUNCTION_INFO_V1(mldb_regmetrics_serialize);
Datum
mldb_regmetrics_serialize(PG_FUNCTION_ARGS)
{
	RegMetricsState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_regmetrics_serialize called in non-aggregate context");

	state = (RegMetricsState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, REGMETRICS_FORMAT_VERSION);
	pq_sendfloat8(&buf, state->n);
	pq_sendfloat8(&buf, state->mean_y);
	pq_sendfloat8(&buf, state->m2_y);
	pq_sendfloat8(&buf, state->mean_e);
	pq_sendfloat8(&buf, state->m2_e);
	pq_sendfloat8(&buf, state->sum_abs_e);
	pq_sendfloat8(&buf, state->sum_sq_e);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * mldb._regmetrics_deserialize(bytea, internal) RETURNS internal
 *
 * The bytea is validated (length, version, value ranges) before use: a
 * truncated or foreign state is an error, never a wrong metric.
 */
PG_FUNCTION_INFO_V1(mldb_regmetrics_deserialize);
Datum
mldb_regmetrics_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate;
	RegMetricsState *state;
	StringInfoData buf;
	int			version;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_regmetrics_deserialize called in non-aggregate context");

	sstate = PG_GETARG_BYTEA_PP(0);

	if (VARSIZE_ANY_EXHDR(sstate) != REGMETRICS_SERIAL_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid regression metrics state"),
				 errdetail("The serialized state has %d bytes; expected %d.",
						   (int) VARSIZE_ANY_EXHDR(sstate),
						   REGMETRICS_SERIAL_SIZE)));

	/* copy into a StringInfo so the pq_getmsg* readers can be used */
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(sstate),
						   VARSIZE_ANY_EXHDR(sstate));

	version = pq_getmsgint(&buf, 4);
	if (version != REGMETRICS_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid regression metrics state"),
				 errdetail("The state has format version %d; this build reads version %d.",
						   version, REGMETRICS_FORMAT_VERSION)));

	state = (RegMetricsState *) palloc(sizeof(RegMetricsState));
	state->n = pq_getmsgfloat8(&buf);
	state->mean_y = pq_getmsgfloat8(&buf);
	state->m2_y = pq_getmsgfloat8(&buf);
	state->mean_e = pq_getmsgfloat8(&buf);
	state->m2_e = pq_getmsgfloat8(&buf);
	state->sum_abs_e = pq_getmsgfloat8(&buf);
	state->sum_sq_e = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	pfree(buf.data);

	check_regmetrics_state(state);

	PG_RETURN_POINTER(state);
}

/*
 * Final functions, one per metric: (internal) RETURNS float8, NULL when the
 * metric is undefined (see mldb_regmetrics_value).
 */
PG_FUNCTION_INFO_V1(mldb_regmetrics_mse_final);
Datum
mldb_regmetrics_mse_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = regmetrics_final(fcinfo, REGMETRIC_MSE, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

PG_FUNCTION_INFO_V1(mldb_regmetrics_rmse_final);
Datum
mldb_regmetrics_rmse_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = regmetrics_final(fcinfo, REGMETRIC_RMSE, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

PG_FUNCTION_INFO_V1(mldb_regmetrics_mae_final);
Datum
mldb_regmetrics_mae_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = regmetrics_final(fcinfo, REGMETRIC_MAE, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

PG_FUNCTION_INFO_V1(mldb_regmetrics_r2_final);
Datum
mldb_regmetrics_r2_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = regmetrics_final(fcinfo, REGMETRIC_R2, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

PG_FUNCTION_INFO_V1(mldb_regmetrics_explained_variance_final);
Datum
mldb_regmetrics_explained_variance_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = regmetrics_final(fcinfo, REGMETRIC_EXPLAINED_VARIANCE,
										 &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

/*
 * mldb._regression_metrics_final(internal) RETURNS jsonb
 *
 * SQL NULL for empty input, like every other aggregate here; C callers that
 * want {"n": 0, ...} instead call mldb_regmetrics_jsonb directly.
 */
PG_FUNCTION_INFO_V1(mldb_regmetrics_jsonb_final);
Datum
mldb_regmetrics_jsonb_final(PG_FUNCTION_ARGS)
{
	RegMetricsState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RegMetricsState *) PG_GETARG_POINTER(0);
	if (state->n <= 0.0)
		PG_RETURN_NULL();

	PG_RETURN_JSONB_P(mldb_regmetrics_jsonb(state));
}


/* ----------------------------------------------------------------
 * Static helpers
 * ----------------------------------------------------------------
 */

/*
 * NaN has no meaning as a target or a prediction and would silently turn
 * every metric into NaN; infinity gives inf - inf = NaN in the moments.
 * scikit-learn rejects both ("Input contains NaN, infinity ..."), so do we.
 */
static void
reject_nonfinite(double y, double yhat)
{
	if (isfinite(y) && isfinite(yhat))
		return;

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("regression metrics are not defined for NaN or infinite values"),
			 errdetail("Got y = %s and yhat = %s.",
					   float8out_internal(y), float8out_internal(yhat)),
			 errhint("Filter such rows out with a WHERE clause; rows where y or yhat is NULL are skipped.")));
}

/*
 * Range checks for a deserialized state: everything finite, n a
 * non-negative whole number, the sums of squares and |e| non-negative.
 */
static void
check_regmetrics_state(const RegMetricsState *state)
{
	if (!isfinite(state->n) || state->n < 0.0 || state->n != floor(state->n) ||
		!isfinite(state->mean_y) || !isfinite(state->mean_e) ||
		!isfinite(state->m2_y) || state->m2_y < 0.0 ||
		!isfinite(state->m2_e) || state->m2_e < 0.0 ||
		!isfinite(state->sum_abs_e) || state->sum_abs_e < 0.0 ||
		!isfinite(state->sum_sq_e) || state->sum_sq_e < 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid regression metrics state"),
				 errdetail("A count, sum of squares or sum of absolute values is negative or not finite.")));
}

static double
regmetrics_final(FunctionCallInfo fcinfo, RegMetric metric, bool *isnull)
{
	double		value = 0.0;

	*isnull = PG_ARGISNULL(0) ||
		!mldb_regmetrics_value((RegMetricsState *) PG_GETARG_POINTER(0),
							   metric, &value);
	return value;
}

/*
 * Adds "key": value to the object under construction; value is JSON null
 * when undefined (or, defensively, not finite: JSON has no NaN/Infinity).
 */
static void
jsonb_push_number(JsonbParseState **pstate, const char *key, bool defined,
				  double value)
{
	JsonbValue	k;
	JsonbValue	v;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	pushJsonbValue(pstate, WJB_KEY, &k);

	if (defined && isfinite(value))
	{
		v.type = jbvNumeric;
		v.val.numeric = float8_to_numeric_exact(value);
	}
	else
		v.type = jbvNull;
	pushJsonbValue(pstate, WJB_VALUE, &v);
}

/*
 * float8 -> numeric keeping every digit needed to read the same double
 * back.  The float8::numeric cast rounds to 15 significant digits (DBL_DIG),
 * which would make jsonb metrics differ from the float8 aggregates in the
 * last places; the shortest round-trip decimal (Ryu, as float8out uses) does
 * not.
 */
static Numeric
float8_to_numeric_exact(double value)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	Assert(isfinite(value));
	double_to_shortest_decimal_buf(value, buf);
	return DatumGetNumeric(DirectFunctionCall3(numeric_in,
											   CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}
