# Probit and logit: the binary-choice model every selection and propensity
# equation of the package uses (heckman_2step(), psm_match(), ...), fitted in C
# (src/binary.c) on a design from build_design().

#' Probit and logit regression
#'
#' Maximum-likelihood binary-choice models fitted in C by Newton-Raphson with
#' the analytic Hessian and step halving. The coefficients equal
#' `glm(family = binomial("probit"))` (or `"logit"`) and the log-likelihood is
#' the same; the same kernel fits the selection equation of Heckman's two-step
#' estimator and the propensity scores of the matching estimators.
#'
#' @section Standard errors:
#' `vcov = "iid"` inverts the information matrix: the expected (Fisher)
#' information by default, as `glm()` (and fixest's `feglm()`) report, or the
#' observed information (the negative Hessian, as Stata's `probit` reports)
#' with `information = "observed"`; for the logit the two coincide.
#' `"hc1"` and `"cluster"` are sandwiches on the same bread with the scores
#' \eqn{w_i \lambda_i x_i}, through the package's variance engine, with
#' \eqn{n/(n-K)} and \eqn{G/(G-1) (n-1)/(n-K)} factors, so they equal
#' `sandwich::vcovHC(type = "HC1")` and `sandwich::vcovCL(type = "HC1")`.
#' Tests are z tests.
#'
#' @section Separation:
#' When a combination of the regressors predicts the outcome perfectly for
#' every observation (complete separation) the maximum likelihood estimate does
#' not exist: an `exportres_error`. When it does so for some observations
#' (fitted probabilities within 1e-10 of 0 or 1) an `exportres_warning` says
#' how many, as `glm()` does.
#'
#' @param formula `y ~ x1 + x2`, `y` coded 0/1 (or logical).
#' @param data a data frame.
#' @param weights a column name or numeric vector of non-negative weights.
#' @param cluster,vcov,ssc as in [fe_reg()] (`vcov = NULL`: iid unless
#'   `cluster` is given).
#' @param information `"expected"` (default, as glm) or `"observed"`.
#' @param control list: `maxit` (default 100) and `tol` (Newton decrement,
#'   default 1e-20).
#' @return An object of class `c("exr_binary", "exr_model")` with
#'   `coefficients`, `vcov`, `link`, `fitted.values` (probabilities) and
#'   `linear.predictors` aligned with the rows of `data`, `stats`
#'   (`logLik`, `pseudo.r.squared` (McFadden), `n_iter`) and the fields of
#'   every model.
#' @examples
#' set.seed(1)
#' d <- data.frame(x = rnorm(500), z = rnorm(500))
#' d$y <- as.numeric(0.5 + d$x - 0.5 * d$z + rnorm(500) > 0)
#' fit <- probit(y ~ x + z, d)
#' fit
#' logLik(fit)
#' logit(y ~ x + z, d, vcov = "hc1")
#' @export
probit <- function(formula, data, weights = NULL, cluster = NULL, vcov = NULL, ssc = NULL,
                   information = c("expected", "observed"), control = list()) {
  binary_model(formula, data, "probit", weights, cluster, vcov, ssc, information, control,
               match.call())
}

#' @rdname probit
#' @export
logit <- function(formula, data, weights = NULL, cluster = NULL, vcov = NULL, ssc = NULL,
                  information = c("expected", "observed"), control = list()) {
  binary_model(formula, data, "logit", weights, cluster, vcov, ssc, information, control,
               match.call())
}

binary_model <- function(formula, data, link, weights, cluster, vcov, ssc, information, control,
                         call) {
  information <- match_choice(information, c("expected", "observed"), "information")
  vcov <- vcov_choice(vcov)
  ssc <- as_ssc(ssc)
  fml <- parse_fixest_formula(formula)
  if (length(fml$fe) || !is.null(fml$endo)) {
    exr_error("formula", "a binary-choice model takes no fixed effects or IV part.")
  }
  d <- build_design(fml, data, cluster = cluster, weights = weights, singletons = "keep")
  fit <- binary_fit_design(d$X, d$y, d$weights, link, control)
  type <- resolve_vcov_type(vcov, d$cluster, list())
  V <- binary_vcov(fit, d, information, type, ssc)
  p <- fit$probabilities
  ll0 <- binary_null_loglik(d$y, d$weights)
  stats <- list(logLik = fit$loglik, pseudo.r.squared = 1 - fit$loglik / ll0, n_iter = fit$iterations)
  new_exr_model("binary", fit$coefficients, V$vcov, length(d$y), call, formula,
                cluster = V$cluster_names, vcov_type = type, df_t = Inf, stats = stats,
                keep = d$keep, per_row = list(fitted.values = p, linear.predictors = fit$eta),
                depvar = d$lhs_name, link = link, information = information,
                n_clusters = V$n_clusters, df_loglik = length(fit$coefficients),
                collinear = fit$collinear, n_dropped = d$n_na + d$n_zero_weight,
                weights = d$weights, converged = fit$converged)
}

