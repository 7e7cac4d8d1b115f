/*-------------------------------------------------------------------------
 * stats.c
 *	  Summaries of the training distribution, stored in a version's
 *	  feature_stats and compared with new data by mldb.drift: from a
 *	  deterministic sample of the encoded training rows (taken by the
 *	  training passes at no extra scan), per numeric feature the 101
 *	  percentiles of its present values, per categorical feature the
 *	  frequency of each level, and the distribution of the model's own
 *	  predictions on those rows (categorical for classes and cluster ids).
 *-------------------------------------------------------------------------
 */
#include "mldb.h"

#include <math.h>

#include "stats.h"

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Percentiles 0..100 of v[n] (sorted in place), linear interpolation. */
void
stats_percentiles(double *v, int n, double *out)
{
	qsort(v, n, sizeof(double), cmp_double);
	for (int p = 0; p < MLDB_STATS_PERCENTILES; p++)
	{
		double		pos = (n - 1) * p / 100.0;
		int			lo = (int) floor(pos);
		int			hi = Min(lo + 1, n - 1);

		out[p] = n == 0 ? NAN : v[lo] + (v[hi] - v[lo]) * (pos - lo);
	}
}

/*
 * A sampled row (pass layout: main slots, then missing-value indicators)
 * in the final model's layout, missing values imputed as predict would.
 */
void
stats_final_row(const FeatureSpec *pass_spec, const FeatureSpec *final_spec,
				const double *x, double *out)
{
	memcpy(out, x, sizeof(double) * final_spec->dim);
	for (int i = 0; i < pass_spec->ncols; i++)
	{
		const FeatureColumn *c = &pass_spec->cols[i];

		if (c->indicator >= 0 && x[c->indicator] != 0)
			out[c->offset] = final_spec->cols[i].impute;
	}
}

static void
write_percentiles(JsonWriter *w, double *v, int n)
{
	double		pct[MLDB_STATS_PERCENTILES];

	stats_percentiles(v, n, pct);
	jw_int(w, "n", n);
	jw_begin_array(w, "percentiles");
	for (int p = 0; p < MLDB_STATS_PERCENTILES; p++)
		jw_number(w, NULL, pct[p]);
	jw_end_array(w);
}

void
stats_write_sample_json(JsonWriter *w, const FeatureSpec *pass_spec,
						const MldbModel *model, const RowSample *sample)
{
	int			n = sample->n;
	double	   *v = palloc(sizeof(double) * Max(n, 1));
	double	   *row = palloc(sizeof(double) * Max(model->spec->dim, 1));

	jw_begin_object(w, "features");
	for (int i = 0; i < pass_spec->ncols; i++)
	{
		const FeatureColumn *c = &pass_spec->cols[i];

		jw_begin_object(w, c->name);
		if (c->kind == FEATURE_NUMERIC)
		{
			int			m = 0;

			for (int r = 0; r < n; r++)
			{
				const double *x = sample->x + (Size) r * sample->dim;

				if (c->indicator < 0 || x[c->indicator] == 0)
					v[m++] = x[c->offset];
			}
			jw_string(w, "type", "numeric");
			write_percentiles(w, v, m);
		}
		else
		{
			double		rest = 1.0;

			jw_string(w, "type", "categorical");
			jw_int(w, "n", n);
			jw_begin_object(w, "frequencies");
			for (int l = c->drop_first; l < c->nlevels; l++)
			{
				double		f = 0;

				for (int r = 0; r < n; r++)
					f += sample->x[(Size) r * sample->dim + c->offset + l - c->drop_first];
				f = n > 0 ? f / n : NAN;
				rest -= f;
				jw_number(w, c->levels[l], f);
			}
			if (c->drop_first && c->nlevels > 0)
				jw_number(w, c->levels[0], rest);
			jw_end_object(w);
		}
		jw_end_object(w);
	}
	jw_end_object(w);

	/* the model's own output on the same rows: prediction drift */
	jw_begin_object(w, "prediction");
	if (model->spec->nclasses > 0)
	{
		double	   *f = palloc0(sizeof(double) * model->spec->nclasses);

		for (int r = 0; r < n; r++)
		{
			stats_final_row(pass_spec, model->spec, sample->x + (Size) r * sample->dim, row);
			f[(int) model->algo->predict(model, row)] += 1.0 / n;
		}
		jw_string(w, "type", "categorical");
		jw_int(w, "n", n);
		jw_begin_object(w, "frequencies");
		for (int k = 0; k < model->spec->nclasses; k++)
			jw_number(w, model->spec->classes[k], f[k]);
		jw_end_object(w);
	}
	else if (model->algo->task == MLDB_TASK_CLUSTERING)
	{
		/* cluster ids are categories, not numbers: their frequencies */
		int			top = -1;
		double	   *f;

		for (int r = 0; r < n; r++)
		{
			stats_final_row(pass_spec, model->spec, sample->x + (Size) r * sample->dim, row);
			v[r] = model->algo->predict(model, row);
			top = Max(top, (int) v[r]);
		}
		f = palloc0(sizeof(double) * (top + 1 + 1));
		for (int r = 0; r < n; r++)
			f[(int) v[r]] += 1.0 / n;
		jw_string(w, "type", "categorical");
		jw_int(w, "n", n);
		jw_begin_object(w, "frequencies");
		for (int k = 0; k <= top; k++)
			if (f[k] > 0)
				jw_number(w, psprintf("%d", k), f[k]);
		jw_end_object(w);
	}
	else if (model->algo->task != MLDB_TASK_DECOMPOSITION)
	{
		for (int r = 0; r < n; r++)
		{
			stats_final_row(pass_spec, model->spec, sample->x + (Size) r * sample->dim, row);
			v[r] = model->algo->predict(model, row);
		}
		jw_string(w, "type", "numeric");
		write_percentiles(w, v, n);
	}
	jw_end_object(w);
}
