# Stochastic frontier analysis: sfa(), sfa_distance(), efficiency().
# R prepares numeric matrices (sorted by unit and time for panels) and
# assembles the result; the likelihood, its gradient, the optimiser, the
# Hessian and the efficiencies are in src/sfa.c.

#' Stochastic frontier analysis by maximum likelihood
#'
#' Fits a production or cost frontier \eqn{y = x'\beta + v - S u}{y = x'b + v - S u}
#' (\eqn{S = 1} production, \eqn{S = -1} cost) with normal noise
#' \eqn{v \sim N(0, \sigma_v^2)}{v ~ N(0, sv^2)} and one-sided inefficiency
#' \eqn{u \ge 0}, in the parameterisation of FRONTIER 4.1 and R's \pkg{frontier}:
#' `sigmaSq` \eqn{= \sigma_u^2 + \sigma_v^2}{= su^2 + sv^2} and `gamma`
#' \eqn{= \sigma_u^2 / \sigma^2}{= su^2 / sigmaSq}.
#'
#' Models:
#' * `"cross"`: cross-section (pooled), \eqn{u \sim N^+(0, \sigma_u^2)}{u ~ N+(0, su^2)}
#'   (`dist = "halfnormal"`, Aigner, Lovell and Schmidt 1977) or
#'   \eqn{N^+(\mu, \sigma_u^2)}{N+(mu, su^2)} (`"truncnormal"`, Stevenson 1980).
#' * `"bc92"`: Battese and Coelli (1992), panel with
#'   \eqn{u_{it} = \exp(-\eta (t - T)) u_i}{u_it = exp(-eta (t - T)) u_i}, \eqn{T} the
#'   last period of the panel (as in the paper and in \pkg{frontier}; unbalanced
#'   panels are allowed). `eta = FALSE` gives time-invariant \eqn{u_i}.
#' * `"bc95"`: Battese and Coelli (1995) inefficiency effects,
#'   \eqn{u_{it} \sim N^+(z_{it}'\delta, \sigma_u^2)}{u_it ~ N+(z_it'delta, su^2)}, `z` a
#'   one-sided formula (an intercept is included unless `- 1` is written, as in
#'   [stats::model.matrix()]). Giving `z` without `model` selects `"bc95"`.
#'
#' The log-likelihood and its analytic gradient are computed in C; the maximum
#' is found by R's BFGS (`vmmin`) on
#' \eqn{(\beta, \delta, \log\sigma^2, \mathrm{logit}\,\gamma, \eta)}{(b, delta, log sigmaSq, logit gamma, eta)},
#' started from corrected OLS and the best point of a grid over \eqn{\gamma}
#' (as FRONTIER does) and from a second, distant grid point against local
#' maxima, then polished by Newton steps. Standard errors come from the
#' inverse of the Hessian (central differences of the analytic gradient).
#'
#' The likelihood-ratio test of no inefficiency (\eqn{\gamma = 0} together with
#' \eqn{\mu}, \eqn{\eta} or \eqn{\delta}) compares with OLS; as \eqn{\gamma = 0}
#' lies on the boundary, its statistic has the mixed chi-bar-square
#' distribution \eqn{\frac12\chi^2_{q-1} + \frac12\chi^2_q}{0.5 chisq(q-1) + 0.5 chisq(q)}
#' (Kodde and Palm 1986), `q` restrictions. When the OLS residuals are skewed the
#' wrong way (positive for a production frontier, negative for a cost frontier)
#' an `exportres_warning` is raised; if the likelihood then has no interior
#' maximum the fit collapses to OLS with `gamma = 0` and efficiencies 1, as in
#' \pkg{frontier}.
#'
#' @param formula a two-sided formula, e.g. `log(output) ~ log(capital) + log(labour)`.
#' @param data a data frame.
#' @param panel `c(id, time)` column names (required for `"bc92"`; `time`
#'   numeric, e.g. the year). Optional otherwise.
#' @param dist `"halfnormal"` or `"truncnormal"` (ignored for `"bc95"`, where
#'   the mean of the truncated normal is \eqn{z'\delta}{z'delta}).
#' @param model `"cross"`, `"bc92"` or `"bc95"`.
#' @param eta for `"bc92"`: estimate the time-decay \eqn{\eta}{eta} (`TRUE`) or
#'   fix it at 0 (`FALSE`).
#' @param z for `"bc95"`: a one-sided formula of the inefficiency variables,
#'   e.g. `~ EDYRS + BANRAT - 1`.
#' @param type `"production"` or `"cost"`.
#' @param vcov `"hessian"` (default: the inverse of the exact negative Hessian
#'   of the log-likelihood; FRONTIER 4.1 and \pkg{frontier} report the inverse
#'   of their quasi-Newton approximation of it, which differs by a few percent),
#'   `"robust"` (the sandwich on the per-observation scores, or the per-unit
#'   scores of a panel model, with \eqn{n/(n-K)}) or `"cluster"` (by `cluster`,
#'   with fixest's factors \eqn{G/(G-1) (n-1)/(n-K)}; a unit of a panel must lie
#'   in one cluster). Computed by the package's variance engine.
#' @param cluster cluster variables (a one-sided formula or column names);
#'   giving them implies `vcov = "cluster"`.
#' @param start optional starting values, named and ordered as the
#'   coefficients of the fit (skips the grid search).
#' @param control a list: `reltol` (BFGS relative tolerance, default `1e-10`; Newton steps then polish),
#'   `maxit` (default 1000), `starts` (1 or 2 starting points, default 2).
#' @return An object of class `c("exr_sfa", "exr_model")`: `coefficients`
#'   (the frontier's \eqn{\beta}{b} named by term, then `Z_<name>` for
#'   \eqn{\delta}{delta}, `sigmaSq`, `gamma`, `mu`, `eta`; \pkg{frontier} calls
#'   \eqn{\eta}{eta} `time`), `vcov` (inverse negative Hessian), `nobs`,
#'   `loglik`, `ols` (OLS coefficients and log-likelihood), `lr_test`,
#'   `efficiency` (a data frame of `bc` and `jlms` aligned with the rows of
#'   `data`, `NA` for dropped rows), `stats` (`logLik`, `sigma` = \eqn{\sqrt{\sigma^2}}{sqrt(sigmaSq)},
#'   `gamma`, `lr_stat`, `lr_p`), `vcov_type = "hessian"`, `df_t = Inf`,
#'   `n_dropped`, `converged`, `wrong_skew`.
#' @references Aigner, Lovell and Schmidt (1977) J. Econometrics 6, 21-37.
#'   Battese and Coelli (1992) J. Productivity Analysis 3, 153-169.
#'   Battese and Coelli (1995) Empirical Economics 20, 325-332.
#'   Coelli (1996) A Guide to FRONTIER Version 4.1, CEPA Working Paper 96/07.
#'   Kodde and Palm (1986) Econometrica 54, 1243-1248.
#' @seealso [efficiency()], [sfa_distance()]
#' @examples
#' set.seed(1)
#' n <- 300
#' d <- data.frame(k = exp(rnorm(n)), l = exp(rnorm(n)))
#' d$q <- exp(1 + 0.3 * log(d$k) + 0.6 * log(d$l) + rnorm(n, sd = 0.2) - abs(rnorm(n, sd = 0.4)))
#' fit <- sfa(log(q) ~ log(k) + log(l), d)
#' fit
#' head(efficiency(fit))
#' @export
sfa <- function(formula, data, panel = NULL, dist = c("halfnormal", "truncnormal"),
                model = c("cross", "bc92", "bc95"), eta = TRUE, z = NULL,
                type = c("production", "cost"), vcov = c("hessian", "robust", "cluster"),
                cluster = NULL, start = NULL, control = list()) {
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
    match_choice(model, c("cross", "bc92", "bc95"), "model")
  sfa_core(fml = fml, data = data, panel = panel, dist = dist, model = model,
           eta = eta, z = z, type = type, vcov = vcov, cluster = cluster, start = start,
           control = control, call = cl, formula = formula, depvar = deparse1(formula[[2L]]))
}

