# The imputation estimator of Borusyak, Jaravel and Spiess (2024) for staggered
# adoption: fit the untreated potential outcome with unit and period fixed
# effects (and covariates) on the untreated observations only, with the
# package's demeaning and least squares; impute it for the treated
# observations; average the differences. Its conservative standard errors need
# the estimator's implied weights on the untreated observations, a
# least-squares solve on the fixed effects, done by the same kernel
# (fe_solve in src/demean.c).

#' The imputation estimator for staggered adoption (Borusyak, Jaravel and Spiess 2024)
#'
#' Estimates the untreated potential outcome \eqn{Y_{it}(0) = \alpha_i +
#' \lambda_t + x_{it}'\beta} by least squares on the untreated (never-treated
#' and not-yet-treated) observations only, imputes it for every treated
#' observation, and averages the differences \eqn{\hat\tau_{it} = Y_{it} -
#' \hat Y_{it}(0)}: over all treated observations (`ATT`) and, with
#' `horizons`, over those \eqn{e} periods after adoption (`event::e`). Unlike
#' two-way fixed effects, no treated observation serves as a control, so
#' effects that vary over time and across adoption groups are averaged with
#' the weights the estimand asks for. Estimates and standard errors equal
#' those of the \pkg{didimputation} package (`did_imputation()`).
#'
#' @section Standard errors:
#' The conservative clustered variance of Borusyak, Jaravel and Spiess
#' (2024, Theorem 3 and eq. 8-10): the estimator is linear in the outcomes,
#' \eqn{\hat\tau_w = \sum_{it} v_{it} Y_{it}}, with \eqn{v_{it} = w_{it}} on
#' treated observations and \eqn{v = -Z_0 (Z_0'Z_0)^{-1} Z_1' w_1} on untreated
#' ones (computed by a fixed-effect solve, not a dense inverse); the variance
#' is \eqn{\sum_c (\sum_{it \in c} v_{it} \tilde\varepsilon_{it})^2} over
#' clusters (units by default), where \eqn{\tilde\varepsilon} are the
#' first-stage residuals for untreated observations and, for treated ones,
#' \eqn{\hat\tau_{it}} minus the \eqn{v^2}-weighted mean of \eqn{\hat\tau} in
#' its adoption group and event time. No small-sample factor; z tests (as
#' didimputation). The covariances between the estimates are computed the same
#' way.
#'
#' @section Pre-trend test:
#' With `pretrends`, the regression of the untreated observations' outcomes on
#' the fixed effects, the covariates and indicators for the given (negative)
#' event times is fitted with [fe_reg()]'s standard errors clustered as
#' `cluster` (as didimputation does with fixest); its coefficients are in
#' `pretrends` (an `exr_fe` fit) and in [event_estimates()], and the F test
#' that they are all zero (Wald statistic over their number, \eqn{G - 1}
#' denominator degrees of freedom) in [glance()] (`pretrend_stat`,
#' `pretrend_df`, `pretrend_p`).
#'
#' @param formula `y ~ 1` or `y ~ x1 + x2`; optionally with fixed effects
#'   `y ~ x | unit + year` (default: the unit and time of `panel`).
#' @param data a data frame (or [exr_panel()]).
#' @param panel `c(id, time)` column names (unless `data` is an `exr_panel`).
#' @param adopt name of the column with each unit's first treated period (`NA`,
#'   `0` or `Inf`: never treated).
#' @param horizons `NULL` (only the overall ATT), `TRUE` (every event time
#'   from 0 on), or the event times (>= 0) to estimate.
#' @param pretrends `NULL` (none), `TRUE` (every pre-adoption event time
#'   observed) or the negative event times to test.
#' @param cluster cluster variable (formula or column name); default the unit.
#' @param fixef_tol,fixef_maxit convergence of the fixed-effect solves.
#' @param cores threads for the fixed-effect solves.
#' @return An object of class `c("exr_imputation", "exr_model")`: coefficients
#'   `ATT` and `event::e`, their variance, `estimates` (a data frame: `term`,
#'   `event`, `estimate`, `std.error`, `conf.low`, `conf.high`, `n_obs`),
#'   `pretrends` (an `exr_fe` fit or `NULL`), `effects` (the imputed
#'   \eqn{\hat\tau_{it}}, aligned with the rows of `data`, `NA` for untreated or
#'   unused rows), and the fields of every model.
#' @references Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting
#'   event-study designs: robust and efficient estimation. *Review of Economic
#'   Studies* 91(6), 3253-3285.
#' @seealso [att_gt()], [plot_event_studies()].
#' @examples
#' set.seed(1)
#' sim <- expand.grid(id = 1:200, year = 1:8)
#' sim$adopt <- c(4, 6, NA)[(sim$id %% 3) + 1]
#' on <- !is.na(sim$adopt) & sim$year >= sim$adopt
#' sim$y <- rnorm(200)[sim$id] + 0.2 * sim$year + ifelse(on, 1 + 0.3 * (sim$year - sim$adopt), 0) +
#'   rnorm(nrow(sim))
#' fit <- did_imputation(y ~ 1, sim, panel = c("id", "year"), adopt = "adopt",
#'                       horizons = TRUE, pretrends = -3:-1)
#' fit
#' glance(fit)
#' @export
did_imputation <- function(formula, data, panel = NULL, adopt, horizons = NULL, pretrends = NULL,
                           cluster = NULL, fixef_tol = 1e-10, fixef_maxit = 10000L,
                           cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  cores <- check_cores(cores)
  fml <- parse_fixest_formula(formula)
  if (!is.null(fml$endo)) exr_error("formula", "did_imputation() takes no IV part.")
  check_data_frame(data)
  pv <- panel_vars(data, panel)
  if (is.null(pv)) exr_error("panel", "did_imputation() needs `panel = c(id, time)` or an exr_panel.")
  if (!length(fml$fe)) {
    fml$fe <- pv
    fml$intercept <- FALSE
  }
  if (is.null(cluster)) cluster <- pv[1L]
  d <- build_design(fml, data, panel = pv, cluster = cluster, singletons = "keep")
  rows <- which(d$keep)
  tm <- as.numeric(data[[pv[2L]]][rows])
  uid <- codes_of(data[[pv[1L]]][rows])
  g <- adoption_of(data, adopt, rows, uid, tm)
  treat <- is.finite(g) & tm >= g
  if (!any(treat)) exr_error(adopt, "no observation is treated.")
  if (all(treat)) exr_error(adopt, "no untreated observation to fit the untreated outcomes on.")
  event <- tm - g
  u0 <- which(!treat)
  fe0 <- lapply(d$fe, `[`, u0)
  nlev <- vapply(d$fe, function(v) max(v), integer(1))

  # first stage: covariates by least squares within the fixed effects, on the
  # untreated observations
  k <- ncol(d$X)
  beta <- numeric(0)
  fit <- NULL
  if (k > 0L) {
    d0 <- list(fe = lapply(fe0, codes_of), weights = NULL)
    fit <- fit_within(d0, fixef_tol, fixef_maxit, cores, X = d$X[u0, , drop = FALSE],
                      y = d$y[u0], what = NULL)
    if (length(fit$collinear)) {
      exr_error("formula", "covariate(s) ", paste(fit$collinear, collapse = ", "),
                " absorbed by the fixed effects (constant within every unit or period) or ",
                "collinear on the untreated observations: remove them.")
    }
    beta <- fit$coef_all
  }
  xb <- if (k > 0L) drop(d$X %*% beta) else 0
  r0 <- d$y[u0] - (if (k > 0L) xb[u0] else 0)
  sol <- imputation_fe_solve(matrix(r0), fe0, fe0, nlev, fixef_tol, fixef_maxit, cores)
  fe_fit <- fe_fitted(sol$coef[, 1L], d$fe, nlev)
  adj <- d$y - xb - fe_fit
  # treated observations whose unit or period has no untreated observation
  # cannot be imputed (didimputation drops them too)
  seen <- lapply(seq_along(d$fe), function(q) tabulate(fe0[[q]], nbins = nlev[q]) > 0)
  imputable <- Reduce(`&`, lapply(seq_along(d$fe), function(q) seen[[q]][d$fe[[q]]]))
  drop_t <- treat & !imputable
  if (any(drop_t)) {
    exr_warning(adopt, sum(drop_t), " treated observation(s) could not be imputed (their unit or ",
                "period has no untreated observation) and are left out.")
  }
  t1 <- which(treat & imputable)
  if (!length(t1)) exr_error(adopt, "no treated observation can be imputed.")

  # weights of the estimands on the treated observations
  ev1 <- event[t1]
  hz <- imputation_horizons(horizons, ev1)
  W1 <- cbind(rep(1 / length(t1), length(t1)),
              vapply(hz, function(e) (ev1 == e) / sum(ev1 == e), numeric(length(t1))))
  colnames(W1) <- c("ATT", if (length(hz)) paste0("event::", format(hz, trim = TRUE)))
  est <- drop(crossprod(W1, adj[t1]))

  # variance weights v* on the untreated observations (BJS eq. 6)
  V0 <- imputation_v0(W1, t1, u0, d, fe0, nlev, fit, fixef_tol, fixef_maxit, cores)
  # residuals: first stage for untreated, tau minus its v^2-weighted mean in
  # (adoption group, event time) for treated (BJS eq. 10)
  cell <- codes_of(interact_codes(list(codes_of(g[t1]), codes_of(ev1))))
  m <- ncol(W1)
  S <- matrix(0, length(rows), m)
  for (j in seq_len(m)) {
    v2 <- W1[, j]^2
    num <- rowsum(v2 * adj[t1], cell, reorder = TRUE)[, 1L]
    den <- rowsum(v2, cell, reorder = TRUE)[, 1L]
    tbar <- ifelse(den > 0, num / den, 0)
    S[t1, j] <- W1[, j] * (adj[t1] - tbar[cell])
    S[u0, j] <- V0[, j] * adj[u0]
  }
  keep_rows <- sort(c(u0, t1))
  cl <- d$cluster[[1L]][keep_rows]
  bread <- diag(m)
  dimnames(bread) <- list(colnames(W1), colnames(W1))
  V <- vcov_engine(bread, S[keep_rows, , drop = FALSE], "cluster", list(cl = codes_of(cl)),
                   n = length(keep_rows), K = 0,
                   ssc = exr_ssc(K_adj = FALSE, G_adj = FALSE, t_df = "normal"))$vcov
  b <- stats::setNames(est, colnames(W1))

  pre <- imputation_pretrends(pretrends, d, u0, event, call, formula)
  se <- sqrt(pmax(diag(V), 0))
  z <- stats::qnorm(0.975)
  tab <- data.frame(term = names(b), event = c(NA, hz), estimate = unname(b), std.error = se,
                    conf.low = unname(b) - z * se, conf.high = unname(b) + z * se,
                    n_obs = c(length(t1), vapply(hz, function(e) sum(ev1 == e), 0)),
                    row.names = NULL)
  stats <- list(n_treated = length(t1), n_untreated = length(u0),
                n_clusters = length(unique(cl)))
  if (!is.null(pre)) {
    stats$pretrend_stat <- pre$test$stat
    stats$pretrend_df <- pre$test$df
    stats$pretrend_p <- pre$test$p
  }
  effects <- rep(NA_real_, length(rows))
  effects[t1] <- adj[t1]
  keep <- d$keep
  keep[rows[drop_t]] <- FALSE
  new_exr_model("imputation", b, V, length(keep_rows), call, formula, fixef = names(d$fe),
                cluster = names(d$cluster), vcov_type = "imputation", df_t = Inf, stats = stats,
                keep = d$keep, per_row = list(effects = effects), depvar = d$lhs_name,
                estimates = tab, pretrends = pre$fit, beta = beta, panel = pv, adopt = adopt,
                n_dropped = d$n_na, n_not_imputed = sum(drop_t))
}

