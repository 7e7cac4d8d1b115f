/*-------------------------------------------------------------------------
 * drift.c
 *	  mldb.drift(model, relation): how far the rows of a relation have moved
 *	  from the data a model version was trained on.  One parallel sample
 *	  pass (PASS_SAMPLE, sample.c) over the model's feature columns gives a
 *	  deterministic sample of the new rows; each feature, and the model's
 *	  own predictions on the sampled rows, is compared with the training
 *	  distribution the version stored in feature_stats->'sample' (stats.c):
 *
 *	  - numeric: population stability index over the 10 training decile
 *	    bins, and the Kolmogorov-Smirnov distance between the training CDF
 *	    (piecewise linear through the 101 stored percentiles) and the
 *	    empirical CDF of the new values, with its asymptotic p-value;
 *	  - categorical: PSI over the training levels plus an "unseen" bucket,
 *	    and Pearson's chi-square goodness of fit of the new counts against
 *	    the training frequencies.
 *
 *	  A row is flagged as drifted when its PSI exceeds 0.25, the usual
 *	  "significant shift" threshold (docs/monitoring.md explains why the
 *	  p-values are reported but do not decide).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "catalog.h"
#include "funcapi.h"
#include "linalg.h"
#include "miscadmin.h"
#include "model.h"
#include "pass.h"
#include "predict.h"
#include "sample.h"
#include "stats.h"
#include "train.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(mldb_drift);

/* rows of the new relation compared (a bottom-k sample when there are more) */
#define DRIFT_SAMPLE 5000

/*
 * PSI floor: a bin empty on one side would make ln(q/p) infinite; both
 * fractions are raised to at least this (not renormalised), so an emptied
 * bin that held 10% contributes (0.1 - 1e-4) * ln(0.1 / 1e-4) = 0.69.
 */
#define DRIFT_FLOOR 1e-4

/* inner numeric PSI bins holding less of the training rows are merged */
#define DRIFT_MIN_BIN 0.05

/* PSI above this is a significant shift (0.1 to 0.25: moderate) */
#define DRIFT_PSI_SHIFT 0.25

#define DRIFT_NCOLS 7

/* One output row's statistics; NaN prints as NULL. */
typedef struct DriftRow
{
	const char *kind;
	double		psi;
	double		ks;
	double		chi2;
	double		p_value;
} DriftRow;

static JsonbContainer *stats_object(JsonbContainer *c, const char *key);
static char **stats_keys(JsonbContainer *c, int *n);
static double stats_number(JsonbContainer *c, const char *key);
static void numeric_drift(JsonbContainer *stats, double *v, int n, DriftRow *out);
static void categorical_drift(JsonbContainer *stats, char **levels, int nlevels,
							  const double *counts, double unseen, DriftRow *out);
static bool model_row(const FeatureSpec *dspec, const FeatureSpec *mspec,
					  const double *x, double *out);
static void emit_row(ReturnSetInfo *rsinfo, const char *feature, const DriftRow *r);

/*
 * mldb.drift(model text, relation text)
 *   RETURNS TABLE (feature, kind, psi, ks, chi2, p_value, drifted)
 */
