/*-------------------------------------------------------------------------
 * algo_linear.c
 *	  The linear family: linear_regression (OLS with inference statistics),
 *	  ridge, lasso and elastic_net.  All four are fitted from the centered
 *	  moments of one PASS_GRAM scan (gram.c), so training costs one pass
 *	  whatever the penalty, and the hold-out metrics come from the hold-out
 *	  slot's moments of the same scan.
 *
 *	  Penalty scaling follows scikit-learn so alpha values carry over:
 *	    ridge:        ||y - Xb||^2 + alpha ||b||^2                 (sklearn Ridge)
 *	    elastic_net:  1/(2n) ||y - Xb||^2 + alpha l1_ratio ||b||_1
 *	                  + alpha (1 - l1_ratio)/2 ||b||^2              (sklearn ElasticNet)
 *	    lasso:        elastic_net with l1_ratio = 1                  (sklearn Lasso)
 *	  The intercept is never penalised (solving on centered data), and with
 *	  standardize (default on) the penalty applies to features scaled by
 *	  their population standard deviation, like StandardScaler + the model.
 *	  Coefficients are always reported on the original scale.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "gram.h"
#include "profile.h"
#include "linalg.h"
#include "model.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

typedef enum LinearKind
{
	LINEAR_OLS,
	LINEAR_RIDGE,
	LINEAR_LASSO,
	LINEAR_ENET
} LinearKind;

/* What predict needs, plus the training moments for explain and update. */
typedef struct LinearParams
{
	int			p;
	double		intercept;
	double	   *coef;
	Moments    *train;			/* sufficient statistics, for explain and update */
	Moments    *holdout;
} LinearParams;

/* OLS solution and its inference statistics */
typedef struct OlsFit
{
	double	   *b;
	double	   *cov;			/* (X'X)^-1 on centered data, p x p */
	int			rank;
	bool		pinv;
	double		cond;
} OlsFit;

static const OptionDef ols_options[] = {{NULL}};
static const OptionDef ridge_options[] = {
	{"alpha", OPT_NUMBER, 0, INFINITY},
	{NULL}
};
static const OptionDef lasso_options[] = {
	{"alpha", OPT_NUMBER, 0, INFINITY},
	{"max_iter", OPT_INTEGER, 1, 1e9},
	{"tol", OPT_NUMBER, 0, 1, true},
	{NULL}
};
static const OptionDef enet_options[] = {
	{"alpha", OPT_NUMBER, 0, INFINITY},
	{"l1_ratio", OPT_NUMBER, 0, 1},
	{"max_iter", OPT_INTEGER, 1, 1e9},
	{"tol", OPT_NUMBER, 0, 1, true},
	{NULL}
};

#define DEFAULT_ALPHA		1.0
#define DEFAULT_L1_RATIO	0.5
#define DEFAULT_MAX_ITER	10000
#define DEFAULT_TOL			1e-8

/* Eigenvalues below this fraction of the largest count as zero. */
#define RANK_RCOND			1e-12

/* ---------------------------------------------------------------------
 * Helpers on moments: z = [x_1..x_p, y], M centered scatter
 * ---------------------------------------------------------------------
 */
#define Mxx(mo, i, j)	((mo)->M[(i) * (mo)->m + (j)])
#define Mxy(mo, i)		((mo)->M[(i) * (mo)->m + (mo)->m - 1])
#define Myy(mo)			((mo)->M[(mo)->m * (mo)->m - 1])

/*
 * A constant column is collinear with the intercept: say so by name rather
 * than let the solver report a rank deficiency nobody can trace.  Rounding
 * leaves a variance of order (eps * mean)^2 on a truly constant column.
 */
