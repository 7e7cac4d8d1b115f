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
 * Classification metrics have one state per family: accuracy; precision,
 * recall and f1_score (one-vs-rest counts for a positive class); roc_auc
 * (run-length list of scores); log_loss; and the multiclass report behind
 * _classification_metrics (ClsMetricsState, metrics.h).  One final
 * function per metric.
 *
 * Definitions follow scikit-learn's sklearn.metrics (mean_squared_error,
 * mean_absolute_error, r2_score with force_finite=True,
 * explained_variance_score, accuracy_score, precision_score, recall_score,
 * f1_score with zero_division="warn", roc_auc_score, log_loss,
 * classification_report), so numbers can be compared with it directly;
 * docs/reference-metrics.md lists them and the few deliberate differences.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/int.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

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

/*
 * Classification states.  Each is serialized as an int32 format version
 * followed by its fields in network byte order; the deserialize functions
 * check lengths, versions and invariants, so a foreign or truncated state is
 * an error, never a wrong metric.
 */
#define ACCURACY_FORMAT_VERSION		1
#define BINARY_FORMAT_VERSION		1
#define ROCAUC_FORMAT_VERSION		1
#define LOGLOSS_FORMAT_VERSION		1
#define CLSMETRICS_FORMAT_VERSION	1

/*
 * log_loss clips p to [eps, 1 - eps] so that a confident wrong prediction
 * costs -log(1e-15) = 34.5 instead of infinity.  1e-15 is scikit-learn's
 * historical default (log_loss(eps=1e-15) up to 1.2; later versions use the
 * machine epsilon of the input dtype).
 */
#define LOGLOSS_EPS					1e-15

/* roc_auc starts with room for this many distinct scores, then doubles */
#define ROCAUC_INITIAL_CAPACITY		8

/*
 * Per-call cache (fn_extra of the transition function) for the label type of
 * the polymorphic aggregates: its default equality operator and its output
 * function (for the text form of the positive class).
 */
typedef struct LabelTypeInfo
{
	Oid			typid;
	int16		typlen;
	bool		typbyval;
	FmgrInfo	eq;
	FmgrInfo	out;
} LabelTypeInfo;

/* mldb.accuracy */
typedef struct AccuracyState
{
	int64		n;				/* pairs seen (NULL pairs excluded) */
	int64		correct;		/* pairs whose actual = predicted */
} AccuracyState;

/*
 * mldb.precision / recall / f1_score: one-vs-rest counts for one positive
 * class.  The positive class is a per-row argument; it must be the same in
 * every row, which is checked by its text form (cheap to compare and to ship
 * between processes, where the type's own functions are not at hand).
 */
typedef struct BinaryState
{
	int64		tp;				/* actual = positive, predicted = positive */
	int64		fp;				/* actual <> positive, predicted = positive */
	int64		fn;				/* actual = positive, predicted <> positive */
	int64		tn;				/* neither */
	char	   *positive;		/* text form of the positive class */
	bool		has_datum;		/* pos_datum is set (transition phase only) */
	Datum		pos_datum;		/* the positive value, for a fast per-row check */
} BinaryState;

typedef enum BinaryMetric
{
	BINMETRIC_PRECISION,
	BINMETRIC_RECALL,
	BINMETRIC_F1
} BinaryMetric;

/*
 * mldb.roc_auc: a run-length list of (score, positives, negatives).  New
 * rows are appended; when the array is full it is sorted and equal scores
 * merged ("compacted"), and it only grows if that did not free half of it,
 * so memory is proportional to the number of distinct scores, not rows.
 */
typedef struct RocAucEntry
{
	double		score;
	int64		npos;			/* rows with this score and label true */
	int64		nneg;			/* rows with this score and label false */
} RocAucEntry;

typedef struct RocAucState
{
	int64		nentries;
	int64		capacity;		/* allocated length of entries[] */
	bool		compact;		/* entries sorted by score, scores distinct */
	RocAucEntry *entries;		/* in the aggregate context (huge allocation) */
} RocAucState;

#define ROCAUC_HEADER_SIZE		(4 + 8)
#define ROCAUC_ENTRY_SIZE		(8 + 8 + 8)
/* most entries a serialized state (a bytea, under 1 GB) can hold */
#define ROCAUC_MAX_SERIAL_ENTRIES \
	((int64) ((MaxAllocSize - VARHDRSZ - ROCAUC_HEADER_SIZE - 1) / ROCAUC_ENTRY_SIZE))

/* mldb.log_loss */
typedef struct LogLossState
{
	int64		n;				/* rows seen (NULL rows excluded) */
	double		sum;			/* sum of the per-row losses, each >= 0 */
} LogLossState;

static LabelTypeInfo *label_type_info(FunctionCallInfo fcinfo, int argno);
static bool labels_equal(FunctionCallInfo fcinfo, LabelTypeInfo *info,
						 Datum a, Datum b);
static void binary_set_positive(BinaryState *state, LabelTypeInfo *info,
								Datum positive, MemoryContext aggcontext);
static void binary_check_same_positive(const char *a, const char *b);
static double binary_final(FunctionCallInfo fcinfo, BinaryMetric metric,
						   bool *isnull);
static void rocauc_add(RocAucState *state, double score, bool label);
static void rocauc_compact(RocAucState *state);
static void rocauc_resize(RocAucState *state, int64 capacity);
static int	rocauc_entry_cmp(const void *a, const void *b);
static void rocauc_merge(RocAucState *dst, RocAucState *src,
						 MemoryContext mcxt);
static int	label_cmp(const char *a, int alen, const char *b, int blen);
static int	clsmetrics_class(ClsMetricsState *state, const char *label,
							 int len, bool *inserted);
static void clsmetrics_class_values(const ClsMetricsClass *c, double *precision,
									double *recall, double *f1);
static void jsonb_push_key(JsonbParseState **pstate, const char *key, int len);
static void jsonb_push_int64(JsonbParseState **pstate, const char *key,
							 int64 value);
static void invalid_state(const char *what, const char *detail);


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
 * Classification metrics
 *
 * One state per family, one final function per metric:
 *   accuracy                       AccuracyState     n, correct
 *   precision, recall, f1_score    BinaryState       tp, fp, fn, tn, positive
 *   roc_auc                        RocAucState       (score, npos, nneg) runs
 *   log_loss                       LogLossState      n, sum of losses
 *   _classification_metrics        ClsMetricsState   per-class counts
 * Every transition function skips a row in which any of the compared values
 * is NULL, and every final function returns NULL when no row was counted.
 * ----------------------------------------------------------------
 */

