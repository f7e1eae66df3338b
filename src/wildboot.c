/*
 * The wild cluster bootstrap of a least-squares coefficient, computed by the
 * "fast and wild" algorithm of Roodman, MacKinnon, Nielsen and Webb (2019,
 * Stata Journal 19(1), sections 3-5): one pass over the data reduces
 * everything a bootstrap draw needs to arrays indexed by clusters, after which
 * each draw costs O(G k) (plus the fixed-effect correction below), not O(n k).
 *
 * Notation. The regression has been demeaned by its fixed effects (FWL): Xd
 * (n x k), weights w, A = (Xd' W Xd)^{-1}, and the tested coefficient is
 * beta_j, a = A e_j. Bootstrap draws put weight v_b on every observation of
 * bootstrap cluster b:  y* = X beta~ + D alpha~ + u~ . v,  where u~ (the
 * residuals of the model with H0: beta_j = r imposed, WCR, or the unrestricted
 * residuals, WCU) is affine in r: u~(r) = u0 - r u1 (u1 = 0 for WCU). With
 * xa_i = w_i a'xd_i, re-estimating the full model on y* gives
 *
 *   numerator   beta*_j - beta~_j = sum_b v_b N_b,   N_b = sum_{i in b} xa_i u~_i,
 *   scores      s_g = sum_b P_gb v_b - F_g' (Ct' v),  for each cluster g of
 *               each error clustering d (with Cameron-Gelbach-Miller signs),
 *               F_g = sum_{i in g} xa_i xd_i (= H_g a),
 *               Ct_b = A sum_{i in b} w_i xd_i u~_i,
 *               P_gb = sum_{i in g} xa_i [M_D (u~ . 1_b)]_i,
 *   variance    se*^2 = sum_d fac_d sum_g s_g^2,
 *
 * so t*(r) = (num0 - r num1) / sqrt(SS00 - 2 r SS01 + r^2 SS11) for five
 * numbers per draw, and p-values at any r (confidence sets by test
 * inversion) cost O(B) each.
 *
 * Fixed effects. M_D (u~ . 1_b) = u~ . 1_b - D gamma_b, where gamma_b are the
 * fixed-effect coefficients of the column u~ . 1_b. When every fixed effect is
 * nested in the bootstrap clusters, gamma_b = 0 (u~ is orthogonal to each
 * fixed-effect dummy, and each dummy lies in one bootstrap cluster): the fixed
 * effects drop out. Otherwise P = Pcell - E Gamma, where Pcell_gb sums xa_i u~_i
 * over the rows of cluster g in bootstrap cluster b (sparse), E_{g,l} =
 * sum_{i in g, level l} xa_i (zero for a factor nested in the clustering: Xd is
 * orthogonal to its dummies) and the columns of Gamma are the gamma_b, obtained
 * by demeaning u~ . 1_b with the package's kernel (exr_demean_column). The
 * correction E Gamma is kept dense (G x G_b) or factored (Gamma v computed
 * once per draw), whichever is cheaper per draw.
 *
 * Randomness: R's RNG, in the main thread, a chunk of draws at a time, before
 * the parallel region that processes that chunk; so cores = 1 and cores = 2
 * give identical results. Interrupts are checked between chunks.
 */
#include "exportres.h"

/* ---- helpers ------------------------------------------------------------- */

/* Stable counting sort: out = the entries of in[0..m) ordered by code[in[.]]
 * (codes 0..G-1). cnt: G + 1 ints of work. */
static void wb_order_by(const int *code, const int *in, R_xlen_t m, int G, int *out, R_xlen_t *cnt)
{
    memset(cnt, 0, (size_t) (G + 1) * sizeof(R_xlen_t));
    for (R_xlen_t t = 0; t < m; t++) cnt[code[in[t]] + 1]++;
    for (int g = 0; g < G; g++) cnt[g + 1] += cnt[g];
    for (R_xlen_t t = 0; t < m; t++) out[cnt[code[in[t]]]++] = in[t];
}

/* 0-based copy of 1-based codes, checking the range; returns G. */
static int wb_codes(SEXP x, R_xlen_t n, const char *what, int **out)
{
    const int *c = exr_int_arg(x, n, what);
    int *z = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
    int G = 0;
    for (R_xlen_t i = 0; i < n; i++) {
        if (c[i] == NA_INTEGER || c[i] < 1) error("'%s' codes must be positive integers", what);
        if (c[i] > G) G = c[i];
        z[i] = c[i] - 1;
    }
    *out = z;
    return G;
}

static SEXP wb_matrix(int nr, int nc, double **p)
{
    SEXP m = allocMatrix(REALSXP, nr, nc);
    *p = REAL(m);
    memset(*p, 0, (size_t) nr * nc * sizeof(double));
    return m;
}

static SEXP wb_get(SEXP list, const char *name)
{
    SEXP nms = getAttrib(list, R_NamesSymbol);
    for (R_xlen_t j = 0; j < XLENGTH(list); j++) {
        if (strcmp(CHAR(STRING_ELT(nms, j)), name) == 0) return VECTOR_ELT(list, j);
    }
    error("wild bootstrap setup: element '%s' missing", name);
    return R_NilValue; /* not reached */
}

/*
 * The fixed-effect coefficients gamma_b of the columns u . 1_b, for every
 * bootstrap cluster b at once, without demeaning a column per cluster: the
 * normal equations D'WD gamma_b = D'W(u . 1_b) are solved by block elimination
 * of one factor N nested in the bootstrap clusters (its right-hand side is
 * zero: u is orthogonal to its dummies, each of which lies in one bootstrap
 * cluster): gamma_R = S^+ r_R with the Schur complement
 * S = D_R'WD_R - D_R'WD_N (D_N'WD_N)^{-1} D_N'WD_R of the other factors R,
 * and gamma_N = -(D_N'WD_N)^{-1} D_N'WD_R gamma_R. S is positive semi-definite
 * and singular (the factors share a constant); its pseudo-inverse (symmetric
 * eigen-decomposition) gives one solution, and D gamma is unique. N = -1: no
 * factor eliminated. Fills the kept factors' rows of Gam (pR x Gb), for u0 and
 * (if u1) u1. Returns 0, or 1 when R has so many levels that demeaning a column
 * per bootstrap cluster is cheaper (the caller then demeans).
 */
