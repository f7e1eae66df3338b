#' Linear regression with any number of absorbed fixed effects
#'
#' Ordinary (or weighted) least squares of `y` on regressors with fixed effects
#' absorbed by the within transformation, computed in C. The formula follows
#' fixest: `y ~ x1 + x2 | fe1 + fe2`; `a^b` in the fixed-effects part is the
#' interaction of `a` and `b`. Inside the formula, `l(x, k)`, `f(x, k)` and
#' `d(x)` are the panel lag, lead and difference within unit (see [exr_panel()]),
#' and `i(var, ref = )` expands `var` into one dummy per value except the
#' reference (`i(var, x)` interacts them with `x`), named `var::value` as in
#' fixest. Variables that are not columns of `data` are looked up in the
#' formula's environment, as in [stats::lm()].
#'
#' @section Standard errors:
#' The defaults are fixest's (>= 0.14), so that numbers agree with
#' `fixest::feols()` with no extra argument (they are also those of Stata's
#' reghdfe): `vcov = NULL` clusters by `cluster` when it is given, else assumes
#' iid errors, with or without fixed effects (fixest's default since 0.13;
#' `vcov = "cluster"` without `cluster` clusters by the first fixed effect, as
#' fixest's earlier default did). With panel data you will usually want
#' `cluster = ~id`, as [replicate_tables()] does. The small-sample factor
#' is \eqn{(n-1)/(n-K)}, where \eqn{K} counts the coefficients plus the
#' fixed-effect parameters (\eqn{\sum_q G_q - (Q-1)}), a fixed effect nested in
#' a cluster variable counting as one; clustered variances are multiplied by
#' \eqn{G/(G-1)}, with the smallest \eqn{G} for multi-way clustering (the
#' Cameron-Gelbach-Miller inclusion-exclusion sum, with negative eigenvalues
#' set to zero); `"hc1"` is \eqn{n/(n-K)} times the White sandwich. t tests use
#' \eqn{G-1} degrees of freedom when clustered (smallest \eqn{G}), else
#' \eqn{n-K}. In fixest's terms: `ssc(K.adj = TRUE, K.fixef = "nonnested",
#' G.adj = TRUE, G.df = "min", t.df = "min")`. Other conventions through `ssc`
#' ([exr_ssc()]; `ssc = "ivreg2"` for Stata's large-sample ones).
#' `cluster = ~a^b` clusters on the interaction of `a` and `b`;
#' `cluster = ~a + b` two-way.
#'
#' @section Fixed effects, singletons and collinearity:
#' Fixed effects are absorbed by alternating projections on the group means,
#' accelerated (Irons-Tuck), in coefficient space; one fixed effect is exact.
#' Convergence is reported in `print()`. Singletons (observations alone in a
#' fixed-effect group, which the fixed effect fits perfectly) are dropped
#' iteratively by default, as fixest (>= 0.14, `fixef.rm = "perfect_fit"`) and
#' Stata's reghdfe do, and counted in `print()`; `singletons = "keep"` keeps
#' them. Regressors that are collinear with earlier ones, or absorbed by the
#' fixed effects, are dropped with a message.
#'
#' @section Statistics:
#' [glance()] gives `r.squared`, `adj.r.squared`, `within.r.squared`,
#' `f_stat`/`f_p` (fixest's `fitstat` "f": all regressors and fixed effects
#' against the constant, iid), `within_f_stat`/`within_f_p` (fitstat "wf": the
#' regressors within the fixed effects), `sigma`, `logLik` (the Gaussian
#' log-likelihood; with weights that of the weighted model, as `lm()` computes
#' it, where fixest's ignores the weights) and `n_groups`.
#'
#' @param formula `y ~ x1 + x2 | fe1 + fe2`.
#' @param data a data frame (or [exr_panel()]), or a [psm_match()] result: its
#'   matched rows, weighted by the matching weights (PSM-DID).
#' @param cluster cluster variables: a one-sided formula (`~city`,
#'   `~city + year`, `~province^year`) or column names.
#' @param vcov `"iid"`, `"hc1"` or `"cluster"`; `NULL` picks fixest's default
#'   (see Standard errors).
#' @param weights a column name or a numeric vector of non-negative weights
#'   (rows with weight zero are dropped).
#' @param panel `c(id, time)` column names, needed by `l()`, `f()`, `d()`
#'   unless `data` is an [exr_panel()].
#' @param singletons `"drop"` (default, as fixest and reghdfe) or `"keep"`.
#' @param ssc small-sample conventions: [exr_ssc()] or a preset name.
#' @param fixef_tol,fixef_maxit convergence tolerance and maximum number of
#'   sweeps of the fixed-effect projections.
#' @param cores threads used to demean the columns in parallel.
#' @return An object of class `c("exr_fe", "exr_model")`: a list with
#'   `coefficients`, `vcov`, `se`, `nobs`, `call`, `formula`, `fixef`,
#'   `fixef_sizes`, `cluster`, `vcov_type`, `df_t`, `stats` (see [glance()]),
#'   `fitted.values` and `residuals` aligned with the rows of `data` (`NA` for
#'   dropped rows), `obs` (logical: rows used), `collinear` (dropped regressors),
#'   `n_dropped`, `n_singletons`, `iterations` and `converged`.
#' @seealso [reg_table()] to tabulate fits; [tidy.exr_model()], [glance.exr_model()].
#' @examples
#' set.seed(1)
#' df <- data.frame(firm = rep(1:10, each = 20), year = rep(1:20, 10), x = rnorm(200))
#' df$y <- 0.5 * df$x + rnorm(10)[df$firm] + rnorm(200)
#' fit <- fe_reg(y ~ x | firm + year, df)
#' fit
#' fe_reg(y ~ x | firm + year, df, vcov = "hc1")
#' fe_reg(y ~ l(x, 1) | firm, df, panel = c("firm", "year"))
#' fe_reg(y ~ i(year, x, ref = 1) | firm, df)   # year-specific slopes of x
#' @export
fe_reg <- function(formula, data, cluster = NULL, vcov = NULL, weights = NULL, panel = NULL,
                   singletons = c("drop", "keep"), ssc = NULL, fixef_tol = 1e-10,
                   fixef_maxit = 10000L, cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  singletons <- match_choice(singletons, c("drop", "keep"), "singletons")
  vcov <- vcov_choice(vcov)
  ssc <- as_ssc(ssc)
  cores <- check_cores(cores)
  fml <- parse_fixest_formula(formula)
  if (!is.null(fml$endo)) exr_error("formula", "has an IV part; use iv_reg() for IV models.")
  d <- build_design(fml, data, panel = panel, cluster = cluster, weights = weights,
                    singletons = singletons)
  fit <- fit_within(d, fixef_tol, fixef_maxit, cores)
  # the design's arguments travel with the fit, so that re-estimation on
  # modified data (placebo_test()) rebuilds the same design
  fe_model(fit, d, vcov, ssc, call, formula,
           design_args = list(panel = d$panel, cluster = cluster, singletons = singletons,
                              fixef_tol = fixef_tol, fixef_maxit = fixef_maxit))
}

