# Moderation: the fixed-effects regression with a treatment x moderator
# interaction (the paper's dig x cetc, Table 9), optional mean-centring, simple
# slopes at the moderator's mean +/- 1 SD and the marginal-effect plot.

#' Moderation analysis: an interaction with fixed effects, simple slopes and a marginal-effect plot
#'
#' Adds the moderator and its product with the treatment to a fixed-effects
#' regression, \deqn{Y = \beta_1 T + \beta_2 M + \beta_3\, T \times M +
#' \delta'X + FE + e,} estimated as [fe_reg()] estimates it (same standard
#' errors, same statistics). The interaction is named as R names it
#' (`dig:cetc`). With `center = TRUE` (the default, Aiken and West 1991) the
#' treatment and the moderator are centred at their means over the
#' estimation sample (weighted means with `weights`) before the product is
#' formed, so that \eqn{\beta_1} is the effect of the treatment at the
#' moderator's mean; the interaction coefficient, its standard error and the
#' fit do not depend on the centring.
#'
#' The effect of the treatment at a moderator value \eqn{m} (the *simple
#' slope*) is \eqn{\beta_1 + \beta_3 (m - \bar m)} (\eqn{\beta_1 + \beta_3 m}
#' without centring), with standard error from the model's variance matrix and
#' a t test with the model's degrees of freedom. The result stores it at the
#' moderator's mean and mean plus and minus one standard deviation (at its two
#' values for a binary moderator); [simple_slopes()] gives it anywhere, and
#' `plot()` draws it over the moderator's range with its confidence band.
#'
#' @param formula `y ~ treatment + controls | fixed effects`, as in [fe_reg()].
#' @param moderator the moderator: a column name or a term such as `log(z)`;
#'   added to the regressors when `formula` does not have it.
#' @param data a data frame.
#' @param treatment the treatment term; by default the first regressor.
#' @param center centre the treatment and the moderator at their means before
#'   forming the product?
#' @param level confidence level of the simple slopes.
#' @param cluster,vcov,weights,panel,ssc,singletons,fixef_tol,fixef_maxit,cores
#'   as in [fe_reg()].
#' @return An `exr_fe` model (class `c("exr_moderation", "exr_fe",
#'   "exr_model")`: everything [reg_table()], [tidy()] and [glance()] accept)
#'   with the coefficients of the treatment, the moderator and the interaction,
#'   and further fields `treatment`, `moderator`, `interaction` (its name),
#'   `centers` (the means subtracted, or zeros), `moderator_values` (the
#'   moderator on the estimation rows), `simple_slopes` (a data frame) and `level`.
#' @references Aiken, L. S. and West, S. G. (1991). *Multiple Regression:
#'   Testing and Interpreting Interactions*. Sage.
#' @seealso [simple_slopes()], [plot.exr_moderation()], [mediation()].
#' @examples
#' set.seed(3)
#' df <- data.frame(g = rep(1:40, each = 6), t = rep(1:6, 40), x = rnorm(240), z = rnorm(240))
#' df$y <- 0.5 * df$x + 0.2 * df$z + 0.3 * df$x * df$z + rnorm(240)
#' mod <- moderation(y ~ x | g + t, "z", df, cluster = ~g)
#' mod
#' simple_slopes(mod, at = c(-1, 0, 1))
#' plot(mod)
#' @export
moderation <- function(formula, moderator, data, treatment = NULL, center = TRUE, level = 0.95,
                       cluster = NULL, vcov = NULL, weights = NULL, panel = NULL, ssc = NULL,
                       singletons = c("drop", "keep"), fixef_tol = 1e-10, fixef_maxit = 10000L,
                       cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  singletons <- match_choice(singletons, c("drop", "keep"), "singletons")
  vcov <- vcov_choice(vcov)
  ssc <- as_ssc(ssc)
  cores <- check_cores(cores)
  level <- check_level(level)
  if (!is.logical(center) || length(center) != 1L || is.na(center)) {
    exr_error("center", "expected TRUE or FALSE.")
  }
  fml <- parse_fixest_formula(formula)
  if (!is.null(fml$endo)) exr_error("formula", "has an IV part; moderation() takes `y ~ x | fe`.")
  mod <- term_labels_arg(moderator, "moderator")
  if (length(mod) != 1L) exr_error("moderator", "expected one moderator.")
  if (identical(mod, deparse1(fml$lhs))) exr_error("moderator", "is the response of `formula`.")
  check_term_vars(mod, data, fml$env, "moderator")
  added <- !(mod %in% rhs_term_labels(fml))
  fml_all <- if (added) add_rhs_terms(fml, mod) else fml
  d <- build_design(fml_all, data, panel = panel, cluster = cluster, weights = weights,
                    singletons = singletons)
  single_columns(d, mod, "moderator")
  if (is.null(treatment) && identical(setdiff(colnames(d$X), "(Intercept)")[1L], mod)) {
    exr_error("moderator", "'", mod, "' is the first regressor, which is the treatment by ",
              "default; give `treatment`.")
  }
  treat <- resolve_treatment(d, colnames(d$X), treatment, exclude = mod)
  w <- d$weights
  wmean <- function(v) if (is.null(w)) mean(v) else sum(w * v) / sum(w)
  mv <- d$X[, mod]
  if (length(unique(mv)) < 2L) {
    exr_error("moderator", "'", mod, "' is constant on the estimation sample; it cannot moderate.")
  }
  if (isTRUE(all.equal(mv, d$X[, treat], tolerance = 0, check.attributes = FALSE))) {
    exr_error("moderator", "'", mod, "' is equal to the treatment '", treat, "'.")
  }
  centers <- c(0, 0)
  if (center) centers <- c(wmean(d$X[, treat]), wmean(mv))
  names(centers) <- c(treat, mod)
  X <- d$X
  X[, treat] <- X[, treat] - centers[[1L]]
  X[, mod] <- X[, mod] - centers[[2L]]
  inter <- paste0(treat, ":", mod)
  if (inter %in% colnames(X)) {
    exr_error("formula", "already has the interaction '", inter, "'; give the formula without it.")
  }
  X <- cbind(X, X[, treat] * X[, mod])
  colnames(X)[ncol(X)] <- inter
  fit <- fit_within(d, fixef_tol, fixef_maxit, cores, X = X)
  lost <- c(treat, inter)[!fit$kept[match(c(treat, inter), colnames(X))]]
  if (length(lost)) {
    exr_error(if (lost[1L] == treat) "treatment" else "moderator", "'", lost[1L],
              "' is collinear with the other regressors or absorbed by the fixed effects.")
  }
  labs <- column_labels(d, colnames(d$X), rhs_term_labels(fml_all))
  f_full <- equation_formula(d$lhs_name, c(labs, inter), fml)
  out <- fe_model(fit, d, vcov, ssc, call, formula, kind = c("moderation", "fe"),
                  treatment = treat, moderator = mod, interaction = inter, centers = centers,
                  center = center, moderator_values = mv, level = level, formula_full = f_full)
  out$simple_slopes <- simple_slopes(out, level = level)
  out
}

