# Placebo test by re-randomisation: adoption dates (and with them treatment
# status) are permuted across units, the treatment column rebuilt and its
# coefficient re-estimated in C (src/placebo.c), reusing the demeaned outcome
# and regressors of the fit.

#' Placebo test: re-randomised treatment across units
#'
#' Reassigns the adoption dates of the units at random (a permutation: as many
#' units are treated, with the same dates, as in the data, but different
#' ones), rebuilds the treatment indicator \eqn{D_{it} = 1(t \ge} adoption
#' date of unit \eqn{i)}, re-estimates its coefficient in the model of `fit`
#' `n` times, and compares the actual estimate with this placebo
#' distribution. If the effect is real, the placebo estimates centre on zero
#' and the actual estimate lies in their tail.
#'
#' @section Computation:
#' Everything that does not change between draws is computed once: the
#' outcome and the other regressors are demeaned by the fixed effects, and the
#' outcome is residualised on the other regressors. Each draw then demeans only
#' its own treatment column (warm-started from the actual treatment column's
#' fixed-effect coefficients, since the draws keep the distribution of
#' adoption dates) and obtains the coefficient and its standard error by the
#' Frisch-Waugh-Lovell theorem, equal to re-running [fe_reg()] with the same
#' `cluster`, `vcov`, `weights` and small-sample conventions (the standard
#' error is the (D, D) element of the same sandwich; with multi-way clustering
#' before the positive-semi-definite fix). All random permutations are drawn
#' with R's random number generator before any parallel work, so `set.seed()`
#' reproduces the result for any `cores` or `cl` (each draw is
#' `sample(U)` over the `U` units of the estimation sample, in order).
#'
#' @section p-values:
#' `p_value` is the share of placebo estimates at least as extreme as the
#' actual one, counting the actual assignment as one of the draws:
#' \eqn{(1 + \#\{|b_d| \ge |\hat b|\}) / (1 + n)} for `"two.sided"`
#' (\eqn{b_d \ge \hat b} for `"greater"`, \eqn{b_d \le \hat b} for `"less"`),
#' which is a valid randomisation p-value (Phipson and Smyth 2010);
#' `p_value_t` does the same with the t statistics. Draws whose placebo column
#' is collinear with the fixed effects and other regressors are dropped and
#' counted (`n_failed`).
#'
#' @param fit a model from [fe_reg()] whose regressors include the treatment
#'   indicator `term`.
#' @param term the name of the treatment coefficient (e.g. `"did"`); its
#'   column must equal \eqn{1(time \ge adopt)} (0 where `adopt` is `NA`) on
#'   the estimation sample.
#' @param n number of placebo draws.
#' @param unit,time unit and time columns; by default those of the fit's
#'   `panel` (or [exr_panel()]), else its first two fixed effects.
#' @param adopt the column of adoption dates (`NA` for never treated).
#' @param data the data frame the model was fitted on; by default the fit's
#'   `data` argument, evaluated where `placebo_test()` is called. (Cluster
#'   variables, weights and the other design arguments travel with the fit.)
#' @param alternative `"two.sided"`, `"greater"` or `"less"`.
#' @param cores threads (OpenMP) for the draws.
#' @param cl a cluster from the parallel package (e.g.
#'   `parallel::makeCluster(4)`): the draws are made here and split across its
#'   workers, which need exportres installed.
#' @return An object of class `exr_placebo`: a list with `term`, `estimate`,
#'   `std.error`, `statistic` (the actual fit's), `draws` (a data frame of the
#'   placebo `estimate`, `std.error` and `statistic`), `p_value`, `p_value_t`,
#'   `alternative`, `n`, `n_failed`, `n_units`. `print()`, `summary()`,
#'   `plot()` (histogram of the placebo estimates with the actual one marked)
#'   and `glance()` work.
#' @references Phipson, B. and Smyth, G. K. (2010). Permutation p-values should
#'   never be zero. Statistical Applications in Genetics and Molecular Biology 9(1).
#' @seealso [fe_reg()], [event_study()].
#' @examples
#' set.seed(1)
#' d <- expand.grid(id = 1:50, year = 2001:2010)
#' d$adopt <- c(rep(2005, 10), rep(2007, 10), rep(NA, 30))[d$id]
#' d$did <- as.numeric(!is.na(d$adopt) & d$year >= d$adopt)
#' d$x <- rnorm(500)
#' d$y <- 0.4 * d$did + 0.5 * d$x + rnorm(50)[d$id] + rnorm(500)
#' fit <- fe_reg(y ~ did + x | id + year, d, cluster = ~id)
#' pt <- placebo_test(fit, "did", n = 200, adopt = "adopt")
#' pt
#' plot(pt)
#' @export
placebo_test <- function(fit, term, n = 500, unit = NULL, adopt, time = NULL, data = NULL,
                         alternative = c("two.sided", "greater", "less"),
                         cores = getOption("exportres.cores", 1L), cl = NULL) {
  call <- match.call()
  if (!inherits(fit, "exr_fe") || inherits(fit, "exr_event")) {
    exr_error("fit", "expected a model from fe_reg().")
  }
  if (!is.character(term) || length(term) != 1L || !(term %in% names(fit$coefficients))) {
    exr_error("term", "expected the name of one coefficient of `fit` (",
              paste(utils::head(names(fit$coefficients), 5L), collapse = ", "), ", ...).")
  }
  if (!is.numeric(n) || length(n) != 1L || !is.finite(n) || n < 1 || n != round(n) ||
      n > .Machine$integer.max) {
    exr_error("n", "expected one whole number >= 1.")
  }
  n <- as.integer(n)
  alternative <- match_choice(alternative, c("two.sided", "greater", "less"), "alternative")
  cores <- check_cores(cores)
  if (!is.null(cl) && !inherits(cl, "cluster")) exr_error("cl", "expected a cluster from the parallel package.")
  env <- parent.frame()
  prob <- placebo_problem(fit, term, unit, adopt, time, data, env)

  # the actual assignment through the same kernel (a check of the setup)
  U <- length(prob$adopt)
  actual <- placebo_worker(matrix(seq_len(U), U, 1L), prob, cores)
  chunk <- if (is.null(cl)) 50L else as.integer(max(25L, ceiling(n / length(cl))))
  starts <- seq(1L, n, by = chunk)
  est <- se <- numeric(n)
  its <- integer(n)
  pb <- if (show_progress() && length(starts) > 1L) utils::txtProgressBar(0, n, style = 3) else NULL
  for (s in starts) {
    nd <- as.integer(min(chunk, n - s + 1L))
    perms <- .Call(C_rng_permutations, U, nd)
    res <- if (is.null(cl)) {
      placebo_worker(perms, prob, cores)
    } else {
      blocks <- split(seq_len(nd), cut(seq_len(nd), min(length(cl), nd), labels = FALSE))
      parts <- parallel::clusterApply(cl, lapply(blocks, function(b) perms[, b, drop = FALSE]),
                                      placebo_worker, prob = prob, cores = cores)
      list(estimate = unlist(lapply(parts, `[[`, "estimate")),
           std_error = unlist(lapply(parts, `[[`, "std_error")),
           iterations = unlist(lapply(parts, `[[`, "iterations")))
    }
    ix <- s:(s + nd - 1L)
    est[ix] <- res$estimate
    se[ix] <- res$std_error
    its[ix] <- res$iterations
    if (!is.null(pb)) utils::setTxtProgressBar(pb, s + nd - 1L)
  }
  if (!is.null(pb)) close(pb)
  if (any(its < 0L)) {
    exr_warning("fit", sum(its < 0L), " placebo draw(s) hit the fixed-effect iteration limit.")
  }
  b0 <- unname(fit$coefficients[term])
  se0 <- unname(fit$se[term])
  stat <- est / se
  ok <- !is.na(est)
  structure(list(
    call = call, term = term, estimate = b0, std.error = se0, statistic = b0 / se0,
    estimate_check = actual$estimate, std.error_check = actual$std_error,
    draws = data.frame(estimate = est, std.error = se, statistic = stat),
    p_value = placebo_p(est[ok], b0, alternative),
    p_value_t = placebo_p(stat[ok & is.finite(stat)], b0 / se0, alternative),
    alternative = alternative, n = n, n_failed = sum(!ok), n_units = U,
    n_treated_units = sum(!is.na(prob$adopt)), vcov_type = fit$vcov_type), class = "exr_placebo")
}

