# Stochastic frontier analysis: sfa(), sfa_distance(), efficiency().
# R prepares numeric matrices (sorted by unit and time for panels) and
# assembles the result; the likelihoods, their derivatives, the optimisers
# and the efficiencies are in C: src/sfa.c (BC92, grouped errors) and
# src/sfa_obs.c (every model whose inefficiency is drawn per observation:
# cross-section, BC95, heteroscedastic variances, true fixed and random effects).

#' Stochastic frontier analysis by maximum likelihood
#'
#' Fits a production or cost frontier \eqn{y = x'\beta + v - S u}{y = x'b + v - S u}
#' (\eqn{S = 1} production, \eqn{S = -1} cost) with normal noise
#' \eqn{v \sim N(0, \sigma_v^2)}{v ~ N(0, sv^2)} and one-sided inefficiency
#' \eqn{u \ge 0}, in the parameterisation of FRONTIER 4.1 and R's \pkg{frontier}:
#' `sigmaSq` \eqn{= \sigma_u^2 + \sigma_v^2}{= su^2 + sv^2} and `gamma`
#' \eqn{= \sigma_u^2 / \sigma^2}{= su^2 / sigmaSq}.
#'
#' Inefficiency distributions (`dist`): `"halfnormal"`
#' \eqn{u \sim N^+(0, \sigma_u^2)}{u ~ N+(0, su^2)} (Aigner, Lovell and Schmidt 1977),
#' `"truncnormal"` \eqn{N^+(\mu, \sigma_u^2)}{N+(mu, su^2)} (Stevenson 1980) and
#' `"exponential"` with mean and standard deviation \eqn{\sigma_u}{su}
#' (Meeusen and van den Broeck 1977; \eqn{\sigma_u^2}{su^2} is then the
#' variance of \eqn{u}, as in \pkg{sfaR} and Stata's `frontier`).
#'
#' Models:
#' * `"cross"`: cross-section (pooled), \eqn{u} drawn per observation.
#' * `"bc92"`: Battese and Coelli (1992), panel with
#'   \eqn{u_{it} = \exp(-\eta (t - T)) u_i}{u_it = exp(-eta (t - T)) u_i}, \eqn{T} the
#'   last period of the panel (as in the paper and in \pkg{frontier}; unbalanced
#'   panels are allowed). `eta = FALSE` gives time-invariant \eqn{u_i} (Pitt and
#'   Lee 1981 with `"halfnormal"`, Battese and Coelli 1988 with `"truncnormal"`).
#' * `"bc95"`: Battese and Coelli (1995) inefficiency effects,
#'   \eqn{u_{it} \sim N^+(z_{it}'\delta, \sigma_u^2)}{u_it ~ N+(z_it'delta, su^2)}, `z` a
#'   one-sided formula (an intercept is included unless `- 1` is written, as in
#'   [stats::model.matrix()]). Giving `z` without `model` selects `"bc95"`.
#' * `"tfe"`: Greene's (2005) true fixed-effects model
#'   \eqn{y_{it} = \alpha_i + x_{it}'\beta + v_{it} - S u_{it}}{y_it = alpha_i + x_it'b + v_it - S u_it},
#'   unit intercepts estimated alongside the frontier and \eqn{u_{it}}{u_it}
#'   i.i.d. across units and periods. The \eqn{\alpha_i}{alpha_i} are
#'   concentrated out of the likelihood (for given parameters each is the
#'   maximiser of its unit's likelihood, found by a one-dimensional Newton
#'   iteration), so no dummy columns are built; the result is the maximum of
#'   the full likelihood with \eqn{N}{N} dummies. They are returned in `alpha`.
#'   Regressors constant within units are dropped (absorbed by \eqn{\alpha_i}{alpha_i}),
#'   and so is the intercept. *Incidental parameters:* with \eqn{T}{T} fixed
#'   and \eqn{N \to \infty}{N large} the \eqn{\alpha_i}{alpha_i} are not
#'   consistent, and neither are the variance parameters: \eqn{\sigma_v^2}{sv^2} is biased
#'   downwards (roughly by the factor \eqn{(T-1)/T}{(T-1)/T}), so \eqn{\gamma}{gamma}
#'   and the efficiencies are biased too; the frontier coefficients are little
#'   affected (Greene 2005; Belotti and Ilardi 2018). Every unit needs at least
#'   two periods.
#' * `"tre"`: Greene's (2005) true random-effects model
#'   \eqn{y_{it} = x_{it}'\beta + w_i + v_{it} - S u_{it}}{y_it = x_it'b + w_i + v_it - S u_it},
#'   \eqn{w_i \sim N(0, \sigma_w^2)}{w_i ~ N(0, sigmaW^2)} (`sigmaW`), by maximum
#'   simulated likelihood: each unit's likelihood is the average over
#'   `control$draws` (default 250, the default of Stata's `sfpanel`) values
#'   \eqn{w = \sigma_w h_r}{w = sigmaW h_r}, \eqn{h_r = \Phi^{-1}} of the
#'   base-2 Halton sequence (its first 10 elements discarded; unit \eqn{i}{i}
#'   takes the next `draws` elements after unit \eqn{i-1}{i-1}). The draws are
#'   deterministic, so fits are reproducible without a seed. Efficiencies
#'   average the per-draw conditional expectations with the weights of the
#'   simulated posterior of \eqn{w_i}{w_i} (Greene 2005). The simulation
#'   error shrinks with the number of draws; it matters most for `sigmaW`
#'   when \eqn{\sigma_w}{sigmaW} is large relative to \eqn{\sigma_v / \sqrt{T}}{sigma_v / sqrt(T)}
#'   (the posterior of \eqn{w_i}{w_i} is then narrow and few draws fall in it):
#'   check that the estimates are stable with a larger `control$draws`.
#'
#' Heteroscedasticity: `z_u` and `z_v` make the variances functions of
#' covariates, \eqn{\ln \sigma_{u,i}^2 = z_{u,i}'\gamma_u}{ln su_i^2 = zu_i'gu} and
#' \eqn{\ln \sigma_{v,i}^2 = z_{v,i}'\gamma_v}{ln sv_i^2 = zv_i'gv} (Caudill, Ford and
#' Gropper 1995; with `z` and `"truncnormal"` the mean and the variance of
#' the pre-truncation normal both depend on covariates, Wang 2002), so that
#' the determinants of inefficiency are estimated in one step rather than
#' by a biased second-stage regression on estimated efficiencies. The
#' coefficients are then reported as `Zu_<term>` and `Zv_<term>` (the
#' homoscedastic side as its intercept alone), in place of `sigmaSq` and
#' `gamma`, as in \pkg{sfaR}. Available for `"cross"`, `"bc95"`, `"tfe"` and
#' `"tre"` (not for `"bc92"`, whose \eqn{u_i}{u_i} is drawn once per unit).
#' `z` (the mean of a truncated normal \eqn{u}) is also accepted by `"tfe"`
#' and `"tre"` with `dist = "truncnormal"`.
#'
#' Computation: the log-likelihood, its gradient and, for every model but
#' `"bc92"`, its Hessian are analytic and computed in C over contiguous
#' memory, with `cores` threads over observations (units for panels) and a
#' reduction in a fixed order, so that `cores = 1` and `cores = 2` give the
#' same numbers. The maximum is found by Newton-Raphson with a line search
#' (a Levenberg shift where the Hessian is not negative definite) on
#' \eqn{(\beta, \delta, \ln\sigma_u^2, \ln\sigma_v^2, \ln\sigma_w)}{(b, delta, ln su^2, ln sv^2, ln sigmaW)};
#' `"bc92"` uses R's BFGS (`vmmin`) on \eqn{(\beta, \mu, \log\sigma^2, \mathrm{logit}\,\gamma, \eta)}{(b, mu, log sigmaSq, logit gamma, eta)}
#' followed by Newton steps on a Hessian from differences of the analytic
#' gradient. Starts: for cross-sections the method-of-moments estimates
#' (Olson, Schmidt and Waldman 1980) from the OLS residuals, otherwise (or
#' when the residuals' skewness rules them out) corrected OLS (the within
#' estimator for `"tfe"`) at the best point of a grid over \eqn{\gamma}{gamma}
#' (as FRONTIER does); below 10,000 observations also a second, distant start
#' against local maxima (a start that comes within a tenth of a standard
#' error of the first maximum stops there). Standard errors come from the
#' inverse of the Hessian at the maximum (transformed to `sigmaSq`, `gamma`
#' and `sigmaW` by the delta method).
#'
#' The likelihood-ratio test of no inefficiency (\eqn{\gamma = 0} together with
#' \eqn{\mu}, \eqn{\eta}, \eqn{\delta} or the other `Zu_` coefficients) compares with
#' OLS (with the within estimator for `"tfe"`); as \eqn{\gamma = 0}
#' lies on the boundary, its statistic has the mixed chi-bar-square
#' distribution \eqn{\frac12\chi^2_{q-1} + \frac12\chi^2_q}{0.5 chisq(q-1) + 0.5 chisq(q)}
#' (Kodde and Palm 1986), `q` restrictions. It is not reported (`NA`) for
#' `"tre"` and with `z_v`, whose restricted models are not least squares. When
#' the OLS residuals are skewed the wrong way (positive for a production
#' frontier, negative for a cost frontier) an `exportres_warning` is raised;
#' if the likelihood then has no interior maximum the fit collapses to OLS
#' with `gamma = 0` and efficiencies 1, as in \pkg{frontier}.
#'
#' @param formula a two-sided formula, e.g. `log(output) ~ log(capital) + log(labour)`.
#' @param data a data frame.
#' @param panel `c(id, time)` column names (required for `"bc92"`, `"tfe"`
#'   and `"tre"`; `time` numeric, e.g. the year). Optional otherwise.
#' @param dist `"halfnormal"`, `"truncnormal"` or `"exponential"` (for
#'   `"bc95"` the truncated normal with mean \eqn{z'\delta}{z'delta}).
#' @param model `"cross"`, `"bc92"`, `"bc95"`, `"tfe"` or `"tre"`.
#' @param eta for `"bc92"`: estimate the time-decay \eqn{\eta}{eta} (`TRUE`) or
#'   fix it at 0 (`FALSE`).
#' @param z a one-sided formula of the variables in the mean of a truncated
#'   normal inefficiency, e.g. `~ EDYRS + BANRAT - 1` (`"bc95"`; also
#'   `"tfe"`, `"tre"`).
#' @param z_u,z_v one-sided formulas of the variables in the log-variance of
#'   the inefficiency and of the noise (an intercept unless `- 1`).
#' @param type `"production"` or `"cost"`.
#' @param vcov `"hessian"` (default: the inverse of the exact negative Hessian
#'   of the log-likelihood; FRONTIER 4.1 and \pkg{frontier} report the inverse
#'   of their quasi-Newton approximation of it, which differs by a few percent),
#'   `"robust"` (the sandwich on the per-observation scores, or the per-unit
#'   scores of a panel model, with \eqn{n/(n-K)}, \eqn{n}{n} the number of
#'   score rows) or `"cluster"` (by `cluster`, with fixest's factors
#'   \eqn{G/(G-1) (n-1)/(n-K)}; a unit of a panel model must lie in one
#'   cluster). Computed by the package's variance engine, for every model.
#' @param cluster cluster variables (a one-sided formula or column names);
#'   giving them implies `vcov = "cluster"`.
#' @param start optional starting values, named and ordered as the
#'   coefficients of the fit (skips the grid search).
#' @param control a list: `reltol` (relative tolerance, default `1e-10`),
#'   `maxit` (default 1000 iterations), `starts` (1 or 2 starting points;
#'   by default 2 below 10,000 observations and 1 from there on, where the
#'   moment-based start lies close to the maximum, as in \pkg{sfaR},
#'   \pkg{frontier} and Stata, which use one), `draws` (Halton draws per unit
#'   for `"tre"`, default 250).
#' @param cores threads for the likelihood (default
#'   `getOption("exportres.cores", 1)`); results do not depend on it.
#' @return An object of class `c("exr_sfa", "exr_model")`: `coefficients`
#'   (the frontier's \eqn{\beta}{b} named by term, then `Z_<name>` for
#'   \eqn{\delta}{delta}, `sigmaSq`, `gamma` (or `Zu_<name>`, `Zv_<name>`),
#'   `mu`, `eta`, `sigmaW`; \pkg{frontier} calls \eqn{\eta}{eta} `time`),
#'   `vcov`, `nobs`, `loglik`, `ols` (OLS, or within, coefficients and
#'   log-likelihood), `lr_test`, `efficiency` (a data frame of `bc` and
#'   `jlms` aligned with the rows of `data`, `NA` for dropped rows), `alpha`
#'   (`"tfe"`: the unit intercepts, named by unit), `stats` (`logLik`,
#'   `sigma` = \eqn{\sqrt{\sigma^2}}{sqrt(sigmaSq)}, `gamma`, `lr_stat`,
#'   `lr_p`, `n_groups` for panels), `vcov_type`, `hessian_vcov`, `df_t = Inf`,
#'   `n_dropped`, `converged`, `wrong_skew`.
#' @references Aigner, Lovell and Schmidt (1977) J. Econometrics 6, 21-37.
#'   Battese and Coelli (1992) J. Productivity Analysis 3, 153-169.
#'   Battese and Coelli (1995) Empirical Economics 20, 325-332.
#'   Belotti and Ilardi (2018) J. Econometrics 202, 161-177.
#'   Caudill, Ford and Gropper (1995) J. Business & Economic Statistics 13, 105-111.
#'   Coelli (1996) A Guide to FRONTIER Version 4.1, CEPA Working Paper 96/07.
#'   Greene (2005) J. Econometrics 126, 269-303.
#'   Kodde and Palm (1986) Econometrica 54, 1243-1248.
#'   Meeusen and van den Broeck (1977) International Economic Review 18, 435-444.
#'   Olson, Schmidt and Waldman (1980) J. Econometrics 13, 67-82.
#'   Wang (2002) J. Productivity Analysis 18, 241-253.
#' @seealso [efficiency()], [sfa_distance()]
#' @examples
#' set.seed(1)
#' n <- 300
#' d <- data.frame(k = exp(rnorm(n)), l = exp(rnorm(n)))
#' d$q <- exp(1 + 0.3 * log(d$k) + 0.6 * log(d$l) + rnorm(n, sd = 0.2) - abs(rnorm(n, sd = 0.4)))
#' fit <- sfa(log(q) ~ log(k) + log(l), d)
#' fit
#' head(efficiency(fit))
#' sfa(log(q) ~ log(k) + log(l), d, dist = "exponential")
#' # determinants of inefficiency in one step
#' sfa(log(q) ~ log(k) + log(l), d, z_u = ~ log(k))
#' # true fixed and random effects on a panel of 40 firms x 8 years
#' p <- data.frame(firm = rep(1:40, each = 8), year = rep(2001:2008, 40), x = rnorm(320))
#' p$y <- rnorm(40)[p$firm] + 0.5 * p$x + rnorm(320, sd = 0.1) - abs(rnorm(320, sd = 0.3))
#' sfa(y ~ x, p, panel = c("firm", "year"), model = "tfe")
#' sfa(y ~ x, p, panel = c("firm", "year"), model = "tre", control = list(draws = 50))
#' @export
sfa <- function(formula, data, panel = NULL, dist = c("halfnormal", "truncnormal", "exponential"),
                model = c("cross", "bc92", "bc95", "tfe", "tre"), eta = TRUE, z = NULL,
                z_u = NULL, z_v = NULL, type = c("production", "cost"),
                vcov = c("hessian", "robust", "cluster"), cluster = NULL, start = NULL,
                control = list(), cores = getOption("exportres.cores", 1L)) {
  cl <- match.call()
  check_data_frame(data)
  if (!inherits(formula, "formula") || length(formula) != 3L) {
    exr_error("formula", "expected a two-sided formula such as log(y) ~ log(x1) + log(x2).")
  }
  fml <- parse_fixest_formula(formula)
  if (length(fml$fe) || !is.null(fml$endo)) {
    exr_error("formula", "sfa() takes no `|` parts; give inefficiency variables in `z`.")
  }
  model <- if (missing(model) && !is.null(z)) "bc95" else
    match_choice(model, c("cross", "bc92", "bc95", "tfe", "tre"), "model")
  if (missing(dist) && !is.null(z)) dist <- "truncnormal"
  sfa_core(fml = fml, data = data, panel = panel, dist = dist, model = model,
           eta = eta, z = z, z_u = z_u, z_v = z_v, type = type, vcov = vcov, cluster = cluster,
           start = start, control = control, cores = cores, call = cl, formula = formula,
           depvar = deparse1(formula[[2L]]))
}

