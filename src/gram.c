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

/*
 * One-hot slots are 0 or 1 and at most one per categorical column is set,
 * so a dense update spends almost all of its m^2/2 multiply-adds on zeros.
 * With categorical features the rows are folded in sparsely instead: the
 * dense slots (numeric values, missing flags, the target) as a shifted
 * rank-one update, and for each set one-hot slot its count, the sum of the
 * dense slots and the counts of the pairs it forms; the batch's centered
 * moments over all m slots follow from those sums at flush.  Up to this
 * many one-hot slots (their pair-count matrix is held per split slot).
 */
#define GRAM_MAX_SPARSE_HOT 512

typedef struct SparseSums
{
	double	   *shift;			/* nd: the batch's first row, dense slots */
	double	   *zsum;			/* nd: sum of (dense - shift) */
	double	   *Sdd;			/* nd x nd upper: sum of products, dense */
	double	   *Shd;			/* nh x nd: per one-hot slot, sum of dense */
	double	   *Shh;			/* nh x nh upper: pair counts (diagonal: counts) */
} SparseSums;

typedef struct GramSlot
{
	Moments		mo;				/* M holds only its upper triangle while accumulating */
	int			nbuf;
	double	   *buf;			/* GRAM_BATCH x m pending rows (dense mode) */
	SparseSums *sp;				/* sparse mode */
} GramSlot;

typedef struct GramAcc
{
	int			m;
	int			nslots;
	GramSlot   *slots;
	/* sparse mode layout (nh > 0), slots listed in ascending order */
	int			nd;
	int			nh;
	int		   *dense;			/* nd slot numbers */
	int		   *hotpos;			/* per slot: index among one-hot slots, or -1 */
	int		   *densepos;		/* per slot: index among dense slots, or -1 */
	int		   *active;			/* scratch: the set one-hot slots of a row */
	int			nranges;		/* the one-hot slot ranges, one per categorical column */
	int		   *range_first;
	int		   *range_width;
} GramAcc;

static void
moments_init(Moments *mo, int m)
{
	mo->m = m;
	mo->n = 0;
	mo->mean = palloc0(sizeof(double) * m);
	mo->M = palloc0(sizeof(double) * m * m);
}

/*
 * The batch's mean (into bmean) and centered scatter (added to the upper
 * triangle of s->mo.M) from its sparse sums: with mu the mean of the
 * shifted values (one-hot slots are not shifted), the centered scatter is
 * R - b mu mu' for R the sum of products of the shifted values.
 */
static void
sparse_to_batch(const GramAcc *acc, GramSlot *s, double *bmean)
{
	SparseSums *sp = s->sp;
	int			m = acc->m;
	int			nd = acc->nd;
	int			nh = acc->nh;
	double		nb = s->nbuf;
	double	   *mu = palloc(sizeof(double) * m);

	for (int i = 0; i < m; i++)
	{
		if (acc->densepos[i] >= 0)
		{
			mu[i] = sp->zsum[acc->densepos[i]] / nb;
			bmean[i] = sp->shift[acc->densepos[i]] + mu[i];
		}
		else
		{
			int			h = acc->hotpos[i];

			mu[i] = sp->Shh[h * nh + h] / nb;
			bmean[i] = mu[i];
		}
	}
	for (int i = 0; i < m; i++)
	{
		int			di = acc->densepos[i];
		int			hi = acc->hotpos[i];

		for (int j = i; j < m; j++)
		{
			int			dj = acc->densepos[j];
			int			hj = acc->hotpos[j];
			double		r;

			if (di >= 0 && dj >= 0)
				r = sp->Sdd[di * nd + dj];
			else if (hi >= 0 && hj >= 0)
				r = sp->Shh[hi * nh + hj];
			else if (hi >= 0)
				r = sp->Shd[hi * nd + dj];
			else
				r = sp->Shd[hj * nd + di];
			s->mo.M[i * m + j] += r - nb * mu[i] * mu[j];
		}
	}
	memset(sp->zsum, 0, sizeof(double) * nd);
	memset(sp->Sdd, 0, sizeof(double) * nd * nd);
	memset(sp->Shd, 0, sizeof(double) * nh * nd);
	memset(sp->Shh, 0, sizeof(double) * nh * nh);
	pfree(mu);
}

