/* Composite indices of the measurement layer: the entropy weight method and the
 * principal-component composite (Zhang & Song, "Digital Economy, Factor
 * Allocation and Export Resilience", section on the digital economy index).
 *
 * Indicators arrive as an R list of p double columns of length n (no copy of a
 * data frame into a matrix); a row is used only when every indicator is
 * non-missing and its group code is not NA. */
#include "exportres.h"
#include <limits.h>

/* Column pointers of a list of p double vectors of length n. */
static const double **measure_columns(SEXP cols, R_xlen_t *n_out, int *p_out)
{
    if (TYPEOF(cols) != VECSXP || XLENGTH(cols) < 1)
        error("'cols' must be a non-empty list of double vectors");
    int p = (int) XLENGTH(cols);
    R_xlen_t n = XLENGTH(VECTOR_ELT(cols, 0));
    const double **x = (const double **) R_alloc(p, sizeof(double *));
    for (int j = 0; j < p; j++)
        x[j] = exr_real_arg(VECTOR_ELT(cols, j), n, "cols[[j]]");
    *n_out = n;
    *p_out = p;
    return x;
}

/* Row codes: g[i] = group - 1 when row i is complete, -1 otherwise. */
static void measure_row_groups(const double **x, R_xlen_t n, int p,
                               const int *restrict group, int ngroup,
                               int *restrict g)
{
    for (R_xlen_t i = 0; i < n; i++) {
        int gi = group[i];
        g[i] = (gi == NA_INTEGER || gi < 1 || gi > ngroup) ? -1 : gi - 1;
    }
    for (int j = 0; j < p; j++) {
        const double *restrict xj = x[j];
        for (R_xlen_t i = 0; i < n; i++)
            if (ISNAN(xj[i])) g[i] = -1;
    }
}

/* Entropy weight method, kernel.
 * Inputs: x (p columns of length n), g (row group codes from
 *   measure_row_groups, -1 = unused), G groups, neg[j] = 1 for an indicator
 *   whose direction is negative, base (-1, or the group whose normalisation and
 *   weights apply to every row).
 * Outputs: lo, hi, w (G x p, column-major; w = NA when a group has fewer than
 *   two rows or no informative indicator), cnst (G x p: 1 = constant indicator),
 *   nvalid (G), idx (n; NA for unused rows).
 * Steps (paper, eq. for dig): Y = (x - min)/(max - min) (or (max - x)/(max - min)
 * for negative indicators); q = Y / sum Y; f = -sum q ln q / ln n with
 * 0 ln 0 = 0; d = 1 - f; w = d / sum d; index = sum_j w_j Y_j.
 * sum q ln q is accumulated as (sum Y ln Y)/S - ln S, so one pass gives both
 * sums. A constant indicator (max = min) carries no information: its Y is set
 * to 0 and its weight to 0 (the formula would divide by zero). */
