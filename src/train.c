/*-------------------------------------------------------------------------
 * train.c
 *	  The training driver behind mldb.train() and CALL mldb.create_model():
 *	  validates the request, resolves the relation and its columns, builds
 *	  the feature spec, lets the algorithm run its passes, then stores the
 *	  new version and applies the deploy rule, all in the caller's
 *	  transaction (so a failed or cancelled training leaves nothing behind).
 *
 *	  Training runs with the caller's privileges: the passes are ordinary
 *	  queries over the relation, so table privileges and row level security
 *	  apply; only the catalog writes go through catalog.c.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <ctype.h>
#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "model.h"
#include "parser/parser.h"
#include "predict.h"
#include "profile.h"
#include "stats.h"
#include "train.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/varlena.h"

PG_FUNCTION_INFO_V1(mldb_train);
PG_FUNCTION_INFO_V1(mldb_update);
PG_FUNCTION_INFO_V1(mldb_from_clause);

#define DEFAULT_TEST_SIZE 0.25
#define DEFAULT_SEED 0
#define DEFAULT_MAX_CATEGORIES MLDB_DEFAULT_MAX_CATEGORIES
#define MLDB_MAX_CLASSES 1000

static bool
starts_with_keyword(const char *s, const char *kw)
{
	size_t		n = strlen(kw);

	return pg_strncasecmp(s, kw, n) == 0 && (s[n] == '\0' || isspace((unsigned char) s[n]) || s[n] == '(');
}

/* raw_parser, with a hint on syntax errors (the user's query, not ours) */
static List *
parse_relation_query(const char *q)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *stmts = NIL;

	PG_TRY();
	{
		stmts = raw_parser(q, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(e->sqlerrcode),
				 errmsg("relation query does not parse: %s", e->message),
				 errhint("Pass a table or view name, or one complete SELECT query.")));
	}
	PG_END_TRY();
	return stmts;
}

/*
 * A relation is a table/view name (possibly schema-qualified and quoted)
 * or a single SELECT/WITH/VALUES/TABLE query.  Names are resolved to an OID
 * and re-quoted, and a query must parse as exactly one statement, so
 * nothing in the string can smuggle a second statement into the passes.
 * Returns a FROM item aliased mldb_src.
 */
char *
mldb_resolve_relation(const char *relation)
{
	const char *s = relation;

	while (isspace((unsigned char) *s))
		s++;
	if (*s == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("relation must not be empty"),
				 errhint("Pass a table or view name, or a query such as 'SELECT ... FROM ...'.")));

	if (starts_with_keyword(s, "select") || starts_with_keyword(s, "with") ||
		starts_with_keyword(s, "values") || starts_with_keyword(s, "table") || *s == '(')
	{
		char	   *q = pstrdup(s);
		size_t		len = strlen(q);
		List	   *stmts;

		/* a trailing semicolon is harmless; drop it so the query can be wrapped */
		while (len > 0 && (isspace((unsigned char) q[len - 1]) || q[len - 1] == ';'))
			q[--len] = '\0';
		stmts = parse_relation_query(q);
		if (list_length(stmts) != 1 ||
			!IsA(((RawStmt *) linitial(stmts))->stmt, SelectStmt) ||
			((SelectStmt *) ((RawStmt *) linitial(stmts))->stmt)->lockingClause != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("relation query must be a single SELECT statement without FOR UPDATE/SHARE"),
					 errhint("Pass one read-only query, without a trailing second statement.")));
		/* a data-modifying WITH would fail later with a less helpful message */
		if (((SelectStmt *) ((RawStmt *) linitial(stmts))->stmt)->withClause != NULL)
		{
			ListCell   *lc;

			foreach(lc, ((SelectStmt *) ((RawStmt *) linitial(stmts))->stmt)->withClause->ctes)
				if (!IsA(((CommonTableExpr *) lfirst(lc))->ctequery, SelectStmt))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("relation query must not modify data"),
							 errhint("Training only reads: pass a SELECT whose WITH clauses are SELECTs too.")));
		}
		/* newlines so that a trailing -- comment cannot swallow the parenthesis */
		return psprintf("(\n%s\n) AS mldb_src", q);
	}
	else
	{
		char	   *copy = pstrdup(s);
		List	   *parts;
		RangeVar   *rv;
		Oid			relid;

		if (!SplitIdentifierString(copy, '.', &parts) || list_length(parts) > 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_NAME),
					 errmsg("invalid relation name: \"%s\"", relation),
					 errhint("Quote names that need it (for example '\"My Table\"'), or pass a query starting with SELECT.")));
		rv = makeRangeVarFromNameList(stringToQualifiedNameList(s));
		relid = RangeVarGetRelid(rv, AccessShareLock, true);
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s\" does not exist", relation),
					 errhint("Check the name and the search_path; names with capitals or spaces need double quotes: '\"My Table\"'.")));
		return psprintf("%s AS mldb_src",
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												   get_rel_name(relid)));
	}
}

