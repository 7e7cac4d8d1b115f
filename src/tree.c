/*-------------------------------------------------------------------------
 * tree.c
 *	  Shared machinery of the tree learners:
 *	  - quantile bins per encoded slot, computed from a row sample with
 *	    scikit-learn's HistGradientBoosting rule (midpoints between distinct
 *	    values when there are few, else the "midpoint" percentiles), so that
 *	    on the same rows the bins, and hence the trees, are the same;
 *	    missing values (NaN) in a bin of their own, whose side each split
 *	    learns (scikit-learn's and XGBoost's two scans);
 *	  - PASS_TREE_DATA, the pass that materialises the binned training
 *	    rows (a uint8 per slot), bounded by mldb.tree_memory;
 *	  - tree growth on gradient/hessian histograms with the subtraction
 *	    trick (a child's histogram is its parent's minus its sibling's, so
 *	    only the smaller child is built from rows; Ke et al., "LightGBM",
 *	    NIPS 2017, section 2.1), depth-first so that at most depth + 1
 *	    histograms are alive, or best-first to max_leaf_nodes leaves;
 *	  - flattened node arrays and TreeSHAP.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "miscadmin.h"
#include "tree.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/memutils.h"

int			mldb_tree_memory = 256 * 1024;

static const struct config_enum_entry simd_options[] = {
	{"on", MLDB_SIMD_ON, false},
	{"avx2", MLDB_SIMD_AVX2, false},
	{"off", MLDB_SIMD_OFF, false},
	{"true", MLDB_SIMD_ON, true},
	{"false", MLDB_SIMD_OFF, true},
	{"yes", MLDB_SIMD_ON, true},
	{"no", MLDB_SIMD_OFF, true},
	{"1", MLDB_SIMD_ON, true},
	{"0", MLDB_SIMD_OFF, true},
	{NULL, 0, false}
};

void
mldb_tree_init(void)
{
	DefineCustomIntVariable("mldb.tree_memory",
							"Memory for the training rows of a tree model.",
							"Tree learners keep their binned training rows in memory; beyond this budget they train on a uniform row sample and say so in a NOTICE.",
							&mldb_tree_memory, 256 * 1024, 1024, 1024 * 1024,
							PGC_USERSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomEnumVariable("mldb.simd",
							 "Use the CPU's vector instructions where mldb has a vector path.",
							 "on: the best the CPU has (tree ensembles of depth at most 6: AVX-512 on at most 32 features, else AVX2 on at most 16); avx2: AVX2 even where AVX-512 is there; off: the scalar walk.  The results are the same up to the order of the additions.",
							 &mldb_simd, MLDB_SIMD_ON, simd_options, PGC_USERSET, 0, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------------
 * Bins
 * ---------------------------------------------------------------------
 */

/* an inlined sort of doubles (NaN never reaches it) */
#define ST_SORT sort_doubles
#define ST_ELEMENT_TYPE double
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Edges of one column: sklearn 1.2 binning.py _find_binning_thresholds.
 * np.percentile(method="midpoint") at q: the virtual index (n-1)q, and the
 * mean of the values at its floor and ceiling (computed as numpy's lerp
 * does at t = 0.5: b - (b - a) * 0.5).
 */
static int
column_edges(double *sorted, int n, int max_bins, double *edges)
{
	int			nd = 0;
	double		prev = 0;
	double		step = 100.0 / max_bins;

	/* few distinct values: the midpoints between them */
	for (int i = 0; i < n && nd <= max_bins; i++)
		if (i == 0 || sorted[i] != prev)
		{
			if (nd > 0 && nd <= max_bins - 1)
				edges[nd - 1] = (prev + sorted[i]) * 0.5;
			prev = sorted[i];
			nd++;
		}
	if (nd <= max_bins)
		return Max(nd, 1);

	for (int i = 1; i < max_bins; i++)
	{
		double		q = (i * step) / 100.0;
		double		vi = (n - 1) * q;
		int			lo = (int) floor(vi);
		int			hi = (int) ceil(vi);
		double		a = sorted[lo];
		double		b = sorted[hi];

		edges[i - 1] = lo == hi ? a : b - (b - a) * 0.5;
	}
	return max_bins;
}

TreeBinner *
tree_binner_build(const double *x, int n, int dim, int max_bins)
{
	TreeBinner *b = palloc0(sizeof(TreeBinner));
	double	   *col = palloc(sizeof(double) * Max(n, 1));
	double	   *edges = palloc(sizeof(double) * Max(max_bins, 1));
	int			nedges = 0;

	b->dim = dim;
	b->nbins = palloc(sizeof(int) * Max(dim, 1));
	b->edge_off = palloc(sizeof(int) * (dim + 1));
	b->hist_off = palloc(sizeof(int) * (dim + 1));
	b->missing = palloc0(sizeof(bool) * Max(dim, 1));
	b->edges = palloc(sizeof(double) * Max((Size) dim * (max_bins - 1), 1));
	for (int j = 0; j < dim; j++)
	{
		int			m = 0;
		int			nb;

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < n; i++)
		{
			double		v = x[(Size) i * dim + j];

			if (!isnan(v))
				col[m++] = v;
		}
		sort_doubles(col, m);
		nb = column_edges(col, m, max_bins, edges);
		b->nbins[j] = nb;
		b->edge_off[j] = nedges;
		memcpy(b->edges + nedges, edges, sizeof(double) * (nb - 1));
		nedges += nb - 1;
	}
	b->edge_off[dim] = nedges;
	b->hist_off[0] = 0;
	for (int j = 0; j < dim; j++)
		b->hist_off[j + 1] = b->hist_off[j] + b->nbins[j];
	pfree(col);
	pfree(edges);
	return b;
}

void
tree_binner_write(StringInfo buf, const TreeBinner *b)
{
	bin_write_int32(buf, b->dim);
	for (int j = 0; j < b->dim; j++)
		bin_write_int32(buf, b->nbins[j]);
	bin_write_float8_array(buf, b->edges, b->edge_off[b->dim]);
}

TreeBinner *
tree_binner_read(BinReader *r, int dim)
{
	TreeBinner *b = palloc0(sizeof(TreeBinner));

	b->dim = bin_read_int32(r);
	if (b->dim != dim)
		bin_corrupted(r, "bin count does not match the features");
	b->nbins = palloc(sizeof(int) * Max(dim, 1));
	b->edge_off = palloc(sizeof(int) * (dim + 1));
	b->hist_off = palloc(sizeof(int) * (dim + 1));
	b->missing = palloc0(sizeof(bool) * Max(dim, 1));
	b->edge_off[0] = 0;
	b->hist_off[0] = 0;
	for (int j = 0; j < dim; j++)
	{
		b->nbins[j] = bin_read_int32(r);
		if (b->nbins[j] < 1 || b->nbins[j] > TREE_MAX_BINS)
			bin_corrupted(r, "bin count out of range");
		b->edge_off[j + 1] = b->edge_off[j] + b->nbins[j] - 1;
		b->hist_off[j + 1] = b->hist_off[j] + b->nbins[j];
	}
	b->edges = bin_read_float8_array(r, b->edge_off[dim]);
	for (int j = 0; j < dim; j++)
		for (int e = b->edge_off[j] + 1; e < b->edge_off[j + 1]; e++)
			if (!(b->edges[e] >= b->edges[e - 1]))
				bin_corrupted(r, "bin edges out of order");
	return b;
}

/* ---------------------------------------------------------------------
 * PASS_TREE_DATA
 * ---------------------------------------------------------------------
 */

void
tree_data_extra(PassCtx *ctx, const TreeBinner *b, int64 max_rows, int64 max_holdout)
{
	StringInfoData buf;

	Assert(max_holdout == 0 || !ctx->skip_holdout);
	initStringInfo(&buf);
	bin_write_int64(&buf, max_rows);
	bin_write_int64(&buf, max_holdout);
	tree_binner_write(&buf, b);
	ctx->extra = buf.data;
	ctx->extra_len = buf.len;
}

static void
tree_data_params(const PassCtx *ctx, int dim, int64 *max_rows, int64 *max_holdout, TreeBinner **b)
{
	BinReader	r;

	binreader_init(&r, ctx->extra, ctx->extra_len, "tree data pass parameters");
	*max_rows = bin_read_int64(&r);
	*max_holdout = bin_read_int64(&r);
	if (*max_rows < 1 || *max_holdout < 0)
		bin_corrupted(&r, "row budget out of range");
	*b = tree_binner_read(&r, dim);
	bin_read_end(&r);
}

void *
tree_alloc(Size size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, Max(size, 1), MCXT_ALLOC_HUGE);
}

static void
data_reserve(TreeDataAcc *a, int64 cap)
{
	if (cap <= a->cap)
		return;
	if (a->cap == 0)
	{
		a->bins = tree_alloc((Size) cap * a->dim);
		a->y = tree_alloc(sizeof(double) * cap);
		a->key = tree_alloc(sizeof(uint64) * cap);
	}
	else
	{
		a->bins = repalloc_huge(a->bins, Max((Size) cap * a->dim, 1));
		a->y = repalloc_huge(a->y, sizeof(double) * cap);
		a->key = repalloc_huge(a->key, sizeof(uint64) * cap);
	}
	a->cap = cap;
}

