/*-------------------------------------------------------------------------
 * algo_kmeans.c
 *	  k-means clustering (algorithm "kmeans").
 *
 *	  Training, all passes parallel-capable aggregates:
 *	  1. one PASS_SAMPLE scan: per-feature mean/variance of the training
 *	     rows (for standardize and for tol) and a deterministic bottom-k
 *	     sample of them (sample.c, up to KMEANS_SAMPLE_ROWS rows);
 *	  2. in memory, n_init restarts on the sample, each a greedy k-means++
 *	     seeding (Arthur & Vassilvitskii 2007, with the 2 + ln k local
 *	     trials of scikit-learn's _kmeans_plusplus) followed by Lloyd
 *	     iterations; the restart with the lowest sample inertia wins;
 *	  3. Lloyd iterations on the full training split, each ONE PASS_KMEANS
 *	     scan accumulating per cluster the row count, the sum of (z - c)
 *	     and the squared distances, until the total squared centre shift is
 *	     <= tol * (mean feature variance) (scikit-learn's tol) or max_iter;
 *	     a last scan scores the final centres unless the last shift was
 *	     negligible.
 *	  An empty cluster is re-seeded at the sample row farthest from its
 *	  nearest centre (in the sample restarts and in the full iterations).
 *
 *	  Everything happens in the working space z = (x - mean) / scale, with
 *	  mean 0 and scale 1 unless standardize (default on): so inertia,
 *	  transform distances and silhouettes are in standardized units when
 *	  standardize is on.  params reports centroids on the original scale.
 *
 *	  The score for the deploy rule is "inertia" in the metrics: the MEAN
 *	  squared distance of a hold-out row to its nearest centre (a mean, so
 *	  that versions trained on different row counts compare); inertia_sum
 *	  is the sum, and params.inertia is scikit-learn's inertia_ (sum over
 *	  the training rows).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "model.h"
#include "pass.h"
#include "sample.h"
#include "utils/builtins.h"

#define KMEANS_MAX_K			10000
#define KMEANS_SAMPLE_ROWS		20000	/* rows for the k-means++ restarts */
#define KMEANS_SILHOUETTE_ROWS	2000	/* rows for the sampled silhouette */
#define DEFAULT_MAX_ITER		300
#define DEFAULT_TOL				1e-4
#define DEFAULT_N_INIT			3

static const OptionDef kmeans_options[] = {
	{"k", OPT_INTEGER, 1, KMEANS_MAX_K},
	{"max_iter", OPT_INTEGER, 1, 1e6},
	{"tol", OPT_NUMBER, 0, 1},
	{"n_init", OPT_INTEGER, 1, 1000},
	{NULL}
};

typedef struct KMeansParams
{
	int			k;
	int			dim;
	bool		standardize;
	double	   *mean;			/* dim; 0 without standardize */
	double	   *scale;			/* dim; 1 without standardize */
	double	   *centers;		/* k x dim, working space */
	double	   *count;			/* k: training rows per cluster (for update) */
	double	   *z;				/* dim scratch for predict (one backend, no reentry) */
} KMeansParams;

/* PASS_KMEANS accumulator: one Lloyd step's statistics */
typedef struct LloydAcc
{
	int			k;
	int			dim;
	double	   *mean;			/* from the pass context */
	double	   *scale;
	double	   *centers;
	double	   *z;				/* scratch */
	double	   *count;			/* k: training rows per cluster */
	double	   *delta;			/* k x dim: sum of (z - centre) */
	double	   *sse;			/* k: sum of squared distances */
	double		ho_n;			/* hold-out rows and their squared distances */
	double		ho_sse;
} LloydAcc;

extern const MldbAlgorithm kmeans_algorithm;

/* ---------------------------------------------------------------------
 * Geometry in the working space
 * ---------------------------------------------------------------------
 */
static inline void
to_working(int dim, const double *mean, const double *scale, const double *x, double *z)
{
	for (int j = 0; j < dim; j++)
		z[j] = (x[j] - mean[j]) / scale[j];
}

static inline double
sqdist(int dim, const double *a, const double *b)
{
	double		s = 0;

	for (int j = 0; j < dim; j++)
	{
		double		d = a[j] - b[j];

		s += d * d;
	}
	return s;
}

/* nearest centre (lowest index on ties) and its squared distance */
static inline int
nearest(int k, int dim, const double *centers, const double *z, double *d2)
{
	int			best = 0;
	double		bestd = sqdist(dim, centers, z);

	for (int c = 1; c < k; c++)
	{
		double		d = sqdist(dim, centers + (Size) c * dim, z);

		if (d < bestd)
		{
			bestd = d;
			best = c;
		}
	}
	*d2 = bestd;
	return best;
}

