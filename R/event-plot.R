# Event-time estimates from any event-study-like fit, and one plot that
# overlays several of them (TWFE event study, Sun-Abraham, Callaway-Sant'Anna,
# imputation): each estimator contributes an event_estimates() method, or is
# read from its coefficient names (a trailing "::k"), so an estimator added
# later is drawn without changing the plot.

#' Event-time estimates of a fitted model
#'
#' The estimates of an event study as one data frame: one row per event time
#' (periods relative to adoption), with pointwise confidence intervals and,
#' where the estimator gives one, a uniform band. Methods exist for
#' [att_gt()] fits (their dynamic aggregation), [aggregate.exr_attgt()]
#' results of type `"dynamic"`, and [did_imputation()] fits (horizons and
#' pre-trend coefficients); for any other `exr_model` (e.g. a two-way fixed
#' effects event study `fe_reg(y ~ i(rel_year, ref = -1) | id + year)`), the
#' coefficients whose names end in `::k` (fixest's naming of `i()` terms) are
#' read as event time `k`, and the reference period `ref` is added at 0.
#'
#' @param x a fitted model.
#' @param level confidence level.
#' @param ref for generic models: the omitted reference event time (added with
#'   estimate 0), or `NULL`.
#' @param ... passed to methods.
#' @return A data frame with `event`, `estimate`, `std.error`, `conf.low`,
#'   `conf.high`, `band.low`, `band.high` (`NA` without a uniform band) and
#'   `reference` (the normalised period).
#' @examples
#' sim <- sim_staggered(300, seed = 2)
#' fit <- did_imputation(y ~ x, sim, panel = c("id", "t"), adopt = "adopt",
#'                       horizons = TRUE, pretrends = -3:-1)
#' event_estimates(fit)
#' @export
event_estimates <- function(x, ...) UseMethod("event_estimates")

#' @rdname event_estimates
#' @export
event_estimates.default <- function(x, ...) {
  exr_error("x", "expected a fitted model (fe_reg(), event_study(), att_gt(), did_imputation(), ...), ",
            "not ", class(x)[1L], ".")
}

#' @rdname event_estimates
#' @export
event_estimates.exr_attgt <- function(x, level = x$level, ...) {
  event_estimates(aggregate(x, type = "dynamic", level = level, ...), level = level)
}

#' @rdname event_estimates
#' @export
event_estimates.exr_attgt_agg <- function(x, level = x$level, ...) {
  if (x$type != "dynamic") exr_error("x", "event-time estimates need type = \"dynamic\".")
  e <- x$estimates[-1L, , drop = FALSE]
  z <- stats::qnorm(1 - (1 - level) / 2)
  crit <- if (isTRUE(all.equal(level, x$level))) x$crit_value else NA_real_
  event_frame(e$value, e$estimate, e$std.error, z, crit, reference = is.na(e$std.error))
}

#' @rdname event_estimates
#' @export
event_estimates.exr_imputation <- function(x, level = 0.95, ...) {
  e <- x$estimates[!is.na(x$estimates$event), , drop = FALSE]
  z <- stats::qnorm(1 - (1 - level) / 2)
  out <- event_frame(e$event, e$estimate, e$std.error, z)
  if (!is.null(x$pretrends)) {
    p <- event_estimates.exr_model(x$pretrends, level = level, ref = NULL)
    out <- rbind(p, out)
  }
  out[order(out$event), , drop = FALSE]
}

#' @rdname event_estimates
#' @export
event_estimates.exr_model <- function(x, level = 0.95, ref = -1, ...) {
  b <- x$coefficients
  k <- regmatches(names(b), regexpr("::-?[0-9]+$", names(b)))
  has <- grepl("::-?[0-9]+$", names(b))
  if (!any(has)) {
    exr_error("x", "no event-time coefficients (names ending in ::k) in this model.")
  }
  ev <- as.numeric(sub("^::", "", k))
  se <- x$se[has]
  df <- model_df(x)
  q <- if (is.finite(df)) stats::qt(1 - (1 - level) / 2, df) else stats::qnorm(1 - (1 - level) / 2)
  out <- event_frame(ev, unname(b[has]), unname(se), q)
  if (!is.null(ref) && !(ref %in% ev)) {
    out <- rbind(out, event_frame(ref, 0, NA_real_, q, reference = TRUE))
  }
  out[order(out$event), , drop = FALSE]
}

event_frame <- function(event, estimate, se, q, crit = NA_real_, reference = FALSE) {
  data.frame(event = as.numeric(event), estimate = estimate, std.error = se,
             conf.low = estimate - q * se, conf.high = estimate + q * se,
             band.low = estimate - crit * se, band.high = estimate + crit * se,
             reference = rep_len(reference, length(event)), row.names = NULL)
}