static void
check_constant_columns(const FeatureSpec *spec, const Moments *mo)
{
	for (int j = 0; j < spec->dim; j++)
	{
		double		var = Mxx(mo, j, j) / mo->n;
		double		mean = mo->mean[j];

		if (var <= 1e-20 * mean * mean || var == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature \"%s\" is constant in the training rows",
							featurespec_slot_name(spec, j)),
					 errhint("Leave it out of features: a constant carries no information beyond the intercept.")));
	}
}

/*
 * Metrics of the prediction b0 + x'b on the rows summarised by mo, exactly,
 * from their moments: with e = y - b0 - x'b,
 *   mean(e) = ybar - b0 - xbar'b,  n Var(e) = Myy - 2 b'Mxy + b'Mxx b.
 * (MAE needs the rows themselves: mldb.evaluate() reports it.)
 */
static Jsonb *
linear_metrics(const Moments *mo, double b0, const double *b, bool holdout)
{
	int			p = mo->m - 1;
	double		n = mo->n;
	double		mean_e = mo->mean[p] - b0;
	double		nvar_e = Myy(mo);
	double		sse;
	JsonWriter	w;

	for (int i = 0; i < p; i++)
	{
		double		row = 0;

		mean_e -= mo->mean[i] * b[i];
		for (int j = 0; j < p; j++)
			row += Mxx(mo, i, j) * b[j];
		nvar_e += b[i] * (row - 2 * Mxy(mo, i));
	}
	nvar_e = Max(nvar_e, 0.0);
	sse = nvar_e + n * mean_e * mean_e;

	jw_init(&w);
	jw_number(&w, "r2", 1.0 - sse / Myy(mo));
	jw_number(&w, "rmse", sqrt(sse / n));
	jw_number(&w, "mse", sse / n);
	jw_number(&w, "explained_variance", 1.0 - nvar_e / Myy(mo));
	jw_int(&w, "n", (int64) n);
	jw_string(&w, "split", holdout ? "holdout" : "train");
	return jw_finish(&w);
}

static void
coef_object(JsonWriter *w, const char *key, const FeatureSpec *spec, double b0,
			const double *b)
{
	jw_begin_object(w, key);
	jw_number(w, "(intercept)", b0);
	for (int j = 0; j < spec->dim; j++)
		jw_number(w, featurespec_slot_name(spec, j), b[j]);
	jw_end_object(w);
}

/*
 * Solve Mxx b = Mxy after equilibration (unit diagonal), by Cholesky when
 * the scaled matrix is well conditioned and by the eigen pseudo-inverse
 * otherwise (rank-deficient X; reported as solver "pseudo_inverse").
 */
static OlsFit
ols_solve(const Moments *mo)
{
	int			p = mo->m - 1;
	double	   *d = palloc(sizeof(double) * p);
	double	   *A = palloc(sizeof(double) * p * p);
	double	   *r = palloc(sizeof(double) * p);
	double	   *w = palloc(sizeof(double) * p);
	double	   *V = palloc(sizeof(double) * p * p);
	double	   *Ainv = palloc(sizeof(double) * p * p);
	OlsFit		fit;

	for (int i = 0; i < p; i++)
		d[i] = 1.0 / sqrt(Mxx(mo, i, i));
	for (int i = 0; i < p; i++)
	{
		r[i] = Mxy(mo, i) * d[i];
		for (int j = 0; j < p; j++)
			A[i * p + j] = Mxx(mo, i, j) * d[i] * d[j];
	}

	mldb_sym_eigen(p, A, w, V);
	fit.pinv = !(w[0] > RANK_RCOND * w[p - 1]) || !mldb_chol_inverse(p, A, Ainv);
	if (fit.pinv)
		fit.rank = mldb_sym_pinv(p, A, RANK_RCOND, Ainv);
	else
		fit.rank = p;

	fit.b = palloc0(sizeof(double) * p);
	if (!fit.pinv && mldb_chol_solve(p, A, r, fit.b))
		;
	else
	{
		for (int i = 0; i < p; i++)
		{
			fit.b[i] = 0;
			for (int j = 0; j < p; j++)
				fit.b[i] += Ainv[i * p + j] * r[j];
		}
	}
	fit.cov = palloc(sizeof(double) * p * p);
	for (int i = 0; i < p; i++)
	{
		fit.b[i] *= d[i];
		for (int j = 0; j < p; j++)
			fit.cov[i * p + j] = Ainv[i * p + j] * d[i] * d[j];
	}
	return fit;
}