# The event times of `horizons` (NULL, TRUE or numbers >= 0) among those of the
# treated observations.
imputation_horizons <- function(horizons, ev1) {
  if (is.null(horizons) || isFALSE(horizons)) return(numeric(0))
  have <- sort(unique(ev1))
  if (isTRUE(horizons)) return(have)
  if (!is.numeric(horizons) || anyNA(horizons) || any(horizons < 0) ||
      any(horizons != round(horizons))) {
    exr_error("horizons", "expected NULL, TRUE or whole numbers >= 0 (event times after adoption).")
  }
  miss <- setdiff(horizons, have)
  if (length(miss)) {
    exr_error("horizons", "no treated observation at event time(s) ", paste(miss, collapse = ", "), ".")
  }
  sort(unique(as.numeric(horizons)))
}

# Fixed-effect solve through the shared kernel, with the right-hand side
# rescaled to coefficients of order one (the convergence criterion is relative
# to 0.1 + |coefficient|).
imputation_fe_solve <- function(v, vfe, fe, nlev, tol, maxit, cores) {
  sc <- apply(abs(v), 2L, max)
  sc[!(sc > 0)] <- 1
  r <- .Call(C_fe_solve, sweep(v, 2L, sc, "/"), unname(vfe), unname(fe), as.integer(nlev), NULL,
             as.double(tol), as.integer(maxit), as.integer(cores))
  if (any(r$iterations < 0)) {
    exr_warning("fixef_maxit", "the fixed-effect solve did not converge in ", max(abs(r$iterations)),
                " sweeps; raise `fixef_maxit` or `fixef_tol`.")
  }
  r$coef <- sweep(r$coef, 2L, sc, "*")
  r
}