sfa_control <- function(control) {
  if (!is.list(control)) exr_error("control", "expected a list.")
  ctl <- list(reltol = 1e-10, maxit = 1000, starts = NULL, draws = 250L)
  bad <- setdiff(names(control), names(ctl))
  if (length(bad)) exr_error("control", "unknown element(s) ", paste(bad, collapse = ", "), ".")
  ctl[names(control)] <- control
  if (!is.numeric(ctl$reltol) || length(ctl$reltol) != 1L || !(ctl$reltol > 0)) {
    exr_error("control", "reltol must be a positive number.")
  }
  if (!is.numeric(ctl$maxit) || length(ctl$maxit) != 1L || !(ctl$maxit >= 1)) {
    exr_error("control", "maxit must be a positive whole number.")
  }
  if (!is.null(ctl$starts) && !(length(ctl$starts) == 1L && ctl$starts %in% 1:2)) {
    exr_error("control", "starts must be 1 or 2.")
  }
  if (!is.numeric(ctl$draws) || length(ctl$draws) != 1L || !(ctl$draws >= 1) ||
      ctl$draws != round(ctl$draws)) {
    exr_error("control", "draws must be a positive whole number.")
  }
  ctl
}

# A one-sided formula argument (z, z_u, z_v).
sfa_check_rhs <- function(f, data, arg) {
  if (is.null(f)) return(invisible(NULL))
  if (!inherits(f, "formula") || length(f) != 2L) {
    exr_error(arg, "expected a one-sided formula such as ~ z1 + z2.")
  }
  check_columns(data, intersect(all.vars(f), names(data)), arg)
  invisible(f)
}