Datum
mldb_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *ref;
	char	   *relation;
	char	   *name;
	int32		pinned;
	int32		version;
	MldbModel  *model;
	const FeatureSpec *mspec;
	FeatureSpec *dspec;
	Jsonb	   *stats;
	JsonbContainer *sample_stats;
	JsonbContainer *feature_stats;
	JsonbContainer *prediction_stats;
	char	   *from_sql;
	TupleDesc	desc;
	StringInfoData args;
	PassCtx		ctx = {0};
	PassResult	res;
	RowSample  *s;
	double	   *v;
	double	   *row;
	double		sample_rows;
	MemoryContext scratch;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model and relation must not be NULL"),
				 errhint("SELECT * FROM mldb.drift('model', 'relation with new rows').")));
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	relation = text_to_cstring(PG_GETARG_TEXT_PP(1));
	mldb_parse_model_ref(ref, &name, &pinned);
	(void) catalog_require_model(name);
	model = mldb_model_lookup(ref, &version);
	mspec = model->spec;

	/* the training side: what the version stored at training */
	stats = catalog_version_jsonb(name, version, "feature_stats");
	sample_stats = stats != NULL ? stats_object(&stats->root, "sample") : NULL;
	feature_stats = sample_stats != NULL ? stats_object(sample_stats, "features") : NULL;
	prediction_stats = sample_stats != NULL ? stats_object(sample_stats, "prediction") : NULL;
	if (feature_stats == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("version %d of model \"%s\" has no training distribution to compare with",
						version, name),
				 errdetail("Its feature_stats has no \"sample\": the version was trained before mldb kept one."),
				 errhint("Train a new version with SELECT mldb.retrain('%s'), then compare again.", name)));

	/* the new side: the model's feature columns, of compatible types */
	from_sql = mldb_resolve_relation(relation);
	desc = mldb_relation_columns(from_sql);
	initStringInfo(&args);
	for (int i = 0; i < mspec->ncols; i++)
	{
		const FeatureColumn *c = &mspec->cols[i];
		Oid			type = TupleDescAttr(desc, mldb_find_column(desc, c->name, "feature", relation))->atttypid;

		if (c->kind == FEATURE_NUMERIC ? featurespec_numeric_conv(type) == NULL
			: !featurespec_is_categorical_type(type))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature column \"%s\" of \"%s\" has type %s, but the model's feature is %s",
							c->name, relation, format_type_be(type),
							c->kind == FEATURE_NUMERIC ? "numeric" : "categorical"),
					 errhint("Cast the column in a query passed as relation, as at training.")));
		appendStringInfo(&args, "%s%s", i ? ", " : "", quote_identifier(c->name));
	}
	Assert(mspec->ncols > 0);

	/*
	 * The pass's layout: numeric NULLs become indicators (present values
	 * are told from missing ones, no row is dropped) and every level gets
	 * its own slot (no dropped first level), so that a value outside the
	 * training vocabulary is all zeros and nothing else is.
	 */
	dspec = featurespec_copy(mspec);
	dspec->target = NULL;
	dspec->nclasses = 0;
	for (int i = 0; i < dspec->ncols; i++)
	{
		if (dspec->cols[i].kind == FEATURE_NUMERIC)
			dspec->cols[i].missing = MISSING_INDICATOR;
		else
			dspec->cols[i].drop_first = 0;
	}
	featurespec_layout(dspec);

	ctx.kind = PASS_SAMPLE;
	ctx.spec = dspec;
	ctx.nfolds = 1;
	sample_pass_extra(&ctx, DRIFT_SAMPLE);
	res = pass_run(&ctx, from_sql, args.data);
	if (res.acc == NULL || ((SampleAcc *) res.acc)->sample->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("relation \"%s\" has no rows to compare with model \"%s\"", relation, name),
				 errhint("Pass a table, view or query that returns the rows to monitor.")));
	s = ((SampleAcc *) res.acc)->sample;
	/* rows in key order: the same sequence whatever the scan's parallelism */
	rowsample_sort(s);

	/*
	 * Rows in the training sample: the prediction's count, or (PCA) the
	 * largest count of any feature (categorical features count every row).
	 */
	sample_rows = prediction_stats != NULL ? stats_number(prediction_stats, "n") : NAN;
	if (isnan(sample_rows))
	{
		JsonbIterator *it = JsonbIteratorInit(feature_stats);
		JsonbValue	jv;
		JsonbIteratorToken tok;

		sample_rows = 0;
		while ((tok = JsonbIteratorNext(&it, &jv, true)) != WJB_DONE)
			if (tok == WJB_VALUE && jv.type == jbvBinary &&
				JsonContainerIsObject(jv.val.binary.data))
				sample_rows = Max(sample_rows, stats_number(jv.val.binary.data, "n"));
	}

	InitMaterializedSRF(fcinfo, 0);
	v = palloc(sizeof(double) * s->n);

	for (int i = 0; i < dspec->ncols; i++)
	{
		const FeatureColumn *c = &dspec->cols[i];
		JsonbContainer *fs = stats_object(feature_stats, c->name);
		DriftRow	r = {NULL, NAN, NAN, NAN, NAN};

		CHECK_FOR_INTERRUPTS();
		if (fs == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("feature_stats of version %d of model \"%s\" has no entry for feature \"%s\"",
							version, name, c->name),
					 errhint("Train a new version with SELECT mldb.retrain('%s').", name)));
		if (c->kind == FEATURE_NUMERIC)
		{
			const FeatureColumn *mc = &mspec->cols[i];
			int			n = 0;

			/*
			 * Compare what the training sample holds.  When its passes
			 * imputed missing values (every sampled row has a value), the
			 * imputed ones are in the training percentiles: impute the new
			 * rows' NULLs alike, so that identical data compares equal and
			 * a change in the share of NULLs shows.  When they kept them
			 * apart (fewer values than rows: the linear family's indicator
			 * passes) or dropped their rows, compare present values only.
			 */
			bool		impute = mc->missing == MISSING_IMPUTE &&
				stats_number(fs, "n") >= sample_rows;

			for (int k = 0; k < s->n; k++)
			{
				const double *x = s->x + (Size) k * s->dim;

				if (x[c->indicator] == 0)
					v[n++] = x[c->offset];
				else if (impute)
					v[n++] = mc->impute;
			}
			numeric_drift(fs, v, n, &r);
		}
		else
		{
			double	   *counts = palloc0(sizeof(double) * Max(c->nlevels, 1));
			double		unseen = 0;

			for (int k = 0; k < s->n; k++)
			{
				const double *x = s->x + (Size) k * s->dim + c->offset;
				int			l = 0;

				while (l < c->nlevels && x[l] == 0)
					l++;
				if (l < c->nlevels)
					counts[l] += 1;
				else
					unseen += 1;
			}
			categorical_drift(fs, c->levels, c->nlevels, counts, unseen, &r);
			pfree(counts);
		}
		emit_row(rsinfo, c->name, &r);
	}

	/*
	 * Prediction drift: the model's output on the sampled rows against its
	 * output on the sampled training rows.  PCA predicts nothing: no row.
	 */
	if (model->algo->task == MLDB_TASK_DECOMPOSITION || prediction_stats == NULL ||
		JsonContainerSize(prediction_stats) == 0)
		return (Datum) 0;

	row = palloc0(sizeof(double) * Max(mspec->dim, 1));
	scratch = AllocSetContextCreate(CurrentMemoryContext, "mldb drift predictions",
									ALLOCSET_SMALL_SIZES);
	{
		DriftRow	r = {NULL, NAN, NAN, NAN, NAN};
		int			n = 0;
		/* kmeans: cluster ids as categories (older versions kept percentiles) */
		JsonbContainer *freq = model->algo->task == MLDB_TASK_CLUSTERING ?
			stats_object(prediction_stats, "frequencies") : NULL;
		int			nclusters = 0;
		char	  **clusters = freq != NULL ? stats_keys(freq, &nclusters) : NULL;
		double	   *counts = palloc0(sizeof(double) * Max(Max(mspec->nclasses, nclusters), 1));
		double		unseen = 0;

		for (int k = 0; k < s->n; k++)
		{
			MemoryContext old;
			double		pred;

			CHECK_FOR_INTERRUPTS();
			/* a missing value under impute "drop": predict would give NULL */
			if (!model_row(dspec, mspec, s->x + (Size) k * s->dim, row))
				continue;
			old = MemoryContextSwitchTo(scratch);
			pred = model->algo->predict(model, row);
			MemoryContextSwitchTo(old);
			MemoryContextReset(scratch);
			if (mspec->nclasses > 0)
			{
				int			cls = (int) pred;

				if (cls < 0 || cls >= mspec->nclasses)
					elog(ERROR, "predicted class %d out of range", cls);
				counts[cls] += 1;
			}
			else if (freq != NULL)
			{
				char	   *id = psprintf("%d", (int) pred);
				int			c = 0;

				while (c < nclusters && strcmp(clusters[c], id) != 0)
					c++;
				if (c < nclusters)
					counts[c] += 1;
				else
					unseen += 1;	/* a cluster no training row was in */
				pfree(id);
			}
			else if (isfinite(pred))
				v[n++] = pred;
		}
		if (mspec->nclasses > 0)
			categorical_drift(prediction_stats, mspec->classes, mspec->nclasses, counts, 0, &r);
		else if (freq != NULL)
			categorical_drift(prediction_stats, clusters, nclusters, counts, unseen, &r);
		else
			numeric_drift(prediction_stats, v, n, &r);
		emit_row(rsinfo, "(prediction)", &r);
	}
	MemoryContextDelete(scratch);
	return (Datum) 0;
}