static void entropy_kernel(const double **x, R_xlen_t n, int p,
                           const int *restrict g, int G, const int *neg,
                           int base, double *lo, double *hi, double *w,
                           int *cnst, double *nvalid, double *restrict idx)
{
    double *S = (double *) R_alloc((size_t) G * p, sizeof(double));
    double *T = (double *) R_alloc((size_t) G * p, sizeof(double));
    for (int k = 0; k < G; k++) nvalid[k] = 0.0;
    for (R_xlen_t i = 0; i < n; i++) if (g[i] >= 0) nvalid[g[i]] += 1.0;

    for (int j = 0; j < p; j++) {
        const double *restrict xj = x[j];
        double *lj = lo + (size_t) j * G, *hj = hi + (size_t) j * G;
        double *Sj = S + (size_t) j * G, *Tj = T + (size_t) j * G;
        for (int k = 0; k < G; k++) {
            lj[k] = R_PosInf; hj[k] = R_NegInf; Sj[k] = 0.0; Tj[k] = 0.0;
        }
        for (R_xlen_t i = 0; i < n; i++) {
            int k = g[i];
            if (k < 0) continue;
            double v = xj[i];
            if (v < lj[k]) lj[k] = v;
            if (v > hj[k]) hj[k] = v;
        }
        for (R_xlen_t i = 0; i < n; i++) {
            int k = g[i];
            if (k < 0 || (base >= 0 && k != base)) continue;
            double r = hj[k] - lj[k];
            if (!(r > 0)) continue;
            double y = neg[j] ? (hj[k] - xj[i]) / r : (xj[i] - lj[k]) / r;
            Sj[k] += y;
            if (y > 0) Tj[k] += y * log(y);
        }
    }

    for (int k = 0; k < G; k++) {
        double dsum = 0.0;
        int ok = nvalid[k] >= 2.0;
        for (int j = 0; j < p; j++) {
            size_t kj = (size_t) j * G + k;
            double r = hi[kj] - lo[kj];
            cnst[kj] = !(r > 0);
            if (!ok || cnst[kj]) { w[kj] = 0.0; continue; }
            double f = -(T[kj] / S[kj] - log(S[kj])) / log(nvalid[k]);
            w[kj] = 1.0 - f;
            dsum += w[kj];
        }
        for (int j = 0; j < p; j++) {
            size_t kj = (size_t) j * G + k;
            w[kj] = (ok && dsum > 0) ? w[kj] / dsum : NA_REAL;
        }
    }

    for (R_xlen_t i = 0; i < n; i++) idx[i] = g[i] >= 0 ? 0.0 : NA_REAL;
    for (int j = 0; j < p; j++) {
        const double *restrict xj = x[j];
        for (R_xlen_t i = 0; i < n; i++) {
            int k = g[i];
            if (k < 0) continue;
            int kk = base >= 0 ? base : k;
            size_t kj = (size_t) j * G + kk;
            double r = hi[kj] - lo[kj];
            if (!(r > 0)) continue;
            double y = neg[j] ? (hi[kj] - xj[i]) / r : (xj[i] - lo[kj]) / r;
            idx[i] += w[kj] * y;
        }
    }
    /* no weights (fewer than two rows, or no informative indicator): no index */
    for (R_xlen_t i = 0; i < n; i++) {
        int k = g[i];
        if (k >= 0 && ISNAN(w[base >= 0 ? base : k])) idx[i] = NA_REAL;
    }
}

/* .Call entry: entropy_index_c(cols, group, ngroup, negative, base)
 * cols: list of p double columns; group: integer codes 1..G (NA = unused row);
 * negative: integer 0/1 of length p; base: 0 for per-group normalisation and
 * weights, else the 1-based group that supplies them for all rows.
 * Returns list(index, weights G x p, constant G x p (logical), nvalid G,
 * min G x p, max G x p). */
SEXP entropy_index_c(SEXP cols, SEXP group, SEXP ngroup, SEXP negative, SEXP base)
{
    R_xlen_t n;
    int p, nprot = 0;
    const double **x = measure_columns(cols, &n, &p);
    const int *grp = exr_int_arg(group, n, "group");
    int G = exr_scalar_int(ngroup, "ngroup");
    if (G < 1) error("'ngroup' must be positive");
    const int *neg = exr_int_arg(negative, p, "negative");
    int b = exr_scalar_int(base, "base");
    if (b < 0 || b > G) error("'base' must be 0 or a group code");
    int *g = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
    measure_row_groups(x, n, p, grp, G, g);

    SEXP idx = PROTECT(allocVector(REALSXP, n)); nprot++;
    SEXP w = PROTECT(allocMatrix(REALSXP, G, p)); nprot++;
    SEXP cn = PROTECT(allocMatrix(LGLSXP, G, p)); nprot++;
    SEXP nv = PROTECT(allocVector(REALSXP, G)); nprot++;
    SEXP lo = PROTECT(allocMatrix(REALSXP, G, p)); nprot++;
    SEXP hi = PROTECT(allocMatrix(REALSXP, G, p)); nprot++;
    entropy_kernel(x, n, p, g, G, neg, b - 1, REAL(lo), REAL(hi), REAL(w),
                   LOGICAL(cn), REAL(nv), REAL(idx));

    const char *nm[6] = {"index", "weights", "constant", "n_valid", "lo", "hi"};
    SEXP out = PROTECT(exr_named_list(6, nm)); nprot++;
    SET_VECTOR_ELT(out, 0, idx);
    SET_VECTOR_ELT(out, 1, w);
    SET_VECTOR_ELT(out, 2, cn);
    SET_VECTOR_ELT(out, 3, nv);
    SET_VECTOR_ELT(out, 4, lo);
    SET_VECTOR_ELT(out, 5, hi);
    UNPROTECT(nprot);
    return out;
}

