/*
 * Difference and system GMM for dynamic panels (Arellano and Bond 1991,
 * Arellano and Bover 1995, Blundell and Bond 1998), with the conventions of
 * Roodman's xtabond2 (Stata Journal 9(1), 2009) and, on request, plm::pgmm.
 *
 * The instrument matrix is never formed: every moment matrix is accumulated
 * unit by unit. For each unit the kernels build, in a small calendar grid,
 * its stacked system (transformed rows by first differences or forward
 * orthogonal deviations, then level rows in system GMM), each row holding the
 * response, the K regressors (formula regressors, the intercept, the time
 * dummies), its instruments as a sparse list of (column, value), and its
 * error as a sparse combination of the unit's level errors (its "weights").
 * The weights give the one-step weighting matrix exactly: with H_i = W_i W_i'
 * the covariance of the stacked errors under i.i.d. level errors (xtabond2's
 * default h(3)), Z_i'H_i Z_i = sum_s g_s g_s' with g_s = sum_r w_r(s) z_r.
 *
 * Passes over the data (each a .Call entry):
 *   gmm_moments   Z'X, Z'y, X'X, Z'HZ, the number of nonzero values of each
 *                 instrument column, rows per unit;
 *   gmm_residual  given beta: S = sum_i (Z_i'e_i)(Z_i'e_i)' (blocks of units
 *                 through dsyrk), the per-unit scores M Z_i'e_i (one-step
 *                 robust variance), sums of squared residuals;
 *   gmm_windmeijer the matrix sum_i Z_i'(x_k e1_i' + e1_i x_k')Z_i A2 Z'e2 of
 *                 Windmeijer's (2005) correction, one column per regressor;
 *   gmm_ar        the pieces of the Arellano-Bond AR(m) statistics.
 * gmm_layout returns the instrument column layout the passes share.
 *
 * Kernels (exr_gmm_*) take caller-supplied workspace and call no R API.
 */
#include "exportres.h"

/* ---- instrument column layout ------------------------------------------ */

/* ispec: T, kx, icpt, nd, q, ng, system, fod, iv_split, first_d, first_l,
 * dum_iv (0 none, 1 transformed equation, 2 level equation). gspec: ng x 4
 * (column-major): lag a, lag b (-1 = no limit), collapse, level-equation lag. */
#define GMM_NISPEC 12

static void gmm_layout_fill(exr_gmm_design *D, int *cum, int *off_gd, int *n_gd, int *off_gl,
                            int *n_gl, int *gb_eff)
{
    const int T = D->T;
    int off = 0;
    D->off_iv = off;
    off += D->q;
    D->off_ivl = -1;
    if (D->system && D->iv_split) {
        D->off_ivl = off;
        off += D->q;
    }
    D->off_dum = -1;
    if (D->dum_iv && D->nd > 0) {
        D->off_dum = off;
        off += D->nd;
    }
    D->off_icpt = -1;
    if (D->system && D->icpt) {
        D->off_icpt = off;
        off += 1;
    }
    for (int g = 0; g < D->ng; g++) {
        int a = D->ga[g], b = D->gb[g];
        if (b < 0 || b > T - 1) b = T - 1;
        gb_eff[g] = b;
        int *cg = cum + (size_t) g * (T + 1);
        cg[0] = 0;
        for (int p = 0; p < T; p++) {
            int m = (p < b ? p : b) - a + 1;
            cg[p + 1] = cg[p] + (m > 0 ? m : 0);
        }
        n_gd[g] = D->gcoll[g] ? (b - a + 1 > 0 ? b - a + 1 : 0) : cg[T];
        off_gd[g] = off;
        off += n_gd[g];
    }
    for (int g = 0; g < D->ng; g++) {
        n_gl[g] = D->system ? (D->gcoll[g] ? 1 : T) : 0;
        off_gl[g] = D->system ? off : -1;
        off += n_gl[g];
    }
    D->L = off;
    D->cum = cum;
    D->off_gd = off_gd;
    D->off_gl = off_gl;
    D->gb = gb_eff;
    /* instrument entries per row: IV, dummies, intercept, per group at most
     * min(T, lags) in the transformed equation or one in the level equation */
    int nz = D->q + D->nd + 1;
    for (int g = 0; g < D->ng; g++) nz += (n_gd[g] < T ? n_gd[g] : T) + 1;
    D->nzmax = nz > 0 ? nz : 1;
}

/* Read and check ispec/gspec into D (layout arrays from R_alloc). */
static void gmm_spec_read(SEXP ispec, SEXP gspec, exr_gmm_design *D)
{
    const int *is = exr_int_arg(ispec, GMM_NISPEC, "ispec");
    memset(D, 0, sizeof(*D));
    D->T = is[0]; D->kx = is[1]; D->icpt = is[2]; D->nd = is[3]; D->q = is[4]; D->ng = is[5];
    D->system = is[6]; D->fod = is[7]; D->iv_split = is[8]; D->first_d = is[9];
    D->first_l = is[10]; D->dum_iv = is[11];
    if (D->T < 1 || D->T > 100000) error("'ispec': the number of periods must be in 1..100000");
    if (D->kx < 0 || D->nd < 0 || D->q < 0 || D->ng < 0) error("'ispec': negative dimension");
    if ((D->icpt != 0 && D->icpt != 1) || (D->system != 0 && D->system != 1) ||
        (D->fod != 0 && D->fod != 1) || (D->iv_split != 0 && D->iv_split != 1))
        error("'ispec': flags must be 0 or 1");
    if (D->dum_iv < 0 || D->dum_iv > 2) error("'ispec': dum_iv must be 0, 1 or 2");
    if (D->first_d < 0 || D->first_l < 0) error("'ispec': first periods must be >= 0");
    D->K = D->kx + D->icpt + D->nd;
    if (!isInteger(gspec) || XLENGTH(gspec) != (R_xlen_t) 4 * D->ng)
        error("'gspec' must be an integer matrix with 4 columns and one row per group");
    const int *gs = INTEGER(gspec);
    int ng = D->ng;
    D->ga = gs;
    D->gcoll = gs + 2 * ng;
    D->glev = gs + 3 * ng;
    for (int g = 0; g < ng; g++) {
        if (gs[g] < 0 || gs[g] == NA_INTEGER) error("'gspec': lag a must be >= 0");
        if (gs[ng + g] != -1 && gs[ng + g] < gs[g]) error("'gspec': lag b must be >= a or -1");
        if (gs[2 * ng + g] != 0 && gs[2 * ng + g] != 1) error("'gspec': collapse must be 0 or 1");
        if (gs[3 * ng + g] < 0 || gs[3 * ng + g] == NA_INTEGER)
            error("'gspec': the level lag must be >= 0");
    }
    int *cum = (int *) R_alloc((size_t) (ng > 0 ? ng : 1) * (D->T + 1), sizeof(int));
    int *buf = (int *) R_alloc((size_t) 5 * (ng > 0 ? ng : 1), sizeof(int));
    D->gb = gs + ng;            /* raw limits, replaced by the capped ones below */
    gmm_layout_fill(D, cum, buf, buf + ng, buf + 2 * ng, buf + 3 * ng, buf + 4 * ng);
    if (D->K < 1) error("'ispec': no regressors");
}

