/*
 * Stochastic frontier analysis by maximum likelihood.
 *
 * One likelihood covers every model exportres fits. Observations are sorted
 * into G groups; group g has T_g rows t with composed errors
 *     e_t = S (y_t - x_t'b) = v_t - h_t u_g,   v_t ~ N(0, sv2),
 *     u_g ~ N+(mu_g, su2),  h_t = exp(-eta s_t),  mu_g = z_g'delta,
 * S = +1 for a production frontier and -1 for a cost frontier, s_t = t - T
 * (T the last period of the panel), sigmaSq = su2 + sv2, gamma = su2 / sigmaSq.
 *   - cross-section (Aigner-Lovell-Schmidt 1977; Stevenson 1980): one row per
 *     group, h = 1, mu = 0 (half-normal) or mu constant (truncated normal);
 *   - Battese and Coelli (1992): groups are firms, h_t time-varying (eta) or 1;
 *   - Battese and Coelli (1995): one row per group, mu_g = z_g'delta.
 * (Since issue 16 the cross-section and BC95 models, heteroscedastic variances
 * and the true fixed- and random-effects models are fitted by the
 * observation-level engine in sfa_obs.c; this file fits BC92.)
 * With an exponential u_g (mean su, Meeusen-van den Broeck), u_g | e_g is
 * N+(mu*, V / A), mu* = -(B + V / su) / A, and
 *     l_g = -(T-1)/2 ln(2 pi V) - 1/2 ln A - ln su - C / (2V) + z*^2 / 2 + ln Phi(z*),
 * z* = mu* sqrt(A / V).
 * The group log-likelihood (Battese and Coelli 1992, eq. A.6, written in
 * su2 = U, sv2 = V) with A = sum h^2, B = sum h e, C = sum e^2, D = V + U A,
 *     mu* = (mu V - U B) / D,  s*^2 = U V / D,  z* = mu* / s*,
 *     l_g = -T/2 ln 2pi - (T-1)/2 ln V - 1/2 ln D - ln Phi(mu / sqrt U)
 *           + ln Phi(z*) + z*^2 / 2 - C / (2V) - mu^2 / (2U).
 * Its gradient is analytic (derivatives through U, V, A, B, C and mu, then
 * the chain rule to b, delta, sigmaSq, gamma and eta). The parameter vector
 * theta is (b[k], delta[m], sigmaSq, gamma, eta[if estimated]), which is
 * FRONTIER 4.1's parameterisation (Coelli 1996).
 *
 * The fit: corrected OLS plus a grid search over gamma (as FRONTIER does),
 * quasi-Newton (R's vmmin, BFGS) on (b, delta, log sigmaSq, logit gamma, eta),
 * a second start against local maxima, and Newton polishing steps with the
 * Hessian obtained by central differences of the analytic gradient; its
 * inverse gives the standard errors.
 */
#include "exportres.h"
#include <Rmath.h>

#define SFA_LN2PI 1.8378770664093454836
#define SFA_CHUNK 256

typedef struct {
    int n, k, m, G, has_eta, icpt, dist;   /* dist: 0 half/truncated normal, 2 exponential */
    double sgn;
    const double *y, *X, *tt, *Z;
    const int *gs;          /* G + 1 group offsets into the sorted rows */
    double *e, *h, *r;      /* scratch, length n */
    double *gtheta;         /* scratch gradient in theta, length p */
    double *theta;          /* scratch theta, length p */
    /* cache for vmmin: fn computes value and gradient together */
    double *cpar, *cgrad;
    double cval;
    int cvalid, nfeval;
    int nth, nchunk;        /* threads; chunks of SFA_CHUNK groups */
    double *part;           /* nchunk x (4 + m) chunk sums */
} sfa_ctx;

static int sfa_npar(const sfa_ctx *c) { return c->k + c->m + 2 + c->has_eta; }

/*
 * The groups g0..g1-1 of the log-likelihood at theta (e, h computed): acc =
 * (l, dl/dU, dl/dV, dl/deta, dl/ddelta[m]); with grad, the row weights r of
 * the frontier's gradient (X'r) and, when scores != NULL, the groups' scores.
 * Pure: runs in OpenMP regions over disjoint group ranges.
 */