/* Principal-component composite, kernel part after standardisation.
 * Eigen-decomposition of the p x p correlation matrix R (overwritten) by
 * LAPACK dsyevr; eigenvalues come back ascending and are returned descending
 * in `val`, eigenvectors as columns of `vec` (p x p) in the same order. */
static void pca_eigen(double *R, int p, double *val, double *vec)
{
    int m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
    double wq = 0.0, vl = 0.0, vu = 0.0, abstol = 0.0;
    int il = 1, iu = p;
    double *wv = (double *) R_alloc(p, sizeof(double));
    double *z = (double *) R_alloc((size_t) p * p, sizeof(double));
    int *isuppz = (int *) R_alloc(2 * (size_t) p, sizeof(int));
    F77_CALL(dsyevr)("V", "A", "L", &p, R, &p, &vl, &vu, &il, &iu, &abstol, &m,
                     wv, z, &p, isuppz, &wq, &lwork, &iwq, &liwork, &info
                     FCONE FCONE FCONE);
    if (info != 0) error("error code %d from LAPACK routine '%s'", info, "dsyevr");
    lwork = (int) wq;
    liwork = iwq;
    double *work = (double *) R_alloc(lwork, sizeof(double));
    int *iwork = (int *) R_alloc(liwork, sizeof(int));
    F77_CALL(dsyevr)("V", "A", "L", &p, R, &p, &vl, &vu, &il, &iu, &abstol, &m,
                     wv, z, &p, isuppz, work, &lwork, iwork, &liwork, &info
                     FCONE FCONE FCONE);
    if (info != 0) error("error code %d from LAPACK routine '%s'", info, "dsyevr");
    if (m != p) error("LAPACK routine 'dsyevr' found %d of %d eigenvalues", m, p);
    for (int k = 0; k < p; k++) {
        val[k] = wv[p - 1 - k];
        memcpy(vec + (size_t) k * p, z + (size_t) (p - 1 - k) * p, p * sizeof(double));
    }
}

/* .Call entry: pca_index_c(cols, min_eigen)
 * Standardises the complete rows of the p indicators (mean 0, sd 1 with
 * divisor n - 1), forms the correlation matrix (BLAS dsyrk), decomposes it
 * (LAPACK dsyevr), keeps the components with eigenvalue > min_eigen (at least
 * the first), orients each so that its loadings sum to a non-negative number
 * (so it rises with the indicators), and returns the composite
 * sum_k (lambda_k / sum_kept lambda) * z'v_k for every complete row (NA
 * elsewhere), before any rescaling. Returns list(score, values, vectors,
 * nkeep, center, scale). Constant indicators must be removed by the caller. */
