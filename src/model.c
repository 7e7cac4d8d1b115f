/*-------------------------------------------------------------------------
 * model.c
 *	  Algorithm registry, option validation and the stored model state.
 *
 *	  State layout (model_versions.state):
 *	      uint32 magic 'MLDB', int32 format version, int32 algorithm id,
 *	      int32 payload length, uint32 CRC-32C of the header fields and the payload, payload =
 *	      feature spec + algorithm parameters.
 *	  Every length is checked and the checksum verified before anything is
 *	  decoded, so a corrupted or foreign bytea is an ERROR, not a crash.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "model.h"
#include "common/pg_prng.h"
#include "port/pg_crc32c.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#define MLDB_STATE_MAGIC	0x42444C4D	/* "MLDB" as bytes on little-endian */
#define MLDB_STATE_FORMAT	1

extern const MldbAlgorithm linear_regression_algorithm;
extern const MldbAlgorithm ridge_algorithm;
extern const MldbAlgorithm lasso_algorithm;
extern const MldbAlgorithm elastic_net_algorithm;
extern const MldbAlgorithm kmeans_algorithm;
extern const MldbAlgorithm pca_algorithm;
extern const MldbAlgorithm logistic_regression_algorithm;
extern const MldbAlgorithm naive_bayes_algorithm;
extern const MldbAlgorithm decision_tree_algorithm;
extern const MldbAlgorithm random_forest_algorithm;
extern const MldbAlgorithm gradient_boosting_algorithm;

static const MldbAlgorithm *const algorithms[] = {
	&linear_regression_algorithm,
	&ridge_algorithm,
	&lasso_algorithm,
	&elastic_net_algorithm,
	&kmeans_algorithm,
	&pca_algorithm,
	&logistic_regression_algorithm,
	&naive_bayes_algorithm,
	&decision_tree_algorithm,
	&random_forest_algorithm,
	&gradient_boosting_algorithm,
};

static const char *const deploy_choices[] = {"best", "always", "never", NULL};
static const char *const impute_choices[] = {"mean", "median", "zero", "drop", NULL};
static const char *const search_choices[] = {"grid", "random", NULL};

/* Options every algorithm accepts (API.md, "Common options"). */
const OptionDef common_options[] = {
	{"test_size", OPT_NUMBER, 0, 1, false, true},
	{"seed", OPT_INTEGER, -9.2e18, 9.2e18},
	{"deploy", OPT_STRING, .choices = deploy_choices},
	{"standardize", OPT_BOOL},
	{"impute", OPT_STRING, .choices = impute_choices},
	{"max_categories", OPT_INTEGER, 1, 1e9},
	{"search", OPT_OBJECT},
	{"search_method", OPT_STRING, .choices = search_choices},
	{"search_iter", OPT_INTEGER, 1, 100000},
	{"cv", OPT_INTEGER, 2, 1000},
	{NULL}
};

const char *
mldb_task_name(MldbTask task)
{
	switch (task)
	{
		case MLDB_TASK_REGRESSION:
			return "regression";
		case MLDB_TASK_CLASSIFICATION:
			return "classification";
		case MLDB_TASK_CLUSTERING:
			return "clustering";
		case MLDB_TASK_DECOMPOSITION:
			return "decomposition";
	}
	return "unknown";
}

static char *
algorithm_list(void)
{
	StringInfoData s;

	initStringInfo(&s);
	for (int i = 0; i < (int) lengthof(algorithms); i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", algorithms[i]->name);
	return s.data;
}

const MldbAlgorithm *
algorithm_lookup(const char *name)
{
	for (int i = 0; i < (int) lengthof(algorithms); i++)
		if (strcmp(algorithms[i]->name, name) == 0)
			return algorithms[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown algorithm \"%s\"", name),
			 errhint("Available algorithms: %s.", algorithm_list())));
	return NULL;				/* keep compiler quiet */
}

static const MldbAlgorithm *
algorithm_by_id(int32 id)
{
	for (int i = 0; i < (int) lengthof(algorithms); i++)
		if (algorithms[i]->id == id)
			return algorithms[i];
	return NULL;
}

/* ---------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------
 */

