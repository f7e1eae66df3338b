#' Linear regression with any number of absorbed fixed effects
#'
#' Ordinary (or weighted) least squares of `y` on regressors with fixed effects
#' absorbed by the within transformation, computed in C. The formula follows
#' fixest: `y ~ x1 + x2 | fe1 + fe2`; `a^b` in the fixed-effects part is the
#' interaction of `a` and `b`. Inside the formula, `l(x, k)`, `f(x, k)` and
#' `d(x)` are the panel lag, lead and difference within unit (see [exr_panel()]).
#'
#' @section Standard errors:
#' The defaults are fixest's, so that numbers agree with `fixest::feols()`:
#' `vcov = NULL` clusters by the first fixed effect when there is one (or by
#' `cluster` when given), else assumes iid errors. The small-sample factor is
#' \eqn{(n-1)/(n-K)}, where \eqn{K} counts the coefficients plus the fixed-effect
#' parameters (\eqn{\sum_q G_q - (Q-1)}), a fixed effect nested in a cluster
#' variable counting as one; clustered variances are multiplied by
#' \eqn{G/(G-1)}, with the smallest \eqn{G} for two-way clustering (the
#' Cameron-Gelbach-Miller sum \eqn{V_1 + V_2 - V_{12}}, with negative
#' eigenvalues set to zero); `"hc1"` is \eqn{n/(n-K)} times the White sandwich.
#' t tests use \eqn{G-1} degrees of freedom when clustered (smallest \eqn{G}),
#' else \eqn{n-K}. In fixest's terms: `ssc(adj = TRUE, fixef.K = "nested",
#' cluster.adj = TRUE, cluster.df = "min", t.df = "min")`.
#'
#' @section Fixed effects and collinearity:
#' Fixed effects are absorbed by alternating projections on the group means,
#' accelerated (Irons-Tuck), in coefficient space; one fixed effect is exact.
#' Convergence is reported in `print()`. Regressors that are collinear with
#' earlier ones, or absorbed by the fixed effects, are dropped with a message.
#' Singletons (observations alone in a fixed-effect group) are kept by default,
#' as fixest does; `singletons = "drop"` removes them iteratively, as Stata's
#' reghdfe does, and reports how many.
#'
#' @param formula `y ~ x1 + x2 | fe1 + fe2`.
#' @param data a data frame (or [exr_panel()]).
#' @param cluster cluster variables: a one-sided formula (`~city`,
#'   `~city + year`) or column names.
#' @param vcov `"iid"`, `"hc1"` or `"cluster"`; `NULL` picks fixest's default
#'   (see Standard errors).
#' @param weights a column name or a numeric vector of non-negative weights
#'   (rows with weight zero are dropped).
#' @param panel `c(id, time)` column names, needed by `l()`, `f()`, `d()`
#'   unless `data` is an [exr_panel()].
#' @param singletons `"keep"` (default, as fixest) or `"drop"` (as reghdfe).
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
#' @export
fe_reg <- function(formula, data, cluster = NULL, vcov = NULL, weights = NULL, panel = NULL,
                   singletons = c("keep", "drop"), fixef_tol = 1e-10, fixef_maxit = 10000L,
                   cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  singletons <- match_choice(singletons, c("keep", "drop"), "singletons")
  vcov <- vcov_choice(vcov)
  cores <- check_cores(cores)
  fml <- parse_fixest_formula(formula)
  if (!is.null(fml$endo)) exr_error("formula", "has an IV part; use iv_reg() for IV models.")
  d <- build_design(fml, data, panel = panel, cluster = cluster, weights = weights,
                    singletons = singletons)
  fit <- fit_within(d, fixef_tol, fixef_maxit, cores)
  fit <- add_vcov(fit, d, vcov)
  finish_fe(fit, d, call, formula)
}

vcov_choice <- function(vcov) {
  if (is.null(vcov)) return(NULL)
  v <- match_choice(vcov, c("iid", "hc1", "cluster"), "vcov")
  v
}

