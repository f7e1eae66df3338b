/*
 * dea.c: data envelopment analysis, envelopment form (Charnes, Cooper and
 * Rhodes 1978; Banker, Charnes and Cooper 1984), on the simplex of simplex.c,
 * and free disposal hull (Deprins, Simar and Tulkens 1984) by enumeration.
 *
 * For an evaluated unit (x0, y0) and reference units (X, Y) (columns = units):
 *
 *   input  orientation:  min theta  s.t.  X lambda <= theta x0,  Y lambda >= y0,
 *   output orientation:  max phi    s.t.  X lambda <= x0,        Y lambda >= phi y0,
 *
 * lambda >= 0 and, by returns to scale, sum(lambda) = 1 (vrs), <= 1 (nirs),
 * >= 1 (ndrs) or free (crs); theta, phi >= 0 (as lpSolve's default bounds in
 * Benchmarking). Super-efficiency (Andersen and Petersen 1993) drops the
 * evaluated unit's own column. Slacks ("two-phase" DEA, Ali and Seiford
 * 1993): at the optimal theta (phi) a second program maximises the weighted
 * sum of input and output slacks,
 *
 *   max w_x's_x + w_y's_y  s.t.  X lambda + s_x = theta x0,  Y lambda - s_y = y0.
 *
 * Speed comes from three things that leave the answers unchanged:
 *  1. Warm starts. Consecutive programs differ only in the theta column and
 *     the right-hand side, so each program starts from the previous unit's
 *     optimal basis (refactorized; phase 1 repairs the few violated bounds).
 *  2. Dominance filtering of the reference set. A reference unit dominated by
 *     another (x_i <= x_j, y_i >= y_j, strictly somewhere, or a duplicate with a
 *     smaller index) can be replaced in any lambda by its dominator without
 *     changing sum(lambda) or feasibility, and without lowering the slack sum,
 *     so the technology, theta/phi and the maximal slacks are unchanged when
 *     it is left out. Under super-efficiency a unit is left out only if it has
 *     two dominators, so one of them survives whichever unit is excluded.
 *  3. OpenMP across blocks of DMU_BLOCK units. Each block starts cold and warm
 *     starts within itself, so a unit's result does not depend on the thread
 *     that computed it: cores = 1 and cores = 2 give identical results.
 *
 * Rows are scaled by each variable's largest absolute value so that the
 * simplex tolerances (1e-9) are relative; results are reported unscaled.
 */
#include "exportres.h"

#define DMU_BLOCK 32
#define DEA_ZERO 1e-9   /* lambdas and scaled slacks below this are zero */

enum { DEA_OPTIMAL = 0, DEA_INFEASIBLE = 1, DEA_UNBOUNDED = 2, DEA_FAILED = 3 };

typedef struct {
    int mi, so, conv, m;   /* inputs, outputs, convexity row (0/1), rows */
    int orient;            /* 0 input, 1 output */
    int nr;                /* reference units kept after filtering */
    const double *As;      /* m x nr scaled reference columns */
    const int *ref_id;     /* nr: original reference index (0-based) */
    const int *ref_pos;    /* original reference index -> kept position or -1 */
    const double *xe, *ye; /* scaled evaluated units, ne x mi / ne x so */
    int ne;
    const double *sx, *sy; /* scales of inputs and outputs */
    const int *excl;       /* ne: original reference index excluded, or -1 */
    const int *sense;      /* m row senses (shared by both stages) */
    const double *c1;      /* 1 + nr stage-1 costs */
    const double *c2;      /* nr stage-2 costs (slack weights), or NULL */
} dea_ctx;

#define DEA_POOL 48      /* recent peers kept as first candidates */
#define DEA_ADD 16       /* columns added per pricing round */
#define DEA_TOLD 1e-9    /* = the simplex's optimality tolerance */

typedef struct {
    exr_lp_work w1, w2;
    double *col, *b;
    int have_basis;
    int *cand, ncand;      /* candidate structural columns (sorted) */
    unsigned char *inW;    /* membership of cand, by column */
    int *pool, npool, ipool;  /* ring of recent peers (reference positions) */
    int addj[DEA_ADD];
    double addd[DEA_ADD];
} dea_thread;

typedef struct {
    double *eff;
    int *status;
    int *lam_n, *lam_ref;
    double *lam_val;
    double *slx, *sly;     /* ne x mi, ne x so (NULL when no slacks) */
    long *iters;           /* per block */
} dea_out;

static int lp_to_dea_status(int s)
{
    switch (s) {
    case EXR_LP_OPTIMAL: return DEA_OPTIMAL;
    case EXR_LP_INFEASIBLE: return DEA_INFEASIBLE;
    case EXR_LP_UNBOUNDED: return DEA_UNBOUNDED;
    default: return DEA_FAILED;
    }
}