# Randomisation p-value counting the actual assignment as one draw; a
# relative tolerance keeps draws equal to the estimate up to rounding in.
placebo_p <- function(draws, b, alternative) {
  tol <- 1e-10 * max(abs(b), .Machine$double.xmin)
  hits <- switch(alternative,
                 two.sided = sum(abs(draws) >= abs(b) - tol),
                 greater = sum(draws >= b - tol),
                 less = sum(draws <= b + tol))
  (1 + hits) / (1 + length(draws))
}

# Run draws (columns of perms) through the C kernel. A function of the
# package's namespace, so that a parallel worker that receives it loads exportres.
placebo_worker <- function(perms, prob, cores = 1L) {
  .Call(C_placebo_run, prob$X, prob$B, prob$ey, prob$weights, prob$unit, prob$time, prob$fe,
        prob$D0, prob$adopt, perms, prob$vspec, prob$ctrl, as.integer(cores))
}

# Everything the draws share: the design rebuilt from the fit's call, the
# other regressors and outcome demeaned once, the variance specification.
placebo_problem <- function(fit, term, unit, adopt, time, data, env) {
  if (is.null(data)) {
    data <- tryCatch(eval(fit$call$data, env), error = function(e) NULL)
    if (is.null(data)) exr_error("data", "could not find the fit's data; pass `data`.")
  }
  if (inherits(data, "exr_match")) exr_error("data", "pass the data frame and `weights = m$weights`.")
  check_data_frame(data)
  df <- data
  da <- fit$design_args
  if (is.null(da)) exr_error("fit", "expected a model from fe_reg().")
  if (length(fit$obs) != nrow(data)) {
    exr_error("data", "does not reproduce the fit's estimation sample; pass the data the model was fitted on.")
  }
  # the fit's weights on its rows (NA elsewhere: those rows were not used)
  w <- NULL
  if (!is.null(fit$weights)) {
    w <- rep(NA_real_, length(fit$obs))
    w[fit$obs] <- fit$weights
  }
  fml <- parse_fixest_formula(fit$formula)
  panel <- da$panel
  d <- build_design(fml, data, panel = panel, cluster = da$cluster, weights = w,
                    singletons = da$singletons)
  if (any(d$keep != fit$obs)) {
    exr_error("data", "does not reproduce the fit's estimation sample; pass the data the model was fitted on.")
  }
  pv <- placebo_panel(df, unit, time, panel, fml)
  ua <- unit_adoption(df, pv, adopt)
  rows <- which(d$keep)
  a <- ua$a[rows]
  tt <- ua$time[rows]
  D <- as.numeric(!is.na(a) & tt >= a)
  if (!(term %in% colnames(d$X)) || any(d$X[, term] != D)) {
    exr_error("term", "'", term, "' is not the treatment implied by `adopt` and `time`: ",
              "1(", pv[2L], " >= ", adopt, "), 0 where ", adopt, " is NA.")
  }
  uc <- codes_of(ua$idc[rows])
  U <- max(uc)
  unit_a <- a[match(seq_len(U), uc)]
  if (length(unique(unit_a)) < 2L) {
    exr_error("adopt", "every unit has the same adoption date (or none): nothing to re-randomise.")
  }
  others <- setdiff(names(fit$coefficients), term)
  Xo <- d$X[, others, drop = FALSE]
  fixef_tol <- da$fixef_tol
  fixef_maxit <- da$fixef_maxit
  dm <- demean_design(d, d$y, Xo, fixef_tol, fixef_maxit)
  ols <- .Call(C_ols_fit, dm$X, dm$y, d$weights, dm$scale, collinear_tol)
  Xk <- dm$X[, ols$kept, drop = FALSE]
  ssc <- if (is.null(fit$ssc)) exr_ssc() else fit$ssc
  type <- fit$vcov_type
  cls <- resolve_clusters(type, d$cluster, d$fe)
  nobs <- length(d$y)
  K <- param_count(length(fit$coefficients), d$fe, cls, ssc)
  vspec <- switch(type,
    iid = list(type = 0L, codes = list(), factors = numeric(0),
               vfac = 1 / (if (ssc$K_adj) nobs - K else nobs)),
    hc1 = list(type = 1L, codes = list(), factors = numeric(0),
               vfac = if (ssc$K_adj) nobs / (nobs - K) else 1),
    cluster = {
      terms <- cgm_terms(cls, ssc)
      list(type = 2L, codes = lapply(terms$codes, as.integer), factors = terms$factor,
           vfac = if (ssc$K_adj) (nobs - 1) / (nobs - K) else 1)
    },
    exr_error("fit", "placebo_test() supports iid, hc1 and clustered standard errors."))
  list(X = Xk, B = ols$bread, ey = ols$residuals, weights = d$weights, unit = as.integer(uc),
       time = as.double(tt), fe = if (length(d$fe)) unname(d$fe) else NULL, D0 = D,
       adopt = as.double(unit_a), vspec = vspec,
       ctrl = as.double(c(fixef_tol, fixef_maxit)))
}