/*
 * Re-seed the clusters flagged empty at the sample row farthest from its
 * nearest non-empty centre, one at a time (each new centre counts for the
 * next).
 */
static void
reseed_empty(int k, int dim, double *centers, bool *empty, const double *Z, int m)
{
	for (int c = 0; c < k; c++)
	{
		int			far = 0;
		double		fard = -1;

		if (!empty[c])
			continue;
		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < m; i++)
		{
			const double *z = Z + (Size) i * dim;
			double		best = INFINITY;

			for (int o = 0; o < k; o++)
				if (!empty[o])
					best = Min(best, sqdist(dim, centers + (Size) o * dim, z));
			if (best > fard)
			{
				fard = best;
				far = i;
			}
		}
		memcpy(centers + (Size) c * dim, Z + (Size) far * dim, sizeof(double) * dim);
		empty[c] = false;
	}
}

/* ---------------------------------------------------------------------
 * PASS_KMEANS: one Lloyd step over the relation
 * ---------------------------------------------------------------------
 */
static char *
lloyd_extra(const KMeansParams *kp, int32 *len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	bin_write_int32(&buf, kp->k);
	bin_write_int32(&buf, kp->dim);
	bin_write_float8_array(&buf, kp->mean, kp->dim);
	bin_write_float8_array(&buf, kp->scale, kp->dim);
	bin_write_float8_array(&buf, kp->centers, kp->k * kp->dim);
	*len = buf.len;
	return buf.data;
}

static void *
lloyd_create(const PassCtx *ctx)
{
	LloydAcc   *acc = palloc0(sizeof(LloydAcc));
	BinReader	r;

	binreader_init(&r, ctx->extra, ctx->extra_len, "kmeans pass parameters");
	acc->k = bin_read_int32(&r);
	acc->dim = bin_read_int32(&r);
	if (acc->k < 1 || acc->k > KMEANS_MAX_K || acc->dim != ctx->spec->dim)
		bin_corrupted(&r, "cluster count or dimension out of range");
	acc->mean = bin_read_float8_array(&r, acc->dim);
	acc->scale = bin_read_float8_array(&r, acc->dim);
	acc->centers = bin_read_float8_array(&r, acc->k * acc->dim);
	bin_read_end(&r);
	acc->z = palloc(sizeof(double) * Max(acc->dim, 1));
	acc->count = palloc0(sizeof(double) * acc->k);
	acc->delta = palloc0(sizeof(double) * acc->k * Max(acc->dim, 1));
	acc->sse = palloc0(sizeof(double) * acc->k);
	return acc;
}

static void
lloyd_add(void *a, const PassCtx *ctx, int slot, uint64 rowhash, double y,
		  const double *x)
{
	LloydAcc   *acc = (LloydAcc *) a;
	int			dim = acc->dim;
	double		d2;
	int			c;
	const double *cc;
	double	   *dc;

	to_working(dim, acc->mean, acc->scale, x, acc->z);
	c = nearest(acc->k, dim, acc->centers, acc->z, &d2);
	if (slot == PASS_HOLDOUT_SLOT)
	{
		acc->ho_n += 1;
		acc->ho_sse += d2;
		return;
	}
	acc->count[c] += 1;
	acc->sse[c] += d2;
	/* sums of z - c rather than z: no cancellation far from the origin */
	cc = acc->centers + (Size) c * dim;
	dc = acc->delta + (Size) c * dim;
	for (int j = 0; j < dim; j++)
		dc[j] += acc->z[j] - cc[j];
}

static void
lloyd_merge(void *a, void *b, const PassCtx *ctx)
{
	LloydAcc   *x = (LloydAcc *) a;
	LloydAcc   *y = (LloydAcc *) b;

	for (int c = 0; c < x->k; c++)
	{
		x->count[c] += y->count[c];
		x->sse[c] += y->sse[c];
	}
	for (int i = 0; i < x->k * x->dim; i++)
		x->delta[i] += y->delta[i];
	x->ho_n += y->ho_n;
	x->ho_sse += y->ho_sse;
}

static void
lloyd_write(StringInfo buf, void *a, const PassCtx *ctx)
{
	LloydAcc   *acc = (LloydAcc *) a;

	bin_write_int32(buf, acc->k);
	bin_write_int32(buf, acc->dim);
	bin_write_float8_array(buf, acc->count, acc->k);
	bin_write_float8_array(buf, acc->sse, acc->k);
	bin_write_float8_array(buf, acc->delta, acc->k * acc->dim);
	bin_write_float8(buf, acc->ho_n);
	bin_write_float8(buf, acc->ho_sse);
}

