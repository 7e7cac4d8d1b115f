/*-------------------------------------------------------------------------
 * algo_tree.c
 *	  decision_tree, random_forest and gradient_boosting: three algorithms
 *	  on the machinery of tree.c, each for regression or classification
 *	  (the target's type decides; the option "task" overrides).
 *
 *	  Data path (shared): a PASS_SAMPLE pass gives a row sample of the
 *	  training split for the bin edges, then a PASS_TREE_DATA pass
 *	  materialises the binned rows in memory.  Trees are grown on the
 *	  bins; a split stores the raw edge, so predict compares raw values.
 *	  Numeric NULLs (unless the option "impute" is given) get a missing
 *	  bin and a learned side at each split (tree.c); the model's spec
 *	  encodes them as NaN (MISSING_NATIVE).
 *
 *	  - decision_tree: CART (squared error / Gini), as scikit-learn's
 *	    DecisionTreeRegressor/Classifier on binned features;
 *	  - random_forest: bootstrap samples and per-split feature sampling
 *	    (Breiman 2001), probabilities averaged as scikit-learn does; the
 *	    out-of-bag score is in params;
 *	  - gradient_boosting: Newton boosting on gradient/hessian histograms
 *	    as scikit-learn's HistGradientBoosting (same bins, same gain, same
 *	    leaf values, same initial scores), depth-wise: squared error,
 *	    binary log-loss, multiclass softmax (one tree per class a round).
 *
 *	  explain gives exact TreeSHAP values (tree.c): for regression of the
 *	  prediction; for classifiers of the predicted class's score: its
 *	  probability (decision_tree, random_forest) or its raw log-odds
 *	  score (gradient_boosting; binary: +-margin of the second class).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "model.h"
#include "sample.h"
#include "tree.h"
#include "utils/float.h"

typedef enum TreeKind
{
	TREE_DT = 1,
	TREE_RF = 2,
	TREE_GB = 3
} TreeKind;

/* Rows of the sample the bin edges come from (scikit-learn: 2e5). */
#define TREE_BIN_SAMPLE 200000
#define TREE_BIN_SAMPLE_BYTES (64 * 1024 * 1024)

typedef struct TreeModel
{
	int32		kind;			/* TreeKind */
	int32		nout;			/* outputs: values per leaf (DT, RF), scores (GB) */
	double	   *base;			/* nout: initial scores (GB), else 0 */
	int32	   *tree_out;		/* per tree: the output it adds to (GB) */
	Forest	   *forest;
} TreeModel;

static const char *const task_choices[] = {"regression", "classification", NULL};
/* scikit-learn's names; "log_loss" is its other name for "entropy" */
static const char *const criterion_choices[] = {"gini", "entropy", "log_loss", "squared_error", NULL};

#define TREE_COMMON_OPTIONS \
	{"max_depth", OPT_INTEGER, 1, TREE_MAX_DEPTH}, \
	{"max_leaf_nodes", OPT_INTEGER, 2, 1e9}, \
	{"min_samples_leaf", OPT_INTEGER, 1, 1e9}, \
	{"max_bins", OPT_INTEGER, 2, TREE_MAX_BINS}, \
	{"task", OPT_STRING, .choices = task_choices}

static const OptionDef dt_options[] = {
	TREE_COMMON_OPTIONS,
	{"min_samples_split", OPT_INTEGER, 2, 1e9},
	{"criterion", OPT_STRING, .choices = criterion_choices},
	{NULL}
};

static const OptionDef rf_options[] = {
	TREE_COMMON_OPTIONS,
	{"min_samples_split", OPT_INTEGER, 2, 1e9},
	{"criterion", OPT_STRING, .choices = criterion_choices},
	{"n_estimators", OPT_INTEGER, 1, 100000},
	{"max_features", OPT_NUMBER, 0, 1, true, false},
	{"bootstrap", OPT_BOOL},
	{NULL}
};

static const OptionDef gb_options[] = {
	TREE_COMMON_OPTIONS,
	{"n_estimators", OPT_INTEGER, 1, 100000},
	{"learning_rate", OPT_NUMBER, 0, INFINITY, true, true},
	{"l2_regularization", OPT_NUMBER, 0, INFINITY},
	{"early_stopping", OPT_BOOL},
	{"n_iter_no_change", OPT_INTEGER, 1, 100000},
	{"tol", OPT_NUMBER, 0, INFINITY},
	{NULL}
};

#define DEFAULT_N_ITER_NO_CHANGE 10	/* scikit-learn's HistGradientBoosting */
#define DEFAULT_STOP_TOL 1e-7

/* ---------------------------------------------------------------------
 * Data path
 * ---------------------------------------------------------------------
 */

