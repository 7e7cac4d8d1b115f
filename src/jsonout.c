/*-------------------------------------------------------------------------
 * jsonout.c
 *	  A small JSON text writer for the readable outputs (params, metrics,
 *	  describe).  Building text and parsing it once with jsonb_in keeps the
 *	  callers short; these documents are small and built once per training.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/fmgrprotos.h"

static void
jw_key(JsonWriter *w, const char *key)
{
	if (w->need_comma[w->depth])
		appendStringInfoChar(&w->buf, ',');
	w->need_comma[w->depth] = true;
	if (key != NULL)
	{
		escape_json(&w->buf, key);
		appendStringInfoChar(&w->buf, ':');
	}
}

void
jw_init(JsonWriter *w)
{
	initStringInfo(&w->buf);
	w->depth = 0;
	w->need_comma[0] = false;
	appendStringInfoChar(&w->buf, '{');
}

static void
jw_open(JsonWriter *w, const char *key, char c)
{
	jw_key(w, key);
	appendStringInfoChar(&w->buf, c);
	if (++w->depth >= (int) lengthof(w->need_comma))
		elog(ERROR, "JSON document nested too deeply");
	w->need_comma[w->depth] = false;
}

static void
jw_close(JsonWriter *w, char c)
{
	Assert(w->depth > 0);
	w->depth--;
	appendStringInfoChar(&w->buf, c);
}

void
jw_begin_object(JsonWriter *w, const char *key)
{
	jw_open(w, key, '{');
}

void
jw_end_object(JsonWriter *w)
{
	jw_close(w, '}');
}

void
jw_begin_array(JsonWriter *w, const char *key)
{
	jw_open(w, key, '[');
}

void
jw_end_array(JsonWriter *w)
{
	jw_close(w, ']');
}

void
jw_number(JsonWriter *w, const char *key, double v)
{
	jw_key(w, key);
	if (isfinite(v))
		appendStringInfoString(&w->buf, float8out_internal(v));
	else
		appendStringInfoString(&w->buf, "null");
}

void
jw_int(JsonWriter *w, const char *key, int64 v)
{
	jw_key(w, key);
	appendStringInfo(&w->buf, INT64_FORMAT, v);
}

void
jw_string(JsonWriter *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v == NULL)
		appendStringInfoString(&w->buf, "null");
	else
		escape_json(&w->buf, v);
}

void
jw_bool(JsonWriter *w, const char *key, bool v)
{
	jw_key(w, key);
	appendStringInfoString(&w->buf, v ? "true" : "false");
}

void
jw_null(JsonWriter *w, const char *key)
{
	jw_key(w, key);
	appendStringInfoString(&w->buf, "null");
}

void
jw_raw(JsonWriter *w, const char *key, const char *json)
{
	jw_key(w, key);
	appendStringInfoString(&w->buf, json);
}

Jsonb *
jw_finish(JsonWriter *w)
{
	Assert(w->depth == 0);
	appendStringInfoChar(&w->buf, '}');
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(w->buf.data)));
}
