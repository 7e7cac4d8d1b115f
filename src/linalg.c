/*
 * linalg.c
 *	  Dense linear algebra and distribution tails for mldb.
 *
 * This file owns every call into CBLAS/LAPACKE: Cholesky solve and inverse,
 * the symmetric eigen-decomposition and what is built on it (pseudo-inverse,
 * condition number), and the elastic-net coordinate-descent solver that works
 * on a Gram matrix.  It also owns the special functions behind p-values
 * (regularized incomplete beta and gamma), so that no other file deals with
 * LAPACK error codes or with the cancellation traps of lgamma.
 *
 * Matrices are row-major, full storage (both triangles filled), double.
 * Inputs are never modified; scratch is palloc'd and pfree'd here.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include <cblas.h>
#include <lapacke.h>

#include "linalg.h"

/* log(sqrt(2 pi)) */
#define LN_SQRT_2PI 0.918938533204672741780329736406

/* Lentz's guard against a zero denominator (Numerical Recipes 3rd ed., 5.2) */
#define LENTZ_TINY	(DBL_MIN / DBL_EPSILON)

/*
 * Beyond this many degrees of freedom Student's t is the normal distribution
 * to double precision for every |t| whose p-value is representable (the
 * relative difference is about t^4 / (4 df) < 1e-19 for |t| < 40), and the
 * beta machinery's products (a + 2m)^2 would eventually overflow.
 */
#define T_NORMAL_DF 1e25

static double *chol_factor(int n, const double *A);
static void lapack_check(const char *fn, lapack_int info);
static bool all_finite(Size n, const double *v);
static void sym_eigen(int n, const double *A, double *w, double *V);
static double enet_gap(int p, const double *G, const double *c,
					   double l1, double l2, const double *b,
					   const double *Gb, double *yhat2);
static double gram_fit_norm2(int p, const double *G, const double *c);
static double log1pmx(double u);
static double stirling_corr(double x);
static int	cf_max_terms(double a);
static double incbeta_front(double a, double b, double x, double y);
static double incbeta_cf(double a, double b, double x, double y);
static double incbeta(double a, double b, double x, double y);


/*
 * Cholesky
 */

bool
mldb_chol_solve(int n, const double *A, const double *b, double *x)
{
	double	   *L;
	lapack_int	info;

	if (n <= 0)
		return true;
	/* LAPACKE reports NaN input as an argument error; it is a data problem */
	if (!all_finite(n, b))
		return false;
	L = chol_factor(n, A);
	if (L == NULL)
		return false;

	memmove(x, b, sizeof(double) * n);
	info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, 1, L, n, x, 1);
	lapack_check("LAPACKE_dpotrs", info);
	pfree(L);
	return true;
}

bool
mldb_chol_inverse(int n, const double *A, double *Ainv)
{
	double	   *L;
	lapack_int	info;
	int			i,
				j;

	if (n <= 0)
		return true;
	L = chol_factor(n, A);
	if (L == NULL)
		return false;

	/* dpotri leaves the inverse in the lower triangle only */
	info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', n, L, n);
	lapack_check("LAPACKE_dpotri", info);
	for (i = 0; i < n; i++)
		for (j = 0; j <= i; j++)
			Ainv[i * n + j] = Ainv[j * n + i] = L[i * n + j];
	pfree(L);
	return true;
}


/*
 * Symmetric eigenproblems
 */

void
mldb_sym_eigen(int n, const double *A, double *w, double *V)
{
	int			i,
				j;

	if (n <= 0)
		return;
	sym_eigen(n, A, w, V);

	/*
	 * LAPACK's eigenvector signs are arbitrary and may differ between BLAS
	 * builds; fix them (largest-magnitude component positive, the rule of
	 * scikit-learn's svd_flip) so that PCA loadings are reproducible.
	 */
	for (j = 0; j < n; j++)
	{
		int			imax = 0;

		for (i = 1; i < n; i++)
			if (fabs(V[i * n + j]) > fabs(V[imax * n + j]))
				imax = i;
		if (V[imax * n + j] < 0)
			for (i = 0; i < n; i++)
				V[i * n + j] = -V[i * n + j];
	}
}