/* Count, for each reference unit j, its dominators (up to `cap`). Units are
 * rows of z (n x d, row-major), z = (x, -y): i dominates j iff z_i <= z_j
 * everywhere and (z_i != z_j somewhere, or i < j). A dominator has a smaller
 * coordinate sum (or, for a duplicate, an equal one), so with the units
 * sorted by (sum, index) only units earlier in that order can dominate and
 * "earlier and componentwise <=" is domination. (Floating-point sums are
 * monotone, so no dominator sorts later, except a non-duplicate whose
 * rounded sum ties: then a dominated unit is kept, which is harmless.)
 * `ord` is that order.
 * Pure kernel. */
static void dea_dominators(const double *restrict zs, const int *restrict ord, int n,
                           int d, int cap, int *restrict ndom, int nth)
{
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic, 64)
#endif
    for (int pj = 0; pj < n; pj++) {
        const double *zj = zs + (size_t) pj * d;
        int cnt = 0;
        for (int pi = 0; pi < pj && cnt < cap; pi++) {
            const double *zi = zs + (size_t) pi * d;
            int le = 1;
            for (int t = 0; t < d; t++)
                if (zi[t] > zj[t]) { le = 0; break; }
            cnt += le;
        }
        ndom[ord[pj]] = cnt;
    }
#ifndef _OPENMP
    (void) nth;
#endif
}

typedef struct { double s; int i; } dea_key;

static int dea_key_cmp(const void *a, const void *b)
{
    const dea_key *p = a, *q = b;
    if (p->s < q->s) return -1;
    if (p->s > q->s) return 1;
    return (p->i > q->i) - (p->i < q->i);
}

static void cand_clear(dea_thread *th)
{
    for (int t = 0; t < th->ncand; t++) th->inW[th->cand[t]] = 0;
    th->ncand = 0;
}

static void cand_add(dea_thread *th, int j)
{
    if (th->inW[j]) return;
    th->inW[j] = 1;
    int t = th->ncand++;
    while (t > 0 && th->cand[t - 1] > j) { th->cand[t] = th->cand[t - 1]; t--; }
    th->cand[t] = j;
}

/* Column generation around exr_lp_solve: solve over the candidate columns,
 * price every column with the final multipliers (phase 1 or 2), add the
 * DEA_ADD most attractive ones and resolve from the current basis, until no
 * column prices out. The answer is that of the full program: the last
 * restricted basis is optimal (or proves infeasibility) for all columns.
 * Private columns (np) must already be candidates. */
static int dea_colgen(exr_lp *lp, exr_lp_work *w, int warm, dea_thread *th, long *iters)
{
    const int m = lp->m, np = lp->np, ncol = lp->np + lp->ns;
    for (;;) {
        lp->cand = th->cand;
        lp->ncand = th->ncand;
        int s = exr_lp_solve(lp, w, warm);
        *iters += w->iters;
        warm = 1;
        if (s != EXR_LP_OPTIMAL && s != EXR_LP_INFEASIBLE) return s;
        const double *pi = w->pi;
        const int ph2 = w->phase == 2;
        int nadd = 0;
        for (int j = np; j < ncol; j++) {
            if (th->inW[j] || j == lp->excl) continue;
            const double *a = lp->As + (size_t) (j - np) * m;
            double d = ph2 ? lp->c[j] : 0.0;
            for (int r = 0; r < m; r++) d -= pi[r] * a[r];
            if (d >= -DEA_TOLD) continue;
            if (nadd < DEA_ADD) {
                int t = nadd++;
                while (t > 0 && th->addd[t - 1] > d) {
                    th->addd[t] = th->addd[t - 1]; th->addj[t] = th->addj[t - 1]; t--;
                }
                th->addd[t] = d; th->addj[t] = j;
            } else if (d < th->addd[DEA_ADD - 1]) {
                int t = DEA_ADD - 1;
                while (t > 0 && th->addd[t - 1] > d) {
                    th->addd[t] = th->addd[t - 1]; th->addj[t] = th->addj[t - 1]; t--;
                }
                th->addd[t] = d; th->addj[t] = j;
            }
        }
        if (nadd == 0) return s;
        for (int t = 0; t < nadd; t++) cand_add(th, th->addj[t]);
    }
}

/* Candidates for a new program: its private columns, the structural columns
 * of the warm basis (shifted by `shift` into this program's numbering) and
 * the recent peers. */