static void *
tree_data_create(const PassCtx *ctx)
{
	TreeDataAcc *a = palloc0(sizeof(TreeDataAcc));
	const FeatureSpec *spec = ctx->spec;
	int64		max_holdout;

	/*
	 * Missing-value indicators (the trees' native missing values reach
	 * the pass as MISSING_INDICATOR): the flagged slot is binned as NaN,
	 * into its missing bin, and the indicator slots are not binned.  They
	 * come after every other slot (featurespec_layout).
	 */
	a->ind_slot = palloc(sizeof(int) * Max(spec->ncols, 1));
	a->ind_value = palloc(sizeof(int) * Max(spec->ncols, 1));
	for (int i = 0; i < spec->ncols; i++)
		if (spec->cols[i].indicator >= 0)
		{
			a->ind_slot[a->nind] = spec->cols[i].indicator;
			a->ind_value[a->nind] = spec->cols[i].offset;
			a->nind++;
		}
	a->dim = spec->dim - a->nind;
	tree_data_params(ctx, a->dim, &a->max_rows, &max_holdout, &a->binner);
	a->cutoff = PG_UINT64_MAX;
	if (max_holdout > 0)
	{
		/* the same layout and binner, its own rows and budget */
		a->holdout = palloc(sizeof(TreeDataAcc));
		*a->holdout = *a;
		a->holdout->holdout = NULL;
		a->holdout->max_rows = max_holdout;
	}
	return a;
}

/* Order rows by sample key, then content: the same order whatever the scan. */
static int
row_cmp(const TreeDataAcc *a, int64 i, int64 j)
{
	int			c;

	if (a->key[i] != a->key[j])
		return a->key[i] < a->key[j] ? -1 : 1;
	c = memcmp(&a->y[i], &a->y[j], sizeof(double));
	if (c != 0)
		return c;
	return memcmp(a->bins + i * a->dim, a->bins + j * a->dim, a->dim);
}

static int
row_index_cmp(const void *x, const void *y, void *arg)
{
	return row_cmp((const TreeDataAcc *) arg, *(const int64 *) x, *(const int64 *) y);
}

/* Sort the rows and keep the first keep of them. */
static void
data_sort_truncate(TreeDataAcc *a, int64 keep)
{
	MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(a));
	int64	   *order = tree_alloc(sizeof(int64) * a->n);
	uint8	   *bins;
	double	   *y;
	uint64	   *key;

	for (int64 i = 0; i < a->n; i++)
		order[i] = i;
	qsort_arg(order, a->n, sizeof(int64), row_index_cmp, a);
	keep = Min(keep, a->n);
	bins = tree_alloc((Size) Max(a->cap, 1) * a->dim);
	y = tree_alloc(sizeof(double) * Max(a->cap, 1));
	key = tree_alloc(sizeof(uint64) * Max(a->cap, 1));
	for (int64 i = 0; i < keep; i++)
	{
		memcpy(bins + i * a->dim, a->bins + order[i] * a->dim, a->dim);
		y[i] = a->y[order[i]];
		key[i] = a->key[order[i]];
	}
	pfree(a->bins);
	pfree(a->y);
	pfree(a->key);
	pfree(order);
	a->bins = bins;
	a->y = y;
	a->key = key;
	if (keep < a->n)
		a->cutoff = key[keep - 1];
	a->n = keep;
	MemoryContextSwitchTo(old);
}

static void
data_append(TreeDataAcc *a, uint64 key, double y, const uint8 *bins)
{
	if (key > a->cutoff)
		return;
	if (a->n == a->cap)
	{
		/* grow to 1.25 x the budget, then cut back to the budget */
		int64		limit = a->max_rows + a->max_rows / 4 + 1;

		if (a->cap >= limit)
		{
			CHECK_FOR_INTERRUPTS();
			data_sort_truncate(a, a->max_rows);
			if (key > a->cutoff)
				return;
		}
		else
		{
			MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(a));

			data_reserve(a, Min(Max(1024, a->cap * 2), limit));
			MemoryContextSwitchTo(old);
		}
	}
	a->key[a->n] = key;
	a->y[a->n] = y;
	memcpy(a->bins + a->n * a->dim, bins, a->dim);
	a->n++;
}

static void
tree_data_add(void *acc, const PassCtx *ctx, int slot, uint64 rowhash, double y,
			  const double *x)
{
	TreeDataAcc *a = (TreeDataAcc *) acc;
	uint8		row[MLDB_MAX_COLUMNS * 4];
	uint8	   *bins = a->dim <= (int) sizeof(row) ? row : palloc(a->dim);

	if (slot == PASS_HOLDOUT_SLOT)
	{
		if (a->holdout == NULL)
			return;
		a = a->holdout;
	}
	a->seen++;
	for (int j = 0; j < a->dim; j++)
		bins[j] = (uint8) tree_bin_of(a->binner, j, x[j]);
	for (int k = 0; k < a->nind; k++)
		if (x[a->ind_slot[k]] != 0)
			bins[a->ind_value[k]] = (uint8) a->binner->nbins[a->ind_value[k]];
	data_append(a, rowhash_sample_key(rowhash), y, bins);
	if (bins != row)
		pfree(bins);
}

static void
tree_data_merge(void *acc, void *other, const PassCtx *ctx)
{
	TreeDataAcc *a = (TreeDataAcc *) acc;
	TreeDataAcc *b = (TreeDataAcc *) other;

	a->seen += b->seen;
	for (int64 i = 0; i < b->n; i++)
		data_append(a, b->key[i], b->y[i], b->bins + i * b->dim);
	if (a->holdout != NULL)
		tree_data_merge(a->holdout, b->holdout, ctx);
}

static void
rows_write(StringInfo buf, const TreeDataAcc *a)
{
	bin_write_int64(buf, a->n);
	bin_write_int64(buf, a->seen);
	bin_write_int64(buf, (int64) a->cutoff);
	appendBinaryStringInfo(buf, (const char *) a->key, sizeof(uint64) * a->n);
	appendBinaryStringInfo(buf, (const char *) a->y, sizeof(double) * a->n);
	appendBinaryStringInfo(buf, (const char *) a->bins, a->n * a->dim);
}

static void
tree_data_write(StringInfo buf, void *acc, const PassCtx *ctx)
{
	TreeDataAcc *a = (TreeDataAcc *) acc;

	rows_write(buf, a);
	if (a->holdout != NULL)
		rows_write(buf, a->holdout);
}

static void
rows_read(BinReader *r, TreeDataAcc *a)
{
	int64		n = bin_read_int64(r);

	a->seen = bin_read_int64(r);
	a->cutoff = (uint64) bin_read_int64(r);
	if (n < 0 || n > a->seen || (Size) n > (r->len - r->pos) / (sizeof(uint64) + sizeof(double) + a->dim))
		bin_corrupted(r, "row count out of range");
	data_reserve(a, Max(n, 1));
	bin_read(r, a->key, sizeof(uint64) * n);
	bin_read(r, a->y, sizeof(double) * n);
	bin_read(r, a->bins, n * a->dim);
	a->n = n;
	for (int64 i = 0; i < n * a->dim; i++)
		if (a->bins[i] > a->binner->nbins[i % a->dim])
			bin_corrupted(r, "bin out of range");
}

static void *
tree_data_read(BinReader *r, const PassCtx *ctx)
{
	TreeDataAcc *a = tree_data_create(ctx);

	rows_read(r, a);
	if (a->holdout != NULL)
		rows_read(r, a->holdout);
	return a;
}

const PassKind tree_data_pass_kind = {
	.name = "tree_data",
	.needs_rowhash = true,
	.create = tree_data_create,
	.add = tree_data_add,
	.merge = tree_data_merge,
	.write = tree_data_write,
	.read = tree_data_read,
};

/*
 * The rows in key order, cut to the budget, as a column-major matrix.
 * The order makes training independent of how the scan was split among
 * workers (sums are added in the same order).
 */
static TreeData *
rows_finish(TreeDataAcc *a, bool training)
{
	TreeData   *d = palloc0(sizeof(TreeData));

	data_sort_truncate(a, a->max_rows);
	if (a->n > PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many training rows for a tree model: " INT64_FORMAT, a->n),
				 errhint("Lower mldb.tree_memory to train on a sample.")));
	d->n = (int) a->n;
	d->dim = a->dim;
	d->binner = a->binner;
	d->y = a->y;
	d->bins = tree_alloc((Size) d->n * d->dim);
	for (int j = 0; j < d->dim; j++)
	{
		uint8	   *col = d->bins + (Size) j * d->n;
		uint8		miss = (uint8) a->binner->nbins[j];

		CHECK_FOR_INTERRUPTS();
		for (int i = 0; i < d->n; i++)
		{
			col[i] = a->bins[(Size) i * d->dim + j];
			if (training)
				a->binner->missing[j] |= col[i] == miss;
		}
	}
	/* histograms: a missing bin for the slots with missing training values */
	if (training)
		for (int j = 0; j < d->dim; j++)
			a->binner->hist_off[j + 1] = a->binner->hist_off[j] + a->binner->nbins[j] +
				(a->binner->missing[j] ? 1 : 0);
	d->total_bins = a->binner->hist_off[a->dim];
	pfree(a->bins);
	a->bins = NULL;
	return d;
}

