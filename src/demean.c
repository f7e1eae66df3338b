/*
 * Absorbing any number of fixed effects: the within transformation of the columns
 * of a matrix with respect to Q categorical factors, optionally weighted.
 *
 * Method. For one column y, the fixed-effect coefficients (a_1, ..., a_Q) solve the
 * normal equations of y = sum_q a_q[g_q(i)] + r_i. We iterate in the space of the
 * coefficients, not of the n residuals: one Gauss-Seidel sweep F computes a_1 given
 * a_2..a_Q, then a_2 given the new a_1 and the rest, and so on; the fixed point of F
 * is the least-squares solution (the method of alternating projections, expressed on
 * the group means). Working with the coefficients means a sweep reads only the
 * integer group codes (the y-sums per group are computed once), which is what makes
 * it fast for long panels. The sequence is accelerated by Irons and Tuck's (1969)
 * extrapolation after every pair of sweeps, as fixest does (Berge 2018). With one
 * factor the projection is exact after one sweep.
 *
 * Convergence, per column: the largest change of a coefficient between sweeps,
 * relative to (0.1 + |coefficient|), falls below `tol` (fixest's criterion).
 *
 * Columns are independent, so they are demeaned in parallel with OpenMP; all
 * scratch memory is allocated before the parallel region.
 */
#include "exportres.h"

typedef struct {
    R_xlen_t n;
    int Q;
    const int **g;         /* Q arrays of 0-based group codes, length n */
    const int *G;          /* number of groups of each factor */
    const double *w;       /* weights, or NULL for unit weights */
    const double **sw_inv; /* Q arrays: 1 / (sum of weights in each group) */
    R_xlen_t ncoef_rest;   /* sum of G[1..Q-1]: length of the iterated vector */
} fe_layout;

/* Scratch for one column. */
typedef struct {
    double *sy;    /* sum over q of G[q]: weighted sums of y per group, all factors */
    double *a0;    /* coefficients of the first factor */
    double *acc;   /* accumulator, max G */
    double *x, *gx, *ggx; /* coefficients of factors 2..Q: iterate, F(iterate), F(F(iterate)) */
} fe_work;

/* One Gauss-Seidel sweep: from the coefficients `in` of factors 2..Q, compute
 * a0 (factor 1) and then new coefficients `out` of factors 2..Q, each given the
 * most recent values of the others. */
static void fe_sweep(const fe_layout *L, fe_work *W, const double *in, double *out)
{
    const R_xlen_t n = L->n;
    const int Q = L->Q;
    const double *w = L->w;
    const double *sy = W->sy;

    /* offsets of each factor's block in `in`/`out` and `sy` */
    R_xlen_t off_sy = 0;

    for (int q = 0; q < Q; q++) {
        const int Gq = L->G[q];
        double *acc = W->acc;
        memcpy(acc, sy + off_sy, (size_t) Gq * sizeof(double));
        const int *gq = L->g[q];

        if (Q == 2) {
            /* the common case gets a tight loop */
            const int *go = L->g[1 - q];
            const double *co = (q == 0) ? in : W->a0;
            if (w) {
                for (R_xlen_t i = 0; i < n; i++) acc[gq[i]] -= w[i] * co[go[i]];
            } else {
                for (R_xlen_t i = 0; i < n; i++) acc[gq[i]] -= co[go[i]];
            }
        } else {
            for (R_xlen_t i = 0; i < n; i++) {
                double s = 0.0;
                R_xlen_t off = 0;
                for (int r = 0; r < Q; r++) {
                    if (r == 0) {
                        if (q != 0) s += W->a0[L->g[0][i]];
                    } else {
                        if (r < q) s += out[off + L->g[r][i]];
                        else if (r > q) s += in[off + L->g[r][i]];
                        off += L->G[r];
                    }
                }
                acc[gq[i]] -= (w ? w[i] : 1.0) * s;
            }
        }

        const double *swi = L->sw_inv[q];
        double *dest;
        if (q == 0) {
            dest = W->a0;
        } else {
            R_xlen_t off = 0;
            for (int r = 1; r < q; r++) off += L->G[r];
            dest = out + off;
        }
        for (int k = 0; k < Gq; k++) dest[k] = acc[k] * swi[k];
        off_sy += Gq;
    }
}

static int fe_converged(const double *a, const double *b, R_xlen_t m, double tol)
{
    for (R_xlen_t k = 0; k < m; k++) {
        if (fabs(a[k] - b[k]) / (0.1 + fabs(a[k])) > tol) return 0;
    }
    return 1;
}

/* Demean one column y (length n) into r. Returns the number of sweeps, negative
 * if `maxit` was reached without convergence. */
