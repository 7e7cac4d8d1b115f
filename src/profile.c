/*-------------------------------------------------------------------------
 * profile.c
 *	  PASS_PROFILE: one parallel pass over the training rows that counts
 *	  values and NULLs per column, keeps mean/variance (Welford, merged as
 *	  Chan et al.), min and max of numeric columns and the value counts of
 *	  categorical ones.  The counts are exact, so the vocabulary is the
 *	  same whatever the plan; a column with more distinct values than
 *	  mldb.max_distinct is an error (it is an identifier, not a category).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "common/hashfn.h"
#include "profile.h"
#include "utils/memutils.h"

/* Value counts: open addressing, grown at 50% load. */
typedef struct CatCounts
{
	uint32		mask;
	int			n;
	int32	   *slot;			/* entry + 1, 0 = empty */
	char	  **keys;
	int		   *lens;
	double	   *counts;
	int			cap;			/* allocated entries */
} CatCounts;

typedef struct ColAcc
{
	double		n;
	double		nulls;
	double		mean;
	double		m2;
	double		min;
	double		max;
	CatCounts	cats;
} ColAcc;

typedef struct ProfileAcc
{
	int			ncols;
	ColAcc	   *cols;
	MemoryContext cxt;
} ProfileAcc;

static void
cat_init(CatCounts *c)
{
	c->mask = 15;
	c->n = 0;
	c->cap = 8;
	c->slot = palloc0(sizeof(int32) * 16);
	c->keys = palloc(sizeof(char *) * c->cap);
	c->lens = palloc(sizeof(int) * c->cap);
	c->counts = palloc(sizeof(double) * c->cap);
}

static void
cat_rehash(CatCounts *c)
{
	uint32		size = (c->mask + 1) * 2;

	pfree(c->slot);
	c->slot = palloc0(sizeof(int32) * size);
	c->mask = size - 1;
	for (int i = 0; i < c->n; i++)
	{
		uint32		h = hash_bytes((const unsigned char *) c->keys[i], c->lens[i]) & c->mask;

		while (c->slot[h] != 0)
			h = (h + 1) & c->mask;
		c->slot[h] = i + 1;
	}
}

static void
cat_add(CatCounts *c, const char *s, int len, double count, const FeatureColumn *column)
{
	uint32		h = hash_bytes((const unsigned char *) s, len) & c->mask;

	while (c->slot[h] != 0)
	{
		int			i = c->slot[h] - 1;

		if (c->lens[i] == len && memcmp(c->keys[i], s, len) == 0)
		{
			c->counts[i] += count;
			return;
		}
		h = (h + 1) & c->mask;
	}
	if (c->n >= mldb_max_distinct && column->is_label)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("target \"%s\" has more than %d distinct labels", column->name,
						mldb_max_distinct),
				 errhint("Is it really a class label? Use a regression, or group the labels in a query passed as relation.")));
	if (c->n >= mldb_max_distinct)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("categorical feature \"%s\" has more than %d distinct values", column->name,
						mldb_max_distinct),
				 errhint("Leave the column out of features (an identifier is not a category), bucket it in a query passed as relation, or raise mldb.max_distinct; max_categories then keeps the most frequent values.")));
	if (c->n == c->cap)
	{
		c->cap *= 2;
		c->keys = repalloc(c->keys, sizeof(char *) * c->cap);
		c->lens = repalloc(c->lens, sizeof(int) * c->cap);
		c->counts = repalloc(c->counts, sizeof(double) * c->cap);
	}
	c->keys[c->n] = pnstrdup(s, len);
	c->lens[c->n] = len;
	c->counts[c->n] = count;
	c->slot[h] = ++c->n;
	if ((uint32) c->n * 2 > c->mask)
		cat_rehash(c);
}

static void *
profile_create(const PassCtx *ctx)
{
	ProfileAcc *acc = palloc(sizeof(ProfileAcc));

	acc->ncols = ctx->spec->ncols;
	acc->cols = palloc0(sizeof(ColAcc) * Max(acc->ncols, 1));
	acc->cxt = CurrentMemoryContext;
	for (int i = 0; i < acc->ncols; i++)
	{
		acc->cols[i].min = INFINITY;
		acc->cols[i].max = -INFINITY;
		if (ctx->spec->cols[i].kind == FEATURE_CATEGORICAL)
			cat_init(&acc->cols[i].cats);
	}
	return acc;
}