TreeData *
tree_data_finish(TreeDataAcc *a)
{
	return rows_finish(a, true);
}

TreeData *
tree_data_finish_holdout(TreeDataAcc *a)
{
	return a->holdout != NULL ? rows_finish(a->holdout, false) : NULL;
}

/* ---------------------------------------------------------------------
 * Forests
 * ---------------------------------------------------------------------
 */

Forest *
forest_create(int nvalues, int dim)
{
	Forest	   *f = palloc0(sizeof(Forest));

	f->nvalues = nvalues;
	f->dim = dim;
	f->cap_nodes = 64;
	f->cap_trees = 16;
	f->nodes = palloc(sizeof(TreeNode) * f->cap_nodes);
	f->cover = palloc(sizeof(double) * f->cap_nodes);
	f->value = palloc0(sizeof(double) * f->cap_nodes * nvalues);
	f->split_bin = palloc(f->cap_nodes);
	f->missing_left = palloc(f->cap_nodes);
	f->tree_start = palloc(sizeof(int32) * (f->cap_trees + 1));
	f->tree_start[0] = 0;
	return f;
}

static int
forest_add_nodes(Forest *f, int k)
{
	int			first = f->nnodes;

	if (f->nnodes + k > f->cap_nodes)
	{
		int			cap = Max(f->cap_nodes * 2, f->nnodes + k);

		if (cap > (int) (MaxAllocSize / (sizeof(double) * f->nvalues)))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("tree model has too many nodes"),
					 errhint("Lower max_depth or n_estimators, or raise min_samples_leaf.")));
		f->nodes = repalloc(f->nodes, sizeof(TreeNode) * cap);
		f->cover = repalloc(f->cover, sizeof(double) * cap);
		f->value = repalloc(f->value, sizeof(double) * cap * f->nvalues);
		f->split_bin = repalloc(f->split_bin, cap);
		f->missing_left = repalloc(f->missing_left, cap);
		f->cap_nodes = cap;
	}
	for (int i = first; i < first + k; i++)
	{
		f->nodes[i].feature = -1;
		f->nodes[i].left = -1;
		f->nodes[i].threshold = 0;
		f->cover[i] = 0;
		f->split_bin[i] = 0;
		f->missing_left[i] = 0;
		for (int v = 0; v < f->nvalues; v++)
			f->value[(Size) i * f->nvalues + v] = 0;
	}
	f->nnodes += k;
	return first;
}

void
forest_write(StringInfo buf, const Forest *f)
{
	bin_write_int32(buf, f->nvalues);
	bin_write_int32(buf, f->ntrees);
	bin_write_int32(buf, f->nnodes);
	bin_write_int32(buf, f->max_depth);
	for (int t = 0; t <= f->ntrees; t++)
		bin_write_int32(buf, f->tree_start[t]);
	for (int i = 0; i < f->nnodes; i++)
	{
		bin_write_int32(buf, f->nodes[i].feature);
		bin_write_int32(buf, f->nodes[i].left);
		bin_write_int32(buf, f->missing_left[i]);
		bin_write_float8(buf, f->nodes[i].threshold);
	}
	bin_write_float8_array(buf, f->cover, f->nnodes);
	bin_write_float8_array(buf, f->value, f->nnodes * f->nvalues);
}

/*
 * Every index is checked, and every child must come after its parent in
 * the same tree, so a walk always ends at a leaf.
 */
Forest *
forest_read(BinReader *r, int dim, int nvalues)
{
	Forest	   *f = palloc0(sizeof(Forest));

	f->nvalues = bin_read_int32(r);
	f->ntrees = bin_read_int32(r);
	f->nnodes = bin_read_int32(r);
	f->max_depth = bin_read_int32(r);
	f->dim = dim;
	if (f->nvalues != nvalues || f->ntrees < 1 || f->nnodes < f->ntrees ||
		f->max_depth < 0 || f->max_depth > TREE_MAX_DEPTH ||
		(Size) f->ntrees > (r->len - r->pos) / sizeof(int32) ||
		(Size) f->nnodes > (r->len - r->pos) / (sizeof(TreeNode) + sizeof(int32) + sizeof(double) * (1 + nvalues)))
		bin_corrupted(r, "forest dimensions out of range");
	f->tree_start = palloc(sizeof(int32) * (f->ntrees + 1));
	for (int t = 0; t <= f->ntrees; t++)
	{
		f->tree_start[t] = bin_read_int32(r);
		if (t == 0 ? f->tree_start[t] != 0 :
			(f->tree_start[t] <= f->tree_start[t - 1] || f->tree_start[t] > f->nnodes))
			bin_corrupted(r, "tree offsets out of range");
	}
	if (f->tree_start[f->ntrees] != f->nnodes)
		bin_corrupted(r, "tree offsets out of range");
	f->nodes = palloc(sizeof(TreeNode) * f->nnodes);
	f->missing_left = palloc(Max(f->nnodes, 1));
	for (int t = 0; t < f->ntrees; t++)
		for (int i = f->tree_start[t]; i < f->tree_start[t + 1]; i++)
		{
			TreeNode   *n = &f->nodes[i];
			int32		ml;

			n->feature = bin_read_int32(r);
			n->left = bin_read_int32(r);
			ml = bin_read_int32(r);
			n->threshold = bin_read_float8(r);
			f->missing_left[i] = (uint8) (ml != 0);
			if (n->feature >= dim || n->feature < -1 || ml < 0 || ml > 1 ||
				(n->feature >= 0 && (n->left <= i || n->left + 1 >= f->tree_start[t + 1])) ||
				(n->feature >= 0 && isnan(n->threshold)))
				bin_corrupted(r, "tree node out of range");
		}
	f->cover = bin_read_float8_array(r, f->nnodes);
	f->value = bin_read_float8_array(r, f->nnodes * nvalues);
	forest_prepare_walk(f);
	/* explain sizes its path buffers from max_depth: it must be true */
	for (int t = 0; t < f->ntrees; t++)
		if (f->tree_depth[t] > f->max_depth)
			bin_corrupted(r, "a tree is deeper than the recorded depth");
	return f;
}

static void rank_prepare(Forest *f);

/*
 * The walk copy of the nodes: a leaf becomes a node that sends every x to
 * itself, so a walk of tree_depth steps ends at the leaf whatever the
 * path's length.  It tests the extra slot x[dim], which walkers set to
 * -Infinity (never greater than anything), and holds the leaf's first
 * value as its threshold, on the cache line the walk ends on.
 */
void
forest_prepare_walk(Forest *f)
{
	int32	   *depth = palloc0(sizeof(int32) * f->nnodes);

	f->walk = palloc(sizeof(TreeNode) * f->nnodes);
	f->tree_depth = palloc0(sizeof(int32) * f->ntrees);
	for (int t = 0; t < f->ntrees; t++)
		for (int i = f->tree_start[t]; i < f->tree_start[t + 1]; i++)
		{
			const TreeNode *n = &f->nodes[i];

			if (n->feature >= 0)
			{
				/* children come after their parent (checked on read) */
				depth[n->left] = depth[n->left + 1] = depth[i] + 1;
				f->walk[i] = *n;
			}
			else
			{
				f->walk[i].feature = f->dim;
				f->walk[i].left = i;
				f->walk[i].threshold = f->value[(Size) i * f->nvalues];
				f->tree_depth[t] = Max(f->tree_depth[t], depth[i]);
			}
		}
	pfree(depth);
	rank_prepare(f);
	tree_simd_prepare(f);
}

static void
walk_leaves(const Forest *f, int t0, int m, const double *x, int *leaf)
{
	const TreeNode *walk = f->walk;
	int			idx[FOREST_BLOCK];
	int			depth = 0;

	Assert(m <= FOREST_BLOCK);
	for (int k = 0; k < m; k++)
	{
		idx[k] = f->tree_start[t0 + k];
		depth = Max(depth, f->tree_depth[t0 + k]);
	}
	if (m == FOREST_BLOCK)
	{
		for (int s = 0; s < depth; s++)
			for (int k = 0; k < FOREST_BLOCK; k++)
			{
				const TreeNode *n = &walk[idx[k]];

				idx[k] = n->left + (x[n->feature] > n->threshold);
			}
	}
	else
	{
		for (int s = 0; s < depth; s++)
			for (int k = 0; k < m; k++)
			{
				const TreeNode *n = &walk[idx[k]];

				idx[k] = n->left + (x[n->feature] > n->threshold);
			}
	}
	memcpy(leaf, idx, sizeof(int) * m);
}

