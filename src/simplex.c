/*
 * simplex.c: a small dense revised simplex method for
 *
 *     min c'x  subject to  a_i'x (<=, =, >=) b_i  (i = 1..m),  x >= 0,
 *
 * written for DEA's envelopment programs (few rows, thousands of columns,
 * one column and the right-hand side changing from one program to the next),
 * but general: exr_lp_dense() exposes it to R for tests.
 *
 * Formulation. Every row gets a logical variable r_i with column sgn_i e_i:
 * a slack (sgn = +1, r >= 0) for <= rows, a surplus (sgn = -1, r >= 0) for >=
 * rows, an artificial (sgn = +1, 0 <= r <= 0) for = rows. The all-logical
 * basis is then always nonsingular, and any basis (in particular the previous
 * program's optimal basis: a warm start) can be the starting point.
 *
 * Phases. The method is the textbook "composite" two-phase primal simplex:
 * while some basic variable violates its bounds, the cost vector is the
 * gradient of the sum of infeasibilities (phase 1); once none does, it is c
 * (phase 2). Phase 1 ending with infeasibility left means "infeasible"; a
 * phase-2 entering column that no basic variable blocks means "unbounded".
 * Starting from a warm basis that is primal infeasible after the right-hand
 * side changed, phase 1 typically needs a handful of pivots.
 *
 * Pricing and anti-cycling. Dantzig pricing (most negative reduced cost) and
 * a Harris two-pass ratio test (choose the largest pivot among rows whose
 * ratio is within the feasibility tolerance of the minimum). DEA programs are
 * highly degenerate; after EXR_LP_STALL consecutive degenerate pivots the
 * method switches to Bland's rule (smallest-index entering and leaving
 * variables, exact ratio test) until a pivot makes progress, which rules out
 * cycling (Bland 1977). An iteration limit is a last-resort guard.
 *
 * Tolerances (the data are expected to be scaled to O(1), as dea.c does):
 *   primal feasibility  EXR_LP_TOLP  1e-9   (bound violations below it are ignored)
 *   optimality (dual)   EXR_LP_TOLD  1e-9   (reduced costs above -1e-9 do not enter)
 *   pivot               EXR_LP_TOLPIV 1e-9  (smaller |alpha| never pivots)
 *   singular basis      EXR_LP_TOLSING 1e-11 (a smaller elimination pivot marks
 *                       a basis column as dependent; it is replaced by a logical)
 * The basis inverse is kept explicitly (m is small) and recomputed from
 * scratch every EXR_LP_REFACTOR pivots and before optimality is declared.
 *
 * Pricing may be restricted to a candidate list of structural columns
 * (lp->cand, sorted increasingly so that Bland's order is the index order;
 * it must include the basic structural columns): the caller then prices the
 * other columns with w->pi and adds the attractive ones (column generation,
 * see dea.c). On return w->pi holds the last simplex multipliers and
 * w->phase the phase they belong to (1: infeasibility costs, 2: c).
 *
 * Memory: the caller supplies an exr_lp_work whose arrays come from R_alloc
 * (exr_lp_work_alloc, main thread only); the solver itself never allocates and
 * never calls R, so it runs inside OpenMP regions.
 */
#include "exportres.h"

#define EXR_LP_TOLP 1e-9
#define EXR_LP_TOLD 1e-9
#define EXR_LP_TOLPIV 1e-9
#define EXR_LP_TOLSING 1e-11
#define EXR_LP_REFACTOR 50
#define EXR_LP_STALL 50

/* Allocate a workspace for programs with at most m rows and ncol_max
 * structural columns. Main thread only (R_alloc). */