static void *
lloyd_read(BinReader *r, const PassCtx *ctx)
{
	LloydAcc   *acc = lloyd_create(ctx);

	if (bin_read_int32(r) != acc->k || bin_read_int32(r) != acc->dim)
		bin_corrupted(r, "kmeans state dimensions do not match the pass context");
	bin_read(r, acc->count, sizeof(double) * acc->k);
	bin_read(r, acc->sse, sizeof(double) * acc->k);
	bin_read(r, acc->delta, sizeof(double) * acc->k * acc->dim);
	acc->ho_n = bin_read_float8(r);
	acc->ho_sse = bin_read_float8(r);
	return acc;
}

const PassKind kmeans_pass_kind = {
	.name = "kmeans",
	.create = lloyd_create,
	.add = lloyd_add,
	.merge = lloyd_merge,
	.write = lloyd_write,
	.read = lloyd_read,
};

/* One Lloyd pass over from_sql with the centres of kp. */
static LloydAcc *
lloyd_pass(const KMeansParams *kp, const FeatureSpec *spec, int64 seed,
		   double test_size, const char *from_sql, const char *args_sql,
		   PassResult *res)
{
	PassCtx		ctx = {0};

	ctx.kind = PASS_KMEANS;
	ctx.spec = (FeatureSpec *) spec;
	ctx.seed = seed;
	ctx.test_size = test_size;
	ctx.nfolds = 1;
	ctx.extra = lloyd_extra(kp, &ctx.extra_len);
	*res = pass_run(&ctx, from_sql, args_sql);
	return (LloydAcc *) res->acc;
}

/* A Lloyd pass over the training rows (there are some); *sse: their inertia. */
static LloydAcc *
lloyd_train_pass(const KMeansParams *kp, const TrainInput *in, PassResult *res, double *sse)
{
	LloydAcc   *acc = lloyd_pass(kp, in->spec, in->seed, in->test_size, in->from_sql,
								 in->args_sql, res);

	if (acc == NULL)
		elog(ERROR, "kmeans pass returned no rows");
	*sse = 0;
	for (int c = 0; c < kp->k; c++)
		*sse += acc->sse[c];
	return acc;
}

/* ---------------------------------------------------------------------
 * In-memory k-means on the sample
 * ---------------------------------------------------------------------
 */

/*
 * Greedy k-means++ (scikit-learn's _kmeans_plusplus): the first centre
 * uniformly, each next one the best of 2 + ln k candidates drawn with
 * probability proportional to the squared distance to the nearest centre.
 */
static void
kmeanspp(const double *Z, int m, int dim, int k, pg_prng_state *rng, double *centers)
{
	int			trials = 2 + (int) log(k);
	double	   *closest = palloc(sizeof(double) * m);
	double	   *cand = palloc(sizeof(double) * m);
	double	   *best_d = palloc(sizeof(double) * m);
	double		pot = 0;
	int			first = (int) pg_prng_uint64_range(rng, 0, m - 1);

	memcpy(centers, Z + (Size) first * dim, sizeof(double) * dim);
	for (int i = 0; i < m; i++)
	{
		closest[i] = sqdist(dim, centers, Z + (Size) i * dim);
		pot += closest[i];
	}
	for (int c = 1; c < k; c++)
	{
		int			best_id = -1;
		double		best_pot = INFINITY;

		CHECK_FOR_INTERRUPTS();
		for (int t = 0; t < trials; t++)
		{
			double		r = pg_prng_double(rng) * pot;
			double		cum = 0;
			int			id = m - 1;
			double		cpot = 0;

			CHECK_FOR_INTERRUPTS();

			/* first row whose cumulative potential exceeds r */
			for (int i = 0; i < m; i++)
			{
				cum += closest[i];
				if (cum > r)
				{
					id = i;
					break;
				}
			}
			for (int i = 0; i < m; i++)
			{
				cand[i] = Min(closest[i], sqdist(dim, Z + (Size) id * dim, Z + (Size) i * dim));
				cpot += cand[i];
			}
			if (cpot < best_pot)
			{
				best_pot = cpot;
				best_id = id;
				memcpy(best_d, cand, sizeof(double) * m);
			}
		}
		memcpy(centers + (Size) c * dim, Z + (Size) best_id * dim, sizeof(double) * dim);
		memcpy(closest, best_d, sizeof(double) * m);
		pot = best_pot;
	}
	pfree(closest);
	pfree(cand);
	pfree(best_d);
}

