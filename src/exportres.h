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

/* ---- fixed effects: demean.c, vcov.c, linalg.c, panel.c ------------------ */

/* ---- measures: measure.c ---------------------------------------------------- */
SEXP entropy_index_c(SEXP cols, SEXP group, SEXP ngroup, SEXP negative, SEXP base);
SEXP pca_index_c(SEXP cols, SEXP min_eigen);

/* ---- stochastic frontier: sfa.c ------------------------------------------- */

/* ---- DEA: simplex.c, dea.c -------------------------------------------------- */

#endif