static void cand_start(dea_thread *th, const exr_lp_work *w, int np, int ncol,
                       int shift, int excl)
{
    cand_clear(th);
    for (int j = 0; j < np; j++) cand_add(th, j);
    for (int t = 0; t < w->m_max; t++) {
        int v = w->head[t] + shift;
        if (v >= np && v < ncol && v != excl) cand_add(th, v);
    }
    for (int t = 0; t < th->npool; t++) {
        int v = th->pool[t] + np;
        if (v < ncol && v != excl) cand_add(th, v);
    }
}

static void pool_add(dea_thread *th, int p)
{
    for (int t = 0; t < th->npool; t++) if (th->pool[t] == p) return;
    if (th->npool < DEA_POOL) th->pool[th->npool++] = p;
    else { th->pool[th->ipool] = p; th->ipool = (th->ipool + 1) % DEA_POOL; }
}

/* Solve unit k's programs (stage 1, and stage 2 when ctx->c2). Warm starts
 * from th->w1's basis when th->have_basis. Writes eff/status/lambda/slacks. */
static void dea_solve_unit(const dea_ctx *ctx, dea_thread *th, int k, dea_out *out,
                           long *iters)
{
    const int mi = ctx->mi, so = ctx->so, m = ctx->m, nr = ctx->nr, ne = ctx->ne;
    double *col = th->col, *b = th->b;
    int excl_pos = ctx->excl[k] >= 0 ? ctx->ref_pos[ctx->excl[k]] : -1;

    for (int i = 0; i < m; i++) { col[i] = 0.0; b[i] = 0.0; }
    if (ctx->conv) b[m - 1] = 1.0;
    if (ctx->orient == 0) {
        for (int i = 0; i < mi; i++) col[i] = -ctx->xe[k + (size_t) i * ne];
        for (int r = 0; r < so; r++) b[mi + r] = ctx->ye[k + (size_t) r * ne];
    } else {
        for (int i = 0; i < mi; i++) b[i] = ctx->xe[k + (size_t) i * ne];
        for (int r = 0; r < so; r++) col[mi + r] = -ctx->ye[k + (size_t) r * ne];
    }
    exr_lp lp1 = {m, 1, nr, col, ctx->As, ctx->c1, b, ctx->sense,
                  excl_pos >= 0 ? 1 + excl_pos : -1, NULL, 0};
    if (!th->have_basis) {
        for (int t = 0; t < m; t++) th->w1.head[t] = 1 + nr + t;
        th->npool = th->ipool = 0;
    }
    cand_start(th, &th->w1, 1, 1 + nr, 0, lp1.excl);
    int s1 = dea_colgen(&lp1, &th->w1, 1, th, iters);
    if (s1 == EXR_LP_ITERLIMIT || s1 == EXR_LP_NUMERICAL) {
        /* a cold start over all columns is the fallback */
        lp1.cand = NULL;
        s1 = exr_lp_solve(&lp1, &th->w1, 0);
        *iters += th->w1.iters;
    }
    th->have_basis = 1;
    out->status[k] = lp_to_dea_status(s1);
    out->lam_n[k] = 0;
    if (s1 != EXR_LP_OPTIMAL) {
        out->eff[k] = NA_REAL;
        if (out->slx) {
            for (int i = 0; i < mi; i++) out->slx[k + (size_t) i * ne] = NA_REAL;
            for (int r = 0; r < so; r++) out->sly[k + (size_t) r * ne] = NA_REAL;
        }
        return;
    }
    double e = exr_lp_value(&lp1, &th->w1, 0);
    if (fabs(e - 1.0) < DEA_ZERO) e = 1.0;
    out->eff[k] = e;

    const exr_lp *lpl = &lp1;
    const exr_lp_work *wl = &th->w1;
    int off = 1;
    exr_lp lp2;
    if (ctx->c2) {
        /* stage 2: theta fixed; start from stage 1's basis without theta */
        if (ctx->orient == 0) {
            for (int i = 0; i < mi; i++) b[i] = e * ctx->xe[k + (size_t) i * ne];
        } else {
            for (int r = 0; r < so; r++) b[mi + r] = e * ctx->ye[k + (size_t) r * ne];
        }
        lp2 = (exr_lp) {m, 0, nr, NULL, ctx->As, ctx->c2, b, ctx->sense, excl_pos,
                        NULL, 0};
        for (int t = 0; t < m; t++) th->w2.head[t] = th->w1.head[t] - 1;
        cand_start(th, &th->w2, 0, nr, 0, excl_pos);
        int s2 = dea_colgen(&lp2, &th->w2, 1, th, iters);
        if (s2 == EXR_LP_ITERLIMIT || s2 == EXR_LP_NUMERICAL) {
            lp2.cand = NULL;
            s2 = exr_lp_solve(&lp2, &th->w2, 0);
            *iters += th->w2.iters;
        }
        if (s2 != EXR_LP_OPTIMAL) {
            for (int i = 0; i < mi; i++) out->slx[k + (size_t) i * ne] = NA_REAL;
            for (int r = 0; r < so; r++) out->sly[k + (size_t) r * ne] = NA_REAL;
        } else {
            for (int i = 0; i < mi; i++) {
                double s = exr_lp_value(&lp2, &th->w2, nr + i);
                out->slx[k + (size_t) i * ne] = s > DEA_ZERO ? s * ctx->sx[i] : 0.0;
            }
            for (int r = 0; r < so; r++) {
                double s = exr_lp_value(&lp2, &th->w2, nr + mi + r);
                out->sly[k + (size_t) r * ne] = s > DEA_ZERO ? s * ctx->sy[r] : 0.0;
            }
            lpl = &lp2;
            wl = &th->w2;
            off = 0;
        }
    }
    int nl = 0;
    for (int t = 0; t < m; t++) {
        int v = wl->head[t] - off;
        if (v < 0 || v >= nr) continue;
        double l = wl->xB[t];
        if (l > DEA_ZERO) {
            pool_add(th, v);
            out->lam_ref[(size_t) k * m + nl] = ctx->ref_id[v];
            out->lam_val[(size_t) k * m + nl] = l;
            nl++;
        }
    }
    (void) lpl;
    out->lam_n[k] = nl;
}