/* Lloyd's iterations on the sample; returns the final inertia. */
static double
lloyd_sample(const double *Z, int m, int dim, int k, double *centers,
			 int max_iter, double tol_abs)
{
	double	   *sum = palloc(sizeof(double) * k * dim);
	double	   *cnt = palloc(sizeof(double) * k);
	bool	   *empty = palloc(sizeof(bool) * k);
	double	   *newc = palloc(sizeof(double) * k * dim);
	double		inertia = 0;
	double		d2;

	for (int it = 0; it < max_iter; it++)
	{
		double		shift = 0;
		bool		any_empty = false;

		CHECK_FOR_INTERRUPTS();
		memset(sum, 0, sizeof(double) * k * dim);
		memset(cnt, 0, sizeof(double) * k);
		for (int i = 0; i < m; i++)
		{
			const double *z = Z + (Size) i * dim;
			int			c;

			if ((i & 1023) == 0)
				CHECK_FOR_INTERRUPTS();
			c = nearest(k, dim, centers, z, &d2);

			cnt[c] += 1;
			for (int j = 0; j < dim; j++)
				sum[c * dim + j] += z[j];
		}
		for (int c = 0; c < k; c++)
		{
			empty[c] = cnt[c] == 0;
			any_empty |= empty[c];
			for (int j = 0; j < dim; j++)
				newc[c * dim + j] = empty[c] ? 0 : sum[c * dim + j] / cnt[c];
		}
		if (any_empty)
			reseed_empty(k, dim, newc, empty, Z, m);
		shift = 0;
		for (int c = 0; c < k; c++)
			shift += sqdist(dim, newc + (Size) c * dim, centers + (Size) c * dim);
		memcpy(centers, newc, sizeof(double) * k * dim);
		if (shift <= tol_abs)
			break;
	}
	for (int i = 0; i < m; i++)
	{
		(void) nearest(k, dim, centers, Z + (Size) i * dim, &d2);
		inertia += d2;
	}
	pfree(sum);
	pfree(cnt);
	pfree(empty);
	pfree(newc);
	return inertia;
}

/*
 * Mean silhouette (Rousseeuw 1987) of the m rows of Z under the centres:
 * s = (b - a) / max(a, b), a the mean distance to the other rows of the
 * own cluster, b the smallest mean distance to another cluster's rows;
 * s = 0 for a row alone in its cluster (as scikit-learn).  NaN unless
 * 2 <= clusters present <= m - 1 (scikit-learn raises there).
 */
static double
silhouette(const double *Z, int m, int dim, int k, const double *centers)
{
	int		   *label = palloc(sizeof(int) * Max(m, 1));
	double	   *cnt = palloc0(sizeof(double) * k);
	double	   *dsum = palloc(sizeof(double) * k);
	int			present = 0;
	double		total = 0;
	double		d2;

	for (int i = 0; i < m; i++)
	{
		label[i] = nearest(k, dim, centers, Z + (Size) i * dim, &d2);
		if (cnt[label[i]]++ == 0)
			present++;
	}
	if (present < 2 || present > m - 1)
		return NAN;
	for (int i = 0; i < m; i++)
	{
		double		a,
					b = INFINITY;

		if ((i & 63) == 0)
			CHECK_FOR_INTERRUPTS();
		if (cnt[label[i]] < 2)
			continue;			/* s = 0 */
		memset(dsum, 0, sizeof(double) * k);
		for (int o = 0; o < m; o++)
			if (o != i)
				dsum[label[o]] += sqrt(sqdist(dim, Z + (Size) i * dim, Z + (Size) o * dim));
		a = dsum[label[i]] / (cnt[label[i]] - 1);
		for (int c = 0; c < k; c++)
			if (c != label[i] && cnt[c] > 0)
				b = Min(b, dsum[c] / cnt[c]);
		if (Max(a, b) > 0)
			total += (b - a) / Max(a, b);
	}
	pfree(label);
	pfree(cnt);
	pfree(dsum);
	return total / m;
}

/* The sample's rows in the working space, in key order. */
static double *
sample_working(RowSample *s, const KMeansParams *kp, int rows)
{
	double	   *Z = palloc(sizeof(double) * (Size) Max(rows, 1) * Max(kp->dim, 1));

	rowsample_sort(s);
	for (int i = 0; i < rows; i++)
		to_working(kp->dim, kp->mean, kp->scale, s->x + (Size) i * kp->dim, Z + (Size) i * kp->dim);
	return Z;
}

/* ---------------------------------------------------------------------
 * Training
 * ---------------------------------------------------------------------
 */