/*
 * Condition number of X'X with the intercept column, as MADlib reports it
 * (linregr's condition_no), from the uncentered cross-products.
 */
static double
raw_condition_number(const Moments *mo)
{
	int			p = mo->m - 1;
	int			q = p + 1;
	double	   *G = palloc(sizeof(double) * q * q);
	double		n = mo->n;

	G[0] = n;
	for (int i = 0; i < p; i++)
	{
		G[(i + 1)] = G[(i + 1) * q] = n * mo->mean[i];
		for (int j = 0; j < p; j++)
			G[(i + 1) * q + j + 1] = Mxx(mo, i, j) + n * mo->mean[i] * mo->mean[j];
	}
	return mldb_sym_cond(q, G);
}

static void
ols_params(JsonWriter *w, const FeatureSpec *spec, const Moments *mo,
		   double b0, const OlsFit *fit)
{
	int			p = spec->dim;
	double		n = mo->n;
	double		sse = Myy(mo);
	double		df = n - fit->rank - 1;
	double		sigma2;
	double		var0;
	double	   *se = palloc(sizeof(double) * p);
	double		r2;

	for (int i = 0; i < p; i++)
		sse -= fit->b[i] * Mxy(mo, i);
	sse = Max(sse, 0.0);
	sigma2 = df > 0 ? sse / df : NAN;
	r2 = 1.0 - sse / Myy(mo);

	/* Var(b0) = sigma^2 (1/n + xbar' (Xc'Xc)^-1 xbar) */
	var0 = 1.0 / n;
	for (int i = 0; i < p; i++)
	{
		se[i] = sqrt(sigma2 * fit->cov[i * p + i]);
		for (int j = 0; j < p; j++)
			var0 += mo->mean[i] * fit->cov[i * p + j] * mo->mean[j];
	}
	var0 = sqrt(sigma2 * var0);

	coef_object(w, "coef", spec, b0, fit->b);
	coef_object(w, "std_err", spec, var0, se);
	jw_begin_object(w, "t_stats");
	jw_number(w, "(intercept)", b0 / var0);
	for (int j = 0; j < p; j++)
		jw_number(w, featurespec_slot_name(spec, j), fit->b[j] / se[j]);
	jw_end_object(w);
	jw_begin_object(w, "p_values");
	jw_number(w, "(intercept)", mldb_t_pvalue(b0 / var0, df));
	for (int j = 0; j < p; j++)
		jw_number(w, featurespec_slot_name(spec, j), mldb_t_pvalue(fit->b[j] / se[j], df));
	jw_end_object(w);
	jw_number(w, "r2", r2);
	jw_number(w, "adj_r2", 1.0 - (1.0 - r2) * (n - 1) / df);
	jw_number(w, "sigma", sqrt(sigma2));
	jw_number(w, "condition_no", raw_condition_number(mo));
	jw_number(w, "df_resid", df);
	jw_int(w, "n", (int64) n);
	jw_int(w, "rank", fit->rank + 1);	/* of the design, intercept included */
	jw_string(w, "solver", fit->pinv ? "pseudo_inverse" : "cholesky");
	/* dummy coding: the level each categorical column is compared with */
	jw_begin_object(w, "reference_levels");
	for (int i = 0; i < spec->ncols; i++)
		if (spec->cols[i].kind == FEATURE_CATEGORICAL && spec->cols[i].drop_first)
			jw_string(w, spec->cols[i].name, spec->cols[i].levels[0]);
	jw_end_object(w);
}

