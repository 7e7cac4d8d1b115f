/*-------------------------------------------------------------------------
 * featurespec.c
 *	  Feature specification: built at training from the relation's column
 *	  types and the profiling pass, stored inside the model state, and
 *	  applied identically by the training passes and by predict.  Each call
 *	  site binds the spec to its actual argument types once (a converter or
 *	  a level map per column), so the per-row work is small.
 *
 *	  Numeric columns (smallint, integer, bigint, real, double precision,
 *	  numeric) encode to one slot; a NULL or non-finite value follows the
 *	  column's MissingRule (imputed, row dropped, indicator slot, or NaN
 *	  for models that handle it natively).  Categorical columns (text, varchar, char, bool,
 *	  enums) encode one-hot over their training vocabulary: NULL is its own
 *	  level when it occurred in training, values beyond max_categories share
 *	  the __other__ level, and a value never seen encodes as all zeros.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "featurespec.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

/* Open-addressing map from level text to its index. */
struct LevelMap
{
	uint32		mask;
	int32	   *slot;			/* level index + 1, 0 = empty */
	char	  **levels;
	int		   *lens;
};

static double conv_float8(Datum d) { return DatumGetFloat8(d); }
static double conv_float4(Datum d) { return (double) DatumGetFloat4(d); }
static double conv_int2(Datum d) { return (double) DatumGetInt16(d); }
static double conv_int4(Datum d) { return (double) DatumGetInt32(d); }
static double conv_int8(Datum d) { return (double) DatumGetInt64(d); }

static double
conv_numeric(Datum d)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
}

/*
 * The converter for a type, or NULL when the type is not numeric.
 * Domains over numeric types are accepted through their base type.
 */
NumericConv
featurespec_numeric_conv(Oid typid)
{
	switch (getBaseType(typid))
	{
		case FLOAT8OID:
			return conv_float8;
		case FLOAT4OID:
			return conv_float4;
		case INT2OID:
			return conv_int2;
		case INT4OID:
			return conv_int4;
		case INT8OID:
			return conv_int8;
		case NUMERICOID:
			return conv_numeric;
		default:
			return NULL;
	}
}

bool
featurespec_is_categorical_type(Oid typid)
{
	Oid			base = getBaseType(typid);

	return base == TEXTOID || base == VARCHAROID || base == BPCHAROID ||
		base == BOOLOID || base == NAMEOID || type_is_enum(base);
}

FeatureSpec *
featurespec_build(List *feature_names, const Oid *feature_types,
				  const char *target, Oid target_type)
{
	FeatureSpec *spec = palloc0(sizeof(FeatureSpec));
	ListCell   *lc;
	int			i = 0;

	spec->ncols = list_length(feature_names);
	spec->cols = palloc0(sizeof(FeatureColumn) * Max(spec->ncols, 1));
	foreach(lc, feature_names)
	{
		FeatureColumn *c = &spec->cols[i];
		const char *name = strVal(lfirst(lc));

		c->name = pstrdup(name);
		c->other_level = -1;
		c->null_level = -1;
		c->missing = MISSING_IMPUTE;
		if (featurespec_numeric_conv(feature_types[i]) != NULL)
			c->kind = FEATURE_NUMERIC;
		else if (featurespec_is_categorical_type(feature_types[i]))
			c->kind = FEATURE_CATEGORICAL;
		else
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature column \"%s\" has type %s, which is neither numeric nor categorical",
							name, format_type_be(feature_types[i])),
					 errhint("Use numeric or text-like columns; cast or extract the column in a query passed as relation (for example extract(epoch from ts)), or leave it out of features.")));
		i++;
	}
	if (target != NULL)
		spec->target = pstrdup(target);
	featurespec_layout(spec);
	return spec;
}

/*
 * Assign slots: every column's main slots in column order, then the
 * missing-value indicator slots.
 */
