/*-------------------------------------------------------------------------
 * algo_logistic.c
 *	  logistic_regression: binary and multinomial (softmax) logistic
 *	  regression fitted by Newton's method, one parallel pass per iteration.
 *
 *	  Model.  With K classes (spec->classes order) and q = p + 1
 *	  coefficients per vector (intercept first), class k has the linear
 *	  predictor eta_k = b_k'[1, x] and P(k | x) = exp(eta_k) / sum_l exp(eta_l).
 *	  The free coefficient vectors are
 *	    K = 2:              one, for classes[1] against classes[0] (eta_0 = 0),
 *	                        scikit-learn's binary model;
 *	    K > 2, no penalty:  K - 1, against the reference classes[0] (eta_0 = 0),
 *	                        as statsmodels' MNLogit (K vectors would not be
 *	                        identified);
 *	    K > 2, L2:          K, all penalised, as scikit-learn's multinomial
 *	                        model; the loss sees the intercepts only up to a
 *	                        common shift, so they are kept summing to zero.
 *	  Objective, scikit-learn's divided by C:
 *	      F(b) = sum_i -log P(y_i | x_i) + (alpha / 2) sum_k ||w_k||^2,
 *	  alpha = 1/C, w_k the slopes; intercepts are never penalised.  With
 *	  standardize (default for the L2 penalty) the penalty applies to the
 *	  slopes of the features scaled to unit population variance (as
 *	  StandardScaler + LogisticRegression); params always report
 *	  coefficients on the original scale.
 *
 *	  Working space.  Every fit is computed on z = (x - mean) / sd (mean and
 *	  population sd of the fit's training rows; sd 1 for a constant column):
 *	  an affine reparametrisation, so the unpenalised optimum is unchanged
 *	  and without standardize the penalty weights become alpha / sd_j^2,
 *	  while the Newton systems stay well scaled whatever the units.
 *
 *	  Passes (PASS_LOGISTIC, all parallel-capable aggregates whose partial
 *	  states add exactly; after the driver's profile, which a boolean label
 *	  on numeric features skips: the moments pass then probes for missing
 *	  values, see probe_spec and MldbAlgorithm.probes_missing):
 *	  1. moments: per slot, class counts, class means of x and (through the
 *	     gram accumulator) the centred scatter of x, plus a bottom-k sample
 *	     of the training rows (sample.c; deterministic, SAMPLE_ROWS at
 *	     most).  At the start point -- intercepts the log class priors,
 *	     slopes 0 -- every row has the same probabilities, so the loss,
 *	     gradient and Hessian there are exact functions of these moments:
 *	     this pass is also Newton iteration 1.  Then Newton's method runs in
 *	     memory on the sample (penalty scaled by sample rows / training
 *	     rows) to a start within sampling error of the optimum -- the
 *	     optimum itself when the sample holds every training row -- which
 *	     saves the first full passes (fit_on_sample);
 *	  2. Newton: the current coefficients of every fit travel in ctx->extra;
 *	     per fit the pass sums over its training rows the loss, gradient and
 *	     Hessian sum_i (diag(p_i) - p_i p_i') (x) z_i z_i' -- each symmetric
 *	     q x q block folded in batches by one cblas_dsyrk of sqrt|w|-scaled
 *	     rows (w = p_k (1 - p_k) on the diagonal blocks, -p_k p_l off it) --
 *	     and over its evaluation rows the log-loss, the hits and a
 *	     confusion matrix.
 *	  The step solves H s = -g by Cholesky on the equilibrated H, or by the
 *	  eigen pseudo-inverse when H is singular (collinear features of an
 *	  unpenalised model: NOTICE).  A step that does not lower F is halved,
 *	  at most MAX_HALVINGS times, at one pass per halving.
 *
 *	  Stopping.  Converged when max_j |s_j| / max(1, |b_j|) < tol on the
 *	  working scale (default 1e-6): Newton converges quadratically, so the
 *	  coefficients are then accurate to about tol^2.  The last step is
 *	  applied; the statistics and hold-out metrics are those of the pass
 *	  that computed it, as MADlib's IRLS reports them (they differ from
 *	  the values at the stepped coefficients at the order of the step),
 *	  unless the step exceeds NEGLIGIBLE_STEP (a large tol): then one more
 *	  pass scores the final coefficients.  So the training metrics cost no
 *	  extra scan.  max_iter caps the Newton steps (WARNING when reached).
 *
 *	  Separation (unpenalised fits only: the L2 optimum always exists).  If
 *	  at some iterate every training row's own class has the strictly
 *	  largest eta, the rows are completely separated: scaling b up lowers F
 *	  without bound, the maximum-likelihood estimate does not exist.  Quasi-
 *	  complete separation is recognised by Newton's signature there: steps
 *	  that stop shrinking (each at least half the previous, three in a row)
 *	  while the coefficients grow, the objective is flat (relative decrease
 *	  below FLAT_OBJECTIVE) and some rows are already fitted with
 *	  probability > 1 - 1e-6; a working-scale coefficient above
 *	  DIVERGED_COEF stops the fit too.  All stop with a WARNING,
 *	  "separable": true in params and the finite coefficients reached; no
 *	  inference statistics are reported then.
 *
 *	  Hyperparameter search runs every (setting, fold) fit and every
 *	  setting's final fit side by side: one pass per iteration serves them
 *	  all; the best setting by mean fold accuracy (ties: lower log-loss)
 *	  is the model.
 *
 *	  L-BFGS.  Option solver: "newton", "lbfgs" or "auto" (default: Newton
 *	  up to LOGISTIC_MAX_PARAMS coefficients, L-BFGS beyond).  L-BFGS
 *	  minimises the same F on the same working scale from the moments start
 *	  (whose F and g are exact, so the first direction costs no pass); each
 *	  function/gradient evaluation is one pass of PASS_LOGISTIC with the
 *	  fit's with_hess off: loss and gradient only, states still adding
 *	  exactly.  See fit_advance_lbfgs for the line search and the stopping
 *	  rule (||g||_inf <= tol max(1, F)).  No sample start, no inference
 *	  statistics (they need the Hessian).
 *
 *	  Inference for unpenalised binary models follows MADlib's logregr:
 *	  std_err from the inverse Hessian (transformed to the original scale),
 *	  Wald z statistics, two-sided normal p-values, odds ratios, and
 *	  condition_no = sqrt(cond(X'WX)) of the Hessian on the original scale
 *	  with the intercept column (MADlib's stateToResult).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include <cblas.h>

#include "catalog.h"
#include "gram.h"
#include "linalg.h"
#include "metrics.h"
#include "miscadmin.h"
#include "model.h"
#include "pass.h"
#include "predict.h"
#include "sample.h"
#include "train.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#define LOGISTIC_MAX_PARAMS	1000	/* free coefficients Newton may solve for */
#define LBFGS_MAX_PARAMS	1000000 /* ... and L-BFGS */
#define LBFGS_MEM			10		/* L-BFGS correction pairs kept */
#define LBFGS_C1			1e-4	/* Armijo (sufficient decrease) constant */
#define LBFGS_C2			0.9		/* Wolfe curvature constant */
#define LBFGS_FLAT			1e-12	/* relative F change within rounding */
#define DEFAULT_C			1.0
#define DEFAULT_MAX_ITER	100
#define DEFAULT_TOL			1e-6
#define DEFAULT_CV			5
#define NEGLIGIBLE_STEP		1e-6	/* last step that needs no scoring pass */
#define SATURATED_LOSS		1e-6	/* -log p_y below this: p_y > 1 - 1e-6 */
#define MAX_HALVINGS		30
#define DIVERGED_COEF		1e4		/* working-scale coefficient: diverging */
#define FLAT_OBJECTIVE		1e-3	/* relative decrease of F per step: flat */
#define HESS_BATCH			64		/* rows per cblas_dsyrk */
#define LOGLOSS_EPS			1e-15	/* as mldb.log_loss and scikit-learn 1.2 */
#define RANK_RCOND			1e-12
#define SAMPLE_ROWS			20000	/* bottom-k sample of the moments pass */
#define AUC_MAX_CLASSES		50		/* as mldb.evaluate's one-vs-rest */
#define AUC_MAX_DOUBLES		8000000 /* kept evaluation scores, else no ROC AUC */
#define AUC_ALWAYS_ROWS		50000	/* up to this many evaluation rows, every pass keeps them */
#define SAMPLE_DOUBLES		2000000 /* ... and at most this many doubles of x */

/* extra: what a pass computes */
#define LOGIT_MOMENTS		1
#define LOGIT_NEWTON		2

/* eval_slot values besides a slot number */
#define EVAL_TRAIN			(-1)	/* score the training rows (no hold-out) */

extern const PassKind gram_pass_kind;
extern const MldbAlgorithm logistic_regression_algorithm;

static const char *const penalty_choices[] = {"l2", "none", NULL};
static const char *const solver_choices[] = {"auto", "newton", "lbfgs", NULL};

static const OptionDef logistic_options[] = {
	{"C", OPT_NUMBER, 0, INFINITY, true},
	{"alpha", OPT_NUMBER, 0, INFINITY},
	{"penalty", OPT_STRING, .choices = penalty_choices},
	{"max_iter", OPT_INTEGER, 1, 1e6},
	{"tol", OPT_NUMBER, 0, 1, true},
	{"warm_start", OPT_BOOL},
	{"solver", OPT_STRING, .choices = solver_choices},
	{NULL}
};

/* What predict needs: coefficients on the original scale. */
typedef struct LogisticParams
{
	int			K;				/* classes */
	int			m;				/* free vectors: K - 1 (reference classes[0]) or K */
	int			p;				/* features */
	double	   *coef;			/* m x (p + 1), intercept first */
	double	   *eta;			/* K scratch (one backend, no reentry) */
} LogisticParams;

/* ---------------------------------------------------------------------
 * The pass accumulator
 * ---------------------------------------------------------------------
 */

/* One fit's sums over one pass (Newton mode). */
typedef struct FitAcc
{
	int			m;
	int			q;
	int			npairs;			/* m (m + 1) / 2 Hessian blocks */
	int			except_slot;	/* training slots: 1..nfolds but this one */
	int			eval_slot;		/* slot scored, or EVAL_TRAIN */
	bool		with_hess;		/* Newton: sum the Hessian; L-BFGS: loss and gradient only */
	double	   *mu;				/* p */
	double	   *inv_sd;			/* p */
	double	   *beta;			/* m x q, working space */
	/* training rows */
	double		n;
	double		loss;			/* sum of -log p_y */
	double		nsat;			/* rows with -log p_y < SATURATED_LOSS */
	double		nwrong;			/* rows whose own eta is not strictly largest */
	double	   *grad;			/* m x q */
	double	   *hess;			/* npairs blocks of q x q, upper triangles */
	/* evaluation rows */
	double		en;
	double		eloss;			/* sum of clipped -log p_y */
	double		ecorrect;
	double	   *conf;			/* K x K, actual x predicted */
	/* evaluation rows' scores for ROC AUC, when kept (nauc > 0) */
	int			nauc;			/* 1 (binary: p of the second class) or K */
	int64		ne;
	int64		ecap;
	double	   *escore;			/* ne x (1 + nauc): the class, the scores */
	/* pending Hessian rows */
	int			nbuf;
	double	   *zbuf;			/* HESS_BATCH x q: z, or sqrt(w) z when m = 1 */
	double	   *wbuf;			/* HESS_BATCH x npairs (m > 1) */
} FitAcc;

typedef struct LogitAcc
{
	int			mode;
	int			K;
	int			p;
	int			nslots;
	/* moments mode */
	void	   *gram;			/* PASS_GRAM accumulator: centred scatter per slot */
	double	   *cnt;			/* nslots x K rows */
	double	   *cmean;			/* nslots x K x p class means */
	int			sample_k;
	RowSample  *sample;			/* training rows, y = slot * K + class */
	/* Newton mode */
	int			nfits;
	FitAcc	   *fits;
	/* row scratch */
	double	   *z;				/* q */
	double	   *eta;			/* K */
	double	   *e;				/* K */
	double	   *prob;			/* K */
	double	   *scaled;			/* HESS_BATCH x q */
} LogitAcc;

static inline int
pair_index(int m, int a, int b)
{
	/* blocks (a, b), a <= b, row by row */
	return a * m - a * (a - 1) / 2 + (b - a);
}

static inline double
sigmoid(double t)
{
	if (t >= 0)
		return 1.0 / (1.0 + exp(-t));
	else
	{
		double		e = exp(t);

		return e / (1.0 + e);
	}
}

