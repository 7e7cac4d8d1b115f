/*-------------------------------------------------------------------------
 * algo_nb.c
 *	  naive_bayes: Gaussian likelihoods for numeric features and
 *	  categorical (Laplace-smoothed) likelihoods for one-hot encoded ones,
 *	  priors from the class frequencies.  One pass (PASS_NB) accumulates,
 *	  per class, the count and the mean and centered sum of squares of
 *	  every encoded slot (Welford; merged as Chan et al.), which are the
 *	  sufficient statistics of both likelihoods: for a one-hot slot the
 *	  mean times the count is the level's count.
 *
 *	  Matches scikit-learn: GaussianNB (population variance plus
 *	  var_smoothing times the largest feature variance) and CategoricalNB
 *	  (P(level | class) = (count + alpha) / (n_class + alpha * levels)).
 *	  A categorical value never seen in training (all zeros) contributes
 *	  nothing, where scikit-learn would raise.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "model.h"
#include "pass.h"

typedef struct NbAcc
{
	int			K;				/* classes */
	int			d;				/* encoded slots */
	double	   *n;				/* K */
	double	   *mean;			/* K x d */
	double	   *m2;				/* K x d */
} NbAcc;

typedef struct NbParams
{
	int			K;
	int			d;
	double	   *log_prior;		/* K */
	double	   *mean;			/* K x d: numeric slots */
	double	   *var;			/* K x d: numeric slots, smoothed */
	double	   *log_prob;		/* K x d: categorical slots, log P(level | class) */
	struct NbAcc *acc;			/* the training statistics, for update */
} NbParams;

static const OptionDef nb_options[] = {
	{"alpha", OPT_NUMBER, 0, INFINITY, true},
	{"var_smoothing", OPT_NUMBER, 0, 1},
	{NULL}
};

/* ---------------------------------------------------------------------
 * PASS_NB
 * ---------------------------------------------------------------------
 */
static void *
nb_create(const PassCtx *ctx)
{
	NbAcc	   *a = palloc(sizeof(NbAcc));

	a->K = ctx->spec->nclasses;
	a->d = ctx->spec->dim;
	a->n = palloc0(sizeof(double) * a->K);
	a->mean = palloc0(sizeof(double) * a->K * Max(a->d, 1));
	a->m2 = palloc0(sizeof(double) * a->K * Max(a->d, 1));
	return a;
}

static void
nb_add(void *acc, const PassCtx *ctx, int slot, uint64 rowhash, double y, const double *x)
{
	NbAcc	   *a = (NbAcc *) acc;
	int			k = (int) y;
	double	   *mean = a->mean + (Size) k * a->d;
	double	   *m2 = a->m2 + (Size) k * a->d;
	double		n = ++a->n[k];

	for (int j = 0; j < a->d; j++)
	{
		double		delta = x[j] - mean[j];

		mean[j] += delta / n;
		m2[j] += delta * (x[j] - mean[j]);
	}
}

static void
nb_merge(void *acc, void *other, const PassCtx *ctx)
{
	NbAcc	   *a = (NbAcc *) acc;
	NbAcc	   *b = (NbAcc *) other;

	for (int k = 0; k < a->K; k++)
	{
		double		na = a->n[k];
		double		nb = b->n[k];
		double		n = na + nb;

		if (nb == 0)
			continue;
		for (int j = 0; j < a->d; j++)
		{
			Size		i = (Size) k * a->d + j;
			double		delta = b->mean[i] - a->mean[i];

			a->m2[i] += b->m2[i] + delta * delta * na * nb / n;
			a->mean[i] += delta * nb / n;
		}
		a->n[k] = n;
	}
}

static void
nb_write(StringInfo buf, void *acc, const PassCtx *ctx)
{
	NbAcc	   *a = (NbAcc *) acc;

	bin_write_int32(buf, a->K);
	bin_write_int32(buf, a->d);
	bin_write_float8_array(buf, a->n, a->K);
	bin_write_float8_array(buf, a->mean, a->K * a->d);
	bin_write_float8_array(buf, a->m2, a->K * a->d);
}

static void *
nb_read(BinReader *r, const PassCtx *ctx)
{
	NbAcc	   *a = palloc(sizeof(NbAcc));

	a->K = bin_read_int32(r);
	a->d = bin_read_int32(r);
	if (a->K != ctx->spec->nclasses || a->d != ctx->spec->dim)
		bin_corrupted(r, "naive bayes dimensions do not match the pass context");
	a->n = bin_read_float8_array(r, a->K);
	a->mean = bin_read_float8_array(r, a->K * a->d);
	a->m2 = bin_read_float8_array(r, a->K * a->d);
	return a;
}

const PassKind nb_pass_kind = {
	.name = "naive_bayes",
	.create = nb_create,
	.add = nb_add,
	.merge = nb_merge,
	.write = nb_write,
	.read = nb_read,
};

/* ---------------------------------------------------------------------
 * Training and prediction
 * ---------------------------------------------------------------------
 */