/* ---------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------
 */

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* One bin's PSI term, (q - p) ln(q / p), both fractions floored. */
static double
psi_term(double p, double q)
{
	p = Max(p, DRIFT_FLOOR);
	q = Max(q, DRIFT_FLOOR);
	return (q - p) * log(q / p);
}

/*
 * The training CDF: piecewise linear through (pct[k], k/100), 0 below
 * pct[0] and 1 from pct[100].  Right-continuous, so tied percentiles (a
 * value that holds several percent of the training rows) are a jump;
 * left gives the limit from below, F(x-).
 */
static double
train_cdf(const double *pct, double x, bool left)
{
	int			lo = 0;
	int			hi = MLDB_STATS_PERCENTILES - 2;

	if (left ? x <= pct[0] : x < pct[0])
		return 0.0;
	if (left ? x > pct[100] : x >= pct[100])
		return 1.0;
	/* k = the largest index in 0..99 with pct[k] <= x (left: < x) */
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (left ? pct[mid] < x : pct[mid] <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	/* so pct[lo] <= x < pct[lo + 1] (left: pct[lo] < x <= pct[lo + 1]) */
	return (lo + (x - pct[lo]) / (pct[lo + 1] - pct[lo])) / 100.0;
}

/* Number of v[0..n-1] (sorted) <= x, or < x with strict. */
static int
count_upto(const double *v, int n, double x, bool strict)
{
	int			lo = 0;
	int			hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (strict ? v[mid] < x : v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2), the
 * asymptotic Kolmogorov tail (Numerical Recipes, 3rd ed., section 6.14.12:
 * for small lambda the series in exp(-pi^2 (2j-1)^2 / (8 lambda^2))
 * converges fast where this one does not).  Both are truncated where the
 * next term is below 1e-16 of the first.
 */
static double
kolmogorov_q(double lambda)
{
	if (lambda < 0.04)
		return 1.0;
	if (lambda < 1.18)
	{
		double		y = exp(-M_PI * M_PI / (8.0 * lambda * lambda));
		double		k = sqrt(2.0 * M_PI) / lambda *
			(y + pow(y, 9) + pow(y, 25) + pow(y, 49));

		return Max(0.0, 1.0 - k);
	}
	else
	{
		double		x = exp(-2.0 * lambda * lambda);

		return 2.0 * (x - pow(x, 4) + pow(x, 9) - pow(x, 16));
	}
}

/*
 * Numeric feature (or prediction) against its stored percentiles; v[n]
 * are the new present values (sorted here).
 */
static void
numeric_drift(JsonbContainer *stats, double *v, int n, DriftRow *out)
{
	double		pct[MLDB_STATS_PERCENTILES];
	double		n_train = stats_number(stats, "n");
	JsonbValue	jv;
	JsonbContainer *arr;
	double		edges[9];
	int			nedges = 0;
	int			drop;
	double		prev_f = 0;
	int			prev_c = 0;
	double		d = 0;

	out->kind = "numeric";
	if (getKeyJsonValueFromContainer(stats, "percentiles", strlen("percentiles"), &jv) == NULL ||
		jv.type != jbvBinary || !JsonContainerIsArray(jv.val.binary.data) ||
		JsonContainerSize(jv.val.binary.data) != MLDB_STATS_PERCENTILES)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("feature_stats percentiles are not an array of %d numbers",
						MLDB_STATS_PERCENTILES)));
	arr = jv.val.binary.data;
	for (int k = 0; k < MLDB_STATS_PERCENTILES; k++)
	{
		JsonbValue *e = getIthJsonbValueFromContainer(arr, k);

		/* no present training value: written as nulls */
		if (e->type != jbvNumeric)
			return;
		pct[k] = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
													NumericGetDatum(e->val.numeric)));
		if (k > 0 && !(pct[k] >= pct[k - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("feature_stats percentiles are not ascending")));
	}
	if (n == 0 || !(n_train > 0))
		return;
	qsort(v, n, sizeof(double), cmp_double);

	/*
	 * PSI bins: cut at the training deciles pct[10], ..., pct[90], the
	 * first bin open below and the last open above; each bin's training
	 * fraction is read off the training CDF: 0.1 each for continuous data.
	 * Tied deciles (a feature with few distinct values) merge bins.  There
	 * the percentiles interpolated across the gap between two values make
	 * bins holding one or two percent of the training CDF and no actual
	 * value, which identical data would score as a shift: an inner bin
	 * below DRIFT_MIN_BIN is merged into its neighbour (the next one, but
	 * the last closed bin into the previous: the open ends stay, so values
	 * beyond the training range keep a bin of their own).
	 */
	for (int k = 10; k < 100; k += 10)
		if (nedges == 0 || pct[k] > edges[nedges - 1])
			edges[nedges++] = pct[k];
	for (int j = 1; j < nedges; j++)
	{
		if (train_cdf(pct, edges[j], false) - train_cdf(pct, edges[j - 1], false) >= DRIFT_MIN_BIN)
			continue;
		drop = j < nedges - 1 ? j : j - 1;
		memmove(edges + drop, edges + drop + 1, sizeof(double) * (nedges - drop - 1));
		nedges--;
		j = 0;					/* check again from the start */
	}
	out->psi = 0;
	for (int j = 0; j <= nedges; j++)
	{
		double		f = j < nedges ? train_cdf(pct, edges[j], false) : 1.0;
		int			c = j < nedges ? count_upto(v, n, edges[j], false) : n;

		out->psi += psi_term(f - prev_f, (double) (c - prev_c) / n);
		prev_f = f;
		prev_c = c;
	}

	/*
	 * KS: sup |F_train - F_new|.  Between consecutive points of the new
	 * sample and of the percentiles F_new is constant and F_train linear,
	 * so the supremum is reached at one of those points or as a limit from
	 * below at one: both are evaluated.
	 */
	for (int i = 0; i < n + MLDB_STATS_PERCENTILES; i++)
	{
		double		t = i < n ? v[i] : pct[i - n];

		if (i > 0 && i < n && v[i] == v[i - 1])
			continue;
		d = Max(d, fabs(train_cdf(pct, t, false) - (double) count_upto(v, n, t, false) / n));
		d = Max(d, fabs(train_cdf(pct, t, true) - (double) count_upto(v, n, t, true) / n));
	}
	out->ks = d;
	/* two-sample asymptotics with the effective size n_train n / (n_train + n) */
	out->p_value = kolmogorov_q(sqrt(n_train * n / (n_train + n)) * d);
}