/* metrics: mean inertia (the deploy rule's score) and its sum */
static Jsonb *
inertia_metrics(double sse, double n, const char *split)
{
	JsonWriter	w;

	jw_init(&w);
	jw_number(&w, "inertia", sse / n);
	jw_number(&w, "inertia_sum", sse);
	jw_int(&w, "n", (int64) n);
	jw_string(&w, "split", split);
	return jw_finish(&w);
}

/* params: k, the centroids on the original scale and the cluster sizes */
static void
write_centroids(JsonWriter *w, const FeatureSpec *spec, const KMeansParams *kp)
{
	jw_int(w, "k", kp->k);
	jw_begin_array(w, "centroids");
	for (int c = 0; c < kp->k; c++)
	{
		jw_begin_object(w, NULL);
		for (int j = 0; j < kp->dim; j++)
			jw_number(w, featurespec_slot_name(spec, j),
					  kp->centers[c * kp->dim + j] * kp->scale[j] + kp->mean[j]);
		jw_end_object(w);
	}
	jw_end_array(w);
	jw_begin_array(w, "cluster_sizes");
	for (int c = 0; c < kp->k; c++)
		jw_int(w, NULL, (int64) kp->count[c]);
	jw_end_array(w);
}

static void
kmeans_train(const TrainInput *in, TrainOutput *out)
{
	const FeatureSpec *spec = in->spec;
	int			dim = spec->dim;
	KMeansParams *kp = palloc0(sizeof(KMeansParams));
	int			k;
	int			max_iter = (int) opt_int(in->options, "max_iter", DEFAULT_MAX_ITER);
	double		tol = opt_number(in->options, "tol", DEFAULT_TOL);
	int			n_init = (int) opt_int(in->options, "n_init", DEFAULT_N_INIT);
	PassCtx		sctx = {0};
	PassResult	res;
	SampleAcc  *sacc;
	double		n_train;
	double		mean_var = 0;
	double		tol_abs;
	int			m;
	double	   *Z;
	pg_prng_state rng;
	double		best_inertia = INFINITY;
	double	   *cand;
	double	   *newc;
	bool	   *empty;
	LloydAcc   *acc = NULL;
	int			iterations = 0;
	bool		converged = false;
	double		shift = INFINITY;
	double		train_sse = 0;
	double	   *history = palloc(sizeof(double) * max_iter);
	double	   *shifts = palloc(sizeof(double) * max_iter);
	double	   *restart_inertia = palloc(sizeof(double) * n_init);
	JsonWriter	w;

	if (!opt_present(in->options, "k"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans needs the number of clusters, option \"k\""),
				 errhint("Pass options => '{\"k\": 3}'.")));
	k = (int) opt_int(in->options, "k", 0);
	kp->k = k;
	kp->dim = dim;
	kp->standardize = opt_bool(in->options, "standardize", true);
	kp->z = palloc(sizeof(double) * Max(dim, 1));

	/* pass 1: statistics and sample of the training rows */
	sctx.kind = PASS_SAMPLE;
	sctx.spec = in->spec;
	sctx.seed = in->seed;
	sctx.test_size = in->test_size;
	sctx.nfolds = 1;
	sctx.skip_holdout = true;
	sample_pass_extra(&sctx, Max(KMEANS_SAMPLE_ROWS, 4 * k));
	res = pass_run(&sctx, in->from_sql, in->args_sql);
	sacc = (SampleAcc *) res.acc;
	n_train = sacc != NULL ? sacc->n : 0;
	out->rows_skipped = res.rows_skipped;
	out->rows_used = (int64) n_train;
	if (n_train == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no usable training rows"),
				 errdetail(INT64_FORMAT " rows read, " INT64_FORMAT " skipped for a NULL or non-finite feature.",
						   res.rows_seen, res.rows_skipped),
				 errhint("Check the relation, or the query's WHERE clause.")));
	if (k > n_train)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k (%d) is larger than the number of training rows (%.0f)", k, n_train),
				 errhint("Use a smaller k or more rows; only the training split counts (set \"test_size\": 0 to use every row).")));

	kp->mean = palloc(sizeof(double) * Max(dim, 1));
	kp->scale = palloc(sizeof(double) * Max(dim, 1));
	for (int j = 0; j < dim; j++)
	{
		double		sd = sqrt(sacc->m2[j] / n_train);

		kp->mean[j] = kp->standardize ? sacc->mean[j] : 0.0;
		kp->scale[j] = kp->standardize && sd > 0 && isfinite(sd) ? sd : 1.0;
		mean_var += sacc->m2[j] / n_train / (kp->scale[j] * kp->scale[j]);
	}
	mean_var /= Max(dim, 1);
	tol_abs = tol * mean_var;	/* scikit-learn's _tolerance() */

	/* n_init restarts of k-means++ and Lloyd on the sample */
	m = sacc->sample->n;
	Z = sample_working(sacc->sample, kp, m);
	pg_prng_seed(&rng, (uint64) in->seed ^ UINT64CONST(0x6b6d65616e73));
	kp->centers = palloc(sizeof(double) * k * Max(dim, 1));
	cand = palloc(sizeof(double) * k * Max(dim, 1));
	for (int r = 0; r < n_init; r++)
	{
		double		inertia;

		kmeanspp(Z, m, dim, k, &rng, cand);
		inertia = lloyd_sample(Z, m, dim, k, cand, max_iter, tol_abs);
		restart_inertia[r] = inertia;
		elog(DEBUG1, "kmeans restart %d: sample inertia %g", r + 1, inertia);
		if (inertia < best_inertia)
		{
			best_inertia = inertia;
			memcpy(kp->centers, cand, sizeof(double) * k * dim);
		}
	}

	/* Lloyd on the full training split, one pass per iteration */
	newc = palloc(sizeof(double) * k * Max(dim, 1));
	empty = palloc(sizeof(bool) * k);
	while (iterations < max_iter)
	{
		bool		any_empty = false;

		CHECK_FOR_INTERRUPTS();
		acc = lloyd_train_pass(kp, in, &res, &train_sse);
		for (int c = 0; c < k; c++)
		{
			empty[c] = acc->count[c] == 0;
			any_empty |= empty[c];
			for (int j = 0; j < dim; j++)
				newc[c * dim + j] = empty[c] ? 0 :
					kp->centers[c * dim + j] + acc->delta[c * dim + j] / acc->count[c];
		}
		if (any_empty)
			reseed_empty(k, dim, newc, empty, Z, m);
		shift = 0;
		for (int c = 0; c < k; c++)
			shift += sqdist(dim, newc + (Size) c * dim, kp->centers + (Size) c * dim);
		memcpy(kp->centers, newc, sizeof(double) * k * dim);
		shifts[iterations] = shift;
		history[iterations++] = train_sse;
		elog(DEBUG1, "kmeans iteration %d: inertia %.17g, centre shift %g", iterations, train_sse, shift);
		if (shift <= tol_abs)
		{
			converged = true;
			break;
		}
	}
	if (!converged)
		ereport(WARNING,
				(errmsg("kmeans did not converge in %d iterations", max_iter),
				 errhint("Raise max_iter or tol.")));

	/*
	 * Score the final centres, unless the last step left them unchanged up
	 * to rounding (relative shift below 1e-24, i.e. every coordinate within
	 * ~1e-12 of the mean spread: the assignment and the inertia are then
	 * those of the last pass).
	 */
	if (shift > 1e-24 * mean_var * k)
	{
		acc = lloyd_train_pass(kp, in, &res, &train_sse);
	}

	{
		int			nempty = 0;

		for (int c = 0; c < k; c++)
			nempty += acc->count[c] == 0;
		if (nempty > 0)
			ereport(NOTICE,
					(errmsg("kmeans ended with %d empty cluster%s of %d", nempty, nempty > 1 ? "s" : "", k),
					 errhint("The training rows have fewer distinct points than k; use a smaller k.")));
	}

	kp->count = palloc(sizeof(double) * k);
	memcpy(kp->count, acc->count, sizeof(double) * k);
	jw_init(&w);
	write_centroids(&w, spec, kp);
	jw_number(&w, "inertia", train_sse);
	jw_number(&w, "inertia_mean", train_sse / n_train);
	jw_number(&w, "silhouette",
			  silhouette(Z, Min(m, KMEANS_SILHOUETTE_ROWS), dim, k, kp->centers));
	jw_int(&w, "iterations", iterations);
	jw_bool(&w, "converged", converged);
	jw_begin_array(&w, "inertia_history");
	for (int i = 0; i < iterations; i++)
		jw_number(&w, NULL, history[i]);
	jw_end_array(&w);
	jw_int(&w, "n_init", n_init);
	jw_int(&w, "init_sample_rows", m);
	jw_number(&w, "init_sample_inertia", best_inertia);
	jw_number(&w, "tol", tol);
	jw_int(&w, "max_iter", max_iter);
	jw_bool(&w, "standardize", kp->standardize);
	if (kp->standardize)
	{
		jw_begin_object(&w, "mean");
		for (int j = 0; j < dim; j++)
			jw_number(&w, featurespec_slot_name(spec, j), kp->mean[j]);
		jw_end_object(&w);
		jw_begin_object(&w, "scale");
		for (int j = 0; j < dim; j++)
			jw_number(&w, featurespec_slot_name(spec, j), kp->scale[j]);
		jw_end_object(&w);
	}
	jw_int(&w, "n", (int64) n_train);
	out->params = jw_finish(&w);

	/* mldb.training_info: the restarts on the sample, then each full pass */
	jw_init(&w);
	jw_begin_array(&w, "restarts");
	for (int r = 0; r < n_init; r++)
	{
		jw_begin_object(&w, NULL);
		jw_int(&w, "restart", r + 1);
		jw_number(&w, "sample_inertia", restart_inertia[r]);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_begin_array(&w, "iterations");
	for (int i = 0; i < iterations; i++)
	{
		jw_begin_object(&w, NULL);
		jw_int(&w, "iteration", i + 1);
		jw_number(&w, "inertia", history[i]);
		jw_number(&w, "center_shift", shifts[i]);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_number(&w, "tol_abs", tol_abs);
	out->training_info = jw_finish(&w);

	out->scores_holdout = acc->ho_n > 0;
	out->metrics = out->scores_holdout ? inertia_metrics(acc->ho_sse, acc->ho_n, "holdout") :
		inertia_metrics(train_sse, n_train, "train");
	out->model->params = kp;
}

/*
 * mldb.update: a mini-batch step (Sculley 2010, with per-centre learning
 * rate 1/count): each centre moves to the mean of the points it had and
 * the new rows assigned to it, then the new rows are scored with the moved
 * centres (hold-out inertia).  The old rows are not read again, so their
 * assignments are those of the deployed version.
 */
static void
kmeans_update(const MldbModel *old, const TrainInput *in, TrainOutput *out)
{
	const KMeansParams *okp = (const KMeansParams *) old->params;
	KMeansParams *kp = palloc0(sizeof(KMeansParams));
	int			k = okp->k;
	int			dim = okp->dim;
	PassResult	res;
	LloydAcc   *acc;
	double		n_new = 0;
	double		n = 0;
	JsonWriter	w;

	*kp = *okp;
	kp->centers = palloc(sizeof(double) * k * dim);
	memcpy(kp->centers, okp->centers, sizeof(double) * k * dim);
	kp->count = palloc(sizeof(double) * k);
	memcpy(kp->count, okp->count, sizeof(double) * k);
	kp->z = palloc(sizeof(double) * Max(dim, 1));

	acc = lloyd_pass(kp, in->spec, in->seed, in->test_size, in->from_sql, in->args_sql, &res);
	out->rows_skipped = res.rows_skipped;
	for (int c = 0; acc != NULL && c < k; c++)
		n_new += acc->count[c];
	if (n_new == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no new training rows to update kmeans model \"%s\" with", in->model_name),
				 errhint("The relation (or its training split) has no rows with values for the features.")));
	for (int c = 0; c < k; c++)
	{
		if (acc->count[c] > 0)
		{
			double		total = kp->count[c] + acc->count[c];

			for (int j = 0; j < dim; j++)
				kp->centers[c * dim + j] += acc->delta[c * dim + j] / total;
			kp->count[c] = total;
		}
		n += kp->count[c];
	}
	out->rows_used = (int64) n;

	/* score the moved centres on the new rows */
	acc = lloyd_pass(kp, in->spec, in->seed, in->test_size, in->from_sql, in->args_sql, &res);

	jw_init(&w);
	write_centroids(&w, in->spec, kp);
	jw_number(&w, "update_rows", n_new);
	jw_bool(&w, "standardize", kp->standardize);
	jw_int(&w, "n", (int64) n);
	out->params = jw_finish(&w);

	out->scores_holdout = acc->ho_n > 0;
	if (out->scores_holdout)
		out->metrics = inertia_metrics(acc->ho_sse, acc->ho_n, "holdout");
	out->model->params = kp;
}