static void sfa_groups(const sfa_ctx *c, const double *theta, int grad, double *scores, int g0,
                       int g1, double *acc)
{
    const int n = c->n, k = c->k, m = c->m, G = c->G;
    const double *delta = theta + k;
    const double s2 = theta[k + m], gam = theta[k + m + 1];
    const double S = c->sgn;
    const double U = gam * s2, V = (1.0 - gam) * s2, sqU = sqrt(U);
    const double *e = c->e, *h = c->h;
    double *r = c->r;
    double ll = 0.0, gU = 0.0, gV = 0.0, geta = 0.0;
    double *gdel = acc + 4;
    for (int j = 0; j < m; j++) gdel[j] = 0.0;
    double last_mu = R_NaN, lp_m0 = 0.0, lam_m0 = 0.0;

    for (int g = g0; g < g1; g++) {
        const int i0 = c->gs[g], i1 = c->gs[g + 1];
        const double T = (double) (i1 - i0);
        double A = 0.0, B = 0.0, C = 0.0, SA = 0.0, SB = 0.0;
        if (c->has_eta) {
            for (int i = i0; i < i1; i++) {
                double hi = h[i], ei = e[i];
                A += hi * hi; B += hi * ei; C += ei * ei;
                SA += c->tt[i] * hi * hi; SB += c->tt[i] * hi * ei;
            }
        } else {
            for (int i = i0; i < i1; i++) { B += e[i]; C += e[i] * e[i]; }
            A = T;
        }
        double mu = 0.0;
        for (int j = 0; j < m; j++) mu += c->Z[g + (R_xlen_t) j * G] * delta[j];
        if (mu != last_mu) {   /* constant mu: Phi(mu / su) once */
            double m0 = mu / sqU;
            lp_m0 = exr_lphi(m0);
            lam_m0 = exr_mills(m0, lp_m0);
            last_mu = mu;
        }
        double lA, lB, lC = -0.5 / V, lmu = 0.0, gUg, gVg;
        if (c->dist == 2) {
            /* exponential u_g with mean su = sqrt(U): u_g | e ~ N+(mu*, V / A),
             * mu* = -(B + V / su) / A, z* = mu* sqrt(A / V) */
            const double w = sqrt(A * V);
            const double zs = -(B + V / sqU) / w, lp_zs = exr_lphi(zs);
            ll += -0.5 * (T - 1.0) * (SFA_LN2PI + log(V)) - 0.5 * log(A) - 0.5 * log(U)
                  - 0.5 * C / V + 0.5 * zs * zs + lp_zs;
            if (!grad) continue;
            const double gs = exr_mills(zs, lp_zs) + zs;
            lB = -gs / w;
            lA = -0.5 / A - gs * zs / (2.0 * A);
            gUg = -0.5 / U + gs * V / (2.0 * U * sqU * w);
            gVg = -(T - 1.0) / (2.0 * V) + C / (2.0 * V * V) + gs * (B / V - 1.0 / sqU) / (2.0 * w);
        } else {
            const double D = V + U * A, w = sqrt(U * V * D);
            const double zs = (mu * V - U * B) / w, lp_zs = exr_lphi(zs);
            ll += -0.5 * T * SFA_LN2PI - 0.5 * (T - 1.0) * log(V) - 0.5 * log(D) - lp_m0
                  + lp_zs + 0.5 * zs * zs - 0.5 * C / V - 0.5 * mu * mu / U;
            if (!grad) continue;
            const double gs = exr_mills(zs, lp_zs) + zs;          /* d l / d z* */
            lB = -gs * U / w;
            lmu = gs * V / w - lam_m0 / sqU - mu / U;
            const double dzU = -B / w - zs * (D + U * A) / (2.0 * U * D);
            const double dzV = mu / w - zs * (D + V) / (2.0 * V * D);
            gUg = -A / (2.0 * D) + gs * dzU + lam_m0 * mu / (2.0 * U * sqU) + mu * mu / (2.0 * U * U);
            gVg = -(T - 1.0) / (2.0 * V) - 1.0 / (2.0 * D) + gs * dzV + C / (2.0 * V * V);
            lA = -U / (2.0 * D) * (1.0 + gs * zs);
        }
        double getag = 0.0;
        gU += gUg;
        gV += gVg;
        if (c->has_eta) {
            getag = -2.0 * lA * SA - lB * SB;
            geta += getag;
            for (int i = i0; i < i1; i++) r[i] = -S * (lB * h[i] + 2.0 * lC * e[i]);
        } else {
            for (int i = i0; i < i1; i++) r[i] = -S * (lB + 2.0 * lC * e[i]);
        }
        for (int j = 0; j < m; j++) gdel[j] += lmu * c->Z[g + (R_xlen_t) j * G];
        if (scores) {
            for (int j = 0; j < k; j++) {
                const double *xj = c->X + (R_xlen_t) j * n;
                double s = 0.0;
                for (int i = i0; i < i1; i++) s += xj[i] * r[i];
                scores[g + (R_xlen_t) j * G] = s;
            }
            for (int j = 0; j < m; j++)
                scores[g + (R_xlen_t) (k + j) * G] = lmu * c->Z[g + (R_xlen_t) j * G];
            scores[g + (R_xlen_t) (k + m) * G] = gam * gUg + (1.0 - gam) * gVg;
            scores[g + (R_xlen_t) (k + m + 1) * G] = s2 * (gUg - gVg);
            if (c->has_eta) scores[g + (R_xlen_t) (k + m + 2) * G] = getag;
        }
    }
    acc[0] = ll; acc[1] = gU; acc[2] = gV; acc[3] = geta;
}