/* Read and check the data arguments into D. */
static void gmm_data_read(SEXP ord, SEXP start, SEXP per, SEXP pos, SEXP Y, SEXP X, SEXP IV,
                          SEXP GV, SEXP dmap, exr_gmm_design *D)
{
    if (!isInteger(start) || XLENGTH(start) < 1) error("'start' must be an integer vector");
    if (!isInteger(ord)) error("'ord' must be an integer vector");
    D->G = (int) XLENGTH(start) - 1;
    D->start = INTEGER(start);
    D->ord = INTEGER(ord);
    R_xlen_t nord = XLENGTH(ord);
    if (D->start[0] != 0 || D->start[D->G] != nord) error("'start' does not match 'ord'");
    for (int g = 0; g < D->G; g++)
        if (D->start[g + 1] < D->start[g]) error("'start' must be non-decreasing");
    D->nall = XLENGTH(per);
    D->per = exr_int_arg(per, -1, "per");
    D->pos = exr_int_arg(pos, D->nall, "pos");
    D->Y = exr_real_arg(Y, -1, "Y");
    D->nc = XLENGTH(Y);
    D->X = exr_real_arg(X, D->nc * D->kx, "X");
    D->IV = exr_real_arg(IV, D->nc * D->q, "IV");
    D->GV = exr_real_arg(GV, D->nall * D->ng, "GV");
    D->dmap = exr_int_arg(dmap, D->T, "dmap");
    for (int p = 0; p < D->T; p++)
        if (D->dmap[p] < -1 || D->dmap[p] >= D->nd) error("'dmap' out of range");
    for (R_xlen_t k = 0; k < nord; k++) {
        int r = D->ord[k];
        if (r < 0 || r >= D->nall) error("'ord' out of range");
        if (D->per[r] < 0 || D->per[r] >= D->T) error("'per' out of range");
        if (D->pos[r] < -1 || D->pos[r] >= D->nc) error("'pos' out of range");
    }
    /* periods must be strictly increasing within a unit: one row per period */
    for (int g = 0; g < D->G; g++)
        for (int k = D->start[g] + 1; k < D->start[g + 1]; k++)
            if (D->per[D->ord[k]] <= D->per[D->ord[k - 1]])
                exr_raise("data", "duplicate or unsorted (id, time) rows within a unit");
}

/* ---- one unit's stacked system -------------------------------------------- */

/* Doubles and ints of workspace one unit needs. */
void exr_gmm_unit_size(const exr_gmm_design *D, size_t *nd, size_t *ni)
{
    size_t T = D->T, R = 2 * T, K = D->K, NZ = D->nzmax;
    *nd = R + R * K + R * NZ + R * T +               /* y, x, zv, wv */
          T + T * D->kx + T * D->q + T * D->ng;      /* grid */
    *ni = R + R + R * NZ + R + R * T + T + T;        /* prd, zn, zi, wn, wi, comp, trow */
}

void exr_gmm_unit_init(const exr_gmm_design *D, exr_gmm_unit *U, double *dw, int *iw)
{
    size_t T = D->T, R = 2 * T, K = D->K, NZ = D->nzmax;
    U->y = dw; dw += R;
    U->x = dw; dw += R * K;
    U->zv = dw; dw += R * NZ;
    U->wv = dw; dw += R * T;
    U->gy = dw; dw += T;
    U->gx = dw; dw += T * D->kx;
    U->giv = dw; dw += T * D->q;
    U->ggv = dw;
    U->prd = iw; iw += R;
    U->zn = iw; iw += R;
    U->zi = iw; iw += R * NZ;
    U->wn = iw; iw += R;
    U->wi = iw; iw += R * T;
    U->comp = iw; iw += T;
    U->trow = iw;
    U->nr = U->ntr = 0;
}

static inline int unit_new_row(const exr_gmm_design *D, exr_gmm_unit *U, int p)
{
    int r = U->nr++;
    U->prd[r] = p;
    U->zn[r] = 0;
    U->wn[r] = 0;
    memset(U->x + (size_t) r * D->K, 0, (size_t) D->K * sizeof(double));
    return r;
}

static inline void zput(const exr_gmm_design *D, exr_gmm_unit *U, int r, int c, double v)
{
    if (v == 0.0 || isnan(v)) return;
    int k = U->zn[r]++;
    U->zi[(size_t) r * D->nzmax + k] = c;
    U->zv[(size_t) r * D->nzmax + k] = v;
}

