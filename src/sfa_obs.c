/*
 * Observation-level stochastic frontier likelihoods: cross-section (any
 * inefficiency distribution), Battese-Coelli (1995) and Wang (2002)
 * inefficiency effects, Caudill-Ford-Gropper heteroscedasticity in u and v,
 * and Greene's (2005) true fixed- and true random-effects panel models.
 *
 * Every observation's composed error eps = v - u (u >= 0 the inefficiency,
 * v ~ N(0, sv2)) has the log density l(eps; rho, nu, mu) in the four
 * "channels"  psi = (eps, rho = ln su2, nu = ln sv2, mu):
 *   half-normal / truncated normal (Aigner-Lovell-Schmidt 1977; Stevenson 1980),
 *     u ~ N+(mu, su2), s2 = su2 + sv2, z = (mu sv2 - su2 eps) / sqrt(su2 sv2 s2):
 *     l = -ln(2 pi)/2 - ln(s2)/2 - (eps + mu)^2 / (2 s2) + ln Phi(z) - ln Phi(mu / su)
 *     (half-normal: mu = 0, the last term is ln 2);
 *   exponential (Meeusen-van den Broeck 1977), u ~ Exp with mean su:
 *     l = -ln su + eps / su + sv2 / (2 su2) + ln Phi(-eps / sv - sv / su).
 * Each channel is linear in the parameters through its own design:
 *   eps_i = S (y_i - x_i'b) - a_g(i) (true FE: a_g = S alpha_g, profiled out)
 *                           - sw h_gr (true RE: simulated unit effect),
 *   rho_i = zu_i'gu,  nu_i = zv_i'gv,  mu_i = zm_i'delta,
 * S = 1 for a production and -1 for a cost frontier. A design with one row
 * applies to every observation (the homoscedastic case costs no memory).
 * The parameter vector is theta = (b[k], delta[m], gu[pu], gv[pv], ln sw).
 *
 * First and second derivatives of l in psi are analytic (below), so the
 * gradient and the Hessian of the log-likelihood in theta are exact: sums of
 * J_i' g_i and J_i' H_i J_i over observations, J_i the channel designs. The
 * maximiser is Newton-Raphson with a Levenberg shift where the Hessian is
 * not negative definite and a backtracking (Armijo) line search, from the
 * best point of a grid over gamma = su2 / (su2 + sv2) (as FRONTIER) and a
 * second, distant grid point.
 *
 * True fixed effects (Greene 2005): the unit intercepts are concentrated
 * out. For given theta each a_g maximises the unit's log-likelihood, which is
 * concave in a_g (the densities are log-concave), by a safeguarded 1-D
 * Newton iteration warm-started from the last evaluation; no dummy column is
 * built. The profile gradient is the partial gradient at a_g(theta)
 * (envelope theorem) and the profile Hessian is H_tt - sum_g c_g c_g' / h_g
 * with h_g = d2 l_g / da_g^2, c_g = d2 l_g / dtheta da_g.
 *
 * True random effects (Greene 2005): y = x'b + w_g + v - S u, w_g ~ N(0, sw2),
 * by maximum simulated likelihood: L_g = (1/R) sum_r prod_t f(e_gt - sw h_gr)
 * with R fixed draws h_gr per unit (Halton, supplied by the caller). Its
 * gradient and Hessian are exact for the simulated likelihood.
 *
 * Threads: the observations (units for panels) are cut into chunks of a
 * fixed size; each chunk's sums are computed by whichever thread takes it and
 * then added in chunk order, so results do not depend on the number of
 * threads. No R API inside the parallel regions.
 */
#include "exportres.h"

#define SFO_LN2PI 1.8378770664093454836
#define SFO_CHUNK_OBS 2048
#define SFO_CHUNK_TFE 128
#define SFO_CHUNK_TRE 8

enum { CH_E = 0, CH_R = 1, CH_N = 2, CH_M = 3 };
enum { SFO_HN = 0, SFO_TN = 1, SFO_EXP = 2 };
enum { SFO_OBS = 0, SFO_TFE = 1, SFO_TRE = 2 };

/* The parts of the density that depend on the variances and the mean only:
 * computed once per observation, or once for all where they are constant. */
typedef struct {
    double rho, nu, mu;
    double U, V, s2, P, Q, w, D, cst;   /* normal: cst = -ln(2 pi)/2 - ln(s2)/2 (+ ln 2 or - ln Phi(a)) */
    double iu, a, lama;                 /* truncated normal: 1 / su, a = mu / su, phi(a) / Phi(a) */
    double ea, eb;                      /* exponential: 1 / su, sv */
} sfo_var;

typedef struct {            /* one channel's design: nr x p, nr = n or 1 */
    const double *v;
    int nr, p;
} sfo_des;

typedef struct {
    int n, k, dist, model, G, R, nth, p, icpt, maxT;
    double S;
    const double *y, *X;
    sfo_des M, U, V;
    const int *gs;          /* G + 1 unit offsets (tfe, tre); NULL for obs */
    const double *draws;    /* tre: the R draws of unit g at draws + g R */
    double *alpha;          /* tfe: the G profiled shifts a_g (warm starts) */
    int *chan;              /* p: channel of each parameter */
    int off_m, off_u, off_v, off_w;
    int nchunk, chunk;
    double *part;           /* nchunk x (1 + p + p p) chunk sums */
    double *scratch;        /* nth x scr: per-thread work */
    sfo_var *vscratch;      /* nth x maxT variance states */
    const sfo_var **vpscratch; /* nth x maxT pointers to them */
    int homo;               /* every channel constant: one variance state for all */
    size_t scr;
    int tfe_fail;           /* an inner Newton iteration did not converge */
    int neval;
} sfo_ctx;

/* The normal lower tail in a form that stays accurate as z -> -Inf:
 * returns q = ln Phi(z) + z^2 / 2, with lam = phi(z) / Phi(z), m1 = q' =
 * lam + z and m2 = q'' = 1 - lam m1 (the second derivative of ln Phi is
 * m2 - 1 = -lam m1). Below z = -8, from Laplace's continued fraction of the
 * Mills ratio, Phi(z) = phi(z) / (x + K), x = -z, K = 1 / (x + T2),
 * T_j = j / (x + T_{j+1}), evaluated backwards from j = 80: then m1 = K and
 * m2 = K (T2 - K) come without the cancellation of lam + z. */
static inline double sfo_tail(double z, double *lam, double *m1, double *m2)
{
    if (z > -8.0) {
        const double lz = exr_lphi(z), l = exr_mills(z, lz);
        *lam = l;
        *m1 = l + z;
        *m2 = 1.0 - l * (*m1);
        return lz + 0.5 * z * z;
    }
    const double x = -z;
    double t = 0.0;
    for (int j = 80; j >= 2; j--) t = j / (x + t);
    const double K = 1.0 / (x + t);
    *lam = x + K;
    *m1 = K;
    *m2 = K * (t - K);
    return -log(x + K) - EXR_LN_SQRT_2PI;
}

static void sfo_var_set(int dist, double rho, double nu, double mu, sfo_var *v)
{
    v->rho = rho; v->nu = nu; v->mu = mu;
    if (dist == SFO_EXP) {
        v->ea = exp(-0.5 * rho);
        v->eb = exp(0.5 * nu);
        return;
    }
    v->U = exp(rho); v->V = exp(nu); v->s2 = v->U + v->V;
    v->P = v->U / v->s2; v->Q = v->V / v->s2; v->w = 1.0 / v->s2;
    v->D = sqrt(v->U * v->V * v->s2);
    v->cst = -0.5 * SFO_LN2PI - 0.5 * log(v->s2);
    if (dist == SFO_TN) {
        v->iu = 1.0 / sqrt(v->U);
        v->a = mu * v->iu;
        const double la = exr_lphi(v->a);
        v->lama = exr_mills(v->a, la);
        v->cst -= la;
    } else {
        v->cst += M_LN2;
    }
}

/*
 * sfo_dens: log density at one observation and, by `need`, its derivatives
 * in psi = (eps, rho, nu, mu): 0 value only; 1 gradient g[4]; 2 gradient and
 * Hessian H[16] (full, row-major); 3 only g[0] = dl/deps, H[0] = d2l/deps2.
 * Pure: no R API (runs in OpenMP regions).
 */
