/*-------------------------------------------------------------------------
 * evaluate.c
 *	  mldb.evaluate(model [, relation]): the model's metrics on its stored
 *	  hold-out split (the rows the training pass held out, selected again
 *	  by the same content hash through mldb._split_unit) or on any relation
 *	  holding the target and feature columns.  One parallel-capable scan:
 *	  the metric aggregate over mldb.predict of each row.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include "catalog.h"
#include "executor/spi.h"
#include "model.h"
#include "predict.h"
#include "train.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(mldb_evaluate);

Datum
mldb_evaluate(PG_FUNCTION_ARGS)
{
	char	   *ref;
	char	   *name;
	char	   *relation;
	int32		pinned;
	int32		version;
	MldbModel  *model;
	Jsonb	   *options;
	char	   *from_sql;
	TupleDesc	desc;
	StringInfoData features;
	StringInfoData cols;
	StringInfoData where;
	StringInfoData sql;
	MemoryContext caller = CurrentMemoryContext;
	Jsonb	   *result = NULL;
	bool		holdout;
	bool		isnull;
	Datum		d;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL"),
				 errhint("SELECT mldb.evaluate('model') or mldb.evaluate('model', 'relation').")));
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	mldb_parse_model_ref(ref, &name, &pinned);
	(void) catalog_require_model(name);
	model = mldb_model_lookup(ref, &version);
	if (model->spec->target == NULL && model->algo->evaluate == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" (%s) cannot be evaluated", name, model->algo->name),
				 errhint("Evaluation needs a supervised model, or kmeans.")));

	holdout = PG_NARGS() < 2 || PG_ARGISNULL(1);
	relation = holdout ? catalog_version_relation(name, version) :
		text_to_cstring(PG_GETARG_TEXT_PP(1));
	from_sql = mldb_resolve_relation(relation);
	desc = mldb_relation_columns(from_sql);

	/* columns in training order (the split hashes them): target, features */
	if (model->spec->target != NULL)
		(void) mldb_find_column(desc, model->spec->target, "target", relation);
	initStringInfo(&features);
	for (int i = 0; i < model->spec->ncols; i++)
	{
		(void) mldb_find_column(desc, model->spec->cols[i].name, "feature", relation);
		appendStringInfo(&features, "%s%s", i ? ", " : "", quote_identifier(model->spec->cols[i].name));
	}
	initStringInfo(&cols);
	if (model->spec->target != NULL)
		appendStringInfo(&cols, "%s, ", quote_identifier(model->spec->target));
	appendStringInfoString(&cols, features.data);

	initStringInfo(&where);
	options = catalog_version_jsonb(name, version, "options");
	if (holdout)
	{
		double		test_size = opt_number(options, "test_size", 0.25);

		/* no hold-out (test_size 0): the training rows are all there is */
		if (test_size > 0)
			appendStringInfo(&where, " WHERE mldb._split_unit(" INT64_FORMAT ", %s) < %.17g",
							 opt_int(options, "seed", 0), cols.data, test_size);
	}

	if (model->spec->target == NULL)
		PG_RETURN_JSONB_P(model->algo->evaluate(model, from_sql, where.data, features.data));

	initStringInfo(&sql);
	/* rows whose target is NULL or not finite were not trained on either */
	appendStringInfo(&sql,
					 "SELECT mldb._regression_metrics(mldb_y, mldb.predict(%s, %s)) "
					 "FROM (SELECT %s::pg_catalog.float8 AS mldb_y, * FROM %s%s) AS mldb_eval "
					 "WHERE mldb_y <> 'NaN' AND abs(mldb_y) <> 'Infinity'",
					 quote_literal_cstr(psprintf("%s@%d", name, version)),
					 features.data, quote_identifier(model->spec->target),
					 from_sql, where.data);

	SPI_connect();
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "evaluation query failed: %s", sql.data);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no rows to evaluate model \"%s\" on", name),
				 errhint("The relation (or its hold-out split) has no rows with a non-NULL target and features.")));
	PG_RETURN_JSONB_P(result);
}
