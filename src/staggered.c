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
 * R's RNG in the main thread (24 per unif_rand); the sums are then computed
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
EXR_CLONES
static void did_project(const double *X, int n, int k, const double *V, const double *m,
                        double s, double *a, double *proj)
{
    for (int r = 0; r < k; r++) {
        double t = 0.0;
        for (int c = 0; c < k; c++) t += V[r + (R_xlen_t) c * k] * m[c];
        a[r] = s * t;
    }
    double *restrict pj = proj;
    for (int i = 0; i < n; i++) pj[i] = 0.0;
    for (int c = 0; c < k; c++) {
        const double *restrict xc = X + (R_xlen_t) c * n;
        const double ac = a[c];
        EXR_SIMD
        for (int i = 0; i < n; i++) pj[i] += xc[i] * ac;
    }
}

/* The sum of a (n), by four partial sums (as exr_dot). */
EXR_CLONES
static double did_sum(const double *a, int n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
        s0 += a[i];
        s1 += a[i + 1];
        s2 += a[i + 2];
        s3 += a[i + 3];
    }
    for (; i < n; i++) s0 += a[i];
    return (s0 + s1) + (s2 + s3);
}

/* The first of the n sorted values G at or above v (above when strict). */
static int did_search(const double *G, int n, double v, int strict)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (strict ? G[mid] > v : G[mid] >= v) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* ---- the panel layout ---------------------------------------------------- */

static inline double adopt_period(double a)
{
    return ISNAN(a) || a == 0 ? R_PosInf : a;
}

/* The row (0-based) at position k of panel_index()'s order: ord holds 1-based
 * rows, or is NULL when the rows are already in that order. */
static inline R_xlen_t order_row(const int *ord, R_xlen_t k)
{
    return ord ? (R_xlen_t) ord[k] - 1 : k;
}

/*
 * .Call entry: attgt_layout(order, start, time, adopt, w, cl)
 *   order, start  panel_index()'s rows sorted by unit, then time (1-based), and
 *                 the G + 1 offsets of the G units in order
 *   time          the rows' periods (double or integer); adopt the rows' adoption periods
 *                 (double or integer; NA, NaN or 0: never treated); w the rows' weights
 *                 or NULL; cl the rows' cluster codes (integer) or NULL
 * One pass over the rows, unit by unit: each unit's adoption period (Inf for
 * never treated) and number of rows, the first unit (1-based) whose adoption
 * period, weight or cluster varies between its rows (0: none), and the
 * periods of the data: those of a unit with the most rows when every unit's
 * periods are among them (the usual case; otherwise `extra` is 1 and the
 * caller finds them). Returns list(periods, unit_adopt, count, adopt_varies,
 * w_varies, cl_varies, extra).
 */
SEXP attgt_layout(SEXP order_, SEXP start_, SEXP time_, SEXP adopt_, SEXP w_, SEXP cl_)
{
    const R_xlen_t nr = XLENGTH(time_);
    /* time: double, or integer (read without a copy) */
    const double *tmd = TYPEOF(time_) == INTSXP ? NULL : exr_real_arg(time_, -1, "time");
    const int *tmi = TYPEOF(time_) == INTSXP ? INTEGER(time_) : NULL;
#define TIME_AT(i) (tmd ? tmd[i] : (tmi[i] == NA_INTEGER ? NA_REAL : (double) tmi[i]))
    /* a row's adoption period: Inf for never treated (NA, NaN or 0) */
#define ADOPT_AT(i) adopt_period(ad ? ad[i] : (adi[i] == NA_INTEGER ? NA_REAL : (double) adi[i]))
    /* order NULL: the rows are already in unit order */
    const int *ord = isNull(order_) ? NULL : exr_int_arg(order_, -1, "order");
    const R_xlen_t nv = ord ? XLENGTH(order_) : nr;
    const int *start = exr_int_arg(start_, -1, "start");
    const int G = (int) XLENGTH(start_) - 1;
    /* adopt: double, or integer (NA_INTEGER: never treated) */
    const double *ad = NULL;
    const int *adi = NULL;
    if (TYPEOF(adopt_) == INTSXP) {
        if (XLENGTH(adopt_) != nr) exr_raise("adopt", "must have one value per row");
        adi = INTEGER(adopt_);
    } else {
        ad = exr_real_arg(adopt_, nr, "adopt");
    }
    const double *w = isNull(w_) ? NULL : exr_real_arg(w_, nr, "w");
    const int *cl = isNull(cl_) ? NULL : exr_int_arg(cl_, nr, "cl");
    if (G < 0 || start[0] != 0 || start[G] != nv) exr_raise("start", "must be G + 1 offsets into order");
    for (int g = 0; g < G; g++)
        if (start[g + 1] < start[g]) exr_raise("start", "must be non-decreasing");
    if (ord)
        for (R_xlen_t j = 0; j < nv; j++)
            if (ord[j] < 1 || ord[j] > nr) exr_raise("order", "rows must be in 1..length(time)");

    const char *nm[7] = {"periods", "unit_adopt", "count", "adopt_varies", "w_varies",
                         "cl_varies", "extra"};
    SEXP out = PROTECT(exr_named_list(7, nm));
    SEXP ua = allocVector(REALSXP, G); SET_VECTOR_ELT(out, 1, ua);
    SEXP cn = allocVector(INTSXP, G); SET_VECTOR_ELT(out, 2, cn);
    double *uad = REAL(ua);
    int *cnt = INTEGER(cn);
    /* the periods: those of a unit with the most rows, if every unit's
     * (sorted, distinct) periods are among them */
    int gmax = -1;
    for (int g = 0; g < G; g++) {
        cnt[g] = start[g + 1] - start[g];
        if (cnt[g] > 0 && (gmax < 0 || cnt[g] > cnt[gmax])) gmax = g;
    }
    const int T = gmax < 0 ? 0 : cnt[gmax];
    SEXP pr = allocVector(REALSXP, T); SET_VECTOR_ELT(out, 0, pr);
    double *P = REAL(pr);
    for (int t = 0; t < T; t++) P[t] = TIME_AT(order_row(ord, (R_xlen_t) start[gmax] + t));
    /* one pass over each unit's rows */
    int varies_a = 0, varies_w = 0, varies_c = 0, extra = 0;
    for (int g = 0; g < G; g++) {
        const int len = cnt[g];
        const R_xlen_t s0 = start[g];
        if (len == 0) {
            uad[g] = NA_REAL;
            continue;
        }
        const R_xlen_t i0 = order_row(ord, s0);
        const double a0 = ADOPT_AT(i0);
        uad[g] = a0;
        /* the unit's other rows: the same raw value (the usual case), or one
         * coding the same period (NA, NaN and 0 all mean never treated) */
        if (!varies_a) {
            for (int j = 1; j < len; j++) {
                const R_xlen_t i = order_row(ord, s0 + j);
                const int same = adi ? adi[i] == adi[i0] : ad[i] == ad[i0];
                if (!same && ADOPT_AT(i) != a0) { varies_a = g + 1; break; }
            }
        }
        if (w && !varies_w)
            for (int j = 1; j < len; j++)
                if (w[order_row(ord, s0 + j)] != w[i0]) { varies_w = g + 1; break; }
        if (cl && !varies_c)
            for (int j = 1; j < len; j++)
                if (cl[order_row(ord, s0 + j)] != cl[i0]) { varies_c = g + 1; break; }
        if (extra) continue;
        /* the unit's periods among P: with T rows (sorted and distinct, by
         * panel_order()) they must be P itself (no search); fewer are
         * looked up in order (times are not NA: panel_order() checked) */
        if (len == T) {
            for (int j = 0; j < len; j++)
                if (TIME_AT(order_row(ord, s0 + j)) != P[j]) { extra = 1; break; }
        } else {
            for (int j = 0, t = 0; j < len && !extra; j++) {
                const double v = TIME_AT(order_row(ord, s0 + j));
                while (t < T && P[t] < v) t++;
                if (t == T || P[t] != v) extra = 1;
            }
        }
    }
    SET_VECTOR_ELT(out, 3, ScalarInteger(varies_a));
    SET_VECTOR_ELT(out, 4, ScalarInteger(varies_w));
    SET_VECTOR_ELT(out, 5, ScalarInteger(varies_c));
    SET_VECTOR_ELT(out, 6, ScalarInteger(extra));
    UNPROTECT(1);
    return out;
#undef TIME_AT
#undef ADOPT_AT
}