# Sum of the fixed-effect coefficients of each row (coef stacked by factor).
fe_fitted <- function(coef, fe, nlev) {
  off <- c(0L, cumsum(nlev))
  out <- 0
  for (q in seq_along(fe)) out <- out + coef[off[q] + fe[[q]]]
  out
}

# v* on the untreated observations for each column of W1 (weights on the
# treated rows t1): -h - Xd0 (Xd0'Xd0)^{-1} (X1'w1 - X0'h), with h the
# fixed-effect projection of the weights (BJS eq. 6 by partitioned regression).
imputation_v0 <- function(W1, t1, u0, d, fe0, nlev, fit, tol, maxit, cores) {
  fe1 <- lapply(d$fe, `[`, t1)
  sol <- imputation_fe_solve(W1, fe1, fe0, nlev, tol, maxit, cores)
  H <- vapply(seq_len(ncol(W1)), function(j) fe_fitted(sol$coef[, j], fe0, nlev), numeric(length(u0)))
  if (!is.matrix(H)) H <- matrix(H, nrow = length(u0))
  if (is.null(fit)) return(-H)
  X1 <- d$X[t1, , drop = FALSE]
  X0 <- d$X[u0, , drop = FALSE]
  C <- crossprod(X1, W1) - crossprod(X0, H)
  -H - fit$Xd %*% (fit$bread %*% C)
}

