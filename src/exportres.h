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
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* ---- checks.c: argument checks for .Call entry points -------------------
 * They raise an R error (never crash) when an entry point is called with the
 * wrong types or lengths, whoever calls it. exr_raise() signals an
 * `exportres_error` naming an argument, like the R side's exr_error(). */
const double *exr_real_arg(SEXP x, R_xlen_t len, const char *what);
const int *exr_int_arg(SEXP x, R_xlen_t len, const char *what);
double exr_scalar_real(SEXP x, const char *what);
int exr_scalar_int(SEXP x, const char *what);
int exr_threads(int cores);
SEXP exr_named_list(int n, const char **names);
void NORET exr_raise(const char *arg, const char *fmt, ...);

/* ==== Public kernels ========================================================
 * Pure functions on raw pointers: caller-supplied workspace, an info code or a
 * value returned, no R API (no R_alloc, error(), Rprintf, RNG), so they can run
 * inside OpenMP regions (bootstrap, placebo, matching). Estimators call these;
 * none keeps a private copy. */

/* ---- least squares: linalg.c ---------------------------------------------- */
#define EXR_LS_ILLCOND 1          /* exr_ls_chol declined: use exr_ls_qr */
void exr_crossprod(const double *x, const double *y, const double *w, int n, int p,
                   double *XtX, double *Xty);
int exr_keep_in_order(const double *XtX, int p, const double *ref, double tol, int *kept,
                      int *cols, double *work /* p*p */);
int exr_ls_chol(const double *XtX, const double *Xty, int p, const int *cols, int k,
                double *b, double *V, double *work /* k*k+5k */, int *iwork /* k */);
size_t exr_ls_qr_work_size(int n, int k);
int exr_ls_qr(const double *x, const double *y, const double *w, int n, const int *cols,
              int k, double *b, double *V, double *work, int *iwork /* k */);
void exr_ls_residuals(const double *x, const double *y, int n, const int *cols, int k,
                      const double *b, double *e);
const char *exr_ls_routine(int code);

/* ---- fixed effects: demean.c ----------------------------------------------- */
typedef struct {
    R_xlen_t n;
    int Q;
    const int **g;          /* Q arrays of 0-based group codes, length n */
    const int *G;           /* number of groups of each factor */
    const double *w;        /* weights, or NULL for unit weights */
    const double **sw_inv;  /* Q arrays: 1 / (sum of weights in each group) */
    R_xlen_t total_G;       /* sum of G */
    R_xlen_t ncoef_rest;    /* sum of G[1..Q-1]: length of the iterated vector */
    int maxG;
} exr_fe_layout;

typedef struct {            /* one column's scratch; x keeps the last iterate */
    double *sy, *a0, *acc, *x, *gx, *ggx;
} exr_fe_work;

void exr_fe_layout_finish(exr_fe_layout *L, double **sw_inv);
size_t exr_fe_work_size(const exr_fe_layout *L);
void exr_fe_work_init(const exr_fe_layout *L, exr_fe_work *W, double *mem);
int exr_demean_column(const exr_fe_layout *L, exr_fe_work *W, const double *y, double *r,
                      double tol, int maxit, int warm);

/* ---- variances: vcov.c ----------------------------------------------------- */
void exr_cluster_meat(const double *x, const double *u, R_xlen_t n, int k, const int *cl,
                      int G, double *S /* G*k */, double *M /* k*k */);

/* ---- binary choice: binary.c ------------------------------------------------ */
#define EXR_BIN_MAXIT 1
#define EXR_BIN_SEPARATION 2
#define EXR_BIN_SINGULAR 3
size_t exr_binary_work_size(int n, int p);
int exr_binary_fit(const double *X, const double *y, const double *w, int n, int p, int link,
                   double *b, double *ll, double *info_obs, double *info_exp, double *eta,
                   int maxit, double tol, int *iter, double *work, int *iwork);

/* ---- the normal distribution, stable in both tails (probit, Heckman, SFA) --- */
#define EXR_LN_SQRT_2PI 0.918938533204672741780329736406
/* log Phi(x): erfc is accurate to a few ulp in relative terms down to x = -26;
 * below, the asymptotic series of the Mills ratio (its terms are still
 * shrinking at the 8th for |x| >= 26, error below 1e-16 relative). */
static inline double exr_lphi(double x)
{
    if (x > -26.0) return log(0.5 * erfc(-x * M_SQRT1_2));
    double z = 1.0 / (x * x), s = 1.0, t = 1.0;
    for (int j = 1; j <= 8; j++) {
        t *= -(2.0 * j - 1.0) * z;
        s += t;
    }
    return -0.5 * x * x - log(-x) - EXR_LN_SQRT_2PI + log(s);
}
/* The inverse Mills ratio phi(x) / Phi(x), given lp = log Phi(x). */
static inline double exr_mills(double x, double lp)
{
    return exp(-0.5 * x * x - EXR_LN_SQRT_2PI - lp);
}

/* ==== Entry points and main-thread helpers, by source file =================== */

/* ---- fixed effects and least squares: demean.c, linalg.c, vcov.c ----------- */
void fe_layout_setup(exr_fe_layout *L, SEXP fe, const double *w, R_xlen_t n);
void fe_demean_many(const exr_fe_layout *L, int ncol, const double **src, double **dst,
                    double tol, int maxit, int nth, int *iters);
SEXP fe_demean(SEXP y, SEXP X, SEXP fe, SEXP weights, SEXP tol, SEXP maxit, SEXP cores);
SEXP ols_fit(SEXP X, SEXP y, SEXP weights, SEXP scale, SEXP tol);
SEXP collinear_keep(SEXP X, SEXP weights, SEXP scale, SEXP tol);
SEXP score_meat(SEXP X, SEXP u, SEXP cluster);

/* ---- the design builder's row passes: design.c ------------------------------ */
SEXP group_codes_count(SEXP x);
SEXP nonfinite_count(SEXP x);
SEXP singleton_keep(SEXP fe);

/* ---- binary choice: binary.c ------------------------------------------------ */
SEXP binary_fit(SEXP X, SEXP y, SEXP weights, SEXP link, SEXP start, SEXP control);

/* ---- measures: measure.c ---------------------------------------------------- */
SEXP entropy_index_c(SEXP cols, SEXP group, SEXP ngroup, SEXP negative, SEXP base);
SEXP pca_index_c(SEXP cols, SEXP min_eigen);

/* ---- stochastic frontier: sfa.c ------------------------------------------- */
SEXP sfa_loglik(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags);
SEXP sfa_fit(SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags, SEXP start, SEXP dctrl);
SEXP sfa_efficiency(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags);
SEXP sfa_scores(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags);
SEXP sfa_fit_list(SEXP theta, double loglik, SEXP grad, SEXP hess, SEXP vcov, SEXP info,
                  SEXP grid, SEXP alpha);

/* ---- stochastic frontier, observation level: sfa_obs.c ----------------------- */
SEXP sfo_fit(SEXP dat, SEXP iflags, SEXP start, SEXP dctrl);
SEXP sfo_eval_at(SEXP theta, SEXP dat, SEXP iflags, SEXP what, SEXP alpha0);

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