/*
 * mldb._accuracy_trans(internal, anycompatible, anycompatible)
 *	 RETURNS internal
 *
 * Labels are compared with the default equality operator of their common
 * type (as DISTINCT and GROUP BY compare them), under the input collation.
 * anycompatible rather than anyelement lets an int4 label meet an int8
 * prediction, or a bigint column meet the literal 1 as positive class.
 */
PG_FUNCTION_INFO_V1(mldb_accuracy_trans);
Datum
mldb_accuracy_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	AccuracyState *state;
	LabelTypeInfo *info;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_accuracy_trans called in non-aggregate context");

	state = PG_ARGISNULL(0) ? NULL : (AccuracyState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	info = label_type_info(fcinfo, 1);

	if (state == NULL)
		state = (AccuracyState *) MemoryContextAllocZero(aggcontext,
														 sizeof(AccuracyState));

	state->n++;
	if (labels_equal(fcinfo, info, PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)))
		state->correct++;

	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(mldb_accuracy_combine);
Datum
mldb_accuracy_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	AccuracyState *state1;
	AccuracyState *state2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_accuracy_combine called in non-aggregate context");

	state1 = PG_ARGISNULL(0) ? NULL : (AccuracyState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (AccuracyState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		state1 = (AccuracyState *) MemoryContextAlloc(aggcontext,
													  sizeof(AccuracyState));
		*state1 = *state2;
		PG_RETURN_POINTER(state1);
	}

	state1->n += state2->n;
	state1->correct += state2->correct;

	PG_RETURN_POINTER(state1);
}

PG_FUNCTION_INFO_V1(mldb_accuracy_serialize);
Datum
mldb_accuracy_serialize(PG_FUNCTION_ARGS)
{
	AccuracyState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_accuracy_serialize called in non-aggregate context");

	state = (AccuracyState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, ACCURACY_FORMAT_VERSION);
	pq_sendint64(&buf, state->n);
	pq_sendint64(&buf, state->correct);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(mldb_accuracy_deserialize);
Datum
mldb_accuracy_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate;
	AccuracyState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_accuracy_deserialize called in non-aggregate context");

	sstate = PG_GETARG_BYTEA_PP(0);
	if (VARSIZE_ANY_EXHDR(sstate) != 4 + 2 * 8)
		invalid_state("accuracy", "The serialized state has the wrong length.");

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	if (pq_getmsgint(&buf, 4) != ACCURACY_FORMAT_VERSION)
		invalid_state("accuracy", "The state has an unknown format version.");

	state = (AccuracyState *) palloc(sizeof(AccuracyState));
	state->n = pq_getmsgint64(&buf);
	state->correct = pq_getmsgint64(&buf);
	pq_getmsgend(&buf);
	pfree(buf.data);

	if (state->n < 0 || state->correct < 0 || state->correct > state->n)
		invalid_state("accuracy", "The counts are negative or inconsistent.");

	PG_RETURN_POINTER(state);
}

/*
 * mldb._accuracy_final(internal) RETURNS float8: correct / n, NULL for no
 * rows (sklearn's accuracy_score of empty input is NaN with a warning).
 */
PG_FUNCTION_INFO_V1(mldb_accuracy_final);
Datum
mldb_accuracy_final(PG_FUNCTION_ARGS)
{
	AccuracyState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (AccuracyState *) PG_GETARG_POINTER(0);
	if (state->n <= 0)
		PG_RETURN_NULL();

	PG_RETURN_FLOAT8((double) state->correct / (double) state->n);
}

/*
 * mldb._binary_trans(internal, anycompatible, anycompatible, anycompatible)
 *	 RETURNS internal
 *
 * Arguments: actual, predicted, positive.  A NULL positive class is an
 * error (there is nothing to score against); a NULL actual or predicted
 * value skips the row.  The positive class is recorded even for skipped
 * rows, so that a varying one is caught wherever it occurs.
 */
PG_FUNCTION_INFO_V1(mldb_binary_trans);
Datum
mldb_binary_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	BinaryState *state;
	LabelTypeInfo *info;
	Datum		positive;
	bool		actual_pos;
	bool		predicted_pos;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_binary_trans called in non-aggregate context");

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("positive class must not be NULL"),
				 errhint("Pass the label of the positive class as the third argument, e.g. mldb.precision(actual, predicted, 'spam').")));

	state = PG_ARGISNULL(0) ? NULL : (BinaryState *) PG_GETARG_POINTER(0);
	info = label_type_info(fcinfo, 1);
	positive = PG_GETARG_DATUM(3);

	if (state == NULL)
		state = (BinaryState *) MemoryContextAllocZero(aggcontext,
													   sizeof(BinaryState));
	binary_set_positive(state, info, positive, aggcontext);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(state);

	actual_pos = labels_equal(fcinfo, info, PG_GETARG_DATUM(1), positive);
	predicted_pos = labels_equal(fcinfo, info, PG_GETARG_DATUM(2), positive);

	if (actual_pos && predicted_pos)
		state->tp++;
	else if (predicted_pos)
		state->fp++;
	else if (actual_pos)
		state->fn++;
	else
		state->tn++;

	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(mldb_binary_combine);
Datum
mldb_binary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	BinaryState *state1;
	BinaryState *state2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_binary_combine called in non-aggregate context");

	state1 = PG_ARGISNULL(0) ? NULL : (BinaryState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (BinaryState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		/* a deep copy: state2's text belongs to the deserialize call */
		state1 = (BinaryState *) MemoryContextAllocZero(aggcontext,
														sizeof(BinaryState));
		state1->tp = state2->tp;
		state1->fp = state2->fp;
		state1->fn = state2->fn;
		state1->tn = state2->tn;
		if (state2->positive != NULL)
			state1->positive = MemoryContextStrdup(aggcontext, state2->positive);
		PG_RETURN_POINTER(state1);
	}

	if (state1->positive == NULL)
	{
		if (state2->positive != NULL)
			state1->positive = MemoryContextStrdup(aggcontext, state2->positive);
	}
	else if (state2->positive != NULL)
		binary_check_same_positive(state1->positive, state2->positive);

	state1->tp += state2->tp;
	state1->fp += state2->fp;
	state1->fn += state2->fn;
	state1->tn += state2->tn;

	PG_RETURN_POINTER(state1);
}

/*
 * Format: version, tp, fp, fn, tn (int64), the length of the positive
 * class's text (int32, -1 for none) and its bytes.
 */