static void *
logit_create(const PassCtx *ctx)
{
	LogitAcc   *acc = palloc0(sizeof(LogitAcc));
	BinReader	r;
	int			q;

	binreader_init(&r, ctx->extra, ctx->extra_len, "logistic pass parameters");
	acc->mode = bin_read_int32(&r);
	acc->K = bin_read_int32(&r);
	acc->p = bin_read_int32(&r);
	acc->nfits = bin_read_int32(&r);
	acc->nslots = pass_nslots(ctx);
	if ((acc->mode != LOGIT_MOMENTS && acc->mode != LOGIT_NEWTON) ||
		acc->K < 2 || acc->K != ctx->spec->nclasses || acc->p != ctx->spec->dim ||
		acc->nfits < 0 || acc->nfits > 100000)
		bin_corrupted(&r, "logistic pass parameters out of range");
	q = acc->p + 1;
	acc->z = palloc(sizeof(double) * q);
	acc->eta = palloc(sizeof(double) * acc->K);
	acc->e = palloc(sizeof(double) * acc->K);
	acc->prob = palloc(sizeof(double) * acc->K);

	if (acc->mode == LOGIT_MOMENTS)
	{
		acc->gram = gram_pass_kind.create(ctx);
		acc->cnt = palloc0(sizeof(double) * acc->nslots * acc->K);
		acc->cmean = palloc0(sizeof(double) * acc->nslots * acc->K * Max(acc->p, 1));
		acc->sample_k = bin_read_int32(&r);
		if (acc->sample_k < 0 || acc->sample_k > SAMPLE_ROWS)
			bin_corrupted(&r, "logistic sample size out of range");
		if (acc->sample_k > 0)
			acc->sample = rowsample_create(acc->sample_k, acc->p);
		bin_read_end(&r);
		return acc;
	}

	acc->fits = palloc0(sizeof(FitAcc) * Max(acc->nfits, 1));
	acc->scaled = palloc(sizeof(double) * HESS_BATCH * q);
	for (int f = 0; f < acc->nfits; f++)
	{
		FitAcc	   *fa = &acc->fits[f];

		fa->m = bin_read_int32(&r);
		fa->except_slot = bin_read_int32(&r);
		fa->eval_slot = bin_read_int32(&r);
		fa->with_hess = bin_read_int32(&r) != 0;
		fa->nauc = bin_read_int32(&r);
		if (fa->nauc != 0 && fa->nauc != 1 && fa->nauc != acc->K)
			bin_corrupted(&r, "logistic evaluation scores out of range");
		if (fa->m < 1 || fa->m > acc->K ||
			(Size) fa->m * q > (fa->with_hess ? LOGISTIC_MAX_PARAMS : LBFGS_MAX_PARAMS) ||
			fa->except_slot < 0 || fa->except_slot >= acc->nslots ||
			fa->eval_slot < EVAL_TRAIN || fa->eval_slot >= acc->nslots)
			bin_corrupted(&r, "logistic fit parameters out of range");
		fa->q = q;
		fa->npairs = fa->with_hess ? fa->m * (fa->m + 1) / 2 : 0;
		fa->mu = bin_read_float8_array(&r, acc->p);
		fa->inv_sd = bin_read_float8_array(&r, acc->p);
		fa->beta = bin_read_float8_array(&r, fa->m * q);
		fa->grad = palloc0(sizeof(double) * fa->m * q);
		fa->hess = palloc0(sizeof(double) * fa->npairs * q * q);
		fa->conf = palloc0(sizeof(double) * acc->K * acc->K);
	}
	bin_read_end(&r);
	return acc;
}

/* Fold a fit's pending rows into its Hessian blocks. */
static void
fit_flush(FitAcc *fa, double *scaled)
{
	int			q = fa->q;
	int			b = fa->nbuf;

	if (b == 0)
		return;
	if (fa->m == 1)
	{
		/* the rows are already sqrt(w) z */
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, q, b, 1.0, fa->zbuf, q,
					1.0, fa->hess, q);
		fa->nbuf = 0;
		return;
	}
	for (int a = 0; a < fa->m; a++)
		for (int c = a; c < fa->m; c++)
		{
			int			idx = pair_index(fa->m, a, c);

			for (int r = 0; r < b; r++)
			{
				double		sw = sqrt(fabs(fa->wbuf[r * fa->npairs + idx]));
				const double *z = fa->zbuf + (Size) r * q;
				double	   *s = scaled + (Size) r * q;

				for (int j = 0; j < q; j++)
					s[j] = sw * z[j];
			}
			/* diagonal blocks weigh p(1 - p) >= 0, the others -p_k p_l <= 0 */
			cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, q, b, a == c ? 1.0 : -1.0,
						scaled, q, 1.0, fa->hess + (Size) idx * q * q, q);
		}
	fa->nbuf = 0;
}

static void
moments_add(LogitAcc *acc, const PassCtx *ctx, int slot, uint64 rowhash, double y,
			const double *x)
{
	int			k = (int) y;
	double	   *c = &acc->cnt[slot * acc->K + k];
	double	   *mean = acc->cmean + ((Size) slot * acc->K + k) * acc->p;

	double		inv;

	gram_pass_kind.add(acc->gram, ctx, slot, rowhash, y, x);
	*c += 1;
	inv = 1.0 / *c;
	for (int j = 0; j < acc->p; j++)
		mean[j] += (x[j] - mean[j]) * inv;
	if (acc->sample != NULL && slot != PASS_HOLDOUT_SLOT)
		rowsample_add(acc->sample, rowhash_sample_key(rowhash), (double) (slot * acc->K + k), x);
}

/* One row (class cls, in slot) into one fit's sums. */
/* Room for n more evaluation rows of scores; returns the first. */
static double *
escore_append(FitAcc *fa, int64 n)
{
	int			w = 1 + fa->nauc;
	double	   *row;

	if (fa->ne + n > fa->ecap)
	{
		int64		cap = Max(Max(fa->ecap * 2, 65536), fa->ne + n);
		MemoryContext cxt = GetMemoryChunkContext(fa->conf);

		fa->escore = fa->escore == NULL ?
			MemoryContextAllocExtended(cxt, sizeof(double) * w * cap, MCXT_ALLOC_HUGE) :
			repalloc_huge(fa->escore, sizeof(double) * w * cap);
		fa->ecap = cap;
	}
	row = fa->escore + fa->ne * w;
	fa->ne += n;
	return row;
}

static void
fit_row(LogitAcc *acc, FitAcc *fa, int slot, int cls, const double *x)
{
	int			K = acc->K;
	int			p = acc->p;
	int			q = p + 1;
	double	   *z = acc->z;
	bool		train = slot != PASS_HOLDOUT_SLOT && slot != fa->except_slot;
	bool		eval = fa->eval_slot == EVAL_TRAIN ? train : slot == fa->eval_slot;
	int			m = fa->m;
	int			off = K - m;
	double		loss;
	double		p1 = 0;			/* binary: p of the second class */
	int			pred;
	bool		strict;

	if (!train && !eval)
		return;
	z[0] = 1.0;
	for (int j = 0; j < p; j++)
		z[j + 1] = (x[j] - fa->mu[j]) * fa->inv_sd[j];

	if (m == 1 && K == 2)
	{
		double		t = 0;
		double		e;
		double		inv;

		for (int j = 0; j < q; j++)
			t += fa->beta[j] * z[j];

		/*
		 * One exp and one log1p: with e = exp(-|t|), sigmoid(|t|) =
		 * 1/(1 + e), sigmoid(-|t|) = e/(1 + e), -log p_y =
		 * max(+-t, 0) + log1p(e), and p (1 - p) = e/(1 + e)^2.
		 */
		e = exp(-fabs(t));
		inv = 1.0 / (1.0 + e);
		p1 = t >= 0 ? inv : e * inv;
		/* log, not log1p: e is in (0, 1], where 1 + e rounds to within
		 * an ulp, so the loss is off by 2e-16 at most -- and log is about
		 * twice as fast (log1p was 7% of a training) */
		loss = Max(cls ? -t : t, 0.0) + log(1.0 + e);
		pred = t > 0 ? 1 : 0;
		strict = cls ? t > 0 : t < 0;
		if (train)
		{
			double		r = p1 - cls;
			double		sw = sqrt(e) * inv;
			double	   *row;

			for (int j = 0; j < q; j++)
				fa->grad[j] += r * z[j];
			if (!fa->with_hess)
				goto sums;
			if (fa->zbuf == NULL)
				fa->zbuf = MemoryContextAlloc(GetMemoryChunkContext(acc),
											  sizeof(double) * HESS_BATCH * q);
			row = fa->zbuf + (Size) fa->nbuf * q;
			for (int j = 0; j < q; j++)
				row[j] = sw * z[j];
		}
	}
	else
	{
		double	   *eta = acc->eta;
		double	   *e = acc->e;
		double	   *pr = acc->prob;
		double		mx = -INFINITY;
		double		S = 0;

		pred = 0;
		for (int k = 0; k < K; k++)
		{
			double		t = 0;

			if (k >= off)
			{
				const double *b = fa->beta + (Size) (k - off) * q;

				for (int j = 0; j < q; j++)
					t += b[j] * z[j];
			}
			eta[k] = t;
			if (t > mx)
			{
				mx = t;
				pred = k;
			}
		}
		strict = true;
		for (int k = 0; k < K; k++)
		{
			e[k] = exp(eta[k] - mx);
			S += e[k];
			if (k != cls && !(eta[cls] > eta[k]))
				strict = false;
		}
		loss = log(S) - (eta[cls] - mx);
		for (int k = 0; k < K; k++)
			pr[k] = e[k] / S;
		if (train)
		{
			double	   *row;
			double	   *w;

			for (int a2 = 0; a2 < m; a2++)
			{
				int			k = a2 + off;
				double		r = pr[k] - (k == cls ? 1.0 : 0.0);
				double	   *g = fa->grad + (Size) a2 * q;

				for (int j = 0; j < q; j++)
					g[j] += r * z[j];
			}
			if (!fa->with_hess)
				goto sums;
			if (fa->zbuf == NULL)
			{
				MemoryContext cxt = GetMemoryChunkContext(acc);

				fa->zbuf = MemoryContextAlloc(cxt, sizeof(double) * HESS_BATCH * q);
				fa->wbuf = MemoryContextAlloc(cxt, sizeof(double) * HESS_BATCH * fa->npairs);
			}
			row = fa->zbuf + (Size) fa->nbuf * q;
			memcpy(row, z, sizeof(double) * q);
			w = fa->wbuf + (Size) fa->nbuf * fa->npairs;
			for (int a2 = 0; a2 < m; a2++)
			{
				int			k = a2 + off;
				double		rest;

				/* 1 - p_k from the other classes: no cancellation when p_k ~ 1 */
				if (e[k] < 0.5 * S)
					rest = S - e[k];
				else
				{
					rest = 0;
					for (int l = 0; l < K; l++)
						if (l != k)
							rest += e[l];
				}
				w[pair_index(m, a2, a2)] = pr[k] * (rest / S);
				for (int c2 = a2 + 1; c2 < m; c2++)
					w[pair_index(m, a2, c2)] = -pr[k] * pr[c2 + off];
			}
		}
	}

sums:
	if (train)
	{
		fa->n += 1;
		fa->loss += loss;
		fa->nsat += loss < SATURATED_LOSS ? 1 : 0;
		fa->nwrong += strict ? 0 : 1;
		if (fa->with_hess && ++fa->nbuf == HESS_BATCH)
			fit_flush(fa, acc->scaled);
	}
	if (eval)
	{
		/* p_y clipped to [eps, 1 - eps], as mldb.log_loss */
		fa->en += 1;
		fa->eloss += Min(Max(loss, -log1p(-LOGLOSS_EPS)), -log(LOGLOSS_EPS));
		fa->ecorrect += pred == cls ? 1 : 0;
		fa->conf[cls * K + pred] += 1;
		if (fa->nauc > 0)
		{
			double	   *row = escore_append(fa, 1);

			row[0] = cls;
			if (fa->nauc == 1)
				row[1] = m == 1 && K == 2 ? p1 : acc->prob[1];
			else
				memcpy(row + 1, acc->prob, sizeof(double) * K);
		}
	}
}

static void
logit_add(void *a, const PassCtx *ctx, int slot, uint64 rowhash, double y,
		  const double *x)
{
	LogitAcc   *acc = (LogitAcc *) a;

	Assert(y >= 0 && y < acc->K);
	if (acc->mode == LOGIT_MOMENTS)
	{
		moments_add(acc, ctx, slot, rowhash, y, x);
		return;
	}
	for (int f = 0; f < acc->nfits; f++)
		fit_row(acc, &acc->fits[f], slot, (int) y, x);
}

