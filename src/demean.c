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
 * scratch memory is allocated before the parallel region. Long runs are cut
 * into rounds of sweeps with an interrupt check between them; a column resumes
 * from its last iterate (the warm start that bootstrap and placebo draws also
 * use to start a new column from a similar one).
 */
#include "exportres.h"

/* One Gauss-Seidel sweep: from the coefficients `in` of factors 2..Q, compute
 * a0 (factor 1) and then new coefficients `out` of factors 2..Q, each given the
 * most recent values of the others. */
static void fe_sweep(const exr_fe_layout *L, exr_fe_work *W, const double *in, double *out)
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

/* Doubles of scratch one column needs (exr_fe_work_init carves them). */
size_t exr_fe_work_size(const exr_fe_layout *L)
{
    R_xlen_t m = L->ncoef_rest > 0 ? L->ncoef_rest : 1;
    return (size_t) L->total_G + (size_t) L->G[0] + (size_t) L->maxG + 3 * (size_t) m;
}

void exr_fe_work_init(const exr_fe_layout *L, exr_fe_work *W, double *mem)
{
    R_xlen_t m = L->ncoef_rest > 0 ? L->ncoef_rest : 1;
    W->sy = mem; mem += L->total_G;
    W->a0 = mem; mem += L->G[0];
    W->acc = mem; mem += L->maxG;
    W->x = mem; mem += m;
    W->gx = mem; mem += m;
    W->ggx = mem;
    memset(W->x, 0, (size_t) m * sizeof(double));
}

/* 1 / (sum of weights) of each group of every factor, into sw_inv[q] (G[q]
 * doubles each, caller-supplied); L->g, G, w, n, Q must be set. Also sets
 * total_G, maxG and ncoef_rest. */
void exr_fe_layout_finish(exr_fe_layout *L, double **sw_inv)
{
    L->total_G = 0;
    L->maxG = 1;
    for (int q = 0; q < L->Q; q++) {
        double *sw = sw_inv[q];
        const int *gq = L->g[q];
        memset(sw, 0, (size_t) L->G[q] * sizeof(double));
        if (L->w) {
            for (R_xlen_t i = 0; i < L->n; i++) sw[gq[i]] += L->w[i];
        } else {
            for (R_xlen_t i = 0; i < L->n; i++) sw[gq[i]] += 1.0;
        }
        for (int k = 0; k < L->G[q]; k++) sw[k] = sw[k] > 0 ? 1.0 / sw[k] : 0.0;
        L->total_G += L->G[q];
        if (L->G[q] > L->maxG) L->maxG = L->G[q];
    }
    L->sw_inv = (const double **) sw_inv;
    L->ncoef_rest = L->total_G - L->G[0];
}

/*
 * Kernel: solve the normal equations of the fixed effects for the right-hand
 * side already in W->sy (the weighted sums of a column over each group of
 * every factor, factor by factor): on exit W->a0 holds the coefficients of
 * factor 1 and W->x those of factors 2..Q (one solution; with several factors
 * the coefficients are determined up to the usual normalisation). With warm = 0
 * the iteration starts from zero coefficients, with warm = 1 from those left in
 * W. Returns the number of sweeps, negative if `maxit` was reached. Groups with
 * no observation get coefficient 0. Pure: no R API.
 */
int exr_fe_iterate(const exr_fe_layout *L, exr_fe_work *W, double tol, int maxit, int warm)
{
    const R_xlen_t n = L->n;
    const int Q = L->Q;
    const double *w = L->w;
    int iter = 0, ok = 1;
    const R_xlen_t m = L->ncoef_rest;
    double *x = W->x, *gx = W->gx, *ggx = W->ggx;

    if (Q == 1) {
        const double *swi = L->sw_inv[0];
        for (int k = 0; k < L->G[0]; k++) W->a0[k] = W->sy[k] * swi[k];
        return 1;
    }
    if (!warm) memset(x, 0, (size_t) m * sizeof(double));
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
    /* keep the final iterate where a warm start and the caller look for it (the
     * swaps above permuted only the local pointers; W's buffers stay distinct) */
    if (gx != W->x) memcpy(W->x, gx, (size_t) m * sizeof(double));
    return ok ? iter : -iter;
}

/*
 * Kernel: demean one column y (length n) into r. With warm = 0 the iteration
 * starts from zero coefficients; with warm = 1 from the coefficients left in W
 * by the previous call (a resumed run, or a similar column). Returns the number
 * of sweeps, negative if `maxit` was reached without convergence; W keeps the
 * last iterate, so a call with warm = 1 resumes. Pure: no R API.
 */