static void
profile_add_raw(void *a, const PassCtx *ctx, const FeatureBinding *b, int slot,
				uint64 rowhash, const Datum *values, const bool *isnull)
{
	ProfileAcc *acc = (ProfileAcc *) a;
	MemoryContext old;

	/* rows the model will not train on (NULL target) do not shape it */
	if (ctx->extra_len > 0 && ctx->extra[0] && isnull[0])
		return;
	old = MemoryContextSwitchTo(acc->cxt);
	for (int i = 0; i < acc->ncols; i++)
	{
		ColAcc	   *c = &acc->cols[i];

		if (ctx->spec->cols[i].kind == FEATURE_NUMERIC)
		{
			double		v = isnull[i] ? NAN : b->cols[i].conv(values[i]);
			double		d;

			if (!isfinite(v))
			{
				c->nulls++;
				continue;
			}
			c->n++;
			d = v - c->mean;
			c->mean += d / c->n;
			c->m2 += d * (v - c->mean);
			c->min = Min(c->min, v);
			c->max = Max(c->max, v);
		}
		else if (isnull[i])
			c->nulls++;
		else
		{
			int			len;
			const char *s = featurespec_datum_text(&b->cols[i], values[i], &len);

			c->n++;
			cat_add(&c->cats, s, len, 1, &ctx->spec->cols[i]);
		}
	}
	MemoryContextSwitchTo(old);
}

static void
profile_merge(void *a, void *o, const PassCtx *ctx)
{
	ProfileAcc *acc = (ProfileAcc *) a;
	ProfileAcc *other = (ProfileAcc *) o;
	MemoryContext old = MemoryContextSwitchTo(acc->cxt);

	for (int i = 0; i < acc->ncols; i++)
	{
		ColAcc	   *x = &acc->cols[i];
		ColAcc	   *y = &other->cols[i];
		double		n = x->n + y->n;

		x->nulls += y->nulls;
		if (ctx->spec->cols[i].kind == FEATURE_CATEGORICAL)
		{
			for (int k = 0; k < y->cats.n; k++)
				cat_add(&x->cats, y->cats.keys[k], y->cats.lens[k], y->cats.counts[k],
						&ctx->spec->cols[i]);
			x->n = n;
			continue;
		}
		if (y->n > 0)
		{
			double		d = y->mean - x->mean;

			x->m2 += y->m2 + d * d * x->n * y->n / n;
			x->mean += d * y->n / n;
			x->min = Min(x->min, y->min);
			x->max = Max(x->max, y->max);
			x->n = n;
		}
	}
	MemoryContextSwitchTo(old);
}

static void
profile_write(StringInfo buf, void *a, const PassCtx *ctx)
{
	ProfileAcc *acc = (ProfileAcc *) a;

	bin_write_int32(buf, acc->ncols);
	for (int i = 0; i < acc->ncols; i++)
	{
		ColAcc	   *c = &acc->cols[i];

		bin_write_float8(buf, c->n);
		bin_write_float8(buf, c->nulls);
		bin_write_float8(buf, c->mean);
		bin_write_float8(buf, c->m2);
		bin_write_float8(buf, c->min);
		bin_write_float8(buf, c->max);
		if (ctx->spec->cols[i].kind == FEATURE_CATEGORICAL)
		{
			bin_write_int32(buf, c->cats.n);
			for (int k = 0; k < c->cats.n; k++)
			{
				bin_write_int32(buf, c->cats.lens[k]);
				appendBinaryStringInfo(buf, c->cats.keys[k], c->cats.lens[k]);
				bin_write_float8(buf, c->cats.counts[k]);
			}
		}
	}
}

static void *
profile_read(BinReader *r, const PassCtx *ctx)
{
	ProfileAcc *acc = profile_create(ctx);

	if (bin_read_int32(r) != acc->ncols)
		bin_corrupted(r, "profile column count does not match the pass context");
	for (int i = 0; i < acc->ncols; i++)
	{
		ColAcc	   *c = &acc->cols[i];

		c->n = bin_read_float8(r);
		c->nulls = bin_read_float8(r);
		c->mean = bin_read_float8(r);
		c->m2 = bin_read_float8(r);
		c->min = bin_read_float8(r);
		c->max = bin_read_float8(r);
		if (ctx->spec->cols[i].kind == FEATURE_CATEGORICAL)
		{
			int32		n = bin_read_int32(r);

			if (n < 0 || n > mldb_max_distinct)
				bin_corrupted(r, "category count out of range");
			for (int k = 0; k < n; k++)
			{
				char	   *s = bin_read_string(r);

				cat_add(&c->cats, s, strlen(s), bin_read_float8(r), &ctx->spec->cols[i]);
			}
		}
	}
	return acc;
}

const PassKind profile_pass_kind = {
	.name = "profile",
	.create = profile_create,
	.add_raw = profile_add_raw,
	.merge = profile_merge,
	.write = profile_write,
	.read = profile_read,
};

/* most frequent first; ties by byte order, so the vocabulary is stable */
static int
level_cmp(const void *a, const void *b, void *arg)
{
	const CatCounts *c = (const CatCounts *) arg;
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	int			r;

	if (c->counts[i] != c->counts[j])
		return c->counts[i] > c->counts[j] ? -1 : 1;
	r = memcmp(c->keys[i], c->keys[j], Min(c->lens[i], c->lens[j]));
	return r != 0 ? r : c->lens[i] - c->lens[j];
}

