/*-------------------------------------------------------------------------
 * catalog.c
 *	  The only module that reads or writes mldb.models and
 *	  mldb.model_versions.
 *
 *	  PUBLIC cannot write the catalog (and cannot read model states), so
 *	  every access runs through SPI as the catalog's owner, with a fixed
 *	  search_path, after this module has checked the caller's right to do
 *	  what it asks (model ownership through role membership, as for any
 *	  PostgreSQL object).  A statement trigger on both tables sends a
 *	  relcache invalidation for mldb.models on every change, which the
 *	  predict cache of every backend listens to.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

typedef struct CatalogScope
{
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;
} CatalogScope;

Oid
catalog_models_relid(void)
{
	Oid			nsp = get_namespace_oid(MLDB_SCHEMA, true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("models", nsp) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("mldb catalog table mldb.models does not exist"),
				 errhint("Run CREATE EXTENSION mldb in this database.")));
	return relid;
}

static Oid
catalog_owner(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Enter SPI as the catalog owner with search_path = pg_catalog, so neither
 * the caller's privileges nor objects in the caller's schemas can change
 * what the catalog statements do.  Errors unwind all of it with the
 * (sub)transaction.
 */
static void
catalog_enter(CatalogScope *s)
{
	Oid			owner = catalog_owner(catalog_models_relid());

	SPI_connect();
	GetUserIdAndSecContext(&s->save_userid, &s->save_sec);
	SetUserIdAndSecContext(owner, s->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	s->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

static void
catalog_leave(CatalogScope *s)
{
	AtEOXact_GUC(true, s->nestlevel);
	SetUserIdAndSecContext(s->save_userid, s->save_sec);
	SPI_finish();
}

/*
 * mldb._catalog_changed(): statement trigger on both catalog tables.  Any
 * change (through mldb, a manual fix, a restore) empties every backend's
 * predict cache at its next statement; the message is sent at commit, so
 * other sessions never see a change that was rolled back.
 */
PG_FUNCTION_INFO_V1(mldb_catalog_changed);

Datum
mldb_catalog_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "mldb_catalog_changed: not called by trigger manager");
	CacheInvalidateRelcacheByRelid(catalog_models_relid());
	return PointerGetDatum(NULL);
}

/*
 * Reads run read_only only in parallel workers (which may not start a
 * command): elsewhere a fresh snapshot makes a version inserted earlier in
 * the same statement visible, as mldb.train's scoring of the version it
 * just stored needs.
 */
static int
catalog_exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
			 bool read_only)
{
	int			ret;

	read_only = read_only && IsInParallelMode();
	ret = SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0);

	if (ret < 0)
		elog(ERROR, "mldb catalog statement failed (%d): %s", ret, sql);
	return ret;
}

static char *
getstr(HeapTuple tup, TupleDesc desc, int col)
{
	char	   *s = SPI_getvalue(tup, desc, col);

	return s ? pstrdup(s) : NULL;
}

/* Copies a jsonb/bytea column out of SPI memory, NULL stays NULL. */
static void *
getvarlena(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	MemoryContext old;
	void	   *result;

	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(cxt);
	result = PG_DETOAST_DATUM_COPY(d);
	MemoryContextSwitchTo(old);
	return result;
}

static ArrayType *
text_list_array(List *names)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, names)
		elems[i++] = CStringGetTextDatum(strVal(lfirst(lc)));
	return construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT);
}

bool
catalog_get_model(const char *name, CatalogModel *out)
{
	CatalogScope s;
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	bool		found;

	catalog_enter(&s);
	catalog_exec("SELECT name, owner::oid, algorithm, task, relation, target, features, "
				 "options, deployed_version FROM mldb.models WHERE name = $1",
				 1, types, values, NULL, true);
	found = SPI_processed == 1;
	if (found)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(caller);
		bool		isnull;
		Datum		d;

		out->name = getstr(tup, desc, 1);
		out->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		out->algorithm = getstr(tup, desc, 3);
		out->task = getstr(tup, desc, 4);
		out->relation = getstr(tup, desc, 5);
		out->target = getstr(tup, desc, 6);
		out->features = NIL;
		d = SPI_getbinval(tup, desc, 7, &isnull);
		if (!isnull)
		{
			Datum	   *elems;
			bool	   *nulls;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &n);
			for (int i = 0; i < n; i++)
				out->features = lappend(out->features, makeString(TextDatumGetCString(elems[i])));
		}
		out->options = getvarlena(tup, desc, 8, caller);
		d = SPI_getbinval(tup, desc, 9, &isnull);
		out->deployed_version = isnull ? 0 : DatumGetInt32(d);
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&s);
	return found;
}

