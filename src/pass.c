/*-------------------------------------------------------------------------
 * pass.c
 *	  The generic training pass: the aggregate mldb._pass(ctx, VARIADIC
 *	  "any") and its transition, combine, serialize, deserialize and final
 *	  functions, plus pass_run(), which the training driver uses to run one
 *	  pass through SPI.  Algorithms plug in a PassKind (pass.h).
 *
 *	  VARIADIC "any" is the cheapest way to hand a row's columns to C (see
 *	  DESIGN.md: 1.13x a plain scan against 1.6x for ARRAY[...] and 2.2x for
 *	  a whole-row argument), but it applies no implicit casts, so each call
 *	  site picks a converter per argument once.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "access/hash.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "pass.h"
#include "sample.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "access/xact.h"

extern const PassKind gram_pass_kind;
extern const PassKind profile_pass_kind;
extern const PassKind sample_pass_kind;
extern const PassKind kmeans_pass_kind;
extern const PassKind logistic_pass_kind;
extern const PassKind nb_pass_kind;
extern const PassKind tree_data_pass_kind;

/* Registry of accumulators, indexed by PassKindId. */
static const PassKind *const pass_kinds[] = {
	[PASS_GRAM] = &gram_pass_kind,
	[PASS_PROFILE] = &profile_pass_kind,
	[PASS_SAMPLE] = &sample_pass_kind,
	[PASS_KMEANS] = &kmeans_pass_kind,
	[PASS_LOGISTIC] = &logistic_pass_kind,
	[PASS_NB] = &nb_pass_kind,
	[PASS_TREE_DATA] = &tree_data_pass_kind,
};

typedef struct PassState
{
	PassCtx    *ctx;
	const PassKind *kind;
	bytea	   *ctx_raw;		/* kept to frame the serialized state */
	void	   *acc;
	RowSample  *sample;			/* ctx->sample_k > 0 */
	int64		rows_seen;
	int64		rows_skipped;
	int64		rows_missing;	/* skipped for a missing feature */
	/* call-site scratch, rebuilt after deserialization when needed */
	FeatureBinding *binding;
	TargetBinding *target;
	RowHasher  *hasher;
	double	   *x;
	Datum	   *values;
	bool	   *isnull;
	double	   *nums;
} PassState;

PG_FUNCTION_INFO_V1(mldb_pass_step);
PG_FUNCTION_INFO_V1(mldb_pass_combine);
PG_FUNCTION_INFO_V1(mldb_pass_serialize);
PG_FUNCTION_INFO_V1(mldb_pass_deserialize);
PG_FUNCTION_INFO_V1(mldb_pass_final);
PG_FUNCTION_INFO_V1(mldb_split_unit);

static const PassKind *
pass_kind(int32 id, BinReader *r)
{
	if (id <= 0 || id >= (int32) lengthof(pass_kinds) || pass_kinds[id] == NULL)
		bin_corrupted(r, "unknown pass kind");
	return pass_kinds[id];
}

static bytea *
pass_ctx_encode(const PassCtx *ctx)
{
	StringInfoData buf;

	initStringInfo(&buf);
	bin_write_int32(&buf, ctx->kind);
	featurespec_write(&buf, ctx->spec);
	bin_write_int64(&buf, ctx->seed);
	bin_write_float8(&buf, ctx->test_size);
	bin_write_int32(&buf, ctx->nfolds);
	bin_write_int32(&buf, ctx->skip_holdout);
	bin_write_int32(&buf, ctx->sample_k);
	bin_write_int32(&buf, ctx->extra_len);
	appendBinaryStringInfo(&buf, ctx->extra, ctx->extra_len);
	return bin_to_bytea(buf.data, buf.len);
}

