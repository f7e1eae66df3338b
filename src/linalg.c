/*
 * Least squares on a (demeaned) design, with collinear columns detected and dropped
 * in formula order, and the sandwich "meat" for robust and clustered variances.
 *
 * Least squares: column-pivoted Householder QR of W^(1/2) X (LAPACK dgeqp3), which is
 * accurate for ill-conditioned designs. Which columns to drop is decided in formula
 * order, as fixest and lm do (a later column that is a combination of earlier ones is
 * the one dropped): X'WX is rebuilt from the triangular factor (R'R, better
 * conditioned than a direct cross-product) and factored by an in-order Cholesky whose
 * pivot d_k, the squared norm of column k orthogonal to the earlier kept columns, is
 * compared with tol times the squared norm of the column before demeaning. A column
 * absorbed by the fixed effects has d_k ~ 0 relative to its raw norm and is dropped.
 */
#include "exportres.h"

static void lapack_check(int info, const char *routine)
{
    if (info != 0) error("error code %d from LAPACK routine '%s'", info, routine);
}

/* Pivoted QR of the n x p matrix A (overwritten): returns jpvt (1-based) and tau. */
static void qr_pivoted(double *A, int n, int p, int *jpvt, double *tau)
{
    int info = 0, lwork = -1;
    double wq = 0.0;
    for (int j = 0; j < p; j++) jpvt[j] = 0;
    F77_CALL(dgeqp3)(&n, &p, A, &n, jpvt, tau, &wq, &lwork, &info);
    lapack_check(info, "dgeqp3");
    lwork = (int) wq;
    if (lwork < 1) lwork = 1;
    double *work = (double *) R_alloc(lwork, sizeof(double));
    F77_CALL(dgeqp3)(&n, &p, A, &n, jpvt, tau, work, &lwork, &info);
    lapack_check(info, "dgeqp3");
}

/* Copy sqrt(w) * X[, cols] into A (n x k). */
static void weighted_copy(const double *X, const double *sw, R_xlen_t n, const int *cols, int k,
                          double *A)
{
    for (int j = 0; j < k; j++) {
        const double *xj = X + (R_xlen_t) cols[j] * n;
        double *aj = A + (R_xlen_t) j * n;
        if (sw) {
            for (R_xlen_t i = 0; i < n; i++) aj[i] = sw[i] * xj[i];
        } else {
            memcpy(aj, xj, (size_t) n * sizeof(double));
        }
    }
}

/*
 * .Call entry: ols_fit(X, y, weights, scale, tol)
 *   X       n x p demeaned design (double matrix); y demeaned response (length n)
 *   weights positive weights (length n) or NULL
 *   scale   length p: squared norms of the columns before demeaning (for the
 *           collinearity test); tol relative tolerance (e.g. 1e-10)
 * Returns list(coefficients (p, NA where dropped), kept (logical p),
 *              bread = (X'WX)^{-1} over the kept columns (k x k),
 *              residuals = y - X b (length n, unweighted), rank).
 */
