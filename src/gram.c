/*-------------------------------------------------------------------------
 * gram.c
 *	  The PASS_GRAM accumulator: per slot, the row count, mean and centered
 *	  scatter matrix of z = [x, y].
 *
 *	  Rows are buffered in batches (gram_batch_rows) and folded in with one
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
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "gram.h"
#include "common/hashfn.h"
#include "profile.h"
#include "sample.h"
#include "utils/sortsupport.h"
#include "miscadmin.h"
#include "utils/memutils.h"

/*
 * Rows per batch (gram_batch_rows): enough to amortise a flush's fixed
 * cost (the BLAS calls, and a pass over the m x m moments that a narrow
 * row does not dwarf), within about 1 MB of buffer per split slot.
 */
#define GRAM_BATCH_MAX 1024
#define GRAM_BATCH_MIN 64
#define GRAM_BATCH_BYTES (1024 * 1024)

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
	double	   *Sdd;			/* nd x nd upper: sum of products, dense
								 * (from zbuf by dense_fold at the flush) */
	double	   *zbuf;			/* batch x nd: the batch's shifted rows */
	uint64	   *nullmask;		/* dynamic mode, batch: per row, its
								 * missing numeric columns (DynState.num_col) */
	double	   *Shd;			/* nh x nd: per one-hot slot, sum of dense */
	double	   *Shh;			/* nh x nh upper: pair counts (diagonal: counts) */
} SparseSums;

typedef struct GramSlot
{
	Moments		mo;				/* M holds only its upper triangle while accumulating */
	int			nbuf;
	double	   *buf;			/* batch x m pending rows (dense mode),
								 * each [leading slots, target, indicators],
								 * less the batch's first row (shift) */
	double	   *shift;			/* m: the batch's first row */
	double	   *zsum;			/* m: the sums of the shifted rows */
	bool		ind_set;		/* some pending row has an indicator set */
	SparseSums *sp;				/* sparse mode */
} GramSlot;

/*
 * FEATURE_DYNAMIC columns (one pass with level discovery): each column maps
 * a level's text (NULL: len -1) to a hot index, numbered across columns in
 * order of discovery; the moments are held over [dense slots, hot slots]
 * and grow by one slot per new level (a new slot is zero in every earlier
 * row, so the earlier moments extend exactly).  gram_resolve_levels then
 * picks the vocabularies and maps the moments to the final layout.
 */
/* count, sums of the values shifted by the first one, range */
typedef struct NumStat
{
	double		n;
	double		nulls;
	double		shift;
	double		s1;
	double		s2;
	double		min;
	double		max;
} NumStat;

#define NUMSTAT_DOUBLES ((int) (sizeof(NumStat) / sizeof(double)))

static inline void
numstat_add(NumStat *st, double v)
{
	double		d;

	if (st->n == 0)
		st->shift = v;
	d = v - st->shift;
	st->n++;
	st->s1 += d;
	st->s2 += d * d;
	if (v < st->min)
		st->min = v;
	if (v > st->max)
		st->max = v;
}

static void
numstat_merge(NumStat *x, const NumStat *y)
{
	x->nulls += y->nulls;
	if (y->n == 0)
		return;
	if (x->n == 0)
	{
		x->shift = y->shift;
		x->s1 = y->s1;
		x->s2 = y->s2;
	}
	else
	{
		double		d = y->shift - x->shift;

		x->s2 += y->s2 + 2 * d * y->s1 + y->n * d * d;
		x->s1 += y->s1 + y->n * d;
	}
	x->n += y->n;
	x->min = Min(x->min, y->min);
	x->max = Max(x->max, y->max);
}

typedef struct DynCol
{
	int			col;			/* spec column */
	int			n;
	int			cap;
	char	  **keys;
	int		   *lens;			/* -1: NULL */
	int		   *hot;
	int32	   *tab;			/* open addressing: level + 1; load <= 1/8 */
	uint32		mask;
	int			nonnull;		/* distinct non-NULL levels */
} DynCol;

typedef struct DynState
{
	MemoryContext cxt;
	int			ndyn;
	DynCol	   *cols;
	int			nh;
	int			nind;			/* hot slots 0..nind-1: numeric missing flags */
	int			hcap;
	int		   *hcol;			/* per hot: dyn column, or -1 for a missing
								 * flag (hlev: its spec column) */
	int		   *hlev;			/* per hot: level in its column */
	int		   *indslot;		/* per missing flag: its slot in x */
	double	  **cnt;			/* per split slot, per hot: exact row count */
	bool		overflow;		/* too many levels: counts only */
	/*
	 * The profile of the training rows, for feature_stats, as the
	 * profiling pass would have made it: per split slot, the target (0)
	 * and each numeric column (1 + column).
	 */
	int			nstat;
	NumStat   **stat;

	/*
	 * Counts and sums of the numeric columns (and the target) are taken at
	 * each batch's flush from its shifted rows (dyn_batch_stats), with a
	 * per-row mask of the missing ones; a row only updates min and max.
	 * Without moments (overflow) or beyond 64 numeric columns, row by row.
	 */
	int			nnum;
	int		   *num_col;		/* nnum: spec column */
	int		   *num_dense;		/* nnum: its dense index (zbuf column) */
	int			y_dense;		/* the target's dense index, or -1 */
	bool		batch_stats;
	int		   *num_x;			/* nnum: its slot in x */
	int		   *num_ind;		/* nnum: its missing flag's slot in x, or -1 */
	bool		num_run;		/* both consecutive: dyn_range's SSE2 loop */
	double	  **bmin;			/* per split slot, nnum: the batch's range, */
	double	  **bmax;			/* into stat at the flush */
} DynState;

typedef struct GramAcc
{
	DynState   *dyn;			/* FEATURE_DYNAMIC columns, or NULL */
	int			m;
	int			nslots;
	GramSlot   *slots;
	int			batch;			/* rows per batch (gram_batch_rows) */
	/* sparse mode layout (nh > 0), slots listed in ascending order */
	int			nd;
	int			nh;
	int		   *dense;			/* nd slot numbers */
	int			ndx;			/* the leading ones from x (then the target) */
	bool		dense_run;		/* those are consecutive slots of x */
	int		   *hotpos;			/* per slot: index among one-hot slots, or -1 */
	int		   *densepos;		/* per slot: index among dense slots, or -1 */
	int		   *active;			/* scratch: the set one-hot slots of a row */
	int			nranges;		/* the one-hot slot ranges, one per categorical column */
	int		   *range_first;
	int		   *range_width;
	/* dense mode: missing-value indicators come last in a buffered row */
	int			nind;			/* indicator slots (the spec's last ones) */
	int			nlead;			/* the other slots, plus the target */
	bool		has_y;
} GramAcc;

/* Dense mode: a buffered row's column c is the moments' column gram_col. */
static inline int
gram_col(const GramAcc *acc, int c)
{
	int			xlead = acc->nlead - (acc->has_y ? 1 : 0);

	if (c < xlead)
		return c;
	if (acc->has_y && c == xlead)
		return acc->m - 1;
	return c - (acc->has_y ? 1 : 0);
}

static void
moments_init(Moments *mo, int m)
{
	mo->m = m;
	mo->n = 0;
	mo->mean = palloc0(sizeof(double) * Max(m, 1));
	mo->M = palloc0(sizeof(double) * Max(m * m, 1));
}