static int fe_demean_column(const fe_layout *L, fe_work *W, const double *y, double *r,
                            double tol, int maxit)
{
    const R_xlen_t n = L->n;
    const int Q = L->Q;
    const double *w = L->w;

    /* weighted sums of y per group, for every factor */
    {
        R_xlen_t off = 0;
        for (int q = 0; q < Q; q++) {
            double *s = W->sy + off;
            const int *gq = L->g[q];
            memset(s, 0, (size_t) L->G[q] * sizeof(double));
            if (w) {
                for (R_xlen_t i = 0; i < n; i++) s[gq[i]] += w[i] * y[i];
            } else {
                for (R_xlen_t i = 0; i < n; i++) s[gq[i]] += y[i];
            }
            off += L->G[q];
        }
    }

    int iter = 0, ok = 1;
    const R_xlen_t m = L->ncoef_rest;
    double *x = W->x, *gx = W->gx, *ggx = W->ggx;

    if (Q == 1) {
        const double *swi = L->sw_inv[0];
        for (int k = 0; k < L->G[0]; k++) W->a0[k] = W->sy[k] * swi[k];
        iter = 1;
    } else {
        memset(x, 0, (size_t) m * sizeof(double));
        fe_sweep(L, W, x, gx);
        iter = 1;
        if (!fe_converged(x, gx, m, tol)) {
            for (;;) {
                if (iter >= maxit) { ok = 0; break; }
                fe_sweep(L, W, gx, ggx);
                iter++;
                if (fe_converged(gx, ggx, m, tol)) {
                    double *t = gx; gx = ggx; ggx = t;
                    break;
                }
                /* Irons-Tuck extrapolation from x, F(x), F(F(x)) */
                double vprod = 0.0, ssq = 0.0;
                for (R_xlen_t k = 0; k < m; k++) {
                    double d_gx = ggx[k] - gx[k];
                    double d2 = d_gx - gx[k] + x[k];
                    vprod += d_gx * d2;
                    ssq += d2 * d2;
                }
                if (ssq == 0.0) {
                    double *t = gx; gx = ggx; ggx = t;
                    break;
                }
                double coef = vprod / ssq;
                for (R_xlen_t k = 0; k < m; k++) x[k] = ggx[k] - coef * (ggx[k] - gx[k]);
                fe_sweep(L, W, x, gx);
                iter++;
                if (fe_converged(x, gx, m, tol)) break;
            }
        }
        /* a0 consistent with the final coefficients of the other factors */
        {
            double *acc = W->acc;
            memcpy(acc, W->sy, (size_t) L->G[0] * sizeof(double));
            const int *g0 = L->g[0];
            for (R_xlen_t i = 0; i < n; i++) {
                double s = 0.0;
                R_xlen_t off = 0;
                for (int q = 1; q < Q; q++) {
                    s += gx[off + L->g[q][i]];
                    off += L->G[q];
                }
                acc[g0[i]] -= (w ? w[i] : 1.0) * s;
            }
            for (int k = 0; k < L->G[0]; k++) W->a0[k] = acc[k] * L->sw_inv[0][k];
        }
    }

    /* residual of the projection */
    const int *g0 = L->g[0];
    for (R_xlen_t i = 0; i < n; i++) {
        double s = W->a0[g0[i]];
        R_xlen_t off = 0;
        for (int q = 1; q < Q; q++) {
            s += gx[off + L->g[q][i]];
            off += L->G[q];
        }
        r[i] = y[i] - s;
    }
    return ok ? iter : -iter;
}

/*
 * .Call entry: fe_demean(y, X, fe, weights, tol, maxit, cores)
 *   y       response (double, length n); X n x p double matrix (neither modified)
 *   fe      list of Q >= 1 integer vectors of length n, codes 1..G_q, no NA
 *   weights double vector of length n (positive), or NULL
 *   tol     convergence tolerance; maxit maximum sweeps per column; cores threads
 * Returns list(y = demeaned y, X = demeaned X, iterations = integer p + 1 (y
 * first; negative: not converged), scale = weighted sums of squares of the raw
 * columns of X, which tell a column absorbed by the fixed effects from a small one).
 * y and X are demeaned as p + 1 independent columns, in parallel.
 */