int exr_demean_column(const exr_fe_layout *L, exr_fe_work *W, const double *y, double *r,
                      double tol, int maxit, int warm)
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
    int iter = exr_fe_iterate(L, W, tol, maxit, warm);

    /* residual of the projection */
    const double *gx = W->x;
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
    return iter;
}

/* Main-thread helper: the layout of the fixed-effect codes `fe` (an R list of
 * Q >= 1 integer vectors of length n, codes 1..G_q) with optional weights w.
 * Allocates with R_alloc and raises R errors on bad codes. */
void fe_layout_setup(exr_fe_layout *L, SEXP fe, const double *w, R_xlen_t n)
{
    fe_layout_setup_n(L, fe, w, n, NULL);
}

/* As fe_layout_setup(), with the number of levels of each factor given (nlev,
 * Q ints, at least the largest code; NULL: the largest code), so that groups
 * absent from these rows keep their place (coefficient 0). */
void fe_layout_setup_n(exr_fe_layout *L, SEXP fe, const double *w, R_xlen_t n, const int *nlev)
{
    if (TYPEOF(fe) != VECSXP || XLENGTH(fe) < 1) error("'fe' must be a non-empty list");
    const int Q = (int) XLENGTH(fe);
    L->n = n;
    L->Q = Q;
    L->w = w;
    const int **g = (const int **) R_alloc(Q, sizeof(int *));
    int *G = (int *) R_alloc(Q, sizeof(int));
    double **sw_inv = (double **) R_alloc(Q, sizeof(double *));
    for (int q = 0; q < Q; q++) {
        const int *codes = exr_int_arg(VECTOR_ELT(fe, q), n, "fe[[q]]");
        int Gq = 0;
        for (R_xlen_t i = 0; i < n; i++) {
            if (codes[i] == NA_INTEGER || codes[i] < 1) error("'fe' codes must be positive integers");
            if (codes[i] > Gq) Gq = codes[i];
        }
        /* 0-based copy so the inner loops index directly */
        int *g0 = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
        for (R_xlen_t i = 0; i < n; i++) g0[i] = codes[i] - 1;
        g[q] = g0;
        if (nlev) {
            if (nlev[q] < Gq) error("'nlev' is smaller than the largest code");
            Gq = nlev[q];
        }
        G[q] = Gq > 0 ? Gq : 1;
        sw_inv[q] = (double *) R_alloc(G[q], sizeof(double));
    }
    L->g = g;
    L->G = G;
    exr_fe_layout_finish(L, sw_inv);
}

/* Main-thread driver for many independent columns, in parallel, in rounds of
 * at most `chunk` sweeps per column with an interrupt check between rounds
 * (outside the parallel region); a column that has not converged resumes from
 * its last iterate (warm start). Either demeans src[j] -> dst[j] (sums NULL),
 * or solves the normal equations for the group sums sums[j] (total_G each)
 * and writes the coefficients to coef[j] (factor 1, then 2..Q). iters[j]
 * receives the total number of sweeps, negative when maxit was reached. */
static void fe_run_many(const exr_fe_layout *L, int ncol, const double **src, double **dst,
                        const double **sums, double **coef, double tol, int maxit, int nth,
                        int *iters)
{
    size_t ws = exr_fe_work_size(L);
    exr_fe_work *work = (exr_fe_work *) R_alloc(ncol > 0 ? ncol : 1, sizeof(exr_fe_work));
    int *done = (int *) R_alloc(ncol > 0 ? ncol : 1, sizeof(int));
    for (int j = 0; j < ncol; j++) {
        exr_fe_work_init(L, &work[j], (double *) R_alloc(ws, sizeof(double)));
        if (sums) memcpy(work[j].sy, sums[j], (size_t) L->total_G * sizeof(double));
        iters[j] = 0;
        done[j] = 0;
    }
    /* about 1e7 row visits per round (about 0.1 s): small problems finish in
     * one round, a long one answers an interrupt promptly */
    double visits = (double) L->n * L->Q;
    int chunk = visits > 0 ? (int) fmin(1e7 / visits, 1e6) : maxit;
    if (chunk < 20) chunk = 20;
    for (;;) {
        int left = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic) reduction(+:left)
#endif
        for (int j = 0; j < ncol; j++) {
            if (done[j]) continue;
            int budget = maxit - iters[j];
            if (budget > chunk) budget = chunk;
            int it = sums ? exr_fe_iterate(L, &work[j], tol, budget, iters[j] > 0)
                          : exr_demean_column(L, &work[j], src[j], dst[j], tol, budget, iters[j] > 0);
            if (it > 0) {
                iters[j] += it;
                done[j] = 1;
            } else {
                iters[j] += -it;
                if (iters[j] >= maxit) {
                    done[j] = 1;
                    iters[j] = -iters[j];
                } else {
                    left++;
                }
            }
            if (done[j] && sums) {
                memcpy(coef[j], work[j].a0, (size_t) L->G[0] * sizeof(double));
                if (L->ncoef_rest > 0)
                    memcpy(coef[j] + L->G[0], work[j].x, (size_t) L->ncoef_rest * sizeof(double));
            }
        }
        if (!left) break;
        R_CheckUserInterrupt();
    }
    (void) nth;
}

