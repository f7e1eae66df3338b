/*
 * Binary-choice models by maximum likelihood: probit and logit, fitted by
 * Newton-Raphson with the analytic Hessian and step halving. One kernel serves
 * every estimator that needs a propensity or selection equation (probit() and
 * logit(), Heckman's first step, propensity-score matching, inverse probability
 * weights), so none keeps its own.
 *
 * Log-likelihood with weights w_i, index eta_i = x_i'b, q_i = 2 y_i - 1:
 *   probit: l = sum w log Phi(q eta), score w lambda x with
 *           lambda = q phi(q eta) / Phi(q eta) (the Mills ratio, from exr_lphi()
 *           and exr_mills(), stable in both tails), observed information
 *           sum w lambda (lambda + eta) x x', expected information
 *           sum w phi^2 / (Phi (1 - Phi)) x x';
 *   logit:  l = sum w [y eta - log(1 + e^eta)], score w (y - p) x, observed =
 *           expected information sum w p (1 - p) x x'.
 * Newton steps use the observed information (quadratic convergence); a step
 * that lowers the log-likelihood is halved, up to 30 times. Convergence: the
 * Newton decrement g' H^{-1} g below tol (1e-20 by default: the log-likelihood
 * is then within about 1e-20 of its maximum, and the coefficients within
 * roughly 1e-10 relative on well-conditioned data).
 *
 * Separation: when the outcomes are perfectly predicted by a combination of the
 * regressors the maximum is at infinity; the iterates then drive some |eta| up
 * without bound while the log-likelihood creeps to a limit. The kernel reports
 * EXR_BIN_SEPARATION when, at the end, observations are predicted with
 * probability within 1e-10 of certainty (as glm's "fitted probabilities
 * numerically 0 or 1" check), and the caller turns it into an error (complete
 * separation: every observation so predicted) or a warning.
 */
#include "exportres.h"

#define BIN_PROBIT 0
#define BIN_LOGIT 1

/* Per-observation pieces at eta: log-likelihood term (ll NULL: not wanted),
 * score factor s (score = s x), observed weight h (information = sum h x x')
 * and expected weight e (NULL: not wanted). */
static inline void bin_terms(int link, double y, double eta, double *ll, double *s, double *h,
                             double *e)
{
    if (link == BIN_PROBIT) {
        double q = y > 0.5 ? 1.0 : -1.0, z = q * eta;
        double lp = exr_lphi(z), lam = q * exr_mills(z, lp);
        if (ll) *ll = lp;
        *s = lam;
        *h = lam * (lam + eta);
        /* phi^2 / (Phi (1 - Phi)) = m(eta) m(-eta), with m the Mills ratio;
         * only when asked (e NULL: the Newton iterations need none) */
        if (e) {
            double lpp = exr_lphi(eta), lpm = exr_lphi(-eta);
            *e = exr_mills(eta, lpp) * exr_mills(-eta, lpm);
        }
    } else {
        /* log(1 + e^eta) and p without overflow, from one exponential */
        double ex = exp(-fabs(eta));
        double num = eta > 0 ? 1.0 : ex;   /* a select, not a branch: the sign is random */
        double p = num / (1.0 + ex);
        if (ll) *ll = y * eta - ((eta > 0 ? eta : 0.0) + log1p(ex));
        *s = y - p;
        *h = p * (1.0 - p);
        if (e) *e = *h;
    }
}

/*
 * Kernel: out[i] = exp(-|x[i]|), the one exponential of the logistic function
 * (p = 1 / (1 + e^-eta) = e^eta / (1 + e^eta)), for a vector at a time: the
 * library's exp() is a call per value, which no compiler vectorises; this loop
 * vectorises. exp(-a) = 2^-k exp(-r) with k = round(a / log 2) and r = a - k
 * log 2 in two parts (Cody and Waite), |r| <= log(2) / 2, and exp(-r) from its
 * Taylor polynomial of degree 13 (truncation below 5e-18 relative): within a
 * few units in the last place of exp(). The scale 2^-k is built in the
 * exponent bits: k is read from the low bits of a * log2(e) + 1.5 2^52 (the
 * addition rounds to an integer there). Arguments beyond 708 (including Inf
 * and NaN, which the callers detect) give exp(-708), about 3e-308 (the true
 * value would be subnormal or 0: no logistic probability or weight changes).
 */
