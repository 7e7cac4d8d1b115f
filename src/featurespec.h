/*-------------------------------------------------------------------------
 * featurespec.h
 *	  The feature specification: which columns a model reads, how each is
 *	  encoded into the dense vector the algorithms see, and the binding of
 *	  a call site's actual argument types to that encoding.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_FEATURESPEC_H
#define MLDB_FEATURESPEC_H

#include "mldb.h"
#include "nodes/pg_list.h"

typedef enum FeatureKind
{
	FEATURE_NUMERIC = 1
} FeatureKind;

typedef struct FeatureColumn
{
	char	   *name;
	int32		kind;			/* FeatureKind */
	int32		offset;			/* first slot in the encoded vector */
	int32		width;			/* number of slots it encodes to */
} FeatureColumn;

typedef struct FeatureSpec
{
	int32		ncols;
	FeatureColumn *cols;
	int32		dim;			/* length of the encoded vector */
	char	   *target;			/* NULL for unsupervised models */
} FeatureSpec;

typedef double (*NumericConv) (Datum d);

extern NumericConv featurespec_numeric_conv(Oid typid);
extern FeatureSpec *featurespec_build(List *feature_names, const Oid *feature_types,
									  const char *target, Oid target_type);
extern void featurespec_write(StringInfo buf, const FeatureSpec *spec);
extern FeatureSpec *featurespec_read(BinReader *r);
extern int	featurespec_find(const FeatureSpec *spec, const char *name);

/* A spec bound to the argument types of one call site. */
typedef struct FeatureBinding
{
	const FeatureSpec *spec;
	NumericConv *conv;			/* one per spec column */
} FeatureBinding;

extern FeatureBinding *featurespec_bind(const FeatureSpec *spec, const Oid *types,
										const char *context);
extern bool featurespec_encode(const FeatureBinding *b, const Datum *values,
							   const bool *isnull, double *x);

#endif