static int wb_fe_schur(const exr_fe_layout *L, int N, const int *bc, int Gb, const double *w,
                       const double *u0, const double *u1, const int *qR, const R_xlen_t *qoff,
                       R_xlen_t pR, double *Gam0, double *Gam1)
{
    const R_xlen_t n = L->n;
    const int Q = L->Q;
    int nRq = 0;
    R_xlen_t p = 0;
    int *rq = (int *) R_alloc(Q, sizeof(int));
    R_xlen_t *roff = (R_xlen_t *) R_alloc(Q, sizeof(R_xlen_t));
    for (int q = 0; q < Q; q++) {
        if (q == N) continue;
        rq[nRq] = q;
        roff[nRq] = p;
        p += L->G[q];
        nRq++;
    }
    /* the eigen-decomposition costs about 9 p^3; a demeaned column per bootstrap
     * cluster about 20 sweeps over n rows and Q factors each */
    const double schur_cost = 9.0 * (double) p * p * p;
    const double demean_cost = (u1 ? 2.0 : 1.0) * Gb * (double) n * Q * 20.0;
    if (p > 3000 || p < 1 || schur_cost > demean_cost) return 1;
    const int pi = (int) p;
    double *S = (double *) R_alloc((size_t) p * p, sizeof(double));
    memset(S, 0, (size_t) p * p * sizeof(double));
    for (R_xlen_t i = 0; i < n; i++) {
        const double wi = w ? w[i] : 1.0;
        for (int a = 0; a < nRq; a++) {
            R_xlen_t ia = roff[a] + L->g[rq[a]][i];
            for (int c = 0; c < nRq; c++) S[ia + (roff[c] + L->g[rq[c]][i]) * p] += wi;
        }
    }
    /* right-hand sides r_R (p x Gb) for u0 and u1 */
    const int nu = u1 ? 2 : 1;
    double *Rr = (double *) R_alloc((size_t) p * Gb * nu, sizeof(double));
    memset(Rr, 0, (size_t) p * Gb * nu * sizeof(double));
    for (R_xlen_t i = 0; i < n; i++) {
        const double wi = w ? w[i] : 1.0;
        for (int a = 0; a < nRq; a++) {
            R_xlen_t ia = roff[a] + L->g[rq[a]][i] + (R_xlen_t) bc[i] * p;
            Rr[ia] += wi * u0[i];
            if (u1) Rr[ia + p * Gb] += wi * u1[i];
        }
    }
    /* eliminate N: for each of its levels, the weighted counts c_l of the R
     * levels it meets, and S -= c_l c_l' / sw_l */
    int *ordN = NULL;
    R_xlen_t *startN = NULL;
    if (N >= 0) {
        const int GN = L->G[N];
        const int *gN = L->g[N];
        ordN = (int *) R_alloc(n, sizeof(int));
        int *idx = (int *) R_alloc(n, sizeof(int));
        R_xlen_t *cnt = (R_xlen_t *) R_alloc((size_t) GN + 1, sizeof(R_xlen_t));
        for (R_xlen_t i = 0; i < n; i++) idx[i] = (int) i;
        wb_order_by(gN, idx, n, GN, ordN, cnt);
        startN = (R_xlen_t *) R_alloc((size_t) GN + 1, sizeof(R_xlen_t));
        startN[0] = 0;
        for (int l = 0; l < GN; l++) startN[l + 1] = cnt[l];
        double *c = (double *) R_alloc(p, sizeof(double));
        int *touched = (int *) R_alloc(p, sizeof(int));
        memset(c, 0, (size_t) p * sizeof(double));
        for (int l = 0; l < GN; l++) {
            int nt = 0;
            for (R_xlen_t s = startN[l]; s < startN[l + 1]; s++) {
                R_xlen_t i = ordN[s];
                const double wi = w ? w[i] : 1.0;
                for (int a = 0; a < nRq; a++) {
                    int ia = (int) (roff[a] + L->g[rq[a]][i]);
                    if (c[ia] == 0.0) touched[nt++] = ia;
                    c[ia] += wi;
                }
            }
            const double sw = L->sw_inv[N][l];
            for (int x = 0; x < nt; x++) {
                const double cx = c[touched[x]] * sw;
                for (int y = 0; y < nt; y++) S[touched[x] + (R_xlen_t) touched[y] * p] -= cx * c[touched[y]];
            }
            for (int x = 0; x < nt; x++) c[touched[x]] = 0.0;
        }
    }
    /* pseudo-inverse of S by its eigen-decomposition */
    double *ev = (double *) R_alloc(p, sizeof(double));
    int lwork = -1, info = 0;
    double wq;
    F77_CALL(dsyev)("V", "U", &pi, S, &pi, ev, &wq, &lwork, &info FCONE FCONE);
    lwork = (int) wq;
    double *work = (double *) R_alloc(lwork > 1 ? lwork : 1, sizeof(double));
    F77_CALL(dsyev)("V", "U", &pi, S, &pi, ev, work, &lwork, &info FCONE FCONE);
    if (info != 0) error("error code %d from LAPACK routine '%s'", info, "dsyev");
    const double emax = ev[p - 1] > 0 ? ev[p - 1] : 0.0;
    /* gamma_R = V diag(1/lambda+) V' r: Z = V' r, scaled, then V Z */
    const int ncol = Gb * nu;
    double *Z = (double *) R_alloc((size_t) p * ncol, sizeof(double));
    double *Gr = (double *) R_alloc((size_t) p * ncol, sizeof(double));
    const double one = 1.0, zero = 0.0;
    F77_CALL(dgemm)("T", "N", &pi, &ncol, &pi, &one, S, &pi, Rr, &pi, &zero, Z, &pi FCONE FCONE);
    for (R_xlen_t e = 0; e < p; e++) {
        const double f = ev[e] > 1e-11 * emax ? 1.0 / ev[e] : 0.0;
        for (int c = 0; c < ncol; c++) Z[e + (R_xlen_t) c * p] *= f;
    }
    F77_CALL(dgemm)("N", "N", &pi, &ncol, &pi, &one, S, &pi, Z, &pi, &zero, Gr, &pi FCONE FCONE);
    /* copy the kept R factors into Gam */
    for (int a = 0; a < nRq; a++) {
        const int q = rq[a];
        if (!qR[q]) continue;
        for (int b = 0; b < Gb; b++) {
            memcpy(Gam0 + qoff[q] + (R_xlen_t) b * pR, Gr + roff[a] + (R_xlen_t) b * p,
                   (size_t) L->G[q] * sizeof(double));
            if (u1) memcpy(Gam1 + qoff[q] + (R_xlen_t) b * pR, Gr + roff[a] + (R_xlen_t) (Gb + b) * p,
                           (size_t) L->G[q] * sizeof(double));
        }
    }
    /* gamma_N (when kept): -(1/sw_l) sum_{i in l} w_i sum_R gamma_R[level of i] */
    if (N >= 0 && qR[N]) {
        const int GN = L->G[N];
        for (int c = 0; c < ncol; c++) {
            const double *g = Gr + (R_xlen_t) c * p;
            double *dst = (c < Gb ? Gam0 + (R_xlen_t) c * pR : Gam1 + (R_xlen_t) (c - Gb) * pR) + qoff[N];
            for (int l = 0; l < GN; l++) {
                double acc = 0.0;
                for (R_xlen_t s = startN[l]; s < startN[l + 1]; s++) {
                    R_xlen_t i = ordN[s];
                    double t = 0.0;
                    for (int a = 0; a < nRq; a++) t += g[roff[a] + L->g[rq[a]][i]];
                    acc += (w ? w[i] : 1.0) * t;
                }
                dst[l] = -acc * L->sw_inv[N][l];
            }
        }
    }
    return 0;
}

/*
 * .Call entry: wildboot_setup(X, w, a, A, u0, u1, uhat, bc, cl, fac, fe, nest, ctrl)
 *   X     n x k demeaned regressors (kept columns); w weights (length n) or NULL
 *   a     A e_j (length k); A = (X'WX)^{-1} (k x k)
 *   u0,u1 bootstrap residuals u~(r) = u0 - r u1 (u1 NULL: not affine, WCU)
 *   uhat  unrestricted residuals (for the original standard error)
 *   bc    bootstrap cluster codes 1..Gb
 *   cl    list of D error clusterings (codes 1..G_d), the Cameron-Gelbach-
 *         Miller terms already formed (intersections included)
 *   fac   D signed factors (small-sample factor times +1 / -1)
 *   fe    list of Q fixed-effect code vectors, or NULL when the fixed effects
 *         drop out (all nested in the bootstrap clusters, or none)
 *   nest  Q x (D + 1) integer matrix: 1 when factor q is nested in clustering d
 *         (last column: in the bootstrap clusters)
 *   ctrl  c(tol, maxit, cores, demean): the demeaning's controls; demean = 1
 *         forces a demeaned column per bootstrap cluster (else used only when
 *         the Schur complement would be too large)
 *   xa    NULL, or the n multipliers xa_i to use instead of w_i a'x_i (the
 *         wild restricted efficient bootstrap passes w_i times one demeaned
 *         instrument: every array below is then that instrument's)
 * Returns a named list (see wildboot_draws for how it is read).
 */
