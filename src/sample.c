/*-------------------------------------------------------------------------
 * sample.c
 *	  Bottom-k row sample (RowSample) and the PASS_SAMPLE accumulator.
 *
 *	  The sample keeps the k rows with the smallest keys in a max-heap of
 *	  row indexes, so a row costs one comparison with the heap's top once
 *	  the sample is full (the common case: O(1) for most rows, O(log k)
 *	  for the few that enter).  A bottom-k sample by a hash of the row's
 *	  content is a uniform sample without replacement (Cohen & Kaplan,
 *	  "Summarizing data using bottom-k sketches", PODC 2007) that merges
 *	  exactly: the union of two bottom-k samples, cut back to k, is the
 *	  bottom-k sample of the union.  Ties on the 64-bit key are broken by
 *	  the row's bytes, so even then the result does not depend on the
 *	  order rows arrive in.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include "sample.h"

/* Maximum rows a sample may hold (bounds what a state may claim). */
#define SAMPLE_MAX_CAPACITY 10000000

static int
sample_cmp(uint64 ka, double ya, const double *xa,
		   uint64 kb, double yb, const double *xb, int dim)
{
	int			c;

	if (ka != kb)
		return ka < kb ? -1 : 1;
	c = memcmp(&ya, &yb, sizeof(double));
	if (c != 0)
		return c;
	return memcmp(xa, xb, sizeof(double) * dim);
}

static inline int
row_cmp(const RowSample *s, int a, int b)
{
	return sample_cmp(s->key[a], s->y[a], s->x + (Size) a * s->dim,
					  s->key[b], s->y[b], s->x + (Size) b * s->dim, s->dim);
}

RowSample *
rowsample_create(int capacity, int dim)
{
	RowSample  *s = palloc0(sizeof(RowSample));

	if (capacity < 1 || capacity > SAMPLE_MAX_CAPACITY || dim < 0)
		elog(ERROR, "row sample capacity %d out of range", capacity);
	s->capacity = capacity;
	s->dim = dim;
	s->heap = palloc(sizeof(int) * capacity);
	s->key = palloc(sizeof(uint64) * capacity);
	s->y = palloc(sizeof(double) * capacity);
	s->x = palloc(sizeof(double) * (Size) capacity * Max(dim, 1));
	return s;
}

static void
sift_up(RowSample *s, int i)
{
	while (i > 0)
	{
		int			parent = (i - 1) / 2;
		int			t;

		if (row_cmp(s, s->heap[parent], s->heap[i]) >= 0)
			break;
		t = s->heap[parent];
		s->heap[parent] = s->heap[i];
		s->heap[i] = t;
		i = parent;
	}
}

static void
sift_down(RowSample *s, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1;
		int			r = l + 1;
		int			largest = i;
		int			t;

		if (l < s->n && row_cmp(s, s->heap[l], s->heap[largest]) > 0)
			largest = l;
		if (r < s->n && row_cmp(s, s->heap[r], s->heap[largest]) > 0)
			largest = r;
		if (largest == i)
			break;
		t = s->heap[largest];
		s->heap[largest] = s->heap[i];
		s->heap[i] = t;
		i = largest;
	}
}

static void
store_row(RowSample *s, int idx, uint64 key, double y, const double *x)
{
	s->key[idx] = key;
	s->y[idx] = y;
	memcpy(s->x + (Size) idx * s->dim, x, sizeof(double) * s->dim);
}

void
rowsample_add(RowSample *s, uint64 key, double y, const double *x)
{
	int			top;

	if (s->sorted)
		elog(ERROR, "row added to a finished sample");
	if (s->n < s->capacity)
	{
		store_row(s, s->n, key, y, x);
		s->heap[s->n] = s->n;
		s->n++;
		sift_up(s, s->n - 1);
		return;
	}
	top = s->heap[0];
	if (sample_cmp(key, y, x, s->key[top], s->y[top], s->x + (Size) top * s->dim, s->dim) >= 0)
		return;
	store_row(s, top, key, y, x);
	sift_down(s, 0);
}

void
rowsample_merge(RowSample *a, const RowSample *b)
{
	Assert(a->dim == b->dim);
	for (int i = 0; i < b->n; i++)
		rowsample_add(a, b->key[i], b->y[i], b->x + (Size) i * b->dim);
}

/* qsort_arg comparator over row indexes */
static int
index_cmp(const void *a, const void *b, void *arg)
{
	return row_cmp((const RowSample *) arg, *(const int *) a, *(const int *) b);
}

void
rowsample_sort(RowSample *s)
{
	int		   *order;
	uint64	   *key;
	double	   *y;
	double	   *x;

	if (s->sorted)
		return;
	order = palloc(sizeof(int) * Max(s->n, 1));
	key = palloc(sizeof(uint64) * s->capacity);
	y = palloc(sizeof(double) * s->capacity);
	x = palloc(sizeof(double) * (Size) s->capacity * Max(s->dim, 1));
	for (int i = 0; i < s->n; i++)
		order[i] = i;
	qsort_arg(order, s->n, sizeof(int), index_cmp, s);
	for (int i = 0; i < s->n; i++)
	{
		key[i] = s->key[order[i]];
		y[i] = s->y[order[i]];
		memcpy(x + (Size) i * s->dim, s->x + (Size) order[i] * s->dim, sizeof(double) * s->dim);
	}
	pfree(s->key);
	pfree(s->y);
	pfree(s->x);
	pfree(order);
	s->key = key;
	s->y = y;
	s->x = x;
	s->sorted = true;
}