# Unit and time columns: given, or the fit's panel, or its first two fixed effects.
placebo_panel <- function(data, unit, time, panel, fml) {
  pv <- panel_or_fe(data, panel, fml)
  if (!is.null(unit)) {
    if (!is.character(unit) || length(unit) != 1L) exr_error("unit", "expected one column name.")
    check_columns(data, unit, "unit")
    pv <- c(unit, if (is.null(pv)) NA_character_ else pv[2L])
  }
  if (!is.null(time)) {
    if (!is.character(time) || length(time) != 1L) exr_error("time", "expected one column name.")
    check_columns(data, time, "time")
    pv <- c(if (is.null(pv)) NA_character_ else pv[1L], time)
  }
  if (is.null(pv) || is.na(pv[1L])) exr_error("unit", "give the unit column (`unit = `).")
  if (is.na(pv[2L])) exr_error("time", "give the time column (`time = `).")
  if (!is.numeric(data[[pv[2L]]])) exr_error("time", "the time column '", pv[2L], "' must be numeric.")
  pv
}

#' @export
print.exr_placebo <- function(x, digits = 4, ...) {
  cat(sprintf("Placebo test: %d random reassignments of adoption dates across %d units (%d treated)\n",
              x$n, x$n_units, x$n_treated_units))
  cat(sprintf("Term: %s   estimate %s (SE %s, t %s)\n", x$term,
              formatC(x$estimate, digits = digits, format = "f"),
              formatC(x$std.error, digits = digits, format = "f"),
              formatC(x$statistic, digits = 3, format = "f")))
  b <- x$draws$estimate
  cat(sprintf("Placebo estimates: mean %s, sd %s, 2.5%%-97.5%% [%s, %s]\n",
              formatC(mean(b, na.rm = TRUE), digits = digits, format = "f"),
              formatC(stats::sd(b, na.rm = TRUE), digits = digits, format = "f"),
              formatC(stats::quantile(b, 0.025, na.rm = TRUE), digits = digits, format = "f"),
              formatC(stats::quantile(b, 0.975, na.rm = TRUE), digits = digits, format = "f")))
  cat(sprintf("Randomisation p-value (%s): %s (coefficients), %s (t statistics)\n", x$alternative,
              format.pval(x$p_value, digits = 3), format.pval(x$p_value_t, digits = 3)))
  if (x$n_failed > 0) cat(sprintf("%d draw(s) dropped (placebo column collinear)\n", x$n_failed))
  invisible(x)
}