/* ---------------------------------------------------------------------
 * Evaluate, predict, transform and state
 * ---------------------------------------------------------------------
 */

/* inertia over the rows, and the silhouette of a sample of them */
static Jsonb *
kmeans_evaluate(const MldbModel *m, const char *from_sql, const char *where_sql,
				const char *args_sql)
{
	const KMeansParams *kp = (const KMeansParams *) m->params;
	char	   *from = psprintf("%s%s", from_sql, where_sql);
	PassCtx		sctx = {0};
	PassResult	res;
	LloydAcc   *acc;
	SampleAcc  *sacc;
	double		n = 0;
	double		sse = 0;
	double	   *Z;
	int			rows;
	JsonWriter	w;

	acc = lloyd_pass(kp, m->spec, 0, 0.0, from, args_sql, &res);
	if (acc != NULL)
		for (int c = 0; c < kp->k; c++)
		{
			n += acc->count[c];
			sse += acc->sse[c];
		}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no rows to evaluate the kmeans model on"),
				 errhint("The relation (or its hold-out split) has no rows with non-NULL features.")));

	sctx.kind = PASS_SAMPLE;
	sctx.spec = m->spec;
	sctx.nfolds = 1;
	sample_pass_extra(&sctx, KMEANS_SILHOUETTE_ROWS);
	sacc = (SampleAcc *) pass_run(&sctx, from, args_sql).acc;
	rows = sacc != NULL ? sacc->sample->n : 0;
	Z = sacc != NULL ? sample_working(sacc->sample, kp, rows) : NULL;

	jw_init(&w);
	jw_number(&w, "inertia", sse / n);
	jw_number(&w, "inertia_sum", sse);
	jw_number(&w, "silhouette", silhouette(Z, rows, kp->dim, kp->k, kp->centers));
	jw_int(&w, "silhouette_rows", rows);
	jw_begin_array(&w, "cluster_sizes");
	for (int c = 0; c < kp->k; c++)
		jw_int(&w, NULL, (int64) acc->count[c]);
	jw_end_array(&w);
	jw_int(&w, "n", (int64) n);
	jw_int(&w, "rows_skipped", res.rows_skipped);
	return jw_finish(&w);
}

