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

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

/* Vectorise a loop of independent element-wise operations whatever the
 * compiler's cost model (OpenMP's simd directive; without OpenMP, a plain
 * loop); EXR_SIMD_SUM(a, b): with a and b sums over the iterations. */
#define EXR_PRAGMA(x) _Pragma(#x)
#ifdef _OPENMP
#define EXR_SIMD _Pragma("omp simd")
#define EXR_SIMD_SUM(...) EXR_PRAGMA(omp simd reduction(+:__VA_ARGS__))
#else
#define EXR_SIMD
#define EXR_SIMD_SUM(...)
#endif

/* The hot numerical kernels are compiled twice, for baseline x86-64 (SSE2)
 * and for the x86-64-v3 level (AVX2 and FMA: Intel from 2013, AMD from
 * 2015), and the dynamic loader picks the one the CPU runs when the package
 * loads (GCC's target_clones, an ifunc: GCC 12 or later on x86-64 Linux;
 * elsewhere, or with -DEXR_NO_CLONES, the baseline version only). The two
 * may differ in the last bits (fused multiply-adds, wider vector sums), as
 * BLAS results do across CPUs; on one machine the same version always runs,
 * so results do not change between calls or with the number of cores. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) && \
    defined(__linux__) && !defined(EXR_NO_CLONES)
#define EXR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define EXR_CLONES
#endif

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
void exr_progress_bar(int done, int total);

/* ==== Public kernels ========================================================
 * Pure functions on raw pointers: caller-supplied workspace, an info code or a
 * value returned, no R API (no R_alloc, error(), Rprintf, RNG), so they can run
 * inside OpenMP regions (bootstrap, placebo, matching). Estimators call these;
 * none keeps a private copy. */

/* ---- least squares: linalg.c ---------------------------------------------- */
#define EXR_LS_ILLCOND 1          /* exr_ls_chol declined: use exr_ls_qr */
double exr_dot(const double *a, const double *b, const double *w, int n);
void exr_dots4(const double *v, const double *const *x, int q, int n, double *out);
void exr_wdots2x4(const double *w, const double *u0, const double *u1, const double *const *x,
                  int q, int n, double *out);
void exr_xtwv_add(const double *x, R_xlen_t ld, int len, int p, const double *w, const double *v,
                  const char *nz, double *out);
void exr_gram_add(const double *x, R_xlen_t ld, int len, int p, const double *w, const char *nz,
                  double *XtX);
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
int exr_fe_iterate(const exr_fe_layout *L, exr_fe_work *W, double tol, int maxit, int warm);
int exr_demean_column(const exr_fe_layout *L, exr_fe_work *W, const double *y, double *r,
                      double tol, int maxit, int warm);

/* ---- variances: vcov.c ----------------------------------------------------- */
void exr_cluster_meat(const double *x, const double *u, R_xlen_t n, int k, const int *cl,
                      int G, double *S /* G*k */, double *M /* k*k */);

/* ---- dynamic-panel GMM: gmm.c -------------------------------------------- */
/* The design of a difference/system GMM problem: dimensions, the instrument
 * column layout (0-based offsets) and the data, read by the .Call entries. */
typedef struct {
    int T, kx, icpt, nd, K, q, ng;       /* periods; regressors kx + intercept + dummies = K */
    int system, fod, iv_split, first_d, first_l, dum_iv;
    int L, nzmax;                        /* instrument columns; entries per row (bound) */
    int off_iv, off_ivl, off_dum, off_icpt;
    const int *ga, *gb, *gcoll, *glev;   /* per GMM group: lags a..b, collapse, level lag */
    const int *off_gd, *off_gl, *cum;    /* group offsets; cum: ng x (T + 1) by period */
    const int *dmap;                     /* T: time-dummy index of each period, or -1 */
    int G;                               /* units */
    const int *ord, *start, *per, *pos;
    const double *Y, *X, *IV, *GV;
    R_xlen_t nc, nall;
} exr_gmm_design;

/* One unit's stacked system (rows: transformed equation first, then levels). */
typedef struct {
    int nr, ntr;
    int *prd, *zn, *zi, *wn, *wi, *comp, *trow;
    double *y, *x, *zv, *wv, *gy, *gx, *giv, *ggv;
} exr_gmm_unit;

void exr_gmm_unit_size(const exr_gmm_design *D, size_t *nd, size_t *ni);
void exr_gmm_unit_init(const exr_gmm_design *D, exr_gmm_unit *U, double *dw, int *iw);
void exr_gmm_unit_build(const exr_gmm_design *D, int g, exr_gmm_unit *U);

/* ---- binary choice: binary.c ------------------------------------------------ */
#define EXR_BIN_MAXIT 1
#define EXR_BIN_SEPARATION 2
#define EXR_BIN_SINGULAR 3
size_t exr_binary_work_size(int n, int p);
void exr_exp_negabs(const double *x, double *out, int n);
int exr_binary_fit(const double *X, const double *y, const double *w, int n, int p, int link,
                   double *b, double *ll, double *info_obs, double *info_exp, double *eta,
                   int maxit, double tol, double tol_lag, int *iter, double *work, int *iwork);