static double sfo_dens(int dist, double eps, const sfo_var *v, int need, double *g, double *H)
{
    if (dist == SFO_EXP) {
        /* eps a + sv2 / (2 su2) = z^2 / 2 - eps^2 / (2 sv2): written with
         * q(z) = ln Phi(z) + z^2 / 2 the large terms cancel analytically,
         * l = -rho / 2 - eps^2 / (2 sv2) + q(z) */
        const double a = v->ea, b = v->eb, iV = 1.0 / (b * b);
        const double z = -eps / b - b * a;
        double lam, m1, m2;
        const double l = -0.5 * v->rho - 0.5 * eps * eps * iV + sfo_tail(z, &lam, &m1, &m2);
        if (!need) return l;
        const double ze = -1.0 / b, zr = 0.5 * b * a, zn = eps / (2.0 * b) - 0.5 * b * a;
        g[CH_E] = -eps * iV + m1 * ze;
        if (need == 3) { H[0] = -iV + m2 * ze * ze; return l; }
        g[CH_R] = -0.5 + m1 * zr;
        g[CH_N] = 0.5 * eps * eps * iV + m1 * zn;
        g[CH_M] = 0.0;
        if (need < 2) return l;
        for (int j = 0; j < 16; j++) H[j] = 0.0;
        H[0] = -iV + m2 * ze * ze;
        H[1] = H[4] = m2 * ze * zr;
        H[2] = H[8] = eps * iV + m1 / (2.0 * b) + m2 * ze * zn;
        H[5] = -0.25 * m1 * b * a + m2 * zr * zr;
        H[6] = H[9] = 0.25 * m1 * b * a + m2 * zr * zn;
        H[10] = -0.5 * eps * eps * iV + m1 * (-eps / (4.0 * b) - 0.25 * b * a) + m2 * zn * zn;
        return l;
    }
    const double U = v->U, V = v->V, P = v->P, Q = v->Q, w = v->w, D = v->D, mu = v->mu;
    const double r = eps + mu, N = mu * V - U * eps, z = N / D;
    const double lz = exr_lphi(z);
    const double l = v->cst - 0.5 * r * r * w + lz;
    if (!need) return l;
    double lam = exr_mills(z, lz), c2 = -lam * (z + lam);
    if (z < -8.0) {     /* lam + z without cancellation */
        double m1, m2;
        sfo_tail(z, &lam, &m1, &m2);
        c2 = -lam * m1;
    }
    const double Nx[4] = {-U, -U * eps, mu * V, V};
    const double lD[4] = {0.0, 0.5 * (1.0 + P), 0.5 * (1.0 + Q), 0.0};
    double zx[4];
    for (int j = 0; j < 4; j++) zx[j] = Nx[j] / D - z * lD[j];
    g[CH_E] = -r * w + lam * zx[CH_E];
    if (need == 3) { H[0] = -w + c2 * zx[CH_E] * zx[CH_E]; return l; }
    g[CH_R] = -0.5 * P + 0.5 * r * r * w * P + lam * zx[CH_R];
    g[CH_N] = -0.5 * Q + 0.5 * r * r * w * Q + lam * zx[CH_N];
    g[CH_M] = -r * w + lam * zx[CH_M];
    const double lama = v->lama, iu = v->iu, a = v->a;
    if (dist == SFO_TN) {
        g[CH_M] -= lama * iu;
        g[CH_R] += 0.5 * lama * a;
    }
    if (need < 2) return l;
    /* second derivatives of N and ln D (the non-zero ones) */
    double Nxy[16] = {0}, lDxy[16] = {0};
    Nxy[CH_E * 4 + CH_R] = Nxy[CH_R * 4 + CH_E] = -U;
    Nxy[CH_M * 4 + CH_N] = Nxy[CH_N * 4 + CH_M] = V;
    Nxy[CH_R * 4 + CH_R] = -U * eps;
    Nxy[CH_N * 4 + CH_N] = mu * V;
    const double pq = P * Q;
    lDxy[CH_R * 4 + CH_R] = 0.5 * pq;
    lDxy[CH_N * 4 + CH_N] = 0.5 * pq;
    lDxy[CH_R * 4 + CH_N] = lDxy[CH_N * 4 + CH_R] = -0.5 * pq;
    const int nc = dist == SFO_TN ? 4 : 3;      /* the half-normal has no mu channel */
    if (nc == 3) H[3] = H[7] = H[11] = H[12] = H[13] = H[14] = H[15] = 0.0;
    for (int i = 0; i < nc; i++) {
        for (int j = i; j < nc; j++) {
            const double zxy = (Nxy[i * 4 + j] - Nx[i] * lD[j] - Nx[j] * lD[i]) / D
                               + z * (lD[i] * lD[j] - lDxy[i * 4 + j]);
            H[i * 4 + j] = lam * zxy + c2 * zx[i] * zx[j];
        }
    }
    /* -ln(s2)/2 */
    H[CH_R * 4 + CH_R] += -0.5 * pq;
    H[CH_N * 4 + CH_N] += -0.5 * pq;
    H[CH_R * 4 + CH_N] += 0.5 * pq;
    /* -(eps + mu)^2 / (2 s2) */
    H[CH_E * 4 + CH_E] += -w;
    H[CH_E * 4 + CH_R] += r * w * P;
    H[CH_E * 4 + CH_N] += r * w * Q;
    H[CH_R * 4 + CH_R] += 0.5 * r * r * w * P * (Q - P);
    H[CH_N * 4 + CH_N] += 0.5 * r * r * w * Q * (P - Q);
    H[CH_R * 4 + CH_N] += -r * r * w * pq;
    if (dist == SFO_TN) {   /* the mu channel, and -ln Phi(mu / su) */
        H[CH_M * 4 + CH_M] += -w;
        H[CH_E * 4 + CH_M] += -w;
        H[CH_R * 4 + CH_M] += r * w * P;
        H[CH_N * 4 + CH_M] += r * w * Q;
        const double ca = lama * (a + lama);
        H[CH_R * 4 + CH_M] += 0.5 * lama * iu + ca * (-0.5 * a) * iu;
        H[CH_R * 4 + CH_R] += -0.25 * lama * a + ca * 0.25 * a * a;
        H[CH_M * 4 + CH_M] += ca * iu * iu;
    }
    for (int i = 0; i < nc; i++)
        for (int j = 0; j < i; j++) H[i * 4 + j] = H[j * 4 + i];
    return l;
}

/* mu* and s* of u | eps at one observation: u | eps ~ N+(mu*, s*^2). */
static void sfo_post(int dist, double eps, const sfo_var *v, double *mus, double *ss)
{
    if (dist == SFO_EXP) {
        *mus = -eps - v->eb * v->eb * v->ea;
        *ss = v->eb;
    } else {
        *mus = (v->mu * v->V - v->U * eps) / v->s2;
        *ss = v->D / v->s2;
    }
}

/* value of a channel at row i */
static inline double des_row(const sfo_des *d, const double *coef, int i)
{
    if (d->p == 0) return 0.0;
    const int r = d->nr == 1 ? 0 : i;
    double s = 0.0;
    for (int j = 0; j < d->p; j++) s += d->v[r + (R_xlen_t) j * d->nr] * coef[j];
    return s;
}

static inline double des_at(const sfo_des *d, int i, int j)
{
    return d->v[(d->nr == 1 ? 0 : i) + (R_xlen_t) j * d->nr];
}

/* eps before the unit shift: S (y_i - x_i'b) */
static inline double sfo_e(const sfo_ctx *c, const double *th, int i)
{
    double s = c->y[i];
    for (int j = 0; j < c->k; j++) s -= c->X[i + (R_xlen_t) j * c->n] * th[j];
    return c->S * s;
}

/* The Jacobian row of observation i: d psi_channel / d theta_a (channel c->chan[a]). */
static inline void sfo_jac(const sfo_ctx *c, int i, double *jv)
{
    for (int j = 0; j < c->k; j++) jv[j] = -c->S * c->X[i + (R_xlen_t) j * c->n];
    for (int j = 0; j < c->M.p; j++) jv[c->off_m + j] = des_at(&c->M, i, j);
    for (int j = 0; j < c->U.p; j++) jv[c->off_u + j] = des_at(&c->U, i, j);
    for (int j = 0; j < c->V.p; j++) jv[c->off_v + j] = des_at(&c->V, i, j);
}

