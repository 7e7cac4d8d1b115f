/*-------------------------------------------------------------------------
 * evaluate.c
 *	  mldb.evaluate(model [, relation]): a version's metrics on its stored
 *	  hold-out split (the rows the training pass held out, selected again by
 *	  the same content hash through mldb._split_unit) or on any relation
 *	  holding the target and feature columns.  Each metric is a parallel
 *	  aggregate over mldb.predict* of each row, so the evaluation is an
 *	  ordinary (parallel) scan.  The training driver uses the same code for
 *	  the hold-out metrics of algorithms that cannot derive them from their
 *	  own passes (classifiers).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "catalog.h"
#include "executor/spi.h"
#include "model.h"
#include "predict.h"
#include "train.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

PG_FUNCTION_INFO_V1(mldb_evaluate);

/* ROC AUC one-vs-rest is computed for at most this many classes */
#define MAX_AUC_CLASSES 50

/*
 * One query returning one row; its columns stay in SPI memory.  Not
 * read_only: a new snapshot sees a version stored earlier in this
 * statement (training scores the version it has just stored).
 */
static void
run_one_row(const char *sql)
{
	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "evaluation query failed: %s", sql);
}

static double
getfloat8(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NAN : DatumGetFloat8(d);
}

static char *
classes_literal(const FeatureSpec *spec)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoString(&s, "ARRAY[");
	for (int k = 0; k < spec->nclasses; k++)
		appendStringInfo(&s, "%s%s", k ? ", " : "", quote_literal_cstr(spec->classes[k]));
	appendStringInfoString(&s, "]::pg_catalog.text[]");
	return s.data;
}

/*
 * Classifier metrics: accuracy, precision/recall/f1 (per class, macro,
 * weighted) from mldb._classification_metrics, log_loss, and ROC AUC
 * (binary: of the second class; multiclass: one-vs-rest macro over the
 * classes present with both outcomes).  Rows whose label is NULL (or NaN)
 * are left out, as at training.
 */
static Jsonb *
classifier_metrics(const MldbModel *model, const char *ref, const char *features,
				   const char *from_sql, const char *where)
{
	MemoryContext caller = CurrentMemoryContext;
	const FeatureSpec *spec = model->spec;
	int			K = spec->nclasses;
	char	   *cls = classes_literal(spec);
	StringInfoData src;
	StringInfoData sql;
	Jsonb	   *base;
	double		logloss;
	double	   *pos;
	double		n;
	JsonWriter	w;
	int			nauc = 0;
	double		auc_sum = 0;
	double		auc_binary = NAN;

	initStringInfo(&src);
	appendStringInfo(&src,
					 "(SELECT mldb_y, mldb.predict_class(%s, %s) AS mldb_c, "
					 "mldb.predict_proba(%s, %s) AS mldb_p "
					 "FROM (SELECT mldb._label_text(%s) AS mldb_y, * FROM %s%s) AS mldb_l "
					 "WHERE mldb_y IS NOT NULL AND mldb_y <> 'NaN') AS mldb_eval",
					 quote_literal_cstr(ref), features, quote_literal_cstr(ref), features,
					 quote_identifier(spec->target), from_sql, where);

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT mldb._classification_metrics(mldb_y, mldb_c), "
					 "avg(-ln(greatest(mldb_p[array_position(%s, mldb_y)], 1e-15))), count(*)::float8",
					 cls);
	for (int k = 0; k < K && K <= MAX_AUC_CLASSES; k++)
		appendStringInfo(&sql, ", count(*) FILTER (WHERE mldb_y = %s)::float8",
						 quote_literal_cstr(spec->classes[k]));
	appendStringInfo(&sql, " FROM %s", src.data);

	SPI_connect();
	run_one_row(sql.data);
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (isnull)
		{
			SPI_finish();
			return NULL;
		}
		{
			/* out of SPI's memory, which SPI_finish frees */
			MemoryContext old = MemoryContextSwitchTo(caller);

			base = DatumGetJsonbPCopy(d);
			MemoryContextSwitchTo(old);
		}
	}
	logloss = getfloat8(2);
	n = getfloat8(3);
	pos = palloc0(sizeof(double) * K);
	for (int k = 0; k < K && K <= MAX_AUC_CLASSES; k++)
		pos[k] = getfloat8(4 + k);

	/* AUC needs both outcomes: ask only for the classes that have them */
	resetStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT 0");
	for (int k = (K == 2 ? 1 : 0); k < K && K <= MAX_AUC_CLASSES; k++)
		if (pos[k] > 0 && pos[k] < n)
		{
			appendStringInfo(&sql, ", mldb.roc_auc(mldb_y = %s, mldb_p[%d])",
							 quote_literal_cstr(spec->classes[k]), k + 1);
			nauc++;
		}
	if (nauc > 0)
	{
		appendStringInfo(&sql, " FROM %s", src.data);
		run_one_row(sql.data);
		for (int i = 0; i < nauc; i++)
			auc_sum += getfloat8(2 + i);
		if (K == 2)
			auc_binary = auc_sum;
	}
	SPI_finish();

	jw_init(&w);
	jw_number(&w, "log_loss", logloss);
	if (K == 2)
		jw_number(&w, "roc_auc", auc_binary);
	else if (nauc > 0)
		jw_number(&w, "roc_auc_ovr_macro", auc_sum / nauc);
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(base),
											  JsonbPGetDatum(jw_finish(&w))));
}