/* Main-thread helper: demean ncol columns src[j] -> dst[j] (see fe_run_many). */
void fe_demean_many(const exr_fe_layout *L, int ncol, const double **src, double **dst,
                    double tol, int maxit, int nth, int *iters)
{
    fe_run_many(L, ncol, src, dst, NULL, NULL, tol, maxit, nth, iters);
}

/*
 * .Call entry: fe_solve(v, vfe, fe, nlev, weights, tol, maxit, cores)
 * The fixed-effect coefficients a of the normal equations Z'WZ a = b, where Z
 * holds the dummies of the Q factors on the n rows of `fe` (the regression
 * sample) and b = Z_v' v_j are the group sums of the columns of v over its own
 * rows (codes `vfe`, in the same level space). With v = a residualised outcome
 * on the regression rows these are its fixed-effect coefficients; with v
 * treatment weights on other rows, the solve of the imputation estimator's
 * variance weights (Borusyak-Jaravel-Spiess 2024, eq. 6).
 *   v      nv x m double matrix; vfe list of Q integer code vectors (length nv)
 *   fe     list of Q integer code vectors (length n); nlev Q ints: levels of each
 *   weights NULL or n regression weights; tol, maxit, cores as fe_demean
 * Returns list(coef = sum(nlev) x m (factor 1's levels, then factor 2's, ...;
 * one solution of the singular system: factors 2..Q are the iterated ones,
 * groups without a row of `fe` get 0), iterations = m ints).
 */
