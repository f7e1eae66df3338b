# The wild cluster bootstrap of one coefficient of a least-squares fit, by the
# "fast and wild" algorithm of Roodman, MacKinnon, Nielsen & Webb (2019): R
# rebuilds the fit's design through the shared layers (build_design(),
# fit_within()), forms the restricted and unrestricted residuals and the
# Cameron-Gelbach-Miller terms, and C (src/wildboot.c) reduces the data to
# cluster-level arrays in one pass, runs the draws and counts the p-values.

#' Wild cluster bootstrap test and confidence interval for a coefficient
#'
#' Tests \eqn{H_0: \beta_{term} = r} after [fe_reg()] by the wild cluster
#' bootstrap (Cameron, Gelbach & Miller 2008), the standard remedy when there are
#' few clusters or few treated clusters, and inverts the test into a confidence
#' interval. After [iv_reg()] with one endogenous regressor it runs the wild
#' restricted efficient bootstrap (Davidson & MacKinnon 2010) of that
#' regressor's coefficient. The computation follows Stata's `boottest` (Roodman, MacKinnon,
#' Nielsen & Webb 2019): after one pass over the data each draw costs
#' \eqn{O(G k)}, so 9,999 draws take a fraction of a second.
#'
#' A separate function rather than a `boot` argument of [fe_reg()]: the
#' bootstrap is a test of one hypothesis about one coefficient of an estimated
#' model, as `boottest` is a post-estimation command; one fit can then be tested
#' for several terms, null values, clusterings and weight types without being
#' re-estimated, and `fe_reg()` keeps one fast path.
#'
#' @section Method:
#' With `impose_null = TRUE` (WCR, the default and the recommended variant),
#' the model is re-estimated with \eqn{\beta_{term} = r} imposed, and bootstrap
#' samples are \eqn{y^* = X\tilde\beta + D\tilde\alpha + \tilde u \cdot v_g},
#' where \eqn{v_g} is drawn once per bootstrap cluster; with
#' `impose_null = FALSE` (WCU) the unrestricted fit and residuals are used and
#' the bootstrap t statistics are centred on \eqn{\hat\beta}. Each bootstrap
#' sample is re-estimated with the same fixed effects, weights and
#' cluster-robust variance as the original (the same small-sample factors,
#' which therefore cancel from the p-value under one-way clustering), and the
#' bootstrap t statistics are compared with the original one. When every fixed
#' effect is nested in the bootstrap clusters (city effects with clustering by
#' city or province), the fixed effects drop out of the bootstrap; otherwise
#' (year effects) their projection is carried exactly.
#'
#' Weights (`type`): Rademacher (\eqn{\pm 1}), Webb's six-point distribution
#' (recommended with fewer than about 12 bootstrap clusters), Mammen's two-point
#' distribution, or standard normal. With Rademacher weights and
#' \eqn{2^G \le B}, the \eqn{2^G} possible draws are each used once (full
#' enumeration), with a message; the p-value is then exact. Draws use R's random
#' number generator, so `set.seed()` reproduces them, whatever `cores`.
#'
#' p-values (`ptype`) count strict exceedances among the draws: symmetric,
#' \eqn{P(|t^*| > |t|)}; equal-tailed, \eqn{2\min(P(t^* > t), P(t^* < t))};
#' `"upper"`, \eqn{P(t^* > t)} (alternative \eqn{\beta > r}); `"lower"`,
#' \eqn{P(t^* < t)}. Under WCR a draw whose weights are all equal reproduces
#' the original statistic (or its negative) exactly and is counted as such, not
#' by rounding. Draws whose multi-way variance is not positive are discarded
#' at each \eqn{r} (as `boottest` does) and counted in the result. They are a
#' property of the Cameron-Gelbach-Miller estimator, not an error: when the
#' bootstrap clusters are finer than every error clustering (in a firm-year
#' panel the intersection of firm and year is the observation), the bootstrap
#' scores are independent across observations, each added cluster term
#' estimates the same variance as the subtracted intersection term, and their
#' sum, one term coming from few clusters (years), is negative in a few
#' percent of the draws: about 3.5 percent in the abdata example below, as in
#' `boottest`'s output, and none when bootstrapping by firm. The confidence
#' set is \eqn{\{r: p(r) > 1 - level\}}, where each \eqn{p(r)} imposes
#' \eqn{\beta_{term} = r} in the bootstrap samples and recomputes their
#' variances; it is found on a grid and then by bisection to machine
#' precision, and its outermost bounds are reported (with a note when the set
#' is not an interval).
#'
#' Multi-way clustering uses the Cameron-Gelbach-Miller sum draw by draw. The
#' bootstrap cluster (`bootcluster`) defaults to the error cluster under
#' one-way clustering and, under multi-way clustering, to the cluster variable
#' with the most clusters (fwildclusterboot's default; Stata's `boottest`
#' uses the intersection, available as `bootcluster = ~a + b`). A bootstrap
#' cluster finer than the error cluster gives the subcluster bootstrap
#' (MacKinnon & Webb 2018).
#'
#' @section Instrumental variables:
#' After [iv_reg()] (one endogenous regressor \eqn{Y}, excluded instruments
#' \eqn{Z}, any exogenous regressors, fixed effects and weights), `term` must
#' be the endogenous regressor. With `impose_null = TRUE` the bootstrap is the
#' wild restricted efficient bootstrap (WRE) of Davidson & MacKinnon (2010), as
#' in `boottest` after `ivregress`/`ivreg2`: at the null value \eqn{r} the
#' structural residuals \eqn{\tilde u} come from the model with
#' \eqn{\beta = r} imposed, the first stage is re-estimated with
#' \eqn{\tilde u} as an extra regressor (which makes it efficient under the
#' null), \eqn{\tilde v} are its residuals plus \eqn{\tilde u}'s part, and
#' the bootstrap samples are \eqn{Y^* = Z\tilde\pi + X\tilde\delta + \tilde v
#' \cdot v_g}, \eqn{y^* = rY^* + X\tilde\gamma + \tilde u \cdot v_g}, each
#' re-estimated by 2SLS with the model's cluster-robust variance. With
#' `impose_null = FALSE` (WUE) the same is done at the estimate with the 2SLS
#' residuals, and the bootstrap t statistics are centred on it. Only the draw
#' whose weights are all \eqn{+1} reproduces the sample (\eqn{v \equiv -1}
#' changes the first stage), so it alone is counted as a tie. The bootstrap
#' samples change with \eqn{r} under WRE, but every draw's statistic is a
#' function of a few numbers per draw (cluster-level cross-products) and of
#' scalars that depend on \eqn{r} alone; one pass over the draws keeps those
#' numbers, and the test inversion then costs \eqn{O(B)} per value of
#' \eqn{r}, as for least squares. Roodman et al.
#' (2019) recommend the equal-tailed p-value for IV (`ptype =
#' "equal-tailed"`); with weak instruments the confidence set can be
#' unbounded (a bound of `-Inf`/`Inf`) or not an interval.
#'
#' @section Differences from Stata's boottest:
#' The statistic, the p-values and the interval follow `boottest`'s
#' definitions and agree with its output (see the tests), but for one
#' published interval. When the bootstrap clusters are single observations
#' (bootstrapping by observation, or by the intersection of firm and year in a
#' firm-year panel), `boottest` 4.0 to 4.3 (2022) computed the bootstrap
#' variances once, at the tested value, and kept them while it moved \eqn{r}
#' to invert the test: its interval divides the bootstrap numerators at each
#' \eqn{r} by standard errors computed at the tested value. (By version
#' 4.4.11, 2024, its code updates them in this case too.) The t statistic and
#' the p-value at the tested value are not affected. On Stata's `abdata`
#' (`plm::EmplUK`), `areg n w k, absorb(ind)` followed by
#' `boottest k, cluster(id year)` with 999 draws prints t = 28.5012 and the
#' interval `[.844, .8847]`; `wild_boot()` with `bootcluster = ~ id + year`
#' gives the same t and about `[0.783, 0.945]` (Monte Carlo standard
#' deviation about 0.004 in each bound). At .844 and .8847 the bootstrap
#' p-value, confirmed draw by draw by re-estimating the model for every draw,
#' is about 0.58, not 0.05; holding the bootstrap variances at r = 0 puts
#' 5 percent at `boottest`'s bounds.
#'
#' @param fit a fitted [fe_reg()] model, or an [iv_reg()] model with one
#'   endogenous regressor.
#' @param term the coefficient to test, as named in `coef(fit)`.
#' @param B number of bootstrap draws (at least 99).
#' @param type weight distribution: `"rademacher"`, `"webb"`, `"mammen"` or `"norm"`.
#' @param impose_null `TRUE` for WCR (null imposed; WRE after [iv_reg()]),
#'   `FALSE` for WCU (WUE after [iv_reg()]).
#' @param r the value of the coefficient under the null hypothesis.
#' @param cluster error clustering (one-sided formula or column names); by
#'   default the fit's own.
#' @param bootcluster bootstrap clustering (formula or column names; several
#'   variables: their intersection); see Details.
#' @param conf_int compute the confidence interval by test inversion?
#' @param level its confidence level.
#' @param ptype the p-value reported first and used for the interval:
#'   `"symmetric"`, `"equal-tailed"`, `"upper"` or `"lower"`.
#' @param data the data the model was fitted on; by default the fit's `data`
#'   argument is looked up again from the calling environment.
#' @param fixef_tol tolerance of the fixed-effect projections of the bootstrap
#'   residuals (and of the re-fit).
#' @param cores threads.
#' @return An object of class `exr_wildboot`: a list with `term`, `estimate`,
#'   `r`, `statistic` (the original t statistic), `std.error`, `p.value` (of
#'   type `ptype`), `p` (all four p-values), `conf.int`, `level`, `B` (draws
#'   used), `B_feasible`, `enumerated`, `type`, `impose_null`, `ptype`,
#'   `cluster`, `n_clusters`, `bootcluster`, `n_bootclusters`, `nobs`,
#'   `t_boot` (the bootstrap t statistics at `r`), `ci_disjoint` and `method`
#'   (`"WCR"`, `"WCU"`, `"WRE"` or `"WUE"`). It has
#'   `print()`, `tidy()` and `glance()` methods, and [reg_table()] shows it with
#'   its `boot` argument.
#' @references Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2008).
#'   Bootstrap-based improvements for inference with clustered errors.
#'   \emph{Review of Economics and Statistics} 90(3), 414-427.
#'
#'   Davidson, R. & MacKinnon, J. G. (2010). Wild bootstrap tests for IV
#'   regression. \emph{Journal of Business & Economic Statistics} 28(1), 128-144.
#'
#'   MacKinnon, J. G. & Webb, M. D. (2018). The wild bootstrap for few (treated)
#'   clusters. \emph{Econometrics Journal} 21(2), 114-135.
#'
#'   Roodman, D., MacKinnon, J. G., Nielsen, M. O. & Webb, M. D. (2019). Fast
#'   and wild: Bootstrap inference in Stata using boottest. \emph{Stata
#'   Journal} 19(1), 4-60.
#' @seealso [reg_table()] (argument `boot`).
#' @examples
#' set.seed(1)
#' df <- data.frame(g = rep(1:12, times = 5 * (1:12)))
#' df$x <- rnorm(nrow(df)) + rnorm(12)[df$g]
#' df$y <- 0.1 * df$x + rnorm(12)[df$g] + rnorm(nrow(df))
#' fit <- fe_reg(y ~ x, df, cluster = ~g)
#' wb <- wild_boot(fit, "x", B = 999)
#' wb
#' tidy(wb)
#' wild_boot(fit, "x", B = 999, type = "webb", impose_null = FALSE)
#'
#' # IV: the wild restricted efficient bootstrap
#' df$z <- rnorm(nrow(df))
#' df$d <- df$z + rnorm(12)[df$g] + rnorm(nrow(df))
#' df$y2 <- 0.2 * df$d + df$x + rnorm(nrow(df))
#' iv <- iv_reg(y2 ~ x | 0 | d ~ z, df, cluster = ~g)
#' wild_boot(iv, "d", B = 999, ptype = "equal-tailed")
#' @export
wild_boot <- function(fit, term, B = 9999L, type = c("rademacher", "webb", "mammen", "norm"),
                      impose_null = TRUE, r = 0, cluster = NULL, bootcluster = NULL,
                      conf_int = TRUE, level = 0.95,
                      ptype = c("symmetric", "equal-tailed", "upper", "lower"), data = NULL,
                      fixef_tol = 1e-10, cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  env <- parent.frame()
  wb_check_fit(fit)
  if (!is.character(term) || length(term) != 1L || is.na(term)) {
    exr_error("term", "expected one coefficient name.")
  }
  if (!term %in% names(fit$coefficients)) {
    exr_error("term", "'", term, "' is not a coefficient of the model (",
              paste(names(fit$coefficients), collapse = ", "), ").")
  }
  if (!is.numeric(B) || length(B) != 1L || is.na(B) || B < 99 || B != round(B) || B > 1e8) {
    exr_error("B", "expected a whole number of draws, at least 99.")
  }
  type <- match_choice(type, c("rademacher", "webb", "mammen", "norm"), "type")
  ptype <- match_choice(ptype, c("symmetric", "equal-tailed", "upper", "lower"), "ptype")
  impose_null <- check_flag(impose_null, "impose_null")
  conf_int <- check_flag(conf_int, "conf_int")
  if (!is.numeric(r) || length(r) != 1L || !is.finite(r)) exr_error("r", "expected one finite number.")
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || level <= 0 || level >= 1) {
    exr_error("level", "expected one number between 0 and 1.")
  }
  if (!is.numeric(fixef_tol) || length(fixef_tol) != 1L || !(fixef_tol > 0)) {
    exr_error("fixef_tol", "expected one positive number.")
  }
  cores <- check_cores(cores)

  # without an interval only H0 at r is needed: the residuals are formed at r,
  # which halves the work of every draw
  prep <- if (inherits(fit, "exr_iv")) {
    wre_prepare(fit, term, cluster, bootcluster, data, env, fixef_tol, cores)
  } else {
    wb_prepare(fit, term, impose_null, cluster, bootcluster, data, env, fixef_tol, cores,
               at_r = if (conf_int) NULL else r)
  }
  Gb <- prep$n_bootclusters
  enumerated <- type == "rademacher" && Gb <= 30 && 2^Gb <= B
  if (enumerated) {
    message(sprintf(paste0("exportres: with %d bootstrap clusters, B = %s reaches the %s possible ",
                           "Rademacher draws; each is used once (full enumeration)."),
                    Gb, format(B, big.mark = ","), format(2^Gb, big.mark = ",")))
  }
  kind <- if (enumerated) 4L else match(type, c("rademacher", "webb", "mammen", "norm")) - 1L
  if (inherits(fit, "exr_iv")) {
    pv_at <- wre_pvalue_function(prep, kind, as.integer(B), impose_null, cores)
    return(wb_result(prep, pv_at, r, conf_int, level, ptype, type, impose_null, enumerated, call))
  }
  draws <- .Call(C_wildboot_draws, prep$setup, kind, as.integer(B), NULL, as.integer(impose_null),
                 cores)
  pv_at <- function(rr, want_t = 0L) {
    .Call(C_wildboot_pvalues, draws, prep$estimate, prep$se, as.double(rr), want_t)
  }
  wb_result(prep, pv_at, r, conf_int, level, ptype, type, impose_null, enumerated, call)
}