/* acc += l, J'g (and J'HJ, upper triangle, when need == 2) */
static inline void sfo_add(const sfo_ctx *c, const double *jv, const double *g, const double *H,
                           int need, double *gacc, double *Hacc)
{
    const int p = c->p;
    const int *ch = c->chan;
    for (int a = 0; a < p; a++) gacc[a] += g[ch[a]] * jv[a];
    if (need == 2) {
        for (int a = 0; a < p; a++) {
            const double *Ha = H + ch[a] * 4;
            const double ja = jv[a];
            double *Hr = Hacc + (R_xlen_t) a * p;
            for (int b = a; b < p; b++) Hr[b] += Ha[ch[b]] * ja * jv[b];
        }
    }
}

/* ---- one chunk of each model ------------------------------------------------
 * acc = (l, gradient[p], Hessian[p x p], upper triangle by rows); scores
 * (units x p, column-major, leading dimension ld) when not NULL. */

/* The variance state of row i: v0 when every channel is constant, else
 * computed into *buf. */
static inline const sfo_var *sfo_var_row(const sfo_ctx *c, const double *th, int i,
                                         const sfo_var *v0, sfo_var *buf)
{
    if (c->homo) return v0;
    sfo_var_set(c->dist, des_row(&c->U, th + c->off_u, i), des_row(&c->V, th + c->off_v, i),
                des_row(&c->M, th + c->off_m, i), buf);
    return buf;
}

static void sfo_var0(const sfo_ctx *c, const double *th, sfo_var *v0)
{
    if (c->homo) sfo_var_set(c->dist, des_row(&c->U, th + c->off_u, 0),
                             des_row(&c->V, th + c->off_v, 0), des_row(&c->M, th + c->off_m, 0), v0);
}

/* The homoscedastic cross-section (every non-frontier channel constant): the
 * sums over observations are of g and H in the channels times the regressors
 * only, and the constant Jacobian of the other parameters is applied once per
 * chunk. */
static void sfo_chunk_obs_homo(const sfo_ctx *c, const double *th, int need, int i0, int i1,
                               double *acc, double *work)
{
    const int p = c->p, k = c->k, nq = p - k, n = c->n;
    double *xr = work, *gb = xr + k, *Hbb = gb + k, *Hbq = Hbb + (size_t) k * k;
    double gq[4] = {0, 0, 0, 0}, Hqq[16] = {0};
    int cq[4];
    double jq[4];
    for (int q = 0; q < nq; q++) {
        const int a = k + q;
        cq[q] = c->chan[a];
        jq[q] = a < c->off_u ? c->M.v[a - c->off_m] : a < c->off_v ? c->U.v[a - c->off_u] : c->V.v[a - c->off_v];
    }
    memset(gb, 0, (size_t) k * sizeof(double));
    if (need == 2) memset(Hbb, 0, (size_t) k * (k + nq) * sizeof(double));
    double g[4], H[16];
    sfo_var v0;
    sfo_var0(c, th, &v0);
    double ll = 0.0;
    for (int i = i0; i < i1; i++) {
        double e = c->y[i];
        for (int j = 0; j < k; j++) {
            xr[j] = c->X[i + (R_xlen_t) j * n];
            e -= xr[j] * th[j];
        }
        ll += sfo_dens(c->dist, c->S * e, &v0, need, g, H);
        const double gE = g[CH_E];
        for (int j = 0; j < k; j++) gb[j] += gE * xr[j];
        for (int q = 0; q < nq; q++) gq[q] += g[cq[q]];
        if (need < 2) continue;
        const double hE = H[0];
        for (int j = 0; j < k; j++) {
            const double t = hE * xr[j];
            double *Hr = Hbb + (size_t) j * k;
            for (int l = j; l < k; l++) Hr[l] += t * xr[l];
        }
        for (int q = 0; q < nq; q++) {
            const double hq = H[cq[q]];          /* row E */
            double *Hc = Hbq + (size_t) q * k;
            for (int j = 0; j < k; j++) Hc[j] += hq * xr[j];
            for (int r = q; r < nq; r++) Hqq[q * 4 + r] += H[cq[q] * 4 + cq[r]];
        }
    }
    acc[0] = ll;
    double *ga = acc + 1, *Ha = acc + 1 + p;
    const double S = c->S;
    for (int j = 0; j < k; j++) ga[j] = -S * gb[j];
    for (int q = 0; q < nq; q++) ga[k + q] = jq[q] * gq[q];
    if (need < 2) return;
    for (int j = 0; j < k; j++) {
        for (int l = j; l < k; l++) Ha[(R_xlen_t) j * p + l] = Hbb[(size_t) j * k + l];
        for (int q = 0; q < nq; q++) Ha[(R_xlen_t) j * p + k + q] = -S * jq[q] * Hbq[(size_t) q * k + j];
    }
    for (int q = 0; q < nq; q++)
        for (int r = q; r < nq; r++) Ha[(R_xlen_t) (k + q) * p + k + r] = jq[q] * jq[r] * Hqq[q * 4 + r];
}

static void sfo_chunk_obs(const sfo_ctx *c, const double *th, int need, int i0, int i1,
                          double *acc, double *scores, double *work)
{
    const int p = c->p;
    if (c->homo && !scores && need > 0 && p - c->k <= 4) {
        sfo_chunk_obs_homo(c, th, need, i0, i1, acc, work);
        return;
    }
    double *jv = work, *gl = work + p;
    double g[4], H[16];
    sfo_var v0, vb;
    sfo_var0(c, th, &v0);
    const int dneed = need > 0 ? 1 + (need == 2) : 0;
    double ll = 0.0;
    for (int i = i0; i < i1; i++) {
        const sfo_var *v = sfo_var_row(c, th, i, &v0, &vb);
        ll += sfo_dens(c->dist, sfo_e(c, th, i), v, dneed, g, H);
        if (!need) continue;
        sfo_jac(c, i, jv);
        if (scores) {
            for (int a = 0; a < p; a++) gl[a] = 0.0;
            sfo_add(c, jv, g, H, 1, gl, NULL);
            for (int a = 0; a < p; a++) scores[i + (R_xlen_t) a * c->n] = gl[a];
        }
        sfo_add(c, jv, g, H, need, acc + 1, acc + 1 + p);
    }
    acc[0] = ll;
}

/* the unit's sum of log densities at shift a */
static double sfo_unit_ll(const sfo_ctx *c, const double *e, const sfo_var *const *vv, int T, double a)
{
    double g[4], H[16], f = 0.0;
    for (int t = 0; t < T; t++) f += sfo_dens(c->dist, e[t] - a, vv[t], 0, g, H);
    return f;
}

/* F'(a) and F''(a) of the unit's F(a) = sum_t l(e_t - a) */
static void sfo_unit_d(const sfo_ctx *c, const double *e, const sfo_var *const *vv, int T, double a,
                       double *d1, double *d2)
{
    double g[4], H[16], s1 = 0.0, s2 = 0.0;
    for (int t = 0; t < T; t++) {
        sfo_dens(c->dist, e[t] - a, vv[t], 3, g, H);
        s1 -= g[0];
        s2 += H[0];
    }
    *d1 = s1;
    *d2 = s2;
}

/* The unit's profile shift a maximising F(a) = sum_t l(e_t - a). F is
 * concave (the densities are log-concave), so F' is decreasing: its root is
 * bracketed (expanding from the warm start) and found by Newton steps that
 * stay inside the bracket, bisection otherwise. Returns 0 on convergence. */