/*
 * Categorical feature (or a classifier's predictions): counts[l] new rows
 * of levels[l], unseen rows of none of them, against the stored
 * frequencies.
 */
static void
categorical_drift(JsonbContainer *stats, char **levels, int nlevels,
				  const double *counts, double unseen, DriftRow *out)
{
	JsonbContainer *freq = stats_object(stats, "frequencies");
	double		n = unseen;
	double		psi = 0;
	double		chi2 = 0;
	int			buckets = 0;

	out->kind = "categorical";
	if (freq == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("feature_stats has no level frequencies")));
	for (int l = 0; l < nlevels; l++)
		n += counts[l];
	if (n == 0 || !(stats_number(stats, "n") > 0))
		return;

	/* the training levels, then the unseen bucket (training fraction 0) */
	for (int l = 0; l <= nlevels; l++)
	{
		double		p = l < nlevels ? stats_number(freq, levels[l]) : 0.0;
		double		o = l < nlevels ? counts[l] : unseen;
		double		e;

		if (isnan(p))
			p = 0;
		/* a bucket empty on both sides says nothing (and has no df) */
		if (p <= 0 && o == 0)
			continue;
		buckets++;
		psi += psi_term(p, o / n);
		/* expected counts floored as the PSI fractions: chi2 stays finite */
		e = n * Max(p, DRIFT_FLOOR);
		chi2 += (o - e) * (o - e) / e;
	}
	out->psi = psi;
	out->chi2 = chi2;
	if (buckets > 1)
		out->p_value = mldb_gamma_q((buckets - 1) / 2.0, chi2 / 2.0);
}

