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
  panel_index(data[[id]], data[[time]], check = TRUE)
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

#' The panel index shared by every panel computation
#'
#' One place for the rules: rows whose id (or time) is `NA` belong to no unit
#' (their lags and leads are `NA`, they are never pooled into one unit); a
#' duplicate (id, time) pair is an error. Without `time` it is a plain group
#' index (DEA's `by`).
#' @param id unit identifiers (any atomic vector).
#' @param time numeric times, or NULL.
#' @param check error on duplicate (id, time) pairs?
#' @param mask return the `valid` mask when every row is in a unit (FALSE:
#'   `valid` is then NULL, sparing a logical vector as long as the data).
#' @return list: `id` (integer codes 1..G aligned with the rows, NA for rows in
#'   no unit), `time`, `valid` (rows in a unit), `order` (the valid rows sorted
#'   by unit, then time), `in_order` (`order` is `seq_len(n)`: the rows were
#'   already in that order), `start` (G + 1 offsets into `order`: unit g is
#'   `order[(start[g] + 1):start[g + 1]]`), `n_groups`, `tmin`, `span`.
#' @keywords internal
#' @noRd
panel_index <- function(id, time = NULL, check = TRUE, arg = "data", mask = TRUE) {
  if (!is.atomic(id) || is.null(id)) exr_error(arg, "the unit identifier must be an atomic vector, not ", class(id)[1L], ".")
  n <- length(id)
  if (!is.null(time)) {
    if (length(time) != n) exr_error(arg, "the time column does not match the id column.")
    # integer times stay integer (no copy of the column); others become double
    if (!is.integer(time) || is.factor(time)) time <- as.numeric(time)
    # one scan: infinite values (or NaN, which counts as missing), NAs, range
    t_scan <- .Call(C_finite_scan, time)
    if (t_scan[1L] > 0 && any(is.infinite(time))) exr_error(arg, "the time column has infinite values.")
    t_na <- t_scan[1L] + t_scan[3L] > 0
  }
  # codes without copies when no row is missing an id or time (the usual case)
  all_valid <- !anyNA(id) && (is.null(time) || !t_na)
  if (all_valid) {
    valid <- if (mask) rep(TRUE, n) else NULL
    idc <- if (n) codes_of(id) else integer(0)
  } else {
    valid <- !is.na(id)
    if (!is.null(time)) valid <- valid & !is.na(time)
    idc <- rep(NA_integer_, n)
    idc[valid] <- codes_of(id[valid])
  }
  # the number of units: counted by codes_of() when it codes by counting
  G <- attr(idc, "n_groups", exact = TRUE)
  if (is.null(G)) G <- if (n && (all_valid || any(valid))) max(idc, na.rm = TRUE) else 0L
  # the rows sorted by unit, then time (stably, as order(idc, time)), by
  # counting in C, and the first repeated (id, time) pair
  so <- .Call(C_panel_order, as.integer(idc), time, as.integer(G))
  # rows already sorted by unit and time (the usual layout): the order is
  # 1..n, a compact sequence that R does not store (in_order tells C code
  # that takes it that it may read the rows directly)
  in_order <- is.null(so$order)
  if (in_order) so$order <- seq_len(n)
  # the periods' range: from the scan when every row is in a unit (min and
  # max of the valid rows otherwise, not range(), which copies its argument)
  rng <- if (is.null(time) || !length(so$order)) {
    c(0, 0)
  } else if (length(so$order) == n) {
    t_scan[4:5]
  } else {
    tv <- time[valid]
    as.double(c(min(tv), max(tv)))
  }
  pi <- list(id = idc, time = time, valid = valid, order = so$order, in_order = in_order,
             start = so$start, n_groups = G, tmin = rng[1L], span = rng[2L] - rng[1L] + 1)
  if (check && !is.null(time) && so$dup > 0L) {
    r <- so$dup
    exr_error(arg, "duplicate (id, time) pair: (", format(id[r]), ", ", format(time[r]),
              ") appears more than once.")
  }
  pi
}