SEXP wildboot_setup(SEXP X, SEXP w_, SEXP a_, SEXP A_, SEXP u0_, SEXP u1_, SEXP uhat_, SEXP bc_,
                    SEXP cl_, SEXP fac_, SEXP fe_, SEXP nest_, SEXP ctrl_, SEXP xa_)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    const R_xlen_t n = nrows(X);
    const int k = ncols(X);
    if (k < 1 || n < 2) error("'X' must have at least one column and two rows");
    const double *x = REAL(X);
    const double *w = isNull(w_) ? NULL : exr_real_arg(w_, n, "w");
    const double *a = exr_real_arg(a_, k, "a");
    const double *A = exr_real_arg(A_, (R_xlen_t) k * k, "A");
    const double *u0 = exr_real_arg(u0_, n, "u0");
    const double *u1 = isNull(u1_) ? NULL : exr_real_arg(u1_, n, "u1");
    const double *uh = exr_real_arg(uhat_, n, "uhat");
    int *bc;
    const int Gb = wb_codes(bc_, n, "bc", &bc);
    if (TYPEOF(cl_) != VECSXP || XLENGTH(cl_) < 1) error("'cl' must be a non-empty list");
    const int D = (int) XLENGTH(cl_);
    const double *fac = exr_real_arg(fac_, D, "fac");
    if (!isReal(ctrl_) || XLENGTH(ctrl_) != 4) error("'ctrl' must be c(tol, maxit, cores, demean)");
    const int force_demean = REAL(ctrl_)[3] != 0.0;
    const double tol = REAL(ctrl_)[0];
    const int maxit = (int) REAL(ctrl_)[1];
    const int nth = exr_threads((int) REAL(ctrl_)[2]);
    if (!(tol > 0) || maxit < 1) error("'ctrl': bad tolerance or iteration limit");
    const int use_fe = !isNull(fe_);
    int Q = 0;
    const int *nest = NULL;
    if (use_fe) {
        if (TYPEOF(fe_) != VECSXP || XLENGTH(fe_) < 1) error("'fe' must be a non-empty list or NULL");
        Q = (int) XLENGTH(fe_);
        nest = exr_int_arg(nest_, (R_xlen_t) Q * (D + 1), "nest");
    }
    int **cc = (int **) R_alloc(D, sizeof(int *));
    int *G = (int *) R_alloc(D, sizeof(int));
    for (int d = 0; d < D; d++) G[d] = wb_codes(VECTOR_ELT(cl_, d), n, "cl[[d]]", &cc[d]);

    /* xa_i = w_i a'x_i, or as given */
    double *xa = (double *) R_alloc(n, sizeof(double));
    if (!isNull(xa_)) {
        memcpy(xa, exr_real_arg(xa_, n, "xa"), (size_t) n * sizeof(double));
    } else {
        for (R_xlen_t i = 0; i < n; i++) xa[i] = 0.0;
        for (int l = 0; l < k; l++) {
            const double *xl = x + (R_xlen_t) l * n;
            for (R_xlen_t i = 0; i < n; i++) xa[i] += a[l] * xl[i];
        }
        if (w) for (R_xlen_t i = 0; i < n; i++) xa[i] *= w[i];
    }

    int nprot = 0;
    const char *nm[10] = {"k", "Gb", "Nb0", "Nb1", "Ct0", "Ct1", "clusters", "Gam", "se2", "affine"};
    SEXP out = PROTECT(exr_named_list(10, nm)); nprot++;
    SET_VECTOR_ELT(out, 9, ScalarInteger(u1 != NULL));
    SET_VECTOR_ELT(out, 0, ScalarInteger(k));
    SET_VECTOR_ELT(out, 1, ScalarInteger(Gb));
    SEXP sNb0 = allocVector(REALSXP, Gb); SET_VECTOR_ELT(out, 2, sNb0);
    SEXP sNb1 = allocVector(REALSXP, Gb); SET_VECTOR_ELT(out, 3, sNb1);
    double *Nb0 = REAL(sNb0), *Nb1 = REAL(sNb1);
    double *Ct0, *Ct1;
    SET_VECTOR_ELT(out, 4, wb_matrix(Gb, k, &Ct0));
    SET_VECTOR_ELT(out, 5, wb_matrix(Gb, k, &Ct1));

    /* numerators and C_b = sum_{i in b} w_i x_i u_i, then Ct = C A */
    memset(Nb0, 0, Gb * sizeof(double));
    memset(Nb1, 0, Gb * sizeof(double));
    double *C0 = (double *) R_alloc((size_t) Gb * k, sizeof(double));
    double *C1 = (double *) R_alloc((size_t) Gb * k, sizeof(double));
    memset(C0, 0, (size_t) Gb * k * sizeof(double));
    memset(C1, 0, (size_t) Gb * k * sizeof(double));
    for (R_xlen_t i = 0; i < n; i++) {
        Nb0[bc[i]] += xa[i] * u0[i];
        if (u1) Nb1[bc[i]] += xa[i] * u1[i];
    }
    for (int l = 0; l < k; l++) {
        const double *xl = x + (R_xlen_t) l * n;
        double *c0 = C0 + (R_xlen_t) l * Gb, *c1 = C1 + (R_xlen_t) l * Gb;
        for (R_xlen_t i = 0; i < n; i++) {
            double wx = w ? w[i] * xl[i] : xl[i];
            c0[bc[i]] += wx * u0[i];
            if (u1) c1[bc[i]] += wx * u1[i];
        }
    }
    for (int b = 0; b < Gb; b++) {
        for (int l = 0; l < k; l++) {
            double s0 = 0.0, s1 = 0.0;
            for (int m = 0; m < k; m++) {
                s0 += C0[b + (R_xlen_t) m * Gb] * A[m + (R_xlen_t) l * k];
                s1 += C1[b + (R_xlen_t) m * Gb] * A[m + (R_xlen_t) l * k];
            }
            Ct0[b + (R_xlen_t) l * Gb] = s0;
            Ct1[b + (R_xlen_t) l * Gb] = s1;
        }
    }

    /* rows ordered by bootstrap cluster, shared by every clustering */
    int *idx = (int *) R_alloc(n, sizeof(int));
    int *by_b = (int *) R_alloc(n, sizeof(int));
    int *by_gb = (int *) R_alloc(n, sizeof(int));
    int maxG = Gb;
    for (int d = 0; d < D; d++) if (G[d] > maxG) maxG = G[d];
    R_xlen_t *cnt = (R_xlen_t *) R_alloc((size_t) maxG + 1, sizeof(R_xlen_t));
    for (R_xlen_t i = 0; i < n; i++) idx[i] = (int) i;
    wb_order_by(bc, idx, n, Gb, by_b, cnt);
    R_xlen_t *bstart = (R_xlen_t *) R_alloc((size_t) Gb + 1, sizeof(R_xlen_t));
    bstart[0] = 0;
    for (int b = 0; b < Gb; b++) bstart[b + 1] = cnt[b];

    /* the fixed-effect correction: gamma_b for every bootstrap cluster */
    exr_fe_layout L;
    R_xlen_t pR = 0;
    int *qR = NULL;             /* factors kept in the correction (not nested in every d) */
    R_xlen_t *qoff = NULL;      /* offset of factor q's levels among the kept ones, -1 if not kept */
    double *Gam0 = NULL, *Gam1 = NULL;
    if (use_fe) {
        fe_layout_setup(&L, fe_, w, n);
        qR = (int *) R_alloc(Q, sizeof(int));
        qoff = (R_xlen_t *) R_alloc(Q, sizeof(R_xlen_t));
        for (int q = 0; q < Q; q++) {
            int all = 1;
            for (int d = 0; d < D; d++) if (!nest[q + Q * d]) all = 0;
            qR[q] = !all;
            qoff[q] = qR[q] ? pR : -1;
            if (qR[q]) pR += L.G[q];
        }
    }
    SEXP sGam = R_NilValue;
    if (use_fe && pR > 0) {
        int ncolg = u1 ? 2 * Gb : Gb;
        if ((double) pR * ncolg > 2e8) {
            exr_raise("bootcluster", "the fixed-effect correction would need %.3g doubles; "
                      "bootstrap by a coarser cluster", (double) pR * ncolg);
        }
        const char *gn[2] = {"Gam0", "Gam1"};
        sGam = PROTECT(exr_named_list(2, gn)); nprot++;
        SET_VECTOR_ELT(sGam, 0, wb_matrix((int) pR, Gb, &Gam0));
        if (u1) SET_VECTOR_ELT(sGam, 1, wb_matrix((int) pR, Gb, &Gam1));
        SET_VECTOR_ELT(out, 7, sGam);
        /* eliminate the nested factor with the most levels, if any */
        int N = -1;
        for (int q = 0; q < Q; q++) {
            if (nest[q + Q * D] && (N < 0 || L.G[q] > L.G[N])) N = q;
        }
        if (!force_demean && wb_fe_schur(&L, N, bc, Gb, w, u0, u1, qR, qoff, pR, Gam0, Gam1) == 0)
            goto corrected;
        /* per-thread scratch, all allocated before the parallel region */
        size_t ws = exr_fe_work_size(&L);
        exr_fe_work *W = (exr_fe_work *) R_alloc(nth, sizeof(exr_fe_work));
        double **yb = (double **) R_alloc(nth, sizeof(double *));
        double **rb = (double **) R_alloc(nth, sizeof(double *));
        for (int t = 0; t < nth; t++) {
            exr_fe_work_init(&L, &W[t], (double *) R_alloc(ws, sizeof(double)));
            yb[t] = (double *) R_alloc(n, sizeof(double));
            rb[t] = (double *) R_alloc(n, sizeof(double));
            memset(yb[t], 0, (size_t) n * sizeof(double));
        }
        int bad = 0;
        const int batch = 8 * nth;
        for (int c0 = 0; c0 < ncolg; c0 += batch) {
            int c1 = c0 + batch < ncolg ? c0 + batch : ncolg;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic) reduction(+:bad)
#endif
            for (int c = c0; c < c1; c++) {
                int t = 0;
#ifdef _OPENMP
                t = omp_get_thread_num();
#endif
                int b = c % Gb;
                const double *u = c < Gb ? u0 : u1;
                double *y = yb[t];
                for (R_xlen_t s = bstart[b]; s < bstart[b + 1]; s++) y[by_b[s]] = u[by_b[s]];
                int it = exr_demean_column(&L, &W[t], y, rb[t], tol, maxit, 0);
                if (it < 0) bad++;
                for (R_xlen_t s = bstart[b]; s < bstart[b + 1]; s++) y[by_b[s]] = 0.0;
                /* the coefficients of the kept factors: a0 for factor 1, x for the rest */
                double *gcol = (c < Gb ? Gam0 : Gam1) + (R_xlen_t) b * pR;
                R_xlen_t off = 0;
                for (int q = 0; q < Q; q++) {
                    const double *coef = q == 0 ? W[t].a0 : W[t].x + off;
                    if (qR[q]) memcpy(gcol + qoff[q], coef, (size_t) L.G[q] * sizeof(double));
                    if (q > 0) off += L.G[q];
                }
            }
            R_CheckUserInterrupt();
        }
        if (bad) {
            exr_raise("fixef_tol", "the fixed-effect projections of the bootstrap residuals did "
                      "not converge in %d sweeps for %d column(s)", maxit, bad);
        }
    }
