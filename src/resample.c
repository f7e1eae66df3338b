/*
 * Resampling for fixed-effects least squares: the machinery shared by the
 * cluster bootstrap (mediation()), the Fisher permutation test (subgroup())
 * and any estimator that re-estimates a least-squares model many times on
 * reweighted data (placebo draws, other bootstraps).
 *
 * Two kinds of pieces:
 *
 * 1. Draw helpers (main thread, R's RNG through R_unif_index, so set.seed()
 *    reproduces them; all draws are made before any parallel region, so the
 *    results do not depend on the number of threads):
 *    - resample_draw_counts(): B vectors of cluster counts, from m * B uniform
 *      draws in exactly the order of boot::boot's ordinary resampling
 *      (sample.int(m, m * B, replace = TRUE) laid out B x m): with the same
 *      seed, draw b resamples the same clusters as boot's replicate b;
 *    - resample_draw_permutations(): B permutations of unit labels, within
 *      strata (Fisher-Yates).
 *
 * 2. The kernel exr_wls_draw(): the coefficients of one or more least-squares
 *    equations with absorbed fixed effects, for one vector of unit weights
 *    (w_i = base_i * v[unit_i]). Resampling whole clusters with replacement is
 *    a regression with integer cluster-count weights (a duplicated cluster
 *    keeps identical data, and its fixed effects take identical values), and a
 *    regression on a subset is one with 0/1 weights, so every draw reuses the
 *    design: rows of zero weight are dropped (compaction), the fixed-effect
 *    layout keeps the full-sample group codes, and each column's demeaning
 *    starts from its full-sample iterate (warm start), which a reweighted
 *    sample moves little. All equations of a draw share one demeaning of the
 *    union of their columns and one cross-product matrix, from which each
 *    equation is solved in formula order with the package's collinearity rule
 *    (exr_keep_in_order, exr_ls_chol, exr_ls_qr when ill-conditioned).
 *
 * Kernels take caller-supplied workspace and never call the R API, so the
 * entry point runs the draws in an OpenMP region; interrupts and the progress
 * bar are handled between chunks of draws, in the main thread.
 */
#include "exportres.h"

/* ---- draw helpers (main thread) ------------------------------------------- */

/* counts (m x B, zeroed here): counts[j + b m] = times unit j is drawn in draw
 * b, from m * B draws of R_unif_index(m) assigned to draws b = t mod B, as
 * boot's ordinary.array() lays out sample.int(m, m * B, replace = TRUE). */
void resample_draw_counts(int m, int B, int *counts)
{
    memset(counts, 0, (size_t) m * B * sizeof(int));
    const double dm = (double) m;
    const R_xlen_t total = (R_xlen_t) m * B;
    for (R_xlen_t t = 0; t < total; t++) {
        int j = (int) R_unif_index(dm);
        int b = (int) (t % B);
        counts[j + (R_xlen_t) b * m]++;
    }
}

/* out (m x B): B permutations of labels (length m) within strata. strata:
 * 0-based stratum of each unit (NULL: one stratum), S strata. Each draw
 * shuffles the labels of every stratum by Fisher-Yates with R_unif_index. */
void resample_draw_permutations(const int *labels, int m, const int *strata, int S, int B,
                                int *out)
{
    /* positions of each stratum's units, stratum by stratum */
    int *pos = (int *) R_alloc(m > 0 ? m : 1, sizeof(int));
    int *start = (int *) R_alloc(S + 1, sizeof(int));
    memset(start, 0, (size_t) (S + 1) * sizeof(int));
    for (int j = 0; j < m; j++) start[(strata ? strata[j] : 0) + 1]++;
    for (int s = 0; s < S; s++) start[s + 1] += start[s];
    int *fill = (int *) R_alloc(S > 0 ? S : 1, sizeof(int));
    memcpy(fill, start, (size_t) S * sizeof(int));
    for (int j = 0; j < m; j++) pos[fill[strata ? strata[j] : 0]++] = j;
    int *lab = (int *) R_alloc(m > 0 ? m : 1, sizeof(int));
    for (int b = 0; b < B; b++) {
        int *ob = out + (R_xlen_t) b * m;
        for (int s = 0; s < S; s++) {
            int a = start[s], len = start[s + 1] - start[s];
            for (int i = 0; i < len; i++) lab[i] = labels[pos[a + i]];
            for (int i = len - 1; i > 0; i--) {
                int r = (int) R_unif_index((double) (i + 1));
                int tmp = lab[i]; lab[i] = lab[r]; lab[r] = tmp;
            }
            for (int i = 0; i < len; i++) ob[pos[a + i]] = lab[i];
        }
    }
}

/* ---- the kernel -------------------------------------------------------------- */