wb_check_fit <- function(fit) {
  if (!inherits(fit, "exr_fe") && !inherits(fit, "exr_iv")) {
    exr_error("fit", "expected a model fitted by fe_reg() or iv_reg().")
  }
  invisible(fit)
}

# Rebuild the fit's design (same rows, weights, fixed effects) with the error
# and bootstrap cluster variables, and reduce it to the bootstrap's arrays.
wb_prepare <- function(fit, term, impose_null, cluster, bootcluster, data, env, fixef_tol, cores,
                       at_r = NULL) {
  des <- wb_design(fit, cluster, bootcluster, data, env)
  d <- des$d
  tol <- min(fixef_tol, if (is.null(fit$fixef_tol)) 1e-10 else fit$fixef_tol)
  fw <- fit_within(d, tol, 10000L, cores, what = NULL)
  wb_check_coefficients(fw$coef_all[fw$kept], fit$coefficients)
  X <- fw$Xd
  j <- match(term, colnames(X))
  A <- unname(fw$bread)
  a <- A[, j]
  w <- d$weights
  uhat <- fw$residuals
  yd <- fw$yd
  if (impose_null) {
    if (ncol(X) == 1L) {
      u0 <- yd
      u1 <- X[, 1L]
    } else {
      Xr <- X[, -j, drop = FALSE]
      u0 <- .Call(C_ols_fit, Xr, yd, w, NULL, collinear_tol)$residuals
      u1 <- .Call(C_ols_fit, Xr, X[, j], w, NULL, collinear_tol)$residuals
    }
    if (!is.null(at_r)) {
      u0 <- u0 - at_r * u1
      u1 <- NULL
    }
  } else {
    u0 <- uhat
    u1 <- NULL
  }
  bcl <- wb_clusters(d, des$err_terms, des$boot_terms, fit$ssc, fw$rank)
  setup <- .Call(C_wildboot_setup, X, w, a, A, u0, u1, uhat, bcl$bc, bcl$codes, bcl$fac,
                 bcl$fe, bcl$nest, wb_control(tol, cores), NULL)
  list(setup = setup, se = sqrt(setup$se2), estimate = unname(fit$coefficients[term]), term = term,
       nobs = length(d$y),
       cluster = names(bcl$G_err), n_clusters = bcl$G_err, bootcluster = bcl$boot_name,
       n_bootclusters = bcl$Gb, df = min(bcl$G_err) - 1L, fe_in_boot = is.null(bcl$fe),
       boot_codes = bcl$bc)
}

