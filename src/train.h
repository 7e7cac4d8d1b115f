/*-------------------------------------------------------------------------
 * train.h
 *	  Relation and column resolution shared by training and evaluation.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_TRAIN_H
#define MLDB_TRAIN_H

#include "mldb.h"
#include "access/tupdesc.h"

extern char *mldb_resolve_relation(const char *relation);
extern void train_check_classes(const FeatureSpec *spec, const char **labels, int n);
extern TupleDesc mldb_relation_columns(const char *from_sql);
extern Jsonb *mldb_evaluate_version(const char *name, int32 version, const char *relation);
extern int	mldb_find_column(TupleDesc desc, const char *name, const char *role,
							 const char *relation);

#endif