PG_FUNCTION_INFO_V1(mldb_binary_serialize);
Datum
mldb_binary_serialize(PG_FUNCTION_ARGS)
{
	BinaryState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_binary_serialize called in non-aggregate context");

	state = (BinaryState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, BINARY_FORMAT_VERSION);
	pq_sendint64(&buf, state->tp);
	pq_sendint64(&buf, state->fp);
	pq_sendint64(&buf, state->fn);
	pq_sendint64(&buf, state->tn);
	if (state->positive == NULL)
		pq_sendint32(&buf, -1);
	else
	{
		int			len = strlen(state->positive);

		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, state->positive, len);
	}

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(mldb_binary_deserialize);
Datum
mldb_binary_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate;
	BinaryState *state;
	StringInfoData buf;
	int			len;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_binary_deserialize called in non-aggregate context");

	sstate = PG_GETARG_BYTEA_PP(0);
	if (VARSIZE_ANY_EXHDR(sstate) < 4 + 4 * 8 + 4)
		invalid_state("precision/recall", "The serialized state is too short.");

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	if (pq_getmsgint(&buf, 4) != BINARY_FORMAT_VERSION)
		invalid_state("precision/recall", "The state has an unknown format version.");

	state = (BinaryState *) palloc0(sizeof(BinaryState));
	state->tp = pq_getmsgint64(&buf);
	state->fp = pq_getmsgint64(&buf);
	state->fn = pq_getmsgint64(&buf);
	state->tn = pq_getmsgint64(&buf);
	len = pq_getmsgint(&buf, 4);
	if (len < -1 || Max(len, 0) != buf.len - buf.cursor)
		invalid_state("precision/recall", "The positive class has the wrong length.");
	if (len >= 0)
	{
		state->positive = palloc(len + 1);
		pq_copymsgbytes(&buf, state->positive, len);
		state->positive[len] = '\0';
		if (strlen(state->positive) != len)
			invalid_state("precision/recall", "The positive class contains a NUL byte.");
	}
	pq_getmsgend(&buf);
	pfree(buf.data);

	if (state->tp < 0 || state->fp < 0 || state->fn < 0 || state->tn < 0)
		invalid_state("precision/recall", "A count is negative.");

	PG_RETURN_POINTER(state);
}

/*
 * Final functions (internal) RETURNS float8, following sklearn's
 * precision_score / recall_score / f1_score for one positive class:
 *   precision = tp / (tp + fp), recall = tp / (tp + fn),
 *   f1 = 2 tp / (2 tp + fp + fn)  (= 2 P R / (P + R) whenever both exist).
 * A zero denominator gives 0.0, sklearn's zero_division="warn" result.
 * NULL for no rows; an error when the positive class never occurs
 * (tp = fp = fn = 0), since then every metric is 0/0 and the cause is
 * almost always a misspelt label.
 */
PG_FUNCTION_INFO_V1(mldb_precision_final);
Datum
mldb_precision_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = binary_final(fcinfo, BINMETRIC_PRECISION, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

PG_FUNCTION_INFO_V1(mldb_recall_final);
Datum
mldb_recall_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = binary_final(fcinfo, BINMETRIC_RECALL, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

PG_FUNCTION_INFO_V1(mldb_f1_final);
Datum
mldb_f1_final(PG_FUNCTION_ARGS)
{
	bool		isnull;
	double		value = binary_final(fcinfo, BINMETRIC_F1, &isnull);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(value);
}

/*
 * mldb._rocauc_trans(internal, label bool, score float8) RETURNS internal
 *
 * Rows with a NULL label or score are skipped; a NaN score is an error (it
 * has no rank).  Infinite scores are fine: only their order matters.
 */
PG_FUNCTION_INFO_V1(mldb_rocauc_trans);
Datum
mldb_rocauc_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	RocAucState *state;
	double		score;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_rocauc_trans called in non-aggregate context");

	state = PG_ARGISNULL(0) ? NULL : (RocAucState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	score = PG_GETARG_FLOAT8(2);
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("roc_auc is not defined for NaN scores"),
				 errhint("Filter such rows out with a WHERE clause, or skip them with NULLIF(score, 'NaN'); rows where the label or the score is NULL are skipped.")));

	if (state == NULL)
	{
		state = (RocAucState *) MemoryContextAllocZero(aggcontext,
													   sizeof(RocAucState));
		state->entries = (RocAucEntry *)
			MemoryContextAlloc(aggcontext,
							   ROCAUC_INITIAL_CAPACITY * sizeof(RocAucEntry));
		state->capacity = ROCAUC_INITIAL_CAPACITY;
		state->compact = true;
	}

	rocauc_add(state, score, PG_GETARG_BOOL(1));

	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(mldb_rocauc_combine);
Datum
mldb_rocauc_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	RocAucState *state1;
	RocAucState *state2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_rocauc_combine called in non-aggregate context");

	state1 = PG_ARGISNULL(0) ? NULL : (RocAucState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (RocAucState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		/* merging into an empty state copies state2 into aggcontext */
		state1 = (RocAucState *) MemoryContextAllocZero(aggcontext,
														sizeof(RocAucState));
		state1->compact = true;
	}

	rocauc_merge(state1, state2, aggcontext);

	PG_RETURN_POINTER(state1);
}

/*
 * Format: version, the number of entries (int64), then per entry score
 * (float8), npos, nneg (int64), in increasing order of score.  Compacts the
 * state first, in place (sorting and merging equal scores changes no
 * metric, so the state stays valid for further use).
 */
PG_FUNCTION_INFO_V1(mldb_rocauc_serialize);
Datum
mldb_rocauc_serialize(PG_FUNCTION_ARGS)
{
	RocAucState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_rocauc_serialize called in non-aggregate context");

	state = (RocAucState *) PG_GETARG_POINTER(0);
	rocauc_compact(state);

	if (state->nentries > ROCAUC_MAX_SERIAL_ENTRIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("roc_auc state is too large to pass between parallel workers"),
				 errdetail("A partial state holds " INT64_FORMAT " distinct scores; at most " INT64_FORMAT " fit in 1 GB.",
						   state->nentries, ROCAUC_MAX_SERIAL_ENTRIES),
				 errhint("Round the scores (e.g. round(score::numeric, 6)::float8) to reduce the number of distinct values, or run the query without parallel workers (SET max_parallel_workers_per_gather = 0).")));

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, ROCAUC_HEADER_SIZE + state->nentries * ROCAUC_ENTRY_SIZE);
	pq_sendint32(&buf, ROCAUC_FORMAT_VERSION);
	pq_sendint64(&buf, state->nentries);
	for (int64 i = 0; i < state->nentries; i++)
	{
		pq_sendfloat8(&buf, state->entries[i].score);
		pq_sendint64(&buf, state->entries[i].npos);
		pq_sendint64(&buf, state->entries[i].nneg);
	}

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(mldb_rocauc_deserialize);
Datum
mldb_rocauc_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate;
	RocAucState *state;
	StringInfoData buf;
	int64		n;
	int64		npos = 0;
	int64		nneg = 0;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_rocauc_deserialize called in non-aggregate context");

	sstate = PG_GETARG_BYTEA_PP(0);
	if (VARSIZE_ANY_EXHDR(sstate) < ROCAUC_HEADER_SIZE)
		invalid_state("roc_auc", "The serialized state is too short.");

	/* read in place: the state can be large, so do not copy the bytes */
	buf.data = VARDATA_ANY(sstate);
	buf.len = VARSIZE_ANY_EXHDR(sstate);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	if (pq_getmsgint(&buf, 4) != ROCAUC_FORMAT_VERSION)
		invalid_state("roc_auc", "The state has an unknown format version.");
	n = pq_getmsgint64(&buf);
	if (n < 0 || n > ROCAUC_MAX_SERIAL_ENTRIES ||
		n * ROCAUC_ENTRY_SIZE != buf.len - buf.cursor)
		invalid_state("roc_auc", "The number of entries does not match the length.");

	state = (RocAucState *) palloc(sizeof(RocAucState));
	state->nentries = n;
	state->capacity = Max(n, 1);
	state->compact = true;
	state->entries = (RocAucEntry *) palloc_extended(state->capacity * sizeof(RocAucEntry),
													 MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		RocAucEntry *e = &state->entries[i];

		CHECK_FOR_INTERRUPTS();
		e->score = pq_getmsgfloat8(&buf);
		e->npos = pq_getmsgint64(&buf);
		e->nneg = pq_getmsgint64(&buf);
		if (isnan(e->score) || (i > 0 && !(e->score > state->entries[i - 1].score)) ||
			e->npos < 0 || e->nneg < 0 || (e->npos == 0 && e->nneg == 0) ||
			pg_add_s64_overflow(npos, e->npos, &npos) ||
			pg_add_s64_overflow(nneg, e->nneg, &nneg))
			invalid_state("roc_auc", "The scores are not increasing, or a count is invalid.");
	}
	pq_getmsgend(&buf);

	PG_RETURN_POINTER(state);
}

