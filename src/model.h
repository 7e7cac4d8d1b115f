/*-------------------------------------------------------------------------
 * model.h
 *	  The algorithm interface, the decoded model, training options and the
 *	  stored binary state.  Adding an algorithm is one algo_*.c file and one
 *	  line in the registry (model.c).
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_MODEL_H
#define MLDB_MODEL_H

#include "featurespec.h"

struct MldbAlgorithm;

typedef struct MldbModel
{
	const struct MldbAlgorithm *algo;
	FeatureSpec *spec;
	void	   *params;			/* algorithm-specific, what predict needs */
} MldbModel;

/* Options --------------------------------------------------------------- */

typedef enum OptionType
{
	OPT_NUMBER,
	OPT_INTEGER,
	OPT_BOOL,
	OPT_STRING,
	OPT_OBJECT
} OptionType;

typedef struct OptionDef
{
	const char *name;
	OptionType	type;
	double		min;			/* numeric range, inclusive unless *_open */
	double		max;
	bool		min_open;
	bool		max_open;
	const char *const *choices; /* OPT_STRING: NULL-terminated allowed values */
} OptionDef;

extern void options_validate(Jsonb *options, const OptionDef *common,
							 const OptionDef *algo, const char *algo_name);
typedef struct SearchSetting
{
	Jsonb	   *params;			/* the searched values of this setting */
	Jsonb	   *options;		/* options with those values set */
} SearchSetting;

extern List *options_search_settings(Jsonb *options, const OptionDef *algo_defs,
									 const char *algo_name);
extern bool opt_present(Jsonb *options, const char *name);
extern double opt_number(Jsonb *options, const char *name, double dflt);
extern int64 opt_int(Jsonb *options, const char *name, int64 dflt);
extern bool opt_bool(Jsonb *options, const char *name, bool dflt);
extern const char *opt_string(Jsonb *options, const char *name, const char *dflt);

/* Training ------------------------------------------------------------- */

typedef struct TrainInput
{
	const char *model_name;
	FeatureSpec *spec;
	const char *from_sql;		/* "schema.table s" or "(query) s" */
	const char *args_sql;		/* quoted target and feature columns */
	Jsonb	   *options;
	int64		seed;
	double		test_size;
	bool		probing;		/* see MldbAlgorithm.probes_missing */
} TrainInput;

typedef struct TrainOutput
{
	FeatureSpec *spec;			/* the final spec, when the algorithm changed it */
	MldbModel  *model;
	int64		rows_used;
	int64		rows_skipped;
	Jsonb	   *params;			/* readable parameters for model_versions.params */
	Jsonb	   *metrics;		/* evaluation; see train.c for the hold-out rule */
	bool		scores_holdout; /* metrics are on the hold-out split */
	Jsonb	   *training_info;	/* iterations, search trials; may be NULL */
	bool		retry_with_profile; /* probing found a missing feature */
} TrainOutput;

typedef struct MldbAlgorithm
{
	const char *name;
	int32		id;				/* stored in model states: never reuse */
	MldbTask	task;
	const OptionDef *options;	/* algorithm-specific, {NULL} terminated */

	/*
	 * The metrics key the deploy rule "best" compares (NULL: nothing to
	 * compare, the newest version wins) and its direction.
	 */
	const char *score_metric;
	bool		score_higher_is_better;

	/*
	 * Encoding choices: drop the first level of categoricals (unpenalised
	 * linear models stay identified); numeric NULLs may reach the pass as
	 * MISSING_INDICATOR when the algorithm derives the impute value from
	 * its own moments, saving the profiling pass on numeric-only data.
	 */
	bool		onehot_drop_first;
	bool		deferred_impute;

	/*
	 * Missing values handled by the model (the trees' missing bin): unless
	 * the option "impute" is given, numeric NULLs reach the passes as
	 * MISSING_INDICATOR and the algorithm's final spec (TrainOutput.spec)
	 * makes them MISSING_NATIVE, NaN at predict.
	 */
	bool		native_missing;

	/*
	 * A classifier of a boolean label on numeric features needs no
	 * profiling pass when the algorithm can probe: the classes are false
	 * and true, and the features reach its first pass as MISSING_DROP
	 * (TrainInput.probing).  If that pass skipped a row for a missing
	 * feature (PassResult.rows_missing), the algorithm returns with
	 * retry_with_profile set and training starts again, profiled; else no
	 * value was missing and it sets the impute values, the training means
	 * from its own moments, in TrainOutput.spec.
	 */
	bool		probes_missing;
	bool		supports_search;	/* honours search/cv (else they are an error) */

	/*
	 * optional, for algorithms that do both regression and classification
	 * (the trees): the entry for the task this target asks for, given the
	 * options and the target column's type.  NULL: the task is fixed.
	 */
	const struct MldbAlgorithm *(*for_target) (const struct MldbAlgorithm *self,
											   Jsonb *options, Oid target_type);

	void		(*train) (const TrainInput *in, TrainOutput *out);

	/*
	 * optional: mldb.update.  in describes the new rows (in->spec is the
	 * old model's); out is filled as by train, from the old model's
	 * sufficient statistics plus the new rows'.
	 */
	void		(*update) (const MldbModel *old, const TrainInput *in, TrainOutput *out);

	/* regression value, cluster id, or a classifier's class index */
	double		(*predict) (const MldbModel *m, const double *x);
	/* classifiers: proba[spec->nclasses] in class order */
	void		(*predict_proba) (const MldbModel *m, const double *x, double *proba);
	void		(*write) (StringInfo buf, const MldbModel *m);
	void	   *(*read) (BinReader *r, const MldbModel *m);

	/*
	 * optional: mldb.explain: per-slot contributions that add up, with the
	 * base value, exactly to the prediction (for classifiers: of the
	 * predicted class's score, as the algorithm documents).
	 */
	void		(*explain) (const MldbModel *m, const double *x, double *contrib,
							double *base);

	/* optional: mldb.transform (PCA components, k-means distances) */
	int			(*transform_dim) (const MldbModel *m);
	void		(*transform) (const MldbModel *m, const double *x, double *out);

	/*
	 * optional: mldb.evaluate for models without a target.  from_sql is a
	 * FROM item (train.c), where_sql "" or " WHERE ..." selecting the rows,
	 * args_sql the quoted feature columns in spec order.
	 */
	Jsonb	   *(*evaluate) (const MldbModel *m, const char *from_sql,
							 const char *where_sql, const char *args_sql);
} MldbAlgorithm;

extern const MldbAlgorithm *algorithm_lookup(const char *name);
extern const OptionDef common_options[];

/* Stored state --------------------------------------------------------- */

extern bytea *model_serialize(const MldbModel *m);
extern MldbModel *model_deserialize(const char *data, Size len);

#endif