/* Sdd: the products of the batch's b shifted dense rows (upper triangle). */
static void
dense_fold(const GramAcc *acc, SparseSums *sp, int b)
{
	if (acc->nd > 0)
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, acc->nd, b, 1.0, sp->zbuf, acc->nd,
					0.0, sp->Sdd, acc->nd);
}

/*
 * Dynamic mode: a training slot's batch into the profile (DynState
 * batch_stats): per numeric column and the target, the count, nulls and
 * sums of the present values' shifted values, from the batch buffer.  Row
 * by row, so that the columns' sums do not wait on each other; a missing
 * value adds 0 (times 0.0, without a branch), as it always did.
 */
static void
dyn_batch_stats(const GramAcc *acc, const SparseSums *sp, int slot, int b)
{
	const DynState *dyn = acc->dyn;
	NumStat    *st = dyn->stat[slot];
	int			nd = acc->nd;
	int			nn = dyn->nnum;
	int			yk = dyn->y_dense;
	double		cnt[64] = {0},
				s1[65] = {0},
				s2[65] = {0};

	Assert(nn <= 64);			/* batch_stats */
	for (int r = 0; r < b; r++)
	{
		const double *z = sp->zbuf + (Size) r * nd;
		uint64		present = ~sp->nullmask[r];

		for (int u = 0; u < nn; u++)
		{
			double		keep = (double) ((present >> u) & 1);
			double		v = keep * z[dyn->num_dense[u]];

			cnt[u] += keep;
			s1[u] += v;
			s2[u] += v * v;
		}
		if (yk >= 0)
		{
			s1[nn] += z[yk];
			s2[nn] += z[yk] * z[yk];
		}
	}
	for (int u = 0; u <= nn; u++)
	{
		int			k = u < nn ? dyn->num_dense[u] : yk;
		NumStat    *t = u < nn ? &st[1 + dyn->num_col[u]] : &st[0];
		NumStat		bs = {0, 0, 0, 0, 0, INFINITY, -INFINITY};

		/* the target's range is kept in stat row by row (dyn_add) */
		if (u < nn)
		{
			bs.min = dyn->bmin[slot][u];
			bs.max = dyn->bmax[slot][u];
			dyn->bmin[slot][u] = INFINITY;
			dyn->bmax[slot][u] = -INFINITY;
		}
		if (k < 0)
			continue;
		bs.n = u < nn ? cnt[u] : b;
		bs.nulls = b - bs.n;
		bs.shift = sp->shift[k];
		bs.s1 = s1[u];
		bs.s2 = s2[u];
		numstat_merge(t, &bs);
	}
}

/* dynamic mode: the batch's mean and centered scatter, as sparse_to_batch */
static void
dyn_to_batch(const GramAcc *acc, GramSlot *s, double *bmean)
{
	SparseSums *sp = s->sp;
	int			nd = acc->nd;
	int			hc = acc->dyn->hcap;
	int			m = s->mo.m;
	double		nb = s->nbuf;
	double	   *mu = palloc(sizeof(double) * Max(m, 1));

	dense_fold(acc, sp, s->nbuf);
	if (acc->dyn->batch_stats && s != &acc->slots[PASS_HOLDOUT_SLOT])
		dyn_batch_stats(acc, sp, s - acc->slots, s->nbuf);
	for (int i = 0; i < m; i++)
	{
		if (i < nd)
		{
			mu[i] = sp->zsum[i] / nb;
			bmean[i] = sp->shift[i] + mu[i];
		}
		else
		{
			int			h = i - nd;

			mu[i] = sp->Shh[h * hc + h] / nb;
			bmean[i] = mu[i];
		}
	}
	/* the upper triangle by blocks: dense x dense, dense x hot, hot x hot */
	for (int i = 0; i < m; i++)
	{
		double	   *Mi = s->mo.M + (Size) i * m;
		double		c = nb * mu[i];
		int			j = i;

		for (; j < nd; j++)
			Mi[j] += sp->Sdd[i * nd + j] - c * mu[j];
		if (i < nd)
			for (; j < m; j++)
				Mi[j] += sp->Shd[(j - nd) * nd + i] - c * mu[j];
		else
			for (const double *Shh = sp->Shh + (i - nd) * hc; j < m; j++)
				Mi[j] += Shh[j - nd] - c * mu[j];
	}
	/* only the slots in use were written */
	memset(sp->zsum, 0, sizeof(double) * nd);
	memset(sp->Sdd, 0, sizeof(double) * nd * nd);
	memset(sp->Shd, 0, sizeof(double) * (m - nd) * nd);
	for (int h = 0; h < m - nd; h++)
		memset(sp->Shh + h * hc + h, 0, sizeof(double) * (m - nd - h));
	pfree(mu);
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

	dense_fold(acc, sp, s->nbuf);
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

/*
 * The dense mode's batch: its column means into bmean, and its centred
 * products into M.  The rows were shifted by the batch's first row as they
 * came (gram_add), with their sums kept, so the centred products are
 * Z'Z - zsum zsum' / b: one read of the batch, by dsyrk.  A column that is
 * zero in every shifted row adds nothing, so only the others go through
 * dsyrk.  The candidates for that are the missing-value indicators, which
 * a row keeps after its other slots and its target: when none is set in
 * the batch (complete data) dsyrk reads those leading columns in place,
 * and 10 features with their 10 indicators cost a Gram of 11 columns, not
 * 21; else the columns used are gathered first.
 */
static void
dense_batch(const GramAcc *acc, GramSlot *s, int b, double *bmean)
{
	int			m = acc->m;
	int		   *act = palloc(sizeof(int) * m);
	double	   *P;
	int			na = acc->nlead;

	for (int c = 0; c < acc->nlead; c++)
		act[c] = c;
	for (int c = acc->nlead; c < m && s->ind_set; c++)
	{
		bool		any = false;

		for (int r = 0; r < b && !any; r++)
			any = s->buf[r * m + c] != 0;
		if (any)
			act[na++] = c;
	}
	s->ind_set = false;
	for (int c = 0; c < m; c++)
		bmean[gram_col(acc, c)] = s->shift[c] + s->zsum[c] / b;

	P = palloc(sizeof(double) * Max(na * na, 1));
	if (na == acc->nlead)
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, na, b, 1.0, s->buf, m, 0.0, P, Max(na, 1));
	else
	{
		double	   *z = palloc(sizeof(double) * b * na);

		for (int r = 0; r < b; r++)
			for (int a = 0; a < na; a++)
				z[r * na + a] = s->buf[r * m + act[a]];
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, na, b, 1.0, z, na, 0.0, P, na);
		pfree(z);
	}
	/* M += Z'Z - zsum zsum' / b, in the moments' order (upper triangle) */
	for (int a = 0; a < na; a++)
		for (int c = a; c < na; c++)
		{
			int			i = gram_col(acc, act[a]);
			int			j = gram_col(acc, act[c]);

			s->mo.M[Min(i, j) * m + Max(i, j)] +=
				P[a * na + c] - s->zsum[act[a]] * s->zsum[act[c]] / b;
		}
	memset(s->zsum, 0, sizeof(double) * m);
	pfree(act);
	pfree(P);
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
	if (acc->dyn != NULL)
		dyn_to_batch(acc, s, bmean);
	else if (s->sp != NULL)
		sparse_to_batch(acc, s, bmean);
	else
		dense_batch(acc, s, b, bmean);

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