static void
init_ctx(PassCtx *ctx, const TrainInput *in, int kind)
{
	memset(ctx, 0, sizeof(PassCtx));
	ctx->kind = kind;
	ctx->spec = in->spec;
	ctx->seed = in->seed;
	ctx->test_size = in->test_size;
	ctx->nfolds = 1;
	ctx->skip_holdout = true;
}

/*
 * The model's spec.  Numeric NULLs reach the passes as indicators
 * (native_missing, unless the option "impute" was given): the model
 * takes them as NaN (MISSING_NATIVE), which goes to a missing bin in
 * training and the learned way at predict; the indicator slots go.
 */
static const FeatureSpec *
tree_final_spec(const TrainInput *in, TrainOutput *out)
{
	FeatureSpec *spec = NULL;

	for (int i = 0; i < in->spec->ncols; i++)
		if (in->spec->cols[i].missing == MISSING_INDICATOR)
		{
			if (spec == NULL)
				spec = featurespec_copy(in->spec);
			spec->cols[i].missing = MISSING_NATIVE;
			spec->cols[i].impute = NAN;
		}
	if (spec == NULL)
		return in->spec;
	featurespec_layout(spec);
	out->spec = spec;
	out->model->spec = spec;
	return spec;
}

/*
 * The binned training rows: bin edges from a row sample, then one pass
 * binning every training row (or, beyond mldb.tree_memory, a uniform
 * sample of them).  bytes_per_row estimates the training's own arrays
 * per row on top of the bins.  dim: the model's slots (the pass's, less
 * missing-value indicators, which become NaN in the slot they flag).
 */
static TreeData *
tree_load(const TrainInput *in, TrainOutput *out, int dim, int max_bins, int bytes_per_row,
		  TreeData **holdout)
{
	const FeatureSpec *ps = in->spec;
	PassCtx		ctx;
	PassResult	res;
	SampleAcc  *sample;
	TreeBinner *binner;
	TreeDataAcc *acc;
	TreeData   *d;
	int64		budget;
	int			capacity = Min(TREE_BIN_SAMPLE, Max(1000, TREE_BIN_SAMPLE_BYTES / (8 * Max(ps->dim, 1))));

	init_ctx(&ctx, in, PASS_SAMPLE);
	sample_pass_extra(&ctx, capacity);
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	if (res.acc == NULL || ((SampleAcc *) res.acc)->sample->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no rows to train on"),
				 errdetail(INT64_FORMAT " rows read, " INT64_FORMAT " skipped for a NULL or non-finite target or missing feature.",
						   res.rows_seen, res.rows_skipped),
				 errhint("Check the relation, or the query's WHERE clause and test_size.")));
	/* the sample's rows in any order: each column is sorted anyway */
	sample = (SampleAcc *) res.acc;
	if (ps->dim == dim)
		binner = tree_binner_build(sample->sample->x, sample->sample->n, dim, max_bins);
	else
	{
		/* the sample in the model's layout, NaN where a value is missing */
		const RowSample *rs = sample->sample;
		double	   *x = tree_alloc(sizeof(double) * (Size) Max(rs->n, 1) * Max(dim, 1));

		for (int r = 0; r < rs->n; r++)
		{
			const double *src = rs->x + (Size) r * rs->dim;
			double	   *dst = x + (Size) r * dim;

			memcpy(dst, src, sizeof(double) * dim);
			for (int i = 0; i < ps->ncols; i++)
				if (ps->cols[i].indicator >= 0 && src[ps->cols[i].indicator] != 0)
					dst[ps->cols[i].offset] = NAN;
		}
		binner = tree_binner_build(x, rs->n, dim, max_bins);
		pfree(x);
	}

	budget = (int64) mldb_tree_memory * 1024 / (2 * dim + 16 + bytes_per_row);
	init_ctx(&ctx, in, PASS_TREE_DATA);
	/* hold-out rows too, when asked for (early stopping), with the same budget */
	ctx.skip_holdout = holdout == NULL;
	tree_data_extra(&ctx, binner, Max(budget, 1), holdout != NULL ? Max(budget, 1) : 0);
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	if (res.acc == NULL)
		elog(ERROR, "tree data pass returned no rows");
	acc = (TreeDataAcc *) res.acc;
	d = tree_data_finish(acc);
	if (holdout != NULL)
		*holdout = tree_data_finish_holdout(acc);
	if (acc->seen > d->n)
		ereport(NOTICE,
				(errmsg("training on a sample of %d of " INT64_FORMAT " training rows", d->n, acc->seen),
				 errdetail("mldb.tree_memory (%d kB) holds about " INT64_FORMAT " rows of %d encoded features.",
						   mldb_tree_memory, budget, dim),
				 errhint("Raise mldb.tree_memory to train on every row.")));
	out->rows_used = d->n;
	out->rows_skipped = res.rows_skipped;
	return d;
}

/* ---------------------------------------------------------------------
 * Readable output
 * ---------------------------------------------------------------------
 */