static double
walk_sum(const Forest *f, const double *x)
{
	const TreeNode *walk = f->walk;
	double		sum = 0;
	int			t0 = 0;

	/* eight walks in registers: their loads overlap */
#define WALK_STEP(i) \
	do { const TreeNode *n_ = &walk[i]; i = n_->left + (x[n_->feature] > n_->threshold); } while (0)
	for (; t0 + 8 <= f->ntrees; t0 += 8)
	{
		const int32 *st = f->tree_start + t0;
		int			i0 = st[0],
					i1 = st[1],
					i2 = st[2],
					i3 = st[3],
					i4 = st[4],
					i5 = st[5],
					i6 = st[6],
					i7 = st[7];
		int			depth = 0;

		for (int k = 0; k < 8; k++)
			depth = Max(depth, f->tree_depth[t0 + k]);
		for (int s = 0; s < depth; s++)
		{
			WALK_STEP(i0);
			WALK_STEP(i1);
			WALK_STEP(i2);
			WALK_STEP(i3);
			WALK_STEP(i4);
			WALK_STEP(i5);
			WALK_STEP(i6);
			WALK_STEP(i7);
		}
		sum += walk[i0].threshold + walk[i1].threshold + walk[i2].threshold + walk[i3].threshold +
			walk[i4].threshold + walk[i5].threshold + walk[i6].threshold + walk[i7].threshold;
	}
#undef WALK_STEP
	if (t0 < f->ntrees)
	{
		int			leaf[FOREST_BLOCK];

		walk_leaves(f, t0, f->ntrees - t0, x, leaf);
		for (int k = 0; k < f->ntrees - t0; k++)
			sum += walk[leaf[k]].threshold;
	}
	return sum;
}

/*
 * The rank walk (Forest.rdepth): build it when every tree is shallow
 * enough and every feature has at most 254 distinct thresholds (always,
 * for bins of at most 255: their edges; a forged state may not).
 */
static int
threshold_cmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/*
 * Lay tree t out from its node at perfect position pos (level level).  The
 * trees of a block of FOREST_BLOCK are interleaved: position pos of tree
 * t is entry pos * FOREST_BLOCK + t % FOREST_BLOCK of its block, so the
 * walk keeps one base pointer per block, not per tree.
 */
static void
rank_fill(Forest *f, int t, int node, int pos, int level)
{
	const int	ninner = (1 << f->rdepth) - 1;
	const int	k = t % FOREST_BLOCK;
	Size		block = (Size) (t / FOREST_BLOCK) * (ninner + 1) * FOREST_BLOCK;
	const TreeNode *n = &f->nodes[node];

	if (level == f->rdepth)
	{
		Size		i = block + (Size) (pos - ninner) * FOREST_BLOCK + k;

		f->rleaf[i] = node;
		f->rvalue[i] = f->value[(Size) node * f->nvalues];
		return;
	}
	block = (Size) (t / FOREST_BLOCK) * ninner * FOREST_BLOCK;
	if (n->feature >= 0)
	{
		const double *u = f->rthr + f->roff[n->feature];
		const double *hit = bsearch(&n->threshold, u, f->roff[n->feature + 1] - f->roff[n->feature],
									sizeof(double), threshold_cmp);

		if (hit == NULL)		/* it was listed: cannot happen */
			elog(ERROR, "tree threshold missing from its feature's list");
		f->rnodes[block + (Size) pos * FOREST_BLOCK + k].feature = (uint16) n->feature;
		f->rnodes[block + (Size) pos * FOREST_BLOCK + k].rank = (uint8) (hit - u);
		rank_fill(f, t, n->left, 2 * pos + 1, level + 1);
		rank_fill(f, t, n->left + 1, 2 * pos + 2, level + 1);
	}
	else
	{
		/* below a leaf: always left, to the leaf itself */
		f->rnodes[block + (Size) pos * FOREST_BLOCK + k].feature = 0;
		f->rnodes[block + (Size) pos * FOREST_BLOCK + k].rank = RANK_ALWAYS_LEFT;
		rank_fill(f, t, node, 2 * pos + 1, level + 1);
		rank_fill(f, t, node, 2 * pos + 2, level + 1);
	}
}

/*
 * The bucket of v among feature j's: monotone in v (so a threshold in an
 * earlier bucket is below v, one in a later bucket above it), and the
 * same function when the buckets are counted and when a row is ranked.
 */
static inline int
rank_bucket(const Forest *f, int j, double v)
{
	double		b = (v - f->rlo[j]) * f->rscale[j];

	/* NaN (an infinite v times a zero scale) is bucket 0, as every v then */
	return !(b > 0) ? 0 : b >= RANK_BUCKETS - 1 ? RANK_BUCKETS - 1 : (int) b;
}

static void
rank_buckets(Forest *f)
{
	f->rlo = palloc(sizeof(double) * Max(f->dim, 1));
	f->rscale = palloc(sizeof(double) * Max(f->dim, 1));
	/* + 3: tree_simd.c reads a bucket's start and end as four bytes */
	f->rstart = palloc0((Size) Max(f->dim, 1) * (RANK_BUCKETS + 1) + 3);
	for (int j = 0; j < f->dim; j++)
	{
		const double *u = f->rthr + f->roff[j];
		int			n = f->roff[j + 1] - f->roff[j];
		int			lo = 0;
		int			hi = n - 1;
		double		width;
		uint8	   *start = f->rstart + (Size) j * (RANK_BUCKETS + 1);
		int			cnt[RANK_BUCKETS] = {0};

		/* the buckets span the finite thresholds (an infinite one may be) */
		while (lo < n && !isfinite(u[lo]))
			lo++;
		while (hi >= 0 && !isfinite(u[hi]))
			hi--;
		width = lo < hi ? u[hi] - u[lo] : 0;
		/* one bucket when there is no finite range, or it overflows */
		if (width > 0 && isfinite(width) && isfinite(RANK_BUCKETS / width))
		{
			f->rlo[j] = u[lo];
			f->rscale[j] = RANK_BUCKETS / width;
		}
		else
		{
			f->rlo[j] = 0;
			f->rscale[j] = 0;
		}
		for (int i = 0; i < n; i++)
			cnt[rank_bucket(f, j, u[i])]++;
		for (int b = 1; b <= RANK_BUCKETS; b++)
			start[b] = (uint8) (start[b - 1] + cnt[b - 1]);
	}
}

static void
rank_prepare(Forest *f)
{
	int			depth = 0;
	int			ninner;
	int			nblocks;
	int32	   *cnt;
	int32	   *fill;
	double	   *all;
	int			w = 0;
	bool		ok = true;

	f->rdepth = 0;
	for (int t = 0; t < f->ntrees; t++)
		depth = Max(depth, f->tree_depth[t]);
	if (f->ntrees == 0 || depth > RANK_MAX_DEPTH || f->dim > PG_UINT16_MAX)
		return;
	/* a NaN threshold (only a forged state has one) has no rank */
	for (int i = 0; i < f->nnodes; i++)
		if (f->nodes[i].feature >= 0 && isnan(f->nodes[i].threshold))
			return;

	/* each feature's thresholds, grouped (cnt, roff), then sorted, distinct */
	cnt = palloc0(sizeof(int32) * (f->dim + 1));
	for (int i = 0; i < f->nnodes; i++)
		if (f->nodes[i].feature >= 0)
			cnt[f->nodes[i].feature + 1]++;
	for (int j = 0; j < f->dim; j++)
		cnt[j + 1] += cnt[j];
	all = palloc(sizeof(double) * Max(cnt[f->dim], 1));
	fill = palloc0(sizeof(int32) * Max(f->dim, 1));
	for (int i = 0; i < f->nnodes; i++)
		if (f->nodes[i].feature >= 0)
		{
			int			j = f->nodes[i].feature;

			all[cnt[j] + fill[j]++] = f->nodes[i].threshold;
		}
	f->rthr = palloc(sizeof(double) * (cnt[f->dim] + 2));
	f->roff = palloc(sizeof(int32) * (f->dim + 1));
	for (int j = 0; j < f->dim; j++)
	{
		double	   *u = all + cnt[j];
		int			n = cnt[j + 1] - cnt[j];

		qsort(u, n, sizeof(double), threshold_cmp);
		f->roff[j] = w;
		for (int i = 0; i < n; i++)
			if (i == 0 || u[i] != u[i - 1])
				f->rthr[w++] = u[i];
		if (w - f->roff[j] >= RANK_ALWAYS_LEFT)
			ok = false;
	}
	f->roff[f->dim] = w;
	f->rthr[w] = f->rthr[w + 1] = INFINITY;	/* rank_of_row may read past the last */
	pfree(cnt);
	pfree(all);
	pfree(fill);
	if (!ok)
		return;

	rank_buckets(f);
	f->rdepth = Max(depth, 1);
	ninner = (1 << f->rdepth) - 1;
	nblocks = (f->ntrees + FOREST_BLOCK - 1) / FOREST_BLOCK;
	/* the last block's missing trees: always left, to leaf value 0 */
	f->rnodes = palloc(sizeof(RankNode) * (Size) nblocks * FOREST_BLOCK * ninner);
	for (Size i = 0; i < (Size) nblocks * FOREST_BLOCK * ninner; i++)
	{
		f->rnodes[i].feature = 0;
		f->rnodes[i].rank = RANK_ALWAYS_LEFT;
	}
	f->rleaf = palloc0(sizeof(int32) * (Size) nblocks * FOREST_BLOCK * (ninner + 1));
	f->rvalue = palloc0(sizeof(double) * (Size) nblocks * FOREST_BLOCK * (ninner + 1));
	for (int t = 0; t < f->ntrees; t++)
		rank_fill(f, t, f->tree_start[t], 0, 0);
}

