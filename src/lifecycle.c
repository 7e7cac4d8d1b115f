/*-------------------------------------------------------------------------
 * lifecycle.c
 *	  SQL entry points that change a model's life: deploy and drop_model.
 *	  Each checks ownership, then makes one catalog change (catalog.c) in
 *	  the caller's transaction.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include "catalog.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(mldb_deploy);
PG_FUNCTION_INFO_V1(mldb_drop_model);

static char *
model_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL"),
				 errhint("Name a model listed in mldb.models.")));
	return text_to_cstring(PG_GETARG_TEXT_PP(0));
}

/* mldb.deploy(model, version) */
Datum
mldb_deploy(PG_FUNCTION_ARGS)
{
	CatalogModel *m = catalog_require_model(model_arg(fcinfo));

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("version must not be NULL"),
				 errhint("List versions with SELECT version FROM mldb.model_versions WHERE model = '%s'.", m->name)));
	catalog_check_owner(m, "deploy");
	catalog_set_deployed(m->name, PG_GETARG_INT32(1));
	PG_RETURN_VOID();
}

/* mldb.drop_model(model): the model and all its versions */
Datum
mldb_drop_model(PG_FUNCTION_ARGS)
{
	CatalogModel *m = catalog_require_model(model_arg(fcinfo));

	catalog_check_owner(m, "drop");
	catalog_drop_model(m->name);
	PG_RETURN_VOID();
}