SEXP pca_index_c(SEXP cols, SEXP min_eigen)
{
    R_xlen_t n;
    int p, nprot = 0;
    const double **x = measure_columns(cols, &n, &p);
    double thr = exr_scalar_real(min_eigen, "min_eigen");
    int one = 1;
    int *g = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
    int *ones = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
    for (R_xlen_t i = 0; i < n; i++) ones[i] = 1;
    measure_row_groups(x, n, p, ones, one, g);
    R_xlen_t nv = 0;
    for (R_xlen_t i = 0; i < n; i++) nv += g[i] == 0;
    if (nv < 2) error("fewer than two complete rows");
    if (nv > INT_MAX) error("too many rows for BLAS");

    double *center = (double *) R_alloc(p, sizeof(double));
    double *scale = (double *) R_alloc(p, sizeof(double));
    double *Z = (double *) R_alloc((size_t) nv * p, sizeof(double));
    for (int j = 0; j < p; j++) {
        /* in units of a, the power of two just above the largest magnitude, so
         * that sums and squares neither overflow (values near 1e308) nor
         * underflow (near 1e-308); scaling by a power of two is exact, so
         * other inputs give the same bits as without it */
        const double *xj = x[j];
        double a = 0.0, s = 0.0, ss = 0.0;
        int e;
        for (R_xlen_t i = 0; i < n; i++) if (g[i] == 0 && fabs(xj[i]) > a) a = fabs(xj[i]);
        if (!(a > 0) || !R_FINITE(a)) exr_raise("vars", "indicator %d is constant or not finite", j + 1);
        frexp(a, &e);
        a = ldexp(1.0, e - 1); /* 2^1024 would overflow */
        for (R_xlen_t i = 0; i < n; i++) if (g[i] == 0) s += xj[i] / a;
        double mu = s / (double) nv;
        for (R_xlen_t i = 0; i < n; i++) if (g[i] == 0) ss += (xj[i] / a - mu) * (xj[i] / a - mu);
        double sd = sqrt(ss / (double) (nv - 1));
        if (!(sd > 0)) exr_raise("vars", "indicator %d is constant", j + 1);
        center[j] = a * mu;
        scale[j] = a * sd;
        double *zj = Z + (size_t) j * nv;
        R_xlen_t r = 0;
        for (R_xlen_t i = 0; i < n; i++) if (g[i] == 0) zj[r++] = (xj[i] / a - mu) / sd;
    }
    double *R = (double *) R_alloc((size_t) p * p, sizeof(double));
    int nvi = (int) nv;
    double alpha = 1.0 / (double) (nv - 1), beta = 0.0;
    F77_CALL(dsyrk)("L", "T", &p, &nvi, &alpha, Z, &nvi, &beta, R, &p FCONE FCONE);

    SEXP val = PROTECT(allocVector(REALSXP, p)); nprot++;
    SEXP vec = PROTECT(allocMatrix(REALSXP, p, p)); nprot++;
    double *lam = REAL(val), *V = REAL(vec);
    pca_eigen(R, p, lam, V);

    int K = 1;
    while (K < p && lam[K] > thr) K++;
    double lsum = 0.0;
    for (int k = 0; k < K; k++) lsum += lam[k];
    double *c = (double *) R_alloc(p, sizeof(double));
    for (int j = 0; j < p; j++) c[j] = 0.0;
    for (int k = 0; k < p; k++) {
        double *vk = V + (size_t) k * p, s = 0.0;
        for (int j = 0; j < p; j++) s += vk[j];
        if (s < 0) for (int j = 0; j < p; j++) vk[j] = -vk[j];
        if (k < K) for (int j = 0; j < p; j++) c[j] += lam[k] / lsum * vk[j];
    }

    SEXP score = PROTECT(allocVector(REALSXP, n)); nprot++;
    double *sc = REAL(score);
    R_xlen_t r = 0;
    for (R_xlen_t i = 0; i < n; i++) {
        if (g[i] != 0) { sc[i] = NA_REAL; continue; }
        double s = 0.0;
        for (int j = 0; j < p; j++) s += Z[(size_t) j * nv + r] * c[j];
        sc[i] = s;
        r++;
    }
    SEXP ctr = PROTECT(allocVector(REALSXP, p)); nprot++;
    SEXP scl = PROTECT(allocVector(REALSXP, p)); nprot++;
    memcpy(REAL(ctr), center, p * sizeof(double));
    memcpy(REAL(scl), scale, p * sizeof(double));
    const char *nm[6] = {"score", "values", "vectors", "n_components", "center", "scale"};
    SEXP out = PROTECT(exr_named_list(6, nm)); nprot++;
    SET_VECTOR_ELT(out, 0, score);
    SET_VECTOR_ELT(out, 1, val);
    SET_VECTOR_ELT(out, 2, vec);
    SET_VECTOR_ELT(out, 3, ScalarInteger(K));
    SET_VECTOR_ELT(out, 4, ctr);
    SET_VECTOR_ELT(out, 5, scl);
    UNPROTECT(nprot);
    return out;
}