#' Overlay event-study estimates of several estimators
#'
#' Draws the event-time estimates of any number of fits side by side (slightly
#' offset), with their pointwise confidence intervals and, where the estimator
#' gives one, its uniform band (a lighter, wider bar): for instance the
#' two-way fixed effects event study, Sun and Abraham's interaction-weighted
#' estimator, Callaway and Sant'Anna's dynamic aggregation ([att_gt()]) and
#' the imputation estimator ([did_imputation()]). Each fit is read through
#' [event_estimates()], so any estimator with a method, or with coefficients
#' named `...::k`, can be added. A known true path can be drawn too.
#'
#' @param ... fitted models (named: the names label the legend), or one named
#'   list of them.
#' @param truth optional data frame with columns `event` and `value`: the true
#'   effects, drawn as a line.
#' @param level confidence level of the intervals.
#' @param band draw uniform bands where available?
#' @param colors one colour per model.
#' @param main,xlab,ylab titles.
#' @param legend position of the legend (as [graphics::legend()]), or `NULL`.
#' @return The estimates drawn (one data frame, with a column `model`),
#'   invisibly.
#' @examples
#' sim <- sim_staggered(400, seed = 3)
#' sim$rel <- ifelse(is.na(sim$adopt), -1, sim$t - sim$adopt)
#' twfe <- fe_reg(y ~ i(rel, ref = -1) + x | id + t, sim, cluster = ~id)
#' cs <- att_gt(y ~ x, sim, panel = c("id", "t"), adopt = "adopt", boot = 199)
#' imp <- did_imputation(y ~ x, sim, panel = c("id", "t"), adopt = "adopt",
#'                       horizons = TRUE, pretrends = -4:-1)
#' tr <- attr(sim, "truth")$event
#' plot_event_studies(TWFE = twfe, CS = cs, Imputation = imp,
#'                    truth = data.frame(event = c(-4:-1, tr$event), value = c(rep(0, 4), tr$tau)))
#' @export
plot_event_studies <- function(..., truth = NULL, level = 0.95, band = TRUE, colors = NULL,
                               main = "Event-time estimates", xlab = "Periods since adoption",
                               ylab = "Effect", legend = "topleft") {
  models <- list(...)
  if (length(models) == 1L && is.list(models[[1L]]) && !inherits(models[[1L]], "exr_model")) {
    models <- models[[1L]]
  }
  if (!length(models)) exr_error("...", "give at least one fitted model.")
  if (!all(vapply(models, inherits, logical(1), what = "exr_model"))) {
    exr_error("...", "every model must be an exportres fit (class exr_model).")
  }
  nm <- names(models)
  if (is.null(nm)) nm <- rep("", length(models))
  nm[!nzchar(nm)] <- vapply(models[!nzchar(nm)], function(m) model_title(class(m)[1L], m), "")
  level <- check_level(level)
  if (!is.null(truth) && (!is.data.frame(truth) || !all(c("event", "value") %in% names(truth)))) {
    exr_error("truth", "expected a data frame with columns `event` and `value`.")
  }
  if (is.null(colors)) {
    colors <- c("#1f4e8c", "#c0392b", "#2e8b57", "#8e44ad", "#d35400", "#555555")
    colors <- rep_len(colors, length(models))
  }
  if (length(colors) != length(models)) exr_error("colors", "expected one colour per model.")
  est <- lapply(seq_along(models), function(j) {
    e <- event_estimates(models[[j]], level = level)
    e$model <- nm[j]
    e
  })
  all_e <- do.call(rbind, est)
  yr <- range(c(all_e$conf.low, all_e$conf.high, if (band) c(all_e$band.low, all_e$band.high),
                all_e$estimate, truth$value, 0), na.rm = TRUE)
  xr <- range(c(all_e$event, truth$event)) + c(-0.5, 0.5)
  graphics::plot(NA, xlim = xr, ylim = yr, main = main, xlab = xlab, ylab = ylab, las = 1)
  graphics::abline(h = 0, col = "grey60")
  graphics::abline(v = -0.5, col = "grey60", lty = 3)
  if (!is.null(truth)) {
    tr <- truth[order(truth$event), ]
    graphics::lines(tr$event, tr$value, col = "grey20", lwd = 2, lty = 2)
  }
  m <- length(est)
  off <- if (m > 1L) seq(-0.25, 0.25, length.out = m) else 0
  for (j in seq_len(m)) {
    e <- est[[j]]
    x <- e$event + off[j]
    live <- !is.na(e$std.error)
    if (band && any(!is.na(e$band.low[live]))) {
      graphics::segments(x[live], e$band.low[live], x[live], e$band.high[live],
                         col = grDevices::adjustcolor(colors[j], 0.35), lwd = 5, lend = 1)
    }
    graphics::segments(x[live], e$conf.low[live], x[live], e$conf.high[live], col = colors[j], lwd = 1.5)
    graphics::points(x, e$estimate, pch = ifelse(e$reference, 1, 19), col = colors[j], cex = 0.9)
  }
  if (!is.null(legend)) {
    lab <- nm
    col <- colors
    lty <- rep(1, m)
    pch <- rep(19, m)
    if (!is.null(truth)) {
      lab <- c(lab, "truth")
      col <- c(col, "grey20")
      lty <- c(lty, 2)
      pch <- c(pch, NA)
    }
    graphics::legend(legend, lab, col = col, lty = lty, pch = pch, bty = "n", cex = 0.8)
  }
  invisible(all_e)
}