static void
normalize(double *v, int n)
{
	double		s = 0;

	for (int j = 0; j < n; j++)
		s += v[j];
	if (s > 0)
		for (int j = 0; j < n; j++)
			v[j] /= s;
}

static void
write_common_params(JsonWriter *w, const FeatureSpec *spec, const TreeData *d,
					const Forest *f, const double *importance)
{
	jw_int(w, "n_trees", f->ntrees);
	jw_int(w, "n_nodes", f->nnodes);
	jw_int(w, "depth", f->max_depth);
	{
		int			most = 0;	/* the most leaves in one tree */

		for (int t = 0; t < f->ntrees; t++)
		{
			int			k = 0;

			for (int i = f->tree_start[t]; i < f->tree_start[t + 1]; i++)
				k += f->nodes[i].feature < 0;
			most = Max(most, k);
		}
		jw_int(w, "max_leaves", most);
	}
	jw_int(w, "train_rows", d->n);
	jw_begin_object(w, "feature_importances");
	for (int j = 0; j < spec->dim; j++)
		jw_number(w, featurespec_slot_name(spec, j), importance[j]);
	jw_end_object(w);
	jw_begin_object(w, "bins");
	for (int j = 0; j < spec->dim; j++)
		jw_int(w, featurespec_slot_name(spec, j), d->binner->nbins[j]);
	jw_end_object(w);
}

static TreeModel *
model_new(int kind, int nout, Forest *f)
{
	TreeModel  *tm = palloc0(sizeof(TreeModel));

	tm->kind = kind;
	tm->nout = nout;
	tm->base = palloc0(sizeof(double) * nout);
	tm->forest = f;
	return tm;
}

/* ---------------------------------------------------------------------
 * decision_tree and random_forest
 * ---------------------------------------------------------------------
 */

/*
 * The option "criterion": gini (default) or entropy for classes,
 * squared_error (the only one) for regression.  True for entropy.
 */
static bool
tree_criterion_entropy(Jsonb *options, bool classes, const char *algo)
{
	const char *c = opt_string(options, "criterion", classes ? "gini" : "squared_error");

	if (classes != (strcmp(c, "squared_error") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("criterion \"%s\" does not apply to %s %s", c, algo,
						classes ? "classification" : "regression"),
				 errhint("%s", classes ? "Classification takes \"gini\" (the default) or \"entropy\"." :
						 "Regression takes \"squared_error\" (the default) only.")));
	return strcmp(c, "entropy") == 0 || strcmp(c, "log_loss") == 0;
}