# The binary kernel on a design matrix: the one entry point for every
# estimator with a probit or logit step. Collinear columns are dropped by the
# package's rule first; outcomes must be 0/1; separation is an error
# (complete) or a warning (quasi-complete).
binary_fit_design <- function(X, y, weights, link, control = list(), arg = "formula") {
  ctl <- list(maxit = 100L, tol = 1e-20)
  if (!is.list(control) || length(setdiff(names(control), names(ctl)))) {
    exr_error("control", "expected a list with elements maxit and tol.")
  }
  ctl[names(control)] <- control
  if (!all(y == 0 | y == 1)) exr_error(arg, "the outcome of a binary-choice model must be 0/1.")
  if (all(y == 0) || all(y == 1)) {
    exr_error(arg, "the outcome of a binary-choice model has only ",
              if (all(y == 0)) "zeros" else "ones", "; nothing to estimate.")
  }
  dc <- drop_collinear(X, weights)
  Xk <- dc$X
  if (!ncol(Xk)) exr_error(arg, "a binary-choice model needs at least one regressor or an intercept.")
  # start at the constant-only fit (one Newton step fewer than zeros)
  start <- NULL
  icpt <- which(colnames(Xk) == "(Intercept)")
  if (length(icpt) == 1L) {
    ybar <- if (is.null(weights)) mean(y) else sum(weights * y) / sum(weights)
    start <- numeric(ncol(Xk))
    start[icpt] <- if (link == "probit") stats::qnorm(ybar) else stats::qlogis(ybar)
  }
  r <- .Call(C_binary_fit, Xk, as.double(y), weights, if (link == "probit") 0L else 1L, start,
             as.double(c(ctl$maxit, ctl$tol)))
  n <- length(y)
  if (r$status == 2L && r$n_certain >= n) {
    exr_error(arg, "complete separation: the regressors predict the outcome perfectly, ",
              "so the maximum likelihood estimate does not exist.")
  }
  if (r$status == 3L) {
    exr_error(arg, "the information matrix is singular (perfectly predicted outcomes?).")
  }
  if (r$status == 2L) {
    exr_warning(arg, r$n_certain, " observation(s) predicted with probability numerically 0 or 1 ",
                "(quasi-complete separation?); their coefficients may be unbounded.")
  }
  converged <- r$status != 1L
  if (!converged) {
    exr_warning("control", "the Newton iterations did not converge in ", ctl$maxit, " steps.")
  }
  eta <- r$eta
  b <- stats::setNames(r$coefficients, colnames(Xk))
  dn <- list(colnames(Xk), colnames(Xk))
  list(coefficients = b, loglik = r$loglik, eta = eta,
       probabilities = if (link == "probit") stats::pnorm(eta) else stats::plogis(eta),
       info_observed = structure(r$info_observed, dimnames = dn),
       info_expected = structure(r$info_expected, dimnames = dn),
       X = Xk, y = y, weights = weights, link = link, iterations = r$iterations,
       converged = converged, collinear = dc$dropped)
}

# Per-observation scores w_i * d l_i / d eta_i * x_i of a fitted binary model.
binary_scores <- function(fit) {
  eta <- fit$eta
  y <- fit$y
  s <- if (fit$link == "probit") {
    q <- 2 * y - 1
    q * exp(stats::dnorm(q * eta, log = TRUE) - stats::pnorm(q * eta, log.p = TRUE))
  } else {
    y - fit$probabilities
  }
  if (!is.null(fit$weights)) s <- s * fit$weights
  fit$X * s
}

binary_vcov <- function(fit, d, information, type, ssc) {
  info <- if (information == "observed") fit$info_observed else fit$info_expected
  # under quasi-complete separation the information can be numerically
  # singular: the variances are then not available (NA), as already warned
  bread <- tryCatch(chol2inv(chol(info)), error = function(e) info * NA_real_)
  dimnames(bread) <- dimnames(info)
  cl <- resolve_clusters(type, d$cluster, list())
  vcov_engine(bread, binary_scores(fit), type, cl, n = length(fit$y),
              K = length(fit$coefficients), sigma2 = 1, ssc = ssc)
}

binary_null_loglik <- function(y, w) {
  if (is.null(w)) w <- rep(1, length(y))
  p <- sum(w * y) / sum(w)
  sum(w * (y * log(p) + (1 - y) * log(1 - p)))
}