/*
 * mldb._from_clause(relation): the resolved, quoted FROM item, for the SQL
 * functions (confusion_matrix, roc_curve) that build queries over a
 * user's relation.
 */
Datum
mldb_from_clause(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(mldb_resolve_relation(text_to_cstring(PG_GETARG_TEXT_PP(0)))));
}

/* The columns of a FROM item, as the passes will see them. */
TupleDesc
mldb_relation_columns(const char *from_sql)
{
	MemoryContext caller = CurrentMemoryContext;
	TupleDesc	desc;
	int			ret;

	SPI_connect();
	ret = SPI_execute(psprintf("SELECT * FROM %s LIMIT 0", from_sql), true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the columns of the relation (%d)", ret);
	{
		MemoryContext old = MemoryContextSwitchTo(caller);

		desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return desc;
}

static char *
column_list(TupleDesc desc)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped)
			appendStringInfo(&s, "%s%s", s.len ? ", " : "", NameStr(a->attname));
	}
	return s.data;
}

int
mldb_find_column(TupleDesc desc, const char *name, const char *role, const char *relation)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return i;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("%s column \"%s\" does not exist in \"%s\"", role, name, relation),
			 errhint("Available columns: %s.", column_list(desc))));
	return -1;					/* keep compiler quiet */
}

static void
check_model_name(const char *name)
{
	if (name[0] == '\0' || strchr(name, '@') != NULL || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model name \"%s\"", name),
				 errhint("Model names are 1 to %d characters and cannot contain '@' (it pins a version: 'model@3').",
						 NAMEDATALEN - 1)));
}

/* Feature names: as given, or every other numeric column. */
static List *
resolve_features(TupleDesc desc, ArrayType *arr, const char *target,
				 const char *relation, Oid **types_out)
{
	List	   *names = NIL;
	Oid		   *types;
	ListCell   *lc;
	int			i = 0;

	if (arr != NULL)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		for (int k = 0; k < n; k++)
		{
			char	   *f;

			if (nulls[k])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("features must not contain NULL"),
						 errhint("List column names, or pass NULL for every column but the target.")));
			f = TextDatumGetCString(elems[k]);
			foreach(lc, names)
				if (strcmp(strVal(lfirst(lc)), f) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_DUPLICATE_COLUMN),
							 errmsg("feature \"%s\" is listed twice", f),
							 errhint("List each feature column once.")));
			if (target != NULL && strcmp(f, target) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the target column \"%s\" cannot also be a feature", f),
						 errhint("Remove it from features.")));
			(void) mldb_find_column(desc, f, "feature", relation);
			names = lappend(names, makeString(f));
		}
	}
	else
	{
		for (int k = 0; k < desc->natts; k++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, k);

			if (a->attisdropped || (target != NULL && strcmp(NameStr(a->attname), target) == 0))
				continue;
			if (featurespec_numeric_conv(a->atttypid) != NULL ||
				featurespec_is_categorical_type(a->atttypid))
				names = lappend(names, makeString(pstrdup(NameStr(a->attname))));
		}
	}

	if (names == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no feature columns"),
				 errhint("Pass features => ARRAY['col', ...] naming numeric or text-like columns of the relation.")));
	if (list_length(names) > MLDB_MAX_COLUMNS - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many features: %d (at most %d)", list_length(names), MLDB_MAX_COLUMNS - 1),
				 errhint("Select fewer columns, or reduce them first (for example with pca).")));

	types = palloc(sizeof(Oid) * list_length(names));
	foreach(lc, names)
		types[i++] = TupleDescAttr(desc, mldb_find_column(desc, strVal(lfirst(lc)), "feature", relation))->atttypid;
	*types_out = types;
	return names;
}