static void
logit_merge(void *a, void *b, const PassCtx *ctx)
{
	LogitAcc   *x = (LogitAcc *) a;
	LogitAcc   *y = (LogitAcc *) b;
	int			K = x->K;
	int			p = x->p;

	if (x->mode == LOGIT_MOMENTS)
	{
		gram_pass_kind.merge(x->gram, y->gram, ctx);
		for (int i = 0; i < x->nslots * K; i++)
		{
			double		na = x->cnt[i];
			double		nb = y->cnt[i];
			double	   *ma = x->cmean + (Size) i * p;
			const double *mb = y->cmean + (Size) i * p;

			if (nb == 0)
				continue;
			for (int j = 0; j < p; j++)
				ma[j] += (mb[j] - ma[j]) * nb / (na + nb);
			x->cnt[i] = na + nb;
		}
		if (x->sample != NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(x));

			rowsample_merge(x->sample, y->sample);
			MemoryContextSwitchTo(old);
		}
		return;
	}
	for (int f = 0; f < x->nfits; f++)
	{
		FitAcc	   *fx = &x->fits[f];
		FitAcc	   *fy = &y->fits[f];
		int			q = fx->q;

		fit_flush(fx, x->scaled);
		fit_flush(fy, x->scaled);
		fx->n += fy->n;
		fx->loss += fy->loss;
		fx->nsat += fy->nsat;
		fx->nwrong += fy->nwrong;
		for (int i = 0; i < fx->m * q; i++)
			fx->grad[i] += fy->grad[i];
		for (int i = 0; i < fx->npairs * q * q; i++)
			fx->hess[i] += fy->hess[i];
		fx->en += fy->en;
		fx->eloss += fy->eloss;
		fx->ecorrect += fy->ecorrect;
		for (int i = 0; i < K * K; i++)
			fx->conf[i] += fy->conf[i];
		if (fx->nauc > 0 && fy->ne > 0)
			memcpy(escore_append(fx, fy->ne), fy->escore, sizeof(double) * fy->ne * (1 + fx->nauc));
	}
}

static void
logit_write(StringInfo buf, void *a, const PassCtx *ctx)
{
	LogitAcc   *acc = (LogitAcc *) a;

	bin_write_int32(buf, acc->mode);
	bin_write_int32(buf, acc->nfits);
	if (acc->mode == LOGIT_MOMENTS)
	{
		gram_pass_kind.write(buf, acc->gram, ctx);
		bin_write_float8_array(buf, acc->cnt, acc->nslots * acc->K);
		bin_write_float8_array(buf, acc->cmean, acc->nslots * acc->K * acc->p);
		if (acc->sample != NULL)
			rowsample_write(buf, acc->sample);
		return;
	}
	for (int f = 0; f < acc->nfits; f++)
	{
		FitAcc	   *fa = &acc->fits[f];

		fit_flush(fa, acc->scaled);
		bin_write_float8(buf, fa->n);
		bin_write_float8(buf, fa->loss);
		bin_write_float8(buf, fa->nsat);
		bin_write_float8(buf, fa->nwrong);
		bin_write_float8_array(buf, fa->grad, fa->m * fa->q);
		bin_write_float8_array(buf, fa->hess, fa->npairs * fa->q * fa->q);
		bin_write_float8(buf, fa->en);
		bin_write_float8(buf, fa->eloss);
		bin_write_float8(buf, fa->ecorrect);
		bin_write_float8_array(buf, fa->conf, acc->K * acc->K);
		if (fa->nauc > 0)
		{
			bin_write_int64(buf, fa->ne);
			appendBinaryStringInfo(buf, (const char *) fa->escore,
								   sizeof(double) * fa->ne * (1 + fa->nauc));
		}
	}
}

static void
read_into(BinReader *r, double *dst, int n)
{
	double	   *src = bin_read_float8_array(r, n);

	memcpy(dst, src, sizeof(double) * n);
	pfree(src);
}

static void *
logit_read(BinReader *r, const PassCtx *ctx)
{
	LogitAcc   *acc = logit_create(ctx);

	if (bin_read_int32(r) != acc->mode || bin_read_int32(r) != acc->nfits)
		bin_corrupted(r, "logistic pass state does not match its context");
	if (acc->mode == LOGIT_MOMENTS)
	{
		acc->gram = gram_pass_kind.read(r, ctx);
		read_into(r, acc->cnt, acc->nslots * acc->K);
		read_into(r, acc->cmean, acc->nslots * acc->K * acc->p);
		if (acc->sample_k > 0)
			acc->sample = rowsample_read(r, acc->sample_k, acc->p);
		return acc;
	}
	for (int f = 0; f < acc->nfits; f++)
	{
		FitAcc	   *fa = &acc->fits[f];

		fa->n = bin_read_float8(r);
		fa->loss = bin_read_float8(r);
		fa->nsat = bin_read_float8(r);
		fa->nwrong = bin_read_float8(r);
		read_into(r, fa->grad, fa->m * fa->q);
		read_into(r, fa->hess, fa->npairs * fa->q * fa->q);
		fa->en = bin_read_float8(r);
		fa->eloss = bin_read_float8(r);
		fa->ecorrect = bin_read_float8(r);
		read_into(r, fa->conf, acc->K * acc->K);
		if (fa->nauc > 0)
		{
			int64		ne = bin_read_int64(r);

			if (ne < 0 || (Size) ne > (r->len - r->pos) / (sizeof(double) * (1 + fa->nauc)))
				bin_corrupted(r, "evaluation score count out of range");
			if (ne > 0)
				bin_read(r, escore_append(fa, ne), sizeof(double) * ne * (1 + fa->nauc));
		}
	}
	return acc;
}

const PassKind logistic_pass_kind = {
	.name = "logistic",
	.needs_rowhash = true,		/* the sample's keys */
	.create = logit_create,
	.add = logit_add,
	.merge = logit_merge,
	.write = logit_write,
	.read = logit_read,
};

/* ---------------------------------------------------------------------
 * Fits: one Newton iteration at a time
 * ---------------------------------------------------------------------
 */

typedef enum FitStatus
{
	FIT_RUNNING,				/* b moved: the next pass evaluates it */
	FIT_SCORING,				/* b is final: the next pass scores it */
	FIT_DONE
} FitStatus;

typedef enum FitEnd
{
	END_CONVERGED,
	END_MAX_ITER,
	END_SEPARABLE,
	END_STALLED					/* the step halving could not lower F */
} FitEnd;

typedef struct Fit
{
	int			setting;		/* index of its search setting (0 without) */
	int			fold;			/* CV fit: the held-out fold's slot; 0: final fit */
	Jsonb	   *options;
	/* settings */
	double		lambda;			/* alpha = 1/C; 0 = unpenalised */
	bool		standardize;
	int			max_iter;
	double		tol;
	const char *penalty;
	const char *solver;			/* the option: auto, newton or lbfgs */
	bool		lbfgs;			/* fitted by L-BFGS (no Hessian, no statistics) */
	int			K;
	int			p;
	int			q;
	int			m;
	int			off;			/* K - m: 1 when classes[0] is the reference */
	int			npar;
	int			except_slot;
	int			eval_slot;
	/* training rows */
	double		n;
	double	   *nk;				/* K */
	double	   *mu;				/* p */
	double	   *sd;				/* p */
	double	   *inv_sd;			/* p */
	double	   *pen;			/* q: penalty weight of each coefficient of a vector */
	/* the iterate */
	double	   *beta;			/* npar, working space */
	double	   *beta_prev;
	double	   *step;
	double		F_prev;
	bool		have_prev;
	int			halvings;
	int			iter;			/* Newton steps taken */
	int			passes;			/* Newton passes this fit took part in */
	FitStatus	status;
	FitEnd		end;
	const char *separation;		/* "complete", "quasi-complete", "diverging" */
	/* statistics at beta */
	bool		scored;			/* a pass evaluated exactly beta */
	double		F;
	double		loss;
	double		nsat;
	double		nwrong;			/* -1: unknown (start point) */
	double	   *g;				/* npar */
	double	   *H;				/* npar x npar, penalty included */
	double		en;
	double		eloss;
	double		ecorrect;
	double	   *conf;			/* K x K */
	bool		pinv;			/* some solve needed the pseudo-inverse */
	int			rank;
	double		last_step;		/* relative size of the last step computed */
	/* history, one entry per accepted iterate */
	int			nhist;
	double	   *hist_F;
	double	   *hist_rel;
	double	   *hist_abs;
	double	   *hist_bmax;
	/* L-BFGS: the accepted iterate (beta_prev, F_prev, g_prev), direction step */
	double	   *g_prev;			/* npar */
	double	   *S;				/* LBFGS_MEM x npar: s = beta_{k+1} - beta_k */
	double	   *Y;				/* LBFGS_MEM x npar: y = g_{k+1} - g_k */
	double		rho[LBFGS_MEM];	/* 1 / s'y */
	int			nmem;			/* pairs held */
	int			head;			/* slot of the next pair */
	bool		searching;		/* beta is a line-search trial */
	double		alpha;			/* its step length along step */
	double		ls_lo;			/* bracket: Armijo holds at lo, fails at hi */
	double		ls_hi;
	double		dg0;			/* g_prev' step */
	int			ls_trials;
	bool		warm;
	int			sample_rows;	/* rows of the in-memory start, 0: none */
	int			sample_iter;
	/* the scored pass's evaluation scores (FitAcc.escore), for ROC AUC */
	int			nauc;			/* to keep: 0, 1 or K (fit_auc_width) */
	double		eval_rows;		/* about how many */
	bool		kept_scores;	/* the last pass kept them (fit_keeps_scores) */
	int64		ne;
	double	   *escore;
} Fit;

typedef struct TrainSetup
{
	const FeatureSpec *spec;
	int			K;
	int			p;
	int			nfolds;
} TrainSetup;

/*
 * Penalty, solver limits and standardisation of one set of options.  Not
 * strict (a search setting): "penalty": "none" ignores C and alpha, so
 * that a grid may combine penalties and strengths.
 */
static void
fit_settings(Fit *f, Jsonb *options, bool strict)
{
	bool		has_c = opt_present(options, "C");
	bool		has_alpha = opt_present(options, "alpha");

	f->options = options;
	f->penalty = opt_string(options, "penalty", "l2");
	if (has_c && has_alpha)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"C\" and \"alpha\" set the same penalty"),
				 errhint("Give one of them: alpha = 1/C (the penalty is alpha/2 times the squared norm of the slopes, against the sum of the log-losses).")));
	if (strict && strcmp(f->penalty, "none") == 0 && (has_c || has_alpha))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("penalty \"none\" takes no \"%s\"", has_c ? "C" : "alpha"),
				 errhint("Remove it, or use \"penalty\": \"l2\".")));
	if (strcmp(f->penalty, "none") == 0)
		f->lambda = 0;
	else if (has_alpha)
		f->lambda = opt_number(options, "alpha", 0);
	else
		f->lambda = 1.0 / opt_number(options, "C", DEFAULT_C);
	if (!isfinite(f->lambda))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the penalty alpha = 1/C is not finite"),
				 errhint("Use a larger C.")));
	f->standardize = opt_bool(options, "standardize", f->lambda > 0);
	f->max_iter = (int) opt_int(options, "max_iter", DEFAULT_MAX_ITER);
	f->tol = opt_number(options, "tol", DEFAULT_TOL);
	f->solver = opt_string(options, "solver", "auto");
}