/* ---- nearest-neighbour matching: match.c ------------------------------------ */
size_t exr_nn_match_iwork_size(int n, int G);
int exr_nn_match(int n, const double *d, const int *role, const int *grp, int G,
                 const int *sorted, const int *torder, int nt, const int *trow, int n1,
                 int k, int replace, const double *caliper, int *mm, double *w,
                 double *dwork, int *iwork);
void exr_balance_sums(const double *X, R_xlen_t n, int p, const int *t, const double *w,
                      double *out, double *work /* 2n */);
/* ---- resampling: resample.c ----------------------------------------------------
 * The coefficients of least-squares equations with absorbed fixed effects,
 * re-estimated for one vector of unit weights (cluster bootstrap counts, 0/1
 * subsets of a permutation, ...): rows of zero weight are dropped, the
 * columns are demeaned warm-started from their full-sample iterates, and all
 * equations share one cross-product. */
#define EXR_WLS_MAXQ 16           /* fixed effects a resampled model may have */
#define EXR_WLS_COLLINEAR 1       /* some equation's regressors collinear in the draw */
#define EXR_WLS_EMPTY 2           /* no row with positive weight */
typedef struct {
    R_xlen_t n;             /* rows */
    int p;                  /* columns of Z */
    const double *Z;        /* n x p, every variable of the equations, raw */
    const double *w;        /* base weights, or NULL */
    const int *unit;        /* n: 0-based resampling unit of each row */
    int Q;                  /* fixed effects (0: none) */
    const int **g;          /* Q arrays of 0-based codes, length n */
    const int *G;           /* groups of each fixed effect */
    R_xlen_t total_G;
    const double *warm;     /* p x (total_G - G[0]) full-sample iterates, or NULL */
    int neq;                /* equations: response column eq_y[e], eq_k[e] regressors */
    const int *eq_y, *eq_k, *eq_start, *eq_x;   /* columns eq_x[eq_start[e] + a] */
    int ncoef, kmax;        /* sum and maximum of eq_k */
    double tol, coll_tol;   /* demeaning and collinearity tolerances */
    int maxit;
    size_t qr_size, fe_work_size;   /* exr_ls_qr_work_size(n, kmax), exr_fe_work_size */
    int small_L;            /* > 0: levels of factors 2..Q, solved exactly (rows
                             * grouped by factor 1); 0: iterate */
} exr_wls_problem;
void exr_wls_work_size(const exr_wls_problem *P, size_t *ndouble, size_t *nint);
int exr_wls_draw(const exr_wls_problem *P, const double *v, double *coef, int *iters,
                 double *dwork, int *iwork);
/* ---- staggered adoption: staggered.c -------------------------------------- */
size_t exr_mboot_work_size(void);
size_t exr_mboot_rows(int m);
void exr_mboot_nonzero(const double *psi, int m, int K, unsigned char *nz);
void exr_mboot_draws(const double *psi, const unsigned char *nz, int m, int K,
                     const unsigned char *bits, int B, int b0, int b1, double *S, double *work);

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

/* ---- random draws: R's RNG, so main thread only, between GetRNGstate() and
 * PutRNGstate(); every draw is made before any parallel region (placebo.c;
 * shareable with the bootstrap and permutation tests) ------------------------- */
void exr_rng_permutation(int n, int *perm, int *work);
void exr_rng_sample_replace(int n, int k, int *out);

/* ---- fixed effects and least squares: demean.c, linalg.c, vcov.c ----------- */
void fe_layout_setup(exr_fe_layout *L, SEXP fe, const double *w, R_xlen_t n);
void fe_layout_setup_n(exr_fe_layout *L, SEXP fe, const double *w, R_xlen_t n, const int *nlev);
void fe_demean_many(const exr_fe_layout *L, int ncol, const double **src, double **dst,
                    double tol, int maxit, int nth, int *iters);
SEXP fe_demean(SEXP y, SEXP X, SEXP fe, SEXP weights, SEXP tol, SEXP maxit, SEXP cores);
SEXP fe_solve(SEXP v, SEXP vfe, SEXP fe, SEXP nlev, SEXP weights, SEXP tol, SEXP maxit,
              SEXP cores);
SEXP ols_fit(SEXP X, SEXP y, SEXP weights, SEXP scale, SEXP tol);
SEXP collinear_keep(SEXP X, SEXP weights, SEXP scale, SEXP tol);
SEXP collinear_keep_xtx(SEXP XtX, SEXP scale, SEXP tol);
SEXP score_meat(SEXP X, SEXP u, SEXP cluster);

/* ---- the design builder's row passes: design.c ------------------------------ */
SEXP group_codes_count(SEXP x);
SEXP finite_scan(SEXP x);
SEXP singleton_keep(SEXP fe);
SEXP panel_order(SEXP id, SEXP time, SEXP G);