# The fit's design rebuilt on its rows with the error and bootstrap cluster
# variables (checked: present, no NA on the rows used).
wb_design <- function(fit, cluster, bootcluster, data, env) {
  if (is.null(data)) {
    data <- tryCatch(eval(fit$call$data, env), error = function(e) NULL)
    if (is.null(data)) {
      exr_error("data", "could not find the data the model was fitted on; pass it as `data`.")
    }
  }
  check_data_frame(data)
  if (is.null(fit$obs) || length(fit$obs) != nrow(data)) {
    exr_error("data", "has ", nrow(data), " rows; the model was fitted on data with ",
              if (is.null(fit$obs)) "another number" else length(fit$obs), ".")
  }
  err_terms <- if (is.null(cluster)) fit$cluster else cluster_terms(cluster, data)
  if (!length(err_terms)) {
    exr_error("cluster", "the model is not clustered; give the error clustering in `cluster`.")
  }
  boot_terms <- if (is.null(bootcluster)) NULL else cluster_terms(bootcluster, data)
  for (tm in unique(c(err_terms, boot_terms))) {
    arg <- if (tm %in% boot_terms && !tm %in% err_terms) "bootcluster" else "cluster"
    check_columns(data, strsplit(tm, "^", fixed = TRUE)[[1L]], arg)
    nas <- sum(is.na(fe_column(data, tm)[fit$obs]))
    if (nas > 0) {
      exr_error(arg, "'", tm, "' is NA in ", nas, " of the rows the model uses; ",
                "every observation needs a cluster.")
    }
  }
  w_all <- NULL
  if (!is.null(fit$weights)) {
    w_all <- rep(1, nrow(data))
    w_all[fit$obs] <- fit$weights
  }
  fml <- parse_fixest_formula(fit$formula)
  d <- build_design(fml, data, panel = fit$panel, cluster = unique(c(err_terms, boot_terms)),
                    weights = w_all, singletons = "keep", subset = fit$obs)
  if (length(d$y) != fit$nobs) exr_error("data", "does not give the rows the model was fitted on.")
  list(d = d, err_terms = err_terms, boot_terms = boot_terms)
}