static PassCtx *
pass_ctx_decode(const char *data, Size len)
{
	BinReader	r;
	PassCtx    *ctx = palloc0(sizeof(PassCtx));

	binreader_init(&r, data, len, "training pass context");
	ctx->kind = bin_read_int32(&r);
	(void) pass_kind(ctx->kind, &r);
	ctx->spec = featurespec_read(&r);
	ctx->seed = bin_read_int64(&r);
	ctx->test_size = bin_read_float8(&r);
	ctx->nfolds = bin_read_int32(&r);
	ctx->skip_holdout = bin_read_int32(&r) != 0;
	ctx->sample_k = bin_read_int32(&r);
	ctx->extra_len = bin_read_int32(&r);
	if (ctx->sample_k < 0 || ctx->sample_k > 1000000)
		bin_corrupted(&r, "sample size out of range");
	if (ctx->nfolds < 1 || ctx->nfolds > 1000 || !(ctx->test_size >= 0 && ctx->test_size < 1))
		bin_corrupted(&r, "split parameters out of range");
	if (ctx->extra_len < 0 || (Size) ctx->extra_len > r.len - r.pos)
		bin_corrupted(&r, "parameter length out of range");
	ctx->extra = palloc(Max(ctx->extra_len, 1));
	bin_read(&r, ctx->extra, ctx->extra_len);
	bin_read_end(&r);
	return ctx;
}

/* A fresh, empty state in the current memory context. */
static PassState *
pass_state_create(bytea *ctx_raw)
{
	PassState  *st = palloc0(sizeof(PassState));

	st->ctx_raw = (bytea *) PG_DETOAST_DATUM_COPY(PointerGetDatum(ctx_raw));
	st->ctx = pass_ctx_decode(VARDATA_ANY(st->ctx_raw), VARSIZE_ANY_EXHDR(st->ctx_raw));
	st->kind = pass_kinds[st->ctx->kind];
	st->acc = st->kind->create(st->ctx);
	if (st->ctx->sample_k > 0)
		st->sample = rowsample_create(st->ctx->sample_k, st->ctx->spec->dim);
	return st;
}

/*
 * Bind the call site's argument types: the target (when the model has one)
 * then one value per spec column, in spec order.
 */
static void
pass_state_bind(PassState *st, FunctionCallInfo fcinfo)
{
	const FeatureSpec *spec = st->ctx->spec;
	int			ntarget = spec->target != NULL ? 1 : 0;
	int			nargs = PG_NARGS() - 2;
	Oid		   *types;

	if (get_fn_expr_variadic(fcinfo->flinfo) || nargs != ntarget + spec->ncols)
		elog(ERROR, "training pass called with %d columns, expected %d", nargs, ntarget + spec->ncols);
	types = palloc(sizeof(Oid) * Max(nargs, 1));
	for (int i = 0; i < nargs; i++)
		types[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 2);
	if (ntarget)
		st->target = featurespec_bind_target(spec, types[0]);
	st->binding = featurespec_bind(spec, types + ntarget, "training");
	st->hasher = rowhash_bind(types, nargs);
	st->x = palloc0(sizeof(double) * Max(spec->dim, 1));
	st->values = palloc(sizeof(Datum) * Max(nargs, 1));
	st->isnull = palloc(sizeof(bool) * Max(nargs, 1));
	st->nums = palloc0(sizeof(double) * Max(nargs, 1));
}

/* Argument i of a call into values and isnull (a NULL's value as 0). */
static inline void
arg_copy(const NullableDatum *args, int i, Datum *values, bool *isnull)
{
	isnull[i] = args[i].isnull;
	values[i] = args[i].isnull ? (Datum) 0 : args[i].value;
}

