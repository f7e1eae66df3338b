/*
 * Instrumental variables and sample selection: the numerical core of iv_reg()
 * (two-stage least squares on a design whose fixed effects have already been
 * absorbed) and the cluster bootstrap of heckman_2step() (both steps redone on
 * every resample). Both are built on the package's shared kernels: the
 * cross-product and in-order collinearity rule and Cholesky/QR least squares of
 * linalg.c, the fixed-effect projections of demean.c and the binary-choice
 * Newton iterations of binary.c.
 *
 * 2SLS (Theil's form). With the exogenous regressors X, the excluded
 * instruments Zx, the endogenous regressors E and the response y, all already
 * demeaned, Z = [X, Zx] and
 *   first stages     Pi = (Z'WZ)^{-1} Z'WE,  Ehat = Z Pi,  V = E - Ehat
 *   second stage     H = [Ehat, X],  b = (H'WH)^{-1} H'Wy
 *   residuals        u = y - E b_E - X b_X   (the structural residuals)
 * The variance is the package's engine on the bread (H'WH)^{-1} and the scores
 * h_i w_i u_i (R side), which is what fixest and ivreg2 compute.
 *
 * Collinearity follows the package's one rule (exr_keep_in_order, formula
 * order, a column compared with its norm before demeaning): exogenous
 * regressors and instruments are screened in the order [X, Zx]; the
 * endogenous regressors are then screened against the kept X, and one that is
 * collinear with them (or absorbed by the fixed effects) stops the fit, as the
 * R side reports.
 */
#include "exportres.h"

/* Least squares of column `rhs` (index into XtX/Xty's p columns, or a given
 * Xty vector) on the columns cols[0..k-1]: Cholesky of the normal equations,
 * QR of the data when they are ill-conditioned. Returns the LAPACK info code
 * (0 success); *used_qr is set when QR was needed. */
static int iv_solve(const double *XtX, const double *Xty, int p, const int *cols, int k,
                    const double *x, const double *yv, const double *w, int n, double *b,
                    double *V, int *used_qr)
{
    double *wk = (double *) R_alloc((size_t) k * k + 5 * (size_t) k + 1, sizeof(double));
    int *iw = (int *) R_alloc(k + 1, sizeof(int));
    int info = exr_ls_chol(XtX, Xty, p, cols, k, b, V, wk, iw);
    if (info == EXR_LS_ILLCOND) {
        *used_qr = 1;
        double *wq = (double *) R_alloc(exr_ls_qr_work_size(n, k), sizeof(double));
        info = exr_ls_qr(x, yv, w, n, cols, k, b, V, wq, iw);
    }
    return info;
}

static void iv_check(int info)
{
    if (info < 0) error("error code %d from LAPACK routine '%s'", (-info) % 1000,
                        exr_ls_routine(info));
}

/*
 * .Call entry: iv_fit(A, y, weights, scale, dims, tol)
 *   A       n x (kx + l1 + k1) double matrix [X | Zx | E], demeaned
 *   y       response, demeaned (length n)
 *   weights positive weights or NULL
 *   scale   reference squared norms of A's columns before demeaning, or NULL
 *   dims    integer c(kx, l1, k1)
 *   tol     collinearity tolerance
 * Returns list(status, keep_z (logical kx + l1), keep_e (logical k1),
 *   coefficients (k1 + kx_kept: endogenous first), bread, residuals (u),
 *   HV (n x (2 k1 + kx_kept): [Ehat, X kept, first-stage residuals]),
 *   Pi ((kx_kept + l1_kept) x k1), ZZinv, method, crossprod = A'WA (p x p),
 *   Aty = A'Wy).
 * status: 0 fitted; 1 an endogenous regressor is collinear with the exogenous
 * ones or absorbed; 2 fewer kept instruments than endogenous regressors. On a
 * non-zero status only status, keep_z and keep_e are filled.
 */