/* Check a double matrix argument with `cols` columns (-1: any); returns rows. */
static int dea_matrix(SEXP x, int cols, const char *what)
{
    if (!isReal(x) || !isMatrix(x)) error("'%s' must be a double matrix", what);
    if (cols >= 0 && ncols(x) != cols) error("'%s' has the wrong number of columns", what);
    R_xlen_t n = XLENGTH(x);
    const double *p = REAL(x);
    for (R_xlen_t i = 0; i < n; i++)
        if (!R_FINITE(p[i]) || p[i] < 0.0) error("'%s' must be finite and non-negative", what);
    return nrows(x);
}

/* Shapes of the evaluated (xe, ye) and reference (xr, yr) matrices, checked
 * for agreement, finiteness and sign. */
static void dea_dims(SEXP xe, SEXP ye, SEXP xr, SEXP yr, int *mi, int *so, int *ne, int *nr)
{
    if (!isReal(xe) || !isMatrix(xe)) error("'xe' must be a double matrix");
    if (!isReal(ye) || !isMatrix(ye)) error("'ye' must be a double matrix");
    *mi = ncols(xe);
    *so = ncols(ye);
    *ne = dea_matrix(xe, *mi, "xe");
    if (dea_matrix(ye, *so, "ye") != *ne) error("'xe' and 'ye' differ in rows");
    *nr = dea_matrix(xr, *mi, "xr");
    if (dea_matrix(yr, *so, "yr") != *nr) error("'xr' and 'yr' differ in rows");
    if (*mi < 1 || *so < 1 || *nr < 1) error("need inputs, outputs and reference units");
}

static SEXP dea_result(int ne, int mi, int so, int m, int slack, dea_out *out,
                       double iters, int nkept, int *nprot)
{
    R_xlen_t nnz = 0;
    for (int k = 0; k < ne; k++) nnz += out->lam_n[k];
    SEXP res = PROTECT(allocVector(VECSXP, 9)); (*nprot)++;
    SEXP eff = allocVector(REALSXP, ne); SET_VECTOR_ELT(res, 0, eff);
    SEXP st = allocVector(INTSXP, ne); SET_VECTOR_ELT(res, 1, st);
    SEXP ld = allocVector(INTSXP, nnz); SET_VECTOR_ELT(res, 2, ld);
    SEXP lr = allocVector(INTSXP, nnz); SET_VECTOR_ELT(res, 3, lr);
    SEXP lv = allocVector(REALSXP, nnz); SET_VECTOR_ELT(res, 4, lv);
    memcpy(REAL(eff), out->eff, sizeof(double) * ne);
    memcpy(INTEGER(st), out->status, sizeof(int) * ne);
    R_xlen_t p = 0;
    for (int k = 0; k < ne; k++) {
        for (int t = 0; t < out->lam_n[k]; t++, p++) {
            INTEGER(ld)[p] = k + 1;
            INTEGER(lr)[p] = out->lam_ref[(size_t) k * m + t] + 1;
            REAL(lv)[p] = out->lam_val[(size_t) k * m + t];
        }
    }
    if (slack) {
        SEXP a = allocMatrix(REALSXP, ne, mi); SET_VECTOR_ELT(res, 5, a);
        memcpy(REAL(a), out->slx, sizeof(double) * (size_t) ne * mi);
        SEXP bb = allocMatrix(REALSXP, ne, so); SET_VECTOR_ELT(res, 6, bb);
        memcpy(REAL(bb), out->sly, sizeof(double) * (size_t) ne * so);
    }
    SET_VECTOR_ELT(res, 7, ScalarReal(iters));
    SET_VECTOR_ELT(res, 8, ScalarInteger(nkept));
    SEXP nms = PROTECT(allocVector(STRSXP, 9)); (*nprot)++;
    const char *nm[9] = {"eff", "status", "lam_dmu", "lam_peer", "lam_val",
                         "slack_x", "slack_y", "iterations", "n_reference"};
    for (int i = 0; i < 9; i++) SET_STRING_ELT(nms, i, mkChar(nm[i]));
    setAttrib(res, R_NamesSymbol, nms);
    return res;
}