int
mldb_sym_pinv(int n, const double *A, double rcond, double *Ainv)
{
	double	   *w;
	double	   *V;
	double		thresh;
	int			first,
				rank,
				i,
				j;

	if (n <= 0)
		return 0;
	w = palloc(sizeof(double) * n);
	V = palloc(sizeof(double) * n * n);
	sym_eigen(n, A, w, V);

	/*
	 * w is ascending, so the kept eigenpairs are the last ones.  Negative
	 * eigenvalues of a PSD matrix are rounding noise and are dropped too.
	 */
	thresh = fmax(rcond, 0.0) * fmax(w[n - 1], 0.0);
	for (first = 0; first < n; first++)
		if (w[first] > thresh && w[first] > 0.0)
			break;
	rank = n - first;

	/* A^+ = sum_j v_j v_j' / w_j = U U' with U = V[:, kept] diag(w^-1/2) */
	for (j = first; j < n; j++)
	{
		double		s = 1.0 / sqrt(w[j]);

		for (i = 0; i < n; i++)
			V[i * n + j] *= s;
	}
	if (rank > 0)
	{
		cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, n, rank,
					1.0, V + first, n, 0.0, Ainv, n);
		for (i = 0; i < n; i++)
			for (j = 0; j < i; j++)
				Ainv[j * n + i] = Ainv[i * n + j];
	}
	else
		memset(Ainv, 0, sizeof(double) * n * n);

	pfree(w);
	pfree(V);
	return rank;
}

double
mldb_sym_cond(int n, const double *A)
{
	double	   *w;
	double		cond;

	if (n <= 0)
		return 1.0;
	w = palloc(sizeof(double) * n);
	sym_eigen(n, A, w, NULL);
	cond = (w[0] > 0.0) ? w[n - 1] / w[0] : get_float8_infinity();
	pfree(w);
	return cond;
}


/*
 * Elastic net by cyclic coordinate descent on the Gram form,
 *
 *	 P(b) = 1/2 b'Gb - c'b + l1 |b|_1 + l2/2 |b|^2,
 *
 * in the "covariance update" form of Friedman, Hastie & Tibshirani (2010),
 * "Regularization paths for GLMs via coordinate descent", JSS 33(1), sec. 2.2:
 * the vector Gb is kept up to date, so a sweep is O(p^2) and never touches
 * the rows.  The coordinate update is
 *
 *	 b_j <- S(c_j - (Gb)_j + G_jj b_j, l1) / (G_jj + l2),  S = soft-threshold.
 *
 * The stopping rule is scikit-learn's (sklearn/linear_model/_cd_fast.pyx,
 * enet_coordinate_descent_gram): a cheap test on the coordinate changes, and
 * when it passes, a duality-gap certificate (enet_gap).
 */
int
mldb_enet_cd(int p, const double *G, const double *c, double l1, double l2,
			 int max_iter, double tol, double *b)
{
	double	   *Gb;
	double		yhat2 = -1.0;	/* c'G^+c, computed on first need */
	int			sweep,
				j;

	Assert(l1 >= 0.0 && l2 >= 0.0);
	if (p <= 0)
		return 0;

	Gb = palloc(sizeof(double) * p);
	for (j = 0; j < p; j++)
		if (G[j * p + j] + l2 <= 0.0)
			b[j] = 0.0;
	cblas_dsymv(CblasRowMajor, CblasLower, p, 1.0, G, p, b, 1, 0.0, Gb, 1);

	for (sweep = 1; sweep <= max_iter; sweep++)
	{
		double		bmax = 0.0;
		double		dmax = 0.0;

		CHECK_FOR_INTERRUPTS();

		for (j = 0; j < p; j++)
		{
			double		denom = G[j * p + j] + l2;
			double		bold = b[j];
			double		r,
						bnew;

			/* a coordinate with no curvature and no penalty stays at 0 */
			if (denom <= 0.0)
				continue;
			r = c[j] - Gb[j] + G[j * p + j] * bold;
			bnew = (r > l1) ? (r - l1) / denom :
				(r < -l1) ? (r + l1) / denom : 0.0;
			if (bnew != bold)
			{
				/* G is symmetric: row j is column j */
				cblas_daxpy(p, bnew - bold, G + (Size) j * p, 1, Gb, 1);
				b[j] = bnew;
			}
			dmax = fmax(dmax, fabs(bnew - bold));
			bmax = fmax(bmax, fabs(bnew));
		}

		if (dmax <= tol * fmax(bmax, DBL_MIN))
		{
			if (l1 <= 0.0)
				break;
			/* recompute Gb so that rounding drift does not bias the gap */
			cblas_dsymv(CblasRowMajor, CblasLower, p, 1.0, G, p, b, 1,
						0.0, Gb, 1);
			if (enet_gap(p, G, c, l1, l2, b, Gb, &yhat2) <= tol)
				break;
		}
	}

	pfree(Gb);
	return (sweep <= max_iter) ? sweep : -1;
}