static void
forest_train(const TrainInput *in, TrainOutput *out, bool is_forest)
{
	const FeatureSpec *spec = tree_final_spec(in, out);
	int			K = spec->nclasses;
	int			C = K > 0 ? K : 1;
	int			ntrees = is_forest ? (int) opt_int(in->options, "n_estimators", 100) : 1;
	bool		bootstrap = is_forest && opt_bool(in->options, "bootstrap", true);
	TreeGrowParams p = {0};
	TreeData   *d;
	TreeGrower *g;
	Forest	   *f = forest_create(C, spec->dim);
	TreeModel  *tm;
	double	   *grad;
	double	   *hess;
	int32	   *w;
	int32	   *rows;
	double	   *imp = palloc0(sizeof(double) * Max(spec->dim, 1));
	double	   *imp_tree = palloc0(sizeof(double) * Max(spec->dim, 1));
	double	   *oob_sum = NULL;
	int32	   *oob_cnt = NULL;
	pg_prng_state rng;
	JsonWriter	jw;
	int			n;

	d = tree_load(in, out, spec->dim, (int) opt_int(in->options, "max_bins", TREE_MAX_BINS),
				  8 * C + 8 + 8 * C + 8 + 12 + (bootstrap ? 8 * C + 4 : 0), NULL);
	n = d->n;

	p.max_depth = (int) opt_int(in->options, "max_depth", TREE_MAX_DEPTH);
	p.max_leaf_nodes = (int) opt_int(in->options, "max_leaf_nodes", 0);
	p.min_samples_leaf = (int) opt_int(in->options, "min_samples_leaf", 1);
	p.min_samples_split = (int) opt_int(in->options, "min_samples_split", 2);
	p.l2 = 0;
	p.entropy = tree_criterion_entropy(in->options, K > 0, is_forest ? "random_forest" : "decision_tree");
	p.min_child_weight = 0;
	p.zero_gain_splits = true;
	p.cover_is_hessian = true;
	p.unit_hessian = !bootstrap;
	p.scale = 1;
	if (opt_present(in->options, "max_features"))
		p.max_features = Max(1, (int) (opt_number(in->options, "max_features", 1) * spec->dim));
	else if (is_forest && K > 0)
		p.max_features = Max(1, (int) sqrt((double) spec->dim));
	else
		p.max_features = spec->dim;

	grad = tree_alloc(sizeof(double) * ((Size) n * C));
	hess = tree_alloc(sizeof(double) * (n));
	w = tree_alloc(sizeof(int32) * (n));
	rows = tree_alloc(sizeof(int32) * (n));
	if (bootstrap)
	{
		oob_sum = palloc0(sizeof(double) * (Size) n * C);
		oob_cnt = palloc0(sizeof(int32) * n);
	}
	pg_prng_seed(&rng, (uint64) in->seed ^ UINT64CONST(0x7265657372616e64));
	g = tree_grower_create(d, C);

	for (int t = 0; t < ntrees; t++)
	{
		int			m = 0;

		CHECK_FOR_INTERRUPTS();
		if (bootstrap)
		{
			memset(w, 0, sizeof(int32) * n);
			for (int i = 0; i < n; i++)
				w[pg_prng_uint64_range(&rng, 0, n - 1)]++;
		}
		else
			for (int i = 0; i < n; i++)
				w[i] = 1;
		for (int i = 0; i < n; i++)
		{
			if (w[i] == 0)
				continue;
			rows[m++] = i;
			hess[i] = w[i];
			if (K > 0)
			{
				for (int c = 0; c < C; c++)
					grad[(Size) i * C + c] = 0;
				grad[(Size) i * C + (int) d->y[i]] = -w[i];
			}
			else
				grad[i] = -w[i] * d->y[i];
		}
		memset(imp_tree, 0, sizeof(double) * spec->dim);
		tree_grow(g, f, &p, rows, m, grad, hess, NULL, 0, imp_tree, &rng);
		normalize(imp_tree, spec->dim);
		for (int j = 0; j < spec->dim; j++)
			imp[j] += imp_tree[j];

		if (bootstrap)
			for (int i = 0; i < n; i++)
			{
				int			leaf;

				if (w[i] != 0)
					continue;
				leaf = forest_leaf_binned(f, t, d, i);
				for (int c = 0; c < C; c++)
					oob_sum[(Size) i * C + c] += f->value[(Size) leaf * C + c];
				oob_cnt[i]++;
			}
		elog(DEBUG1, "%s: tree %d of %d, %d nodes", is_forest ? "random_forest" : "decision_tree",
			 t + 1, ntrees, f->tree_start[t + 1] - f->tree_start[t]);
	}
	tree_grower_free(g);
	forest_prepare_walk(f);
	normalize(imp, spec->dim);

	tm = model_new(is_forest ? TREE_RF : TREE_DT, C, f);
	out->model->params = tm;

	jw_init(&jw);
	write_common_params(&jw, spec, d, f, imp);
	jw_int(&jw, "max_features", p.max_features);
	if (bootstrap)
	{
		/* out-of-bag: each row scored by the trees that did not see it */
		double		sy = 0,
					syy = 0,
					sse = 0;
		int			nb = 0,
					correct = 0;

		for (int i = 0; i < n; i++)
		{
			if (oob_cnt[i] == 0)
				continue;
			nb++;
			if (K > 0)
			{
				int			best = 0;

				for (int c = 1; c < C; c++)
					if (oob_sum[(Size) i * C + c] > oob_sum[(Size) i * C + best])
						best = c;
				correct += best == (int) d->y[i];
			}
			else
			{
				double		e = d->y[i] - oob_sum[i] / oob_cnt[i];

				sse += e * e;
				sy += d->y[i];
				syy += d->y[i] * d->y[i];
			}
		}
		jw_int(&jw, "oob_rows", nb);
		if (nb > 0 && K > 0)
			jw_number(&jw, "oob_accuracy", (double) correct / nb);
		else if (nb > 1)
			jw_number(&jw, "oob_r2", 1.0 - sse / (syy - sy * sy / nb));
	}
	out->params = jw_finish(&jw);
	/* metrics: left NULL, the driver evaluates the stored version */
}

static void
dt_train(const TrainInput *in, TrainOutput *out)
{
	forest_train(in, out, false);
}

static void
rf_train(const TrainInput *in, TrainOutput *out)
{
	forest_train(in, out, true);
}

/* ---------------------------------------------------------------------
 * gradient_boosting
 * ---------------------------------------------------------------------
 */

/* softmax of raw[K] into p[K] */
static void
softmax(const double *raw, double *p, int K)
{
	double		max = raw[0];
	double		s = 0;

	for (int k = 1; k < K; k++)
		max = Max(max, raw[k]);
	for (int k = 0; k < K; k++)
	{
		p[k] = exp(raw[k] - max);
		s += p[k];
	}
	for (int k = 0; k < K; k++)
		p[k] /= s;
}