/*
 * rank[j]: how many of feature j's thresholds are below x[j].  Those in
 * earlier buckets are; from there a short scan (about one threshold per
 * bucket: they are quantile edges) over those in x's bucket.
 */
static void
rank_of_row(const Forest *f, const double *x, uint8 *rank)
{
	for (int j = 0; j < f->dim; j++)
	{
		const double *u = f->rthr + f->roff[j];
		const uint8 *st = f->rstart + (Size) j * (RANK_BUCKETS + 1) + rank_bucket(f, j, x[j]);
		int			s = st[0];
		int			e = st[1];		/* x's bucket holds thresholds s .. e - 1 */
		int			r = s;

		/*
		 * Most buckets hold one or two thresholds: count them without a
		 * branch (u has two +Infinity past its last feature's, so the
		 * reads stay inside it); more, in a loop.
		 */
		if (e - s <= 2)
			r += (int) (s < e && u[s] < x[j]) + (int) (s + 1 < e && u[s + 1] < x[j]);
		else
			while (r < e && u[r] < x[j])
				r++;
		rank[j] = (uint8) r;
	}
}

/*
 * The rank walk of block b (trees FOREST_BLOCK b ...): each tree's leaf
 * as its entry in the block's leaves (rleaf, rvalue), eight walks in
 * registers so that their loads overlap.
 */
static pg_attribute_always_inline void
rank_block(const Forest *f, int b, const uint8 *rank, int *leaf)
{
	const int	D = f->rdepth;
	const int	ninner = (1 << D) - 1;
	const RankNode *rn = f->rnodes + (Size) b * ninner * FOREST_BLOCK;

	/*
	 * q = position * FOREST_BLOCK: children at 2q + 8 and 2q + 16; pointer
	 * sized, so that rn[q + k] is one load with k in its displacement
	 */
	Size		q0 = 0,
				q1 = 0,
				q2 = 0,
				q3 = 0,
				q4 = 0,
				q5 = 0,
				q6 = 0,
				q7 = 0;

#define RANK_STEP(q, k) \
	do { const RankNode *n_ = &rn[q + k]; q = 2 * q + FOREST_BLOCK + FOREST_BLOCK * (Size) (rank[n_->feature] > n_->rank); } while (0)
	StaticAssertStmt(FOREST_BLOCK == 8, "rank_block walks eight trees");
	for (int s = 0; s < D; s++)
	{
		RANK_STEP(q0, 0);
		RANK_STEP(q1, 1);
		RANK_STEP(q2, 2);
		RANK_STEP(q3, 3);
		RANK_STEP(q4, 4);
		RANK_STEP(q5, 5);
		RANK_STEP(q6, 6);
		RANK_STEP(q7, 7);
	}
#undef RANK_STEP
	{
		int			base = (b * (ninner + 1) - ninner) * FOREST_BLOCK;

		leaf[0] = base + q0;
		leaf[1] = base + q1 + 1;
		leaf[2] = base + q2 + 2;
		leaf[3] = base + q3 + 3;
		leaf[4] = base + q4 + 4;
		leaf[5] = base + q5 + 5;
		leaf[6] = base + q6 + 6;
		leaf[7] = base + q7 + 7;
	}
}

/*
 * x with the slot the node walk's leaves test, x[dim] = -Infinity
 * (forest_prepare_walk), in buf when it has room.
 */
static double *
walk_input(const Forest *f, const double *x, double *buf, int buflen)
{
	double	   *xe = f->dim < buflen ? buf : palloc(sizeof(double) * (f->dim + 1));

	memcpy(xe, x, sizeof(double) * f->dim);
	xe[f->dim] = -get_float8_infinity();
	return xe;
}

void
forest_leaves(const Forest *f, const double *x, int *leaf)
{
	uint8		rbuf[256];
	uint8	   *rank;

	if (f->rdepth == 0)
	{
		double		xbuf[65];
		double	   *xe = walk_input(f, x, xbuf, lengthof(xbuf));

		for (int t0 = 0; t0 < f->ntrees; t0 += FOREST_BLOCK)
			walk_leaves(f, t0, Min(FOREST_BLOCK, f->ntrees - t0), xe, leaf + t0);
		if (xe != xbuf)
			pfree(xe);
		return;
	}
	if (f->snodes != NULL && mldb_simd == MLDB_SIMD_ON)
	{
		tree_simd_leaves(f, x, leaf);
		return;
	}
	rank = f->dim <= (int) sizeof(rbuf) ? rbuf : palloc(f->dim);
	rank_of_row(f, x, rank);
	if (f->anodes != NULL && mldb_simd != MLDB_SIMD_OFF)
	{
		tree_simd_leaves_avx2(f, rank, leaf);	/* dim <= 16: rank is rbuf */
		return;
	}
	for (int t0 = 0; t0 < f->ntrees; t0 += FOREST_BLOCK)
	{
		int			e[FOREST_BLOCK];

		rank_block(f, t0 / FOREST_BLOCK, rank, e);
		for (int k = 0; k < Min(FOREST_BLOCK, f->ntrees - t0); k++)
			leaf[t0 + k] = f->rleaf[e[k]];
	}
	if (rank != rbuf)
		pfree(rank);
}