static int sfo_tfe_shift(const sfo_ctx *c, const double *e, const sfo_var *const *vv, int T,
                         double *a_io)
{
    double a = *a_io, d1, d2;
    if (!R_FINITE(a)) a = 0.0;
    sfo_unit_d(c, e, vv, T, a, &d1, &d2);
    if (!R_FINITE(d1)) {     /* a bad warm start: the mean */
        a = 0.0;
        for (int t = 0; t < T; t++) a += e[t];
        a /= T;
        sfo_unit_d(c, e, vv, T, a, &d1, &d2);
        if (!R_FINITE(d1)) return 1;
    }
    if (d1 == 0.0) { *a_io = a; return 0; }
    /* bracket: lo with F' > 0, hi with F' < 0 */
    double lo = a, hi = a, width = 1e-3 * (1.0 + fabs(a));
    if (d2 < 0.0 && R_FINITE(d2)) width = fmax(width, 2.0 * fabs(d1 / d2));
    double f1, f2;
    for (int it = 0; it < 200; it++) {
        const double b = d1 > 0.0 ? lo + width : hi - width;
        double b1, b2;
        sfo_unit_d(c, e, vv, T, b, &b1, &b2);
        if (!R_FINITE(b1)) return 2;
        if (d1 > 0.0) {
            if (b1 > 0.0) { lo = b; } else { hi = b; break; }
        } else {
            if (b1 < 0.0) { hi = b; } else { lo = b; break; }
        }
        width *= 2.0;
        if (it == 199) return 2;
    }
    /* safeguarded Newton inside [lo, hi], from the Newton step at the start */
    {
        const double an = (d2 < 0.0) ? a - d1 / d2 : R_NaN;
        a = (an > lo && an < hi) ? an : 0.5 * (lo + hi);
    }
    sfo_unit_d(c, e, vv, T, a, &f1, &f2);
    for (int it = 0; it < 200; it++) {
        if (f1 > 0.0) lo = a; else if (f1 < 0.0) hi = a; else break;
        double an = (f2 < 0.0) ? a - f1 / f2 : R_NaN;
        if (!(an > lo && an < hi)) an = 0.5 * (lo + hi);
        const double step = fabs(an - a);
        a = an;
        if (step <= 1e-12 * (1.0 + fabs(a)) || hi - lo <= 1e-13 * (1.0 + fabs(a))) break;
        sfo_unit_d(c, e, vv, T, a, &f1, &f2);
        if (!R_FINITE(f1)) return 2;
        if (it == 199) { *a_io = a; return 3; }
    }
    *a_io = a;
    return 0;
}

/* e_t = S (y - x'b) and the variance states of the unit's rows */
static void sfo_unit_setup(const sfo_ctx *c, const double *th, int i0, int T, const sfo_var *v0,
                           sfo_var *vb, const sfo_var **vv, double *e)
{
    for (int t = 0; t < T; t++) {
        e[t] = sfo_e(c, th, i0 + t);
        vv[t] = sfo_var_row(c, th, i0 + t, v0, vb + t);
    }
}

static void sfo_chunk_tfe(sfo_ctx *c, const double *th, int need, int g0, int g1, double *acc,
                          double *scores, double *work, sfo_var *vb, const sfo_var **vv, int *fail)
{
    const int p = c->p;
    double *jv = work, *gl = work + p, *cv = work + 2 * p, *e = work + 3 * p;
    double g[4], H[16];
    sfo_var v0;
    sfo_var0(c, th, &v0);
    double ll = 0.0;
    for (int gi = g0; gi < g1; gi++) {
        const int i0 = c->gs[gi], T = c->gs[gi + 1] - i0;
        sfo_unit_setup(c, th, i0, T, &v0, vb, vv, e);
        double a = c->alpha[gi];
        if (sfo_tfe_shift(c, e, vv, T, &a) != 0) *fail = 1;
        c->alpha[gi] = a;
        if (need) for (int b = 0; b < p; b++) { gl[b] = 0.0; cv[b] = 0.0; }
        double haa = 0.0;
        for (int t = 0; t < T; t++) {
            ll += sfo_dens(c->dist, e[t] - a, vv[t], need > 0 ? 1 + (need == 2) : 0, g, H);
            if (!need) continue;
            sfo_jac(c, i0 + t, jv);
            sfo_add(c, jv, g, H, need, gl, acc + 1 + p);
            if (need == 2) {
                for (int b = 0; b < p; b++) cv[b] -= H[c->chan[b] * 4 + CH_E] * jv[b];
                haa += H[0];
            }
        }
        if (!need) continue;
        for (int b = 0; b < p; b++) acc[1 + b] += gl[b];
        if (scores) for (int b = 0; b < p; b++) scores[gi + (R_xlen_t) b * c->G] = gl[b];
        if (need == 2 && haa < 0.0) {
            double *Hacc = acc + 1 + p;
            for (int x = 0; x < p; x++)
                for (int y = x; y < p; y++) Hacc[(R_xlen_t) x * p + y] -= cv[x] * cv[y] / haa;
        }
    }
    acc[0] = ll;
}

/* True RE, one chunk of units. Per unit: the R draw-wise sums S_r = sum_t
 * l(e_t - sw h_r) and, by need, the draw-wise derivatives in psi (kept per
 * (r, t)); with the posterior weights w_r = exp(S_r) / sum exp(S_r):
 *   gradient  sum_r w_r G_r,  G_r = sum_t J_tr' g_tr;
 *   Hessian   sum_t J_t' (sum_r w_r H_tr) J_t (+ the ln sw row and column)
 *             + sum_r w_r G_r G_r' - gbar gbar',
 * so that the p x p work is per period and per draw, not per (period, draw). */
static void sfo_chunk_tre(const sfo_ctx *c, const double *th, int need, int g0, int g1,
                          double *acc, double *scores, double *work, sfo_var *vb, const sfo_var **vv)
{
    const int p = c->p, R = c->R, T0 = c->maxT, ow = c->off_w;
    double *gbar = work, *e = work + p, *Sr = e + T0, *Gr = Sr + R, *Jt = Gr + (size_t) R * p;
    double *gb = Jt + (size_t) T0 * p, *hb = gb + (size_t) R * T0 * 4;
    double Hbar[16], hw[4];
    sfo_var v0;
    sfo_var0(c, th, &v0);
    const double sw = exp(th[ow]);
    const int dneed = need > 0 ? 1 + (need == 2) : 0;
    double ll = 0.0;
    for (int gi = g0; gi < g1; gi++) {
        const int i0 = c->gs[gi], T = c->gs[gi + 1] - i0;
        const double *h = c->draws + (size_t) gi * R;
        sfo_unit_setup(c, th, i0, T, &v0, vb, vv, e);
        double smax = R_NegInf;
        for (int r = 0; r < R; r++) {
            const double shift = sw * h[r];
            double sr = 0.0;
            for (int t = 0; t < T; t++) {
                const size_t q = (size_t) r * T0 + t;
                sr += sfo_dens(c->dist, e[t] - shift, vv[t], dneed, gb + 4 * q, hb + 16 * q);
            }
            Sr[r] = sr;
            if (sr > smax) smax = sr;
        }
        if (!R_FINITE(smax)) { ll += smax; continue; }
        double sum = 0.0;
        for (int r = 0; r < R; r++) { Sr[r] = exp(Sr[r] - smax); sum += Sr[r]; }
        ll += smax + log(sum / R);
        if (!need) continue;
        for (int r = 0; r < R; r++) Sr[r] /= sum;      /* the weights w_r */
        for (int t = 0; t < T; t++) {
            sfo_jac(c, i0 + t, Jt + (size_t) t * p);
            Jt[(size_t) t * p + ow] = 0.0;
        }
        for (int b = 0; b < p; b++) gbar[b] = 0.0;
        for (int r = 0; r < R; r++) {
            double *G = Gr + (size_t) r * p;
            for (int b = 0; b < p; b++) G[b] = 0.0;
            double gE = 0.0;
            for (int t = 0; t < T; t++) {
                const double *g = gb + 4 * ((size_t) r * T0 + t), *J = Jt + (size_t) t * p;
                for (int b = 0; b < ow; b++) G[b] += g[c->chan[b]] * J[b];
                gE += g[CH_E];
            }
            G[ow] = -sw * h[r] * gE;
            for (int b = 0; b < p; b++) gbar[b] += Sr[r] * G[b];
        }
        for (int b = 0; b < p; b++) acc[1 + b] += gbar[b];
        if (scores) for (int b = 0; b < p; b++) scores[gi + (R_xlen_t) b * c->G] = gbar[b];
        if (need < 2) continue;
        double *Hacc = acc + 1 + p;
        double hww = 0.0;
        for (int t = 0; t < T; t++) {
            for (int j = 0; j < 16; j++) Hbar[j] = 0.0;
            for (int j = 0; j < 4; j++) hw[j] = 0.0;
            for (int r = 0; r < R; r++) {
                const size_t q = (size_t) r * T0 + t;
                const double *H = hb + 16 * q, wr = Sr[r], sh = -sw * h[r];
                for (int j = 0; j < 16; j++) Hbar[j] += wr * H[j];
                for (int j = 0; j < 4; j++) hw[j] += wr * sh * H[j];      /* row E times d eps / d ln sw */
                hww += wr * (sh * sh * H[0] + sh * gb[4 * q]);
            }
            const double *J = Jt + (size_t) t * p;
            for (int a = 0; a < ow; a++) {
                const double *Ha = Hbar + c->chan[a] * 4;
                double *Hr = Hacc + (R_xlen_t) a * p;
                for (int b = a; b < ow; b++) Hr[b] += Ha[c->chan[b]] * J[a] * J[b];
                Hr[ow] += hw[c->chan[a]] * J[a];
            }
        }
        Hacc[(R_xlen_t) ow * p + ow] += hww;
        for (int r = 0; r < R; r++) {
            const double *G = Gr + (size_t) r * p, wr = Sr[r];
            for (int x = 0; x < p; x++)
                for (int y = x; y < p; y++) Hacc[(R_xlen_t) x * p + y] += wr * G[x] * G[y];
        }
        for (int x = 0; x < p; x++)
            for (int y = x; y < p; y++) Hacc[(R_xlen_t) x * p + y] -= gbar[x] * gbar[y];
    }
    acc[0] = ll;
}