/*
 * mldb._rocauc_final(internal) RETURNS float8
 *
 * With the distinct scores s_1 < ... < s_k, P_j positives and N_j
 * negatives at s_j, and P, N the totals, the area under the ROC curve drawn
 * through the points of every threshold (joined by straight lines, as
 * sklearn's roc_auc_score integrates it with the trapezoid rule) is
 *   AUC = sum_j P_j (N_<j + N_j / 2) / (P N),   N_<j = N_1 + ... + N_(j-1),
 * the Mann-Whitney U statistic with ties counted 1/2 (Hanley & McNeil 1982;
 * Fawcett 2006, "An introduction to ROC analysis", alg. 2).  The numerator
 * is accumulated doubled, as 2 P_j N_<j + P_j N_j, in integers held exactly
 * by long double's 64-bit mantissa.
 */
PG_FUNCTION_INFO_V1(mldb_rocauc_final);
Datum
mldb_rocauc_final(PG_FUNCTION_ARGS)
{
	RocAucState *state;
	long double u2 = 0.0L;
	long double negbelow = 0.0L;
	int64		npos = 0;
	int64		nneg = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (RocAucState *) PG_GETARG_POINTER(0);
	if (state->nentries == 0)
		PG_RETURN_NULL();

	/* in place, without allocating: the state stays valid (window use) */
	rocauc_compact(state);

	Assert(state->compact);
	for (int64 i = 0; i < state->nentries; i++)
	{
		const RocAucEntry *e = &state->entries[i];

		CHECK_FOR_INTERRUPTS();
		u2 += (long double) e->npos * (2.0L * negbelow + (long double) e->nneg);
		negbelow += (long double) e->nneg;
		npos += e->npos;
		nneg += e->nneg;
	}

	if (npos == 0 || nneg == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("roc_auc is not defined when only one class is present"),
				 errdetail("All " INT64_FORMAT " rows with a non-NULL label and score have label %s.",
						   npos + nneg, npos > 0 ? "true" : "false"),
				 errhint("ROC AUC compares the scores of positive and negative rows, so it needs at least one row of each; check the WHERE clause or the grouping.")));

	PG_RETURN_FLOAT8((double) (u2 / (2.0L * (long double) npos * (long double) nneg)));
}

/*
 * mldb._logloss_trans(internal, label bool, p float8) RETURNS internal
 *
 * p is the predicted probability that the label is true.  The row's loss is
 * -log(p) for a true label and -log(1 - p) for a false one, with p clipped
 * to [LOGLOSS_EPS, 1 - LOGLOSS_EPS]; p outside [0, 1] (or NaN) is an error.
 */
PG_FUNCTION_INFO_V1(mldb_logloss_trans);
Datum
mldb_logloss_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	LogLossState *state;
	double		p;
	double		pc;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_logloss_trans called in non-aggregate context");

	state = PG_ARGISNULL(0) ? NULL : (LogLossState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	p = PG_GETARG_FLOAT8(2);
	if (!(p >= 0.0 && p <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("log_loss needs probabilities between 0 and 1"),
				 errdetail("Got p = %s.", float8out_internal(p)),
				 errhint("Pass the predicted probability that the label is true, e.g. from mldb.predict_proba; rows where the label or p is NULL are skipped.")));

	if (state == NULL)
		state = (LogLossState *) MemoryContextAllocZero(aggcontext,
														sizeof(LogLossState));

	pc = Min(Max(p, LOGLOSS_EPS), 1.0 - LOGLOSS_EPS);
	/* log1p(-p) keeps the digits that 1 - p would lose for small p */
	state->sum += PG_GETARG_BOOL(1) ? -log(pc) : -log1p(-pc);
	state->n++;

	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(mldb_logloss_combine);
Datum
mldb_logloss_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	LogLossState *state1;
	LogLossState *state2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_logloss_combine called in non-aggregate context");

	state1 = PG_ARGISNULL(0) ? NULL : (LogLossState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (LogLossState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		state1 = (LogLossState *) MemoryContextAlloc(aggcontext,
													 sizeof(LogLossState));
		*state1 = *state2;
		PG_RETURN_POINTER(state1);
	}

	state1->n += state2->n;
	state1->sum += state2->sum;

	PG_RETURN_POINTER(state1);
}

PG_FUNCTION_INFO_V1(mldb_logloss_serialize);
Datum
mldb_logloss_serialize(PG_FUNCTION_ARGS)
{
	LogLossState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_logloss_serialize called in non-aggregate context");

	state = (LogLossState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, LOGLOSS_FORMAT_VERSION);
	pq_sendint64(&buf, state->n);
	pq_sendfloat8(&buf, state->sum);

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(mldb_logloss_deserialize);
Datum
mldb_logloss_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate;
	LogLossState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_logloss_deserialize called in non-aggregate context");

	sstate = PG_GETARG_BYTEA_PP(0);
	if (VARSIZE_ANY_EXHDR(sstate) != 4 + 2 * 8)
		invalid_state("log_loss", "The serialized state has the wrong length.");

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(sstate), VARSIZE_ANY_EXHDR(sstate));
	if (pq_getmsgint(&buf, 4) != LOGLOSS_FORMAT_VERSION)
		invalid_state("log_loss", "The state has an unknown format version.");

	state = (LogLossState *) palloc(sizeof(LogLossState));
	state->n = pq_getmsgint64(&buf);
	state->sum = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	pfree(buf.data);

	if (state->n < 0 || !isfinite(state->sum) || state->sum < 0.0)
		invalid_state("log_loss", "The count or the sum of losses is negative or not finite.");

	PG_RETURN_POINTER(state);
}

