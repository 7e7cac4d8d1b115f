/*-------------------------------------------------------------------------
 * sample.h
 *	  A deterministic bottom-k row sample: keep the k rows with the smallest
 *	  rowhash_sample_key(rowhash).  Because the kept set depends only on the
 *	  rows' content (through their hash), never on the order they arrive in,
 *	  two partial samples merge exactly: the sample of a parallel scan is
 *	  the sample of a serial one, row for row.
 *
 *	  RowSample is the reusable structure (embed it in any accumulator);
 *	  PASS_SAMPLE (sample_pass_kind) is a pass that returns one, together
 *	  with the per-feature count, mean and scatter of every row it saw.
 *-------------------------------------------------------------------------
 */
#ifndef MLDB_SAMPLE_H
#define MLDB_SAMPLE_H

#include "pass.h"

typedef struct RowSample
{
	int			capacity;		/* k */
	int			dim;			/* doubles of x per row */
	int			n;				/* rows held, <= capacity */
	bool		sorted;			/* rows are in ascending key order (no heap) */
	int		   *heap;			/* max-heap of row indexes by key */
	uint64	   *key;			/* capacity, by row index */
	double	   *y;				/* capacity */
	double	   *x;				/* capacity x dim, row-major */
} RowSample;

extern RowSample *rowsample_create(int capacity, int dim);
extern void rowsample_add(RowSample *s, uint64 key, double y, const double *x);

/*
 * Could a row with this key enter the sample?  (The per-row test, inline;
 * a finished sample says yes, for rowsample_add's error.)
 */
static inline bool
rowsample_may_take(const RowSample *s, uint64 key)
{
	return s->n < s->capacity || s->sorted || key <= s->key[s->heap[0]];
}
extern void rowsample_merge(RowSample *a, const RowSample *b);

/*
 * Put the rows in ascending key order (row i is then x + i * dim), so
 * that consumers see the same order whatever the scan's parallelism.
 * No more rows may be added afterwards.
 */
extern void rowsample_sort(RowSample *s);
extern void rowsample_write(StringInfo buf, const RowSample *s);
extern RowSample *rowsample_read(BinReader *r, int capacity, int dim);

/*
 * PASS_SAMPLE.  ctx->extra holds one int32: the capacity.  Every row the
 * pass sees is sampled (set ctx->skip_holdout to leave hold-out rows out);
 * the encoded features x and the target y (0 without one) are kept.
 */
typedef struct SampleAcc
{
	RowSample  *sample;
	double		n;				/* rows seen */
	double	   *mean;			/* dim, of x over every row seen */
	double	   *m2;				/* dim, sum of (x - mean)^2 */
} SampleAcc;

extern void sample_pass_extra(PassCtx *ctx, int capacity);

#endif
