/* Argument checks shared by every .Call entry point. A negative `len` means
 * "any length". */
#include "exportres.h"

const double *exr_real_arg(SEXP x, R_xlen_t len, const char *what)
{
    if (TYPEOF(x) != REALSXP)
        error("'%s' must be a double vector", what);
    if (len >= 0 && XLENGTH(x) != len)
        error("'%s' has length %lld, expected %lld", what,
              (long long) XLENGTH(x), (long long) len);
    return REAL(x);
}

const int *exr_int_arg(SEXP x, R_xlen_t len, const char *what)
{
    if (TYPEOF(x) != INTSXP)
        error("'%s' must be an integer vector", what);
    if (len >= 0 && XLENGTH(x) != len)
        error("'%s' has length %lld, expected %lld", what,
              (long long) XLENGTH(x), (long long) len);
    return INTEGER(x);
}

double exr_scalar_real(SEXP x, const char *what)
{
    if (!isReal(x) || XLENGTH(x) != 1)
        error("'%s' must be a single double", what);
    return REAL(x)[0];
}

int exr_scalar_int(SEXP x, const char *what)
{
    if (!isInteger(x) || XLENGTH(x) != 1 || INTEGER(x)[0] == NA_INTEGER)
        error("'%s' must be a single integer", what);
    return INTEGER(x)[0];
}

/* Number of OpenMP threads to use for `cores` requested (1 without OpenMP). */
int exr_threads(int cores)
{
#ifdef _OPENMP
    int maxt = omp_get_num_procs();
    if (cores < 1) cores = 1;
    return cores > maxt ? maxt : cores;
#else
    (void) cores;
    return 1;
#endif
}