static bool
opt_get(Jsonb *options, const char *name, JsonbValue *out)
{
	JsonbValue	key;
	JsonbValue *v;

	if (options == NULL)
		return false;
	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	v = findJsonbValueFromContainer(&options->root, JB_FOBJECT, &key);
	if (v == NULL || v->type == jbvNull)
		return false;
	*out = *v;
	return true;
}

static const OptionDef *
option_find(const OptionDef *defs, const char *name)
{
	for (; defs != NULL && defs->name != NULL; defs++)
		if (strcmp(defs->name, name) == 0)
			return defs;
	return NULL;
}

static char *
option_names(const OptionDef *common, const OptionDef *algo)
{
	StringInfoData s;
	const OptionDef *d;

	initStringInfo(&s);
	for (d = common; d != NULL && d->name; d++)
		appendStringInfo(&s, "%s%s", s.len ? ", " : "", d->name);
	for (d = algo; d != NULL && d->name; d++)
		appendStringInfo(&s, "%s%s", s.len ? ", " : "", d->name);
	return s.data;
}

static const char *
option_type_name(OptionType t)
{
	switch (t)
	{
		case OPT_NUMBER:
			return "a number";
		case OPT_INTEGER:
			return "an integer";
		case OPT_BOOL:
			return "a boolean";
		case OPT_STRING:
			return "a string";
		case OPT_OBJECT:
			return "a JSON object";
	}
	return "?";
}

static void
option_check(const OptionDef *d, JsonbValue *v)
{
	bool		ok;

	switch (d->type)
	{
		case OPT_NUMBER:
		case OPT_INTEGER:
			ok = v->type == jbvNumeric;
			break;
		case OPT_BOOL:
			ok = v->type == jbvBool;
			break;
		case OPT_OBJECT:
			ok = v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
			break;
		default:
			ok = v->type == jbvString;
			break;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" must be %s", d->name, option_type_name(d->type)),
				 errhint("Write it as in '{\"%s\": %s}'.", d->name,
						 d->type == OPT_BOOL ? "true" : d->type == OPT_STRING ? "\"...\"" :
						 d->type == OPT_OBJECT ? "{...}" : "1")));

	if (d->type == OPT_NUMBER || d->type == OPT_INTEGER)
	{
		double		x = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														   NumericGetDatum(v->val.numeric)));
		bool		low = d->min_open ? !(x > d->min) : !(x >= d->min);
		bool		high = d->max_open ? !(x < d->max) : !(x <= d->max);

		if (d->type == OPT_INTEGER && x != floor(x))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" must be an integer", d->name),
					 errhint("Got %g.", x)));
		if (low || high || isnan(x))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" is out of range: %g", d->name, x),
					 errhint("It must be in %s%g, %g%s.", d->min_open ? "(" : "[", d->min,
							 d->max, d->max_open ? ")" : "]")));
	}
	else if (d->choices != NULL)
	{
		char	   *s = pnstrdup(v->val.string.val, v->val.string.len);
		StringInfoData list;

		for (const char *const *c = d->choices; *c; c++)
			if (strcmp(*c, s) == 0)
				return;
		initStringInfo(&list);
		for (const char *const *c = d->choices; *c; c++)
			appendStringInfo(&list, "%s%s", list.len ? ", " : "", *c);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for option \"%s\"", s, d->name),
				 errhint("Valid values: %s.", list.data)));
	}
}

/* Every key must be a known option of the right type and range. */
void
options_validate(Jsonb *options, const OptionDef *common, const OptionDef *algo,
				 const char *algo_name)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object"),
				 errhint("For example '{\"alpha\": 0.1}'.")));

	it = JsonbIteratorInit(&options->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		const OptionDef *d;
		JsonbValue	val;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		d = option_find(common, key);
		if (d == NULL)
			d = option_find(algo, key);
		if (d == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" for algorithm %s", key, algo_name),
					 errhint("Valid options: %s.", option_names(common, algo))));
		tok = JsonbIteratorNext(&it, &val, true);
		if (val.type == jbvNull)
			continue;			/* null = default */
		option_check(d, &val);
	}
}

/* ---------------------------------------------------------------------
 * Hyperparameter search
 * ---------------------------------------------------------------------
 */