void
featurespec_layout(FeatureSpec *spec)
{
	int			slot = 0;

	for (int i = 0; i < spec->ncols; i++)
	{
		FeatureColumn *c = &spec->cols[i];

		c->offset = slot;
		c->width = c->kind != FEATURE_CATEGORICAL ? 1 : Max(c->nlevels - c->drop_first, 0);
		slot += c->width;
	}
	for (int i = 0; i < spec->ncols; i++)
	{
		FeatureColumn *c = &spec->cols[i];

		c->indicator = -1;
		if (c->kind == FEATURE_NUMERIC && c->missing == MISSING_INDICATOR)
			c->indicator = slot++;
	}
	spec->dim = slot;
}

FeatureSpec *
featurespec_copy(const FeatureSpec *spec)
{
	FeatureSpec *s = palloc(sizeof(FeatureSpec));

	*s = *spec;
	s->cols = palloc(sizeof(FeatureColumn) * Max(spec->ncols, 1));
	memcpy(s->cols, spec->cols, sizeof(FeatureColumn) * spec->ncols);
	return s;
}

bool
featurespec_has_categorical(const FeatureSpec *spec)
{
	for (int i = 0; i < spec->ncols; i++)
		if (spec->cols[i].kind == FEATURE_CATEGORICAL)
			return true;
	return false;
}

bool
featurespec_has_dynamic(const FeatureSpec *spec)
{
	for (int i = 0; i < spec->ncols; i++)
		if (spec->cols[i].kind == FEATURE_DYNAMIC)
			return true;
	return false;
}

/* A level's text as an exact double (52 bits of its hash): the sample's
 * stand-in for a level a FEATURE_DYNAMIC column has not numbered yet. */
double
featurespec_level_hash(const char *s, int len)
{
	return featurespec_level_hash_of(text_hash(s, len));
}

/* The readable name of an encoded slot: col, col=level or col__missing. */
char *
featurespec_slot_name(const FeatureSpec *spec, int slot)
{
	for (int i = 0; i < spec->ncols; i++)
	{
		const FeatureColumn *c = &spec->cols[i];

		if (slot >= c->offset && slot < c->offset + c->width)
		{
			if (c->kind == FEATURE_NUMERIC)
				return c->name;
			return psprintf("%s=%s", c->name, c->levels[slot - c->offset + c->drop_first]);
		}
		if (slot == c->indicator)
			return psprintf("%s__missing", c->name);
	}
	return psprintf("slot%d", slot);
}

void
featurespec_write(StringInfo buf, const FeatureSpec *spec)
{
	bin_write_int32(buf, spec->ncols);
	bin_write_int32(buf, spec->dim);
	for (int i = 0; i < spec->ncols; i++)
	{
		const FeatureColumn *c = &spec->cols[i];

		bin_write_string(buf, c->name);
		bin_write_int32(buf, c->kind);
		bin_write_int32(buf, c->missing);
		bin_write_float8(buf, c->impute);
		bin_write_int32(buf, c->nlevels);
		for (int l = 0; l < c->nlevels; l++)
			bin_write_string(buf, c->levels[l]);
		bin_write_int32(buf, c->drop_first);
		bin_write_int32(buf, c->other_level);
		bin_write_int32(buf, c->null_level);
		bin_write_int32(buf, c->is_label);
	}
	bin_write_int32(buf, spec->target != NULL);
	if (spec->target != NULL)
		bin_write_string(buf, spec->target);
	bin_write_int32(buf, spec->nclasses);
	for (int k = 0; k < spec->nclasses; k++)
		bin_write_string(buf, spec->classes[k]);
	bin_write_int32(buf, spec->classes_numeric);
}