void exr_lp_work_alloc(exr_lp_work *w, int m, int ncol_max)
{
    int ntot = ncol_max + m;
    w->m_max = m;
    w->ntot_max = ntot;
    w->head = (int *) R_alloc((size_t) m, sizeof(int));
    w->pset = (int *) R_alloc((size_t) m, sizeof(int));
    w->pos = (int *) R_alloc((size_t) ntot, sizeof(int));
    w->rowused = (int *) R_alloc((size_t) m, sizeof(int));
    w->Binv = (double *) R_alloc((size_t) m * m, sizeof(double));
    w->M = (double *) R_alloc((size_t) m * m, sizeof(double));
    w->E = (double *) R_alloc((size_t) m * m, sizeof(double));
    w->xB = (double *) R_alloc((size_t) m, sizeof(double));
    w->pi = (double *) R_alloc((size_t) m, sizeof(double));
    w->alpha = (double *) R_alloc((size_t) m, sizeof(double));
    w->cB = (double *) R_alloc((size_t) m, sizeof(double));
    w->iters = 0;
    for (int j = 0; j < ntot; j++) w->pos[j] = -1;
    for (int i = 0; i < m; i++) w->head[i] = w->pset[i] = -1;
    w->phase = 0;
}

static inline const double *lp_col(const exr_lp *lp, int j)
{
    return j < lp->np ? lp->Ap + (size_t) j * lp->m
                      : lp->As + (size_t) (j - lp->np) * lp->m;
}

static inline double lp_sgn(const exr_lp *lp, int i)
{
    return lp->sense[i] > 0 ? -1.0 : 1.0;
}

static inline int lp_is_artificial(const exr_lp *lp, int v, int ncol)
{
    return v >= ncol && lp->sense[v - ncol] == 0;
}

/* Invert the basis matrix B = [a_head[0], ..., a_head[m-1]] by Gauss-Jordan
 * elimination with partial pivoting. A dependent (or excluded) basis column is
 * replaced by the logical of a row that no accepted column covers, which
 * always yields a nonsingular basis. Output: w->Binv (row-major: row k is the
 * k-th row of B^{-1}), w->pos consistent with w->head. */
static void lp_factor(const exr_lp *lp, exr_lp_work *w)
{
    const int m = lp->m, ncol = lp->np + lp->ns;
    double *M = w->M, *E = w->E;
    int *rowof = w->rowused; /* rowof[k]: pivot row of basis column k */

    for (int attempt = 0; attempt < 3; attempt++) {
        int nfail = 0;
        /* M column k = basis column k (column-major), E = identity (row-major
         * by rows of M: E[r*m + c]). */
        for (int k = 0; k < m; k++) {
            int v = w->head[k];
            double *Mk = M + (size_t) k * m;
            if (v < 0 || v == lp->excl || v >= ncol + m) {
                memset(Mk, 0, sizeof(double) * m);
            } else if (v < ncol) {
                memcpy(Mk, lp_col(lp, v), sizeof(double) * m);
            } else {
                memset(Mk, 0, sizeof(double) * m);
                Mk[v - ncol] = lp_sgn(lp, v - ncol);
            }
        }
        for (int r = 0; r < m; r++)
            for (int c = 0; c < m; c++) E[r * m + c] = (r == c);
        /* rowdone[r] marks rows already used as pivots; reuse pi as flags. */
        double *rowdone = w->pi;
        for (int r = 0; r < m; r++) rowdone[r] = 0.0;
        for (int k = 0; k < m; k++) {
            double *Mk = M + (size_t) k * m;
            int pr = -1;
            double best = EXR_LP_TOLSING;
            for (int r = 0; r < m; r++) {
                if (rowdone[r] == 0.0 && fabs(Mk[r]) > best) {
                    best = fabs(Mk[r]);
                    pr = r;
                }
            }
            rowof[k] = pr;
            if (pr < 0) { nfail++; continue; }
            rowdone[pr] = 1.0;
            double piv = Mk[pr];
            /* scale pivot row of M (columns k..m-1 matter; earlier are 0) and E */
            for (int c = k; c < m; c++) M[(size_t) c * m + pr] /= piv;
            for (int c = 0; c < m; c++) E[pr * m + c] /= piv;
            for (int r = 0; r < m; r++) {
                if (r == pr) continue;
                double f = Mk[r];
                if (f == 0.0) continue;
                for (int c = k; c < m; c++) M[(size_t) c * m + r] -= f * M[(size_t) c * m + pr];
                for (int c = 0; c < m; c++) E[r * m + c] -= f * E[pr * m + c];
            }
        }
        if (nfail == 0) {
            for (int k = 0; k < m; k++)
                memcpy(w->Binv + (size_t) k * m, E + (size_t) rowof[k] * m, sizeof(double) * m);
            break;
        }
        /* Replace failed columns by logicals of uncovered rows, then redo. */
        int r = 0;
        for (int k = 0; k < m; k++) {
            if (rowof[k] >= 0) continue;
            while (r < m && rowdone[r] != 0.0) r++;
            w->head[k] = ncol + r;
            rowdone[r] = 1.0;
        }
        if (attempt == 1) /* numerically hopeless: all-logical basis */
            for (int k = 0; k < m; k++) w->head[k] = ncol + k;
    }
    /* pos is -1 except at the variables recorded in pset: O(m) upkeep */
    for (int k = 0; k < m; k++)
        if (w->pset[k] >= 0) w->pos[w->pset[k]] = -1;
    for (int k = 0; k < m; k++) {
        w->pos[w->head[k]] = k;
        w->pset[k] = w->head[k];
    }
}