static inline double
sigmoid(double z)
{
	return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

#define GB_EPS 2.220446049250313e-16

/*
 * The mean loss of n rows at raw scores (row-major, nout a row): squared
 * error (K = 0; halved when half, scikit-learn's HalfSquaredError), the
 * binary log-loss (K = 2) or the multiclass cross-entropy.
 */
static double
gb_loss(int K, int nout, const double *y, const double *raw, int n, bool half)
{
	double		l = 0;
	double	   *prob = K > 2 ? palloc(sizeof(double) * nout) : NULL;

	for (int i = 0; i < n; i++)
	{
		if (K == 0)
			l += (y[i] - raw[i]) * (y[i] - raw[i]) * (half ? 0.5 : 1.0);
		else if (K == 2)
		{
			double		pi = Min(Max(sigmoid(raw[i]), GB_EPS), 1 - GB_EPS);

			l -= y[i] > 0.5 ? log(pi) : log(1 - pi);
		}
		else
		{
			softmax(raw + (Size) i * nout, prob, nout);
			l -= log(Max(prob[(int) y[i]], GB_EPS));
		}
	}
	if (prob != NULL)
		pfree(prob);
	return n > 0 ? l / n : 0.0;
}

/* Raw scores of n rows (row-major, nout a row), each at the initial score. */
static double *
gb_base_scores(const TreeModel *tm, int n)
{
	double	   *raw = tree_alloc(sizeof(double) * ((Size) n * tm->nout));

	for (int i = 0; i < n; i++)
		memcpy(raw + (Size) i * tm->nout, tm->base, sizeof(double) * tm->nout);
	return raw;
}

/*
 * Early stopping, scikit-learn's rule (HistGradientBoosting._should_stop
 * with scoring "loss"): vloss[0..m] are the hold-out losses before any
 * tree and after each of m rounds; stop when none of the last patience
 * rounds is below the loss patience + 1 rounds back by more than tol.
 */
static bool
gb_should_stop(const double *vloss, int m, int patience, double tol)
{
	double		ref;

	if (m < patience)
		return false;
	ref = vloss[m - patience] - tol;
	for (int r = m - patience + 1; r <= m; r++)
		if (vloss[r] < ref)
			return false;
	return true;
}

static void
gb_train(const TrainInput *in, TrainOutput *out)
{
	const FeatureSpec *spec = tree_final_spec(in, out);
	int			K = spec->nclasses;
	int			nout = K > 2 ? K : 1;
	int			rounds = (int) opt_int(in->options, "n_estimators", 100);
	bool		early = opt_bool(in->options, "early_stopping", false);
	int			patience = (int) opt_int(in->options, "n_iter_no_change", DEFAULT_N_ITER_NO_CHANGE);
	double		tol = opt_number(in->options, "tol", DEFAULT_STOP_TOL);
	TreeGrowParams p = {0};
	TreeData   *d;
	TreeData   *ho = NULL;		/* hold-out rows (early stopping) */
	TreeGrower *g;
	Forest	   *f = forest_create(1, spec->dim);
	TreeModel  *tm;
	double	   *raw;
	double	   *ho_raw = NULL;
	double	   *grad;
	double	   *hess;
	double	   *prob = palloc(sizeof(double) * nout);
	int32	   *rows;
	double	   *imp = palloc0(sizeof(double) * Max(spec->dim, 1));
	double	   *loss = palloc(sizeof(double) * rounds);
	double	   *vloss = palloc(sizeof(double) * (rounds + 1));
	int			done = 0;		/* rounds grown */
	JsonWriter	jw;
	int			n;

	if (!early && (opt_present(in->options, "n_iter_no_change") || opt_present(in->options, "tol")))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"n_iter_no_change\" and \"tol\" apply to early stopping only"),
				 errhint("Add \"early_stopping\": true, or leave them out.")));
	if (early && in->test_size <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("early stopping needs a hold-out split"),
				 errhint("Give test_size > 0 (the default is 0.25): the hold-out rows decide when to stop.")));

	d = tree_load(in, out, spec->dim, (int) opt_int(in->options, "max_bins", TREE_MAX_BINS),
				  24 * nout + 8 + 8 + 12, early ? &ho : NULL);
	n = d->n;
	if (early && ho->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("early stopping found no hold-out rows"),
				 errhint("Raise test_size, or train on more rows.")));

	p.max_leaf_nodes = (int) opt_int(in->options, "max_leaf_nodes", 0);
	/* with a leaf limit, depth is unlimited unless given (scikit-learn's HGB) */
	p.max_depth = (int) opt_int(in->options, "max_depth",
								p.max_leaf_nodes > 0 ? TREE_MAX_DEPTH : 6);
	p.min_samples_leaf = (int) opt_int(in->options, "min_samples_leaf", 20);
	p.min_samples_split = 2;
	p.l2 = opt_number(in->options, "l2_regularization", 0);
	p.min_child_weight = 1e-3;	/* scikit-learn's min_hessian_to_split */
	p.max_features = spec->dim;
	p.zero_gain_splits = false;
	p.cover_is_hessian = false;
	p.unit_hessian = K == 0;
	p.scale = opt_number(in->options, "learning_rate", 0.1);

	tm = model_new(TREE_GB, nout, f);
	tm->tree_out = palloc(sizeof(int32) * (Size) rounds * nout);

	/* initial scores: the best constant (scikit-learn's fit_intercept_only) */
	if (K == 0)
	{
		double		s = 0;

		for (int i = 0; i < n; i++)
			s += d->y[i];
		tm->base[0] = s / n;
	}
	else
	{
		double	   *pk = palloc0(sizeof(double) * K);
		double		mean_log = 0;

		for (int i = 0; i < n; i++)
			pk[(int) d->y[i]] += 1.0 / n;
		for (int k = 0; k < K; k++)
			pk[k] = Min(Max(pk[k], GB_EPS), 1 - GB_EPS);
		if (K == 2)
			tm->base[0] = log(pk[1] / (1 - pk[1]));
		else
		{
			for (int k = 0; k < K; k++)
				mean_log += log(pk[k]) / K;
			for (int k = 0; k < K; k++)
				tm->base[k] = log(pk[k]) - mean_log;
		}
	}

	raw = gb_base_scores(tm, n);
	grad = tree_alloc(sizeof(double) * ((Size) n * nout));
	hess = tree_alloc(sizeof(double) * ((Size) n * nout));
	rows = tree_alloc(sizeof(int32) * (n));
	if (early)
	{
		ho_raw = gb_base_scores(tm, ho->n);
		vloss[0] = gb_loss(K, nout, ho->y, ho_raw, ho->n, true);
	}
	g = tree_grower_create(d, 1);

	for (int it = 0; it < rounds; it++)
	{
		CHECK_FOR_INTERRUPTS();
		/* gradients and hessians of the loss at the current scores */
		for (int i = 0; i < n; i++)
		{
			double		y = d->y[i];

			if (K == 0)
			{
				grad[i] = raw[i] - y;
				hess[i] = 1;
			}
			else if (K == 2)
			{
				double		pi = sigmoid(raw[i]);

				grad[i] = pi - y;
				hess[i] = pi * (1 - pi);
			}
			else
			{
				softmax(raw + (Size) i * nout, prob, nout);
				for (int k = 0; k < nout; k++)
				{
					grad[(Size) k * n + i] = prob[k] - (k == (int) y);
					hess[(Size) k * n + i] = prob[k] * (1 - prob[k]);
				}
			}
		}
		for (int k = 0; k < nout; k++)
		{
			int			t = f->ntrees;

			for (int i = 0; i < n; i++)
				rows[i] = i;
			tm->tree_out[t] = k;
			tree_grow(g, f, &p, rows, n, grad + (Size) k * n, hess + (Size) k * n,
					  raw + k, nout, imp, NULL);
			if (early)
				for (int i = 0; i < ho->n; i++)
					ho_raw[(Size) i * nout + k] += f->value[forest_leaf_binned(f, t, ho, i)];
		}
		done = it + 1;

		/* the training loss after the round, for training_info */
		loss[it] = gb_loss(K, nout, d->y, raw, n, false);
		elog(DEBUG1, "gradient_boosting: round %d of %d, training %s %g",
			 it + 1, rounds, K == 0 ? "mse" : "log_loss", loss[it]);
		if (early)
		{
			vloss[done] = gb_loss(K, nout, ho->y, ho_raw, ho->n, true);
			if (gb_should_stop(vloss, done, patience, tol))
				break;
		}
	}
	tree_grower_free(g);
	forest_prepare_walk(f);
	normalize(imp, spec->dim);
	out->model->params = tm;

	jw_init(&jw);
	write_common_params(&jw, spec, d, f, imp);
	jw_string(&jw, "loss", K == 0 ? "squared_error" : K == 2 ? "log_loss" : "softmax");
	jw_begin_array(&jw, "base_score");
	for (int k = 0; k < nout; k++)
		jw_number(&jw, NULL, tm->base[k]);
	jw_end_array(&jw);
	jw_int(&jw, "n_iter", done);
	if (early)
	{
		jw_begin_object(&jw, "early_stopping");
		jw_bool(&jw, "stopped", done < rounds);
		jw_int(&jw, "n_iter_no_change", patience);
		jw_number(&jw, "tol", tol);
		jw_int(&jw, "holdout_rows", ho->n);
		jw_number(&jw, "initial_validation_loss", vloss[0]);
		jw_end_object(&jw);
	}
	out->params = jw_finish(&jw);

	jw_init(&jw);
	jw_begin_array(&jw, "iterations");
	for (int it = 0; it < done; it++)
	{
		jw_begin_object(&jw, NULL);
		jw_int(&jw, "iteration", it + 1);
		jw_number(&jw, K == 0 ? "train_mse" : "train_log_loss", loss[it]);
		if (early)
			jw_number(&jw, "validation_loss", vloss[it + 1]);
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	out->training_info = jw_finish(&jw);
	/* metrics: left NULL, the driver evaluates the stored version */
}