/* Regression metrics (r2, rmse, mse, mae, explained_variance, n). */
static Jsonb *
regression_metrics(const MldbModel *model, const char *ref, const char *features,
				   const char *from_sql, const char *where)
{
	StringInfoData sql;
	Jsonb	   *result = NULL;
	MemoryContext caller = CurrentMemoryContext;
	bool		isnull;
	Datum		d;

	/* rows whose target is NULL or not finite were not trained on either */
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT mldb._regression_metrics(mldb_y, mldb.predict(%s, %s)) "
					 "FROM (SELECT %s::pg_catalog.float8 AS mldb_y, * FROM %s%s) AS mldb_eval "
					 "WHERE mldb_y <> 'NaN' AND abs(mldb_y) <> 'Infinity'",
					 quote_literal_cstr(ref), features,
					 quote_identifier(model->spec->target), from_sql, where);
	SPI_connect();
	run_one_row(sql.data);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		result = DatumGetJsonbPCopy(d);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return result;
}

/*
 * Metrics of version `version` of model `name` on relation, or (relation
 * NULL) on the hold-out split of the relation it was trained on; with no
 * hold-out (test_size 0) that is every row.  Adds "split".  NULL when no
 * row qualifies.
 */
Jsonb *
mldb_evaluate_version(const char *name, int32 version, const char *relation)
{
	char	   *ref = psprintf("%s@%d", name, version);
	int32		v;
	MldbModel  *model = mldb_model_lookup(ref, &v);
	bool		holdout = relation == NULL;
	const char *split = "relation";
	Jsonb	   *options;
	char	   *from_sql;
	TupleDesc	desc;
	StringInfoData features;
	StringInfoData cols;
	StringInfoData where;
	Jsonb	   *result;
	JsonWriter	w;

	if (model->spec->target == NULL && model->algo->evaluate == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" (%s) cannot be evaluated", name, model->algo->name),
				 errhint("Evaluation needs a supervised model, or kmeans.")));
	if (holdout)
		relation = catalog_version_relation(name, version);
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
	if (holdout)
	{
		double		test_size;

		options = catalog_version_jsonb(name, version, "options");
		test_size = opt_number(options, "test_size", 0.25);
		split = "train";
		if (test_size > 0)
		{
			appendStringInfo(&where, " WHERE mldb._split_unit(" INT64_FORMAT ", %s) < %.17g",
							 opt_int(options, "seed", 0), cols.data, test_size);
			split = "holdout";
		}
	}

	if (model->spec->target == NULL)
		result = model->algo->evaluate(model, from_sql, where.data, features.data);
	else if (model->spec->nclasses > 0)
		result = classifier_metrics(model, ref, features.data, from_sql, where.data);
	else
		result = regression_metrics(model, ref, features.data, from_sql, where.data);
	if (result == NULL)
		return NULL;

	jw_init(&w);
	jw_string(&w, "split", split);
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(result),
											  JsonbPGetDatum(jw_finish(&w))));
}

Datum
mldb_evaluate(PG_FUNCTION_ARGS)
{
	char	   *ref;
	char	   *name;
	int32		pinned;
	int32		version;
	char	   *relation;
	Jsonb	   *result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be NULL"),
				 errhint("SELECT mldb.evaluate('model') or mldb.evaluate('model', 'relation').")));
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	mldb_parse_model_ref(ref, &name, &pinned);
	(void) catalog_require_model(name);
	(void) mldb_model_lookup(ref, &version);
	relation = PG_NARGS() < 2 || PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	result = mldb_evaluate_version(name, version, relation);
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no rows to evaluate model \"%s\" on", name),
				 errhint("The relation (or its hold-out split) has no rows with a non-NULL target.")));
	catalog_log_evaluation(name, version, relation, result);
	PG_RETURN_JSONB_P(result);
}
