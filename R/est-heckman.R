# Heckman's (1979) two-step estimator of the sample-selection model: a probit
# selection equation (the package's binary kernel), the inverse Mills ratio,
# and the outcome equation by least squares on the selected rows, with
# absorbed fixed effects when asked. Variances: Heckman's/Greene's corrected
# formula for the cross-section (equal to sampleSelection::heckit), the
# package's engine for the second step, or a cluster bootstrap of both steps
# in C (src/iv.c).

#' Heckman two-step selection model
#'
#' Step 1: a probit of the selection indicator (the left-hand side of
#' `selection`, 0/1) on the selection regressors, on every row where they are
#' observed (fitted in C by [probit()]'s kernel). Step 2: least squares of the
#' outcome on its regressors and the inverse Mills ratio
#' \eqn{\lambda_i = \phi(w_i'\hat\gamma)/\Phi(w_i'\hat\gamma)} (the generated
#' regressor `imr`, placed after the others) on the selected rows, with fixed
#' effects absorbed when the outcome formula has them (`y ~ x | city + year`).
#' The coefficient of `imr` is \eqn{\beta_\lambda = \rho\sigma}; `sigma`
#' \eqn{\hat\sigma^2 = e'e/N_1 + \beta_\lambda^2 \bar\delta} with
#' \eqn{\delta_i = \lambda_i(\lambda_i + w_i'\hat\gamma)}, and `rho`
#' \eqn{= \beta_\lambda/\hat\sigma} (not truncated to \eqn{[-1, 1]}), as
#' sampleSelection reports them.
#'
#' @section Standard errors:
#' * `vcov = "heckman"` (the default without fixed effects and clusters): the
#'   Heckman (1979) / Greene (1981) variance that accounts for the
#'   heteroskedasticity of the selected errors and for the estimated
#'   \eqn{\hat\gamma}:
#'   \eqn{\hat\sigma^2 B [X_*'(I-\hat\rho^2\Delta)X_* + \hat\rho^2 F V_\gamma F'] B},
#'   \eqn{B = (X_*'X_*)^{-1}}, \eqn{F = X_*'\Delta W}, \eqn{V_\gamma} the
#'   inverse observed information of the probit; equal to
#'   `sampleSelection::heckit()`, whose t tests (with its degrees of freedom,
#'   the number of observations minus the parameters plus one) are kept.
#' * `"iid"`, `"hc1"`, `"cluster"` (the default when `cluster` is given or the
#'   outcome has fixed effects): the variance of the second step alone,
#'   through the package's engine with fixest's conventions, as a
#'   fixed-effects regression with `imr` as a regressor. It ignores the
#'   estimation error of \eqn{\hat\gamma}; `boot` accounts for it.
#' * `boot = B` (e.g. 999): a cluster bootstrap of both steps (clusters drawn
#'   with replacement by `cluster`, its first variable, or rows without
#'   `cluster`; the probit, the inverse Mills ratio and the fixed-effects
#'   second step redone on every draw, fixed effects nested in the cluster
#'   getting new levels in every copy of a cluster), in C, in parallel over
#'   `cores`; the draws come from R's random numbers, so `set.seed()`
#'   reproduces them whatever `cores`. The variance is then the draws'
#'   covariance, with z tests; `$boot` holds the draws.
#'
#' A message says so when every selection regressor is also an outcome
#' regressor: identification then rests on the nonlinearity of the inverse
#' Mills ratio alone.
#'
#' @param selection `s ~ w1 + w2`: the selection indicator (0/1, logical) and
#'   the probit's regressors (at least one of them, the exclusion
#'   restriction, should not be in `outcome`).
#' @param outcome `y ~ x1 + x2` or `y ~ x1 + x2 | fe1 + fe2`; `y` is used only
#'   where the selection indicator is 1 (it may be `NA` elsewhere).
#' @param data a data frame (or [exr_panel()]).
#' @param cluster,weights,panel,ssc,singletons,fixef_tol,fixef_maxit as in [fe_reg()].
#' @param vcov `"heckman"`, `"iid"`, `"hc1"` or `"cluster"`; `NULL` picks
#'   `"heckman"` for a cross-section without clusters, else as [fe_reg()].
#' @param boot number of cluster-bootstrap draws of both steps (0: none).
#' @param cores threads for the bootstrap and the demeaning.
#' @param control list for the probit (`maxit`, `tol`), as in [probit()].
#' @return An object of class `c("exr_heckman", "exr_model")`: the outcome
#'   coefficients (`imr` last) and their variance, `probit` (the selection
#'   equation, an `exr_binary` model whose variance is the inverse observed
#'   information, as heckit's probit and Stata's heckman report it), `lambda`, `sigma`, `rho`, `imr` (aligned
#'   with the rows of `data`), `boot` (the draws, when `boot > 0`), `stats`
#'   (`lambda`, `sigma`, `rho`, `r.squared`, `adj.r.squared`,
#'   `within.r.squared`, `n_selected`, `n_censored`) and the fields of every model.
#' @seealso [probit()], [fe_reg()], [iv_reg()].
#' @examples
#' set.seed(2)
#' n <- 1000
#' d <- data.frame(x = rnorm(n), z = rnorm(n))
#' e <- matrix(rnorm(2 * n), n) %*% chol(matrix(c(1, 0.5, 0.5, 1), 2))
#' d$s <- as.integer(0.3 + d$x + d$z + e[, 1] > 0)
#' d$y <- ifelse(d$s == 1, 1 + 0.5 * d$x + e[, 2], NA)
#' fit <- heckman_2step(s ~ x + z, y ~ x, d)
#' fit
#' fit$probit
#' @export
heckman_2step <- function(selection, outcome, data, cluster = NULL, vcov = NULL, weights = NULL,
                          panel = NULL, boot = 0L, ssc = NULL, singletons = c("drop", "keep"),
                          fixef_tol = 1e-10, fixef_maxit = 10000L,
                          cores = getOption("exportres.cores", 1L), control = list()) {
  call <- match.call()
  singletons <- match_choice(singletons, c("drop", "keep"), "singletons")
  if (!is.null(vcov)) vcov <- match_choice(vcov, c("heckman", "iid", "hc1", "cluster"), "vcov")
  ssc <- as_ssc(ssc)
  cores <- check_cores(cores)
  check_fixef_control(fixef_tol, fixef_maxit)
  if (!is.numeric(boot) || length(boot) != 1L || is.na(boot) || boot < 0 || boot != round(boot)) {
    exr_error("boot", "expected a non-negative whole number of bootstrap draws.")
  }
  sel <- parse_fixest_formula(selection, "selection")
  if (length(sel$fe) || !is.null(sel$endo)) {
    exr_error("selection", "the selection equation takes no fixed effects or IV part.")
  }
  out <- parse_fixest_formula(outcome, "outcome")
  if (!is.null(out$endo)) exr_error("outcome", "the outcome equation takes no IV part.")

  # step 1: the probit on every row where the selection equation is observed
  d1 <- build_design(sel, data, panel = panel, cluster = cluster, weights = weights,
                     singletons = "keep")
  s <- d1$y
  if (!all(s %in% c(0, 1))) exr_error("selection", "the selection indicator must be 0/1.")
  if (all(s == 1)) {
    exr_error("selection", "the outcome is observed (selection indicator 1) for every row: ",
              "there is no selection to correct for; use fe_reg().")
  }
  if (all(s == 0)) exr_error("selection", "the selection indicator is 0 for every row.")
  pfit <- binary_fit_design(d1$X, s, d1$weights, "probit", control, arg = "selection",
                            expected = FALSE)
  # the inverse Mills ratio, phi/Phi of the index, stable in the lower tail
  imr1 <- exp(stats::dnorm(pfit$eta, log = TRUE) - stats::pnorm(pfit$eta, log.p = TRUE))

  # step 2: the selected rows where the outcome equation is observed
  n_all <- nrow(data)
  rows1 <- which(d1$keep)
  sel_rows <- rep(FALSE, n_all)
  sel_rows[rows1[s == 1]] <- TRUE
  imr_all <- rep(NA_real_, n_all)
  imr_all[rows1] <- imr1
  d2 <- build_design(out, data, panel = panel, cluster = cluster, weights = weights,
                     singletons = singletons, subset = sel_rows)
  row2 <- cumsum(d1$keep)[d2$keep]      # each outcome row's position among the probit rows
  X2 <- cbind(d2$X, imr = imr_all[d2$keep])
  if ("imr" %in% colnames(d2$X)) exr_error("outcome", "a regressor is already named 'imr'.")
  fit <- fit_within(d2, fixef_tol, fixef_maxit, cores, X = X2)
  if (!fit$kept[ncol(X2)]) {
    exr_error("selection", "the inverse Mills ratio is collinear with the outcome regressors ",
              "(or absorbed by the fixed effects): the model is not identified.")
  }
  sel_vars <- setdiff(colnames(pfit$X), "(Intercept)")
  if (!length(setdiff(sel_vars, colnames(d2$X)))) {
    message("exportres: the selection equation has no variable excluded from the outcome ",
            "equation; identification rests on the nonlinearity of the inverse Mills ratio alone.")
  }

  b <- fit$coef_all[fit$kept]
  n2 <- length(d2$y)
  e <- fit$residuals
  xb2 <- pfit$eta[row2]
  lam2 <- imr1[row2]
  delta <- lam2 * (lam2 + xb2)
  blam <- unname(b["imr"])
  wv <- if (is.null(d2$weights)) rep(1, n2) else d2$weights
  sigma <- sqrt(sum(wv * e^2) / sum(wv) + blam^2 * sum(wv * delta) / sum(wv))
  rho <- blam / sigma

  type <- if (is.null(vcov)) {
    if (!length(d2$fe) && !length(d2$cluster)) "heckman" else resolve_vcov_type(NULL, d2$cluster, d2$fe)
  } else {
    resolve_vcov_type(vcov, d2$cluster, d2$fe)
  }
  Vout <- if (type == "heckman") {
    if (length(d2$fe)) {
      exr_error("vcov", "the Heckman-Greene variance is for the cross-section; with fixed effects ",
                "use \"cluster\" (second step) and `boot` (both steps).")
    }
    if (!is.null(d2$weights)) exr_error("vcov", "the Heckman-Greene variance takes no weights.")
    heckman_greene_vcov(fit, pfit, row2, delta, sigma, rho, n_all = length(s))
  } else {
    cl <- resolve_clusters(type, d2$cluster, d2$fe)
    u <- if (is.null(d2$weights)) e else d2$weights * e
    K <- param_count(fit$rank, d2$fe, cl, ssc)
    vcov_engine(fit$bread, ls_scores(fit$Xd, u), type, cl, n = n2, K = K,
                sigma2 = ls_sigma2(sum(u * e), n2, K, ssc), ssc = ssc)
  }
  draws <- NULL
  if (boot > 0) {
    if (!is.null(d2$weights)) exr_error("boot", "the bootstrap takes no weights.")
    draws <- heckman_bootstrap(d1, d2, pfit, fit, X2, row2, as.integer(boot), fixef_tol,
                               fixef_maxit, cores, control)
    ok <- stats::complete.cases(draws)
    if (sum(ok) < 2L) exr_error("boot", "fewer than two bootstrap draws could be fitted.")
    if (any(!ok)) {
      exr_warning("boot", sum(!ok), " of ", boot, " bootstrap draws failed (probit or ",
                  "second step not estimable) and were left out.")
    }
    Vb <- stats::cov(draws[ok, , drop = FALSE])
    dimnames(Vb) <- list(names(b), names(b))
    Vout <- list(vcov = Vb, df_t = Inf, n_clusters = Vout$n_clusters,
                 cluster_names = attr(draws, "cluster_name"))
    type <- "bootstrap"
  }
  K_all <- param_count(fit$rank, d2$fe, list(), exr_ssc(K_fixef = "full"))
  st <- ls_stats(fit, d2, sum(wv * e^2), K_all)
  st <- st[intersect(names(st), c("r.squared", "adj.r.squared", "within.r.squared", "n_groups"))]
  stats <- c(list(lambda = blam, sigma = sigma, rho = rho), st,
             list(n_selected = n2, n_censored = sum(s == 0)))
  # the selection equation's own variance from the observed information, as
  # heckit's probit (maxLik) and Stata's heckman report it
  probit_model <- binary_result(pfit, d1, NULL, "observed", ssc, call, selection)
  new_exr_model("heckman", b, Vout$vcov, n2, call, outcome, fixef = names(d2$fe),
                cluster = Vout$cluster_names, vcov_type = type, df_t = Vout$df_t, stats = stats,
                keep = d2$keep, per_row = list(fitted.values = d2$y - e, residuals = e),
                depvar = d2$lhs_name, fixef_sizes = fit$fe_sizes, n_clusters = Vout$n_clusters,
                ssc = ssc, collinear = fit$collinear, n_dropped = d2$n_na + d2$n_zero_weight,
                n_singletons = d2$n_singletons, iterations = fit$iterations,
                converged = fit$converged, probit = probit_model, lambda = blam, sigma = sigma,
                rho = rho, imr = imr_all, boot = draws, n_boot = boot)
}