/* Doubles and ints of workspace exr_wls_draw needs (one set per thread). */
void exr_wls_work_size(const exr_wls_problem *P, size_t *nd, size_t *ni)
{
    const size_t n = (size_t) P->n, p = (size_t) P->p, k = (size_t) P->kmax;
    const size_t L = (size_t) P->small_L;
    size_t d = 2 * n * p + n          /* gathered and demeaned columns, weights */
        + p * p + p                   /* cross-product, raw sums of squares */
        + 4 * k * k + 8 * k           /* S, V, keep work, chol work; b, ref, X'y */
        + P->qr_size;                 /* QR fallback */
    if (P->Q > 0) d += (size_t) P->total_G + P->fe_work_size;
    if (L > 0) d += 4 * L * L + 8 * L + 2 * p * L + n;   /* exact small-factor path */
    *nd = d;
    *ni = 3 * k + n + (size_t) P->Q * n + (L > 0 ? 3 * L + n + 1 : 0);
}

/*
 * The exact cross-product of the columns after the within transformation,
 * when every factor but the first is small (L levels in all): the first
 * factor is absorbed exactly (rows are grouped by it), the small factors enter
 * as dummy columns partialled out by the partitioned normal equations
 * (Frisch-Waugh-Lovell):
 *     X'M X = Xc'W Xc - (Xc'W D) (Dc'W Dc)^- (D'W Xc),
 * with Xc, Dc the columns and dummies demeaned by the first factor and
 * Dc'W Dc = D'W D - sum_g (D'W)_g (W D)_g / W_g computed group by group. The
 * dummies kept are chosen in order by exr_keep_in_order (one level of each
 * small factor is absorbed by the first, and levels without weight drop out).
 * No iteration, so no convergence tolerance. Returns 0, or EXR_LS_ILLCOND
 * when (Dc'W Dc) is too ill-conditioned (the caller then iterates).
 * Xc (m x p) receives the sqrt(w)-scaled, first-factor-demeaned columns.
 */
static int wls_xtx_small(const exr_wls_problem *P, R_xlen_t m, const int *const *gq,
                         const double *Zg, const double *w, double *Xc, double *XtX,
                         double *work, int *iwork)
{
    const int p = P->p, Q = P->Q, L = P->small_L;
    const int *g0 = gq[0];
    double *DD = work, *Dref = DD + (size_t) L * L, *lw = Dref + L, *XD = lw + L,
           *Vd = XD + (size_t) p * L, *T = Vd + (size_t) L * L, *cw = T + (size_t) p * L,
           *kw = cw + (size_t) L * L + 5 * (size_t) L, *winv = kw + (size_t) L * L;
    int *kept = iwork, *cols = kept + L, *touched = cols + L, *run = touched + L;
    int off[EXR_WLS_MAXQ];
    off[1] = 0;
    for (int q = 2; q < Q; q++) off[q] = off[q - 1] + P->G[q - 1];

    /* the runs of rows of each group of the first factor (rows are grouped
     * by it), and their inverse weight sums */
    int nrun = 0;
    for (R_xlen_t r = 0; r < m; r++) {
        if (r == 0 || g0[r] != g0[r - 1]) {
            run[nrun] = (int) r;
            winv[nrun] = 0.0;
            nrun++;
        }
        winv[nrun - 1] += w[r];
    }
    run[nrun] = (int) m;
    for (int u = 0; u < nrun; u++) winv[u] = 1.0 / winv[u];

    /* absorb the first factor exactly */
    for (int j = 0; j < p; j++) {
        const double *z = Zg + (R_xlen_t) j * m;
        double *xc = Xc + (R_xlen_t) j * m;
        for (int u = 0; u < nrun; u++) {
            double s = 0.0;
            for (int k = run[u]; k < run[u + 1]; k++) s += w[k] * z[k];
            const double mu = s * winv[u];
            for (int k = run[u]; k < run[u + 1]; k++) xc[k] = z[k] - mu;
        }
    }

    /* D'W D less the first factor's projection, group by group; D'W Xc */
    memset(DD, 0, (size_t) L * L * sizeof(double));
    memset(lw, 0, (size_t) L * sizeof(double));
    memset(XD, 0, (size_t) p * L * sizeof(double));
    for (int u = 0; u < nrun; u++) {
        int nt = 0;
        for (int r1 = run[u]; r1 < run[u + 1]; r1++) {
            const double wr = w[r1];
            for (int q = 1; q < Q; q++) {
                int a = off[q] + gq[q][r1];
                if (lw[a] == 0.0) touched[nt++] = a;
                lw[a] += wr;
                for (int q2 = 1; q2 < Q; q2++) DD[a + (R_xlen_t) (off[q2] + gq[q2][r1]) * L] += wr;
            }
        }
        for (int i = 0; i < nt; i++) {
            const double fa = lw[touched[i]] * winv[u];
            for (int k = 0; k < nt; k++) DD[touched[i] + (R_xlen_t) touched[k] * L] -= fa * lw[touched[k]];
        }
        for (int i = 0; i < nt; i++) lw[touched[i]] = 0.0;
    }
    for (int a = 0; a < L; a++) Dref[a] = 0.0;
    for (R_xlen_t k = 0; k < m; k++)
        for (int q = 1; q < Q; q++) Dref[off[q] + gq[q][k]] += w[k];
    for (int j = 0; j < p; j++) {
        const double *xc = Xc + (R_xlen_t) j * m;
        for (R_xlen_t k = 0; k < m; k++) {
            const double v = w[k] * xc[k];
            for (int q = 1; q < Q; q++) XD[j + (R_xlen_t) (off[q] + gq[q][k]) * p] += v;
        }
    }

    /* the dummies that are not absorbed, and (Dc'W Dc)^{-1} over them */
    int nk = exr_keep_in_order(DD, L, Dref, P->coll_tol, kept, cols, kw);
    if (nk > 0) {
        int info = exr_ls_chol(DD, NULL, L, cols, nk, NULL, Vd, cw, kept);
        if (info != 0) return EXR_LS_ILLCOND;
    }

    /* Xc'W Xc by sqrt(w) scaling, then less (Xc'W D) V (D'W Xc) */
    for (R_xlen_t k = 0; k < m; k++) {
        const double sw = sqrt(w[k]);
        for (int j = 0; j < p; j++) Xc[k + (R_xlen_t) j * m] *= sw;
    }
    exr_crossprod(Xc, NULL, NULL, (int) m, p, XtX, NULL);
    if (nk > 0) {
        /* T (p x nk) = XD[, cols] V */
        for (int c = 0; c < nk; c++)
            for (int j = 0; j < p; j++) {
                double s = 0.0;
                for (int a = 0; a < nk; a++) s += XD[j + (R_xlen_t) cols[a] * p] * Vd[a + (R_xlen_t) c * nk];
                T[j + (R_xlen_t) c * p] = s;
            }
        for (int i = 0; i < p; i++)
            for (int j = 0; j <= i; j++) {
                double s = 0.0;
                for (int c = 0; c < nk; c++) s += T[i + (R_xlen_t) c * p] * XD[j + (R_xlen_t) cols[c] * p];
                XtX[i + (R_xlen_t) j * p] -= s;
                if (j != i) XtX[j + (R_xlen_t) i * p] = XtX[i + (R_xlen_t) j * p];
            }
    }
    return 0;
}

