/*-------------------------------------------------------------------------
 * featurespec.h
 *	  The feature specification: which columns a model reads, how each is
 *	  encoded into the dense vector the algorithms see (numeric value with
 *	  its missing-value rule, or one-hot over a vocabulary), and the binding
 *	  of a call site's actual argument types to that encoding.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_FEATURESPEC_H
#define MLDB_FEATURESPEC_H

#include "mldb.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "nodes/pg_list.h"

typedef enum FeatureKind
{
	FEATURE_NUMERIC = 1,
	FEATURE_CATEGORICAL = 2,
	FEATURE_DYNAMIC = 3			/* categorical whose levels the pass itself
								 * discovers (gram.c): one slot holding
								 * featurespec_level_hash of the value, -1
								 * for NULL; pass specs only */
} FeatureKind;

/* What a NULL (or non-finite) numeric value becomes. */
typedef enum MissingRule
{
	MISSING_IMPUTE = 1,			/* the constant impute */
	MISSING_DROP = 2,			/* the row is skipped (counted) */
	MISSING_INDICATOR = 3,		/* 0, and a 1 in slot indicator: lets an
								 * algorithm derive the impute value from
								 * the same pass (algo_linear.c) */
	MISSING_NATIVE = 4			/* NaN: the model handles missing values
								 * itself (the trees' missing bin); impute
								 * is NaN too, so code that substitutes
								 * impute for a missing value gets NaN */
} MissingRule;

typedef struct FeatureColumn
{
	char	   *name;
	int32		kind;			/* FeatureKind */
	int32		offset;			/* first slot in the encoded vector */
	int32		width;			/* number of slots it encodes to */
	/* numeric */
	int32		missing;		/* MissingRule */
	double		impute;
	int32		indicator;		/* slot of the missing flag (MISSING_INDICATOR) */
	/* categorical: one slot per level, but the first when drop_first */
	int32		nlevels;
	char	  **levels;
	int32		drop_first;		/* levels[0] is the reference, all zeros */
	int32		other_level;	/* level for values outside the vocabulary, or -1 */
	int32		null_level;		/* level for NULL, or -1 */
	bool		is_label;		/* profiling only: the class label column */
} FeatureColumn;

typedef struct FeatureSpec
{
	int32		ncols;
	FeatureColumn *cols;
	int32		dim;			/* length of the encoded vector */
	char	   *target;			/* NULL for unsupervised models */
	/* classification: the labels (as text) in class order, else 0 */
	int32		nclasses;
	char	  **classes;
	int32		classes_numeric;	/* labels are numbers or booleans */
} FeatureSpec;

typedef double (*NumericConv) (Datum d);

#define MLDB_OTHER_LEVEL "__other__"
#define MLDB_NULL_LEVEL "__null__"
#define MLDB_DEFAULT_MAX_CATEGORIES 100

extern NumericConv featurespec_numeric_conv(Oid typid);
extern bool featurespec_is_categorical_type(Oid typid);
extern FeatureSpec *featurespec_build(List *feature_names, const Oid *feature_types,
									  const char *target, Oid target_type);
extern void featurespec_layout(FeatureSpec *spec);
extern FeatureSpec *featurespec_copy(const FeatureSpec *spec);
extern void featurespec_write(StringInfo buf, const FeatureSpec *spec);
extern FeatureSpec *featurespec_read(BinReader *r);
extern int	featurespec_find(const FeatureSpec *spec, const char *name);
extern char *featurespec_slot_name(const FeatureSpec *spec, int slot);
extern bool featurespec_has_categorical(const FeatureSpec *spec);
extern bool featurespec_has_dynamic(const FeatureSpec *spec);
extern double featurespec_level_hash(const char *s, int len);

/*
 * The hash of a category's text, shared by the row hash (rowhash64 hashes
 * text/varchar bytes this way), the level maps and the level hash, so a
 * training pass hashes each text value once.
 */
static inline uint64
text_hash(const char *s, int len)
{
	return hash_bytes_extended((const unsigned char *) s, len, 0);
}

/* featurespec_level_hash from a text_hash: its low 52 bits, exact in a double */
static inline double
featurespec_level_hash_of(uint64 h)
{
	return (double) (int64) (h & ((UINT64CONST(1) << 52) - 1));	/* signed: one instruction */
}

/* A column bound to a call site's argument type. */
typedef struct LevelMap LevelMap;

typedef struct ColumnBinding
{
	NumericConv conv;			/* numeric columns */
	bool		text_like;		/* categorical: varlena text bytes as is */
	bool		is_cstring;		/* categorical: an untyped literal */
	bool		trim_blanks;	/* categorical: char(n) */
	NumericConv number_label;	/* class labels of a numeric type: by value */
	FmgrInfo	outfn;			/* categorical, other types: output function */
	LevelMap   *map;			/* categorical: level -> index */
} ColumnBinding;

typedef struct FeatureBinding
{
	const FeatureSpec *spec;
	ColumnBinding *cols;		/* one per spec column */
	/* every column numeric: featurespec_encode's loop over these arrays */
	bool		all_numeric;
	int32	   *offset;			/* ncols: the column's slot */
	int32	   *indicator;		/* ncols: its indicator slot, or -1 */
} FeatureBinding;

extern FeatureBinding *featurespec_bind(const FeatureSpec *spec, const Oid *types,
										const char *context);
extern const char *featurespec_datum_text(const ColumnBinding *cb, Datum d, int *len);
/*
 * A text-like datum as pg_detoast_datum_packed gives it, without its call
 * for the usual in-line value (per row, per text column).
 */
static inline struct varlena *
datum_packed(Datum d)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(d);

	return VARATT_IS_COMPRESSED(p) || VARATT_IS_EXTERNAL(p) ? pg_detoast_datum_packed(p) : p;
}

extern bool featurespec_encode(const FeatureBinding *b, const Datum *values,
							   const bool *isnull, const double *nums, double *x);
extern bool featurespec_encode_float8_args(const FeatureBinding *b, const NullableDatum *args,
										   bool *isnull, double *nums, double *x);

/* The target bound to its type: a number, or a class index. */
typedef struct TargetBinding
{
	NumericConv conv;			/* regression; also NaN checks of numeric labels */
	ColumnBinding *classes;		/* classification */
	bool		is_bool;		/* a boolean label: bool_class[v] is its class */
	int			bool_class[2];	/* -1: not a class */
} TargetBinding;

extern TargetBinding *featurespec_bind_target(const FeatureSpec *spec, Oid type);
extern bool featurespec_encode_target(const TargetBinding *tb, Datum value, bool isnull,
									  double *y);
extern void featurespec_set_classes(FeatureSpec *spec, char **labels, int n, Oid type);

#endif
