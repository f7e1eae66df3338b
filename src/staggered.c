/*
 * Staggered adoption: the group-time average treatment effects of Callaway and
 * Sant'Anna (2021) and their multiplier bootstrap.
 *
 * ATT(g, t) is a two-group, two-period DiD on a balanced panel: units first
 * treated in g (D = 1) against a comparison group (never treated, or not yet
 * treated by t), outcome change dy = Y_t - Y_base, covariates X at the earlier
 * of the two periods. Three estimators, each with its influence function,
 * exactly as Sant'Anna and Zhao (2020) define them and as DRDID implements them
 * (drdid_panel, std_ipw_did_panel, reg_did_panel; weights normalised to mean 1
 * within the comparison):
 *
 *  - "dr": the locally efficient doubly robust estimator, eq. (3.1) of
 *    Sant'Anna-Zhao: a logit propensity score p(X) for D (the package's logit
 *    kernel, exr_binary_fit), a least-squares outcome regression of dy on X
 *    among the comparison units (exr_ls_chol / exr_ls_qr), and
 *      ATT = E_w1[dy - m(X)] - E_w0[dy - m(X)],
 *      w1 = D, w0 = p(X) (1 - D) / (1 - p(X)),
 *    both expectations normalised by the weights' means; the influence
 *    function carries the estimation effects of the logit and of the
 *    regression (their asymptotic linear representations times the
 *    derivatives M1, M2, M3);
 *  - "ipw": the normalised (Hajek) inverse probability weighting estimator;
 *  - "reg": the outcome regression estimator.
 * As DRDID does, propensity scores are capped at 1 - 1e-6 and comparison units
 * with p >= 0.995 get weight zero (trimming), and a comparison whose largest
 * fitted propensity is >= 0.999 is reported as an overlap failure (did returns
 * NA for that cell).
 *
 * Multiplier bootstrap (Callaway-Sant'Anna, Section 4): draws of
 * sqrt(m) * (1/m) sum_i V_ib psi_i with Rademacher V (psi: the m rows of the
 * influence functions, units or cluster sums). All signs are drawn first from
 * R's RNG in the main thread (16 per unif_rand); the sums are then computed
 * eight units at a time from a table of the 256 signed sums of their rows (the
 * "four Russians" trick: n/8 table look-ups per draw and parameter instead of
 * n multiply-adds), in parallel over draws, so the draws do not depend on
 * `cores`.
 */
#include "exportres.h"
#include <float.h>

#define DID_DR 0
#define DID_IPW 1
#define DID_REG 2

/* Doubles of workspace exr_did_panel needs for n units and k covariates. */
size_t exr_did_work_size(int n, int k)
{
    size_t bw = exr_binary_work_size(n, k);
    size_t qw = exr_ls_qr_work_size(n, k) + (size_t) k * k + 8 * (size_t) k;
    return 8 * (size_t) n + 6 * (size_t) k * k + 8 * (size_t) k + (bw > qw ? bw : qw) + 64;
}

/* (X'WX)^{-1} into V (k x k) and, when y is given, the weighted least-squares
 * coefficients b: Cholesky of the normal equations, pivoted QR when they are
 * ill-conditioned (the package's least-squares kernels). Returns nonzero when
 * X'WX is singular (a column collinear with earlier ones among the rows with
 * positive weight). work: exr_ls_qr_work_size(n, k) + k*k + 8k doubles;
 * iwork: 3k ints. */
static int did_wls(const double *X, const double *y, const double *w, int n, int k, double *b,
                   double *V, double *work, int *iwork)
{
    double *XtX = work, *Xty = XtX + (size_t) k * k, *bb = Xty + k, *rest = bb + k;
    if (!b) b = bb;
    int *cols = iwork, *kept = iwork + k, *iw = iwork + 2 * k;
    exr_crossprod(X, y, w, n, k, XtX, y ? Xty : NULL);
    if (exr_keep_in_order(XtX, k, NULL, 1e-10, kept, cols, rest) < k) return 1;
    int info = exr_ls_chol(XtX, y ? Xty : NULL, k, cols, k, y ? b : NULL, V, rest, iw);
    if (info == EXR_LS_ILLCOND) info = exr_ls_qr(X, y, w, n, cols, k, b, V, rest, iw);
    return info != 0;
}