static int
kmeans_nearest(const KMeansParams *kp, const double *x, double *z, double *d2)
{
	to_working(kp->dim, kp->mean, kp->scale, x, z);
	return nearest(kp->k, kp->dim, kp->centers, z, d2);
}

/* the nearest centroid's id, 0-based (centroids[id] in params) */
static double
kmeans_predict(const MldbModel *m, const double *x)
{
	const KMeansParams *kp = (const KMeansParams *) m->params;
	double		d2;

	return (double) kmeans_nearest(kp, x, kp->z, &d2);
}

static int
kmeans_transform_dim(const MldbModel *m)
{
	return ((const KMeansParams *) m->params)->k;
}

/* Euclidean distance to every centroid, in the working space */
static void
kmeans_transform(const MldbModel *m, const double *x, double *out)
{
	const KMeansParams *kp = (const KMeansParams *) m->params;

	to_working(kp->dim, kp->mean, kp->scale, x, kp->z);
	for (int c = 0; c < kp->k; c++)
		out[c] = sqrt(sqdist(kp->dim, kp->centers + (Size) c * kp->dim, kp->z));
}

static void
kmeans_write(StringInfo buf, const MldbModel *m)
{
	const KMeansParams *kp = (const KMeansParams *) m->params;

	bin_write_int32(buf, kp->k);
	bin_write_int32(buf, kp->dim);
	bin_write_int32(buf, kp->standardize);
	bin_write_float8_array(buf, kp->mean, kp->dim);
	bin_write_float8_array(buf, kp->scale, kp->dim);
	bin_write_float8_array(buf, kp->centers, kp->k * kp->dim);
	bin_write_float8_array(buf, kp->count, kp->k);
}