/* A unit's adoption period and code, sorted by period, then code. */
typedef struct {
    double a;
    int u;
} did_unit_key;

static int cmp_unit_key(const void *x, const void *y)
{
    const did_unit_key *p = (const did_unit_key *) x, *q = (const did_unit_key *) y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->u > q->u) - (p->u < q->u);
}

/*
 * .Call entry: attgt_units(unit_adopt, count, periods, early, order, start)
 *   unit_adopt, count  attgt_layout()'s adoption period (Inf: never treated)
 *                      and number of rows of each of the G units
 *   periods            the T periods of the data, sorted
 *   early              units adopting at or before it have no pre-period
 *   order, start       panel_index()'s rows sorted by unit (NULL: the rows
 *                      are in that order) and the offsets
 * The units kept, those observed in every period (count == T) and not
 * treated by `early`, sorted by adoption period (never treated last, ties in
 * the order of their codes): by counting when every adoption period is one
 * of the periods (the usual case), else by a comparison sort. Returns
 * list(units = 1-based codes, adopt = their adoption periods (sorted),
 * first = the first row (1-based) of each, cohorts = the distinct adoption
 * periods, cohort_size, incomplete = units not observed in every period,
 * early = complete units treated by `early`, outside = units whose adoption
 * period is negative or, when finite, outside the periods' range; the caller
 * raises that error, before any other).
 */