/* a = s * V m (k x k times k), then the per-unit projections x_i' a into proj. */
static void did_project(const double *X, int n, int k, const double *V, const double *m,
                        double s, double *a, double *proj)
{
    for (int r = 0; r < k; r++) {
        double t = 0.0;
        for (int c = 0; c < k; c++) t += V[r + (R_xlen_t) c * k] * m[c];
        a[r] = s * t;
    }
    for (int i = 0; i < n; i++) proj[i] = 0.0;
    for (int c = 0; c < k; c++) {
        const double *xc = X + (R_xlen_t) c * n;
        for (int i = 0; i < n; i++) proj[i] += xc[i] * a[c];
    }
}

/* m = (1/n) sum_i f_i x_i */
static void did_colmean(const double *X, int n, int k, const double *f, double *m)
{
    for (int c = 0; c < k; c++) {
        const double *xc = X + (R_xlen_t) c * n;
        double t = 0.0;
        for (int i = 0; i < n; i++) t += f[i] * xc[i];
        m[c] = t / n;
    }
}

/*
 * Kernel: one 2x2 DiD on panel data. dy (n) outcome changes, D (n) 0/1 group,
 * X (n x k, column-major, with the intercept column), w (n) sampling weights or
 * NULL, method DID_DR / DID_IPW / DID_REG; bps_in NULL, or the propensity
 * score's logit coefficients (k) when already fitted on exactly these units and
 * covariates (cells sharing a comparison and a base period). Writes *att and inf (n), the
 * influence function (DRDID's att.inf.func: the estimate minus its limit is
 * the mean of inf). Returns 0, or 1 (overlap failure: largest propensity >=
 * 0.999), 2 (comparison-group regression singular), 3 (propensity score model
 * singular), 4 (no treated or no comparison unit). *maxit_hit is set when the
 * logit did not converge.
 * work: exr_did_work_size(n, k) doubles; iwork: 4 k + 4 ints. Pure: no R API.
 */