SEXP iv_fit(SEXP A_, SEXP y_, SEXP weights, SEXP scale, SEXP dims_, SEXP tol_)
{
    if (!isReal(A_) || !isMatrix(A_)) exr_raise("A", "must be a double matrix");
    const int n = nrows(A_), p = ncols(A_);
    const int *dims = exr_int_arg(dims_, 3, "dims");
    const int kx = dims[0], l1 = dims[1], k1 = dims[2];
    if (kx < 0 || l1 < 1 || k1 < 1 || (long long) kx + l1 + k1 != p) exr_raise("dims", "do not match the columns of A");
    const double *A = REAL(A_);
    const double *y = exr_real_arg(y_, n, "y");
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    const double *sc = isNull(scale) ? NULL : exr_real_arg(scale, p, "scale");
    const double tol = exr_scalar_real(tol_, "tol");
    if (n < 1) exr_raise("A", "has no rows");
    if (w) {
        for (int i = 0; i < n; i++)
            if (!(w[i] > 0) || !R_FINITE(w[i])) exr_raise("weights", "must be positive and finite");
    }

    int nprot = 0;
    const char *nm[12] = {"status", "keep_z", "keep_e", "coefficients", "bread", "residuals", "HV",
                          "Pi", "ZZinv", "method", "crossprod", "Aty"};
    SEXP out = PROTECT(exr_named_list(12, nm)); nprot++;
    SEXP keep_z = allocVector(LGLSXP, kx + l1); SET_VECTOR_ELT(out, 1, keep_z);
    SEXP keep_e = allocVector(LGLSXP, k1); SET_VECTOR_ELT(out, 2, keep_e);
    int *kz = LOGICAL(keep_z), *ke = LOGICAL(keep_e);

    /* one pass: the cross-products of every column with every other and y */
    SEXP C_ = allocMatrix(REALSXP, p, p); SET_VECTOR_ELT(out, 10, C_);
    SEXP Cy_ = allocVector(REALSXP, p); SET_VECTOR_ELT(out, 11, Cy_);
    double *C = REAL(C_), *Cy = REAL(Cy_);
    exr_crossprod(A, y, w, n, p, C, Cy);

    /* collinearity: [X, Zx] in order, then E against the kept X */
    const int lz = kx + l1;
    double *sub = (double *) R_alloc((size_t) p * p, sizeof(double));
    double *ref = (double *) R_alloc(p, sizeof(double));
    double *lw = (double *) R_alloc((size_t) p * p, sizeof(double));
    int *zc = (int *) R_alloc(p, sizeof(int));
    for (int a = 0; a < lz; a++) {
        for (int c = 0; c < lz; c++) sub[a + (R_xlen_t) c * lz] = C[a + (R_xlen_t) c * p];
        ref[a] = sc ? sc[a] : C[a + (R_xlen_t) a * p];
    }
    int nz = exr_keep_in_order(sub, lz, ref, tol, kz, zc, lw);
    int nxk = 0;
    int *xc = (int *) R_alloc(p, sizeof(int));
    for (int a = 0; a < kx; a++) if (kz[a]) xc[nxk++] = a;
    const int nzx = nz - nxk; /* kept excluded instruments */
    {
        int m = nxk + k1;
        int *idx = (int *) R_alloc(m, sizeof(int));
        int *kk = (int *) R_alloc(m, sizeof(int));
        int *cc = (int *) R_alloc(m, sizeof(int));
        for (int a = 0; a < nxk; a++) idx[a] = xc[a];
        for (int j = 0; j < k1; j++) idx[nxk + j] = lz + j;
        for (int a = 0; a < m; a++) {
            for (int c = 0; c < m; c++) sub[a + (R_xlen_t) c * m] = C[idx[a] + (R_xlen_t) idx[c] * p];
            ref[a] = sc ? sc[idx[a]] : C[idx[a] + (R_xlen_t) idx[a] * p];
        }
        exr_keep_in_order(sub, m, ref, tol, kk, cc, lw);
        for (int j = 0; j < k1; j++) ke[j] = kk[nxk + j];
    }
    int status = 0;
    for (int j = 0; j < k1; j++) if (!ke[j]) status = 1;
    if (!status && nzx < k1) status = 2;
    SET_VECTOR_ELT(out, 0, ScalarInteger(status));
    if (status) {
        UNPROTECT(nprot);
        return out;
    }

    /* first stages: Pi = (Z'Z)^{-1} Z'E, column by column */
    int used_qr = 0;
    SEXP Pi_ = allocMatrix(REALSXP, nz, k1); SET_VECTOR_ELT(out, 7, Pi_);
    SEXP ZZi_ = allocMatrix(REALSXP, nz, nz); SET_VECTOR_ELT(out, 8, ZZi_);
    double *Pi = REAL(Pi_);
    for (int j = 0; j < k1; j++) {
        const double *ej = A + (R_xlen_t) (lz + j) * n;
        iv_check(iv_solve(C, C + (R_xlen_t) (lz + j) * p, p, zc, nz, A, ej, w, n,
                          Pi + (R_xlen_t) j * nz, REAL(ZZi_), &used_qr));
    }
    /* fitted endogenous regressors and first-stage residuals */
    /* one n x (k1 + kx + k1) matrix [Ehat, X, V]: the second stage's regressors
     * and the first-stage residuals side by side, so that the variance engine
     * and the diagnostics take column subsets of it without copies */
    SEXP Hm = allocMatrix(REALSXP, n, 2 * k1 + nxk); SET_VECTOR_ELT(out, 6, Hm);
    double *H = REAL(Hm), *V = H + (R_xlen_t) (k1 + nxk) * n;
    for (int j = 0; j < k1; j++) {
        double *hj = H + (R_xlen_t) j * n;
        const double *ej = A + (R_xlen_t) (lz + j) * n;
        memset(hj, 0, (size_t) n * sizeof(double));
        for (int a = 0; a < nz; a++) {
            const double *za = A + (R_xlen_t) zc[a] * n;
            const double pa = Pi[a + (R_xlen_t) j * nz];
            for (int i = 0; i < n; i++) hj[i] += pa * za[i];
        }
        double *vj = V + (R_xlen_t) j * n;
        for (int i = 0; i < n; i++) vj[i] = ej[i] - hj[i];
    }
    for (int a = 0; a < nxk; a++)
        memcpy(H + (R_xlen_t) (k1 + a) * n, A + (R_xlen_t) xc[a] * n, (size_t) n * sizeof(double));

    /* second stage on H = [Ehat, X] */
    const int k = k1 + nxk;
    double *HH = (double *) R_alloc((size_t) k * k, sizeof(double));
    double *Hy = (double *) R_alloc(k, sizeof(double));
    exr_crossprod(H, y, w, n, k, HH, Hy);
    int *hc = (int *) R_alloc(k, sizeof(int));
    for (int a = 0; a < k; a++) hc[a] = a;
    SEXP coef = allocVector(REALSXP, k); SET_VECTOR_ELT(out, 3, coef);
    SEXP bread = allocMatrix(REALSXP, k, k); SET_VECTOR_ELT(out, 4, bread);
    iv_check(iv_solve(HH, Hy, k, hc, k, H, y, w, n, REAL(coef), REAL(bread), &used_qr));

    /* structural residuals with the endogenous regressors themselves */
    SEXP res = allocVector(REALSXP, n); SET_VECTOR_ELT(out, 5, res);
    double *u = REAL(res);
    const double *b = REAL(coef);
    memcpy(u, y, (size_t) n * sizeof(double));
    for (int j = 0; j < k1; j++) {
        const double *ej = A + (R_xlen_t) (lz + j) * n;
        for (int i = 0; i < n; i++) u[i] -= b[j] * ej[i];
    }
    for (int a = 0; a < nxk; a++) {
        const double *xa = A + (R_xlen_t) xc[a] * n;
        for (int i = 0; i < n; i++) u[i] -= b[k1 + a] * xa[i];
    }
    SET_VECTOR_ELT(out, 9, mkString(used_qr ? "qr" : "cholesky"));
    UNPROTECT(nprot);
    return out;
}