/* Reads a spec, recomputes its layout and checks it against the stored one. */
FeatureSpec *
featurespec_read(BinReader *r)
{
	FeatureSpec *spec = palloc0(sizeof(FeatureSpec));
	int32		dim;

	spec->ncols = bin_read_int32(r);
	dim = bin_read_int32(r);
	if (spec->ncols < 0 || spec->ncols > MLDB_MAX_COLUMNS * 16)
		bin_corrupted(r, "feature count out of range");
	spec->cols = palloc0(sizeof(FeatureColumn) * Max(spec->ncols, 1));
	for (int i = 0; i < spec->ncols; i++)
	{
		FeatureColumn *c = &spec->cols[i];

		c->name = bin_read_string(r);
		c->kind = bin_read_int32(r);
		c->missing = bin_read_int32(r);
		c->impute = bin_read_float8(r);
		c->nlevels = bin_read_int32(r);
		if ((c->kind != FEATURE_NUMERIC && c->kind != FEATURE_CATEGORICAL &&
			 c->kind != FEATURE_DYNAMIC) ||
			c->missing < MISSING_IMPUTE || c->missing > MISSING_NATIVE ||
			c->nlevels < 0 || (Size) c->nlevels > r->len - r->pos)
			bin_corrupted(r, "invalid feature column");
		c->levels = palloc(sizeof(char *) * Max(c->nlevels, 1));
		for (int l = 0; l < c->nlevels; l++)
			c->levels[l] = bin_read_string(r);
		c->drop_first = bin_read_int32(r);
		c->other_level = bin_read_int32(r);
		c->null_level = bin_read_int32(r);
		c->is_label = bin_read_int32(r) != 0;
		if (c->drop_first < 0 || c->drop_first > 1 || c->drop_first > c->nlevels ||
			c->other_level < -1 || c->other_level >= c->nlevels ||
			c->null_level < -1 || c->null_level >= c->nlevels)
			bin_corrupted(r, "invalid categorical levels");
	}
	if (bin_read_int32(r))
		spec->target = bin_read_string(r);
	spec->nclasses = bin_read_int32(r);
	if (spec->nclasses < 0 || (Size) spec->nclasses > r->len - r->pos)
		bin_corrupted(r, "class count out of range");
	spec->classes = palloc(sizeof(char *) * Max(spec->nclasses, 1));
	for (int k = 0; k < spec->nclasses; k++)
		spec->classes[k] = bin_read_string(r);
	spec->classes_numeric = bin_read_int32(r);
	featurespec_layout(spec);
	if (spec->dim != dim)
		bin_corrupted(r, "feature widths do not add up to the dimension");
	return spec;
}

int
featurespec_find(const FeatureSpec *spec, const char *name)
{
	for (int i = 0; i < spec->ncols; i++)
		if (strcmp(spec->cols[i].name, name) == 0)
			return i;
	return -1;
}

/* ---------------------------------------------------------------------
 * Binding and encoding
 * ---------------------------------------------------------------------
 */

static LevelMap *
levelmap_build(char **levels, int n)
{
	LevelMap   *m = palloc(sizeof(LevelMap));
	uint32		size = 8;

	while (size < (uint32) n * 2)
		size <<= 1;
	m->mask = size - 1;
	m->slot = palloc0(sizeof(int32) * size);
	m->levels = levels;
	m->lens = palloc(sizeof(int) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		uint32		h;

		m->lens[i] = strlen(levels[i]);
		h = (uint32) text_hash(levels[i], m->lens[i]) & m->mask;
		while (m->slot[h] != 0)
			h = (h + 1) & m->mask;
		m->slot[h] = i + 1;
	}
	return m;
}

/*
 * A level's index, or -1, given the text's text_hash (or its low 52 bits,
 * as the training pass keeps it).
 */
static int
levelmap_find_hashed(const LevelMap *m, const char *s, int len, uint64 hash)
{
	uint32		h = (uint32) hash & m->mask;

	while (m->slot[h] != 0)
	{
		int			i = m->slot[h] - 1;

		if (m->lens[i] == len && memcmp(m->levels[i], s, len) == 0)
			return i;
		h = (h + 1) & m->mask;
	}
	return -1;
}

static int
levelmap_find(const LevelMap *m, const char *s, int len)
{
	return levelmap_find_hashed(m, s, len, text_hash(s, len));
}

/*
 * Bind the spec to the types of the values a call site will pass, one per
 * spec column in spec order.  context names the caller in error messages.
 */