# The pre-trend regression on the untreated observations: fixed effects,
# covariates and one indicator per tested (negative) event time, clustered,
# as fe_reg() (fixest) computes it; and the F test that the indicators are 0.
imputation_pretrends <- function(pretrends, d, u0, event, call, formula) {
  if (is.null(pretrends) || isFALSE(pretrends)) return(NULL)
  ev0 <- event[u0]
  have <- sort(unique(ev0[is.finite(ev0) & ev0 < 0]))
  if (isTRUE(pretrends)) {
    # every pre-adoption event time but the earliest (with unit effects, all of
    # them are collinear with the treated units' effects)
    pre <- have[-1L]
  } else {
    if (!is.numeric(pretrends) || anyNA(pretrends) || any(pretrends >= 0) ||
        any(pretrends != round(pretrends))) {
      exr_error("pretrends", "expected NULL, TRUE or negative whole numbers (event times before adoption).")
    }
    miss <- setdiff(pretrends, have)
    if (length(miss)) {
      exr_error("pretrends", "no untreated observation at event time(s) ", paste(miss, collapse = ", "), ".")
    }
    pre <- sort(unique(as.numeric(pretrends)))
  }
  if (!length(pre)) exr_error("pretrends", "no pre-adoption event time to test.")
  L <- outer(ev0, pre, "==") + 0
  L[is.na(L)] <- 0
  colnames(L) <- paste0("event::", format(pre, trim = TRUE))
  X0 <- cbind(d$X[u0, , drop = FALSE], L)
  keep <- d$keep
  keep[which(d$keep)[-u0]] <- FALSE
  dp <- d
  dp$y <- d$y[u0]
  dp$X <- X0
  dp$fe <- lapply(d$fe, function(v) codes_of(v[u0]))
  dp$cluster <- lapply(d$cluster, function(v) codes_of(v[u0]))
  dp$keep <- keep
  dp$weights <- NULL
  pfit <- fit_within(dp, X = X0, y = dp$y)
  m <- fe_model(pfit, dp, NULL, exr_ssc(), call, formula)
  b <- m$coefficients[intersect(colnames(L), names(m$coefficients))]
  Vp <- m$vcov[names(b), names(b), drop = FALSE]
  test <- list(stat = NA_real_, df = length(b), p = NA_real_)
  if (length(b) && rcond(Vp) > .Machine$double.eps) {
    stat <- drop(crossprod(b, solve(Vp, b))) / length(b)
    test <- list(stat = stat, df = length(b),
                 p = stats::pf(stat, length(b), m$df_t, lower.tail = FALSE))
  }
  list(fit = m, test = test)
}
