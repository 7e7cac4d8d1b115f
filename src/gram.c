/*-------------------------------------------------------------------------
 * gram.c
 *	  The PASS_GRAM accumulator: per slot, the row count, mean and centered
 *	  scatter matrix of z = [x, y].
 *
 *	  Rows are buffered in batches of GRAM_BATCH and folded in with one
 *	  cblas_dsyrk on the batch centered at its own mean, then merged with the
 *	  pairwise update of Chan, Golub & LeVeque (1979):
 *	      M = Ma + Mb + (na nb / n) (mean_b - mean_a)(mean_b - mean_a)'.
 *	  Centering avoids the catastrophic cancellation of X'X - n m m' on data
 *	  far from the origin (NIST Longley: years near 1950, GNP near 5e5), and
 *	  the same formula combines partial states from parallel workers.  The
 *	  batched dsyrk costs a few ns a row at p = 10 (DESIGN.md).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <cblas.h>

#include "gram.h"
#include "miscadmin.h"
#include "utils/memutils.h"

/* rows per dsyrk: large enough to amortise the call, small enough for L2 */
#define GRAM_BATCH 512

typedef struct GramSlot
{
	Moments		mo;				/* M holds only its upper triangle while accumulating */
	int			nbuf;
	double	   *buf;			/* GRAM_BATCH x m pending rows */
} GramSlot;

typedef struct GramAcc
{
	int			m;
	int			nslots;
	GramSlot   *slots;
} GramAcc;

static void
moments_init(Moments *mo, int m)
{
	mo->m = m;
	mo->n = 0;
	mo->mean = palloc0(sizeof(double) * m);
	mo->M = palloc0(sizeof(double) * m * m);
}

/* Fold the pending batch of a slot into its moments. */
static void
gram_flush(GramSlot *s)
{
	int			m = s->mo.m;
	int			b = s->nbuf;
	double		nb = b;
	double		na = s->mo.n;
	double		n = na + nb;
	double	   *bmean;

	if (b == 0)
		return;
	bmean = palloc0(sizeof(double) * m);
	for (int r = 0; r < b; r++)
		for (int j = 0; j < m; j++)
			bmean[j] += s->buf[r * m + j];
	for (int j = 0; j < m; j++)
		bmean[j] /= nb;
	for (int r = 0; r < b; r++)
		for (int j = 0; j < m; j++)
			s->buf[r * m + j] -= bmean[j];

	/* M += Zc' Zc (upper triangle) */
	cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, m, b, 1.0, s->buf, m, 1.0, s->mo.M, m);

	/* M += (na nb / n) d d', mean += d nb / n, with d = bmean - mean */
	for (int j = 0; j < m; j++)
		bmean[j] -= s->mo.mean[j];
	if (na > 0)
		cblas_dsyr(CblasRowMajor, CblasUpper, m, na * nb / n, bmean, 1, s->mo.M, m);
	for (int j = 0; j < m; j++)
		s->mo.mean[j] += bmean[j] * nb / n;
	s->mo.n = n;
	s->nbuf = 0;
	pfree(bmean);
}

/* a += b; both hold upper triangles (or both full matrices). */
void
moments_merge(Moments *a, const Moments *b)
{
	int			m = a->m;
	double		n = a->n + b->n;
	double	   *d;

	Assert(a->m == b->m);
	if (b->n == 0)
		return;
	d = palloc(sizeof(double) * m);
	for (int j = 0; j < m; j++)
		d[j] = b->mean[j] - a->mean[j];
	for (int i = 0; i < m * m; i++)
		a->M[i] += b->M[i];
	if (a->n > 0)
		cblas_dsyr(CblasRowMajor, CblasUpper, m, a->n * b->n / n, d, 1, a->M, m);
	for (int j = 0; j < m; j++)
		a->mean[j] += d[j] * b->n / n;
	a->n = n;
	pfree(d);
}