# Demean (when there are fixed effects) and solve least squares in C.
fit_within <- function(d, fixef_tol = 1e-10, fixef_maxit = 10000L, cores = 1L) {
  if (!is.numeric(fixef_tol) || length(fixef_tol) != 1L || !(fixef_tol > 0)) {
    exr_error("fixef_tol", "expected one positive number.")
  }
  X <- d$X
  w <- d$weights
  iterations <- integer(0)
  if (length(d$fe)) {
    dm <- .Call(C_fe_demean, d$y, X, unname(d$fe), w, as.double(fixef_tol),
                as.integer(fixef_maxit), as.integer(cores))
    yd <- dm$y
    Xd <- dm$X
    scale <- dm$scale
    iterations <- dm$iterations
  } else {
    yd <- d$y
    Xd <- X
    scale <- NULL
  }
  ols <- .Call(C_ols_fit, Xd, yd, w, scale, 1e-10)
  names(ols$coefficients) <- colnames(X)
  kept <- ols$kept
  collinear <- colnames(X)[!kept]
  if (length(collinear)) {
    message("exportres: dropped collinear regressor(s) (collinear with earlier terms or ",
            "absorbed by the fixed effects): ", paste(collinear, collapse = ", "))
  }
  fe_sizes <- vapply(d$fe, function(v) max(v), integer(1))
  list(coef_all = ols$coefficients, kept = kept, bread = ols$bread, residuals = ols$residuals,
       Xd = if (all(kept)) Xd else Xd[, kept, drop = FALSE], yd = yd, rank = ols$rank,
       collinear = collinear, ls_method = ols$method,
       fe_sizes = fe_sizes, iterations = iterations,
       converged = all(iterations >= 0L))
}

# Is each fixed effect nested in any of the cluster variables (every group of
# the fixed effect inside one cluster)? A fixed effect that is itself a cluster
# variable is, without looking at the data.
fe_nested_in_cluster <- function(fe, cl) {
  vapply(names(fe), function(nm) {
    if (nm %in% names(cl)) return(TRUE)
    f <- fe[[nm]]
    any(vapply(cl, function(c) {
      # the cluster of one member of each group, compared with every member's
      first <- integer(max(f))
      first[f] <- c
      all(first[f] == c)
    }, logical(1)))
  }, logical(1))
}

# Number of parameters K for the small-sample factor: coefficients plus
# fixed-effect parameters, sum(G_q) - (Q - 1), nested fixed effects counting one.
n_params <- function(rank, fe_sizes, nested = NULL) {
  if (!length(fe_sizes)) return(rank)
  sizes <- fe_sizes
  if (!is.null(nested)) sizes[nested] <- 1L
  rank + sum(sizes) - (length(sizes) - 1L)
}

add_vcov <- function(fit, d, vcov) {
  cl <- d$cluster
  if (is.null(vcov)) {
    vcov <- if (length(cl)) "cluster" else if (length(d$fe)) "cluster" else "iid"
  }
  if (vcov == "cluster" && !length(cl)) {
    if (!length(d$fe)) {
      exr_error("vcov", "\"cluster\" needs `cluster` (or a fixed effect to cluster by).")
    }
    first <- names(d$fe)[1L]
    cl <- stats::setNames(list(d$fe[[1L]]), first)
  }
  if (vcov != "cluster") cl <- list()
  if (length(cl) > 2L) exr_error("cluster", "at most two cluster variables are supported.")

  n <- length(d$y)
  w <- d$weights
  e <- fit$residuals
  u <- if (is.null(w)) e else w * e
  K_all <- n_params(fit$rank, fit$fe_sizes)
  nested <- if (length(cl) && length(d$fe)) fe_nested_in_cluster(d$fe, cl) else NULL
  K <- n_params(fit$rank, fit$fe_sizes, nested)
  bread <- fit$bread
  Xk <- fit$Xd
  sandwich <- function(meat) bread %*% meat %*% bread

  if (n - K <= 0) exr_error("data", "no residual degrees of freedom (n = ", n, ", K = ", K, ").")
  if (vcov == "iid") {
    sigma2 <- sum(u * e) / (n - K)
    V <- bread * sigma2
    df_t <- n - K
    G <- NULL
  } else if (vcov == "hc1") {
    V <- sandwich(.Call(C_score_meat, Xk, u, NULL)) * (n / (n - K))
    df_t <- n - K
    G <- NULL
  } else {
    G <- vapply(cl, function(c) max(c), integer(1))
    Gmin <- min(G)
    if (Gmin < 2L) exr_error("cluster", "needs at least two clusters.")
    meat <- .Call(C_score_meat, Xk, u, cl[[1L]])
    if (length(cl) == 2L) {
      both <- codes_of((cl[[1L]] - 1) * (max(cl[[2L]]) + 1) + cl[[2L]])
      meat <- meat + .Call(C_score_meat, Xk, u, cl[[2L]]) - .Call(C_score_meat, Xk, u, both)
    }
    V <- sandwich(meat) * (Gmin / (Gmin - 1)) * ((n - 1) / (n - K))
    if (length(cl) == 2L) V <- fix_psd(V)
    df_t <- Gmin - 1
  }
  nm <- names(fit$coef_all)[fit$kept]
  dimnames(V) <- list(nm, nm)
  fit$vcov <- V
  fit$vcov_type <- vcov
  fit$cluster_names <- if (length(cl)) names(cl) else NULL
  fit$n_clusters <- G
  fit$df_t <- df_t
  fit$K <- K
  fit$K_all <- K_all
  fit
}