/* ------------------------------------------------------------------------- */
/* Heckman two-step: the cluster bootstrap of both steps                      */
/* ------------------------------------------------------------------------- */

/* Everything one bootstrap draw reads (shared, read-only across threads). */
typedef struct {
    int n1, ps, n2, kx, Q, G;
    const double *W, *s;         /* selection design n1 x ps, selection 0/1 */
    const double *X, *y;         /* outcome regressors n2 x kx (no IMR), response */
    const int *row2;             /* 0-based probit row of each outcome row */
    const int **fe;              /* Q arrays of 0-based codes (outcome rows) */
    const int *Gq;               /* groups of each fixed effect */
    const R_xlen_t *goff;        /* offsets of each fixed effect's stamps */
    const int *nested;           /* relabel fixed effect q per cluster copy */
    const int *st1, *rows1;      /* probit rows by cluster (CSR, 0-based) */
    const int *st2, *rows2;      /* outcome rows by cluster (CSR, 0-based) */
    const double *gamma0;        /* start of the probit */
    double fe_tol, probit_tol, coll_tol;
    int fe_maxit, probit_maxit;
} heck_boot_data;

/* One thread's scratch, sized for the largest draw. */
typedef struct {
    double *Wb, *sb, *pw, *Xb, *yb, *Xd, *yd, *XtX, *Xty, *ref, *lw, *lsw, *qrw, *fem, *gam,
           *info1, *info2, *eta, *bk;
    double **sw_inv;
    int *piw, *codes, *stamp_code, *kept, *cols, *lsi;
    long long *stamp;
    const int **g;
    int *G;
    size_t fe_mem;
} heck_boot_work;

/*
 * Kernel (pure: no R API): one draw. `draw` lists the G clusters drawn (0-based).
 * Writes the k = kx + 1 outcome coefficients (IMR last; NA where a column was
 * dropped) into beta and returns 0, or 1 when the probit failed.
 */