/* ---------------------------------------------------------------------
 * Training
 * ---------------------------------------------------------------------
 */

/* A fitted line: intercept and coefficients on the original scale. */
typedef struct LinearFit
{
	double		b0;
	double	   *b;
	OlsFit		ols;			/* LINEAR_OLS only */
	int			iters;			/* coordinate descent sweeps, -1 = not converged */
} LinearFit;

static void
intercept_from_means(const Moments *tr, LinearFit *f)
{
	int			p = tr->m - 1;

	f->b0 = tr->mean[p];
	for (int j = 0; j < p; j++)
		f->b0 -= tr->mean[j] * f->b[j];
}

/*
 * Fit on the training moments tr with the settings in options (alpha,
 * l1_ratio, ...).  quiet: a cross-validation fit, which says nothing.
 */
static LinearFit
linear_fit(LinearKind kind, const Moments *tr, Jsonb *options, bool quiet)
{
	int			p = tr->m - 1;
	LinearFit	f = {0};
	bool		standardize = opt_bool(options, "standardize", true);
	double		alpha = opt_number(options, "alpha", DEFAULT_ALPHA);
	double		l1_ratio = kind == LINEAR_RIDGE ? 0.0 : kind == LINEAR_LASSO ? 1.0 :
		opt_number(options, "l1_ratio", DEFAULT_L1_RATIO);
	int			max_iter = (int) opt_int(options, "max_iter", DEFAULT_MAX_ITER);
	double	   *s;
	double	   *G;
	double	   *c;

	if (kind == LINEAR_OLS)
	{
		f.ols = ols_solve(tr);
		f.b = f.ols.b;
		if (f.ols.pinv && !quiet)
			ereport(NOTICE,
					(errmsg("features are collinear: design rank %d of %d, solved with the pseudo-inverse",
							f.ols.rank + 1, p + 1),
					 errhint("Coefficients of collinear features are not identified; consider dropping some, or use ridge.")));
		intercept_from_means(tr, &f);
		return f;
	}

	s = palloc(sizeof(double) * p);
	G = palloc(sizeof(double) * p * p);
	c = palloc(sizeof(double) * p);
	for (int j = 0; j < p; j++)
		s[j] = standardize ? sqrt(Mxx(tr, j, j) / tr->n) : 1.0;
	for (int i = 0; i < p; i++)
	{
		c[i] = Mxy(tr, i) / s[i];
		for (int j = 0; j < p; j++)
			G[i * p + j] = Mxx(tr, i, j) / (s[i] * s[j]);
	}
	f.b = palloc0(sizeof(double) * p);
	if (kind == LINEAR_RIDGE)
	{
		for (int j = 0; j < p; j++)
			G[j * p + j] += alpha;
		if (!mldb_chol_solve(p, G, c, f.b))
		{
			double	   *Ginv = palloc(sizeof(double) * p * p);
			int			rank = mldb_sym_pinv(p, G, RANK_RCOND, Ginv);

			if (!quiet)
				ereport(NOTICE,
						(errmsg("ridge system is singular (rank %d of %d): solved with the pseudo-inverse",
								rank, p),
						 errhint("With alpha = 0 ridge is OLS; collinear features are not identified.")));
			for (int i = 0; i < p; i++)
				for (int j = 0; j < p; j++)
					f.b[i] += Ginv[i * p + j] * c[j];
		}
	}
	else
	{
		/*
		 * The 1/n of sklearn's ElasticNet objective; and y scaled to unit
		 * variance (c and l1 by 1/sd_y, b back by sd_y), so that tol bounds
		 * the duality gap relative to Var(y), as sklearn's tol * y'y does.
		 */
		double		sd_y = sqrt(Myy(tr) / tr->n);
		double		ys = sd_y > 0 ? sd_y : 1.0;

		for (int i = 0; i < p * p; i++)
			G[i] /= tr->n;
		for (int i = 0; i < p; i++)
			c[i] /= tr->n * ys;
		f.iters = mldb_enet_cd(p, G, c, alpha * l1_ratio / ys, alpha * (1 - l1_ratio),
							   max_iter, opt_number(options, "tol", DEFAULT_TOL), f.b);
		for (int j = 0; j < p; j++)
			f.b[j] *= ys;
		if (f.iters < 0 && !quiet)
			ereport(WARNING,
					(errmsg("coordinate descent did not converge in %d iterations", max_iter),
					 errhint("Raise max_iter or tol, or increase alpha.")));
	}
	for (int j = 0; j < p; j++)
		f.b[j] /= s[j];
	intercept_from_means(tr, &f);
	return f;
}