EXR_CLONES
void exr_exp_negabs(const double *x, double *out, int n)
{
    const double *restrict xv = x;
    double *restrict ov = out;
    const double log2e = 1.4426950408889634074, shift = 6755399441055744.0;   /* 1.5 2^52 */
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    /* the clamp in a loop of its own: within the next, it keeps gcc from
     * vectorising */
    EXR_SIMD
    for (int i = 0; i < n; i++) {
        const double a = fabs(xv[i]);
        ov[i] = a < 708.0 ? a : 708.0;
    }
    EXR_SIMD
    for (int i = 0; i < n; i++) {
        const double a = ov[i];
        const double t = a * log2e + shift, k = t - shift;
        const double s = -((a - k * ln2_hi) - k * ln2_lo);
        double q = 1.0 / 6227020800.0;   /* 1 / 13! */
        q = q * s + 1.0 / 479001600.0;
        q = q * s + 1.0 / 39916800.0;
        q = q * s + 1.0 / 3628800.0;
        q = q * s + 1.0 / 362880.0;
        q = q * s + 1.0 / 40320.0;
        q = q * s + 1.0 / 5040.0;
        q = q * s + 1.0 / 720.0;
        q = q * s + 1.0 / 120.0;
        q = q * s + 1.0 / 24.0;
        q = q * s + 1.0 / 6.0;
        q = q * s + 0.5;
        q = q * s + 1.0;
        q = q * s + 1.0;
        uint64_t tb, sb;
        memcpy(&tb, &t, sizeof tb);
        sb = (uint64_t) (1023 - tb) << 52;   /* the exponent field of 2^-k */
        double scale;
        memcpy(&scale, &sb, sizeof scale);
        ov[i] = q * scale;
    }
}

/* The logit's terms on a block of len rows at the index eta, without its
 * log-likelihood: score factors r = w (y - p) and information weights sq =
 * w p (1 - p); returns 0 when an index is not finite. The exponentials come
 * from exr_exp_negabs(), so the loop vectorises (w: the weights, or ones). */
EXR_CLONES
static int logit_terms(const double *restrict y, const double *restrict w,
                       const double *restrict eta, double *restrict r, double *restrict sq, int len)
{
    exr_exp_negabs(eta, r, len);   /* r: scratch until below */
    double nf = 0.0;
    EXR_SIMD_SUM(nf)
    for (int i = 0; i < len; i++) {
        const double e = eta[i], ex = r[i], wi = w[i];
        const double num = e > 0 ? 1.0 : ex;
        const double pr = num / (1.0 + ex);   /* in [0, 1]: p (1 - p) >= 0 */
        nf += e - e;   /* NaN when an index is not finite */
        sq[i] = wi * (pr * (1.0 - pr));
        r[i] = wi * (y[i] - pr);
    }
    return nf == 0.0;
}

/* The block's share of bin_eval()'s curvature bound: sum_i hmax_i d_i^2 with
 * d = eta - eta0 and hmax_i = w_i / 4 when the two indices straddle 0, else
 * the larger of the two information weights sq and sq0 (each at most w_i / 4,
 * also in floating point: so hmax is the largest of the three, with w_i / 4
 * counted only when straddling; written so, every load is unconditional and
 * the loop vectorises). */
EXR_CLONES
static double logit_curvature(const double *restrict w, const double *restrict eta,
                              const double *restrict eta0, const double *restrict sq,
                              const double *restrict sq0, int len)
{
    double cv = 0.0;
    EXR_SIMD_SUM(cv)
    for (int i = 0; i < len; i++) {
        const double s = sq[i], s0 = sq0[i], e = eta[i], e0 = eta0[i], d = e - e0;
        const double hmax = s > s0 ? s : s0;
        const double quarter = (e * e0 <= 0 ? 1.0 : 0.0) * (0.25 * w[i]);
        const double hm = quarter > hmax ? quarter : hmax;
        cv += hm * d * d;
    }
    return cv;
}

