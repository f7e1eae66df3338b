/*
 * exportres: shared declarations for the C core.
 *
 * Two layers, as in collapse and R's stats: pure kernels on raw pointers that
 * know nothing of R (safe inside OpenMP regions, reusable across estimators),
 * and thin SEXP entry points that check lengths and types, allocate results
 * and call the kernels. Every entry point is registered in init.c.
 * Prototypes are grouped by source file.
 */
#ifndef EXPORTRES_H
#define EXPORTRES_H

#define USE_FC_LEN_T
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Applic.h>
#include <R_ext/BLAS.h>
#include <R_ext/Lapack.h>
#include <R_ext/Utils.h>
#ifndef FCONE
#define FCONE
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- checks.c: argument checks for .Call entry points -------------------
 * They raise an R error (never crash) when an entry point is called with the
 * wrong types or lengths, whoever calls it. */
const double *exr_real_arg(SEXP x, R_xlen_t len, const char *what);
const int *exr_int_arg(SEXP x, R_xlen_t len, const char *what);
double exr_scalar_real(SEXP x, const char *what);
int exr_scalar_int(SEXP x, const char *what);
int exr_threads(int cores);

/* ---- fixed effects: demean.c, linalg.c ------------------------------------ */
SEXP fe_demean(SEXP y, SEXP X, SEXP fe, SEXP weights, SEXP tol, SEXP maxit, SEXP cores);
SEXP ols_fit(SEXP X, SEXP y, SEXP weights, SEXP scale, SEXP tol);
SEXP score_meat(SEXP X, SEXP u, SEXP cluster);

/* ---- measures: measure.c ---------------------------------------------------- */
SEXP entropy_index_c(SEXP cols, SEXP group, SEXP ngroup, SEXP negative, SEXP base);
SEXP pca_index_c(SEXP cols, SEXP min_eigen);

/* ---- stochastic frontier: sfa.c ------------------------------------------- */
SEXP sfa_loglik(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags);
SEXP sfa_fit(SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags, SEXP start, SEXP dctrl);
SEXP sfa_efficiency(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags);

/* ---- DEA: simplex.c, dea.c -------------------------------------------------- */
/* A linear program  min c'x  s.t.  A x (sense) b,  x >= 0, whose structural
 * columns come in two blocks: np "private" columns (Ap, e.g. DEA's theta
 * column that changes with every DMU) followed by ns shared columns (As, the
 * reference DMUs, read-only and shared across threads). Column excl (-1 for
 * none) is left out of the program (super-efficiency). */
typedef struct {
    int m, np, ns;
    const double *Ap;   /* m x np, column-major */
    const double *As;   /* m x ns, column-major */
    const double *c;    /* np + ns costs */
    const double *b;    /* m right-hand sides */
    const int *sense;   /* m: -1 <=, 0 =, 1 >= */
    int excl;
    const int *cand;    /* NULL, or the sorted structural columns to price */
    int ncand;
} exr_lp;

/* Solver workspace and the current basis (kept between calls: warm starts). */
typedef struct {
    int m_max, ntot_max;
    int *head, *pset, *pos, *rowused;
    int phase;
    double *Binv, *M, *E, *xB, *pi, *alpha, *cB;
    long iters;
} exr_lp_work;

#define EXR_LP_OPTIMAL 0
#define EXR_LP_INFEASIBLE 1
#define EXR_LP_UNBOUNDED 2
#define EXR_LP_ITERLIMIT 3
#define EXR_LP_NUMERICAL 4

void exr_lp_work_alloc(exr_lp_work *w, int m, int ncol_max);
int exr_lp_solve(const exr_lp *lp, exr_lp_work *w, int warm);
double exr_lp_value(const exr_lp *lp, const exr_lp_work *w, int j);
SEXP exr_lp_dense(SEXP A, SEXP b, SEXP c, SEXP sense);
SEXP dea_envelopment(SEXP xe, SEXP ye, SEXP xr, SEXP yr, SEXP rts, SEXP orient,
                     SEXP excl, SEXP slack, SEXP wslack, SEXP cores, SEXP progress);
SEXP dea_fdh(SEXP xe, SEXP ye, SEXP xr, SEXP yr, SEXP orient, SEXP excl,
             SEXP slack, SEXP wslack, SEXP cores);

#endif