CatalogModel *
catalog_require_model(const char *name)
{
	CatalogModel *m = palloc0(sizeof(CatalogModel));

	if (!catalog_get_model(name, m))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name),
				 errhint("List models with SELECT name FROM mldb.models.")));
	return m;
}

/*
 * Owner, member of the owning role (has_privs_of_role), or superuser, who
 * can also clean up after a dropped owner role.
 */
void
catalog_check_owner(const CatalogModel *m, const char *action)
{
	if (superuser() || has_privs_of_role(GetUserId(), m->owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("must be owner of model \"%s\" to %s it", m->name, action),
			 errhint("The model is owned by role \"%s\"; ask a member of that role.",
					 GetUserNameFromId(m->owner, true) ? GetUserNameFromId(m->owner, true) : "(dropped)")));
}

/*
 * Create the model row or, for an existing model, check ownership and
 * record the new specification; then lock it (FOR UPDATE, so concurrent
 * trainings of one model take turns) and return the next version number.
 */
int32
catalog_begin_version(const CatalogModel *spec, bool *created)
{
	CatalogModel existing;
	CatalogScope s;
	int32		version;
	bool		isnull;
	Oid			types[8] = {TEXTOID, REGROLEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTARRAYOID, JSONBOID};
	Datum		values[8];
	char		nulls[8] = "        ";

	*created = !catalog_get_model(spec->name, &existing);
	if (!*created)
		catalog_check_owner(&existing, "retrain");

	values[0] = CStringGetTextDatum(spec->name);
	values[1] = ObjectIdGetDatum(GetUserId());
	values[2] = CStringGetTextDatum(spec->algorithm);
	values[3] = CStringGetTextDatum(spec->task);
	values[4] = CStringGetTextDatum(spec->relation);
	values[5] = spec->target ? CStringGetTextDatum(spec->target) : (Datum) 0;
	nulls[5] = spec->target ? ' ' : 'n';
	values[6] = PointerGetDatum(text_list_array(spec->features));
	values[7] = JsonbPGetDatum(spec->options);

	catalog_enter(&s);
	/* the owner is set on creation only; retraining keeps it */
	catalog_exec("INSERT INTO mldb.models AS m (name, owner, algorithm, task, relation, target, features, options) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
				 "ON CONFLICT (name) DO UPDATE SET algorithm = $3, task = $4, relation = $5, "
				 "target = $6, features = $7, options = $8",
				 8, types, values, nulls, false);
	catalog_exec("SELECT coalesce(max(v.version), 0) + 1 FROM "
				 "(SELECT name FROM mldb.models WHERE name = $1 FOR UPDATE) m "
				 "LEFT JOIN mldb.model_versions v ON v.model = m.name",
				 1, types, values, NULL, false);
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	catalog_leave(&s);
	return version;
}