/*
 * Two-sided p-value of Student's t: P(|T| >= |t|) = I_x(df/2, 1/2) with
 * x = df / (df + t^2) (Numerical Recipes in C, 2nd ed., 6.4).  x and 1 - x
 * are formed separately so that neither loses digits for large df.
 * Checked against mpmath for df in [1e-3, 1e20]: relative error <= 6e-14
 * while p >= 1e-200; below that it grows like eps * |log p|.
 */
double
mldb_t_pvalue(double t, double df)
{
	double		at = fabs(t);
	double		x,
				y;

	if (isnan(t) || isnan(df) || df <= 0.0)
		return get_float8_nan();
	if (isinf(at))
		return 0.0;
	if (df > T_NORMAL_DF)
		return mldb_normal_pvalue(t);
	if (at == 0.0)
		return 1.0;

	if (at * at < df)
	{
		double		s = at * at / df;

		x = 1.0 / (1.0 + s);
		y = s / (1.0 + s);
	}
	else
	{
		double		r = df / at / at;	/* no overflow for huge |t| */

		x = r / (1.0 + r);
		y = 1.0 / (1.0 + r);
	}
	return incbeta(0.5 * df, 0.5, x, y);
}

double
mldb_normal_pvalue(double z)
{
	return erfc(fabs(z) / M_SQRT2);
}

double
mldb_incbeta(double a, double b, double x)
{
	if (isnan(a) || isnan(b) || isnan(x) || a <= 0.0 || b <= 0.0)
		return get_float8_nan();
	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	return incbeta(a, b, x, 1.0 - x);
}

/*
 * Q(a, x) = Gamma(a, x) / Gamma(a) as in Numerical Recipes 3rd ed., 6.2:
 * the series for P = 1 - Q when x < a + 1 (NR 6.2.5), else the continued
 * fraction for Q (NR 6.2.7, DLMF 8.9.2) evaluated by modified Lentz.  The
 * common factor x^a e^-x / Gamma(a) is formed in logs; for a >= 10 through
 * Stirling's series so that a*log(x) - lgamma(a) does not cancel.
 */
double
mldb_gamma_q(double a, double x)
{
	double		lfront;
	int			maxit = cf_max_terms(a);
	int			i;

	if (isnan(a) || isnan(x) || a <= 0.0)
		return get_float8_nan();
	if (x <= 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;

	if (a >= 10.0)
		lfront = a * log1pmx((x - a) / a) + 0.5 * log(a) - LN_SQRT_2PI
			- stirling_corr(a);
	else
		lfront = a * log(x) - x - lgamma(a);

	if (x < a + 1.0)
	{
		double		ap = a;
		double		del = 1.0 / a;
		double		sum = del;

		for (i = 0; i < maxit; i++)
		{
			ap += 1.0;
			del *= x / ap;
			sum += del;
			if (fabs(del) <= fabs(sum) * DBL_EPSILON)
				return fmax(0.0, 1.0 - sum * exp(lfront));
		}
	}
	else
	{
		double		bb = x + 1.0 - a;
		double		cc = 1.0 / LENTZ_TINY;
		double		d = 1.0 / bb;
		double		h = d;

		for (i = 1; i <= maxit; i++)
		{
			double		an = -i * (i - a);
			double		del;

			bb += 2.0;
			d = an * d + bb;
			if (fabs(d) < LENTZ_TINY)
				d = LENTZ_TINY;
			cc = bb + an / cc;
			if (fabs(cc) < LENTZ_TINY)
				cc = LENTZ_TINY;
			d = 1.0 / d;
			del = d * cc;
			h *= del;
			if (fabs(del - 1.0) <= DBL_EPSILON)
				return fmin(1.0, exp(lfront) * h);
		}
	}
	elog(ERROR, "incomplete gamma did not converge for a = %g, x = %g", a, x);
	return 0.0;					/* keep compiler quiet */
}


/*
 * Static helpers: linear algebra
 */

/*
 * LAPACKE's own workspace (and the row-major transposition copy) is malloc'd;
 * running out of it is the only failure a caller can provoke.  info > 0
 * means "not positive definite" or "failed to converge", which the callers
 * of dpotrf handle and which cannot happen for the other routines on finite
 * input.
 */
static void
lapack_check(const char *fn, lapack_int info)
{
	if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("%s could not allocate its workspace.", fn)));
	if (info != 0)
		elog(ERROR, "%s failed: info %d", fn, (int) info);
}