FeatureBinding *
featurespec_bind(const FeatureSpec *spec, const Oid *types, const char *context)
{
	FeatureBinding *b = palloc0(sizeof(FeatureBinding));

	b->spec = spec;
	b->cols = palloc0(sizeof(ColumnBinding) * Max(spec->ncols, 1));
	b->all_numeric = true;
	b->offset = palloc(sizeof(int32) * Max(spec->ncols, 1));
	b->indicator = palloc(sizeof(int32) * Max(spec->ncols, 1));
	for (int i = 0; i < spec->ncols; i++)
	{
		const FeatureColumn *c = &spec->cols[i];
		ColumnBinding *cb = &b->cols[i];

		b->all_numeric &= c->kind == FEATURE_NUMERIC;
		b->offset[i] = c->offset;
		b->indicator[i] = c->indicator;

		if (c->kind == FEATURE_NUMERIC)
		{
			cb->conv = featurespec_numeric_conv(types[i]);
			if (cb->conv == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("%s: feature \"%s\" must be numeric, not %s",
								context, c->name, format_type_be(types[i])),
						 errhint("Pass the features in the model's order: SELECT mldb.describe(model)->'features'.")));
		}
		else
		{
			Oid			base = getBaseType(types[i]);
			Oid			outfn;
			bool		varlena;

			if (types[i] == UNKNOWNOID)
			{
				/* an untyped literal: a C string */
				cb->is_cstring = true;
				cb->map = levelmap_build(c->levels, c->nlevels);
				continue;
			}
			/*
			 * A feature must be text-like: a number passed for it would
			 * silently be an unseen level.  A class label profiled as a
			 * column is matched by its text whatever its type.
			 */
			if (!c->is_label && !featurespec_is_categorical_type(types[i]))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("%s: feature \"%s\" is categorical and needs a text-like value, not %s",
								context, c->name, format_type_be(types[i])),
						 errhint("Pass text (or the column itself) for categorical features; a numeric array cannot carry them, the row or jsonb forms can.")));
			cb->text_like = base == TEXTOID || base == VARCHAROID;
			cb->trim_blanks = base == BPCHAROID;
			if (c->is_label)
				cb->number_label = featurespec_numeric_conv(types[i]);
			getTypeOutputInfo(types[i], &outfn, &varlena);
			fmgr_info(outfn, &cb->outfn);
			cb->map = levelmap_build(c->levels, c->nlevels);
		}
	}
	return b;
}

/*
 * The text of a categorical value: the bytes of text/varchar values as
 * they are, else the type's output (bool as true/false, enums as labels,
 * char(n) without its padding).  Not NUL-terminated: use *len.
 */
const char *
featurespec_datum_text(const ColumnBinding *cb, Datum d, int *len)
{
	char	   *s;

	if (cb->is_cstring)
	{
		s = DatumGetCString(d);
		*len = strlen(s);
		return s;
	}
	if (cb->number_label)
	{
		/* 1, 1.0 and 1.00 are one class: labels are numbers, by value */
		s = float8out_internal(cb->number_label(d));
		*len = strlen(s);
		return s;
	}
	if (cb->text_like)
	{
		struct varlena *v = datum_packed(d);

		*len = VARSIZE_ANY_EXHDR(v);
		return VARDATA_ANY(v);
	}
	if (cb->outfn.fn_oid == F_BOOLOUT)
		s = DatumGetBool(d) ? "true" : "false";
	else
		s = OutputFunctionCall((FmgrInfo *) &cb->outfn, d);
	*len = strlen(s);
	/* char(n) pads with blanks that are not part of the value (as bpchar's =) */
	if (cb->trim_blanks)
		while (*len > 0 && s[*len - 1] == ' ')
			(*len)--;
	return s;
}

/*
 * Numeric column i's present, finite value v into x (true), or nothing
 * (false: NULL, NaN or infinite, for the general path to place).
 */
static inline bool
numeric_put(const FeatureBinding *b, int i, bool isnull, double v, double *x)
{
	if (isnull || !isfinite(v))
		return false;
	x[b->offset[i]] = v;
	if (b->indicator[i] >= 0)
		x[b->indicator[i]] = 0.0;
	return true;
}

/*
 * Encode one row into x[spec->dim].  nums, when given, holds the numeric
 * columns already converted to double and the text columns' level hashes
 * (the training pass computes both once, for the row hash: rowhash64).
 * Returns false when the row must be skipped (a missing value under
 * MISSING_DROP).
 */