/* R^2 of b0 + x'b on the rows summarised by mo (see linear_metrics). */
static double
moments_r2(const Moments *mo, double b0, const double *b)
{
	Jsonb	   *m = linear_metrics(mo, b0, b, true);
	JsonbValue	k;
	JsonbValue *v;

	k.type = jbvString;
	k.val.string.val = "r2";
	k.val.string.len = 2;
	v = findJsonbValueFromContainer(&m->root, JB_FOBJECT, &k);
	return v && v->type == jbvNumeric ?
		DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric))) : NAN;
}

/*
 * Cross-validated search from the fold slots of one pass: each setting is
 * fitted on the other folds' merged moments and scored (R^2) on the held
 * fold's moments, so k folds x S settings cost no extra scan.  Writes the
 * trials to w and returns the best setting's options.
 */
static Jsonb *
linear_search(LinearKind kind, const FeatureSpec *spec, void *acc, int nfolds,
			  List *settings, JsonWriter *w)
{
	Jsonb	   *best = NULL;
	Jsonb	   *best_params = NULL;
	double		best_score = -INFINITY;
	ListCell   *lc;
	double	   *scores = palloc(sizeof(double) * nfolds);

	jw_int(w, "cv", nfolds);
	jw_begin_array(w, "trials");
	foreach(lc, settings)
	{
		SearchSetting *setting = (SearchSetting *) lfirst(lc);
		Jsonb	   *opts = setting->options;
		double		mean = 0;
		double		var = 0;
		instr_time	start;

		INSTR_TIME_SET_CURRENT(start);
		for (int f = 0; f < nfolds; f++)
		{
			Moments    *both[2];
			LinearFit	fit;

			CHECK_FOR_INTERRUPTS();
			both[0] = gram_moments_except(acc, 1, nfolds, f + 1);
			both[1] = gram_moments(acc, f + 1, f + 1);
			if (both[1]->n == 0 || both[0]->n < 2)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cv = %d leaves fold %d without rows", nfolds, f + 1),
						 errhint("Use fewer folds than training rows.")));
			(void) gram_resolve_indicators(spec, both, 2);
			fit = linear_fit(kind, both[0], opts, true);
			scores[f] = moments_r2(both[1], fit.b0, fit.b);
			mean += scores[f] / nfolds;
		}
		for (int f = 0; f < nfolds; f++)
			var += (scores[f] - mean) * (scores[f] - mean) / nfolds;

		jw_begin_object(w, NULL);
		jw_raw(w, "params", JsonbToCString(NULL, &setting->params->root, VARSIZE(setting->params)));
		jw_number(w, "mean_r2", mean);
		jw_number(w, "std_r2", sqrt(var));
		jw_begin_array(w, "fold_r2");
		for (int f = 0; f < nfolds; f++)
			jw_number(w, NULL, scores[f]);
		jw_end_array(w);
		jw_number(w, "time_ms", mldb_elapsed_ms(start));
		jw_end_object(w);
		if (mean > best_score || best == NULL)
		{
			best_score = mean;
			best = opts;
			best_params = setting->params;
		}
	}
	jw_end_array(w);
	jw_raw(w, "best_params", JsonbToCString(NULL, &best_params->root, VARSIZE(best_params)));
	jw_number(w, "best_mean_r2", best_score);
	return best;
}

