/*-------------------------------------------------------------------------
 * lifecycle.c
 *	  SQL entry points that change a model's life: deploy and drop_model.
 *	  Each checks ownership, then makes one catalog change (catalog.c) in
 *	  the caller's transaction.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include "catalog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(mldb_deploy);
PG_FUNCTION_INFO_V1(mldb_drop_model);
PG_FUNCTION_INFO_V1(mldb_rollback);
PG_FUNCTION_INFO_V1(mldb_grant_predict);
PG_FUNCTION_INFO_V1(mldb_revoke_predict);
PG_FUNCTION_INFO_V1(mldb_check_owner);

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

/*
 * mldb.drop_model(model): the model and all its versions, and the pg_cron
 * job of mldb.schedule_retrain if the caller has one (it would fail every
 * time it ran).
 */
Datum
mldb_drop_model(PG_FUNCTION_ARGS)
{
	CatalogModel *m = catalog_require_model(model_arg(fcinfo));
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	catalog_check_owner(m, "drop");
	catalog_drop_model(m->name);

	SPI_connect();
	if (SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'", true, 0) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		values[0] = CStringGetTextDatum(psprintf("mldb_retrain_%s", m->name));
		SPI_execute_with_args("SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1",
							  1, types, values, NULL, false, 0);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * mldb.rollback(model): deploy the newest version older than the deployed
 * one; returns it.
 */
Datum
mldb_rollback(PG_FUNCTION_ARGS)
{
	CatalogModel *m = catalog_require_model(model_arg(fcinfo));
	int32		previous;

	catalog_check_owner(m, "roll back");
	previous = m->deployed_version > 0 ? catalog_previous_version(m->name, m->deployed_version) : 0;
	if (previous == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no version before %d to roll back to", m->name,
						m->deployed_version),
				 errhint("Deploy a version explicitly with SELECT mldb.deploy('%s', version).", m->name)));
	catalog_set_deployed(m->name, previous);
	PG_RETURN_INT32(previous);
}

/* The role argument of grant/revoke: a role name, or 'public' (0). */
static Oid
role_arg(FunctionCallInfo fcinfo)
{
	char	   *name;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role must not be NULL"),
				 errhint("Name a role, or public.")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (pg_strcasecmp(name, "public") == 0)
		return InvalidOid;
	return get_role_oid(name, false);
}

static Datum
set_predict_role(FunctionCallInfo fcinfo, bool grant)
{
	CatalogModel *m = catalog_require_model(model_arg(fcinfo));
	Oid			role = role_arg(fcinfo);

	catalog_check_owner(m, grant ? "grant predict on" : "revoke predict on");
	catalog_set_predict_role(m->name, role, grant);
	PG_RETURN_VOID();
}

/* mldb.grant_predict(model, role): role (or public) may predict */
Datum
mldb_grant_predict(PG_FUNCTION_ARGS)
{
	return set_predict_role(fcinfo, true);
}

/* mldb.revoke_predict(model, role) */
Datum
mldb_revoke_predict(PG_FUNCTION_ARGS)
{
	return set_predict_role(fcinfo, false);
}

/* mldb._check_owner(model, action): the SQL-level lifecycle functions' check */
Datum
mldb_check_owner(PG_FUNCTION_ARGS)
{
	CatalogModel *m = catalog_require_model(model_arg(fcinfo));

	catalog_check_owner(m, text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}