#' Summaries and plots of a placebo test
#'
#' `summary()` gives quantiles of the placebo estimates and t statistics;
#' `plot()` a histogram of the placebo estimates (or t statistics) with the
#' actual value marked; `glance()` a one-row data frame with the estimate,
#' the placebo mean and standard deviation and the p-values.
#'
#' @param object,x an `exr_placebo` object from [placebo_test()].
#' @param what `"estimate"` or `"statistic"` (t statistics).
#' @param breaks passed to [graphics::hist()].
#' @param ... passed to [graphics::hist()] (`summary`, `glance`: unused).
#' @return `summary()`: a matrix of quantiles (class `summary.exr_placebo`,
#'   which prints); `plot()`: `x`, invisibly; `glance()`: a data frame.
#' @examples
#' set.seed(2)
#' d <- expand.grid(id = 1:30, year = 1:8)
#' d$adopt <- c(rep(5, 10), rep(NA, 20))[d$id]
#' d$did <- as.numeric(!is.na(d$adopt) & d$year >= d$adopt)
#' d$y <- 0.8 * d$did + rnorm(30)[d$id] + rnorm(240)
#' pt <- placebo_test(fe_reg(y ~ did | id + year, d), "did", n = 100, adopt = "adopt")
#' summary(pt)
#' plot(pt, what = "statistic")
#' glance(pt)
#' @name summary.exr_placebo
#' @export
summary.exr_placebo <- function(object, ...) {
  q <- c(0, 0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975, 1)
  tab <- rbind(estimate = stats::quantile(object$draws$estimate, q, na.rm = TRUE),
               statistic = stats::quantile(object$draws$statistic, q, na.rm = TRUE))
  structure(list(quantiles = tab, actual = c(estimate = object$estimate, statistic = object$statistic),
                 p_value = object$p_value, p_value_t = object$p_value_t),
            class = "summary.exr_placebo")
}