static bool
all_finite(Size n, const double *v)
{
	Size		i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			return false;
	return true;
}

/*
 * Cholesky factor (lower triangle) of a copy of A, or NULL if A is not
 * numerically positive definite.  dpotrf fails only on a pivot <= 0, but a
 * singular matrix usually survives with a pivot at rounding level and then
 * yields garbage, so a pivot is also rejected when L_jj^2 <= n eps A_jj.
 * L_jj^2 / A_jj is the part of column j not explained by the columns before
 * it (1/VIF in regression terms); it is invariant under diagonal scaling, so
 * the test does not depend on the units of the features.
 */
static double *
chol_factor(int n, const double *A)
{
	double	   *L;
	lapack_int	info;
	int			j;

	if (!all_finite((Size) n * n, A))
		return NULL;
	L = palloc(sizeof(double) * n * n);
	memcpy(L, A, sizeof(double) * n * n);
	info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, L, n);
	if (info < 0)
		lapack_check("LAPACKE_dpotrf", info);
	for (j = 0; info == 0 && j < n; j++)
	{
		double		d = L[j * n + j];

		if (!(d * d > n * DBL_EPSILON * A[j * n + j]))
			info = j + 1;
	}
	if (info > 0)
	{
		pfree(L);
		return NULL;
	}
	return L;
}

/*
 * dsyevr (MRRR) on a copy of A; eigenvectors only if V is not NULL.
 */
static void
sym_eigen(int n, const double *A, double *w, double *V)
{
	double	   *a;
	lapack_int *isuppz;
	lapack_int	m;
	lapack_int	info;
	double		dummy;

	if (!all_finite((Size) n * n, A))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("cannot decompose a matrix with infinite or NaN entries"),
				 errhint("Check the input columns for infinite or NaN values.")));

	a = palloc(sizeof(double) * n * n);
	memcpy(a, A, sizeof(double) * n * n);
	isuppz = palloc(sizeof(lapack_int) * 2 * n);

	/*
	 * abstol = safe minimum, as dsyevr's documentation advises when high
	 * relative accuracy of small eigenvalues matters (they decide the rank).
	 */
	info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, V ? 'V' : 'N', 'A', 'L', n, a, n,
						  0.0, 0.0, 0, 0, DBL_MIN, &m, w,
						  V ? V : &dummy, V ? n : 1, isuppz);
	lapack_check("LAPACKE_dsyevr", info);
	if (m != n)
		elog(ERROR, "LAPACKE_dsyevr found %d of %d eigenvalues", (int) m, n);
	pfree(a);
	pfree(isuppz);
}

/*
 * Duality gap of P(b) used as the stopping certificate of mldb_enet_cd.
 * It needs only G and c (no y'y, which the Gram form does not have).
 *
 * Write g(b) = l1 |b|_1 + l2/2 |b|^2 and z = c - Gv.  For any v, and any b,
 *
 *	 P(b) - D(v) >= 0  with  D(v) = -1/2 v'Gv - g*(z),
 *
 * because by Fenchel-Young g(b) + g*(z) >= z'b, leaving 1/2 (b-v)'G(b-v).
 * We take v = b (the dual optimum is v = b*, so the gap is 0 there):
 *
 * l2 > 0:	g*(z) = sum_j max(|z_j| - l1, 0)^2 / (2 l2), finite, and
 *			gap = b'Gb - c'b + g(b) + g*(c - Gb).
 *
 * l2 = 0:	g* is the indicator of |z|_inf <= l1, infinite at an inexact b.
 *			As scikit-learn does by scaling the residual, we move toward a
 *			feasible point: v = s b + (1-s) G^+c, so z = s (c - Gb) with
 *			s = min(1, l1 / |c - Gb|_inf); the same Fenchel-Young argument
 *			gives  gap = P(b) + 1/2 [(1-s)^2 c'G^+c + 2s(1-s) c'b + s^2 b'Gb],
 *			valid when c lies in the range of G, as it does for G = X'X and
 *			c = X'y.  c'G^+c (y_hat'y_hat in regression terms) costs one
 *			eigen-decomposition; it is computed only if some gap needs s < 1.
 *
 * The gap is absolute, in the units of P: with G = X'X/n and c = X'y/n,
 * scikit-learn's rule corresponds to tol * y'y/n.
 */