/* Fold the pending batch of a slot into its moments. */
static void
gram_flush(const GramAcc *acc, GramSlot *s)
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
	if (s->sp != NULL)
		sparse_to_batch(acc, s, bmean);
	else
	{
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
	}

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

	const FeatureSpec *spec = ctx->spec;
	int			nh = 0;

	acc->m = spec->dim + (spec->target != NULL ? 1 : 0);
	acc->nslots = pass_nslots(ctx);
	acc->slots = palloc0(sizeof(GramSlot) * acc->nslots);
	for (int s = 0; s < acc->nslots; s++)
		moments_init(&acc->slots[s].mo, acc->m);

	/* sparse mode when there are one-hot slots, and not too many */
	for (int i = 0; i < spec->ncols; i++)
		if (spec->cols[i].kind == FEATURE_CATEGORICAL)
			nh += spec->cols[i].width;
	acc->nh = (nh > 0 && nh <= GRAM_MAX_SPARSE_HOT) ? nh : 0;
	acc->nd = acc->m - acc->nh;
	if (acc->nh > 0)
	{
		int			d = 0;
		int			h = 0;

		acc->dense = palloc(sizeof(int) * acc->nd);
		acc->hotpos = palloc(sizeof(int) * acc->m);
		acc->densepos = palloc(sizeof(int) * acc->m);
		acc->active = palloc(sizeof(int) * Max(spec->ncols, 1));
		acc->range_first = palloc(sizeof(int) * Max(spec->ncols, 1));
		acc->range_width = palloc(sizeof(int) * Max(spec->ncols, 1));
		acc->nranges = 0;
		for (int i = 0; i < spec->ncols; i++)
			if (spec->cols[i].kind == FEATURE_CATEGORICAL && spec->cols[i].width > 0)
			{
				acc->range_first[acc->nranges] = spec->cols[i].offset;
				acc->range_width[acc->nranges++] = spec->cols[i].width;
			}
		for (int j = 0; j < acc->m; j++)
		{
			acc->hotpos[j] = -1;
			acc->densepos[j] = -1;
		}
		for (int i = 0; i < spec->ncols; i++)
			if (spec->cols[i].kind == FEATURE_CATEGORICAL)
				for (int k = 0; k < spec->cols[i].width; k++)
					acc->hotpos[spec->cols[i].offset + k] = 1;
		for (int j = 0; j < acc->m; j++)
		{
			if (acc->hotpos[j] == 1)
				acc->hotpos[j] = h++;
			else
			{
				acc->densepos[j] = d;
				acc->dense[d++] = j;
			}
		}
	}
	return acc;
}

static SparseSums *
sparse_create(const GramAcc *acc)
{
	MemoryContext cxt = GetMemoryChunkContext((void *) acc);
	SparseSums *sp = MemoryContextAlloc(cxt, sizeof(SparseSums));

	sp->shift = MemoryContextAllocZero(cxt, sizeof(double) * acc->nd);
	sp->zsum = MemoryContextAllocZero(cxt, sizeof(double) * acc->nd);
	sp->Sdd = MemoryContextAllocZero(cxt, sizeof(double) * acc->nd * acc->nd);
	sp->Shd = MemoryContextAllocZero(cxt, sizeof(double) * acc->nh * acc->nd);
	sp->Shh = MemoryContextAllocZero(cxt, sizeof(double) * acc->nh * acc->nh);
	return sp;
}

/* One row in sparse mode (see GRAM_MAX_SPARSE_HOT). */
static void
sparse_add(GramAcc *acc, GramSlot *s, double y, const double *x, int p)
{
	SparseSums *sp = s->sp;
	int			nd = acc->nd;
	int			nh = acc->nh;
	int			nact = 0;
	double		z[MLDB_MAX_COLUMNS * 2 + 2];
	double	   *zd = nd <= (int) lengthof(z) ? z : palloc(sizeof(double) * nd);

	for (int k = 0; k < nd; k++)
	{
		int			j = acc->dense[k];
		double		v = j < p ? x[j] : y;

		if (s->nbuf == 0)
			sp->shift[k] = v;
		zd[k] = v - sp->shift[k];
		sp->zsum[k] += zd[k];
	}
	for (int k = 0; k < nd; k++)
	{
		double		zk = zd[k];
		double	   *Sk = sp->Sdd + k * nd;

		for (int l = k; l < nd; l++)
			Sk[l] += zk * zd[l];
	}
	/* at most one set slot per column: stop at it */
	for (int r = 0; r < acc->nranges; r++)
	{
		const double *xr = x + acc->range_first[r];

		for (int k = 0; k < acc->range_width[r]; k++)
			if (xr[k] != 0)
			{
				acc->active[nact++] = acc->hotpos[acc->range_first[r] + k];
				break;
			}
	}
	for (int a = 0; a < nact; a++)
	{
		int			h = acc->active[a];
		double	   *Sh = sp->Shd + h * nd;

		for (int k = 0; k < nd; k++)
			Sh[k] += zd[k];
		for (int b = a; b < nact; b++)
		{
			int			h2 = acc->active[b];

			sp->Shh[Min(h, h2) * nh + Max(h, h2)] += 1.0;
		}
	}
	if (zd != z)
		pfree(zd);
}

static void
gram_add(void *a, const PassCtx *ctx, int slot, uint64 rowhash, double y,
		 const double *x)
{
	GramAcc    *acc = (GramAcc *) a;
	GramSlot   *s = &acc->slots[slot];
	double	   *row;

	if (acc->nh > 0)
	{
		if (s->sp == NULL)
			s->sp = sparse_create(acc);
		sparse_add(acc, s, y, x, ctx->spec->dim);
		if (++s->nbuf == GRAM_BATCH)
			gram_flush(acc, s);
		return;
	}

	if (s->buf == NULL)
		s->buf = MemoryContextAlloc(GetMemoryChunkContext(acc),
									sizeof(double) * GRAM_BATCH * acc->m);
	row = s->buf + (Size) s->nbuf * acc->m;
	memcpy(row, x, sizeof(double) * ctx->spec->dim);
	if (ctx->spec->target != NULL)
		row[acc->m - 1] = y;
	if (++s->nbuf == GRAM_BATCH)
		gram_flush(acc, s);
}

static void
gram_merge(void *a, void *b, const PassCtx *ctx)
{
	GramAcc    *x = (GramAcc *) a;
	GramAcc    *y = (GramAcc *) b;

	for (int s = 0; s < x->nslots; s++)
	{
		gram_flush(x, &x->slots[s]);
		gram_flush(y, &y->slots[s]);
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
		gram_flush(acc, &acc->slots[s]);
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
		gram_flush(acc, &acc->slots[s]);
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
