/*-------------------------------------------------------------------------
 * algo_pca.c
 *	  Principal component analysis (algorithm "pca").
 *
 *	  One PASS_GRAM scan gives the centred scatter matrix M of the encoded
 *	  features; the covariance S = M / (n - 1) (or, with standardize, the
 *	  covariance of the features divided by their population standard
 *	  deviation, i.e. the correlation matrix times n / (n - 1), exactly
 *	  what scikit-learn's StandardScaler followed by PCA decomposes) is
 *	  eigen-decomposed (LAPACK dsyevr through mldb_sym_eigen) and the
 *	  eigenvectors of the largest eigenvalues are kept.
 *
 *	  PCA has no hold-out score: it uses every row, whatever test_size.
 *
 *	  Sign convention: mldb_sym_eigen makes the largest-magnitude loading of
 *	  each component positive (first one on an exact tie), so components and
 *	  transforms are reproducible across BLAS builds and parallel plans.
 *	  scikit-learn instead flips by the scores (svd_flip on U), so its
 *	  components agree with these up to the sign of each component.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "gram.h"
#include "linalg.h"
#include "model.h"

static const OptionDef pca_options[] = {
	{"n_components", OPT_NUMBER, 0, INFINITY, true},
	{NULL}
};

typedef struct PcaParams
{
	int			dim;
	int			ncomp;
	double	   *mean;			/* dim */
	double	   *scale;			/* dim; 1 without standardize */
	double	   *components;		/* ncomp x dim, row c = component c */
	double	   *z;				/* dim scratch for transform */
} PcaParams;

static void
feature_object(JsonWriter *w, const char *key, const FeatureSpec *spec, const double *v)
{
	jw_begin_object(w, key);
	for (int j = 0; j < spec->dim; j++)
		jw_number(w, featurespec_slot_name(spec, j), v[j]);
	jw_end_object(w);
}

static void
pca_train(const TrainInput *in, TrainOutput *out)
{
	const FeatureSpec *spec = in->spec;
	int			p;
	bool		standardize = opt_bool(in->options, "standardize", false);
	double		ncomp_opt;
	PassCtx		ctx = {0};
	PassResult	res;
	Moments    *mo;
	PcaParams  *pp = palloc0(sizeof(PcaParams));
	double	   *S;
	double	   *w;
	double	   *V;
	double	   *ev;				/* eigenvalues, descending */
	double		total = 0;
	double		kept = 0;
	int			q;
	JsonWriter	jw;

	/* every row, no hold-out: PCA has nothing to score on one */
	ctx.kind = PASS_GRAM;
	ctx.spec = in->spec;
	ctx.seed = in->seed;
	ctx.test_size = 0;
	ctx.nfolds = 1;
	res = pass_run(&ctx, in->from_sql, in->args_sql);
	out->rows_skipped = res.rows_skipped;
	mo = res.acc != NULL ? gram_moments(res.acc, 0, 1) : NULL;
	if (mo == NULL || mo->n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("pca needs at least two rows, got %.0f usable", mo != NULL ? mo->n : 0.0),
				 errdetail(INT64_FORMAT " rows read, " INT64_FORMAT " skipped for a NULL or non-finite feature.",
						   res.rows_seen, res.rows_skipped),
				 errhint("Check the relation, or the query's WHERE clause.")));
	/* numeric NULLs came as indicators (deferred_impute): impute the means */
	spec = out->spec = gram_resolve_indicators(spec, &mo, 1);
	p = spec->dim;
	out->rows_used = (int64) mo->n;

	ncomp_opt = opt_number(in->options, "n_components", p);
	if (ncomp_opt >= 1 && ncomp_opt != floor(ncomp_opt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"n_components\" must be an integer >= 1 or a fraction in (0, 1)"),
				 errhint("Got %g: pass a number of components such as 2, or the share of variance to keep such as 0.95.", ncomp_opt)));
	if (ncomp_opt > p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_components (%.0f) is larger than the number of features (%d)", ncomp_opt, p),
				 errhint("Ask for at most %d components, or a fraction such as 0.95 to keep that share of the variance.", p)));
	if (ncomp_opt > mo->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_components (%.0f) is larger than the number of rows (%.0f)", ncomp_opt, mo->n),
				 errhint("Ask for at most %.0f components.", mo->n)));

	S = palloc(sizeof(double) * p * p);
	w = palloc(sizeof(double) * p);
	V = palloc(sizeof(double) * p * p);
	ev = palloc(sizeof(double) * p);
	pp->dim = p;
	pp->mean = palloc(sizeof(double) * p);
	pp->scale = palloc(sizeof(double) * p);
	pp->z = palloc(sizeof(double) * p);
	for (int j = 0; j < p; j++)
	{
		double		sd = sqrt(mo->M[j * p + j] / mo->n);

		pp->mean[j] = mo->mean[j];
		/* a constant column stays 0 after centring: leave it unscaled */
		pp->scale[j] = standardize && sd > 0 && isfinite(sd) ? sd : 1.0;
	}
	for (int i = 0; i < p; i++)
		for (int j = 0; j < p; j++)
			S[i * p + j] = mo->M[i * p + j] / (pp->scale[i] * pp->scale[j]) / (mo->n - 1);

	mldb_sym_eigen(p, S, w, V);
	for (int c = 0; c < p; c++)
	{
		ev[c] = Max(w[p - 1 - c], 0.0);	/* rounding can leave -1e-17 */
		total += ev[c];
	}

	if (ncomp_opt >= 1)
		q = (int) ncomp_opt;
	else
	{
		/* scikit-learn: searchsorted(cumsum(ratio), n_components, 'right') + 1 */
		double		cum = 0;

		q = 1;
		for (int c = 0; c < p - 1; c++)
		{
			cum += total > 0 ? ev[c] / total : 0;
			if (cum <= ncomp_opt)
				q = c + 2;
			else
				break;
		}
	}
	pp->ncomp = q;
	pp->components = palloc(sizeof(double) * q * p);
	for (int c = 0; c < q; c++)
	{
		for (int j = 0; j < p; j++)
			pp->components[c * p + j] = V[j * p + (p - 1 - c)];
		kept += ev[c];
	}

	jw_init(&jw);
	jw_int(&jw, "n_components", q);
	jw_begin_array(&jw, "components");
	for (int c = 0; c < q; c++)
		feature_object(&jw, NULL, spec, pp->components + (Size) c * p);
	jw_end_array(&jw);
	jw_begin_array(&jw, "explained_variance");
	for (int c = 0; c < q; c++)
		jw_number(&jw, NULL, ev[c]);
	jw_end_array(&jw);
	jw_begin_array(&jw, "explained_variance_ratio");
	for (int c = 0; c < q; c++)
		jw_number(&jw, NULL, total > 0 ? ev[c] / total : NAN);
	jw_end_array(&jw);
	jw_number(&jw, "total_variance", total);
	feature_object(&jw, "mean", spec, pp->mean);
	if (standardize)
		feature_object(&jw, "scale", spec, pp->scale);
	jw_bool(&jw, "standardize", standardize);
	jw_int(&jw, "n", (int64) mo->n);
	out->params = jw_finish(&jw);

	jw_init(&jw);
	jw_number(&jw, "explained_variance_ratio", total > 0 ? kept / total : NAN);
	jw_int(&jw, "n_components", q);
	jw_int(&jw, "n", (int64) mo->n);
	jw_string(&jw, "split", "train");
	out->metrics = jw_finish(&jw);
	out->scores_holdout = false;
	out->model->params = pp;
}