corrected:;

    /* each clustering: F, the sparse cells, the correction, and se^2 */
    SEXP clus = PROTECT(allocVector(VECSXP, D)); nprot++;
    SET_VECTOR_ELT(out, 6, clus);
    double se2 = 0.0;
    double *sg = (double *) R_alloc(maxG, sizeof(double));
    for (int d = 0; d < D; d++) {
        const int Gd = G[d];
        const int *cd = cc[d];
        const char *cn[9] = {"G", "fac", "F", "cg", "cb", "c0", "c1", "mode", "corr"};
        SEXP cl = allocVector(VECSXP, 9);
        SET_VECTOR_ELT(clus, d, cl);
        setAttrib(cl, R_NamesSymbol, R_NilValue);
        {
            SEXP nms = PROTECT(allocVector(STRSXP, 9));
            for (int j = 0; j < 9; j++) SET_STRING_ELT(nms, j, mkChar(cn[j]));
            setAttrib(cl, R_NamesSymbol, nms);
            UNPROTECT(1);
        }
        SET_VECTOR_ELT(cl, 0, ScalarInteger(Gd));
        SET_VECTOR_ELT(cl, 1, ScalarReal(fac[d]));
        double *F;
        SET_VECTOR_ELT(cl, 2, wb_matrix(Gd, k, &F));
        for (int l = 0; l < k; l++) {
            const double *xl = x + (R_xlen_t) l * n;
            double *fl = F + (R_xlen_t) l * Gd;
            for (R_xlen_t i = 0; i < n; i++) fl[cd[i]] += xa[i] * xl[i];
        }
        memset(sg, 0, Gd * sizeof(double));
        for (R_xlen_t i = 0; i < n; i++) sg[cd[i]] += xa[i] * uh[i];
        double ss = 0.0;
        for (int g = 0; g < Gd; g++) ss += sg[g] * sg[g];
        se2 += fac[d] * ss;

        /* cells (g, b): rows ordered by g within the order by b, then runs */
        wb_order_by(cd, by_b, n, Gd, by_gb, cnt);
        R_xlen_t ncell = 0;
        for (R_xlen_t s = 0; s < n; s++) {
            if (s == 0 || cd[by_gb[s]] != cd[by_gb[s - 1]] || bc[by_gb[s]] != bc[by_gb[s - 1]]) ncell++;
        }
        SEXP scg = allocVector(INTSXP, ncell); SET_VECTOR_ELT(cl, 3, scg);
        SEXP scb = allocVector(INTSXP, ncell); SET_VECTOR_ELT(cl, 4, scb);
        SEXP sc0 = allocVector(REALSXP, ncell); SET_VECTOR_ELT(cl, 5, sc0);
        SEXP sc1 = allocVector(REALSXP, ncell); SET_VECTOR_ELT(cl, 6, sc1);
        int *pg = INTEGER(scg), *pb = INTEGER(scb);
        double *p0 = REAL(sc0), *p1 = REAL(sc1);
        R_xlen_t t = -1;
        for (R_xlen_t s = 0; s < n; s++) {
            R_xlen_t i = by_gb[s];
            if (s == 0 || cd[i] != cd[by_gb[s - 1]] || bc[i] != bc[by_gb[s - 1]]) {
                t++;
                pg[t] = cd[i];
                pb[t] = bc[i];
                p0[t] = 0.0;
                p1[t] = 0.0;
            }
            p0[t] += xa[i] * u0[i];
            if (u1) p1[t] += xa[i] * u1[i];
        }

        /* the fixed-effect correction E Gamma, dense or factored */
        int mode = 0;
        if (pR > 0) {
            int any = 0;
            for (int q = 0; q < Q; q++) if (qR[q] && !nest[q + Q * d]) any = 1;
            if (any) {
                double *E;
                SEXP sE = PROTECT(wb_matrix(Gd, (int) pR, &E));
                for (int q = 0; q < Q; q++) {
                    if (!qR[q] || nest[q + Q * d]) continue;   /* nested: exactly zero */
                    const int *gq = L.g[q];
                    for (R_xlen_t i = 0; i < n; i++) E[cd[i] + (R_xlen_t) (qoff[q] + gq[i]) * Gd] += xa[i];
                }
                double dense_cost = (double) Gd * Gb, fact_cost = (double) pR * Gd;
                if (dense_cost <= fact_cost && dense_cost * (u1 ? 2 : 1) < 2e8) {
                    mode = 1;
                    const char *dn[2] = {"C0", "C1"};
                    SEXP corr = PROTECT(exr_named_list(2, dn));
                    double *Cd0, *Cd1 = NULL;
                    SET_VECTOR_ELT(corr, 0, wb_matrix(Gd, Gb, &Cd0));
                    const double one = 1.0, zero = 0.0;
                    int m = Gd, nn = Gb, kk = (int) pR;
                    F77_CALL(dgemm)("N", "N", &m, &nn, &kk, &one, E, &m, Gam0, &kk, &zero, Cd0, &m
                                    FCONE FCONE);
                    if (u1) {
                        SET_VECTOR_ELT(corr, 1, wb_matrix(Gd, Gb, &Cd1));
                        F77_CALL(dgemm)("N", "N", &m, &nn, &kk, &one, E, &m, Gam1, &kk, &zero, Cd1, &m
                                        FCONE FCONE);
                    }
                    SET_VECTOR_ELT(cl, 8, corr);
                    UNPROTECT(1);
                } else {
                    mode = 2;
                    SET_VECTOR_ELT(cl, 8, sE);
                }
                UNPROTECT(1);
            }
        }
        SET_VECTOR_ELT(cl, 7, ScalarInteger(mode));
    }
    SET_VECTOR_ELT(out, 8, ScalarReal(se2));
    UNPROTECT(nprot);
    return out;
}

/* ---- the draws ----------------------------------------------------------- */

typedef struct {
    int G, mode;
    double fac;
    const double *F;                 /* G x k */
    R_xlen_t ncell;
    const int *cg, *cb;
    const double *c0, *c1;
    const double *C0, *C1;           /* mode 1: G x Gb */
    const double *E;                 /* mode 2: G x pR */
    double *H;                       /* row-major G x h: [F | E] (E only in mode 2) */
    int h;
} wb_clus;

typedef struct {
    int k, Gb, D, affine;
    R_xlen_t pR;
    const double *Nb0, *Nb1, *Ct0, *Ct1, *Gam0, *Gam1;
    wb_clus *cl;
    int maxG;
    int my;                          /* 2 (k + pR) */
    double *Y;                       /* row-major Gb x my: [Ct0 | Gam0' | Ct1 | Gam1'] */
} wb_setup;

/* y += row * vb over m entries, and the two dot products of row with y0 and
 * y1: the inner loops of a draw, written for the compiler's vectoriser (the
 * simd pragma lets it reorder the sums; the order is fixed by the code, not by
 * the number of threads). */
static inline void wb_axpy(double *y, const double *row, double vb, int m)
{
#ifdef _OPENMP
#pragma omp simd
#endif
    for (int j = 0; j < m; j++) y[j] += row[j] * vb;
}

static inline void wb_dot2(const double *row, const double *y0, const double *y1, int h,
                           double *d0, double *d1)
{
    double a0 = 0.0, a1 = 0.0;
#ifdef _OPENMP
#pragma omp simd reduction(+:a0, a1)
#endif
    for (int j = 0; j < h; j++) {
        a0 += row[j] * y0[j];
        a1 += row[j] * y1[j];
    }
    *d0 = a0;
    *d1 = a1;
}

