/*-------------------------------------------------------------------------
 * mldb.c
 *	  Module load: GUC namespace, BLAS threading, cache callbacks.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <cblas.h>

#include "fmgr.h"
#include "predict.h"
#include "tree.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

bool		mldb_explain_passes = false;
int			mldb_max_distinct = 10000;

void
_PG_init(void)
{
	/*
	 * Backends are processes and parallel query already spreads work over
	 * them; BLAS threads inside each would only fight over the same cores.
	 */
	openblas_set_num_threads(1);

	DefineCustomBoolVariable("mldb.explain_passes",
							 "Show the plan of every training pass as a NOTICE.",
							 "Tells whether a pass runs as a parallel Partial/Finalize Aggregate.",
							 &mldb_explain_passes, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("mldb.max_distinct",
							"Most distinct values a categorical feature may have.",
							"A column with more is rejected at training: it is an identifier, not a category.",
							&mldb_max_distinct, 10000, 2, 1000000, PGC_USERSET, 0,
							NULL, NULL, NULL);
	mldb_tree_init();
	MarkGUCPrefixReserved("mldb");
	mldb_predict_init();
}