SEXP attgt_units(SEXP unit_adopt_, SEXP count_, SEXP periods_, SEXP early_, SEXP order_, SEXP start_)
{
    const R_xlen_t G = XLENGTH(unit_adopt_);
    const double *ua = exr_real_arg(unit_adopt_, -1, "unit_adopt");
    const int *cnt = exr_int_arg(count_, G, "count");
    const double *P = exr_real_arg(periods_, -1, "periods");
    const int T = (int) XLENGTH(periods_);
    for (int t = 1; t < T; t++)
        if (!(P[t] > P[t - 1])) exr_raise("periods", "must be sorted and distinct");
    const double early = exr_scalar_real(early_, "early");
    const int *ord = isNull(order_) ? NULL : exr_int_arg(order_, -1, "order");
    const int *start = exr_int_arg(start_, G + 1, "start");
    const R_xlen_t nv = ord ? XLENGTH(order_) : start[G];
    int incomplete = 0, n_early = 0, outside = 0, n = 0, exact = 1;
    /* key[u]: the unit's period index (T: never treated), -1 when not kept */
    int *key = (int *) R_alloc(G > 0 ? G : 1, sizeof(int));
    int *size = (int *) R_alloc((size_t) T + 1, sizeof(int));
    memset(size, 0, ((size_t) T + 1) * sizeof(int));
    for (R_xlen_t u = 0; u < G; u++) {
        const double a = ua[u];
        key[u] = -1;
        if (a < 0 || (R_FINITE(a) && T > 0 && (a < P[0] || a > P[T - 1]))) outside++;
        if (cnt[u] != T) { incomplete++; continue; }
        if (R_FINITE(a) && a <= early) { n_early++; continue; }
        if (ISNAN(a)) exr_raise("unit_adopt", "NA for a unit observed in every period");
        if (start[u] < 0 || start[u] >= nv) exr_raise("start", "offsets out of range");
        int t = T;
        if (a != R_PosInf) {
            t = did_search(P, T, a, 0);
            if (t == T || P[t] != a) exact = 0;
        }
        key[u] = t;
        size[t]++;
        n++;
    }
    const char *nm[8] = {"units", "adopt", "first", "cohorts", "cohort_size", "incomplete",
                         "early", "outside"};
    SEXP out = PROTECT(exr_named_list(8, nm));
    SEXP un = allocVector(INTSXP, n); SET_VECTOR_ELT(out, 0, un);
    SEXP ad = allocVector(REALSXP, n); SET_VECTOR_ELT(out, 1, ad);
    SEXP fr = allocVector(INTSXP, n); SET_VECTOR_ELT(out, 2, fr);
    int *pu = INTEGER(un), *pf = INTEGER(fr);
    double *pa = REAL(ad);
    if (exact) {
        /* counting sort on the period index: stable, in the order of codes */
        int *pos = (int *) R_alloc((size_t) T + 1, sizeof(int));
        for (int t = 0, c = 0; t <= T; t++) { pos[t] = c; c += size[t]; }
        for (R_xlen_t u = 0; u < G; u++) {
            if (key[u] < 0) continue;
            const int j = pos[key[u]]++;
            pu[j] = (int) u + 1;
            pa[j] = ua[u];
        }
    } else {
        did_unit_key *ks = (did_unit_key *) R_alloc(n > 0 ? n : 1, sizeof(did_unit_key));
        for (R_xlen_t u = 0, j = 0; u < G; u++)
            if (key[u] >= 0) { ks[j].a = ua[u]; ks[j].u = (int) u + 1; j++; }
        qsort(ks, n, sizeof(did_unit_key), cmp_unit_key);
        for (int j = 0; j < n; j++) { pu[j] = ks[j].u; pa[j] = ks[j].a; }
    }
    int nc = 0;
    for (int j = 0; j < n; j++) {
        pf[j] = (int) order_row(ord, start[pu[j] - 1]) + 1;
        if (j == 0 || pa[j] != pa[j - 1]) nc++;
    }
    SEXP co = allocVector(REALSXP, nc); SET_VECTOR_ELT(out, 3, co);
    SEXP cs = allocVector(INTSXP, nc); SET_VECTOR_ELT(out, 4, cs);
    double *pc = REAL(co);
    int *ps = INTEGER(cs);
    for (int j = 0, c = -1; j < n; j++) {
        if (j == 0 || pa[j] != pa[j - 1]) { pc[++c] = pa[j]; ps[c] = 0; }
        ps[c]++;
    }
    SET_VECTOR_ELT(out, 5, ScalarInteger(incomplete));
    SET_VECTOR_ELT(out, 6, ScalarInteger(n_early));
    SET_VECTOR_ELT(out, 7, ScalarInteger(outside));
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: attgt_reshape(order, start, units, T, y, X, w, xper)
 *   order, start  as attgt_layout() (order NULL: rows in unit order); units:
 *                 the units kept (1-based codes,
 *                 distinct, each with exactly T rows, one per period, in time
 *                 order), in the order wanted (att_gt: by adoption period)
 *   y             the design's response (rows); X NULL or its covariates
 *                 (rows x kx matrix, or a list of kx columns); w NULL or the
 *                 rows' weights
 *   xper          the periods (1-based indices, S of them) whose covariates
 *                 some cell uses: only those are laid out
 * One pass over the kept units' rows into the layout the cells read: by
 * period, then unit (a period's values of the units of a cell are then read
 * in order, not scattered over the rows).
 * Returns list(Y = n x T (unit u, period t), X = n x kx x S (the covariates
 * of period xper[s] in slice s) or NULL, first = n, the first design row
 * (1-based) of each kept unit, units in the order given; XtX = k x k x S
 * (k = kx + 1), the weighted cross-products of (1, covariates) over the
 * kept units in each of those periods, for the rank check).
 */
SEXP attgt_reshape(SEXP order_, SEXP start_, SEXP units_, SEXP T_, SEXP y_, SEXP X_, SEXP w_,
                   SEXP xper_)
{
    const int *ord = isNull(order_) ? NULL : exr_int_arg(order_, -1, "order");
    const int *start = exr_int_arg(start_, -1, "start");
    const int G = (int) XLENGTH(start_) - 1;
    const int *units = exr_int_arg(units_, -1, "units");
    const int n = (int) XLENGTH(units_);
    const int T = exr_scalar_int(T_, "T");
    if (T < 1) exr_raise("T", "must be positive");
    const double *y = exr_real_arg(y_, -1, "y");
    const R_xlen_t nr = XLENGTH(y_);
    /* order NULL: the rows are already in unit order */
    const R_xlen_t nv = ord ? XLENGTH(order_) : nr;
    if (G < 0 || start[0] != 0 || start[G] != nv) exr_raise("start", "must be G + 1 offsets into order");
    for (int g = 0; g < G; g++)
        if (start[g + 1] < start[g]) exr_raise("start", "must be non-decreasing");
    /* the covariates: a matrix, or a list of columns (build_design(columns =
     * TRUE)); Xc[c] is column c */
    int kx = 0;
    const double **Xc = NULL;
    if (!isNull(X_)) {
        if (TYPEOF(X_) == VECSXP) {
            kx = (int) XLENGTH(X_);
            Xc = (const double **) R_alloc(kx > 0 ? kx : 1, sizeof(double *));
            for (int c = 0; c < kx; c++) Xc[c] = exr_real_arg(VECTOR_ELT(X_, c), nr, "X");
        } else {
            if (!isReal(X_) || !isMatrix(X_) || nrows(X_) != nr)
                exr_raise("X", "must be a double matrix with a row per element of y, or a list of columns");
            kx = ncols(X_);
            Xc = (const double **) R_alloc(kx > 0 ? kx : 1, sizeof(double *));
            for (int c = 0; c < kx; c++) Xc[c] = REAL(X_) + (R_xlen_t) c * nr;
        }
    }
    const double *w = isNull(w_) ? NULL : exr_real_arg(w_, nr, "w");
    const int *xper = exr_int_arg(xper_, -1, "xper");
    const int S = (int) XLENGTH(xper_);
    for (int q = 0; q < S; q++)
        if (xper[q] == NA_INTEGER || xper[q] < 1 || xper[q] > T) exr_raise("xper", "periods must be in 1..T");
    /* dest[g]: the position of unit g in the output, -1 when not kept */
    int *dest = (int *) R_alloc(G > 0 ? G : 1, sizeof(int));
    for (int g = 0; g < G; g++) dest[g] = -1;
    for (int u = 0; u < n; u++) {
        if (units[u] == NA_INTEGER || units[u] < 1 || units[u] > G || dest[units[u] - 1] >= 0)
            exr_raise("units", "must be distinct unit codes in 1..G");
        const int g = units[u] - 1;
        dest[g] = u;
        if (start[g + 1] - start[g] != T) exr_raise("units", "kept units must have T rows");
    }
    if (ord)
        for (R_xlen_t j = 0; j < nv; j++)
            if (ord[j] < 1 || ord[j] > nr) exr_raise("order", "rows out of range");
    const int k = kx + 1;
    const char *nm[4] = {"Y", "X", "first", "XtX"};
    SEXP out = PROTECT(exr_named_list(4, nm));
    SEXP Ys = allocMatrix(REALSXP, n, T); SET_VECTOR_ELT(out, 0, Ys);
    SEXP fs = allocVector(INTSXP, n); SET_VECTOR_ELT(out, 2, fs);
    SEXP xx = alloc3DArray(REALSXP, k, k, S); SET_VECTOR_ELT(out, 3, xx);
    double *Y = REAL(Ys), *Xo = NULL, *XtX = REAL(xx);
    int *first = INTEGER(fs);
    if (kx > 0) {
        SEXP Xs = alloc3DArray(REALSXP, n, kx, S);
        SET_VECTOR_ELT(out, 1, Xs);
        Xo = REAL(Xs);
    }
    double *wu = w ? (double *) R_alloc(n > 0 ? n : 1, sizeof(double)) : NULL;
    /* units in the order of their rows (reads in sequence), each written at
     * its position; one variable at a time (the outcome, then each
     * covariate), so that a pass writes T columns, not (kx + 1) T */
    for (int g = 0; g < G; g++) {
        const int u = dest[g];
        if (u < 0) continue;
        const R_xlen_t s0 = start[g];
        first[u] = (int) order_row(ord, s0) + 1;
        if (wu) wu[u] = w[order_row(ord, s0)];
        for (int t = 0; t < T; t++) Y[u + (R_xlen_t) t * n] = y[order_row(ord, s0 + t)];
    }
    for (int c = 0; c < kx; c++) {
        const double *xc = Xc[c];
        double *Xoc = Xo + (R_xlen_t) c * n;
        const R_xlen_t step = (R_xlen_t) kx * n;
        for (int g = 0; g < G; g++) {
            const int u = dest[g];
            if (u < 0) continue;
            const R_xlen_t s0 = start[g];
            for (int q = 0; q < S; q++) Xoc[u + q * step] = xc[order_row(ord, s0 + xper[q] - 1)];
        }
    }
    /* each period's cross-product of (1, X_t): the covariates' block by the
     * package's cross-product, the intercept's row and corner by sums */
    double *M0 = (double *) R_alloc(kx > 0 ? (size_t) kx * kx : 1, sizeof(double));
    for (int q = 0; q < S; q++) {
        double *M = XtX + (size_t) q * k * k;
        M[0] = wu ? did_sum(wu, n) : (double) n;
        if (kx == 0) continue;
        const double *Xt = Xo + (R_xlen_t) q * kx * n;
        exr_crossprod(Xt, NULL, wu, n, kx, M0, NULL);
        for (int c = 0; c < kx; c++) {
            const double *xc = Xt + (R_xlen_t) c * n;
            const double sc = wu ? exr_dot(xc, wu, NULL, n) : did_sum(xc, n);
            M[(c + 1) * k] = M[c + 1] = sc;
            for (int a = 0; a < kx; a++) M[(a + 1) + (c + 1) * k] = M0[a + c * kx];
        }
    }
    UNPROTECT(1);
    return out;
}

/* ---- the cells -------------------------------------------------------------
 * The units come sorted by adoption period (never treated last), so that the
 * units of a cell are at most three runs of consecutive units: a group's
 * units are one run, and the comparison units (never treated, or adopting
 * after a cutoff) a run at the end. Cells with the same group, comparison
 * units and covariate period form a job: they share their units, the design
 * X (intercept, then the covariates at that period), hence the propensity
 * score and its information matrix, the treated and comparison weights, the
 * outcome regression's Gram matrix and every projection of the influence
 * function that does not involve the outcome. A job computes those once; each
 * of its cells then costs three passes over its units, by blocks of rows that
 * stay in the L1 cache: the outcome change and its cross-product with X; the
 * residuals, their weighted means and cross-product; the influence function. */

typedef struct {
    int n, T, kx, k, method;
    const double *Y, *X, *G, *w;   /* Y n x T; X n x (kx T), by period; G (sorted), w n */
} did_data;

/* rows of a block of the per-cell passes */
#define DID_BLK 512

typedef struct {
    int m, mt, tx, status, maxit, qr, fitted;   /* tx: the covariates' slice of X;
                                                 * fitted: b holds a logit estimate */
    int nr, lo[3], len[3], tr[3];           /* the units: nr runs (first unit, length,
                                             * treated?), in unit order */
    int *cols;
    /* m-vectors: design (m x k), the weights of the estimator and the
     * coefficients of the influence function (see did_job_setup) */
    double *X, *D, *wn, *ps, *wt, *wc, *wo, *Ady, *Ae, *Hc;
    double *XtXo, *Vps, *M3, *b;   /* k x k, k x k, k, k */
    double mwt, mwc;
} did_job;

/* Doubles (and ints) of per-thread workspace for jobs of up to n units and
 * k columns: the job and cell scratch that did_job_carve() takes, then the
 * kernels' scratch: did_job_setup()'s two n-vectors and 4 k doubles ahead of
 * the logit's information and work, or of (X'WX)^{-1} and did_wls()'s or the
 * least squares' work; did_job_cell()'s 3 k + k^2 ahead of the least squares'
 * work (the largest of them all fits in what is counted here). */
static size_t did_work_size(int n, int k, size_t *nint)
{
    const size_t kk = (size_t) k * k;
    const size_t carve = (size_t) n * k + 12 * (size_t) n + DID_BLK + 2 * kk + 2 * (size_t) k;
    const size_t qw = exr_ls_qr_work_size(n, k), bw = exr_binary_work_size(n, k);
    const size_t kernels = 2 * (size_t) n + 12 * (size_t) k + 2 * kk + (bw > qw ? bw : qw);
    *nint = 6 * (size_t) k + 8;
    return carve + kernels + 64;
}

/* Carve a job of up to n units and the cell scratch (dy, e: 2 n, a block,
 * inf: n) out of the thread's workspace; returns the scratch left for the
 * kernels. */
static double *did_job_carve(did_job *J, int n, int k, double *mem, int *imem, double **cellw)
{
    J->cols = imem;
    double *p = mem;
    J->X = p; p += (size_t) n * k;
    double **v[9] = {&J->D, &J->wn, &J->ps, &J->wt, &J->wc, &J->wo, &J->Ady, &J->Ae, &J->Hc};
    for (int j = 0; j < 9; j++) { *v[j] = p; p += n; }
    *cellw = p; p += 3 * (size_t) n + DID_BLK;
    J->XtXo = p; p += (size_t) k * k;
    J->Vps = p; p += (size_t) k * k;
    J->M3 = p; p += k;
    J->b = p; p += k;
    return p;
}

/* X'WX in XtX and the in-order rank check; returns 0 (full rank), or 1. */
static int did_gram(const double *X, const double *w, int m, int k, double *XtX, int *cols,
                    double *work, int *iwork)
{
    exr_crossprod(X, NULL, w, m, k, XtX, NULL);
    return exr_keep_in_order(XtX, k, NULL, 1e-10, iwork, cols, work) < k;
}

/* The units of the job of group g with comparison cutoff cut: G is sorted,
 * so the group is the run [gs, ge) and the units adopting after the cutoff
 * (or never) the run [cs, n); the group lies either before that run or
 * within it. Sets J->nr, lo, len, tr, m and mt. Pure. */
static void did_job_units(const did_data *dd, double g, double cut, did_job *J)
{
    const int n = dd->n;
    const int gs = did_search(dd->G, n, g, 0), ge = did_search(dd->G, n, g, 1);
    const int cs = cut == R_PosInf ? did_search(dd->G, n, R_PosInf, 0) : did_search(dd->G, n, cut, 1);
    J->nr = 0;
#define DID_RUN(a, b, t) do { if ((b) > (a)) { J->lo[J->nr] = (a); J->len[J->nr] = (b) - (a); \
                                               J->tr[J->nr++] = (t); } } while (0)
    if (ge <= cs) {
        DID_RUN(gs, ge, 1);
        DID_RUN(cs, n, 0);
    } else {
        DID_RUN(cs, gs, 0);
        DID_RUN(gs, ge, 1);
        DID_RUN(ge, n, 0);
    }