static inline void wput(const exr_gmm_design *D, exr_gmm_unit *U, int r, int s, double w)
{
    int k = U->wn[r]++;
    U->wi[(size_t) r * D->T + k] = s;
    U->wv[(size_t) r * D->T + k] = w;
}

/* GMM-style instruments of the transformed equation at row period p: lags a..b
 * of each group's variable, one column per (period, lag), or per lag when
 * collapsed. Missing values are zeros, as in xtabond2 and pgmm. */
static void gmm_diff_insts(const exr_gmm_design *D, exr_gmm_unit *U, int r, int p)
{
    const int T = D->T, ng = D->ng;
    for (int g = 0; g < ng; g++) {
        int a = D->ga[g], b = D->gb[g];
        int lmax = p < b ? p : b;
        int base = D->off_gd[g] + (D->gcoll[g] ? 0 : D->cum[(size_t) g * (T + 1) + p]);
        for (int l = a; l <= lmax; l++) zput(D, U, r, base + (l - a), U->ggv[(size_t) (p - l) * ng + g]);
    }
}

/* Fill the unit's grid and build its rows. */
void exr_gmm_unit_build(const exr_gmm_design *D, int g, exr_gmm_unit *U)
{
    const int T = D->T, kx = D->kx, q = D->q, ng = D->ng, K = D->K;
    const int jd = kx + D->icpt;   /* first dummy column */
    for (int p = 0; p < T; p++) {
        U->comp[p] = 0;
        U->trow[p] = -1;
    }
    for (size_t j = 0; j < (size_t) T * ng; j++) U->ggv[j] = NAN;
    for (int k = D->start[g]; k < D->start[g + 1]; k++) {
        int row = D->ord[k], p = D->per[row], ps = D->pos[row];
        for (int j = 0; j < ng; j++) U->ggv[(size_t) p * ng + j] = D->GV[row + (R_xlen_t) j * D->nall];
        if (ps >= 0) {
            U->comp[p] = 1;
            U->gy[p] = D->Y[ps];
            for (int j = 0; j < kx; j++) U->gx[(size_t) p * kx + j] = D->X[ps + (R_xlen_t) j * D->nc];
            for (int j = 0; j < q; j++) U->giv[(size_t) p * q + j] = D->IV[ps + (R_xlen_t) j * D->nc];
        }
    }
    U->nr = 0;
    /* transformed equation */
    if (!D->fod) {
        for (int p = (D->first_d > 1 ? D->first_d : 1); p < T; p++) {
            if (!U->comp[p] || !U->comp[p - 1]) continue;
            int r = unit_new_row(D, U, p);
            double *x = U->x + (size_t) r * K;
            U->y[r] = U->gy[p] - U->gy[p - 1];
            for (int j = 0; j < kx; j++) x[j] = U->gx[(size_t) p * kx + j] - U->gx[(size_t) (p - 1) * kx + j];
            if (D->dmap[p] >= 0) x[jd + D->dmap[p]] += 1.0;
            if (D->dmap[p - 1] >= 0) x[jd + D->dmap[p - 1]] -= 1.0;
            wput(D, U, r, p, 1.0);
            wput(D, U, r, p - 1, -1.0);
            for (int j = 0; j < q; j++)
                zput(D, U, r, D->off_iv + j, U->giv[(size_t) p * q + j] - U->giv[(size_t) (p - 1) * q + j]);
            if (D->dum_iv == 1) {
                if (D->dmap[p] >= 0) zput(D, U, r, D->off_dum + D->dmap[p], 1.0);
                if (D->dmap[p - 1] >= 0) zput(D, U, r, D->off_dum + D->dmap[p - 1], -1.0);
            }
            gmm_diff_insts(D, U, r, p);
            U->trow[p] = r;
        }
    } else {
        /* forward orthogonal deviations: the row for period t deviates from the
         * mean of the unit's later complete rows, scaled by sqrt(m / (m + 1)),
         * and is dated t + 1 (xtabond2's alignment), so that instruments dated
         * p - a are those of first differences shifted by one period */
        for (int t = 0; t < T - 1; t++) {
            if (!U->comp[t]) continue;
            int m = 0;
            for (int s = t + 1; s < T; s++) m += U->comp[s];
            if (m == 0 || t + 1 < D->first_d) continue;
            int p = t + 1;
            int r = unit_new_row(D, U, p);
            double *x = U->x + (size_t) r * K;
            double c = sqrt((double) m / (m + 1.0)), cm = c / m;
            double ys = 0.0;
            for (int s = t + 1; s < T; s++) if (U->comp[s]) ys += U->gy[s];
            U->y[r] = c * U->gy[t] - cm * ys;
            for (int j = 0; j < kx; j++) {
                double xs = 0.0;
                for (int s = t + 1; s < T; s++) if (U->comp[s]) xs += U->gx[(size_t) s * kx + j];
                x[j] = c * U->gx[(size_t) t * kx + j] - cm * xs;
            }
            if (D->dmap[t] >= 0) x[jd + D->dmap[t]] += c;
            wput(D, U, r, t, c);
            for (int s = t + 1; s < T; s++) {
                if (!U->comp[s]) continue;
                if (D->dmap[s] >= 0) x[jd + D->dmap[s]] -= cm;
                wput(D, U, r, s, -cm);
            }
            for (int j = 0; j < q; j++) {
                double vs = 0.0;
                for (int s = t + 1; s < T; s++) if (U->comp[s]) vs += U->giv[(size_t) s * q + j];
                zput(D, U, r, D->off_iv + j, c * U->giv[(size_t) t * q + j] - cm * vs);
            }
            if (D->dum_iv == 1)
                for (int j = 0; j < D->nd; j++) zput(D, U, r, D->off_dum + j, x[jd + j]);
            gmm_diff_insts(D, U, r, p);
            U->trow[p] = r;
        }
    }
    U->ntr = U->nr;
    if (!D->system) return;
    /* level equation */
    for (int p = D->first_l; p < T; p++) {
        if (!U->comp[p]) continue;
        int r = unit_new_row(D, U, p);
        double *x = U->x + (size_t) r * K;
        U->y[r] = U->gy[p];
        for (int j = 0; j < kx; j++) x[j] = U->gx[(size_t) p * kx + j];
        if (D->icpt) x[kx] = 1.0;
        if (D->dmap[p] >= 0) x[jd + D->dmap[p]] = 1.0;
        wput(D, U, r, p, 1.0);
        int off = D->iv_split ? D->off_ivl : D->off_iv;
        for (int j = 0; j < q; j++) zput(D, U, r, off + j, U->giv[(size_t) p * q + j]);
        if (D->off_icpt >= 0) zput(D, U, r, D->off_icpt, 1.0);
        if (D->dum_iv == 2 && D->dmap[p] >= 0) zput(D, U, r, D->off_dum + D->dmap[p], 1.0);
        for (int g2 = 0; g2 < ng; g2++) {
            int s = p - D->glev[g2];
            if (s < 1) continue;
            double v = U->ggv[(size_t) s * ng + g2] - U->ggv[(size_t) (s - 1) * ng + g2];
            zput(D, U, r, D->off_gl[g2] + (D->gcoll[g2] ? 0 : p), v);
        }
    }
}