/* mldb._logloss_final(internal) RETURNS float8: the mean loss, NULL for no rows */
PG_FUNCTION_INFO_V1(mldb_logloss_final);
Datum
mldb_logloss_final(PG_FUNCTION_ARGS)
{
	LogLossState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (LogLossState *) PG_GETARG_POINTER(0);
	if (state->n <= 0)
		PG_RETURN_NULL();

	PG_RETURN_FLOAT8(state->sum / (double) state->n);
}


/* ----------------------------------------------------------------
 * Multiclass report: state arithmetic (exported through metrics.h)
 * ----------------------------------------------------------------
 */

void
mldb_clsmetrics_init(ClsMetricsState *state, MemoryContext mcxt)
{
	memset(state, 0, sizeof(ClsMetricsState));
	state->mcxt = mcxt;
}

void
mldb_clsmetrics_add(ClsMetricsState *state, const char *actual, int actual_len,
					const char *predicted, int predicted_len)
{
	bool		inserted;
	int			ia;
	int			ip;

	ia = clsmetrics_class(state, actual, actual_len, &inserted);
	if (label_cmp(actual, actual_len, predicted, predicted_len) == 0)
		ip = ia;
	else
	{
		ip = clsmetrics_class(state, predicted, predicted_len, &inserted);
		/* inserting the predicted class shifted the actual one up */
		if (inserted && ip <= ia)
			ia++;
	}

	Assert(ia >= 0 && ia < state->nclasses && ip >= 0 && ip < state->nclasses);
	Assert(label_cmp(state->classes[ia].label, state->classes[ia].len,
					 actual, actual_len) == 0);

	state->classes[ia].support++;
	state->classes[ip].predicted++;
	if (ia == ip)
		state->classes[ia].tp++;
	state->n++;
}

void
mldb_clsmetrics_merge(ClsMetricsState *dst, const ClsMetricsState *src)
{
	for (int i = 0; i < src->nclasses; i++)
	{
		const ClsMetricsClass *s = &src->classes[i];
		bool		inserted;
		int			k;
		ClsMetricsClass *d;

		/* look up first: inserting may move dst->classes */
		k = clsmetrics_class(dst, s->label, s->len, &inserted);
		d = &dst->classes[k];
		d->support += s->support;
		d->predicted += s->predicted;
		d->tp += s->tp;
	}
	dst->n += src->n;
}

/*
 * The definitions of sklearn's classification_report (precision_recall_
 * fscore_support over labels = unique_labels(y_true, y_pred)): a class
 * that only occurs among the predictions has recall 0/0 = 0 and still
 * counts in the macro average; the weighted average weights by support.
 */