# The design of a variance function or of the mean of u: at least one column,
# no constant covariate besides the intercept, no collinear columns.
sfa_check_part <- function(M, arg) {
  if (is.null(M)) return(NULL)
  if (ncol(M) == 0L) exr_error(arg, "has no variables.")
  cn <- colnames(M)
  const <- vapply(seq_len(ncol(M)), function(j) {
    v <- M[, j]
    cn[j] != "(Intercept)" && (max(v) - min(v) <= 1e-12 * max(1, abs(v[1L])))
  }, logical(1))
  if (any(const)) {
    exr_error(arg, "the covariate(s) ", paste0("'", cn[const], "'", collapse = ", "),
              " are constant on the rows used: a variance or mean function needs variation ",
              "(a constant is already the intercept).")
  }
  dz <- drop_collinear(M, what = NULL)
  if (length(dz$dropped)) {
    exr_error(arg, "collinear covariate(s): ", paste(dz$dropped, collapse = ", "), ".")
  }
  M
}

# The shared engine of sfa() and sfa_distance(): the design comes from
# build_design() (rows with NA dropped, z, z_u and z_v as extra parts), groups
# from panel_index(), OLS (or the within estimator) and the collinearity rule
# from the least-squares kernels, variances from vcov_engine().
sfa_core <- function(fml, data, panel, dist, model, eta, z, z_u = NULL, z_v = NULL, type, vcov,
                     cluster, start, control, cores = 1L, call, formula, depvar) {
  dist <- match_choice(dist, c("halfnormal", "truncnormal", "exponential"), "dist")
  type <- match_choice(type, c("production", "cost"), "type")
  vcov <- match_choice(vcov, c("hessian", "robust", "cluster"), "vcov")
  if (!is.logical(eta) || length(eta) != 1L || is.na(eta)) exr_error("eta", "expected TRUE or FALSE.")
  ctl <- sfa_control(control)
  cores <- check_cores(cores)
  sfa_check_rhs(z, data, "z")
  sfa_check_rhs(z_u, data, "z_u")
  sfa_check_rhs(z_v, data, "z_v")
  if (model == "bc95") {
    if (is.null(z)) exr_error("z", "model = \"bc95\" needs the inefficiency variables, e.g. z = ~ z1 + z2.")
    if (dist == "exponential") exr_error("dist", "model = \"bc95\" is a truncated-normal model; use z_u for an exponential u.")
    dist <- "truncnormal"
  } else if (!is.null(z)) {
    if (!(model %in% c("tfe", "tre"))) {
      exr_error("z", "inefficiency variables in the mean of u need model = \"bc95\", \"tfe\" or \"tre\".")
    }
    if (dist != "truncnormal") exr_error("dist", "`z` (the mean of a truncated normal u) needs dist = \"truncnormal\".")
  }
  het <- !is.null(z_u) || !is.null(z_v)
  if (het && model == "bc92") {
    exr_error(if (!is.null(z_u)) "z_u" else "z_v", "variance functions need an inefficiency drawn per observation: ",
              "model = \"cross\", \"bc95\", \"tfe\" or \"tre\" (not \"bc92\").")
  }
  if (vcov == "cluster" && is.null(cluster)) exr_error("cluster", "vcov = \"cluster\" needs `cluster`.")
  if (vcov != "cluster" && !is.null(cluster)) vcov <- "cluster"
  pcols <- panel_vars(data, panel)
  if (model %in% c("bc92", "tfe", "tre") && is.null(pcols)) {
    exr_error("panel", "model = \"", model, "\" needs panel = c(id, time).")
  }
  parts <- list(z = z, z_u = z_u, z_v = z_v)
  parts <- parts[!vapply(parts, is.null, logical(1))]
  d <- build_design(fml, data, panel = pcols, cluster = cluster, singletons = "keep",
                    parts = if (length(parts)) parts,
                    extra = if (!is.null(pcols)) list(data[[pcols[1L]]], data[[pcols[2L]]]))
  n <- length(d$y)
  if (n < 2L || stats::var(d$y) == 0) exr_error("formula", "the response has zero variance (or fewer than 2 rows).")
  # a second, distant start guards against local maxima, a small-sample
  # concern: with 10,000 observations or more the moment-based start is taken
  # to lie in the basin of the global maximum (as sfaR, frontier and Stata do)
  if (is.null(ctl$starts)) ctl$starts <- if (n < 10000L) 2L else 1L
  Zm <- sfa_check_part(d$parts[["z"]], "z")
  Zu <- sfa_check_part(d$parts[["z_u"]], "z_u")
  Zv <- sfa_check_part(d$parts[["z_v"]], "z_v")
  sgn <- if (type == "production") 1L else -1L
  s <- list(d = d, n = n, N = d$n_all, rows = which(d$keep), model = model, dist = dist,
            sgn = sgn, type = type, ctl = ctl, cores = cores, pcols = pcols, het = het,
            has_eta = model == "bc92" && isTRUE(eta), Zm = Zm, Zu = Zu, Zv = Zv, data = data)
  fit <- if (model == "bc92") sfa_engine_group(s, start) else sfa_engine_obs(s, start)
  sfa_finish(fit, s, vcov, call, formula, depvar)
}