SEXP ols_fit(SEXP X, SEXP y, SEXP weights, SEXP scale, SEXP tol_)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    const int n = nrows(X), p = ncols(X);
    const double *x = REAL(X);
    const double *yy = exr_real_arg(y, n, "y");
    const double *sc = exr_real_arg(scale, p, "scale");
    const double tol = exr_scalar_real(tol_, "tol");
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    if (n < 1) error("no observations");

    double *sw = NULL;
    if (w) {
        sw = (double *) R_alloc(n, sizeof(double));
        for (int i = 0; i < n; i++) {
            if (!(w[i] > 0)) error("weights must be positive");
            sw[i] = sqrt(w[i]);
        }
    }

    int nprot = 0;
    SEXP coef = PROTECT(allocVector(REALSXP, p)); nprot++;
    SEXP kept = PROTECT(allocVector(LGLSXP, p)); nprot++;
    SEXP resid = PROTECT(allocVector(REALSXP, n)); nprot++;
    double *b = REAL(coef);
    int *kp = LOGICAL(kept);
    double *e = REAL(resid);

    int *cols = (int *) R_alloc(p > 0 ? p : 1, sizeof(int));
    int k = 0;
    double *A = NULL, *tau = NULL;
    int *jpvt = (int *) R_alloc(p > 0 ? p : 1, sizeof(int));

    if (p > 0) {
        for (int j = 0; j < p; j++) cols[j] = j;
        A = (double *) R_alloc((size_t) n * p, sizeof(double));
        tau = (double *) R_alloc(p, sizeof(double));
        weighted_copy(x, sw, n, cols, p, A);
        qr_pivoted(A, n, p, jpvt, tau);
        int m = n < p ? n : p;

        /* X'WX = P R'R P' in the original column order */
        double *XtX = (double *) R_alloc((size_t) p * p, sizeof(double));
        memset(XtX, 0, (size_t) p * p * sizeof(double));
        for (int a = 0; a < p; a++) {
            for (int c = a; c < p; c++) {
                double s = 0.0;
                int top = (a < c ? a : c);
                if (top >= m) top = m - 1;
                for (int l = 0; l <= top; l++) s += A[l + (R_xlen_t) a * n] * A[l + (R_xlen_t) c * n];
                int ia = jpvt[a] - 1, ic = jpvt[c] - 1;
                XtX[ia + (R_xlen_t) ic * p] = s;
                XtX[ic + (R_xlen_t) ia * p] = s;
            }
        }
        /* in-order Cholesky with dropping: L holds the factor over kept columns */
        double *Lf = (double *) R_alloc((size_t) p * p, sizeof(double));
        memset(Lf, 0, (size_t) p * p * sizeof(double));
        for (int j = 0; j < p; j++) {
            double d = XtX[j + (R_xlen_t) j * p];
            for (int l = 0; l < k; l++) {
                double v = Lf[j + (R_xlen_t) l * p];
                d -= v * v;
            }
            double ref = sc[j] > 0 ? sc[j] : 0.0;
            if (!(d > tol * ref) || !(d > 0) || !R_FINITE(d)) {
                kp[j] = 0;
                continue;
            }
            double dj = sqrt(d);
            /* column j of L over the later candidate columns */
            for (int i = j + 1; i < p; i++) {
                double s = XtX[i + (R_xlen_t) j * p];
                for (int l = 0; l < k; l++) s -= Lf[i + (R_xlen_t) l * p] * Lf[j + (R_xlen_t) l * p];
                Lf[i + (R_xlen_t) k * p] = s / dj;
            }
            Lf[j + (R_xlen_t) k * p] = dj;
            kp[j] = 1;
            cols[k++] = j;
        }
        if (k < p && k > 0) {
            /* refit on the kept columns only */
            weighted_copy(x, sw, n, cols, k, A);
            qr_pivoted(A, n, k, jpvt, tau);
        }
    }

    SEXP bread = PROTECT(allocMatrix(REALSXP, k, k)); nprot++;
    double *V = REAL(bread);
    for (int j = 0; j < p; j++) b[j] = NA_REAL;

    if (k > 0) {
        if (n < k) error("fewer observations than regressors");
        /* Q'(sqrt(w) y) */
        double *qy = (double *) R_alloc(n, sizeof(double));
        for (int i = 0; i < n; i++) qy[i] = sw ? sw[i] * yy[i] : yy[i];
        int info = 0, lwork = -1, one = 1;
        double wq = 0.0;
        F77_CALL(dormqr)("L", "T", &n, &one, &k, A, &n, tau, qy, &n, &wq, &lwork, &info FCONE FCONE);
        lapack_check(info, "dormqr");
        lwork = (int) wq;
        if (lwork < 1) lwork = 1;
        double *work = (double *) R_alloc(lwork, sizeof(double));
        F77_CALL(dormqr)("L", "T", &n, &one, &k, A, &n, tau, qy, &n, work, &lwork, &info FCONE FCONE);
        lapack_check(info, "dormqr");
        /* R z = (Q'y)[1:k] */
        F77_CALL(dtrtrs)("U", "N", "N", &k, &one, A, &n, qy, &n, &info FCONE FCONE FCONE);
        lapack_check(info, "dtrtrs");
        for (int j = 0; j < k; j++) b[cols[jpvt[j] - 1]] = qy[j];

        /* (X'WX)^{-1} = P R^{-1} R^{-T} P' */
        double *Ri = (double *) R_alloc((size_t) k * k, sizeof(double));
        memset(Ri, 0, (size_t) k * k * sizeof(double));
        for (int c = 0; c < k; c++)
            for (int r = 0; r <= c; r++) Ri[r + (R_xlen_t) c * k] = A[r + (R_xlen_t) c * n];
        F77_CALL(dtrtri)("U", "N", &k, Ri, &k, &info FCONE FCONE);
        lapack_check(info, "dtrtri");
        for (int a = 0; a < k; a++) {
            for (int c = a; c < k; c++) {
                double s = 0.0;
                int lo = a > c ? a : c;
                for (int l = lo; l < k; l++) s += Ri[a + (R_xlen_t) l * k] * Ri[c + (R_xlen_t) l * k];
                int ia = jpvt[a] - 1, ic = jpvt[c] - 1;
                V[ia + (R_xlen_t) ic * k] = s;
                V[ic + (R_xlen_t) ia * k] = s;
            }
        }
    }

    /* residuals on the original scale */
    memcpy(e, yy, (size_t) n * sizeof(double));
    for (int j = 0; j < k; j++) {
        const double *xj = x + (R_xlen_t) cols[j] * n;
        const double bj = b[cols[j]];
        for (int i = 0; i < n; i++) e[i] -= bj * xj[i];
    }

    SEXP out = PROTECT(allocVector(VECSXP, 5)); nprot++;
    SET_VECTOR_ELT(out, 0, coef);
    SET_VECTOR_ELT(out, 1, kept);
    SET_VECTOR_ELT(out, 2, bread);
    SET_VECTOR_ELT(out, 3, resid);
    SET_VECTOR_ELT(out, 4, ScalarInteger(k));
    SEXP nms = PROTECT(allocVector(STRSXP, 5)); nprot++;
    const char *nm[5] = {"coefficients", "kept", "bread", "residuals", "rank"};
    for (int j = 0; j < 5; j++) SET_STRING_ELT(nms, j, mkChar(nm[j]));
    setAttrib(out, R_NamesSymbol, nms);
    UNPROTECT(nprot);
    return out;
}