sfa_control <- function(control) {
  if (!is.list(control)) exr_error("control", "expected a list.")
  ctl <- list(reltol = 1e-10, maxit = 1000, starts = 2L)
  bad <- setdiff(names(control), names(ctl))
  if (length(bad)) exr_error("control", "unknown element(s) ", paste(bad, collapse = ", "), ".")
  ctl[names(control)] <- control
  if (!is.numeric(ctl$reltol) || length(ctl$reltol) != 1L || !(ctl$reltol > 0)) {
    exr_error("control", "reltol must be a positive number.")
  }
  if (!is.numeric(ctl$maxit) || length(ctl$maxit) != 1L || !(ctl$maxit >= 1)) {
    exr_error("control", "maxit must be a positive whole number.")
  }
  if (!(ctl$starts %in% 1:2)) exr_error("control", "starts must be 1 or 2.")
  ctl
}

# The shared engine of sfa() and sfa_distance(): the design comes from
# build_design() (rows with NA dropped, z as an extra part), groups from
# panel_index(), OLS and the collinearity rule from the least-squares kernel.
sfa_core <- function(fml, data, panel, dist, model, eta, z, type, vcov, cluster, start, control,
                     call, formula, depvar) {
  dist <- match_choice(dist, c("halfnormal", "truncnormal"), "dist")
  type <- match_choice(type, c("production", "cost"), "type")
  vcov <- match_choice(vcov, c("hessian", "robust", "cluster"), "vcov")
  if (!is.logical(eta) || length(eta) != 1L || is.na(eta)) exr_error("eta", "expected TRUE or FALSE.")
  ctl <- sfa_control(control)
  if (model == "bc95") {
    if (is.null(z)) exr_error("z", "model = \"bc95\" needs the inefficiency variables, e.g. z = ~ z1 + z2.")
    if (!inherits(z, "formula") || length(z) != 2L) exr_error("z", "expected a one-sided formula such as ~ z1 + z2 - 1.")
    check_columns(data, all.vars(z), "z")
  } else if (!is.null(z)) {
    exr_error("z", "inefficiency variables need model = \"bc95\".")
  }
  if (vcov == "cluster" && is.null(cluster)) exr_error("cluster", "vcov = \"cluster\" needs `cluster`.")
  if (vcov != "cluster" && !is.null(cluster)) vcov <- "cluster"
  pcols <- panel_vars(data, panel)
  if (model == "bc92" && is.null(pcols)) {
    exr_error("panel", "model = \"bc92\" needs panel = c(id, time).")
  }
  d <- build_design(fml, data, panel = pcols, cluster = cluster, singletons = "keep",
                    parts = if (model == "bc95") list(z = z),
                    extra = if (!is.null(pcols)) list(data[[pcols[1L]]], data[[pcols[2L]]]))
  if (model == "bc95" && ncol(d$parts$z) == 0L) exr_error("z", "has no variables.")
  N <- d$n_all
  n <- length(d$y)
  n_dropped <- d$n_na
  rows <- which(d$keep)
  yv <- d$y
  if (n < 2L || stats::var(yv) == 0) exr_error("formula", "the response has zero variance (or fewer than 2 rows).")
  # OLS and collinear regressors by the package's least-squares kernel
  ols <- .Call(C_ols_fit, d$X, yv, NULL, NULL, collinear_tol)
  Xm <- d$X
  if (!all(ols$kept)) {
    message("exportres: dropped collinear regressor(s): ",
            paste(colnames(Xm)[!ols$kept], collapse = ", "))
    Xm <- Xm[, ols$kept, drop = FALSE]
  }
  k <- ncol(Xm)
  Zm <- d$parts$z
  if (!is.null(Zm)) {
    dz <- drop_collinear(Zm, what = NULL)
    if (length(dz$dropped)) {
      exr_error("z", "the inefficiency variables are collinear or constant: ",
                paste(dz$dropped, collapse = ", "), ".")
    }
  }
  if (model == "bc92") {
    pidx <- panel_index(data[[pcols[1L]]][rows], data[[pcols[2L]]][rows], check = FALSE)
    ord <- pidx$order
    gstart <- pidx$start
    tt <- pidx$time[ord] - max(pidx$time)
    ng <- pidx$n_groups
    Zg <- if (dist == "truncnormal") matrix(1, ng, 1L, dimnames = list(NULL, "mu")) else matrix(0, ng, 0L)
  } else {
    ord <- seq_len(n)
    gstart <- 0:n
    tt <- numeric(n)
    ng <- n
    Zg <- if (model == "bc95") Zm else if (dist == "truncnormal")
      matrix(1, n, 1L, dimnames = list(NULL, "mu")) else matrix(0, n, 0L)
  }
  has_eta <- model == "bc92" && isTRUE(eta)
  m <- ncol(Zg)
  p <- k + m + 2L + has_eta
  if (n <= p) exr_error("data", "has ", n, " usable rows for ", p, " parameters.")
  sgn <- if (type == "production") 1L else -1L
  icpt <- match("(Intercept)", colnames(Xm), nomatch = 0L) - 1L
  ys <- yv[ord]
  Xs <- Xm[ord, , drop = FALSE]
  storage.mode(Xs) <- "double"
  storage.mode(Zg) <- "double"

  # names in frontier's order: b, Z_delta, sigmaSq, gamma, mu, eta
  dnames <- if (model == "bc95") paste0("Z_", colnames(Zg)) else colnames(Zg)
  inames <- c(colnames(Xm), dnames, "sigmaSq", "gamma", if (has_eta) "eta")
  onames <- c(colnames(Xm), if (model == "bc95") dnames, "sigmaSq", "gamma",
              if (model != "bc95") dnames, if (has_eta) "eta")
  perm <- match(onames, inames)
  st <- numeric(0)
  if (!is.null(start)) {
    if (!is.numeric(start) || length(start) != p) {
      exr_error("start", "expected ", p, " values (", paste(onames, collapse = ", "), ").")
    }
    if (!is.null(names(start))) {
      if (!setequal(names(start), onames)) exr_error("start", "names must be ", paste(onames, collapse = ", "), ".")
      start <- start[onames]
    }
    st <- as.numeric(start)[match(inames, onames)]
  }
  # OLS and the skewness of its residuals
  bols <- ols$coefficients[ols$kept]
  res <- ols$residuals
  rss <- sum(res^2)
  s2ols <- rss / n
  ll_ols <- -0.5 * n * (log(2 * pi) + log(s2ols) + 1)
  skew <- mean(res^3) / mean(res^2)^1.5
  wrong_skew <- if (sgn == 1L) skew > 0 else skew < 0
  if (wrong_skew) {
    exr_warning("formula", "the OLS residuals are skewed the wrong way for a ", type,
                " frontier (skewness ", format(skew, digits = 3),
                "): there may be no inefficiency, or the model is misspecified.")
  }
  iflags <- c(sgn, as.integer(has_eta), icpt, as.integer(ctl$starts))
  res_c <- .Call(C_sfa_fit, as.double(ys), Xs, as.integer(gstart), as.double(tt), Zg,
                 as.integer(iflags), as.double(st),
                 as.double(c(s2ols, ctl$reltol, ctl$maxit, bols)))
  theta <- res_c$theta
  ll <- res_c$loglik
  info <- res_c$info
  V <- res_c$vcov
  # converged: BFGS met its tolerance, or the polished point is a maximum to
  # within 1e-6 in log-likelihood (Newton decrement; BFGS can crawl on ridges)
  converged <- is.finite(ll) && (info[1L] == 0 || (info[4L] == 1 && isTRUE(info[5L] < 1e-6)))
  collapsed <- FALSE
  if (!is.finite(ll) || ll <= ll_ols + 1e-8 * max(1, abs(ll_ols))) {
    # no interior maximum: the fit is OLS with gamma = 0 (as frontier reports)
    collapsed <- TRUE
    theta <- c(bols, rep(0, m), s2ols, 0, if (has_eta) 0)
    ll <- ll_ols
    V <- matrix(NA_real_, p, p)
    V[seq_len(k), seq_len(k)] <- s2ols * ols$bread
    V[k + m + 1L, k + m + 1L] <- 2 * s2ols^2 / n
    converged <- TRUE
    if (!wrong_skew) {
      exr_warning("formula", "the likelihood has no maximum with inefficiency (gamma -> 0); ",
                  "the fit is OLS with gamma = 0 and efficiencies 1.")
    }
  } else {
    if (!converged) {
      exr_warning("control", "the optimiser did not converge (code ", info[1L],
                  ") after ", info[2L], " iterations; increase control$maxit.")
    }
    if (!isTRUE(info[4L] == 1)) {
      exr_warning("control", "the Hessian is not negative definite at the estimate; ",
                  "standard errors are not available (a boundary or flat likelihood?).")
    }
  }
  names(theta) <- inames
  dimnames(V) <- list(inames, inames)
  vc <- sfa_sandwich(vcov, V, theta, collapsed, list(ys, Xs, as.integer(gstart), as.double(tt), Zg,
                                                       as.integer(iflags)),
                     d$cluster, ord, gstart, ng, p)
  coefs <- theta[perm]

  # efficiencies, back in the rows of data
  eff_s <- .Call(C_sfa_efficiency, as.double(theta), as.double(ys), Xs, as.integer(gstart),
                 as.double(tt), Zg, as.integer(iflags))
  eff <- data.frame(bc = rep(NA_real_, N), jlms = rep(NA_real_, N))
  eff$bc[rows[ord]] <- eff_s[, 1L]
  eff$jlms[rows[ord]] <- eff_s[, 2L]

  # LR test of no inefficiency, mixed chi-bar-square (Kodde-Palm)
  q <- p - (k + 1L)
  lr <- max(0, 2 * (ll - ll_ols))
  lr_p <- sfa_chibar_p(lr, q)
  lr_crit <- stats::uniroot(function(x) sfa_chibar_p(x, q) - 0.05, c(1e-8, 100), tol = 1e-10)$root
  stats <- list(logLik = ll, sigma = sqrt(coefs[["sigmaSq"]]), gamma = coefs[["gamma"]],
                lr_stat = lr, lr_p = lr_p)
  if (model == "bc92") stats$n_groups <- ng

  new_exr_model("sfa", coefs, vc$vcov[perm, perm, drop = FALSE], n, call, formula,
                cluster = vc$cluster_names, vcov_type = vcov, df_t = Inf, stats = stats,
                n_clusters = vc$n_clusters, hessian_vcov = V[perm, perm, drop = FALSE],
                n_dropped = n_dropped, depvar = depvar, loglik = ll, df_loglik = p,
                model = model, dist = if (model == "bc95") "truncnormal" else dist,
                type = type, eta = has_eta, panel = pcols,
                n_groups = if (model == "bc92") ng else NA_integer_,
                ols = list(coefficients = stats::setNames(bols, colnames(Xm)), sigmaSq = s2ols,
                           loglik = ll_ols, skewness = skew),
                lr_test = list(statistic = lr, df = q, p.value = lr_p, crit_5 = lr_crit),
                efficiency = eff, converged = converged, collapsed = collapsed,
                wrong_skew = wrong_skew, iterations = info[2L], n_eval = info[3L],
                gradient = stats::setNames(res_c$gradient, inames)[perm],
                sfa_data = list(y = ys, X = Xs, gstart = as.integer(gstart), tt = tt, Z = Zg,
                                iflags = as.integer(iflags), inames = inames, onames = onames,
                                rows = rows[ord], N = N))
}