static void lp_compute_xB(const exr_lp *lp, exr_lp_work *w)
{
    const int m = lp->m;
    for (int k = 0; k < m; k++) {
        const double *row = w->Binv + (size_t) k * m;
        double s = 0.0;
        for (int r = 0; r < m; r++) s += row[r] * lp->b[r];
        w->xB[k] = s;
    }
}

/* Solve the program `lp` from the basis in w->head (warm != 0; it may be
 * infeasible or even singular for this program) or from the all-logical
 * basis (warm == 0). Returns EXR_LP_OPTIMAL, EXR_LP_INFEASIBLE,
 * EXR_LP_UNBOUNDED, EXR_LP_ITERLIMIT or EXR_LP_NUMERICAL. On return w->head/w->xB hold the final
 * basis and its values (use exr_lp_value()), w->iters the pivots made. */
int exr_lp_solve(const exr_lp *lp, exr_lp_work *w, int warm)
{
    const int m = lp->m, ncol = lp->np + lp->ns, ntot = ncol + m;
    const long maxit = 10000L + 20L * (long) ntot;
    int bland = 0, degen = 0, since = 0;
    long it = 0;

    if (!warm)
        for (int k = 0; k < m; k++) w->head[k] = ncol + k;
    lp_factor(lp, w);
    lp_compute_xB(lp, w);
    w->iters = 0;

    for (;;) {
        if (it >= maxit) { w->iters = it; return EXR_LP_ITERLIMIT; }
        /* classify the basic variables; phase-1 costs where infeasible */
        int ninf = 0;
        for (int k = 0; k < m; k++) {
            int v = w->head[k];
            double ub = lp_is_artificial(lp, v, ncol) ? 0.0 : R_PosInf;
            if (w->xB[k] < -EXR_LP_TOLP) { w->cB[k] = -1.0; ninf++; }
            else if (w->xB[k] > ub + EXR_LP_TOLP) { w->cB[k] = 1.0; ninf++; }
            else w->cB[k] = 0.0;
        }
        const int phase = ninf ? 1 : 2;
        if (phase == 2)
            for (int k = 0; k < m; k++) {
                int v = w->head[k];
                w->cB[k] = v < ncol ? lp->c[v] : 0.0;
            }
        for (int r = 0; r < m; r++) {
            double s = 0.0;
            for (int k = 0; k < m; k++) s += w->cB[k] * w->Binv[(size_t) k * m + r];
            w->pi[r] = s;
        }
        /* pricing over the nonbasic columns */
        int q = -1;
        double best = -EXR_LP_TOLD;
        const double *pi = w->pi;
        const int nc = lp->cand ? lp->ncand : ncol;
        for (int jj = 0; jj < nc; jj++) {
            const int j = lp->cand ? lp->cand[jj] : jj;
            if (w->pos[j] >= 0 || j == lp->excl) continue;
            const double *a = lp_col(lp, j);
            double d = phase == 2 ? lp->c[j] : 0.0;
            for (int r = 0; r < m; r++) d -= pi[r] * a[r];
            if (d < best) {
                q = j;
                if (bland) break;
                best = d;
            }
        }
        if (q < 0 || !bland) {
            for (int i = 0; i < m; i++) {
                int j = ncol + i;
                if (w->pos[j] >= 0 || lp->sense[i] == 0) continue;
                double d = -pi[i] * lp_sgn(lp, i);
                if (d < best) {
                    q = j;
                    if (bland) break;
                    best = d;
                }
            }
        }
        if (q < 0) {
            if (since > 0) { /* confirm with a fresh factorization */
                lp_factor(lp, w);
                lp_compute_xB(lp, w);
                since = 0;
                continue;
            }
            w->iters = it;
            w->phase = phase;
            return phase == 1 ? EXR_LP_INFEASIBLE : EXR_LP_OPTIMAL;
        }
        /* alpha = B^{-1} a_q */
        double *alpha = w->alpha;
        if (q < ncol) {
            const double *a = lp_col(lp, q);
            for (int k = 0; k < m; k++) {
                const double *row = w->Binv + (size_t) k * m;
                double s = 0.0;
                for (int r = 0; r < m; r++) s += row[r] * a[r];
                alpha[k] = s;
            }
        } else {
            int i = q - ncol;
            double sg = lp_sgn(lp, i);
            for (int k = 0; k < m; k++) alpha[k] = sg * w->Binv[(size_t) k * m + i];
        }
        /* ratio test: pass 1 bounds the step (Harris-relaxed unless Bland) */
        const double relax = bland ? 0.0 : EXR_LP_TOLP;
        double tmax = R_PosInf;
        for (int k = 0; k < m; k++) {
            double a = alpha[k], x = w->xB[k];
            int art = lp_is_artificial(lp, w->head[k], ncol);
            double t;
            if (a > EXR_LP_TOLPIV) {           /* x decreases towards 0 */
                if (x < -EXR_LP_TOLP) continue;  /* already below: moving away */
                t = (x + relax) / a;
            } else if (a < -EXR_LP_TOLPIV) {   /* x increases */
                if (x < -EXR_LP_TOLP) t = x / a; /* becomes feasible at 0 */
                else if (art) t = (relax - x) / (-a);
                else continue;
            } else continue;
            if (t < tmax) tmax = t;
        }
        if (!R_FINITE(tmax)) {
            if (since > 0) {
                lp_factor(lp, w);
                lp_compute_xB(lp, w);
                since = 0;
                continue;
            }
            w->iters = it;
            return phase == 2 ? EXR_LP_UNBOUNDED : EXR_LP_NUMERICAL;
        }
        /* pass 2: among rows whose exact ratio is within tmax, the largest
         * |alpha| (stability) or, under Bland, the smallest variable index */
        int r = -1;
        double rbest = -1.0, tstep = 0.0;
        const double tcut = bland ? tmax + 1e-12 * (1.0 + tmax) : tmax;
        for (int k = 0; k < m; k++) {
            double a = alpha[k], x = w->xB[k];
            int art = lp_is_artificial(lp, w->head[k], ncol);
            double t;
            if (a > EXR_LP_TOLPIV) {
                if (x < -EXR_LP_TOLP) continue;
                t = (x > 0.0 ? x : 0.0) / a;
            } else if (a < -EXR_LP_TOLPIV) {
                if (x < -EXR_LP_TOLP) t = x / a;
                else if (art) t = (x < 0.0 ? -x : 0.0) / (-a);
                else continue;
            } else continue;
            if (t > tcut) continue;
            if (bland) {
                if (r < 0 || w->head[k] < w->head[r]) { r = k; tstep = t; }
            } else if (fabs(a) > rbest) {
                rbest = fabs(a);
                r = k;
                tstep = t;
            }
        }
        if (r < 0) { /* cannot happen; guard against NaN data */
            w->iters = it;
            return EXR_LP_NUMERICAL;
        }
        /* update values, basis and inverse */
        for (int k = 0; k < m; k++) w->xB[k] -= tstep * alpha[k];
        w->xB[r] = tstep;
        w->pos[w->head[r]] = -1;
        w->head[r] = q;
        w->pos[q] = r;
        w->pset[r] = q;
        {
            double *Br = w->Binv + (size_t) r * m;
            double piv = alpha[r];
            for (int c = 0; c < m; c++) Br[c] /= piv;
            for (int k = 0; k < m; k++) {
                if (k == r || alpha[k] == 0.0) continue;
                double f = alpha[k];
                double *Bk = w->Binv + (size_t) k * m;
                for (int c = 0; c < m; c++) Bk[c] -= f * Br[c];
            }
        }
        if (tstep <= 1e-12) {
            if (++degen >= EXR_LP_STALL) bland = 1;
        } else {
            degen = 0;
            bland = 0;
        }
        it++;
        if (++since >= EXR_LP_REFACTOR) {
            lp_factor(lp, w);
            lp_compute_xB(lp, w);
            since = 0;
        }
    }
}