static int heck_boot_draw(const heck_boot_data *D, heck_boot_work *T, const int *draw,
                          long long tag0, double *beta)
{
    const int ps = D->ps, k = D->kx + 1;
    /* probit rows of the drawn clusters */
    int n1b = 0;
    for (int j = 0; j < D->G; j++) n1b += D->st1[draw[j] + 1] - D->st1[draw[j]];
    {
        int pos = 0;
        for (int j = 0; j < D->G; j++) {
            int c = draw[j];
            for (int r = D->st1[c]; r < D->st1[c + 1]; r++) {
                int i = D->rows1[r];
                for (int a = 0; a < ps; a++)
                    T->Wb[pos + (R_xlen_t) a * n1b] = D->W[i + (R_xlen_t) a * D->n1];
                T->sb[pos] = D->s[i];
                pos++;
            }
        }
    }
    memcpy(T->gam, D->gamma0, (size_t) ps * sizeof(double));
    double ll = 0.0;
    int it = 0;
    int st = exr_binary_fit(T->Wb, T->sb, NULL, n1b, ps, 0, T->gam, &ll, T->info1, T->info2,
                            T->eta, D->probit_maxit, D->probit_tol, 0.0, &it, T->pw, T->piw);
    if (st == EXR_BIN_SINGULAR || st == EXR_BIN_MAXIT) return 1;

    /* outcome rows with the inverse Mills ratio from this draw's probit */
    int n2b = 0;
    for (int j = 0; j < D->G; j++) n2b += D->st2[draw[j] + 1] - D->st2[draw[j]];
    if (n2b < k) return 1;
    {
        int pos = 0;
        for (int j = 0; j < D->G; j++) {
            int c = draw[j];
            long long tag = tag0 + j + 1;
            for (int r = D->st2[c]; r < D->st2[c + 1]; r++) {
                int i = D->rows2[r], i1 = D->row2[i];
                for (int a = 0; a < D->kx; a++)
                    T->Xb[pos + (R_xlen_t) a * n2b] = D->X[i + (R_xlen_t) a * D->n2];
                double xb = 0.0;
                for (int a = 0; a < ps; a++) xb += D->W[i1 + (R_xlen_t) a * D->n1] * T->gam[a];
                T->Xb[pos + (R_xlen_t) D->kx * n2b] = exr_mills(xb, exr_lphi(xb));
                T->yb[pos] = D->y[i];
                /* fixed-effect codes: a fixed effect nested in the cluster gets
                 * new groups in every copy of the cluster; the others keep
                 * theirs; both are renumbered densely for this draw */
                for (int q = 0; q < D->Q; q++) {
                    int c0 = D->fe[q][i];
                    long long tq = D->nested[q] ? tag : tag0 + 1;
                    long long *sp = T->stamp + D->goff[q];
                    int *cp = T->stamp_code + D->goff[q];
                    if (sp[c0] != tq) {
                        sp[c0] = tq;
                        cp[c0] = T->G[q]++;
                    }
                    T->codes[pos + (R_xlen_t) q * n2b] = cp[c0];
                }
                pos++;
            }
        }
    }
    /* raw squared norms: the collinearity rule's reference */
    for (int a = 0; a < k; a++) {
        double ss = 0.0;
        const double *xa = T->Xb + (R_xlen_t) a * n2b;
        for (int i = 0; i < n2b; i++) ss += xa[i] * xa[i];
        T->ref[a] = ss;
    }
    const double *Xd = T->Xb, *yd = T->yb;
    if (D->Q > 0) {
        exr_fe_layout L;
        L.n = n2b;
        L.Q = D->Q;
        L.w = NULL;
        for (int q = 0; q < D->Q; q++) T->g[q] = T->codes + (R_xlen_t) q * n2b;
        L.g = T->g;
        L.G = T->G;
        {
            double *m = T->fem;
            for (int q = 0; q < D->Q; q++) { T->sw_inv[q] = m; m += T->G[q]; }
        }
        exr_fe_layout_finish(&L, T->sw_inv);
        exr_fe_work Wk;
        double *mem = T->fem;
        for (int q = 0; q < D->Q; q++) mem += T->G[q];
        if ((size_t) (mem - T->fem) + exr_fe_work_size(&L) > T->fe_mem) return 1;
        exr_fe_work_init(&L, &Wk, mem);
        if (exr_demean_column(&L, &Wk, T->yb, T->yd, D->fe_tol, D->fe_maxit, 0) <= 0) return 1;
        for (int a = 0; a < k; a++) {
            if (exr_demean_column(&L, &Wk, T->Xb + (R_xlen_t) a * n2b, T->Xd + (R_xlen_t) a * n2b,
                                  D->fe_tol, D->fe_maxit, 0) <= 0) return 1;
        }
        Xd = T->Xd;
        yd = T->yd;
    }
    exr_crossprod(Xd, yd, NULL, n2b, k, T->XtX, T->Xty);
    int kk = exr_keep_in_order(T->XtX, k, T->ref, D->coll_tol, T->kept, T->cols, T->lw);
    for (int a = 0; a < k; a++) beta[a] = NA_REAL;
    if (kk == 0) return 1;
    int info = exr_ls_chol(T->XtX, T->Xty, k, T->cols, kk, T->bk, T->info2, T->lsw, T->lsi);
    if (info == EXR_LS_ILLCOND)
        info = exr_ls_qr(Xd, yd, NULL, n2b, T->cols, kk, T->bk, T->info2, T->qrw, T->lsi);
    if (info != 0) return 1;
    for (int a = 0; a < kk; a++) beta[T->cols[a]] = T->bk[a];
    return 0;
}

