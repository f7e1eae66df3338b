# Methods shared by every regression-type result (class "exr_model"). They read
# the fields every estimator fills: coefficients, vcov, nobs, df_t, stats, ...

#' Methods for exportres models
#'
#' `coef()`, `vcov()`, `nobs()`, `confint()`, `fitted()`, `residuals()`,
#' `print()` and `summary()` for any result of class `exr_model`. t tests use
#' the model's `df_t` (e.g. \eqn{G-1} with clustered standard errors); models
#' estimated by maximum likelihood use z tests.
#'
#' @param object,x a fitted model of class `exr_model`.
#' @param parm coefficients to include (names or indices); all by default.
#' @param level confidence level.
#' @param digits significant digits to print.
#' @param ... unused.
#' @return `coef()`: named coefficients; `vcov()`: their variance matrix;
#'   `nobs()`: observations used; `confint()`: a matrix of bounds;
#'   `fitted()`/`residuals()`: vectors aligned with the rows of the data (`NA`
#'   for rows not used); `summary()`: the coefficient table as an object that prints.
#' @examples
#' set.seed(2)
#' df <- data.frame(g = rep(1:20, each = 5), x = rnorm(100))
#' df$y <- df$x + rnorm(20)[df$g] + rnorm(100)
#' fit <- fe_reg(y ~ x | g, df)
#' coef(fit); vcov(fit); nobs(fit); confint(fit)
#' summary(fit)
#' @name exr_model
NULL

#' @rdname exr_model
#' @export
coef.exr_model <- function(object, ...) object$coefficients

#' @rdname exr_model
#' @export
vcov.exr_model <- function(object, ...) object$vcov

#' @rdname exr_model
#' @export
nobs.exr_model <- function(object, ...) object$nobs

#' @rdname exr_model
#' @export
fitted.exr_model <- function(object, ...) object$fitted.values

#' @rdname exr_model
#' @export
residuals.exr_model <- function(object, ...) object$residuals

model_df <- function(object) {
  df <- object$df_t
  if (is.null(df)) Inf else df
}

coef_table <- function(object) {
  b <- object$coefficients
  v <- diag(object$vcov)[names(b)]
  se <- vcov_se(v)
  t <- b / se
  df <- model_df(object)
  p <- if (is.finite(df)) 2 * stats::pt(abs(t), df, lower.tail = FALSE) else
    2 * stats::pnorm(abs(t), lower.tail = FALSE)
  data.frame(estimate = unname(b), std.error = unname(se), statistic = unname(t),
             p.value = unname(p), row.names = names(b), check.names = FALSE)
}

#' @rdname exr_model
#' @export
confint.exr_model <- function(object, parm, level = 0.95, ...) {
  check_level(level)
  b <- object$coefficients
  se <- vcov_se(diag(object$vcov)[names(b)])
  if (!missing(parm)) {
    b <- b[parm]
    se <- se[names(b)]
  }
  a <- (1 - level) / 2
  df <- model_df(object)
  q <- if (is.finite(df)) stats::qt(1 - a, df) else stats::qnorm(1 - a)
  ci <- cbind(b - q * se, b + q * se)
  dimnames(ci) <- list(names(b), paste(format(100 * c(a, 1 - a), trim = TRUE, digits = 3), "%"))
  ci
}

#' Tidy and glance for exportres models
#'
#' broom-style summaries (generics `tidy()` and `glance()`), so that
#' modelsummary and friends work with exportres results.
#'
#' @param x a fitted model of class `exr_model`.
#' @param conf.int include confidence intervals?
#' @param conf.level their level.
#' @param ... unused.
#' @return `tidy()`: a data frame with `term`, `estimate`, `std.error`,
#'   `statistic`, `p.value` (and `conf.low`, `conf.high`). `glance()`: a
#'   one-row data frame of the model's statistics, among `nobs`, `r.squared`,
#'   `adj.r.squared`, `within.r.squared`, `f_stat`, `f_p` (F test of the
#'   regressors, iid, within the fixed effects), `sigma`, `logLik`, `n_groups`
#'   and the estimator-specific statistics.
#' @examples
#' set.seed(3)
#' df <- data.frame(g = rep(1:20, each = 5), x = rnorm(100))
#' df$y <- df$x + rnorm(100)
#' fit <- fe_reg(y ~ x | g, df)
#' tidy(fit, conf.int = TRUE)
#' glance(fit)
#' @name tidy.exr_model
#' @export
tidy.exr_model <- function(x, conf.int = FALSE, conf.level = 0.95, ...) {
  conf.int <- check_flag(conf.int, "conf.int")
  if (conf.int) check_level(conf.level, "conf.level")
  tab <- coef_table(x)
  out <- data.frame(term = rownames(tab), tab, row.names = NULL, check.names = FALSE)
  if (conf.int) {
    ci <- confint(x, level = conf.level)
    out$conf.low <- unname(ci[, 1L])
    out$conf.high <- unname(ci[, 2L])
  }
  out
}

#' @rdname tidy.exr_model
#' @export
glance.exr_model <- function(x, ...) {
  s <- model_stats(x)
  as.data.frame(lapply(s, function(v) if (length(v) == 1L) v else NA), check.names = FALSE)
}