# Demean (when there are fixed effects) and solve least squares in C. Used by
# every estimator that runs a least-squares step on a design from build_design().
fit_within <- function(d, fixef_tol = 1e-10, fixef_maxit = 10000L, cores = 1L, X = d$X, y = d$y,
                       what = "regressor") {
  check_fixef_control(fixef_tol, fixef_maxit)
  w <- d$weights
  dm <- demean_design(d, y, X, fixef_tol, fixef_maxit, cores)
  ols <- .Call(C_ols_fit, dm$X, dm$y, w, dm$scale, collinear_tol)
  names(ols$coefficients) <- colnames(X)
  kept <- ols$kept
  collinear <- colnames(X)[!kept]
  if (length(collinear) && !is.null(what)) {
    message("exportres: dropped collinear ", what, "(s) (collinear with earlier terms or ",
            "absorbed by the fixed effects): ", paste(collinear, collapse = ", "))
  }
  bread <- ols$bread
  dimnames(bread) <- list(colnames(X)[kept], colnames(X)[kept])
  list(coef_all = ols$coefficients, kept = kept, bread = bread, residuals = ols$residuals,
       Xd = if (all(kept)) dm$X else dm$X[, kept, drop = FALSE], yd = dm$y, rank = ols$rank,
       collinear = collinear, ls_method = ols$method, fixef_tol = fixef_tol,
       fe_sizes = vapply(d$fe, n_groups, integer(1)), iterations = dm$iterations,
       converged = all(dm$iterations >= 0L))
}