#' Simple slopes of a moderation model
#'
#' The effect of the treatment at given values of the moderator,
#' \eqn{\beta_1 + \beta_3 (m - c)} (\eqn{c} the moderator's centring mean, or
#' 0), with its standard error from the model's variance matrix (clustered,
#' robust or iid as fitted), a t test with the model's degrees of freedom and
#' a confidence interval.
#'
#' @param x an `exr_moderation` model from [moderation()].
#' @param at moderator values (on its original scale); by default its mean
#'   and mean plus and minus one standard deviation over the estimation sample
#'   (its two values when it is binary).
#' @param level confidence level.
#' @return A data frame with `at` (the label: `"mean - 1 SD"`, `"mean"`,
#'   `"mean + 1 SD"`, or the value), `moderator` (the value), `slope`,
#'   `std.error`, `statistic`, `p.value`, `conf.low`, `conf.high`.
#' @examples
#' set.seed(3)
#' df <- data.frame(g = rep(1:30, each = 5), x = rnorm(150), z = rnorm(150))
#' df$y <- df$x * (1 + 0.5 * df$z) + rnorm(150)
#' mod <- moderation(y ~ x | g, "z", df)
#' simple_slopes(mod)
#' simple_slopes(mod, at = seq(-2, 2, by = 1))
#' @export
simple_slopes <- function(x, at = NULL, level = x$level) {
  if (!inherits(x, "exr_moderation")) exr_error("x", "expected a model from moderation().")
  level <- check_level(level)
  mv <- x$moderator_values
  mv <- mv[!is.na(mv)]
  if (is.null(at)) {
    vals <- sort(unique(mv))
    if (length(vals) == 2L) {
      at <- vals
      lab <- format(vals)
    } else {
      m <- mean(mv)
      s <- stats::sd(mv)
      at <- c(m - s, m, m + s)
      lab <- c("mean - 1 SD", "mean", "mean + 1 SD")
    }
  } else {
    if (!is.numeric(at) || !length(at) || !all(is.finite(at))) {
      exr_error("at", "expected finite moderator values.")
    }
    lab <- format(at)
  }
  b <- x$coefficients
  V <- x$vcov
  tr <- x$treatment
  it <- x$interaction
  dm <- at - x$centers[[2L]]
  slope <- unname(b[tr] + b[it] * dm)
  se <- sqrt(pmax(V[tr, tr] + dm^2 * V[it, it] + 2 * dm * V[tr, it], 0))
  stat <- slope / se
  df <- model_df(x)
  p <- if (is.finite(df)) 2 * stats::pt(-abs(stat), df) else 2 * stats::pnorm(-abs(stat))
  q <- if (is.finite(df)) stats::qt((1 + level) / 2, df) else stats::qnorm((1 + level) / 2)
  data.frame(at = lab, moderator = at, slope = slope, std.error = se, statistic = stat,
             p.value = p, conf.low = slope - q * se, conf.high = slope + q * se,
             stringsAsFactors = FALSE)
}