/*
 * sfa_loglik_kernel: log-likelihood (and gradient when grad != NULL) at
 * theta = (b, delta, sigmaSq, gamma, eta). Returns -Inf outside the parameter
 * space. Uses the context's scratch e, h, r. With scores != NULL (G x p,
 * column-major, grad required) it also writes each group's contribution to the
 * gradient: the scores of the sandwich variances.
 */
static double sfa_loglik_kernel_s(sfa_ctx *c, const double *theta, double *grad, double *scores)
{
    const int n = c->n, k = c->k, m = c->m, G = c->G;
    const double *b = theta;
    const double s2 = theta[k + m], gam = theta[k + m + 1];
    const double eta = c->has_eta ? theta[k + m + 2] : 0.0;
    const double S = c->sgn;
    if (!(s2 > 0.0) || !(gam > 0.0) || !(gam < 1.0) || !R_FINITE(s2) || !R_FINITE(eta))
        return R_NegInf;
    double *e = c->e, *h = c->h, *r = c->r;

    /* e = S (y - X b) */
    memcpy(e, c->y, (size_t) n * sizeof(double));
    if (k > 0) {
        int one = 1, nn = n, kk = k;
        double mone = -1.0, pone = 1.0;
        F77_CALL(dgemv)("N", &nn, &kk, &mone, c->X, &nn, b, &one, &pone, e, &one FCONE);
    }
    if (S < 0) for (int i = 0; i < n; i++) e[i] = -e[i];
    if (c->has_eta) for (int i = 0; i < n; i++) h[i] = exp(-eta * c->tt[i]);

    /* the groups in fixed chunks, summed in chunk order: the same result
     * for any number of threads */
    const int nc = c->nchunk, w = 4 + m;
#ifdef _OPENMP
#pragma omp parallel for num_threads(c->nth) schedule(dynamic, 1)
#endif
    for (int ch = 0; ch < nc; ch++) {
        const int g0 = ch * SFA_CHUNK, g1 = g0 + SFA_CHUNK < G ? g0 + SFA_CHUNK : G;
        sfa_groups(c, theta, grad != NULL, scores, g0, g1, c->part + (size_t) ch * w);
    }
    double ll = 0.0, gU = 0.0, gV = 0.0, geta = 0.0;
    double *gdel = grad ? grad + k : NULL;
    if (grad) for (int j = 0; j < m; j++) gdel[j] = 0.0;
    for (int ch = 0; ch < nc; ch++) {
        const double *acc = c->part + (size_t) ch * w;
        ll += acc[0]; gU += acc[1]; gV += acc[2]; geta += acc[3];
        if (grad) for (int j = 0; j < m; j++) gdel[j] += acc[4 + j];
    }
    if (grad) {
        if (k > 0) {
            int one = 1, nn = n, kk = k;
            double pone = 1.0, zero = 0.0;
            F77_CALL(dgemv)("T", &nn, &kk, &pone, c->X, &nn, r, &one, &zero, grad, &one FCONE);
        }
        grad[k + m] = gam * gU + (1.0 - gam) * gV;
        grad[k + m + 1] = s2 * (gU - gV);
        if (c->has_eta) grad[k + m + 2] = geta;
    }
    return ll;
}

static double sfa_loglik_kernel(sfa_ctx *c, const double *theta, double *grad)
{
    return sfa_loglik_kernel_s(c, theta, grad, NULL);
}

/* ---- the quasi-Newton objective on par = (b, delta, log s2, logit gam, eta) */

static void par_to_theta(const sfa_ctx *c, const double *par, double *theta)
{
    int p = sfa_npar(c), q = c->k + c->m;
    memcpy(theta, par, (size_t) p * sizeof(double));
    theta[q] = exp(par[q]);
    theta[q + 1] = 1.0 / (1.0 + exp(-par[q + 1]));
}