void
rowsample_write(StringInfo buf, const RowSample *s)
{
	bin_write_int32(buf, s->capacity);
	bin_write_int32(buf, s->dim);
	bin_write_int32(buf, s->n);
	for (int i = 0; i < s->n; i++)
	{
		bin_write_int64(buf, (int64) s->key[i]);
		bin_write_float8(buf, s->y[i]);
		bin_write_float8_array(buf, s->x + (Size) i * s->dim, s->dim);
	}
}

/* Rows are re-inserted, so a state cannot smuggle in an invalid heap. */
RowSample *
rowsample_read(BinReader *r, int capacity, int dim)
{
	RowSample  *s;
	double	   *x = palloc(sizeof(double) * Max(dim, 1));
	int			n;

	if (bin_read_int32(r) != capacity || bin_read_int32(r) != dim)
		bin_corrupted(r, "sample dimensions do not match");
	n = bin_read_int32(r);
	if (n < 0 || n > capacity)
		bin_corrupted(r, "sample row count out of range");
	s = rowsample_create(capacity, dim);
	for (int i = 0; i < n; i++)
	{
		uint64		key = (uint64) bin_read_int64(r);
		double		y = bin_read_float8(r);

		bin_read(r, x, sizeof(double) * dim);
		rowsample_add(s, key, y, x);
	}
	pfree(x);
	return s;
}

/* ---------------------------------------------------------------------
 * PASS_SAMPLE
 * ---------------------------------------------------------------------
 */

void
sample_pass_extra(PassCtx *ctx, int capacity)
{
	StringInfoData buf;

	initStringInfo(&buf);
	bin_write_int32(&buf, capacity);
	ctx->extra = buf.data;
	ctx->extra_len = buf.len;
}

static int
sample_capacity(const PassCtx *ctx)
{
	BinReader	r;
	int32		capacity;

	binreader_init(&r, ctx->extra, ctx->extra_len, "sample pass parameters");
	capacity = bin_read_int32(&r);
	bin_read_end(&r);
	if (capacity < 1 || capacity > SAMPLE_MAX_CAPACITY)
		bin_corrupted(&r, "sample capacity out of range");
	return capacity;
}

static void *
sample_create(const PassCtx *ctx)
{
	SampleAcc  *acc = palloc0(sizeof(SampleAcc));
	int			dim = ctx->spec->dim;

	acc->sample = rowsample_create(sample_capacity(ctx), dim);
	acc->mean = palloc0(sizeof(double) * Max(dim, 1));
	acc->m2 = palloc0(sizeof(double) * Max(dim, 1));
	return acc;
}

/* Welford's update of the per-feature mean and scatter */
static void
sample_add(void *a, const PassCtx *ctx, int slot, uint64 rowhash, double y,
		   const double *x)
{
	SampleAcc  *acc = (SampleAcc *) a;
	int			dim = ctx->spec->dim;

	acc->n += 1;
	for (int j = 0; j < dim; j++)
	{
		double		d = x[j] - acc->mean[j];

		acc->mean[j] += d / acc->n;
		acc->m2[j] += d * (x[j] - acc->mean[j]);
	}
	rowsample_add(acc->sample, rowhash_sample_key(rowhash), y, x);
}

/* Chan, Golub & LeVeque's pairwise merge, per feature */
static void
sample_merge(void *a, void *b, const PassCtx *ctx)
{
	SampleAcc  *x = (SampleAcc *) a;
	SampleAcc  *y = (SampleAcc *) b;
	double		n = x->n + y->n;

	if (y->n > 0)
	{
		for (int j = 0; j < ctx->spec->dim; j++)
		{
			double		d = y->mean[j] - x->mean[j];

			x->m2[j] += y->m2[j] + d * d * x->n * y->n / n;
			x->mean[j] += d * y->n / n;
		}
		x->n = n;
	}
	rowsample_merge(x->sample, y->sample);
}

static void
sample_write(StringInfo buf, void *a, const PassCtx *ctx)
{
	SampleAcc  *acc = (SampleAcc *) a;

	bin_write_float8(buf, acc->n);
	bin_write_float8_array(buf, acc->mean, ctx->spec->dim);
	bin_write_float8_array(buf, acc->m2, ctx->spec->dim);
	rowsample_write(buf, acc->sample);
}

static void *
sample_read(BinReader *r, const PassCtx *ctx)
{
	SampleAcc  *acc = palloc0(sizeof(SampleAcc));
	int			dim = ctx->spec->dim;

	acc->n = bin_read_float8(r);
	if (!(acc->n >= 0))
		bin_corrupted(r, "negative row count");
	acc->mean = bin_read_float8_array(r, dim);
	acc->m2 = bin_read_float8_array(r, dim);
	acc->sample = rowsample_read(r, sample_capacity(ctx), dim);
	return acc;
}

const PassKind sample_pass_kind = {
	.name = "sample",
	.needs_rowhash = true,
	.create = sample_create,
	.add = sample_add,
	.merge = sample_merge,
	.write = sample_write,
	.read = sample_read,
};
