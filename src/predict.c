/*-------------------------------------------------------------------------
 * predict.c
 *	  mldb.predict(model, VARIADIC "any"): serving inside ordinary queries.
 *
 *	  Two caches make a prediction cost little more than the arithmetic:
 *	  - per backend, a hash from 'model' or 'model@N' to the decoded model,
 *	    filled by one catalog read and emptied by a relcache invalidation of
 *	    mldb.models, which every catalog write sends (catalog.c): a deploy
 *	    in another session is seen by this session's next statement;
 *	  - per call site (fn_extra), the argument layout and its converters,
 *	    chosen once from the argument types.
 *	  The invalidation callback only marks the cache stale; the next lookup
 *	  starts a new cache and hands the old one to the transaction, which
 *	  frees it at its end: a model pointer stays valid for the whole
 *	  transaction that obtained it, whatever the catalog does meanwhile.
 *
 *	  The argument forms: one composite (columns matched by name), one
 *	  numeric array (positional), one jsonb object (keys by name), or the
 *	  features as separate arguments in the model's order.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "predict.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(mldb_predict);
PG_FUNCTION_INFO_V1(mldb_transform);
PG_FUNCTION_INFO_V1(mldb_explain);
PG_FUNCTION_INFO_V1(mldb_predict_class);
PG_FUNCTION_INFO_V1(mldb_predict_proba);
PG_FUNCTION_INFO_V1(mldb_predict_proba_class);
PG_FUNCTION_INFO_V1(mldb_classes);

#define MODEL_REF_LEN (NAMEDATALEN + 32)

typedef struct ModelCacheEntry
{
	char		ref[MODEL_REF_LEN];	/* hash key */
	int32		version;
	MldbModel  *model;
} ModelCacheEntry;

static MemoryContext cache_cxt = NULL;
static HTAB *model_cache = NULL;
static bool cache_stale = false;
static uint64 cache_generation = 1;

typedef enum ArgMode
{
	ARGS_POSITIONAL,
	ARGS_ROW,
	ARGS_ARRAY,
	ARGS_JSONB
} ArgMode;

/* What a call site remembers between rows. */
typedef struct CallSite
{
	MemoryContext cxt;			/* everything below, reset on rebind */
	uint64		generation;
	char	   *ref;
	MldbModel  *model;
	ArgMode		mode;
	FeatureBinding *binding;
	Oid			rowtype;		/* ARGS_ROW: the row type bound */
	int32		rowtypmod;
	TupleDesc	rowdesc;
	int		   *attnum;			/* ARGS_ROW: column index per spec column */
	Oid			elemtype;		/* ARGS_ARRAY */
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	Datum	   *values;
	bool	   *isnull;
	bool		ref_constant;	/* the model argument is the same on every row */
	Oid			user;			/* bound for this role: SET ROLE rebinds */
	bool		class_arg;		/* predict_proba(model, row, 'class') */
	bool		allow_class_arg;
	Datum	   *fvalues;		/* ARGS_ROW: the feature columns picked out */
	bool	   *fnull;
	double	   *nums;			/* ARGS_POSITIONAL, all float8 into numeric
								 * features: the values, unconverted */
	double	   *x;
} CallSite;

/* mldb.models, once known; any relcache reset (InvalidOid) counts too */
static Oid	models_relid = InvalidOid;

static void
model_cache_callback(Datum arg, Oid relid)
{
	if (model_cache != NULL && (relid == InvalidOid || relid == models_relid))
	{
		cache_stale = true;
		cache_generation++;
	}
}

void
mldb_predict_init(void)
{
	CacheRegisterRelcacheCallback(model_cache_callback, (Datum) 0);
}

