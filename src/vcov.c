/*
 * The meat of every sandwich variance in the package: M = sum_g s_g s_g', where
 * s_g is the sum of the score rows of cluster g (one cluster per row for the
 * heteroskedasticity-robust variance). The variance engine (R/vcov.R) combines
 * it with the estimator's bread, the small-sample factors and, for multi-way
 * clustering, the Cameron-Gelbach-Miller inclusion-exclusion sum; it knows
 * nothing of the estimator, as in fixest's vcov_cluster_internal(bread, scores).
 *
 * Scores arrive either as an n x k matrix S, or factored as S = diag(u) X (least
 * squares: u_i = w_i e_i), which saves materialising an n x k matrix on large
 * designs.
 */
#include "exportres.h"

/* Kernel: M (k x k, both triangles) = sum_g s_g s_g' with
 * s_g = sum_{i: cl[i] = g} x_i u_i (u NULL: u_i = 1, X holds the scores).
 * cl: 1-based codes <= G, or NULL for one cluster per row (then G = n).
 * One cluster per row needs no copy of the scores: M = X' diag(u^2) X, the
 * package's blocked cross-product (u^2 in the first n doubles of S).
 * Work S: G * k doubles. Pure: no R API. */
void exr_cluster_meat(const double *x, const double *u, R_xlen_t n, int k, const int *cl,
                      int G, double *S, double *M)
{
    if (k == 0) return;
    if (!cl) {
        if (u) for (R_xlen_t i = 0; i < n; i++) S[i] = u[i] * u[i];
        exr_crossprod(x, NULL, u ? S : NULL, (int) n, k, M, NULL);
        return;
    }
    memset(S, 0, (size_t) G * k * sizeof(double));
    for (int j = 0; j < k; j++) {
        const double *xj = x + (R_xlen_t) j * n;
        double *sj = S + (R_xlen_t) j * G;
        if (u) {
            for (R_xlen_t i = 0; i < n; i++) sj[cl[i] - 1] += xj[i] * u[i];
        } else {
            for (R_xlen_t i = 0; i < n; i++) sj[cl[i] - 1] += xj[i];
        }
    }
    exr_crossprod(S, NULL, NULL, G, k, M, NULL);
}

/*
 * .Call entry: score_meat(X, u, cluster)
 *   X       n x k: the design (with u) or the scores themselves (u NULL)
 *   u       length n (least squares: w_i * e_i), or NULL
 *   cluster integer codes 1..G (length n), or NULL for one cluster per row
 * Returns the k x k meat sum_g s_g s_g'.
 */
SEXP score_meat(SEXP X, SEXP u_, SEXP cluster)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    const int n = nrows(X), k = ncols(X);
    const double *u = isNull(u_) ? NULL : exr_real_arg(u_, n, "u");
    int G = n;
    const int *cl = NULL;
    if (!isNull(cluster)) {
        cl = exr_int_arg(cluster, n, "cluster");
        G = 0;
        for (int i = 0; i < n; i++) {
            if (cl[i] == NA_INTEGER || cl[i] < 1) error("'cluster' codes must be positive integers");
            if (cl[i] > G) G = cl[i];
        }
    }
    SEXP M = PROTECT(allocMatrix(REALSXP, k, k));
    memset(REAL(M), 0, (size_t) k * k * sizeof(double));
    if (k > 0 && G > 0) {
        /* one cluster per row: only u^2 (n doubles) */
        double *S = (double *) R_alloc(cl ? (size_t) G * k : (u ? (size_t) n : 1), sizeof(double));
        exr_cluster_meat(REAL(X), u, n, k, cl, G, S, REAL(M));
    }
    UNPROTECT(1);
    return M;
}