/* Rows per batch for a buffered row of width doubles (GRAM_BATCH_MAX). */
static int
gram_batch_rows(int width)
{
	return Max(GRAM_BATCH_MIN, Min(GRAM_BATCH_MAX, GRAM_BATCH_BYTES / (int) sizeof(double) / Max(width, 1)));
}

/* ndx and dense_run, once dense[] is known (p: the spec's dim) */
static void
dense_layout(GramAcc *acc, int p)
{
	acc->ndx = 0;
	while (acc->ndx < acc->nd && acc->dense[acc->ndx] < p)
		acc->ndx++;
	acc->dense_run = true;
	for (int k = 1; k < acc->ndx; k++)
		acc->dense_run &= acc->dense[k] == acc->dense[0] + k;
}

static void *
gram_create(const PassCtx *ctx)
{
	GramAcc    *acc = palloc(sizeof(GramAcc));

	const FeatureSpec *spec = ctx->spec;
	int			nh = 0;

	acc->dyn = NULL;
	acc->m = spec->dim + (spec->target != NULL ? 1 : 0);
	acc->has_y = spec->target != NULL;
	acc->nind = 0;
	for (int i = 0; i < spec->ncols; i++)
		acc->nind += spec->cols[i].indicator >= 0;
	acc->nlead = acc->m - acc->nind;
	acc->nslots = pass_nslots(ctx);
	acc->slots = palloc0(sizeof(GramSlot) * acc->nslots);
	if (featurespec_has_dynamic(spec))
	{
		DynState   *dyn = palloc0(sizeof(DynState));
		bool	   *skip = palloc0(sizeof(bool) * Max(acc->m, 1));

		dyn->cxt = CurrentMemoryContext;
		dyn->cols = palloc0(sizeof(DynCol) * spec->ncols);
		for (int i = 0; i < spec->ncols; i++)
			if (spec->cols[i].kind == FEATURE_DYNAMIC)
			{
				DynCol	   *dc = &dyn->cols[dyn->ndyn++];

				dc->col = i;
				dc->cap = 16;
				dc->keys = palloc(sizeof(char *) * dc->cap);
				dc->lens = palloc(sizeof(int) * dc->cap);
				dc->hot = palloc(sizeof(int) * dc->cap);
				dc->mask = 127;
				dc->tab = palloc0(sizeof(int32) * (dc->mask + 1));
				skip[spec->cols[i].offset] = true;
			}
		/* missing flags are 0/1 and mostly 0: sparse, as levels */
		dyn->hcap = 16;
		for (int i = 0; i < spec->ncols; i++)
			if (spec->cols[i].kind == FEATURE_NUMERIC && spec->cols[i].indicator >= 0)
				dyn->nind++;
		while (dyn->hcap < dyn->nind)
			dyn->hcap *= 2;
		dyn->hcol = palloc(sizeof(int) * dyn->hcap);
		dyn->hlev = palloc(sizeof(int) * dyn->hcap);
		dyn->indslot = palloc(sizeof(int) * Max(dyn->nind, 1));
		for (int i = 0; i < spec->ncols; i++)
			if (spec->cols[i].kind == FEATURE_NUMERIC && spec->cols[i].indicator >= 0)
			{
				dyn->indslot[dyn->nh] = spec->cols[i].indicator;
				dyn->hcol[dyn->nh] = -1;
				dyn->hlev[dyn->nh++] = i;
				skip[spec->cols[i].indicator] = true;
			}
		dyn->cnt = palloc(sizeof(double *) * acc->nslots);
		for (int s = 0; s < acc->nslots; s++)
			dyn->cnt[s] = palloc0(sizeof(double) * dyn->hcap);
		dyn->nstat = 1 + spec->ncols;
		dyn->stat = palloc(sizeof(NumStat *) * acc->nslots);
		for (int s = 0; s < acc->nslots; s++)
		{
			dyn->stat[s] = palloc0(sizeof(NumStat) * dyn->nstat);
			for (int c = 0; c < dyn->nstat; c++)
			{
				dyn->stat[s][c].min = INFINITY;
				dyn->stat[s][c].max = -INFINITY;
			}
		}
		acc->dyn = dyn;
		acc->nh = dyn->nh;
		acc->nd = 0;
		acc->dense = palloc(sizeof(int) * Max(acc->m, 1));
		for (int j = 0; j < acc->m; j++)
			if (!skip[j])
				acc->dense[acc->nd++] = j;
		acc->active = palloc(sizeof(int) * Max(spec->ncols * 2, 1));
		for (int s = 0; s < acc->nslots; s++)
			moments_init(&acc->slots[s].mo, acc->nd + dyn->nh);
		dyn->num_col = palloc(sizeof(int) * Max(spec->ncols, 1));
		dyn->num_dense = palloc(sizeof(int) * Max(spec->ncols, 1));
		dyn->y_dense = -1;
		for (int k = 0; k < acc->nd; k++)
		{
			if (spec->target != NULL && acc->dense[k] == acc->m - 1)
				dyn->y_dense = k;
			for (int i = 0; i < spec->ncols; i++)
				if (spec->cols[i].kind == FEATURE_NUMERIC && spec->cols[i].offset == acc->dense[k])
				{
					dyn->num_col[dyn->nnum] = i;
					dyn->num_dense[dyn->nnum++] = k;
				}
		}
		dyn->batch_stats = dyn->nnum <= 64;
		dyn->num_x = palloc(sizeof(int) * Max(dyn->nnum, 1));
		dyn->num_ind = palloc(sizeof(int) * Max(dyn->nnum, 1));
		dyn->num_run = dyn->nnum > 0;
		for (int u = 0; u < dyn->nnum; u++)
		{
			const FeatureColumn *c = &spec->cols[dyn->num_col[u]];

			dyn->num_x[u] = c->offset;
			dyn->num_ind[u] = c->missing == MISSING_INDICATOR ? c->indicator : -1;
			dyn->num_run &= dyn->num_x[u] == dyn->num_x[0] + u &&
				dyn->num_ind[0] >= 0 && dyn->num_ind[u] == dyn->num_ind[0] + u;
		}
		dyn->bmin = palloc(sizeof(double *) * acc->nslots);
		dyn->bmax = palloc(sizeof(double *) * acc->nslots);
		for (int s = 0; s < acc->nslots; s++)
		{
			dyn->bmin[s] = palloc(sizeof(double) * Max(dyn->nnum, 1));
			dyn->bmax[s] = palloc(sizeof(double) * Max(dyn->nnum, 1));
			for (int u = 0; u < dyn->nnum; u++)
			{
				dyn->bmin[s][u] = INFINITY;
				dyn->bmax[s][u] = -INFINITY;
			}
		}
		dense_layout(acc, spec->dim);
		acc->batch = gram_batch_rows(acc->nd);
		return acc;
	}
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
		dense_layout(acc, spec->dim);
	}
	acc->batch = gram_batch_rows(acc->nh > 0 ? acc->nd : acc->m);
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
	sp->zbuf = MemoryContextAlloc(cxt, sizeof(double) * acc->batch * Max(acc->nd, 1));
	sp->nullmask = NULL;
	sp->Shd = MemoryContextAllocZero(cxt, sizeof(double) * acc->nh * acc->nd);
	sp->Shh = MemoryContextAllocZero(cxt, sizeof(double) * acc->nh * acc->nh);
	return sp;
}