/* ---- accumulation kernels --------------------------------------------------- */

/* Scratch for the sparse products: acc (L doubles), mark and touched (L ints),
 * per-period lists of (row, weight) (T * 2T each), and a stamp. */
typedef struct {
    double *acc, *lw;
    int *mark, *touched, *lr, *ln;
    int stamp;
} gmm_sparse;

static void gmm_sparse_alloc(const exr_gmm_design *D, gmm_sparse *S)
{
    size_t L = D->L > 0 ? D->L : 1, T = D->T;
    S->acc = (double *) R_alloc(L, sizeof(double));
    S->lw = (double *) R_alloc(T * 2 * T + L, sizeof(double));
    S->mark = (int *) R_alloc(L, sizeof(int));
    S->touched = (int *) R_alloc(L, sizeof(int));
    S->lr = (int *) R_alloc(T * 2 * T, sizeof(int));
    S->ln = (int *) R_alloc(T, sizeof(int));
    memset(S->mark, 0, L * sizeof(int));
    S->stamp = 0;
}

/* Z'X (L x K, row-major), Z'y, X'X (K x K), the upper triangle of Z'HZ
 * (L x L, row-major: element (i, j), i <= j, at i * L + j) and the number of
 * nonzero values of each instrument column, from one unit. */
static void exr_gmm_accumulate(const exr_gmm_design *D, const exr_gmm_unit *U, gmm_sparse *S,
                               double *ZX, double *Zy, double *XX, double *ZHZ, double *nzc)
{
    const int K = D->K, NZ = D->nzmax, T = D->T;
    const size_t L = D->L;
    for (int r = 0; r < U->nr; r++) {
        const double *x = U->x + (size_t) r * K;
        const int *zi = U->zi + (size_t) r * NZ;
        const double *zv = U->zv + (size_t) r * NZ;
        for (int k = 0; k < U->zn[r]; k++) {
            double *zx = ZX + (size_t) zi[k] * K;
            const double v = zv[k];
            for (int j = 0; j < K; j++) zx[j] += v * x[j];
            Zy[zi[k]] += v * U->y[r];
            nzc[zi[k]] += 1.0;
        }
        for (int a = 0; a < K; a++) {
            if (x[a] == 0.0) continue;
            for (int b = a; b < K; b++) XX[a + (size_t) b * K] += x[a] * x[b];
        }
    }
    /* Z'HZ = sum_s g_s g_s', g_s = sum_r w_r(s) z_r */
    for (int s = 0; s < T; s++) S->ln[s] = 0;
    for (int r = 0; r < U->nr; r++)
        for (int k = 0; k < U->wn[r]; k++) {
            int s = U->wi[(size_t) r * T + k];
            int m = S->ln[s]++;
            S->lr[(size_t) s * 2 * T + m] = r;
            S->lw[(size_t) s * 2 * T + m] = U->wv[(size_t) r * T + k];
        }
    for (int s = 0; s < T; s++) {
        if (S->ln[s] == 0) continue;
        int nt = 0;
        S->stamp++;
        for (int m = 0; m < S->ln[s]; m++) {
            int r = S->lr[(size_t) s * 2 * T + m];
            double w = S->lw[(size_t) s * 2 * T + m];
            const int *zi = U->zi + (size_t) r * NZ;
            const double *zv = U->zv + (size_t) r * NZ;
            for (int k = 0; k < U->zn[r]; k++) {
                int c = zi[k];
                if (S->mark[c] != S->stamp) {
                    S->mark[c] = S->stamp;
                    S->acc[c] = 0.0;
                    S->touched[nt++] = c;
                }
                S->acc[c] += w * zv[k];
            }
        }
        /* sort the support (columns of a row come in increasing runs, so
         * insertion sort is near linear), gather the values, then add the
         * upper triangle of g_s g_s' row by row */
        int *tc = S->touched;
        for (int a = 1; a < nt; a++) {
            int c = tc[a], b = a - 1;
            while (b >= 0 && tc[b] > c) {
                tc[b + 1] = tc[b];
                b--;
            }
            tc[b + 1] = c;
        }
        double *val = S->lw + (size_t) T * 2 * T;   /* L slots after the lists */
        for (int a = 0; a < nt; a++) val[a] = S->acc[tc[a]];
        for (int a = 0; a < nt; a++) {
            const double va = val[a];
            if (va == 0.0) continue;
            double *row = ZHZ + (size_t) tc[a] * L;
            for (int b = a; b < nt; b++) row[tc[b]] += va * val[b];
        }
    }
}