#' Plot staggered-adoption estimates
#'
#' `plot()` of an [att_gt()] fit draws one panel per adoption group: the
#' \eqn{ATT(g, t)} over time with pointwise intervals and the uniform band
#' (pre-treatment cells in grey-blue, post-treatment in red). For an
#' aggregation: the event-time plot (`"dynamic"`), or the group or
#' calendar-time estimates with intervals and band; for [did_imputation()]
#' fits, the event-time plot of horizons and pre-trends.
#'
#' @param x a fit.
#' @param ... passed to [plot_event_studies()] (event-time plots) or ignored.
#' @return `x`, invisibly.
#' @examples
#' sim <- sim_staggered(300, seed = 4)
#' fit <- att_gt(y ~ 1, sim, panel = c("id", "t"), adopt = "adopt", boot = 99)
#' plot(fit)
#' plot(aggregate(fit, "dynamic"))
#' @export
plot.exr_attgt <- function(x, ...) {
  e <- x$estimates
  gs <- unique(e$group)
  op <- graphics::par(mfrow = c(length(gs), 1L), mar = c(3, 4, 2, 1))
  on.exit(graphics::par(op))
  yr <- range(c(e$band.low, e$band.high, e$conf.low, e$conf.high, 0), na.rm = TRUE)
  for (g in gs) {
    s <- e[e$group == g, , drop = FALSE]
    col <- ifelse(s$post, "#c0392b", "#1f4e8c")
    graphics::plot(s$time, s$estimate, ylim = yr, pch = ifelse(s$reference, 1, 19), col = col,
                   main = paste("Group", format(g)), xlab = "", ylab = "ATT(g, t)", las = 1)
    graphics::abline(h = 0, col = "grey60")
    live <- !is.na(s$std.error)
    graphics::segments(s$time[live], s$band.low[live], s$time[live], s$band.high[live],
                       col = grDevices::adjustcolor(col[live], 0.35), lwd = 5, lend = 1)
    graphics::segments(s$time[live], s$conf.low[live], s$time[live], s$conf.high[live],
                       col = col[live], lwd = 1.5)
  }
  invisible(x)
}

#' @rdname plot.exr_attgt
#' @export
plot.exr_attgt_agg <- function(x, ...) {
  if (x$type == "dynamic") {
    plot_event_studies(`Callaway-Sant'Anna` = x, level = x$level, ...)
    return(invisible(x))
  }
  e <- x$estimates
  if (x$type != "simple") e <- e[-1L, , drop = FALSE]
  pos <- seq_len(nrow(e))
  yr <- range(c(e$band.low, e$band.high, e$conf.low, e$conf.high, 0), na.rm = TRUE)
  graphics::plot(pos, e$estimate, ylim = yr, xaxt = "n", pch = 19, col = "#1f4e8c", las = 1,
                 xlab = switch(x$type, group = "Adoption group", calendar = "Period", ""),
                 ylab = "ATT", main = paste0("Callaway-Sant'Anna, ", x$type, " aggregation"))
  graphics::axis(1, at = pos, labels = if (x$type == "simple") "ATT" else format(e$value))
  graphics::abline(h = 0, col = "grey60")
  graphics::segments(pos, e$band.low, pos, e$band.high, col = grDevices::adjustcolor("#1f4e8c", 0.35),
                     lwd = 5, lend = 1)
  graphics::segments(pos, e$conf.low, pos, e$conf.high, col = "#1f4e8c", lwd = 1.5)
  invisible(x)
}

#' @rdname plot.exr_attgt
#' @export
plot.exr_imputation <- function(x, ...) {
  plot_event_studies(Imputation = x, ...)
  invisible(x)
}