# OLS of the frontier by the package's least-squares kernel (collinear
# regressors dropped with a message), its Gaussian log-likelihood and the
# skewness of its residuals (warned about when of the wrong sign).
sfa_ols <- function(y, X, sgn, type, within = NULL, cores = 1L) {
  n <- length(y)
  if (is.null(within)) {
    ols <- .Call(C_ols_fit, X, y, NULL, NULL, collinear_tol)
    kept <- ols$kept
    if (!all(kept)) {
      message("exportres: dropped collinear regressor(s): ", paste(colnames(X)[!kept], collapse = ", "))
    }
    b <- ols$coefficients[kept]
    res <- ols$residuals
    bread <- ols$bread
  } else {
    # the within estimator (true fixed effects): demeaned by unit in C
    X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
    if (ncol(X) == 0L) exr_error("formula", "model = \"tfe\" needs regressors that vary within units.")
    fw <- fit_within(list(fe = list(unit = within), weights = NULL), cores = cores, X = X, y = y)
    kept <- fw$kept
    b <- fw$coef_all[kept]
    res <- fw$residuals
    bread <- fw$bread
    if (!any(kept)) exr_error("formula", "model = \"tfe\" needs regressors that vary within units.")
  }
  Xm <- if (all(kept)) X else X[, kept, drop = FALSE]
  names(b) <- colnames(Xm)
  rss <- sum(res^2)
  s2 <- rss / n
  skew <- mean(res^3) / mean(res^2)^1.5
  wrong <- if (sgn == 1L) skew > 0 else skew < 0
  list(b = b, X = Xm, res = res, s2 = s2, loglik = -0.5 * n * (log(2 * pi) + log(s2) + 1),
       skew = skew, wrong_skew = isTRUE(wrong), bread = bread)
}

# Warned once the arguments are known to be valid.
sfa_skew_warning <- function(ols, type) {
  if (ols$wrong_skew) {
    exr_warning("formula", "the OLS residuals are skewed the wrong way for a ", type,
                " frontier (skewness ", format(ols$skew, digits = 3),
                "): there may be no inefficiency, or the model is misspecified.")
  }
}

# Starting values given by the user, named as the output coefficients, in the
# engine's internal order.
sfa_start_values <- function(start, onames, to_internal) {
  if (is.null(start)) return(numeric(0))
  p <- length(onames)
  if (!is.numeric(start) || length(start) != p || !all(is.finite(start))) {
    exr_error("start", "expected ", p, " finite values (", paste(onames, collapse = ", "), ").")
  }
  if (!is.null(names(start))) {
    if (!setequal(names(start), onames)) exr_error("start", "names must be ", paste(onames, collapse = ", "), ".")
    start <- start[onames]
  }
  names(start) <- onames
  st <- to_internal(start)
  if (any(!is.finite(st))) exr_error("start", "values outside the parameter space (sigmaSq > 0, 0 < gamma < 1).")
  st
}

# ---- engine 1: BC92 (grouped errors, src/sfa.c) ------------------------------

sfa_engine_group <- function(s, start) {
  d <- s$d
  ols <- sfa_ols(d$y, d$X, s$sgn, s$type)
  Xm <- ols$X
  k <- ncol(Xm)
  pcols <- s$pcols
  pidx <- panel_index(s$data[[pcols[1L]]][s$rows], s$data[[pcols[2L]]][s$rows], check = FALSE)
  ord <- pidx$order
  gstart <- as.integer(pidx$start)
  tt <- pidx$time[ord] - max(pidx$time)
  ng <- pidx$n_groups
  Zg <- if (s$dist == "truncnormal") matrix(1, ng, 1L, dimnames = list(NULL, "mu")) else matrix(0, ng, 0L)
  has_eta <- s$has_eta
  m <- ncol(Zg)
  p <- k + m + 2L + has_eta
  if (s$n <= p) exr_error("data", "has ", s$n, " usable rows for ", p, " parameters.")
  icpt <- match("(Intercept)", colnames(Xm), nomatch = 0L) - 1L
  ys <- d$y[ord]
  Xs <- Xm[ord, , drop = FALSE]
  storage.mode(Xs) <- "double"
  storage.mode(Zg) <- "double"
  # frontier's order: b, sigmaSq, gamma, mu, eta (the C order: b, mu, sigmaSq, gamma, eta)
  inames <- c(colnames(Xm), colnames(Zg), "sigmaSq", "gamma", if (has_eta) "eta")
  onames <- c(colnames(Xm), "sigmaSq", "gamma", colnames(Zg), if (has_eta) "eta")
  perm <- match(onames, inames)
  st <- sfa_start_values(start, onames, function(v) as.numeric(v[inames]))
  sfa_skew_warning(ols, s$type)
  iflags <- as.integer(c(s$sgn, has_eta, icpt, s$ctl$starts, if (s$dist == "exponential") 2L else 0L,
                         s$cores))
  cargs <- list(as.double(ys), Xs, gstart, as.double(tt), Zg, iflags)
  r <- .Call(C_sfa_fit, cargs[[1]], Xs, gstart, cargs[[4]], Zg, iflags, as.double(st),
             as.double(c(ols$s2, s$ctl$reltol, s$ctl$maxit, ols$b)))
  info <- r$info
  theta <- stats::setNames(r$theta, inames)
  V <- r$vcov
  dimnames(V) <- list(inames, inames)
  eff <- .Call(C_sfa_efficiency, as.double(theta), cargs[[1]], Xs, gstart, cargs[[4]], Zg, iflags)
  J <- diag(p)[perm, , drop = FALSE]
  list(theta = theta, bread = V, J = J, onames = onames, loglik = r$loglik,
       gradient = stats::setNames(r$gradient, inames)[perm],
       converged = is.finite(r$loglik) && (info[1L] == 0 || (info[4L] == 1 && isTRUE(info[5L] < 1e-6))),
       hess_ok = isTRUE(info[4L] == 1), status = info[1L], iterations = info[2L], n_eval = info[3L],
       eff = eff, ord = ord, gstart = gstart, n_units = ng, ols = ols, k = k, p = p,
       q_ineff = p - (k + 1L), lr_ok = TRUE, ll_ols = ols$loglik,
       scores = function() do.call(.Call, c(list(C_sfa_scores, as.double(theta)), cargs)),
       collapse = function() {
         th <- c(ols$b, "sigmaSq" = ols$s2, gamma = 0, stats::setNames(rep(0, m), colnames(Zg)),
                 if (has_eta) c(eta = 0))
         Vc <- matrix(NA_real_, p, p, dimnames = list(onames, onames))
         Vc[seq_len(k), seq_len(k)] <- ols$s2 * ols$bread
         Vc["sigmaSq", "sigmaSq"] <- 2 * ols$s2^2 / s$n
         list(coef = th[onames], vcov = Vc)
       },
       eval_at = list(engine = "group", y = ys, X = Xs, gstart = gstart, tt = as.double(tt), Z = Zg,
                      iflags = iflags, inames = inames, onames = onames))
}

# ---- engine 2: observation-level models (src/sfa_obs.c) ----------------------

# The method-of-moments start (Olson, Schmidt and Waldman 1980): from the
# second and third central moments of the OLS residuals (sign-corrected so that
# eps = v - u), su^3 = m3 / (sqrt(2/pi) (1 - 4/pi)) for a half-normal u and
# -m3 / 2 for an exponential one, sv^2 = m2 - Var(u); gamma = su^2 / (su^2 + sv^2).
# NA when the residuals are skewed the wrong way or sv^2 would be negative (a
# grid search over gamma then starts the fit).
sfa_moment_gamma <- function(res, sgn, dist) {
  r <- sgn * (res - mean(res))
  m2 <- mean(r^2)
  m3 <- mean(r^3)
  if (!(m3 < 0) || !(m2 > 0)) return(NA_real_)
  if (dist == "exponential") {
    su2 <- (-m3 / 2)^(2 / 3)
    sv2 <- m2 - su2
  } else {
    su2 <- (m3 / (sqrt(2 / pi) * (1 - 4 / pi)))^(2 / 3)
    sv2 <- m2 - (1 - 2 / pi) * su2
  }
  if (!(sv2 > 0)) return(NA_real_)
  g <- su2 / (su2 + sv2)
  if (g < 0.01 || g > 0.99) NA_real_ else g
}

