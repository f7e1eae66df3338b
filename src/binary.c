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

/* Per-observation pieces at eta: log-likelihood term, score factor s (score =
 * s x), observed weight h (information = sum h x x') and expected weight e. */
static inline void bin_terms(int link, double y, double eta, double *ll, double *s, double *h,
                             double *e)
{
    if (link == BIN_PROBIT) {
        double q = y > 0.5 ? 1.0 : -1.0, z = q * eta;
        double lp = exr_lphi(z), lam = q * exr_mills(z, lp);
        *ll = lp;
        *s = lam;
        *h = lam * (lam + eta);
        /* phi^2 / (Phi (1 - Phi)) = m(eta) m(-eta), with m the Mills ratio */
        double lpp = exr_lphi(eta), lpm = exr_lphi(-eta);
        *e = exr_mills(eta, lpp) * exr_mills(-eta, lpm);
    } else {
        /* log(1 + e^eta) and p without overflow, from one exponential */
        double ex = exp(-fabs(eta));
        double l1pe = eta > 0 ? eta + log1p(ex) : log1p(ex);
        double p = eta > 0 ? 1.0 / (1.0 + ex) : ex / (1.0 + ex);
        *ll = y * eta - l1pe;
        *s = y - p;
        *h = p * (1.0 - p);
        *e = *h;
    }
}

/* Log-likelihood, gradient g (p) and observed information H (p x p, upper and
 * lower) at b; eta (n) is written. */
static double bin_eval(int link, const double *X, const double *y, const double *w, int n, int p,
                       const double *b, double *eta, double *g, double *H, double *xw)
{
    int one = 1;
    double pone = 1.0, zero = 0.0;
    if (p > 0) F77_CALL(dgemv)("N", &n, &p, &pone, X, &n, b, &one, &zero, eta, &one FCONE);
    else memset(eta, 0, (size_t) n * sizeof(double));
    double ll = 0.0;
    /* xw holds the square roots of the information weights, then X scaled */
    double *sq = xw + (size_t) n * p;
    memset(g, 0, (size_t) p * sizeof(double));
    for (int i = 0; i < n; i++) {
        double li, si, hi, ei, wi = w ? w[i] : 1.0;
        bin_terms(link, y[i], eta[i], &li, &si, &hi, &ei);
        ll += wi * li;
        sq[i] = sqrt(wi * (hi > 0 ? hi : 0.0));
        for (int j = 0; j < p; j++) g[j] += wi * si * X[i + (R_xlen_t) j * n];
    }
    if (H) {
        for (int j = 0; j < p; j++)
            for (int i = 0; i < n; i++) xw[i + (R_xlen_t) j * n] = X[i + (R_xlen_t) j * n] * sq[i];
        exr_crossprod(xw, NULL, NULL, n, p, H, NULL);
    }
    return ll;
}

/* Doubles of workspace exr_binary_fit needs. */
size_t exr_binary_work_size(int n, int p)
{
    return (size_t) n * (p + 2) + 5 * (size_t) p * p + 8 * (size_t) p + 16;
}

/*
 * Kernel: fit a probit (link 0) or logit (link 1) of y (0/1) on X (n x p, full
 * column rank: drop collinear columns first), weights w (or NULL).
 * b: start on entry (zeros are fine), estimate on exit. On exit also: *ll,
 * info_obs and info_exp (p x p observed and expected information at b), eta
 * (n, the fitted index), *iter. Returns 0 (converged), EXR_BIN_MAXIT,
 * EXR_BIN_SEPARATION, or EXR_BIN_SINGULAR (information not positive definite).
 * work: exr_binary_work_size(n, p) doubles; iwork: p ints. Pure: no R API.
 */
int exr_binary_fit(const double *X, const double *y, const double *w, int n, int p, int link,
                   double *b, double *ll_out, double *info_obs, double *info_exp, double *eta,
                   int maxit, double tol, int *iter, double *work, int *iwork)
{
    double *xw = work;                                  /* n * (p + 1) */
    double *g = xw + (size_t) n * (p + 1);              /* p */
    double *H = g + p;                                  /* p * p */
    double *Hc = H + (size_t) p * p;                    /* p * p */
    double *step = Hc + (size_t) p * p;                 /* p */
    double *bn = step + p;                              /* p */
    double *gn = bn + p;                                /* p */
    double *eta_n = gn + p;                             /* n */
    double *Hn = eta_n + n;                             /* p * p */
    int info = 0, one = 1, status = EXR_BIN_MAXIT;
    *iter = 0;
    double ll = bin_eval(link, X, y, w, n, p, b, eta, g, H, xw);
    if (!R_FINITE(ll)) return EXR_BIN_SINGULAR;
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
        /* the trial point is evaluated with its gradient and information, so
         * an accepted step needs no second pass over the data */
        double a = 1.0, lln = R_NegInf;
        for (int half = 0; half < 30; half++) {
            for (int j = 0; j < p; j++) bn[j] = b[j] + a * step[j];
            lln = bin_eval(link, X, y, w, n, p, bn, eta_n, gn, Hn, xw);
            if (R_FINITE(lln) && lln >= ll - 1e-12 * fabs(ll)) break;
            a *= 0.5;
        }
        if (!R_FINITE(lln) || lln < ll - 1e-12 * fabs(ll)) { status = 0; break; } /* no ascent left */
        memcpy(b, bn, (size_t) p * sizeof(double));
        memcpy(eta, eta_n, (size_t) n * sizeof(double));
        memcpy(g, gn, (size_t) p * sizeof(double));
        memcpy(H, Hn, (size_t) p * p * sizeof(double));
        ll = lln;
    }
    /* information at the final point (eta, H and ll are those of b) */
    memcpy(info_obs, H, (size_t) p * p * sizeof(double));
    if (link == BIN_LOGIT) {
        memcpy(info_exp, H, (size_t) p * p * sizeof(double));   /* the same for the logit */
    } else {
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
    *ll_out = ll;
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
 *   link 0 probit / 1 logit; start p doubles or NULL; control = c(maxit, tol).
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
    const double *ctl = exr_real_arg(control, 2, "control");
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
    int status = exr_binary_fit(REAL(X), y, w, n, p, link, REAL(b), &ll, REAL(Io), REAL(Ie),
                                REAL(eta), maxit, tol, &iter, work, iwork);
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