void
catalog_insert_version(const CatalogVersion *v)
{
	CatalogScope s;
	Oid			types[16] = {TEXTOID, INT4OID, TEXTOID, NAMEOID, INT8OID, INT8OID, FLOAT8OID,
	JSONBOID, JSONBOID, JSONBOID, BYTEAOID, JSONBOID, TEXTOID, TEXTOID, TEXTARRAYOID, JSONBOID};
	Datum		values[16];
	char		nulls[16] = "                ";

	values[0] = CStringGetTextDatum(v->model);
	values[1] = Int32GetDatum(v->version);
	values[2] = CStringGetTextDatum(v->algorithm);
	values[3] = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetUserId(), false)));
	values[4] = Int64GetDatum(v->rows_used);
	values[5] = Int64GetDatum(v->rows_skipped);
	values[6] = Float8GetDatum(v->train_ms);
	values[7] = v->metrics ? JsonbPGetDatum(v->metrics) : (Datum) 0;
	nulls[7] = v->metrics ? ' ' : 'n';
	values[8] = v->params ? JsonbPGetDatum(v->params) : (Datum) 0;
	nulls[8] = v->params ? ' ' : 'n';
	values[9] = JsonbPGetDatum(v->options);
	values[10] = PointerGetDatum(v->state);
	values[11] = v->feature_stats ? JsonbPGetDatum(v->feature_stats) : (Datum) 0;
	nulls[11] = v->feature_stats ? ' ' : 'n';
	values[12] = CStringGetTextDatum(v->spec->relation);
	values[13] = v->spec->target ? CStringGetTextDatum(v->spec->target) : (Datum) 0;
	nulls[13] = v->spec->target ? ' ' : 'n';
	values[14] = PointerGetDatum(text_list_array(v->spec->features));
	values[15] = v->training_info ? JsonbPGetDatum(v->training_info) : (Datum) 0;
	nulls[15] = v->training_info ? ' ' : 'n';

	catalog_enter(&s);
	catalog_exec("INSERT INTO mldb.model_versions (model, version, algorithm, trained_by, rows_used, "
				 "rows_skipped, train_ms, metrics, params, options, state, feature_stats, "
				 "relation, target, features, training_info) "
				 "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
				 16, types, values, nulls, false);
	catalog_leave(&s);
}

void
catalog_set_deployed(const char *model, int32 version)
{
	CatalogScope s;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(model), Int32GetDatum(version)};

	catalog_enter(&s);
	catalog_exec("SELECT 1 FROM mldb.model_versions WHERE model = $1 AND version = $2",
				 2, types, values, NULL, false);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", model, version),
				 errhint("List its versions with SELECT version FROM mldb.model_versions WHERE model = '%s'.", model)));
	catalog_exec("UPDATE mldb.models SET deployed_version = $2 WHERE name = $1",
				 2, types, values, NULL, false);
	catalog_leave(&s);
}

/* One jsonb column (metrics, params, options) of a version; NULL if absent. */
Jsonb *
catalog_version_jsonb(const char *model, int32 version, const char *column)
{
	CatalogScope s;
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(model), Int32GetDatum(version)};
	Jsonb	   *result = NULL;
	char	   *sql = psprintf("SELECT %s FROM mldb.model_versions WHERE model = $1 AND version = $2",
							   quote_identifier(column));

	catalog_enter(&s);
	catalog_exec(sql, 2, types, values, NULL, true);
	if (SPI_processed == 1)
		result = getvarlena(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, caller);
	catalog_leave(&s);
	return result;
}

/* Record the metrics of a version (computed after it was stored). */
void
catalog_set_version_metrics(const char *model, int32 version, Jsonb *metrics)
{
	CatalogScope s;
	Oid			types[3] = {TEXTOID, INT4OID, JSONBOID};
	Datum		values[3] = {CStringGetTextDatum(model), Int32GetDatum(version), JsonbPGetDatum(metrics)};

	catalog_enter(&s);
	catalog_exec("UPDATE mldb.model_versions SET metrics = $3 WHERE model = $1 AND version = $2",
				 3, types, values, NULL, false);
	catalog_leave(&s);
}

/* The relation a version was trained on. */
char *
catalog_version_relation(const char *model, int32 version)
{
	CatalogScope s;
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(model), Int32GetDatum(version)};
	char	   *result = NULL;

	catalog_enter(&s);
	catalog_exec("SELECT relation FROM mldb.model_versions WHERE model = $1 AND version = $2",
				 2, types, values, NULL, true);
	if (SPI_processed == 1)
	{
		char	   *r = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		result = r ? MemoryContextStrdup(caller, r) : NULL;
	}
	catalog_leave(&s);
	if (result == NULL)
		elog(ERROR, "model \"%s\" version %d has no relation", model, version);
	return result;
}

/*
 * The state of a version (version > 0) or of the deployed version
 * (version = 0).  Read-only, so it runs inside parallel workers too.
 */