wb_check_coefficients <- function(b_new, b_fit) {
  if (!identical(names(b_new), names(b_fit)) ||
      max(abs(b_new - b_fit) / pmax(abs(b_fit), 1e-8 + max(abs(b_fit)) * 1e-8)) > 1e-5) {
    exr_error("data", "does not reproduce the fitted coefficients; pass the data the model was fitted on.")
  }
  invisible(TRUE)
}

wb_control <- function(tol, cores) {
  c(tol, 10000, cores, isTRUE(getOption("exportres.wildboot_demean")))
}

# The error clusterings as Cameron-Gelbach-Miller terms with their signed
# small-sample factors (the model's K, with `rank` coefficients), the bootstrap
# clusters, and the fixed effects the bootstrap must carry (NULL when all are
# nested in the bootstrap clusters) with their nesting in each clustering.
wb_clusters <- function(d, err_terms, boot_terms, ssc, rank) {
  if (is.null(ssc)) ssc <- exr_ssc()
  cl_err <- d$cluster[err_terms]
  G_err <- vapply(cl_err, function(c) max(c), integer(1))
  if (min(G_err) < 2L) exr_error("cluster", "needs at least two clusters; '", names(G_err)[which.min(G_err)],
                                  "' has one.")
  n <- length(d$y)
  K <- param_count(rank, d$fe, cl_err, ssc)
  if (ssc$K_adj && n - K <= 0) exr_error("data", "no residual degrees of freedom.")
  kfac <- if (ssc$K_adj) (n - 1) / (n - K) else 1
  cg <- cgm_terms(cl_err, ssc)
  widest <- if (length(err_terms) == 1L) err_terms else names(G_err)[which.max(G_err)]
  boot_name <- if (is.null(boot_terms)) widest else paste(boot_terms, collapse = " & ")
  bc <- if (is.null(boot_terms)) d$cluster[[widest]] else
    if (length(boot_terms) == 1L) d$cluster[[boot_terms]] else codes_of(interact_codes(d$cluster[boot_terms]))
  Gb <- max(bc)
  if (Gb < 2L) exr_error("bootcluster", "needs at least two bootstrap clusters.")
  fe <- NULL
  nest <- NULL
  if (length(d$fe)) {
    in_boot <- fe_nested_in_cluster(d$fe, list(.boot = bc))
    if (!all(in_boot)) {
      fe <- unname(d$fe)
      nest <- vapply(cg$codes, function(cc) fe_nested_in_cluster(d$fe, list(.c = cc)),
                     logical(length(d$fe)))
      nest <- matrix(as.integer(c(nest, in_boot)), length(d$fe), length(cg$codes) + 1L)
    }
  }
  list(codes = cg$codes, fac = kfac * cg$factor, kfac = kfac, cl_err = cl_err, ssc = ssc,
       G_err = G_err, bc = bc, Gb = Gb, boot_name = boot_name, fe = fe, nest = nest)
}