/*
 * sfo_eval: log-likelihood at th and, by need (0, 1, 2), its gradient and
 * Hessian (full, symmetric); per-unit (per-observation for cross-sections)
 * scores when scores != NULL (need >= 1). Returns -Inf where not finite.
 */
static double sfo_eval(sfo_ctx *c, const double *th, int need, double *grad, double *Hout,
                       double *scores)
{
    const int p = c->p, nc = c->nchunk;
    const size_t w = 1 + (size_t) p + (size_t) p * p;
    const int units = c->model == SFO_OBS ? c->n : c->G;
    for (int j = 0; j < p; j++) if (!R_FINITE(th[j])) return R_NegInf;
    c->neval++;
    int fail = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(c->nth) schedule(dynamic, 1) reduction(|:fail)
#endif
    for (int ch = 0; ch < nc; ch++) {
        int tid = 0;
#ifdef _OPENMP
        tid = omp_get_thread_num();
#endif
        double *acc = c->part + (size_t) ch * w;
        double *work = c->scratch + (size_t) tid * c->scr;
        sfo_var *vb = c->vscratch + (size_t) tid * c->maxT;
        const sfo_var **vv = c->vpscratch + (size_t) tid * c->maxT;
        memset(acc, 0, w * sizeof(double));
        const int u0 = ch * c->chunk, u1 = u0 + c->chunk < units ? u0 + c->chunk : units;
        if (c->model == SFO_OBS) {
            sfo_chunk_obs(c, th, need, u0, u1, acc, scores, work);
        } else if (c->model == SFO_TFE) {
            int f = 0;
            sfo_chunk_tfe(c, th, need, u0, u1, acc, scores, work, vb, vv, &f);
            fail |= f;
        } else {
            sfo_chunk_tre(c, th, need, u0, u1, acc, scores, work, vb, vv);
        }
    }
    c->tfe_fail = fail;
    double ll = 0.0;
    if (need) {
        for (int j = 0; j < p; j++) grad[j] = 0.0;
        if (need == 2) for (int j = 0; j < p * p; j++) Hout[j] = 0.0;
    }
    for (int ch = 0; ch < nc; ch++) {       /* the deterministic reduction */
        const double *acc = c->part + (size_t) ch * w;
        ll += acc[0];
        if (!need) continue;
        for (int j = 0; j < p; j++) grad[j] += acc[1 + j];
        if (need == 2) {
            for (int x = 0; x < p; x++)
                for (int y = x; y < p; y++) Hout[x + (R_xlen_t) y * p] += acc[1 + p + (R_xlen_t) x * p + y];
        }
    }
    if (need == 2)
        for (int y = 0; y < p; y++)
            for (int x = y + 1; x < p; x++) Hout[x + (R_xlen_t) y * p] = Hout[y + (R_xlen_t) x * p];
    if (fail || !R_FINITE(ll)) return R_NegInf;
    if (need) for (int j = 0; j < p; j++) if (!R_FINITE(grad[j])) return R_NegInf;
    if (need == 2) for (int j = 0; j < p * p; j++) if (!R_FINITE(Hout[j])) return R_NegInf;
    return ll;
}

/* ---- setup ------------------------------------------------------------------- */

static sfo_des sfo_des_arg(SEXP x, int n, const char *what)
{
    sfo_des d;
    if (TYPEOF(x) != REALSXP || !isMatrix(x)) error("'%s' must be a double matrix", what);
    d.nr = nrows(x);
    d.p = ncols(x);
    if (d.nr != n && d.nr != 1) error("'%s' must have n rows or one row", what);
    d.v = REAL(x);
    return d;
}

/*
 * dat = list(y, X, Zm, Zu, Zv, gstart, draws); iflags = (sign, dist, model,
 * cores, starts, intercept column or -1, number of draws R).
 */
static void sfo_setup(sfo_ctx *c, SEXP dat, SEXP iflags)
{
    if (TYPEOF(dat) != VECSXP || LENGTH(dat) != 7) error("'dat' must be a list of 7");
    const int *fl = exr_int_arg(iflags, 7, "iflags");
    SEXP y = VECTOR_ELT(dat, 0), X = VECTOR_ELT(dat, 1);
    c->n = LENGTH(y);
    if (c->n < 1) error("'y' is empty");
    c->y = exr_real_arg(y, -1, "y");
    if (TYPEOF(X) != REALSXP || !isMatrix(X) || nrows(X) != c->n) error("'X' must be a double matrix with n rows");
    c->k = ncols(X);
    c->X = REAL(X);
    c->M = sfo_des_arg(VECTOR_ELT(dat, 2), c->n, "Zm");
    c->U = sfo_des_arg(VECTOR_ELT(dat, 3), c->n, "Zu");
    c->V = sfo_des_arg(VECTOR_ELT(dat, 4), c->n, "Zv");
    if (c->U.p < 1 || c->V.p < 1) error("'Zu' and 'Zv' need at least one column");
    c->S = fl[0] >= 0 ? 1.0 : -1.0;
    c->dist = fl[1];
    c->model = fl[2];
    if (c->dist < 0 || c->dist > 2) error("'iflags': unknown distribution");
    if (c->model < 0 || c->model > 2) error("'iflags': unknown model");
    if (c->dist != SFO_TN && c->M.p > 0) error("'Zm' must have no column unless dist is truncated normal");
    c->nth = exr_threads(fl[3]);
    c->icpt = fl[5];
    if (c->icpt >= c->k) error("'iflags' intercept index out of range");
    c->off_m = c->k;
    c->off_u = c->off_m + c->M.p;
    c->off_v = c->off_u + c->U.p;
    c->off_w = c->off_v + c->V.p;
    c->p = c->off_w + (c->model == SFO_TRE);
    c->chan = (int *) R_alloc(c->p, sizeof(int));
    for (int j = 0; j < c->p; j++)
        c->chan[j] = j < c->off_m ? CH_E : j < c->off_u ? CH_M : j < c->off_v ? CH_R :
                     j < c->off_w ? CH_N : CH_E;
    SEXP gs = VECTOR_ELT(dat, 5), dr = VECTOR_ELT(dat, 6);
    c->gs = NULL;
    c->G = c->n;
    c->R = 0;
    c->maxT = 1;
    c->draws = NULL;
    c->alpha = NULL;
    if (c->model != SFO_OBS) {
        c->G = LENGTH(gs) - 1;
        if (c->G < 1) error("'gstart' must have at least two elements");
        c->gs = exr_int_arg(gs, -1, "gstart");
        if (c->gs[0] != 0 || c->gs[c->G] != c->n) error("'gstart' must run from 0 to n");
        for (int g = 0; g < c->G; g++) {
            int T = c->gs[g + 1] - c->gs[g];
            if (T < 1) error("'gstart' must be strictly increasing");
            if (T > c->maxT) c->maxT = T;
        }
    }
    if (c->model == SFO_TRE) {
        c->R = fl[6];
        if (c->R < 1) error("'iflags': the number of draws must be positive");
        c->draws = exr_real_arg(dr, (R_xlen_t) c->G * c->R, "draws");
    }
    if (c->model == SFO_TFE) {
        c->alpha = (double *) R_alloc(c->G, sizeof(double));
        for (int g = 0; g < c->G; g++) c->alpha[g] = 0.0;
    }
    const int units = c->model == SFO_OBS ? c->n : c->G;
    c->chunk = c->model == SFO_OBS ? SFO_CHUNK_OBS : c->model == SFO_TFE ? SFO_CHUNK_TFE : SFO_CHUNK_TRE;
    c->nchunk = (units + c->chunk - 1) / c->chunk;
    const int p = c->p;
    c->part = (double *) R_alloc((size_t) c->nchunk * (1 + p + (size_t) p * p), sizeof(double));
    c->scr = 3 * (size_t) p + (size_t) c->maxT + 2 * (size_t) c->k + (size_t) c->k * (c->k + 4);
    c->homo = c->U.nr == 1 && c->V.nr == 1 && c->M.nr == 1;
    c->vscratch = (sfo_var *) R_alloc((size_t) c->nth * c->maxT, sizeof(sfo_var));
    c->vpscratch = (const sfo_var **) R_alloc((size_t) c->nth * c->maxT, sizeof(sfo_var *));
    if (c->model == SFO_TRE) c->scr += (size_t) c->R * (1 + p) + (size_t) c->maxT * p
                                       + (size_t) c->R * c->maxT * 20;
    c->scratch = (double *) R_alloc((size_t) c->nth * c->scr, sizeof(double));
    c->tfe_fail = 0;
    c->neval = 0;
}