#' @export
print.exr_moderation <- function(x, digits = 4, ...) {
  NextMethod()
  cat(sprintf("\nSimple slopes of %s by %s%s:\n", x$treatment, x$moderator,
              if (isTRUE(x$center)) " (both centred at their means)" else ""))
  s <- x$simple_slopes
  fmt <- function(v) formatC(v, digits = digits, format = "f")
  print(data.frame(`at` = s$at, moderator = fmt(s$moderator), slope = fmt(s$slope),
                   `Std. Error` = fmt(s$std.error), `Pr(>|t|)` = format.pval(s$p.value, digits = 3),
                   ` ` = stars_of(s$p.value), check.names = FALSE), row.names = FALSE)
  invisible(x)
}

#' Marginal-effect plot of a moderation model
#'
#' The effect of the treatment (the simple slope) over the range of the
#' moderator, with its pointwise confidence band, a rug of the observed
#' moderator values, the simple slopes at the mean and mean plus and minus
#' one standard deviation, and a line at zero. Base graphics.
#'
#' @param x an `exr_moderation` model from [moderation()].
#' @param level confidence level of the band.
#' @param n number of grid points.
#' @param rug draw the observed moderator values along the axis?
#' @param ... passed to [graphics::plot()].
#' @return The grid of simple slopes (a data frame from [simple_slopes()]), invisibly.
#' @examples
#' set.seed(3)
#' df <- data.frame(g = rep(1:30, each = 5), x = rnorm(150), z = rnorm(150))
#' df$y <- df$x * (1 + 0.5 * df$z) + rnorm(150)
#' plot(moderation(y ~ x | g, "z", df))
#' @export
plot.exr_moderation <- function(x, level = x$level, n = 100L, rug = TRUE, ...) {
  mv <- x$moderator_values
  rng <- range(mv, na.rm = TRUE)
  grid <- simple_slopes(x, at = seq(rng[1L], rng[2L], length.out = n), level = level)
  pts <- x$simple_slopes
  graphics::plot(grid$moderator, grid$slope, type = "n", las = 1,
                 ylim = range(c(grid$conf.low, grid$conf.high, 0)),
                 xlab = x$moderator, ylab = paste("Marginal effect of", x$treatment),
                 main = sprintf("Effect of %s by %s", x$treatment, x$moderator), ...)
  graphics::polygon(c(grid$moderator, rev(grid$moderator)), c(grid$conf.low, rev(grid$conf.high)),
                    col = "grey85", border = NA)
  graphics::abline(h = 0, col = "grey40", lty = 2)
  graphics::lines(grid$moderator, grid$slope, col = "#1f4e8c", lwd = 2)
  graphics::points(pts$moderator, pts$slope, pch = 19, col = "#1f4e8c")
  graphics::segments(pts$moderator, pts$conf.low, pts$moderator, pts$conf.high, col = "#1f4e8c")
  if (rug) graphics::rug(mv, col = "grey50")
  graphics::legend("topleft", c("marginal effect", sprintf("%g%% confidence band", 100 * level)),
                   lty = c(1, NA), pch = c(NA, 15), col = c("#1f4e8c", "grey85"), pt.cex = 2,
                   bty = "n", cex = 0.8)
  invisible(grid)
}