static void linear_finish(LinearKind kind, const FeatureSpec *spec, Moments *tr, Moments *ho,
						  Jsonb *options, TrainOutput *out);

static void
linear_train(const TrainInput *in, TrainOutput *out, LinearKind kind)
{
	const FeatureSpec *spec = in->spec;
	List	   *settings = options_search_settings(in->options, out->model->algo->options,
												   out->model->algo->name);
	int			nfolds = settings != NIL ? (int) opt_int(in->options, "cv", 5) : 1;
	Jsonb	   *options = in->options;
	PassCtx		ctx = {0};
	PassResult	res;
	Moments    *both[2];
	JsonWriter	w;

	ctx.kind = PASS_GRAM;
	ctx.spec = in->spec;
	ctx.seed = in->seed;
	ctx.test_size = in->test_size;
	ctx.nfolds = nfolds;
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	out->rows_skipped = res.rows_skipped;
	if (res.acc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("relation has no rows to train on"),
				 errhint("Check the relation, or the query's WHERE clause.")));
	if (featurespec_has_dynamic(spec))
	{
		/*
		 * One pass (prepare_features left the categorical columns'
		 * levels to it): fix the vocabularies from the training rows'
		 * counts and put the moments and the sample in the final layout.
		 * The training driver reads in->spec with the sample, so it
		 * becomes the final spec too.
		 */
		bool		rerun;
		Profile    *prof;
		FeatureSpec *fs = gram_resolve_levels(res.acc, spec,
											  (int) opt_int(in->options, "max_categories", MLDB_DEFAULT_MAX_CATEGORIES),
											  out->model->algo->onehot_drop_first, nfolds,
											  pass_peek_sample(), &rerun, &prof);

		profile_stash(prof);

		*(FeatureSpec *) in->spec = *fs;
		if (rerun)
		{
			/* too many levels to keep moments for: a second pass */
			ctx.spec = in->spec;
			res = pass_run(&ctx, in->from_sql, in->args_sql);
			out->rows_skipped = res.rows_skipped;
		}
	}

	if (settings != NIL)
	{
		jw_init(&w);
		jw_string(&w, "search_method", opt_string(in->options, "search_method", "grid"));
		options = linear_search(kind, spec, res.acc, nfolds, settings, &w);
		out->training_info = jw_finish(&w);
	}

	both[0] = gram_moments(res.acc, 1, nfolds);
	both[1] = gram_moments(res.acc, PASS_HOLDOUT_SLOT, PASS_HOLDOUT_SLOT);
	if (both[0]->n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("only %.0f usable training rows", both[0]->n),
				 errdetail(INT64_FORMAT " rows read, " INT64_FORMAT " skipped for a NULL or non-finite target or missing feature, %.0f held out.",
						   res.rows_seen, res.rows_skipped, both[1]->n),
				 errhint("Training needs at least two rows with a non-NULL target.")));
	/* numeric NULLs came as indicators: impute the training means */
	out->spec = gram_resolve_indicators(spec, both, 2);
	linear_finish(kind, out->spec, both[0], both[1], options, out);
}

/*
 * Fit on the training moments, describe the fit, score it on the hold-out
 * moments (or on the training ones without a hold-out), and keep both
 * moments in the state for explain and update.
 */