static void
fit_setup(Fit *f, const TrainSetup *ts, Jsonb *options, int setting, int fold)
{
	int			npar;

	f->setting = setting;
	f->fold = fold;
	fit_settings(f, options, false);
	f->K = ts->K;
	f->p = ts->p;
	f->q = ts->p + 1;
	/* unpenalised multinomial: K - 1 vectors against classes[0] */
	f->m = ts->K == 2 || f->lambda == 0 ? ts->K - 1 : ts->K;
	f->off = f->K - f->m;
	npar = f->m * f->q;
	f->lbfgs = strcmp(f->solver, "lbfgs") == 0 ||
		(strcmp(f->solver, "auto") == 0 && npar > LOGISTIC_MAX_PARAMS);
	if (f->lbfgs && npar > LBFGS_MAX_PARAMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logistic_regression would have %d coefficients (%d classes, %d encoded features), more than its L-BFGS solver's limit of %d",
						npar, ts->K, ts->p, LBFGS_MAX_PARAMS),
				 errhint("Select fewer features, lower max_categories, or group rare classes in a query passed as relation.")));
	if (!f->lbfgs && npar > LOGISTIC_MAX_PARAMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("logistic_regression would have %d coefficients (%d classes, %d encoded features), more than its Newton solver's limit of %d",
						npar, ts->K, ts->p, LOGISTIC_MAX_PARAMS),
				 errhint("Use \"solver\": \"lbfgs\" (or \"auto\"), select fewer features, lower max_categories, or group rare classes in a query passed as relation.")));
	f->npar = npar;
	f->except_slot = fold;
	f->nk = palloc0(sizeof(double) * f->K);
	f->mu = palloc0(sizeof(double) * Max(f->p, 1));
	f->sd = palloc0(sizeof(double) * Max(f->p, 1));
	f->inv_sd = palloc0(sizeof(double) * Max(f->p, 1));
	f->pen = palloc0(sizeof(double) * f->q);
	f->beta = palloc0(sizeof(double) * npar);
	f->beta_prev = palloc0(sizeof(double) * npar);
	f->step = palloc0(sizeof(double) * npar);
	f->g = palloc0(sizeof(double) * npar);
	if (f->lbfgs)
	{
		f->g_prev = palloc0(sizeof(double) * npar);
		f->S = palloc0(sizeof(double) * LBFGS_MEM * npar);
		f->Y = palloc0(sizeof(double) * LBFGS_MEM * npar);
	}
	else
		f->H = palloc0(sizeof(double) * npar * npar);
	f->conf = palloc0(sizeof(double) * f->K * f->K);
	f->hist_F = palloc(sizeof(double) * (f->max_iter + MAX_HALVINGS + 4));
	f->hist_rel = palloc(sizeof(double) * (f->max_iter + MAX_HALVINGS + 4));
	f->hist_abs = palloc(sizeof(double) * (f->max_iter + MAX_HALVINGS + 4));
	f->hist_bmax = palloc(sizeof(double) * (f->max_iter + MAX_HALVINGS + 4));
	f->nwrong = -1;
}

/* Penalty terms and the intercept-sum constraint (m = K), added to F, g, H. */
static void
fit_add_penalty(Fit *f)
{
	int			q = f->q;
	int			n = f->npar;
	double		fix = 0;

	for (int a = 0; a < f->m; a++)
		for (int j = 1; j < q; j++)
		{
			int			i = a * q + j;

			f->F += 0.5 * f->pen[j] * f->beta[i] * f->beta[i];
			f->g[i] += f->pen[j] * f->beta[i];
			if (f->H != NULL)
				f->H[i * n + i] += f->pen[j];
		}
	if (f->H == NULL)
		return;					/* L-BFGS */

	/*
	 * With K penalised vectors, shifting every intercept by the same amount
	 * changes nothing: H is singular along that direction.  Adding fix
	 * (sum_k b_k0)^2 / 2 to F makes it definite and, the gradient being
	 * orthogonal to the direction, keeps the intercepts' sum where it
	 * started, at zero.
	 */
	if (f->m == f->K)
	{
		for (int a = 0; a < f->m; a++)
			fix += f->H[(a * q) * n + a * q] / f->m;
		if (!(fix > 0))
			fix = 1;
		for (int a = 0; a < f->m; a++)
			for (int b = 0; b < f->m; b++)
				f->H[(a * q) * n + b * q] += fix;
	}
}

/*
 * The start point from the moments pass: intercepts at the log class
 * priors (summing to zero for K vectors), slopes 0, so p_ik = pi_k for
 * every row and, on z = (x - mean)/sd with sum_i z_i = 0,
 *   F = -sum_k n_k log pi_k,
 *   g_k = [n pi_k - n_k, -n_k (mean_k - mean)/sd],
 *   H_kl = (pi_k delta_kl - pi_k pi_l) [[n, 0], [0, M/(sd sd')]],
 * M the centred scatter: Newton's first iteration without a row pass.
 */
static void
fit_start_from_moments(Fit *f, LogitAcc *ma, const TrainSetup *ts)
{
	int			K = f->K;
	int			p = f->p;
	int			q = f->q;
	int			n = f->npar;
	Moments    *mo = gram_moments_except(ma->gram, 1, ts->nfolds,
										 f->except_slot > 0 ? f->except_slot : -1);
	double	   *cm = palloc0(sizeof(double) * K * Max(p, 1));
	double	   *logpi = palloc(sizeof(double) * K);
	double		mean_logpi = 0;

	f->n = mo->n;
	memset(f->nk, 0, sizeof(double) * K);
	for (int s = 1; s <= ts->nfolds; s++)
	{
		if (s == f->except_slot)
			continue;
		for (int k = 0; k < K; k++)
		{
			double		c = ma->cnt[s * K + k];
			const double *mean = ma->cmean + ((Size) s * K + k) * p;

			if (c == 0)
				continue;
			for (int j = 0; j < p; j++)
				cm[k * p + j] += (mean[j] - cm[k * p + j]) * c / (f->nk[k] + c);
			f->nk[k] += c;
		}
	}
	for (int k = 0; k < K; k++)
		if (f->nk[k] == 0)
		{
			if (f->fold > 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cross-validation fold %d leaves class \"%s\" without training rows",
								f->fold, ts->spec->classes[k]),
						 errhint("Use fewer folds (option \"cv\"), or more rows of that class.")));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("class \"%s\" has no usable training row", ts->spec->classes[k]),
					 errhint("Rows of this class were all skipped (NULL or non-finite features with impute \"drop\"); check the relation.")));
		}

	for (int j = 0; j < p; j++)
	{
		double		var = mo->M[j * mo->m + j] / f->n;
		double		mean = mo->mean[j];
		bool		constant = var <= 1e-20 * mean * mean || !(var > 0);

		if (constant && f->lambda == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature \"%s\" is constant in the training rows",
							featurespec_slot_name(ts->spec, j)),
					 errhint("Leave it out of features: without a penalty a constant is not identified beside the intercept.")));
		f->mu[j] = mean;
		f->sd[j] = constant ? 1.0 : sqrt(var);
		f->inv_sd[j] = 1.0 / f->sd[j];
		f->pen[j + 1] = f->lambda * (f->standardize ? 1.0 : 1.0 / (f->sd[j] * f->sd[j]));
	}

	f->F = 0;
	for (int k = 0; k < K; k++)
	{
		logpi[k] = log(f->nk[k] / f->n);
		mean_logpi += logpi[k] / K;
		f->F -= f->nk[k] * logpi[k];
	}
	memset(f->beta, 0, sizeof(double) * n);
	memset(f->g, 0, sizeof(double) * n);
	if (f->H != NULL)
		memset(f->H, 0, sizeof(double) * n * n);
	for (int a = 0; a < f->m; a++)
	{
		int			k = a + f->off;

		f->beta[a * q] = f->off ? logpi[k] - logpi[0] : logpi[k] - mean_logpi;
		for (int j = 0; j < p; j++)
			f->g[a * q + 1 + j] = -f->nk[k] * (cm[k * p + j] - f->mu[j]) * f->inv_sd[j];
		if (f->H == NULL)
			continue;
		for (int b = 0; b < f->m; b++)
		{
			int			l = b + f->off;
			double		pk = f->nk[k] / f->n;
			double		w = (a == b ? pk * (1 - pk) : -pk * f->nk[l] / f->n);

			f->H[(a * q) * n + b * q] = w * f->n;
			for (int i = 0; i < p; i++)
				for (int j = 0; j < p; j++)
					f->H[(a * q + 1 + i) * n + b * q + 1 + j] =
						w * mo->M[i * mo->m + j] * f->inv_sd[i] * f->inv_sd[j];
		}
	}
	f->loss = f->F;
	fit_add_penalty(f);
	f->scored = false;
	f->nwrong = -1;
	f->nsat = 0;
}

/* Start from given original-scale coefficients (m x q), warm_start. */
static void
fit_start_from(Fit *f, const double *coef)
{
	int			q = f->q;

	for (int a = 0; a < f->m; a++)
	{
		const double *c = coef + (Size) a * q;
		double	   *b = f->beta + (Size) a * q;

		/* b_x = B' b_z with z = (x - mu)/sd, inverted */
		b[0] = c[0];
		for (int j = 0; j < f->p; j++)
		{
			b[j + 1] = c[j + 1] * f->sd[j];
			b[0] += c[j + 1] * f->mu[j];
		}
	}
	f->have_prev = false;
	f->scored = false;
	f->status = FIT_RUNNING;
	f->warm = true;
}

/*
 * Newton step s from H s = -g: Cholesky on D H D with D = diag(H)^-1/2,
 * else the eigen pseudo-inverse of that matrix.
 */
static void
fit_solve(Fit *f, double *s)
{
	int			n = f->npar;
	double	   *d = palloc(sizeof(double) * n);
	double	   *A = palloc(sizeof(double) * n * n);
	double	   *r = palloc(sizeof(double) * n);
	double	   *y = palloc(sizeof(double) * n);

	for (int i = 0; i < n; i++)
		d[i] = f->H[i * n + i] > 0 ? 1.0 / sqrt(f->H[i * n + i]) : 1.0;
	for (int i = 0; i < n; i++)
	{
		r[i] = -f->g[i] * d[i];
		for (int j = 0; j < n; j++)
			A[i * n + j] = f->H[i * n + j] * d[i] * d[j];
	}
	if (mldb_chol_solve(n, A, r, y))
		f->rank = n;
	else
	{
		double	   *Ainv = palloc(sizeof(double) * n * n);

		f->rank = mldb_sym_pinv(n, A, RANK_RCOND, Ainv);
		f->pinv = true;
		for (int i = 0; i < n; i++)
		{
			y[i] = 0;
			for (int j = 0; j < n; j++)
				y[i] += Ainv[i * n + j] * r[j];
		}
		pfree(Ainv);
	}
	for (int i = 0; i < n; i++)
		s[i] = y[i] * d[i];
	pfree(d);
	pfree(A);
	pfree(r);
	pfree(y);
}

/* Take over one pass's sums for the fit's current coefficients. */
static void
fit_absorb(Fit *f, const FitAcc *fa)
{
	int			q = f->q;
	int			n = f->npar;

	f->passes++;
	f->loss = fa->loss;
	f->F = fa->loss;
	f->nsat = fa->nsat;
	f->nwrong = fa->nwrong;
	memcpy(f->g, fa->grad, sizeof(double) * n);
	for (int a = 0; a < f->m && f->H != NULL; a++)
		for (int b = a; b < f->m; b++)
		{
			const double *B = fa->hess + (Size) pair_index(f->m, a, b) * q * q;

			for (int i = 0; i < q; i++)
				for (int j = i; j < q; j++)
				{
					double		v = B[i * q + j];

					f->H[(a * q + i) * n + b * q + j] = v;
					f->H[(a * q + j) * n + b * q + i] = v;
					f->H[(b * q + j) * n + a * q + i] = v;
					f->H[(b * q + i) * n + a * q + j] = v;
				}
		}
	fit_add_penalty(f);
	f->en = fa->en;
	f->eloss = fa->eloss;
	f->ecorrect = fa->ecorrect;
	memcpy(f->conf, fa->conf, sizeof(double) * f->K * f->K);
	if (f->escore != NULL)
		pfree(f->escore);
	f->escore = NULL;
	f->kept_scores = fa->nauc > 0;
	f->ne = fa->ne;
	if (fa->nauc > 0 && fa->ne > 0)
	{
		Size		bytes = sizeof(double) * fa->ne * (1 + fa->nauc);

		f->escore = MemoryContextAllocExtended(CurrentMemoryContext, bytes, MCXT_ALLOC_HUGE);
		memcpy(f->escore, fa->escore, bytes);
	}
	f->scored = true;
}