Datum
mldb_pass_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	PassState  *st;
	int			nargs = PG_NARGS() - 2;
	int			ntarget;
	int			slot;
	uint64		hash;
	double	   *nums = NULL;	/* numeric arguments as converted by the hash */
	double		y = 0.0;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "mldb_pass_step called in non-aggregate context");

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		if (PG_ARGISNULL(1))
			elog(ERROR, "training pass context is NULL");
		st = pass_state_create(PG_GETARG_BYTEA_PP(1));
		MemoryContextSwitchTo(old);
	}
	else
		st = (PassState *) PG_GETARG_POINTER(0);

	if (st->binding == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		pass_state_bind(st, fcinfo);
		MemoryContextSwitchTo(old);
	}

	st->rows_seen++;

	/*
	 * The split first: hold-out rows never reach a kind that skips them.
	 * Without a split, folds or sampling there is nothing to hash, only
	 * the arguments to copy (the hash copies them as it reads them).
	 */
	if (st->ctx->test_size > 0 || st->ctx->nfolds > 1 || st->kind->needs_rowhash ||
		st->sample != NULL)
	{
		hash = rowhash64(st->hasher, st->ctx->seed, fcinfo->args + 2, st->values, st->isnull,
						 st->nums);
		nums = st->nums;
		slot = pass_slot_of(st->ctx, rowhash_unit(hash));
	}
	else
	{
		/* local pointers: the stores cannot alias them, so no reloads */
		const NullableDatum *args = fcinfo->args + 2;
		bool	   *isnull = st->isnull;
		Datum	   *values = st->values;

		for (int i = 0; i < nargs; i++)
			arg_copy(args, i, values, isnull);
		hash = 0;
		slot = 1;
	}
	if (st->ctx->skip_holdout && slot == PASS_HOLDOUT_SLOT)
		PG_RETURN_POINTER(st);

	if (st->kind->add_raw != NULL)
	{
		st->kind->add_raw(st->acc, st->ctx, st->binding, slot, hash, st->values, st->isnull);
		PG_RETURN_POINTER(st);
	}

	ntarget = st->ctx->spec->target != NULL ? 1 : 0;
	if (ntarget && !featurespec_encode_target(st->target, st->values[0], st->isnull[0], &y))
	{
		st->rows_skipped++;
		PG_RETURN_POINTER(st);
	}
	if (!featurespec_encode(st->binding, st->values + ntarget, st->isnull + ntarget,
							nums ? nums + ntarget : NULL, st->x))
	{
		st->rows_skipped++;
		st->rows_missing++;
		PG_RETURN_POINTER(st);
	}

	if (st->kind->add_full != NULL)
		st->kind->add_full(st->acc, st->ctx, st->binding, slot, hash, y, st->x,
						   st->values + ntarget, st->isnull + ntarget);
	else
		st->kind->add(st->acc, st->ctx, slot, hash, y, st->x);
	if (st->sample != NULL)
	{
		uint64		key = rowhash_sample_key(hash);

		/* one branch, rarely taken: not one on the split as well */
		if ((slot != PASS_HOLDOUT_SLOT) & rowsample_may_take(st->sample, key))
			rowsample_add(st->sample, key, y, st->x);
	}
	PG_RETURN_POINTER(st);
}

static void
pass_state_write(StringInfo buf, PassState *st)
{
	bin_write_int32(buf, VARSIZE_ANY_EXHDR(st->ctx_raw));
	appendBinaryStringInfo(buf, VARDATA_ANY(st->ctx_raw), VARSIZE_ANY_EXHDR(st->ctx_raw));
	bin_write_int64(buf, st->rows_seen);
	bin_write_int64(buf, st->rows_skipped);
	bin_write_int64(buf, st->rows_missing);
	st->kind->write(buf, st->acc, st->ctx);
	if (st->sample != NULL)
		rowsample_write(buf, st->sample);
}

static bytea *
pass_state_to_bytea(PassState *st)
{
	StringInfoData buf;

	initStringInfo(&buf);
	pass_state_write(&buf, st);
	return bin_to_bytea(buf.data, buf.len);
}

static PassState *
pass_state_read(const char *data, Size len)
{
	BinReader	r;
	PassState  *st = palloc0(sizeof(PassState));
	int32		ctx_len;

	binreader_init(&r, data, len, "training pass state");
	ctx_len = bin_read_int32(&r);
	if (ctx_len < 0 || (Size) ctx_len > r.len - r.pos)
		bin_corrupted(&r, "context length out of range");
	st->ctx_raw = palloc(VARHDRSZ + ctx_len);
	SET_VARSIZE(st->ctx_raw, VARHDRSZ + ctx_len);
	bin_read(&r, VARDATA(st->ctx_raw), ctx_len);
	st->ctx = pass_ctx_decode(VARDATA(st->ctx_raw), ctx_len);
	st->kind = pass_kinds[st->ctx->kind];
	st->rows_seen = bin_read_int64(&r);
	st->rows_skipped = bin_read_int64(&r);
	st->rows_missing = bin_read_int64(&r);
	st->acc = st->kind->read(&r, st->ctx);
	if (st->ctx->sample_k > 0)
		st->sample = rowsample_read(&r, st->ctx->sample_k, st->ctx->spec->dim);
	bin_read_end(&r);
	return st;
}