/* A number from a metrics object, or NaN when absent. */
static double
metric_value(Jsonb *metrics, const char *key)
{
	JsonbValue	k;
	JsonbValue *v;

	if (metrics == NULL)
		return NAN;
	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	v = findJsonbValueFromContainer(&metrics->root, JB_FOBJECT, &k);
	if (v == NULL || v->type != jbvNumeric)
		return NAN;
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static bool
metrics_on_holdout(Jsonb *metrics)
{
	JsonbValue	k;
	JsonbValue *v;

	if (metrics == NULL)
		return false;
	k.type = jbvString;
	k.val.string.val = "split";
	k.val.string.len = 5;
	v = findJsonbValueFromContainer(&metrics->root, JB_FOBJECT, &k);
	return v != NULL && v->type == jbvString &&
		v->val.string.len == 7 && strncmp(v->val.string.val, "holdout", 7) == 0;
}

/*
 * Do the deployed version's features have the kinds the new one's have?
 * A deployed state that cannot be decoded (corrupted) must not block a
 * retraining, so the check runs in a subtransaction and, failing, defers
 * to the names, which matched.
 */
static bool
same_feature_kinds(const CatalogModel *old, const FeatureSpec *spec)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool same = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int32		v;
		MldbModel  *deployed = mldb_model_lookup(psprintf("%s@%d", old->name, old->deployed_version), &v);

		if (deployed->spec->ncols != spec->ncols)
			same = false;
		for (int i = 0; same && i < spec->ncols; i++)
			if (deployed->spec->cols[i].kind != spec->cols[i].kind)
				same = false;
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		if (e->sqlerrcode == ERRCODE_QUERY_CANCELED || e->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			PG_RE_THROW();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		same = true;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return same;
}

/*
 * The deploy rule.  "best": deploy when nothing is deployed, or when the
 * new version reads the same features and its hold-out score is no worse
 * than the deployed version's (on the algorithm's score metric).  When there is nothing comparable (no
 * hold-out on either side, a different metric, an algorithm without a
 * score), the newer version wins, with a NOTICE saying so.
 */
static bool
should_deploy(const char *rule, const CatalogModel *old, bool created,
			  const MldbAlgorithm *algo, const TrainOutput *out, List *new_features)
{
	Jsonb	   *old_metrics;
	double		old_score;
	double		new_score;
	bool		better;

	if (strcmp(rule, "always") == 0)
		return true;
	if (strcmp(rule, "never") == 0)
		return false;
	if (created || old->deployed_version == 0)
		return true;

	/*
	 * Callers of the deployed version pass its features (often by
	 * position): a version that reads other columns is never deployed
	 * behind their backs.
	 */
	if (!catalog_version_has_features(old->name, old->deployed_version, new_features) ||
		!same_feature_kinds(old, out->model->spec))
	{
		ereport(NOTICE,
				(errmsg("the new version reads other features than deployed version %d: not deployed",
						old->deployed_version),
				 errhint("Update the callers, then deploy it with SELECT mldb.deploy(model, version).")));
		return false;
	}

	old_metrics = catalog_version_jsonb(old->name, old->deployed_version, "metrics");
	old_score = algo->score_metric ? metric_value(old_metrics, algo->score_metric) : NAN;
	new_score = algo->score_metric ? metric_value(out->metrics, algo->score_metric) : NAN;
	if (out->scores_holdout && metrics_on_holdout(old_metrics) &&
		isnan(new_score) && !isnan(old_score))
	{
		/* an unscorable version (say a constant hold-out target) never replaces a scored one */
		ereport(NOTICE,
				(errmsg("new version has no %s on the hold-out split: deployed version %d is kept",
						algo->score_metric, old->deployed_version),
				 errhint("Deploy it anyway with SELECT mldb.deploy(model, version).")));
		return false;
	}
	if (!out->scores_holdout || !metrics_on_holdout(old_metrics) ||
		isnan(old_score) || isnan(new_score))
	{
		ereport(NOTICE,
				(errmsg("no hold-out scores to compare with version %d: deploying the new version",
						old->deployed_version),
				 errhint("Use the option \"deploy\": \"never\" to keep the deployed version.")));
		return true;
	}
	better = algo->score_higher_is_better ? new_score >= old_score : new_score <= old_score;
	if (!better)
		ereport(NOTICE,
				(errmsg("new version scores %s %g on the hold-out split, worse than deployed version %d (%g): not deployed",
						algo->score_metric, new_score, old->deployed_version, old_score),
				 errhint("Deploy it anyway with SELECT mldb.deploy(model, version).")));
	return better;
}

/*
 * Exact medians of the numeric features over the training rows, for
 * impute "median": one sort-based query (percentile_cont), run only when
 * that rule is asked for.
 */
static double *
training_medians(const TrainInput *in)
{
	const FeatureSpec *spec = in->spec;
	StringInfoData sql;
	double	   *med = palloc0(sizeof(double) * Max(spec->ncols, 1));
	int			k = 0;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	/* NaN and infinities are missing values, as everywhere else */
	for (int i = 0; i < spec->ncols; i++)
		if (spec->cols[i].kind == FEATURE_NUMERIC)
			appendStringInfo(&sql, "%spercentile_cont(0.5) WITHIN GROUP (ORDER BY "
							 "CASE WHEN abs(%s::pg_catalog.float8) < 'Infinity' THEN %s::pg_catalog.float8 END)",
							 k++ ? ", " : "", quote_identifier(spec->cols[i].name),
							 quote_identifier(spec->cols[i].name));
	appendStringInfo(&sql, " FROM %s WHERE true", in->from_sql);
	if (spec->target != NULL)
		appendStringInfo(&sql, " AND %s IS NOT NULL", quote_identifier(spec->target));
	if (in->test_size > 0)
		appendStringInfo(&sql, " AND mldb._split_unit(" INT64_FORMAT ", %s) >= %.17g",
						 in->seed, in->args_sql, in->test_size);
	SPI_connect();
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "median query failed");
	k = 0;
	for (int i = 0; i < spec->ncols; i++)
		if (spec->cols[i].kind == FEATURE_NUMERIC)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, ++k, &isnull);

			med[i] = isnull ? NAN : DatumGetFloat8(d);
		}
	SPI_finish();
	return med;
}