SEXP fe_demean(SEXP y, SEXP X, SEXP fe, SEXP weights, SEXP tol_, SEXP maxit_, SEXP cores_)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    if (TYPEOF(fe) != VECSXP || XLENGTH(fe) < 1) error("'fe' must be a non-empty list");
    const double tol = exr_scalar_real(tol_, "tol");
    const int maxit = exr_scalar_int(maxit_, "maxit");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    if (!(tol > 0)) error("'tol' must be positive");
    if (maxit < 1) error("'maxit' must be positive");

    const R_xlen_t n = (R_xlen_t) nrows(X);
    const int p = ncols(X);
    const int Q = (int) XLENGTH(fe);
    const double *yy = exr_real_arg(y, n, "y");

    fe_layout L;
    L.n = n;
    L.Q = Q;
    L.w = NULL;
    if (!isNull(weights)) L.w = exr_real_arg(weights, n, "weights");
    const int **g = (const int **) R_alloc(Q, sizeof(int *));
    int *G = (int *) R_alloc(Q, sizeof(int));
    const double **sw_inv = (const double **) R_alloc(Q, sizeof(double *));
    R_xlen_t total_G = 0;
    int maxG = 1;
    for (int q = 0; q < Q; q++) {
        SEXP f = VECTOR_ELT(fe, q);
        const int *codes = exr_int_arg(f, n, "fe[[q]]");
        int Gq = 0;
        for (R_xlen_t i = 0; i < n; i++) {
            if (codes[i] == NA_INTEGER || codes[i] < 1) error("'fe' codes must be positive integers");
            if (codes[i] > Gq) Gq = codes[i];
        }
        /* 0-based copy so the inner loops index directly */
        int *g0 = (int *) R_alloc(n, sizeof(int));
        for (R_xlen_t i = 0; i < n; i++) g0[i] = codes[i] - 1;
        double *sw = (double *) R_alloc(Gq, sizeof(double));
        memset(sw, 0, (size_t) Gq * sizeof(double));
        if (L.w) {
            for (R_xlen_t i = 0; i < n; i++) sw[g0[i]] += L.w[i];
        } else {
            for (R_xlen_t i = 0; i < n; i++) sw[g0[i]] += 1.0;
        }
        for (int k = 0; k < Gq; k++) sw[k] = sw[k] > 0 ? 1.0 / sw[k] : 0.0;
        g[q] = g0;
        G[q] = Gq;
        sw_inv[q] = sw;
        total_G += Gq;
        if (Gq > maxG) maxG = Gq;
    }
    L.g = g;
    L.G = G;
    L.sw_inv = sw_inv;
    L.ncoef_rest = total_G - G[0];

    /* per-column scratch (column 0 is y), allocated before any parallel region */
    const int ncol = p + 1;
    fe_work *work = (fe_work *) R_alloc(ncol, sizeof(fe_work));
    for (int j = 0; j < ncol; j++) {
        work[j].sy = (double *) R_alloc(total_G, sizeof(double));
        work[j].a0 = (double *) R_alloc(G[0], sizeof(double));
        work[j].acc = (double *) R_alloc(maxG, sizeof(double));
        R_xlen_t m = L.ncoef_rest > 0 ? L.ncoef_rest : 1;
        work[j].x = (double *) R_alloc(m, sizeof(double));
        work[j].gx = (double *) R_alloc(m, sizeof(double));
        work[j].ggx = (double *) R_alloc(m, sizeof(double));
    }

    int nprot = 0;
    SEXP out = PROTECT(allocVector(VECSXP, 4)); nprot++;
    SEXP ry = PROTECT(allocVector(REALSXP, n)); nprot++;
    SEXP R = PROTECT(allocMatrix(REALSXP, (int) n, p)); nprot++;
    SEXP iters = PROTECT(allocVector(INTSXP, ncol)); nprot++;
    SEXP scale = PROTECT(allocVector(REALSXP, p)); nprot++;
    const double *x = REAL(X);
    double *r = REAL(R), *sc = REAL(scale), *dy = REAL(ry);
    int *it = INTEGER(iters);
    const double *w = L.w;

#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic)
#endif
    for (int j = 0; j < ncol; j++) {
        const double *src = j == 0 ? yy : x + (R_xlen_t) (j - 1) * n;
        double *dst = j == 0 ? dy : r + (R_xlen_t) (j - 1) * n;
        it[j] = fe_demean_column(&L, &work[j], src, dst, tol, maxit);
        if (j > 0) {
            double ss = 0.0;
            if (w) {
                for (R_xlen_t i = 0; i < n; i++) ss += w[i] * src[i] * src[i];
            } else {
                for (R_xlen_t i = 0; i < n; i++) ss += src[i] * src[i];
            }
            sc[j - 1] = ss;
        }
    }
    (void) nth;

    SET_VECTOR_ELT(out, 0, ry);
    SET_VECTOR_ELT(out, 1, R);
    SET_VECTOR_ELT(out, 2, iters);
    SET_VECTOR_ELT(out, 3, scale);
    SEXP nms = PROTECT(allocVector(STRSXP, 4)); nprot++;
    SET_STRING_ELT(nms, 0, mkChar("y"));
    SET_STRING_ELT(nms, 1, mkChar("X"));
    SET_STRING_ELT(nms, 2, mkChar("iterations"));
    SET_STRING_ELT(nms, 3, mkChar("scale"));
    setAttrib(out, R_NamesSymbol, nms);
    UNPROTECT(nprot);
    return out;
}