sfa_model_code <- function(model) switch(model, cross = 0L, bc95 = 0L, tfe = 1L, tre = 2L)
sfa_dist_code <- function(dist) switch(dist, halfnormal = 0L, truncnormal = 1L, exponential = 2L)

# The base-2 Halton (van der Corput) sequence at positive indices.
halton2 <- function(idx) {
  out <- numeric(length(idx))
  f <- 0.5
  idx <- as.numeric(idx)
  while (any(idx > 0)) {
    out <- out + f * (idx %% 2)
    idx <- idx %/% 2
    f <- f / 2
  }
  out
}

# The coefficients c with Z c = 1 (the constant as a combination of the
# design's columns; an intercept column gives c = e_1).
sfa_const_coef <- function(Z) {
  if (nrow(Z) == 1L) return(1 / Z[1L, ] * (seq_len(ncol(Z)) == 1L))
  cf <- qr.coef(qr(Z), rep(1, nrow(Z)))
  cf[is.na(cf)] <- 0
  cf
}

sfa_engine_obs <- function(s, start) {
  d <- s$d
  model <- s$model
  pcols <- s$pcols
  panel_model <- model %in% c("tfe", "tre")
  if (panel_model) {
    pidx <- panel_index(s$data[[pcols[1L]]][s$rows], s$data[[pcols[2L]]][s$rows], check = FALSE)
    ord <- pidx$order
    gstart <- as.integer(pidx$start)
    G <- pidx$n_groups
    Tg <- diff(gstart)
    if (model == "tfe" && any(Tg < 2L)) {
      ids <- s$data[[pcols[1L]]][s$rows][ord[gstart[-length(gstart)][Tg < 2L] + 1L]]
      exr_error("panel", "model = \"tfe\" needs at least two periods per unit (the unit intercept ",
                "fits a single period exactly); ", sum(Tg < 2L), " unit(s) have one: ",
                paste(utils::head(format(ids), 5L), collapse = ", "), if (sum(Tg < 2L) > 5L) ", ...",
                ". Drop them or use model = \"tre\".")
    }
    unit_codes <- pidx$id[ord]
  } else {
    ord <- seq_len(s$n)
    gstart <- 0L
    G <- s$n
  }
  ys <- d$y[ord]
  Xall <- d$X[ord, , drop = FALSE]
  ols <- sfa_ols(ys, Xall, s$sgn, s$type, within = if (model == "tfe") unit_codes, cores = s$cores)
  Xs <- ols$X
  storage.mode(Xs) <- "double"
  k <- ncol(Xs)
  sortm <- function(M) { M <- M[ord, , drop = FALSE]; storage.mode(M) <- "double"; M }
  one <- function(nm) matrix(1, 1L, 1L, dimnames = list(NULL, nm))
  Zm <- if (!is.null(s$Zm)) sortm(s$Zm) else if (s$dist == "truncnormal") one("mu") else
    matrix(0, 1L, 0L)
  Zu <- if (!is.null(s$Zu)) sortm(s$Zu) else one("(Intercept)")
  Zv <- if (!is.null(s$Zv)) sortm(s$Zv) else one("(Intercept)")
  tre <- model == "tre"
  het <- s$het
  dnames <- if (!is.null(s$Zm)) paste0("Z_", colnames(Zm)) else colnames(Zm)
  inames <- c(colnames(Xs), dnames, paste0("Zu_", colnames(Zu)), paste0("Zv_", colnames(Zv)),
              if (tre) "lnsigmaW")
  p <- length(inames)
  if (s$n <= p) exr_error("data", "has ", s$n, " usable rows for ", p, " parameters.")
  iu <- k + ncol(Zm) + 1L
  iv <- iu + ncol(Zu)
  iw <- if (tre) p else NA_integer_
  # output names, in the internal order, then frontier's order
  xnames <- inames
  if (!het) xnames[c(iu, iv)] <- c("sigmaSq", "gamma")
  if (tre) xnames[iw] <- "sigmaW"
  mu_pos <- if (is.null(s$Zm) && s$dist == "truncnormal") k + 1L else integer(0)
  onames <- c(xnames[setdiff(seq_len(p), c(mu_pos, iw))], xnames[mu_pos], if (tre) "sigmaW")
  perm <- match(onames, xnames)
  to_out <- function(th) {
    out <- th
    J <- diag(p)
    if (!het) {
      U <- exp(th[iu]); V <- exp(th[iv]); s2 <- U + V; g <- U / s2
      out[iu] <- s2; out[iv] <- g
      J[iu, iu] <- U; J[iu, iv] <- V
      J[iv, iu] <- g * (1 - g); J[iv, iv] <- -g * (1 - g)
    }
    if (tre) { out[iw] <- exp(th[iw]); J[iw, iw] <- exp(th[iw]) }
    list(coef = stats::setNames(out[perm], onames), J = J[perm, , drop = FALSE])
  }
  to_internal <- function(v) {
    th <- as.numeric(v[xnames])
    if (!het) {
      s2 <- th[iu]; g <- th[iv]
      th[iu] <- if (s2 > 0 && g > 0 && g < 1) log(g * s2) else NA_real_
      th[iv] <- if (s2 > 0 && g > 0 && g < 1) log((1 - g) * s2) else NA_real_
    }
    if (tre) th[iw] <- if (th[iw] > 0) log(th[iw]) else NA_real_
    th
  }
  st <- sfa_start_values(start, onames, to_internal)
  sfa_skew_warning(ols, s$type)

  # starting residual variance (and unit-effect variance for tre)
  lsw <- 0
  s2 <- ols$s2
  if (model == "tfe") s2 <- sum(ols$res^2) / max(1, s$n - G)
  if (tre) {
    rbar <- rowsum(ols$res, unit_codes)[, 1L] / tabulate(unit_codes, G)
    within <- ols$res - rbar[unit_codes]
    s2 <- sum(within^2) / max(1, s$n - G)
    sw2 <- max(stats::var(rbar) - s2 * mean(1 / tabulate(unit_codes, G)), 0.05 * stats::var(ols$res))
    lsw <- 0.5 * log(sw2)
  }
  R <- as.integer(s$ctl$draws)
  draws <- if (tre) stats::qnorm(halton2(10 + seq_len(G * R))) else numeric(0)
  icpt <- match("(Intercept)", colnames(Xs), nomatch = 0L) - 1L
  iflags <- as.integer(c(s$sgn, sfa_dist_code(s$dist), sfa_model_code(model), s$cores,
                         s$ctl$starts, icpt, if (tre) R else 0L))
  dat <- list(as.double(ys), Xs, Zm, Zu, Zv, gstart, as.double(draws))
  ngrid <- 9L
  gam0 <- if (panel_model) NA_real_ else sfa_moment_gamma(ols$res, s$sgn, s$dist)
  r <- .Call(C_sfo_fit, dat, iflags, as.double(st),
             as.double(c(s2, s$ctl$reltol, s$ctl$maxit, lsw, ngrid, gam0, ols$b,
                         sfa_const_coef(Zu), sfa_const_coef(Zv))))
  info <- r$info
  theta <- stats::setNames(r$theta, inames)
  V <- r$vcov
  dimnames(V) <- list(inames, inames)
  tr <- to_out(theta)
  alpha <- NULL
  if (model == "tfe") {
    uid <- s$data[[pcols[1L]]][s$rows][ord[gstart[-length(gstart)] + 1L]]
    alpha <- stats::setNames(s$sgn * r$alpha, format(uid, trim = TRUE))
  }
  eff <- .Call(C_sfo_eval_at, as.double(theta), dat, iflags, 2L, as.double(r$alpha))
  grad_out <- tryCatch(drop(solve(t(tr$J), r$gradient)), error = function(e) rep(NA_real_, p))
  q_ineff <- ncol(Zm) + ncol(Zu)
  list(theta = theta, bread = V, J = tr$J, onames = onames, coef_out = tr$coef,
       loglik = r$loglik, gradient = stats::setNames(grad_out, onames),
       converged = is.finite(r$loglik) && info[1L] == 0, hess_ok = isTRUE(info[4L] == 1),
       boundary = if (info[1L] == 4) "gamma1" else if (info[1L] == 5) "gamma0" else "",
       status = info[1L], iterations = info[2L], n_eval = info[3L], eff = eff, ord = ord,
       gstart = if (panel_model) gstart else 0:s$n, n_units = G, ols = ols, k = k, p = p,
       q_ineff = q_ineff, lr_ok = !tre && is.null(s$Zv), ll_ols = ols$loglik, alpha = alpha,
       draws = if (tre) R,
       scores = function() .Call(C_sfo_eval_at, as.double(theta), dat, iflags, 1L, as.double(r$alpha)),
       collapse = if (!het && !tre) function() {
         th <- stats::setNames(rep(0, p), onames)
         th[names(ols$b)] <- ols$b
         th[["sigmaSq"]] <- ols$s2
         Vc <- matrix(NA_real_, p, p, dimnames = list(onames, onames))
         kk <- seq_len(k)
         Vc[kk, kk] <- ols$s2 * ols$bread
         Vc["sigmaSq", "sigmaSq"] <- 2 * ols$s2^2 / s$n
         list(coef = th, vcov = Vc)
       },
       eval_at = list(engine = "obs", dat = dat, iflags = iflags, to_out = to_out,
                      to_internal = to_internal, onames = onames, alpha = as.double(r$alpha)))
}