/* z = v - shift and zsum += z over n doubles, two at a time. */
static inline void
shift_into(double *restrict z, const double *restrict v, const double *restrict shift,
		   double *restrict zsum, int n)
{
	int			k = 0;

#ifdef __SSE2__
	for (; k + 2 <= n; k += 2)
	{
		__m128d		d = _mm_sub_pd(_mm_loadu_pd(v + k), _mm_loadu_pd(shift + k));

		_mm_storeu_pd(z + k, d);
		_mm_storeu_pd(zsum + k, _mm_add_pd(_mm_loadu_pd(zsum + k), d));
	}
#endif
	for (; k < n; k++)
	{
		z[k] = v[k] - shift[k];
		zsum[k] += z[k];
	}
}

/*
 * The dense slots of the batch's row r, shifted by the batch's first row,
 * into the batch buffer, and their sums; returns the row.  Their products
 * are summed by dense_fold, one dsyrk a batch.
 */
static double *
dense_update(const GramAcc *acc, SparseSums *sp, int r, double y, const double *x, int p)
{
	int			nd = acc->nd;
	int			k = 0;
	double	   *zd = sp->zbuf + (Size) r * nd;
	double	   *restrict zsum = sp->zsum;
	double	   *shift = sp->shift;

	if (r == 0)
		for (int c = 0; c < nd; c++)
			shift[c] = acc->dense[c] < p ? x[acc->dense[c]] : y;
	if (acc->dense_run)
	{
		shift_into(zd, x + (acc->ndx > 0 ? acc->dense[0] : 0), shift, zsum, acc->ndx);
		k = acc->ndx;
	}
	for (; k < nd; k++)
	{
		int			j = acc->dense[k];

		zd[k] = (j < p ? x[j] : y) - shift[k];
		zsum[k] += zd[k];
	}
	return zd;
}

/*
 * dst += src over n doubles that do not overlap, two at a time: the
 * compiler (-O2) neither vectorizes this loop nor pairs its scalar adds.
 */
static inline void
add_to(double *restrict dst, const double *restrict src, int n)
{
	int			k = 0;

#ifdef __SSE2__
	for (; k + 2 <= n; k += 2)
		_mm_storeu_pd(dst + k, _mm_add_pd(_mm_loadu_pd(dst + k), _mm_loadu_pd(src + k)));
#endif
	for (; k < n; k++)
		dst[k] += src[k];
}

/* Is any of x[0..n-1] non-zero?  (SSE2: two compares an instruction.) */
static inline bool
any_nonzero(const double *x, int n)
{
	int			k = 0;

#ifdef __SSE2__
	__m128d		any = _mm_setzero_pd();

	for (; k + 2 <= n; k += 2)
		any = _mm_or_pd(any, _mm_cmpneq_pd(_mm_loadu_pd(x + k), _mm_setzero_pd()));
	if (_mm_movemask_pd(any) != 0)
		return true;
#endif
	for (; k < n; k++)
		if (x[k] != 0)
			return true;
	return false;
}

/*
 * A row's one-hot sums: its dense row zd (nd) into Shd's row of each of
 * its nact set one-hot slots act[], and their pairs into Shh (row stride
 * hs).
 */
static inline void
hot_sums(double *restrict Shd, double *restrict Shh, int hs, const int *restrict act,
		 int nact, const double *restrict zd, int nd)
{
	for (int a = 0; a < nact; a++)
	{
		int			h = act[a];

		add_to(Shd + h * nd, zd, nd);
		for (int b = a; b < nact; b++)
		{
			int			h2 = act[b];

			Shh[Min(h, h2) * hs + Max(h, h2)] += 1.0;
		}
	}
}

/* One row in sparse mode (see GRAM_MAX_SPARSE_HOT). */
static void
sparse_add(GramAcc *acc, GramSlot *s, double y, const double *x, int p)
{
	SparseSums *sp = s->sp;
	int			nd = acc->nd;
	int			nh = acc->nh;
	int			nact = 0;
	double	   *zd = dense_update(acc, sp, s->nbuf, y, x, p);

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
	hot_sums(sp->Shd, sp->Shh, nh, acc->active, nact, zd, nd);
}


/* ---------------------------------------------------------------------
 * Dynamic mode (FEATURE_DYNAMIC columns)
 * ---------------------------------------------------------------------
 */

static SparseSums *
dyn_sums_create(const GramAcc *acc)
{
	MemoryContext cxt = acc->dyn->cxt;
	SparseSums *sp = MemoryContextAlloc(cxt, sizeof(SparseSums));
	int			nd = acc->nd;
	int			hc = acc->dyn->hcap;

	sp->shift = MemoryContextAllocZero(cxt, sizeof(double) * Max(nd, 1));
	sp->zsum = MemoryContextAllocZero(cxt, sizeof(double) * Max(nd, 1));
	sp->Sdd = MemoryContextAllocZero(cxt, sizeof(double) * Max(nd * nd, 1));
	sp->zbuf = MemoryContextAlloc(cxt, sizeof(double) * acc->batch * Max(nd, 1));
	sp->nullmask = MemoryContextAlloc(cxt, sizeof(uint64) * acc->batch);
	sp->Shd = MemoryContextAllocZero(cxt, sizeof(double) * Max(hc * nd, 1));
	sp->Shh = MemoryContextAllocZero(cxt, sizeof(double) * hc * hc);
	return sp;
}

/* every slot's moments one hot slot wider (the new one is all zeros) */
static void
dyn_widen(GramAcc *acc)
{
	for (int s = 0; s < acc->nslots; s++)
	{
		Moments    *mo = &acc->slots[s].mo;
		int			m = mo->m;
		double	   *mean = MemoryContextAllocZero(acc->dyn->cxt, sizeof(double) * (m + 1));
		double	   *M = MemoryContextAllocZero(acc->dyn->cxt, sizeof(double) * (m + 1) * (m + 1));

		memcpy(mean, mo->mean, sizeof(double) * m);
		for (int i = 0; i < m; i++)
			memcpy(M + i * (m + 1), mo->M + i * m, sizeof(double) * m);
		pfree(mo->mean);
		pfree(mo->M);
		mo->mean = mean;
		mo->M = M;
		mo->m = m + 1;
	}
}

/* Equal texts of len bytes: short ones, where these loops beat memcmp's call. */
static inline bool
level_text_equal(const char *a, const char *b, int len)
{
	int			c = 0;

	/* four bytes at a time while they fit, then byte by byte */
	for (uint32 x, y; c + 4 <= len; c += 4)
	{
		memcpy(&x, a + c, 4);
		memcpy(&y, b + c, 4);
		if (x != y)
			return false;
	}
	while (c < len && a[c] == b[c])
		c++;
	return c == len;
}

/*
 * The level of text s (NULL: len -1) in column dc with hash hv, or -1
 * with *empty the table slot where it would go.
 */