# p-values at r, the interval by inversion, and the result object.
# pv_at(r, want_t): wildboot_pvalues() at the null values r (want_t = 1: with
# the bootstrap t statistics at r[1]).
wb_result <- function(prep, pv_at, r, conf_int, level, ptype, type, impose_null, enumerated, call) {
  se <- prep$se
  if (!is.finite(se) || se <= 0) {
    exr_error("fit", "the cluster-robust standard error of the term is zero or not positive.")
  }
  est <- prep$estimate
  pv <- pv_at(r, 1L)
  p <- pv$p[1L, ]
  names(p) <- c("symmetric", "equal-tailed", "upper", "lower", "feasible")
  ci <- c(NA_real_, NA_real_)
  disjoint <- FALSE
  if (conf_int) {
    col <- match(ptype, c("symmetric", "equal-tailed", "upper", "lower"))
    inv <- wb_invert(function(rr) pv_at(rr)$p[, col], est, se, 1 - level, ptype, prep$df)
    ci <- inv$ci
    disjoint <- inv$disjoint
  }
  B <- length(pv$tstar)
  out <- list(term = prep$term, estimate = est, r = r, statistic = (est - r) / se, std.error = se,
              p.value = unname(p[ptype]), p = p[1:4], conf.int = ci, level = level,
              B = B, B_feasible = as.integer(p[["feasible"]]), enumerated = enumerated, type = type,
              impose_null = impose_null, ptype = ptype, cluster = prep$cluster,
              n_clusters = prep$n_clusters, bootcluster = prep$bootcluster,
              n_bootclusters = prep$n_bootclusters, nobs = prep$nobs, t_boot = pv$tstar,
              ci_disjoint = disjoint,
              method = if (isTRUE(prep$iv)) (if (impose_null) "WRE" else "WUE") else
                (if (impose_null) "WCR" else "WCU"),
              call = call)
  if (out$B_feasible < B) {
    exr_warning("cluster", B - out$B_feasible, " of ", B, " draws gave a non-positive multi-way ",
                "variance and were left out, as boottest does.")
  }
  structure(out, class = "exr_wildboot")
}