static void
linear_finish(LinearKind kind, const FeatureSpec *spec, Moments *tr, Moments *ho,
			  Jsonb *options, TrainOutput *out)
{
	LinearParams *lp = palloc0(sizeof(LinearParams));
	int			p = spec->dim;
	LinearFit	fit;
	JsonWriter	w;

	out->rows_used = (int64) tr->n;
	if (kind == LINEAR_OLS && tr->n < p + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fewer training rows (%.0f) than coefficients (%d)", tr->n, p + 1),
				 errhint("Use fewer features, more rows, or a penalised model such as ridge.")));
	check_constant_columns(spec, tr);

	fit = linear_fit(kind, tr, options, false);
	jw_init(&w);
	if (kind == LINEAR_OLS)
		ols_params(&w, spec, tr, fit.b0, &fit.ols);
	else
	{
		coef_object(&w, "coef", spec, fit.b0, fit.b);
		jw_number(&w, "alpha", opt_number(options, "alpha", DEFAULT_ALPHA));
		if (kind != LINEAR_RIDGE)
		{
			jw_number(&w, "l1_ratio", kind == LINEAR_LASSO ? 1.0 :
					  opt_number(options, "l1_ratio", DEFAULT_L1_RATIO));
			jw_int(&w, "iterations", fit.iters >= 0 ? fit.iters :
				   opt_int(options, "max_iter", DEFAULT_MAX_ITER));
			jw_bool(&w, "converged", fit.iters >= 0);
		}
		jw_bool(&w, "standardize", opt_bool(options, "standardize", true));
		jw_int(&w, "n", (int64) tr->n);
	}
	out->params = jw_finish(&w);

	out->scores_holdout = ho->n >= 2;
	out->metrics = linear_metrics(out->scores_holdout ? ho : tr, fit.b0, fit.b, out->scores_holdout);

	lp->p = p;
	lp->intercept = fit.b0;
	lp->coef = fit.b;
	lp->train = tr;
	lp->holdout = ho;
	out->model->params = lp;
}

/*
 * mldb.update: the new rows' moments, encoded with the deployed version's
 * spec, merged into the moments it kept (Chan et al.'s exact merge); the
 * refit is the fit on old and new rows together.
 */
static void
linear_update(const MldbModel *old, const TrainInput *in, TrainOutput *out, LinearKind kind)
{
	const LinearParams *olp = (const LinearParams *) old->params;
	PassCtx		ctx = {0};
	PassResult	res;
	Moments    *tr;
	Moments    *ho;

	ctx.kind = PASS_GRAM;
	ctx.spec = in->spec;
	ctx.seed = in->seed;
	ctx.test_size = in->test_size;
	ctx.nfolds = 1;
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	out->rows_skipped = res.rows_skipped;
	if (res.acc == NULL || gram_moments(res.acc, 1, 1)->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no new training rows to update model \"%s\" with", in->model_name),
				 errdetail(INT64_FORMAT " rows read, " INT64_FORMAT " skipped.", res.rows_seen, res.rows_skipped),
				 errhint("The relation (or its training split) has no rows with a target.")));
	tr = moments_copy(olp->train);
	ho = moments_copy(olp->holdout);
	moments_merge_full(tr, gram_moments(res.acc, 1, 1));
	moments_merge_full(ho, gram_moments(res.acc, PASS_HOLDOUT_SLOT, PASS_HOLDOUT_SLOT));
	linear_finish(kind, in->spec, tr, ho, in->options, out);
}

static void
ols_update(const MldbModel *old, const TrainInput *in, TrainOutput *out)
{
	linear_update(old, in, out, LINEAR_OLS);
}

static void
ridge_update(const MldbModel *old, const TrainInput *in, TrainOutput *out)
{
	linear_update(old, in, out, LINEAR_RIDGE);
}

static void
lasso_update(const MldbModel *old, const TrainInput *in, TrainOutput *out)
{
	linear_update(old, in, out, LINEAR_LASSO);
}

static void
enet_update(const MldbModel *old, const TrainInput *in, TrainOutput *out)
{
	linear_update(old, in, out, LINEAR_ENET);
}

static void
ols_train(const TrainInput *in, TrainOutput *out)
{
	linear_train(in, out, LINEAR_OLS);
}

static void
ridge_train(const TrainInput *in, TrainOutput *out)
{
	linear_train(in, out, LINEAR_RIDGE);
}