static void theta_to_par(const sfa_ctx *c, const double *theta, double *par)
{
    int p = sfa_npar(c), q = c->k + c->m;
    memcpy(par, theta, (size_t) p * sizeof(double));
    par[q] = log(theta[q]);
    par[q + 1] = log(theta[q + 1] / (1.0 - theta[q + 1]));
}

/* value and gradient of -l / n at par, cached for the gradient call */
static void sfa_eval_par(sfa_ctx *c, const double *par)
{
    int p = sfa_npar(c), q = c->k + c->m;
    for (int j = 0; j < p; j++) c->cpar[j] = par[j];
    par_to_theta(c, par, c->theta);
    double ll = sfa_loglik_kernel(c, c->theta, c->gtheta);
    c->nfeval++;
    double sc = -1.0 / c->n;
    if (!R_FINITE(ll) || ISNAN(ll)) {
        c->cval = R_PosInf;
    } else {
        c->cval = sc * ll;
        for (int j = 0; j < p; j++) c->cgrad[j] = sc * c->gtheta[j];
        c->cgrad[q] *= c->theta[q];
        c->cgrad[q + 1] *= c->theta[q + 1] * (1.0 - c->theta[q + 1]);
        for (int j = 0; j < p; j++) if (!R_FINITE(c->cgrad[j])) c->cval = R_PosInf;
    }
    c->cvalid = 1;
}

static double sfa_fn(int p, double *par, void *ex)
{
    sfa_ctx *c = (sfa_ctx *) ex;
    if ((c->nfeval & 63) == 0) R_CheckUserInterrupt();
    sfa_eval_par(c, par);
    return c->cval;
}

static void sfa_gr(int p, double *par, double *df, void *ex)
{
    sfa_ctx *c = (sfa_ctx *) ex;
    int same = c->cvalid;
    for (int j = 0; same && j < p; j++) same = (c->cpar[j] == par[j]);
    if (!same) sfa_eval_par(c, par);
    for (int j = 0; j < p; j++) df[j] = R_FINITE(c->cval) ? c->cgrad[j] : 0.0;
}

/*
 * Hessian of l in theta by central differences of the analytic gradient,
 * symmetrised. Steps keep sigmaSq > 0 and gamma inside (0, 1).
 */
static void sfa_hessian(sfa_ctx *c, const double *theta, double *H)
{
    int p = sfa_npar(c), q = c->k + c->m;
    double *tp = (double *) R_alloc(p, sizeof(double));
    double *g1 = (double *) R_alloc(p, sizeof(double));
    double *g2 = (double *) R_alloc(p, sizeof(double));
    for (int j = 0; j < p; j++) {
        double hj = 1e-5 * fmax(fabs(theta[j]), 1e-2);
        if (j == q + 1) hj = fmin(1e-5, 0.25 * fmin(theta[j], 1.0 - theta[j]));
        if (j == q) hj = fmin(hj, 0.25 * theta[j]);
        memcpy(tp, theta, (size_t) p * sizeof(double));
        tp[j] = theta[j] + hj;
        sfa_loglik_kernel(c, tp, g1);
        tp[j] = theta[j] - hj;
        sfa_loglik_kernel(c, tp, g2);
        for (int i = 0; i < p; i++) H[i + j * p] = (g1[i] - g2[i]) / (2.0 * hj);
    }
    for (int j = 0; j < p; j++)
        for (int i = 0; i < j; i++) {
            double a = 0.5 * (H[i + j * p] + H[j + i * p]);
            H[i + j * p] = H[j + i * p] = a;
        }
}

/* Solve (-H) x = g by Cholesky; returns 0 on success, LAPACK info otherwise.
 * `inv` (optional) receives (-H)^{-1}. */
static int neg_hess_solve(int p, const double *H, const double *g, double *x, double *inv)
{
    double *L = (double *) R_alloc((size_t) p * p, sizeof(double));
    for (int i = 0; i < p * p; i++) L[i] = -H[i];
    int info = 0, one = 1;
    F77_CALL(dpotrf)("L", &p, L, &p, &info FCONE);
    if (info != 0) return info;
    if (x) {
        memcpy(x, g, (size_t) p * sizeof(double));
        F77_CALL(dpotrs)("L", &p, &one, L, &p, x, &p, &info FCONE);
        if (info != 0) return info;
    }
    if (inv) {
        memcpy(inv, L, (size_t) p * p * sizeof(double));
        F77_CALL(dpotri)("L", &p, inv, &p, &info FCONE);
        if (info != 0) return info;
        for (int j = 0; j < p; j++)
            for (int i = 0; i < j; i++) inv[i + j * p] = inv[j + i * p];
    }
    return 0;
}