# Robust and clustered (sandwich) variances of the frontier through the
# package's variance engine: bread = the inverse negative Hessian, scores =
# the per-group gradient contributions (groups: observations, or units for
# panel models), clusters given per row and required to contain whole units.
sfa_sandwich <- function(vcov, V, theta, collapsed, cargs, cluster, ord, gstart, ng, p) {
  if (vcov == "hessian") return(list(vcov = V, cluster_names = NULL, n_clusters = NULL))
  if (collapsed || anyNA(V)) {
    exr_warning("vcov", "no ", vcov, " variance without a negative definite Hessian; ",
                "the variances are NA.")
    V[] <- NA_real_
    return(list(vcov = V, cluster_names = if (vcov == "cluster") names(cluster), n_clusters = NULL))
  }
  S <- do.call(.Call, c(list(C_sfa_scores, as.double(theta)), cargs))
  colnames(S) <- colnames(V)
  cl <- list()
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
  out <- vcov_engine(V, S, if (vcov == "cluster") "cluster" else "hc1", cl, n = ng, K = p)
  out
}

# P(chi-bar-square > x) for q restrictions, one of them on the boundary:
# the mixture 1/2 chisq(q - 1) + 1/2 chisq(q) (chisq(0) is a point mass at 0).
sfa_chibar_p <- function(x, q) {
  p0 <- if (q - 1L > 0L) stats::pchisq(x, q - 1L, lower.tail = FALSE) else as.numeric(x <= 0)
  0.5 * p0 + 0.5 * stats::pchisq(x, q, lower.tail = FALSE)
}

