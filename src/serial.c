/*-------------------------------------------------------------------------
 * serial.c
 *	  Binary encoding used for stored models and serialized aggregate
 *	  states: fixed-width little-endian-on-x86 values (memcpy of the native
 *	  representation; the portable format is export_model's jsonb) read back
 *	  through a bounds-checked reader.
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

void
binreader_init(BinReader *r, const char *data, Size len, const char *what)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
	r->what = what;
}

void
bin_corrupted(BinReader *r, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s is corrupted", r->what),
			 errdetail("%s (at byte %zu of %zu).", detail, r->pos, r->len),
			 errhint("Retrain the model, or restore it from a backup or an export.")));
}

void
bin_read(BinReader *r, void *dst, Size n)
{
	if (n > r->len - r->pos)
		bin_corrupted(r, "unexpected end of data");
	memcpy(dst, r->data + r->pos, n);
	r->pos += n;
}

int32
bin_read_int32(BinReader *r)
{
	int32		v;

	bin_read(r, &v, sizeof(v));
	return v;
}

int64
bin_read_int64(BinReader *r)
{
	int64		v;

	bin_read(r, &v, sizeof(v));
	return v;
}

double
bin_read_float8(BinReader *r)
{
	double		v;

	bin_read(r, &v, sizeof(v));
	return v;
}

double *
bin_read_float8_array(BinReader *r, int n)
{
	double	   *v;

	/* check the length before allocating, so a huge bogus n cannot OOM */
	if (n < 0 || (Size) n > (r->len - r->pos) / sizeof(double))
		bin_corrupted(r, "array length out of range");
	v = palloc(sizeof(double) * Max(n, 1));
	bin_read(r, v, sizeof(double) * n);
	return v;
}

char *
bin_read_string(BinReader *r)
{
	int32		n = bin_read_int32(r);
	char	   *s;

	if (n < 0 || (Size) n > r->len - r->pos)
		bin_corrupted(r, "string length out of range");
	s = palloc(n + 1);
	bin_read(r, s, n);
	s[n] = '\0';
	if (strlen(s) != (size_t) n)
		bin_corrupted(r, "string contains a zero byte");
	return s;
}

void
bin_read_end(BinReader *r)
{
	if (r->pos != r->len)
		bin_corrupted(r, "trailing bytes after the last field");
}

void
bin_write_int32(StringInfo buf, int32 v)
{
	appendBinaryStringInfo(buf, (char *) &v, sizeof(v));
}

void
bin_write_int64(StringInfo buf, int64 v)
{
	appendBinaryStringInfo(buf, (char *) &v, sizeof(v));
}

void
bin_write_float8(StringInfo buf, double v)
{
	appendBinaryStringInfo(buf, (char *) &v, sizeof(v));
}

void
bin_write_float8_array(StringInfo buf, const double *v, int n)
{
	if (n > 0)
		appendBinaryStringInfo(buf, (const char *) v, sizeof(double) * n);
}

void
bin_write_string(StringInfo buf, const char *s)
{
	int32		n = strlen(s);

	bin_write_int32(buf, n);
	appendBinaryStringInfo(buf, s, n);
}

/* A bytea holding a copy of data[len]. */
bytea *
bin_to_bytea(const char *data, int len)
{
	bytea	   *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), data, len);
	return result;
}
