/*
 * Least squares on a (demeaned) design, with collinear columns detected and dropped
 * in formula order: the kernels every regression-type estimator shares (fe_reg,
 * the stages of 2SLS, Heckman's second step, bootstrap and placebo draws).
 *
 * Which columns to drop is decided in formula order, as fixest and lm do (a later
 * column that is a combination of earlier ones is the one dropped): an in-order
 * Cholesky of X'WX whose pivot d_k, the squared norm of column k orthogonal to the
 * earlier kept columns, is compared with tol times a reference squared norm of the
 * column (its norm before demeaning, so that a column absorbed by the fixed
 * effects, with d_k ~ 0 relative to its raw norm, is dropped).
 *
 * The kept system is solved from the column-equilibrated normal equations by
 * Cholesky when their reciprocal condition number is at least 1e-8 (one pass over
 * the data, as fixest does); otherwise by column-pivoted Householder QR of
 * W^(1/2) X (LAPACK dgeqp3), which keeps its accuracy on ill-conditioned designs.
 *
 * Kernels (exr_*) take caller-supplied workspace, return an info code and never
 * call the R API, so they can run inside OpenMP regions. Info codes: 0 success;
 * EXR_LS_ILLCOND (Cholesky declined: use QR); a negative value -(1000 * r + info)
 * for LAPACK routine r failing with `info` (see exr_ls_routine()).
 */
#include "exportres.h"

static const char *ls_routines[] = {"", "dpotrf", "dpotrs", "dpotri", "dgeqp3", "dormqr",
                                    "dtrtrs", "dtrtri", "dpocon"};

const char *exr_ls_routine(int code)
{
    int r = (-code) / 1000;
    return (r > 0 && r < 9) ? ls_routines[r] : "unknown";
}

#define LS_FAIL(r, info) (-(1000 * (r) + ((info) < 0 ? -(info) : (info))))

/* Dot product (weighted when w is not NULL) with four independent partial
 * sums: the additions of one long sum form a dependency chain that costs the
 * floating-point latency per element, four chains run in parallel. */