static void
model_cache_reset(void)
{
	HASHCTL		ctl;

	/*
	 * Callers may still hold models of the old cache (a training that
	 * stored a version and evaluates it, a scan whose query deploys): the
	 * old cache lives on until the end of the transaction instead of being
	 * freed here.  Call sites notice the new generation and look again.
	 */
	if (cache_cxt != NULL)
		MemoryContextSetParent(cache_cxt, TopTransactionContext);
	cache_cxt = AllocSetContextCreate(TopMemoryContext, "mldb model cache",
									  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = MODEL_REF_LEN;
	ctl.entrysize = sizeof(ModelCacheEntry);
	ctl.hcxt = cache_cxt;
	model_cache = hash_create("mldb models", 16, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	cache_stale = false;
}

/*
 * The decoded model for 'name' (deployed version) or 'name@N'.  Any relcache
 * invalidation of mldb.models empties the cache (a deploy, a new version,
 * a drop), so a hit is always current for the statement.
 */
MldbModel *
mldb_model_lookup(const char *ref, int32 *version)
{
	ModelCacheEntry *e;
	bool		found;
	char	   *name;
	int32		pinned;
	bytea	   *state;
	MldbModel  *model;
	MemoryContext old;
	char	   *key;

	/* the key includes the user: the privilege check is made on a miss */
	key = psprintf("%u:%s", GetUserId(), ref);
	if (strlen(key) >= MODEL_REF_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", ref),
				 errhint("List models with SELECT name FROM mldb.models.")));
	if (model_cache == NULL || cache_stale)
		model_cache_reset();
	/* looked up each time the cache starts over: DROP/CREATE EXTENSION moves it */
	if (hash_get_num_entries(model_cache) == 0)
		models_relid = catalog_models_relid();
	e = hash_search(model_cache, key, HASH_FIND, NULL);
	if (e != NULL)
	{
		*version = e->version;
		return e->model;
	}

	mldb_parse_model_ref(ref, &name, &pinned);
	state = catalog_fetch_state(name, pinned, version);

	/* the catalog read may have processed invalidations: start clean */
	if (cache_stale)
		model_cache_reset();
	old = MemoryContextSwitchTo(cache_cxt);
	model = model_deserialize(VARDATA_ANY(state), VARSIZE_ANY_EXHDR(state));
	MemoryContextSwitchTo(old);

	e = hash_search(model_cache, key, HASH_ENTER, &found);
	e->version = *version;
	e->model = model;
	return model;
}

static char *
feature_names(const FeatureSpec *spec)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < spec->ncols; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", spec->cols[i].name);
	return s.data;
}

/* Choose the argument form and bind it to the model's spec. */
static void
callsite_bind(CallSite *cs, FunctionCallInfo fcinfo)
{
	const FeatureSpec *spec = cs->model->spec;
	int			nargs = PG_NARGS() - 1;
	Oid			t0 = nargs >= 1 ? get_fn_expr_argtype(fcinfo->flinfo, 1) : InvalidOid;
	Oid			tlast = nargs >= 1 ? get_fn_expr_argtype(fcinfo->flinfo, nargs) : InvalidOid;
	Oid		   *types;

	/* a trailing class name: after a row, object or array, or after every feature */
	cs->class_arg = false;
	if (cs->allow_class_arg && nargs >= 2 &&
		tlast == TEXTOID &&
		((nargs == 2 && (type_is_rowtype(t0) || getBaseType(t0) == JSONBOID ||
						 OidIsValid(get_element_type(t0)))) ||
		 nargs - 1 == spec->ncols))
	{
		cs->class_arg = true;
		nargs--;
	}

	cs->values = palloc(sizeof(Datum) * Max(spec->ncols, nargs) + 1);
	cs->isnull = palloc(sizeof(bool) * Max(spec->ncols, nargs) + 1);
	cs->x = palloc0(sizeof(double) * Max(spec->dim, 1));
	cs->fvalues = palloc(sizeof(Datum) * Max(spec->ncols, 1));
	cs->fnull = palloc(sizeof(bool) * Max(spec->ncols, 1));
	types = palloc(sizeof(Oid) * Max(spec->ncols, 1));

	if (nargs == 1 && type_is_rowtype(t0))
	{
		cs->mode = ARGS_ROW;
		cs->rowtype = InvalidOid;	/* bound from the first row's header */
		return;
	}
	if (nargs == 1 && getBaseType(t0) == JSONBOID)
	{
		cs->mode = ARGS_JSONB;
		for (int i = 0; i < spec->ncols; i++)
			types[i] = spec->cols[i].kind == FEATURE_NUMERIC ? FLOAT8OID : TEXTOID;
		cs->binding = featurespec_bind(spec, types, "predict");
		return;
	}
	if (nargs == 1 && OidIsValid(get_element_type(t0)))
	{
		cs->mode = ARGS_ARRAY;
		cs->elemtype = get_element_type(t0);
		for (int i = 0; i < spec->ncols; i++)
			types[i] = cs->elemtype;
		cs->binding = featurespec_bind(spec, types, "predict");
		get_typlenbyvalalign(cs->elemtype, &cs->elemlen, &cs->elembyval, &cs->elemalign);
		return;
	}

	cs->mode = ARGS_POSITIONAL;
	if (nargs != spec->ncols)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" takes %d features, got %d values", cs->ref, spec->ncols, nargs),
				 errhint("Pass the features in this order: %s; or pass the whole row.", feature_names(spec))));
	{
		bool		all_float8 = true;

		for (int i = 0; i < nargs; i++)
		{
			types[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 1);
			all_float8 &= types[i] == FLOAT8OID;
		}
		cs->binding = featurespec_bind(spec, types, "predict");
		cs->nums = all_float8 && cs->binding->all_numeric ?
			palloc(sizeof(double) * Max(spec->ncols, 1)) : NULL;
	}
}