/*
 * Profile the columns of spec on the training rows.  first_is_target: the
 * first column is the target, and rows where it is NULL are left out.
 */
Profile *
profile_run(const FeatureSpec *spec, const char *from_sql, const char *args_sql,
			int64 seed, double test_size, bool first_is_target)
{
	PassCtx		ctx = {0};
	char		flag = first_is_target ? 1 : 0;
	PassResult	res;
	ProfileAcc *acc;
	Profile    *p = palloc0(sizeof(Profile));

	ctx.kind = PASS_PROFILE;
	ctx.spec = (FeatureSpec *) spec;
	ctx.seed = seed;
	ctx.test_size = test_size;
	ctx.nfolds = 1;
	ctx.skip_holdout = true;
	ctx.extra_len = 1;
	ctx.extra = &flag;
	res = pass_run(&ctx, from_sql, args_sql);

	p->ncols = spec->ncols;
	p->cols = palloc0(sizeof(ColumnProfile) * Max(spec->ncols, 1));
	acc = res.acc ? (ProfileAcc *) res.acc : profile_create(&ctx);
	for (int i = 0; i < spec->ncols; i++)
	{
		ColAcc	   *c = &acc->cols[i];
		ColumnProfile *cp = &p->cols[i];

		cp->name = spec->cols[i].name;
		cp->kind = spec->cols[i].kind;
		cp->n = c->n;
		cp->nulls = c->nulls;
		cp->mean = c->n > 0 ? c->mean : NAN;
		cp->var = c->n > 0 ? c->m2 / c->n : NAN;
		cp->min = c->min;
		cp->max = c->max;
		if (cp->kind == FEATURE_CATEGORICAL)
		{
			int		   *order = palloc(sizeof(int) * Max(c->cats.n, 1));

			for (int k = 0; k < c->cats.n; k++)
				order[k] = k;
			qsort_arg(order, c->cats.n, sizeof(int), level_cmp, &c->cats);
			cp->nlevels = c->cats.n;
			cp->levels = palloc(sizeof(char *) * Max(c->cats.n, 1));
			cp->counts = palloc(sizeof(double) * Max(c->cats.n, 1));
			for (int k = 0; k < c->cats.n; k++)
			{
				cp->levels[k] = c->cats.keys[order[k]];
				cp->counts[k] = c->cats.counts[order[k]];
			}
		}
	}
	return p;
}

/*
 * Fix a categorical column's encoding from its profile: the max_categories
 * most frequent values (the first is the reference level when drop_first),
 * then __other__ for the rest and __null__ when NULLs occurred.
 */
void
profile_encode_column(FeatureColumn *c, const ColumnProfile *cp, int max_categories,
					  bool drop_first)
{
	int			keep = Min(cp->nlevels, max_categories);
	int			n = 0;

	c->levels = palloc(sizeof(char *) * (keep + 2));
	for (int k = 0; k < keep; k++)
		c->levels[n++] = cp->levels[k];
	c->other_level = -1;
	c->null_level = -1;
	if (cp->nlevels > keep)
	{
		c->other_level = n;
		c->levels[n++] = MLDB_OTHER_LEVEL;
	}
	if (cp->nulls > 0)
	{
		c->null_level = n;
		c->levels[n++] = MLDB_NULL_LEVEL;
	}
	c->nlevels = n;
	c->drop_first = drop_first && n > 0 ? 1 : 0;
}

/* feature_stats: one object per column. */
void
profile_write_json(JsonWriter *w, const Profile *p)
{
	for (int i = 0; i < p->ncols; i++)
	{
		const ColumnProfile *cp = &p->cols[i];

		jw_begin_object(w, cp->name);
		jw_string(w, "type", cp->kind == FEATURE_NUMERIC ? "numeric" : "categorical");
		jw_number(w, "count", cp->n);
		jw_number(w, "nulls", cp->nulls);
		if (cp->kind == FEATURE_NUMERIC)
		{
			jw_number(w, "mean", cp->mean);
			jw_number(w, "std", sqrt(cp->var));
			jw_number(w, "min", cp->n > 0 ? cp->min : NAN);
			jw_number(w, "max", cp->n > 0 ? cp->max : NAN);
		}
		else
		{
			jw_int(w, "distinct", cp->nlevels);
			jw_begin_object(w, "counts");
			for (int k = 0; k < cp->nlevels; k++)
				jw_number(w, cp->levels[k], cp->counts[k]);
			jw_end_object(w);
		}
		jw_end_object(w);
	}
}

static Profile *stashed_profile = NULL;

void
profile_stash(Profile *p)
{
	stashed_profile = p;
}

Profile *
profile_take_stash(void)
{
	Profile    *p = stashed_profile;

	stashed_profile = NULL;
	return p;
}