# The confidence set {r : p(r) > alpha}, pf(r) the p-value at each r: p on a
# grid widened until it falls to alpha at both ends, then the outermost
# crossings by bisection (p is a step function; bisection converges on the
# step).
wb_invert <- function(pf, est, se, alpha, ptype, df) {
  hw <- stats::qt(1 - alpha / 2, max(df, 1)) * se
  # "upper" (P(t* > t)) rises with r: its set is [lo, Inf); "lower" falls: (-Inf, hi]
  need_lo <- ptype != "lower"
  need_hi <- ptype != "upper"
  lo <- est - 2 * hw
  hi <- est + 2 * hw
  m <- 2
  while (need_hi && pf(hi) > alpha && m < 2^30) { m <- m * 2; hi <- est + m * hw }
  m_hi <- m
  m <- 2
  while (need_lo && pf(lo) > alpha && m < 2^30) { m <- m * 2; lo <- est - m * hw }
  if (!need_lo) lo <- est - 2 * m_hi * hw
  if (!need_hi) hi <- est + 2 * m * hw
  grid <- seq(lo, hi, length.out = 101L)
  pg <- pf(grid)
  inside <- pg > alpha
  if (!any(inside)) return(list(ci = c(NA_real_, NA_real_), disjoint = FALSE))
  bisect <- function(a, b) {     # p(a) <= alpha < p(b), or the reverse; returns the crossing
    pa_in <- pf(a) > alpha
    for (it in 1:200) {
      mid <- (a + b) / 2
      if (mid == a || mid == b) break
      if ((pf(mid) > alpha) == pa_in) a <- mid else b <- mid
    }
    if (pa_in) a else b
  }
  first <- min(which(inside))
  last <- max(which(inside))
  lower <- if (!need_lo) -Inf else if (first == 1L) -Inf else bisect(grid[first - 1L], grid[first])
  upper <- if (!need_hi) Inf else if (last == length(grid)) Inf else bisect(grid[last + 1L], grid[last])
  list(ci = c(lower, upper), disjoint = any(!inside[first:last]))
}