/* Row form: bind by column name on the first row of each row type. */
static void
callsite_bind_row(CallSite *cs, HeapTupleHeader hdr)
{
	const FeatureSpec *spec = cs->model->spec;
	Oid			typid = HeapTupleHeaderGetTypeId(hdr);
	int32		typmod = HeapTupleHeaderGetTypMod(hdr);
	TupleDesc	desc;
	Oid		   *types = palloc(sizeof(Oid) * Max(spec->ncols, 1));

	desc = lookup_rowtype_tupdesc_copy(typid, typmod);
	cs->attnum = palloc(sizeof(int) * Max(spec->ncols, 1));
	for (int i = 0; i < spec->ncols; i++)
	{
		cs->attnum[i] = -1;
		for (int k = 0; k < desc->natts; k++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, k);

			if (!a->attisdropped && strcmp(NameStr(a->attname), spec->cols[i].name) == 0)
			{
				cs->attnum[i] = k;
				types[i] = a->atttypid;
				break;
			}
		}
		if (cs->attnum[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("row has no column \"%s\", a feature of model \"%s\"",
							spec->cols[i].name, cs->ref),
					 errhint("The row must have columns named like the features: %s.", feature_names(spec))));
	}
	cs->binding = featurespec_bind(spec, types, "predict");
	pfree(cs->values);
	pfree(cs->isnull);
	cs->values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	cs->isnull = palloc(sizeof(bool) * Max(desc->natts, 1));
	cs->rowdesc = desc;
	cs->rowtype = typid;
	cs->rowtypmod = typmod;
}

/*
 * A jsonb object's value for a feature, as the Datum its binding expects
 * (float8 for numeric features, text for categorical ones).  A missing key
 * is an error (a typo would otherwise be silently imputed); null is a
 * missing value and follows the model's impute rule.
 */
static Datum
jsonb_feature(Jsonb *jb, const FeatureColumn *c, bool *isnull, const char *ref)
{
	JsonbValue	key;
	JsonbValue *v;

	key.type = jbvString;
	key.val.string.val = c->name;
	key.val.string.len = strlen(c->name);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &key);
	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("jsonb input has no key \"%s\", a feature of model \"%s\"", c->name, ref),
				 errhint("Give every feature as a key; use null for a missing value (it is imputed).")));
	*isnull = v->type == jbvNull;
	if (*isnull)
		return (Datum) 0;
	if (c->kind == FEATURE_NUMERIC)
	{
		if (v->type != jbvNumeric)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("jsonb key \"%s\" must be a number", c->name),
					 errhint("Write numbers unquoted: {\"%s\": 1.5}.", c->name)));
		return DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric));
	}
	if (v->type == jbvString)
		return PointerGetDatum(cstring_to_text_with_len(v->val.string.val, v->val.string.len));
	if (v->type == jbvBool)
		return CStringGetTextDatum(v->val.boolean ? "true" : "false");
	if (v->type == jbvNumeric)
		return CStringGetTextDatum(DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v->val.numeric))));
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("jsonb key \"%s\" must be a string, number or boolean", c->name),
			 errhint("Categorical features take their value as text, e.g. {\"%s\": \"red\"}.", c->name)));
	return (Datum) 0;
}

/*
 * Fill cs->x from the call's arguments; false when the row cannot be
 * encoded (a missing value under impute "drop": the prediction is NULL).
 */
