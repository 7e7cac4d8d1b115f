/*-------------------------------------------------------------------------
 * mldb.h
 *	  Declarations shared by every mldb source file: tasks, GUCs and the
 *	  small utilities (binary reader, JSON writer) that several modules use.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_H
#define MLDB_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "portability/instr_time.h"
#include "utils/jsonb.h"

#define MLDB_SCHEMA "mldb"

/* VARIADIC "any" passes at most FUNC_MAX_ARGS - 1 (model/ctx argument) values */
#define MLDB_MAX_COLUMNS (FUNC_MAX_ARGS - 2)

typedef enum MldbTask
{
	MLDB_TASK_REGRESSION,
	MLDB_TASK_CLASSIFICATION,
	MLDB_TASK_CLUSTERING,
	MLDB_TASK_DECOMPOSITION
} MldbTask;

extern const char *mldb_task_name(MldbTask task);

/* GUCs (mldb.c) */
extern bool mldb_explain_passes;
extern int	mldb_max_distinct;

/*
 * Bounds-checked reader over a byte buffer.  Every read of a stored model or
 * of a serialized aggregate state goes through it, so a truncated or foreign
 * buffer is an ERROR (ERRCODE_DATA_CORRUPTED), never a read past the end.
 */
typedef struct BinReader
{
	const char *data;
	Size		len;
	Size		pos;
	const char *what;			/* names the buffer in error messages */
} BinReader;

extern void binreader_init(BinReader *r, const char *data, Size len, const char *what);
extern void bin_read(BinReader *r, void *dst, Size n);
extern int32 bin_read_int32(BinReader *r);
extern int64 bin_read_int64(BinReader *r);
extern double bin_read_float8(BinReader *r);
extern double *bin_read_float8_array(BinReader *r, int n);
extern char *bin_read_string(BinReader *r);
extern void bin_read_end(BinReader *r);
extern void bin_corrupted(BinReader *r, const char *detail) pg_attribute_noreturn();

extern void bin_write_int32(StringInfo buf, int32 v);
extern void bin_write_int64(StringInfo buf, int64 v);
extern void bin_write_float8(StringInfo buf, double v);
extern void bin_write_float8_array(StringInfo buf, const double *v, int n);
extern void bin_write_string(StringInfo buf, const char *s);
extern bytea *bin_to_bytea(const char *data, int len);

/*
 * Minimal JSON text writer for the readable outputs (params, metrics).
 * Non-finite numbers are written as null: jsonb has no NaN.
 */
typedef struct JsonWriter
{
	StringInfoData buf;
	int			depth;
	bool		need_comma[32];
} JsonWriter;

extern void jw_init(JsonWriter *w);
extern void jw_begin_object(JsonWriter *w, const char *key);
extern void jw_end_object(JsonWriter *w);
extern void jw_begin_array(JsonWriter *w, const char *key);
extern void jw_end_array(JsonWriter *w);
extern void jw_number(JsonWriter *w, const char *key, double v);
extern void jw_int(JsonWriter *w, const char *key, int64 v);
extern void jw_string(JsonWriter *w, const char *key, const char *v);
extern void jw_bool(JsonWriter *w, const char *key, bool v);
extern void jw_null(JsonWriter *w, const char *key);
extern void jw_raw(JsonWriter *w, const char *key, const char *json);
extern Jsonb *jw_finish(JsonWriter *w);

extern double mldb_elapsed_ms(instr_time start);

#endif							/* MLDB_H */
