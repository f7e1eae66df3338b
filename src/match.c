/*
 * Nearest-neighbour matching on a scalar distance (a propensity score or its
 * linear index), greedy, k neighbours, with or without replacement, with an
 * optional caliper, within groups (psm_match(by = )).
 *
 * Method. The units are sorted once by (group, distance), ties in data order
 * (a stable sort; the caller passes that order, R's radix order(), which is
 * the order MatchIt's sort.list() gives). One pass over it lays the eligible
 * controls out in sorted order and records, for every treated unit, its split
 * point: the number of controls of its group that precede it. A treated unit's
 * nearest available control is then the nearest available one to the left of
 * its split point or to the right of it, so each match costs O(1) amortised:
 *   - with replacement every control stays available, and a treated unit's k
 *     neighbours are found by walking two pointers outwards from its split point;
 *   - without replacement, used controls are skipped through two union-find
 *     forests ("nearest available at or left of j", "... at or right of j")
 *     with path halving, so a scan never revisits a used control.
 * Sorting dominates: O(n log n) overall, not O(n1 n0).
 *
 * The rule is MatchIt's (>= 4.5.4) nn_matchC_vec, so that matched sets agree
 * with it even where there are ties:
 *   - without replacement, matching goes in k rounds; in each round every
 *     treated unit, in the caller's order (MatchIt: decreasing score), takes
 *     its nearest available control; with replacement each treated unit takes
 *     its k nearest controls (the order does not matter);
 *   - left or right: the left (lower-score) candidate wins when the two are
 *     equally distant;
 *   - among controls with identical scores, sorted order decides: on the left
 *     the one appearing last in the data, on the right the first;
 *   - caliper: a candidate farther than `caliper` (in the distance's units) is
 *     not acceptable, |d_t - d_c| > caliper; a treated unit with no acceptable
 *     candidate on either side stays unmatched (in that round).
 *
 * Weights (MatchIt's, estimand ATT): a matched treated unit weighs 1; a control
 * weighs the sum over the treated units it is matched to of 1 / (number of
 * controls matched to that treated unit); control weights are then rescaled to
 * sum to the number of matched controls. Unmatched units weigh 0.
 */
#include "exportres.h"
#include <limits.h>

/* Union-find "nearest available position" with path halving. par has m + 2
 * entries over shifted positions 0..m+1: control position j is j + 1, and
 * 0 and m + 1 are sentinels that always point to themselves. */
static inline int uf_find(int *par, int x)
{
    while (par[x] != x) {
        par[x] = par[par[x]];
        x = par[x];
    }
    return x;
}

/* Ints of workspace exr_nn_match needs (doubles: n). */
size_t exr_nn_match_iwork_size(int n, int G)
{
    return 6 * (size_t) n + 2 * (size_t) G + 8;
}

/*
 * Kernel: greedy nearest-neighbour matching.
 *   n        number of units (rows)
 *   d        distances (n)
 *   role     per unit: 1 treated, 0 control; any other value (discarded,
 *            unused) takes no part
 *   grp      group codes 0..G-1 (n), or NULL for one group (G = 1)
 *   sorted   the n units sorted by (group, distance), ties in data order, 0-based
 *   torder   the nt treated units to match (role 1), in matching order, 0-based
 *   trow     the n1 units with role 1, in data order: the rows of mm
 *   k        neighbours per treated unit (>= 1); replace 1 or 0
 *   caliper  largest acceptable |d_t - d_c|, per group (G values); < 0: none
 * Outputs:
 *   mm       n1 x k (column-major): 0-based rows of the controls matched to
 *            trow[r], in the order found, -1 where none
 *   w        weights (n), as described at the top of this file
 * Returns the number of treated units with at least one match.
 * Work: dwork n doubles, iwork exr_nn_match_iwork_size(n, G) ints. Pure: no R API.
 */
