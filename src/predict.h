/*-------------------------------------------------------------------------
 * predict.h
 *	  The per-backend cache of decoded models and the predict functions.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_PREDICT_H
#define MLDB_PREDICT_H

#include "model.h"

extern void mldb_predict_init(void);
extern MldbModel *mldb_model_lookup(const char *ref, int32 *version);

#endif