/* Starting value of FRONTIER's grid: OLS slopes; intercept and sigmaSq
 * corrected for E(u) and Var(u) of a half-normal u with gamma = gam. */
static void sfa_grid_theta(const sfa_ctx *c, const double *bols, double s2ols,
                           double gam, double *theta)
{
    int p = sfa_npar(c), q = c->k + c->m;
    for (int j = 0; j < p; j++) theta[j] = 0.0;
    for (int j = 0; j < c->k; j++) theta[j] = bols[j];
    /* Var(u) = (1 - 2 / pi) su2 for a half-normal, su2 for an exponential */
    double s2 = c->dist == 2 ? s2ols : s2ols / (1.0 - 2.0 * gam / M_PI);
    if (c->icpt >= 0) theta[c->icpt] += c->sgn * (c->dist == 2 ? sqrt(gam * s2) : sqrt(2.0 * gam * s2 / M_PI));
    theta[q] = s2;
    theta[q + 1] = gam;
}

static void sfa_setup(sfa_ctx *c, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags)
{
    const int *fl = exr_int_arg(iflags, 6, "iflags");
    c->n = LENGTH(y);
    if (c->n < 1) error("'y' is empty");
    c->y = exr_real_arg(y, -1, "y");
    if (TYPEOF(X) != REALSXP || XLENGTH(X) % c->n != 0) error("'X' must be a double matrix with n rows");
    c->k = (int) (XLENGTH(X) / c->n);
    c->X = REAL(X);
    c->G = LENGTH(gstart) - 1;
    if (c->G < 1) error("'gstart' must have at least two elements");
    c->gs = exr_int_arg(gstart, -1, "gstart");
    if (c->gs[0] != 0 || c->gs[c->G] != c->n) error("'gstart' must run from 0 to n");
    for (int g = 0; g < c->G; g++)
        if (c->gs[g + 1] <= c->gs[g]) error("'gstart' must be strictly increasing");
    c->tt = exr_real_arg(tt, c->n, "tt");
    if (TYPEOF(Z) != REALSXP || XLENGTH(Z) % c->G != 0) error("'Z' must be a double matrix with G rows");
    c->m = (int) (XLENGTH(Z) / c->G);
    c->Z = REAL(Z);
    c->sgn = fl[0] >= 0 ? 1.0 : -1.0;
    c->has_eta = fl[1] != 0;
    c->icpt = fl[2];
    c->dist = fl[4];
    if (c->dist != 0 && c->dist != 2) error("'iflags': unknown distribution");
    if (c->dist == 2 && c->m > 0) error("'Z' must have no column for the exponential distribution");
    if (c->icpt >= c->k) error("'iflags' intercept index out of range");
    int p = sfa_npar(c);
    c->e = (double *) R_alloc(c->n, sizeof(double));
    c->h = (double *) R_alloc(c->n, sizeof(double));
    c->r = (double *) R_alloc(c->n, sizeof(double));
    c->gtheta = (double *) R_alloc(p, sizeof(double));
    c->theta = (double *) R_alloc(p, sizeof(double));
    c->cpar = (double *) R_alloc(p, sizeof(double));
    c->cgrad = (double *) R_alloc(p, sizeof(double));
    c->cvalid = 0;
    c->nfeval = 0;
    c->nth = exr_threads(fl[5]);
    c->nchunk = (c->G + SFA_CHUNK - 1) / SFA_CHUNK;
    c->part = (double *) R_alloc((size_t) c->nchunk * (4 + c->m), sizeof(double));
}

/*
 * .Call entry: log-likelihood and analytic gradient at theta.
 * iflags = (sign: 1 production / -1 cost, has_eta, intercept column or -1, number of
 * starts, distribution: 0 half-normal or truncated normal, 2 exponential, cores).
 */
SEXP sfa_loglik(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags)
{
    sfa_ctx c;
    sfa_setup(&c, y, X, gstart, tt, Z, iflags);
    int p = sfa_npar(&c);
    const double *th = exr_real_arg(theta, p, "theta");
    const char *nm[2] = {"loglik", "gradient"};
    SEXP out = PROTECT(exr_named_list(2, nm));
    SEXP grad = allocVector(REALSXP, p);
    SET_VECTOR_ELT(out, 1, grad);
    double ll = sfa_loglik_kernel(&c, th, REAL(grad));
    SET_VECTOR_ELT(out, 0, ScalarReal(ll));
    UNPROTECT(1);
    return out;
}