int exr_nn_match(int n, const double *d, const int *role, const int *grp, int G,
                 const int *sorted, const int *torder, int nt, const int *trow, int n1,
                 int k, int replace, const double *caliper, int *mm, double *w,
                 double *dwork, int *iwork)
{
    double *cd = dwork;                 /* distances of the controls, in sorted order */
    int *ctl = iwork;                   /* n: row of each sorted control position */
    int *split = ctl + n;               /* n: per treated row, controls of its group before it */
    int *tpos = split + n;              /* n: per row, its index in trow (or -1) */
    int *got = tpos + n;                /* n: per entry of torder, matches so far */
    int *glo = got + n;                 /* G + 1: first control position of each group */
    int *ghi = glo + (G + 1);           /* G + 1: one past its last */
    int *parl = ghi + (G + 1);          /* m + 2 */
    int m = 0;

    for (int g = 0; g < G; g++) glo[g] = ghi[g] = -1;
    for (int s = 0; s < n; s++) {
        int i = sorted[s];
        if (role[i] != 0 && role[i] != 1) continue;
        int g = grp ? grp[i] : 0;
        if (glo[g] < 0) glo[g] = m;
        if (role[i] == 0) {
            cd[m] = d[i];
            ctl[m++] = i;
        } else {
            split[i] = m;
        }
        ghi[g] = m;
    }
    for (int g = 0; g < G; g++) if (glo[g] < 0) glo[g] = ghi[g] = 0;
    int *parr = parl + (m + 2);         /* m + 2 (fits: parl has 2n + 4 ints) */

    for (int i = 0; i < n; i++) { tpos[i] = -1; w[i] = 0.0; }
    for (int r = 0; r < n1; r++) tpos[trow[r]] = r;
    for (R_xlen_t j = 0; j < (R_xlen_t) n1 * k; j++) mm[j] = -1;
    if (m == 0 || nt == 0) return 0;

    int n_matched = 0;
    if (replace) {
        /* each treated unit independently: its k nearest, two pointers outwards */
        for (int r = 0; r < nt; r++) {
            int t = torder[r], tp = tpos[t], g = grp ? grp[t] : 0;
            double cal = caliper[g], dt = d[t];
            int lo = glo[g], hi = ghi[g], l = split[t] - 1, rr = split[t], found = 0;
            while (found < k) {
                int okl = l >= lo && !(cal >= 0 && fabs(cd[l] - dt) > cal);
                int okr = rr < hi && !(cal >= 0 && fabs(cd[rr] - dt) > cal);
                int pick;
                if (okl && okr) pick = fabs(cd[l] - dt) <= fabs(cd[rr] - dt) ? l-- : rr++;
                else if (okl) pick = l--;
                else if (okr) pick = rr++;
                else break;
                mm[tp + (R_xlen_t) found * n1] = ctl[pick];
                found++;
            }
            if (found > 0) n_matched++;
        }
    } else {
        /* k rounds; in each, every treated unit in turn takes its nearest
         * available control; used controls are spliced out of both forests */
        for (int j = 0; j < m + 2; j++) parl[j] = parr[j] = j;
        int avail = m;
        for (int r = 0; r < nt; r++) got[r] = 0;
        for (int round = 0; round < k && avail > 0; round++) {
            for (int r = 0; r < nt && avail > 0; r++) {
                /* nothing acceptable in an earlier round: nothing now either */
                if (got[r] < round) continue;
                int t = torder[r], tp = tpos[t], g = grp ? grp[t] : 0;
                double cal = caliper[g], dt = d[t];
                int lo = glo[g], hi = ghi[g];
                int l = uf_find(parl, split[t]) - 1;        /* at or left of split - 1 */
                int rr = uf_find(parr, split[t] + 1) - 1;   /* at or right of split */
                int okl = l >= lo && !(cal >= 0 && fabs(cd[l] - dt) > cal);
                int okr = rr < hi && !(cal >= 0 && fabs(cd[rr] - dt) > cal);
                int pick;
                if (okl && okr) pick = fabs(cd[l] - dt) <= fabs(cd[rr] - dt) ? l : rr;
                else if (okl) pick = l;
                else if (okr) pick = rr;
                else continue;
                mm[tp + (R_xlen_t) round * n1] = ctl[pick];
                if (++got[r] == 1) n_matched++;
                parl[pick + 1] = pick;
                parr[pick + 1] = pick + 2;
                avail--;
            }
        }
    }

    /* weights: treated 1, controls sum of 1/k_i, rescaled to the matched count */
    for (int tp = 0; tp < n1; tp++) {
        int ki = 0;
        for (int j = 0; j < k; j++) if (mm[tp + (R_xlen_t) j * n1] >= 0) ki++;
        if (!ki) continue;
        w[trow[tp]] = 1.0;
        for (int j = 0; j < k; j++) {
            int c = mm[tp + (R_xlen_t) j * n1];
            if (c >= 0) w[c] += 1.0 / ki;
        }
    }
    double wsum = 0.0;
    int nc = 0;
    for (int j = 0; j < m; j++) {
        double wc = w[ctl[j]];
        if (wc > 0) { wsum += wc; nc++; }
    }
    for (int j = 0; j < m && nc > 0; j++) {
        int c = ctl[j];
        if (w[c] > 0) w[c] = nc * w[c] / wsum;
    }
    return n_matched;
}