/* Log-likelihood, gradient g (p) and observed information H (p x p, upper and
 * lower) at b; eta (n) and the information weights sq (n: w_i h_i, or their
 * square roots for a wide X) are written; r (n) and xw (n p) are scratch.
 * With want_ll = 0 the logit's log-likelihood (a log1p per observation, the
 * costliest term) is skipped: the value returned is then 0, or NaN when some
 * index is not finite (where the log-likelihood would be). The probit's comes
 * with its score anyway.
 * curv (logit, narrow X): when eta0 and sq0 (the index and weights at the
 * previous point) are given, *curv = sum_i w_i hmax_i d_i^2 with d = eta -
 * eta0 and hmax_i the largest p (1 - p) between the two indices (1/4 when
 * they straddle 0, where p (1 - p) peaks; else the larger end): the bound on
 * the second-order term of the log-likelihood's change (see exr_binary_fit). */
EXR_CLONES
static double bin_eval(int link, const double *X, const double *y, const double *w, int n, int p,
                       const double *b, double *eta, double *g, double *H, double *r, double *sq,
                       double *xw, int want_ll, const double *eta0, const double *sq0,
                       double *curv)
{
    double ll = 0.0, cv = 0.0;
    int finite = 1;
    const int skip_ll = !want_ll && link == BIN_LOGIT;
    /* a narrow X is taken in blocks of rows that stay in the L1 cache: the
     * index, the per-observation terms, then the block's share of the score
     * and of the information by dot products; a wide one is scaled by the
     * square roots of the weights (in xw) for BLAS */
    const int narrow = p <= 16;
    const int bound = narrow && link == BIN_LOGIT && eta0 && sq0 && curv;
    const int blk = narrow ? 256 : (n > 0 ? n : 1);
    double ones[256];
    for (int i = 0; i < 256; i++) ones[i] = 1.0;
    memset(g, 0, (size_t) p * sizeof(double));
    if (H && narrow) memset(H, 0, (size_t) p * p * sizeof(double));
    for (int i0 = 0; i0 < n; i0 += blk) {
        const int i1 = n - i0 < blk ? n : i0 + blk, len = i1 - i0;
        /* eta = X b, column by column as the reference dgemv adds */
        double *restrict eb = eta;
        for (int i = i0; i < i1; i++) eb[i] = 0.0;
        for (int j = 0; j < p; j++) {
            const double *restrict xj = X + (R_xlen_t) j * n;
            const double bj = b[j];
            EXR_SIMD
            for (int i = i0; i < i1; i++) eb[i] += bj * xj[i];
        }
        if (narrow && skip_ll) {
            /* the logit's Newton iterations: vectorised terms (weights of
             * ones when there are none) */
            const double *wb = w ? w + i0 : ones;
            if (!logit_terms(y + i0, wb, eta + i0, r + i0, sq + i0, len)) finite = 0;
            if (bound) cv += logit_curvature(wb, eta + i0, eta0 + i0, sq + i0, sq0 + i0, len);
        } else for (int i = i0; i < i1; i++) {
            double li, si, hi, wi = w ? w[i] : 1.0;
            bin_terms(link, y[i], eta[i], skip_ll ? NULL : &li, &si, &hi, NULL);
            if (skip_ll) finite &= isfinite(eta[i]) != 0;
            else ll += wi * li;
            double sqi = wi * (hi > 0 ? hi : 0.0);
            if (bound) {
                double d = eta[i] - eta0[i];
                double hm = eta[i] * eta0[i] <= 0 ? 0.25 * wi : (sqi > sq0[i] ? sqi : sq0[i]);
                cv += hm * d * d;
            }
            if (narrow) {
                sq[i] = sqi;
                r[i] = wi * si;   /* the score factors */
            } else {
                sq[i] = sqrt(sqi);
                for (int j = 0; j < p; j++) g[j] += wi * si * X[i + (R_xlen_t) j * n];
            }
        }
        if (!narrow) continue;
        /* the block's share of the score, X'r, and of the information,
         * X' diag(sq) X (upper triangle) */
        exr_xtwv_add(X + i0, n, len, p, NULL, r + i0, NULL, g);
        if (H) exr_gram_add(X + i0, n, len, p, sq + i0, NULL, H);
    }
    if (H) {
        if (narrow) {
            for (int c = 0; c < p; c++)
                for (int a = 0; a < c; a++) H[c + (R_xlen_t) a * p] = H[a + (R_xlen_t) c * p];
        } else {
            for (int j = 0; j < p; j++)
                for (int i = 0; i < n; i++) xw[i + (R_xlen_t) j * n] = X[i + (R_xlen_t) j * n] * sq[i];
            exr_crossprod(xw, NULL, NULL, n, p, H, NULL);
        }
    }
    if (curv) *curv = bound ? cv : R_NaN;
    if (skip_ll) return finite ? 0.0 : R_NaN;
    return ll;
}

