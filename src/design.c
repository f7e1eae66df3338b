/*
 * The design builder's passes over the rows that R would do slowly at a
 * million rows: dense group codes by counting, the non-finite check, the
 * iterative removal of fixed-effect singletons (reghdfe's rule), and the
 * panel's rows sorted by unit and time (panel_index()).
 */
#include "exportres.h"
#include <float.h>

/*
 * .Call entry: group_codes_count(x)
 * Dense codes 1..G of the distinct values of x (integer or double), in
 * increasing order of value, NA staying NA, when every non-NA value is a whole
 * number and their range is below 4n + 1000 (counting then beats hashing),
 * with the number of groups G as attribute "n_groups" (as n_groups() reads
 * it); an integer x without attributes that already holds such codes (each
 * of 1..G present, no NA) is returned itself, without the attribute. Returns
 * NULL otherwise, and the caller falls back to match(x, unique(x)).
 */
/* group_codes_count() for an integer vector: the same codes, with loops
 * free of the type tests. */
static SEXP int_codes_count(SEXP x)
{
    const R_xlen_t n = XLENGTH(x);
    const int *xi = INTEGER(x);
    int lo = INT_MAX, hi = INT_MIN, any_na = 0;
    for (R_xlen_t i = 0; i < n; i++) {
        const int v = xi[i];
        if (v == NA_INTEGER) { any_na = 1; continue; }
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    if (lo > hi) { /* all NA */
        SEXP out = PROTECT(allocVector(INTSXP, n));
        int *o = INTEGER(out);
        for (R_xlen_t i = 0; i < n; i++) o[i] = NA_INTEGER;
        UNPROTECT(1);
        return out;
    }
    const double span = (double) hi - (double) lo + 1.0;
    if (span > 4.0 * (double) n + 1000.0) return R_NilValue;
    const R_xlen_t m = (R_xlen_t) span;
    int *code = (int *) R_alloc(m, sizeof(int));
    memset(code, 0, (size_t) m * sizeof(int));
    for (R_xlen_t i = 0; i < n; i++)
        if (xi[i] != NA_INTEGER) code[(R_xlen_t) xi[i] - lo] = 1;
    int g = 0;
    for (R_xlen_t k = 0; k < m; k++) if (code[k]) code[k] = ++g;
    /* already the codes (1..g, every value present, no NA, no attribute:
     * unit ids 1..G, the usual case): x itself, not a copy */
    if (lo == 1 && g == hi && !any_na && ATTRIB(x) == R_NilValue) return x;
    SEXP out = PROTECT(allocVector(INTSXP, n));
    int *o = INTEGER(out);
    for (R_xlen_t i = 0; i < n; i++)
        o[i] = xi[i] == NA_INTEGER ? NA_INTEGER : code[(R_xlen_t) xi[i] - lo];
    setAttrib(out, install("n_groups"), ScalarInteger(g));
    UNPROTECT(1);
    return out;
}

SEXP group_codes_count(SEXP x)
{
    if (!isInteger(x) && !isReal(x)) exr_raise("x", "must be integer or double");
    if (isInteger(x)) return int_codes_count(x);
    const R_xlen_t n = XLENGTH(x);
    const double *xd = REAL(x);
    double lo = R_PosInf, hi = R_NegInf;
    for (R_xlen_t i = 0; i < n; i++) {
        const double v = xd[i];
        if (ISNAN(v)) continue;
        if (!R_FINITE(v) || v != floor(v)) return R_NilValue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
    }
    if (lo <= hi && hi - lo + 1.0 > 4.0 * (double) n + 1000.0) return R_NilValue;
    SEXP out = PROTECT(allocVector(INTSXP, n));
    int *o = INTEGER(out);
    /* whole numbers in a compact range: a table of the values present */
    const R_xlen_t m = lo <= hi ? (R_xlen_t) (hi - lo + 1.0) : 0;
    int *code = (int *) R_alloc(m > 0 ? m : 1, sizeof(int));
    memset(code, 0, (size_t) (m > 0 ? m : 1) * sizeof(int));
    for (R_xlen_t i = 0; i < n; i++)
        if (!ISNAN(xd[i])) code[(R_xlen_t) (xd[i] - lo)] = 1;
    int g = 0;
    for (R_xlen_t k = 0; k < m; k++) if (code[k]) code[k] = ++g;
    for (R_xlen_t i = 0; i < n; i++) o[i] = ISNAN(xd[i]) ? NA_INTEGER : code[(R_xlen_t) (xd[i] - lo)];
    if (g > 0) setAttrib(out, install("n_groups"), ScalarInteger(g));
    UNPROTECT(1);
    return out;
}

/* finite_scan() of a double vector. */
EXR_CLONES
static void double_scan(const double *restrict v, R_xlen_t n, double *bad_, double *big_,
                        double *na_, double *lo_, double *hi_)
{
    double bad = 0, big = 0, na = 0, lo = R_PosInf, hi = R_NegInf;
    /* one vectorised pass over the raw values: their range and magnitude,
     * exact when every value is finite (a <= DBL_MAX: false for Inf and
     * NaN), and the number that are not; only when some are not, a second
     * pass takes the range over the finite values and tells NAs from the
     * others */
    double nonfin = 0.0, mx = 0.0, vlo = INFINITY, vhi = -INFINITY;
#ifdef _OPENMP
#pragma omp simd reduction(min:vlo) reduction(max:vhi, mx) reduction(+:nonfin)
#endif
    for (R_xlen_t i = 0; i < n; i++) {
        const double vi = v[i], a = fabs(vi);
        nonfin += a <= DBL_MAX ? 0.0 : 1.0;
        vlo = vi < vlo ? vi : vlo;
        vhi = vi > vhi ? vi : vhi;
        mx = a > mx ? a : mx;
    }
    if (nonfin > 0) {
        mx = 0.0;
        vlo = INFINITY;
        vhi = -INFINITY;
        for (R_xlen_t i = 0; i < n; i++) {
            const double vi = v[i], a = fabs(vi);
            if (a <= DBL_MAX) {
                if (vi < vlo) vlo = vi;
                if (vi > vhi) vhi = vi;
                if (a > mx) mx = a;
            } else if (R_IsNA(vi)) {
                na++;
            } else {
                bad++;
            }
        }
    }
    big = mx;
    if (vlo <= vhi) {
        lo = vlo;
        hi = vhi;
    }
    *bad_ = bad;
    *big_ = big;
    *na_ = na;
    *lo_ = lo;
    *hi_ = hi;
}

/*
 * .Call entry: finite_scan(x)
 * One pass over a double (or integer) vector: c(number of values that are infinite or NaN
 * but not NA, largest magnitude of the finite values, number of NAs, smallest
 * and largest finite value (Inf and -Inf when there is none)). R's NA_real_ is
 * a NaN with a payload; those rows are missing, not invalid. The one scan
 * serves every check of a column: non-finite values, magnitude, missing
 * values, constancy.
 */
SEXP finite_scan(SEXP x)
{
    R_xlen_t n = XLENGTH(x);
    SEXP out = PROTECT(allocVector(REALSXP, 5));
    double bad = 0, big = 0, na = 0, lo = R_PosInf, hi = R_NegInf;
    if (TYPEOF(x) == INTSXP) {   /* an integer column: NAs and range only */
        const int *xi = INTEGER(x);
        int ilo = INT_MAX, ihi = INT_MIN;
        for (R_xlen_t i = 0; i < n; i++) {
            const int vi = xi[i];
            if (vi == NA_INTEGER) { na++; continue; }
            if (vi < ilo) ilo = vi;
            if (vi > ihi) ihi = vi;
        }
        if (ilo <= ihi) {
            lo = ilo;
            hi = ihi;
            big = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
        }
    } else {
        double_scan(exr_real_arg(x, -1, "x"), n, &bad, &big, &na, &lo, &hi);
    }
    double *o = REAL(out);
    o[0] = bad;
    o[1] = big;
    o[2] = na;
    o[3] = lo;
    o[4] = hi;
    UNPROTECT(1);
    return out;
}


/*
 * .Call entry: singleton_keep(fe)
 * fe: list of Q integer code vectors (1..G_q, no NA) over the same n rows.
 * Drops every row alone in a group of some factor, repeatedly, since each
 * removal can create new singletons in another factor (reghdfe, fixest).
 * Returns a logical vector of length n: the rows kept.
 */
SEXP singleton_keep(SEXP fe)
{
    if (TYPEOF(fe) != VECSXP || XLENGTH(fe) < 1) exr_raise("fe", "must be a non-empty list");
    int Q = (int) XLENGTH(fe);
    R_xlen_t n = XLENGTH(VECTOR_ELT(fe, 0));
    const int **g = (const int **) R_alloc(Q, sizeof(int *));
    int **cnt = (int **) R_alloc(Q, sizeof(int *));
    for (int q = 0; q < Q; q++) {
        g[q] = exr_int_arg(VECTOR_ELT(fe, q), n, "fe[[q]]");
        int G = 0;
        for (R_xlen_t i = 0; i < n; i++) {
            if (g[q][i] == NA_INTEGER || g[q][i] < 1) exr_raise("fe", "codes must be positive integers");
            if (g[q][i] > G) G = g[q][i];
        }
        cnt[q] = (int *) R_alloc((size_t) G + 1, sizeof(int));
        memset(cnt[q], 0, ((size_t) G + 1) * sizeof(int));
        for (R_xlen_t i = 0; i < n; i++) cnt[q][g[q][i]]++;
    }
    SEXP keep = PROTECT(allocVector(LGLSXP, n));
    int *k = LOGICAL(keep);
    for (R_xlen_t i = 0; i < n; i++) k[i] = 1;
    for (int round = 0;; round++) {
        R_xlen_t dropped = 0;
        for (R_xlen_t i = 0; i < n; i++) {
            if (!k[i]) continue;
            int single = 0;
            for (int q = 0; q < Q && !single; q++) single = cnt[q][g[q][i]] == 1;
            if (single) { k[i] = 0; dropped++; }
        }
        if (!dropped) break;
        /* recount the groups over the rows left */
        for (int q = 0; q < Q; q++) {
            int G = 0;
            for (R_xlen_t i = 0; i < n; i++) if (g[q][i] > G) G = g[q][i];
            memset(cnt[q], 0, ((size_t) G + 1) * sizeof(int));
            for (R_xlen_t i = 0; i < n; i++) if (k[i]) cnt[q][g[q][i]]++;
        }
        if ((round & 15) == 15) R_CheckUserInterrupt();
    }
    UNPROTECT(1);
    return keep;
}

/* Stable merge sort of pos[0..len) by key[pos[.]] (ties keep their order);
 * tmp: len ints. */
static void order_merge(int *pos, int len, const double *key, int *tmp)
{
    if (len < 2) return;
    if (len <= 16) {   /* insertion sort: stable, and linear on sorted input */
        for (int i = 1; i < len; i++) {
            int v = pos[i], j = i;
            while (j > 0 && key[pos[j - 1]] > key[v]) { pos[j] = pos[j - 1]; j--; }
            pos[j] = v;
        }
        return;
    }
    int h = len / 2;
    order_merge(pos, h, key, tmp);
    order_merge(pos + h, len - h, key, tmp);
    if (!(key[pos[h - 1]] > key[pos[h]])) return;   /* already in order */
    memcpy(tmp, pos, (size_t) h * sizeof(int));
    int a = 0, b = h, o = 0;
    while (a < h && b < len) pos[o++] = key[pos[b]] < key[tmp[a]] ? pos[b++] : tmp[a++];
    while (a < h) pos[o++] = tmp[a++];
}

/* Are the n rows sorted by unit code (all in 1..G, none NA), then strictly
 * by time (none NA; tm double or ti integer, or neither)? One pass without
 * branches on the data, so that it vectorises. */
static int rows_in_panel_order(const int *restrict id, const double *restrict tm,
                               const int *restrict ti, R_xlen_t n, int G)
{
    if (n == 0) return 1;
    if (id[0] < 1 || id[n - 1] > G) return 0;   /* NA_INTEGER is below 1 */
    int ok = 1;
    const int na = NA_INTEGER;
    if (ti) {
        for (R_xlen_t i = 1; i < n; i++) {
            const int a = id[i - 1], b = id[i];
            ok &= (b > a) | ((b == a) & (ti[i] > ti[i - 1]));
            ok &= ti[i] != na;
        }
        ok &= ti[0] != na;
    } else if (tm) {
        for (R_xlen_t i = 1; i < n; i++) {
            const int a = id[i - 1], b = id[i];
            /* comparisons with NaN are false */
            ok &= (b > a) | ((b == a) & (tm[i] > tm[i - 1]));
            ok &= tm[i] == tm[i];
        }
        ok &= tm[0] == tm[0];
    } else {
        for (R_xlen_t i = 1; i < n; i++) ok &= id[i] >= id[i - 1];
    }
    return ok;
}

/*
 * .Call entry: panel_order(id, time, G)
 *   id    integer unit codes 1..G, NA for rows in no unit
 *   time  double or integer times (no NA where id is not NA), or NULL
 * The rows of the units sorted by unit, then time, stably (ties in their row
 * order): what order(id, time) gives on those rows, by counting (the codes
 * are dense) and, within a unit, a merge sort that is linear on rows already
 * in time order (the usual case); rows already sorted by unit and time are
 * recognised in a first pass and are their own order. Returns
 * list(order = 1-based rows (NULL when the rows are already in order: the
 * order is then 1..n, which the caller need not store),
 * start = G + 1 offsets into order, dup = the 1-based row of the first
 * repeated (id, time) pair in that order, or 0).
 */
SEXP panel_order(SEXP id_, SEXP time_, SEXP G_)
{
    const R_xlen_t n = XLENGTH(id_);
    if (n > INT_MAX - 1) exr_raise("id", "too many rows");
    const int *id = exr_int_arg(id_, n, "id");
    /* time: double, or integer (read without a copy; converted only for a
     * unit whose rows are out of time order) */
    const double *tm = NULL;
    const int *ti = NULL;
    if (!isNull(time_)) {
        if (TYPEOF(time_) == INTSXP) {
            if (XLENGTH(time_) != n) exr_raise("time", "must have one value per row");
            ti = INTEGER(time_);
        } else {
            tm = exr_real_arg(time_, n, "time");
        }
    }
    const int G = exr_scalar_int(G_, "G");
    if (G < 0) exr_raise("G", "must be non-negative");
    const char *nm[3] = {"order", "start", "dup"};
    SEXP out = PROTECT(exr_named_list(3, nm));
    SEXP st = allocVector(INTSXP, (R_xlen_t) G + 1);
    SET_VECTOR_ELT(out, 1, st);
    int *start = INTEGER(st);
    memset(start, 0, ((size_t) G + 1) * sizeof(int));
    /* rows already sorted by unit, then strictly by time, every one in a
     * unit (the usual layout of a panel): then the order is the rows
     * themselves, with no repeated pair, and the units' sizes are the
     * lengths of the runs of equal codes */
    if (rows_in_panel_order(id, tm, ti, n, G)) {
        R_xlen_t run0 = 0;
        for (R_xlen_t i = 1; i <= n; i++) {
            if (i == n || id[i] != id[i - 1]) {
                start[id[run0]] = (int) (i - run0);
                run0 = i;
            }
        }
        for (int g = 0; g < G; g++) start[g + 1] += start[g];
        SET_VECTOR_ELT(out, 0, R_NilValue);   /* the order is 1..n */
        SET_VECTOR_ELT(out, 2, ScalarInteger(0));
        UNPROTECT(1);
        return out;
    }
    for (R_xlen_t i = 0; i < n; i++) {
        if (id[i] == NA_INTEGER) continue;
        if (id[i] < 1 || id[i] > G) exr_raise("id", "codes must be in 1..G");
        if ((tm && ISNAN(tm[i])) || (ti && ti[i] == NA_INTEGER)) exr_raise("time", "NA time in a unit");
        start[id[i]]++;
    }
    for (int g = 0; g < G; g++) start[g + 1] += start[g];
    const int nv = start[G];
    SEXP ord = allocVector(INTSXP, nv);
    SET_VECTOR_ELT(out, 0, ord);
    int *o = INTEGER(ord);
    int *fill = (int *) R_alloc((size_t) G + 1, sizeof(int));
    memcpy(fill, start, ((size_t) G + 1) * sizeof(int));
    for (R_xlen_t i = 0; i < n; i++)
        if (id[i] != NA_INTEGER) o[fill[id[i] - 1]++] = (int) i;   /* 0-based for now */
    int dup = 0;
    if (tm || ti) {
        int maxlen = 0;
        for (int g = 0; g < G; g++)
            if (start[g + 1] - start[g] > maxlen) maxlen = start[g + 1] - start[g];
        int *tmp = (int *) R_alloc(maxlen > 0 ? maxlen : 1, sizeof(int));
        int first = nv;
        for (int g = 0; g < G; g++) {
            int *seg = o + start[g], len = start[g + 1] - start[g];
            /* one pass when the unit's rows are in time order (the usual
             * case): no sort, and the repeated pair is the first tie */
            int sorted = 1, tie = -1;
            if (tm) {
                for (int j = 1; j < len && sorted; j++) {
                    const double a = tm[seg[j - 1]], b = tm[seg[j]];
                    sorted = !(a > b);
                    if (a == b && tie < 0) tie = j;
                }
            } else {
                for (int j = 1; j < len && sorted; j++) {
                    const int a = ti[seg[j - 1]], b = ti[seg[j]];
                    sorted = a <= b;
                    if (a == b && tie < 0) tie = j;
                }
            }
            if (!sorted) {
                if (!tm) {   /* the first unit out of order: the times as doubles */
                    double *td = (double *) R_alloc(n, sizeof(double));
                    for (R_xlen_t i = 0; i < n; i++) td[i] = ti[i];
                    tm = td;
                }
                order_merge(seg, len, tm, tmp);
                tie = -1;
                for (int j = 1; j < len && tie < 0; j++)
                    if (tm[seg[j - 1]] == tm[seg[j]]) tie = j;
            }
            if (tie > 0 && start[g] + tie < first) first = start[g] + tie;
            for (int j = 0; j < len; j++) seg[j]++;   /* 1-based, while in cache */
        }
        if (first < nv) dup = o[first];
    } else {
        for (int j = 0; j < nv; j++) o[j]++;
    }
    SET_VECTOR_ELT(out, 2, ScalarInteger(dup));
    UNPROTECT(1);
    return out;
}