bool
featurespec_encode(const FeatureBinding *b, const Datum *values,
				   const bool *isnull, const double *nums, double *x)
{
	const FeatureSpec *spec = b->spec;
	int			i = 0;

	/*
	 * Numeric columns with present values, as the training pass converted
	 * them: a tight loop; the first other column, or missing value, leaves
	 * it for the general one below, from that column on.
	 */
	if (b->all_numeric && nums != NULL)
		while (i < spec->ncols && numeric_put(b, i, isnull[i], nums[i], x))
			i++;

	for (; i < spec->ncols; i++)
	{
		const FeatureColumn *c = &spec->cols[i];
		const ColumnBinding *cb = &b->cols[i];

		if (c->kind == FEATURE_NUMERIC)
		{
			double		v = isnull[i] ? NAN : nums ? nums[i] : cb->conv(values[i]);

			if (isfinite(v))
			{
				x[c->offset] = v;
				if (c->indicator >= 0)
					x[c->indicator] = 0.0;
				continue;
			}
			switch (c->missing)
			{
				case MISSING_DROP:
					return false;
				case MISSING_INDICATOR:
					x[c->offset] = 0.0;
					x[c->indicator] = 1.0;
					break;
				case MISSING_NATIVE:
					x[c->offset] = NAN;
					break;
				default:
					x[c->offset] = c->impute;
					break;
			}
		}
		else if (c->kind == FEATURE_DYNAMIC)
		{
			if (isnull[i])
				x[c->offset] = -1.0;
			else if (nums != NULL && cb->text_like)
				x[c->offset] = nums[i];	/* the row hash hashed these bytes */
			else
			{
				int			len;
				const char *s = featurespec_datum_text(cb, values[i], &len);

				x[c->offset] = featurespec_level_hash(s, len);
			}
		}
		else
		{
			int			level;

			for (int k = 0; k < c->width; k++)
				x[c->offset + k] = 0.0;
			if (isnull[i])
				level = c->null_level;
			else
			{
				int			len;
				const char *s = featurespec_datum_text(cb, values[i], &len);

				level = nums != NULL && cb->text_like ?
					levelmap_find_hashed(cb->map, s, len, (uint64) nums[i]) :
					levelmap_find(cb->map, s, len);
				if (level < 0)
					level = c->other_level;
			}
			/* unseen values (and the reference level) encode as zeros */
			if (level >= c->drop_first)
				x[c->offset + level - c->drop_first] = 1.0;
		}
	}
	return true;
}

/* ---------------------------------------------------------------------
 * The target
 * ---------------------------------------------------------------------
 */

typedef struct LabelSort
{
	char	   *label;
	double		value;
} LabelSort;

static int
label_cmp_numeric(const void *a, const void *b)
{
	double		x = ((const LabelSort *) a)->value;
	double		y = ((const LabelSort *) b)->value;

	return x < y ? -1 : x > y ? 1 : 0;
}

static int
label_cmp_text(const void *a, const void *b)
{
	return strcmp(((const LabelSort *) a)->label, ((const LabelSort *) b)->label);
}

/*
 * Fix the class order: numeric labels by value, booleans false before
 * true, anything else by byte order, so mldb.classes() is stable whatever
 * the frequencies.
 */
void
featurespec_set_classes(FeatureSpec *spec, char **labels, int n, Oid type)
{
	LabelSort  *ls = palloc(sizeof(LabelSort) * Max(n, 1));
	Oid			base = getBaseType(type);

	spec->classes_numeric = featurespec_numeric_conv(type) != NULL || base == BOOLOID;
	for (int k = 0; k < n; k++)
	{
		ls[k].label = labels[k];
		ls[k].value = base == BOOLOID ? (strcmp(labels[k], "true") == 0) : strtod(labels[k], NULL);
	}
	qsort(ls, n, sizeof(LabelSort), spec->classes_numeric ? label_cmp_numeric : label_cmp_text);
	spec->nclasses = n;
	spec->classes = palloc(sizeof(char *) * Max(n, 1));
	for (int k = 0; k < n; k++)
		spec->classes[k] = ls[k].label;
}