#' @export
print.summary.exr_placebo <- function(x, digits = 4, ...) {
  cat("Quantiles of the placebo distribution:\n")
  print(round(x$quantiles, digits))
  cat("Actual: estimate", formatC(x$actual[1L], digits = digits, format = "f"),
      " t", formatC(x$actual[2L], digits = 3, format = "f"), "\n")
  cat("p-values:", format.pval(x$p_value, digits = 3), "(coefficients),",
      format.pval(x$p_value_t, digits = 3), "(t statistics)\n")
  invisible(x)
}

#' @rdname summary.exr_placebo
#' @export
plot.exr_placebo <- function(x, what = c("estimate", "statistic"), breaks = 30, ...) {
  what <- match_choice(what, c("estimate", "statistic"), "what")
  v <- x$draws[[what]]
  v <- v[is.finite(v)]
  actual <- if (what == "estimate") x$estimate else x$statistic
  lab <- if (what == "estimate") paste("Placebo estimates of", x$term) else
    paste("Placebo t statistics of", x$term)
  h <- graphics::hist(v, breaks = breaks, plot = FALSE)
  graphics::plot(h, xlim = range(c(h$breaks, actual)), main = "Placebo test", xlab = lab,
                 col = "grey85", border = "white", ...)
  graphics::abline(v = actual, col = "firebrick", lwd = 2)
  graphics::abline(v = 0, lty = 2, col = "grey40")
  graphics::legend("topright", c("actual estimate", "zero"), col = c("firebrick", "grey40"),
                   lty = c(1, 2), lwd = c(2, 1), bty = "n")
  invisible(x)
}

#' @rdname summary.exr_placebo
#' @export
glance.exr_placebo <- function(x, ...) {
  data.frame(term = x$term, estimate = x$estimate, statistic = x$statistic, n = x$n,
             n_failed = x$n_failed, placebo_mean = mean(x$draws$estimate, na.rm = TRUE),
             placebo_sd = stats::sd(x$draws$estimate, na.rm = TRUE), p.value = x$p_value,
             p_value_t = x$p_value_t, row.names = NULL)
}