int exr_did_panel(const double *dy, const double *D, const double *X, const double *w, int n,
                  int k, int method, const double *bps_in, double *att, double *inf,
                  int *maxit_hit, double *work, int *iwork)
{
    double *wn = work;                  /* n: weights normalised to mean 1 */
    double *ps = wn + n;                /* n: propensity scores, capped */
    double *e = ps + n;                 /* n: dy - m(X) */
    double *wt = e + n;                 /* n: treated weights */
    double *wc = wt + n;                /* n: comparison weights */
    double *wo = wc + n;                /* n: regression weights wn (1 - D) */
    double *p1 = wo + n;                /* n: projections */
    double *p2 = p1 + n;                /* n */
    double *beta = p2 + n;              /* k */
    double *Vor = beta + k;             /* k*k: (X' diag(wo) X)^{-1} */
    double *Vps = Vor + (size_t) k * k; /* k*k: (X' diag(p(1-p) wn) X)^{-1} */
    double *Io = Vps + (size_t) k * k;  /* k*k */
    double *Ie = Io + (size_t) k * k;   /* k*k */
    double *bps = Ie + (size_t) k * k;  /* k */
    double *M = bps + k;                /* k */
    double *a = M + k;                  /* k */
    double *scratch = a + k;            /* the rest: logit or least-squares workspace */
    const double dn = (double) n;

    *att = NA_REAL;
    *maxit_hit = 0;
    int n1 = 0;
    double sw = 0.0;
    for (int i = 0; i < n; i++) {
        n1 += D[i] > 0.5;
        sw += w ? w[i] : 1.0;
    }
    if (n1 == 0 || n1 == n || !(sw > 0)) return 4;
    const double mw = sw / dn;
    for (int i = 0; i < n; i++) {
        wn[i] = (w ? w[i] : 1.0) / mw;
        wo[i] = wn[i] * (1.0 - D[i]);
    }

    /* propensity score (dr, ipw): logit of D on X, capped at 1 - 1e-6; the
     * comparison units with p >= 0.995 are trimmed */
    if (method != DID_REG) {
        if (bps_in) {
            for (int i = 0; i < n; i++) p1[i] = 0.0;
            for (int c = 0; c < k; c++) {
                const double *xc = X + (R_xlen_t) c * n;
                for (int i = 0; i < n; i++) p1[i] += xc[i] * bps_in[c];
            }
        } else {
            memset(bps, 0, (size_t) k * sizeof(double));
            double ll = 0.0;
            int iter = 0;
            int st = exr_binary_fit(X, D, wn, n, k, 1, bps, &ll, Io, Ie, p1, 100, 1e-20, &iter,
                                    scratch, iwork);
            if (st == EXR_BIN_SINGULAR) return 3;
            if (st == EXR_BIN_MAXIT) *maxit_hit = 1;
        }
        double pmax = 0.0;
        for (int i = 0; i < n; i++) {
            double eta = p1[i];
            double p = eta > 0 ? 1.0 / (1.0 + exp(-eta)) : exp(eta) / (1.0 + exp(eta));
            if (p > pmax) pmax = p;
            ps[i] = p < 1.0 - 1e-6 ? p : 1.0 - 1e-6;
        }
        if (pmax >= 0.999) return 1;
        for (int i = 0; i < n; i++) p2[i] = ps[i] * (1.0 - ps[i]) * wn[i];
        if (did_wls(X, NULL, p2, n, k, NULL, Vps, scratch, iwork)) return 3;
        for (int i = 0; i < n; i++) {
            int trim = D[i] > 0.5 ? 1 : ps[i] < 0.995;
            wt[i] = trim * wn[i] * D[i];
            wc[i] = trim * wn[i] * ps[i] * (1.0 - D[i]) / (1.0 - ps[i]);
        }
    } else {
        for (int i = 0; i < n; i++) wt[i] = wc[i] = wn[i] * D[i];
    }

    /* outcome regression among the comparison units (dr, reg) */
    if (method != DID_IPW) {
        if (did_wls(X, dy, wo, n, k, beta, Vor, scratch, iwork)) return 2;
        for (int i = 0; i < n; i++) e[i] = dy[i];
        for (int c = 0; c < k; c++) {
            const double *xc = X + (R_xlen_t) c * n;
            for (int i = 0; i < n; i++) e[i] -= xc[i] * beta[c];
        }
    }

    double mwt = 0.0, mwc = 0.0;
    for (int i = 0; i < n; i++) {
        mwt += wt[i];
        mwc += wc[i];
    }
    mwt /= dn;
    mwc /= dn;
    if (!(mwt > 0) || !(mwc > 0)) return 4;

    if (method == DID_DR) {
        double st = 0.0, sc = 0.0;
        for (int i = 0; i < n; i++) {
            st += wt[i] * e[i];
            sc += wc[i] * e[i];
        }
        const double eta_t = st / dn / mwt, eta_c = sc / dn / mwc;
        *att = eta_t - eta_c;
        /* treated part: leading term minus the regression's estimation effect */
        did_colmean(X, n, k, wt, M);
        did_project(X, n, k, Vor, M, dn, a, p1);
        for (int i = 0; i < n; i++)
            inf[i] = (wt[i] * e[i] - wt[i] * eta_t - wo[i] * e[i] * p1[i]) / mwt;
        /* comparison part: leading term, the logit's and the regression's effects */
        for (int i = 0; i < n; i++) p2[i] = wc[i] * (e[i] - eta_c);
        did_colmean(X, n, k, p2, M);
        did_project(X, n, k, Vps, M, dn, a, p1);
        for (int i = 0; i < n; i++) p2[i] = wn[i] * (D[i] - ps[i]) * p1[i];
        did_colmean(X, n, k, wc, M);
        did_project(X, n, k, Vor, M, dn, a, p1);
        for (int i = 0; i < n; i++)
            inf[i] -= (wc[i] * e[i] - wc[i] * eta_c + p2[i] - wo[i] * e[i] * p1[i]) / mwc;
    } else if (method == DID_IPW) {
        double st = 0.0, sc = 0.0;
        for (int i = 0; i < n; i++) {
            st += wt[i] * dy[i];
            sc += wc[i] * dy[i];
        }
        const double eta_t = st / dn / mwt, eta_c = sc / dn / mwc;
        *att = eta_t - eta_c;
        for (int i = 0; i < n; i++) p2[i] = wc[i] * (dy[i] - eta_c);
        did_colmean(X, n, k, p2, M);
        did_project(X, n, k, Vps, M, dn, a, p1);
        for (int i = 0; i < n; i++)
            inf[i] = (wt[i] * dy[i] - wt[i] * eta_t) / mwt -
                     (wc[i] * dy[i] - wc[i] * eta_c + wn[i] * (D[i] - ps[i]) * p1[i]) / mwc;
    } else {
        double st = 0.0, sc = 0.0;
        for (int i = 0; i < n; i++) {
            st += wt[i] * dy[i];
            sc += wc[i] * (dy[i] - e[i]);
        }
        const double eta_t = st / dn / mwt, eta_c = sc / dn / mwc;
        *att = eta_t - eta_c;
        did_colmean(X, n, k, wc, M);
        did_project(X, n, k, Vor, M, dn, a, p1);
        for (int i = 0; i < n; i++)
            inf[i] = (wt[i] * dy[i] - wt[i] * eta_t) / mwt -
                     (wc[i] * (dy[i] - e[i]) - wc[i] * eta_c + wo[i] * e[i] * p1[i]) / mwc;
    }
    return 0;
}