static Jsonb *
jsonb_from_text(const char *s)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

/*
 * The settings a "search" option describes (SearchSetting: the searched
 * values, and a copy of options with them set): every combination for search_method "grid"
 * (the default), search_iter distinct ones drawn with the seed for
 * "random".  Keys must be the algorithm's own options, each a non-empty
 * array of valid values.  NIL when there is no search.
 */
List *
options_search_settings(Jsonb *options, const OptionDef *algo_defs, const char *algo_name)
{
	JsonbValue	v;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	List	   *keys = NIL;
	List	   *values = NIL;	/* per key: a List of JSON texts */
	List	   *settings = NIL;
	int			total = 1;
	int			nkeys;
	int		   *pick;
	int			npick;

	if (!opt_get(options, "search", &v))
		return NIL;
	it = JsonbIteratorInit(v.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		const OptionDef *d;
		JsonbValue	arr;
		JsonbIterator *ait;
		List	   *vals = NIL;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		d = option_find(algo_defs, key);
		if (d == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot search over \"%s\" for algorithm %s", key, algo_name),
					 algo_defs->name ? errhint("Searchable options: %s.", option_names(NULL, algo_defs)) :
					 errhint("%s has no hyperparameters to search.", algo_name)));
		(void) JsonbIteratorNext(&it, &arr, true);
		if (arr.type != jbvBinary || !JsonContainerIsArray(arr.val.binary.data) ||
			JsonContainerSize(arr.val.binary.data) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("search values for \"%s\" must be a non-empty array", key),
					 errhint("For example '{\"search\": {\"%s\": [0.1, 1, 10]}}'.", key)));
		ait = JsonbIteratorInit(arr.val.binary.data);
		while ((tok = JsonbIteratorNext(&ait, &v, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			option_check(d, &v);
			vals = lappend(vals, JsonbToCString(NULL, &JsonbValueToJsonb(&v)->root, 0));
		}
		keys = lappend(keys, key);
		values = lappend(values, vals);
		if (total > 100000 / list_length(vals))
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("search grid has more than 100000 settings"),
					 errhint("Use \"search_method\": \"random\" with search_iter.")));
		total *= list_length(vals);
	}
	nkeys = list_length(keys);
	if (nkeys == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("search must name at least one option"),
				 errhint("For example '{\"search\": {\"alpha\": [0.1, 1, 10]}}'.")));

	/* which grid points: all, or a seeded sample without replacement */
	pick = palloc(sizeof(int) * total);
	for (int i = 0; i < total; i++)
		pick[i] = i;
	npick = total;
	if (strcmp(opt_string(options, "search_method", "grid"), "random") == 0)
	{
		pg_prng_state rng;

		pg_prng_seed(&rng, (uint64) opt_int(options, "seed", 0) ^ UINT64CONST(0x5ea4c4));
		npick = (int) Min(opt_int(options, "search_iter", 10), total);
		for (int i = 0; i < npick; i++)
		{
			int			j = i + (int) pg_prng_uint64_range(&rng, 0, total - 1 - i);
			int			t = pick[i];

			pick[i] = pick[j];
			pick[j] = t;
		}
	}

	for (int s = 0; s < npick; s++)
	{
		StringInfoData js;
		SearchSetting *setting;
		int			idx = pick[s];

		initStringInfo(&js);
		appendStringInfoChar(&js, '{');
		for (int k = nkeys - 1; k >= 0; k--)
		{
			List	   *vals = list_nth(values, k);

			appendStringInfo(&js, "%s\"%s\": %s", js.len > 1 ? ", " : "",
							 (char *) list_nth(keys, k), (char *) list_nth(vals, idx % list_length(vals)));
			idx /= list_length(vals);
		}
		appendStringInfoChar(&js, '}');
		setting = palloc(sizeof(SearchSetting));
		setting->params = jsonb_from_text(js.data);
		setting->options = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(options),
															  JsonbPGetDatum(setting->params)));
		settings = lappend(settings, setting);
	}
	return settings;
}

bool
opt_present(Jsonb *options, const char *name)
{
	JsonbValue	v;

	return opt_get(options, name, &v);
}