#undef DID_RUN
    J->m = 0;
    for (int r = 0; r < J->nr; r++) J->m += J->len[r];
    J->mt = ge - gs;
}

/*
 * Kernel: set up job J, whose units did_job_units() has laid out (treated:
 * G == g; comparison: never treated, or adopting after cut and not in g),
 * with covariates in slice J->tx of X: the units' weights and design, and
 * for dr and ipw the propensity-score logit (started from bstart when given,
 * else from the share of treated units), the capped scores, the trimmed
 * weights and (X' diag(p (1 - p) wn) X)^{-1} (the inverse of the
 * logit's information at its estimate); for dr and reg the Gram matrix of
 * the comparison-group regression; then the coefficients of the influence
 * function of every cell of the job (DRDID's, rearranged):
 *   dr:  inf = Ae e - Bt eta_t + Bc eta_c - Hc x'a,   e = dy - x'beta,
 *        Ae = (wt - wo x'c1) / mwt - (wc - wo x'c3) / mwc, c1 = n Vor M1,
 *        c3 = n Vor M3, M1 = colMeans(wt X), M3 = colMeans(wc X),
 *        Bt = wt / mwt, Bc = wc / mwc, Hc = wn (D - p) / mwc,
 *        a = n Vps M2, M2 = colMeans(wc (e - eta_c) X);
 *   ipw: inf = Ady dy - Bt eta_t + Bc eta_c - Hc x'a, Ady = Bt - Bc,
 *        a = n Vps colMeans(wc (dy - eta_c) X);
 *   reg: inf = Ady dy + Ae e - Bt eta_t + Bc eta_c, Ady = Bt - Bc,
 *        Ae = Bc - wo x'c3 / mwc.
 * Sets J->status (0, or 1 overlap, 2 regression singular,
 * 3 propensity model singular, 4 no treated or comparison unit), J->maxit,
 * J->qr (the regression is ill-conditioned: solve each cell by QR).
 * work: the rest of the thread's workspace. Pure: no R API.
 */