# Efficiencies and log-likelihood at given coefficients (named as the fit's),
# on the fit's own data: for tests against other implementations.
sfa_eval_at <- function(fit, coefs) {
  d <- fit$sfa_data
  coefs <- coefs[d$onames]
  if (anyNA(coefs)) stop("coefficients must be named ", paste(d$onames, collapse = ", "))
  theta <- as.double(coefs[d$inames])
  eff_s <- .Call(C_sfa_efficiency, theta, d$y, d$X, d$gstart, d$tt, d$Z, d$iflags)
  ll <- .Call(C_sfa_loglik, theta, d$y, d$X, d$gstart, d$tt, d$Z, d$iflags)
  bc <- jl <- rep(NA_real_, d$N)
  bc[d$rows] <- eff_s[, 1L]
  jl[d$rows] <- eff_s[, 2L]
  list(bc = bc, jlms = jl, loglik = ll$loglik,
       gradient = stats::setNames(ll$gradient, d$inames)[d$onames])
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
#' @param ... passed to [sfa()]: `panel`, `model`, `dist`, `eta`, `z`, `start`,
#'   `control`. (`type` is always `"production"` here.)
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
               vcov = "hessian", cluster = NULL, start = NULL, control = list())
  bad <- setdiff(names(dots), names(args))
  if (length(bad)) exr_error("...", "unknown argument(s) ", paste(bad, collapse = ", "), ".")
  if (!is.null(dots$z) && is.null(dots$model)) dots$model <- "bc95"
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
                  model = match_choice(args$model, c("cross", "bc92", "bc95"), "model"),
                  eta = args$eta, z = args$z, type = "production", vcov = args$vcov,
                  cluster = args$cluster, start = args$start, control = args$control,
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
                bc95 = "Battese-Coelli (1995) inefficiency effects")
  paste0("Stochastic ", x$type, " frontier (ML), ", mod, ", ", x$dist,
         if (!is.null(x[["form"]])) paste0("; output distance function (", x[["form"]], ")") else "")
}

#' @export
print.exr_sfa <- function(x, digits = 4, ...) {
  cat(sfa_title(x), "\n", sep = "")
  cat("Dependent variable: ", x$depvar, "\n", sep = "")
  cat(sprintf("Observations: %s", format(x$nobs, big.mark = ",")))
  if (isTRUE(x$n_dropped > 0)) cat(sprintf(" (%s dropped for NA)", format(x$n_dropped, big.mark = ",")))
  if (x$model == "bc92") cat(sprintf(", units: %s", format(x$n_groups, big.mark = ",")))
  cat("\n")
  print_coef_table(coef_table(x), digits, z = TRUE)
  cat(sprintf("Log-likelihood: %s (OLS: %s)\n", formatC(x$loglik, digits = digits, format = "f"),
              formatC(x$ols$loglik, digits = digits, format = "f")))
  cat(sprintf("LR test of no inefficiency: %s, mixed chi-bar-square with %d restriction(s), p = %s (5%% critical value %s)\n",
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