/* ---------------------------------------------------------------------
 * Prediction
 * ---------------------------------------------------------------------
 */

/*
 * The model's outputs: averaged leaf values (DT, RF) or raw scores (GB).
 */
static void
tree_outputs(const TreeModel *tm, const double *x, double *out)
{
	const Forest *f = tm->forest;
	int			lbuf[256];
	int		   *leaf;

	for (int j = 0; j < f->dim; j++)
		if (isnan(x[j]))
		{
			/* a missing value: the node-by-node walk that knows its way */
			for (int k = 0; k < tm->nout; k++)
				out[k] = tm->base[k];
			for (int t = 0; t < f->ntrees; t++)
			{
				const double *v = f->value + (Size) forest_leaf(f, t, x) * f->nvalues;

				if (tm->kind == TREE_GB)
					out[tm->tree_out[t]] += v[0];
				else
					for (int k = 0; k < tm->nout; k++)
						out[k] += v[k];
			}
			goto average;
		}
	if (f->nvalues == 1 && tm->nout == 1)
		out[0] = forest_sum(f, x) + tm->base[0];
	else
	{
		for (int k = 0; k < tm->nout; k++)
			out[k] = tm->base[k];
		leaf = f->ntrees <= (int) lengthof(lbuf) ? lbuf : palloc(sizeof(int) * f->ntrees);
		forest_leaves(f, x, leaf);
		for (int t = 0; t < f->ntrees; t++)
		{
			const double *v = f->value + (Size) leaf[t] * f->nvalues;

			if (tm->kind == TREE_GB)
				out[tm->tree_out[t]] += v[0];
			else
				for (int k = 0; k < tm->nout; k++)
					out[k] += v[k];
		}
		if (leaf != lbuf)
			pfree(leaf);
	}
average:
	if (tm->kind != TREE_GB)
		for (int k = 0; k < tm->nout; k++)
			out[k] /= f->ntrees;
}