/* Kernel: the scores of one clustering d for one draw v, given y = Y'v (see
 * wb_layout): x0[g] = sum over the cells of g of c0 v_b, less the fixed-effect
 * correction, less H_g . y0; x1 likewise with c1 and y1 when the setup is
 * affine (x1 may be NULL otherwise). Pure: no R API. */
static void wb_scores(const wb_setup *S, int d, const double *v, const double *y, double *x0,
                      double *x1)
{
    const wb_clus *C = &S->cl[d];
    const int Gd = C->G, h = C->h, Gb = S->Gb;
    const int half = S->affine ? S->my / 2 : S->my;
    for (int g = 0; g < Gd; g++) x0[g] = 0.0;
    if (!S->affine) {
        for (R_xlen_t t = 0; t < C->ncell; t++) x0[C->cg[t]] += C->c0[t] * v[C->cb[t]];
        if (C->mode == 1) {
            for (int b = 0; b < Gb; b++) {
                const double vb = v[b];
                const double *c0 = C->C0 + (R_xlen_t) b * Gd;
                for (int g = 0; g < Gd; g++) x0[g] -= c0[g] * vb;
            }
        }
        for (int g = 0; g < Gd; g++) {
            const double *row = C->H + (R_xlen_t) g * h;
            double d0 = 0.0;
#ifdef _OPENMP
#pragma omp simd reduction(+:d0)
#endif
            for (int j = 0; j < h; j++) d0 += row[j] * y[j];
            x0[g] -= d0;
        }
        return;
    }
    for (int g = 0; g < Gd; g++) x1[g] = 0.0;
    for (R_xlen_t t = 0; t < C->ncell; t++) {
        double vb = v[C->cb[t]];
        x0[C->cg[t]] += C->c0[t] * vb;
        x1[C->cg[t]] += C->c1[t] * vb;
    }
    if (C->mode == 1) {
        for (int b = 0; b < Gb; b++) {
            const double vb = v[b];
            const double *c0 = C->C0 + (R_xlen_t) b * Gd;
            const double *c1 = C->C1 + (R_xlen_t) b * Gd;
            for (int g = 0; g < Gd; g++) x0[g] -= c0[g] * vb;
            for (int g = 0; g < Gd; g++) x1[g] -= c1[g] * vb;
        }
    }
    for (int g = 0; g < Gd; g++) {
        double d0, d1;
        wb_dot2(C->H + (R_xlen_t) g * h, y, y + half, h, &d0, &d1);
        x0[g] -= d0;
        x1[g] -= d1;
    }
}

/* y = Y'v and the numerators Nb0'v, Nb1'v (n1 only when affine). */
static void wb_project(const wb_setup *S, const double *v, double *y, double *n0, double *n1)
{
    const int Gb = S->Gb, my = S->my;
    double a0 = 0.0, a1 = 0.0;
    for (int b = 0; b < Gb; b++) a0 += S->Nb0[b] * v[b];
    if (S->affine) for (int b = 0; b < Gb; b++) a1 += S->Nb1[b] * v[b];
    for (int j = 0; j < my; j++) y[j] = 0.0;
    for (int b = 0; b < Gb; b++) wb_axpy(y, S->Y + (R_xlen_t) b * my, v[b], my);
    *n0 = a0;
    *n1 = a1;
}

/* Kernel of the least-squares bootstrap: the five numbers of one draw v
 * (length Gb): num0, num1, SS00, SS01, SS11. Work: 2 maxG + my. */
static void wb_draw(const void *ctx, const double *v, double *o, double *work)
{
    const wb_setup *S = (const wb_setup *) ctx;
    double *s0 = work, *s1 = work + S->maxG, *y = work + 2 * S->maxG;
    double n0, n1;
    wb_project(S, v, y, &n0, &n1);
    double ss00 = 0.0, ss01 = 0.0, ss11 = 0.0;
    for (int d = 0; d < S->D; d++) {
        const int Gd = S->cl[d].G;
        wb_scores(S, d, v, y, s0, S->affine ? s1 : NULL);
        double a00 = 0.0, a01 = 0.0, a11 = 0.0;
        if (S->affine) {
            for (int g = 0; g < Gd; g++) {
                a00 += s0[g] * s0[g];
                a01 += s0[g] * s1[g];
                a11 += s1[g] * s1[g];
            }
        } else {
            for (int g = 0; g < Gd; g++) a00 += s0[g] * s0[g];
        }
        ss00 += S->cl[d].fac * a00;
        ss01 += S->cl[d].fac * a01;
        ss11 += S->cl[d].fac * a11;
    }
    o[0] = n0; o[1] = n1; o[2] = ss00; o[3] = ss01; o[4] = ss11;
}

/* Lay out Y and each H (main thread, R_alloc). */
static void wb_layout(wb_setup *S)
{
    const int k = S->k, Gb = S->Gb;
    const int pR = (int) S->pR;
    const int half = k + pR;
    S->my = S->affine ? 2 * half : half;
    S->Y = (double *) R_alloc((size_t) Gb * S->my, sizeof(double));
    for (int b = 0; b < Gb; b++) {
        double *row = S->Y + (R_xlen_t) b * S->my;
        for (int l = 0; l < k; l++) {
            row[l] = S->Ct0[b + (R_xlen_t) l * Gb];
            if (S->affine) row[half + l] = S->Ct1[b + (R_xlen_t) l * Gb];
        }
        for (int p = 0; p < pR; p++) {
            row[k + p] = S->Gam0[p + (R_xlen_t) b * pR];
            if (S->affine) row[half + k + p] = S->Gam1[p + (R_xlen_t) b * pR];
        }
    }
    for (int d = 0; d < S->D; d++) {
        wb_clus *C = &S->cl[d];
        const int Gd = C->G;
        C->h = C->mode == 2 ? half : k;
        C->H = (double *) R_alloc((size_t) Gd * C->h, sizeof(double));
        for (int g = 0; g < Gd; g++) {
            double *row = C->H + (R_xlen_t) g * C->h;
            for (int l = 0; l < k; l++) row[l] = C->F[g + (R_xlen_t) l * Gd];
            if (C->mode == 2) for (int p = 0; p < pR; p++) row[k + p] = C->E[g + (R_xlen_t) p * Gd];
        }
    }
}

/* One weight from R's RNG (main thread only). kind: 0 Rademacher, 1 Webb,
 * 2 Mammen, 3 standard normal. */
static double wb_weight(int kind)
{
    static const double webb[6] = {-1.224744871391589, -1.0, -0.7071067811865476,
                                   0.7071067811865476, 1.0, 1.224744871391589};
    switch (kind) {
    case 0: return unif_rand() < 0.5 ? -1.0 : 1.0;
    case 1: {
        int j = (int) (6.0 * unif_rand());
        return webb[j > 5 ? 5 : j];
    }
    case 2: {
        const double s5 = 2.23606797749979;
        return unif_rand() < (s5 + 1.0) / (2.0 * s5) ? -(s5 - 1.0) / 2.0 : (s5 + 1.0) / 2.0;
    }
    default: return norm_rand();
    }
}

