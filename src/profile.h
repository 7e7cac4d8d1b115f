/*-------------------------------------------------------------------------
 * profile.h
 *	  The profiling pass (pass 0): per-column statistics of the training
 *	  rows, which fix the encoding (vocabularies, impute values) and are
 *	  stored with the version as feature_stats.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_PROFILE_H
#define MLDB_PROFILE_H

#include "pass.h"

typedef struct ColumnProfile
{
	const char *name;
	int			kind;			/* FeatureKind */
	double		n;				/* non-NULL values */
	double		nulls;
	double		mean;			/* numeric */
	double		var;			/* population variance */
	double		min;
	double		max;
	int			nlevels;		/* categorical: distinct values, by count desc */
	char	  **levels;
	double	   *counts;
} ColumnProfile;

typedef struct Profile
{
	int			ncols;
	ColumnProfile *cols;
} Profile;

extern Profile *profile_run(const FeatureSpec *spec, const char *from_sql,
							const char *args_sql, int64 seed, double test_size,
							bool first_is_target);
extern void profile_encode_column(FeatureColumn *c, const ColumnProfile *cp,
								  int max_categories, bool drop_first);
extern void profile_write_json(JsonWriter *w, const Profile *p);

/*
 * A profile made without a profiling pass (gram_resolve_levels) handed to
 * the training driver for feature_stats; taking it clears it.
 */
extern void profile_stash(Profile *p);
extern Profile *profile_take_stash(void);

#endif