/* Value of variable j (structural < ncol, else logical) in the current basis. */
double exr_lp_value(const exr_lp *lp, const exr_lp_work *w, int j)
{
    (void) lp;
    int k = w->pos[j];
    return k >= 0 ? w->xB[k] : 0.0;
}

/* .Call entry: solve min c'x s.t. A x (sense) b, x >= 0 for a dense A (m x n).
 * sense: integer -1 (<=), 0 (=), 1 (>=). Returns list(status, x, objective,
 * iterations); status 0 optimal, 1 infeasible, 2 unbounded, 3 iteration
 * limit, 4 numerical trouble.
 * Used by the tests to check the solver on its own. */
SEXP exr_lp_dense(SEXP A, SEXP b, SEXP c, SEXP sense)
{
    if (!isReal(A) || !isMatrix(A)) error("'A' must be a double matrix");
    int m = nrows(A), n = ncols(A);
    if (m < 1 || n < 1) error("'A' must have at least one row and column");
    const double *bb = exr_real_arg(b, m, "b");
    const double *cc = exr_real_arg(c, n, "c");
    const int *ss = exr_int_arg(sense, m, "sense");
    const double *AA = REAL(A);
    for (R_xlen_t i = 0; i < (R_xlen_t) m * n; i++)
        if (!R_FINITE(AA[i])) error("'A' must be finite");
    for (int i = 0; i < m; i++) {
        if (!R_FINITE(bb[i])) error("'b' must be finite");
        if (ss[i] < -1 || ss[i] > 1) error("'sense' must be -1, 0 or 1");
    }
    for (int j = 0; j < n; j++)
        if (!R_FINITE(cc[j])) error("'c' must be finite");

    exr_lp lp = {m, 0, n, NULL, AA, cc, bb, ss, -1, NULL, 0};
    exr_lp_work w;
    exr_lp_work_alloc(&w, m, n);
    int status = exr_lp_solve(&lp, &w, 0);

    int nprot = 0;
    SEXP out = PROTECT(allocVector(VECSXP, 4)); nprot++;
    SEXP x = PROTECT(allocVector(REALSXP, n)); nprot++;
    double obj = 0.0;
    for (int j = 0; j < n; j++) {
        REAL(x)[j] = exr_lp_value(&lp, &w, j);
        obj += cc[j] * REAL(x)[j];
    }
    SET_VECTOR_ELT(out, 0, ScalarInteger(status));
    SET_VECTOR_ELT(out, 1, x);
    SET_VECTOR_ELT(out, 2, ScalarReal(status == EXR_LP_OPTIMAL ? obj : NA_REAL));
    SET_VECTOR_ELT(out, 3, ScalarInteger((int) w.iters));
    SEXP nms = PROTECT(allocVector(STRSXP, 4)); nprot++;
    SET_STRING_ELT(nms, 0, mkChar("status"));
    SET_STRING_ELT(nms, 1, mkChar("x"));
    SET_STRING_ELT(nms, 2, mkChar("objective"));
    SET_STRING_ELT(nms, 3, mkChar("iterations"));
    setAttrib(out, R_NamesSymbol, nms);
    UNPROTECT(nprot);
    return out;
}