SEXP fe_solve(SEXP v, SEXP vfe, SEXP fe, SEXP nlev_, SEXP weights, SEXP tol_, SEXP maxit_,
              SEXP cores_)
{
    if (!isReal(v) || !isMatrix(v)) error("'v' must be a double matrix");
    if (TYPEOF(fe) != VECSXP || XLENGTH(fe) < 1) error("'fe' must be a non-empty list");
    if (TYPEOF(vfe) != VECSXP || XLENGTH(vfe) != XLENGTH(fe)) error("'vfe' must match 'fe'");
    const int Q = (int) XLENGTH(fe);
    const int *nlev = exr_int_arg(nlev_, Q, "nlev");
    const double tol = exr_scalar_real(tol_, "tol");
    const int maxit = exr_scalar_int(maxit_, "maxit");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    if (!(tol > 0)) error("'tol' must be positive");
    if (maxit < 1) error("'maxit' must be positive");
    const R_xlen_t nv = (R_xlen_t) nrows(v);
    const int m = ncols(v);
    const R_xlen_t n = XLENGTH(VECTOR_ELT(fe, 0));
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    exr_fe_layout L;
    fe_layout_setup_n(&L, fe, w, n, nlev);
    /* group sums of v's columns by the codes of v's rows */
    const R_xlen_t tg = L.total_G;
    if (tg > INT_MAX) error("'nlev': too many fixed-effect levels in all");
    double *sums = (double *) R_alloc((size_t) tg * (m > 0 ? m : 1), sizeof(double));
    memset(sums, 0, (size_t) tg * (m > 0 ? m : 1) * sizeof(double));
    R_xlen_t off = 0;
    for (int q = 0; q < Q; q++) {
        const int *c = exr_int_arg(VECTOR_ELT(vfe, q), nv, "vfe[[q]]");
        for (R_xlen_t i = 0; i < nv; i++)
            if (c[i] == NA_INTEGER || c[i] < 1 || c[i] > L.G[q]) error("'vfe' codes out of range");
        for (int j = 0; j < m; j++) {
            const double *vj = REAL(v) + (R_xlen_t) j * nv;
            double *sj = sums + (R_xlen_t) j * tg + off;
            for (R_xlen_t i = 0; i < nv; i++) sj[c[i] - 1] += vj[i];
        }
        off += L.G[q];
    }
    const char *nm[2] = {"coef", "iterations"};
    SEXP out = PROTECT(exr_named_list(2, nm));
    SEXP coef = allocMatrix(REALSXP, (int) tg, m); SET_VECTOR_ELT(out, 0, coef);
    SEXP iters = allocVector(INTSXP, m); SET_VECTOR_ELT(out, 1, iters);
    const double **sp = (const double **) R_alloc(m > 0 ? m : 1, sizeof(double *));
    double **cp = (double **) R_alloc(m > 0 ? m : 1, sizeof(double *));
    for (int j = 0; j < m; j++) {
        sp[j] = sums + (R_xlen_t) j * tg;
        cp[j] = REAL(coef) + (R_xlen_t) j * tg;
    }
    fe_run_many(&L, m, NULL, NULL, sp, cp, tol, maxit, nth, INTEGER(iters));
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: fe_demean(y, X, fe, weights, tol, maxit, cores)
 *   y       response (double, length n); X n x p double matrix (neither modified)
 *   fe      list of Q >= 1 integer vectors of length n, codes 1..G_q, no NA
 *   weights double vector of length n (positive), or NULL
 *   tol     convergence tolerance; maxit maximum sweeps per column; cores threads
 * Returns list(y = demeaned y, X = demeaned X (with X's dimnames), iterations = integer p + 1 (y
 * first; negative: not converged), scale = weighted sums of squares of the raw
 * columns of X, which tell a column absorbed by the fixed effects from a small one).
 * y and X are demeaned as p + 1 independent columns, in parallel.
 */
SEXP fe_demean(SEXP y, SEXP X, SEXP fe, SEXP weights, SEXP tol_, SEXP maxit_, SEXP cores_)
{
    if (!isReal(X) || !isMatrix(X)) error("'X' must be a double matrix");
    const double tol = exr_scalar_real(tol_, "tol");
    const int maxit = exr_scalar_int(maxit_, "maxit");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    if (!(tol > 0)) error("'tol' must be positive");
    if (maxit < 1) error("'maxit' must be positive");

    const R_xlen_t n = (R_xlen_t) nrows(X);
    const int p = ncols(X);
    const double *yy = exr_real_arg(y, n, "y");
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    exr_fe_layout L;
    fe_layout_setup(&L, fe, w, n);

    const char *nm[4] = {"y", "X", "iterations", "scale"};
    int nprot = 0;
    SEXP out = PROTECT(exr_named_list(4, nm)); nprot++;
    SEXP ry = allocVector(REALSXP, n); SET_VECTOR_ELT(out, 0, ry);
    SEXP R = allocMatrix(REALSXP, (int) n, p); SET_VECTOR_ELT(out, 1, R);
    setAttrib(R, R_DimNamesSymbol, getAttrib(X, R_DimNamesSymbol));
    SEXP iters = allocVector(INTSXP, p + 1); SET_VECTOR_ELT(out, 2, iters);
    SEXP scale = allocVector(REALSXP, p); SET_VECTOR_ELT(out, 3, scale);
    const double *x = REAL(X);
    double *r = REAL(R), *sc = REAL(scale);

    const int ncol = p + 1;
    const double **src = (const double **) R_alloc(ncol, sizeof(double *));
    double **dst = (double **) R_alloc(ncol, sizeof(double *));
    src[0] = yy;
    dst[0] = REAL(ry);
    for (int j = 1; j < ncol; j++) {
        src[j] = x + (R_xlen_t) (j - 1) * n;
        dst[j] = r + (R_xlen_t) (j - 1) * n;
    }
    fe_demean_many(&L, ncol, src, dst, tol, maxit, nth, INTEGER(iters));
    for (int j = 0; j < p; j++) {
        const double *xj = src[j + 1];
        double ss = 0.0;
        if (w) {
            for (R_xlen_t i = 0; i < n; i++) ss += w[i] * xj[i] * xj[i];
        } else {
            for (R_xlen_t i = 0; i < n; i++) ss += xj[i] * xj[i];
        }
        sc[j] = ss;
    }
    UNPROTECT(nprot);
    return out;
}