/* Residuals of the unit's rows at beta (length K). */
static void gmm_unit_resid(const exr_gmm_design *D, const exr_gmm_unit *U, const double *beta,
                           double *e)
{
    const int K = D->K;
    for (int r = 0; r < U->nr; r++) {
        const double *x = U->x + (size_t) r * K;
        double f = 0.0;
        for (int j = 0; j < K; j++) f += x[j] * beta[j];
        e[r] = U->y[r] - f;
    }
}

/* u += sum_{r < nrows} z_r e_r into a dense L vector. */
static void gmm_unit_ze(const exr_gmm_design *D, const exr_gmm_unit *U, const double *e, int nrows,
                        double *u)
{
    const int NZ = D->nzmax;
    for (int r = 0; r < nrows; r++) {
        if (e[r] == 0.0) continue;
        const int *zi = U->zi + (size_t) r * NZ;
        const double *zv = U->zv + (size_t) r * NZ;
        for (int k = 0; k < U->zn[r]; k++) u[zi[k]] += zv[k] * e[r];
    }
}

/* ---- .Call entry points ---------------------------------------------------- */

/* One unit's workspace, from R_alloc (main thread). */
static void gmm_unit_alloc(const exr_gmm_design *D, exr_gmm_unit *U)
{
    size_t ndw, niw;
    exr_gmm_unit_size(D, &ndw, &niw);
    exr_gmm_unit_init(D, U, (double *) R_alloc(ndw, sizeof(double)),
                      (int *) R_alloc(niw, sizeof(int)));
}

#define GMM_DATA_ARGS SEXP ispec, SEXP gspec, SEXP ord, SEXP start, SEXP per, SEXP pos, \
    SEXP Y, SEXP X, SEXP IV, SEXP GV, SEXP dmap
#define GMM_READ(D) do { gmm_spec_read(ispec, gspec, &(D)); \
    gmm_data_read(ord, start, per, pos, Y, X, IV, GV, dmap, &(D)); } while (0)

/* Symmetrise an upper-stored n x n matrix (row-major upper = column-major lower). */
static void sym_from_rowmajor_upper(double *A, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) A[j + i * n] = A[i * n + j];
    /* now element (i, j), i <= j, sits at i * n + j and at j + i * n: both
     * triangles hold it; as a column-major matrix A[i + j * n] = A[j + i * n] */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) A[i + j * n] = A[j + i * n];
}

/*
 * .Call entry: gmm_layout(ispec, gspec)
 * The instrument column layout (0-based offsets): list(L, off_iv, off_ivl,
 * off_dum, off_icpt, off_gd, n_gd, off_gl, n_gl, nzmax).
 */