static double
max_abs(const double *v, int n)
{
	double		m = 0;

	for (int i = 0; i < n; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

/*
 * Separation of an unpenalised fit at the current iterate, or NULL.  See
 * the file header; the history holds this iterate's step last.
 */
static const char *
fit_separation(const Fit *f)
{
	int			h = f->nhist;

	if (f->lambda > 0)
		return NULL;
	if (f->nwrong == 0)
		return "complete";
	if (h >= 4 && f->nsat > 0 &&
		f->hist_abs[h - 1] >= 0.5 * f->hist_abs[h - 2] &&
		f->hist_abs[h - 2] >= 0.5 * f->hist_abs[h - 3] &&
		f->hist_bmax[h - 1] > f->hist_bmax[h - 3] &&
		f->hist_F[h - 2] - f->hist_F[h - 1] < FLAT_OBJECTIVE * fabs(f->hist_F[h - 1]))
		return "quasi-complete";
	if (f->hist_bmax[h - 1] > DIVERGED_COEF)
		return "diverging";
	return NULL;
}

static void
fit_finish(Fit *f, FitEnd end)
{
	f->end = end;
	/* statistics must come from a pass at exactly these coefficients */
	f->status = f->scored ? FIT_DONE : FIT_SCORING;
}

static double
dot(const double *a, const double *b, int n)
{
	double		s = 0;

	for (int i = 0; i < n; i++)
		s += a[i] * b[i];
	return s;
}

/*
 * L-BFGS (Nocedal & Wright, Algorithms 7.4 and 7.5), with F and g (no
 * Hessian) at the current beta, each from one pass.  beta is either an
 * accepted iterate (the start, or a trial the line search accepted) or a
 * line-search trial beta_prev + alpha step.
 *
 * Line search: bracketing bisection for the weak Wolfe conditions
 * F(alpha) <= F0 + c1 alpha g0's and g(alpha)'s >= c2 g0's (c1 = 1e-4,
 * c2 = 0.9): Armijo failing shrinks alpha (safeguarded quadratic
 * interpolation, or bisection once bracketed), the curvature condition
 * failing doubles it.  Near the optimum F stops changing beyond its
 * rounding; then a trial is also accepted where |F - F0| <= LBFGS_FLAT |F0|
 * and the directional derivative has dropped to c2 g0's <= g's <= -0.8 g0's
 * (Hager & Zhang's approximate Wolfe conditions).  MAX_HALVINGS trials
 * without acceptance stop the fit (stalled).
 *
 * Convergence: ||g||_inf <= tol * max(1, F), the gradient of the
 * penalised objective (no bounds: it is the projected gradient) relative
 * to the objective, checked at every accepted iterate.
 */
static void
fit_advance_lbfgs(Fit *f, const char *model_name)
{
	int			n = f->npar;
	double	   *d = f->step;
	double		gnorm;
	double		rel;

	if (f->status == FIT_SCORING)
	{
		f->status = FIT_DONE;
		return;
	}
	if (f->searching)
	{
		double		dg = dot(f->g, d, n);
		bool		finite = isfinite(f->F) && isfinite(dg);
		bool		armijo = finite && f->F <= f->F_prev + LBFGS_C1 * f->alpha * f->dg0;
		bool		flat = finite && fabs(f->F - f->F_prev) <= LBFGS_FLAT * fabs(f->F_prev) &&
			dg >= LBFGS_C2 * f->dg0 && dg <= -0.8 * f->dg0;

		f->ls_trials++;
		if (!(armijo && dg >= LBFGS_C2 * f->dg0) && !flat)
		{
			if (f->ls_trials >= MAX_HALVINGS)
			{
				/* back to the last accepted iterate, which the next pass scores */
				memcpy(f->beta, f->beta_prev, sizeof(double) * n);
				f->searching = false;
				f->scored = false;
				fit_finish(f, END_STALLED);
				return;
			}
			if (!armijo)
			{
				double		a = f->alpha;

				f->ls_hi = a;
				if (f->ls_lo > 0)
					f->alpha = 0.5 * (f->ls_lo + f->ls_hi);
				else
				{
					/* minimiser of the quadratic through F0, g0's and F(a) */
					double		den = 2.0 * (f->F - f->F_prev - f->dg0 * a);
					double		t = finite && den > 0 ? -f->dg0 * a * a / den : 0.5 * a;

					f->alpha = Min(Max(t, 0.1 * a), 0.5 * a);
				}
			}
			else
			{
				f->ls_lo = f->alpha;
				f->alpha = isinf(f->ls_hi) ? 2.0 * f->alpha : 0.5 * (f->ls_lo + f->ls_hi);
			}
			for (int i = 0; i < n; i++)
				f->beta[i] = f->beta_prev[i] + f->alpha * d[i];
			f->scored = false;
			return;
		}

		/* accepted: the pair (s, y) into the memory when s'y > 0 */
		{
			double	   *sv = f->S + (Size) f->head * n;
			double	   *yv = f->Y + (Size) f->head * n;
			double		sy;
			double		yy;

			for (int i = 0; i < n; i++)
			{
				sv[i] = f->beta[i] - f->beta_prev[i];
				yv[i] = f->g[i] - f->g_prev[i];
			}
			sy = dot(sv, yv, n);
			yy = dot(yv, yv, n);
			if (sy > 1e-12 * yy && yy > 0)
			{
				f->rho[f->head] = 1.0 / sy;
				f->head = (f->head + 1) % LBFGS_MEM;
				f->nmem = Min(f->nmem + 1, LBFGS_MEM);
			}
		}
		f->searching = false;
		f->iter++;
	}

	/* an accepted iterate: converged? */
	gnorm = max_abs(f->g, n);
	rel = gnorm / Max(1.0, fabs(f->F));
	if (isnan(rel))
		rel = INFINITY;
	f->last_step = rel;
	f->hist_F[f->nhist] = f->F;
	f->hist_rel[f->nhist] = rel;
	f->hist_abs[f->nhist] = f->nhist > 0 ? f->alpha * max_abs(d, n) : 0;
	f->hist_bmax[f->nhist] = max_abs(f->beta, n);
	f->nhist++;
	if (f->fold == 0)
		elog(DEBUG1, "logistic_regression %s: L-BFGS iteration %d, objective %.17g, relative gradient %g, %d passes",
			 model_name, f->iter, f->F, rel, f->passes);
	if (rel <= f->tol)
	{
		fit_finish(f, END_CONVERGED);
		return;
	}
	if (f->lambda == 0 && (f->nwrong == 0 || f->hist_bmax[f->nhist - 1] > DIVERGED_COEF))
	{
		f->separation = f->nwrong == 0 ? "complete" : "diverging";
		fit_finish(f, END_SEPARABLE);
		return;
	}
	if (f->iter >= f->max_iter)
	{
		fit_finish(f, END_MAX_ITER);
		return;
	}

	/* two-loop recursion: d = -H_k g (Algorithm 7.4) */
	{
		double		a[LBFGS_MEM];
		double		gamma = 1.0;

		for (int i = 0; i < n; i++)
			d[i] = -f->g[i];
		for (int c = 0; c < f->nmem; c++)
		{
			int			j = (f->head - 1 - c + LBFGS_MEM) % LBFGS_MEM;

			a[j] = f->rho[j] * dot(f->S + (Size) j * n, d, n);
			for (int i = 0; i < n; i++)
				d[i] -= a[j] * f->Y[(Size) j * n + i];
		}
		if (f->nmem > 0)
		{
			int			j = (f->head - 1 + LBFGS_MEM) % LBFGS_MEM;
			const double *yv = f->Y + (Size) j * n;

			gamma = 1.0 / (f->rho[j] * dot(yv, yv, n));
		}
		for (int i = 0; i < n; i++)
			d[i] *= gamma;
		for (int c = f->nmem - 1; c >= 0; c--)
		{
			int			j = (f->head - 1 - c + LBFGS_MEM) % LBFGS_MEM;
			double		b = f->rho[j] * dot(f->Y + (Size) j * n, d, n);

			for (int i = 0; i < n; i++)
				d[i] += (a[j] - b) * f->S[(Size) j * n + i];
		}
	}
	f->dg0 = dot(f->g, d, n);
	if (!(f->dg0 < 0))
	{
		/* not a descent direction (rounding): forget the memory */
		f->nmem = 0;
		f->head = 0;
		for (int i = 0; i < n; i++)
			d[i] = -f->g[i];
		f->dg0 = dot(f->g, d, n);
	}
	/* first step: unit length in beta; later the quasi-Newton step */
	f->alpha = f->nmem > 0 ? 1.0 : 1.0 / Max(1.0, sqrt(-f->dg0));
	f->ls_lo = 0;
	f->ls_hi = INFINITY;
	f->ls_trials = 0;
	memcpy(f->beta_prev, f->beta, sizeof(double) * n);
	memcpy(f->g_prev, f->g, sizeof(double) * n);
	f->F_prev = f->F;
	for (int i = 0; i < n; i++)
		f->beta[i] = f->beta_prev[i] + f->alpha * d[i];
	f->searching = true;
	f->scored = false;
	f->status = FIT_RUNNING;
}

/*
 * One iteration's decision, with F, g and H at the current beta: reject
 * and halve a step that raised F, stop, or take the Newton step.
 */
static void
fit_advance(Fit *f, const char *model_name)
{
	double	   *s = palloc(sizeof(double) * f->npar);
	double		rel = 0;
	double		tiny = 1e-12 * fabs(f->F_prev);

	if (f->lbfgs)
	{
		pfree(s);
		fit_advance_lbfgs(f, model_name);
		return;
	}
	if (f->status == FIT_SCORING)
	{
		f->status = FIT_DONE;
		return;
	}
	if (f->have_prev && !(f->F <= f->F_prev + tiny))
	{
		if (f->halvings < MAX_HALVINGS)
		{
			f->halvings++;
			for (int i = 0; i < f->npar; i++)
			{
				f->step[i] *= 0.5;
				f->beta[i] = f->beta_prev[i] + f->step[i];
			}
			f->scored = false;
			elog(DEBUG1, "logistic_regression %s: objective rose to %.17g, step halved",
				 model_name, f->F);
			pfree(s);
			return;
		}
		/* back to the last accepted iterate, which the next pass scores */
		memcpy(f->beta, f->beta_prev, sizeof(double) * f->npar);
		f->scored = false;
		fit_finish(f, END_STALLED);
		pfree(s);
		return;
	}
	f->halvings = 0;

	fit_solve(f, s);
	for (int i = 0; i < f->npar; i++)
		rel = Max(rel, fabs(s[i]) / Max(1.0, fabs(f->beta[i])));
	if (isnan(rel))
		rel = INFINITY;
	f->last_step = rel;
	f->hist_F[f->nhist] = f->F;
	f->hist_rel[f->nhist] = rel;
	f->hist_abs[f->nhist] = max_abs(s, f->npar);
	f->hist_bmax[f->nhist] = max_abs(f->beta, f->npar);
	f->nhist++;
	if (f->fold == 0)
		elog(DEBUG1, "logistic_regression %s: iteration %d, objective %.17g, relative step %g",
			 model_name, f->iter, f->F, rel);

	if (rel < f->tol)
	{
		/*
		 * Take the last step.  When it is negligible, the statistics of
		 * this pass stand for the stepped coefficients (MADlib's IRLS
		 * convention; they differ at the order of the step); otherwise
		 * one more pass scores the final coefficients.
		 */
		for (int i = 0; i < f->npar; i++)
			f->beta[i] += s[i];
		f->iter++;
		if (rel > NEGLIGIBLE_STEP)
			f->scored = false;
		fit_finish(f, END_CONVERGED);
		pfree(s);
		return;
	}
	if ((f->separation = fit_separation(f)) != NULL)
	{
		fit_finish(f, END_SEPARABLE);
		pfree(s);
		return;
	}
	if (f->iter >= f->max_iter)
	{
		fit_finish(f, END_MAX_ITER);
		return;
	}
	memcpy(f->beta_prev, f->beta, sizeof(double) * f->npar);
	memcpy(f->step, s, sizeof(double) * f->npar);
	for (int i = 0; i < f->npar; i++)
		f->beta[i] += s[i];
	f->F_prev = f->F;
	f->have_prev = true;
	f->iter++;
	f->scored = false;
	f->status = FIT_RUNNING;
	pfree(s);
}

/* The working-space coefficients on the original scale: b_x = B' b_z. */
static double *
fit_coef(const Fit *f)
{
	int			q = f->q;
	double	   *c = palloc(sizeof(double) * f->npar);

	for (int a = 0; a < f->m; a++)
	{
		const double *b = f->beta + (Size) a * q;
		double	   *o = c + (Size) a * q;

		o[0] = b[0];
		for (int j = 0; j < f->p; j++)
		{
			o[j + 1] = b[j + 1] * f->inv_sd[j];
			o[0] -= b[j + 1] * f->mu[j] * f->inv_sd[j];
		}
	}
	return c;
}

/*
 * Newton's method in memory on the bottom-k sample of the fit's training
 * rows, from the moments start, with the penalty scaled by (sample rows /
 * training rows) so that the sample objective estimates F.  Its optimum
 * is within sampling error of the full one (exactly it when the sample
 * holds every training row), which saves the first full passes.  True
 * when the fit now starts there; false (fit back at the moments start,
 * which the caller advances) when the sample is too small or its fit did
 * not converge (a separable sample, say).
 */
static bool
fit_on_sample(Fit *f, LogitAcc *macc, const TrainSetup *ts, const char *model_name,
			  MemoryContext passcxt)
{
	RowSample  *s = macc->sample;
	double		rows = 0;
	double		ratio;
	bool		ok;
	MemoryContext old;

	if (f->lbfgs)
		return false;			/* the sample start is Newton's */
	for (int i = 0; i < s->n; i++)
	{
		int			slot = (int) s->y[i] / ts->K;

		rows += slot != f->except_slot ? 1 : 0;
	}
	/* a part of the rows must be large enough to say something */
	if (rows < 2 || (rows < f->n && rows < 10.0 * f->npar))
		return false;
	ratio = rows / f->n;
	for (int j = 0; j < f->q; j++)
		f->pen[j] *= ratio;

	old = MemoryContextSwitchTo(passcxt);
	fit_advance(f, model_name);
	while (f->status != FIT_DONE)
	{
		FitAcc		fa = {0};
		LogitAcc   *shell = palloc0(sizeof(LogitAcc));	/* fit_row's scratch */

		CHECK_FOR_INTERRUPTS();
		shell->mode = LOGIT_NEWTON;
		shell->K = ts->K;
		shell->p = ts->p;
		shell->nslots = 1 + ts->nfolds;
		shell->z = palloc(sizeof(double) * f->q);
		shell->eta = palloc(sizeof(double) * ts->K);
		shell->e = palloc(sizeof(double) * ts->K);
		shell->prob = palloc(sizeof(double) * ts->K);
		shell->scaled = palloc(sizeof(double) * HESS_BATCH * f->q);
		fa.m = f->m;
		fa.q = f->q;
		fa.npairs = f->m * (f->m + 1) / 2;
		fa.except_slot = f->except_slot;
		fa.eval_slot = -2;		/* none */
		fa.with_hess = true;
		fa.mu = f->mu;
		fa.inv_sd = f->inv_sd;
		fa.beta = f->beta;
		fa.grad = palloc0(sizeof(double) * f->npar);
		fa.hess = palloc0(sizeof(double) * fa.npairs * f->q * f->q);
		fa.conf = palloc0(sizeof(double) * ts->K * ts->K);
		for (int i = 0; i < s->n; i++)
		{
			int			y = (int) s->y[i];

			fit_row(shell, &fa, y / ts->K, y % ts->K, s->x + (Size) i * ts->p);
		}
		fit_flush(&fa, shell->scaled);
		fit_absorb(f, &fa);
		fit_advance(f, model_name);
		MemoryContextReset(passcxt);
	}
	MemoryContextSwitchTo(old);
	for (int j = 0; j < f->q; j++)
		f->pen[j] /= ratio;

	ok = f->end == END_CONVERGED;
	elog(DEBUG1, "logistic_regression %s: %s on a sample of %.0f rows after %d iterations",
		 model_name, ok ? "start" : "no start", rows, f->iter);
	f->sample_iter = ok ? f->iter : 0;
	f->sample_rows = ok ? (int) rows : 0;
	f->iter = 0;
	f->nhist = 0;
	f->passes = 0;
	f->halvings = 0;
	f->have_prev = false;
	f->pinv = false;
	f->separation = NULL;
	f->status = FIT_RUNNING;
	f->scored = false;
	if (!ok)
		fit_start_from_moments(f, macc, ts);
	return ok;
}

/* ---------------------------------------------------------------------
 * Passes
 * ---------------------------------------------------------------------
 */

static PassCtx
logit_ctx(const TrainInput *in, int nfolds, StringInfo extra)
{
	PassCtx		ctx = {0};

	ctx.kind = PASS_LOGISTIC;
	ctx.spec = in->spec;
	ctx.seed = in->seed;
	ctx.test_size = in->test_size;
	ctx.nfolds = nfolds;
	ctx.extra = extra->data;
	ctx.extra_len = extra->len;
	return ctx;
}

/* One Newton pass over the fits still running or scoring. */
/*
 * Whether this pass keeps the fit's evaluation scores for ROC AUC.  Only
 * the pass whose metrics are reported needs them: a scoring pass, or a
 * Newton pass that is likely the last, where quadratic convergence
 * predicts a step below tol (ten times the last relative step squared);
 * small evaluation sets and L-BFGS always.  A fit that ends on a pass
 * without them gets one scoring pass (the Newton pass loop).
 */
static bool
fit_keeps_scores(const Fit *f)
{
	double		last;

	if (f->nauc == 0)
		return false;
	if (f->lbfgs || f->status == FIT_SCORING || f->eval_rows <= AUC_ALWAYS_ROWS)
		return true;
	if (f->nhist == 0)
		return false;
	last = f->hist_rel[f->nhist - 1];
	return 10 * last * last < f->tol;
}

static void
newton_pass(const TrainInput *in, const TrainSetup *ts, Fit *fits, int nfits,
			MemoryContext passcxt)
{
	StringInfoData extra;
	MemoryContext old = MemoryContextSwitchTo(passcxt);
	int		   *active = palloc(sizeof(int) * nfits);
	int			nactive = 0;
	PassCtx		ctx;
	PassResult	res;
	LogitAcc   *acc;

	for (int i = 0; i < nfits; i++)
		if (fits[i].status != FIT_DONE)
			active[nactive++] = i;
	initStringInfo(&extra);
	bin_write_int32(&extra, LOGIT_NEWTON);
	bin_write_int32(&extra, ts->K);
	bin_write_int32(&extra, ts->p);
	bin_write_int32(&extra, nactive);
	for (int i = 0; i < nactive; i++)
	{
		Fit		   *f = &fits[active[i]];

		bin_write_int32(&extra, f->m);
		bin_write_int32(&extra, f->except_slot);
		bin_write_int32(&extra, f->eval_slot);
		bin_write_int32(&extra, f->lbfgs ? 0 : 1);
		bin_write_int32(&extra, fit_keeps_scores(f) ? f->nauc : 0);
		bin_write_float8_array(&extra, f->mu, f->p);
		bin_write_float8_array(&extra, f->inv_sd, f->p);
		bin_write_float8_array(&extra, f->beta, f->npar);
	}
	ctx = logit_ctx(in, ts->nfolds, &extra);
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	acc = (LogitAcc *) res.acc;
	if (acc == NULL)
		elog(ERROR, "logistic pass returned no rows");
	MemoryContextSwitchTo(old);
	for (int i = 0; i < nactive; i++)
		fit_absorb(&fits[active[i]], &acc->fits[i]);
	MemoryContextReset(passcxt);
}

/* ---------------------------------------------------------------------
 * Warm start
 * ---------------------------------------------------------------------
 */

/*
 * The deployed version's coefficients as K full vectors (K x q, the
 * reference class all zeros), when it is a logistic model over the same
 * encoded features and classes; NULL (with a NOTICE) otherwise.
 */
static double *
warm_coefficients(const TrainInput *in)
{
	CatalogModel cm;
	MldbModel  *old;
	const LogisticParams *lp;
	const FeatureSpec *spec = in->spec;
	int32		version;
	int			q = spec->dim + 1;
	double	   *full;
	const char *why = NULL;

	if (!catalog_get_model(in->model_name, &cm) || cm.deployed_version == 0)
	{
		ereport(NOTICE,
				(errmsg("warm_start: model \"%s\" has no deployed version to start from",
						in->model_name)));
		return NULL;
	}
	old = mldb_model_lookup(in->model_name, &version);
	if (old->algo != &logistic_regression_algorithm)
		why = psprintf("it is a %s model", old->algo->name);
	else if (old->spec->dim != spec->dim || old->spec->nclasses != spec->nclasses)
		why = "its encoded features or classes differ";
	else
	{
		for (int j = 0; j < spec->dim && why == NULL; j++)
			if (strcmp(featurespec_slot_name(old->spec, j), featurespec_slot_name(spec, j)) != 0)
				why = "its encoded features differ";
		for (int k = 0; k < spec->nclasses && why == NULL; k++)
			if (strcmp(old->spec->classes[k], spec->classes[k]) != 0)
				why = "its classes differ";
	}
	if (why != NULL)
	{
		ereport(NOTICE,
				(errmsg("warm_start: deployed version %d of \"%s\" cannot be a start: %s",
						version, in->model_name, why)));
		return NULL;
	}
	lp = (const LogisticParams *) old->params;
	full = palloc0(sizeof(double) * spec->nclasses * q);
	memcpy(full + (Size) (lp->K - lp->m) * q, lp->coef, sizeof(double) * lp->m * q);
	elog(DEBUG1, "logistic_regression %s: warm start from version %d", in->model_name, version);
	return full;
}

/* K full vectors to the fit's m free ones (softmax is shift invariant). */
static void
fit_warm_start(Fit *f, const double *full)
{
	int			q = f->q;
	double	   *coef = palloc0(sizeof(double) * f->npar);
	double	   *shift = palloc0(sizeof(double) * q);

	for (int j = 0; j < q; j++)
	{
		if (f->off)
			shift[j] = full[j];
		else
		{
			/* the L2 optimum has sum_k b_k = 0 */
			for (int k = 0; k < f->K; k++)
				shift[j] += full[k * q + j] / f->K;
		}
	}
	for (int a = 0; a < f->m; a++)
		for (int j = 0; j < q; j++)
			coef[a * q + j] = full[(a + f->off) * q + j] - shift[j];
	fit_start_from(f, coef);
}

/* ---------------------------------------------------------------------
 * Reporting
 * ---------------------------------------------------------------------
 */

static void
coef_object(JsonWriter *w, const char *key, const FeatureSpec *spec, const double *b)
{
	jw_begin_object(w, key);
	jw_number(w, "(intercept)", b[0]);
	for (int j = 0; j < spec->dim; j++)
		jw_number(w, featurespec_slot_name(spec, j), b[j + 1]);
	jw_end_object(w);
}

/*
 * MADlib logregr's statistics for an unpenalised binary fit, from the
 * Hessian at the final coefficients (working space, transformed back:
 * cov_x = B' H^-1 B, H_x = C H C' with C = B^-1).
 */
static void
binary_inference(JsonWriter *w, const FeatureSpec *spec, const Fit *f, const double *coef)
{
	int			q = f->q;
	double	   *Hinv = palloc(sizeof(double) * q * q);
	double	   *Hx = palloc0(sizeof(double) * q * q);
	double	   *se = palloc(sizeof(double) * q);
	double	   *zs = palloc(sizeof(double) * q);

	if (!mldb_chol_inverse(q, f->H, Hinv))
		(void) mldb_sym_pinv(q, f->H, RANK_RCOND, Hinv);

	/*
	 * cov_x[i][j] = sum_kl B[k][i] Hinv[k][l] B[l][j], with B[0][0] = 1,
	 * B[j][0] = -mu_j/sd_j, B[j][j] = 1/sd_j (rows z, columns x).
	 */
	for (int i = 0; i < q; i++)
	{
		double		v = 0;

		for (int k = 0; k < q; k++)
		{
			double		bki = i == 0 ? (k == 0 ? 1.0 : -f->mu[k - 1] * f->inv_sd[k - 1]) :
				(k == i ? f->inv_sd[i - 1] : 0.0);

			if (bki == 0)
				continue;
			for (int l = 0; l < q; l++)
			{
				double		bli = i == 0 ? (l == 0 ? 1.0 : -f->mu[l - 1] * f->inv_sd[l - 1]) :
					(l == i ? f->inv_sd[i - 1] : 0.0);

				v += bki * Hinv[k * q + l] * bli;
			}
		}
		se[i] = sqrt(Max(v, 0.0));
		zs[i] = coef[i] / se[i];
	}

	/*
	 * H_x = C H C' with C[0][0] = 1, C[j][0] = mu_j, C[j][j] = sd_j: first
	 * M = H C', then C M, each O(q^2) thanks to C's two diagonals.
	 */
	{
		double	   *M = palloc(sizeof(double) * q * q);

		for (int k = 0; k < q; k++)
			for (int j = 0; j < q; j++)
				M[k * q + j] = j == 0 ? f->H[k * q] :
					f->H[k * q] * f->mu[j - 1] + f->H[k * q + j] * f->sd[j - 1];
		for (int i = 0; i < q; i++)
			for (int j = 0; j < q; j++)
				Hx[i * q + j] = i == 0 ? M[j] :
					f->mu[i - 1] * M[j] + f->sd[i - 1] * M[i * q + j];
		pfree(M);
	}

	coef_object(w, "std_err", spec, se);
	coef_object(w, "z_stats", spec, zs);
	for (int i = 0; i < q; i++)
		zs[i] = mldb_normal_pvalue(zs[i]);
	coef_object(w, "p_values", spec, zs);
	for (int i = 0; i < q; i++)
		zs[i] = exp(coef[i]);
	coef_object(w, "odds_ratios", spec, zs);
	jw_number(w, "condition_no", sqrt(mldb_sym_cond(q, Hx)));
}

/* accuracy, log_loss, n and split, plus the per-class report of metrics.c */
/* an evaluation row for one class's ROC AUC: its score, and whether it is the class */
typedef struct ScoredRow
{
	double		score;
	bool		pos;
} ScoredRow;

/* A double's bits as an unsigned key in the doubles' order (no NaN). */
static inline uint64
score_key(double v)
{
	uint64		b;

	memcpy(&b, &v, sizeof(b));
	return (b & UINT64CONST(0x8000000000000000)) ? ~b : b | UINT64CONST(0x8000000000000000);
}

/*
 * Sort rows by score: least-significant-digit radix sort on score_key,
 * four passes of 16 bits (a comparison sort of the 250,000 hold-out rows
 * of a 1M-row training took a tenth of a Newton pass).
 */
static void
sort_scored(ScoredRow *rows, int64 n)
{
	ScoredRow  *tmp = MemoryContextAllocExtended(CurrentMemoryContext,
												 sizeof(ScoredRow) * Max(n, 1), MCXT_ALLOC_HUGE);
	int64	   *count = palloc(sizeof(int64) * 65536);
	ScoredRow  *src = rows;
	ScoredRow  *dst = tmp;

	for (int shift = 0; shift < 64; shift += 16)
	{
		int64		total = 0;

		memset(count, 0, sizeof(int64) * 65536);
		for (int64 i = 0; i < n; i++)
			count[(score_key(src[i].score) >> shift) & 0xFFFF]++;
		for (int d = 0; d < 65536; d++)
		{
			int64		c = count[d];

			count[d] = total;
			total += c;
		}
		for (int64 i = 0; i < n; i++)
			dst[count[(score_key(src[i].score) >> shift) & 0xFFFF]++] = src[i];
		{
			ScoredRow  *t = src;

			src = dst;
			dst = t;
		}
	}
	/* four passes: the sorted rows are back in rows */
	Assert(src == rows);
	pfree(tmp);
	pfree(count);
}

/*
 * ROC AUC of class k against the rest from the evaluation rows' scores in
 * column col, ties by the trapezoid rule (as mldb.roc_auc): each positive
 * counts the negatives scored below it and half of those scored the same.
 * NaN without both outcomes.
 */
static double
escore_auc(const double *rows, int64 n, int w, int col, int k)
{
	ScoredRow  *sr = MemoryContextAllocExtended(CurrentMemoryContext,
												sizeof(ScoredRow) * Max(n, 1), MCXT_ALLOC_HUGE);
	double		pos = 0;
	double		neg_below = 0;
	double		sum = 0;

	for (int64 i = 0; i < n; i++)
	{
		sr[i].score = rows[i * w + col];
		sr[i].pos = (int) rows[i * w] == k;
	}
	sort_scored(sr, n);
	for (int64 i = 0; i < n;)
	{
		int64		j = i;
		double		gp = 0;
		double		gn = 0;

		for (; j < n && sr[j].score == sr[i].score; j++)
		{
			if (sr[j].pos)
				gp++;
			else
				gn++;
		}
		sum += gp * (neg_below + 0.5 * gn);
		pos += gp;
		neg_below += gn;
		i = j;
	}
	pfree(sr);
	return pos > 0 && neg_below > 0 ? sum / (pos * neg_below) : NAN;
}

/*
 * How many scores per evaluation row a fit keeps for ROC AUC: the final
 * fits only (not cross-validation folds), at most AUC_MAX_CLASSES classes
 * and AUC_MAX_DOUBLES numbers in all (else the metrics leave it out, and
 * mldb.evaluate gives it).
 */
static int
fit_auc_width(const Fit *f, double eval_rows)
{
	int			w = f->K == 2 ? 1 : f->K;

	if (f->fold > 0 || f->K > AUC_MAX_CLASSES || eval_rows * (1 + w) > AUC_MAX_DOUBLES)
		return 0;
	return w;
}

static Jsonb *
fit_metrics(const Fit *f, const FeatureSpec *spec)
{
	ClsMetricsState st;
	JsonWriter	w;
	Jsonb	   *report;
	int			K = f->K;

	mldb_clsmetrics_init(&st, CurrentMemoryContext);
	for (int a = 0; a < K; a++)
		for (int b = 0; b < K; b++)
		{
			int			la = strlen(spec->classes[a]);
			int			lb = strlen(spec->classes[b]);

			for (int64 c = 0; c < (int64) f->conf[a * K + b]; c++)
				mldb_clsmetrics_add(&st, spec->classes[a], la, spec->classes[b], lb);
		}
	report = mldb_clsmetrics_jsonb(&st);

	jw_init(&w);
	jw_number(&w, "accuracy", f->en > 0 ? f->ecorrect / f->en : NAN);
	jw_number(&w, "log_loss", f->en > 0 ? f->eloss / f->en : NAN);
	jw_int(&w, "n", (int64) f->en);
	jw_string(&w, "split", f->eval_slot == PASS_HOLDOUT_SLOT ? "holdout" : "train");
	if (f->escore != NULL)
	{
		int			width = 1 + f->nauc;
		int			nk = 0;
		double		sum = 0;

		for (int64 i = 0; i < f->ne; i++)
			if (!(f->escore[i * width] >= 0 && f->escore[i * width] < K))
				elog(ERROR, "evaluation score of an unknown class");
		if (f->nauc == 1)
			jw_number(&w, "roc_auc", escore_auc(f->escore, f->ne, width, 1, 1));
		else
		{
			/* one-vs-rest, macro over the classes with both outcomes */
			for (int k = 0; k < K; k++)
			{
				double		auc = escore_auc(f->escore, f->ne, width, 1 + k, k);

				if (!isnan(auc))
				{
					sum += auc;
					nk++;
				}
			}
			if (nk > 0)
				jw_number(&w, "roc_auc_ovr_macro", sum / nk);
		}
	}
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(report),
											  JsonbPGetDatum(jw_finish(&w))));
}