/*
 * May the current user predict with this model?  Its owner (or a member
 * of the owning role), a superuser, or a member of a role it was granted
 * to (mldb.grant_predict; 0 stands for PUBLIC).
 */
static bool
may_predict(Oid user, Oid owner, Datum roles, bool roles_null)
{
	if (superuser_arg(user) || has_privs_of_role(user, owner))
		return true;
	if (!roles_null)
	{
		ArrayType  *arr = DatumGetArrayTypeP(roles);
		Oid		   *r = (Oid *) ARR_DATA_PTR(arr);
		int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));

		for (int i = 0; i < n; i++)
			if (r[i] == InvalidOid || has_privs_of_role(user, r[i]))
				return true;
	}
	return false;
}

bytea *
catalog_fetch_state(const char *model, int32 version, int32 *version_out)
{
	CatalogScope s;
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(model), Int32GetDatum(version)};
	bytea	   *state = NULL;
	bool		model_exists;
	bool		allowed = false;
	bool		isnull;
	Oid			user = GetUserId();	/* before catalog_enter changes it */

	catalog_enter(&s);
	catalog_exec("SELECT m.deployed_version, v.version, v.state, m.owner::oid, "
				 "m.predict_roles::oid[] FROM mldb.models m "
				 "LEFT JOIN mldb.model_versions v ON v.model = m.name "
				 "AND v.version = CASE WHEN $2 > 0 THEN $2 ELSE m.deployed_version END "
				 "WHERE m.name = $1",
				 2, types, values, NULL, true);
	model_exists = SPI_processed == 1;
	if (model_exists)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		Datum		v = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		bool		roles_null;
		Datum		roles = SPI_getbinval(tup, SPI_tuptable->tupdesc, 5, &roles_null);

		allowed = may_predict(user, DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 4, &isnull)),
							  roles, roles_null);
		v = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		if (allowed && !isnull)
		{
			*version_out = DatumGetInt32(v);
			state = getvarlena(tup, SPI_tuptable->tupdesc, 3, caller);
		}
	}
	catalog_leave(&s);

	if (!model_exists)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", model),
				 errhint("List models with SELECT name FROM mldb.models.")));
	if (!allowed)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to predict with model \"%s\"", model),
				 errhint("Its owner can allow it with SELECT mldb.grant_predict('%s', role).", model)));
	if (state == NULL && version > 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", model, version),
				 errhint("List its versions with SELECT version FROM mldb.model_versions WHERE model = '%s'.", model)));
	if (state == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no deployed version", model),
				 errhint("Deploy one with SELECT mldb.deploy('%s', version), or pin one as '%s@version'.", model, model)));
	return state;
}

void
catalog_drop_model(const char *model)
{
	CatalogScope s;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(model)};

	catalog_enter(&s);
	catalog_exec("DELETE FROM mldb.model_versions WHERE model = $1", 1, types, values, NULL, false);
	catalog_exec("DELETE FROM mldb.models WHERE name = $1", 1, types, values, NULL, false);
	catalog_leave(&s);
}

/*
 * 'name' or 'name@version'.  Model names cannot contain '@' (a CHECK on
 * mldb.models), so the last '@' always starts a version.
 */
void
mldb_parse_model_ref(const char *ref, char **name, int32 *version)
{
	const char *at = strrchr(ref, '@');

	*version = 0;
	if (at == NULL)
	{
		*name = pstrdup(ref);
		return;
	}
	*name = pnstrdup(ref, at - ref);
	{
		char	   *end;
		long		v = strtol(at + 1, &end, 10);

		if (!isdigit((unsigned char) at[1]) || *end != '\0' || v <= 0 || v > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid model version in \"%s\"", ref),
					 errhint("Pin a version as 'model@3'; versions are positive integers.")));
		*version = (int32) v;
	}
}