EXR_CLONES
static void did_job_setup(const did_data *dd, const double *bstart, did_job *J, double *work,
                          int *iwork)
{
    const int n = dd->n, k = dd->k, method = dd->method, m = J->m, mt = J->mt;
    J->status = 0;
    J->maxit = 0;
    J->qr = 0;
    J->fitted = 0;
    const double dn = (double) m;
    double sw = 0.0;
    for (int r = 0, j = 0; r < J->nr; r++) {
        const int lo = J->lo[r], len = J->len[r];
        const double Dr = J->tr[r] ? 1.0 : 0.0;
        for (int q = 0; q < len; q++) {
            J->D[j + q] = Dr;
            J->wn[j + q] = dd->w ? dd->w[lo + q] : 1.0;
            sw += J->wn[j + q];
        }
        j += len;
    }
    if (mt == 0 || mt == m || !(sw > 0)) { J->status = 4; return; }
    const double mw = sw / dn;
    for (int j = 0; j < m; j++) {
        J->wn[j] /= mw;
        J->wo[j] = J->wn[j] * (1.0 - J->D[j]);
    }
    /* the design at the covariate period (slice tx): intercept, then the covariates */
    for (int j = 0; j < m; j++) J->X[j] = 1.0;
    for (int c = 1; c < k; c++) {
        const double *xc = dd->X + ((R_xlen_t) J->tx * dd->kx + c - 1) * n;
        double *Xc = J->X + (R_xlen_t) c * m;
        for (int r = 0, j = 0; r < J->nr; r++) {
            memcpy(Xc + j, xc + J->lo[r], (size_t) J->len[r] * sizeof(double));
            j += J->len[r];
        }
    }
    double *t1 = work, *t2 = t1 + m, *kv = t2 + m, *rest = kv + 4 * (size_t) k;
    const double *X = J->X;

    if (method != DID_REG) {
        /* propensity score: logit of D on X with weights wn */
        double *b = J->b;
        if (bstart) {
            memcpy(b, bstart, (size_t) k * sizeof(double));
        } else {
            double s1 = 0.0, s0 = 0.0;
            for (int j = 0; j < m; j++) {
                s1 += J->wn[j] * J->D[j];
                s0 += J->wn[j] * (1.0 - J->D[j]);
            }
            memset(b, 0, (size_t) k * sizeof(double));
            if (s1 > 0 && s0 > 0) b[0] = log(s1 / s0);
        }
        int iter = 0;
        double *Io = rest, *lw = Io + (size_t) k * k;
        int st = exr_binary_fit(X, J->D, J->wn, m, k, 1, b, NULL, Io, NULL, t1, 100, 1e-20, 1e-10, &iter,
                                lw, iwork);
        if (st == EXR_BIN_MAXIT) J->maxit = 1;
        if (st == EXR_BIN_SINGULAR) { J->status = 3; return; }
        J->fitted = 1;
        /* scores capped at 1 - 1e-6; overlap fails at 0.999 */
        double pmax = 0.0;
        exr_exp_negabs(t1, J->ps, m);   /* e^-|eta|: one exponential, without overflow */
        for (int j = 0; j < m; j++) {
            const double eta = t1[j], ex = J->ps[j];
            double p = (eta > 0 ? 1.0 : ex) / (1.0 + ex);
            if (p > pmax) pmax = p;
            J->ps[j] = p < 1.0 - 1e-6 ? p : 1.0 - 1e-6;
        }
        if (pmax >= 0.999) { J->status = 1; return; }
        /* Vps = (X' diag(p (1 - p) wn) X)^{-1}: no score is capped (all are
         * below 0.999), so this is the logit's information, Io, at its
         * estimate or (tol_lag 1e-10) at the point one Newton step before
         * it, as glm's IRLS takes its information from the weights at the
         * start of its last iteration: a relative difference below 1e-6 in
         * Vps, far less in the standard errors; only when the Cholesky route
         * declines it is recomputed at the estimate and solved by QR */
        int *kept = iwork, *cols = iwork + k, *iw = iwork + 2 * k;
        int vok = exr_keep_in_order(Io, k, NULL, 1e-10, kept, cols, lw) == k &&
                  exr_ls_chol(Io, NULL, k, cols, k, NULL, J->Vps, lw, iw) == 0;
        if (!vok) {
            for (int j = 0; j < m; j++) t2[j] = J->ps[j] * (1.0 - J->ps[j]) * J->wn[j];
            if (did_wls(X, NULL, t2, m, k, NULL, J->Vps, rest, iwork)) { J->status = 3; return; }
        }
        double *restrict wt = J->wt, *restrict wc = J->wc, *restrict Hc = J->Hc;
        const double *restrict Dv = J->D, *restrict ps = J->ps, *restrict wn = J->wn;
        EXR_SIMD
        for (int j = 0; j < m; j++) {
            const double D = Dv[j], p = ps[j];
            /* kept: treated, or a comparison unit with p < 0.995 (as 0/1) */
            const double keep = D > 0.5 ? 1.0 : (p < 0.995 ? 1.0 : 0.0);
            wt[j] = keep * wn[j] * D;
            wc[j] = keep * wn[j] * p * (1.0 - D) / (1.0 - p);
            Hc[j] = wn[j] * (D - p);
        }
    } else {
        for (int j = 0; j < m; j++) J->wt[j] = J->wc[j] = J->wn[j] * J->D[j];
    }

    /* the comparison units' regression: Gram matrix, in-order rank, and
     * whether the Cholesky route declines (then QR, cell by cell); Vor =
     * (X' diag(wo) X)^{-1} */
    double *Vor = rest, *lsw = rest + (size_t) k * k;
    if (method != DID_IPW) {
        if (did_gram(X, J->wo, m, k, J->XtXo, J->cols, lsw, iwork)) { J->status = 2; return; }
        int info = exr_ls_chol(J->XtXo, NULL, k, J->cols, k, NULL, Vor, lsw, iwork);
        if (info == EXR_LS_ILLCOND) {
            J->qr = 1;
            info = exr_ls_qr(X, NULL, J->wo, m, J->cols, k, kv, Vor, lsw, iwork);
        }
        if (info != 0) { J->status = 2; return; }
    }

    double mwt = 0.0, mwc = 0.0;
    for (int j = 0; j < m; j++) {
        mwt += J->wt[j];
        mwc += J->wc[j];
    }
    mwt /= dn;
    mwc /= dn;
    if (!(mwt > 0) || !(mwc > 0)) { J->status = 4; return; }
    J->mwt = mwt;
    J->mwc = mwc;
    for (int c = 0; c < k; c++) J->M3[c] = 0.0;
    exr_xtwv_add(X, m, m, k, NULL, J->wc, NULL, J->M3);
    for (int c = 0; c < k; c++) J->M3[c] /= dn;
    if (method == DID_DR) {
        /* c1 = n Vor M1 and c3 = n Vor M3: x'c1 in t1, x'c3 in t2 */
        double *M1 = kv, *a = kv + k;
        for (int c = 0; c < k; c++) M1[c] = 0.0;
        exr_xtwv_add(X, m, m, k, NULL, J->wt, NULL, M1);
        for (int c = 0; c < k; c++) M1[c] /= dn;
        did_project(X, m, k, Vor, M1, dn, a, t1);
        did_project(X, m, k, Vor, J->M3, dn, a, t2);
        double *restrict Ae = J->Ae, *restrict Hc = J->Hc;
        const double *restrict wt = J->wt, *restrict wc = J->wc, *restrict wo = J->wo,
                               *restrict p1 = t1, *restrict p3 = t2;
        EXR_SIMD
        for (int j = 0; j < m; j++) {
            Ae[j] = (wt[j] - wo[j] * p1[j]) / mwt - (wc[j] - wo[j] * p3[j]) / mwc;
            Hc[j] /= mwc;
        }
    } else if (method == DID_IPW) {
        for (int j = 0; j < m; j++) {
            J->Ady[j] = J->wt[j] / mwt - J->wc[j] / mwc;
            J->Hc[j] /= mwc;
        }
    } else {
        double *a = kv;
        did_project(X, m, k, Vor, J->M3, dn, a, t2);
        for (int j = 0; j < m; j++) {
            J->Ady[j] = J->wt[j] / mwt - J->wc[j] / mwc;
            J->Ae[j] = J->wc[j] / mwc - J->wo[j] * t2[j] / mwc;
        }
    }
}

/*
 * Kernel: one cell of a set-up job: periods te (t) and tb (base), 0-based.
 * Writes *att and the influence function on the job's units into inf (m).
 * cw: 2 m + DID_BLK doubles (the cell scratch); work: the thread's kernel
 * scratch. The passes over the units go by blocks of DID_BLK rows, whose
 * columns stay in the L1 cache while the block's dot products read them.
 * Returns 0, or 2 when the regression of this cell's outcome fails. Pure.
 */