# The within transformation of y and the columns of X (identity without fixed
# effects), in C; `scale` holds the columns' squared norms before demeaning, the
# collinearity rule's reference.
demean_design <- function(d, y, X, fixef_tol = 1e-10, fixef_maxit = 10000L, cores = 1L) {
  if (!length(d$fe)) return(list(y = y, X = X, scale = NULL, iterations = integer(0)))
  .Call(C_fe_demean, y, X, unname(d$fe), d$weights, as.double(fixef_tol),
        as.integer(fixef_maxit), as.integer(cores))
}

# The exr_fe model from a least-squares fit on a design: variance through the
# engine, statistics, and the constructor.
fe_model <- function(fit, d, vcov, ssc, call, formula, kind = "fe", nested = NULL, ...) {
  n <- length(d$y)
  type <- resolve_vcov_type(vcov, d$cluster, d$fe)
  cl <- resolve_clusters(type, d$cluster, d$fe)
  e <- fit$residuals
  w <- d$weights
  u <- if (is.null(w)) e else w * e
  K <- param_count(fit$rank, d$fe, cl, ssc, nested)
  K_all <- param_count(fit$rank, d$fe, list(), exr_ssc(K_fixef = "full"))
  ssr <- sum(u * e)
  V <- vcov_engine(fit$bread, ls_scores(fit$Xd, u, fit$Xd_cols), type, cl, n = n, K = K,
                   sigma2 = ls_sigma2(ssr, n, K, ssc), ssc = ssc)
  if (!fit$converged) {
    exr_warning("fixef_maxit", "the fixed-effect projections did not converge in ",
                max(abs(fit$iterations)), " sweeps; raise `fixef_maxit` or `fixef_tol`.")
  }
  new_exr_model(kind, fit$coef_all[fit$kept], V$vcov, n, call, formula,
                fixef = names(d$fe), cluster = V$cluster_names, vcov_type = type,
                df_t = V$df_t, stats = ls_stats(fit, d, ssr, K_all),
                keep = d$keep, per_row = list(fitted.values = d$y - e, residuals = e),
                depvar = d$lhs_name, fixef_sizes = fit$fe_sizes, n_clusters = V$n_clusters,
                n_params = K_all, df_loglik = K_all + 1L, ssc = ssc, weights = d$weights,
                collinear = fit$collinear, n_dropped = d$n_na + d$n_zero_weight,
                n_singletons = d$n_singletons, iterations = fit$iterations,
                converged = fit$converged, ls_method = fit$ls_method, panel = d$panel,
                fixef_tol = fit$fixef_tol, ...)
}

# R2, adjusted and within R2, the F tests, RMSE and the log-likelihood of a
# least-squares fit. f_stat is fixest's fitstat "f" (all regressors and fixed
# effects against the constant), within_f_stat its "wf" (the regressors within
# the fixed effects); both iid.
ls_stats <- function(fit, d, ssr, K_all) {
  n <- length(d$y)
  w <- d$weights
  wsum <- function(v) if (is.null(w)) sum(v) else sum(w * v)
  has_const <- length(d$fe) > 0L || d$intercept
  ybar <- if (has_const) wsum(d$y) / (if (is.null(w)) n else sum(w)) else 0
  tss <- wsum((d$y - ybar)^2)
  r2 <- 1 - ssr / tss
  df_res <- n - K_all
  stats <- list(r.squared = r2, adj.r.squared = 1 - (1 - r2) * (n - has_const) / df_res)
  if (length(d$fe)) stats$within.r.squared <- 1 - ssr / wsum(fit$yd^2)
  k_model <- K_all - has_const
  if (k_model > 0 && df_res > 0) {
    stats$f_stat <- (r2 / k_model) / ((1 - r2) / df_res)
    stats$f_p <- stats::pf(stats$f_stat, k_model, df_res, lower.tail = FALSE)
  }
  k_slopes <- fit$rank - (d$intercept && "(Intercept)" %in% colnames(fit$Xd))
  if (length(d$fe) && k_slopes > 0 && df_res > 0) {
    wr2 <- stats$within.r.squared
    stats$within_f_stat <- (wr2 / k_slopes) / ((1 - wr2) / df_res)
    stats$within_f_p <- stats::pf(stats$within_f_stat, k_slopes, df_res, lower.tail = FALSE)
  }
  stats$sigma <- sqrt(ssr / df_res)
  stats$logLik <- 0.5 * ((if (is.null(w)) 0 else sum(log(w))) -
                           n * (log(2 * pi) + 1 - log(n) + log(ssr)))
  if (length(d$fe)) stats$n_groups <- unname(fit$fe_sizes[1L])
  stats
}