static void
all_null_column(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("feature column \"%s\" has no non-NULL value in the training rows", name),
			 errhint("Leave it out of features.")));
}

/* A classifier needs two classes in the training rows: labels, the n seen. */
void
train_check_classes(const FeatureSpec *spec, const char **labels, int n)
{
	if (n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("target \"%s\" has %s in the training rows", spec->target,
						n == 0 ? "no label" : psprintf("a single class (%s)", labels[0])),
				 errhint("A classifier needs at least two classes; check the relation or its WHERE clause.")));
}

/*
 * The classes of a classifier: the distinct labels of the training rows
 * (NULL and, for numeric labels, NaN are not labels: those rows are
 * skipped and counted).
 */
static void
set_classes(FeatureSpec *spec, const ColumnProfile *cp, Oid target_type)
{
	char	  **labels = palloc(sizeof(char *) * Max(cp->nlevels, 1));
	int			n = 0;
	bool		numeric = featurespec_numeric_conv(target_type) != NULL;

	for (int k = 0; k < cp->nlevels; k++)
		if (!numeric || isfinite(strtod(cp->levels[k], NULL)))
			labels[n++] = cp->levels[k];
	train_check_classes(spec, (const char **) labels, n);
	if (n > MLDB_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("target \"%s\" has %d classes, more than %d", spec->target, n, MLDB_MAX_CLASSES),
				 errhint("Is it really a class label? Group the rare ones in a query passed as relation, or use a regression.")));
	featurespec_set_classes(spec, labels, n, target_type);
}

/*
 * Fix the encoding of every feature (API.md "Common options"): the
 * profiling pass gives vocabularies and means; it is skipped when every
 * feature is numeric and the algorithm can take missing values as
 * indicators and derive the means from its own pass (the linear family),
 * or handles missing values itself (native_missing: the trees, unless the
 * option "impute" is given).  Returns feature_stats, or NULL when no
 * profile was made.
 */
