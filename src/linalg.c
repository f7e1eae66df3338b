/*
 * Least squares on a (demeaned) design, with collinear columns detected and dropped
 * in formula order, and the sandwich "meat" for robust and clustered variances.
 *
 * Which columns to drop is decided in formula order, as fixest and lm do (a later
 * column that is a combination of earlier ones is the one dropped): an in-order
 * Cholesky of X'WX whose pivot d_k, the squared norm of column k orthogonal to the
 * earlier kept columns, is compared with tol times the squared norm of the column
 * before demeaning. A column absorbed by the fixed effects has d_k ~ 0 relative to
 * its raw norm and is dropped.
 *
 * The kept system is solved from the column-equilibrated normal equations by
 * Cholesky when their reciprocal condition number is at least 1e-8 (one pass over
 * the data, as fixest does); otherwise by column-pivoted Householder QR of
 * W^(1/2) X (LAPACK dgeqp3), which keeps its accuracy on ill-conditioned designs.
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

/* X'WX (upper and lower filled, p x p) and X'Wy in one pass over the rows. */
static void cross_products(const double *x, const double *y, const double *w, int n, int p,
                           double *XtX, double *Xty)
{
    if (!w) {
        const double one = 1.0, zero = 0.0;
        int inc = 1;
        F77_CALL(dsyrk)("U", "T", &p, &n, &one, x, &n, &zero, XtX, &p FCONE FCONE);
        F77_CALL(dgemv)("T", &n, &p, &one, x, &n, y, &inc, &zero, Xty, &inc FCONE);
    } else {
        memset(XtX, 0, (size_t) p * p * sizeof(double));
        memset(Xty, 0, (size_t) p * sizeof(double));
        for (int c = 0; c < p; c++) {
            const double *xc = x + (R_xlen_t) c * n;
            double s = 0.0;
            for (int i = 0; i < n; i++) s += w[i] * xc[i] * y[i];
            Xty[c] = s;
            for (int a = 0; a <= c; a++) {
                const double *xa = x + (R_xlen_t) a * n;
                double t = 0.0;
                for (int i = 0; i < n; i++) t += w[i] * xa[i] * xc[i];
                XtX[a + (R_xlen_t) c * p] = t;
            }
        }
    }
    for (int c = 0; c < p; c++)
        for (int a = 0; a < c; a++) XtX[c + (R_xlen_t) a * p] = XtX[a + (R_xlen_t) c * p];
}

/* In formula order, keep column j when its squared norm orthogonal to the kept
 * earlier columns exceeds tol times ref[j]. Fills kp (0/1) and cols (kept
 * indices); returns their number. */
static int keep_in_order(const double *XtX, int p, const double *ref, double tol, int *kp, int *cols)
{
    double *Lf = (double *) R_alloc((size_t) p * p + 1, sizeof(double));
    memset(Lf, 0, ((size_t) p * p + 1) * sizeof(double));
    int k = 0;
    for (int j = 0; j < p; j++) {
        double d = XtX[j + (R_xlen_t) j * p];
        for (int l = 0; l < k; l++) {
            double v = Lf[j + (R_xlen_t) l * p];
            d -= v * v;
        }
        double rj = ref[j] > 0 ? ref[j] : 0.0;
        if (!(d > tol * rj) || !(d > 0) || !R_FINITE(d)) {
            kp[j] = 0;
            continue;
        }
        double dj = sqrt(d);
        for (int i = j + 1; i < p; i++) {
            double s = XtX[i + (R_xlen_t) j * p];
            for (int l = 0; l < k; l++) s -= Lf[i + (R_xlen_t) l * p] * Lf[j + (R_xlen_t) l * p];
            Lf[i + (R_xlen_t) k * p] = s / dj;
        }
        Lf[j + (R_xlen_t) k * p] = dj;
        kp[j] = 1;
        cols[k++] = j;
    }
    return k;
}