Datum
mldb_pass_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	PassState  *a = PG_ARGISNULL(0) ? NULL : (PassState *) PG_GETARG_POINTER(0);
	PassState  *b = PG_ARGISNULL(1) ? NULL : (PassState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "mldb_pass_combine called in non-aggregate context");
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		/* the result must live in the aggregate context: start empty, merge */
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		a = pass_state_create(b->ctx_raw);
		MemoryContextSwitchTo(old);
	}
	a->rows_seen += b->rows_seen;
	a->rows_skipped += b->rows_skipped;
	a->rows_missing += b->rows_missing;
	a->kind->merge(a->acc, b->acc, a->ctx);
	if (a->sample != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		rowsample_merge(a->sample, b->sample);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(a);
}

Datum
mldb_pass_serialize(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_pass_serialize called in non-aggregate context");
	PG_RETURN_BYTEA_P(pass_state_to_bytea((PassState *) PG_GETARG_POINTER(0)));
}

Datum
mldb_pass_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "mldb_pass_deserialize called in non-aggregate context");
	PG_RETURN_POINTER(pass_state_read(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw)));
}

Datum
mldb_pass_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(pass_state_to_bytea((PassState *) PG_GETARG_POINTER(0)));
}

/* mldb.explain_passes: the pass's plan, without costs, as one NOTICE */
static void
explain_pass(const char *sql)
{
	StringInfoData plan;

	/* not read_only: SPI refuses EXPLAIN there, though it only plans */
	if (SPI_execute(psprintf("EXPLAIN (COSTS OFF) %s", sql), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not explain the training pass");
	initStringInfo(&plan);
	for (uint64 i = 0; i < SPI_processed; i++)
		appendStringInfo(&plan, "\n%s", SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1));
	ereport(NOTICE, (errmsg("training pass plan:%s", plan.data)));
}

/*
 * Run one pass: SELECT mldb._pass(ctx, args) FROM from_sql, and decode the
 * finished accumulator.  SPI_execute keeps parallel plans available
 * (DESIGN.md); read_only because a pass never writes.
 */
static int	requested_sample = 0;
static TimestampTz requested_at = 0;	/* the request lives for one statement */
static RowSample *taken_sample = NULL;

void
pass_request_sample(int k)
{
	requested_sample = k;
	requested_at = GetCurrentStatementStartTimestamp();
	taken_sample = NULL;
}

RowSample *
pass_take_sample(void)
{
	RowSample  *s = taken_sample;

	requested_sample = 0;
	taken_sample = NULL;
	return s;
}

/* The sample taken so far, left in place (its owner may rewrite it). */
RowSample *
pass_peek_sample(void)
{
	return taken_sample;
}

PassResult
pass_run(const PassCtx *ctx_in, const char *from_sql, const char *args_sql)
{
	PassResult	result = {0};
	PassCtx		ctx_copy = *ctx_in;
	const PassCtx *ctx = &ctx_copy;
	bytea	   *ctx_raw;
	StringInfoData sql;
	char	   *hex;
	int			hexlen;
	int			ret;
	bool		isnull;
	Datum		d;
	MemoryContext caller = CurrentMemoryContext;

	/* a pending sample request rides on the next pass over training rows */
	if (requested_sample > 0 && ctx_in->kind != PASS_PROFILE &&
		requested_at == GetCurrentStatementStartTimestamp())
	{
		ctx_copy.sample_k = requested_sample;
		requested_sample = 0;
	}
	ctx_raw = pass_ctx_encode(ctx);

	hex = palloc(VARSIZE_ANY_EXHDR(ctx_raw) * 2 + 1);
	hexlen = hex_encode(VARDATA_ANY(ctx_raw), VARSIZE_ANY_EXHDR(ctx_raw), hex);
	hex[hexlen] = '\0';

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT mldb._pass('\\x%s'::pg_catalog.bytea, %s) FROM %s",
					 hex, args_sql, from_sql);

	SPI_connect();
	if (mldb_explain_passes)
		explain_pass(sql.data);

	/*
	 * An error inside the scan (a bad value, a cancel, a timeout) would name
	 * the generated query, hex context and all; name the pass instead.
	 */
	PG_TRY();
	{
		ret = SPI_execute(sql.data, true, 0);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(caller);
		e = CopyErrorData();
		FlushErrorState();
		e->context = psprintf("mldb training pass \"%s\" over %s",
							  pass_kinds[ctx->kind]->name, from_sql);
		ReThrowError(e);
	}
	PG_END_TRY();
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "training pass failed: SPI_execute returned %d", ret);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);
		bytea	   *raw = DatumGetByteaPCopy(d);
		PassState  *st = pass_state_read(VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw));

		result.acc = st->acc;
		result.sample = st->sample;
		if (st->sample != NULL)
			taken_sample = st->sample;
		result.rows_seen = st->rows_seen;
		result.rows_skipped = st->rows_skipped;
		result.rows_missing = st->rows_missing;
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return result;
}