/* The units of a cell: treated (G == g) and comparison (never treated, or
 * adopting after the cutoff and not in g), in unit order, into idx; fills D,
 * the weights (if w), the covariates of period tx (n x k each period, or the
 * intercept) and, if dy, the outcome changes between periods te and tb.
 * Returns the number of units; *mt the number treated. */
static int did_cell_units(int n, int k, const double *G, const double *w, const double *y,
                          const double *x, double g, double cut, int te, int tb, int tx,
                          int *idx, int *mt, double *dy, double *D, double *ww, double *Xs)
{
    int m = 0, t1 = 0;
    for (int i = 0; i < n; i++) {
        if (G[i] == g) { idx[m++] = i; t1++; }
        else if (G[i] == R_PosInf || (G[i] > cut && G[i] != g)) idx[m++] = i;
    }
    *mt = t1;
    for (int j = 0; j < m; j++) {
        int i = idx[j];
        if (dy) dy[j] = y[i + (R_xlen_t) te * n] - y[i + (R_xlen_t) tb * n];
        D[j] = G[i] == g ? 1.0 : 0.0;
        if (w) ww[j] = w[i];
    }
    if (x) {
        const double *xt = x + (R_xlen_t) tx * n * k;
        for (int c = 0; c < k; c++)
            for (int j = 0; j < m; j++) Xs[j + (R_xlen_t) c * m] = xt[idx[j] + (R_xlen_t) c * n];
    } else {
        for (int j = 0; j < m; j++) Xs[j] = 1.0;
    }
    return m;
}

/*
 * .Call entry: attgt_cells(Y, X, w, G, cells, method, cores, jobs)
 *   Y      n x T double matrix: the outcome of each unit (rows) in each period
 *   X      NULL (intercept only) or an n x (k T) double matrix: the k covariate
 *          columns (intercept first) of period 1, then of period 2, ...
 *   w      NULL or n unit weights
 *   G      n doubles: each unit's adoption period (Inf: never treated)
 *   cells  K x 5 double matrix, one row per (g, t) cell: g; the period index
 *          (1-based) of t and of the base period; the period whose covariates
 *          are used; the comparison cutoff c (comparison units: G = Inf, or
 *          G > c and G != g; c = Inf for never-treated comparisons)
 *   method 0 dr, 1 ipw, 2 reg; cores threads (over cells)
 *   jobs   NULL, or K ints: cells with the same job share their units and
 *          covariates, hence their propensity-score logit, which is then
 *          fitted once per job (first, in parallel over jobs)
 * Returns list(att = K, inf = n x K (n / n_cell times the cell's influence
 * function on its units, 0 elsewhere), status = K (see exr_did_panel),
 * n_treated = K, n_control = K, maxit = K).
 */