/*
 * .Call entry: heckman_boot(W, s, cl1, X, y, row2, fe, nested, draws, gamma0, ctrl)
 *   W      n1 x ps selection design (all probit rows); s their 0/1 selection
 *   cl1    bootstrap cluster code of each probit row (1..G)
 *   X      n2 x kx outcome regressors (selected rows; no IMR column), y response
 *   row2   1-based probit row of each outcome row
 *   fe     list of Q integer code vectors over the outcome rows (1..G_q)
 *   nested integer Q: 1 when fixed effect q is nested in the cluster
 *   draws  G x B integer matrix of drawn clusters (1..G), from R's RNG
 *   gamma0 probit start (ps)
 *   ctrl   double c(fe_tol, fe_maxit, cores, probit_maxit, probit_tol, coll_tol)
 * Returns a B x (kx + 1) matrix of outcome coefficients (IMR last), NA rows
 * for failed draws. Draws are independent given `draws`, so the result does
 * not depend on the number of threads.
 */
SEXP heckman_boot(SEXP W_, SEXP s_, SEXP cl1_, SEXP X_, SEXP y_, SEXP row2_, SEXP fe_,
                  SEXP nested_, SEXP draws_, SEXP gamma0_, SEXP ctrl_)
{
    if (!isReal(W_) || !isMatrix(W_)) exr_raise("W", "must be a double matrix");
    if (!isReal(X_) || !isMatrix(X_)) exr_raise("X", "must be a double matrix");
    if (!isInteger(draws_) || !isMatrix(draws_)) exr_raise("draws", "must be an integer matrix");
    if (TYPEOF(fe_) != VECSXP) exr_raise("fe", "must be a list");
    heck_boot_data D;
    D.n1 = nrows(W_); D.ps = ncols(W_);
    D.n2 = nrows(X_); D.kx = ncols(X_);
    D.Q = (int) XLENGTH(fe_);
    D.G = nrows(draws_);
    const int B = ncols(draws_);
    if (D.n1 < 1 || D.ps < 1 || D.n2 < 1 || D.G < 1) exr_raise("W", "empty design");
    D.W = REAL(W_);
    D.s = exr_real_arg(s_, D.n1, "s");
    const int *cl1 = exr_int_arg(cl1_, D.n1, "cl1");
    D.X = REAL(X_);
    D.y = exr_real_arg(y_, D.n2, "y");
    const int *row2 = exr_int_arg(row2_, D.n2, "row2");
    const int *nested = exr_int_arg(nested_, D.Q, "nested");
    const int *draws = INTEGER(draws_);
    D.gamma0 = exr_real_arg(gamma0_, D.ps, "gamma0");
    const double *ctrl = exr_real_arg(ctrl_, 6, "ctrl");
    D.fe_tol = ctrl[0];
    D.fe_maxit = (int) ctrl[1];
    const int nth = exr_threads((int) ctrl[2]);
    D.probit_maxit = (int) ctrl[3];
    D.probit_tol = ctrl[4];
    D.coll_tol = ctrl[5];
    if (!(D.fe_tol > 0) || D.fe_maxit < 1 || D.probit_maxit < 1 || !(D.probit_tol > 0))
        exr_raise("ctrl", "needs positive tolerances and iteration limits");
    for (int i = 0; i < D.n1; i++) {
        if (cl1[i] < 1 || cl1[i] > D.G) exr_raise("cl1", "codes must be in 1..G");
        if (D.s[i] != 0.0 && D.s[i] != 1.0) exr_raise("s", "must be 0 or 1");
    }
    int *r2 = (int *) R_alloc(D.n2, sizeof(int));
    for (int i = 0; i < D.n2; i++) {
        if (row2[i] < 1 || row2[i] > D.n1) exr_raise("row2", "must index the probit rows");
        r2[i] = row2[i] - 1;
    }
    D.row2 = r2;
    for (R_xlen_t t = 0; t < (R_xlen_t) D.G * B; t++)
        if (draws[t] < 1 || draws[t] > D.G) exr_raise("draws", "must hold cluster codes 1..G");
    const int **fe = (const int **) R_alloc(D.Q + 1, sizeof(int *));
    int *Gq = (int *) R_alloc(D.Q + 1, sizeof(int));
    R_xlen_t sumG = 0;
    for (int q = 0; q < D.Q; q++) {
        const int *f = exr_int_arg(VECTOR_ELT(fe_, q), D.n2, "fe[[q]]");
        int *f0 = (int *) R_alloc(D.n2, sizeof(int));
        int gm = 0;
        for (int i = 0; i < D.n2; i++) {
            if (f[i] == NA_INTEGER || f[i] < 1) exr_raise("fe", "codes must be positive integers");
            f0[i] = f[i] - 1;
            if (f[i] > gm) gm = f[i];
        }
        fe[q] = f0;
        Gq[q] = gm;
        sumG += gm;
    }
    R_xlen_t *goff = (R_xlen_t *) R_alloc(D.Q + 1, sizeof(R_xlen_t));
    goff[0] = 0;
    for (int q = 0; q < D.Q; q++) goff[q + 1] = goff[q] + Gq[q];
    D.fe = fe; D.Gq = Gq; D.nested = nested; D.goff = goff;

    /* rows by cluster (CSR) for the probit rows and the outcome rows */
    int *st1 = (int *) R_alloc(D.G + 1, sizeof(int)), *st2 = (int *) R_alloc(D.G + 1, sizeof(int));
    int *rows1 = (int *) R_alloc(D.n1, sizeof(int)), *rows2 = (int *) R_alloc(D.n2, sizeof(int));
    int *cnt = (int *) R_alloc(D.G + 1, sizeof(int));
    memset(st1, 0, (size_t) (D.G + 1) * sizeof(int));
    memset(st2, 0, (size_t) (D.G + 1) * sizeof(int));
    for (int i = 0; i < D.n1; i++) st1[cl1[i]]++;
    for (int i = 0; i < D.n2; i++) st2[cl1[r2[i]]]++;
    for (int c = 0; c < D.G; c++) { st1[c + 1] += st1[c]; st2[c + 1] += st2[c]; }
    memcpy(cnt, st1, (size_t) (D.G + 1) * sizeof(int));
    for (int i = 0; i < D.n1; i++) rows1[cnt[cl1[i] - 1]++] = i;
    memcpy(cnt, st2, (size_t) (D.G + 1) * sizeof(int));
    for (int i = 0; i < D.n2; i++) rows2[cnt[cl1[r2[i]] - 1]++] = i;
    D.st1 = st1; D.rows1 = rows1; D.st2 = st2; D.rows2 = rows2;

    /* 0-based draws and the largest draw, for the workspace */
    int *dr = (int *) R_alloc((size_t) D.G * B + 1, sizeof(int));
    int n1max = 1, n2max = 1;
    for (int b = 0; b < B; b++) {
        int a1 = 0, a2 = 0;
        for (int j = 0; j < D.G; j++) {
            int c = draws[j + (R_xlen_t) b * D.G] - 1;
            dr[j + (R_xlen_t) b * D.G] = c;
            a1 += st1[c + 1] - st1[c];
            a2 += st2[c + 1] - st2[c];
        }
        if (a1 > n1max) n1max = a1;
        if (a2 > n2max) n2max = a2;
    }
    const int k = D.kx + 1, ps = D.ps;
    /* groups per draw: nested fixed effects at most n2max, others G_q */
    R_xlen_t gsum = 0;
    for (int q = 0; q < D.Q; q++) gsum += nested[q] ? n2max : Gq[q];
    heck_boot_work *T = (heck_boot_work *) R_alloc(nth, sizeof(heck_boot_work));
    for (int t = 0; t < nth; t++) {
        heck_boot_work *w = &T[t];
        w->Wb = (double *) R_alloc((size_t) n1max * ps, sizeof(double));
        w->sb = (double *) R_alloc(n1max, sizeof(double));
        w->pw = (double *) R_alloc(exr_binary_work_size(n1max, ps), sizeof(double));
        w->piw = (int *) R_alloc(ps, sizeof(int));
        w->gam = (double *) R_alloc(ps, sizeof(double));
        w->info1 = (double *) R_alloc((size_t) ps * ps + (size_t) k * k, sizeof(double));
        w->info2 = (double *) R_alloc((size_t) ps * ps + (size_t) k * k, sizeof(double));
        w->eta = (double *) R_alloc(n1max, sizeof(double));
        w->Xb = (double *) R_alloc((size_t) n2max * k, sizeof(double));
        w->yb = (double *) R_alloc(n2max, sizeof(double));
        w->Xd = (double *) R_alloc((size_t) n2max * k, sizeof(double));
        w->yd = (double *) R_alloc(n2max, sizeof(double));
        w->XtX = (double *) R_alloc((size_t) k * k, sizeof(double));
        w->Xty = (double *) R_alloc(k, sizeof(double));
        w->ref = (double *) R_alloc(k, sizeof(double));
        w->lw = (double *) R_alloc((size_t) k * k, sizeof(double));
        w->lsw = (double *) R_alloc((size_t) k * k + 5 * (size_t) k, sizeof(double));
        w->lsi = (int *) R_alloc(k, sizeof(int));
        w->qrw = (double *) R_alloc(exr_ls_qr_work_size(n2max, k), sizeof(double));
        w->bk = (double *) R_alloc(k, sizeof(double));
        w->kept = (int *) R_alloc(k, sizeof(int));
        w->cols = (int *) R_alloc(k, sizeof(int));
        w->codes = (int *) R_alloc((size_t) (D.Q > 0 ? D.Q : 1) * n2max, sizeof(int));
        w->stamp = (long long *) R_alloc(sumG + 1, sizeof(long long));
        w->stamp_code = (int *) R_alloc(sumG + 1, sizeof(int));
        for (R_xlen_t a = 0; a <= sumG; a++) w->stamp[a] = -1;
        w->g = (const int **) R_alloc(D.Q + 1, sizeof(int *));
        w->G = (int *) R_alloc(D.Q + 1, sizeof(int));
        w->sw_inv = (double **) R_alloc(D.Q + 1, sizeof(double *));
        /* group sums (sw_inv) plus the demeaning scratch, bounded by 6 * groups */
        w->fe_mem = (size_t) gsum + 6 * (size_t) gsum + 16;
        w->fem = (double *) R_alloc(w->fe_mem, sizeof(double));
    }

    SEXP out = PROTECT(allocMatrix(REALSXP, B, k));
    double *res = REAL(out);
    double *beta_all = (double *) R_alloc((size_t) B * k, sizeof(double));
    int chunk = 8 * nth;
    for (int b0 = 0; b0 < B; b0 += chunk) {
        int b1 = b0 + chunk < B ? b0 + chunk : B;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic)
#endif
        for (int b = b0; b < b1; b++) {
#ifdef _OPENMP
            heck_boot_work *w = &T[omp_get_thread_num()];
#else
            heck_boot_work *w = &T[0];
#endif
            for (int q = 0; q < D.Q; q++) w->G[q] = 0;
            long long tag0 = (long long) b * (D.G + 2);
            double *beta = beta_all + (R_xlen_t) b * k;
            if (heck_boot_draw(&D, w, dr + (R_xlen_t) b * D.G, tag0, beta) != 0) {
                for (int a = 0; a < k; a++) beta[a] = NA_REAL;
            }
        }
        R_CheckUserInterrupt();
    }
    for (int b = 0; b < B; b++)
        for (int a = 0; a < k; a++) res[b + (R_xlen_t) a * B] = beta_all[a + (R_xlen_t) b * k];
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: iv_kp_meat(A, ecols, zcols, xcols, BE, BZ, V, vcols, sw, cluster)
 * The meats of the Kleibergen-Paap rank statistics in one pass, without
 * forming the partialled variables: with E, Z, X the columns ecols, zcols,
 * xcols (1-based) of the demeaned design A, e_i = sw_i (E_i - X_i BE) (the
 * endogenous regressors less their projection on the exogenous ones),
 * z_i = sw_i (Z_i - X_i BZ) and v_i = sw_i V_i (first-stage residuals, the
 * columns vcols of V), the
 * scores vec(z_i e_i') (LM) and vec(z_i v_i') (Wald), column k of e/v times
 * every z (ranktest's order), are summed by cluster (or taken per row) and
 * M = sum_g s_g s_g' returned for both.
 *   A n x p; BE kx x k, BZ kx x l; V n x (any); sw square roots of the weights or
 *   NULL; cluster codes 1..G or NULL.
 * Returns list(lm, wald), each (k l) x (k l).
 */
SEXP iv_kp_meat(SEXP A_, SEXP ecols, SEXP zcols, SEXP xcols, SEXP BE_, SEXP BZ_, SEXP V_,
                SEXP vcols, SEXP sw_, SEXP cl_)
{
    if (!isReal(A_) || !isMatrix(A_) || !isReal(V_) || !isMatrix(V_))
        exr_raise("A", "A and V must be double matrices");
    const int n = nrows(A_), p = ncols(A_);
    const int k = (int) XLENGTH(ecols), l = (int) XLENGTH(zcols), kx = (int) XLENGTH(xcols);
    const int *ec = exr_int_arg(ecols, k, "ecols"), *zc = exr_int_arg(zcols, l, "zcols"),
              *xc = exr_int_arg(xcols, kx, "xcols"), *vc = exr_int_arg(vcols, k, "vcols");
    if (k < 1 || l < 1 || nrows(V_) != n) exr_raise("V", "does not match A");
    const double **Vp = (const double **) R_alloc(k, sizeof(double *));
    for (int j = 0; j < k; j++) {
        if (vc[j] < 1 || vc[j] > ncols(V_)) exr_raise("vcols", "out of range");
        Vp[j] = REAL(V_) + (R_xlen_t) (vc[j] - 1) * n;
    }
    const double *A = REAL(A_);
    const double **E = (const double **) R_alloc(k, sizeof(double *));
    const double **Z = (const double **) R_alloc(l, sizeof(double *));
    const double **X = (const double **) R_alloc(kx + 1, sizeof(double *));
    for (int j = 0; j < k; j++) {
        if (ec[j] < 1 || ec[j] > p) exr_raise("ecols", "out of range");
        E[j] = A + (R_xlen_t) (ec[j] - 1) * n;
    }
    for (int j = 0; j < l; j++) {
        if (zc[j] < 1 || zc[j] > p) exr_raise("zcols", "out of range");
        Z[j] = A + (R_xlen_t) (zc[j] - 1) * n;
    }
    for (int j = 0; j < kx; j++) {
        if (xc[j] < 1 || xc[j] > p) exr_raise("xcols", "out of range");
        X[j] = A + (R_xlen_t) (xc[j] - 1) * n;
    }
    const double *BE = exr_real_arg(BE_, (R_xlen_t) kx * k, "BE");
    const double *BZ = exr_real_arg(BZ_, (R_xlen_t) kx * l, "BZ");
    const double *sw = isNull(sw_) ? NULL : exr_real_arg(sw_, n, "sw");
    int G = n;
    const int *cl = NULL;
    if (!isNull(cl_)) {
        cl = exr_int_arg(cl_, n, "cluster");
        G = 0;
        for (int i = 0; i < n; i++) {
            if (cl[i] == NA_INTEGER || cl[i] < 1 || cl[i] > n)
                exr_raise("cluster", "codes must be integers from 1 to the number of rows");
            if (cl[i] > G) G = cl[i];
        }
    }
    const int m = k * l;
    double *S1 = (double *) R_alloc((size_t) G * m, sizeof(double));
    double *S2 = (double *) R_alloc((size_t) G * m, sizeof(double));
    memset(S1, 0, (size_t) G * m * sizeof(double));
    memset(S2, 0, (size_t) G * m * sizeof(double));
    double *e = (double *) R_alloc(k, sizeof(double)), *z = (double *) R_alloc(l, sizeof(double));
    for (int i = 0; i < n; i++) {
        const double s = sw ? sw[i] : 1.0;
        for (int j = 0; j < k; j++) {
            double t = E[j][i];
            for (int a = 0; a < kx; a++) t -= X[a][i] * BE[a + (R_xlen_t) j * kx];
            e[j] = s * t;
        }
        for (int j = 0; j < l; j++) {
            double t = Z[j][i];
            for (int a = 0; a < kx; a++) t -= X[a][i] * BZ[a + (R_xlen_t) j * kx];
            z[j] = s * t;
        }
        const R_xlen_t g = cl ? cl[i] - 1 : i;
        for (int j = 0; j < k; j++) {
            const double ej = e[j], vj = s * Vp[j][i];
            for (int b = 0; b < l; b++) {
                S1[g + (R_xlen_t) (j * l + b) * G] += ej * z[b];
                S2[g + (R_xlen_t) (j * l + b) * G] += vj * z[b];
            }
        }
    }
    const char *nm[2] = {"lm", "wald"};
    SEXP out = PROTECT(exr_named_list(2, nm));
    SEXP M1 = allocMatrix(REALSXP, m, m); SET_VECTOR_ELT(out, 0, M1);
    SEXP M2 = allocMatrix(REALSXP, m, m); SET_VECTOR_ELT(out, 1, M2);
    const double one = 1.0, zero = 0.0;
    F77_CALL(dsyrk)("U", "T", &m, &G, &one, S1, &G, &zero, REAL(M1), &m FCONE FCONE);
    F77_CALL(dsyrk)("U", "T", &m, &G, &one, S2, &G, &zero, REAL(M2), &m FCONE FCONE);
    for (int a = 0; a < m; a++)
        for (int c = 0; c < a; c++) {
            REAL(M1)[a + (R_xlen_t) c * m] = REAL(M1)[c + (R_xlen_t) a * m];
            REAL(M2)[a + (R_xlen_t) c * m] = REAL(M2)[c + (R_xlen_t) a * m];
        }
    UNPROTECT(1);
    return out;
}