/* Solve every equation from the cross-product XtX (p x p) of the transformed
 * columns; R (m x p, sqrt(w)-scaled transformed columns) for the QR fallback,
 * or NULL (then an ill-conditioned system returns EXR_LS_ILLCOND). */
static int wls_solve(const exr_wls_problem *P, const double *XtX, const double *ref, const double *R,
                     R_xlen_t m, double *coef, double *S, double *V, double *kw, double *cw,
                     double *bk, double *rsub, double *xty, double *qw, int *kept, int *cols,
                     int *xcols)
{
    const int p = P->p;
    int status = 0;
    for (int e = 0; e < P->neq; e++) {
        const int yc = P->eq_y[e], k = P->eq_k[e];
        const int *xc = P->eq_x + P->eq_start[e];
        double *ce = coef + P->eq_start[e];
        for (int a = 0; a < k; a++) ce[a] = NA_REAL;
        if (k == 0) continue;
        for (int a = 0; a < k; a++) {
            for (int c = 0; c < k; c++) S[a + (R_xlen_t) c * k] = XtX[xc[a] + (R_xlen_t) xc[c] * p];
            rsub[a] = ref[xc[a]];
            xty[a] = XtX[xc[a] + (R_xlen_t) yc * p];
            xcols[a] = xc[a];
        }
        int kk = exr_keep_in_order(S, k, rsub, P->coll_tol, kept, cols, kw);
        if (kk < k || m <= k) {
            status = EXR_WLS_COLLINEAR;
            continue;
        }
        int info = exr_ls_chol(S, xty, k, cols, k, bk, V, cw, kept);
        if (info == EXR_LS_ILLCOND) {
            if (!R) return EXR_LS_ILLCOND;
            info = exr_ls_qr(R, R + (R_xlen_t) yc * m, NULL, (int) m, xcols, k, bk, V, qw, kept);
        }
        if (info < 0) return info;
        if (info != 0) {
            status = EXR_WLS_COLLINEAR;
            continue;
        }
        for (int a = 0; a < k; a++) ce[a] = bk[a];
    }
    return status;
}