/* The log-likelihood alone at the index eta. */
static double bin_loglik(int link, const double *y, const double *w, const double *eta, int n)
{
    double ll = 0.0;
    for (int i = 0; i < n; i++) {
        double li, si, hi;
        bin_terms(link, y[i], eta[i], &li, &si, &hi, NULL);
        ll += (w ? w[i] : 1.0) * li;
    }
    return ll;
}

/* Doubles of workspace exr_binary_fit needs. */
size_t exr_binary_work_size(int n, int p)
{
    return (size_t) n * (p + 4) + 4 * (size_t) p * p + 8 * (size_t) p + 16;
}

/*
 * Kernel: fit a probit (link 0) or logit (link 1) of y (0/1) on X (n x p, full
 * column rank: drop collinear columns first), weights w (or NULL).
 * b: start on entry (zeros are fine), estimate on exit. On exit also: *ll
 * (ll_out may be NULL when the log-likelihood is not wanted: a logit then
 * never computes it),
 * info_obs and info_exp (p x p observed and expected information at b), eta
 * (n, the fitted index), *iter. tol_lag (0: off; a logit's propensity score
 * may use about 1e-10): once the Newton decrement is below it, the last
 * Newton step is taken without a further evaluation, and the information
 * returned is that of the point before it, as glm's IRLS weights lag one
 * step (a relative difference of order sqrt(tol_lag)). Returns 0 (converged), EXR_BIN_MAXIT,
 * EXR_BIN_SEPARATION, or EXR_BIN_SINGULAR (information not positive definite).
 * work: exr_binary_work_size(n, p) doubles; iwork: p ints. Pure: no R API.
 */