/* mldb.grant_predict / revoke_predict: role 0 is PUBLIC. */
void
catalog_set_predict_role(const char *model, Oid role, bool grant)
{
	CatalogScope s;
	Oid			types[2] = {TEXTOID, OIDOID};
	Datum		values[2] = {CStringGetTextDatum(model), ObjectIdGetDatum(role)};

	catalog_enter(&s);
	catalog_exec(grant ?
				 "UPDATE mldb.models SET predict_roles = array_append(array_remove(predict_roles, $2::regrole), $2::regrole) WHERE name = $1" :
				 "UPDATE mldb.models SET predict_roles = array_remove(predict_roles, $2::regrole) WHERE name = $1",
				 2, types, values, NULL, false);
	catalog_leave(&s);
}

/*
 * The version deployed before the current one: the newest lower version,
 * or 0 when there is none.
 */
int32
catalog_previous_version(const char *model, int32 current)
{
	CatalogScope s;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2] = {CStringGetTextDatum(model), Int32GetDatum(current)};
	int32		result = 0;
	bool		isnull;
	Datum		d;

	catalog_enter(&s);
	catalog_exec("SELECT max(version) FROM mldb.model_versions WHERE model = $1 AND version < $2",
				 2, types, values, NULL, true);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		result = DatumGetInt32(d);
	catalog_leave(&s);
	return result;
}

/*
 * Log an evaluation in mldb.evaluations, so quality over time is a query.
 * Skipped in read-only transactions (a standby, or SET TRANSACTION READ
 * ONLY), where evaluating is still useful.
 */
void
catalog_log_evaluation(const char *model, int32 version, const char *relation, Jsonb *metrics)
{
	CatalogScope s;
	Oid			types[4] = {TEXTOID, INT4OID, TEXTOID, JSONBOID};
	Datum		values[4] = {CStringGetTextDatum(model), Int32GetDatum(version),
	(Datum) 0, JsonbPGetDatum(metrics)};
	char		nulls[4] = "    ";

	if (XactReadOnly || RecoveryInProgress() || IsInParallelMode())
		return;
	if (relation != NULL)
		values[2] = CStringGetTextDatum(relation);
	else
		nulls[2] = 'n';
	catalog_enter(&s);
	catalog_exec("INSERT INTO mldb.evaluations (model, version, relation, metrics, evaluated_by) "
				 "VALUES ($1, $2, $3, $4, current_user)",
				 4, types, values, nulls, false);
	catalog_leave(&s);
}

/* The export document of a model (see export.c). */
Jsonb *
catalog_export(const char *model, const char *format, int format_version)
{
	CatalogScope s;
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[3] = {TEXTOID, TEXTOID, INT4OID};
	Datum		values[3] = {CStringGetTextDatum(model), CStringGetTextDatum(format),
	Int32GetDatum(format_version)};
	Jsonb	   *result;

	catalog_enter(&s);
	catalog_exec("SELECT jsonb_build_object('format', $2, 'format_version', $3, "
				 "'model', jsonb_build_object('algorithm', m.algorithm, 'task', m.task, "
				 "  'relation', m.relation, 'target', m.target, 'features', to_jsonb(m.features), "
				 "  'options', m.options, 'deployed_version', m.deployed_version), "
				 "'versions', coalesce((SELECT jsonb_agg(jsonb_build_object("
				 "  'version', v.version, 'algorithm', v.algorithm, 'relation', v.relation, "
				 "  'target', v.target, 'features', to_jsonb(v.features), 'options', v.options, "
				 "  'trained_at', v.trained_at, 'rows_used', v.rows_used, "
				 "  'rows_skipped', v.rows_skipped, 'train_ms', v.train_ms, 'metrics', v.metrics, "
				 "  'params', v.params, 'feature_stats', v.feature_stats, "
				 "  'training_info', v.training_info, 'state', encode(v.state, 'base64')) "
				 "  ORDER BY v.version) FROM mldb.model_versions v WHERE v.model = m.name), '[]')) "
				 "FROM mldb.models m WHERE m.name = $1",
				 3, types, values, NULL, true);
	result = getvarlena(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, caller);
	catalog_leave(&s);
	return result;
}

/*
 * Create model `name`, owned by the caller, from an export document, with
 * all its versions and its deployment; returns the versions inserted
 * (CatalogVersionState), for the caller to check their states.
 */