# Row of each observation's value k periods earlier within its unit (NA when
# that row is absent, or the row belongs to no unit).
panel_shift_index <- function(pi, k) {
  key <- pi$id * (pi$span + 1) + (pi$time - pi$tmin)
  tgt_t <- pi$time - k
  ok <- pi$valid & tgt_t >= pi$tmin & tgt_t <= pi$tmin + pi$span - 1
  idx <- rep(NA_integer_, length(key))
  idx[ok] <- match(pi$id[ok] * (pi$span + 1) + (tgt_t[ok] - pi$tmin), key)
  idx
}

# The environment in which formulas are evaluated: the panel operators l(),
# f(), d() against the panel of `data`, and the factor-interaction operator
# i(). It encloses the formula's own environment, so any column of `data` and
# any user function or variable visible from the formula still are.
formula_env <- function(pidx, parent, n) {
  env <- new.env(parent = parent)
  lag_k <- function(x, k) {
    if (!is.numeric(k) || length(k) != 1L || is.na(k) || k != round(k)) {
      exr_error("formula", "the lag/lead order must be a whole number.")
    }
    if (is.null(pidx)) {
      exr_error("panel", "l(), f() and d() need a panel: give `panel = c(id, time)` or an exr_panel.")
    }
    if (length(x) != length(pidx$id)) {
      exr_error("formula", "a panel operator was applied to something that is not a column.")
    }
    x[panel_shift_index(pidx, k)]
  }
  # several orders at once, l(x, 1:2): one column each, named as fixest does
  lags <- function(x, k, op, xname) {
    if (length(k) == 1L) return(lag_k(x, if (op == "l") k else -k))
    out <- vapply(k, function(kk) lag_k(x, if (op == "l") kk else -kk), numeric(length(x)))
    colnames(out) <- paste0(op, "(", xname, ", ", k, ")")
    out
  }
  env$l <- function(x, k = 1) lags(x, k, "l", deparse1(substitute(x)))
  env$f <- function(x, k = 1) lags(x, k, "f", deparse1(substitute(x)))
  env$d <- function(x, k = 1) x - lag_k(x, k)
  env$i <- function(var, var2 = NULL, ref = NULL, keep = NULL) {
    i_dummies(var, var2, ref, keep, deparse1(substitute(var)),
              if (missing(var2)) NULL else deparse1(substitute(var2)), n)
  }
  env
}

# i(var, var2, ref, keep): one column per distinct value of `var` (except
# `ref`; only `keep` if given), equal to 1 (or to var2) where var takes it,
# named "var::value" (or "var::value:var2") as fixest names them. NA in var
# gives an NA row (dropped).
i_dummies <- function(var, var2, ref, keep, vname, v2name, n) {
  if (is.factor(var)) var <- as.character(var)
  if (!is.atomic(var) || length(var) != n) {
    exr_error("formula", "i() needs a column of `data` as its first argument.")
  }
  lev <- sort(unique(var[!is.na(var)]))
  if (isTRUE(ref)) ref <- lev[1L]
  if (!is.null(ref)) {
    bad <- !(ref %in% lev)
    if (any(bad)) exr_error("formula", "i(", vname, "): reference value(s) ",
                            paste(ref[bad], collapse = ", "), " not found.")
    lev <- lev[!(lev %in% ref)]
  }
  if (!is.null(keep)) lev <- lev[lev %in% keep]
  if (!length(lev)) exr_error("formula", "i(", vname, ") leaves no value to estimate.")
  out <- outer(var, lev, "==") + 0
  if (!is.null(var2)) {
    if (!is.numeric(var2) || length(var2) != n) {
      exr_error("formula", "i(", vname, ", ", v2name, "): the second variable must be numeric.")
    }
    out <- out * var2
  }
  colnames(out) <- paste0(vname, "::", lev, if (!is.null(v2name)) paste0(":", v2name))
  out
}