/*
 * .Call entry: the per-group scores at theta, a G x p matrix whose column sums
 * are the gradient (groups: units for BC92, observations otherwise): the
 * estimating functions of the robust and clustered variances.
 */
SEXP sfa_scores(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags)
{
    sfa_ctx c;
    sfa_setup(&c, y, X, gstart, tt, Z, iflags);
    int p = sfa_npar(&c);
    const double *th = exr_real_arg(theta, p, "theta");
    SEXP S = PROTECT(allocMatrix(REALSXP, c.G, p));
    double *grad = (double *) R_alloc(p, sizeof(double));
    double ll = sfa_loglik_kernel_s(&c, th, grad, REAL(S));
    if (!R_FINITE(ll)) exr_raise("theta", "the log-likelihood is not finite at these parameters");
    UNPROTECT(1);
    return S;
}

/* one BFGS run from theta (updated in place); returns the log-likelihood */
static double sfa_bfgs(sfa_ctx *c, double *theta, int maxit, double reltol, int *fail, int *iter)
{
    int p = sfa_npar(c), fncount = 0, grcount = 0;
    double *par = (double *) R_alloc(p, sizeof(double));
    int *mask = (int *) R_alloc(p, sizeof(int));
    for (int j = 0; j < p; j++) mask[j] = 1;
    theta_to_par(c, theta, par);
    double fmin;
    c->cvalid = 0;
    vmmin(p, par, &fmin, sfa_fn, sfa_gr, maxit, 0, mask, R_NegInf, reltol, 10,
          (void *) c, &fncount, &grcount, fail);
    *iter += grcount;
    par_to_theta(c, par, theta);
    return sfa_loglik_kernel(c, theta, NULL);
}

/*
 * .Call entry: maximum likelihood fit.
 *   y (n), X (n x k), gstart (G + 1), tt (n), Z (G x m): sorted data;
 *   iflags: (sign, has_eta, intercept column or -1, number of starts);
 *   start: theta to start from (length p) or length 0 for the grid;
 *   dctrl: (OLS sigma^2 = RSS / n, reltol, maxit) and then the OLS b (k).
 * Returns list(theta, loglik, grad, hessian, vcov, info = c(fail, iterations,
 * function evaluations, hessian_ok, Newton decrement g'(-H)^{-1}g at the end),
 * grid = c(best gamma, its loglik)).
 */