static pg_attribute_always_inline int
dyn_probe(const DynCol *dc, const char *s, int len, uint32 hv, uint32 *empty)
{
	uint32		h = hv & dc->mask;

	for (; dc->tab[h] != 0; h = (h + 1) & dc->mask)
	{
		int			i = dc->tab[h] - 1;

		if (dc->lens[i] == len && (len < 0 || level_text_equal(dc->keys[i], s, len)))
			return i;
	}
	*empty = h;
	return -1;
}

/* Fold every slot's pending rows (not after an overflow: no moments then). */
static void
dyn_flush_all(const GramAcc *acc)
{
	for (int s = 0; s < acc->nslots && !acc->dyn->overflow; s++)
		gram_flush(acc, &acc->slots[s]);
}

/*
 * The hot index of level (s, len) of dynamic column k (len -1: NULL),
 * created if new.  widen: also extend the moments (not while reading a
 * serialized state, whose moments come afterwards).
 */
#define LEVEL_HASH(s, len) \
	((len) < 0 ? (uint32) 0x9e3779b9 : (uint32) (uint64) featurespec_level_hash((s), (len)))

static int
dyn_intern(GramAcc *acc, const PassCtx *ctx, int k, const char *s, int len, uint32 hv,
		   bool widen)
{
	DynState   *dyn = acc->dyn;
	DynCol	   *dc = &dyn->cols[k];
	uint32		h = 0;			/* the free table slot (dyn_probe) */
	int			lev = dyn_probe(dc, s, len, hv, &h);
	int			hot;
	MemoryContext old;

	if (lev >= 0)
		return dc->hot[lev];
	if (len >= 0 && dc->nonnull >= mldb_max_distinct)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("categorical feature \"%s\" has more than %d distinct values",
						ctx->spec->cols[dc->col].name, mldb_max_distinct),
				 errhint("Leave the column out of features (an identifier is not a category), bucket it in a query passed as relation, or raise mldb.max_distinct; max_categories then keeps the most frequent values.")));

	old = MemoryContextSwitchTo(dyn->cxt);
	/* pending batches hold sums over the old width: fold them in first */
	if (widen)
		dyn_flush_all(acc);
	if (dc->n == dc->cap)
	{
		dc->cap *= 2;
		dc->keys = repalloc(dc->keys, sizeof(char *) * dc->cap);
		dc->lens = repalloc(dc->lens, sizeof(int) * dc->cap);
		dc->hot = repalloc(dc->hot, sizeof(int) * dc->cap);
	}
	lev = dc->n++;
	dc->keys[lev] = len < 0 ? NULL : pnstrdup(s, len);
	dc->lens[lev] = len;
	if (len >= 0)
		dc->nonnull++;
	dc->tab[h] = lev + 1;
	/*
	 * Kept sparse: a probe's loop exit is mispredicted whenever its number
	 * of steps changes from row to row (at load 1/2 that cost ~5% of a
	 * pass over two 20-level columns).
	 */
	if ((uint32) dc->n * 8 > dc->mask)
	{
		uint32		size = (dc->mask + 1) * 2;

		pfree(dc->tab);
		dc->tab = palloc0(sizeof(int32) * size);
		dc->mask = size - 1;
		for (int i = 0; i < dc->n; i++)
		{
			uint32		hh = LEVEL_HASH(dc->keys[i], dc->lens[i]) & dc->mask;

			while (dc->tab[hh] != 0)
				hh = (hh + 1) & dc->mask;
			dc->tab[hh] = i + 1;
		}
	}

	hot = dyn->nh++;
	dc->hot[lev] = hot;
	if (dyn->nh > dyn->hcap)
	{
		dyn->hcap *= 2;
		dyn->hcol = repalloc(dyn->hcol, sizeof(int) * dyn->hcap);
		dyn->hlev = repalloc(dyn->hlev, sizeof(int) * dyn->hcap);
		for (int sl = 0; sl < acc->nslots; sl++)
		{
			dyn->cnt[sl] = repalloc(dyn->cnt[sl], sizeof(double) * dyn->hcap);
			memset(dyn->cnt[sl] + dyn->nh - 1, 0, sizeof(double) * (dyn->hcap - dyn->nh + 1));
			/* flushed above: the sums are zero, make them wider */
			if (acc->slots[sl].sp != NULL)
				acc->slots[sl].sp = dyn_sums_create(acc);
		}
	}
	dyn->hcol[hot] = k;
	dyn->hlev[hot] = lev;
	acc->nh = dyn->nh;
	if (dyn->nh > GRAM_MAX_SPARSE_HOT)
		dyn->overflow = true;
	if (widen && !dyn->overflow)
		dyn_widen(acc);
	MemoryContextSwitchTo(old);
	return hot;
}

/* Numeric column u's value is missing in encoded row x (NULL flags: isnull). */
static inline bool
dyn_num_missing(const DynState *dyn, int u, const double *x, const bool *isnull)
{
	return dyn->num_ind[u] >= 0 ? x[dyn->num_ind[u]] != 0 : isnull[dyn->num_col[u]];
}

/*
 * A training row's numeric values into its slot's batch range (bmin,
 * bmax); returns the mask of its missing ones (bit u: numeric u).
 */
static inline uint64
dyn_range(DynState *dyn, int slot, const double *x, const bool *isnull)
{
	double	   *restrict lo = dyn->bmin[slot];
	double	   *restrict hi = dyn->bmax[slot];
	uint64		mask = 0;
	int			u = 0;

#ifdef __SSE2__
	if (dyn->num_run)
	{
		/* the usual layout: values, and their flags, side by side in x */
		const double *xv = x + dyn->num_x[0];
		const double *xm = x + dyn->num_ind[0];

		for (; u + 2 <= dyn->nnum; u += 2)
		{
			__m128d		v = _mm_loadu_pd(xv + u);
			__m128d		miss = _mm_cmpneq_pd(_mm_loadu_pd(xm + u), _mm_setzero_pd());
			__m128d		l = _mm_loadu_pd(lo + u);
			__m128d		h = _mm_loadu_pd(hi + u);

			/* min(v, l) is v < l ? v : l, as below; a missing value keeps l */
			_mm_storeu_pd(lo + u, _mm_or_pd(_mm_and_pd(miss, l), _mm_andnot_pd(miss, _mm_min_pd(v, l))));
			_mm_storeu_pd(hi + u, _mm_or_pd(_mm_and_pd(miss, h), _mm_andnot_pd(miss, _mm_max_pd(v, h))));
			mask |= (uint64) _mm_movemask_pd(miss) << u;
		}
	}
#endif
	/* any other layout, and the last column of an odd number */
	for (; u < dyn->nnum; u++)
	{
		double		v = x[dyn->num_x[u]];

		if (dyn_num_missing(dyn, u, x, isnull))
			mask |= UINT64CONST(1) << u;
		else
		{
			lo[u] = v < lo[u] ? v : lo[u];
			hi[u] = v > hi[u] ? v : hi[u];
		}
	}
	return mask;
}