static void *
gram_create(const PassCtx *ctx)
{
	GramAcc    *acc = palloc(sizeof(GramAcc));

	acc->m = ctx->spec->dim + (ctx->spec->target != NULL ? 1 : 0);
	acc->nslots = pass_nslots(ctx);
	acc->slots = palloc0(sizeof(GramSlot) * acc->nslots);
	for (int s = 0; s < acc->nslots; s++)
		moments_init(&acc->slots[s].mo, acc->m);
	return acc;
}

static void
gram_add(void *a, const PassCtx *ctx, int slot, uint64 rowhash, double y,
		 const double *x)
{
	GramAcc    *acc = (GramAcc *) a;
	GramSlot   *s = &acc->slots[slot];
	double	   *row;

	if (s->buf == NULL)
		s->buf = MemoryContextAlloc(GetMemoryChunkContext(acc),
									sizeof(double) * GRAM_BATCH * acc->m);
	row = s->buf + (Size) s->nbuf * acc->m;
	memcpy(row, x, sizeof(double) * ctx->spec->dim);
	if (ctx->spec->target != NULL)
		row[acc->m - 1] = y;
	if (++s->nbuf == GRAM_BATCH)
		gram_flush(s);
}

static void
gram_merge(void *a, void *b, const PassCtx *ctx)
{
	GramAcc    *x = (GramAcc *) a;
	GramAcc    *y = (GramAcc *) b;

	for (int s = 0; s < x->nslots; s++)
	{
		gram_flush(&x->slots[s]);
		gram_flush(&y->slots[s]);
		moments_merge(&x->slots[s].mo, &y->slots[s].mo);
	}
}

void
moments_write(StringInfo buf, const Moments *mo)
{
	bin_write_float8(buf, mo->n);
	bin_write_float8_array(buf, mo->mean, mo->m);
	bin_write_float8_array(buf, mo->M, mo->m * mo->m);
}

Moments *
moments_read(BinReader *r, int m)
{
	Moments    *mo = palloc(sizeof(Moments));

	mo->m = m;
	mo->n = bin_read_float8(r);
	if (!(mo->n >= 0))
		bin_corrupted(r, "negative row count");
	mo->mean = bin_read_float8_array(r, m);
	mo->M = bin_read_float8_array(r, m * m);
	return mo;
}

static void
gram_write(StringInfo buf, void *a, const PassCtx *ctx)
{
	GramAcc    *acc = (GramAcc *) a;

	bin_write_int32(buf, acc->m);
	bin_write_int32(buf, acc->nslots);
	for (int s = 0; s < acc->nslots; s++)
	{
		gram_flush(&acc->slots[s]);
		moments_write(buf, &acc->slots[s].mo);
	}
}

static void *
gram_read(BinReader *r, const PassCtx *ctx)
{
	GramAcc    *acc = gram_create(ctx);

	if (bin_read_int32(r) != acc->m || bin_read_int32(r) != acc->nslots)
		bin_corrupted(r, "moment dimensions do not match the pass context");
	for (int s = 0; s < acc->nslots; s++)
		acc->slots[s].mo = *moments_read(r, acc->m);
	return acc;
}

const PassKind gram_pass_kind = {
	.name = "gram",
	.create = gram_create,
	.add = gram_add,
	.merge = gram_merge,
	.write = gram_write,
	.read = gram_read,
};

/*
 * The merged moments of slots first..last but except (-1: none), as a full
 * symmetric matrix.
 */
Moments *
gram_moments_except(void *a, int first_slot, int last_slot, int except)
{
	GramAcc    *acc = (GramAcc *) a;
	Moments    *mo = palloc(sizeof(Moments));
	int			m = acc->m;

	moments_init(mo, m);
	for (int s = first_slot; s <= last_slot; s++)
	{
		if (s == except)
			continue;
		gram_flush(&acc->slots[s]);
		moments_merge(mo, &acc->slots[s].mo);
	}
	for (int i = 0; i < m; i++)
		for (int j = 0; j < i; j++)
			mo->M[i * m + j] = mo->M[j * m + i];
	return mo;
}