static char *
prepare_features(TrainInput *in, const MldbAlgorithm *algo, Oid target_type, bool may_probe)
{
	FeatureSpec *spec = in->spec;
	const char *impute = opt_string(in->options, "impute", "mean");
	int			max_categories = (int) opt_int(in->options, "max_categories", DEFAULT_MAX_CATEGORIES);
	bool		mean = strcmp(impute, "mean") == 0;
	/* numeric NULLs as indicators, turned into NaN by the algorithm */
	bool		native = algo->native_missing && !opt_present(in->options, "impute");
	bool		has_numeric = false;
	Profile    *p = NULL;
	double	   *medians = NULL;
	int			off = spec->target != NULL ? 1 : 0;

	/*
	 * The linear family finds the categorical levels in its own moments
	 * pass (gram_resolve_levels): no profiling pass.  Not for impute drop,
	 * whose skipped rows the profile still counts, nor median (a pass of
	 * its own anyway).
	 */
	bool		one_pass = algo->deferred_impute && algo->task == MLDB_TASK_REGRESSION &&
		!native && (mean || strcmp(impute, "zero") == 0) &&
		featurespec_has_categorical(spec);

	(void) profile_take_stash();
	for (int i = 0; i < spec->ncols; i++)
		has_numeric |= spec->cols[i].kind == FEATURE_NUMERIC;

	/* a boolean label on numeric features: probe (MldbAlgorithm.probes_missing) */
	in->probing = may_probe && algo->probes_missing && mean && !native &&
		getBaseType(target_type) == BOOLOID && !featurespec_has_categorical(spec);
	if (in->probing)
	{
		char	   *bools[] = {"false", "true"};

		featurespec_set_classes(spec, bools, 2, target_type);
		for (int i = 0; i < spec->ncols; i++)
			spec->cols[i].missing = MISSING_DROP;
		featurespec_layout(spec);
		return NULL;
	}

	if (!one_pass &&
		(featurespec_has_categorical(spec) || algo->task == MLDB_TASK_CLASSIFICATION ||
		 (mean && has_numeric && !algo->deferred_impute && !native)))
	{
		/* profile the target (as a plain column) and the features */
		FeatureSpec *ps = palloc0(sizeof(FeatureSpec));

		ps->ncols = spec->ncols + off;
		ps->cols = palloc0(sizeof(FeatureColumn) * ps->ncols);
		if (off)
		{
			ps->cols[0].name = spec->target;
			ps->cols[0].kind = algo->task == MLDB_TASK_REGRESSION ? FEATURE_NUMERIC : FEATURE_CATEGORICAL;
			ps->cols[0].is_label = algo->task != MLDB_TASK_REGRESSION;
			ps->cols[0].missing = MISSING_IMPUTE;
			ps->cols[0].other_level = -1;
			ps->cols[0].null_level = -1;
		}
		memcpy(ps->cols + off, spec->cols, sizeof(FeatureColumn) * spec->ncols);
		featurespec_layout(ps);
		p = profile_run(ps, in->from_sql, in->args_sql, in->seed, in->test_size, off == 1);
	}
	if (strcmp(impute, "median") == 0 && has_numeric)
		medians = training_medians(in);
	if (algo->task == MLDB_TASK_CLASSIFICATION)
		set_classes(spec, &p->cols[0], target_type);

	for (int i = 0; i < spec->ncols; i++)
	{
		FeatureColumn *c = &spec->cols[i];

		if (c->kind == FEATURE_CATEGORICAL && one_pass)
		{
			c->kind = FEATURE_DYNAMIC;
			continue;
		}
		if (c->kind == FEATURE_CATEGORICAL)
		{
			profile_encode_column(c, &p->cols[i + off], max_categories, algo->onehot_drop_first);
			continue;
		}
		c->missing = MISSING_IMPUTE;
		if (native)
			c->missing = MISSING_INDICATOR;
		else if (strcmp(impute, "drop") == 0)
			c->missing = MISSING_DROP;
		else if (strcmp(impute, "zero") == 0)
			c->impute = 0.0;
		else if (medians != NULL)
		{
			if (isnan(medians[i]))
				all_null_column(c->name);
			c->impute = medians[i];
		}
		else if (p != NULL)
		{
			if (p->cols[i + off].n == 0)
				all_null_column(c->name);
			c->impute = p->cols[i + off].mean;
		}
		else
			c->missing = MISSING_INDICATOR;
	}
	featurespec_layout(spec);

	if (p != NULL)
	{
		JsonWriter	w;

		jw_init(&w);
		profile_write_json(&w, p);
		return DatumGetCString(DirectFunctionCall1(jsonb_out, JsonbPGetDatum(jw_finish(&w))));
	}
	return NULL;
}