static void
tree_predict_proba(const MldbModel *m, const double *x, double *proba)
{
	const TreeModel *tm = (const TreeModel *) m->params;
	int			K = m->spec->nclasses;

	if (tm->kind != TREE_GB)
		tree_outputs(tm, x, proba);
	else if (K == 2)
	{
		double		raw;

		tree_outputs(tm, x, &raw);
		proba[1] = sigmoid(raw);
		proba[0] = 1 - proba[1];
	}
	else
	{
		double	   *raw = palloc(sizeof(double) * K);

		tree_outputs(tm, x, raw);
		softmax(raw, proba, K);
		pfree(raw);
	}
}

static int
argmax(const double *v, int n)
{
	int			best = 0;

	for (int k = 1; k < n; k++)
		if (v[k] > v[best])
			best = k;
	return best;
}

static double
tree_predict(const MldbModel *m, const double *x)
{
	const TreeModel *tm = (const TreeModel *) m->params;
	int			K = m->spec->nclasses;
	double		buf[16];
	double	   *proba;
	int			best;

	if (K == 0)
	{
		tree_outputs(tm, x, buf);
		return buf[0];
	}
	proba = K <= 16 ? buf : palloc(sizeof(double) * K);
	tree_predict_proba(m, x, proba);
	best = argmax(proba, K);
	if (proba != buf)
		pfree(proba);
	return best;
}

/*
 * TreeSHAP summed over the trees.  Regression: of the prediction.
 * Classifiers: of the predicted class's probability (DT, RF) or raw score
 * (GB: its log-odds score; binary GB explains the margin of the second
 * class, negated when the first class is predicted).
 */
static void
tree_explain(const MldbModel *m, const double *x, double *contrib, double *base)
{
	const TreeModel *tm = (const TreeModel *) m->params;
	const Forest *f = tm->forest;
	int			K = m->spec->nclasses;
	int			k = K > 0 ? (int) tree_predict(m, x) : 0;
	double		scale = tm->kind == TREE_GB ? 1.0 : 1.0 / f->ntrees;
	int			channel = tm->kind == TREE_GB ? 0 : k;

	*base = 0;
	if (tm->kind == TREE_GB)
	{
		if (K == 2 && k == 0)
			scale = -1;
		*base = scale * tm->base[tm->nout == 1 ? 0 : k];
	}
	for (int t = 0; t < f->ntrees; t++)
	{
		if (tm->kind == TREE_GB && tm->nout > 1 && tm->tree_out[t] != k)
			continue;
		CHECK_FOR_INTERRUPTS();
		*base += tree_shap(f, t, channel, x, scale, contrib);
	}
}