/* .Call entry: envelopment DEA of the ne units (xe, ye) against the nr
 * reference units (xr, yr). Matrices have units in rows (ne x mi, ne x so,
 * nr x mi, nr x so), non-negative and finite. rts: 0 crs, 1 vrs, 2 nirs,
 * 3 ndrs. orient: 0 input, 1 output. excl: ne integers, the 0-based
 * reference unit each evaluated unit must not use (super-efficiency), or -1.
 * slack: 1 to run the maximal-slack second stage with weights wslack (mi + so,
 * per unit of each variable). Returns list(eff, status, lam_dmu, lam_peer,
 * lam_val, slack_x, slack_y, iterations, n_reference); status 0 optimal,
 * 1 infeasible, 2 unbounded, 3 failed; lambda as 1-based triplets. */
SEXP dea_envelopment(SEXP xe, SEXP ye, SEXP xr, SEXP yr, SEXP rts, SEXP orient,
                     SEXP excl, SEXP slack, SEXP wslack, SEXP cores, SEXP progress)
{
    int nprot = 0;
    int mi, so, ne, nr;
    dea_dims(xe, ye, xr, yr, &mi, &so, &ne, &nr);
    const int irts = exr_scalar_int(rts, "rts");
    const int ior = exr_scalar_int(orient, "orient");
    if (irts < 0 || irts > 3) error("'rts' must be 0..3");
    if (ior < 0 || ior > 1) error("'orient' must be 0 or 1");
    const int *ex = exr_int_arg(excl, ne, "excl");
    for (int k = 0; k < ne; k++)
        if (ex[k] < -1 || ex[k] >= nr) error("'excl' out of range");
    const int islack = exr_scalar_int(slack, "slack");
    const double *ws = exr_real_arg(wslack, mi + so, "wslack");
    const int nth = exr_threads(exr_scalar_int(cores, "cores"));
    const int prog = exr_scalar_int(progress, "progress");
    int anyexcl = 0;
    for (int k = 0; k < ne; k++) anyexcl |= ex[k] >= 0;

    const double *XE = REAL(xe), *YE = REAL(ye), *XR = REAL(xr), *YR = REAL(yr);
    const int conv = irts != 0, m = mi + so + conv, d = mi + so;

    /* scales: largest value of each variable among all units */
    double *sx = (double *) R_alloc(mi, sizeof(double));
    double *sy = (double *) R_alloc(so, sizeof(double));
    for (int i = 0; i < mi; i++) {
        double mx = 0.0;
        for (int k = 0; k < ne; k++) mx = fmax(mx, XE[k + (size_t) i * ne]);
        for (int j = 0; j < nr; j++) mx = fmax(mx, XR[j + (size_t) i * nr]);
        sx[i] = mx > 0.0 ? mx : 1.0;
    }
    for (int r = 0; r < so; r++) {
        double mx = 0.0;
        for (int k = 0; k < ne; k++) mx = fmax(mx, YE[k + (size_t) r * ne]);
        for (int j = 0; j < nr; j++) mx = fmax(mx, YR[j + (size_t) r * nr]);
        sy[r] = mx > 0.0 ? mx : 1.0;
    }

    /* dominance filter of the reference set */
    dea_key *key = (dea_key *) R_alloc(nr, sizeof(dea_key));
    for (int j = 0; j < nr; j++) {
        double sm = 0.0;
        for (int i = 0; i < mi; i++) sm += XR[j + (size_t) i * nr] / sx[i];
        for (int r = 0; r < so; r++) sm -= YR[j + (size_t) r * nr] / sy[r];
        key[j].s = sm;
        key[j].i = j;
    }
    qsort(key, nr, sizeof(dea_key), dea_key_cmp);
    double *z = (double *) R_alloc((size_t) nr * d, sizeof(double));
    int *ord = (int *) R_alloc(nr, sizeof(int));
    for (int p = 0; p < nr; p++) {
        int j = key[p].i;
        ord[p] = j;
        /* raw values: scaling could round distinct values together */
        for (int i = 0; i < mi; i++) z[(size_t) p * d + i] = XR[j + (size_t) i * nr];
        for (int r = 0; r < so; r++) z[(size_t) p * d + mi + r] = -YR[j + (size_t) r * nr];
    }
    int *ndom = (int *) R_alloc(nr, sizeof(int));
    const int cap = anyexcl ? 2 : 1;
    dea_dominators(z, ord, nr, d, cap, ndom, nth);
    int *ref_pos = (int *) R_alloc(nr, sizeof(int));
    int nk = 0;
    for (int j = 0; j < nr; j++) ref_pos[j] = ndom[j] < cap ? nk++ : -1;
    int *ref_id = (int *) R_alloc(nk, sizeof(int));
    double *As = (double *) R_alloc((size_t) nk * m, sizeof(double));
    for (int j = 0; j < nr; j++) {
        int p = ref_pos[j];
        if (p < 0) continue;
        ref_id[p] = j;
        double *a = As + (size_t) p * m;
        for (int i = 0; i < mi; i++) a[i] = XR[j + (size_t) i * nr] / sx[i];
        for (int r = 0; r < so; r++) a[mi + r] = YR[j + (size_t) r * nr] / sy[r];
        if (conv) a[m - 1] = 1.0;
    }
    /* scaled evaluated units */
    double *xs = (double *) R_alloc((size_t) ne * mi, sizeof(double));
    double *ys = (double *) R_alloc((size_t) ne * so, sizeof(double));
    for (int i = 0; i < mi; i++)
        for (int k = 0; k < ne; k++) xs[k + (size_t) i * ne] = XE[k + (size_t) i * ne] / sx[i];
    for (int r = 0; r < so; r++)
        for (int k = 0; k < ne; k++) ys[k + (size_t) r * ne] = YE[k + (size_t) r * ne] / sy[r];

    int *sense = (int *) R_alloc(m, sizeof(int));
    for (int i = 0; i < mi; i++) sense[i] = -1;
    for (int r = 0; r < so; r++) sense[mi + r] = 1;
    if (conv) sense[m - 1] = irts == 1 ? 0 : (irts == 2 ? -1 : 1);
    double *c1 = (double *) R_alloc((size_t) nk + 1, sizeof(double));
    memset(c1, 0, sizeof(double) * ((size_t) nk + 1));
    c1[0] = ior == 0 ? 1.0 : -1.0;
    double *c2 = NULL;
    if (islack) {
        /* maximise sum_i W_i s_i (scaled slacks, W = weight x scale)
         * = const - sum_j lambda_j (W_x'x_j - W_y'y_j) */
        double *W = (double *) R_alloc(d, sizeof(double)), wmax = 0.0;
        for (int i = 0; i < mi; i++) W[i] = ws[i] * sx[i];
        for (int r = 0; r < so; r++) W[mi + r] = ws[mi + r] * sy[r];
        for (int i = 0; i < d; i++) wmax = fmax(wmax, fabs(W[i]));
        if (wmax <= 0.0 || !R_FINITE(wmax)) wmax = 1.0;
        c2 = (double *) R_alloc(nk, sizeof(double));
        for (int p = 0; p < nk; p++) {
            const double *a = As + (size_t) p * m;
            double s = 0.0;
            for (int i = 0; i < mi; i++) s += W[i] / wmax * a[i];
            for (int r = 0; r < so; r++) s -= W[mi + r] / wmax * a[mi + r];
            c2[p] = s;
        }
    }
    dea_ctx ctx = {mi, so, conv, m, ior, nk, As, ref_id, ref_pos, xs, ys, ne,
                   sx, sy, ex, sense, c1, c2};

    dea_out out;
    out.eff = (double *) R_alloc(ne, sizeof(double));
    out.status = (int *) R_alloc(ne, sizeof(int));
    out.lam_n = (int *) R_alloc(ne, sizeof(int));
    out.lam_ref = (int *) R_alloc((size_t) ne * m, sizeof(int));
    out.lam_val = (double *) R_alloc((size_t) ne * m, sizeof(double));
    out.slx = islack ? (double *) R_alloc((size_t) ne * mi, sizeof(double)) : NULL;
    out.sly = islack ? (double *) R_alloc((size_t) ne * so, sizeof(double)) : NULL;
    const int nblk = (ne + DMU_BLOCK - 1) / DMU_BLOCK;
    out.iters = (long *) R_alloc(nblk > 0 ? nblk : 1, sizeof(long));

    dea_thread *th = (dea_thread *) R_alloc(nth, sizeof(dea_thread));
    for (int t = 0; t < nth; t++) {
        exr_lp_work_alloc(&th[t].w1, m, nk + 1);
        exr_lp_work_alloc(&th[t].w2, m, nk);
        th[t].col = (double *) R_alloc(m, sizeof(double));
        th[t].b = (double *) R_alloc(m, sizeof(double));
        th[t].cand = (int *) R_alloc((size_t) nk + 1, sizeof(int));
        th[t].inW = (unsigned char *) R_alloc((size_t) nk + 1, 1);
        memset(th[t].inW, 0, (size_t) nk + 1);
        th[t].ncand = 0;
        th[t].pool = (int *) R_alloc(DEA_POOL, sizeof(int));
        th[t].npool = th[t].ipool = 0;
    }

    /* chunks of blocks between interrupt checks and progress updates */
    int chunk = 4 * nth;
    if (prog && nblk / 50 > chunk) chunk = nblk / 50;
    if (prog) exr_progress_bar(0, ne);
    for (int b0 = 0; b0 < nblk; b0 += chunk) {
        int b1 = b0 + chunk < nblk ? b0 + chunk : nblk;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(dynamic, 1)
#endif
        for (int bk = b0; bk < b1; bk++) {
#ifdef _OPENMP
            dea_thread *me = th + omp_get_thread_num();
#else
            dea_thread *me = th;
#endif
            me->have_basis = 0;  /* each block starts cold: thread-independent */
            long it = 0;
            int k1 = (bk + 1) * DMU_BLOCK < ne ? (bk + 1) * DMU_BLOCK : ne;
            for (int k = bk * DMU_BLOCK; k < k1; k++)
                dea_solve_unit(&ctx, me, k, &out, &it);
            out.iters[bk] = it;
        }
        R_CheckUserInterrupt();
        if (prog) exr_progress_bar(b1 * DMU_BLOCK < ne ? b1 * DMU_BLOCK : ne, ne);
    }
    double iters = 0.0;
    for (int bk = 0; bk < nblk; bk++) iters += (double) out.iters[bk];
    SEXP res = dea_result(ne, mi, so, m, islack, &out, iters, nk, &nprot);
    UNPROTECT(nprot);
    return res;
}