EXR_CLONES
int exr_binary_fit(const double *X, const double *y, const double *w, int n, int p, int link,
                   double *b, double *ll_out, double *info_obs, double *info_exp, double *eta,
                   int maxit, double tol, double tol_lag, int *iter, double *work, int *iwork)
{
    double *xw = work;                                  /* n * p */
    double *r = xw + (size_t) n * p;                    /* n */
    double *sq = r + n;                                 /* n: weights at b */
    double *sq_n = sq + n;                              /* n: at the trial point */
    double *g = sq_n + n;                               /* p */
    double *H = g + p;                                  /* p * p */
    double *Hc = H + (size_t) p * p;                    /* p * p */
    double *step = Hc + (size_t) p * p;                 /* p */
    double *bn = step + p;                              /* p */
    double *gn = bn + p;                                /* p */
    double *eta_n = gn + p;                             /* n */
    int info = 0, one = 1, status = EXR_BIN_MAXIT;
    *iter = 0;
    /* ll_known: ll is the log-likelihood at b (the logit's points are
     * evaluated without it, see below) */
    const int logit = link == BIN_LOGIT;
    double ll = bin_eval(link, X, y, w, n, p, b, eta, g, H, r, sq, xw, 0, NULL, NULL, NULL);
    if (!R_FINITE(ll)) return EXR_BIN_SINGULAR;
    int ll_known = !logit;
    for (int it = 0; it < maxit; it++) {
        memcpy(Hc, H, (size_t) p * p * sizeof(double));
        F77_CALL(dpotrf)("U", &p, Hc, &p, &info FCONE);
        if (info != 0) { status = EXR_BIN_SINGULAR; break; }
        memcpy(step, g, (size_t) p * sizeof(double));
        F77_CALL(dpotrs)("U", &p, &one, Hc, &p, step, &p, &info FCONE);
        double dec = 0.0;
        for (int j = 0; j < p; j++) dec += step[j] * g[j];
        *iter = it + 1;
        if (!(dec > tol)) { status = 0; break; }
        if (dec < tol_lag) {
            /* deep in Newton's quadratic region: the step lands within
             * about dec^2 of the maximum, so it is taken without evaluating
             * the new point; the information stays one step behind */
            for (int j = 0; j < p; j++) b[j] += step[j];
            for (int i = 0; i < n; i++) eta[i] = 0.0;
            for (int j = 0; j < p; j++) {
                const double *restrict xj = X + (R_xlen_t) j * n;
                double *restrict ev = eta;
                const double bj = b[j];
                EXR_SIMD
                for (int i = 0; i < n; i++) ev[i] += bj * xj[i];
            }
            ll_known = 0;
            status = 0;
            break;
        }
        /* Trial points are evaluated with their information (into Hc, whose
         * factor is no longer needed), so an accepted step needs no second
         * evaluation: (eta, g, H) always belong to b. A step a s is taken
         * when the log-likelihood does not fall. The logit's is known to rise
         * without being computed (a log1p per observation) in two ways. It is
         * concave, so when its slope at the trial point is still non-negative,
         * g(b + a s)'s >= 0, it rose all along the step (its slope at b is
         * g's = dec > 0). And with d_i the change of observation i's index,
         * log(1 + e^eta) rises by at most p_i d_i + hmax_i d_i^2 / 2 (its
         * second derivative p (1 - p) is at most hmax_i between the two
         * indices), so the log-likelihood rises by at least
         * a dec - sum_i w_i hmax_i d_i^2 / 2 (sum_i w_i (y_i - p_i) d_i =
         * a g's): in the Newton region about a dec / 2. Only when neither
         * holds are the two log-likelihoods computed and compared, as the
         * probit's always are. */
        double a = 1.0, lln = R_NegInf;
        int accepted = 0, lln_known = 1;
        for (int half = 0; half < 30; half++) {
            for (int j = 0; j < p; j++) bn[j] = b[j] + a * step[j];
            double curv = R_NaN;
            lln = bin_eval(link, X, y, w, n, p, bn, eta_n, gn, Hc, r, sq_n, xw, !logit, eta, sq,
                           &curv);
            if (R_FINITE(lln)) {
                if (logit) {
                    double slope = 0.0;
                    for (int j = 0; j < p; j++) slope += gn[j] * step[j];
                    if (slope >= 0 || a * dec - 0.5 * curv >= 0) {
                        accepted = 1;
                        lln_known = 0;
                        break;
                    }
                    if (!ll_known) { ll = bin_loglik(link, y, w, eta, n); ll_known = 1; }
                    lln = bin_loglik(link, y, w, eta_n, n);
                }
                if (lln >= ll - 1e-12 * fabs(ll)) { accepted = 1; break; }
            }
            a *= 0.5;
        }
        if (!accepted) { status = 0; break; } /* no ascent left */
        memcpy(b, bn, (size_t) p * sizeof(double));
        memcpy(eta, eta_n, (size_t) n * sizeof(double));
        memcpy(g, gn, (size_t) p * sizeof(double));
        memcpy(H, Hc, (size_t) p * p * sizeof(double));
        double *t = sq; sq = sq_n; sq_n = t;
        ll = lln;
        ll_known = lln_known;
    }
    if (!ll_known && ll_out) ll = bin_loglik(link, y, w, eta, n);
    /* the information at the final point b */
    memcpy(info_obs, H, (size_t) p * p * sizeof(double));
    if (info_exp) {   /* NULL: not wanted (the observed information suffices) */
        double *sq = xw + (size_t) n * p;
        for (int i = 0; i < n; i++) {
            double li, si, hi, ei, wi = w ? w[i] : 1.0;
            bin_terms(link, y[i], eta[i], &li, &si, &hi, &ei);
            sq[i] = sqrt(wi * ei);
        }
        for (int j = 0; j < p; j++)
            for (int i = 0; i < n; i++) xw[i + (R_xlen_t) j * n] = X[i + (R_xlen_t) j * n] * sq[i];
        exr_crossprod(xw, NULL, NULL, n, p, info_exp, NULL);
    }
    if (ll_out) *ll_out = ll;
    /* separation: outcomes predicted with probability within 1e-10 of certainty */
    int sure = 0;
    for (int i = 0; i < n; i++) {
        double e = eta[i] * (y[i] > 0.5 ? 1.0 : -1.0);
        double cut = link == BIN_PROBIT ? 6.361340902404056 : 23.02585084720009; /* P = 1 - 1e-10 */
        if (e > cut) sure++;
    }
    if (sure > 0) status = EXR_BIN_SEPARATION;
    (void) iwork;
    return status;
}

/*
 * .Call entry: binary_fit(X, y, weights, link, start, control)
 *   X n x p double matrix (full column rank); y 0/1 doubles; weights or NULL;
 *   link 0 probit / 1 logit; start p doubles or NULL; control = c(maxit, tol),
 *   c(maxit, tol, expected) (expected = 0 skips the expected information: NA)
 *   or c(maxit, tol, expected, tol_lag) (exr_binary_fit()'s tol_lag; 0 by default).
 * Returns list(coefficients, loglik, info_observed, info_expected, eta,
 *              iterations, status, n_certain).
 */