double
opt_number(Jsonb *options, const char *name, double dflt)
{
	JsonbValue	v;

	if (!opt_get(options, name, &v))
		return dflt;
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
}

int64
opt_int(Jsonb *options, const char *name, int64 dflt)
{
	JsonbValue	v;

	if (!opt_get(options, name, &v))
		return dflt;
	return DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(v.val.numeric)));
}

bool
opt_bool(Jsonb *options, const char *name, bool dflt)
{
	JsonbValue	v;

	if (!opt_get(options, name, &v))
		return dflt;
	return v.val.boolean;
}

const char *
opt_string(Jsonb *options, const char *name, const char *dflt)
{
	JsonbValue	v;

	if (!opt_get(options, name, &v))
		return dflt;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/* ---------------------------------------------------------------------
 * Stored state
 * ---------------------------------------------------------------------
 */

typedef struct StateHeader
{
	uint32		magic;
	int32		format;
	int32		algorithm;
	int32		payload_len;
	pg_crc32c	crc;
} StateHeader;

/* CRC-32C of the header fields before the checksum, then the payload */
static pg_crc32c
state_crc(const StateHeader *hdr, const char *payload)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, hdr, offsetof(StateHeader, crc));
	COMP_CRC32C(crc, payload, hdr->payload_len);
	FIN_CRC32C(crc);
	return crc;
}

bytea *
model_serialize(const MldbModel *m)
{
	StringInfoData payload;
	StateHeader hdr;
	bytea	   *result;

	initStringInfo(&payload);
	featurespec_write(&payload, m->spec);
	m->algo->write(&payload, m);

	hdr.magic = MLDB_STATE_MAGIC;
	hdr.format = MLDB_STATE_FORMAT;
	hdr.algorithm = m->algo->id;
	hdr.payload_len = payload.len;
	hdr.crc = state_crc(&hdr, payload.data);

	result = palloc(VARHDRSZ + sizeof(hdr) + payload.len);
	SET_VARSIZE(result, VARHDRSZ + sizeof(hdr) + payload.len);
	memcpy(VARDATA(result), &hdr, sizeof(hdr));
	memcpy(VARDATA(result) + sizeof(hdr), payload.data, payload.len);
	return result;
}

MldbModel *
model_deserialize(const char *data, Size len)
{
	BinReader	r;
	StateHeader hdr;
	pg_crc32c	crc;
	MldbModel  *m = palloc0(sizeof(MldbModel));

	binreader_init(&r, data, len, "model state");
	bin_read(&r, &hdr, sizeof(hdr));
	if (hdr.magic != MLDB_STATE_MAGIC)
		bin_corrupted(&r, "not an mldb model state (bad magic number)");
	if (hdr.format != MLDB_STATE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model state format %d is not supported by this mldb version", hdr.format),
				 errhint("Update the mldb extension, or retrain the model.")));
	if (hdr.payload_len < 0 || (Size) hdr.payload_len != len - sizeof(hdr))
		bin_corrupted(&r, "payload length does not match the state size");
	crc = state_crc(&hdr, data + sizeof(hdr));
	if (!EQ_CRC32C(crc, hdr.crc))
		bin_corrupted(&r, "checksum mismatch");
	m->algo = algorithm_by_id(hdr.algorithm);
	if (m->algo == NULL)
		bin_corrupted(&r, "unknown algorithm id");

	m->spec = featurespec_read(&r);

	/*
	 * The spec must fit the algorithm: predict indexes classes by what the
	 * algorithm returns.  (A checksum does not stop a forged state.)
	 * Algorithms with both tasks (trees) decide by the spec.
	 */
	if (m->algo->for_target == NULL &&
		(m->algo->task == MLDB_TASK_CLASSIFICATION) != (m->spec->nclasses >= 2))
		bin_corrupted(&r, "classes do not match the algorithm");
	if (m->spec->nclasses == 1)
		bin_corrupted(&r, "a classifier needs two classes");
	if ((m->algo->task == MLDB_TASK_REGRESSION || m->algo->task == MLDB_TASK_CLASSIFICATION) !=
		(m->spec->target != NULL))
		bin_corrupted(&r, "target does not match the algorithm");
	m->params = m->algo->read(&r, m);
	bin_read_end(&r);
	return m;
}