/*
 * .Call entry: nn_match(d, role, grp, sorted, torder, k, replace, caliper)
 *   d       double (n) distances
 *   role    integer (n): 1 treated, 0 control, other values take no part
 *   grp     integer (n) group codes 1..G, or NULL
 *   sorted  integer (n) 1-based rows sorted by (group, distance), ties in data order
 *   torder  integer 1-based rows of the treated units (role 1) in matching order
 *   k       integer >= 1; replace logical; caliper double (G values, or 1), < 0 = none
 * Returns list(match_matrix = n1 x k integer matrix of 1-based control rows
 * (NA unmatched), rows the role-1 units in data order; weights (n);
 * n_matched).
 */
SEXP nn_match(SEXP d_, SEXP role_, SEXP grp_, SEXP sorted_, SEXP torder_, SEXP k_, SEXP replace_,
              SEXP caliper_)
{
    const R_xlen_t nx = XLENGTH(d_);
    if (nx > INT_MAX - 16) exr_raise("d", "too many units");
    const int n = (int) nx;
    const double *d = exr_real_arg(d_, n, "d");
    const int *role = exr_int_arg(role_, n, "role");
    const int *sorted = exr_int_arg(sorted_, n, "sorted");
    const int k = exr_scalar_int(k_, "k");
    if (!isLogical(replace_) || XLENGTH(replace_) != 1 || LOGICAL(replace_)[0] == NA_LOGICAL)
        exr_raise("replace", "must be TRUE or FALSE");
    const int replace = LOGICAL(replace_)[0];
    if (k < 1) exr_raise("k", "must be at least 1");
    int G = 1;
    const int *grp1 = NULL;
    if (!isNull(grp_)) {
        grp1 = exr_int_arg(grp_, n, "grp");
        G = 0;
        for (int i = 0; i < n; i++) {
            if (grp1[i] == NA_INTEGER || grp1[i] < 1) exr_raise("grp", "codes must be positive integers");
            if (grp1[i] > G) G = grp1[i];
        }
    }
    const double *cal = exr_real_arg(caliper_, grp1 ? G : 1, "caliper");
    for (int g = 0; g < (grp1 ? G : 1); g++)
        if (ISNAN(cal[g])) exr_raise("caliper", "must not be NA");
    int n1 = 0;
    for (int i = 0; i < n; i++) {
        if (ISNAN(d[i]) && (role[i] == 0 || role[i] == 1)) exr_raise("d", "has NA for a matched unit");
        if (role[i] == 1) n1++;
    }
    /* sorted must be a permutation of 1..n, ordered by (group, distance) */
    int *seen = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
    memset(seen, 0, (size_t) n * sizeof(int));
    int prev = -1;                      /* last unit taking part, in sorted order */
    for (int s = 0; s < n; s++) {
        int i = sorted[s];
        if (i == NA_INTEGER || i < 1 || i > n || seen[i - 1])
            exr_raise("sorted", "must be a permutation of the rows");
        seen[i - 1] = 1;
        int b = i - 1;
        if (role[b] != 0 && role[b] != 1) continue;
        if (prev >= 0) {
            int ga = grp1 ? grp1[prev] : 1, gb = grp1 ? grp1[b] : 1;
            if (ga > gb || (ga == gb && d[prev] > d[b]))
                exr_raise("sorted", "must order the rows by group, then distance");
        }
        prev = b;
    }
    const R_xlen_t ntx = XLENGTH(torder_);
    const int nt = (int) ntx;
    const int *torder1 = exr_int_arg(torder_, ntx, "torder");
    int *torder = (int *) R_alloc(nt > 0 ? nt : 1, sizeof(int));
    memset(seen, 0, (size_t) n * sizeof(int));
    for (int r = 0; r < nt; r++) {
        int i = torder1[r];
        if (i == NA_INTEGER || i < 1 || i > n || role[i - 1] != 1 || seen[i - 1])
            exr_raise("torder", "must list distinct treated rows");
        seen[i - 1] = 1;
        torder[r] = i - 1;
    }
    int *grp = NULL;
    if (grp1) {
        grp = (int *) R_alloc(n, sizeof(int));
        for (int i = 0; i < n; i++) grp[i] = grp1[i] - 1;
    }
    int *srt = (int *) R_alloc(n > 0 ? n : 1, sizeof(int));
    for (int s = 0; s < n; s++) srt[s] = sorted[s] - 1;
    int *trow = (int *) R_alloc(n1 > 0 ? n1 : 1, sizeof(int));
    for (int i = 0, j = 0; i < n; i++) if (role[i] == 1) trow[j++] = i;

    int Gk = grp1 ? G : 1;
    double *dwork = (double *) R_alloc(n > 0 ? n : 1, sizeof(double));
    int *iwork = (int *) R_alloc(exr_nn_match_iwork_size(n, Gk), sizeof(int));

    const char *nm[3] = {"match_matrix", "weights", "n_matched"};
    SEXP out = PROTECT(exr_named_list(3, nm));
    SEXP mm = allocMatrix(INTSXP, n1, k); SET_VECTOR_ELT(out, 0, mm);
    SEXP w = allocVector(REALSXP, n); SET_VECTOR_ELT(out, 1, w);
    int nm_ = exr_nn_match(n, d, role, grp, Gk, srt, torder, nt, trow, n1, k, replace,
                           cal, INTEGER(mm), REAL(w), dwork, iwork);
    int *pm = INTEGER(mm);
    for (R_xlen_t j = 0; j < (R_xlen_t) n1 * k; j++) pm[j] = pm[j] < 0 ? NA_INTEGER : pm[j] + 1;
    SET_VECTOR_ELT(out, 2, ScalarInteger(nm_));
    UNPROTECT(1);
    return out;
}