static double
enet_gap(int p, const double *G, const double *c, double l1, double l2,
		 const double *b, const double *Gb, double *yhat2)
{
	double		bGb = cblas_ddot(p, b, 1, Gb, 1);
	double		cb = cblas_ddot(p, c, 1, b, 1);
	double		primal = 0.5 * bGb - cb + l1 * cblas_dasum(p, b, 1)
		+ 0.5 * l2 * cblas_ddot(p, b, 1, b, 1);
	double		zmax = 0.0;
	double		conj = 0.0;
	double		s;
	int			j;

	if (l2 > 0.0)
	{
		for (j = 0; j < p; j++)
		{
			double		e = fmax(fabs(c[j] - Gb[j]) - l1, 0.0);

			conj += e * e;
		}
		return primal + 0.5 * bGb + conj / (2.0 * l2);
	}

	for (j = 0; j < p; j++)
		zmax = fmax(zmax, fabs(c[j] - Gb[j]));
	s = (zmax > l1) ? l1 / zmax : 1.0;
	if (s < 1.0 && *yhat2 < 0.0)
		*yhat2 = gram_fit_norm2(p, G, c);
	return primal + 0.5 * ((s < 1.0 ? (1.0 - s) * (1.0 - s) * *yhat2 : 0.0)
						   + 2.0 * s * (1.0 - s) * cb + s * s * bGb);
}

/*
 * c'G^+c through the eigen-decomposition, dropping eigenvalues below
 * p * eps * lambda_max (the rank cutoff of numpy.linalg.matrix_rank).
 */
static double
gram_fit_norm2(int p, const double *G, const double *c)
{
	double	   *w = palloc(sizeof(double) * p);
	double	   *V = palloc(sizeof(double) * p * p);
	double	   *Vc = palloc(sizeof(double) * p);
	double		thresh;
	double		sum = 0.0;
	int			j;

	sym_eigen(p, G, w, V);
	cblas_dgemv(CblasRowMajor, CblasTrans, p, p, 1.0, V, p, c, 1, 0.0, Vc, 1);
	thresh = p * DBL_EPSILON * fmax(w[p - 1], 0.0);
	for (j = 0; j < p; j++)
		if (w[j] > thresh)
			sum += Vc[j] * Vc[j] / w[j];
	pfree(w);
	pfree(V);
	pfree(Vc);
	return sum;
}


/*
 * Static helpers: special functions
 */

/*
 * log(1 + u) - u without the cancellation of the obvious formula near 0.
 * From ln(1+u) = 2 artanh(r), r = u / (2 + u) (DLMF 4.6.4):
 * log(1+u) - u = -u^2 / (2 + u) + 2 (r^3/3 + r^5/5 + ...), |r| <= 1/3 here.
 */
static double
log1pmx(double u)
{
	double		r,
				r2,
				term,
				sum = 0.0;
	int			k;

	if (fabs(u) >= 0.5)
		return log1p(u) - u;
	r = u / (2.0 + u);
	r2 = r * r;
	term = r * r2;
	for (k = 3; k < 100; k += 2)
	{
		double		t = term / k;

		sum += t;
		if (fabs(t) <= DBL_EPSILON * fabs(sum))
			break;
		term *= r2;
	}
	return -u * u / (2.0 + u) + 2.0 * sum;
}

/*
 * lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)] for x >= 10, from
 * Stirling's series (DLMF 5.11.1, Bernoulli numbers B_2..B_14); the first
 * omitted term is below 3e-17 at x = 10.
 */
static double
stirling_corr(double x)
{
	double		z = 1.0 / (x * x);

	return (1.0 / 12 + z * (-1.0 / 360 + z * (1.0 / 1260 + z * (-1.0 / 1680
			+ z * (1.0 / 1188 + z * (-691.0 / 360360 + z / 156)))))) / x;
}

/*
 * Term limit for the continued fractions: near the mean of the distribution
 * they need O(sqrt(a)) terms (NR 3rd ed., 6.4), far from it only a few.
 */
static int
cf_max_terms(double a)
{
	return (int) fmin(1000.0 + 20.0 * sqrt(a), 1e9);
}

/*
 * log(x^a y^b / B(a,b)), y = 1 - x, the factor in front of the continued
 * fraction.  Summing lgamma values would lose about log10(a) digits for
 * large a (lgamma(5e5) ~ 6e6), so for large parameters Stirling's formula is
 * expanded by hand and the large terms cancel analytically, as in R's lbeta
 * and in Loader (2000), "Fast and accurate computation of binomial
 * probabilities".
 */