/* FDH for unit k by enumeration (no LP): input orientation
 * theta = min over j with y_j >= y0 of max_i x_ij / x0_i; output orientation
 * phi = max over j with x_j <= x0 of min_r y_rj / y0_r. With slacks, the peer
 * is the unit of the FDH technology at theta (phi) with the largest weighted
 * slack sum. Pure kernel on raw data (units in rows). */
static void fdh_unit(const double *restrict XE, const double *restrict YE, int ne,
                     const double *restrict XR, const double *restrict YR, int nr,
                     int mi, int so, int k, int ior, int excl, const double *ws,
                     int slack, double *eff, int *status, int *peer,
                     double *slx, double *sly)
{
    double best = ior == 0 ? R_PosInf : R_NegInf;
    int bp = -1, any = 0;
    for (int j = 0; j < nr; j++) {
        if (j == excl) continue;
        int ok = 1;
        double t;
        if (ior == 0) {
            for (int r = 0; r < so && ok; r++)
                ok = YR[j + (size_t) r * nr] >= YE[k + (size_t) r * ne];
            if (!ok) continue;
            any = 1;
            t = 0.0;
            for (int i = 0; i < mi; i++) {
                double x0 = XE[k + (size_t) i * ne], xj = XR[j + (size_t) i * nr];
                double q = x0 > 0.0 ? xj / x0 : (xj > 0.0 ? R_PosInf : 0.0);
                if (q > t) t = q;
            }
            if (t < best) { best = t; bp = j; }
        } else {
            for (int i = 0; i < mi && ok; i++)
                ok = XR[j + (size_t) i * nr] <= XE[k + (size_t) i * ne];
            if (!ok) continue;
            any = 1;
            t = R_PosInf;
            for (int r = 0; r < so; r++) {
                double y0 = YE[k + (size_t) r * ne], yj = YR[j + (size_t) r * nr];
                if (y0 > 0.0 && yj / y0 < t) t = yj / y0;
            }
            if (t > best) { best = t; bp = j; }
        }
    }
    if (!any || (ior == 0 && !R_FINITE(best))) {
        eff[k] = NA_REAL; status[k] = DEA_INFEASIBLE; peer[k] = -1;
    } else if (ior == 1 && !R_FINITE(best)) {
        eff[k] = NA_REAL; status[k] = DEA_UNBOUNDED; peer[k] = -1;
    } else {
        eff[k] = best; status[k] = DEA_OPTIMAL; peer[k] = bp;
    }
    if (!slack) return;
    if (status[k] != DEA_OPTIMAL) {
        for (int i = 0; i < mi; i++) slx[k + (size_t) i * ne] = NA_REAL;
        for (int r = 0; r < so; r++) sly[k + (size_t) r * ne] = NA_REAL;
        return;
    }
    /* maximal slacks among the single peers that reach the radial target */
    double th = ior == 0 ? best : 1.0, ph = ior == 0 ? 1.0 : best, sbest = R_NegInf;
    for (int j = 0; j < nr; j++) {
        if (j == excl) continue;
        int ok = 1;
        double s = 0.0;
        for (int i = 0; i < mi && ok; i++) {
            double tgt = th * XE[k + (size_t) i * ne], xj = XR[j + (size_t) i * nr];
            ok = xj <= tgt * (1.0 + 1e-12);
            s += ws[i] * (tgt - xj);
        }
        for (int r = 0; r < so && ok; r++) {
            double tgt = ph * YE[k + (size_t) r * ne], yj = YR[j + (size_t) r * nr];
            ok = yj >= tgt * (1.0 - 1e-12);
            s += ws[mi + r] * (yj - tgt);
        }
        if (ok && s > sbest) { sbest = s; bp = j; }
    }
    peer[k] = bp;
    for (int i = 0; i < mi; i++) {
        double s = th * XE[k + (size_t) i * ne] - XR[bp + (size_t) i * nr];
        slx[k + (size_t) i * ne] = s > 1e-12 * th * XE[k + (size_t) i * ne] ? s : 0.0;
    }
    for (int r = 0; r < so; r++) {
        double s = YR[bp + (size_t) r * nr] - ph * YE[k + (size_t) r * ne];
        sly[k + (size_t) r * ne] = s > 1e-12 * YR[bp + (size_t) r * nr] ? s : 0.0;
    }
}