/*
 * Kernel: the sums behind a balance table. For each column j of X (n x p) and
 * the treated (t = 1) and control (t = 0) rows with positive weight w (NULL:
 * all weights 1), out[10 j + 0..9] receives
 *   S1, S0    sums of weights
 *   Q1, Q0    sums of squared weights
 *   m1, m0    weighted means
 *   SS1, SS0  weighted sums of squared deviations from those means (two passes)
 *   npos      rows with positive weight
 *   binary    1 if every value of the column (rows with t 0 or 1) is 0 or 1
 * Rows with t other than 0/1 are ignored. The per-row weights of each group
 * are formed once (work: 2 n doubles), so the column loops are branch-free
 * sums. Pure: no R API.
 */
void exr_balance_sums(const double *X, R_xlen_t n, int p, const int *t, const double *w,
                      double *out, double *work)
{
    double *w1 = work, *w0 = work + n;
    double S1 = 0, S0 = 0, Q1 = 0, Q0 = 0, npos = 0;
    for (R_xlen_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi > 0)) wi = 0.0;
        w1[i] = t[i] == 1 ? wi : 0.0;
        w0[i] = t[i] == 0 ? wi : 0.0;
        S1 += w1[i]; S0 += w0[i];
        Q1 += w1[i] * w1[i]; Q0 += w0[i] * w0[i];
        npos += (w1[i] > 0) + (w0[i] > 0);
    }
    for (int j = 0; j < p; j++) {
        const double *x = X + (R_xlen_t) j * n;
        double sx1 = 0, sx0 = 0;
        int nonbin = 0;
        for (R_xlen_t i = 0; i < n; i++) {
            sx1 += w1[i] * x[i];
            sx0 += w0[i] * x[i];
            nonbin |= (t[i] == 0 || t[i] == 1) & (x[i] != 0.0) & (x[i] != 1.0);
        }
        double m1 = S1 > 0 ? sx1 / S1 : NAN, m0 = S0 > 0 ? sx0 / S0 : NAN;
        double ss1 = 0, ss0 = 0;
        for (R_xlen_t i = 0; i < n; i++) {
            double d1 = x[i] - m1, d0 = x[i] - m0;
            ss1 += w1[i] * d1 * d1;
            ss0 += w0[i] * d0 * d0;
        }
        double *o = out + 10 * (R_xlen_t) j;
        o[0] = S1; o[1] = S0; o[2] = Q1; o[3] = Q0;
        o[4] = m1; o[5] = m0; o[6] = S1 > 0 ? ss1 : NAN; o[7] = S0 > 0 ? ss0 : NAN;
        o[8] = npos; o[9] = !nonbin;
    }
}

/*
 * .Call entry: balance_sums(X, treat, weights)
 *   X n x p double matrix; treat integer (n): 1 treated, 0 control, other
 *   values ignored; weights double (n, non-negative) or NULL.
 * Returns the 10 x p matrix of exr_balance_sums().
 */
SEXP balance_sums(SEXP X, SEXP treat, SEXP weights)
{
    if (!isReal(X) || !isMatrix(X)) exr_raise("X", "must be a double matrix");
    const R_xlen_t n = nrows(X);
    const int p = ncols(X);
    const int *t = exr_int_arg(treat, n, "treat");
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    if (w) for (R_xlen_t i = 0; i < n; i++)
        if (!(w[i] >= 0) || !R_FINITE(w[i])) exr_raise("weights", "must be non-negative and finite");
    const double *x = REAL(X);
    for (R_xlen_t i = 0; i < n * (R_xlen_t) p; i++)
        if (!R_FINITE(x[i])) exr_raise("X", "has non-finite values");
    double *work = (double *) R_alloc(2 * (size_t) (n > 0 ? n : 1), sizeof(double));
    SEXP out = PROTECT(allocMatrix(REALSXP, 10, p));
    exr_balance_sums(x, n, p, t, w, REAL(out), work);
    UNPROTECT(1);
    return out;
}