static double
pca_predict(const MldbModel *m, const double *x)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("a pca model has no prediction"),
			 errhint("Project rows on the components with mldb.transform(model, row), which returns float8[].")));
	return 0;					/* keep compiler quiet */
}

static int
pca_transform_dim(const MldbModel *m)
{
	return ((const PcaParams *) m->params)->ncomp;
}

/* the scores: components . (x - mean) / scale */
static void
pca_transform(const MldbModel *m, const double *x, double *out)
{
	const PcaParams *pp = (const PcaParams *) m->params;
	int			p = pp->dim;

	for (int j = 0; j < p; j++)
		pp->z[j] = (x[j] - pp->mean[j]) / pp->scale[j];
	for (int c = 0; c < pp->ncomp; c++)
	{
		const double *v = pp->components + (Size) c * p;
		double		s = 0;

		for (int j = 0; j < p; j++)
			s += v[j] * pp->z[j];
		out[c] = s;
	}
}

static void
pca_write(StringInfo buf, const MldbModel *m)
{
	const PcaParams *pp = (const PcaParams *) m->params;

	bin_write_int32(buf, pp->dim);
	bin_write_int32(buf, pp->ncomp);
	bin_write_float8_array(buf, pp->mean, pp->dim);
	bin_write_float8_array(buf, pp->scale, pp->dim);
	bin_write_float8_array(buf, pp->components, pp->ncomp * pp->dim);
}

static void *
pca_read(BinReader *r, const MldbModel *m)
{
	PcaParams  *pp = palloc0(sizeof(PcaParams));

	pp->dim = bin_read_int32(r);
	pp->ncomp = bin_read_int32(r);
	if (pp->dim != m->spec->dim)
		bin_corrupted(r, "component length does not match the features");
	if (pp->ncomp < 1 || pp->ncomp > pp->dim)
		bin_corrupted(r, "component count out of range");
	pp->mean = bin_read_float8_array(r, pp->dim);
	pp->scale = bin_read_float8_array(r, pp->dim);
	pp->components = bin_read_float8_array(r, pp->ncomp * pp->dim);
	pp->z = palloc(sizeof(double) * Max(pp->dim, 1));
	return pp;
}

const MldbAlgorithm pca_algorithm = {
	.name = "pca", .id = 6, .task = MLDB_TASK_DECOMPOSITION,
	.score_metric = NULL,
	.deferred_impute = true,
	.options = pca_options, .train = pca_train,
	.predict = pca_predict, .write = pca_write, .read = pca_read,
	.transform_dim = pca_transform_dim, .transform = pca_transform,
};