TargetBinding *
featurespec_bind_target(const FeatureSpec *spec, Oid type)
{
	TargetBinding *tb = palloc0(sizeof(TargetBinding));

	tb->conv = featurespec_numeric_conv(type);
	if (spec->nclasses > 0)
	{
		Oid			outfn;
		bool		varlena;
		Oid			base = getBaseType(type);

		tb->classes = palloc0(sizeof(ColumnBinding));
		tb->classes->text_like = base == TEXTOID || base == VARCHAROID;
		tb->classes->number_label = tb->conv;
		getTypeOutputInfo(type, &outfn, &varlena);
		fmgr_info(outfn, &tb->classes->outfn);
		tb->classes->map = levelmap_build(spec->classes, spec->nclasses);
		/* booleans have two texts: look them up once, not per row */
		if (base == BOOLOID)
		{
			tb->is_bool = true;
			tb->bool_class[0] = levelmap_find(tb->classes->map, "false", 5);
			tb->bool_class[1] = levelmap_find(tb->classes->map, "true", 4);
		}
	}
	else if (tb->conv == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target \"%s\" must be numeric, not %s", spec->target, format_type_be(type)),
				 errhint("Regression needs a numeric target.")));
	return tb;
}

/*
 * featurespec_encode of float8 arguments as a function call holds them
 * (args[i] for column i; every column numeric): straight from them while
 * they are present and finite, else through nums and isnull (ncols each)
 * the general way.
 */
bool
featurespec_encode_float8_args(const FeatureBinding *b, const NullableDatum *args,
							   bool *isnull, double *nums, double *x)
{
	const int	n = b->spec->ncols;
	int			i = 0;

	Assert(b->all_numeric);
	while (i < n && numeric_put(b, i, args[i].isnull, DatumGetFloat8(args[i].value), x))
		i++;
	if (i == n)
		return true;
	for (int k = 0; k < n; k++)
	{
		isnull[k] = args[k].isnull;
		nums[k] = isnull[k] ? 0.0 : DatumGetFloat8(args[k].value);
	}
	return featurespec_encode(b, NULL, isnull, nums, x);
}

/*
 * y: the target value, or the class index.  False (skip the row) for a
 * NULL or non-finite target and for a label outside the classes (which can
 * only be a hold-out row: the classes come from the training rows).
 */
bool
featurespec_encode_target(const TargetBinding *tb, Datum value, bool isnull, double *y)
{
	int			len;
	const char *s;
	int			k;

	if (isnull)
		return false;
	if (tb->is_bool)
	{
		k = tb->bool_class[DatumGetBool(value) ? 1 : 0];
		*y = k;
		return k >= 0;
	}
	if (tb->conv != NULL)
	{
		double		v = tb->conv(value);

		if (!isfinite(v))
			return false;
		if (tb->classes == NULL)
		{
			*y = v;
			return true;
		}
	}
	s = featurespec_datum_text(tb->classes, value, &len);
	k = levelmap_find(tb->classes->map, s, len);
	if (k < 0)
		return false;
	*y = k;
	return true;
}

/*
 * mldb._label_text(anyelement): a class label as the text its class is
 * named by (numbers by value, booleans as true/false), for the SQL that
 * compares actual labels with predicted classes.
 */
PG_FUNCTION_INFO_V1(mldb_label_text);

Datum
mldb_label_text(PG_FUNCTION_ARGS)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	NumericConv conv = featurespec_numeric_conv(type);
	Oid			outfn;
	bool		varlena;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (conv != NULL)
		PG_RETURN_TEXT_P(cstring_to_text(float8out_internal(conv(PG_GETARG_DATUM(0)))));
	if (getBaseType(type) == BOOLOID)
		PG_RETURN_TEXT_P(cstring_to_text(PG_GETARG_BOOL(0) ? "true" : "false"));
	getTypeOutputInfo(type, &outfn, &varlena);
	PG_RETURN_TEXT_P(cstring_to_text(OidOutputFunctionCall(outfn, PG_GETARG_DATUM(0))));
}