# Two-way clustered variances can be indefinite; as fixest does, negative
# eigenvalues are set to zero.
fix_psd <- function(V) {
  ev <- eigen(V, symmetric = TRUE)
  if (min(ev$values) >= 0) return(V)
  ev$vectors %*% (pmax(ev$values, 0) * t(ev$vectors))
}

finish_fe <- function(fit, d, call, formula) {
  n <- length(d$y)
  w <- d$weights
  wsum <- function(v) if (is.null(w)) sum(v) else sum(w * v)
  e <- fit$residuals
  ssr <- wsum(e^2)
  has_const <- length(d$fe) > 0L || d$intercept
  ybar <- if (has_const) wsum(d$y) / (if (is.null(w)) n else sum(w)) else 0
  tss <- wsum((d$y - ybar)^2)
  r2 <- 1 - ssr / tss
  K_all <- fit$K_all
  adj_r2 <- 1 - (1 - r2) * (n - has_const) / (n - K_all)
  stats <- list(nobs = n, r.squared = r2, adj.r.squared = adj_r2)
  k_slopes <- fit$rank - (d$intercept && "(Intercept)" %in% colnames(fit$Xd))
  if (length(d$fe)) {
    tss_w <- wsum(fit$yd^2)
    stats$within.r.squared <- 1 - ssr / tss_w
    r2_f <- stats$within.r.squared
  } else {
    r2_f <- r2
  }
  if (k_slopes > 0) {
    f <- (r2_f / k_slopes) / ((1 - r2_f) / (n - K_all))
    stats$f_stat <- f
    stats$f_p <- stats::pf(f, k_slopes, n - K_all, lower.tail = FALSE)
  }
  stats$sigma <- sqrt(ssr / (n - K_all))
  stats$logLik <- 0.5 * ((if (is.null(w)) 0 else sum(log(w))) -
                           n * (log(2 * pi) + 1 - log(n) + log(ssr)))
  if (length(d$fe)) stats$n_groups <- unname(fit$fe_sizes[1L])

  n_all <- d$n_all
  fitted_all <- rep(NA_real_, n_all)
  resid_all <- rep(NA_real_, n_all)
  fitted_all[d$keep] <- d$y - e
  resid_all[d$keep] <- e
  coefs <- fit$coef_all[fit$kept]

  if (!fit$converged) {
    exr_warning("fixef_maxit", "the fixed-effect projections did not converge in ",
                max(abs(fit$iterations)), " sweeps; raise `fixef_maxit` or `fixef_tol`.")
  }
  structure(list(
    coefficients = coefs,
    vcov = fit$vcov,
    se = sqrt(diag(fit$vcov)),
    nobs = n,
    call = call,
    formula = formula,
    depvar = d$lhs_name,
    fixef = names(d$fe),
    fixef_sizes = fit$fe_sizes,
    cluster = fit$cluster_names,
    n_clusters = fit$n_clusters,
    vcov_type = fit$vcov_type,
    df_t = fit$df_t,
    n_params = fit$K_all,
    stats = stats,
    fitted.values = fitted_all,
    residuals = resid_all,
    weights = d$weights,
    obs = d$keep,
    collinear = fit$collinear,
    n_dropped = d$n_na + d$n_zero_weight,
    n_singletons = d$n_singletons,
    iterations = fit$iterations,
    converged = fit$converged,
    ls_method = fit$ls_method
  ), class = c("exr_fe", "exr_model"))
}