SEXP attgt_cells(SEXP Y, SEXP X, SEXP w_, SEXP G_, SEXP cells, SEXP method_, SEXP cores_,
                 SEXP jobs_)
{
    if (!isReal(Y) || !isMatrix(Y)) exr_raise("Y", "must be a double matrix");
    const int n = nrows(Y), T = ncols(Y);
    if (!isReal(cells) || !isMatrix(cells) || ncols(cells) != 5)
        exr_raise("cells", "must be a double matrix with 5 columns");
    const int K = nrows(cells);
    const double *G = exr_real_arg(G_, n, "G");
    const double *w = isNull(w_) ? NULL : exr_real_arg(w_, n, "w");
    const int method = exr_scalar_int(method_, "method");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    const int *jobs = isNull(jobs_) ? NULL : exr_int_arg(jobs_, K, "jobs");
    if (method < 0 || method > 2) exr_raise("method", "must be 0, 1 or 2");
    int k = 1;
    const double *x = NULL;
    if (!isNull(X)) {
        if (!isReal(X) || !isMatrix(X) || nrows(X) != n || ncols(X) % T != 0 || ncols(X) < T)
            exr_raise("X", "must be an n x (k T) double matrix");
        k = ncols(X) / T;
        x = REAL(X);
    }
    const double *cl = REAL(cells), *y = REAL(Y);
    for (int c = 0; c < K; c++) {
        for (int j = 1; j <= 3; j++) {
            double v = cl[c + (R_xlen_t) j * K];
            if (!(v >= 1 && v <= T && v == floor(v))) exr_raise("cells", "bad period index");
        }
    }
    int njob = 0;
    if (jobs) {
        for (int c = 0; c < K; c++) {
            if (jobs[c] < 1 || jobs[c] > K) exr_raise("jobs", "must be in 1..K");
            if (jobs[c] > njob) njob = jobs[c];
        }
    }
    for (R_xlen_t i = 0; i < (R_xlen_t) n * T; i++)
        if (!R_FINITE(y[i])) exr_raise("Y", "has non-finite values");
    if (w) for (int i = 0; i < n; i++) if (!(w[i] >= 0 && R_FINITE(w[i]))) exr_raise("w", "bad weights");

    const char *nm[6] = {"att", "inf", "status", "n_treated", "n_control", "maxit"};
    SEXP out = PROTECT(exr_named_list(6, nm));
    SEXP att = allocVector(REALSXP, K); SET_VECTOR_ELT(out, 0, att);
    SEXP inf = allocMatrix(REALSXP, n, K); SET_VECTOR_ELT(out, 1, inf);
    SEXP status = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 2, status);
    SEXP ntr = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 3, ntr);
    SEXP nco = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 4, nco);
    SEXP mxt = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 5, mxt);
    double *pinf = REAL(inf);
    memset(pinf, 0, (size_t) n * K * sizeof(double));

    /* per-thread workspace, allocated before the parallel regions */
    size_t ws = exr_did_work_size(n, k);
    size_t per = ws + 3 * (size_t) n + (size_t) n * k + (size_t) n;
    double **tw = (double **) R_alloc(nth, sizeof(double *));
    int **tiw = (int **) R_alloc(nth, sizeof(int *));
    int **tidx = (int **) R_alloc(nth, sizeof(int *));
    for (int t = 0; t < nth; t++) {
        tw[t] = (double *) R_alloc(per, sizeof(double));
        tiw[t] = (int *) R_alloc(4 * (size_t) k + 4, sizeof(int));
        tidx[t] = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
    }
    double *patt = REAL(att);
    int *pst = INTEGER(status), *pnt = INTEGER(ntr), *pnc = INTEGER(nco), *pmx = INTEGER(mxt);

    /* propensity-score logits, one per job (dr, ipw) */
    double *jb = NULL;
    int *jst = NULL, *jmx = NULL, *jfirst = NULL;
    const int use_jobs = jobs && method != DID_REG && njob > 0;
    if (use_jobs) {
        jb = (double *) R_alloc((size_t) njob * k, sizeof(double));
        jst = (int *) R_alloc(njob, sizeof(int));
        jmx = (int *) R_alloc(njob, sizeof(int));
        jfirst = (int *) R_alloc(njob, sizeof(int));
        for (int j = 0; j < njob; j++) jfirst[j] = -1;
        for (int c = 0; c < K; c++) if (jfirst[jobs[c] - 1] < 0) jfirst[jobs[c] - 1] = c;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic)
#endif
        for (int j = 0; j < njob; j++) {
#ifdef _OPENMP
            int tid = omp_get_thread_num();
#else
            int tid = 0;
#endif
            jst[j] = 3;
            jmx[j] = 0;
            int c = jfirst[j];
            if (c < 0) continue;
            double *mem = tw[tid];
            int mt = 0;
            const double g = cl[c], cut = cl[c + (R_xlen_t) 4 * K];
            const int tx = (int) cl[c + 3 * (R_xlen_t) K] - 1;
            double *D = mem + n, *ww = D + n, *Xs = ww + n, *wn = Xs + (size_t) n * k,
                   *eta = wn + n, *work = eta + n;
            int m = did_cell_units(n, k, G, w, y, x, g, cut, 0, 0, tx, tidx[tid], &mt, NULL, D,
                                   ww, Xs);
            if (mt == 0 || mt == m) continue;
            double sw = 0.0;
            for (int i = 0; i < m; i++) sw += w ? ww[i] : 1.0;
            for (int i = 0; i < m; i++) wn[i] = (w ? ww[i] : 1.0) / (sw / m);
            double *b = jb + (size_t) j * k, ll = 0.0, *Io = work, *Ie = Io + (size_t) k * k;
            int iter = 0;
            memset(b, 0, (size_t) k * sizeof(double));
            int st = exr_binary_fit(Xs, D, wn, m, k, 1, b, &ll, Io, Ie, eta, 100, 1e-20, &iter,
                                    Ie + (size_t) k * k, tiw[tid]);
            jst[j] = st == EXR_BIN_SINGULAR ? 3 : 0;
            jmx[j] = st == EXR_BIN_MAXIT;
        }
        R_CheckUserInterrupt();
    }

    /* cells in rounds, with an interrupt check between rounds */
    const int round = nth * 4;
    for (int c0 = 0; c0 < K; c0 += round) {
        int c1 = c0 + round < K ? c0 + round : K;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic)