/*
 * feature_stats: the profile (when one was made) and the distribution of
 * the sampled training rows and of the model's predictions on them.
 */
static Jsonb *
feature_stats(const char *profile_json, const FeatureSpec *pass_spec, const MldbModel *model,
			  const RowSample *sample)
{
	JsonWriter	w;

	jw_init(&w);
	if (profile_json != NULL)
		jw_raw(&w, "profile", profile_json);
	if (sample != NULL)
	{
		rowsample_sort((RowSample *) sample);
		jw_begin_object(&w, "sample");
		stats_write_sample_json(&w, pass_spec, model, sample);
		jw_end_object(&w);
	}
	return jw_finish(&w);
}

static char *
required_text(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what),
				 errhint("See SELECT mldb.train(model, algorithm, relation, target, features, options).")));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * Store a trained version and apply the deploy rule, in the caller's
 * transaction (so a failed or cancelled training leaves nothing): the
 * version row, its metrics (scored here by evaluating the stored version
 * when the algorithm did not score itself), the deployment.  Returns the
 * mldb.train_result row.
 */
static Datum
store_version(FunctionCallInfo fcinfo, const CatalogModel *spec, const CatalogModel *old,
			  TrainOutput *out, Jsonb *stats, instr_time start)
{
	CatalogVersion ver = {0};
	TupleDesc	result_desc;
	bool		created;
	bool		deployed;
	Datum		values[8];
	bool		nulls[8] = {0};

	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "mldb training functions must return a composite type");

	ver.version = catalog_begin_version(spec, &created);
	ver.model = spec->name;
	ver.algorithm = spec->algorithm;
	ver.rows_used = out->rows_used;
	ver.rows_skipped = out->rows_skipped;
	ver.metrics = out->metrics;
	ver.params = out->params;
	ver.options = spec->options;
	ver.state = model_serialize(out->model);
	ver.feature_stats = stats;
	ver.spec = spec;
	ver.training_info = out->training_info;
	ver.train_ms = mldb_elapsed_ms(start);
	catalog_insert_version(&ver);

	if (out->metrics == NULL && out->model->spec->target != NULL)
	{
		out->metrics = mldb_evaluate_version(spec->name, ver.version, NULL);
		if (out->metrics != NULL)
		{
			out->scores_holdout = metrics_on_holdout(out->metrics);
			catalog_set_version_metrics(spec->name, ver.version, out->metrics);
		}
	}

	deployed = should_deploy(opt_string(spec->options, "deploy", "best"), old, created,
							 out->model->algo, out, spec->features);
	if (deployed)
		catalog_set_deployed(spec->name, ver.version);

	values[0] = CStringGetTextDatum(spec->name);
	values[1] = Int32GetDatum(ver.version);
	values[2] = CStringGetTextDatum(spec->algorithm);
	values[3] = Int64GetDatum(out->rows_used);
	values[4] = Int64GetDatum(out->rows_skipped);
	values[5] = Float8GetDatum(ver.train_ms);
	values[6] = out->metrics ? JsonbPGetDatum(out->metrics) : (Datum) 0;
	nulls[6] = out->metrics == NULL;
	values[7] = BoolGetDatum(deployed);
	result_desc = BlessTupleDesc(result_desc);
	return HeapTupleGetDatum(heap_form_tuple(result_desc, values, nulls));
}

/*
 * mldb.update(model, relation): fold the rows of relation into the
 * deployed version of a model that keeps sufficient statistics, without
 * reading the old rows again, as a new version (deploy rule applies).
 */