double
forest_sum(const Forest *f, const double *x)
{
	uint8		rbuf[256];
	uint8	   *rank;
	double		part[FOREST_BLOCK] = {0};

	if (f->rdepth == 0)
	{
		double		xbuf[65];
		double	   *xe = walk_input(f, x, xbuf, lengthof(xbuf));
		double		sum = walk_sum(f, xe);

		if (xe != xbuf)
			pfree(xe);
		return sum;
	}
	if (f->snodes != NULL && mldb_simd == MLDB_SIMD_ON)
		return tree_simd_sum(f, x);
	rank = f->dim <= (int) sizeof(rbuf) ? rbuf : palloc(f->dim);
	rank_of_row(f, x, rank);
	if (f->anodes != NULL && mldb_simd != MLDB_SIMD_OFF)
		return tree_simd_sum_avx2(f, rank);	/* dim <= 16: rank is rbuf */
	for (int t0 = 0; t0 < f->ntrees; t0 += FOREST_BLOCK)
	{
		int			e[FOREST_BLOCK];

		/*
		 * A padded tree of the last block adds 0.  One partial sum per
		 * lane: a single sum would chain every tree's addition.
		 */
		rank_block(f, t0 / FOREST_BLOCK, rank, e);
		for (int k = 0; k < FOREST_BLOCK; k++)
			part[k] += f->rvalue[e[k]];
	}
	if (rank != rbuf)
		pfree(rank);
	return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

int
forest_leaf_binned(const Forest *f, int t, const TreeData *d, int row)
{
	int			n = f->tree_start[t];

	while (f->nodes[n].feature >= 0)
	{
		int			j = f->nodes[n].feature;
		int			b = d->bins[(Size) j * d->n + row];

		if (b == d->binner->nbins[j])	/* the missing bin */
			n = f->nodes[n].left + (f->missing_left[n] ? 0 : 1);
		else
			n = f->nodes[n].left + (b > f->split_bin[n]);
	}
	return n;
}

int
forest_leaf(const Forest *f, int t, const double *x)
{
	int			n = f->tree_start[t];

	while (f->nodes[n].feature >= 0)
	{
		const TreeNode *nd = &f->nodes[n];
		double		v = x[nd->feature];

		if (isnan(v))
			n = nd->left + (f->missing_left[n] ? 0 : 1);
		else
			n = nd->left + (v > nd->threshold);
	}
	return n;
}

/* ---------------------------------------------------------------------
 * Growing a tree
 * ---------------------------------------------------------------------
 */

/* A node waiting to be split or made a leaf, with its histogram. */
typedef struct GrowNode
{
	int			node;			/* index in the forest */
	int			start;			/* its rows: rows[start .. start + count) */
	int			count;
	int			depth;
	double	   *hist;			/* total_bins x stride */
	double	   *sums;			/* stride: G_c..., H, N */
	int			split_feature;	/* -1: no valid split */
	int			split_bin;
	bool		split_missing_left; /* the missing bin goes left */
	bool		split_saw_missing;	/* the node has rows in that missing bin */
	double		split_gain;
} GrowNode;

struct TreeGrower
{
	const TreeData *d;
	int			C;				/* gradient channels */
	int			stride;			/* doubles per bin: C gradients, hessian, count */
	Size		hist_size;		/* doubles per histogram */
	double	   *og;				/* gradients of a node's rows, in row order */
	double	   *oh;
	int32	   *tmp;			/* partition scratch */
	int		   *feat_order;
	double	  **pool;			/* free histograms */
	int			npool;
	int			cap_pool;
	GrowNode   *stack;
	int			cap_stack;
};

TreeGrower *
tree_grower_create(const TreeData *d, int nchannels)
{
	TreeGrower *g = palloc0(sizeof(TreeGrower));

	g->d = d;
	g->C = nchannels;
	g->stride = nchannels + 2;
	g->hist_size = (Size) d->total_bins * g->stride;
	g->og = tree_alloc(sizeof(double) * (Size) Max(d->n, 1) * nchannels);
	g->oh = tree_alloc(sizeof(double) * Max(d->n, 1));
	g->tmp = tree_alloc(sizeof(int32) * Max(d->n, 1));
	g->feat_order = palloc(sizeof(int) * Max(d->dim, 1));
	g->cap_pool = TREE_MAX_DEPTH + 4;
	g->pool = palloc(sizeof(double *) * g->cap_pool);
	g->cap_stack = TREE_MAX_DEPTH + 4;
	g->stack = palloc(sizeof(GrowNode) * g->cap_stack);
	return g;
}

void
tree_grower_free(TreeGrower *g)
{
	for (int i = 0; i < g->npool; i++)
		pfree(g->pool[i]);
	pfree(g->og);
	pfree(g->oh);
	pfree(g->tmp);
	pfree(g->feat_order);
	pfree(g->pool);
	pfree(g->stack);
	pfree(g);
}

static double *
hist_get(TreeGrower *g)
{
	if (g->npool > 0)
		return g->pool[--g->npool];
	return tree_alloc(sizeof(double) * g->hist_size);
}

static void
hist_put(TreeGrower *g, double *h)
{
	if (g->npool < g->cap_pool)
		g->pool[g->npool++] = h;
	else
		pfree(h);
}

/*
 * The histogram of a set of rows.  The rows' gradients are gathered once
 * into row order (scikit-learn's "ordered gradients"), then each feature's
 * column is read in ascending row order.
 */
static void
hist_build(TreeGrower *g, double *hist, const int32 *rows, int m,
		   const double *grad, const double *hess, bool unit_hessian)
{
	const TreeData *d = g->d;
	const int	C = g->C;
	const int	S = g->stride;
	/* rows ascending and distinct: all of them means 0 .. n-1 */
	bool		all = m == d->n;

	memset(hist, 0, sizeof(double) * g->hist_size);
	for (int i = 0; i < m; i++)
	{
		g->oh[i] = hess[rows[i]];
		for (int c = 0; c < C; c++)
			g->og[(Size) i * C + c] = grad[(Size) rows[i] * C + c];
	}
	for (int j = 0; j < d->dim; j++)
	{
		const uint8 *col = d->bins + (Size) j * d->n;
		double	   *h = hist + (Size) d->binner->hist_off[j] * S;
		const double *og = g->og;
		const double *oh = g->oh;

		CHECK_FOR_INTERRUPTS();
		if (C == 1 && unit_hessian)
		{
			/* hessians all 1 (squared error): the count is their sum */
			if (all)
				for (int i = 0; i < m; i++)
				{
					double	   *e = h + col[i] * 3;

					e[0] += og[i];
					e[2] += 1.0;
				}
			else
				for (int i = 0; i < m; i++)
				{
					double	   *e = h + col[rows[i]] * 3;

					e[0] += og[i];
					e[2] += 1.0;
				}
			for (int b = 0; b < d->binner->hist_off[j + 1] - d->binner->hist_off[j]; b++)
				h[b * 3 + 1] = h[b * 3 + 2];
		}
		else if (C == 1)
		{
			for (int i = 0; i < m; i++)
			{
				double	   *e = h + col[all ? i : rows[i]] * 3;

				e[0] += og[i];
				e[1] += oh[i];
				e[2] += 1.0;
			}
		}
		else
		{
			for (int i = 0; i < m; i++)
			{
				double	   *e = h + (Size) col[rows[i]] * S;

				for (int c = 0; c < C; c++)
					e[c] += g->og[(Size) i * C + c];
				e[C] += g->oh[i];
				e[C + 1] += 1.0;
			}
		}
	}
}

/* Totals of a node: the sum over the bins (missing one too) of its first feature. */
static void
hist_sums(const TreeGrower *g, const double *hist, double *sums)
{
	const int	S = g->stride;
	int			nb = g->d->dim > 0 ? g->d->binner->hist_off[1] : 0;

	memset(sums, 0, sizeof(double) * S);
	for (int b = 0; b < nb; b++)
		for (int s = 0; s < S; s++)
			sums[s] += hist[(Size) b * S + s];
}

/*
 * A node's score; a split's gain is its children's scores less its own.
 * Newton boosting, squared error and Gini: sum_c G_c^2 / (H + l2), which
 * for classes (G_c = -n_c, H = n) is n (1 - Gini), for squared error
 * n mean^2.  Entropy (p->entropy; classes only): sum_c n_c ln n_c - n ln n
 * = -n times the node's entropy in nats, so gains are the weighted
 * entropy decrease, as scikit-learn's criterion "entropy".
 */
static inline double
gain_term(const TreeGrowParams *p, const double *G, int C, double H)
{
	double		t = 0;

	if (p->entropy)
	{
		for (int c = 0; c < C; c++)
			if (G[c] < 0)
				t += -G[c] * log(-G[c]);
		return H > 0 ? t - H * log(H) : 0.0;
	}
	for (int c = 0; c < C; c++)
		t += G[c] * G[c];
	return t / (H + p->l2);
}

/* Does a node with these sums hold more than one target value? */
static bool
node_impure(const TreeGrower *g, const GrowNode *n, const int32 *rows,
			const double *grad, const double *hess)
{
	if (g->C > 1)
	{
		int			nonzero = 0;

		for (int c = 0; c < g->C; c++)
			nonzero += n->sums[c] != 0;
		return nonzero > 1;
	}
	else
	{
		/* weighted sum of squares of y = g/h about its mean */
		double		sq = 0;
		double		G = n->sums[0];
		double		H = n->sums[1];

		for (int i = n->start; i < n->start + n->count; i++)
		{
			double		gi = grad[rows[i]];

			sq += gi * gi / hess[rows[i]];
		}
		return sq - G * G / H > 1e-12 * Max(sq, 1e-300);
	}
}

/* The best split of a node over (a sample of) the features. */
static void
find_split(TreeGrower *g, GrowNode *n, const TreeGrowParams *p, const int32 *rows,
		   const double *grad, const double *hess, pg_prng_state *rng)
{
	const TreeData *d = g->d;
	const int	C = g->C;
	const int	S = g->stride;
	double		GL[64];
	double		GR[64];
	double	   *gl = C <= 64 ? GL : palloc(sizeof(double) * C);
	double	   *gr = C <= 64 ? GR : palloc(sizeof(double) * C);
	double		H = n->sums[C];
	double		N = n->sums[C + 1];
	double		parent = gain_term(p, n->sums, C, H);
	double		best = p->zero_gain_splits ? -1e-9 * Max(fabs(parent), 1e-300) : 0.0;
	int			nfeat = d->dim;

	n->split_feature = -1;
	n->split_gain = 0;
	if (n->depth >= p->max_depth || n->count < p->min_samples_split ||
		n->count < 2 * p->min_samples_leaf)
		goto done;
	if (p->zero_gain_splits && !node_impure(g, n, rows, grad, hess))
		goto done;

	for (int j = 0; j < nfeat; j++)
		g->feat_order[j] = j;
	for (int k = 0; k < nfeat; k++)
	{
		int			j;
		const double *h;
		int			nb;
		bool		miss;
		double		HL = 0;
		double		NL = 0;

		/*
		 * Features in a random order when sampling; as scikit-learn does,
		 * keep drawing past max_features until a valid split is found.
		 */
		if (p->max_features < nfeat)
		{
			int			r;
			int			t;

			if (k >= p->max_features && n->split_feature >= 0)
				break;
			r = k + (int) pg_prng_uint64_range(rng, 0, nfeat - 1 - k);
			t = g->feat_order[k];
			g->feat_order[k] = g->feat_order[r];
			g->feat_order[r] = t;
		}
		j = g->feat_order[k];
		nb = d->binner->nbins[j];
		h = n->hist + (Size) d->binner->hist_off[j] * S;
		/* rows of this node in the missing bin (counts are exact) */
		miss = d->binner->missing[j] && h[(Size) nb * S + C + 1] > 0;
		for (int c = 0; c < C; c++)
			gl[c] = 0;

		/*
		 * Left to right, the missing bin (if any) going right; with one,
		 * the last split sends the non-missing rows left, the missing ones
		 * right (scikit-learn's _find_best_bin_to_split_left_to_right).
		 */
		for (int b = 0; b + 1 < nb + (miss ? 1 : 0); b++)
		{
			const double *e = h + (Size) b * S;
			double		HR;
			double		gain;

			for (int c = 0; c < C; c++)
				gl[c] += e[c];
			HL += e[C];
			NL += e[C + 1];
			if (NL < p->min_samples_leaf)
				continue;
			if (N - NL < p->min_samples_leaf)
				break;
			HR = H - HL;
			if (HL < p->min_child_weight || HR < p->min_child_weight)
				continue;
			for (int c = 0; c < C; c++)
				gr[c] = n->sums[c] - gl[c];
			gain = gain_term(p, gl, C, HL) + gain_term(p, gr, C, HR) - parent;
			if (gain > best)
			{
				best = gain;
				n->split_feature = j;
				n->split_bin = b;
				n->split_missing_left = false;
				n->split_saw_missing = miss;
				n->split_gain = Max(gain, 0);
			}
		}
		if (!miss)
			continue;

		/*
		 * Right to left, the missing bin going left: taken only when
		 * strictly better (_find_best_bin_to_split_right_to_left).
		 */
		{
			double		HR = 0;
			double		NR = 0;

			for (int c = 0; c < C; c++)
				gr[c] = 0;
			for (int b = nb - 2; b >= 0; b--)
			{
				const double *e = h + (Size) (b + 1) * S;
				double		HLm;
				double		gain;

				for (int c = 0; c < C; c++)
					gr[c] += e[c];
				HR += e[C];
				NR += e[C + 1];
				if (NR < p->min_samples_leaf)
					continue;
				if (N - NR < p->min_samples_leaf)
					break;
				HLm = H - HR;
				if (HR < p->min_child_weight || HLm < p->min_child_weight)
					continue;
				for (int c = 0; c < C; c++)
					gl[c] = n->sums[c] - gr[c];
				gain = gain_term(p, gl, C, HLm) + gain_term(p, gr, C, HR) - parent;
				if (gain > best)
				{
					best = gain;
					n->split_feature = j;
					n->split_bin = b;
					n->split_missing_left = true;
					n->split_saw_missing = true;
					n->split_gain = Max(gain, 0);
				}
			}
		}
	}
done:
	if (gl != GL)
	{
		pfree(gl);
		pfree(gr);
	}
}

/*
 * Stable partition of a node's rows: bin <= split_bin first, and the
 * missing bin (beyond every value bin) when it goes left.
 */
static int
partition_rows(TreeGrower *g, int32 *rows, const GrowNode *n)
{
	const uint8 *col = g->d->bins + (Size) n->split_feature * g->d->n;
	int32	   *r = rows + n->start;
	int			nl = 0;
	int			nr = 0;
	int			last = n->split_missing_left ? g->d->binner->nbins[n->split_feature] : n->split_bin;

	for (int i = 0; i < n->count; i++)
	{
		int			b = col[r[i]];

		if (b <= n->split_bin || b == last)
			r[nl++] = r[i];
		else
			g->tmp[nr++] = r[i];
	}
	memcpy(r + nl, g->tmp, sizeof(int32) * nr);
	return nl;
}

static void
set_node_values(const TreeGrower *g, Forest *f, const GrowNode *n, const TreeGrowParams *p)
{
	double		H = n->sums[g->C];

	f->cover[n->node] = p->cover_is_hessian ? H : n->sums[g->C + 1];
	for (int c = 0; c < f->nvalues; c++)
		f->value[(Size) n->node * f->nvalues + c] = -p->scale * n->sums[c] / (H + p->l2);
}

/* A node without a split: its rows get its value in raw. */
static void
make_leaf(TreeGrower *g, Forest *f, GrowNode *n, const int32 *rows,
		  double *raw, int raw_stride)
{
	if (raw != NULL)
	{
		double		v = f->value[(Size) n->node * f->nvalues];

		for (int i = n->start; i < n->start + n->count; i++)
			raw[(Size) rows[i] * raw_stride] += v;
	}
	f->max_depth = Max(f->max_depth, n->depth);
	hist_put(g, n->hist);
	pfree(n->sums);
}

/*
 * Split n (its split found) into two new adjacent nodes after every node
 * so far, kids[0] (left) and kids[1]; the parent's histogram becomes the
 * larger child's.  The children's splits are searched when search is set.
 */
static void
split_node(TreeGrower *g, Forest *f, const TreeGrowParams *p, GrowNode *n,
		   GrowNode **kids, bool search, int32 *rows, const double *grad,
		   const double *hess, double *importance, pg_prng_state *rng)
{
	const TreeData *d = g->d;
	int			nl;
	int			left;
	int			small;

	left = forest_add_nodes(f, 2);
	f->nodes[n->node].feature = n->split_feature;
	f->nodes[n->node].left = left;
	/* the split after the last value bin: non-missing left, missing right */
	f->nodes[n->node].threshold = n->split_bin == d->binner->nbins[n->split_feature] - 1 ?
		get_float8_infinity() :
		d->binner->edges[d->binner->edge_off[n->split_feature] + n->split_bin];
	f->split_bin[n->node] = (uint8) n->split_bin;
	if (importance != NULL)
		importance[n->split_feature] += n->split_gain;
	nl = partition_rows(g, rows, n);

	/*
	 * Where a missing value goes at predict: the learned side when the
	 * node's rows had missing values of the feature, else the child with
	 * more training rows (ties right), scikit-learn's rule for a feature
	 * without missing training values.  (scikit-learn also scans both ways
	 * at nodes without missing rows, when the feature has some elsewhere,
	 * and the direction then follows rounding.)
	 */
	f->missing_left[n->node] = n->split_saw_missing ?
		n->split_missing_left : nl > n->count - nl;

	for (int k = 0; k < 2; k++)
	{
		kids[k]->node = left + k;
		kids[k]->depth = n->depth + 1;
		kids[k]->start = k == 0 ? n->start : n->start + nl;
		kids[k]->count = k == 0 ? nl : n->count - nl;
		kids[k]->sums = palloc(sizeof(double) * g->stride);
	}

	/* build the smaller child, the larger one is parent minus it */
	small = kids[0]->count <= kids[1]->count ? 0 : 1;
	kids[small]->hist = hist_get(g);
	hist_build(g, kids[small]->hist, rows + kids[small]->start, kids[small]->count, grad, hess,
			   p->unit_hessian);
	for (Size i = 0; i < g->hist_size; i++)
		n->hist[i] -= kids[small]->hist[i];
	kids[1 - small]->hist = n->hist;
	pfree(n->sums);
	for (int k = 0; k < 2; k++)
	{
		hist_sums(g, kids[k]->hist, kids[k]->sums);
		/* counts are exact: keep the count channel exact after subtraction */
		kids[k]->sums[g->C + 1] = kids[k]->count;
		if (search)
			find_split(g, kids[k], p, rows, grad, hess, rng);
		else
		{
			kids[k]->split_feature = -1;
			kids[k]->split_gain = 0;
		}
		set_node_values(g, f, kids[k], p);
	}
}

/*
 * Best-first order: the larger gain first, then the node created first
 * (seq), so the order is deterministic.
 */
static inline bool
heap_before(const GrowNode *a, int64 sa, const GrowNode *b, int64 sb)
{
	if (a->split_gain != b->split_gain)
		return a->split_gain > b->split_gain;
	return sa < sb;
}

typedef struct GrowHeap
{
	GrowNode   *node;
	int64	   *seq;
	int			n;
	int			cap;
	int64		next_seq;
} GrowHeap;

static void
heap_push(GrowHeap *h, const GrowNode *x)
{
	int			i;

	if (h->n == h->cap)
	{
		h->cap *= 2;
		h->node = repalloc_huge(h->node, sizeof(GrowNode) * h->cap);
		h->seq = repalloc_huge(h->seq, sizeof(int64) * h->cap);
	}
	i = h->n++;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!heap_before(x, h->next_seq, &h->node[parent], h->seq[parent]))
			break;
		h->node[i] = h->node[parent];
		h->seq[i] = h->seq[parent];
		i = parent;
	}
	h->node[i] = *x;
	h->seq[i] = h->next_seq++;
}