SEXP gmm_layout(SEXP ispec, SEXP gspec)
{
    exr_gmm_design D;
    gmm_spec_read(ispec, gspec, &D);
    const char *nm[10] = {"L", "off_iv", "off_ivl", "off_dum", "off_icpt", "off_gd", "n_gd",
                          "off_gl", "n_gl", "nzmax"};
    SEXP out = PROTECT(exr_named_list(10, nm));
    SET_VECTOR_ELT(out, 0, ScalarInteger(D.L));
    SET_VECTOR_ELT(out, 1, ScalarInteger(D.off_iv));
    SET_VECTOR_ELT(out, 2, ScalarInteger(D.off_ivl));
    SET_VECTOR_ELT(out, 3, ScalarInteger(D.off_dum));
    SET_VECTOR_ELT(out, 4, ScalarInteger(D.off_icpt));
    SEXP ogd = allocVector(INTSXP, D.ng); SET_VECTOR_ELT(out, 5, ogd);
    SEXP ngd = allocVector(INTSXP, D.ng); SET_VECTOR_ELT(out, 6, ngd);
    SEXP ogl = allocVector(INTSXP, D.ng); SET_VECTOR_ELT(out, 7, ogl);
    SEXP ngl = allocVector(INTSXP, D.ng); SET_VECTOR_ELT(out, 8, ngl);
    for (int g = 0; g < D.ng; g++) {
        /* the groups' transformed-equation columns are contiguous, then the level ones */
        int next = g + 1 < D.ng ? D.off_gd[g + 1] : (D.system ? D.off_gl[0] : D.L);
        INTEGER(ogd)[g] = D.off_gd[g];
        INTEGER(ngd)[g] = next - D.off_gd[g];
        INTEGER(ogl)[g] = D.off_gl[g];
        INTEGER(ngl)[g] = D.system ? (D.gcoll[g] ? 1 : D.T) : 0;
    }
    SET_VECTOR_ELT(out, 9, ScalarInteger(D.nzmax));
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: gmm_moments(ispec, gspec, ord, start, per, pos, Y, X, IV, GV, dmap)
 *   ord    0-based rows of the data with a valid (id, time), sorted by unit, time
 *   start  G + 1 offsets into ord
 *   per    0-based period of every row of the data (length nall)
 *   pos    row of every data row among the complete rows (Y, X, IV), or -1
 *   Y, X, IV  complete rows: response, kx regressors, q IV-style variables (levels)
 *   GV     nall x ng: the GMM-style variables on every row (NA = missing)
 *   dmap   T: time-dummy index of each period, or -1
 * Returns list(ZX (L x K), Zy, XX (K x K), ZHZ (L x L), nz (nonzero values per
 * instrument column), ntr, nlev (rows per unit of each equation)).
 */
SEXP gmm_moments(GMM_DATA_ARGS)
{
    exr_gmm_design D;
    GMM_READ(D);
    const size_t L = D.L, K = D.K;
    const char *nm[7] = {"ZX", "Zy", "XX", "ZHZ", "nz", "ntr", "nlev"};
    SEXP out = PROTECT(exr_named_list(7, nm));
    SEXP sZX = allocMatrix(REALSXP, D.L, D.K); SET_VECTOR_ELT(out, 0, sZX);
    SEXP sZy = allocVector(REALSXP, D.L); SET_VECTOR_ELT(out, 1, sZy);
    SEXP sXX = allocMatrix(REALSXP, D.K, D.K); SET_VECTOR_ELT(out, 2, sXX);
    SEXP sZHZ = allocMatrix(REALSXP, D.L, D.L); SET_VECTOR_ELT(out, 3, sZHZ);
    SEXP snz = allocVector(REALSXP, D.L); SET_VECTOR_ELT(out, 4, snz);
    SEXP sntr = allocVector(INTSXP, D.G); SET_VECTOR_ELT(out, 5, sntr);
    SEXP snlev = allocVector(INTSXP, D.G); SET_VECTOR_ELT(out, 6, snlev);
    double *ZXr = (double *) R_alloc(L * K + 1, sizeof(double));
    memset(ZXr, 0, (L * K + 1) * sizeof(double));
    double *Zy = REAL(sZy), *XX = REAL(sXX), *ZHZ = REAL(sZHZ), *nz = REAL(snz);
    memset(Zy, 0, L * sizeof(double));
    memset(XX, 0, K * K * sizeof(double));
    memset(ZHZ, 0, L * L * sizeof(double));
    memset(nz, 0, L * sizeof(double));
    exr_gmm_unit U;
    gmm_unit_alloc(&D, &U);
    gmm_sparse S;
    gmm_sparse_alloc(&D, &S);
    for (int g = 0; g < D.G; g++) {
        if ((g & 1023) == 1023) R_CheckUserInterrupt();
        exr_gmm_unit_build(&D, g, &U);
        INTEGER(sntr)[g] = U.ntr;
        INTEGER(snlev)[g] = U.nr - U.ntr;
        if (U.nr) exr_gmm_accumulate(&D, &U, &S, ZXr, Zy, XX, ZHZ, nz);
    }
    double *ZX = REAL(sZX);
    for (size_t c = 0; c < L; c++)
        for (size_t j = 0; j < K; j++) ZX[c + j * L] = ZXr[c * K + j];
    for (size_t a = 0; a < K; a++)
        for (size_t b = a + 1; b < K; b++) XX[b + a * K] = XX[a + b * K];
    sym_from_rowmajor_upper(ZHZ, L);
    UNPROTECT(1);
    return out;
}

#define GMM_BATCH 128

/*
 * .Call entry: gmm_residual(<data args>, beta, M)
 *   beta  K coefficients (0 for dropped regressors)
 *   M     m x L matrix (the one-step X'Z A1 over all L columns), or NULL
 * Returns list(S = sum_i u_i u_i' (L x L) with u_i = Z_i'e_i, scores (G x m:
 * row i = M u_i), ssr_tr, ssr_lev (sums of squared residuals by equation)).
 */
SEXP gmm_residual(GMM_DATA_ARGS, SEXP beta_, SEXP M_)
{
    exr_gmm_design D;
    GMM_READ(D);
    const double *beta = exr_real_arg(beta_, D.K, "beta");
    int m = 0;
    const double *M = NULL;
    if (!isNull(M_)) {
        if (!isReal(M_) || !isMatrix(M_) || ncols(M_) != D.L) error("'M' must be a matrix with L columns");
        m = nrows(M_);
        M = REAL(M_);
    }
    const int L = D.L;
    const char *nm[4] = {"S", "scores", "ssr_tr", "ssr_lev"};
    SEXP out = PROTECT(exr_named_list(4, nm));
    SEXP sS = allocMatrix(REALSXP, L, L); SET_VECTOR_ELT(out, 0, sS);
    SEXP ssc = allocMatrix(REALSXP, D.G, m); SET_VECTOR_ELT(out, 1, ssc);
    double *Sm = REAL(sS), *sc = REAL(ssc);
    memset(Sm, 0, (size_t) L * L * sizeof(double));
    if (m) memset(sc, 0, (size_t) D.G * m * sizeof(double));
    exr_gmm_unit U;
    gmm_unit_alloc(&D, &U);
    double *e = (double *) R_alloc(2 * (size_t) D.T, sizeof(double));
    double *Ub = (double *) R_alloc((size_t) (L > 0 ? L : 1) * GMM_BATCH, sizeof(double));
    double *Sc = (double *) R_alloc((size_t) (m > 0 ? m : 1) * GMM_BATCH, sizeof(double));
    int *bunit = (int *) R_alloc(GMM_BATCH, sizeof(int));
    double ssr_tr = 0.0, ssr_lev = 0.0;
    int nb = 0;
    const double one = 1.0, zero = 0.0;
    memset(Ub, 0, (size_t) L * GMM_BATCH * sizeof(double));
    for (int g = 0; g <= D.G; g++) {
        if (g < D.G) {
            if ((g & 1023) == 1023) R_CheckUserInterrupt();
            exr_gmm_unit_build(&D, g, &U);
            if (U.nr == 0) continue;
            gmm_unit_resid(&D, &U, beta, e);
            for (int r = 0; r < U.nr; r++) {
                if (r < U.ntr) ssr_tr += e[r] * e[r];
                else ssr_lev += e[r] * e[r];
            }
            gmm_unit_ze(&D, &U, e, U.nr, Ub + (size_t) nb * L);
            bunit[nb++] = g;
        }
        if (nb == GMM_BATCH || (g == D.G && nb > 0)) {
            if (L > 0) F77_CALL(dsyrk)("U", "N", &L, &nb, &one, Ub, &L, &one, Sm, &L FCONE FCONE);
            if (m) {
                F77_CALL(dgemm)("N", "N", &m, &nb, &L, &one, M, &m, Ub, &L, &zero, Sc, &m FCONE FCONE);
                for (int j = 0; j < nb; j++)
                    for (int k = 0; k < m; k++) sc[bunit[j] + (size_t) k * D.G] = Sc[k + (size_t) j * m];
            }
            memset(Ub, 0, (size_t) L * nb * sizeof(double));
            nb = 0;
        }
    }
    for (size_t a = 0; a < (size_t) L; a++)
        for (size_t b = a + 1; b < (size_t) L; b++) Sm[b + a * L] = Sm[a + b * L];
    SET_VECTOR_ELT(out, 2, ScalarReal(ssr_tr));
    SET_VECTOR_ELT(out, 3, ScalarReal(ssr_lev));
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: gmm_windmeijer(<data args>, beta1, a)
 *   beta1 one-step coefficients (K); a = A2 Z'e2 (L)
 * Returns the L x K matrix whose column k is
 *   sum_i Z_i'(x_k,i e1_i' + e1_i x_k,i') Z_i a
 *   = sum_i [ (e1_i'Z_i a) Z_i'x_k,i + Z_i'e1_i (x_k,i'Z_i a) ],
 * the building block of Windmeijer's (2005) correction (xtabond2's D before
 * premultiplying by the two-step V2 X'Z A2; plm's vcovHC.pgmm).
 */
SEXP gmm_windmeijer(GMM_DATA_ARGS, SEXP beta_, SEXP a_)
{
    exr_gmm_design D;
    GMM_READ(D);
    const int L = D.L, K = D.K, NZ = D.nzmax;
    const double *beta = exr_real_arg(beta_, K, "beta1");
    const double *a = exr_real_arg(a_, L, "a");
    SEXP out = PROTECT(allocMatrix(REALSXP, L, K));
    double *Dm = REAL(out);
    memset(Dm, 0, (size_t) L * K * sizeof(double));
    double *D1 = (double *) R_alloc((size_t) L * K + 1, sizeof(double));   /* row-major */
    memset(D1, 0, ((size_t) L * K + 1) * sizeof(double));
    exr_gmm_unit U;
    gmm_unit_alloc(&D, &U);
    double *e = (double *) R_alloc(2 * (size_t) D.T, sizeof(double));
    double *Ub = (double *) R_alloc((size_t) (L > 0 ? L : 1) * GMM_BATCH, sizeof(double));
    double *Hb = (double *) R_alloc((size_t) K * GMM_BATCH, sizeof(double));
    int nb = 0;
    const double one = 1.0;
    memset(Ub, 0, (size_t) L * GMM_BATCH * sizeof(double));
    for (int g = 0; g <= D.G; g++) {
        if (g < D.G) {
            if ((g & 1023) == 1023) R_CheckUserInterrupt();
            exr_gmm_unit_build(&D, g, &U);
            if (U.nr == 0) continue;
            gmm_unit_resid(&D, &U, beta, e);
            double *u = Ub + (size_t) nb * L;
            gmm_unit_ze(&D, &U, e, U.nr, u);
            double c = 0.0;
            for (int j = 0; j < L; j++) c += u[j] * a[j];
            double *h = Hb + (size_t) nb * K;
            memset(h, 0, (size_t) K * sizeof(double));
            for (int r = 0; r < U.nr; r++) {
                const int *zi = U.zi + (size_t) r * NZ;
                const double *zv = U.zv + (size_t) r * NZ;
                const double *x = U.x + (size_t) r * K;
                double za = 0.0;
                for (int k = 0; k < U.zn[r]; k++) {
                    za += zv[k] * a[zi[k]];
                    if (c != 0.0) {
                        double *d1 = D1 + (size_t) zi[k] * K;
                        const double v = c * zv[k];
                        for (int j = 0; j < K; j++) d1[j] += v * x[j];
                    }
                }
                if (za != 0.0) for (int j = 0; j < K; j++) h[j] += za * x[j];
            }
            nb++;
        }
        if (nb == GMM_BATCH || (g == D.G && nb > 0)) {
            if (L > 0) F77_CALL(dgemm)("N", "T", &L, &K, &nb, &one, Ub, &L, Hb, &K, &one, Dm, &L FCONE FCONE);
            memset(Ub, 0, (size_t) L * nb * sizeof(double));
            nb = 0;
        }
    }
    for (size_t c = 0; c < (size_t) L; c++)
        for (size_t j = 0; j < (size_t) K; j++) Dm[c + j * L] += D1[c * K + j];
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: gmm_ar(<data args>, beta, lags, sig2, flags)
 *   beta   coefficients (K) of the reported step
 *   lags   orders m of the tests (positive integers)
 *   sig2   > 0: one-step non-robust form (Var(e|Z) = sig2 H), else robust
 *   flags  1: only the transformed-equation residuals enter Z'e (plm's system
 *          GMM); 0: all (xtabond2)
 * The AR(m) test is computed on residuals in first differences (also after
 * forward orthogonal deviations, as xtabond2 does): with w_i the unit's
 * differenced residuals and w_i,-m their m-th lag (zero where absent),
 * s_i = w_i,-m' w_i. Returns, one entry (column) per lag:
 *   num = sum_i s_i, wHw (sum_i s_i^2, or sig2 * w_-m'H w_-m), ZHw (L x nl:
 *   sum_i Z_i'e_i s_i, or sig2 * Z'Psi w_-m), Xw (K x nl: sum_i X_i'w_i,-m).
 * R combines them as num / sqrt(wHw - 2 Xw'V0 X'Z A ZHw + Xw'V Xw).
 */
SEXP gmm_ar(GMM_DATA_ARGS, SEXP beta_, SEXP lags_, SEXP sig2_, SEXP flags_)
{
    exr_gmm_design D;
    GMM_READ(D);
    const int L = D.L, K = D.K, T = D.T, NZ = D.nzmax, kx = D.kx, jd = D.kx + D.icpt;
    const double *beta = exr_real_arg(beta_, K, "beta");
    if (!isInteger(lags_)) error("'lags' must be an integer vector");
    const int nl = (int) XLENGTH(lags_);
    const int *lags = INTEGER(lags_);
    for (int i = 0; i < nl; i++) if (lags[i] < 1 || lags[i] == NA_INTEGER) error("'lags' must be positive");
    const double sig2 = exr_scalar_real(sig2_, "sig2");
    const int diff_only = exr_scalar_int(flags_, "flags") & 1;
    const int nonrobust = sig2 > 0;
    const char *nm[4] = {"num", "wHw", "ZHw", "Xw"};
    SEXP out = PROTECT(exr_named_list(4, nm));
    SEXP snum = allocVector(REALSXP, nl); SET_VECTOR_ELT(out, 0, snum);
    SEXP swhw = allocVector(REALSXP, nl); SET_VECTOR_ELT(out, 1, swhw);
    SEXP szhw = allocMatrix(REALSXP, L, nl); SET_VECTOR_ELT(out, 2, szhw);
    SEXP sxw = allocMatrix(REALSXP, K, nl); SET_VECTOR_ELT(out, 3, sxw);
    double *num = REAL(snum), *whw = REAL(swhw), *zhw = REAL(szhw), *xw = REAL(sxw);
    memset(num, 0, nl * sizeof(double));
    memset(whw, 0, nl * sizeof(double));
    memset(zhw, 0, (size_t) L * nl * sizeof(double));
    memset(xw, 0, (size_t) K * nl * sizeof(double));
    exr_gmm_unit U;
    gmm_unit_alloc(&D, &U);
    double *e = (double *) R_alloc(2 * (size_t) T, sizeof(double));
    double *el = (double *) R_alloc(T, sizeof(double));
    double *ed = (double *) R_alloc(T, sizeof(double));
    double *xd = (double *) R_alloc((size_t) T * K, sizeof(double));
    double *xl = (double *) R_alloc((size_t) T * K, sizeof(double));
    double *wl = (double *) R_alloc(T + 1, sizeof(double));
    double *v = (double *) R_alloc(T + 1, sizeof(double));
    double *ze = (double *) R_alloc(L > 0 ? L : 1, sizeof(double));
    int *has = (int *) R_alloc(T, sizeof(int));
    for (int g = 0; g < D.G; g++) {
        if ((g & 1023) == 1023) R_CheckUserInterrupt();
        exr_gmm_unit_build(&D, g, &U);
        if (U.ntr == 0) continue;
        /* regressors and residuals in levels, then their first differences */
        for (int p = 0; p < T; p++) {
            has[p] = 0;
            if (!U.comp[p]) continue;
            double *x = xl + (size_t) p * K;
            memset(x, 0, (size_t) K * sizeof(double));
            for (int j = 0; j < kx; j++) x[j] = U.gx[(size_t) p * kx + j];
            if (D.icpt) x[kx] = 1.0;
            if (D.dmap[p] >= 0) x[jd + D.dmap[p]] = 1.0;
            double f = 0.0;
            for (int j = 0; j < K; j++) f += x[j] * beta[j];
            el[p] = U.gy[p] - f;
        }
        for (int p = 1; p < T; p++) {
            has[p] = D.fod ? (U.comp[p] && U.comp[p - 1]) : (U.trow[p] >= 0);
            if (!has[p]) continue;
            ed[p] = el[p] - el[p - 1];
            for (int j = 0; j < K; j++) xd[(size_t) p * K + j] = xl[(size_t) p * K + j] - xl[(size_t) (p - 1) * K + j];
        }
        int have_ze = 0;
        for (int li = 0; li < nl; li++) {
            const int l = lags[li];
            double s = 0.0;
            for (int p = l; p < T; p++) {
                if (!has[p] || !has[p - l]) continue;
                s += ed[p] * ed[p - l];
                const double *x = xd + (size_t) p * K;
                for (int j = 0; j < K; j++) xw[j + (size_t) li * K] += x[j] * ed[p - l];
            }
            num[li] += s;
            if (!nonrobust) {
                if (s == 0.0) continue;
                whw[li] += s * s;
                if (!have_ze) {
                    memset(ze, 0, (size_t) L * sizeof(double));
                    gmm_unit_resid(&D, &U, beta, e);
                    gmm_unit_ze(&D, &U, e, diff_only ? U.ntr : U.nr, ze);
                    have_ze = 1;
                }
                for (int c = 0; c < L; c++) zhw[c + (size_t) li * L] += s * ze[c];
            } else {
                /* lagged differenced residuals on the rows of the transformed equation */
                for (int p = 0; p <= T; p++) wl[p] = 0.0;
                for (int p = l; p < T; p++)
                    if (U.trow[p] >= 0 && has[p - l]) wl[p] = ed[p - l];
                /* v_s = sum_p d_p(s) wl_p with d_p = e_p - e_{p-1} */
                double q2 = 0.0;
                for (int s2 = 0; s2 < T; s2++) {
                    v[s2] = wl[s2] - wl[s2 + 1];
                    q2 += v[s2] * v[s2];
                }
                whw[li] += sig2 * q2;
                for (int r = 0; r < U.ntr; r++) {
                    double cr = 0.0;
                    for (int k = 0; k < U.wn[r]; k++)
                        cr += U.wv[(size_t) r * T + k] * v[U.wi[(size_t) r * T + k]];
                    if (cr == 0.0) continue;
                    const int *zi = U.zi + (size_t) r * NZ;
                    const double *zv = U.zv + (size_t) r * NZ;
                    for (int k = 0; k < U.zn[r]; k++) zhw[zi[k] + (size_t) li * L] += sig2 * cr * zv[k];
                }
            }
        }
    }
    UNPROTECT(1);
    return out;
}