static const char *
fit_end_name(const Fit *f)
{
	switch (f->end)
	{
		case END_CONVERGED:
			return "converged";
		case END_MAX_ITER:
			return "max_iter";
		case END_SEPARABLE:
			return "separable";
		case END_STALLED:
			return "stalled";
	}
	return "?";
}

static Jsonb *
fit_params(const Fit *f, const FeatureSpec *spec, const double *coef)
{
	JsonWriter	w;
	bool		inference = f->lambda == 0 && f->K == 2 && f->end != END_SEPARABLE && !f->lbfgs;

	jw_init(&w);
	if (f->K == 2)
		coef_object(&w, "coef", spec, coef);
	else
	{
		double	   *zero = palloc0(sizeof(double) * f->q);

		jw_begin_object(&w, "coef");
		for (int k = 0; k < f->K; k++)
			coef_object(&w, spec->classes[k], spec,
						k < f->off ? zero : coef + (Size) (k - f->off) * f->q);
		jw_end_object(&w);
	}
	if (inference)
		binary_inference(&w, spec, f, coef);
	jw_number(&w, "log_likelihood", -f->loss);
	jw_begin_array(&w, "classes");
	for (int k = 0; k < f->K; k++)
		jw_string(&w, NULL, spec->classes[k]);
	jw_end_array(&w);
	if (f->K == 2)
		jw_string(&w, "positive_class", spec->classes[1]);
	else if (f->off)
		jw_string(&w, "reference_class", spec->classes[0]);
	jw_begin_object(&w, "class_counts");
	for (int k = 0; k < f->K; k++)
		jw_int(&w, spec->classes[k], (int64) f->nk[k]);
	jw_end_object(&w);
	jw_string(&w, "penalty", f->lambda > 0 ? "l2" : "none");
	if (f->lambda > 0)
	{
		jw_number(&w, "C", 1.0 / f->lambda);
		jw_number(&w, "alpha", f->lambda);
	}
	jw_bool(&w, "standardize", f->standardize);
	jw_int(&w, "iterations", f->iter);
	jw_bool(&w, "converged", f->end == END_CONVERGED);
	jw_bool(&w, "separable", f->end == END_SEPARABLE);
	if (f->end == END_SEPARABLE)
		jw_string(&w, "separation", f->separation);
	jw_string(&w, "stop", fit_end_name(f));
	jw_number(&w, "tol", f->tol);
	jw_int(&w, "max_iter", f->max_iter);
	jw_begin_array(&w, "loss_history");
	for (int i = 0; i < f->nhist; i++)
		jw_number(&w, NULL, f->hist_F[i]);
	jw_end_array(&w);
	jw_number(&w, "objective", f->F);
	jw_string(&w, "solver", f->lbfgs ? "lbfgs" : f->pinv ? "newton_pseudo_inverse" : "newton_cholesky");
	if (f->lbfgs)
		jw_int(&w, "evaluations", f->passes);
	if (f->pinv)
		jw_int(&w, "rank", f->rank);
	jw_bool(&w, "warm_start", f->warm);
	jw_int(&w, "sample_rows", f->sample_rows);
	jw_int(&w, "sample_iterations", f->sample_iter);
	jw_int(&w, "n", (int64) f->n);
	return jw_finish(&w);
}

