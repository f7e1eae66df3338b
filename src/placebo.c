/*
 * Placebo (randomisation) inference for a difference-in-differences term:
 * treatment status and adoption dates are reassigned across units at random,
 * the treatment column D_it = 1(t >= adoption date of unit i) is rebuilt, and
 * its coefficient in the fixed-effects regression re-estimated, many times.
 *
 * Everything that does not change between draws is computed once (in R, by
 * the package's demeaning and least-squares kernels): the outcome and the
 * other regressors demeaned, the other regressors' (X'WX)^{-1}, and the
 * outcome's residual e_y on them. By Frisch-Waugh-Lovell, a draw then needs
 * only its own treatment column:
 *   D~ = D demeaned by the fixed effects (exr_demean_column(), warm-started
 *        from the iterate of the actual treatment column: the draws keep the
 *        adoption-date distribution, so the time effects of D barely move);
 *   r  = D~ - X b,  b = (X'WX)^{-1} X'W D~   (D~ net of the other regressors);
 *   beta = r'W e_y / r'W r;  residuals e = e_y - beta r;
 *   Var(beta) = the (D, D) element of the fit's sandwich, which for this
 *   design is (r'W r)^{-2} times the meat of the scores w r e (clustered:
 *   the Cameron-Gelbach-Miller terms the R side passes), or sigma^2 / r'W r.
 * O(n (p + sweeps)) per draw instead of a full regression.
 *
 * Random draws (R's RNG, main thread only) are separate small functions,
 * exr_rng_permutation() and exr_rng_sample_replace(), that reproduce R's own
 * sample(): the whole set of draws is made before the parallel region, so
 * results do not depend on the number of threads, and draws made in R with
 * set.seed(s); sample(U) are the same. They are meant to be shared with other
 * resampling code (bootstrap, permutation tests).
 */
#include "exportres.h"
#include <R_ext/Random.h>

/* ---- random draws: main thread only, between GetRNGstate()/PutRNGstate() ---- */

/* A random permutation of 0..n-1, equal to sample(n) - 1 at the same RNG
 * state (R >= 3.6.0, sample.kind = "Rejection"). work: n ints. */
void exr_rng_permutation(int n, int *perm, int *work)
{
    for (int i = 0; i < n; i++) work[i] = i;
    int left = n;
    for (int i = 0; i < n; i++) {
        int j = (int) R_unif_index((double) left);
        perm[i] = work[j];
        work[j] = work[--left];
    }
}

/* k draws from 0..n-1 with replacement, equal to sample(n, k, replace = TRUE) - 1. */
void exr_rng_sample_replace(int n, int k, int *out)
{
    for (int i = 0; i < k; i++) out[i] = (int) R_unif_index((double) n);
}

/*
 * .Call entry: rng_permutations(n, B)
 * B random permutations of 1..n, as the columns of an n x B integer matrix:
 * the same numbers as replicate(B, sample(n)).
 */
SEXP rng_permutations(SEXP n_, SEXP B_)
{
    const int n = exr_scalar_int(n_, "n"), B = exr_scalar_int(B_, "B");
    if (n < 1) exr_raise("n", "must be at least 1");
    if (B < 0) exr_raise("B", "must be non-negative");
    SEXP out = PROTECT(allocMatrix(INTSXP, n, B));
    int *o = INTEGER(out);
    int *work = (int *) R_alloc(n, sizeof(int));
    GetRNGstate();
    for (int b = 0; b < B; b++) {
        int *col = o + (R_xlen_t) b * n;
        exr_rng_permutation(n, col, work);
        for (int i = 0; i < n; i++) col[i] += 1;
    }
    PutRNGstate();
    UNPROTECT(1);
    return out;
}

/* ---- the placebo regression --------------------------------------------- */

#define PLACEBO_IID 0
#define PLACEBO_HC1 1
#define PLACEBO_CLUSTER 2

typedef struct {
    R_xlen_t n;              /* rows of the estimation sample */
    int p;                   /* other regressors (demeaned, full column rank) */
    const double *X;         /* n x p */
    const double *B;         /* p x p: (X'WX)^{-1} */
    const double *ey;        /* n: demeaned outcome net of X (weighted least squares residual) */
    const double *w;         /* weights, or NULL */
    const int *unit;         /* n: 0-based unit of each row */
    const double *time;      /* n */
    const exr_fe_layout *L;  /* NULL without fixed effects */
    const double *warm;      /* L->ncoef_rest: the actual treatment column's iterate */
    double tol;
    int maxit;
    int vtype;               /* PLACEBO_IID, _HC1 or _CLUSTER */
    int nterms;              /* clustered: Cameron-Gelbach-Miller terms */
    const int **cl;          /* nterms vectors of 0-based codes */
    const int *G;            /* clusters of each term */
    const double *cfac;      /* each term's factor (sign times G/(G-1)) */
    double vfac;             /* iid: 1/(n-K); hc1: n/(n-K); clustered: (n-1)/(n-K) (or 1s) */
    int maxG;
} exr_placebo_problem;

