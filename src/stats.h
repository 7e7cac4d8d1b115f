/*-------------------------------------------------------------------------
 * stats.h
 *	  The training distribution a version keeps for drift monitoring.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_STATS_H
#define MLDB_STATS_H

#include "model.h"
#include "sample.h"

#define MLDB_STATS_SAMPLE 2000
#define MLDB_STATS_PERCENTILES 101

extern void stats_write_sample_json(JsonWriter *w, const FeatureSpec *pass_spec,
									const MldbModel *model, const RowSample *sample);
extern void stats_percentiles(double *v, int n, double *out);
extern void stats_final_row(const FeatureSpec *pass_spec, const FeatureSpec *final_spec,
							const double *x, double *out);

#endif