/* TFE shifts: the unit means of S (y - X b) as a first guess */
static void sfo_alpha_init(sfo_ctx *c, const double *th)
{
    if (c->model != SFO_TFE) return;
    for (int g = 0; g < c->G; g++) {
        double s = 0.0;
        for (int i = c->gs[g]; i < c->gs[g + 1]; i++) s += sfo_e(c, th, i);
        c->alpha[g] = s / (c->gs[g + 1] - c->gs[g]);
    }
}

/* ---- Newton-Raphson ------------------------------------------------------------ */

/* x = (-H + tau I)^{-1} g by Cholesky, with the smallest tau in 0, 1e-8 s, 1e-7 s, ...
 * that makes the matrix positive definite (s = max |diag H|). Returns tau, or -1. */
static double sfo_newton_step(int p, const double *H, const double *g, double *x, double *L)
{
    double s = 0.0;
    for (int j = 0; j < p; j++) s = fmax(s, fabs(H[j + j * p]));
    if (!(s > 0.0)) s = 1.0;
    double tau = 0.0;
    for (int tr = 0; tr < 20; tr++) {
        for (int j = 0; j < p * p; j++) L[j] = -H[j];
        for (int j = 0; j < p; j++) L[j + j * p] += tau;
        int info = 0, one = 1;
        F77_CALL(dpotrf)("L", &p, L, &p, &info FCONE);
        if (info == 0) {
            memcpy(x, g, (size_t) p * sizeof(double));
            F77_CALL(dpotrs)("L", &p, &one, L, &p, x, &p, &info FCONE);
            if (info == 0) return tau;
        }
        tau = tau == 0.0 ? 1e-8 * s : tau * 10.0;
    }
    return -1.0;
}

/* Where the iterates head for a boundary of the parameter space: 1 when
 * ln su2 - ln sv2 > 20 at every row (gamma -> 1, no noise), -1 when < -20 at
 * every row (gamma -> 0, no inefficiency), else 0. */
static int sfo_boundary(const sfo_ctx *c, const double *th)
{
    const int rows = (c->U.nr == 1 && c->V.nr == 1) ? 1 : c->n;
    double lo = R_PosInf, hi = R_NegInf;
    for (int i = 0; i < rows; i++) {
        const double d = des_row(&c->U, th + c->off_u, i) - des_row(&c->V, th + c->off_v, i);
        lo = fmin(lo, d);
        hi = fmax(hi, d);
    }
    return lo > 20.0 ? 1 : hi < -20.0 ? -1 : 0;
}

/* Newton-Raphson from th (updated in place). Returns the log-likelihood;
 * *status: 0 converged, 1 iteration limit, 2 no ascent possible (a flat or
 * boundary point), 3 not finite, 4 heading for gamma = 1, 5 for gamma = 0,
 * 6 within a tenth of a standard error of ref, the maximum found from an
 * earlier start (Href its Hessian). Hout (optional) receives the last Hessian. */
static double sfo_newton(sfo_ctx *c, double *th, int maxit, double reltol, int *status, int *iter,
                         double *dec_out, double *Hout, const double *ref, const double *Href)
{
    const int p = c->p;
    double *g = (double *) R_alloc(p, sizeof(double));
    double *H = (double *) R_alloc((size_t) p * p, sizeof(double));
    double *L = (double *) R_alloc((size_t) p * p, sizeof(double));
    double *step = (double *) R_alloc(p, sizeof(double));
    double *tn = (double *) R_alloc(p, sizeof(double));
    double *g2 = (double *) R_alloc(p, sizeof(double));
    double *H2 = (double *) R_alloc((size_t) p * p, sizeof(double));
    double ll = sfo_eval(c, th, 2, g, H, NULL);
    *status = 3;
    *dec_out = NA_REAL;
    if (!R_FINITE(ll)) return ll;
    *status = 1;
    for (int it = 0; it < maxit; it++) {
        R_CheckUserInterrupt();
        double tau = sfo_newton_step(p, H, g, step, L);
        if (tau < 0) { *status = 2; break; }
        double dec = 0.0;
        for (int j = 0; j < p; j++) dec += step[j] * g[j];
        *dec_out = dec;
        const double tol = reltol * 1e-4 * fmax(1.0, fabs(ll));
        if (tau == 0.0 && dec < tol) { *status = 0; break; }
        /* keep log-variance steps moderate: exp() of a huge step is not informative */
        double smax = 0.0;
        for (int j = c->off_m; j < p; j++) smax = fmax(smax, fabs(step[j]));
        double t = smax > 5.0 ? 5.0 / smax : 1.0, lln = R_NegInf;
        int ok = 0, have_d2 = 0, last = 0;
        for (int ls = 0; ls < 50; ls++, t *= 0.5) {
            for (int j = 0; j < p; j++) tn[j] = th[j] + t * step[j];
            /* the first trial is usually accepted: evaluate it with its
             * derivatives at once (they are then the next iteration's) */
            lln = sfo_eval(c, tn, ls == 0 ? 2 : 0, g2, H2, NULL);
            if (R_FINITE(lln) && lln >= ll + 1e-4 * t * dec) { ok = 1; have_d2 = ls == 0; break; }
            /* in the quadratic region the gain is below the rounding of the
             * sum: take the full Newton step if it loses nothing, and stop */
            if (ls == 0 && t == 1.0 && tau == 0.0 && dec < 1e-6 * fmax(1.0, fabs(ll)) &&
                R_FINITE(lln) && lln >= ll - 1e-10 * fmax(1.0, fabs(ll))) {
                ok = have_d2 = last = 1;
                break;
            }
        }
        if (!ok) {
            /* no improvement along the Newton direction: converged to rounding
             * if the decrement is tiny, else a flat or boundary point */
            *status = (tau == 0.0 && dec < 1e-6 * fmax(1.0, fabs(ll))) ? 0 : 2;
            break;
        }
        memcpy(th, tn, (size_t) p * sizeof(double));
        (*iter)++;
        const int bd = sfo_boundary(c, th);
        if (bd != 0) {
            *status = bd > 0 ? 4 : 5;
            ll = lln;
            break;
        }
        if (ref) {
            /* a further start that has come within a tenth of a standard
             * error of the maximum already found ((th - ref)' (-H) (th - ref)
             * < 0.01) is in its basin: it would only find it again */
            double d = 0.0;
            for (int a = 0; a < p; a++)
                for (int b = 0; b < p; b++) d -= (th[a] - ref[a]) * Href[a + b * p] * (th[b] - ref[b]);
            if (d < 1e-2) {
                *status = 6;
                ll = lln;
                break;
            }
        }
        if (have_d2) {
            ll = lln;
            memcpy(g, g2, (size_t) p * sizeof(double));
            memcpy(H, H2, (size_t) p * p * sizeof(double));
        } else {
            ll = sfo_eval(c, th, 2, g, H, NULL);
        }
        if (!R_FINITE(ll)) { *status = 3; break; }
        if (last) { *status = 0; break; }
    }
    if (*status >= 3 || !R_FINITE(ll)) ll = sfo_eval(c, th, 0, NULL, NULL, NULL);
    if (Hout) memcpy(Hout, H, (size_t) p * p * sizeof(double));
    return ll;
}