/*
 * The probe's pass skipped no row for a missing feature: both classes must
 * have training rows (else the error of a profiled training), and the
 * impute values, for predict, are the training means.
 */
static FeatureSpec *
probe_spec(const TrainSetup *ts, LogitAcc *macc)
{
	FeatureSpec *spec = featurespec_copy(ts->spec);
	Moments    *mo = gram_moments(macc->gram, 1, ts->nfolds);
	const char **seen = palloc(sizeof(char *) * ts->K);
	int			n = 0;

	for (int k = 0; k < ts->K; k++)
	{
		double		c = 0;

		for (int s = 1; s <= ts->nfolds; s++)
			c += macc->cnt[s * ts->K + k];
		if (c > 0)
			seen[n++] = spec->classes[k];
	}
	train_check_classes(spec, seen, n);
	for (int i = 0; i < spec->ncols; i++)
	{
		spec->cols[i].missing = MISSING_IMPUTE;
		spec->cols[i].impute = mo->mean[spec->cols[i].offset];
	}
	featurespec_layout(spec);
	return spec;
}

/* ---------------------------------------------------------------------
 * Training
 * ---------------------------------------------------------------------
 */

static void
logistic_train(const TrainInput *in, TrainOutput *out)
{
	const FeatureSpec *spec = in->spec;
	const MldbAlgorithm *algo = out->model->algo;
	List	   *settings = options_search_settings(in->options, algo->options, algo->name);
	int			nsettings = settings != NIL ? list_length(settings) : 1;
	TrainSetup	ts;
	int			nfits;
	Fit		   *fits;
	Fit		   *best;
	int			best_setting = 0;
	MemoryContext passcxt;
	StringInfoData extra;
	PassCtx		ctx;
	PassResult	res;
	LogitAcc   *macc;
	double		ho_n = 0;
	double	   *warm = NULL;
	int			passes = 1;
	double	   *pass_ms = palloc(sizeof(double) * (2 + DEFAULT_MAX_ITER));
	int			max_passes = 2 + DEFAULT_MAX_ITER;
	instr_time	start;
	double	   *coef;
	LogisticParams *lp;
	JsonWriter	w;
	TrainInput	probed;

	ts.spec = spec;
	ts.K = spec->nclasses;
	ts.p = spec->dim;
	ts.nfolds = settings != NIL ? (int) opt_int(in->options, "cv", DEFAULT_CV) : 1;
	if (ts.K < 2)
		elog(ERROR, "logistic_regression needs the classes of the target");

	/* the options as given must be consistent; search settings may not be */
	{
		Fit			check = {0};

		fit_settings(&check, in->options, true);
	}

	/* per setting: the final fit, then one fit per cross-validation fold */
	nfits = nsettings * (settings != NIL ? 1 + ts.nfolds : 1);
	fits = palloc0(sizeof(Fit) * nfits);
	for (int s = 0, i = 0; s < nsettings; s++)
	{
		Jsonb	   *opts = settings != NIL ?
			((SearchSetting *) list_nth(settings, s))->options : in->options;

		fit_setup(&fits[i++], &ts, opts, s, 0);
		if (settings != NIL)
			for (int f = 1; f <= ts.nfolds; f++)
				fit_setup(&fits[i++], &ts, opts, s, f);
	}

	passcxt = AllocSetContextCreate(CurrentMemoryContext, "logistic_regression pass",
									ALLOCSET_DEFAULT_SIZES);

	/* pass 1: moments, and with them Newton's first iteration */
	initStringInfo(&extra);
	bin_write_int32(&extra, LOGIT_MOMENTS);
	bin_write_int32(&extra, ts.K);
	bin_write_int32(&extra, ts.p);
	bin_write_int32(&extra, 0);
	bin_write_int32(&extra, Min(SAMPLE_ROWS, SAMPLE_DOUBLES / (ts.p + 1)));
	ctx = logit_ctx(in, ts.nfolds, &extra);
	INSTR_TIME_SET_CURRENT(start);
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	pass_ms[0] = mldb_elapsed_ms(start);
	out->rows_skipped = res.rows_skipped;
	macc = (LogitAcc *) res.acc;
	if (macc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("relation has no rows to train on"),
				 errhint("Check the relation, or the query's WHERE clause.")));
	for (int k = 0; k < ts.K; k++)
		ho_n += macc->cnt[PASS_HOLDOUT_SLOT * ts.K + k];
	for (int slot = 1; slot <= ts.nfolds; slot++)
	{
		double		rows = 0;

		for (int k = 0; k < ts.K; k++)
			rows += macc->cnt[slot * ts.K + k];
		if (rows == 0 && ts.nfolds == 1)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("no usable training rows"),
					 errdetail(INT64_FORMAT " rows read, " INT64_FORMAT " skipped for a NULL label or a missing feature, %.0f held out.",
							   res.rows_seen, res.rows_skipped, ho_n),
					 errhint("Check the relation, or the query's WHERE clause.")));
		if (rows == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cv = %d leaves fold %d without rows", ts.nfolds, slot),
					 errhint("Use fewer folds than training rows.")));
	}

	if (in->probing)
	{
		/* MldbAlgorithm.probes_missing */
		if (res.rows_missing > 0)
		{
			out->retry_with_profile = true;
			return;
		}
		out->spec = probe_spec(&ts, macc);
		probed = *in;
		probed.spec = out->spec;
		in = &probed;
		ts.spec = out->spec;
	}

	if (opt_bool(in->options, "warm_start", false))
		warm = warm_coefficients(in);

	if (macc->sample != NULL)
		rowsample_sort(macc->sample);
	for (int i = 0; i < nfits; i++)
	{
		Fit		   *f = &fits[i];

		f->eval_slot = f->fold > 0 ? f->fold : ho_n > 0 ? PASS_HOLDOUT_SLOT : EVAL_TRAIN;
		f->eval_rows = ho_n > 0 ? ho_n : res.rows_seen;
		f->nauc = fit_auc_width(f, f->eval_rows);
		fit_start_from_moments(f, macc, &ts);
		if (warm != NULL && f->fold == 0)
			fit_warm_start(f, warm);
		else if (macc->sample != NULL && fit_on_sample(f, macc, &ts, in->model_name, passcxt))
			;
		else
			fit_advance(f, in->model_name);
	}

	/* Newton passes until every fit is done */
	for (;;)
	{
		bool		any = false;

		for (int i = 0; i < nfits; i++)
			any |= fits[i].status != FIT_DONE;
		if (!any)
			break;
		CHECK_FOR_INTERRUPTS();
		INSTR_TIME_SET_CURRENT(start);
		newton_pass(in, &ts, fits, nfits, passcxt);
		if (passes == max_passes)
		{
			max_passes *= 2;
			pass_ms = repalloc(pass_ms, sizeof(double) * max_passes);
		}
		pass_ms[passes++] = mldb_elapsed_ms(start);
		elog(DEBUG1, "logistic_regression %s: pass %d took %.1f ms", in->model_name,
			 passes, pass_ms[passes - 1]);
		for (int i = 0; i < nfits; i++)
		{
			Fit		   *f = &fits[i];

			if (f->status != FIT_DONE && f->scored)
				fit_advance(f, in->model_name);
			/* done on a pass that kept no scores: one more scores it */
			if (f->status == FIT_DONE && f->nauc > 0 && !f->kept_scores)
			{
				f->status = FIT_SCORING;
				f->scored = false;
			}
		}
	}

	/* the search: best mean fold accuracy, ties to the lower log-loss */
	if (settings != NIL)
	{
		double		best_acc = -INFINITY;
		double		best_ll = INFINITY;

		jw_init(&w);
		jw_string(&w, "search_method", opt_string(in->options, "search_method", "grid"));
		jw_int(&w, "cv", ts.nfolds);
		jw_begin_array(&w, "trials");
		for (int s = 0; s < nsettings; s++)
		{
			SearchSetting *setting = (SearchSetting *) list_nth(settings, s);
			Fit		   *cv = &fits[s * (1 + ts.nfolds) + 1];
			double		mean_acc = 0;
			double		mean_ll = 0;
			double		var = 0;

			for (int f = 0; f < ts.nfolds; f++)
			{
				mean_acc += cv[f].ecorrect / cv[f].en / ts.nfolds;
				mean_ll += cv[f].eloss / cv[f].en / ts.nfolds;
			}
			for (int f = 0; f < ts.nfolds; f++)
			{
				double		d = cv[f].ecorrect / cv[f].en - mean_acc;

				var += d * d / ts.nfolds;
			}
			jw_begin_object(&w, NULL);
			jw_raw(&w, "params", JsonbToCString(NULL, &setting->params->root, VARSIZE(setting->params)));
			jw_number(&w, "mean_accuracy", mean_acc);
			jw_number(&w, "std_accuracy", sqrt(var));
			jw_number(&w, "mean_log_loss", mean_ll);
			jw_begin_array(&w, "fold_accuracy");
			for (int f = 0; f < ts.nfolds; f++)
				jw_number(&w, NULL, cv[f].ecorrect / cv[f].en);
			jw_end_array(&w);
			jw_begin_array(&w, "fold_iterations");
			for (int f = 0; f < ts.nfolds; f++)
				jw_int(&w, NULL, cv[f].iter);
			jw_end_array(&w);
			jw_end_object(&w);
			if (mean_acc > best_acc || (mean_acc == best_acc && mean_ll < best_ll))
			{
				best_acc = mean_acc;
				best_ll = mean_ll;
				best_setting = s;
			}
		}
		jw_end_array(&w);
		jw_raw(&w, "best_params",
			   JsonbToCString(NULL, &((SearchSetting *) list_nth(settings, best_setting))->params->root,
							  VARSIZE(((SearchSetting *) list_nth(settings, best_setting))->params)));
		jw_number(&w, "best_mean_accuracy", best_acc);
	}
	best = &fits[best_setting * (settings != NIL ? 1 + ts.nfolds : 1)];

	if (best->end == END_SEPARABLE)
		ereport(WARNING,
				(errmsg("the training rows are %sseparable: the maximum-likelihood estimate does not exist",
						strcmp(best->separation, "quasi-complete") == 0 ? "quasi-completely " :
						strcmp(best->separation, "complete") == 0 ? "completely " : ""),
				 errdetail_plural("Newton's method stopped after %d iteration with finite coefficients (params \"separable\": true); probabilities near 0 and 1 are not to be trusted, and no standard errors are reported.",
								  "Newton's method stopped after %d iterations with finite coefficients (params \"separable\": true); probabilities near 0 and 1 are not to be trusted, and no standard errors are reported.",
								  best->iter, best->iter),
				 errhint("Use the L2 penalty (\"penalty\": \"l2\", the default, with C), or leave out the feature(s) that separate the classes.")));
	else if (best->end == END_MAX_ITER)
		ereport(WARNING,
				(errmsg_plural("logistic_regression did not converge in %d iteration",
							   "logistic_regression did not converge in %d iterations",
							   best->max_iter, best->max_iter),
				 best->lbfgs ?
				 errdetail("L-BFGS: the last gradient norm relative to the objective was %g; tol is %g.", best->last_step, best->tol) :
				 errdetail("The last relative step was %g; tol is %g.", best->last_step, best->tol),
				 errhint("Raise max_iter or tol, or increase the penalty (a smaller C).")));
	else if (best->end == END_STALLED)
		ereport(WARNING,
				(best->lbfgs ?
				 errmsg("logistic_regression stopped: the L-BFGS line search found no acceptable step in %d trials",
						MAX_HALVINGS) :
				 errmsg("logistic_regression stopped: %d step halvings could not lower the objective",
						MAX_HALVINGS),
				 errhint("The features may be nearly collinear or badly scaled; try standardize, or a penalty.")));
	if (best->pinv)
		ereport(NOTICE,
				(errmsg("the Hessian is singular (rank %d of %d): Newton steps used the pseudo-inverse",
						best->rank, best->npar),
				 errhint("Collinear features (or one-hot levels, which are not dropped) are not identified without a penalty; consider dropping some, or use the L2 penalty.")));

	coef = fit_coef(best);
	out->rows_used = (int64) best->n;
	out->params = fit_params(best, spec, coef);
	out->metrics = fit_metrics(best, spec);
	out->scores_holdout = best->eval_slot == PASS_HOLDOUT_SLOT;

	/* training_info: the search, then each accepted iterate of the model */
	if (settings == NIL)
		jw_init(&w);
	jw_int(&w, "passes", passes);
	jw_begin_array(&w, "pass_ms");
	for (int i = 0; i < passes; i++)
		jw_number(&w, NULL, pass_ms[i]);
	jw_end_array(&w);
	jw_begin_array(&w, "iterations");
	for (int i = 0; i < best->nhist; i++)
	{
		jw_begin_object(&w, NULL);
		jw_int(&w, "iteration", i);
		jw_number(&w, "objective", best->hist_F[i]);
		jw_number(&w, "relative_step", best->hist_rel[i]);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	out->training_info = jw_finish(&w);

	lp = palloc0(sizeof(LogisticParams));
	lp->K = best->K;
	lp->m = best->m;
	lp->p = best->p;
	lp->coef = coef;
	lp->eta = palloc(sizeof(double) * lp->K);
	out->model->params = lp;
	MemoryContextDelete(passcxt);
}