/* The column a slot belongs to. */
static const FeatureColumn *
slot_column(const FeatureSpec *spec, int j)
{
	for (int i = 0; i < spec->ncols; i++)
		if (j >= spec->cols[i].offset && j < spec->cols[i].offset + spec->cols[i].width)
			return &spec->cols[i];
	return NULL;
}

/* One PASS_NB over the training rows of in. */
static NbAcc *
nb_pass(const TrainInput *in, TrainOutput *out)
{
	PassCtx		ctx = {0};
	PassResult	res;

	ctx.kind = PASS_NB;
	ctx.spec = in->spec;
	ctx.seed = in->seed;
	ctx.test_size = in->test_size;
	ctx.nfolds = 1;
	ctx.skip_holdout = true;
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	out->rows_skipped = res.rows_skipped;
	return res.acc ? (NbAcc *) res.acc : (NbAcc *) nb_create(&ctx);
}

static void nb_fit(const FeatureSpec *spec, NbAcc *a, Jsonb *options, TrainOutput *out);

static void
nb_train(const TrainInput *in, TrainOutput *out)
{
	const FeatureSpec *spec = in->spec;
	NbAcc	   *a;

	a = nb_pass(in, out);
	nb_fit(spec, a, in->options, out);
}

/*
 * The model from the per-class sufficient statistics (kept in the state,
 * so that mldb.update can add new rows' statistics and fit again).
 */
static void
nb_fit(const FeatureSpec *spec, NbAcc *a, Jsonb *options, TrainOutput *out)
{
	double		alpha = opt_number(options, "alpha", 1.0);
	double		var_smoothing = opt_number(options, "var_smoothing", 1e-9);
	NbParams   *np = palloc0(sizeof(NbParams));
	double		N = 0;
	double		eps = 0;
	int			K = spec->nclasses;
	int			d = spec->dim;
	JsonWriter	w;

	for (int k = 0; k < K; k++)
		N += a->n[k];
	out->rows_used = (int64) N;
	if (N < 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no rows to train on"),
				 errhint("Check the relation, or the query's WHERE clause.")));

	/* var_smoothing is relative to the largest overall variance (sklearn) */
	for (int j = 0; j < d; j++)
	{
		const FeatureColumn *c = slot_column(spec, j);
		double		mean = 0;
		double		m2 = 0;

		if (c->kind != FEATURE_NUMERIC)
			continue;
		for (int k = 0; k < K; k++)
			mean += a->n[k] * a->mean[k * d + j] / N;
		for (int k = 0; k < K; k++)
		{
			double		delta = a->mean[k * d + j] - mean;

			m2 += a->m2[k * d + j] + a->n[k] * delta * delta;
		}
		eps = Max(eps, m2 / N);
	}
	eps *= var_smoothing;

	np->K = K;
	np->d = d;
	np->log_prior = palloc(sizeof(double) * K);
	np->mean = palloc0(sizeof(double) * K * Max(d, 1));
	np->var = palloc0(sizeof(double) * K * Max(d, 1));
	np->log_prob = palloc0(sizeof(double) * K * Max(d, 1));
	for (int k = 0; k < K; k++)
	{
		np->log_prior[k] = log(a->n[k] / N);
		for (int j = 0; j < d; j++)
		{
			const FeatureColumn *c = slot_column(spec, j);
			Size		i = (Size) k * d + j;

			if (c->kind == FEATURE_NUMERIC)
			{
				np->mean[i] = a->mean[i];
				np->var[i] = (a->n[k] > 0 ? a->m2[i] / a->n[k] : 0) + eps;
				if (!(np->var[i] > 0))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("feature \"%s\" has zero variance in class \"%s\"",
									c->name, spec->classes[k]),
							 errhint("Set var_smoothing above 0, or leave the feature out.")));
			}
			else
				np->log_prob[i] = log((a->mean[i] * a->n[k] + alpha) / (a->n[k] + alpha * c->width));
		}
	}

	jw_init(&w);
	jw_begin_object(&w, "class_prior");
	for (int k = 0; k < K; k++)
		jw_number(&w, spec->classes[k], exp(np->log_prior[k]));
	jw_end_object(&w);
	jw_begin_object(&w, "class_count");
	for (int k = 0; k < K; k++)
		jw_number(&w, spec->classes[k], a->n[k]);
	jw_end_object(&w);
	jw_begin_object(&w, "features");
	for (int j = 0; j < d; j++)
	{
		const FeatureColumn *c = slot_column(spec, j);

		jw_begin_object(&w, featurespec_slot_name(spec, j));
		for (int k = 0; k < K; k++)
		{
			Size		i = (Size) k * d + j;

			if (c->kind == FEATURE_NUMERIC)
			{
				jw_begin_object(&w, spec->classes[k]);
				jw_number(&w, "mean", np->mean[i]);
				jw_number(&w, "var", np->var[i]);
				jw_end_object(&w);
			}
			else
				jw_number(&w, spec->classes[k], exp(np->log_prob[i]));
		}
		jw_end_object(&w);
	}
	jw_end_object(&w);
	jw_number(&w, "alpha", alpha);
	jw_number(&w, "var_smoothing", var_smoothing);
	jw_number(&w, "epsilon", eps);
	out->params = jw_finish(&w);
	np->acc = a;
	out->model->params = np;
	/* metrics: left NULL, the driver evaluates the stored version */
}

