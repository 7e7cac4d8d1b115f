/*-------------------------------------------------------------------------
 * featurespec.c
 *	  Feature specification: built once at training from the relation's
 *	  column types, stored inside the model state, and applied identically
 *	  by the training passes and by predict.  Each call site binds the spec
 *	  to its actual argument types once (a converter per column), so the
 *	  per-row work is one indirect call per column.
 *
 *	  Version 0.1 encodes numeric columns (smallint, integer, bigint, real,
 *	  double precision, numeric, boolean as 0/1); rows with a NULL feature
 *	  are skipped at training and predict to NULL.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "featurespec.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"

static double conv_float8(Datum d) { return DatumGetFloat8(d); }
static double conv_float4(Datum d) { return (double) DatumGetFloat4(d); }
static double conv_int2(Datum d) { return (double) DatumGetInt16(d); }
static double conv_int4(Datum d) { return (double) DatumGetInt32(d); }
static double conv_int8(Datum d) { return (double) DatumGetInt64(d); }
static double conv_bool(Datum d) { return DatumGetBool(d) ? 1.0 : 0.0; }

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
		case BOOLOID:
			return conv_bool;
		default:
			return NULL;
	}
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
		const char *name = strVal(lfirst(lc));

		if (featurespec_numeric_conv(feature_types[i]) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("feature column \"%s\" has type %s, which is not numeric",
							name, format_type_be(feature_types[i])),
					 errhint("Use numeric, integer, real, double precision or boolean feature columns, cast the column in a query passed as relation, or leave it out of features.")));
		spec->cols[i].name = pstrdup(name);
		spec->cols[i].kind = FEATURE_NUMERIC;
		spec->cols[i].offset = spec->dim;
		spec->cols[i].width = 1;
		spec->dim += 1;
		i++;
	}

	if (target != NULL)
	{
		if (featurespec_numeric_conv(target_type) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" has type %s, which is not numeric",
							target, format_type_be(target_type)),
					 errhint("Regression needs a numeric target; cast it in a query passed as relation.")));
		spec->target = pstrdup(target);
	}
	return spec;
}

void
featurespec_write(StringInfo buf, const FeatureSpec *spec)
{
	bin_write_int32(buf, spec->ncols);
	bin_write_int32(buf, spec->dim);
	for (int i = 0; i < spec->ncols; i++)
	{
		bin_write_string(buf, spec->cols[i].name);
		bin_write_int32(buf, spec->cols[i].kind);
		bin_write_int32(buf, spec->cols[i].offset);
		bin_write_int32(buf, spec->cols[i].width);
	}
	bin_write_int32(buf, spec->target != NULL);
	if (spec->target != NULL)
		bin_write_string(buf, spec->target);
}

/* Reads a spec and checks that its layout is self-consistent. */
FeatureSpec *
featurespec_read(BinReader *r)
{
	FeatureSpec *spec = palloc0(sizeof(FeatureSpec));
	int			offset = 0;

	spec->ncols = bin_read_int32(r);
	spec->dim = bin_read_int32(r);
	if (spec->ncols < 0 || spec->ncols > MLDB_MAX_COLUMNS * 16 || spec->dim < 0)
		bin_corrupted(r, "feature count out of range");
	spec->cols = palloc0(sizeof(FeatureColumn) * Max(spec->ncols, 1));
	for (int i = 0; i < spec->ncols; i++)
	{
		FeatureColumn *c = &spec->cols[i];

		c->name = bin_read_string(r);
		c->kind = bin_read_int32(r);
		c->offset = bin_read_int32(r);
		c->width = bin_read_int32(r);
		if (c->kind != FEATURE_NUMERIC || c->width != 1 || c->offset != offset)
			bin_corrupted(r, "inconsistent feature layout");
		offset += c->width;
	}
	if (offset != spec->dim)
		bin_corrupted(r, "feature widths do not add up to the dimension");
	if (bin_read_int32(r))
		spec->target = bin_read_string(r);
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

/*
 * Bind the spec to the types of the values a call site will pass, one per
 * spec column in spec order.  context names the caller in error messages.
 */
FeatureBinding *
featurespec_bind(const FeatureSpec *spec, const Oid *types, const char *context)
{
	FeatureBinding *b = palloc(sizeof(FeatureBinding));

	b->spec = spec;
	b->conv = palloc(sizeof(NumericConv) * Max(spec->ncols, 1));
	for (int i = 0; i < spec->ncols; i++)
	{
		b->conv[i] = featurespec_numeric_conv(types[i]);
		if (b->conv[i] == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s: feature \"%s\" must be numeric, not %s",
							context, spec->cols[i].name, format_type_be(types[i])),
					 errhint("Pass the features in the model's order: SELECT mldb.describe(model)->'features'.")));
	}
	return b;
}

/*
 * Encode one row into x[spec->dim].  Returns false when the row cannot be
 * encoded (a NULL or a non-finite value): the caller skips it.
 */
bool
featurespec_encode(const FeatureBinding *b, const Datum *values,
				   const bool *isnull, double *x)
{
	const FeatureSpec *spec = b->spec;

	for (int i = 0; i < spec->ncols; i++)
	{
		double		v;

		if (isnull[i])
			return false;
		v = b->conv[i] (values[i]);
		if (!isfinite(v))
			return false;
		x[spec->cols[i].offset] = v;
	}
	return true;
}