EXR_CLONES
static int did_job_cell(const did_data *dd, const did_job *J, int te, int tb, double *att,
                        double *inf, double *cw, double *work, int *iwork)
{
    const int n = dd->n, k = dd->k, m = J->m, method = dd->method;
    const double dn = (double) m;
    const double *X = J->X;
    double *dy = cw, *e = cw + m, *r = e + m;
    double *beta = work, *S = beta + k, *a = S + k, *Vt = a + k, *rest = Vt + (size_t) k * k;
    const double *ye = dd->Y + (R_xlen_t) te * n, *yb = dd->Y + (R_xlen_t) tb * n;
    for (int q = 0, j = 0; q < J->nr; q++) {
        const double *restrict pe = ye + J->lo[q], *restrict pb = yb + J->lo[q];
        double *restrict d = dy + j;
        EXR_SIMD
        for (int i = 0; i < J->len[q]; i++) d[i] = pe[i] - pb[i];
        j += J->len[q];
    }
    if (method != DID_IPW) {
        /* beta: the comparison units' regression of dy on X */
        int info;
        if (!J->qr) {
            for (int c = 0; c < k; c++) S[c] = 0.0;
            for (int j0 = 0; j0 < m; j0 += DID_BLK) {
                const int len = m - j0 < DID_BLK ? m - j0 : DID_BLK;
                double *restrict vb = r;   /* wo dy on the block */
                const double *restrict wob = J->wo + j0, *restrict db = dy + j0;
                EXR_SIMD
                for (int j = 0; j < len; j++) vb[j] = wob[j] * db[j];
                exr_xtwv_add(X + j0, m, len, k, NULL, vb, NULL, S);
            }
            info = exr_ls_chol(J->XtXo, S, k, J->cols, k, beta, Vt, rest, iwork);
        } else {
            info = exr_ls_qr(X, dy, J->wo, m, J->cols, k, beta, Vt, rest, iwork);
        }
        if (info != 0) return 2;
    }
    /* e = dy - X beta, block by block with the sums that read it */
    double st = 0.0, sc = 0.0, eta_t, eta_c;
    for (int c = 0; c < k; c++) S[c] = 0.0;
    for (int j0 = 0; j0 < m; j0 += DID_BLK) {
        const int len = m - j0 < DID_BLK ? m - j0 : DID_BLK;
        double *restrict eb = e + j0;
        const double *restrict db = dy + j0;
        if (method != DID_IPW) {
            memcpy(eb, db, (size_t) len * sizeof(double));
            for (int c = 0; c < k; c++) {
                const double *restrict xc = X + (R_xlen_t) c * m + j0;
                const double bc = beta[c];
                EXR_SIMD
                for (int j = 0; j < len; j++) eb[j] -= xc[j] * bc;
            }
        }
        if (method == DID_REG) {
            st += exr_dot(J->wt + j0, db, NULL, len);
            for (int j = 0; j < len; j++) sc += J->wc[j0 + j] * (db[j] - eb[j]);
        } else {
            const double *restrict v = method == DID_DR ? eb : db;
            st += exr_dot(J->wt + j0, v, NULL, len);
            /* colSums(wc v X), for M = colMeans(wc (v - eta_c) X); its
             * intercept's entry is sum(wc v) */
            double *restrict vb = r;
            const double *restrict wcb = J->wc + j0;
            EXR_SIMD
            for (int j = 0; j < len; j++) vb[j] = wcb[j] * v[j];
            exr_xtwv_add(X + j0, m, len, k, NULL, vb, NULL, S);
        }
    }
    if (method != DID_REG) sc = S[0];
    eta_t = st / dn / J->mwt;
    eta_c = sc / dn / J->mwc;
    const double it = eta_t / J->mwt, ic = eta_c / J->mwc;
    if (method == DID_DR || method == DID_IPW) {
        /* M = colMeans(wc v X) - eta_c M3, a = n Vps M */
        for (int c = 0; c < k; c++) S[c] = S[c] / dn - eta_c * J->M3[c];
        for (int q = 0; q < k; q++) {
            double t = 0.0;
            for (int c = 0; c < k; c++) t += J->Vps[q + (R_xlen_t) c * k] * S[c];
            a[q] = dn * t;
        }
        const double *A = method == DID_DR ? J->Ae : J->Ady, *v0 = method == DID_DR ? e : dy;
        for (int j0 = 0; j0 < m; j0 += DID_BLK) {
            const int len = m - j0 < DID_BLK ? m - j0 : DID_BLK;
            double *restrict rb = r;
            const double *restrict x0 = X + j0;
            const double a0 = a[0];
            EXR_SIMD
            for (int j = 0; j < len; j++) rb[j] = x0[j] * a0;
            for (int c = 1; c < k; c++) {
                const double *restrict xc = X + (R_xlen_t) c * m + j0;
                const double ac = a[c];
                EXR_SIMD
                for (int j = 0; j < len; j++) rb[j] += xc[j] * ac;
            }
            const double *restrict Ab = A + j0, *restrict vb = v0 + j0, *restrict wt = J->wt + j0,
                                   *restrict wc = J->wc + j0, *restrict Hc = J->Hc + j0;
            double *restrict fb = inf + j0;
            EXR_SIMD
            for (int j = 0; j < len; j++) fb[j] = Ab[j] * vb[j] - wt[j] * it + wc[j] * ic - Hc[j] * rb[j];
        }
    } else {
        for (int j = 0; j < m; j++)
            inf[j] = J->Ady[j] * dy[j] + J->Ae[j] * e[j] - J->wt[j] * it + J->wc[j] * ic;
    }
    *att = eta_t - eta_c;
    return 0;
}

/*
 * .Call entry: attgt_cells(Y, X, w, G, cells, method, cores, jobs, head)
 *   Y      n x T double matrix: the outcome of each unit (rows) in each period
 *   X      NULL (no covariates) or an n x kx x S double array: the kx
 *          covariates in each of S periods (attgt_reshape(); the intercept is
 *          added here)
 *   w      NULL or n unit weights; G n adoption periods (Inf: never treated),
 *          sorted (units ordered by adoption period, never treated last)
 *   cells  K x 5 double matrix, one row per (g, t) cell: g; the period index
 *          (1-based) of t and of the base period; the slice of X holding
 *          the covariates' period; the comparison cutoff c (comparison units: G = Inf, or
 *          G > c and G != g; Inf for never-treated comparisons)
 *   method 0 dr, 1 ipw, 2 reg; cores threads
 *   jobs   K ints: the cell's job (1..J; cells of a job share g, c and the
 *          covariate period), 0 for a cell not estimated (a reference cell)
 *   head   J ints: 0 for a job whose logit starts from the share of treated
 *          units, else the job (1-based, itself with head 0) whose estimate
 *          starts it (jobs of one group with different covariate periods
 *          have nearby propensity scores)
 * Jobs with head 0 run first, in parallel, then the others, in parallel: the
 * results do not depend on `cores`.
 * Returns list(att = K, inf = n x K (n / m times the cell's influence function
 * on its m units, 0 elsewhere and for cells not estimated, NA for failed
 * cells), status = K, n_treated = K, n_control = K, maxit = K).
 */