/* ---- binary choice: binary.c ------------------------------------------------ */
SEXP binary_fit(SEXP X, SEXP y, SEXP weights, SEXP link, SEXP start, SEXP control);

/* ---- instrumental variables and selection: iv.c ------------------------------ */
SEXP iv_fit(SEXP A, SEXP y, SEXP weights, SEXP scale, SEXP dims, SEXP tol);
SEXP heckman_boot(SEXP W, SEXP s, SEXP cl1, SEXP X, SEXP y, SEXP row2, SEXP fe, SEXP nested,
                  SEXP draws, SEXP gamma0, SEXP ctrl);
SEXP iv_kp_meat(SEXP A, SEXP ecols, SEXP zcols, SEXP xcols, SEXP BE, SEXP BZ, SEXP V,
                SEXP vcols, SEXP sw, SEXP cluster);
/* ---- matching: match.c ------------------------------------------------------ */
SEXP nn_match(SEXP d, SEXP role, SEXP grp, SEXP sorted, SEXP torder, SEXP k, SEXP replace,
              SEXP caliper);
SEXP balance_sums(SEXP X, SEXP treat, SEXP weights);

/* ---- placebo tests: placebo.c ------------------------------------------------- */
SEXP rng_permutations(SEXP n, SEXP B);
SEXP placebo_run(SEXP X, SEXP B, SEXP ey, SEXP weights, SEXP unit, SEXP time, SEXP fe, SEXP D0,
                 SEXP adopt, SEXP perms, SEXP vspec, SEXP ctrl, SEXP cores);
/* ---- resampling: resample.c (draws use R's RNG: main thread only) ------------- */
void resample_draw_counts(int m, int B, int *counts);
void resample_draw_permutations(const int *labels, int m, const int *strata, int S, int B,
                                int *out);
SEXP draw_cluster_counts(SEXP m, SEXP B);
SEXP draw_permutations(SEXP labels, SEXP strata, SEXP B);
SEXP resample_fe_ls(SEXP Z, SEXP fe, SEXP weights, SEXP unit, SEXP draws, SEXP ngroups,
                    SEXP eqs, SEXP ctrl, SEXP progress);
/* ---- staggered adoption: staggered.c ---------------------------------------- */
SEXP attgt_layout(SEXP order, SEXP start, SEXP time, SEXP adopt, SEXP w, SEXP cl);
SEXP attgt_units(SEXP unit_adopt, SEXP count, SEXP periods, SEXP early, SEXP order, SEXP start);
SEXP attgt_reshape(SEXP order, SEXP start, SEXP units, SEXP T, SEXP y, SEXP X, SEXP w,
                   SEXP xper);
SEXP attgt_cells(SEXP Y, SEXP X, SEXP w, SEXP G, SEXP cells, SEXP method, SEXP cores,
                 SEXP jobs, SEXP head);
SEXP attgt_mboot(SEXP psi, SEXP B, SEXP level, SEXP cores);

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

/* ---- dynamic-panel GMM: gmm.c --------------------------------------------- */
SEXP gmm_layout(SEXP ispec, SEXP gspec);
SEXP gmm_moments(SEXP ispec, SEXP gspec, SEXP ord, SEXP start, SEXP per, SEXP pos, SEXP Y,
                 SEXP X, SEXP IV, SEXP GV, SEXP dmap);
SEXP gmm_residual(SEXP ispec, SEXP gspec, SEXP ord, SEXP start, SEXP per, SEXP pos, SEXP Y,
                  SEXP X, SEXP IV, SEXP GV, SEXP dmap, SEXP beta, SEXP M);
SEXP gmm_windmeijer(SEXP ispec, SEXP gspec, SEXP ord, SEXP start, SEXP per, SEXP pos, SEXP Y,
                    SEXP X, SEXP IV, SEXP GV, SEXP dmap, SEXP beta1, SEXP a);
SEXP gmm_ar(SEXP ispec, SEXP gspec, SEXP ord, SEXP start, SEXP per, SEXP pos, SEXP Y,
            SEXP X, SEXP IV, SEXP GV, SEXP dmap, SEXP beta, SEXP lags, SEXP sig2, SEXP flags);
/* ---- wild cluster bootstrap: wildboot.c ------------------------------------ */
SEXP wildboot_setup(SEXP X, SEXP w, SEXP a, SEXP A, SEXP u0, SEXP u1, SEXP uhat, SEXP bc,
                    SEXP cl, SEXP fac, SEXP fe, SEXP nest, SEXP ctrl, SEXP xa);
SEXP wildboot_draws(SEXP setup, SEXP kind, SEXP B, SEXP V, SEXP imposed, SEXP cores);
SEXP wildboot_wre_moments(SEXP setups, SEXP qg, SEXP kind, SEXP B, SEXP V, SEXP cores);
SEXP wildboot_wre_eval(SEXP moments, SEXP ctl, SEXP Qinv, SEXP qpi, SEXP pit);
SEXP wildboot_pvalues(SEXP draws, SEXP est, SEXP se, SEXP r, SEXP want_t);

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