/* .Call entry: FDH efficiency by enumeration. Arguments as dea_envelopment
 * (orient 0 input, 1 output). Returns the same list shape (lambda = 1 at the
 * single peer). */
SEXP dea_fdh(SEXP xe, SEXP ye, SEXP xr, SEXP yr, SEXP orient, SEXP excl,
             SEXP slack, SEXP wslack, SEXP cores)
{
    int nprot = 0;
    int mi, so, ne, nr;
    dea_dims(xe, ye, xr, yr, &mi, &so, &ne, &nr);
    const int ior = exr_scalar_int(orient, "orient");
    if (ior < 0 || ior > 1) error("'orient' must be 0 or 1");
    const int *ex = exr_int_arg(excl, ne, "excl");
    for (int k = 0; k < ne; k++)
        if (ex[k] < -1 || ex[k] >= nr) error("'excl' out of range");
    const int islack = exr_scalar_int(slack, "slack");
    const double *ws = exr_real_arg(wslack, mi + so, "wslack");
    const int nth = exr_threads(exr_scalar_int(cores, "cores"));
    const double *XE = REAL(xe), *YE = REAL(ye), *XR = REAL(xr), *YR = REAL(yr);

    dea_out out;
    out.eff = (double *) R_alloc(ne, sizeof(double));
    out.status = (int *) R_alloc(ne, sizeof(int));
    out.lam_n = (int *) R_alloc(ne, sizeof(int));
    out.lam_ref = (int *) R_alloc(ne, sizeof(int));
    out.lam_val = (double *) R_alloc(ne, sizeof(double));
    out.slx = islack ? (double *) R_alloc((size_t) ne * mi, sizeof(double)) : NULL;
    out.sly = islack ? (double *) R_alloc((size_t) ne * so, sizeof(double)) : NULL;
    int *peer = out.lam_ref;
    const int step = 1024;
    for (int k0 = 0; k0 < ne; k0 += step) {
        int k1 = k0 + step < ne ? k0 + step : ne;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nth) schedule(static)
#endif
        for (int k = k0; k < k1; k++) {
            fdh_unit(XE, YE, ne, XR, YR, nr, mi, so, k, ior, ex[k], ws, islack,
                     out.eff, out.status, peer, out.slx, out.sly);
            out.lam_n[k] = peer[k] >= 0;
            out.lam_val[k] = 1.0;
        }
        R_CheckUserInterrupt();
    }
#ifndef _OPENMP
    (void) nth;
#endif
    SEXP res = dea_result(ne, mi, so, 1, islack, &out, 0.0, nr, &nprot);
    UNPROTECT(nprot);
    return res;
}