static bool
callsite_encode(CallSite *cs, FunctionCallInfo fcinfo)
{
	const FeatureSpec *spec = cs->model->spec;

	switch (cs->mode)
	{
		case ARGS_POSITIONAL:
			if (cs->nums != NULL)
				return featurespec_encode_float8_args(cs->binding, &fcinfo->args[1],
													  cs->isnull, cs->nums, cs->x);
			for (int i = 0; i < spec->ncols; i++)
			{
				cs->isnull[i] = PG_ARGISNULL(i + 1);
				cs->values[i] = cs->isnull[i] ? (Datum) 0 : PG_GETARG_DATUM(i + 1);
			}
			return featurespec_encode(cs->binding, cs->values, cs->isnull, NULL, cs->x);

		case ARGS_ROW:
			{
				HeapTupleHeader hdr = PG_GETARG_HEAPTUPLEHEADER(1);
				HeapTupleData tup;

				if (cs->rowtype != HeapTupleHeaderGetTypeId(hdr) ||
					cs->rowtypmod != HeapTupleHeaderGetTypMod(hdr))
				{
					MemoryContext old = MemoryContextSwitchTo(cs->cxt);

					callsite_bind_row(cs, hdr);
					MemoryContextSwitchTo(old);
				}
				tup.t_len = HeapTupleHeaderGetDatumLength(hdr);
				ItemPointerSetInvalid(&tup.t_self);
				tup.t_tableOid = InvalidOid;
				tup.t_data = hdr;
				heap_deform_tuple(&tup, cs->rowdesc, cs->values, cs->isnull);
				for (int i = 0; i < spec->ncols; i++)
				{
					cs->fvalues[i] = cs->values[cs->attnum[i]];
					cs->fnull[i] = cs->isnull[cs->attnum[i]];
				}
				return featurespec_encode(cs->binding, cs->fvalues, cs->fnull, NULL, cs->x);
			}

		case ARGS_ARRAY:
			{
				ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
				Datum	   *elems;
				bool	   *nulls;
				int			n;

				if (ARR_NDIM(arr) > 1)
					ereport(ERROR,
							(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
							 errmsg("feature array must be one-dimensional"),
							 errhint("Pass ARRAY[x1, x2, ...] in the model's feature order.")));
				deconstruct_array(arr, cs->elemtype, cs->elemlen, cs->elembyval, cs->elemalign,
								  &elems, &nulls, &n);
				if (n != spec->ncols)
					ereport(ERROR,
							(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
							 errmsg("model \"%s\" takes %d features, the array has %d",
									cs->ref, spec->ncols, n),
							 errhint("Pass the features in this order: %s.", feature_names(spec))));
				return featurespec_encode(cs->binding, elems, nulls, NULL, cs->x);
			}

		case ARGS_JSONB:
			{
				Jsonb	   *jb = PG_GETARG_JSONB_P(1);

				if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("jsonb features must be an object"),
							 errhint("Pass {\"feature\": value, ...}.")));
				for (int i = 0; i < spec->ncols; i++)
					cs->fvalues[i] = jsonb_feature(jb, &spec->cols[i], &cs->fnull[i], cs->ref);
				return featurespec_encode(cs->binding, cs->fvalues, cs->fnull, NULL, cs->x);
			}
	}
	return false;
}

/*
 * The call site's model, rebound when the cache was emptied since the
 * previous row (another session deployed, this one retrained, ...).
 */
static CallSite *
callsite_get(FunctionCallInfo fcinfo, bool allow_class_arg)
{
	CallSite   *cs = (CallSite *) fcinfo->flinfo->fn_extra;
	MemoryContext old;
	int32		version;
	char	   *ref;

	if (cs != NULL && cs->generation == cache_generation && !cache_stale &&
		cs->user == GetUserId())
		return cs;

	if (PG_ARGISNULL(0))
		return NULL;
	ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (cs == NULL)
	{
		cs = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CallSite));
		cs->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "mldb predict call site",
										ALLOCSET_SMALL_SIZES);
		fcinfo->flinfo->fn_extra = cs;
	}
	else
		MemoryContextReset(cs->cxt);
	cs->rowtype = InvalidOid;
	cs->rowtypmod = -1;
	cs->allow_class_arg = allow_class_arg;
	cs->ref_constant = get_fn_expr_arg_stable(fcinfo->flinfo, 0);
	cs->user = GetUserId();
	old = MemoryContextSwitchTo(cs->cxt);
	cs->ref = pstrdup(ref);
	cs->model = mldb_model_lookup(cs->ref, &version);
	cs->generation = cache_generation;
	callsite_bind(cs, fcinfo);
	MemoryContextSwitchTo(old);
	return cs;
}

