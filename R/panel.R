# Panel structure and the l() / f() / d() operators used inside formulas.

#' Declare a panel: unit and time identifiers
#'
#' Marks a data frame as a panel of units observed over time. Estimators that
#' take `panel = c(id, time)` accept an `exr_panel` instead, and the panel
#' operators `l()`, `f()` and `d()` inside formulas use it.
#'
#' @param data a data frame.
#' @param id,time names of the unit and time columns. `time` must be numeric
#'   (e.g. the year) so that lags can be found by value.
#' @return `data` with class `exr_panel` added and attribute `panel = c(id, time)`.
#'   Duplicate (id, time) pairs are an error.
#' @details A lag `l(x, k)` is the value of `x` for the same unit at time `t - k`
#'   *if that row is present in the data*; otherwise it is `NA` and the row is
#'   dropped from estimation. So a lag on 2011-2021 data loses 2011. `f(x, k)` is
#'   the lead `l(x, -k)` and `d(x, k)` the difference `x - l(x, k)`.
#' @examples
#' df <- data.frame(city = rep(c("a", "b"), each = 3), year = rep(2011:2013, 2),
#'                  y = c(1, 2, 4, 3, 5, 8))
#' p <- exr_panel(df, "city", "year")
#' p
#' @export
exr_panel <- function(data, id, time) {
  check_data_frame(data)
  if (!is.character(id) || length(id) != 1L) exr_error("id", "expected one column name.")
  if (!is.character(time) || length(time) != 1L) exr_error("time", "expected one column name.")
  check_columns(data, id, "id")
  check_columns(data, time, "time")
  if (!is.numeric(data[[time]])) {
    exr_error("time", "column '", time, "' must be numeric (e.g. the year).")
  }
  if (anyNA(data[[id]]) || anyNA(data[[time]])) {
    exr_error("data", "the panel identifiers '", id, "' and '", time, "' contain NA.")
  }
  panel_keys(data[[id]], data[[time]], check = TRUE)
  attr(data, "panel") <- c(id, time)
  if (!inherits(data, "exr_panel")) class(data) <- c("exr_panel", class(data))
  data
}

#' @export
print.exr_panel <- function(x, ...) {
  p <- attr(x, "panel")
  cat(sprintf("<exr_panel> %d rows, %d units (%s) x %d periods (%s)\n", nrow(x),
              length(unique(x[[p[1L]]])), p[1L], length(unique(x[[p[2L]]])), p[2L]))
  print(as.data.frame(utils::head(structure(x, class = setdiff(class(x), "exr_panel")), 6L)))
  if (nrow(x) > 6L) cat("...\n")
  invisible(x)
}

# Resolve the `panel` argument (NULL, c(id, time) or from an exr_panel) to
# column names, or NULL.
panel_vars <- function(data, panel, arg = "panel") {
  if (is.null(panel)) return(attr(data, "panel"))
  if (inherits(panel, "exr_panel")) return(attr(panel, "panel"))
  if (!is.character(panel) || length(panel) != 2L || anyNA(panel)) {
    exr_error(arg, "expected c(id, time): two column names.")
  }
  check_columns(data, panel, arg)
  if (!is.numeric(data[[panel[2L]]])) {
    exr_error(arg, "the time column '", panel[2L], "' must be numeric.")
  }
  panel
}

# Unique numeric key per (id, time); optionally an error on duplicates.
panel_keys <- function(id, time, check = FALSE) {
  idc <- match(id, unique(id))
  tt <- as.numeric(time)
  rng <- range(tt, na.rm = TRUE)
  span <- rng[2L] - rng[1L] + 1
  key <- idc * (span + 1) + (tt - rng[1L])
  if (check) {
    dup <- anyDuplicated(key[!is.na(key)])
    if (dup) {
      exr_error("data", "duplicate (id, time) pair: (", format(id[dup]), ", ",
                format(time[dup]), ") appears more than once.")
    }
  }
  list(key = key, id = idc, time = tt, span = span, tmin = rng[1L])
}

# Row of each observation's value k periods earlier (NA when that row is absent).
panel_shift_index <- function(pk, k) {
  target <- pk$id * (pk$span + 1) + (pk$time - k - pk$tmin)
  ok <- (pk$time - k) >= pk$tmin & (pk$time - k) <= pk$tmin + pk$span - 1
  idx <- rep(NA_integer_, length(target))
  idx[ok] <- match(target[ok], pk$key)
  idx
}

# An environment in which l(), f(), d() evaluate against the panel of `data`.
# It is the enclosure of the formula's evaluation, so any column of `data`
# is visible and user functions from the formula's environment still are.
panel_env <- function(data, panel, parent) {
  env <- new.env(parent = parent)
  # a declared panel is checked for duplicate (id, time) pairs whether or not
  # the formula uses a panel operator
  pk <- if (is.null(panel)) NULL else
    panel_keys(data[[panel[1L]]], data[[panel[2L]]], check = TRUE)
  get_pk <- function() {
    if (is.null(pk)) {
      exr_error("panel", "l(), f() and d() need a panel: give `panel = c(id, time)` or an exr_panel.")
    }
    pk
  }
  lag_k <- function(x, k) {
    if (!is.numeric(k) || length(k) != 1L || is.na(k) || k != round(k)) {
      exr_error("formula", "the lag/lead order must be a whole number.")
    }
    p <- get_pk()
    if (length(x) != length(p$key)) {
      exr_error("formula", "a panel operator was applied to something that is not a column.")
    }
    x[panel_shift_index(p, k)]
  }
  env$l <- function(x, k = 1) lag_k(x, k)
  env$f <- function(x, k = 1) lag_k(x, -k)
  env$d <- function(x, k = 1) x - lag_k(x, k)
  env
}