SEXP attgt_cells(SEXP Y_, SEXP X_, SEXP w_, SEXP G_, SEXP cells, SEXP method_, SEXP cores_,
                 SEXP jobs_, SEXP head_)
{
    if (!isReal(Y_) || !isMatrix(Y_)) exr_raise("Y", "must be a double matrix");
    const int n = nrows(Y_), T = ncols(Y_);
    const double *Y = REAL(Y_);
    int kx = 0, S = 0;
    const double *X = NULL;
    if (!isNull(X_)) {
        SEXP dm = getAttrib(X_, R_DimSymbol);
        if (!isReal(X_) || XLENGTH(dm) != 3 || INTEGER(dm)[0] != n)
            exr_raise("X", "must be an n x kx x S double array");
        kx = INTEGER(dm)[1];
        S = INTEGER(dm)[2];
        X = REAL(X_);
    }
    const double *w = isNull(w_) ? NULL : exr_real_arg(w_, n, "w");
    const double *G = exr_real_arg(G_, n, "G");
    for (int i = 0; i < n; i++)
        if (ISNAN(G[i]) || (i > 0 && G[i] < G[i - 1])) exr_raise("G", "must be sorted, without NA");
    if (!isReal(cells) || !isMatrix(cells) || ncols(cells) != 5)
        exr_raise("cells", "must be a double matrix with 5 columns");
    const int K = nrows(cells);
    const double *cl = REAL(cells);
    const int method = exr_scalar_int(method_, "method");
    if (method < 0 || method > 2) exr_raise("method", "must be 0, 1 or 2");
    const int nth = exr_threads(exr_scalar_int(cores_, "cores"));
    const int *jobs = exr_int_arg(jobs_, K, "jobs");
    const int *head = exr_int_arg(head_, -1, "head");
    const int J = (int) XLENGTH(head_);
    for (int c = 0; c < K; c++) {
        if (jobs[c] < 0 || jobs[c] > J) exr_raise("jobs", "must be in 0..length(head)");
        for (int j = 1; j <= 3; j++) {
            /* the period and base period index Y's T columns, the covariate
             * period X's S slices (any value without covariates) */
            const double v = cl[c + (R_xlen_t) j * K], hi = j < 3 ? T : (X ? S : R_PosInf);
            if (!(v >= 1 && v <= hi && v == floor(v))) exr_raise("cells", "bad period index");
        }
    }
    for (int j = 0; j < J; j++)
        if (head[j] < 0 || head[j] > J || (head[j] > 0 && head[head[j] - 1] != 0))
            exr_raise("head", "must be 0 or a job whose head is 0");
    /* the cells of each job, and each job's first cell */
    int *first = (int *) R_alloc(J > 0 ? J : 1, sizeof(int));
    for (int j = 0; j < J; j++) first[j] = -1;
    for (int c = 0; c < K; c++)
        if (jobs[c] > 0 && first[jobs[c] - 1] < 0) first[jobs[c] - 1] = c;
    for (int j = 0; j < J; j++) if (first[j] < 0) exr_raise("jobs", "job %d has no cell", j + 1);
    for (int c = 0; c < K; c++) {
        if (jobs[c] == 0) continue;
        const int f = first[jobs[c] - 1];
        if (cl[c] != cl[f] || cl[c + 3 * (R_xlen_t) K] != cl[f + 3 * (R_xlen_t) K] ||
            !(cl[c + 4 * (R_xlen_t) K] == cl[f + 4 * (R_xlen_t) K]))
            exr_raise("jobs", "cells of a job must share the group, covariate period and cutoff");
    }
    for (R_xlen_t i = 0; i < (R_xlen_t) n * T; i++)
        if (!(fabs(Y[i]) <= DBL_MAX)) exr_raise("Y", "has non-finite values");
    if (w) for (int i = 0; i < n; i++) if (!(w[i] >= 0 && R_FINITE(w[i]))) exr_raise("w", "bad weights");

    const char *nm[6] = {"att", "inf", "status", "n_treated", "n_control", "maxit"};
    SEXP out = PROTECT(exr_named_list(6, nm));
    SEXP att = allocVector(REALSXP, K); SET_VECTOR_ELT(out, 0, att);
    SEXP inf = allocMatrix(REALSXP, n, K); SET_VECTOR_ELT(out, 1, inf);
    SEXP status = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 2, status);
    SEXP ntr = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 3, ntr);
    SEXP nco = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 4, nco);
    SEXP mxt = allocVector(INTSXP, K); SET_VECTOR_ELT(out, 5, mxt);
    double *pinf = REAL(inf), *patt = REAL(att);
    int *pst = INTEGER(status), *pnt = INTEGER(ntr), *pnc = INTEGER(nco), *pmx = INTEGER(mxt);
    for (int c = 0; c < K; c++) {
        patt[c] = 0.0;
        pst[c] = pnt[c] = pnc[c] = pmx[c] = 0;
        /* cells not estimated (references): 0; the others are written below */
        if (jobs[c] == 0) memset(pinf + (R_xlen_t) c * n, 0, (size_t) n * sizeof(double));
    }

    did_data dd = {n, T, kx, kx + 1, method, Y, X, G, w};
    const int k = kx + 1;
    /* the workspace of a thread holds the largest job's units, not all n */
    int mmax = 1;
    for (int j = 0; j < J; j++) {
        did_job Jb;
        did_job_units(&dd, cl[first[j]], cl[first[j] + 4 * (R_xlen_t) K], &Jb);
        if (Jb.m > mmax) mmax = Jb.m;
    }
    size_t nint = 0, nd = did_work_size(mmax, k, &nint);
    double **tw = (double **) R_alloc(nth, sizeof(double *));
    int **tiw = (int **) R_alloc(nth, sizeof(int *));
    for (int t = 0; t < nth; t++) {
        tw[t] = (double *) R_alloc(nd, sizeof(double));
        tiw[t] = (int *) R_alloc(nint, sizeof(int));
    }
    /* the logit estimates of the head jobs, which start the others */
    double *bh = (double *) R_alloc((size_t) (J > 0 ? J : 1) * k, sizeof(double));
    int *hok = (int *) R_alloc(J > 0 ? J : 1, sizeof(int));
    int *list = (int *) R_alloc(J > 0 ? J : 1, sizeof(int));
    for (int phase = 0; phase < 2; phase++) {
        int nl = 0;
        for (int j = 0; j < J; j++) if ((head[j] == 0) == (phase == 0)) list[nl++] = j;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic)
#endif
        for (int l = 0; l < nl; l++) {
#ifdef _OPENMP
            int tid = omp_get_thread_num();
#else
            int tid = 0;
#endif
            const int j = list[l], c0 = first[j];
            did_job Jb;
            double *cw;
            double *rest = did_job_carve(&Jb, mmax, k, tw[tid], tiw[tid], &cw);
            double *fcell = cw + 2 * (size_t) mmax + DID_BLK;
            int *iw = tiw[tid] + k;
            const double *bs = head[j] > 0 && hok[head[j] - 1] ? bh + (size_t) (head[j] - 1) * k : NULL;
            did_job_units(&dd, cl[c0], cl[c0 + 4 * (R_xlen_t) K], &Jb);
            Jb.tx = (int) cl[c0 + 3 * (R_xlen_t) K] - 1;
            did_job_setup(&dd, bs, &Jb, rest, iw);
            if (phase == 0) {
                hok[j] = Jb.fitted;
                if (hok[j]) memcpy(bh + (size_t) j * k, Jb.b, (size_t) k * sizeof(double));
            }
            for (int c = c0; c < K; c++) {
                if (jobs[c] != j + 1) continue;
                double a = NA_REAL;
                int st = Jb.status;
                double *col = pinf + (R_xlen_t) c * n;
                if (st == 0) {
                    st = did_job_cell(&dd, &Jb, (int) cl[c + (R_xlen_t) K] - 1,
                                      (int) cl[c + 2 * (R_xlen_t) K] - 1, &a, fcell, cw, rest, iw);
                }
                patt[c] = st == 0 ? a : NA_REAL;
                pst[c] = st;
                pnt[c] = Jb.mt;
                pnc[c] = Jb.m - Jb.mt;
                pmx[c] = Jb.maxit;
                if (st == 0) {
                    /* n / m times the cell's influence function on its runs of
                     * units, 0 between them */
                    const double s = (double) n / Jb.m;
                    int pos = 0;
                    for (int q = 0, j = 0; q < Jb.nr; q++) {
                        const int lo = Jb.lo[q], len = Jb.len[q];
                        if (lo > pos) memset(col + pos, 0, (size_t) (lo - pos) * sizeof(double));
                        for (int i = 0; i < len; i++) col[lo + i] = s * fcell[j + i];
                        j += len;
                        pos = lo + len;
                    }
                    if (n > pos) memset(col + pos, 0, (size_t) (n - pos) * sizeof(double));
                } else {
                    for (int i = 0; i < n; i++) col[i] = NA_REAL;
                }
            }
        }
        R_CheckUserInterrupt();
    }
    UNPROTECT(1);
    return out;
}

/* Columns taken together (one cache line of a table entry), and bytes (of
 * eight rows each) whose tables are built together: MBOOT_KC x MBOOT_QB x 256
 * doubles (64 KB, in the L1 and L2 caches) that every draw of the range looks
 * up; the draws' partial sums of those columns (MBOOT_KC doubles a draw)
 * stream from L2 and are read and written once for the MBOOT_QB bytes. */
#define MBOOT_KC 8
#define MBOOT_QB 4


/* Doubles of workspace exr_mboot_draws needs per thread: the tables of the 256
 * signed sums of eight rows for MBOOT_KC columns, for MBOOT_QB bytes at a time. */
size_t exr_mboot_work_size(void)
{
    return (size_t) MBOOT_QB * 256 * MBOOT_KC;
}

/* Rows of the kernel's layout: m rounded up to whole blocks of MBOOT_QB bytes. */
size_t exr_mboot_rows(int m)
{
    const size_t blk = 8 * MBOOT_QB;
    return ((size_t) m + blk - 1) / blk * blk;
}

/*
 * The blocks the kernel may skip: nz[c nblk + j] flags the blocks of
 * 8 MBOOT_QB rows of psi (m x K, column-major) with a non-zero value in
 * chunk c of MBOOT_KC columns (nblk = exr_mboot_rows(m) / (8 MBOOT_QB)).
 */
void exr_mboot_nonzero(const double *psi, int m, int K, unsigned char *nz)
{
    const size_t nblk = exr_mboot_rows(m) / (8 * MBOOT_QB);
    const int nchunk = (K + MBOOT_KC - 1) / MBOOT_KC;
    memset(nz, 0, (size_t) nchunk * nblk);
    for (int k = 0; k < K; k++) {
        unsigned char *nzc = nz + (size_t) (k / MBOOT_KC) * nblk;
        const double *pk = psi + (R_xlen_t) k * m;
        for (int i = 0; i < m; i++)
            if (pk[i] != 0.0) nzc[i / (8 * MBOOT_QB)] = 1;
    }
}