/* ---------------------------------------------------------------------
 * Predict and state
 * ---------------------------------------------------------------------
 */

/* eta for every class (the reference's is 0); returns the argmax */
static int
logistic_eta(const LogisticParams *lp, const double *x, double *eta)
{
	int			q = lp->p + 1;
	int			off = lp->K - lp->m;
	int			best = 0;

	for (int k = 0; k < lp->K; k++)
	{
		double		t = 0;

		if (k >= off)
		{
			const double *b = lp->coef + (Size) (k - off) * q;

			t = b[0];
			for (int j = 0; j < lp->p; j++)
				t += b[j + 1] * x[j];
		}
		eta[k] = t;
		if (t > eta[best])
			best = k;
	}
	return best;
}

/* the class index with the largest probability (the lowest on ties) */
static double
logistic_predict(const MldbModel *m, const double *x)
{
	const LogisticParams *lp = (const LogisticParams *) m->params;

	return (double) logistic_eta(lp, x, lp->eta);
}

static void
logistic_predict_proba(const MldbModel *m, const double *x, double *proba)
{
	const LogisticParams *lp = (const LogisticParams *) m->params;
	double	   *eta = lp->eta;
	int			top = logistic_eta(lp, x, eta);
	double		s = 0;

	if (lp->K == 2)
	{
		/* both tails computed directly: no 1 - p rounding */
		proba[1] = sigmoid(eta[1]);
		proba[0] = sigmoid(-eta[1]);
		return;
	}
	for (int k = 0; k < lp->K; k++)
	{
		proba[k] = exp(eta[k] - eta[top]);
		s += proba[k];
	}
	for (int k = 0; k < lp->K; k++)
		proba[k] /= s;
}

static void
logistic_write(StringInfo buf, const MldbModel *m)
{
	const LogisticParams *lp = (const LogisticParams *) m->params;

	bin_write_int32(buf, lp->K);
	bin_write_int32(buf, lp->m);
	bin_write_int32(buf, lp->p);
	bin_write_float8_array(buf, lp->coef, lp->m * (lp->p + 1));
}

static void *
logistic_read(BinReader *r, const MldbModel *m)
{
	LogisticParams *lp = palloc0(sizeof(LogisticParams));

	lp->K = bin_read_int32(r);
	lp->m = bin_read_int32(r);
	lp->p = bin_read_int32(r);
	if (lp->K != m->spec->nclasses || lp->K < 2 || lp->p != m->spec->dim ||
		(lp->m != lp->K && lp->m != lp->K - 1) ||
		(Size) lp->m * (lp->p + 1) > LBFGS_MAX_PARAMS)
		bin_corrupted(r, "logistic coefficients do not match the features and classes");
	lp->coef = bin_read_float8_array(r, lp->m * (lp->p + 1));
	lp->eta = palloc(sizeof(double) * lp->K);
	return lp;
}

const MldbAlgorithm logistic_regression_algorithm = {
	.name = "logistic_regression", .supports_search = true, .id = 7, .task = MLDB_TASK_CLASSIFICATION,
	.score_metric = "accuracy", .score_higher_is_better = true, .probes_missing = true,
	.options = logistic_options, .train = logistic_train,
	.predict = logistic_predict, .predict_proba = logistic_predict_proba,
	.write = logistic_write, .read = logistic_read,
};