Jsonb *
mldb_clsmetrics_jsonb(const ClsMetricsState *state)
{
	JsonbParseState *pstate = NULL;
	JsonbValue	v;
	JsonbValue *res;
	int64		n = state ? state->n : 0;
	int			nclasses = state ? state->nclasses : 0;
	int64		correct = 0;
	double		macro[3] = {0.0, 0.0, 0.0};
	double		weighted[3] = {0.0, 0.0, 0.0};

	pushJsonbValue(&pstate, WJB_BEGIN_OBJECT, NULL);

	jsonb_push_int64(&pstate, "n", n);

	for (int i = 0; i < nclasses; i++)
		correct += state->classes[i].tp;
	jsonb_push_number(&pstate, "accuracy", n > 0,
					  n > 0 ? (double) correct / (double) n : 0.0);

	jsonb_push_key(&pstate, "classes", strlen("classes"));
	pushJsonbValue(&pstate, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < nclasses; i++)
	{
		v.type = jbvString;
		v.val.string.val = state->classes[i].label;
		v.val.string.len = state->classes[i].len;
		pushJsonbValue(&pstate, WJB_ELEM, &v);
	}
	pushJsonbValue(&pstate, WJB_END_ARRAY, NULL);

	jsonb_push_key(&pstate, "per_class", strlen("per_class"));
	pushJsonbValue(&pstate, WJB_BEGIN_OBJECT, NULL);
	for (int i = 0; i < nclasses; i++)
	{
		const ClsMetricsClass *c = &state->classes[i];
		double		values[3];

		clsmetrics_class_values(c, &values[0], &values[1], &values[2]);
		for (int k = 0; k < 3; k++)
		{
			macro[k] += values[k];
			weighted[k] += values[k] * (double) c->support;
		}

		jsonb_push_key(&pstate, c->label, c->len);
		pushJsonbValue(&pstate, WJB_BEGIN_OBJECT, NULL);
		jsonb_push_number(&pstate, "precision", true, values[0]);
		jsonb_push_number(&pstate, "recall", true, values[1]);
		jsonb_push_number(&pstate, "f1", true, values[2]);
		jsonb_push_int64(&pstate, "support", c->support);
		pushJsonbValue(&pstate, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(&pstate, WJB_END_OBJECT, NULL);

	jsonb_push_key(&pstate, "macro", strlen("macro"));
	pushJsonbValue(&pstate, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_number(&pstate, "precision", nclasses > 0,
					  nclasses > 0 ? macro[0] / nclasses : 0.0);
	jsonb_push_number(&pstate, "recall", nclasses > 0,
					  nclasses > 0 ? macro[1] / nclasses : 0.0);
	jsonb_push_number(&pstate, "f1", nclasses > 0,
					  nclasses > 0 ? macro[2] / nclasses : 0.0);
	pushJsonbValue(&pstate, WJB_END_OBJECT, NULL);

	/* sum of supports = n */
	jsonb_push_key(&pstate, "weighted", strlen("weighted"));
	pushJsonbValue(&pstate, WJB_BEGIN_OBJECT, NULL);
	jsonb_push_number(&pstate, "precision", n > 0,
					  n > 0 ? weighted[0] / (double) n : 0.0);
	jsonb_push_number(&pstate, "recall", n > 0,
					  n > 0 ? weighted[1] / (double) n : 0.0);
	jsonb_push_number(&pstate, "f1", n > 0,
					  n > 0 ? weighted[2] / (double) n : 0.0);
	pushJsonbValue(&pstate, WJB_END_OBJECT, NULL);

	res = pushJsonbValue(&pstate, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}


/* ----------------------------------------------------------------
 * Multiclass report: aggregate support functions (SQL-callable)
 * ----------------------------------------------------------------
 */

/*
 * mldb._clsmetrics_trans(internal, actual text, predicted text)
 *	 RETURNS internal
 *
 * Labels are compared as exact strings (byte for byte), whatever the
 * collation: class labels are identifiers, not words.
 */
PG_FUNCTION_INFO_V1(mldb_clsmetrics_trans);
Datum
mldb_clsmetrics_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ClsMetricsState *state;
	text	   *actual;
	text	   *predicted;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_clsmetrics_trans called in non-aggregate context");

	state = PG_ARGISNULL(0) ? NULL : (ClsMetricsState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	if (state == NULL)
	{
		state = (ClsMetricsState *) MemoryContextAlloc(aggcontext,
													   sizeof(ClsMetricsState));
		mldb_clsmetrics_init(state, aggcontext);
	}

	actual = PG_GETARG_TEXT_PP(1);
	predicted = PG_GETARG_TEXT_PP(2);
	mldb_clsmetrics_add(state,
						VARDATA_ANY(actual), VARSIZE_ANY_EXHDR(actual),
						VARDATA_ANY(predicted), VARSIZE_ANY_EXHDR(predicted));

	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(mldb_clsmetrics_combine);
Datum
mldb_clsmetrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ClsMetricsState *state1;
	ClsMetricsState *state2;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "mldb_clsmetrics_combine called in non-aggregate context");

	state1 = PG_ARGISNULL(0) ? NULL : (ClsMetricsState *) PG_GETARG_POINTER(0);
	state2 = PG_ARGISNULL(1) ? NULL : (ClsMetricsState *) PG_GETARG_POINTER(1);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
	{
		/* merging into an empty state copies state2 into aggcontext */
		state1 = (ClsMetricsState *) MemoryContextAlloc(aggcontext,
														sizeof(ClsMetricsState));
		mldb_clsmetrics_init(state1, aggcontext);
	}

	mldb_clsmetrics_merge(state1, state2);

	PG_RETURN_POINTER(state1);
}

/*
 * Format: version, n (int64), the number of classes (int32), then per class
 * in label order: the label's length (int32) and bytes, support, predicted
 * and tp (int64).
 */
PG_FUNCTION_INFO_V1(mldb_clsmetrics_serialize);
Datum
mldb_clsmetrics_serialize(PG_FUNCTION_ARGS)
{
	ClsMetricsState *state;
	StringInfoData buf;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_clsmetrics_serialize called in non-aggregate context");

	state = (ClsMetricsState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, CLSMETRICS_FORMAT_VERSION);
	pq_sendint64(&buf, state->n);
	pq_sendint32(&buf, state->nclasses);
	for (int i = 0; i < state->nclasses; i++)
	{
		const ClsMetricsClass *c = &state->classes[i];

		pq_sendint32(&buf, c->len);
		pq_sendbytes(&buf, c->label, c->len);
		pq_sendint64(&buf, c->support);
		pq_sendint64(&buf, c->predicted);
		pq_sendint64(&buf, c->tp);
	}

	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Checks, besides lengths: labels strictly increasing without NUL bytes, at
 * most MLDB_CLSMETRICS_MAX_CLASSES of them, 0 <= tp <= support and
 * predicted, and supports and predictions each summing to n.
 */
PG_FUNCTION_INFO_V1(mldb_clsmetrics_deserialize);
Datum
mldb_clsmetrics_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate;
	ClsMetricsState *state;
	StringInfoData buf;
	int			nclasses;
	int64		sum_support = 0;
	int64		sum_predicted = 0;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_clsmetrics_deserialize called in non-aggregate context");

	sstate = PG_GETARG_BYTEA_PP(0);
	if (VARSIZE_ANY_EXHDR(sstate) < 4 + 8 + 4)
		invalid_state("classification", "The serialized state is too short.");

	buf.data = VARDATA_ANY(sstate);
	buf.len = VARSIZE_ANY_EXHDR(sstate);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	if (pq_getmsgint(&buf, 4) != CLSMETRICS_FORMAT_VERSION)
		invalid_state("classification", "The state has an unknown format version.");

	state = (ClsMetricsState *) palloc(sizeof(ClsMetricsState));
	mldb_clsmetrics_init(state, CurrentMemoryContext);
	state->n = pq_getmsgint64(&buf);
	nclasses = pq_getmsgint(&buf, 4);
	if (state->n < 0 || nclasses < 0 || nclasses > MLDB_CLSMETRICS_MAX_CLASSES)
		invalid_state("classification", "The row or class count is out of range.");

	state->maxclasses = Max(nclasses, 1);
	state->classes = (ClsMetricsClass *) palloc(state->maxclasses * sizeof(ClsMetricsClass));
	for (int i = 0; i < nclasses; i++)
	{
		ClsMetricsClass *c = &state->classes[i];
		int			len = pq_getmsgint(&buf, 4);

		if (len < 0 || len > buf.len - buf.cursor)
			invalid_state("classification", "A label has the wrong length.");
		c->len = len;
		c->label = palloc(len + 1);
		pq_copymsgbytes(&buf, c->label, len);
		c->label[len] = '\0';
		c->support = pq_getmsgint64(&buf);
		c->predicted = pq_getmsgint64(&buf);
		c->tp = pq_getmsgint64(&buf);
		state->nclasses = i + 1;

		if (memchr(c->label, '\0', len) != NULL ||
			(i > 0 && label_cmp(state->classes[i - 1].label, state->classes[i - 1].len,
								c->label, c->len) >= 0))
			invalid_state("classification", "The labels are not in strictly increasing order.");
		if (c->tp < 0 || c->tp > c->support || c->tp > c->predicted ||
			pg_add_s64_overflow(sum_support, c->support, &sum_support) ||
			pg_add_s64_overflow(sum_predicted, c->predicted, &sum_predicted))
			invalid_state("classification", "A class count is negative or inconsistent.");
	}
	pq_getmsgend(&buf);

	if (sum_support != state->n || sum_predicted != state->n)
		invalid_state("classification", "The class counts do not add up to the number of rows.");

	PG_RETURN_POINTER(state);
}

/*
 * mldb._clsmetrics_jsonb_final(internal) RETURNS jsonb
 *
 * SQL NULL for empty input, like every other aggregate here; C callers that
 * want {"n": 0, ...} instead call mldb_clsmetrics_jsonb directly.
 */
PG_FUNCTION_INFO_V1(mldb_clsmetrics_jsonb_final);
Datum
mldb_clsmetrics_jsonb_final(PG_FUNCTION_ARGS)
{
	ClsMetricsState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (ClsMetricsState *) PG_GETARG_POINTER(0);
	if (state->n <= 0)
		PG_RETURN_NULL();

	PG_RETURN_JSONB_P(mldb_clsmetrics_jsonb(state));
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

/*
 * The label type of a polymorphic classification aggregate, with its
 * default equality operator (from the btree or hash opclass, as
 * lookup_type_cache finds it) and output function, cached in fn_extra.
 */
static LabelTypeInfo *
label_type_info(FunctionCallInfo fcinfo, int argno)
{
	LabelTypeInfo *info = (LabelTypeInfo *) fcinfo->flinfo->fn_extra;
	TypeCacheEntry *typentry;
	Oid			typid;
	Oid			typoutput;
	bool		typisvarlena;

	if (info != NULL)
		return info;

	typid = get_fn_expr_argtype(fcinfo->flinfo, argno);
	if (!OidIsValid(typid))
		elog(ERROR, "could not determine the data type of the labels");

	typentry = lookup_type_cache(typid, TYPECACHE_EQ_OPR_FINFO);
	if (!OidIsValid(typentry->eq_opr_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify an equality operator for type %s",
						format_type_be(typid)),
				 errhint("Classification metrics compare labels with the type's default equality operator; cast the labels to a type that has one, such as text.")));

	info = (LabelTypeInfo *) MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
													sizeof(LabelTypeInfo));
	info->typid = typid;
	get_typlenbyval(typid, &info->typlen, &info->typbyval);
	fmgr_info_cxt(typentry->eq_opr_finfo.fn_oid, &info->eq,
				  fcinfo->flinfo->fn_mcxt);
	getTypeOutputInfo(typid, &typoutput, &typisvarlena);
	fmgr_info_cxt(typoutput, &info->out, fcinfo->flinfo->fn_mcxt);

	fcinfo->flinfo->fn_extra = info;
	return info;
}

static bool
labels_equal(FunctionCallInfo fcinfo, LabelTypeInfo *info, Datum a, Datum b)
{
	return DatumGetBool(FunctionCall2Coll(&info->eq, PG_GET_COLLATION(), a, b));
}

/*
 * Records the positive class on a state's first row and checks it on the
 * others.  A row whose positive value has the same bytes as the recorded
 * one (always, for a constant) costs one datumIsEqual; any other is
 * compared by its text form, the same test combine applies between
 * processes.
 */
static void
binary_set_positive(BinaryState *state, LabelTypeInfo *info, Datum positive,
					MemoryContext aggcontext)
{
	char	   *text;

	if (info->typlen == -1)
		positive = PointerGetDatum(PG_DETOAST_DATUM_PACKED(positive));

	if (state->has_datum &&
		datumIsEqual(positive, state->pos_datum, info->typbyval, info->typlen))
		return;

	text = OutputFunctionCall(&info->out, positive);
	if (state->positive == NULL)
		state->positive = MemoryContextStrdup(aggcontext, text);
	else
		binary_check_same_positive(state->positive, text);
	pfree(text);

	if (!state->has_datum)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		state->pos_datum = datumCopy(positive, info->typbyval, info->typlen);
		state->has_datum = true;
		MemoryContextSwitchTo(old);
	}
}

static void
binary_check_same_positive(const char *a, const char *b)
{
	if (strcmp(a, b) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("positive class must be the same in every row"),
				 errdetail("Got \"%s\" and \"%s\".", a, b),
				 errhint("Pass the positive class as a constant. To score several classes, call the aggregate once per class, or use mldb.evaluate for a per-class report.")));
}