/* Doubles of scratch one draw needs (besides its exr_fe_work). */
size_t exr_placebo_work_size(const exr_placebo_problem *P)
{
    return 3 * (size_t) P->n + 2 * (size_t) P->p + (size_t) P->maxG + 4;
}

/*
 * Kernel: one placebo draw. adopt: the adoption date of every unit under the
 * draw (NaN: never treated). W: the draw's demeaning scratch (its x is
 * overwritten by the warm start). Writes the coefficient and its standard
 * error (NaN when the placebo column is collinear with the fixed effects and
 * the other regressors). Returns the demeaning sweeps (negative: maxit hit).
 * Pure: no R API.
 */
int exr_placebo_draw(const exr_placebo_problem *P, const double *adopt, exr_fe_work *W,
                     double *work, double *beta, double *se)
{
    const R_xlen_t n = P->n;
    const int p = P->p;
    const double *w = P->w;
    double *D = work, *Dt = D + n, *r = Dt + n, *xtd = r + n, *b = xtd + p, *cs = b + p;
    for (R_xlen_t i = 0; i < n; i++) {
        double a = adopt[P->unit[i]];
        D[i] = (!ISNAN(a) && P->time[i] >= a) ? 1.0 : 0.0;
    }
    int it = 1;
    if (P->L) {
        if (P->L->ncoef_rest > 0)
            memcpy(W->x, P->warm, (size_t) P->L->ncoef_rest * sizeof(double));
        it = exr_demean_column(P->L, W, D, Dt, P->tol, P->maxit, 1);
    } else {
        memcpy(Dt, D, (size_t) n * sizeof(double));
    }
    /* r = D~ - X (X'WX)^{-1} X'W D~ */
    for (int j = 0; j < p; j++) {
        const double *xj = P->X + (R_xlen_t) j * n;
        double s = 0.0;
        if (w) for (R_xlen_t i = 0; i < n; i++) s += w[i] * xj[i] * Dt[i];
        else for (R_xlen_t i = 0; i < n; i++) s += xj[i] * Dt[i];
        xtd[j] = s;
    }
    for (int j = 0; j < p; j++) {
        double s = 0.0;
        for (int l = 0; l < p; l++) s += P->B[j + (R_xlen_t) l * p] * xtd[l];
        b[j] = s;
    }
    memcpy(r, Dt, (size_t) n * sizeof(double));
    for (int j = 0; j < p; j++) {
        const double *xj = P->X + (R_xlen_t) j * n;
        const double bj = b[j];
        for (R_xlen_t i = 0; i < n; i++) r[i] -= bj * xj[i];
    }
    double rr = 0.0, dd = 0.0, num = 0.0;
    for (R_xlen_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        rr += wi * r[i] * r[i];
        dd += wi * D[i] * D[i];
        num += wi * r[i] * P->ey[i];
    }
    /* the package's collinearity rule: relative to the raw column's norm */
    if (!(dd > 0) || !(rr > 1e-10 * dd)) {
        *beta = NAN;
        *se = NAN;
        return it;
    }
    const double bt = num / rr;
    double V = 0.0;
    if (P->vtype == PLACEBO_IID) {
        double ssr = 0.0;
        for (R_xlen_t i = 0; i < n; i++) {
            double e = P->ey[i] - bt * r[i];
            ssr += (w ? w[i] : 1.0) * e * e;
        }
        V = ssr * P->vfac / rr;
    } else if (P->vtype == PLACEBO_HC1) {
        double m = 0.0;
        for (R_xlen_t i = 0; i < n; i++) {
            double s = (w ? w[i] : 1.0) * r[i] * (P->ey[i] - bt * r[i]);
            m += s * s;
        }
        V = m * P->vfac / (rr * rr);
    } else {
        for (int t = 0; t < P->nterms; t++) {
            const int *c = P->cl[t];
            memset(cs, 0, (size_t) P->G[t] * sizeof(double));
            for (R_xlen_t i = 0; i < n; i++)
                cs[c[i]] += (w ? w[i] : 1.0) * r[i] * (P->ey[i] - bt * r[i]);
            double m = 0.0;
            for (int g = 0; g < P->G[t]; g++) m += cs[g] * cs[g];
            V += P->cfac[t] * m;
        }
        V = V * P->vfac / (rr * rr);
        if (V < 0) V = 0.0;
    }
    *beta = bt;
    *se = sqrt(V);
    return it;
}