static void
dyn_add(void *a, const PassCtx *ctx, const FeatureBinding *b, int slot, uint64 rowhash,
		double y, const double *x, const Datum *values, const bool *isnull)
{
	GramAcc    *acc = (GramAcc *) a;
	DynState   *dyn = acc->dyn;
	GramSlot   *s = &acc->slots[slot];
	SparseSums *sp;
	int			nd = acc->nd;
	int			nact = 0;
	int			p = ctx->spec->dim;
	double	   *zd;

	/* without a branch: a missing value is a coin toss for the predictor */
	for (int h = 0; h < dyn->nind; h++)
	{
		acc->active[nact] = h;
		nact += x[dyn->indslot[h]] != 0;
	}
	for (int k = 0; k < dyn->ndyn; k++)
	{
		int			i = dyn->cols[k].col;
		int			len = -1;
		const char *t = NULL;
		uint32		hv = 0x9e3779b9;

		DynCol	   *dc = &dyn->cols[k];
		int			lev;
		uint32		empty;

		if (!isnull[i])
		{
			t = featurespec_datum_text(&b->cols[i], values[i], &len);
			/* the encoder already hashed the text (featurespec_level_hash) */
			hv = (uint32) (int64) x[ctx->spec->cols[i].offset];	/* < 2^52 */
		}
		/* the usual case, a known level (dyn_intern adds a new one) */
		lev = dyn_probe(dc, t, len, hv, &empty);
		acc->active[nact++] = lev >= 0 ? dc->hot[lev] : dyn_intern(acc, ctx, k, t, len, hv, true);
	}
	for (int a2 = 0; a2 < nact; a2++)
		dyn->cnt[slot][acc->active[a2]] += 1.0;
	if (slot != PASS_HOLDOUT_SLOT && (dyn->overflow || !dyn->batch_stats))
	{
		NumStat    *st = dyn->stat[slot];

		if (ctx->spec->target != NULL)
			numstat_add(&st[0], y);
		for (int u = 0; u < dyn->nnum; u++)
		{
			NumStat    *t = &st[1 + dyn->num_col[u]];

			if (dyn_num_missing(dyn, u, x, isnull))
				t->nulls++;
			else
				numstat_add(t, x[dyn->num_x[u]]);
		}
	}
	if (dyn->overflow)
		return;

	if (s->sp == NULL)
		s->sp = dyn_sums_create(acc);
	sp = s->sp;
	if (slot != PASS_HOLDOUT_SLOT && dyn->batch_stats)
	{
		/* min and max now (exact values), the rest at the flush */
		NumStat    *st = dyn->stat[slot];

		if (ctx->spec->target != NULL)
		{
			st[0].min = y < st[0].min ? y : st[0].min;
			st[0].max = y > st[0].max ? y : st[0].max;
		}
		sp->nullmask[s->nbuf] = dyn_range(dyn, slot, x, isnull);
	}
	zd = dense_update(acc, sp, s->nbuf, y, x, p);
	hot_sums(sp->Shd, sp->Shh, dyn->hcap, acc->active, nact, zd, nd);
	if (++s->nbuf == acc->batch)
		gram_flush(acc, s);
}

static void
dyn_merge(GramAcc *x, GramAcc *y, const PassCtx *ctx)
{
	DynState   *dy = y->dyn;
	int		   *map = palloc(sizeof(int) * Max(dy->nh, 1));

	dyn_flush_all(x);
	dyn_flush_all(y);
	for (int h = 0; h < dy->nh; h++)
	{
		DynCol	   *dc;
		int			lev = dy->hlev[h];

		if (h < dy->nind)
		{
			map[h] = h;
			continue;
		}
		dc = &dy->cols[dy->hcol[h]];
		map[h] = dyn_intern(x, ctx, dy->hcol[h], dc->keys[lev], dc->lens[lev],
							LEVEL_HASH(dc->keys[lev], dc->lens[lev]), true);
	}
	if (dy->overflow)
		x->dyn->overflow = true;
	for (int s = 0; s < x->nslots; s++)
	{
		for (int h = 0; h < dy->nh; h++)
			x->dyn->cnt[s][map[h]] += dy->cnt[s][h];
		for (int c = 0; c < x->dyn->nstat; c++)
			numstat_merge(&x->dyn->stat[s][c], &dy->stat[s][c]);
	}
	if (x->dyn->overflow)
		return;
	for (int s = 0; s < x->nslots; s++)
	{
		Moments    *b = &y->slots[s].mo;
		Moments		e;
		int			mb = b->m;
		int			me = x->slots[s].mo.m;
		int		   *to = palloc(sizeof(int) * Max(mb, 1));

		for (int i = 0; i < mb; i++)
			to[i] = i < x->nd ? i : x->nd + map[i - x->nd];
		moments_init(&e, me);
		e.n = b->n;
		for (int i = 0; i < mb; i++)
		{
			e.mean[to[i]] = b->mean[i];
			for (int j = i; j < mb; j++)
				e.M[Min(to[i], to[j]) * me + Max(to[i], to[j])] = b->M[i * mb + j];
		}
		moments_merge(&x->slots[s].mo, &e);
		pfree(e.mean);
		pfree(e.M);
		pfree(to);
	}
}

static void
dyn_write(StringInfo buf, GramAcc *acc)
{
	DynState   *dyn = acc->dyn;

	bin_write_int32(buf, dyn->nh);
	bin_write_int32(buf, dyn->overflow);
	for (int h = dyn->nind; h < dyn->nh; h++)
	{
		DynCol	   *dc = &dyn->cols[dyn->hcol[h]];
		int			lev = dyn->hlev[h];

		bin_write_int32(buf, dyn->hcol[h]);
		bin_write_int32(buf, dc->lens[lev]);
		if (dc->lens[lev] > 0)
			appendBinaryStringInfo(buf, dc->keys[lev], dc->lens[lev]);
	}
	/* first the pending rows: they hold part of the profile (dyn_batch_stats) */
	dyn_flush_all(acc);
	for (int s = 0; s < acc->nslots; s++)
	{
		bin_write_float8_array(buf, (double *) dyn->stat[s], dyn->nstat * NUMSTAT_DOUBLES);
		bin_write_float8_array(buf, dyn->cnt[s], dyn->nh);
		if (!dyn->overflow)
			moments_write(buf, &acc->slots[s].mo);
	}
}

static void
dyn_read(BinReader *r, GramAcc *acc, const PassCtx *ctx)
{
	DynState   *dyn = acc->dyn;
	int			nh = bin_read_int32(r);
	bool		overflow = bin_read_int32(r) != 0;

	if (nh < dyn->nind || (Size) nh > r->len - r->pos)
		bin_corrupted(r, "level count out of range");
	for (int h = dyn->nind; h < nh; h++)
	{
		int			k = bin_read_int32(r);
		int			len = bin_read_int32(r);
		char	   *t = NULL;

		if (k < 0 || k >= dyn->ndyn || len < -1 || (len > 0 && (Size) len > r->len - r->pos))
			bin_corrupted(r, "invalid level");
		if (len > 0)
		{
			t = palloc(len);
			bin_read(r, t, len);
		}
		if (dyn_intern(acc, ctx, k, len == 0 ? "" : t, len,
					   LEVEL_HASH(len == 0 ? "" : t, len), false) != h)
			bin_corrupted(r, "duplicate level");
	}
	dyn->overflow |= overflow;
	for (int s = 0; s < acc->nslots; s++)
	{
		double	   *st = bin_read_float8_array(r, dyn->nstat * NUMSTAT_DOUBLES);
		double	   *c;

		memcpy(dyn->stat[s], st, sizeof(NumStat) * dyn->nstat);
		c = bin_read_float8_array(r, nh);

		memcpy(dyn->cnt[s], c, sizeof(double) * nh);
		if (!overflow)
			acc->slots[s].mo = *moments_read(r, acc->nd + nh);
	}
}