#endif
        for (int c = c0; c < c1; c++) {
#ifdef _OPENMP
            int tid = omp_get_thread_num();
#else
            int tid = 0;
#endif
            double *mem = tw[tid];
            int *idx = tidx[tid];
            const double g = cl[c], cut = cl[c + (R_xlen_t) 4 * K];
            const int te = (int) cl[c + (R_xlen_t) K] - 1, tb = (int) cl[c + 2 * (R_xlen_t) K] - 1,
                      tx = (int) cl[c + 3 * (R_xlen_t) K] - 1;
            int mt = 0;
            double *dy = mem, *D = dy + n, *ww = D + n, *Xs = ww + n, *inf1 = Xs + (size_t) n * k,
                   *work = inf1 + n;
            int m = did_cell_units(n, k, G, w, y, x, g, cut, te, tb, tx, idx, &mt, dy, D, ww, Xs);
            double a = NA_REAL;
            int mx = 0, st;
            const double *bj = NULL;
            if (use_jobs) {
                int j = jobs[c] - 1;
                bj = jb + (size_t) j * k;
                mx = jmx[j];
            }
            if (use_jobs && jst[jobs[c] - 1] != 0 && mt > 0 && mt < m) {
                st = jst[jobs[c] - 1];
            } else {
                int mx2 = 0;
                st = exr_did_panel(dy, D, Xs, w ? ww : NULL, m, k, method, bj, &a, inf1, &mx2,
                                   work, tiw[tid]);
                if (!use_jobs) mx = mx2;
            }
            patt[c] = st == 0 ? a : NA_REAL;
            pst[c] = st;
            pnt[c] = mt;
            pnc[c] = m - mt;
            pmx[c] = mx;
            double *col = pinf + (R_xlen_t) c * n;
            if (st == 0) {
                const double s = (double) n / m;
                for (int j = 0; j < m; j++) col[idx[j]] = s * inf1[j];
            } else {
                for (int i = 0; i < n; i++) col[i] = NA_REAL;
            }
        }
        R_CheckUserInterrupt();
    }
    UNPROTECT(1);
    return out;
}

/* Bytes (of eight rows each) whose tables are built together: the partial
 * sums of a draw then stay in cache across them. */
#define MBOOT_QB 8

/* Doubles of workspace exr_mboot_draws needs per thread: the tables of the 256
 * signed sums of eight rows for K columns, for MBOOT_QB bytes at a time. */
size_t exr_mboot_work_size(int K)
{
    return (size_t) MBOOT_QB * 256 * (size_t) K;
}

/*
 * Kernel: multiplier bootstrap sums for draws b in [b0, b1).
 * psi: m x K influence functions stored row-major (row i is psi + i K);
 * bits: the Rademacher signs, byte q of draw b at bits[q * B + b] (stored byte
 * by byte across draws, so that one byte position of every draw is contiguous),
 * bit j of byte q the sign of row 8 q + j (1: +1, 0: -1);
 * S: B x K row-major output, S[b K + k] = sum_i v_ib psi_ik.
 * work: exr_mboot_work_size(K). The sums for a draw are accumulated in the
 * same order whatever the range, so splitting draws across threads does not
 * change a bit. Pure: no R API.
 */