static GrowNode
heap_pop(GrowHeap *h)
{
	GrowNode	top = h->node[0];
	GrowNode	last = h->node[--h->n];
	int64		lseq = h->seq[h->n];
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && heap_before(&h->node[c + 1], h->seq[c + 1], &h->node[c], h->seq[c]))
			c++;
		if (!heap_before(&h->node[c], h->seq[c], &last, lseq))
			break;
		h->node[i] = h->node[c];
		h->seq[i] = h->seq[c];
		i = c;
	}
	if (h->n > 0)
	{
		h->node[i] = last;
		h->seq[i] = lseq;
	}
	return top;
}

void
tree_grow(TreeGrower *g, Forest *f, const TreeGrowParams *p,
		  int32 *rows, int nrows, const double *grad, const double *hess,
		  double *raw, int raw_stride, double *importance, pg_prng_state *rng)
{
	int			sp = 0;
	GrowNode   *root;
	int			t = f->ntrees;

	Assert(f->nvalues == g->C);
	if (t + 1 >= f->cap_trees)
	{
		f->cap_trees *= 2;
		f->tree_start = repalloc(f->tree_start, sizeof(int32) * (f->cap_trees + 1));
	}
	f->tree_start[t] = f->nnodes;

	root = &g->stack[sp++];
	root->node = forest_add_nodes(f, 1);
	root->start = 0;
	root->count = nrows;
	root->depth = 0;
	root->hist = hist_get(g);
	root->sums = palloc(sizeof(double) * g->stride);
	hist_build(g, root->hist, rows, nrows, grad, hess, p->unit_hessian);
	hist_sums(g, root->hist, root->sums);
	find_split(g, root, p, rows, grad, hess, rng);
	set_node_values(g, f, root, p);

	if (p->max_leaf_nodes > 0)
	{
		/*
		 * Best-first: the splittable leaves in a heap by gain; split the
		 * best until the tree has max_leaf_nodes leaves, then the rest are
		 * leaves (scikit-learn's TreeGrower.split_next).  Children are
		 * appended after every node so far, so they follow their parent.
		 */
		GrowHeap	h;
		int			nleaves = 1;

		h.cap = 64;
		h.n = 0;
		h.next_seq = 0;
		h.node = palloc(sizeof(GrowNode) * h.cap);
		h.seq = palloc(sizeof(int64) * h.cap);
		sp = 0;
		if (root->split_feature < 0 || p->max_leaf_nodes < 2)
			make_leaf(g, f, root, rows, raw, raw_stride);
		else
			heap_push(&h, root);
		while (h.n > 0)
		{
			GrowNode	n = heap_pop(&h);
			GrowNode	kid[2];
			GrowNode   *kids[2] = {&kid[0], &kid[1]};

			CHECK_FOR_INTERRUPTS();
			if (nleaves >= p->max_leaf_nodes)
			{
				make_leaf(g, f, &n, rows, raw, raw_stride);
				continue;
			}
			nleaves++;
			split_node(g, f, p, &n, kids, nleaves < p->max_leaf_nodes,
					   rows, grad, hess, importance, rng);
			for (int k = 0; k < 2; k++)
			{
				if (kids[k]->split_feature < 0)
					make_leaf(g, f, kids[k], rows, raw, raw_stride);
				else
					heap_push(&h, kids[k]);
			}
		}
		pfree(h.node);
		pfree(h.seq);
	}

	while (sp > 0)
	{
		GrowNode	n = g->stack[--sp];
		GrowNode   *kids[2];

		CHECK_FOR_INTERRUPTS();
		if (n.split_feature < 0)
		{
			make_leaf(g, f, &n, rows, raw, raw_stride);
			continue;
		}

		/* right pushed first: the left subtree is grown (and numbered) first */
		if (sp + 2 > g->cap_stack)
			elog(ERROR, "tree growth stack overflow");
		kids[1] = &g->stack[sp++];
		kids[0] = &g->stack[sp++];
		split_node(g, f, p, &n, kids, true, rows, grad, hess, importance, rng);
	}
	f->ntrees = t + 1;
	f->tree_start[f->ntrees] = f->nnodes;
}