/*
 * Kernel: the coefficients of P's equations for the unit weights v (one per
 * unit; row i has weight base_i * v[unit_i]).
 *   coef   output, P->ncoef: the equations' coefficients one after another
 *          (NA for an equation whose regressors are collinear in this draw)
 *   iters  output: total number of demeaning sweeps (0 on the exact path;
 *          negative: some column did not converge in maxit sweeps)
 *   dwork, iwork: exr_wls_work_size() doubles and ints.
 * Two ways to the within transformation: when P->small_L > 0 (every factor
 * but the first has few levels; rows grouped by the first), the exact
 * partitioned solution wls_xtx_small(); otherwise, or when that is
 * ill-conditioned, each column is demeaned by exr_demean_column(),
 * warm-started from its full-sample iterate P->warm.
 * Returns 0; EXR_WLS_COLLINEAR when some equation could not be solved;
 * EXR_WLS_EMPTY when no row has positive weight; a negative code
 * (exr_ls_routine()) when LAPACK fails. Pure: no R API.
 */
int exr_wls_draw(const exr_wls_problem *P, const double *v, double *coef, int *iters,
                 double *dwork, int *iwork)
{
    const R_xlen_t n = P->n;
    const int p = P->p, Q = P->Q, kmax = P->kmax;
    double *cur = dwork;
    double *Zg = cur; cur += (size_t) n * p;
    double *R = cur; cur += (size_t) n * p;
    double *wk = cur; cur += n;
    double *XtX = cur; cur += (size_t) p * p;
    double *ref = cur; cur += p;
    double *S = cur; cur += (size_t) kmax * kmax;
    double *V = cur; cur += (size_t) kmax * kmax;
    double *kw = cur; cur += (size_t) kmax * kmax;
    double *cw = cur; cur += (size_t) kmax * kmax + 5 * (size_t) kmax;
    double *bk = cur; cur += kmax;
    double *rsub = cur; cur += kmax;
    double *xty = cur; cur += kmax;
    double *qw = cur; cur += P->qr_size;
    double *fe_mem = cur; cur += Q > 0 ? (size_t) P->total_G + P->fe_work_size : 0;
    double *small_mem = cur;
    int *kept = iwork, *cols = kept + kmax, *xcols = cols + kmax, *rows = xcols + kmax;
    int *gcodes = rows + n, *small_iw = gcodes + (size_t) Q * n;

    for (int c = 0; c < P->ncoef; c++) coef[c] = NA_REAL;
    *iters = 0;

    /* rows with positive weight, and their weights */
    R_xlen_t m = 0;
    for (R_xlen_t i = 0; i < n; i++) {   /* branch-free: random 0/1 weights mispredict */
        double wi = v[P->unit[i]];
        if (P->w) wi *= P->w[i];
        rows[m] = (int) i;
        wk[m] = wi;
        m += wi > 0;
    }
    if (m == 0) return EXR_WLS_EMPTY;

    /* gather the columns and their weighted raw sums of squares (the
     * collinearity rule's reference, as in fe_reg), and the codes */
    for (int j = 0; j < p; j++) {
        const double *zj = P->Z + (R_xlen_t) j * n;
        double *gj = Zg + (R_xlen_t) j * m;
        double ss = 0.0;
        for (R_xlen_t r = 0; r < m; r++) {
            double z = zj[rows[r]];
            gj[r] = z;
            ss += wk[r] * z * z;
        }
        ref[j] = ss;
    }
    const int *gptr[EXR_WLS_MAXQ];
    for (int q = 0; q < Q; q++) {
        int *gq = gcodes + (R_xlen_t) q * m;
        const int *src = P->g[q];
        for (R_xlen_t r = 0; r < m; r++) gq[r] = src[rows[r]];
        gptr[q] = gq;
    }

    if (Q >= 2 && P->small_L > 0) {
        int info = wls_xtx_small(P, m, gptr, Zg, wk, R, XtX, small_mem, small_iw);
        if (info == 0) {
            info = wls_solve(P, XtX, ref, NULL, m, coef, S, V, kw, cw, bk, rsub, xty, qw, kept,
                             cols, xcols);
            if (info != EXR_LS_ILLCOND) return info;
        }
        /* ill-conditioned: the iterative path below, with its QR fallback */
    }

    /* demean every column, warm-started from its full-sample iterate */
    int total_it = 0, all_conv = 1;
    if (Q > 0) {
        exr_fe_layout L;
        double *swp[EXR_WLS_MAXQ];
        double *sw_mem = fe_mem;
        for (int q = 0; q < Q; q++) {
            swp[q] = sw_mem;
            sw_mem += P->G[q];
        }
        L.n = m;
        L.Q = Q;
        L.g = gptr;
        L.G = P->G;
        L.w = wk;
        exr_fe_layout_finish(&L, swp);
        exr_fe_work W;
        exr_fe_work_init(&L, &W, sw_mem);
        const R_xlen_t mr = L.ncoef_rest;
        for (int j = 0; j < p; j++) {
            int warm = 0;
            if (P->warm && mr > 0) {
                memcpy(W.x, P->warm + (R_xlen_t) j * mr, (size_t) mr * sizeof(double));
                warm = 1;
            }
            int it = exr_demean_column(&L, &W, Zg + (R_xlen_t) j * m, R + (R_xlen_t) j * m,
                                       P->tol, P->maxit, warm);
            if (it < 0) {
                all_conv = 0;
                it = -it;
            }
            total_it += it;
        }
    } else {
        memcpy(R, Zg, (size_t) m * p * sizeof(double));
    }
    *iters = all_conv ? total_it : -total_it;

    /* sqrt(w) scaling, then one cross-product for every equation */
    for (R_xlen_t r = 0; r < m; r++) wk[r] = sqrt(wk[r]);
    for (int j = 0; j < p; j++) {
        double *rj = R + (R_xlen_t) j * m;
        for (R_xlen_t r = 0; r < m; r++) rj[r] *= wk[r];
    }
    exr_crossprod(R, NULL, NULL, (int) m, p, XtX, NULL);
    return wls_solve(P, XtX, ref, R, m, coef, S, V, kw, cw, bk, rsub, xty, qw, kept, cols, xcols);
}