List *
catalog_import(const char *name, Jsonb *doc)
{
	CatalogScope s;
	MemoryContext caller = CurrentMemoryContext;
	Oid			types[3] = {TEXTOID, REGROLEOID, JSONBOID};
	Datum		values[3] = {CStringGetTextDatum(name), ObjectIdGetDatum(GetUserId()),
	JsonbPGetDatum(doc)};
	List	   *states = NIL;
	bool		isnull;

	catalog_enter(&s);
	catalog_exec("INSERT INTO mldb.models (name, owner, algorithm, task, relation, target, features, options) "
				 "SELECT $1, $2, m->>'algorithm', m->>'task', m->>'relation', m->>'target', "
				 "  ARRAY(SELECT jsonb_array_elements_text(m->'features')), coalesce(m->'options', '{}') "
				 "FROM (SELECT $3->'model' AS m) d",
				 3, types, values, NULL, false);
	catalog_exec("INSERT INTO mldb.model_versions (model, version, algorithm, relation, target, features, "
				 "  options, trained_at, trained_by, rows_used, rows_skipped, train_ms, metrics, params, "
				 "  feature_stats, training_info, state) "
				 "SELECT $1, (v->>'version')::int, v->>'algorithm', v->>'relation', v->>'target', "
				 "  ARRAY(SELECT jsonb_array_elements_text(v->'features')), coalesce(v->'options', '{}'), "
				 "  (v->>'trained_at')::timestamptz, current_user, (v->>'rows_used')::bigint, "
				 "  (v->>'rows_skipped')::bigint, (v->>'train_ms')::float8, v->'metrics', v->'params', "
				 "  v->'feature_stats', v->'training_info', decode(v->>'state', 'base64') "
				 "FROM jsonb_array_elements($3->'versions') v",
				 3, types, values, NULL, false);
	catalog_exec("UPDATE mldb.models SET deployed_version = ($3->'model'->>'deployed_version')::int "
				 "WHERE name = $1 AND $3->'model'->>'deployed_version' IS NOT NULL",
				 3, types, values, NULL, false);
	/* versions, options that are an object, and the deployed version there */
	catalog_exec("SELECT (SELECT count(*) FROM mldb.model_versions v WHERE v.model = m.name), "
				 "jsonb_typeof(m.options) = 'object' AND (m.deployed_version IS NULL OR EXISTS "
				 "  (SELECT 1 FROM mldb.model_versions v WHERE v.model = m.name "
				 "   AND v.version = m.deployed_version)) "
				 "FROM mldb.models m WHERE m.name = $1",
				 1, types, values, NULL, false);
	if (DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the export has no versions")));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("its options are not an object, or it deploys a version it does not hold")));
	catalog_exec("SELECT version, algorithm, state FROM mldb.model_versions WHERE model = $1 ORDER BY version",
				 1, types, values, NULL, false);
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		for (uint64 i = 0; i < SPI_processed; i++)
		{
			CatalogVersionState *vs = palloc(sizeof(CatalogVersionState));
			HeapTuple	tup = SPI_tuptable->vals[i];
			char	   *algo = SPI_getvalue(tup, SPI_tuptable->tupdesc, 2);

			vs->version = DatumGetInt32(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
			vs->algorithm = algo ? pstrdup(algo) : NULL;
			vs->state = getvarlena(tup, SPI_tuptable->tupdesc, 3, caller);
			states = lappend(states, vs);
		}
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&s);
	return states;
}

/* Does version `version` of model read exactly these features, in order? */
bool
catalog_version_has_features(const char *model, int32 version, List *features)
{
	CatalogScope s;
	Oid			types[3] = {TEXTOID, INT4OID, TEXTARRAYOID};
	Datum		values[3] = {CStringGetTextDatum(model), Int32GetDatum(version),
	PointerGetDatum(text_list_array(features))};
	bool		same;
	bool		isnull;

	catalog_enter(&s);
	catalog_exec("SELECT count(*) FROM mldb.model_versions WHERE model = $1 AND version = $2 "
				 "AND features = $3",
				 3, types, values, NULL, true);
	same = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) == 1;
	catalog_leave(&s);
	return same;
}