/* Normal equations on the column-equilibrated kept cross-product, by Cholesky.
 * Returns 0 when the scaled system is too ill-conditioned for them (reciprocal
 * condition number below 1e-8: the normal equations would then lose more than
 * about 8 digits), so that the caller falls back to QR. */
static int solve_cholesky(const double *XtX, const double *Xty, int p, const int *cols, int k,
                          double *b_kept, double *V)
{
    double *C = (double *) R_alloc((size_t) k * k, sizeof(double));
    double *dsc = (double *) R_alloc(k, sizeof(double));
    for (int a = 0; a < k; a++) dsc[a] = 1.0 / sqrt(XtX[cols[a] + (R_xlen_t) cols[a] * p]);
    for (int c = 0; c < k; c++)
        for (int a = 0; a < k; a++)
            C[a + (R_xlen_t) c * k] = XtX[cols[a] + (R_xlen_t) cols[c] * p] * dsc[a] * dsc[c];
    int info = 0;
    F77_CALL(dpotrf)("U", &k, C, &k, &info FCONE);
    if (info != 0) return 0;
    double rcond = 0.0, anorm = 1.0; /* the equilibrated matrix has unit diagonal; 1-norm <= k */
    for (int c = 0; c < k; c++) {
        double s = 0.0;
        for (int a = 0; a < k; a++) s += fabs(XtX[cols[a] + (R_xlen_t) cols[c] * p] * dsc[a] * dsc[c]);
        if (s > anorm) anorm = s;
    }
    double *work = (double *) R_alloc(3 * (size_t) k, sizeof(double));
    int *iwork = (int *) R_alloc(k, sizeof(int));
    F77_CALL(dpocon)("U", &k, C, &k, &anorm, &rcond, work, iwork, &info FCONE);
    if (info != 0 || !(rcond >= 1e-8)) return 0;
    int one = 1;
    for (int a = 0; a < k; a++) b_kept[a] = Xty[cols[a]] * dsc[a];
    F77_CALL(dpotrs)("U", &k, &one, C, &k, b_kept, &k, &info FCONE);
    lapack_check(info, "dpotrs");
    for (int a = 0; a < k; a++) b_kept[a] *= dsc[a];
    F77_CALL(dpotri)("U", &k, C, &k, &info FCONE);
    lapack_check(info, "dpotri");
    for (int c = 0; c < k; c++)
        for (int a = 0; a <= c; a++) {
            double v = C[a + (R_xlen_t) c * k] * dsc[a] * dsc[c];
            V[a + (R_xlen_t) c * k] = v;
            V[c + (R_xlen_t) a * k] = v;
        }
    return 1;
}

/* Least squares by column-pivoted QR of W^(1/2) X[, cols], for designs too
 * ill-conditioned for the normal equations. */