/*
 * The call site with cs->x holding the encoded row, or NULL when the
 * result is NULL (NULL model name, NULL row, a NULL feature).
 */
static CallSite *
callsite_row(FunctionCallInfo fcinfo, bool allow_class_arg)
{
	CallSite   *cs;

	if (PG_ARGISNULL(0))
		return NULL;
	cs = callsite_get(fcinfo, allow_class_arg);

	/* the model name may vary per row (unless it is a constant): rebind */
	if (!cs->ref_constant &&
		(VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(0)) != strlen(cs->ref) ||
		 memcmp(VARDATA_ANY(PG_GETARG_TEXT_PP(0)), cs->ref, strlen(cs->ref)) != 0))
	{
		cs->generation = 0;
		cs = callsite_get(fcinfo, allow_class_arg);
	}

	/* a NULL row, array or object: nothing to encode */
	if (cs->mode != ARGS_POSITIONAL && PG_ARGISNULL(1))
		return NULL;
	if (!callsite_encode(cs, fcinfo))
		return NULL;
	return cs;
}

static void
require_classifier(const CallSite *cs, const char *fn)
{
	if (cs->model->spec->nclasses == 0 || cs->model->algo->predict_proba == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" (%s) is not a classifier", cs->ref, cs->model->algo->name),
				 errhint("%s applies to classification models; use mldb.predict.", fn)));
}

/* A classifier's answer as a class index; anything else is a broken model. */
static int
class_index_check(const CallSite *cs, double v)
{
	if (!(v >= 0 && v < cs->model->spec->nclasses))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model \"%s\" predicted no valid class", cs->ref),
				 errhint("Retrain the model, or restore it from a backup or an export.")));
	return (int) v;
}

Datum
mldb_predict(PG_FUNCTION_ARGS)
{
	CallSite   *cs = callsite_row(fcinfo, false);
	const FeatureSpec *spec;
	double		v;

	if (cs == NULL)
		PG_RETURN_NULL();
	spec = cs->model->spec;
	v = cs->model->algo->predict(cs->model, cs->x);
	if (spec->nclasses == 0)
		PG_RETURN_FLOAT8(v);
	/* a classifier: its label, when the label is a number or a boolean */
	class_index_check(cs, v);
	if (!spec->classes_numeric)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("model \"%s\" predicts text labels, which predict cannot return as float8", cs->ref),
				 errhint("Use mldb.predict_class(model, ...) for the label, or mldb.predict_proba for probabilities.")));
	if (strcmp(spec->classes[(int) v], "true") == 0)
		PG_RETURN_FLOAT8(1.0);
	if (strcmp(spec->classes[(int) v], "false") == 0)
		PG_RETURN_FLOAT8(0.0);
	PG_RETURN_FLOAT8(strtod(spec->classes[(int) v], NULL));
}

/* mldb.predict_class(model, VARIADIC "any") RETURNS text */
Datum
mldb_predict_class(PG_FUNCTION_ARGS)
{
	CallSite   *cs = callsite_row(fcinfo, false);
	int			k;

	if (cs == NULL)
		PG_RETURN_NULL();
	require_classifier(cs, "predict_class");
	k = class_index_check(cs, cs->model->algo->predict(cs->model, cs->x));
	PG_RETURN_TEXT_P(cstring_to_text(cs->model->spec->classes[k]));
}

/* The probabilities of the call's row, in class order. */
static double *
callsite_proba(CallSite *cs)
{
	double	   *proba = palloc(sizeof(double) * cs->model->spec->nclasses);

	require_classifier(cs, "predict_proba");
	cs->model->algo->predict_proba(cs->model, cs->x, proba);
	return proba;
}