#' @export
print.exr_wildboot <- function(x, digits = 4, ...) {
  f <- function(v) formatC(v, digits = digits, format = "f")
  meth <- wildboot_method(x)
  cat(sprintf("%s, %s, %s weights, %s draws%s\n",
              if (meth %in% c("WRE", "WUE")) "Wild cluster bootstrap-t for IV" else "Wild cluster bootstrap-t",
              switch(meth, WCR = "null imposed (WCR)", WCU = "null not imposed (WCU)",
                     WRE = "restricted efficient (WRE)", WUE = "unrestricted efficient (WUE)"),
              tools::toTitleCase(x$type), format(x$B, big.mark = ","),
              if (x$enumerated) " (full enumeration)" else ""))
  cat(sprintf("H0: %s = %s   estimate %s, t = %s\n", x$term, format(x$r), f(x$estimate),
              formatC(x$statistic, digits = 4, format = "f")))
  cat(sprintf("Clustering: %s (%s); bootstrap clusters: %s (%s); %s observations\n",
              paste(x$cluster, collapse = " & "), paste(x$n_clusters, collapse = ", "),
              x$bootcluster, x$n_bootclusters, format(x$nobs, big.mark = ",")))
  lab <- c(symmetric = "symmetric", `equal-tailed` = "equal-tailed", upper = "upper (Prob > t)",
           lower = "lower (Prob < t)")
  cat(sprintf("p-value (%s): %s\n", lab[[x$ptype]], format.pval(x$p.value, digits = 4, eps = 1e-4)))
  others <- setdiff(names(x$p), x$ptype)
  cat(sprintf("  other p-values: %s\n", paste(sprintf("%s %s", others, f(x$p[others])), collapse = ", ")))
  if (!anyNA(x$conf.int)) {
    cat(sprintf("%s%% confidence %s by test inversion: [%s, %s]\n", format(100 * x$level),
                if (x$ci_disjoint) "set (not an interval; outer bounds)" else "interval",
                f(x$conf.int[1L]), f(x$conf.int[2L])))
  }
  if (x$B_feasible < x$B) cat(sprintf("(%d draws with a non-positive variance left out)\n", x$B - x$B_feasible))
  invisible(x)
}

#' Tidy and glance for wild bootstrap results
#'
#' @param x an `exr_wildboot` from [wild_boot()].
#' @param ... unused.
#' @return `tidy()`: one row with `term`, `estimate`, `statistic` (the
#'   original t), `p.value` (the bootstrap p-value of the chosen type),
#'   `conf.low`, `conf.high` (the interval by test inversion). `glance()`: one
#'   row with `nobs`, `n_clusters` (the smallest, under multi-way clustering),
#'   `n_bootclusters`, `B`, `B_feasible`, `enumerated`, `type`, `impose_null`,
#'   and the four p-values `p_symmetric`, `p_equal_tailed`, `p_upper`, `p_lower`.
#' @examples
#' set.seed(2)
#' df <- data.frame(g = rep(1:10, each = 8), x = rnorm(80))
#' df$y <- df$x + rnorm(10)[df$g] + rnorm(80)
#' wb <- wild_boot(fe_reg(y ~ x, df, cluster = ~g), "x", r = 1, B = 999)
#' tidy(wb)
#' glance(wb)
#' @name tidy.exr_wildboot
#' @export
tidy.exr_wildboot <- function(x, ...) {
  data.frame(term = x$term, estimate = x$estimate, statistic = x$statistic, p.value = x$p.value,
             conf.low = x$conf.int[1L], conf.high = x$conf.int[2L], stringsAsFactors = FALSE)
}