static void *
kmeans_read(BinReader *r, const MldbModel *m)
{
	KMeansParams *kp = palloc0(sizeof(KMeansParams));

	kp->k = bin_read_int32(r);
	kp->dim = bin_read_int32(r);
	if (kp->k < 1 || kp->k > KMEANS_MAX_K)
		bin_corrupted(r, "cluster count out of range");
	if (kp->dim != m->spec->dim)
		bin_corrupted(r, "centroid dimension does not match the features");
	kp->standardize = bin_read_int32(r) != 0;
	kp->mean = bin_read_float8_array(r, kp->dim);
	kp->scale = bin_read_float8_array(r, kp->dim);
	kp->centers = bin_read_float8_array(r, kp->k * kp->dim);
	kp->count = bin_read_float8_array(r, kp->k);
	kp->z = palloc(sizeof(double) * Max(kp->dim, 1));
	return kp;
}

const MldbAlgorithm kmeans_algorithm = {
	.name = "kmeans", .id = 5, .task = MLDB_TASK_CLUSTERING,
	.score_metric = "inertia", .score_higher_is_better = false,
	.options = kmeans_options, .train = kmeans_train, .update = kmeans_update,
	.predict = kmeans_predict, .write = kmeans_write, .read = kmeans_read,
	.transform_dim = kmeans_transform_dim, .transform = kmeans_transform,
	.evaluate = kmeans_evaluate,
};