# ---- the common end: collapse, sandwich, LR test, the model object ------------

sfa_finish <- function(fit, s, vcov, call, formula, depvar) {
  ll <- fit$loglik
  p <- fit$p
  onames <- fit$onames
  ll_ols <- fit$ll_ols
  collapsed <- FALSE
  coefs <- if (!is.null(fit$coef_out)) fit$coef_out else fit$theta[match(onames, names(fit$theta))]
  names(coefs) <- onames
  Vh <- fit$J %*% fit$bread %*% t(fit$J)
  dimnames(Vh) <- list(onames, onames)
  eff_s <- fit$eff
  converged <- fit$converged
  if (!is.null(fit$collapse) && (!is.finite(ll) || ll <= ll_ols + 1e-8 * max(1, abs(ll_ols)))) {
    # no interior maximum: the fit is OLS with gamma = 0 (as frontier reports)
    collapsed <- TRUE
    cc <- fit$collapse()
    coefs <- cc$coef
    Vh <- cc$vcov
    ll <- ll_ols
    eff_s[] <- 1
    converged <- TRUE
    if (!fit$ols$wrong_skew) {
      exr_warning("formula", "the likelihood has no maximum with inefficiency (gamma -> 0); ",
                  "the fit is OLS with gamma = 0 and efficiencies 1.")
    }
  } else if (identical(fit$boundary, "gamma1")) {
    # no interior maximum: the point reached is reported, without variances
    converged <- FALSE
    Vh[] <- NA_real_
    fit$bread[] <- NA_real_
    exr_warning("formula", "the likelihood keeps rising towards gamma = 1 (sigma_v -> 0, no noise): ",
                "the maximum is on the boundary and the estimates are those of a nearly deterministic ",
                "frontier; standard errors are not available",
                if (s$model == "tfe") paste0(" (with true fixed effects and few periods this is the ",
                                             "incidental-parameter problem)") else "", ".")
  } else {
    if (!converged) {
      exr_warning("control", "the optimiser did not converge (code ", fit$status,
                  ") after ", fit$iterations, " iterations; increase control$maxit.")
    }
    if (!fit$hess_ok) {
      exr_warning("control", "the Hessian is not negative definite at the estimate; ",
                  "standard errors are not available (a boundary or flat likelihood?).")
    }
  }
  vc <- sfa_sandwich(vcov, fit, collapsed, s$d$cluster)
  Vout <- if (vcov == "hessian") Vh else {
    Vs <- fit$J %*% vc$vcov %*% t(fit$J)
    dimnames(Vs) <- list(onames, onames)
    Vs
  }

  # efficiencies, back in the rows of data
  N <- s$N
  rows <- s$rows
  eff <- data.frame(bc = rep(NA_real_, N), jlms = rep(NA_real_, N))
  eff$bc[rows[fit$ord]] <- eff_s[, 1L]
  eff$jlms[rows[fit$ord]] <- eff_s[, 2L]

  # LR test of no inefficiency, mixed chi-bar-square (Kodde-Palm)
  q <- fit$q_ineff
  if (fit$lr_ok) {
    lr <- max(0, 2 * (ll - ll_ols))
    lr_p <- sfa_chibar_p(lr, q)
    lr_crit <- stats::uniroot(function(x) sfa_chibar_p(x, q) - 0.05, c(1e-8, 100), tol = 1e-10)$root
  } else {
    lr <- lr_p <- lr_crit <- NA_real_
  }
  panel_model <- s$model %in% c("bc92", "tfe", "tre")
  stats <- list(logLik = ll)
  if (!s$het) stats <- c(stats, list(sigma = sqrt(coefs[["sigmaSq"]]), gamma = coefs[["gamma"]]))
  stats <- c(stats, list(lr_stat = lr, lr_p = lr_p))
  if (panel_model) stats$n_groups <- fit$n_units
  ed <- fit$eval_at
  ed$rows <- rows[fit$ord]
  ed$N <- N
  new_exr_model("sfa", coefs, Vout, s$n, call, formula,
                fixef = if (s$model == "tfe") s$pcols[1L] else character(0),
                cluster = vc$cluster_names, vcov_type = vcov, df_t = Inf, stats = stats,
                n_clusters = vc$n_clusters, hessian_vcov = Vh,
                n_dropped = s$d$n_na, depvar = depvar, loglik = ll, df_loglik = p,
                model = s$model, dist = s$dist, type = s$type, eta = s$has_eta, panel = s$pcols,
                heteroscedastic = s$het, n_groups = if (panel_model) fit$n_units else NA_integer_,
                alpha = fit$alpha, draws = fit$draws,
                ols = list(coefficients = fit$ols$b, sigmaSq = fit$ols$s2, loglik = ll_ols,
                           skewness = fit$ols$skew),
                lr_test = list(statistic = lr, df = q, p.value = lr_p, crit_5 = lr_crit),
                efficiency = eff, converged = converged, collapsed = collapsed,
                wrong_skew = fit$ols$wrong_skew, iterations = fit$iterations, n_eval = fit$n_eval,
                gradient = fit$gradient, sfa_data = ed)
}

# Robust and clustered (sandwich) variances of the frontier through the
# package's variance engine, in the engine's own parameters (the caller maps
# them to the reported ones): bread = the inverse negative Hessian, scores =
# the per-group gradient contributions (groups: observations, or units for
# panel models), clusters given per row and required to contain whole units.
sfa_sandwich <- function(vcov, fit, collapsed, cluster) {
  V <- fit$bread
  if (vcov == "hessian") return(list(vcov = V, cluster_names = NULL, n_clusters = NULL))
  if (collapsed || anyNA(V)) {
    exr_warning("vcov", "no ", vcov, " variance without a negative definite Hessian; ",
                "the variances are NA.")
    V[] <- NA_real_
    return(list(vcov = V, cluster_names = if (vcov == "cluster") names(cluster), n_clusters = NULL))
  }
  S <- fit$scores()
  colnames(S) <- colnames(V)
  cl <- list()
  ord <- fit$ord
  gstart <- fit$gstart
  if (vcov == "cluster") {
    first <- gstart[-length(gstart)] + 1L
    cl <- lapply(cluster, function(c) {
      cs <- c[ord]
      cg <- cs[first]
      if (any(cs != rep(cg, diff(gstart)))) {
        exr_error("cluster", "a unit of the panel lies in several clusters; clusters must contain whole units.")
      }
      codes_of(cg)
    })
  }
  vcov_engine(V, S, if (vcov == "cluster") "cluster" else "hc1", cl, n = nrow(S), K = fit$p)
}

