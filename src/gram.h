/*-------------------------------------------------------------------------
 * gram.h
 *	  Centered second moments of z = [x, y] accumulated by one pass, per
 *	  split slot: the sufficient statistics of the linear family (and of
 *	  PCA's covariance).
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_GRAM_H
#define MLDB_GRAM_H

#include "pass.h"

typedef struct Moments
{
	int			m;				/* dimension of z: features, then target if any */
	double		n;				/* number of rows */
	double	   *mean;			/* m */
	double	   *M;				/* m x m row-major, sum of (z - mean)(z - mean)' */
} Moments;

extern Moments *gram_moments(void *acc, int first_slot, int last_slot);
extern Moments *gram_moments_except(void *acc, int first_slot, int last_slot, int except);
extern void moments_merge(Moments *a, const Moments *b);
extern void moments_merge_full(Moments *a, const Moments *b);
extern Moments *moments_copy(const Moments *mo);
extern void moments_write(StringInfo buf, const Moments *mo);
extern Moments *moments_read(BinReader *r, int m);
struct RowSample;
struct Profile;
extern FeatureSpec *gram_resolve_levels(void *acc, const FeatureSpec *pass_spec, int max_categories,
										bool drop_first, int nfolds, struct RowSample *sample,
										bool *rerun, struct Profile **profile);
extern FeatureSpec *gram_resolve_indicators(const FeatureSpec *spec, Moments **mo, int nmo);

#endif