static double dot4(const double *a, const double *b, const double *w, int n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int i = 0;
    if (w) {
        for (; i + 3 < n; i += 4) {
            s0 += w[i] * a[i] * b[i];
            s1 += w[i + 1] * a[i + 1] * b[i + 1];
            s2 += w[i + 2] * a[i + 2] * b[i + 2];
            s3 += w[i + 3] * a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) s0 += w[i] * a[i] * b[i];
    } else {
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
}

/* The (weighted, if w) dot product of a and b, by dot4(). */
EXR_CLONES
double exr_dot(const double *a, const double *b, const double *w, int n)
{
    return dot4(a, b, w, n);
}

/* Up to four dot products in one pass over v: out[j] = sum_i v_i x[j][i] for
 * j < q (1 <= q <= 4). Four independent sums, vectorised: a Gram matrix of a
 * few columns reads each weighted column once per four products instead of
 * once per product. */
EXR_CLONES
void exr_dots4(const double *v, const double *const *x, int q, int n, double *out)
{
    const double *restrict vv = v;
    const double *restrict x0 = x[0], *restrict x1 = q > 1 ? x[1] : x[0],
                           *restrict x2 = q > 2 ? x[2] : x[0], *restrict x3 = q > 3 ? x[3] : x[0];
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    EXR_SIMD_SUM(s0, s1, s2, s3)
    for (int i = 0; i < n; i++) {
        const double vi = vv[i];
        s0 += vi * x0[i];
        s1 += vi * x1[i];
        s2 += vi * x2[i];
        s3 += vi * x3[i];
    }
    out[0] = s0;
    if (q > 1) out[1] = s1;
    if (q > 2) out[2] = s2;
    if (q > 3) out[3] = s3;
}

/* Eight weighted dot products in one pass: out[j] = sum_i w_i u0_i x[j][i]
 * and out[4 + j] = sum_i w_i u1_i x[j][i] for j < q (1 <= q <= 4; w NULL:
 * unweighted): two columns of a weighted Gram matrix X'WX against four
 * others, without forming the weighted columns. */
EXR_CLONES
void exr_wdots2x4(const double *w, const double *u0, const double *u1, const double *const *x,
                  int q, int n, double *out)
{
    const double *restrict wv = w, *restrict a = u0, *restrict b = u1;
    const double *restrict x0 = x[0], *restrict x1 = q > 1 ? x[1] : x[0],
                           *restrict x2 = q > 2 ? x[2] : x[0], *restrict x3 = q > 3 ? x[3] : x[0];
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0;
#define WDOTS_BODY(wa, wb)                                                        \
    {                                                                             \
        const double y0 = x0[i], y1 = x1[i], y2 = x2[i], y3 = x3[i];             \
        s0 += (wa) * y0;                                                          \
        s1 += (wa) * y1;                                                          \
        s2 += (wa) * y2;                                                          \
        s3 += (wa) * y3;                                                          \
        t0 += (wb) * y0;                                                          \
        t1 += (wb) * y1;                                                          \
        t2 += (wb) * y2;                                                          \
        t3 += (wb) * y3;                                                          \
    }
    if (wv) {
        EXR_SIMD_SUM(s0, s1, s2, s3, t0, t1, t2, t3)
        for (int i = 0; i < n; i++) WDOTS_BODY(wv[i] * a[i], wv[i] * b[i])
    } else {
        EXR_SIMD_SUM(s0, s1, s2, s3, t0, t1, t2, t3)
        for (int i = 0; i < n; i++) WDOTS_BODY(a[i], b[i])
    }
#undef WDOTS_BODY
    const double r[8] = {s0, s1, s2, s3, t0, t1, t2, t3};
    for (int j = 0; j < q; j++) {
        out[j] = r[j];
        out[4 + j] = r[4 + j];
    }
}

/* Adds to out (p) the block's X' diag(w) v: the p columns of x (each at
 * x + c ld, len rows), w NULL for unweighted; four columns a pass
 * (exr_dots4, or exr_wdots2x4 with weights). nz (NULL: none) flags the
 * columns with a non-zero value in the block; the others add nothing and
 * are skipped. */
EXR_CLONES
void exr_xtwv_add(const double *x, R_xlen_t ld, int len, int p, const double *w, const double *v,
                  const char *nz, double *out)
{
    const double *cols[4];
    double d8[8];
    for (int a0 = 0; a0 < p; a0 += 4) {
        const int q = p - a0 < 4 ? p - a0 : 4;
        int any = !nz;
        for (int j = 0; j < q; j++) {
            cols[j] = x + (R_xlen_t) (a0 + j) * ld;
            if (nz && nz[a0 + j]) any = 1;
        }
        if (!any) continue;
        if (w) exr_wdots2x4(w, v, v, cols, q, len, d8);
        else exr_dots4(v, cols, q, len, d8);
        for (int j = 0; j < q; j++) out[a0 + j] += d8[j];
    }
}

/* Adds to the upper triangle of XtX (p x p) the block's X' diag(w) X (x, ld,
 * len, w and nz as exr_xtwv_add()): two columns (c, c + 1) against four
 * (a0..a0 + 3) a pass (exr_wdots2x4), the few products beyond the triangle
 * not kept. */
EXR_CLONES
void exr_gram_add(const double *x, R_xlen_t ld, int len, int p, const double *w, const char *nz,
                  double *XtX)
{
    const double *cols[4];
    double d8[8];
    for (int c = 0; c < p; c += 2) {
        const int c1 = c + 1 < p ? c + 1 : c;   /* the last column alone: paired with itself */
        if (nz && !nz[c] && !nz[c1]) continue;
        const double *xc = x + (R_xlen_t) c * ld, *xc1 = x + (R_xlen_t) c1 * ld;
        for (int a0 = 0; a0 <= c1; a0 += 4) {
            const int q = c1 + 1 - a0 < 4 ? c1 + 1 - a0 : 4;
            int any = !nz;
            for (int j = 0; j < q; j++) {
                cols[j] = x + (R_xlen_t) (a0 + j) * ld;
                if (nz && nz[a0 + j]) any = 1;
            }
            if (!any) continue;
            exr_wdots2x4(w, xc, xc1, cols, q, len, d8);
            for (int j = 0; j < q; j++) {
                const int a = a0 + j;
                if (a <= c) XtX[a + (R_xlen_t) c * p] += d8[j];
                if (c1 != c && a <= c1) XtX[a + (R_xlen_t) c1 * p] += d8[4 + j];
            }
        }
    }
}

/* X'WX (p x p, both triangles) and X'Wy in one pass over the rows. y may be NULL.
 * Few columns (the common case, and every bootstrap or permutation draw): two
 * columns against four a pass (exr_wdots2x4, eight independent sums), several
 * times faster than the reference BLAS's dsyrk at this shape; many columns:
 * dsyrk/dgemv. The rows are
 * taken in blocks of about 256 KB of the design, so that every pair of columns
 * of a block is read from cache rather than memory (a design of 100,000 rows x
 * 27 columns otherwise streams each column from memory 27 times); the products
 * of a column that is zero throughout a block are skipped there (dummies,
 * influence functions that are zero outside their units). */
EXR_CLONES
void exr_crossprod(const double *x, const double *y, const double *w, int n, int p,
                   double *XtX, double *Xty)
{
    if (p == 0) return;
    if (!w && p > 32) {
        const double one = 1.0, zero = 0.0;
        int inc = 1;
        F77_CALL(dsyrk)("U", "T", &p, &n, &one, x, &n, &zero, XtX, &p FCONE FCONE);
        if (y) F77_CALL(dgemv)("T", &n, &p, &one, x, &n, y, &inc, &zero, Xty, &inc FCONE);
    } else {
        int blk = (32768 / (p + (y ? 1 : 0) + (w ? 1 : 0))) & ~3;
        if (blk < 1024) blk = 1024;
        for (int c = 0; c < p; c++) {
            if (y) Xty[c] = 0.0;
            for (int a = 0; a <= c; a++) XtX[a + (R_xlen_t) c * p] = 0.0;
        }
        /* nz[c]: column c has a non-zero value in the block; a column that is
         * zero there (a dummy, or an influence function outside its units)
         * adds nothing to the block's products, which are skipped (finite
         * values: the package rejects others before they get here); up to 64
         * columns, a stack array (no allocation: this kernel runs in threads) */
        char nz[64];
        const int skip = p <= 64;
        for (int i0 = 0; i0 < n; i0 += blk) {
            const int len = n - i0 < blk ? n - i0 : blk;
            const double *wb = w ? w + i0 : NULL;
            for (int c = 0; skip && c < p; c++) {
                const double *xc = x + (R_xlen_t) c * n + i0;
                int i = 0;
                while (i < len && xc[i] == 0.0) i++;
                nz[c] = i < len;
            }
            if (y) exr_xtwv_add(x + i0, n, len, p, wb, y + i0, skip ? nz : NULL, Xty);
            exr_gram_add(x + i0, n, len, p, wb, skip ? nz : NULL, XtX);
        }
    }
    for (int c = 0; c < p; c++)
        for (int a = 0; a < c; a++) XtX[c + (R_xlen_t) a * p] = XtX[a + (R_xlen_t) c * p];
}

/* In formula order, keep column j when its squared norm orthogonal to the kept
 * earlier columns exceeds tol times ref[j] (ref NULL: the diagonal of XtX).
 * Fills kept (0/1, p) and cols (kept indices); returns their number.
 * work: p * p doubles. */
int exr_keep_in_order(const double *XtX, int p, const double *ref, double tol, int *kept,
                      int *cols, double *work)
{
    double *Lf = work;
    memset(Lf, 0, (size_t) p * p * sizeof(double));
    int k = 0;
    for (int j = 0; j < p; j++) {
        double d = XtX[j + (R_xlen_t) j * p];
        for (int l = 0; l < k; l++) {
            double v = Lf[j + (R_xlen_t) l * p];
            d -= v * v;
        }
        double rj = ref ? ref[j] : XtX[j + (R_xlen_t) j * p];
        if (!(rj > 0)) rj = 0.0;
        if (!(d > tol * rj) || !(d > 0) || !R_FINITE(d)) {
            kept[j] = 0;
            continue;
        }
        double dj = sqrt(d);
        for (int i = j + 1; i < p; i++) {
            double s = XtX[i + (R_xlen_t) j * p];
            for (int l = 0; l < k; l++) s -= Lf[i + (R_xlen_t) l * p] * Lf[j + (R_xlen_t) l * p];
            Lf[i + (R_xlen_t) k * p] = s / dj;
        }
        Lf[j + (R_xlen_t) k * p] = dj;
        kept[j] = 1;
        cols[k++] = j;
    }
    return k;
}

/* Least squares on the kept columns from the normal equations, by Cholesky of
 * the column-equilibrated cross-product. Returns EXR_LS_ILLCOND when the scaled
 * system's reciprocal condition number is below 1e-8 (the normal equations
 * would lose more than about 8 digits) or it is not positive definite.
 * XtX is p x p, Xty length p (may be NULL: then only V), cols the k kept
 * columns; b (k) and V = (X'WX)^{-1} (k x k) are written.
 * work: k * k + 5 * k doubles; iwork: k ints. */
int exr_ls_chol(const double *XtX, const double *Xty, int p, const int *cols, int k,
                double *b, double *V, double *work, int *iwork)
{
    if (k == 0) return 0;
    double *C = work, *dsc = work + (size_t) k * k, *cw = dsc + k;
    for (int a = 0; a < k; a++) dsc[a] = 1.0 / sqrt(XtX[cols[a] + (R_xlen_t) cols[a] * p]);
    double anorm = 0.0;
    for (int c = 0; c < k; c++) {
        double s = 0.0;
        for (int a = 0; a < k; a++) {
            double v = XtX[cols[a] + (R_xlen_t) cols[c] * p] * dsc[a] * dsc[c];
            C[a + (R_xlen_t) c * k] = v;
            s += fabs(v);
        }
        if (s > anorm) anorm = s;
    }
    int info = 0;
    F77_CALL(dpotrf)("U", &k, C, &k, &info FCONE);
    if (info > 0) return EXR_LS_ILLCOND;
    if (info < 0) return LS_FAIL(1, info);
    double rcond = 0.0;
    F77_CALL(dpocon)("U", &k, C, &k, &anorm, &rcond, cw, iwork, &info FCONE);
    if (info != 0) return LS_FAIL(8, info);
    if (!(rcond >= 1e-8)) return EXR_LS_ILLCOND;
    if (Xty && b) {
        int one = 1;
        for (int a = 0; a < k; a++) b[a] = Xty[cols[a]] * dsc[a];
        F77_CALL(dpotrs)("U", &k, &one, C, &k, b, &k, &info FCONE);
        if (info != 0) return LS_FAIL(2, info);
        for (int a = 0; a < k; a++) b[a] *= dsc[a];
    }
    F77_CALL(dpotri)("U", &k, C, &k, &info FCONE);
    if (info != 0) return LS_FAIL(3, info);
    for (int c = 0; c < k; c++)
        for (int a = 0; a <= c; a++) {
            double v = C[a + (R_xlen_t) c * k] * dsc[a] * dsc[c];
            V[a + (R_xlen_t) c * k] = v;
            V[c + (R_xlen_t) a * k] = v;
        }
    return 0;
}

/* Doubles of workspace exr_ls_qr needs for an n x k problem (a LAPACK
 * workspace query: pure, no R API). */
size_t exr_ls_qr_work_size(int n, int k)
{
    if (k == 0) return 1;
    int info = 0, lwork = -1, one = 1;
    double q1 = 0.0, q2 = 0.0, dummy = 0.0;
    int ip = 0;
    F77_CALL(dgeqp3)(&n, &k, &dummy, &n, &ip, &dummy, &q1, &lwork, &info);
    F77_CALL(dormqr)("L", "T", &n, &one, &k, &dummy, &n, &dummy, &dummy, &n, &q2, &lwork,
                     &info FCONE FCONE);
    size_t lw = (size_t) (q1 > q2 ? q1 : q2);
    if (lw < (size_t) k) lw = (size_t) k;
    return (size_t) n * k + 2 * (size_t) n + (size_t) k * k + (size_t) k + lw;
}

/* Least squares by column-pivoted QR of W^(1/2) X[, cols] (n x k): b (k) and
 * V = (X'WX)^{-1} (k x k). work: exr_ls_qr_work_size(n, k) doubles; iwork: k. */
int exr_ls_qr(const double *x, const double *yy, const double *w, int n, const int *cols,
              int k, double *b, double *V, double *work, int *iwork)
{
    if (k == 0) return 0;
    double *A = work, *qy = A + (size_t) n * k, *sw = qy + n, *Ri = sw + n,
           *tau = Ri + (size_t) k * k, *lw = tau + k;
    int lwork = (int) (exr_ls_qr_work_size(n, k) - ((size_t) n * k + 2 * (size_t) n +
                                                    (size_t) k * k + (size_t) k));
    int *jpvt = iwork;
    for (int i = 0; i < n; i++) sw[i] = w ? sqrt(w[i]) : 1.0;
    for (int j = 0; j < k; j++) {
        const double *xj = x + (R_xlen_t) cols[j] * n;
        double *aj = A + (R_xlen_t) j * n;
        for (int i = 0; i < n; i++) aj[i] = sw[i] * xj[i];
    }
    int info = 0, one = 1;
    for (int j = 0; j < k; j++) jpvt[j] = 0;
    F77_CALL(dgeqp3)(&n, &k, A, &n, jpvt, tau, lw, &lwork, &info);
    if (info != 0) return LS_FAIL(4, info);
    for (int i = 0; i < n; i++) qy[i] = yy ? sw[i] * yy[i] : 0.0;
    F77_CALL(dormqr)("L", "T", &n, &one, &k, A, &n, tau, qy, &n, lw, &lwork, &info FCONE FCONE);
    if (info != 0) return LS_FAIL(5, info);
    F77_CALL(dtrtrs)("U", "N", "N", &k, &one, A, &n, qy, &n, &info FCONE FCONE FCONE);
    if (info != 0) return LS_FAIL(6, info);
    for (int j = 0; j < k; j++) b[jpvt[j] - 1] = qy[j];
    /* (X'WX)^{-1} = P R^{-1} R^{-T} P' */
    memset(Ri, 0, (size_t) k * k * sizeof(double));
    for (int c = 0; c < k; c++)
        for (int r = 0; r <= c; r++) Ri[r + (R_xlen_t) c * k] = A[r + (R_xlen_t) c * n];
    F77_CALL(dtrtri)("U", "N", &k, Ri, &k, &info FCONE FCONE);
    if (info != 0) return LS_FAIL(7, info);
    for (int a = 0; a < k; a++) {
        for (int c = a; c < k; c++) {
            double s = 0.0;
            for (int l = c; l < k; l++) s += Ri[a + (R_xlen_t) l * k] * Ri[c + (R_xlen_t) l * k];
            int ia = jpvt[a] - 1, ic = jpvt[c] - 1;
            V[ia + (R_xlen_t) ic * k] = s;
            V[ic + (R_xlen_t) ia * k] = s;
        }
    }
    return 0;
}

/* Residuals e = y - X[, cols] b (unweighted). */
void exr_ls_residuals(const double *x, const double *y, int n, const int *cols, int k,
                      const double *b, double *e)
{
    memcpy(e, y, (size_t) n * sizeof(double));
    for (int j = 0; j < k; j++) {
        const double *xj = x + (R_xlen_t) cols[j] * n;
        const double bj = b[j];
        for (int i = 0; i < n; i++) e[i] -= bj * xj[i];
    }
}

static void ls_check(int info)
{
    if (info < 0) error("error code %d from LAPACK routine '%s'", (-info) % 1000,
                        exr_ls_routine(info));
}

/*
 * .Call entry: ols_fit(X, y, weights, scale, tol)
 *   X       n x p (demeaned) design; y (demeaned) response, length n
 *   weights positive weights (length n) or NULL
 *   scale   length p: reference squared norms of the columns (before demeaning),
 *           or NULL to use X's own
 *   tol     relative tolerance of the collinearity test (e.g. 1e-10)
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
            if (!(w[i] > 0) || !R_FINITE(w[i])) error("weights must be positive and finite");
    }

    int nprot = 0;
    const char *nm[6] = {"coefficients", "kept", "bread", "residuals", "rank", "method"};
    SEXP out = PROTECT(exr_named_list(6, nm)); nprot++;
    SEXP coef = allocVector(REALSXP, p); SET_VECTOR_ELT(out, 0, coef);
    SEXP kept = allocVector(LGLSXP, p); SET_VECTOR_ELT(out, 1, kept);
    SEXP resid = allocVector(REALSXP, n); SET_VECTOR_ELT(out, 3, resid);
    double *b = REAL(coef);
    int *kp = LOGICAL(kept);
    for (int j = 0; j < p; j++) b[j] = NA_REAL;

    int *cols = (int *) R_alloc(p > 0 ? p : 1, sizeof(int));
    int k = 0, used_qr = 0;
    double *XtX = (double *) R_alloc((size_t) p * p + 1, sizeof(double));
    double *Xty = (double *) R_alloc(p + 1, sizeof(double));
    if (p > 0) {
        exr_crossprod(x, yy, w, n, p, XtX, Xty);
        double *lw = (double *) R_alloc((size_t) p * p, sizeof(double));
        k = exr_keep_in_order(XtX, p, sc, tol, kp, cols, lw);
    }
    if (k > 0 && n < k) error("fewer observations than regressors");

    SEXP bread = allocMatrix(REALSXP, k, k);
    SET_VECTOR_ELT(out, 2, bread);
    double *V = REAL(bread);
    double *bk = (double *) R_alloc(k + 1, sizeof(double));
    if (k > 0) {
        double *wk = (double *) R_alloc((size_t) k * k + 5 * (size_t) k, sizeof(double));
        int *iw = (int *) R_alloc(k, sizeof(int));
        int info = exr_ls_chol(XtX, Xty, p, cols, k, bk, V, wk, iw);
        if (info == EXR_LS_ILLCOND) {
            used_qr = 1;
            double *wq = (double *) R_alloc(exr_ls_qr_work_size(n, k), sizeof(double));
            info = exr_ls_qr(x, yy, w, n, cols, k, bk, V, wq, iw);
        }
        ls_check(info);
        for (int a = 0; a < k; a++) b[cols[a]] = bk[a];
    }
    exr_ls_residuals(x, yy, n, cols, k, bk, REAL(resid));
    SET_VECTOR_ELT(out, 4, ScalarInteger(k));
    SET_VECTOR_ELT(out, 5, mkString(used_qr ? "qr" : "cholesky"));
    UNPROTECT(nprot);
    return out;
}

/*
 * .Call entry: collinear_keep(X, weights, scale, tol)
 * The formula-order collinearity rule on its own: which columns of X (n x p)
 * to keep. Returns a logical vector of length p.
 */
SEXP collinear_keep(SEXP X, SEXP weights, SEXP scale, SEXP tol_)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    const int n = nrows(X), p = ncols(X);
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    const double *sc = isNull(scale) ? NULL : exr_real_arg(scale, p, "scale");
    const double tol = exr_scalar_real(tol_, "tol");
    SEXP kept = PROTECT(allocVector(LGLSXP, p));
    if (p > 0) {
        double *XtX = (double *) R_alloc((size_t) p * p, sizeof(double));
        double *lw = (double *) R_alloc((size_t) p * p, sizeof(double));
        int *cols = (int *) R_alloc(p, sizeof(int));
        exr_crossprod(REAL(X), NULL, w, n, p, XtX, NULL);
        exr_keep_in_order(XtX, p, sc, tol, LOGICAL(kept), cols, lw);
    }
    UNPROTECT(1);
    return kept;
}

/*
 * .Call entry: collinear_keep_xtx(XtX, scale, tol)
 * The same formula-order rule on a cross-product matrix X'X (p x p) that the
 * caller accumulated itself (e.g. GMM's stacked system, built unit by unit and
 * never held as a matrix). Returns a logical vector of length p.
 */
SEXP collinear_keep_xtx(SEXP XtX, SEXP scale, SEXP tol_)
{
    if (!isReal(XtX) || !isMatrix(XtX) || nrows(XtX) != ncols(XtX))
        error("'XtX' must be a square double matrix");
    const int p = ncols(XtX);
    const double *sc = isNull(scale) ? NULL : exr_real_arg(scale, p, "scale");
    const double tol = exr_scalar_real(tol_, "tol");
    SEXP kept = PROTECT(allocVector(LGLSXP, p));
    if (p > 0) {
        double *lw = (double *) R_alloc((size_t) p * p, sizeof(double));
        int *cols = (int *) R_alloc(p, sizeof(int));
        exr_keep_in_order(REAL(XtX), p, sc, tol, LOGICAL(kept), cols, lw);
    }
    UNPROTECT(1);
    return kept;
}