# P(chi-bar-square > x) for q restrictions, one of them on the boundary:
# the mixture 1/2 chisq(q - 1) + 1/2 chisq(q) (chisq(0) is a point mass at 0).
sfa_chibar_p <- function(x, q) {
  p0 <- if (q - 1L > 0L) stats::pchisq(x, q - 1L, lower.tail = FALSE) else as.numeric(x <= 0)
  0.5 * p0 + 0.5 * stats::pchisq(x, q, lower.tail = FALSE)
}

# Efficiencies, log-likelihood and gradient at given coefficients (named as
# the fit's), on the fit's own data: for tests against other implementations.
# For "tfe" the log-likelihood is the profile (maximised over the unit
# intercepts), equal to the full likelihood at the unit intercepts' maximum.
sfa_eval_at <- function(fit, coefs) {
  d <- fit$sfa_data
  coefs <- coefs[d$onames]
  if (anyNA(coefs)) stop("coefficients must be named ", paste(d$onames, collapse = ", "))
  bc <- jl <- rep(NA_real_, d$N)
  if (d$engine == "group") {
    theta <- as.double(coefs[d$inames])
    eff_s <- .Call(C_sfa_efficiency, theta, d$y, d$X, d$gstart, d$tt, d$Z, d$iflags)
    ll <- .Call(C_sfa_loglik, theta, d$y, d$X, d$gstart, d$tt, d$Z, d$iflags)
    gr <- stats::setNames(ll$gradient, d$inames)[d$onames]
    ll <- ll$loglik
  } else {
    theta <- d$to_internal(coefs)
    r <- .Call(C_sfo_eval_at, theta, d$dat, d$iflags, 0L, d$alpha)
    ll <- r$loglik
    J <- d$to_out(theta)$J
    gr <- stats::setNames(drop(solve(t(J), r$gradient)), d$onames)
    eff_s <- if (is.finite(ll)) .Call(C_sfo_eval_at, theta, d$dat, d$iflags, 2L, d$alpha) else
      matrix(NA_real_, length(d$rows), 2L)
  }
  bc[d$rows] <- eff_s[, 1L]
  jl[d$rows] <- eff_s[, 2L]
  list(bc = bc, jlms = jl, loglik = ll, gradient = gr)
}

#' Technical efficiencies of a stochastic frontier
#'
#' @param fit a result of [sfa()] or [sfa_distance()].
#' @param type `"bc"`: Battese and Coelli's (1988, 1992)
#'   \eqn{E[\exp(-u_{it}) \mid \varepsilon_i]}{E[exp(-u_it) | e_i]}, the
#'   efficiencies that \pkg{frontier} reports; `"jlms"`: Jondrow, Lovell,
#'   Materov and Schmidt's (1982) \eqn{\exp(-E[u_{it} \mid \varepsilon_i])}{exp(-E[u_it | e_i])}.
#' @return A numeric vector in (0, 1] aligned with the rows of the data given
#'   to the fit, `NA` for rows dropped for missing values; for panels one
#'   value per unit-period (as `frontier::efficiencies(fit, asInData = TRUE)`).
#'   For the true fixed-effects model the residuals are taken from the
#'   estimated unit intercepts; for the true random-effects model the
#'   conditional expectations average over the simulated posterior of the
#'   unit effect.
#'   For a cost frontier the value is \eqn{E[\exp(-u) \mid \varepsilon]}{E[exp(-u) | e]}
#'   (Farrell's cost efficiency, at most 1).
#' @examples
#' set.seed(1)
#' d <- data.frame(x = exp(rnorm(200)))
#' d$y <- exp(1 + 0.5 * log(d$x) + rnorm(200, sd = 0.2) - abs(rnorm(200, sd = 0.4)))
#' fit <- sfa(log(y) ~ log(x), d)
#' summary(efficiency(fit))
#' summary(efficiency(fit, "jlms"))
#' @export
efficiency <- function(fit, type = c("bc", "jlms")) {
  if (!inherits(fit, "exr_sfa")) exr_error("fit", "expected a result of sfa() or sfa_distance().")
  type <- match_choice(type, c("bc", "jlms"), "type")
  fit$efficiency[[type]]
}