/*
 * .Call entry: placebo_run(X, B, ey, weights, unit, time, fe, D0, adopt, perms,
 *                          vspec, ctrl, cores)
 *   X       n x p double matrix: the other regressors, demeaned (p may be 0)
 *   B       p x p: their (X'WX)^{-1};  ey: the demeaned outcome net of X (n)
 *   weights n positive doubles or NULL
 *   unit    n integer codes 1..U;  time: n doubles
 *   fe      list of fixed-effect codes (1..G_q, length n each), or NULL
 *   D0      n doubles: the actual treatment column (its demeaning warm-starts the draws)
 *   adopt   U doubles: each unit's actual adoption date (NA: never treated)
 *   perms   U x nd integer matrix: draw d gives unit u the date of unit perms[u, d]
 *   vspec   list(type = 0 iid / 1 hc1 / 2 cluster, codes = list of 1-based cluster
 *           codes (length n each), factors = double per term, vfac = double)
 *   ctrl    c(tol, maxit);  cores: threads
 * Returns list(estimate (nd), std_error (nd), iterations (nd: sweeps, negative
 * if the demeaning hit maxit)).
 */
SEXP placebo_run(SEXP X, SEXP B, SEXP ey, SEXP weights, SEXP unit, SEXP time, SEXP fe, SEXP D0,
                 SEXP adopt, SEXP perms, SEXP vspec, SEXP ctrl, SEXP cores)
{
    if (!isReal(X) || !isMatrix(X)) exr_raise("X", "must be a double matrix");
    const R_xlen_t n = nrows(X);
    const int p = ncols(X);
    if (n < 1) exr_raise("X", "has no rows");
    if (!isReal(B) || !isMatrix(B) || nrows(B) != p || ncols(B) != p) exr_raise("B", "must be p x p");
    exr_placebo_problem P;
    P.n = n;
    P.p = p;
    P.X = REAL(X);
    P.B = REAL(B);
    P.ey = exr_real_arg(ey, n, "ey");
    P.w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    if (P.w) for (R_xlen_t i = 0; i < n; i++)
        if (!(P.w[i] > 0) || !R_FINITE(P.w[i])) exr_raise("weights", "must be positive and finite");
    const int *unit1 = exr_int_arg(unit, n, "unit");
    P.time = exr_real_arg(time, n, "time");
    const double *d0 = exr_real_arg(D0, n, "D0");
    const double *a_unit = exr_real_arg(adopt, -1, "adopt");
    const int U = (int) XLENGTH(adopt);
    if (!isInteger(perms) || !isMatrix(perms) || nrows(perms) != U) exr_raise("perms", "must be a U x B integer matrix");
    const int nd = ncols(perms);
    const int *pm = INTEGER(perms);
    for (R_xlen_t j = 0; j < (R_xlen_t) U * nd; j++)
        if (pm[j] == NA_INTEGER || pm[j] < 1 || pm[j] > U) exr_raise("perms", "entries must be in 1..U");
    int *unit0 = (int *) R_alloc(n, sizeof(int));
    for (R_xlen_t i = 0; i < n; i++) {
        if (unit1[i] == NA_INTEGER || unit1[i] < 1 || unit1[i] > U) exr_raise("unit", "codes must be in 1..U");
        unit0[i] = unit1[i] - 1;
        if (!R_FINITE(P.time[i])) exr_raise("time", "must be finite");
    }
    P.unit = unit0;
    const double *ctl = exr_real_arg(ctrl, 2, "ctrl");
    P.tol = ctl[0];
    P.maxit = (int) ctl[1];
    if (!(P.tol > 0) || P.maxit < 1) exr_raise("ctrl", "needs tol > 0 and maxit >= 1");
    const int nth = exr_threads(exr_scalar_int(cores, "cores"));

    /* variance specification */
    if (TYPEOF(vspec) != VECSXP || XLENGTH(vspec) != 4) exr_raise("vspec", "must be a list of 4");
    P.vtype = exr_scalar_int(VECTOR_ELT(vspec, 0), "vspec$type");
    if (P.vtype < 0 || P.vtype > 2) exr_raise("vspec", "type must be 0, 1 or 2");
    SEXP codes = VECTOR_ELT(vspec, 1);
    P.vfac = exr_scalar_real(VECTOR_ELT(vspec, 3), "vspec$vfac");
    P.nterms = 0;
    P.maxG = 1;
    P.cl = NULL; P.G = NULL; P.cfac = NULL;
    if (P.vtype == PLACEBO_CLUSTER) {
        if (TYPEOF(codes) != VECSXP || XLENGTH(codes) < 1) exr_raise("vspec", "codes must be a non-empty list");
        P.nterms = (int) XLENGTH(codes);
        P.cfac = exr_real_arg(VECTOR_ELT(vspec, 2), P.nterms, "vspec$factors");
        const int **cl = (const int **) R_alloc(P.nterms, sizeof(int *));
        int *G = (int *) R_alloc(P.nterms, sizeof(int));
        for (int t = 0; t < P.nterms; t++) {
            const int *c1 = exr_int_arg(VECTOR_ELT(codes, t), n, "vspec$codes[[t]]");
            int *c0 = (int *) R_alloc(n, sizeof(int));
            int g = 0;
            for (R_xlen_t i = 0; i < n; i++) {
                if (c1[i] == NA_INTEGER || c1[i] < 1) exr_raise("vspec", "cluster codes must be positive");
                c0[i] = c1[i] - 1;
                if (c1[i] > g) g = c1[i];
            }
            cl[t] = c0;
            G[t] = g;
            if (g > P.maxG) P.maxG = g;
        }
        P.cl = cl;
        P.G = G;
    }

    /* fixed effects: layout once; the actual column's iterate is the warm start */
    exr_fe_layout L;
    P.L = NULL;
    P.warm = NULL;
    size_t fws = 0;
    if (!isNull(fe) && XLENGTH(fe) > 0) {
        fe_layout_setup(&L, fe, P.w, n);
        P.L = &L;
        fws = exr_fe_work_size(&L);
        exr_fe_work W0;
        exr_fe_work_init(&L, &W0, (double *) R_alloc(fws, sizeof(double)));
        double *tmp = (double *) R_alloc(n, sizeof(double));
        exr_demean_column(&L, &W0, d0, tmp, P.tol, P.maxit, 0);
        R_xlen_t m = L.ncoef_rest > 0 ? L.ncoef_rest : 1;
        double *warm = (double *) R_alloc(m, sizeof(double));
        memcpy(warm, W0.x, (size_t) m * sizeof(double));
        P.warm = warm;
    }

    const char *nm[3] = {"estimate", "std_error", "iterations"};
    SEXP out = PROTECT(exr_named_list(3, nm));
    SEXP est = allocVector(REALSXP, nd); SET_VECTOR_ELT(out, 0, est);
    SEXP ses = allocVector(REALSXP, nd); SET_VECTOR_ELT(out, 1, ses);
    SEXP its = allocVector(INTSXP, nd); SET_VECTOR_ELT(out, 2, its);
    double *pe = REAL(est), *ps = REAL(ses);
    int *pi = INTEGER(its);

    /* all scratch before the parallel region, one set per thread */
    size_t ws = exr_placebo_work_size(&P);
    double **work = (double **) R_alloc(nth, sizeof(double *));
    double **anew = (double **) R_alloc(nth, sizeof(double *));
    exr_fe_work *W = (exr_fe_work *) R_alloc(nth, sizeof(exr_fe_work));
    for (int t = 0; t < nth; t++) {
        work[t] = (double *) R_alloc(ws, sizeof(double));
        anew[t] = (double *) R_alloc(U, sizeof(double));
        if (P.L) exr_fe_work_init(&L, &W[t], (double *) R_alloc(fws, sizeof(double)));
    }
    /* in rounds of at most 256 draws, with an interrupt check between rounds
     * (outside the parallel region); each draw writes only its own slots */
    for (int d0 = 0; d0 < nd; d0 += 256) {
        const int d1 = nd - d0 > 256 ? d0 + 256 : nd;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(static)
#endif
        for (int dr = d0; dr < d1; dr++) {
#ifdef _OPENMP
            int th = omp_get_thread_num();
#else
            int th = 0;
#endif
            double *a = anew[th];
            const int *perm = pm + (R_xlen_t) dr * U;
            for (int u = 0; u < U; u++) a[u] = a_unit[perm[u] - 1];
            pi[dr] = exr_placebo_draw(&P, a, &W[th], work[th], &pe[dr], &ps[dr]);
        }
        R_CheckUserInterrupt();
    }
    for (int dr = 0; dr < nd; dr++) {
        if (ISNAN(pe[dr])) { pe[dr] = NA_REAL; ps[dr] = NA_REAL; }
    }
    UNPROTECT(1);
    return out;
}