static void wb_read_setup(SEXP s, wb_setup *S)
{
    if (TYPEOF(s) != VECSXP) error("'setup' must be a list");
    S->k = asInteger(wb_get(s, "k"));
    S->Gb = asInteger(wb_get(s, "Gb"));
    if (S->k < 1 || S->Gb < 1) error("'setup': bad dimensions");
    S->Nb0 = exr_real_arg(wb_get(s, "Nb0"), S->Gb, "Nb0");
    S->Nb1 = exr_real_arg(wb_get(s, "Nb1"), S->Gb, "Nb1");
    S->Ct0 = exr_real_arg(wb_get(s, "Ct0"), (R_xlen_t) S->Gb * S->k, "Ct0");
    S->Ct1 = exr_real_arg(wb_get(s, "Ct1"), (R_xlen_t) S->Gb * S->k, "Ct1");
    SEXP gam = wb_get(s, "Gam");
    S->pR = 0;
    S->Gam0 = S->Gam1 = NULL;
    S->affine = asInteger(wb_get(s, "affine")) == 1;
    if (!isNull(gam)) {
        SEXP g0 = VECTOR_ELT(gam, 0), g1 = VECTOR_ELT(gam, 1);
        if (!isMatrix(g0) || ncols(g0) != S->Gb) error("'setup': bad Gam0");
        S->pR = nrows(g0);
        S->Gam0 = exr_real_arg(g0, S->pR * S->Gb, "Gam0");
        if (S->affine) S->Gam1 = exr_real_arg(g1, S->pR * S->Gb, "Gam1");
    }
    SEXP cl = wb_get(s, "clusters");
    if (TYPEOF(cl) != VECSXP || XLENGTH(cl) < 1) error("'setup': bad clusters");
    S->D = (int) XLENGTH(cl);
    S->cl = (wb_clus *) R_alloc(S->D, sizeof(wb_clus));
    S->maxG = 1;
    for (int d = 0; d < S->D; d++) {
        SEXP c = VECTOR_ELT(cl, d);
        wb_clus *C = &S->cl[d];
        C->G = asInteger(wb_get(c, "G"));
        if (C->G < 1) error("'setup': bad cluster count");
        if (C->G > S->maxG) S->maxG = C->G;
        C->fac = asReal(wb_get(c, "fac"));
        C->F = exr_real_arg(wb_get(c, "F"), (R_xlen_t) C->G * S->k, "F");
        SEXP cg = wb_get(c, "cg");
        C->ncell = XLENGTH(cg);
        C->cg = exr_int_arg(cg, C->ncell, "cg");
        C->cb = exr_int_arg(wb_get(c, "cb"), C->ncell, "cb");
        C->c0 = exr_real_arg(wb_get(c, "c0"), C->ncell, "c0");
        C->c1 = exr_real_arg(wb_get(c, "c1"), C->ncell, "c1");
        for (R_xlen_t t = 0; t < C->ncell; t++) {
            if (C->cg[t] < 0 || C->cg[t] >= C->G || C->cb[t] < 0 || C->cb[t] >= S->Gb)
                error("'setup': cell index out of range");
        }
        C->mode = asInteger(wb_get(c, "mode"));
        SEXP corr = wb_get(c, "corr");
        C->C0 = C->C1 = C->E = NULL;
        if (C->mode == 1) {
            C->C0 = exr_real_arg(VECTOR_ELT(corr, 0), (R_xlen_t) C->G * S->Gb, "C0");
            if (S->affine) C->C1 = exr_real_arg(VECTOR_ELT(corr, 1), (R_xlen_t) C->G * S->Gb, "C1");
        } else if (C->mode == 2) {
            if (S->pR < 1) error("'setup': factored correction without Gam");
            C->E = exr_real_arg(corr, (R_xlen_t) C->G * S->pR, "E");
        } else if (C->mode != 0) {
            error("'setup': bad correction mode");
        }
    }
    wb_layout(S);
}

/* Fill m draws of Gb weights (draws start .. start + m - 1) into Vc, from R's
 * RNG (main thread, between GetRNGstate and PutRNGstate) or, for kind 4, the
 * full enumeration: draw c has v_b = -1 where bit b of c is set. */
static void wb_fill_weights(int kind, int start, int m, int Gb, double *Vc)
{
    for (int j = 0; j < m; j++) {
        double *v = Vc + (R_xlen_t) j * Gb;
        if (kind == 4) {
            unsigned int code = (unsigned int) (start + j);
            for (int b = 0; b < Gb; b++) v[b] = (code >> b) & 1u ? -1.0 : 1.0;
        } else {
            for (int b = 0; b < Gb; b++) v[b] = wb_weight(kind);
        }
    }
}

typedef void (*wb_kernel)(const void *ctx, const double *v, double *o, double *work);

/*
 * The draws, whatever the statistic: weights a chunk at a time (about 2e6 of
 * them: bounded memory, an interrupt check each) in the main thread, then the
 * kernel on each draw of the chunk in parallel. res: nout arrays of B results;
 * tie[j] records a draw that reproduces the original sample exactly:
 * tie_rule 1, weights all equal (t* = sign(c) t; least squares, null
 * imposed), 2, weights all +1 only (the restricted efficient bootstrap, whose
 * first stage changes with a common sign), 0, none.
 */
static void wb_run(const void *ctx, wb_kernel kernel, size_t work_len, int nout, int Gb, int kind,
                   int B, const double *Vu, int tie_rule, int nth, double **res, int *tie)
{
    double **work = (double **) R_alloc(nth, sizeof(double *));
    double **ob = (double **) R_alloc(nth, sizeof(double *));
    for (int t = 0; t < nth; t++) {
        work[t] = (double *) R_alloc(work_len, sizeof(double));
        ob[t] = (double *) R_alloc(nout, sizeof(double));
    }
    int chunk = (int) (2e6 / Gb);
    if (chunk < 64) chunk = 64;
    if (chunk > B) chunk = B;
    double *Vc = Vu ? NULL : (double *) R_alloc((size_t) chunk * Gb, sizeof(double));
    for (int start = 0; start < B; start += chunk) {
        const int m = start + chunk <= B ? chunk : B - start;
        const double *V;
        if (Vu) {
            V = Vu + (R_xlen_t) start * Gb;
        } else {
            if (kind != 4) GetRNGstate();
            wb_fill_weights(kind, start, m, Gb, Vc);
            if (kind != 4) PutRNGstate();
            V = Vc;
        }
        for (int j = 0; j < m; j++) {
            const double *v = V + (R_xlen_t) j * Gb;
            int eq = 1;
            for (int b = 1; b < Gb && eq; b++) if (v[b] != v[0]) eq = 0;
            tie[start + j] = (tie_rule == 1 && eq && v[0] != 0.0) ? (v[0] > 0 ? 1 : -1) :
                (tie_rule == 2 && eq && v[0] == 1.0) ? 1 : 0;
        }
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(static)
#endif
        for (int j = 0; j < m; j++) {
            int t = 0;
#ifdef _OPENMP
            t = omp_get_thread_num();
#endif
            double *o = ob[t];
            kernel(ctx, V + (R_xlen_t) j * Gb, o, work[t]);
            for (int c = 0; c < nout; c++) res[c][start + j] = o[c];
        }
        R_CheckUserInterrupt();
    }
}

/* The weights' arguments shared by the entries: B (2^Gb under enumeration, or
 * the columns of a given V) and the given V, checked. */
static int wb_draw_count(int kind, int B, SEXP V_, int Gb, const double **Vu)
{
    *Vu = NULL;
    if (kind < 0 || kind > 4) error("'kind' must be 0..4");
    if (!isNull(V_)) {
        if (!isReal(V_) || !isMatrix(V_) || nrows(V_) != Gb) error("'V' must be a Gb x B double matrix");
        B = ncols(V_);
        *Vu = REAL(V_);
    } else if (kind == 4) {
        if (Gb > 30) error("full enumeration needs at most 30 bootstrap clusters");
        B = 1 << Gb;
    }
    if (B < 1) error("'B' must be positive");
    return B;
}