/* ---------------------------------------------------------------------
 * Stored state
 * ---------------------------------------------------------------------
 */

static void
tree_write(StringInfo buf, const MldbModel *m)
{
	const TreeModel *tm = (const TreeModel *) m->params;

	bin_write_int32(buf, tm->kind);
	bin_write_int32(buf, tm->nout);
	bin_write_float8_array(buf, tm->base, tm->nout);
	forest_write(buf, tm->forest);
	if (tm->kind == TREE_GB)
		for (int t = 0; t < tm->forest->ntrees; t++)
			bin_write_int32(buf, tm->tree_out[t]);
}

static void *
tree_read(BinReader *r, const MldbModel *m)
{
	TreeModel  *tm = palloc0(sizeof(TreeModel));
	int			K = m->spec->nclasses;
	int			nvalues;

	tm->kind = bin_read_int32(r);
	tm->nout = bin_read_int32(r);
	if (tm->kind < TREE_DT || tm->kind > TREE_GB ||
		tm->nout != (tm->kind == TREE_GB ? (K > 2 ? K : 1) : (K > 0 ? K : 1)))
		bin_corrupted(r, "tree model kind or outputs out of range");
	tm->base = bin_read_float8_array(r, tm->nout);
	nvalues = tm->kind == TREE_GB ? 1 : tm->nout;
	tm->forest = forest_read(r, m->spec->dim, nvalues);
	if (tm->kind == TREE_GB)
	{
		tm->tree_out = palloc(sizeof(int32) * tm->forest->ntrees);
		for (int t = 0; t < tm->forest->ntrees; t++)
		{
			tm->tree_out[t] = bin_read_int32(r);
			if (tm->tree_out[t] < 0 || tm->tree_out[t] >= tm->nout)
				bin_corrupted(r, "tree output out of range");
		}
	}
	return tm;
}

/* ---------------------------------------------------------------------
 * Registry entries: each algorithm in a regression and a classification
 * flavour; the registry lists the first, for_target picks.
 * ---------------------------------------------------------------------
 */

static const MldbAlgorithm *tree_for_target(const MldbAlgorithm *self, Jsonb *options,
											 Oid target_type);

#define TREE_ALGORITHM(NAME, ID, TASK, OPTS, TRAIN) { \
	.name = NAME, .id = ID, .task = TASK, .options = OPTS, \
	.score_metric = TASK == MLDB_TASK_REGRESSION ? "r2" : "accuracy", \
	.score_higher_is_better = true, .native_missing = true, \
	.for_target = tree_for_target, \
	.train = TRAIN, .predict = tree_predict, \
	.predict_proba = tree_predict_proba, \
	.explain = tree_explain, .write = tree_write, .read = tree_read }

const MldbAlgorithm decision_tree_algorithm =
TREE_ALGORITHM("decision_tree", 9, MLDB_TASK_REGRESSION, dt_options, dt_train);
const MldbAlgorithm random_forest_algorithm =
TREE_ALGORITHM("random_forest", 10, MLDB_TASK_REGRESSION, rf_options, rf_train);
const MldbAlgorithm gradient_boosting_algorithm =
TREE_ALGORITHM("gradient_boosting", 11, MLDB_TASK_REGRESSION, gb_options, gb_train);

static const MldbAlgorithm decision_tree_classifier =
TREE_ALGORITHM("decision_tree", 9, MLDB_TASK_CLASSIFICATION, dt_options, dt_train);
static const MldbAlgorithm random_forest_classifier =
TREE_ALGORITHM("random_forest", 10, MLDB_TASK_CLASSIFICATION, rf_options, rf_train);
static const MldbAlgorithm gradient_boosting_classifier =
TREE_ALGORITHM("gradient_boosting", 11, MLDB_TASK_CLASSIFICATION, gb_options, gb_train);

/*
 * Numeric targets are regression, text, boolean and enum labels are
 * classes, unless the option "task" says otherwise.
 */
static const MldbAlgorithm *
tree_for_target(const MldbAlgorithm *self, Jsonb *options, Oid target_type)
{
	static const MldbAlgorithm *const pairs[][2] = {
		{&decision_tree_algorithm, &decision_tree_classifier},
		{&random_forest_algorithm, &random_forest_classifier},
		{&gradient_boosting_algorithm, &gradient_boosting_classifier},
	};
	const char *task = opt_string(options, "task",
								  featurespec_numeric_conv(target_type) != NULL ? "regression" : "classification");

	for (int i = 0; i < (int) lengthof(pairs); i++)
		if (pairs[i][0]->id == self->id)
			return pairs[i][strcmp(task, "classification") == 0 ? 1 : 0];
	return self;
}