# Heckman's (1979) corrected variance in Greene's (1981) form, as
# sampleSelection::heckitVcov computes it (the probit's inverse observed
# information for V_gamma); sigma and rho get none.
heckman_greene_vcov <- function(fit, pfit, row2, delta, sigma, rho, n_all) {
  Xs <- fit$Xd
  B <- fit$bread
  W <- pfit$X[row2, , drop = FALSE]
  Vg <- solve(pfit$info_observed)
  Fm <- crossprod(Xs, delta * W)
  mid <- crossprod(Xs, (1 - rho^2 * delta) * Xs) + rho^2 * Fm %*% Vg %*% t(Fm)
  V <- sigma^2 * B %*% mid %*% B
  V <- (V + t(V)) / 2
  dimnames(V) <- dimnames(B)
  # sampleSelection's t tests: observations minus free parameters (both
  # equations, sigma and rho) plus one
  list(vcov = V, df_t = n_all - ncol(W) - ncol(Xs) - 1, n_clusters = NULL, cluster_names = NULL)
}

# The cluster bootstrap of both steps, in C. Clusters (the first cluster
# variable, or rows) are drawn here with R's RNG, all before the parallel work.
heckman_bootstrap <- function(d1, d2, pfit, fit, X2, row2, B, fixef_tol, fixef_maxit, cores,
                              control) {
  n1 <- length(d1$y)
  if (length(d1$cluster)) {
    cl1 <- d1$cluster[[1L]]
    cname <- names(d1$cluster)[1L]
  } else {
    cl1 <- seq_len(n1)
    cname <- NULL
  }
  G <- max(cl1)
  if (G < 2L) exr_error("cluster", "the bootstrap needs at least two clusters.")
  draws <- matrix(sample.int(G, G * B, replace = TRUE), G, B)
  nested <- if (length(d2$fe)) {
    as.integer(fe_nested_in_cluster(d2$fe, list(.boot = cl1[row2])))
  } else {
    integer(0)
  }
  Xk <- X2[, fit$kept, drop = FALSE]
  Xk <- Xk[, colnames(Xk) != "imr", drop = FALSE]
  ctl <- list(maxit = 100L, tol = 1e-20)
  ctl[names(control)] <- control
  res <- .Call(C_heckman_boot, pfit$X, as.double(d1$y), as.integer(cl1), Xk, d2$y,
               as.integer(row2), unname(d2$fe), nested, draws, unname(pfit$coefficients),
               as.double(c(fixef_tol, fixef_maxit, cores, ctl$maxit, ctl$tol, collinear_tol)))
  colnames(res) <- c(colnames(Xk), "imr")
  attr(res, "cluster_name") <- cname
  res
}

#' @export
print.exr_heckman <- function(x, digits = 4, ...) {
  NextMethod()
  s <- x$stats
  fmt <- function(v) formatC(v, digits = digits, format = "f")
  cat(sprintf("Selection (probit): %s observations, %s selected; lambda (imr) = %s, sigma = %s, rho = %s\n",
              format(x$probit$nobs, big.mark = ","), format(s$n_selected, big.mark = ","),
              fmt(s$lambda), fmt(s$sigma), fmt(s$rho)))
  if (x$vcov_type %in% c("iid", "hc1", "cluster")) {
    cat("Note: second-step standard errors; they ignore the estimation of the selection",
        "equation (use `boot` for both steps).\n")
  } else if (x$vcov_type == "bootstrap") {
    cat(sprintf("Standard errors: bootstrap of both steps, %d draws%s\n", x$n_boot,
                if (length(x$cluster)) paste0(", clusters of ", x$cluster) else ""))
  }
  invisible(x)
}