#' @rdname tidy.exr_wildboot
#' @export
glance.exr_wildboot <- function(x, ...) {
  data.frame(nobs = x$nobs, n_clusters = min(x$n_clusters), n_bootclusters = x$n_bootclusters,
             B = x$B, B_feasible = x$B_feasible, enumerated = x$enumerated, type = x$type,
             impose_null = x$impose_null, p_symmetric = x$p[["symmetric"]],
             p_equal_tailed = x$p[["equal-tailed"]], p_upper = x$p[["upper"]],
             p_lower = x$p[["lower"]], stringsAsFactors = FALSE)
}

# ---- the reg_table() hook --------------------------------------------------
# reg_table(boot = ) takes one element per model: NULL, an exr_wildboot, or a
# list of them (several terms). wildboot_cells() gives the cells of the row
# beneath a coefficient's standard error: the bootstrap p-value ("p") or
# interval ("ci") in brackets; wildboot_note() the sentence for the notes.

wildboot_check <- function(boot, nmod) {
  if (is.null(boot)) return(NULL)
  if (inherits(boot, "exr_wildboot")) boot <- list(boot)
  if (!is.list(boot) || length(boot) != nmod) {
    exr_error("boot", "expected a list with one element per model (NULL, a wild_boot() result ",
              "or a list of them).")
  }
  lapply(boot, function(b) {
    if (is.null(b)) return(list())
    if (inherits(b, "exr_wildboot")) return(list(b))
    if (is.list(b) && all(vapply(b, inherits, logical(1), what = "exr_wildboot"))) return(b)
    exr_error("boot", "every element must be NULL, a wild_boot() result or a list of them.")
  })
}

wildboot_cells <- function(boot, term, show, digits) {
  vapply(boot, function(bl) {
    for (b in bl) {
      if (identical(b$term, term)) {
        fmt <- function(v) if (is.finite(v)) formatC(v, digits = digits, format = "f") else
          if (v > 0) "Inf" else "-Inf"
        return(if (show == "p") paste0("[", fmt(b$p.value), "]") else
          if (anyNA(b$conf.int)) "" else paste0("[", fmt(b$conf.int[1L]), ", ", fmt(b$conf.int[2L]), "]"))
      }
    }
    ""
  }, "")
}

# "WCR"/"WCU" (least squares) or "WRE"/"WUE" (IV); results saved before the
# IV bootstrap have no `method`.
wildboot_method <- function(b) {
  if (is.null(b$method)) (if (b$impose_null) "WCR" else "WCU") else b$method
}

wildboot_note <- function(boot, show, lang) {
  all <- unlist(boot, recursive = FALSE)
  if (!length(all)) return(NULL)
  b <- all[[1L]]
  same <- function(f) length(unique(vapply(all, function(z) paste(format(z[[f]]), collapse = "&"), ""))) == 1L
  cl <- if (same("cluster")) paste(b$cluster, collapse = " & ") else NULL
  Bs <- if (same("B")) format(b$B, big.mark = ",") else NULL
  meths <- paste(unique(vapply(all, wildboot_method, "")), collapse = "/")
  # the p-value's kind, when it is not the default symmetric one
  pt <- if (show == "p" && same("ptype") && b$ptype != "symmetric") b$ptype else NULL
  if (lang == "zh") {
    pt_zh <- if (is.null(pt)) "" else if (pt == "equal-tailed") "\u7b49\u5c3e " else "\u5355\u4fa7 "
    what <- if (show == "p") paste0("\u65b9\u62ec\u53f7\u5185\u4e3a\u91ce\u81ea\u52a9\u6cd5 ", pt_zh,
                                    "p \u503c") else
      paste0("\u65b9\u62ec\u53f7\u5185\u4e3a\u91ce\u81ea\u52a9\u6cd5 ", format(100 * b$level),
             "% \u7f6e\u4fe1\u533a\u95f4")
    paste0(what, "\uff08", meths,
           if (!is.null(Bs)) paste0("\uff0c", Bs, " \u6b21\u62bd\u6837") else "",
           if (!is.null(cl)) paste0("\uff0c\u805a\u7c7b\u4e8e ", cl) else "", "\uff09\u3002")
  } else {
    what <- if (show == "p") paste0("wild cluster bootstrap ", if (is.null(pt)) "" else paste0(pt, " "),
                                    "p-values") else
      paste0("wild cluster bootstrap ", format(100 * b$level), "% confidence intervals")
    paste0("Brackets: ", what, " (", meths, ", ",
           tools::toTitleCase(b$type), " weights",
           if (!is.null(Bs)) paste0(", B = ", Bs) else "",
           if (!is.null(cl)) paste0(", clustered by ", cl) else "", ").")
  }
}