static void
lasso_train(const TrainInput *in, TrainOutput *out)
{
	linear_train(in, out, LINEAR_LASSO);
}

static void
enet_train(const TrainInput *in, TrainOutput *out)
{
	linear_train(in, out, LINEAR_ENET);
}

/* ---------------------------------------------------------------------
 * Predict and state
 * ---------------------------------------------------------------------
 */
static double
linear_predict(const MldbModel *m, const double *x)
{
	const LinearParams *lp = (const LinearParams *) m->params;
	double		yhat = lp->intercept;

	for (int j = 0; j < lp->p; j++)
		yhat += lp->coef[j] * x[j];
	return yhat;
}

/*
 * coef_j * (x_j - mean_j), with the prediction at the training means as
 * the base value: the contributions sum exactly to the prediction.
 */
static void
linear_explain(const MldbModel *m, const double *x, double *contrib, double *base)
{
	const LinearParams *lp = (const LinearParams *) m->params;

	*base = lp->intercept;
	for (int j = 0; j < lp->p; j++)
	{
		contrib[j] = lp->coef[j] * (x[j] - lp->train->mean[j]);
		*base += lp->coef[j] * lp->train->mean[j];
	}
}

static void
linear_write(StringInfo buf, const MldbModel *m)
{
	const LinearParams *lp = (const LinearParams *) m->params;

	bin_write_int32(buf, lp->p);
	bin_write_float8(buf, lp->intercept);
	bin_write_float8_array(buf, lp->coef, lp->p);
	moments_write(buf, lp->train);
	moments_write(buf, lp->holdout);
}

static void *
linear_read(BinReader *r, const MldbModel *m)
{
	LinearParams *lp = palloc0(sizeof(LinearParams));

	lp->p = bin_read_int32(r);
	if (lp->p != m->spec->dim)
		bin_corrupted(r, "coefficient count does not match the features");
	lp->intercept = bin_read_float8(r);
	lp->coef = bin_read_float8_array(r, lp->p);
	lp->train = moments_read(r, lp->p + 1);
	lp->holdout = moments_read(r, lp->p + 1);
	return lp;
}

const MldbAlgorithm linear_regression_algorithm = {
	.name = "linear_regression", .id = 1, .task = MLDB_TASK_REGRESSION,
	.score_metric = "r2", .score_higher_is_better = true, .deferred_impute = true,
	.supports_search = true,
	.onehot_drop_first = true,
	.options = ols_options, .train = ols_train, .update = ols_update,
	.predict = linear_predict, .explain = linear_explain,
	.write = linear_write, .read = linear_read,
};

const MldbAlgorithm ridge_algorithm = {
	.name = "ridge", .id = 2, .task = MLDB_TASK_REGRESSION,
	.score_metric = "r2", .score_higher_is_better = true, .deferred_impute = true,
	.supports_search = true,
	.options = ridge_options, .train = ridge_train, .update = ridge_update,
	.predict = linear_predict, .explain = linear_explain,
	.write = linear_write, .read = linear_read,
};

const MldbAlgorithm lasso_algorithm = {
	.name = "lasso", .id = 3, .task = MLDB_TASK_REGRESSION,
	.score_metric = "r2", .score_higher_is_better = true, .deferred_impute = true,
	.supports_search = true,
	.options = lasso_options, .train = lasso_train, .update = lasso_update,
	.predict = linear_predict, .explain = linear_explain,
	.write = linear_write, .read = linear_read,
};

const MldbAlgorithm elastic_net_algorithm = {
	.name = "elastic_net", .id = 4, .task = MLDB_TASK_REGRESSION,
	.score_metric = "r2", .score_higher_is_better = true, .deferred_impute = true,
	.supports_search = true,
	.options = enet_options, .train = enet_train, .update = enet_update,
	.predict = linear_predict, .explain = linear_explain,
	.write = linear_write, .read = linear_read,
};