/* ---------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------
 */

/*
 * A sampled row (drift layout: numeric indicators, no dropped level) in
 * the model's layout, encoded as featurespec_encode would have encoded
 * the same values.  False when predict would return NULL (a missing value
 * under impute "drop").
 */
static bool
model_row(const FeatureSpec *dspec, const FeatureSpec *mspec, const double *x, double *out)
{
	for (int j = 0; j < mspec->dim; j++)
		out[j] = 0.0;
	for (int i = 0; i < mspec->ncols; i++)
	{
		const FeatureColumn *d = &dspec->cols[i];
		const FeatureColumn *m = &mspec->cols[i];

		Assert(d->kind == m->kind);
		if (m->kind == FEATURE_NUMERIC)
		{
			if (x[d->indicator] == 0)
				out[m->offset] = x[d->offset];
			else if (m->missing == MISSING_DROP)
				return false;
			else if (m->missing == MISSING_INDICATOR)
				out[m->indicator] = 1.0;
			else
				out[m->offset] = m->impute;
		}
		else
		{
			for (int l = m->drop_first; l < m->nlevels; l++)
				out[m->offset + l - m->drop_first] = x[d->offset + l];
		}
	}
	return true;
}

static void
emit_row(ReturnSetInfo *rsinfo, const char *feature, const DriftRow *r)
{
	Datum		values[DRIFT_NCOLS];
	bool		nulls[DRIFT_NCOLS] = {0};
	double		stat[4] = {r->psi, r->ks, r->chi2, r->p_value};

	values[0] = CStringGetTextDatum(feature);
	values[1] = CStringGetTextDatum(r->kind);
	for (int k = 0; k < 4; k++)
	{
		values[2 + k] = Float8GetDatum(stat[k]);
		nulls[2 + k] = isnan(stat[k]);
	}
	values[6] = BoolGetDatum(r->psi > DRIFT_PSI_SHIFT);
	nulls[6] = isnan(r->psi);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The object under key, or NULL when absent or not an object. */
static JsonbContainer *
stats_object(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL ||
		v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
		return NULL;
	return v.val.binary.data;
}

/* The keys of an object, in their stored order; *n gets how many. */
static char **
stats_keys(JsonbContainer *c, int *n)
{
	JsonbIterator *it = JsonbIteratorInit(c);
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	  **keys = palloc(sizeof(char *) * Max(JsonContainerSize(c), 1));

	*n = 0;
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_KEY)
			keys[(*n)++] = pnstrdup(v.val.string.val, v.val.string.len);
	return keys;
}

/* The number under key, or NaN when absent or not a number. */
static double
stats_number(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL ||
		v.type != jbvNumeric)
		return NAN;
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
}