static double
incbeta_front(double a, double b, double x, double y)
{
	double		lx = (x < 0.5) ? log(x) : log1p(-y);
	double		ly = (y < 0.5) ? log(y) : log1p(-x);
	double		lo = fmin(a, b);
	double		hi = fmax(a, b);

	if (lo >= 10.0)
	{
		/*
		 * With x0 = a/(a+b), d = xb - ya: x/x0 = 1 + d/a, y/y0 = 1 - d/b, so
		 * the first-order terms a(d/a) + b(-d/b) cancel exactly.
		 */
		double		d = x * b - y * a;

		return a * log1pmx(d / a) + b * log1pmx(-d / b)
			+ 0.5 * (log(lo) - log1p(lo / hi)) - LN_SQRT_2PI
			- (stirling_corr(a) + stirling_corr(b) - stirling_corr(a + b));
	}
	if (hi >= 10.0)
	{
		/* lgamma(hi) - lgamma(lo + hi) by Stirling, as R's lbeta */
		double		lbeta = lgamma(lo) + stirling_corr(hi)
			- stirling_corr(lo + hi) + lo - lo * log(lo + hi)
			+ (hi - 0.5) * log1p(-lo / (lo + hi));

		return a * lx + b * ly - lbeta;
	}
	return a * lx + b * ly - (lgamma(a) + lgamma(b) - lgamma(a + b));
}

/*
 * Continued fraction for I_x(a,b) (DLMF 8.17.22, in the form of betacf in
 * Numerical Recipes 3rd ed., 6.4):
 *
 *	 I_x(a,b) = front / a * 1/(1 + d_1/(1 + d_2/(1 + ...))),
 *	 d_2m+1 = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),
 *	 d_2m	= m(b-m) x / ((a+2m-1)(a+2m)).
 *
 * For a >> b and x near 1 (Student's t with large df) d_2m+1 is close to -1
 * and every 1 + d_2m+1/T cancels: NR's forward (Lentz) evaluation loses about
 * log10(1/y) digits there (5e-11 relative for t = 2, df = 1e6).  So we
 * evaluate backward, split d_2m+1 = -x + e_m with
 *
 *	 e_m = x (a(2m+1-b) + m(3m+2-b)) / ((a+2m)(a+2m+1))
 *
 * and carry S = T - 1 out of each even level, so that the odd level is
 * 1 + d_2m+1/T = (S + y + e_m) / (1 + S) with all three terms known to full
 * relative precision.  The depth is doubled until two evaluations agree.
 */
static double
incbeta_cf(double a, double b, double x, double y)
{
	int			maxn = cf_max_terms(fmax(a, b));
	double		prev = 0.0;
	int			n;

	for (n = 16; n <= maxn; n *= 2)
	{
		double		S = 0.0;	/* T - 1 of the level below; 0 truncates */
		double		T = 1.0;
		double		f;
		int			m;

		for (m = n; m >= 0; m--)
		{
			double		e = x * (a * (2.0 * m + 1.0 - b) + m * (3.0 * m + 2.0 - b))
				/ ((a + 2.0 * m) * (a + 2.0 * m + 1.0));

			T = (S + y + e) / (1.0 + S);
			if (fabs(T) < LENTZ_TINY)
				T = LENTZ_TINY;
			if (m > 0)
				S = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)) / T;
		}
		f = 1.0 / T;
		if (n > 16 && fabs(f - prev) <= 2.0 * DBL_EPSILON * fabs(f))
			return f;
		prev = f;
	}
	elog(ERROR, "incomplete beta did not converge for a = %g, b = %g, x = %g",
		 a, b, x);
	return 0.0;					/* keep compiler quiet */
}

/*
 * I_x(a,b) for 0 < x < 1 with y = 1 - x given separately (t tails need both
 * to full precision).  Uses I_x(a,b) = 1 - I_y(b,a) (DLMF 8.17.4) on the far
 * side of the mean, where the result is not small, so the subtraction costs
 * no relative accuracy.
 */
static double
incbeta(double a, double b, double x, double y)
{
	double		front;
	double		r;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	front = exp(incbeta_front(a, b, x, y));
	/* x < (a+1)/(a+b+2), tested on the side where x or y is exact */
	if (x < 0.5 ? x * (a + b + 2.0) < a + 1.0 : y * (a + b + 2.0) > b + 1.0)
		r = front * incbeta_cf(a, b, x, y) / a;
	else
		r = 1.0 - front * incbeta_cf(b, a, y, x) / b;
	return fmin(fmax(r, 0.0), 1.0);
}