/* ---------------------------------------------------------------------
 * Deterministic split by row content
 * ---------------------------------------------------------------------
 */

RowHasher *
rowhash_bind(const Oid *types, int nargs)
{
	RowHasher  *h = palloc(sizeof(RowHasher));

	Assert(nargs <= FUNC_MAX_ARGS);
	h->nargs = nargs;
	h->conv = palloc(sizeof(NumericConv) * Max(nargs, 1));
	h->salt = palloc(sizeof(uint64) * Max(nargs, 1));
	h->float8_cols = palloc(sizeof(int) * Max(nargs, 1));
	h->other_cols = palloc(sizeof(int) * Max(nargs, 1));
	h->nfloat8 = h->nother = 0;
	h->typlen = palloc(sizeof(int16) * Max(nargs, 1));
	h->typbyval = palloc(sizeof(bool) * Max(nargs, 1));
	h->labelout = palloc0(sizeof(FmgrInfo *) * Max(nargs, 1));
	for (int i = 0; i < nargs; i++)
	{
		h->conv[i] = featurespec_numeric_conv(types[i]);
		if (getBaseType(types[i]) == FLOAT8OID)
			h->float8_cols[h->nfloat8++] = i;
		else
			h->other_cols[h->nother++] = i;
		h->salt[i] = UINT64CONST(0xbf58476d1ce4e5b9) * (uint64) (i + 1);
		get_typlenbyval(types[i], &h->typlen[i], &h->typbyval[i]);

		/*
		 * An enum value is an OID, which pg_dump/pg_restore does not keep:
		 * hash its label, so a restored model re-selects the same hold-out.
		 */
		if (type_is_enum(getBaseType(types[i])))
		{
			Oid			outfn;
			bool		varlena;

			h->labelout[i] = palloc(sizeof(FmgrInfo));
			getTypeOutputInfo(types[i], &outfn, &varlena);
			fmgr_info(outfn, h->labelout[i]);
		}
	}
	return h;
}

/* murmur3's 64-bit finalizer: every input bit affects every output bit */
static inline uint64
mix64(uint64 k)
{
	k ^= k >> 33;
	k *= UINT64CONST(0xff51afd7ed558ccd);
	k ^= k >> 33;
	k *= UINT64CONST(0xc4ceb9fe1a85ec53);
	k ^= k >> 33;
	return k;
}

/* A numeric value's key: its bits, -0 and +0 being the same value. */
static inline uint64
float8_key(double v)
{
	uint64		k;

	memcpy(&k, &v, sizeof(k));
	return (k << 1) == 0 ? 0 : k;	/* ±0 (all bits but the sign clear): +0's */
}

/* sum of mix64(keys[i] ^ salt[i]) */
static uint64
mix_sum(const uint64 *keys, const uint64 *salt, int n)
{
	uint64		acc = 0;

	for (int i = 0; i < n; i++)
		acc += mix64(keys[i] ^ salt[i]);
	return acc;
}

#define NULL_KEY UINT64CONST(0x6a09e667f3bcc909)	/* a NULL's key */