SEXP binary_fit(SEXP X, SEXP y_, SEXP weights, SEXP link_, SEXP start, SEXP control)
{
    if (!isReal(X) || !isMatrix(X)) exr_raise("X", "must be a double matrix");
    const int n = nrows(X), p = ncols(X);
    const double *y = exr_real_arg(y_, n, "y");
    const double *w = isNull(weights) ? NULL : exr_real_arg(weights, n, "weights");
    const int link = exr_scalar_int(link_, "link");
    const double *ctl = exr_real_arg(control, -1, "control");
    if (XLENGTH(control) < 2 || XLENGTH(control) > 4)
        exr_raise("control", "must be c(maxit, tol), c(maxit, tol, expected) or c(maxit, tol, expected, tol_lag)");
    const int want_exp = XLENGTH(control) == 2 || ctl[2] != 0.0;
    const double tol_lag = XLENGTH(control) == 4 ? ctl[3] : 0.0;
    if (!(tol_lag >= 0)) exr_raise("control", "tol_lag must be non-negative");
    if (link != BIN_PROBIT && link != BIN_LOGIT) exr_raise("link", "must be 0 (probit) or 1 (logit)");
    if (n < 1 || p < 1) exr_raise("X", "needs at least one row and one column");
    for (int i = 0; i < n; i++) {
        if (y[i] != 0.0 && y[i] != 1.0) exr_raise("y", "must be 0 or 1 (row %d)", i + 1);
        if (w && !(w[i] >= 0 && R_FINITE(w[i]))) exr_raise("weights", "must be non-negative and finite");
    }
    for (R_xlen_t i = 0; i < (R_xlen_t) n * p; i++)
        if (!R_FINITE(REAL(X)[i])) exr_raise("X", "has non-finite values");
    const int maxit = (int) ctl[0];
    const double tol = ctl[1];
    if (maxit < 1 || !(tol > 0)) exr_raise("control", "needs maxit >= 1 and tol > 0");

    const char *nm[8] = {"coefficients", "loglik", "info_observed", "info_expected", "eta",
                         "iterations", "status", "n_certain"};
    SEXP out = PROTECT(exr_named_list(8, nm));
    SEXP b = allocVector(REALSXP, p); SET_VECTOR_ELT(out, 0, b);
    SEXP Io = allocMatrix(REALSXP, p, p); SET_VECTOR_ELT(out, 2, Io);
    SEXP Ie = allocMatrix(REALSXP, p, p); SET_VECTOR_ELT(out, 3, Ie);
    SEXP eta = allocVector(REALSXP, n); SET_VECTOR_ELT(out, 4, eta);
    if (isNull(start)) memset(REAL(b), 0, (size_t) p * sizeof(double));
    else memcpy(REAL(b), exr_real_arg(start, p, "start"), (size_t) p * sizeof(double));
    double *work = (double *) R_alloc(exr_binary_work_size(n, p), sizeof(double));
    int *iwork = (int *) R_alloc(p, sizeof(int));
    double ll = 0.0;
    int iter = 0;
    if (!want_exp) for (R_xlen_t t = 0; t < (R_xlen_t) p * p; t++) REAL(Ie)[t] = NA_REAL;
    int status = exr_binary_fit(REAL(X), y, w, n, p, link, REAL(b), &ll, REAL(Io),
                                want_exp ? REAL(Ie) : NULL, REAL(eta), maxit, tol, tol_lag, &iter, work,
                                iwork);
    int sure = 0;
    for (int i = 0; i < n; i++) {
        double e = REAL(eta)[i] * (y[i] > 0.5 ? 1.0 : -1.0);
        if (e > (link == BIN_PROBIT ? 6.361340902404056 : 23.02585084720009)) sure++;
    }
    SET_VECTOR_ELT(out, 1, ScalarReal(ll));
    SET_VECTOR_ELT(out, 5, ScalarInteger(iter));
    SET_VECTOR_ELT(out, 6, ScalarInteger(status));
    SET_VECTOR_ELT(out, 7, ScalarInteger(sure));
    UNPROTECT(1);
    return out;
}
