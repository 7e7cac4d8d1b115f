/*-------------------------------------------------------------------------
 * pass.h
 *	  A pass is one scan of the training relation through the aggregate
 *	  mldb._pass(ctx bytea, VARIADIC "any"), which PostgreSQL can run as a
 *	  Partial/Finalize Aggregate over parallel workers.  The aggregate owns
 *	  what every pass shares (decoding the context, converting arguments,
 *	  the deterministic split, NULL skipping, serialization framing); a
 *	  PassKind owns only its accumulator.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_PASS_H
#define MLDB_PASS_H

#include "featurespec.h"
#include "nodes/pg_list.h"

/* Kinds of accumulator; the number is stored in the context bytes. */
typedef enum PassKindId
{
	PASS_GRAM = 1,				/* centered moments of [x, y] per slot (gram.c) */
	PASS_PROFILE = 2,			/* per-column statistics, vocabularies (profile.c) */
	PASS_SAMPLE = 3,			/* bottom-k row sample + feature moments (sample.c) */
	PASS_KMEANS = 4,			/* one Lloyd step of k-means (algo_kmeans.c) */
	PASS_LOGISTIC = 5,			/* moments / Newton step sums of logistic regression (algo_logistic.c) */
	PASS_NB = 6,				/* per-class moments for naive bayes (algo_nb.c) */
	PASS_TREE_DATA = 7			/* binned training rows for trees (tree.c) */
} PassKindId;

/*
 * What a pass needs to know, shipped to every worker as a bytea constant.
 * Rows are split deterministically by a hash of their content: a row whose
 * unit value u (in [0,1)) is below test_size goes to the hold-out slot 0,
 * the others to training slots 1..nfolds (cross-validation folds).
 */
typedef struct PassCtx
{
	int32		kind;
	FeatureSpec *spec;
	int64		seed;
	double		test_size;
	int32		nfolds;
	bool		skip_holdout;	/* the kind never looks at hold-out rows */
	int32		sample_k;		/* also keep a bottom-k sample of training rows */
	int32		extra_len;		/* kind-specific parameters */
	char	   *extra;
} PassCtx;

#define PASS_HOLDOUT_SLOT 0
#define pass_nslots(ctx) (1 + (ctx)->nfolds)

typedef struct PassKind
{
	const char *name;
	bool		needs_rowhash;	/* uses the row hash even without a split */
	void	   *(*create) (const PassCtx *ctx);
	/*
	 * One row: its split slot, a 64-bit hash of its content (for
	 * deterministic sampling; independent of the split), its target (0
	 * when the model has none) and its encoded features.
	 */
	void		(*add) (void *acc, const PassCtx *ctx, int slot, uint64 rowhash,
						double y, const double *x);
	/*
	 * Optional: kinds that need the raw column values instead of the
	 * encoded vector (profiling) set this instead of add.  values/isnull
	 * hold one entry per spec column; b converts them.
	 */
	void		(*add_raw) (void *acc, const PassCtx *ctx, const FeatureBinding *b,
							int slot, uint64 rowhash, const Datum *values,
							const bool *isnull);
	/*
	 * Optional: add, but also given the row's raw feature values (one per
	 * spec column, after the target) and their binding; used instead of
	 * add when set (gram.c's FEATURE_DYNAMIC columns).
	 */
	void		(*add_full) (void *acc, const PassCtx *ctx, const FeatureBinding *b,
							 int slot, uint64 rowhash, double y, const double *x,
							 const Datum *values, const bool *isnull);
	void		(*merge) (void *acc, void *other, const PassCtx *ctx);
	void		(*write) (StringInfo buf, void *acc, const PassCtx *ctx);
	void	   *(*read) (BinReader *r, const PassCtx *ctx);
} PassKind;

struct RowSample;

typedef struct PassResult
{
	void	   *acc;			/* NULL when the relation had no rows */
	struct RowSample *sample;	/* with ctx->sample_k, else NULL */
	int64		rows_seen;
	int64		rows_skipped;	/* NULL or non-finite target/feature */
	int64		rows_missing;	/* ... of them, for a feature (MISSING_DROP) */
} PassResult;

extern PassResult pass_run(const PassCtx *ctx, const char *from_sql, const char *args_sql);

/*
 * The training driver asks for a sample of the encoded training rows
 * (feature_stats, drift monitoring) without each algorithm knowing: the
 * next pass_run of an algorithm kind carries it and keeps its result.
 */
extern void pass_request_sample(int k);
extern struct RowSample *pass_take_sample(void);
extern struct RowSample *pass_peek_sample(void);

/* Deterministic row split, shared with mldb._split_unit(). */
typedef struct RowHasher
{
	int			nargs;
	NumericConv *conv;			/* NULL for non-numeric types */
	int			nfloat8;		/* float8 (or domains over it): no dispatch */
	int		   *float8_cols;
	int			nother;			/* then the rest */
	int		   *other_cols;
	uint64	   *salt;			/* per column: mixed in with its position */
	int16	   *typlen;
	bool	   *typbyval;
	FmgrInfo  **labelout;		/* enums: hashed by label, not by OID */
} RowHasher;

extern RowHasher *rowhash_bind(const Oid *types, int nargs);
extern uint64 rowhash64(const RowHasher *h, int64 seed, const NullableDatum *args,
						Datum *values, bool *isnull, double *nums);
extern uint64 rowhash_sample_key(uint64 hash);

/* The row's split value in [0,1): its top 53 bits. */
static inline double
rowhash_unit(uint64 hash)
{
	/* < 2^53 as a signed integer too: one conversion instruction */
	return (double) (int64) (hash >> 11) * (1.0 / 9007199254740992.0);
}

/* The split slot of a row whose split value is u (PASS_HOLDOUT_SLOT, or a fold). */
static inline int
pass_slot_of(const PassCtx *ctx, double u)
{
	int			fold;

	/*
	 * Without folds, a select: a branch on the hold-out coin toss would be
	 * mispredicted for a quarter of the rows.
	 */
	if (ctx->nfolds == 1)
		return u < ctx->test_size ? PASS_HOLDOUT_SLOT : 1;
	if (u < ctx->test_size)
		return PASS_HOLDOUT_SLOT;
	fold = (int) ((u - ctx->test_size) / (1.0 - ctx->test_size) * ctx->nfolds);
	return 1 + Min(fold, ctx->nfolds - 1);
}

#endif