static void solve_qr(const double *x, const double *yy, const double *w, int n, const int *cols,
                     int k, double *b_kept, double *V)
{
    double *sw = NULL;
    if (w) {
        sw = (double *) R_alloc(n, sizeof(double));
        for (int i = 0; i < n; i++) sw[i] = sqrt(w[i]);
    }
    double *A = (double *) R_alloc((size_t) n * k, sizeof(double));
    double *tau = (double *) R_alloc(k, sizeof(double));
    int *jpvt = (int *) R_alloc(k, sizeof(int));
    weighted_copy(x, sw, n, cols, k, A);
    qr_pivoted(A, n, k, jpvt, tau);
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
    F77_CALL(dtrtrs)("U", "N", "N", &k, &one, A, &n, qy, &n, &info FCONE FCONE FCONE);
    lapack_check(info, "dtrtrs");
    for (int j = 0; j < k; j++) b_kept[jpvt[j] - 1] = qy[j];
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

/*
 * .Call entry: ols_fit(X, y, weights, scale, tol)
 *   X       n x p (demeaned) design; y (demeaned) response, length n
 *   weights positive weights (length n) or NULL
 *   scale   length p: squared norms of the columns before demeaning (a column
 *           absorbed by fixed effects keeps ~0 of it), or NULL to use X's own
 *   tol     relative tolerance of the collinearity test (e.g. 1e-10)
 * Collinear columns are found in formula order on X'WX; the kept system is solved
 * by Cholesky of the equilibrated normal equations when well conditioned (fast,
 * and what fixest does), else by pivoted QR of W^(1/2) X (accurate).
 * Returns list(coefficients (p, NA where dropped), kept (logical p),
 *              bread = (X'WX)^{-1} over the kept columns (k x k),
 *              residuals = y - X b (length n, unweighted), rank, method).
 */
SEXP ols_fit(SEXP X, SEXP y, SEXP weights, SEXP scale, SEXP tol_)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    const int n = nrows(X), p = ncols(X);
    const double *x = REAL(X);
    const double *yy = exr_real_arg(y, n, "y");
    const double *sc = isNull(scale) ? NULL : exr_real_arg(scale, p, "scale");
    const double tol = exr_scalar_real(tol_, "tol");
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    if (n < 1) error("no observations");
    if (w) {
        for (int i = 0; i < n; i++)
            if (!(w[i] > 0)) error("weights must be positive");
    }

    int nprot = 0;
    SEXP coef = PROTECT(allocVector(REALSXP, p)); nprot++;
    SEXP kept = PROTECT(allocVector(LGLSXP, p)); nprot++;
    SEXP resid = PROTECT(allocVector(REALSXP, n)); nprot++;
    double *b = REAL(coef);
    int *kp = LOGICAL(kept);
    double *e = REAL(resid);
    for (int j = 0; j < p; j++) b[j] = NA_REAL;

    int *cols = (int *) R_alloc(p > 0 ? p : 1, sizeof(int));
    int k = 0, used_qr = 0;
    double *XtX = (double *) R_alloc((size_t) p * p + 1, sizeof(double));
    double *Xty = (double *) R_alloc(p + 1, sizeof(double));
    if (p > 0) {
        cross_products(x, yy, w, n, p, XtX, Xty);
        double *ref = (double *) R_alloc(p, sizeof(double));
        for (int j = 0; j < p; j++) ref[j] = sc ? sc[j] : XtX[j + (R_xlen_t) j * p];
        k = keep_in_order(XtX, p, ref, tol, kp, cols);
    }
    if (k > 0 && n < k) error("fewer observations than regressors");

    SEXP bread = PROTECT(allocMatrix(REALSXP, k, k)); nprot++;
    double *V = REAL(bread);
    if (k > 0) {
        double *bk = (double *) R_alloc(k, sizeof(double));
        if (!solve_cholesky(XtX, Xty, p, cols, k, bk, V)) {
            used_qr = 1;
            solve_qr(x, yy, w, n, cols, k, bk, V);
        }
        for (int a = 0; a < k; a++) b[cols[a]] = bk[a];
    }

    /* residuals on the original scale */
    memcpy(e, yy, (size_t) n * sizeof(double));
    for (int j = 0; j < k; j++) {
        const double *xj = x + (R_xlen_t) cols[j] * n;
        const double bj = b[cols[j]];
        for (int i = 0; i < n; i++) e[i] -= bj * xj[i];
    }

    SEXP out = PROTECT(allocVector(VECSXP, 6)); nprot++;
    SET_VECTOR_ELT(out, 0, coef);
    SET_VECTOR_ELT(out, 1, kept);
    SET_VECTOR_ELT(out, 2, bread);
    SET_VECTOR_ELT(out, 3, resid);
    SET_VECTOR_ELT(out, 4, ScalarInteger(k));
    SET_VECTOR_ELT(out, 5, mkString(used_qr ? "qr" : "cholesky"));
    SEXP nms = PROTECT(allocVector(STRSXP, 6)); nprot++;
    const char *nm[6] = {"coefficients", "kept", "bread", "residuals", "rank", "method"};
    for (int j = 0; j < 6; j++) SET_STRING_ELT(nms, j, mkChar(nm[j]));
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