void exr_mboot_draws(const double *psi, int m, int K, const unsigned char *bits, int B, int b0,
                     int b1, double *S, double *work)
{
    const int nbyte = (m + 7) / 8;
    for (int b = b0; b < b1; b++) memset(S + (size_t) b * K, 0, (size_t) K * sizeof(double));
    for (int q0 = 0; q0 < nbyte; q0 += MBOOT_QB) {
        const int nq = nbyte - q0 < MBOOT_QB ? nbyte - q0 : MBOOT_QB;
        for (int qq = 0; qq < nq; qq++) {
            double *tab = work + (size_t) qq * 256 * K;
            const int r0 = 8 * (q0 + qq), nr = m - r0 < 8 ? m - r0 : 8;
            /* tab[0] = -(sum of the rows); a set bit flips its row's sign */
            for (int k = 0; k < K; k++) {
                double s = 0.0;
                for (int j = 0; j < nr; j++) s -= psi[(size_t) (r0 + j) * K + k];
                tab[k] = s;
            }
            for (int j = 0; j < 8; j++) {
                const int lo = 1 << j;
                const double *row = j < nr ? psi + (size_t) (r0 + j) * K : NULL;
                for (int v = lo; v < 2 * lo; v++) {
                    double *restrict t = tab + (size_t) v * K;
                    const double *restrict t0 = tab + (size_t) (v - lo) * K;
                    if (row) {
#ifdef _OPENMP
#pragma omp simd
#endif
                        for (int k = 0; k < K; k++) t[k] = t0[k] + 2.0 * row[k];
                    } else {
                        for (int k = 0; k < K; k++) t[k] = t0[k];
                    }
                }
            }
        }
        for (int b = b0; b < b1; b++) {
            double *restrict sb = S + (size_t) b * K;
            for (int qq = 0; qq < nq; qq++) {
                const double *restrict t =
                    work + ((size_t) qq * 256 + bits[(size_t) (q0 + qq) * B + b]) * K;
#ifdef _OPENMP
#pragma omp simd
#endif
                for (int k = 0; k < K; k++) sb[k] += t[k];
            }
        }
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* R's quantile(type = 1) of sorted x (length n): x[ceil(n p)] (1-based). */
static double q_type1(const double *x, int n, double p)
{
    double np = n * p;
    long j = (long) floor(np + 4 * DBL_EPSILON);
    long idx = np > j ? j + 1 : j;
    if (idx < 1) idx = 1;
    if (idx > n) idx = n;
    return x[idx - 1];
}

/*
 * .Call entry: attgt_mboot(psi, B, level, cores)
 *   psi   m x K double matrix: influence functions (unit rows, or cluster sums)
 *   B     number of draws; level confidence level of the uniform band; cores
 * Draws B x m Rademacher signs from R's RNG (main thread, 16 per unif_rand,
 * draw by draw), then in parallel over draws the bootstrap statistics
 * draws[b, k] = sqrt(m) mean_i v_ib psi_ik. Returns list(draws = B x K,
 * sigma = K (interquartile range of each column over that of the standard
 * normal; NA for degenerate columns, whose squared sum is below
 * sqrt(eps) 10), crit = the level quantile (type 1) over draws of
 * max_k |draws[b, k]| / sigma_k), as did's mboot() computes them.
 */
SEXP attgt_mboot(SEXP psi_, SEXP B_, SEXP level_, SEXP cores_)
{
    if (!isReal(psi_) || !isMatrix(psi_)) exr_raise("psi", "must be a double matrix");
    const int m = nrows(psi_), K = ncols(psi_);
    const int B = exr_scalar_int(B_, "B");
    const double level = exr_scalar_real(level_, "level");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    if (B < 1) exr_raise("B", "must be positive");
    if (!(level > 0 && level < 1)) exr_raise("level", "must be in (0, 1)");
    if (m < 1 || K < 1) exr_raise("psi", "needs at least one row and one column");
    const double *psi = REAL(psi_);
    for (R_xlen_t i = 0; i < (R_xlen_t) m * K; i++)
        if (!R_FINITE(psi[i])) exr_raise("psi", "has non-finite values");

    /* row-major copy, so that a row's K values are contiguous */
    double *pr = (double *) R_alloc((size_t) m * K, sizeof(double));
    for (int k = 0; k < K; k++)
        for (int i = 0; i < m; i++) pr[(size_t) i * K + k] = psi[i + (R_xlen_t) k * m];

    /* all signs first, in the main thread */
    const size_t nbyte = (size_t) (m + 7) / 8;
    unsigned char *bits = (unsigned char *) R_alloc((size_t) B * nbyte, 1);
    /* drawn draw by draw (byte q of draw b is byte b * nbyte + q of the
     * sequence), then stored transposed, in tiles */
    const size_t nall = (size_t) B * nbyte;
    unsigned char *seq = (unsigned char *) R_alloc(nall, 1);
    GetRNGstate();
    for (size_t r = 0; r < nall; r += 2) {
        unsigned int v = (unsigned int) (unif_rand() * 65536.0);
        seq[r] = (unsigned char) (v & 0xFF);
        if (r + 1 < nall) seq[r + 1] = (unsigned char) (v >> 8);
    }
    PutRNGstate();
    for (size_t b0 = 0; b0 < (size_t) B; b0 += 64)
        for (size_t q0 = 0; q0 < nbyte; q0 += 64)
            for (size_t b = b0; b < b0 + 64 && b < (size_t) B; b++)
                for (size_t q = q0; q < q0 + 64 && q < nbyte; q++) bits[q * B + b] = seq[b * nbyte + q];
    /* the last byte of each draw carries m % 8 signs; unused bits are ignored
     * by the table (their rows are zero) */

    double *S = (double *) R_alloc((size_t) B * K, sizeof(double));
    size_t ws = exr_mboot_work_size(K);
    double **tw = (double **) R_alloc(nth, sizeof(double *));
    for (int t = 0; t < nth; t++) tw[t] = (double *) R_alloc(ws, sizeof(double));
    /* rounds of draws with an interrupt check between them */
    const int per_round = 64 * nth;
    for (int r0 = 0; r0 < B; r0 += per_round) {
        int r1 = r0 + per_round < B ? r0 + per_round : B;
#ifdef _OPENMP
#pragma omp parallel num_threads(nth)
#endif
        {
#ifdef _OPENMP
            int tid = omp_get_thread_num(), nt = omp_get_num_threads();
#else
            int tid = 0, nt = 1;
#endif
            int len = r1 - r0, chunk = (len + nt - 1) / nt;
            int b0 = r0 + tid * chunk, b1 = b0 + chunk < r1 ? b0 + chunk : r1;
            if (b0 < b1) exr_mboot_draws(pr, m, K, bits, B, b0, b1, S, tw[tid]);
        }
        R_CheckUserInterrupt();
    }

    const char *nm[3] = {"draws", "sigma", "crit"};
    SEXP out = PROTECT(exr_named_list(3, nm));
    SEXP dr = allocMatrix(REALSXP, B, K); SET_VECTOR_ELT(out, 0, dr);
    SEXP sg = allocVector(REALSXP, K); SET_VECTOR_ELT(out, 1, sg);
    double *d = REAL(dr), *sig = REAL(sg);
    const double sm = sqrt((double) m) / m;
    for (int k = 0; k < K; k++)
        for (int b = 0; b < B; b++) d[b + (R_xlen_t) k * B] = sm * S[(size_t) b * K + k];
    /* IQR / (qnorm(.75) - qnorm(.25)) */
    const double iqr_norm = 2.0 * 0.674489750196081743202;
    double *col = (double *) R_alloc(B, sizeof(double));
    for (int k = 0; k < K; k++) {
        const double *dk = d + (R_xlen_t) k * B;
        double ss = 0.0;
        for (int b = 0; b < B; b++) ss += dk[b] * dk[b];
        if (!(ss > sqrt(DBL_EPSILON) * 10)) { sig[k] = NA_REAL; continue; }
        memcpy(col, dk, (size_t) B * sizeof(double));
        qsort(col, B, sizeof(double), cmp_double);
        double s = (col[(int) ceil(0.75 * B) - 1] - col[(int) ceil(0.25 * B) - 1]) / iqr_norm;
        sig[k] = s > sqrt(DBL_EPSILON) * 10 ? s : NA_REAL;
    }
    int nb = 0;
    for (int b = 0; b < B; b++) {
        double mx = R_NegInf;
        for (int k = 0; k < K; k++) {
            if (ISNAN(sig[k])) continue;
            double v = fabs(d[b + (R_xlen_t) k * B]) / sig[k];
            if (v > mx) mx = v;
        }
        if (R_FINITE(mx)) col[nb++] = mx;
    }
    double crit = NA_REAL;
    if (nb > 0) {
        qsort(col, nb, sizeof(double), cmp_double);
        crit = q_type1(col, nb, level);
    }
    SET_VECTOR_ELT(out, 2, ScalarReal(crit));
    UNPROTECT(1);
    return out;
}