/*
 * A 64-bit hash of the seed and the row's values args[h->nargs].  Numeric
 * values are hashed through their float8 value, so the split does not
 * depend on whether a column is integer or numeric, or on which process
 * scans it.  The values are copied into values and isnull as they are read
 * (a NULL's value as 0).  nums, when given, gets each numeric value as a
 * double and each varlena value's level hash (featurespec_encode reuses
 * both).
 */
uint64
rowhash64(const RowHasher *h, int64 seed, const NullableDatum *args, Datum *restrict values,
		  bool *restrict isnull, double *restrict nums)
{
	uint64		keys[FUNC_MAX_ARGS];	/* a call has no more arguments */
	uint64		acc = (uint64) seed * UINT64CONST(0x9e3779b97f4a7c15);

	/*
	 * Each value has a key, mixed on its own (with its position, so that
	 * swapped values differ) and the results summed, so the multiplications
	 * of different columns do not wait on each other; one final mix spreads
	 * the sum.  The keys first, float8 columns (the common numeric table)
	 * in a loop without type dispatch, then the others; then the mixing,
	 * in one loop without branches.
	 */
	for (int j = 0; j < h->nfloat8; j++)
	{
		int			i = h->float8_cols[j];
		double		v;

		arg_copy(args, i, values, isnull);
		v = DatumGetFloat8(values[i]);

		if (nums != NULL)
			nums[i] = v;
		keys[i] = isnull[i] ? NULL_KEY : float8_key(v);
	}
	for (int j = 0; j < h->nother; j++)
	{
		int			i = h->other_cols[j];

		arg_copy(args, i, values, isnull);
		if (isnull[i])
			keys[i] = NULL_KEY;
		else if (h->conv[i] != NULL)
		{
			double		v = h->conv[i] (values[i]);

			if (nums != NULL)
				nums[i] = v;
			keys[i] = float8_key(v);
		}
		else if (h->labelout[i] != NULL)
		{
			char	   *s = OutputFunctionCall(h->labelout[i], values[i]);

			keys[i] = hash_bytes_extended((unsigned char *) s, strlen(s), 0);
		}
		else if (h->typbyval[i])
			keys[i] = (uint64) values[i];
		else if (h->typlen[i] == -1)
		{
			struct varlena *p = datum_packed(values[i]);

			keys[i] = text_hash(VARDATA_ANY(p), VARSIZE_ANY_EXHDR(p));
			/* the encoder's level hash of text: computed once */
			if (nums != NULL)
				nums[i] = featurespec_level_hash_of(keys[i]);
		}
		else if (h->typlen[i] == -2)
		{
			char	   *s = DatumGetCString(values[i]);

			keys[i] = hash_bytes_extended((unsigned char *) s, strlen(s), 0);
		}
		else
			keys[i] = hash_bytes_extended((unsigned char *) DatumGetPointer(values[i]),
										  h->typlen[i], 0);
	}
	return mix64(acc + mix_sum(keys, h->salt, h->nargs));
}

/*
 * A second key from the same hash for sampling ("keep the rows with the
 * smallest keys"): remixed so that the sample is not the hold-out split.
 */
uint64
rowhash_sample_key(uint64 hash)
{
	return mix64(hash ^ UINT64CONST(0x2545f4914f6cdd1d));
}

/*
 * mldb._split_unit(seed, VARIADIC "any"): the unit value the training pass
 * used for this row, so evaluate() can select exactly the hold-out rows.
 */
Datum
mldb_split_unit(PG_FUNCTION_ARGS)
{
	RowHasher  *h = (RowHasher *) fcinfo->flinfo->fn_extra;
	int			nargs = PG_NARGS() - 1;
	Datum		values[FUNC_MAX_ARGS];	/* rowhash64's copies, unused here */
	bool		isnull[FUNC_MAX_ARGS];

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (h == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		Oid		   *types = palloc(sizeof(Oid) * Max(nargs, 1));

		for (int i = 0; i < nargs; i++)
			types[i] = get_fn_expr_argtype(fcinfo->flinfo, i + 1);
		h = rowhash_bind(types, nargs);
		fcinfo->flinfo->fn_extra = h;
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_FLOAT8(rowhash_unit(rowhash64(h, PG_GETARG_INT64(0), fcinfo->args + 1, values,
											isnull, NULL)));
}