Moments *
gram_moments(void *a, int first_slot, int last_slot)
{
	return gram_moments_except(a, first_slot, last_slot, -1);
}

/*
 * Mean imputation without a profiling pass.  Numeric columns with
 * MISSING_INDICATOR arrive as x0 (0 where missing) plus a missing flag m;
 * with mu the mean of the present values (from the training moments,
 * mo[0]), the imputed column z = x0 + mu m is linear in the accumulated
 * vector, so the centered moments of the imputed data are exactly
 * T M T' for the matrix T that adds mu times the flag.  Each of mo[] is
 * rewritten in place; returns the spec with the flags gone and the means
 * as impute values.
 */
FeatureSpec *
gram_resolve_indicators(const FeatureSpec *spec, Moments **mo, int nmo)
{
	FeatureSpec *out = featurespec_copy(spec);
	int			m = mo[0]->m;
	int			has_y = m > spec->dim ? 1 : 0;
	int			dim;
	int		   *src;
	int		   *ind;
	double	   *mu;

	for (int i = 0; i < out->ncols; i++)
	{
		FeatureColumn *c = &out->cols[i];
		double		frac;

		if (c->kind != FEATURE_NUMERIC || c->missing != MISSING_INDICATOR)
			continue;
		frac = mo[0]->mean[c->indicator];
		if (frac >= 1.0)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("feature column \"%s\" has no non-NULL value in the training rows", c->name),
					 errhint("Leave it out of features.")));
		c->missing = MISSING_IMPUTE;
		c->impute = mo[0]->mean[c->offset] / (1.0 - frac);
	}
	featurespec_layout(out);
	dim = out->dim;

	/* output slot p reads input slot src[p] plus mu[p] times slot ind[p] */
	src = palloc(sizeof(int) * (dim + has_y));
	ind = palloc(sizeof(int) * (dim + has_y));
	mu = palloc0(sizeof(double) * (dim + has_y));
	for (int p = 0; p < dim + has_y; p++)
	{
		src[p] = p < dim ? p : m - 1;
		ind[p] = -1;
	}
	for (int i = 0; i < spec->ncols; i++)
	{
		const FeatureColumn *c = &spec->cols[i];

		if (c->kind == FEATURE_NUMERIC && c->missing == MISSING_INDICATOR)
		{
			ind[c->offset] = c->indicator;
			mu[c->offset] = out->cols[i].impute;
		}
	}

	for (int k = 0; k < nmo; k++)
	{
		Moments    *a = mo[k];
		Moments    *z = palloc(sizeof(Moments));
		int			mz = dim + has_y;

		moments_init(z, mz);
		z->n = a->n;
		for (int p = 0; p < mz; p++)
		{
			z->mean[p] = a->mean[src[p]] + (ind[p] >= 0 ? mu[p] * a->mean[ind[p]] : 0);
			for (int q = 0; q < mz; q++)
			{
				double		v = a->M[src[p] * m + src[q]];

				if (ind[p] >= 0)
					v += mu[p] * a->M[ind[p] * m + src[q]];
				if (ind[q] >= 0)
					v += mu[q] * a->M[src[p] * m + ind[q]];
				if (ind[p] >= 0 && ind[q] >= 0)
					v += mu[p] * mu[q] * a->M[ind[p] * m + ind[q]];
				z->M[p * mz + q] = v;
			}
		}
		mo[k] = z;
	}
	return out;
}

Moments *
moments_copy(const Moments *mo)
{
	Moments    *c = palloc(sizeof(Moments));

	moments_init(c, mo->m);
	c->n = mo->n;
	memcpy(c->mean, mo->mean, sizeof(double) * mo->m);
	memcpy(c->M, mo->M, sizeof(double) * mo->m * mo->m);
	return c;
}

/* a += b for full symmetric matrices (moments_merge updates one triangle) */
void
moments_merge_full(Moments *a, const Moments *b)
{
	int			m = a->m;

	moments_merge(a, b);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < i; j++)
			a->M[i * m + j] = a->M[j * m + i];
}