static int
dyn_level_cmp(const void *a, const void *b, void *arg)
{
	const DynCol *dc = ((void **) arg)[0];
	const double *cnt = ((void **) arg)[1];
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	int			r;

	if (cnt[i] != cnt[j])
		return cnt[i] > cnt[j] ? -1 : 1;
	r = memcmp(dc->keys[i], dc->keys[j], Min(dc->lens[i], dc->lens[j]));
	return r != 0 ? r : dc->lens[i] - dc->lens[j];
}

typedef struct HashSlot
{
	double		hash;
	int			slot;
} HashSlot;

static int
hashslot_cmp(const void *a, const void *b)
{
	double		x = ((const HashSlot *) a)->hash;
	double		y = ((const HashSlot *) b)->hash;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * After a pass over a spec with FEATURE_DYNAMIC columns: fix each such
 * column's vocabulary from the training slots' (1..nfolds) counts exactly
 * as profile_encode_column does from a profile, and rewrite the
 * accumulator's moments (and sample, when given) in the final layout, so
 * gram_moments() and the rest work as after a pass over the final spec.
 * Returns the final spec; *rerun is set when there were too many levels to
 * keep moments for (the caller then runs the pass again over it).
 */
FeatureSpec *
gram_resolve_levels(void *a, const FeatureSpec *pass_spec, int max_categories,
					bool drop_first, int nfolds, RowSample *sample, bool *rerun,
					Profile **profile)
{
	GramAcc    *acc = (GramAcc *) a;
	DynState   *dyn = acc->dyn;
	FeatureSpec *out = featurespec_copy(pass_spec);
	int			has_y = pass_spec->target != NULL ? 1 : 0;
	int		   *hslot = palloc(sizeof(int) * Max(dyn->nh, 1));	/* final slot per hot */
	int		  **levslot = palloc(sizeof(int *) * Max(dyn->ndyn, 1));
	int			mf;
	int		   *to;
	int			mi;

	Profile    *prof = palloc0(sizeof(Profile));
	int			off = has_y;

	/* pending rows hold part of the profile (dyn_batch_stats) */
	dyn_flush_all(acc);

	/* the profile of the training rows (profile_run's, without a pass) */
	prof->ncols = pass_spec->ncols + off;
	prof->cols = palloc0(sizeof(ColumnProfile) * prof->ncols);
	for (int c = 0; c < prof->ncols; c++)
	{
		ColumnProfile *cp = &prof->cols[c];
		int			si = off ? c : c + 1;	/* index into stat */
		NumStat		t = {0, 0, 0, 0, 0, INFINITY, -INFINITY};

		cp->name = c < off ? pass_spec->target : pass_spec->cols[c - off].name;
		cp->kind = FEATURE_NUMERIC;
		if (c >= off && pass_spec->cols[c - off].kind != FEATURE_NUMERIC)
		{
			cp->kind = FEATURE_CATEGORICAL;
			continue;
		}
		for (int s = 1; s <= nfolds; s++)
			numstat_merge(&t, &dyn->stat[s][si]);
		cp->n = t.n;
		cp->nulls = t.nulls;
		cp->mean = t.n > 0 ? t.shift + t.s1 / t.n : NAN;
		cp->var = t.n > 0 ? Max(t.s2 / t.n - (t.s1 / t.n) * (t.s1 / t.n), 0.0) : NAN;
		cp->min = t.min;
		cp->max = t.max;
	}

	/* the vocabularies */
	for (int k = 0; k < dyn->ndyn; k++)
	{
		DynCol	   *dc = &dyn->cols[k];
		FeatureColumn *c = &out->cols[dc->col];
		double	   *tc = palloc0(sizeof(double) * Max(dc->n, 1));
		int		   *order = palloc(sizeof(int) * Max(dc->n, 1));
		int		   *rank = palloc(sizeof(int) * Max(dc->n, 1));
		int			nl = 0;
		double		nulls = 0;
		int			keep;
		int			n = 0;
		void	   *arg[2];

		for (int l = 0; l < dc->n; l++)
		{
			for (int s = 1; s <= nfolds; s++)
				tc[l] += dyn->cnt[s][dc->hot[l]];
			rank[l] = -1;
			if (dc->lens[l] < 0)
				nulls = tc[l];
			else if (tc[l] > 0)
				order[nl++] = l;
		}
		arg[0] = dc;
		arg[1] = tc;
		qsort_arg(order, nl, sizeof(int), dyn_level_cmp, arg);
		{
			ColumnProfile *cp = &prof->cols[dc->col + off];

			cp->nulls = nulls;
			cp->nlevels = nl;
			cp->levels = palloc(sizeof(char *) * Max(nl, 1));
			cp->counts = palloc(sizeof(double) * Max(nl, 1));
			for (int r = 0; r < nl; r++)
			{
				cp->levels[r] = pstrdup(dc->keys[order[r]]);
				cp->counts[r] = tc[order[r]];
				cp->n += tc[order[r]];
			}
		}
		keep = Min(nl, max_categories);
		c->kind = FEATURE_CATEGORICAL;
		c->levels = palloc(sizeof(char *) * (keep + 2));
		for (int r = 0; r < keep; r++)
		{
			c->levels[n++] = pstrdup(dc->keys[order[r]]);
			rank[order[r]] = r;
		}
		c->other_level = -1;
		c->null_level = -1;
		if (nl > keep)
		{
			c->other_level = n;
			c->levels[n++] = MLDB_OTHER_LEVEL;
		}
		if (nulls > 0)
		{
			c->null_level = n;
			c->levels[n++] = MLDB_NULL_LEVEL;
		}
		c->nlevels = n;
		c->drop_first = drop_first && n > 0 ? 1 : 0;
		/* each level's final level: kept, else __other__ (or none) */
		for (int l = 0; l < dc->n; l++)
		{
			if (dc->lens[l] < 0)
				rank[l] = c->null_level;
			else if (rank[l] < 0)
				rank[l] = c->other_level;
		}
		levslot[k] = rank;
	}
	featurespec_layout(out);
	mf = out->dim + has_y;

	for (int h = 0; h < dyn->nh; h++)
	{
		const FeatureColumn *c;
		int			lev;

		if (h < dyn->nind)
		{
			hslot[h] = out->cols[dyn->hlev[h]].indicator;
			continue;
		}
		c = &out->cols[dyn->cols[dyn->hcol[h]].col];
		lev = levslot[dyn->hcol[h]][dyn->hlev[h]];
		hslot[h] = lev >= c->drop_first ? c->offset + lev - c->drop_first : -1;
	}

	/* internal index -> final slot */
	mi = acc->nd + dyn->nh;
	to = palloc(sizeof(int) * Max(mi, 1));
	for (int k = 0; k < acc->nd; k++)
	{
		int			j = acc->dense[k];

		to[k] = -1;
		if (j == acc->m - 1 && has_y)
			to[k] = mf - 1;
		else
			for (int i = 0; i < pass_spec->ncols; i++)
			{
				const FeatureColumn *pc = &pass_spec->cols[i];

				if (pc->kind == FEATURE_NUMERIC && pc->offset == j)
					to[k] = out->cols[i].offset;
				else if (pc->kind == FEATURE_NUMERIC && pc->indicator >= 0 && pc->indicator == j)
					to[k] = out->cols[i].indicator;
			}
	}
	for (int h = 0; h < dyn->nh; h++)
		to[acc->nd + h] = hslot[h];

	*rerun = dyn->overflow;
	for (int s = 0; s < acc->nslots; s++)
	{
		GramSlot   *gs = &acc->slots[s];
		Moments		f;

		moments_init(&f, mf);
		if (!dyn->overflow)
		{
			Moments    *mo = &gs->mo;

			gram_flush(acc, gs);
			f.n = mo->n;
			for (int i = 0; i < mi; i++)
			{
				if (to[i] < 0)
					continue;
				f.mean[to[i]] += mo->mean[i];
				for (int j = 0; j < mi; j++)
				{
					double		v;

					if (to[j] < 0)
						continue;
					v = i <= j ? mo->M[i * mi + j] : mo->M[j * mi + i];
					/* f holds the upper triangle, as while accumulating */
					if (to[i] <= to[j])
						f.M[to[i] * mf + to[j]] += v;
				}
			}
		}
		gs->mo = f;
		gs->nbuf = 0;
		gs->sp = NULL;
		gs->buf = NULL;
	}

	/* the sample: level hashes to the final one-hot slots */
	if (sample != NULL)
	{
		HashSlot  **maps = palloc(sizeof(HashSlot *) * Max(dyn->ndyn, 1));
		int		   *nulls = palloc(sizeof(int) * Max(dyn->ndyn, 1));
		double	   *nx = palloc0(sizeof(double) * Max(sample->capacity, 1) * Max(out->dim, 1));

		for (int k = 0; k < dyn->ndyn; k++)
		{
			DynCol	   *dc = &dyn->cols[k];
			int			n = 0;

			maps[k] = palloc(sizeof(HashSlot) * Max(dc->n, 1));
			nulls[k] = -1;
			for (int l = 0; l < dc->n; l++)
			{
				if (dc->lens[l] < 0)
					nulls[k] = hslot[dc->hot[l]];
				else
				{
					maps[k][n].hash = featurespec_level_hash(dc->keys[l], dc->lens[l]);
					maps[k][n++].slot = hslot[dc->hot[l]];
				}
			}
			qsort(maps[k], n, sizeof(HashSlot), hashslot_cmp);
			dc->nonnull = n;
		}
		for (int r = 0; r < sample->n; r++)
		{
			const double *px = sample->x + (Size) r * sample->dim;
			double	   *fx = nx + (Size) r * out->dim;

			for (int i = 0; i < pass_spec->ncols; i++)
			{
				const FeatureColumn *pc = &pass_spec->cols[i];
				const FeatureColumn *fc = &out->cols[i];

				if (pc->kind == FEATURE_NUMERIC)
				{
					fx[fc->offset] = px[pc->offset];
					if (pc->indicator >= 0)
						fx[fc->indicator] = px[pc->indicator];
				}
			}
			for (int k = 0; k < dyn->ndyn; k++)
			{
				double		v = px[pass_spec->cols[dyn->cols[k].col].offset];
				int			sl = -1;

				if (v < 0)
					sl = nulls[k];
				else
				{
					HashSlot	key = {v, 0};
					HashSlot   *f = bsearch(&key, maps[k], dyn->cols[k].nonnull,
											sizeof(HashSlot), hashslot_cmp);

					if (f != NULL)
						sl = f->slot;
				}
				if (sl >= 0)
					fx[sl] = 1.0;
			}
		}
		sample->x = nx;
		sample->dim = out->dim;
	}

	acc->dyn = NULL;
	acc->m = mf;
	acc->nh = 0;
	acc->nd = mf;
	acc->nind = 0;				/* the moments' own order from now on */
	acc->nlead = mf;
	*profile = prof;
	return out;
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
		if (++s->nbuf == acc->batch)
			gram_flush(acc, s);
		return;
	}

	if (s->buf == NULL)
	{
		MemoryContext cxt = GetMemoryChunkContext(acc);

		s->buf = MemoryContextAlloc(cxt, sizeof(double) * acc->batch * acc->m);
		s->shift = MemoryContextAlloc(cxt, sizeof(double) * acc->m);
		s->zsum = MemoryContextAllocZero(cxt, sizeof(double) * acc->m);
	}
	row = s->buf + (Size) s->nbuf * acc->m;
	{
		/*
		 * [leading slots, target, indicators], less the shift (dense_batch).
		 * While no row of the batch has an indicator set, the indicator
		 * columns are all zero, shift and sums too: they are left out, and
		 * filled in for the earlier rows when the first set one comes.
		 */
		int			m = acc->m;
		int			nlead = acc->nlead;
		int			xlead = ctx->spec->dim - acc->nind;
		const double *xi = x + xlead;
		double	   *zs = s->zsum;
		double	   *sh = s->shift;
		bool		set = any_nonzero(xi, acc->nind);

		if (set && !s->ind_set)
		{
			for (int r = 0; r < s->nbuf; r++)
				memset(s->buf + (Size) r * m + nlead, 0, sizeof(double) * acc->nind);
			s->ind_set = true;
		}
		if (s->nbuf == 0)
		{
			memcpy(sh, x, sizeof(double) * xlead);
			if (acc->has_y)
				sh[xlead] = y;
			memcpy(sh + nlead, xi, sizeof(double) * acc->nind);
		}
		shift_into(row, x, sh, zs, xlead);
		if (acc->has_y)
		{
			row[xlead] = y - sh[xlead];
			zs[xlead] += row[xlead];
		}
		if (s->ind_set)
			shift_into(row + nlead, xi, sh + nlead, zs + nlead, acc->nind);
	}
	if (++s->nbuf == acc->batch)
		gram_flush(acc, s);
}

static void
gram_add_full(void *a, const PassCtx *ctx, const FeatureBinding *b, int slot, uint64 rowhash,
			  double y, const double *x, const Datum *values, const bool *isnull)
{
	if (((GramAcc *) a)->dyn != NULL)
		dyn_add(a, ctx, b, slot, rowhash, y, x, values, isnull);
	else
		gram_add(a, ctx, slot, rowhash, y, x);
}

static void
gram_merge(void *a, void *b, const PassCtx *ctx)
{
	GramAcc    *x = (GramAcc *) a;
	GramAcc    *y = (GramAcc *) b;

	if (x->dyn != NULL)
	{
		dyn_merge(x, y, ctx);
		return;
	}
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
	if (acc->dyn != NULL)
	{
		dyn_write(buf, acc);
		return;
	}
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
	if (acc->dyn != NULL)
	{
		dyn_read(r, acc, ctx);
		return acc;
	}
	for (int s = 0; s < acc->nslots; s++)
		acc->slots[s].mo = *moments_read(r, acc->m);
	return acc;
}

const PassKind gram_pass_kind = {
	.name = "gram",
	.create = gram_create,
	.add = gram_add,
	.add_full = gram_add_full,
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
