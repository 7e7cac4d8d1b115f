/*-------------------------------------------------------------------------
 * export.c
 *	  mldb.export_model / mldb.import_model: a model and all its versions
 *	  as one jsonb document, to move models between databases or keep them
 *	  outside one.  Format "mldb-model" version 1:
 *	    {"format": "mldb-model", "format_version": 1,
 *	     "model": {algorithm, task, relation, target, features, options,
 *	               deployed_version},
 *	     "versions": [{version, algorithm, relation, target, features,
 *	                   options, trained_at, rows_used, rows_skipped,
 *	                   train_ms, metrics, params, feature_stats,
 *	                   training_info, state (base64 of the binary state)}]}
 *	  Import checks every state (magic, format, checksum, decoding) before
 *	  anything is visible, in the caller's transaction.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include "catalog.h"
#include "model.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(mldb_export_model);
PG_FUNCTION_INFO_V1(mldb_import_model);

#define EXPORT_FORMAT "mldb-model"
#define EXPORT_FORMAT_VERSION 1

Datum
mldb_export_model(PG_FUNCTION_ARGS)
{
	CatalogModel *m = catalog_require_model(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	/* the document carries the model states: its owner decides who gets it */
	catalog_check_owner(m, "export");
	PG_RETURN_JSONB_P(catalog_export(m->name, EXPORT_FORMAT, EXPORT_FORMAT_VERSION));
}

Datum
mldb_import_model(PG_FUNCTION_ARGS)
{
	char	   *name;
	Jsonb	   *doc;
	CatalogModel existing;
	List	   *states;
	ListCell   *lc;
	JsonbValue	k;
	JsonbValue *v;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name and document must not be NULL"),
				 errhint("SELECT mldb.import_model('name', mldb.export_model('other')).")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	doc = PG_GETARG_JSONB_P(1);
	if (name[0] == '\0' || strchr(name, '@') != NULL || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model name \"%s\"", name),
				 errhint("Model names are 1 to %d characters and cannot contain '@'.", NAMEDATALEN - 1)));
	if (catalog_get_model(name, &existing))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("model \"%s\" already exists", name),
				 errhint("Import under another name, or drop it first with mldb.drop_model.")));

	k.type = jbvString;
	k.val.string.val = "format";
	k.val.string.len = 6;
	v = JB_ROOT_IS_OBJECT(doc) ? findJsonbValueFromContainer(&doc->root, JB_FOBJECT, &k) : NULL;
	if (v == NULL || v->type != jbvString || v->val.string.len != strlen(EXPORT_FORMAT) ||
		strncmp(v->val.string.val, EXPORT_FORMAT, v->val.string.len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not an mldb model export"),
				 errhint("Pass the jsonb that mldb.export_model returned.")));
	k.val.string.val = "format_version";
	k.val.string.len = 14;
	v = findJsonbValueFromContainer(&doc->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvNumeric ||
		DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric))) != EXPORT_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("unsupported mldb export format version"),
				 errhint("This mldb reads format_version %d.", EXPORT_FORMAT_VERSION)));

	/*
	 * Insert, then check every stored state decodes and is the algorithm
	 * the document says: an error undoes it all.  A document the catalog's
	 * constraints refuse is reported as an invalid export.
	 */
	{
		MemoryContext cxt = CurrentMemoryContext;

		PG_TRY();
		{
			states = catalog_import(name, doc);
		}
		PG_CATCH();
		{
			ErrorData  *e;

			MemoryContextSwitchTo(cxt);
			e = CopyErrorData();
			if (e->sqlerrcode == ERRCODE_QUERY_CANCELED)
				PG_RE_THROW();
			FlushErrorState();
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid mldb model export: %s", e->message),
					 errhint("Pass the jsonb that mldb.export_model returned, unmodified.")));
		}
		PG_END_TRY();
	}
	if (states == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("mldb model export has no versions"),
				 errhint("Pass the jsonb that mldb.export_model returned, unmodified.")));
	foreach(lc, states)
	{
		CatalogVersionState *vs = (CatalogVersionState *) lfirst(lc);
		MldbModel  *m = model_deserialize(VARDATA_ANY(vs->state), VARSIZE_ANY_EXHDR(vs->state));

		if (vs->algorithm == NULL || strcmp(m->algo->name, vs->algorithm) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("version %d of the export is a %s model, not %s", vs->version,
							m->algo->name, vs->algorithm ? vs->algorithm : "(none)"),
					 errhint("Pass the jsonb that mldb.export_model returned, unmodified.")));
	}
	PG_RETURN_INT32(list_length(states));
}