/* mldb.predict_proba(model, VARIADIC "any"): float8[] in class order */
Datum
mldb_predict_proba(PG_FUNCTION_ARGS)
{
	CallSite   *cs = callsite_row(fcinfo, false);
	double	   *proba;
	Datum	   *elems;
	int			n;

	if (cs == NULL)
		PG_RETURN_NULL();
	proba = callsite_proba(cs);
	n = cs->model->spec->nclasses;
	elems = palloc(sizeof(Datum) * n);
	for (int k = 0; k < n; k++)
		elems[k] = Float8GetDatum(proba[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* mldb.predict_proba(model, row|jsonb|float8[], class text): one class's */
Datum
mldb_predict_proba_class(PG_FUNCTION_ARGS)
{
	CallSite   *cs = callsite_row(fcinfo, true);
	const FeatureSpec *spec;
	double	   *proba;
	char	   *name;
	int			last = PG_NARGS() - 1;

	if (cs == NULL || PG_ARGISNULL(last))
		PG_RETURN_NULL();
	proba = callsite_proba(cs);
	spec = cs->model->spec;
	name = text_to_cstring(PG_GETARG_TEXT_PP(last));
	for (int k = 0; k < spec->nclasses; k++)
		if (strcmp(spec->classes[k], name) == 0)
			PG_RETURN_FLOAT8(proba[k]);
	/* numeric classes are named by value: '0.50' is class 0.5 */
	if (spec->classes_numeric)
	{
		char	   *end;
		double		v = strtod(name, &end);

		for (int k = 0; *name && *end == '\0' && k < spec->nclasses; k++)
			if (strtod(spec->classes[k], NULL) == v &&
				strcmp(spec->classes[k], "true") != 0 && strcmp(spec->classes[k], "false") != 0)
				PG_RETURN_FLOAT8(proba[k]);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("model \"%s\" has no class \"%s\"", cs->ref, name),
			 errhint("Its classes are listed by SELECT mldb.classes('%s').", cs->ref)));
	PG_RETURN_NULL();
}

/* mldb.classes(model) RETURNS text[]: a classifier's labels in class order */
Datum
mldb_classes(PG_FUNCTION_ARGS)
{
	int32		version;
	MldbModel  *m = mldb_model_lookup(text_to_cstring(PG_GETARG_TEXT_PP(0)), &version);
	Datum	   *elems;

	if (m->spec->nclasses == 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("model \"%s\" is not a classifier", text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errhint("mldb.classes applies to classification models.")));
	elems = palloc(sizeof(Datum) * m->spec->nclasses);
	for (int k = 0; k < m->spec->nclasses; k++)
		elems[k] = CStringGetTextDatum(m->spec->classes[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, m->spec->nclasses, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * mldb.explain(model, VARIADIC "any") RETURNS jsonb: the per-feature
 * contributions of the algorithm's explain hook, named by encoded slot
 * (column, column=level), with the base value and the prediction.
 */
Datum
mldb_explain(PG_FUNCTION_ARGS)
{
	CallSite   *cs = callsite_row(fcinfo, false);
	const MldbModel *m;
	double	   *contrib;
	double		base;
	double		sum;
	JsonWriter	w;

	if (cs == NULL)
		PG_RETURN_NULL();
	m = cs->model;
	if (m->algo->explain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" (%s) cannot explain its predictions", cs->ref, m->algo->name),
				 errhint("explain supports the linear family and tree models.")));
	contrib = palloc0(sizeof(double) * Max(m->spec->dim, 1));
	m->algo->explain(m, cs->x, contrib, &base);
	sum = base;
	jw_init(&w);
	jw_number(&w, "base_value", base);
	jw_begin_object(&w, "contributions");
	for (int j = 0; j < m->spec->dim; j++)
	{
		jw_number(&w, featurespec_slot_name(m->spec, j), contrib[j]);
		sum += contrib[j];
	}
	jw_end_object(&w);
	jw_number(&w, "prediction", sum);
	PG_RETURN_JSONB_P(jw_finish(&w));
}

/* mldb.transform(model, VARIADIC "any") RETURNS float8[] */
Datum
mldb_transform(PG_FUNCTION_ARGS)
{
	CallSite   *cs = callsite_row(fcinfo, false);
	const MldbAlgorithm *algo;
	int			n;
	double	   *out;
	Datum	   *elems;

	if (cs == NULL)
		PG_RETURN_NULL();
	algo = cs->model->algo;
	if (algo->transform == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" (%s) has no transform", cs->ref, algo->name),
				 errhint("transform applies to pca (components) and kmeans (distances to centroids); use mldb.predict.")));
	n = algo->transform_dim(cs->model);
	out = palloc(sizeof(double) * Max(n, 1));
	elems = palloc(sizeof(Datum) * Max(n, 1));
	algo->transform(cs->model, cs->x, out);
	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(out[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
