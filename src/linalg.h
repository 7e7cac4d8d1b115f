/*
 * linalg.h
 *	  Checked wrappers over CBLAS/LAPACKE, the elastic-net solver on a Gram
 *	  matrix, and the distribution tails used for p-values.
 *
 * Matrices are row-major, full storage (both triangles filled), double.
 * Inputs are never modified; scratch is palloc'd in the current memory
 * context and freed before return.  Include "postgres.h" first.
 */
#ifndef MLDB_LINALG_H
#define MLDB_LINALG_H

/*
 * Solve SPD A x = b by Cholesky on a copy of A.  Returns false, leaving x
 * undefined, if A is not numerically SPD (see chol_factor in linalg.c) or
 * if A or b has a non-finite entry.  x may alias b.
 */
extern bool mldb_chol_solve(int n, const double *A, const double *b, double *x);

/* Inverse of SPD A, both triangles filled; false as for mldb_chol_solve. */
extern bool mldb_chol_inverse(int n, const double *A, double *Ainv);

/*
 * Eigen-decomposition of symmetric A: w ascending, V[i*n+j] = i-th component
 * of the unit eigenvector j.  The sign of each eigenvector is fixed so that
 * its largest-magnitude component is positive.  Non-finite A is an error.
 */
extern void mldb_sym_eigen(int n, const double *A, double *w, double *V);

/*
 * Moore-Penrose pseudo-inverse of symmetric PSD A: eigenvalues
 * <= rcond * (largest eigenvalue) are treated as zero.  Returns the
 * numerical rank.
 */
extern int	mldb_sym_pinv(int n, const double *A, double rcond, double *Ainv);

/* lambda_max / lambda_min of symmetric PSD A; infinity if lambda_min <= 0. */
extern double mldb_sym_cond(int n, const double *A);

/*
 * Elastic net by cyclic coordinate descent on the Gram form
 *	 minimise  1/2 b'Gb - c'b + l1 * sum|b_j| + l2/2 * sum b_j^2
 * b holds the start on entry and the solution on exit.  Returns the number
 * of sweeps made, or -1 if max_iter sweeps did not converge.  tol applies to
 * the relative coordinate change and (for l1 > 0) to the absolute duality
 * gap; see linalg.c for the gap.
 */
extern int	mldb_enet_cd(int p, const double *G, const double *c,
						 double l1, double l2, int max_iter, double tol,
						 double *b);

/* Two-sided p-values: Student's t with df degrees of freedom, and N(0,1). */
extern double mldb_t_pvalue(double t, double df);
extern double mldb_normal_pvalue(double z);

/* Regularized incomplete beta I_x(a,b) and upper incomplete gamma Q(a,x). */
extern double mldb_incbeta(double a, double b, double x);
extern double mldb_gamma_q(double a, double x);

#endif							/* MLDB_LINALG_H */