/*
 * .Call entry: score_meat(X, u, cluster)
 *   X n x k design (demeaned, kept columns); u length n: w_i * e_i
 *   cluster integer codes 1..G (length n), or NULL for one cluster per observation
 * Returns the k x k matrix sum_g s_g s_g', s_g = sum_{i in g} x_i u_i.
 */
SEXP score_meat(SEXP X, SEXP u_, SEXP cluster)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    const int n = nrows(X), k = ncols(X);
    const double *x = REAL(X);
    const double *u = exr_real_arg(u_, n, "u");
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
    int nprot = 0;
    SEXP M = PROTECT(allocMatrix(REALSXP, k, k)); nprot++;
    double *m = REAL(M);
    memset(m, 0, (size_t) k * k * sizeof(double));
    if (k == 0 || G == 0) { UNPROTECT(nprot); return M; }

    double *S = (double *) R_alloc((size_t) G * k, sizeof(double));
    if (cl) {
        memset(S, 0, (size_t) G * k * sizeof(double));
        for (int j = 0; j < k; j++) {
            const double *xj = x + (R_xlen_t) j * n;
            double *sj = S + (R_xlen_t) j * G;
            for (int i = 0; i < n; i++) sj[cl[i] - 1] += xj[i] * u[i];
        }
    } else {
        for (int j = 0; j < k; j++) {
            const double *xj = x + (R_xlen_t) j * n;
            double *sj = S + (R_xlen_t) j * G;
            for (int i = 0; i < n; i++) sj[i] = xj[i] * u[i];
        }
    }
    const double one = 1.0, zero = 0.0;
    F77_CALL(dsyrk)("U", "T", &k, &G, &one, S, &G, &zero, m, &k FCONE FCONE);
    for (int a = 0; a < k; a++)
        for (int c = 0; c < a; c++) m[a + (R_xlen_t) c * k] = m[c + (R_xlen_t) a * k];
    UNPROTECT(nprot);
    return M;
}