SEXP sfa_fit(SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags, SEXP start, SEXP dctrl)
{
    sfa_ctx c;
    sfa_setup(&c, y, X, gstart, tt, Z, iflags);
    const int p = sfa_npar(&c), k = c.k, q = c.k + c.m;
    const int nstarts = INTEGER(iflags)[3];
    const double *dc = exr_real_arg(dctrl, 3 + k, "dctrl");
    const double s2ols = dc[0], reltol = dc[1];
    const int maxit = (int) dc[2];
    const double *bols = dc + 3;
    if (TYPEOF(start) != REALSXP || (LENGTH(start) != 0 && LENGTH(start) != p))
        error("'start' must be a double vector of length 0 or %d", p);

    double *best = (double *) R_alloc(p, sizeof(double));
    double *th = (double *) R_alloc(p, sizeof(double));
    double bestll = R_NegInf, gridgam = NA_REAL, gridll = NA_REAL;
    int fail = 0, iter = 0;

    /* starting points: the user's, or the best of FRONTIER's gamma grid plus
     * the best grid point far from it (a guard against local maxima) */
    int ns = 0;
    double *starts = (double *) R_alloc((size_t) 2 * p, sizeof(double));
    if (LENGTH(start) == p) {
        memcpy(starts, REAL(start), (size_t) p * sizeof(double));
        ns = 1;
    } else {
        double gll[19], gbest = R_NegInf;
        int ib = 0;
        for (int i = 0; i < 19; i++) {
            sfa_grid_theta(&c, bols, s2ols, 0.05 * (i + 1), th);
            gll[i] = sfa_loglik_kernel(&c, th, NULL);
            if (gll[i] > gbest) { gbest = gll[i]; ib = i; }
        }
        /* refine around the best point (FRONTIER's gridDouble) */
        double gref = 0.05 * (ib + 1);
        for (int i = -4; i <= 4; i++) {
            double gg = 0.05 * (ib + 1) + 0.01 * i;
            if (gg <= 0.0 || gg >= 1.0) continue;
            sfa_grid_theta(&c, bols, s2ols, gg, th);
            double l = sfa_loglik_kernel(&c, th, NULL);
            if (l > gbest) { gbest = l; gref = gg; }
        }
        gridgam = gref; gridll = gbest;
        sfa_grid_theta(&c, bols, s2ols, gref, starts);
        ns = 1;
        if (nstarts > 1) {
            int i2 = -1;
            double l2 = R_NegInf;
            for (int i = 0; i < 19; i++)
                if (fabs(0.05 * (i + 1) - gref) >= 0.3 && gll[i] > l2) { l2 = gll[i]; i2 = i; }
            if (i2 >= 0) {
                sfa_grid_theta(&c, bols, s2ols, 0.05 * (i2 + 1), starts + p);
                ns = 2;
            }
        }
    }
    for (int s = 0; s < ns; s++) {
        memcpy(th, starts + (size_t) s * p, (size_t) p * sizeof(double));
        int f = 0;
        double l = sfa_bfgs(&c, th, maxit, reltol, &f, &iter);
        if (l > bestll || s == 0) {
            bestll = l;
            memcpy(best, th, (size_t) p * sizeof(double));
            fail = f;
        }
    }

    /* Newton polishing with the numerical Hessian of the analytic gradient */
    SEXP Hs = PROTECT(allocMatrix(REALSXP, p, p));
    SEXP Vs = PROTECT(allocMatrix(REALSXP, p, p));
    SEXP gr = PROTECT(allocVector(REALSXP, p));
    double *H = REAL(Hs), *step = (double *) R_alloc(p, sizeof(double));
    int hess_ok = 0;
    double newton_dec = NA_REAL;
    if (R_FINITE(bestll)) {
        /* rounds of chord Newton (one Hessian, steps while they help); where
         * the Hessian is not negative definite or the gradient stays large
         * (a ridge), BFGS again from the best point, up to 5 rounds */
        for (int round = 0; round < 5; round++) {
            sfa_loglik_kernel(&c, best, REAL(gr));
            sfa_hessian(&c, best, H);
            int ok = 1;
            double dec = R_PosInf;
            for (int it = 0; it < 20; it++) {
                if (neg_hess_solve(p, H, REAL(gr), step, NULL) != 0) { ok = 0; break; }
                dec = 0.0;
                for (int j = 0; j < p; j++) dec += step[j] * REAL(gr)[j];
                if (!(dec > 1e-24)) break;
                double a = 1.0, l = R_NegInf;
                for (int ls = 0; ls < 30; ls++, a *= 0.5) {
                    for (int j = 0; j < p; j++) th[j] = best[j] + a * step[j];
                    l = sfa_loglik_kernel(&c, th, REAL(gr));
                    if (R_FINITE(l) && (l > bestll || (ls == 0 && l >= bestll))) break;
                }
                if (!(R_FINITE(l) && (l > bestll || (a == 1.0 && l >= bestll)))) {
                    sfa_loglik_kernel(&c, best, REAL(gr));
                    break;
                }
                bestll = l;
                memcpy(best, th, (size_t) p * sizeof(double));
                if (dec < 1e-20 || a < 1.0) break;
            }
            if (ok && dec < 1e-10) break;
            if (round == 4) break;
            int f = 0;
            memcpy(th, best, (size_t) p * sizeof(double));
            double l = sfa_bfgs(&c, th, maxit, reltol, &f, &iter);
            if (R_FINITE(l) && l > bestll) {
                bestll = l;
                memcpy(best, th, (size_t) p * sizeof(double));
                fail = f;
            } else if (ok) {
                break;
            }
        }
        double fl = sfa_loglik_kernel(&c, best, REAL(gr));
        bestll = fl;
        sfa_hessian(&c, best, H);
        hess_ok = neg_hess_solve(p, H, REAL(gr), step, REAL(Vs)) == 0;
        if (hess_ok) {
            newton_dec = 0.0;
            for (int j = 0; j < p; j++) newton_dec += step[j] * REAL(gr)[j];
        }
    } else {
        for (int j = 0; j < p; j++) REAL(gr)[j] = NA_REAL;
        for (int j = 0; j < p * p; j++) H[j] = NA_REAL;
    }
    if (!hess_ok) for (int j = 0; j < p * p; j++) REAL(Vs)[j] = NA_REAL;
    (void) q;

    SEXP thS = PROTECT(allocVector(REALSXP, p));
    memcpy(REAL(thS), best, (size_t) p * sizeof(double));
    SEXP info = PROTECT(allocVector(REALSXP, 5));
    REAL(info)[0] = fail; REAL(info)[1] = iter; REAL(info)[2] = c.nfeval; REAL(info)[3] = hess_ok;
    REAL(info)[4] = newton_dec;
    SEXP grid = PROTECT(allocVector(REALSXP, 2));
    REAL(grid)[0] = gridgam; REAL(grid)[1] = gridll;
    SEXP out = sfa_fit_list(thS, bestll, gr, Hs, Vs, info, grid, R_NilValue);
    UNPROTECT(6);
    return out;
}

