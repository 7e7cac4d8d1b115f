/*-------------------------------------------------------------------------
 * mldb.c
 *	  Module load: GUC namespace, BLAS threading, cache callbacks.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <cblas.h>

#include "fmgr.h"
#include "predict.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	/*
	 * Backends are processes and parallel query already spreads work over
	 * them; BLAS threads inside each would only fight over the same cores.
	 */
	openblas_set_num_threads(1);

	MarkGUCPrefixReserved("mldb");
	mldb_predict_init();
}