/* ---- entry points --------------------------------------------------------------- */

/* .Call entry: draw_cluster_counts(m, B): an m x B integer matrix of counts
 * (see resample_draw_counts). */
SEXP draw_cluster_counts(SEXP m_, SEXP B_)
{
    const int m = exr_scalar_int(m_, "m"), B = exr_scalar_int(B_, "B");
    if (m < 1) exr_raise("m", "expected at least one unit to resample.");
    if (B < 1) exr_raise("B", "expected at least one draw.");
    if ((double) m * B > 2e9) exr_raise("B", "too many draws for %d units.", m);
    SEXP out = PROTECT(allocMatrix(INTSXP, m, B));
    GetRNGstate();
    resample_draw_counts(m, B, INTEGER(out));
    PutRNGstate();
    UNPROTECT(1);
    return out;
}

/* .Call entry: draw_permutations(labels, strata, B): an m x B integer matrix,
 * each column a permutation of `labels` (integer, length m) within the strata
 * (integer codes 1..S, length m, or NULL). */
SEXP draw_permutations(SEXP labels, SEXP strata, SEXP B_)
{
    const int B = exr_scalar_int(B_, "B");
    if (TYPEOF(labels) != INTSXP) exr_raise("labels", "expected an integer vector.");
    const int m = (int) XLENGTH(labels);
    if (m < 1) exr_raise("labels", "expected at least one unit.");
    if (B < 1) exr_raise("B", "expected at least one draw.");
    if ((double) m * B > 2e9) exr_raise("B", "too many draws for %d units.", m);
    const int *st = NULL;
    int S = 1;
    int *st0 = NULL;
    if (!isNull(strata)) {
        const int *s = exr_int_arg(strata, m, "strata");
        st0 = (int *) R_alloc(m, sizeof(int));
        S = 0;
        for (int j = 0; j < m; j++) {
            if (s[j] == NA_INTEGER || s[j] < 1) exr_raise("strata", "codes must be positive integers.");
            st0[j] = s[j] - 1;
            if (s[j] > S) S = s[j];
        }
        st = st0;
    }
    SEXP out = PROTECT(allocMatrix(INTSXP, m, B));
    GetRNGstate();
    resample_draw_permutations(INTEGER(labels), m, st, S, B, INTEGER(out));
    PutRNGstate();
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: resample_fe_ls(Z, fe, weights, unit, draws, ngroups, eqs, ctrl, progress)
 *   Z        n x p double matrix: every variable of the equations, raw
 *   fe       list of Q >= 0 integer code vectors (1..G_q, length n)
 *   weights  base weights (length n, positive) or NULL
 *   unit     integer, length n: resampling unit of each row, 1..m
 *   draws    integer m x B matrix: counts (ngroups = 0: one weighted fit per
 *            column, weight = count) or group labels 1..K (ngroups = K >= 1:
 *            K fits per column, fit k with weight 1{label == k}; 0 = no group)
 *   eqs      integer vector: for each equation, the response column, the
 *            number k of regressors and their k columns (0-based)
 *   ctrl     double c(tol, maxit, cores, collinearity tol)
 *   progress 1 to draw a progress bar
 * Returns list(coef = D x ncoef matrix (D = B, or B * K with the K groups of a
 * draw consecutive), status = integer D (0 ok, 1 collinear, 2 empty),
 * iterations = integer D (sweeps; negative: not converged), warm_iterations =
 * sweeps of the full-sample demeaning that gives the warm starts).
 */
SEXP resample_fe_ls(SEXP Z, SEXP fe, SEXP weights, SEXP unit_, SEXP draws, SEXP ngroups_,
                    SEXP eqs, SEXP ctrl_, SEXP progress_)
{
    if (!isReal(Z) || !isMatrix(Z)) exr_raise("Z", "expected a double matrix.");
    const R_xlen_t n = nrows(Z);
    const int p = ncols(Z);
    if (n < 1 || p < 1) exr_raise("Z", "expected at least one row and one column.");
    if (n > INT_MAX / 2) exr_raise("Z", "too many rows.");
    const double *ctrl = exr_real_arg(ctrl_, 5, "ctrl");
    const double tol = ctrl[0], ctol = ctrl[3], small_max = ctrl[4];
    const int maxit = (int) ctrl[1];
    const int nth = exr_threads((int) ctrl[2]);
    if (!(tol > 0) || maxit < 1 || !(ctol > 0) || !(small_max >= 0)) {
        exr_raise("ctrl", "expected positive tolerances and maxit.");
    }
    const int K = exr_scalar_int(ngroups_, "ngroups");
    if (K < 0) exr_raise("ngroups", "expected a non-negative integer.");
    const int prog = exr_scalar_int(progress_, "progress");
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    if (w) {
        for (R_xlen_t i = 0; i < n; i++)
            if (!(w[i] > 0) || !R_FINITE(w[i])) exr_raise("weights", "must be positive and finite.");
    }
    const double *z = REAL(Z);
    for (R_xlen_t i = 0; i < n * p; i++)
        if (!R_FINITE(z[i])) exr_raise("Z", "must be finite.");

    /* units and draws */
    const int *unit1 = exr_int_arg(unit_, n, "unit");
    if (TYPEOF(draws) != INTSXP || !isMatrix(draws)) exr_raise("draws", "expected an integer matrix.");
    const int m = nrows(draws), B = ncols(draws);
    if (m < 1 || B < 1) exr_raise("draws", "expected at least one unit and one draw.");
    int *unit = (int *) R_alloc(n, sizeof(int));
    for (R_xlen_t i = 0; i < n; i++) {
        if (unit1[i] == NA_INTEGER || unit1[i] < 1 || unit1[i] > m)
            exr_raise("unit", "codes must be integers between 1 and nrow(draws).");
        unit[i] = unit1[i] - 1;
    }
    const int *dr = INTEGER(draws);
    for (R_xlen_t t = 0; t < (R_xlen_t) m * B; t++) {
        if (dr[t] == NA_INTEGER || dr[t] < 0 || (K > 0 && dr[t] > K))
            exr_raise("draws", "expected non-negative counts, or labels between 0 and ngroups.");
    }
    if (K > 0 && (double) B * K > INT_MAX) exr_raise("draws", "too many fits.");
    const int D = K > 0 ? B * K : B;

    /* fixed effects */
    if (TYPEOF(fe) != VECSXP) exr_raise("fe", "expected a list of integer codes.");
    const int Q = (int) XLENGTH(fe);
    if (Q > EXR_WLS_MAXQ) exr_raise("fe", "at most %d fixed effects.", EXR_WLS_MAXQ);
    const int **g = (const int **) R_alloc(Q > 0 ? Q : 1, sizeof(int *));
    int *G = (int *) R_alloc(Q > 0 ? Q : 1, sizeof(int));
    R_xlen_t total_G = 0;
    for (int q = 0; q < Q; q++) {
        const int *codes = exr_int_arg(VECTOR_ELT(fe, q), n, "fe[[q]]");
        int *g0 = (int *) R_alloc(n, sizeof(int));
        int Gq = 0;
        for (R_xlen_t i = 0; i < n; i++) {
            if (codes[i] == NA_INTEGER || codes[i] < 1) exr_raise("fe", "codes must be positive integers.");
            if (codes[i] > Gq) Gq = codes[i];
            g0[i] = codes[i] - 1;
        }
        g[q] = g0;
        G[q] = Gq;
        total_G += Gq;
    }

    /* equations */
    if (TYPEOF(eqs) != INTSXP) exr_raise("eqs", "expected an integer vector.");
    const int *ev = INTEGER(eqs);
    const int ne_len = (int) XLENGTH(eqs);
    int neq = 0, pos = 0, ncoef = 0, kmax = 0;
    while (pos < ne_len) {
        if (pos + 1 >= ne_len) exr_raise("eqs", "is truncated.");
        int yc = ev[pos], k = ev[pos + 1];
        if (yc < 0 || yc >= p || k < 0 || k > p || pos + 2 + k > ne_len)
            exr_raise("eqs", "has an invalid equation.");
        for (int a = 0; a < k; a++)
            if (ev[pos + 2 + a] < 0 || ev[pos + 2 + a] >= p) exr_raise("eqs", "has an invalid column.");
        neq++;
        ncoef += k;
        if (k > kmax) kmax = k;
        pos += 2 + k;
    }
    if (neq == 0) exr_raise("eqs", "expected at least one equation.");
    int *eq_y = (int *) R_alloc(neq, sizeof(int));
    int *eq_k = (int *) R_alloc(neq, sizeof(int));
    int *eq_start = (int *) R_alloc(neq, sizeof(int));
    int *eq_x = (int *) R_alloc(ncoef > 0 ? ncoef : 1, sizeof(int));
    pos = 0;
    for (int e = 0, o = 0; e < neq; e++) {
        eq_y[e] = ev[pos];
        eq_k[e] = ev[pos + 1];
        eq_start[e] = o;
        for (int a = 0; a < eq_k[e]; a++) eq_x[o++] = ev[pos + 2 + a];
        pos += 2 + eq_k[e];
    }

    /* the largest factor first; when the others have few levels in all, the
     * exact path, with rows grouped by the first factor (a stable counting sort) */
    int small_L = 0;
    const double *zz = z, *ww = w;
    const int *uu = unit;
    if (Q >= 2) {
        int first = 0;
        for (int q = 1; q < Q; q++) if (G[q] > G[first]) first = q;
        if (first != 0) {
            const int *tg = g[0]; g[0] = g[first]; g[first] = tg;
            int tG = G[0]; G[0] = G[first]; G[first] = tG;
        }
        if ((double) (total_G - G[0]) <= small_max) {
            small_L = (int) (total_G - G[0]);
            int *pos = (int *) R_alloc((size_t) G[0] + 1, sizeof(int));
            memset(pos, 0, ((size_t) G[0] + 1) * sizeof(int));
            for (R_xlen_t i = 0; i < n; i++) pos[g[0][i] + 1]++;
            for (int k = 0; k < G[0]; k++) pos[k + 1] += pos[k];
            int *ord = (int *) R_alloc(n, sizeof(int));
            for (R_xlen_t i = 0; i < n; i++) ord[pos[g[0][i]]++] = (int) i;
            double *z2 = (double *) R_alloc((size_t) n * p, sizeof(double));
            for (int j = 0; j < p; j++)
                for (R_xlen_t i = 0; i < n; i++) z2[i + (R_xlen_t) j * n] = z[ord[i] + (R_xlen_t) j * n];
            zz = z2;
            int *u2 = (int *) R_alloc(n, sizeof(int));
            for (R_xlen_t i = 0; i < n; i++) u2[i] = unit[ord[i]];
            uu = u2;
            if (w) {
                double *w2 = (double *) R_alloc(n, sizeof(double));
                for (R_xlen_t i = 0; i < n; i++) w2[i] = w[ord[i]];
                ww = w2;
            }
            for (int q = 0; q < Q; q++) {
                int *gq = (int *) R_alloc(n, sizeof(int));
                for (R_xlen_t i = 0; i < n; i++) gq[i] = g[q][ord[i]];
                g[q] = gq;
            }
        }
    }

    exr_wls_problem P;
    P.n = n; P.p = p; P.Z = zz; P.w = ww; P.unit = uu; P.small_L = small_L;
    P.Q = Q; P.g = g; P.G = G; P.total_G = total_G; P.warm = NULL;
    P.neq = neq; P.eq_y = eq_y; P.eq_k = eq_k; P.eq_start = eq_start; P.eq_x = eq_x;
    P.ncoef = ncoef; P.kmax = kmax; P.tol = tol; P.maxit = maxit; P.coll_tol = ctol;
    P.qr_size = exr_ls_qr_work_size((int) n, kmax > 0 ? kmax : 1);
    P.fe_work_size = 0;
    if (Q > 0) {
        exr_fe_layout L0;
        int maxG = 1;
        for (int q = 0; q < Q; q++) if (G[q] > maxG) maxG = G[q];
        L0.Q = Q; L0.G = G; L0.total_G = total_G; L0.ncoef_rest = total_G - G[0]; L0.maxG = maxG;
        P.fe_work_size = exr_fe_work_size(&L0);
    }

    size_t nd = 0, ni = 0;
    exr_wls_work_size(&P, &nd, &ni);
    double **dw = (double **) R_alloc(nth, sizeof(double *));
    int **iw = (int **) R_alloc(nth, sizeof(int *));
    for (int t = 0; t < nth; t++) {
        dw[t] = (double *) R_alloc(nd, sizeof(double));
        iw[t] = (int *) R_alloc(ni > 0 ? ni : 1, sizeof(int));
    }

    /* warm starts: each column's converged full-sample iterate (base weights) */
    int warm_it = 0;
    if (Q > 1) {
        exr_fe_layout L;
        double **sw = (double **) R_alloc(Q, sizeof(double *));
        for (int q = 0; q < Q; q++) sw[q] = (double *) R_alloc(G[q], sizeof(double));
        L.n = n; L.Q = Q; L.g = g; L.G = G; L.w = ww;
        exr_fe_layout_finish(&L, sw);
        const R_xlen_t mr = L.ncoef_rest;
        double *warm = (double *) R_alloc((size_t) p * mr, sizeof(double));
        double *dst = (double *) R_alloc((size_t) n * p, sizeof(double));
        const double **src = (const double **) R_alloc(p, sizeof(double *));
        double **dsts = (double **) R_alloc(p, sizeof(double *));
        int *its = (int *) R_alloc(p, sizeof(int));
        for (int j = 0; j < p; j++) {
            src[j] = zz + (R_xlen_t) j * n;
            dsts[j] = dst + (R_xlen_t) j * n;
        }
        /* demean the p columns (in parallel), keeping each final iterate */
        size_t ws = exr_fe_work_size(&L);
        double *wmem = (double *) R_alloc(ws * p, sizeof(double));
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic)
#endif
        for (int j = 0; j < p; j++) {
            exr_fe_work W;
            exr_fe_work_init(&L, &W, wmem + ws * j);
            its[j] = exr_demean_column(&L, &W, src[j], dsts[j], tol, maxit, 0);
            memcpy(warm + (R_xlen_t) j * mr, W.x, (size_t) mr * sizeof(double));
        }
        for (int j = 0; j < p; j++) warm_it += its[j] < 0 ? -its[j] : its[j];
        P.warm = warm;
    }

    const char *nm[4] = {"coef", "status", "iterations", "warm_iterations"};
    int nprot = 0;
    SEXP out = PROTECT(exr_named_list(4, nm)); nprot++;
    SEXP coefm = allocMatrix(REALSXP, D, ncoef > 0 ? ncoef : 0);
    SET_VECTOR_ELT(out, 0, coefm);
    SEXP stat = allocVector(INTSXP, D); SET_VECTOR_ELT(out, 1, stat);
    SEXP itv = allocVector(INTSXP, D); SET_VECTOR_ELT(out, 2, itv);
    SET_VECTOR_ELT(out, 3, ScalarInteger(warm_it));
    double *cm = REAL(coefm);
    int *st = INTEGER(stat), *itp = INTEGER(itv);

    /* per-thread unit weights and coefficient buffers */
    double **vbuf = (double **) R_alloc(nth, sizeof(double *));
    double **cbuf = (double **) R_alloc(nth, sizeof(double *));
    for (int t = 0; t < nth; t++) {
        vbuf[t] = (double *) R_alloc(m, sizeof(double));
        cbuf[t] = (double *) R_alloc(ncoef > 0 ? ncoef : 1, sizeof(double));
    }
    int failed = 0;   /* a LAPACK failure code, reported after the region */

    /* chunks of draws between interrupt checks and progress updates */
    int chunk = D / 50;
    if (chunk < 4 * nth) chunk = 4 * nth;
    if (prog) exr_progress_bar(0, D);
    for (int d0 = 0; d0 < D; d0 += chunk) {
        int d1 = d0 + chunk < D ? d0 + chunk : D;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic)
#endif
        for (int d = d0; d < d1; d++) {
            int t = 0;
#ifdef _OPENMP
            t = omp_get_thread_num();
#endif
            double *v = vbuf[t];
            int b = K > 0 ? d / K : d;
            const int *col = dr + (R_xlen_t) b * m;
            if (K > 0) {
                int k = d % K + 1;
                for (int j = 0; j < m; j++) v[j] = col[j] == k ? 1.0 : 0.0;
            } else {
                for (int j = 0; j < m; j++) v[j] = (double) col[j];
            }
            int it = 0;
            int info = exr_wls_draw(&P, v, cbuf[t], &it, dw[t], iw[t]);
            if (info < 0) {
#ifdef _OPENMP
#pragma omp critical
#endif
                failed = info;
            }
            st[d] = info < 0 ? EXR_WLS_COLLINEAR : info;
            itp[d] = it;
            for (int c = 0; c < ncoef; c++) cm[d + (R_xlen_t) c * D] = cbuf[t][c];
        }
        if (prog) exr_progress_bar(d1, D);
        R_CheckUserInterrupt();
    }
    if (failed < 0) {
        error("error code %d from LAPACK routine '%s'", (-failed) % 1000, exr_ls_routine(failed));
    }
    UNPROTECT(nprot);
    return out;
}