# Significance stars from p-values; `stars` holds the thresholds named by their
# symbols (the smallest threshold a p-value is below wins).
stars_of <- function(p, stars = c(`***` = 0.01, `**` = 0.05, `*` = 0.1)) {
  out <- rep("", length(p))
  for (i in order(stars, decreasing = TRUE)) out[!is.na(p) & p < stars[[i]]] <- names(stars)[i]
  out
}

vcov_label <- function(x) {
  switch(x$vcov_type,
         iid = "IID",
         hc1 = "Heteroskedasticity-robust (HC1)",
         cluster = paste0("Clustered (", paste(x$cluster, collapse = " & "), ")"),
         hessian = "Inverse Hessian",
         windmeijer = paste0("Windmeijer-corrected two-step (clustered by ",
                             paste(x$cluster, collapse = " & "), ")"),
         heckman = "Heckman-Greene two-step corrected",
         bootstrap = paste0("Bootstrap of both steps",
                            if (length(x$cluster)) paste0(" (clusters: ", x$cluster[1L], ")") else ""),
         influence = paste0("Influence function (clustered by ", paste(x$cluster, collapse = " & "), ")"),
         imputation = paste0("Borusyak-Jaravel-Spiess conservative (clustered by ",
                             paste(x$cluster, collapse = " & "), ")"),
         x$vcov_type)
}

#' @rdname exr_model
#' @export
summary.exr_model <- function(object, ...) {
  structure(list(model = object, table = coef_table(object)), class = "summary.exr_model")
}

#' @export
print.summary.exr_model <- function(x, digits = 4, ...) {
  print(x$model, digits = digits, ...)
  invisible(x)
}

#' @rdname exr_model
#' @export
print.exr_model <- function(x, digits = 4, ...) {
  kind <- class(x)[1L]
  cat(sprintf("%s estimation, dependent variable: %s\n", model_title(kind, x),
              if (is.null(x$depvar)) "" else x$depvar))
  cat(sprintf("Observations: %s", format(x$nobs, big.mark = ",")))
  if (isTRUE(x$n_dropped > 0)) cat(sprintf(" (%s dropped for NA)", format(x$n_dropped, big.mark = ",")))
  if (isTRUE(x$n_singletons > 0)) {
    cat(sprintf(" (%s singleton%s dropped)", format(x$n_singletons, big.mark = ","),
                if (x$n_singletons > 1) "s" else ""))
  }
  cat("\n")
  if (length(x$fixef)) {
    cat("Fixed effects: ", paste0(x$fixef, " (", x$fixef_sizes, ")", collapse = ", "), "\n", sep = "")
  }
  cat("Standard errors: ", vcov_label(x), "\n", sep = "")
  print_coef_table(coef_table(x), digits, z = !is.finite(model_df(x)))
  if (length(x$collinear)) cat("Dropped (collinear):", paste(x$collinear, collapse = ", "), "\n")
  print_stats_line(x, digits)
  if (isFALSE(x$converged)) cat("Warning: the fixed-effect projections did not converge.\n")
  invisible(x)
}

# The statistics that apply to the model, one line, read through model_stats().
print_stats_line <- function(x, digits = 4) {
  s <- model_stats(x)
  lab <- c(r.squared = "R2", within.r.squared = "Within R2", adj.r.squared = "Adj. R2",
           sigma = "RMSE", logLik = "Log-likelihood")
  parts <- character(0)
  for (nm in names(lab)) {
    v <- s[[nm]]
    if (!is.null(v) && length(v) == 1L && !is.na(v)) {
      parts <- c(parts, sprintf("%s: %s", lab[[nm]], formatC(v, digits = digits, format = "f")))
    }
  }
  if (length(parts)) cat(paste(parts, collapse = "  "), "\n")
  invisible(parts)
}

# The coefficient block every print method shows.
print_coef_table <- function(tab, digits = 4, z = FALSE) {
  shown <- data.frame(
    Estimate = formatC(tab$estimate, digits = digits, format = "f"),
    `Std. Error` = formatC(tab$std.error, digits = digits, format = "f"),
    `t value` = formatC(tab$statistic, digits = 3, format = "f"),
    `Pr(>|t|)` = format.pval(tab$p.value, digits = 3),
    ` ` = stars_of(tab$p.value),
    row.names = rownames(tab), check.names = FALSE)
  if (z) names(shown)[3:4] <- c("z value", "Pr(>|z|)")
  print(shown, right = TRUE)
  cat("---\nSignif. codes: *** 0.01 ** 0.05 * 0.1\n")
  invisible(shown)
}

model_title <- function(kind, x = NULL) {
  switch(kind,
         exr_fe = "OLS (fixed effects)",
         exr_moderation = "OLS (fixed effects) with moderation",
         exr_iv = "IV (2SLS)",
         exr_sfa = "Stochastic frontier (ML)",
         exr_binary = if (identical(x$link, "logit")) "Logit (ML)" else "Probit (ML)",
         exr_heckman = "Heckman two-step",
         exr_gmm = "Dynamic-panel GMM",
         exr_event = if (identical(x$method, "sunab")) "Event study (Sun-Abraham)" else
           "Event study (TWFE)",
         exr_attgt = "Callaway-Sant'Anna group-time ATT",
         exr_attgt_agg = paste0("Callaway-Sant'Anna ATT, ", x$type, " aggregation"),
         exr_imputation = "Imputation DiD (Borusyak-Jaravel-Spiess)",
         sub("^exr_", "", kind))
}

#' @importFrom generics tidy
#' @export
generics::tidy

#' @importFrom generics glance
#' @export
generics::glance