static double
binary_final(FunctionCallInfo fcinfo, BinaryMetric metric, bool *isnull)
{
	BinaryState *state;
	double		num;
	double		den;

	*isnull = true;
	if (PG_ARGISNULL(0))
		return 0.0;
	state = (BinaryState *) PG_GETARG_POINTER(0);
	if (state->tp + state->fp + state->fn + state->tn <= 0)
		return 0.0;

	if (state->tp + state->fp + state->fn == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown positive class \"%s\"",
						state->positive ? state->positive : ""),
				 errdetail("None of the " INT64_FORMAT " counted rows has it as the actual or the predicted value.",
						   state->tn),
				 errhint("Pass a label that occurs in the data, spelled exactly as it is stored (for text, case and spaces matter), e.g. mldb.precision(actual, predicted, 'spam').")));

	switch (metric)
	{
		case BINMETRIC_PRECISION:
			num = (double) state->tp;
			den = (double) state->tp + (double) state->fp;
			break;
		case BINMETRIC_RECALL:
			num = (double) state->tp;
			den = (double) state->tp + (double) state->fn;
			break;
		case BINMETRIC_F1:
			num = 2.0 * (double) state->tp;
			den = 2.0 * (double) state->tp + (double) state->fp + (double) state->fn;
			break;
		default:
			elog(ERROR, "unrecognized binary metric: %d", (int) metric);
			return 0.0;			/* keep compiler quiet */
	}

	*isnull = false;
	return den > 0.0 ? num / den : 0.0;
}

/*
 * Appends one row.  A score equal to the last entry's only bumps its count,
 * so runs of equal scores (sorted input, few distinct scores) cost nothing;
 * a larger one keeps the array compact.
 */