/* The start at gamma = gam: frontier coefficients b0 (OLS or within), the
 * intercept shifted by S E[u], log-variances from the residual variance s2
 * split by gam, delta = 0, ln sw = lsw. */
static void sfo_start(const sfo_ctx *c, const double *b0, double s2, double gam, double lsw,
                      const double *cu, const double *cv, double *th)
{
    double U, V, shift;
    if (c->dist == SFO_EXP) {
        U = gam * s2;
        V = (1.0 - gam) * s2;
        shift = sqrt(U);
    } else {
        double sig2 = s2 / (1.0 - 2.0 * gam / M_PI);
        U = gam * sig2;
        V = (1.0 - gam) * sig2;
        shift = sqrt(2.0 * U / M_PI);
    }
    for (int j = 0; j < c->p; j++) th[j] = 0.0;
    for (int j = 0; j < c->k; j++) th[j] = b0[j];
    if (c->icpt >= 0) th[c->icpt] += c->S * shift;
    for (int j = 0; j < c->U.p; j++) th[c->off_u + j] = log(U) * cu[j];
    for (int j = 0; j < c->V.p; j++) th[c->off_v + j] = log(V) * cv[j];
    if (c->model == SFO_TRE) th[c->off_w] = lsw;
}

static void sfo_invert(int p, const double *H, double *V, int *ok)
{
    double *L = (double *) R_alloc((size_t) p * p, sizeof(double));
    for (int j = 0; j < p * p; j++) L[j] = -H[j];
    int info = 0;
    F77_CALL(dpotrf)("L", &p, L, &p, &info FCONE);
    if (info == 0) F77_CALL(dpotri)("L", &p, L, &p, &info FCONE);
    *ok = info == 0;
    for (int j = 0; j < p; j++)
        for (int i = 0; i < p; i++)
            V[i + j * p] = !*ok ? NA_REAL : (i >= j ? L[i + j * p] : L[j + i * p]);
}

/*
 * .Call entry: maximum likelihood fit.
 *   dat, iflags: see sfo_setup; start: theta (length p) or length 0 (grid);
 *   dctrl = (s2, reltol, maxit, ln sw start, grid points, gamma0) then b0
 *   (k), cu (pu), cv (pv): the residual variance, tolerances, the
 *   method-of-moments gamma (NA: a grid over gamma instead), the starting
 *   frontier and the coefficients that make each log-variance design equal
 *   to a constant (1 for an intercept).
 * Returns list(theta, loglik, gradient, hessian, vcov (internal
 * parameters), info = (status, iterations, evaluations, hessian_ok,
 * Newton decrement), grid = (gamma, loglik), alpha (tfe shifts, S alpha)).
 */
SEXP sfo_fit(SEXP dat, SEXP iflags, SEXP start, SEXP dctrl)
{
    sfo_ctx c;
    sfo_setup(&c, dat, iflags);
    const int p = c.p, k = c.k;
    const int nstarts = INTEGER(iflags)[4];
    const double *dc = exr_real_arg(dctrl, 6 + k + c.U.p + c.V.p, "dctrl");
    const double s2 = dc[0], reltol = dc[1], lsw = dc[3], gam0 = dc[5];
    const int maxit = (int) dc[2], ngrid = (int) dc[4];
    const double *b0 = dc + 6, *cu = b0 + k, *cv = cu + c.U.p;
    if (TYPEOF(start) != REALSXP || (LENGTH(start) != 0 && LENGTH(start) != p))
        error("'start' must be a double vector of length 0 or %d", p);
    if (!(s2 > 0.0) || ngrid < 1 || ngrid > 99 || maxit < 1) error("'dctrl' out of range");

    double *starts = (double *) R_alloc((size_t) 2 * p, sizeof(double));
    double *th = (double *) R_alloc(p, sizeof(double));
    double *best = (double *) R_alloc(p, sizeof(double));
    int ns = 1;
    double gridgam = NA_REAL, gridll = NA_REAL;
    if (LENGTH(start) == p) {
        memcpy(starts, REAL(start), (size_t) p * sizeof(double));
        sfo_alpha_init(&c, starts);
    } else if (gam0 > 0.0 && gam0 < 1.0) {
        /* the method-of-moments start (OLS residuals' second and third
         * moments) and, against local maxima, a distant gamma */
        sfo_start(&c, b0, s2, gam0, lsw, cu, cv, starts);
        sfo_alpha_init(&c, starts);
        gridgam = gam0;
        if (nstarts > 1) {
            const double g2 = gam0 > 0.5 ? fmax(0.02, gam0 - 0.45) : fmin(0.98, gam0 + 0.45);
            sfo_start(&c, b0, s2, g2, lsw, cu, cv, starts + p);
            ns = 2;
        }
    } else {
        double *gll = (double *) R_alloc(ngrid, sizeof(double));
        double gbest = R_NegInf;
        int ib = 0;
        for (int i = 0; i < ngrid; i++) {
            double gam = (i + 1.0) / (ngrid + 1.0);
            sfo_start(&c, b0, s2, gam, lsw, cu, cv, th);
            if (i == 0) sfo_alpha_init(&c, th);
            gll[i] = sfo_eval(&c, th, 0, NULL, NULL, NULL);
            if (gll[i] > gbest) { gbest = gll[i]; ib = i; }
        }
        gridgam = (ib + 1.0) / (ngrid + 1.0);
        gridll = gbest;
        sfo_start(&c, b0, s2, gridgam, lsw, cu, cv, starts);
        if (nstarts > 1) {
            int i2 = -1;
            double l2 = R_NegInf;
            for (int i = 0; i < ngrid; i++)
                if (fabs((i + 1.0) / (ngrid + 1.0) - gridgam) >= 0.3 && gll[i] > l2) { l2 = gll[i]; i2 = i; }
            if (i2 >= 0 && R_FINITE(l2)) {
                sfo_start(&c, b0, s2, (i2 + 1.0) / (ngrid + 1.0), lsw, cu, cv, starts + p);
                ns = 2;
            }
        }
    }
    double bestll = R_NegInf, bestdec = NA_REAL;
    int status = 3, iter = 0;
    double *alpha_best = c.model == SFO_TFE ? (double *) R_alloc(c.G, sizeof(double)) : NULL;
    double *H1 = (double *) R_alloc((size_t) p * p, sizeof(double));
    int have_ref = 0;
    for (int s = 0; s < ns; s++) {
        memcpy(th, starts + (size_t) s * p, (size_t) p * sizeof(double));
        int st = 3;
        double dec = NA_REAL;
        double l = sfo_newton(&c, th, maxit, reltol, &st, &iter, &dec, s == 0 ? H1 : NULL,
                              have_ref ? best : NULL, H1);
        if (s == 0) have_ref = st == 0;
        if (st == 6) continue;      /* joined the first start's maximum */
        if (s == 0 || (R_FINITE(l) && l > bestll)) {
            bestll = l;
            status = st;
            bestdec = dec;
            memcpy(best, th, (size_t) p * sizeof(double));
            if (alpha_best) memcpy(alpha_best, c.alpha, (size_t) c.G * sizeof(double));
        }
    }
    if (alpha_best) memcpy(c.alpha, alpha_best, (size_t) c.G * sizeof(double));

    SEXP Hs = PROTECT(allocMatrix(REALSXP, p, p));
    SEXP Vs = PROTECT(allocMatrix(REALSXP, p, p));
    SEXP gr = PROTECT(allocVector(REALSXP, p));
    int hess_ok = 0;
    double fl = sfo_eval(&c, best, 2, REAL(gr), REAL(Hs), NULL);
    if (R_FINITE(fl)) {
        bestll = fl;
        sfo_invert(p, REAL(Hs), REAL(Vs), &hess_ok);
    } else {
        for (int j = 0; j < p; j++) REAL(gr)[j] = NA_REAL;
        for (int j = 0; j < p * p; j++) REAL(Hs)[j] = REAL(Vs)[j] = NA_REAL;
    }
    SEXP thS = PROTECT(allocVector(REALSXP, p));
    memcpy(REAL(thS), best, (size_t) p * sizeof(double));
    SEXP info = PROTECT(allocVector(REALSXP, 5));
    REAL(info)[0] = status; REAL(info)[1] = iter; REAL(info)[2] = c.neval;
    REAL(info)[3] = hess_ok; REAL(info)[4] = bestdec;
    SEXP grid = PROTECT(allocVector(REALSXP, 2));
    REAL(grid)[0] = gridgam; REAL(grid)[1] = gridll;
    SEXP al = PROTECT(allocVector(REALSXP, c.model == SFO_TFE ? c.G : 0));
    if (c.model == SFO_TFE) memcpy(REAL(al), c.alpha, (size_t) c.G * sizeof(double));
    SEXP out = sfa_fit_list(thS, bestll, gr, Hs, Vs, info, grid, al);
    UNPROTECT(7);
    return out;
}