#' Stochastic output distance function for several outputs
#'
#' Fits an output distance function \eqn{D_O(x, y) \le 1}{D_O(x, y) <= 1} by
#' stochastic frontier analysis, normalised by the first output. Homogeneity of
#' degree one in outputs gives \eqn{D_O(x, y) = y_1 D_O(x, y / y_1)}{D_O(x, y) = y1 D_O(x, y/y1)},
#' so with \eqn{\ln D_O = -u}{ln D_O = -u} and noise \eqn{v}:
#' \deqn{\ln y_1 = f(\ln x, \ln(y_2/y_1), \ldots, \ln(y_M/y_1)) + v - u,}{ln y1 = f(ln x, ln(y2/y1), ..., ln(yM/y1)) + v - u,}
#' where \eqn{f = -\ln D_O(x, y/y_1)}{f = -ln D_O(x, y/y1)}. This is what is
#' fitted: a *production* frontier in \eqn{\ln y_1}{ln y1}, so `gamma`, the LR
#' test and [efficiency()] (\eqn{E[\exp(-u)|\varepsilon]}{E[exp(-u)|e]}, the
#' output distance \eqn{D_O}) read as for [sfa()].
#'
#' Sign convention: the coefficients reported are those of \eqn{f}, i.e. minus
#' those of \eqn{\ln D_O}{ln D_O}. The input coefficients are therefore output
#' elasticities (positive), and the coefficient of \eqn{\ln(y_m/y_1)}{ln(ym/y1)}
#' is minus the share of output \eqn{m} in the distance function (negative,
#' between -1 and 0 for a well-behaved technology); the share of \eqn{y_1}{y1}
#' is one minus the sum of the others. Written as \eqn{-\ln y_1}{-ln y1} on the
#' left, the model is \eqn{-\ln y_1 = \ln D_O(x, y/y_1) + u - v}{-ln y1 = ln D_O(x, y/y1) + u - v}.
#'
#' Forms: `"cobb-douglas"`: \eqn{f = \beta_0 + \sum_j \beta_j \ln x_j + \sum_{m \ge 2} \alpha_m \ln(y_m/y_1)}{f = b0 + sum b_j ln x_j + sum a_m ln(ym/y1)};
#' `"translog"`: adds \eqn{\frac12}{1/2} times the squares and all
#' cross-products of these logged variables (terms `0.5*log(a)^2` and
#' `log(a):log(b)`).
#'
#' @param outputs names of the output columns (at least two; the first
#'   normalises), all positive.
#' @param inputs names of the input columns, all positive.
#' @param data a data frame.
#' @param form `"cobb-douglas"` or `"translog"`.
#' @param ... passed to [sfa()]: `panel`, `model`, `dist`, `eta`, `z`, `z_u`,
#'   `z_v`, `vcov`, `cluster`, `start`, `control`, `cores`. (`type` is always
#'   `"production"` here.)
#' @return An `exr_sfa` object as from [sfa()], with `depvar` `log(<y1>)` and
#'   `form`.
#' @examples
#' set.seed(4)
#' n <- 400
#' d <- data.frame(x1 = exp(rnorm(n)), x2 = exp(rnorm(n)))
#' lY <- 1 + 0.4 * log(d$x1) + 0.5 * log(d$x2) + rnorm(n, sd = 0.1) - abs(rnorm(n, sd = 0.3))
#' r <- rnorm(n, sd = 0.5)
#' d$y1 <- exp(lY + 0.4 * r); d$y2 <- exp(lY - 0.6 * r)
#' fit <- sfa_distance(c("y1", "y2"), c("x1", "x2"), d)
#' coef(fit)
#' @export
sfa_distance <- function(outputs, inputs, data, form = c("cobb-douglas", "translog"), ...) {
  cl <- match.call()
  check_data_frame(data)
  form <- match_choice(form, c("cobb-douglas", "translog"), "form")
  if (!is.character(outputs) || length(outputs) < 2L) {
    exr_error("outputs", "expected at least two output column names (the first normalises).")
  }
  if (!is.character(inputs) || length(inputs) < 1L) {
    exr_error("inputs", "expected at least one input column name.")
  }
  check_columns(data, outputs, "outputs")
  check_columns(data, inputs, "inputs")
  dots <- list(...)
  if (!is.null(dots$type)) exr_error("type", "sfa_distance() fits a production-type frontier in log(y1); do not set `type`.")
  if (!is.null(dots$formula)) exr_error("formula", "not used by sfa_distance().")
  logcol <- function(v, arg) {
    x <- data[[v]]
    check_numeric_column(x, v, arg)
    if (any(!is.na(x) & x <= 0)) {
      exr_error(arg, "column '", v, "' has ", sum(!is.na(x) & x <= 0),
                " non-positive value(s); logs need positive values.")
    }
    log(as.numeric(x))
  }
  y1 <- logcol(outputs[1L], "outputs")
  lx <- lapply(inputs, logcol, arg = "inputs")
  names(lx) <- paste0("log(", inputs, ")")
  ly <- lapply(outputs[-1L], function(v) logcol(v, "outputs") - y1)
  names(ly) <- paste0("log(", outputs[-1L], "/", outputs[1L], ")")
  L <- c(lx, ly)
  cols <- L
  if (form == "translog") {
    nm <- names(L)
    for (a in seq_along(L)) {
      for (b in seq_len(a)) {
        if (a == b) {
          cols[[paste0("0.5*", nm[a], "^2")]] <- 0.5 * L[[a]]^2
        } else {
          cols[[paste0(nm[b], ":", nm[a])]] <- L[[b]] * L[[a]]
        }
      }
    }
  }
  args <- list(dist = "halfnormal", model = "cross", panel = NULL, eta = TRUE, z = NULL,
               z_u = NULL, z_v = NULL, vcov = "hessian", cluster = NULL, start = NULL,
               control = list(), cores = getOption("exportres.cores", 1L))
  bad <- setdiff(names(dots), names(args))
  if (length(bad)) exr_error("...", "unknown argument(s) ", paste(bad, collapse = ", "), ".")
  if (!is.null(dots[["z"]]) && is.null(dots[["model"]])) dots$model <- "bc95"
  if (!is.null(dots[["z"]]) && is.null(dots[["dist"]])) dots$dist <- "truncnormal"
  args[names(dots)] <- dots
  # the derived variables become columns, so the design goes through the
  # package's one design builder like every other model
  depvar <- paste0("log(", outputs[1L], ")")
  dd <- data
  dd[[depvar]] <- y1
  for (nm in names(cols)) dd[[nm]] <- cols[[nm]]
  bt <- function(x) paste0("`", x, "`")
  fml <- stats::as.formula(paste(bt(depvar), "~", paste(bt(names(cols)), collapse = " + ")),
                           env = baseenv())
  fit <- sfa_core(fml = parse_fixest_formula(fml), data = dd, panel = args$panel,
                  dist = args$dist,
                  model = match_choice(args$model, c("cross", "bc92", "bc95", "tfe", "tre"), "model"),
                  eta = args$eta, z = args$z, z_u = args$z_u, z_v = args$z_v, type = "production",
                  vcov = args$vcov, cluster = args$cluster, start = args$start,
                  control = args$control, cores = args$cores,
                  call = cl, formula = stats::as.formula(paste0(depvar, " ~ ", paste(names(L), collapse = " + "))),
                  depvar = depvar)
  fit$form <- form
  fit$outputs <- outputs
  fit$inputs <- inputs
  fit
}

sfa_title <- function(x) {
  mod <- switch(x$model,
                cross = "cross-section",
                bc92 = if (isTRUE(x$eta)) "Battese-Coelli (1992), time-varying" else
                  "Battese-Coelli (1992), time-invariant",
                bc95 = "Battese-Coelli (1995) inefficiency effects",
                tfe = "Greene (2005) true fixed effects",
                tre = paste0("Greene (2005) true random effects, MSL with ", x$draws, " Halton draws"))
  paste0("Stochastic ", x$type, " frontier (ML), ", mod, ", ", x$dist,
         if (isTRUE(x$heteroscedastic)) ", heteroscedastic" else "",
         if (!is.null(x[["form"]])) paste0("; output distance function (", x[["form"]], ")") else "")
}

#' @export
print.exr_sfa <- function(x, digits = 4, ...) {
  cat(sfa_title(x), "\n", sep = "")
  cat("Dependent variable: ", x$depvar, "\n", sep = "")
  cat(sprintf("Observations: %s", format(x$nobs, big.mark = ",")))
  if (isTRUE(x$n_dropped > 0)) cat(sprintf(" (%s dropped for NA)", format(x$n_dropped, big.mark = ",")))
  if (x$model %in% c("bc92", "tfe", "tre")) cat(sprintf(", units: %s", format(x$n_groups, big.mark = ",")))
  cat("\n")
  print_coef_table(coef_table(x), digits, z = TRUE)
  cat(sprintf("Log-likelihood: %s (%s: %s)\n", formatC(x$loglik, digits = digits, format = "f"),
              if (x$model == "tfe") "within OLS" else "OLS",
              formatC(x$ols$loglik, digits = digits, format = "f")))
  if (x$model == "tfe") {
    cat("Note: unit intercepts (x$alpha) and variances carry the incidental-parameter bias of ",
        "fixed T.\n", sep = "")
  }
  if (is.finite(x$lr_test$statistic)) cat(sprintf("LR test of no inefficiency: %s, mixed chi-bar-square with %d restriction(s), p = %s (5%% critical value %s)\n",
              formatC(x$lr_test$statistic, digits = 3, format = "f"), x$lr_test$df,
              format.pval(x$lr_test$p.value, digits = 3),
              formatC(x$lr_test$crit_5, digits = 3, format = "f")))
  e <- x$efficiency$bc
  cat(sprintf("Mean efficiency E[exp(-u)|e]: %s\n", formatC(mean(e, na.rm = TRUE), digits = digits, format = "f")))
  if (isTRUE(x$wrong_skew)) cat("Note: OLS residuals are skewed the wrong way.\n")
  if (isTRUE(x$collapsed)) cat("Note: no inefficiency found; the fit is OLS with gamma = 0.\n")
  if (!isTRUE(x$converged)) cat("Warning: the optimiser did not converge.\n")
  invisible(x)
}

#' @export
summary.exr_sfa <- function(object, ...) {
  structure(list(model = object, table = coef_table(object),
                 efficiency = summary(object$efficiency$bc),
                 efficiency_jlms = summary(object$efficiency$jlms)),
            class = "summary.exr_sfa")
}

#' @export
print.summary.exr_sfa <- function(x, digits = 4, ...) {
  print(x$model, digits = digits, ...)
  cat("Efficiencies E[exp(-u)|e]:\n")
  print(x$efficiency)
  cat("Efficiencies exp(-E[u|e]) (JLMS):\n")
  print(x$efficiency_jlms)
  invisible(x)
}
