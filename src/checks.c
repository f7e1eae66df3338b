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

/* A named list of n elements (allocated, not protected: the caller PROTECTs).
 * Every list returned to R is named, and R reads it by name. */
SEXP exr_named_list(int n, const char **names)
{
    SEXP out = PROTECT(allocVector(VECSXP, n));
    SEXP nms = PROTECT(allocVector(STRSXP, n));
    for (int j = 0; j < n; j++) SET_STRING_ELT(nms, j, mkChar(names[j]));
    setAttrib(out, R_NamesSymbol, nms);
    UNPROTECT(2);
    return out;
}

/* Raise an `exportres_error` condition naming the argument `arg`, from C: the
 * message is formatted here and handed to the package's R constructor
 * (exr_error_from_c), so that C-side failures carry the same class as the R
 * side's. Memory from R_alloc is reclaimed by the unwinding, as with error(). */
void exr_raise(const char *arg, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    SEXP ns = PROTECT(R_FindNamespace(PROTECT(mkString("exportres"))));
    SEXP fun = PROTECT(findFun(install("exr_error_from_c"), ns));
    SEXP call = PROTECT(lang3(fun, PROTECT(mkString(arg)), PROTECT(mkString(msg))));
    eval(call, ns);
    UNPROTECT(6);
    error("%s", msg); /* not reached: exr_error_from_c always signals */
}

/* A text progress bar on the console (stderr), redrawn in place; main thread
 * only, between chunks of work (bootstrap draws, DEA programs). */
void exr_progress_bar(int done, int total)
{
    int w = 40, f = total > 0 ? (int) ((double) done / total * w) : w;
    REprintf("\r  |");
    for (int i = 0; i < w; i++) REprintf(i < f ? "=" : " ");
    REprintf("| %3d%%", total > 0 ? (int) (100.0 * done / total) : 100);
    if (done >= total) REprintf("\n");
}