/* mldb.update: the stored statistics plus the new rows', fitted again. */
static void
nb_update(const MldbModel *old, const TrainInput *in, TrainOutput *out)
{
	const NbParams *onp = (const NbParams *) old->params;
	NbAcc	   *a = nb_pass(in, out);
	PassCtx		ctx = {0};
	double		n_new = 0;

	for (int k = 0; k < a->K; k++)
		n_new += a->n[k];
	if (n_new == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no new training rows to update model \"%s\" with", in->model_name),
				 errdetail(INT64_FORMAT " rows skipped (NULL target, or a label the model does not know).",
						   out->rows_skipped),
				 errhint("Rows with new labels need a retraining: SELECT mldb.retrain(model).")));
	ctx.spec = in->spec;
	nb_merge(a, onp->acc, &ctx);
	nb_fit(in->spec, a, in->options, out);
}

/* Joint log-likelihood per class, then the normalised probabilities. */
static void
nb_predict_proba(const MldbModel *m, const double *x, double *proba)
{
	const NbParams *np = (const NbParams *) m->params;
	const FeatureSpec *spec = m->spec;
	double		max = -INFINITY;
	double		sum = 0;

	for (int k = 0; k < np->K; k++)
	{
		double		jll = np->log_prior[k];

		for (int i = 0; i < spec->ncols; i++)
		{
			const FeatureColumn *c = &spec->cols[i];

			for (int j = c->offset; j < c->offset + c->width; j++)
			{
				Size		idx = (Size) k * np->d + j;

				if (c->kind == FEATURE_NUMERIC)
				{
					double		delta = x[j] - np->mean[idx];

					jll -= 0.5 * log(2 * M_PI * np->var[idx]) + delta * delta / (2 * np->var[idx]);
				}
				else if (x[j] != 0)
					jll += np->log_prob[idx];
			}
		}
		proba[k] = jll;
		max = Max(max, jll);
	}
	if (!isfinite(max))
	{
		/* every class infinitely unlikely (extreme values): no preference */
		for (int k = 0; k < np->K; k++)
			proba[k] = 1.0 / np->K;
		return;
	}
	for (int k = 0; k < np->K; k++)
	{
		proba[k] = isnan(proba[k]) ? 0.0 : exp(proba[k] - max);
		sum += proba[k];
	}
	for (int k = 0; k < np->K; k++)
		proba[k] /= sum;
}

static double
nb_predict(const MldbModel *m, const double *x)
{
	const NbParams *np = (const NbParams *) m->params;
	double	   *proba = palloc(sizeof(double) * np->K);
	int			best = 0;

	nb_predict_proba(m, x, proba);
	for (int k = 1; k < np->K; k++)
		if (proba[k] > proba[best])
			best = k;
	pfree(proba);
	return best;
}

static void
nb_write_params(StringInfo buf, const MldbModel *m)
{
	const NbParams *np = (const NbParams *) m->params;

	bin_write_int32(buf, np->K);
	bin_write_int32(buf, np->d);
	bin_write_float8_array(buf, np->log_prior, np->K);
	bin_write_float8_array(buf, np->mean, np->K * np->d);
	bin_write_float8_array(buf, np->var, np->K * np->d);
	bin_write_float8_array(buf, np->log_prob, np->K * np->d);
	bin_write_float8_array(buf, np->acc->n, np->K);
	bin_write_float8_array(buf, np->acc->mean, np->K * np->d);
	bin_write_float8_array(buf, np->acc->m2, np->K * np->d);
}

static void *
nb_read_params(BinReader *r, const MldbModel *m)
{
	NbParams   *np = palloc(sizeof(NbParams));

	np->K = bin_read_int32(r);
	np->d = bin_read_int32(r);
	if (np->K != m->spec->nclasses || np->d != m->spec->dim || np->K < 2)
		bin_corrupted(r, "naive bayes dimensions do not match the features");
	np->log_prior = bin_read_float8_array(r, np->K);
	np->mean = bin_read_float8_array(r, np->K * np->d);
	np->var = bin_read_float8_array(r, np->K * np->d);
	np->log_prob = bin_read_float8_array(r, np->K * np->d);
	np->acc = palloc(sizeof(NbAcc));
	np->acc->K = np->K;
	np->acc->d = np->d;
	np->acc->n = bin_read_float8_array(r, np->K);
	np->acc->mean = bin_read_float8_array(r, np->K * np->d);
	np->acc->m2 = bin_read_float8_array(r, np->K * np->d);
	return np;
}

const MldbAlgorithm naive_bayes_algorithm = {
	.name = "naive_bayes", .id = 8, .task = MLDB_TASK_CLASSIFICATION,
	.score_metric = "accuracy", .score_higher_is_better = true,
	.options = nb_options, .train = nb_train, .update = nb_update,
	.predict = nb_predict, .predict_proba = nb_predict_proba,
	.write = nb_write_params, .read = nb_read_params,
};