/*
 * Kernel: multiplier bootstrap sums for draws b in [b0, b1).
 * psi: m x K influence functions (column-major); nz: exr_mboot_nonzero();
 * bits: the Rademacher signs, byte q of draw b at bits[q * B + b] (stored byte
 * by byte across draws, so that one byte position of every draw is contiguous),
 * for exr_mboot_rows(m) / 8 byte positions, bit j of byte q the sign of row
 * 8 q + j (1: +1, 0: -1; the bits of rows beyond m are ignored);
 * S: output by chunks of MBOOT_KC columns, each B x MBOOT_KC row-major:
 * S[(c B + b) MBOOT_KC + j] = sum_i v_ib psi_ik with k = c MBOOT_KC + j
 * (ceil(K / MBOOT_KC) B MBOOT_KC doubles; a draw's partial sums of a chunk are one
 * aligned cache line, and a chunk's are contiguous).
 * work: exr_mboot_work_size(). Each column's sum for a draw is accumulated
 * byte by byte in the same order whatever the range of draws or the grouping
 * of columns and bytes, so splitting draws across threads does not change a
 * bit. Blocks of rows that are zero in every column of a chunk are skipped
 * (they would add zeros). The tables are built once per call: give a call
 * many draws. Pure: no R API.
 */
EXR_CLONES
void exr_mboot_draws(const double *psi, const unsigned char *nz, int m, int K,
                     const unsigned char *bits, int B, int b0, int b1, double *S, double *work)
{
    const size_t rows = exr_mboot_rows(m), nblk = rows / (8 * MBOOT_QB);
    const int nchunk = (K + MBOOT_KC - 1) / MBOOT_KC;
    for (int c = 0; c < nchunk; c++) {
        const int k0 = c * MBOOT_KC, kc = K - k0 < MBOOT_KC ? K - k0 : MBOOT_KC;
        double *Sc = S + (size_t) c * B * MBOOT_KC;
        memset(Sc + (size_t) b0 * MBOOT_KC, 0, (size_t) (b1 - b0) * MBOOT_KC * sizeof(double));
        for (size_t blk = 0; blk < nblk; blk++) {
            /* rows whose influence is zero in every column of the chunk (units
             * outside these cells: att_gt orders units by adoption group, so
             * they come in long runs) would add zeros: skipped */
            if (!nz[(size_t) c * nblk + blk]) continue;
            for (int qq = 0; qq < MBOOT_QB; qq++) {
                double *restrict tab = work + (size_t) qq * 256 * MBOOT_KC;
                const int r0 = (int) (blk * MBOOT_QB + qq) * 8, nr = m - r0 < 8 ? (m - r0 > 0 ? m - r0 : 0) : 8;
                /* twice the eight rows' values (exact), zero beyond the rows
                 * and columns, so every loop below has fixed bounds (the
                 * padding's sums are never read); tab[0] = -(sum of the
                 * rows), and a set bit flips its row's sign */
                double row2[8][MBOOT_KC];
                for (int k = 0; k < MBOOT_KC; k++) {
                    const double *pk = psi + (R_xlen_t) (k0 + (k < kc ? k : 0)) * m + r0;
                    double s = 0.0;
                    for (int j = 0; j < 8; j++) {
                        const double v = j < nr && k < kc ? pk[j] : 0.0;
                        row2[j][k] = 2.0 * v;
                        s -= v;
                    }
                    tab[k] = s;
                }
                for (int j = 0; j < 8; j++) {
                    const int lo = 1 << j;
                    const double *restrict rj = row2[j];
                    for (int v = lo; v < 2 * lo; v++) {
                        double *restrict t = tab + (size_t) v * MBOOT_KC;
                        const double *restrict t0 = tab + (size_t) (v - lo) * MBOOT_KC;
                        EXR_SIMD
                        for (int k = 0; k < MBOOT_KC; k++) t[k] = t0[k] + rj[k];
                    }
                }
            }
            /* each draw's sums take the block's bytes in order,
             * ((s + t0) + t1) + ..., one vectorised loop over the columns */
            const unsigned char *restrict c0 = bits + blk * MBOOT_QB * (size_t) B,
                                *restrict c1 = c0 + B, *restrict c2 = c0 + 2 * (size_t) B,
                                *restrict c3 = c0 + 3 * (size_t) B;
            const double *restrict w0 = work, *restrict w1 = work + 256 * MBOOT_KC,
                                   *restrict w2 = work + 512 * MBOOT_KC, *restrict w3 = work + 768 * MBOOT_KC;
            for (int b = b0; b < b1; b++) {
                double *restrict sb = Sc + (size_t) b * MBOOT_KC;
                const double *restrict t0 = w0 + (size_t) c0[b] * MBOOT_KC,
                                       *restrict t1 = w1 + (size_t) c1[b] * MBOOT_KC,
                                       *restrict t2 = w2 + (size_t) c2[b] * MBOOT_KC,
                                       *restrict t3 = w3 + (size_t) c3[b] * MBOOT_KC;
                EXR_SIMD
                for (int k = 0; k < MBOOT_KC; k++) sb[k] = (((sb[k] + t0[k]) + t1[k]) + t2[k]) + t3[k];
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
 * Draws B x m Rademacher signs from R's RNG (main thread, 24 per unif_rand,
 * byte position by byte position: the signs of rows 8q+1..8q+8 of every draw,
 * then of the next eight rows), then in parallel over draws the bootstrap statistics
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
        if (!(fabs(psi[i]) <= DBL_MAX)) exr_raise("psi", "has non-finite values");

    /* the blocks of rows the kernel may skip */
    const int nchunk = (K + MBOOT_KC - 1) / MBOOT_KC;
    const size_t rows = exr_mboot_rows(m);
    unsigned char *nz = (unsigned char *) R_alloc((size_t) nchunk * rows / (8 * MBOOT_QB), 1);
    exr_mboot_nonzero(psi, m, K, nz);

    /* all signs first, in the main thread, in the order the kernel reads
     * them: byte q of every draw, then byte q + 1 (byte q of draw b is byte
     * q B + b of the sequence; the last byte of a draw carries m % 8 signs,
     * and its unused bits are ignored: their rows are zero in the tables) */
    const size_t nbyte = (size_t) (m + 7) / 8;
    const size_t nall = (size_t) B * nbyte;
    /* the kernel reads whole blocks of bytes: the padding rows' are zero */
    unsigned char *bits = (unsigned char *) R_alloc((size_t) B * (rows / 8), 1);
    memset(bits + nall, 0, (size_t) B * (rows / 8) - nall);
    GetRNGstate();
    /* three bytes (24 uniform bits) per uniform: every generator of R
     * resolves at least 2^-30 */
    for (size_t r = 0; r < nall; r += 3) {
        unsigned int v = (unsigned int) (unif_rand() * 16777216.0);
        bits[r] = (unsigned char) (v & 0xFF);
        if (r + 1 < nall) bits[r + 1] = (unsigned char) ((v >> 8) & 0xFF);
        if (r + 2 < nall) bits[r + 2] = (unsigned char) (v >> 16);
    }
    PutRNGstate();

    double *S = (double *) R_alloc((size_t) nchunk * B * MBOOT_KC, sizeof(double));
    size_t ws = exr_mboot_work_size();
    double **tw = (double **) R_alloc(nth, sizeof(double *));
    for (int t = 0; t < nth; t++) tw[t] = (double *) R_alloc(ws, sizeof(double));
    /* rounds of draws with an interrupt check between them; each call of the
     * kernel builds the tables anew, so a round is large */
    const int per_round = 1024 * nth;
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
            if (b0 < b1) exr_mboot_draws(psi, nz, m, K, bits, B, b0, b1, S, tw[tid]);
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
        for (int b = 0; b < B; b++)
            d[b + (R_xlen_t) k * B] = sm * S[((size_t) (k / MBOOT_KC) * B + b) * MBOOT_KC + k % MBOOT_KC];
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