/* The list every SFA fit returns to R: theta, loglik, gradient, hessian,
 * vcov, info, grid and, when not R_NilValue, alpha (the true-FE intercepts).
 * The arguments are protected by the caller. */
SEXP sfa_fit_list(SEXP theta, double loglik, SEXP grad, SEXP hess, SEXP vcov, SEXP info,
                  SEXP grid, SEXP alpha)
{
    const int na = alpha == R_NilValue ? 7 : 8;
    const char *nm[8] = {"theta", "loglik", "gradient", "hessian", "vcov", "info", "grid", "alpha"};
    SEXP out = PROTECT(exr_named_list(na, nm));
    SEXP ll = PROTECT(ScalarReal(loglik));
    SEXP el[8] = {theta, ll, grad, hess, vcov, info, grid, alpha};
    for (int j = 0; j < na; j++) SET_VECTOR_ELT(out, j, el[j]);
    UNPROTECT(2);
    return out;
}

/*
 * .Call entry: efficiencies per row at theta (rows in sorted order).
 * Column 1: Battese-Coelli (1988, 1992) E[exp(-u_t) | e_g]
 *   = Phi(z* - h_t s*) / Phi(z*) exp(-h_t mu* + h_t^2 s*^2 / 2);
 * column 2: Jondrow et al. (1982) exp(-E[u_t | e_g]),
 *   E[u_t | e_g] = h_t (mu* + s* phi(z*) / Phi(z*)).
 * With gamma = 0 (no inefficiency) both are 1.
 */
SEXP sfa_efficiency(SEXP theta, SEXP y, SEXP X, SEXP gstart, SEXP tt, SEXP Z, SEXP iflags)
{
    sfa_ctx c;
    sfa_setup(&c, y, X, gstart, tt, Z, iflags);
    const int p = sfa_npar(&c), n = c.n, k = c.k, m = c.m, G = c.G;
    const double *th = exr_real_arg(theta, p, "theta");
    const double s2 = th[k + m], gam = th[k + m + 1], eta = c.has_eta ? th[k + m + 2] : 0.0;
    SEXP out = PROTECT(allocMatrix(REALSXP, n, 2));
    double *bc = REAL(out), *jl = REAL(out) + n;
    if (!(gam > 0.0)) {
        for (int i = 0; i < n; i++) bc[i] = jl[i] = 1.0;
        UNPROTECT(1);
        return out;
    }
    if (!(s2 > 0.0) || !(gam < 1.0)) error("'theta': sigmaSq must be > 0 and gamma in [0, 1)");
    const double U = gam * s2, V = (1.0 - gam) * s2;
    double *e = c.e, *h = c.h;
    memcpy(e, c.y, (size_t) n * sizeof(double));
    if (k > 0) {
        int one = 1, nn = n, kk = k;
        double mone = -1.0, pone = 1.0;
        F77_CALL(dgemv)("N", &nn, &kk, &mone, c.X, &nn, th, &one, &pone, e, &one FCONE);
    }
    for (int i = 0; i < n; i++) {
        e[i] *= c.sgn;
        h[i] = c.has_eta ? exp(-eta * c.tt[i]) : 1.0;
    }
    for (int g = 0; g < G; g++) {
        const int i0 = c.gs[g], i1 = c.gs[g + 1];
        double A = 0.0, B = 0.0, mu = 0.0;
        for (int i = i0; i < i1; i++) { A += h[i] * h[i]; B += h[i] * e[i]; }
        for (int j = 0; j < m; j++) mu += c.Z[g + (R_xlen_t) j * G] * th[k + j];
        double mus, ss;
        if (c.dist == 2) {
            mus = -(B + V / sqrt(U)) / A;
            ss = sqrt(V / A);
        } else {
            const double D = V + U * A;
            mus = (mu * V - U * B) / D;
            ss = sqrt(U * V / D);
        }
        const double zs = mus / ss;
        const double lpz = exr_lphi(zs), eu = mus + ss * exr_mills(zs, lpz);
        for (int i = i0; i < i1; i++) {
            bc[i] = exp(exr_lphi(zs - h[i] * ss) - lpz - h[i] * mus + 0.5 * h[i] * h[i] * ss * ss);
            jl[i] = exp(-h[i] * eu);
        }
    }
    UNPROTECT(1);
    return out;
}
