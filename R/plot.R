# Base-graphics figures of the measures: the distribution of an index or an
# efficiency score by year (or any group), as boxplots with the mean path.
# Estimators add their own plot() methods (event study, placebo, balance,
# moderation); the replication report draws every figure a table carries.

#' Distribution of panel variables by period
#'
#' Summarises how variables such as the digital-economy index `dig` or the
#' SFA and DEA efficiencies `aif` and `aif_dea` are distributed in each year
#' (or any group): count, mean, standard deviation and quartiles per group,
#' printed as a table and drawn by `plot()` as boxplots with the mean path.
#'
#' @param data a data frame.
#' @param vars names of numeric columns.
#' @param by name of the grouping column (default `"year"`).
#' @param labels optional named character vector of titles for the variables.
#' @return An object of class `exr_distribution`: a list with `stats` (one row
#'   per variable and group), `values` (the non-missing values of each
#'   variable split by group), `by` and `labels`.
#' @examples
#' p <- data.frame(year = rep(2011:2015, each = 40), dig = runif(200))
#' d <- panel_distribution(p, "dig")
#' d
#' plot(d)
#' @export
panel_distribution <- function(data, vars, by = "year", labels = NULL) {
  check_data_frame(data)
  if (!is.character(vars) || !length(vars) || anyNA(vars)) exr_error("vars", "expected column names.")
  if (!is.character(by) || length(by) != 1L || is.na(by)) exr_error("by", "expected one column name.")
  check_columns(data, c(vars, by), "vars")
  for (v in vars) check_numeric_column(data[[v]], v, "vars")
  check_names_arg(labels, "labels")
  g <- data[[by]]
  values <- lapply(vars, function(v) {
    ok <- !is.na(data[[v]]) & !is.na(g)
    split(data[[v]][ok], g[ok], drop = TRUE)
  })
  names(values) <- vars
  stats <- do.call(rbind, lapply(vars, function(v) {
    s <- values[[v]]
    q <- vapply(s, stats::quantile, numeric(5), probs = c(0, 0.25, 0.5, 0.75, 1), names = FALSE)
    data.frame(variable = v, group = names(s), n = lengths(s),
               mean = vapply(s, mean, 0), sd = vapply(s, function(z) if (length(z) > 1L) stats::sd(z) else NA_real_, 0),
               min = q[1L, ], q25 = q[2L, ], median = q[3L, ], q75 = q[4L, ], max = q[5L, ],
               row.names = NULL, stringsAsFactors = FALSE)
  }))
  names(stats)[2L] <- by
  lab <- stats::setNames(vars, vars)
  if (!is.null(labels)) lab[intersect(names(labels), vars)] <- labels[intersect(names(labels), vars)]
  structure(list(stats = stats, values = values, by = by, labels = lab), class = "exr_distribution")
}

#' @export
print.exr_distribution <- function(x, digits = 4, ...) {
  cat(sprintf("Distribution of %s by %s\n", paste(names(x$values), collapse = ", "), x$by))
  s <- x$stats
  num <- vapply(s, is.double, logical(1))
  s[num] <- lapply(s[num], signif, digits = digits)
  print(s, row.names = FALSE)
  invisible(x)
}

#' Plot the distribution of panel variables by period
#'
#' One panel per variable: a boxplot for each group (year) and the path of
#' the group means.
#'
#' @param x an `exr_distribution` from [panel_distribution()].
#' @param vars which variables to draw (all by default).
#' @param ... passed to [graphics::boxplot()].
#' @return `x`, invisibly.
#' @examples
#' p <- data.frame(year = rep(2011:2015, each = 40), a = runif(200), b = rnorm(200))
#' plot(panel_distribution(p, c("a", "b")))
#' @export
plot.exr_distribution <- function(x, vars = names(x$values), ...) {
  if (!is.character(vars) || !all(vars %in% names(x$values))) {
    exr_error("vars", "expected some of ", paste(names(x$values), collapse = ", "), ".")
  }
  if (length(vars) > 1L) {
    op <- graphics::par(mfrow = c(1L, length(vars)))
    on.exit(graphics::par(op))
  }
  for (v in vars) draw_by_group(x$values[[v]], main = x$labels[[v]], xlab = x$by, ylab = "", ...)
  invisible(x)
}

# Boxplots of a list of value vectors (one per group) with the mean path.
draw_by_group <- function(sp, main, xlab, ylab, ...) {
  graphics::boxplot(sp, col = "grey92", border = "grey35", pch = 20, cex = 0.4, las = 1,
                    main = main, xlab = xlab, ylab = ylab, medlwd = 1.5, ...)
  m <- vapply(sp, mean, 0)
  graphics::lines(seq_along(m), m, col = "#1f4e8c", lwd = 2)
  graphics::points(seq_along(m), m, col = "#1f4e8c", pch = 19, cex = 0.7)
  graphics::legend("topleft", c("median and quartiles", "mean"), bty = "n", cex = 0.8,
                   lty = c(NA, 1), pch = c(22, 19), pt.bg = c("grey92", NA),
                   col = c("grey35", "#1f4e8c"), pt.cex = c(1.5, 0.7))
}

#' Plot SFA efficiencies
#'
#' The distribution of the efficiency scores of a stochastic frontier fit
#' ([efficiency()]): a histogram, or boxplots by group (e.g. year) with the
#' mean path when `by` is given.
#'
#' @param x an `exr_sfa` fit.
#' @param by `NULL`, or a vector with one value per row of the data the model
#'   was fitted on (e.g. the year column).
#' @param type efficiency estimator, as in [efficiency()].
#' @param ... passed to the base graphics function.
#' @return `x`, invisibly.
#' @examples
#' set.seed(1)
#' d <- data.frame(year = rep(1:4, each = 50), x = runif(200, 1, 3))
#' d$y <- 1 + 0.6 * log(d$x) + rnorm(200, sd = 0.1) - abs(rnorm(200, sd = 0.3))
#' fit <- sfa(y ~ log(x), d)
#' plot(fit)
#' plot(fit, by = d$year)
#' @export
plot.exr_sfa <- function(x, by = NULL, type = c("bc", "jlms"), ...) {
  e <- as.vector(efficiency(x, type = type))
  main <- paste("SFA efficiency,", sfa_title(x))
  if (is.null(by)) {
    graphics::hist(e[!is.na(e)], breaks = 30, col = "grey85", border = "white",
                   xlab = "Efficiency", main = main, las = 1, ...)
    return(invisible(x))
  }
  if (length(by) != length(e)) exr_error("by", "expected one value per row of the data (", length(e), ").")
  ok <- !is.na(e) & !is.na(by)
  draw_by_group(split(e[ok], by[ok], drop = TRUE), main = main, xlab = "", ylab = "Efficiency", ...)
  invisible(x)
}