Datum
mldb_update(PG_FUNCTION_ARGS)
{
	char	   *model_name = required_text(fcinfo, 0, "model");
	char	   *relation = required_text(fcinfo, 1, "relation");
	CatalogModel *cm = catalog_require_model(model_name);
	CatalogModel spec;
	MldbModel  *old_model;
	int32		version;
	TrainInput	in = {0};
	TrainOutput out = {0};
	TupleDesc	desc;
	StringInfoData args;
	instr_time	start;
	Jsonb	   *stats;

	INSTR_TIME_SET_CURRENT(start);
	catalog_check_owner(cm, "update");
	old_model = mldb_model_lookup(model_name, &version);
	if (old_model->algo->update == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" (%s) cannot be updated incrementally", model_name,
						old_model->algo->name),
				 errhint("The linear family, naive_bayes and kmeans can; use SELECT mldb.retrain('%s').",
						 model_name)));

	/* the new rows, read as the deployed version reads its training rows */
	in.from_sql = mldb_resolve_relation(relation);
	desc = mldb_relation_columns(in.from_sql);
	initStringInfo(&args);
	if (old_model->spec->target != NULL)
	{
		(void) mldb_find_column(desc, old_model->spec->target, "target", relation);
		appendStringInfoString(&args, quote_identifier(old_model->spec->target));
	}
	for (int i = 0; i < old_model->spec->ncols; i++)
	{
		(void) mldb_find_column(desc, old_model->spec->cols[i].name, "feature", relation);
		appendStringInfo(&args, "%s%s", args.len ? ", " : "",
						 quote_identifier(old_model->spec->cols[i].name));
	}
	in.args_sql = args.data;
	in.model_name = model_name;
	in.spec = old_model->spec;
	in.options = catalog_version_jsonb(model_name, version, "options");
	in.seed = opt_int(in.options, "seed", DEFAULT_SEED);
	in.test_size = opt_number(in.options, "test_size", DEFAULT_TEST_SIZE);

	/* a searched version refits with the setting its search chose */
	{
		Jsonb	   *info = catalog_version_jsonb(model_name, version, "training_info");
		JsonbValue	k;
		JsonbValue *best;

		k.type = jbvString;
		k.val.string.val = "best_params";
		k.val.string.len = 11;
		best = info ? findJsonbValueFromContainer(&info->root, JB_FOBJECT, &k) : NULL;
		if (best != NULL && best->type == jbvBinary)
			in.options = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(in.options),
															JsonbPGetDatum(JsonbValueToJsonb(best))));
	}

	out.model = palloc0(sizeof(MldbModel));
	out.model->algo = old_model->algo;
	out.model->spec = old_model->spec;
	pass_request_sample(MLDB_STATS_SAMPLE);
	old_model->algo->update(old_model, &in, &out);
	stats = feature_stats(NULL, in.spec, out.model, pass_take_sample());

	/*
	 * The new version describes the deployed one it extends (not the
	 * model's latest training, which may not be deployed) and keeps its
	 * relation: the hold-out split then covers old and new rows.
	 */
	spec = *cm;
	spec.algorithm = (char *) old_model->algo->name;
	spec.relation = catalog_version_relation(model_name, version);
	spec.target = old_model->spec->target;
	spec.features = NIL;
	for (int i = 0; i < old_model->spec->ncols; i++)
		spec.features = lappend(spec.features, makeString(old_model->spec->cols[i].name));
	spec.options = in.options;
	PG_RETURN_DATUM(store_version(fcinfo, &spec, cm, &out, stats, start));
}

/*
 * mldb.train(model, algorithm, relation, target, features, options)
 *   RETURNS mldb.train_result
 */