static SEXP wb_draws_list(int B, double **res, int **tie)
{
    const char *nm[6] = {"num0", "num1", "ss00", "ss01", "ss11", "tie"};
    SEXP out = PROTECT(exr_named_list(6, nm));
    for (int j = 0; j < 5; j++) {
        SET_VECTOR_ELT(out, j, allocVector(REALSXP, B));
        res[j] = REAL(VECTOR_ELT(out, j));
        memset(res[j], 0, (size_t) B * sizeof(double));
    }
    SET_VECTOR_ELT(out, 5, allocVector(INTSXP, B));
    *tie = INTEGER(VECTOR_ELT(out, 5));
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: wildboot_draws(setup, kind, B, V, imposed, cores)
 *   setup   the list from wildboot_setup
 *   kind    0 Rademacher, 1 Webb, 2 Mammen, 3 normal, 4 full enumeration of
 *           the 2^Gb Rademacher sign vectors (draw m: v_b = -1 where bit b of
 *           m is set; draw 0 is all +1)
 *   B       number of draws (ignored for enumeration); V: a Gb x B matrix of
 *           weights to use instead (tests), or NULL
 *   imposed 1 for WCR: a draw whose weights are all equal (v = c 1) gives
 *           t* = sign(c) t exactly (y* is then an affine copy of y), which
 *           is recorded in `tie` rather than left to rounding
 *   cores   threads
 * Returns list(num0, num1, ss00, ss01, ss11, tie).
 */
SEXP wildboot_draws(SEXP setup, SEXP kind_, SEXP B_, SEXP V_, SEXP imposed_, SEXP cores_)
{
    wb_setup S;
    wb_read_setup(setup, &S);
    const int kind = exr_scalar_int(kind_, "kind");
    const int imposed = exr_scalar_int(imposed_, "imposed");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    const double *Vu;
    const int B = wb_draw_count(kind, exr_scalar_int(B_, "B"), V_, S.Gb, &Vu);
    double *res[5];
    int *tie;
    SEXP out = PROTECT(wb_draws_list(B, res, &tie));
    wb_run(&S, wb_draw, (size_t) 2 * S.maxG + S.my, 5, S.Gb, kind, B, Vu, imposed ? 1 : 0, nth,
           res, tie);
    UNPROTECT(1);
    return out;
}

/* ---- the wild restricted efficient bootstrap (IV) ------------------------ */

/*
 * Davidson and MacKinnon (2010), one endogenous regressor, everything
 * partialled out of the exogenous regressors and the fixed effects (the
 * annihilator M, in the weighted metric): instruments Zd (n x L), endogenous
 * Yd, outcome yd, Q = Zd'W Zd. At the null value rho the structural residuals
 * are u~ = yd - rho Yd, the first stage is re-estimated with u~ added (delta
 * its coefficient, pi~ the instruments'), and v~ = Yd - Zd pi~ =
 * Yd - P Yd + delta (P yd - rho P Yd). A draw v gives
 *   Yd* = Zd pi~ + sum_b v_b M(v~ . 1_b),   yd* = rho Yd* + sum_b v_b M(u~ . 1_b),
 * and its 2SLS t statistic for beta = rho. Every quantity it needs is linear
 * in the per-instrument arrays of two affine least-squares setups (the xa of
 * setup l is w Zd[, l]): A with (u0, u1) = (yd, Yd), B with (P yd, P Yd). With
 * a0, a1, b0, b1 the numerators of A and B for one draw (wb_project), and the
 * same letters for each cluster's scores (wb_scores):
 *   Zd'W M(u~ . v) = a0 - rho a1,   Zd'W M(v~ . v) = a1 + delta b0 - (1 + delta rho) b1,
 *   m = Q pi~ + Zd'W M(v~ . v),  pi* = Q^{-1} m,  den = pi*'m,
 *   num = pi*'Zd'W M(u~ . v) (= den (beta* - rho)),
 *   s_g = sum_l pi*_l [a0 - rho a1 - (num / den) (Q_g pi~ + a1 + delta b0 - (1 + delta rho) b1)]_gl,
 *   t* = sign(den) num / sqrt(sum_d fac_d sum_g s_g^2).
 * The null value enters only through scalars: s_g is a combination of the J =
 * 4L + L^2 cluster vectors a0_l, a1_l, b0_l, b1_l (each draw's) and Q_g[l, m]
 * (fixed). So one pass over the draws keeps, per draw, the 4L numerators and
 * the J x J cross-products of those vectors (summed over the clusterings with
 * their factors), and the statistic at any rho then costs O(J^2) a draw: the
 * test inversion, whose bootstrap samples change with rho, costs no more
 * passes over the clusters.
 */
typedef struct {
    int L, D, maxG, J;
    wb_setup *SA, *SB;               /* L each */
    const double **qg;               /* per clustering: G_d x L^2, Q_g[l, m] in column l + L m */
} wre_ctx;

static inline R_xlen_t wre_tri(int j, int k) { return (R_xlen_t) k * (k + 1) / 2 + j; }  /* j <= k */

/* Kernel: o = [a0 (L), a1, b0, b1, cross-products (J (J + 1) / 2, upper
 * triangle by columns)]. Work: 2 L my + 4 L maxG. */
static void wre_moments_draw(const void *ctx, const double *v, double *o, double *work)
{
    const wre_ctx *W = (const wre_ctx *) ctx;
    const int L = W->L, maxG = W->maxG, my = W->SA[0].my, J = W->J;
    double *yA = work, *yB = work + (R_xlen_t) L * my;
    double *sc = yB + (R_xlen_t) L * my;
    for (int l = 0; l < L; l++) {
        wb_project(&W->SA[l], v, yA + (R_xlen_t) l * my, &o[l], &o[L + l]);
        wb_project(&W->SB[l], v, yB + (R_xlen_t) l * my, &o[2 * L + l], &o[3 * L + l]);
    }
    double *mom = o + 4 * L;
    const R_xlen_t nm = (R_xlen_t) J * (J + 1) / 2;
    for (R_xlen_t c = 0; c < nm; c++) mom[c] = 0.0;
    for (int d = 0; d < W->D; d++) {
        const int Gd = W->SA[0].cl[d].G;
        const double fac = W->SA[0].cl[d].fac;
        for (int l = 0; l < L; l++) {
            wb_scores(&W->SA[l], d, v, yA + (R_xlen_t) l * my, sc + (R_xlen_t) l * maxG,
                      sc + (R_xlen_t) (L + l) * maxG);
            wb_scores(&W->SB[l], d, v, yB + (R_xlen_t) l * my, sc + (R_xlen_t) (2 * L + l) * maxG,
                      sc + (R_xlen_t) (3 * L + l) * maxG);
        }
        for (int k = 0; k < J; k++) {
            const double *pk = k < 4 * L ? sc + (R_xlen_t) k * maxG : W->qg[d] + (R_xlen_t) (k - 4 * L) * Gd;
            for (int j = 0; j <= k; j++) {
                const double *pj = j < 4 * L ? sc + (R_xlen_t) j * maxG : W->qg[d] + (R_xlen_t) (j - 4 * L) * Gd;
                double acc = 0.0;
#ifdef _OPENMP
#pragma omp simd reduction(+:acc)
#endif
                for (int g = 0; g < Gd; g++) acc += pj[g] * pk[g];
                mom[wre_tri(j, k)] += fac * acc;
            }
        }
    }
}

/*
 * .Call entry: wildboot_wre_moments(setups, qg, kind, B, V, cores)
 *   setups  list of 2 L affine wildboot_setup lists: A_1..A_L, B_1..B_L (see
 *           above), with the same bootstrap and error clusterings
 *   qg      list of D matrices G_d x L^2: Q_g[l, m] in column l + L m
 *   kind, B, V, cores  as for wildboot_draws
 * Returns list(M = B x (4 L + J (J + 1) / 2) matrix of the per-draw numbers,
 * tie = 1 for the draw of all +1 weights).
 */
SEXP wildboot_wre_moments(SEXP setups, SEXP qg_, SEXP kind_, SEXP B_, SEXP V_, SEXP cores_)
{
    if (TYPEOF(setups) != VECSXP || XLENGTH(setups) < 2 || XLENGTH(setups) % 2 != 0) {
        error("'setups' must be a list of 2 L setups");
    }
    wre_ctx W;
    W.L = (int) (XLENGTH(setups) / 2);
    const int L = W.L;
    if (L > 20) error("'setups': at most 20 instruments");
    W.J = 4 * L + L * L;
    W.SA = (wb_setup *) R_alloc(L, sizeof(wb_setup));
    W.SB = (wb_setup *) R_alloc(L, sizeof(wb_setup));
    for (int l = 0; l < L; l++) {
        wb_read_setup(VECTOR_ELT(setups, l), &W.SA[l]);
        wb_read_setup(VECTOR_ELT(setups, L + l), &W.SB[l]);
    }
    const wb_setup *S0 = &W.SA[0];
    W.D = S0->D;
    W.maxG = S0->maxG;
    for (int l = 0; l < 2 * L; l++) {
        const wb_setup *S = l < L ? &W.SA[l] : &W.SB[l - L];
        if (!S->affine || S->Gb != S0->Gb || S->D != S0->D || S->my != S0->my) {
            error("'setups' must be affine and of the same bootstrap and error clusterings");
        }
        for (int d = 0; d < W.D; d++) {
            if (S->cl[d].G != S0->cl[d].G || S->cl[d].fac != S0->cl[d].fac)
                error("'setups' must share their error clusterings");
        }
    }
    if (TYPEOF(qg_) != VECSXP || XLENGTH(qg_) != W.D) error("'qg' must be a list of D matrices");
    W.qg = (const double **) R_alloc(W.D, sizeof(double *));
    for (int d = 0; d < W.D; d++) {
        W.qg[d] = exr_real_arg(VECTOR_ELT(qg_, d), (R_xlen_t) S0->cl[d].G * L * L, "qg[[d]]");
    }
    const int kind = exr_scalar_int(kind_, "kind");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    const double *Vu;
    const int B = wb_draw_count(kind, exr_scalar_int(B_, "B"), V_, S0->Gb, &Vu);
    const int nout = 4 * L + W.J * (W.J + 1) / 2;
    if ((double) nout * B > 2.5e8) error("%d x %d per-draw numbers are too many to keep", B, nout);
    const char *nm[2] = {"M", "tie"};
    SEXP out = PROTECT(exr_named_list(2, nm));
    SET_VECTOR_ELT(out, 0, allocMatrix(REALSXP, B, nout));
    SET_VECTOR_ELT(out, 1, allocVector(INTSXP, B));
    double *M = REAL(VECTOR_ELT(out, 0));
    double **res = (double **) R_alloc(nout, sizeof(double *));
    for (int c = 0; c < nout; c++) res[c] = M + (R_xlen_t) c * B;
    const size_t work_len = (size_t) 2 * L * S0->my + (size_t) 4 * L * W.maxG;
    wb_run(&W, wre_moments_draw, work_len, nout, S0->Gb, kind, B, Vu, 2, nth, res,
           INTEGER(VECTOR_ELT(out, 1)));
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: wildboot_wre_eval(moments, ctl, Qinv, qpi, pit)
 *   moments  the list from wildboot_wre_moments
 *   ctl      c(rho, delta, identity_tie): the null value (or, unrestricted,
 *            the estimate), the first stage's coefficient on u~, and 1 to
 *            mark the all +1 draw as reproducing the sample (restricted)
 *   Qinv     L x L, Q^{-1};  qpi, pit: Q pi~ and pi~ (L each)
 * Returns the list of wildboot_draws, the statistics at rho only (num0 =
 * sign(den) num, ss00 = the variance's numerator; num1, ss01, ss11 zero), for
 * wildboot_pvalues at r = rho (or, unrestricted, at any r).
 */
SEXP wildboot_wre_eval(SEXP moments, SEXP ctl_, SEXP Qinv_, SEXP qpi_, SEXP pit_)
{
    if (TYPEOF(moments) != VECSXP || XLENGTH(moments) != 2) error("'moments' must be the list of wildboot_wre_moments");
    SEXP Ms = VECTOR_ELT(moments, 0);
    if (!isReal(Ms) || !isMatrix(Ms)) error("'moments': M must be a double matrix");
    const int B = nrows(Ms), nout = ncols(Ms);
    const int L = XLENGTH(pit_) > 0 ? (int) XLENGTH(pit_) : 0;
    const int J = 4 * L + L * L;
    if (L < 1 || nout != 4 * L + J * (J + 1) / 2) error("'moments' and 'pit' disagree");
    const double *M = REAL(Ms);
    const int *tie_in = exr_int_arg(VECTOR_ELT(moments, 1), B, "tie");
    const double *ctl = exr_real_arg(ctl_, 3, "ctl");
    const double rho = ctl[0], delta = ctl[1], cB1 = 1.0 + ctl[1] * ctl[0];
    if (!R_FINITE(rho) || !R_FINITE(delta)) error("'ctl': rho and delta must be finite");
    const int mark = ctl[2] != 0.0;
    const double *Qinv = exr_real_arg(Qinv_, (R_xlen_t) L * L, "Qinv");
    const double *qpi = exr_real_arg(qpi_, L, "qpi");
    const double *pit = exr_real_arg(pit_, L, "pit");
    double *res[5];
    int *tie;
    SEXP out = PROTECT(wb_draws_list(B, res, &tie));
    double *m = (double *) R_alloc(L, sizeof(double));
    double *Nu = (double *) R_alloc(L, sizeof(double));
    double *ps = (double *) R_alloc(L, sizeof(double));
    double *c = (double *) R_alloc(J, sizeof(double));
    for (int b = 0; b < B; b++) {
        const double *row = M + b;     /* column c of the row: row[c * B] */
#define WRE_AT(col) row[(R_xlen_t) (col) * B]
        for (int l = 0; l < L; l++) {
            Nu[l] = WRE_AT(l) - rho * WRE_AT(L + l);
            m[l] = qpi[l] + WRE_AT(L + l) + delta * WRE_AT(2 * L + l) - cB1 * WRE_AT(3 * L + l);
        }
        double den = 0.0, num = 0.0;
        for (int l = 0; l < L; l++) {
            double s = 0.0;
            for (int j = 0; j < L; j++) s += Qinv[l + (R_xlen_t) j * L] * m[j];
            ps[l] = s;
            den += s * m[l];
            num += s * Nu[l];
        }
        const double bb = num / den;
        for (int l = 0; l < L; l++) {
            c[l] = ps[l];
            c[L + l] = -ps[l] * (rho + bb);
            c[2 * L + l] = -bb * delta * ps[l];
            c[3 * L + l] = bb * cB1 * ps[l];
            for (int mm = 0; mm < L; mm++) c[4 * L + l + L * mm] = -bb * ps[l] * pit[mm];
        }
        double ss = 0.0;
        for (int k = 0; k < J; k++) {
            double acc = 0.0;
            for (int j = 0; j < k; j++) acc += c[j] * WRE_AT(4 * L + wre_tri(j, k));
            ss += c[k] * (2.0 * acc + c[k] * WRE_AT(4 * L + wre_tri(k, k)));
        }
#undef WRE_AT
        res[0][b] = den < 0 ? -num : num;
        res[2][b] = ss;
        tie[b] = mark ? tie_in[b] : 0;
    }
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: wildboot_pvalues(draws, est, se, r, want_t)
 *   draws  the list from wildboot_draws; est, se the estimate and its
 *          standard error (t(r) = (est - r) / se)
 *   r      values of the null hypothesis
 *   want_t 1: also return the bootstrap t statistics at r[1]
 * Returns list(p = length(r) x 5 matrix: symmetric, equal-tailed, upper
 * (P(t* > t)), lower (P(t* < t)), number of feasible draws; tstar). Counts are
 * strict (ties do not count), over the draws whose variance is positive.
 */
SEXP wildboot_pvalues(SEXP draws, SEXP est_, SEXP se_, SEXP r_, SEXP want_t_)
{
    if (TYPEOF(draws) != VECSXP || XLENGTH(draws) != 6) error("'draws' must be the list of wildboot_draws");
    const R_xlen_t B = XLENGTH(VECTOR_ELT(draws, 0));
    const double *n0 = exr_real_arg(VECTOR_ELT(draws, 0), B, "num0");
    const double *n1 = exr_real_arg(VECTOR_ELT(draws, 1), B, "num1");
    const double *a = exr_real_arg(VECTOR_ELT(draws, 2), B, "ss00");
    const double *bq = exr_real_arg(VECTOR_ELT(draws, 3), B, "ss01");
    const double *c = exr_real_arg(VECTOR_ELT(draws, 4), B, "ss11");
    const int *tie = exr_int_arg(VECTOR_ELT(draws, 5), B, "tie");
    const double est = exr_scalar_real(est_, "est"), se = exr_scalar_real(se_, "se");
    const R_xlen_t nr = XLENGTH(r_);
    const double *r = exr_real_arg(r_, -1, "r");
    const int want_t = exr_scalar_int(want_t_, "want_t");
    if (!(se > 0)) error("'se' must be positive");

    const char *nm[2] = {"p", "tstar"};
    SEXP out = PROTECT(exr_named_list(2, nm));
    SEXP P = allocMatrix(REALSXP, (int) nr, 5);
    SET_VECTOR_ELT(out, 0, P);
    double *p = REAL(P);
    double *ts = NULL;
    if (want_t) {
        SET_VECTOR_ELT(out, 1, allocVector(REALSXP, B));
        ts = REAL(VECTOR_ELT(out, 1));
    }
    for (R_xlen_t h = 0; h < nr; h++) {
        const double rr = r[h];
        const double t = (est - rr) / se;
        R_xlen_t nabs = 0, nup = 0, nlo = 0, nok = 0;
        for (R_xlen_t b = 0; b < B; b++) {
            double tb;
            if (tie[b]) {
                tb = tie[b] > 0 ? t : -t;
            } else {
                double v = a[b] - 2.0 * rr * bq[b] + rr * rr * c[b];
                if (!(v > 0) || !R_FINITE(v)) {
                    if (h == 0 && ts) ts[b] = NA_REAL;
                    continue;
                }
                tb = (n0[b] - rr * n1[b]) / sqrt(v);
            }
            if (h == 0 && ts) ts[b] = tb;
            nok++;
            if (fabs(tb) > fabs(t)) nabs++;
            if (tb > t) nup++;
            if (tb < t) nlo++;
        }
        double dn = nok > 0 ? (double) nok : NA_REAL;
        p[h] = nabs / dn;
        p[h + nr] = 2.0 * (nup < nlo ? nup : nlo) / dn;
        p[h + 2 * nr] = nup / dn;
        p[h + 3 * nr] = nlo / dn;
        p[h + 4 * nr] = (double) nok;
    }
    UNPROTECT(1);
    return out;
}