/*
 * .Call entry: what the fit implies at theta (internal parameters).
 *   what = 0: list(loglik, gradient, hessian, alpha);
 *   what = 1: the per-unit scores (units: observations for a cross-section),
 *             units x p, whose column sums are the gradient;
 *   what = 2: efficiencies per row (sorted rows), n x 2: Battese-Coelli
 *             E[exp(-u) | data] and JLMS exp(-E[u | data]); for the true RE
 *             model the conditional expectations average over the draws
 *             with the weights of the simulated posterior of w_g.
 * alpha0: tfe warm starts (length G) or length 0.
 */
SEXP sfo_eval_at(SEXP theta, SEXP dat, SEXP iflags, SEXP what, SEXP alpha0)
{
    sfo_ctx c;
    sfo_setup(&c, dat, iflags);
    const int p = c.p, n = c.n;
    const double *th = exr_real_arg(theta, p, "theta");
    const int w = exr_scalar_int(what, "what");
    if (w < 0 || w > 2) error("'what' must be 0, 1 or 2");
    if (TYPEOF(alpha0) != REALSXP) error("'alpha0' must be a double vector");
    if (c.model == SFO_TFE) {
        if (TYPEOF(alpha0) == REALSXP && LENGTH(alpha0) == c.G) memcpy(c.alpha, REAL(alpha0), (size_t) c.G * sizeof(double));
        else sfo_alpha_init(&c, th);
    }
    if (w == 0) {
        SEXP gr = PROTECT(allocVector(REALSXP, p));
        SEXP Hs = PROTECT(allocMatrix(REALSXP, p, p));
        double ll = sfo_eval(&c, th, 2, REAL(gr), REAL(Hs), NULL);
        if (!R_FINITE(ll)) ll = sfo_eval(&c, th, 0, NULL, NULL, NULL);
        SEXP al = PROTECT(allocVector(REALSXP, c.model == SFO_TFE ? c.G : 0));
        if (c.model == SFO_TFE) memcpy(REAL(al), c.alpha, (size_t) c.G * sizeof(double));
        const char *nm[4] = {"loglik", "gradient", "hessian", "alpha"};
        SEXP out = PROTECT(exr_named_list(4, nm));
        SET_VECTOR_ELT(out, 0, ScalarReal(ll));
        SET_VECTOR_ELT(out, 1, gr);
        SET_VECTOR_ELT(out, 2, Hs);
        SET_VECTOR_ELT(out, 3, al);
        UNPROTECT(4);
        return out;
    }
    if (w == 1) {
        const int units = c.model == SFO_OBS ? n : c.G;
        SEXP S = PROTECT(allocMatrix(REALSXP, units, p));
        double *gr = (double *) R_alloc(p, sizeof(double));
        double ll = sfo_eval(&c, th, 1, gr, NULL, REAL(S));
        if (!R_FINITE(ll)) exr_raise("theta", "the log-likelihood is not finite at these parameters");
        UNPROTECT(1);
        return S;
    }
    /* efficiencies */
    SEXP out = PROTECT(allocMatrix(REALSXP, n, 2));
    double *bc = REAL(out), *jl = REAL(out) + n;
    double *gr = (double *) R_alloc(p, sizeof(double));
    if (c.model == SFO_TFE) {   /* the profiled shifts at theta */
        double ll = sfo_eval(&c, th, 0, gr, NULL, NULL);
        if (!R_FINITE(ll)) exr_raise("theta", "the log-likelihood is not finite at these parameters");
    }
    sfo_var v0, vb;
    sfo_var0(&c, th, &v0);
    if (c.model != SFO_TRE) {
        for (int g = 0; g < (c.model == SFO_OBS ? n : c.G); g++) {
            const int i0 = c.model == SFO_OBS ? g : c.gs[g], i1 = c.model == SFO_OBS ? g + 1 : c.gs[g + 1];
            const double a = c.model == SFO_TFE ? c.alpha[g] : 0.0;
            for (int i = i0; i < i1; i++) {
                double mus, ss;
                sfo_post(c.dist, sfo_e(&c, th, i) - a, sfo_var_row(&c, th, i, &v0, &vb), &mus, &ss);
                const double zs = mus / ss, lpz = exr_lphi(zs);
                jl[i] = exp(-(mus + ss * exr_mills(zs, lpz)));
                bc[i] = exp(exr_lphi(zs - ss) - lpz - mus + 0.5 * ss * ss);
            }
        }
    } else {
        const int R = c.R;
        double *Sr = (double *) R_alloc(R, sizeof(double));
        double *e = (double *) R_alloc(c.maxT, sizeof(double));
        sfo_var *vbuf = (sfo_var *) R_alloc(c.maxT, sizeof(sfo_var));
        const sfo_var **vv = (const sfo_var **) R_alloc(c.maxT, sizeof(sfo_var *));
        const double sw = exp(th[c.off_w]);
        for (int g = 0; g < c.G; g++) {
            const int i0 = c.gs[g], T = c.gs[g + 1] - i0;
            const double *h = c.draws + (size_t) g * R;
            sfo_unit_setup(&c, th, i0, T, &v0, vbuf, vv, e);
            double smax = R_NegInf;
            for (int r = 0; r < R; r++) {
                Sr[r] = sfo_unit_ll(&c, e, vv, T, sw * h[r]);
                if (Sr[r] > smax) smax = Sr[r];
            }
            if (!R_FINITE(smax)) exr_raise("theta", "the log-likelihood is not finite at these parameters");
            double sum = 0.0;
            for (int r = 0; r < R; r++) { Sr[r] = exp(Sr[r] - smax); sum += Sr[r]; }
            for (int t = 0; t < T; t++) {
                double eu = 0.0, ebc = 0.0;
                for (int r = 0; r < R; r++) {
                    double mus, ss;
                    sfo_post(c.dist, e[t] - sw * h[r], vv[t], &mus, &ss);
                    const double zs = mus / ss, lpz = exr_lphi(zs), wr = Sr[r] / sum;
                    eu += wr * (mus + ss * exr_mills(zs, lpz));
                    ebc += wr * exp(exr_lphi(zs - ss) - lpz - mus + 0.5 * ss * ss);
                }
                jl[i0 + t] = exp(-eu);
                bc[i0 + t] = ebc;
            }
        }
    }
    UNPROTECT(1);
    return out;
}