Datum
mldb_train(PG_FUNCTION_ARGS)
{
	char	   *model_name = required_text(fcinfo, 0, "model");
	char	   *algo_name = required_text(fcinfo, 1, "algorithm");
	char	   *relation = required_text(fcinfo, 2, "relation");
	char	   *target = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	ArrayType  *features_arr = PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4);
	Jsonb	   *options = PG_ARGISNULL(5) ? NULL : PG_GETARG_JSONB_P(5);
	const MldbAlgorithm *algo;
	TupleDesc	desc;
	List	   *features;
	Oid		   *feature_types;
	Oid			target_type = InvalidOid;
	TrainInput	in = {0};
	TrainOutput out = {0};
	CatalogModel spec = {0};
	CatalogModel old = {0};
	StringInfoData args;
	ListCell   *lc;
	instr_time	start;
	char	   *profile_json;
	Jsonb	   *stats;

	INSTR_TIME_SET_CURRENT(start);
	check_model_name(model_name);
	algo = algorithm_lookup(algo_name);
	if (options == NULL)
		options = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	options_validate(options, common_options, algo->options, algo->name);
	if (!algo->supports_search && (opt_present(options, "search") || opt_present(options, "cv")))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("algorithm %s does not support search or cv yet", algo->name),
				 errhint("The linear family and logistic_regression do; train one version per setting and compare them with mldb.evaluate.")));

	/* ownership first: a non-owner learns nothing by scanning first */
	if (catalog_get_model(model_name, &old))
		catalog_check_owner(&old, "retrain");

	in.from_sql = mldb_resolve_relation(relation);
	desc = mldb_relation_columns(in.from_sql);

	if (algo->task == MLDB_TASK_REGRESSION || algo->task == MLDB_TASK_CLASSIFICATION)
	{
		if (target == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("algorithm %s needs a target column", algo->name),
					 errhint("Pass target => 'column'.")));
		target_type = TupleDescAttr(desc, mldb_find_column(desc, target, "target", relation))->atttypid;
		if (algo->for_target != NULL)
			algo = algo->for_target(algo, options, target_type);
		if (algo->task == MLDB_TASK_CLASSIFICATION && featurespec_numeric_conv(target_type) == NULL &&
			!featurespec_is_categorical_type(target_type))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" has type %s, which cannot be a class label",
							target, format_type_be(target_type)),
					 errhint("Use a text, boolean, integer or numeric label; cast it in a query passed as relation.")));
		if (algo->task == MLDB_TASK_REGRESSION && featurespec_numeric_conv(target_type) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("target column \"%s\" has type %s, which is not numeric",
							target, format_type_be(target_type)),
					 errhint("Regression needs a numeric target; cast it in a query passed as relation.")));
	}
	else if (target != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("algorithm %s takes no target", algo->name),
				 errhint("Pass target => NULL; list the columns to use in features.")));
	features = resolve_features(desc, features_arr, target, relation, &feature_types);
	in.spec = featurespec_build(features, feature_types, target, target_type);

	initStringInfo(&args);
	if (target != NULL)
		appendStringInfoString(&args, quote_identifier(target));
	foreach(lc, features)
		appendStringInfo(&args, "%s%s", args.len ? ", " : "", quote_identifier(strVal(lfirst(lc))));
	in.args_sql = args.data;
	in.model_name = model_name;
	in.options = options;
	in.seed = opt_int(options, "seed", DEFAULT_SEED);
	in.test_size = opt_number(options, "test_size", DEFAULT_TEST_SIZE);
	/* twice when a probe (MldbAlgorithm.probes_missing) found a missing feature */
	for (bool may_probe = true;; may_probe = false)
	{
		profile_json = prepare_features(&in, algo, target_type, may_probe);
		out = (TrainOutput) {0};
		out.model = palloc0(sizeof(MldbModel));
		out.model->algo = algo;
		out.model->spec = in.spec;
		pass_request_sample(MLDB_STATS_SAMPLE);
		algo->train(&in, &out);
		if (!out.retry_with_profile)
			break;
	}
	if (out.spec != NULL)
		out.model->spec = out.spec;
	if (profile_json == NULL)
	{
		/* the linear family's one pass profiled the training rows itself */
		Profile    *p = profile_take_stash();

		if (p != NULL)
		{
			JsonWriter	w;

			jw_init(&w);
			profile_write_json(&w, p);
			profile_json = DatumGetCString(DirectFunctionCall1(jsonb_out, JsonbPGetDatum(jw_finish(&w))));
		}
	}
	stats = feature_stats(profile_json, in.spec, out.model, pass_take_sample());

	spec.name = model_name;
	spec.algorithm = (char *) algo->name;
	spec.task = (char *) mldb_task_name(algo->task);
	spec.relation = relation;
	spec.target = target;
	spec.features = features;
	spec.options = options;
	PG_RETURN_DATUM(store_version(fcinfo, &spec, &old, &out, stats, start));
}

double
mldb_elapsed_ms(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_MILLISEC(now);
}