/* ---------------------------------------------------------------------
 * TreeSHAP, after the reference implementation in Lundberg's shap
 * (shap/cext/tree_shap.h: extend_path, unwind_path, unwound_path_sum,
 * tree_shap_recursive).
 * ---------------------------------------------------------------------
 */
typedef struct PathElement
{
	int			feature;
	double		zero_fraction;
	double		one_fraction;
	double		pweight;
} PathElement;

static void
extend_path(PathElement *path, int depth, double zero_fraction, double one_fraction, int feature)
{
	path[depth].feature = feature;
	path[depth].zero_fraction = zero_fraction;
	path[depth].one_fraction = one_fraction;
	path[depth].pweight = depth == 0 ? 1.0 : 0.0;
	for (int i = depth - 1; i >= 0; i--)
	{
		path[i + 1].pweight += one_fraction * path[i].pweight * (i + 1) / (double) (depth + 1);
		path[i].pweight = zero_fraction * path[i].pweight * (depth - i) / (double) (depth + 1);
	}
}

static void
unwind_path(PathElement *path, int depth, int index)
{
	double		one_fraction = path[index].one_fraction;
	double		zero_fraction = path[index].zero_fraction;
	double		next_one_portion = path[depth].pweight;

	for (int i = depth - 1; i >= 0; i--)
	{
		if (one_fraction != 0)
		{
			double		tmp = path[i].pweight;

			path[i].pweight = next_one_portion * (depth + 1) / ((i + 1) * one_fraction);
			next_one_portion = tmp - path[i].pweight * zero_fraction * (depth - i) / (double) (depth + 1);
		}
		else
			path[i].pweight = path[i].pweight * (depth + 1) / (zero_fraction * (depth - i));
	}
	for (int i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero_fraction = path[i + 1].zero_fraction;
		path[i].one_fraction = path[i + 1].one_fraction;
	}
}

static double
unwound_path_sum(const PathElement *path, int depth, int index)
{
	double		one_fraction = path[index].one_fraction;
	double		zero_fraction = path[index].zero_fraction;
	double		next_one_portion = path[depth].pweight;
	double		total = 0;

	if (one_fraction != 0)
	{
		for (int i = depth - 1; i >= 0; i--)
		{
			double		tmp = next_one_portion / ((i + 1) * one_fraction);

			total += tmp;
			next_one_portion = path[i].pweight - tmp * zero_fraction * (depth - i);
		}
	}
	else
	{
		for (int i = depth - 1; i >= 0; i--)
			total += path[i].pweight / (zero_fraction * (depth - i));
	}
	return total * (depth + 1);
}

typedef struct ShapCtx
{
	const Forest *f;
	int			channel;
	const double *x;
	double		scale;
	double	   *phi;
} ShapCtx;

static void
shap_recurse(const ShapCtx *s, int node, PathElement *parent_path, int depth,
			 double parent_zero, double parent_one, int parent_feature)
{
	const Forest *f = s->f;
	const TreeNode *nd = &f->nodes[node];
	PathElement *path = parent_path + depth + 1;

	memcpy(path, parent_path, sizeof(PathElement) * (depth + 1));
	extend_path(path, depth, parent_zero, parent_one, parent_feature);

	if (nd->feature < 0)
	{
		double		v = f->value[(Size) node * f->nvalues + s->channel] * s->scale;

		for (int i = 1; i <= depth; i++)
		{
			double		w = unwound_path_sum(path, depth, i);

			s->phi[path[i].feature] += w * (path[i].one_fraction - path[i].zero_fraction) * v;
		}
	}
	else
	{
		double		xv = s->x[nd->feature];
		/* the child predict goes to (forest_leaf) */
		int			hot = nd->left + (isnan(xv) ? !f->missing_left[node] : xv > nd->threshold);
		int			cold = hot == nd->left ? nd->left + 1 : nd->left;
		double		w = f->cover[node];
		double		incoming_zero = 1;
		double		incoming_one = 1;
		int			k;

		/* a feature already on the path: undo that split first */
		for (k = 0; k <= depth; k++)
			if (path[k].feature == nd->feature)
				break;
		if (k != depth + 1)
		{
			incoming_zero = path[k].zero_fraction;
			incoming_one = path[k].one_fraction;
			unwind_path(path, depth, k);
			depth--;
		}
		shap_recurse(s, hot, path, depth + 1, f->cover[hot] / w * incoming_zero,
					 incoming_one, nd->feature);
		shap_recurse(s, cold, path, depth + 1, f->cover[cold] / w * incoming_zero,
					 0, nd->feature);
	}
}

double
tree_shap(const Forest *f, int t, int channel, const double *x, double scale, double *phi)
{
	int			root = f->tree_start[t];
	int			maxd = f->max_depth + 2;
	PathElement *path = palloc(sizeof(PathElement) * (Size) (maxd + 1) * (maxd + 2) / 2 + sizeof(PathElement) * 4);
	ShapCtx		s = {f, channel, x, scale, phi};
	double		expected = 0;

	shap_recurse(&s, root, path, 0, 1, 1, -1);
	pfree(path);
	/* the cover-weighted mean of the leaves */
	for (int i = root; i < f->tree_start[t + 1]; i++)
		if (f->nodes[i].feature < 0)
			expected += f->cover[i] * f->value[(Size) i * f->nvalues + channel];
	return expected / f->cover[root] * scale;
}