static void
rocauc_add(RocAucState *state, double score, bool label)
{
	RocAucEntry *e;

	if (state->nentries > 0)
	{
		e = &state->entries[state->nentries - 1];
		if (score == e->score)
		{
			if (label)
				e->npos++;
			else
				e->nneg++;
			return;
		}
	}

	if (state->nentries == state->capacity)
	{
		rocauc_compact(state);
		if (state->nentries > state->capacity / 2)
			rocauc_resize(state, state->capacity * 2);
	}

	/* compare with the last entry as it is now, after any compaction */
	if (state->nentries > 0 && !(score > state->entries[state->nentries - 1].score))
		state->compact = false;

	e = &state->entries[state->nentries++];
	e->score = score;
	e->npos = label ? 1 : 0;
	e->nneg = label ? 0 : 1;
}

/* Sorts the entries by score and merges equal scores, in place. */
static void
rocauc_compact(RocAucState *state)
{
	int64		out = 0;

	if (state->compact)
		return;

	qsort(state->entries, state->nentries, sizeof(RocAucEntry), rocauc_entry_cmp);

	for (int64 i = 0; i < state->nentries; i++)
	{
		const RocAucEntry *e = &state->entries[i];

		CHECK_FOR_INTERRUPTS();
		if (out > 0 && state->entries[out - 1].score == e->score)
		{
			state->entries[out - 1].npos += e->npos;
			state->entries[out - 1].nneg += e->nneg;
		}
		else
			state->entries[out++] = *e;
	}
	state->nentries = out;
	state->compact = true;
}

static void
rocauc_resize(RocAucState *state, int64 capacity)
{
	if (capacity > (int64) (MaxAllocHugeSize / sizeof(RocAucEntry)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct scores for roc_auc")));

	state->entries = (RocAucEntry *) repalloc_huge(state->entries,
												   capacity * sizeof(RocAucEntry));
	state->capacity = capacity;
}

static int
rocauc_entry_cmp(const void *a, const void *b)
{
	double		sa = ((const RocAucEntry *) a)->score;
	double		sb = ((const RocAucEntry *) b)->score;

	return (sa > sb) - (sa < sb);
}

/*
 * dst := dst + src, as one compact array in mcxt.  src is compacted in
 * place, which leaves it equivalent.
 */
static void
rocauc_merge(RocAucState *dst, RocAucState *src, MemoryContext mcxt)
{
	RocAucEntry *merged;
	int64		capacity;
	int64		i = 0;
	int64		j = 0;
	int64		out = 0;

	rocauc_compact(dst);
	rocauc_compact(src);

	capacity = Max(dst->nentries + src->nentries, ROCAUC_INITIAL_CAPACITY);
	if (capacity > (int64) (MaxAllocHugeSize / sizeof(RocAucEntry)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct scores for roc_auc")));
	merged = (RocAucEntry *) MemoryContextAllocHuge(mcxt,
													capacity * sizeof(RocAucEntry));

	while (i < dst->nentries || j < src->nentries)
	{
		CHECK_FOR_INTERRUPTS();
		if (j >= src->nentries ||
			(i < dst->nentries && dst->entries[i].score < src->entries[j].score))
			merged[out++] = dst->entries[i++];
		else if (i >= dst->nentries || src->entries[j].score < dst->entries[i].score)
			merged[out++] = src->entries[j++];
		else
		{
			merged[out] = dst->entries[i++];
			merged[out].npos += src->entries[j].npos;
			merged[out].nneg += src->entries[j++].nneg;
			out++;
		}
	}

	if (dst->entries != NULL)
		pfree(dst->entries);
	dst->entries = merged;
	dst->nentries = out;
	dst->capacity = capacity;
	dst->compact = true;
}

/* bytewise, a proper prefix first: code point order for UTF-8 */
static int
label_cmp(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/*
 * The index of the class with this label, inserted (with zero counts, in
 * label order) if new.  Binary search: at most ~10 comparisons for the
 * 1000 classes allowed.
 */
static int
clsmetrics_class(ClsMetricsState *state, const char *label, int len,
				 bool *inserted)
{
	int			lo = 0;
	int			hi = state->nclasses;
	ClsMetricsClass *c;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			cmp = label_cmp(state->classes[mid].label,
									state->classes[mid].len, label, len);

		if (cmp == 0)
		{
			*inserted = false;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}

	if (state->nclasses >= MLDB_CLSMETRICS_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many classes for classification metrics"),
				 errdetail("There are more than %d distinct labels among the actual and predicted values.",
						   MLDB_CLSMETRICS_MAX_CLASSES),
				 errhint("A label column with this many values is probably continuous or an identifier: use the regression metrics, or group rare labels into one class before evaluating.")));

	if (state->nclasses == state->maxclasses)
	{
		int			newmax = Min(Max(state->maxclasses * 2, 8),
								 MLDB_CLSMETRICS_MAX_CLASSES);

		if (state->classes == NULL)
			state->classes = (ClsMetricsClass *)
				MemoryContextAlloc(state->mcxt, newmax * sizeof(ClsMetricsClass));
		else
			state->classes = (ClsMetricsClass *)
				repalloc(state->classes, newmax * sizeof(ClsMetricsClass));
		state->maxclasses = newmax;
	}

	memmove(&state->classes[lo + 1], &state->classes[lo],
			(state->nclasses - lo) * sizeof(ClsMetricsClass));
	c = &state->classes[lo];
	c->label = MemoryContextAlloc(state->mcxt, len + 1);
	memcpy(c->label, label, len);
	c->label[len] = '\0';
	c->len = len;
	c->support = 0;
	c->predicted = 0;
	c->tp = 0;
	state->nclasses++;

	*inserted = true;
	return lo;
}

/*
 * precision = tp / predicted, recall = tp / support,
 * f1 = 2 tp / (support + predicted), each 0.0 on a zero denominator.
 */
static void
clsmetrics_class_values(const ClsMetricsClass *c, double *precision,
						double *recall, double *f1)
{
	*precision = c->predicted > 0 ? (double) c->tp / (double) c->predicted : 0.0;
	*recall = c->support > 0 ? (double) c->tp / (double) c->support : 0.0;
	*f1 = (c->support + c->predicted) > 0 ?
		2.0 * (double) c->tp / ((double) c->support + (double) c->predicted) : 0.0;
}

static void
jsonb_push_key(JsonbParseState **pstate, const char *key, int len)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = len;
	pushJsonbValue(pstate, WJB_KEY, &k);
}

static void
jsonb_push_int64(JsonbParseState **pstate, const char *key, int64 value)
{
	JsonbValue	v;

	jsonb_push_key(pstate, key, strlen(key));
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	pushJsonbValue(pstate, WJB_VALUE, &v);
}

static void
invalid_state(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid %s metrics state", what),
			 errdetail_internal("%s", detail)));
}
