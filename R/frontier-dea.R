# Data envelopment analysis: dea(), malmquist() and the exr_dea methods.
# The programs are solved in C (src/dea.c on the simplex of src/simplex.c);
# this file checks arguments, splits the data into frontiers (`by`) and
# assembles the results.

dea_rts_codes <- c(crs = 0L, vrs = 1L, nirs = 2L, ndrs = 3L)
dea_status_labels <- c("optimal", "infeasible", "unbounded", "failed")

# Inputs or outputs as a numeric matrix with units in rows: a matrix, a
# data.frame of numeric columns or a numeric vector (one variable).
dea_as_matrix <- function(v, arg) {
  if (is.data.frame(v)) {
    if (ncol(v) == 0L) exr_error(arg, "has no columns.")
    for (nm in names(v)) {
      if (!is.numeric(v[[nm]]) && !is.logical(v[[nm]])) {
        exr_error(arg, "column '", nm, "' must be numeric, not ", class(v[[nm]])[1L], ".")
      }
    }
    nms <- names(v)
    rn <- attr(v, "row.names")
    v <- matrix(as.double(unlist(v, use.names = FALSE)), ncol = length(nms),
                dimnames = list(if (is.character(rn)) rn else NULL, nms))
  } else if (is.numeric(v) || is.logical(v)) {
    if (is.null(dim(v))) {
      v <- matrix(as.double(v), ncol = 1L, dimnames = list(names(v), NULL))
    } else if (length(dim(v)) != 2L) {
      exr_error(arg, "expected a matrix, a data.frame or a numeric vector.")
    } else {
      storage.mode(v) <- "double"
    }
  } else {
    exr_error(arg, "expected a numeric matrix, a data.frame of numeric columns ",
              "or a numeric vector, got ", class(v)[1L], ".")
  }
  if (nrow(v) == 0L) exr_error(arg, "has zero rows.")
  if (ncol(v) == 0L) exr_error(arg, "has no columns.")
  if (anyNA(v)) {
    bad <- which(rowSums(is.na(v)) > 0)
    exr_error(arg, "has missing values (rows ", paste(utils::head(bad, 5L), collapse = ", "),
              if (length(bad) > 5L) ", ..." else "", "); DEA needs complete data.")
  }
  if (any(!is.finite(v))) exr_error(arg, "has infinite values.")
  if (any(v < 0)) exr_error(arg, "has negative values; DEA needs non-negative data.")
  if (all(v == 0)) {
    exr_error(arg, "is zero for every unit: there is nothing to compare the units by.")
  }
  if (is.null(colnames(v))) colnames(v) <- paste0(if (arg == "x") "x" else "y", seq_len(ncol(v)))
  v
}

# Slack weights per unit of each variable: 1, or 1/mean when some variable's
# mean is outside [1e-4, 1e4] -- the rule of Benchmarking::slack().
dea_slack_weights <- function(X, Y) {
  mx <- colMeans(X)
  my <- colMeans(Y)
  if (min(mx) < 1e-4 || max(mx) > 1e4 || min(my) < 1e-4 || max(my) > 1e4) {
    w <- 1 / c(mx, my)
    w[!is.finite(w)] <- 1
    w
  } else {
    rep(1, length(mx) + length(my))
  }
}

# Solve one frontier: evaluate (xe, ye) against (xr, yr).
dea_solve <- function(xe, ye, xr, yr, rts, orientation, excl, slack, cores, progress) {
  ori <- if (orientation == "in") 0L else 1L
  w <- if (slack) dea_slack_weights(xe, ye) else rep(1, ncol(xe) + ncol(ye))
  if (rts == "fdh") {
    .Call(C_dea_fdh, xe, ye, xr, yr, ori, excl, as.integer(slack), w, cores)
  } else {
    .Call(C_dea_envelopment, xe, ye, xr, yr, dea_rts_codes[[rts]], ori, excl,
          as.integer(slack), w, cores, as.integer(progress))
  }
}

#' Data envelopment analysis
#'
#' Radial efficiency of each unit (DMU) relative to the frontier spanned by all
#' units, in the envelopment form: input orientation
#' \eqn{\min\theta} s.t. \eqn{X\lambda \le \theta x_0}, \eqn{Y\lambda \ge y_0};
#' output orientation \eqn{\max\phi} s.t. \eqn{X\lambda \le x_0},
#' \eqn{Y\lambda \ge \phi y_0}; with \eqn{\lambda \ge 0} and, by returns to
#' scale, \eqn{\sum\lambda = 1} (`"vrs"`), \eqn{\le 1} (`"nirs"`), \eqn{\ge 1}
#' (`"ndrs"`) or free (`"crs"`). `"fdh"` (free disposal hull) is computed by
#' enumeration. The programs are solved by the package's own simplex method
#' (two-phase, Bland's rule against cycling, tolerances 1e-9 on data scaled by
#' each variable's maximum), each warm-started from the previous unit's optimal
#' basis; reference units dominated by another unit are left out of the
#' programs, which changes no efficiency or maximal slack.
#'
#' Conventions follow the Benchmarking package: input efficiencies are at most
#' 1, output efficiencies are Farrell's (at least 1); \eqn{\theta,\phi \ge 0}.
#' Efficiencies within 1e-9 of 1 are reported as 1 (Benchmarking rounds within
#' 1e-7). Where Benchmarking reports `Inf` for an infeasible program (a
#' super-efficiency program with no feasible reference) this function reports
#' `NA` with the reason in `$status`.
#'
#' With `slack = TRUE` a second program maximises the sum of slacks at the
#' optimal \eqn{\theta} (\eqn{\phi}), "two-phase" DEA; slacks are summed in the
#' data's units, or in units of each variable's mean when some mean lies outside
#' \eqn{[10^{-4}, 10^4]} (the rule of `Benchmarking::slack()`, so that the two
#' agree). `$lambda` then holds the second program's intensities.
#'
#' @param x Inputs: a numeric matrix or data.frame with one row per unit (or a
#'   numeric vector for one input). Non-negative, no missing values.
#' @param y Outputs, in the same form and with the same rows as `x`.
#' @param rts Returns to scale: `"crs"`, `"vrs"`, `"nirs"` (non-increasing),
#'   `"ndrs"` (non-decreasing) or `"fdh"`.
#' @param orientation `"in"` (input) or `"out"` (output).
#' @param slack Compute maximal slacks (`TRUE`/`FALSE`).
#' @param super Super-efficiency (Andersen and Petersen 1993): each unit is
#'   compared with the frontier of the other units.
#' @param by `NULL` (one pooled frontier) or a vector with one value per row
#'   (e.g. the year): one frontier per group, each unit evaluated against its
#'   own group only.
#' @param cores Number of OpenMP threads; results do not depend on it.
#' @return An object of class `exr_dea`: a list with `eff` (efficiency per
#'   row, `NA` where the program has no solution), `status` (`"optimal"`,
#'   `"infeasible"`, `"unbounded"` or `"failed"`), `lambda` (a data.frame of the
#'   nonzero intensities, columns `dmu`, `peer` (row numbers of `x`) and
#'   `lambda`), `peers` (a list: the peers of each unit), `slack_x` and
#'   `slack_y` (matrices, `NULL` unless `slack = TRUE`), and the settings
#'   (`rts`, `orientation`, `super`, `by`, `call`).
#' @references Charnes, Cooper and Rhodes (1978); Banker, Charnes and Cooper
#'   (1984); Andersen and Petersen (1993); Bogetoft and Otto (2011),
#'   *Benchmarking with DEA, SFA, and R*.
#' @examples
#' x <- matrix(c(2, 4, 3, 5, 6, 3, 1, 4, 2, 5), ncol = 2)
#' y <- c(1, 2, 1.5, 2, 2.5)
#' e <- dea(x, y, rts = "vrs")
#' e$eff
#' e$lambda
#' summary(e)
#' # one frontier per year, as the paper's aif_dea:
#' set.seed(1)
#' d <- data.frame(year = rep(2011:2012, each = 5), k = runif(10, 1, 2),
#'                 l = runif(10, 1, 2), pat = runif(10, 1, 2))
#' dea(d[c("k", "l")], d["pat"], rts = "vrs", by = d$year)$eff
#' @export
dea <- function(x, y, rts = c("crs", "vrs", "nirs", "ndrs", "fdh"),
                orientation = c("in", "out"), slack = FALSE, super = FALSE,
                by = NULL, cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  rts <- match_choice(rts, c("crs", "vrs", "nirs", "ndrs", "fdh"), "rts")
  orientation <- match_choice(orientation, c("in", "out"), "orientation")
  slack <- check_flag(slack, "slack")
  super <- check_flag(super, "super")
  cores <- check_cores(cores)
  X <- dea_as_matrix(x, "x")
  Y <- dea_as_matrix(y, "y")
  n <- nrow(X)
  if (nrow(Y) != n) {
    exr_error("y", "has ", nrow(Y), " rows but `x` has ", n, "; one row per unit in both.")
  }
  if (is.data.frame(by) && ncol(by) == 1L) by <- by[[1L]]
  groups <- dea_groups(by, n)

  eff <- rep(NA_real_, n)
  status <- integer(n)
  lam <- vector("list", length(groups))
  sx <- if (slack) matrix(NA_real_, n, ncol(X), dimnames = list(NULL, colnames(X)))
  sy <- if (slack) matrix(NA_real_, n, ncol(Y), dimnames = list(NULL, colnames(Y)))
  iters <- 0
  many <- length(groups) > 1L
  bar <- show_progress() && n >= 2000L
  pb <- if (bar && many) utils::txtProgressBar(0, n, style = 3) else NULL
  done <- 0L
  for (g in seq_along(groups)) {
    idx <- groups[[g]]
    xg <- X[idx, , drop = FALSE]
    yg <- Y[idx, , drop = FALSE]
    excl <- if (super) seq_along(idx) - 1L else rep(-1L, length(idx))
    res <- dea_solve(xg, yg, xg, yg, rts, orientation, excl, slack, cores,
                     progress = bar && !many)
    eff[idx] <- res$eff
    status[idx] <- res$status
    lam[[g]] <- list(dmu = idx[res$lam_dmu], peer = idx[res$lam_peer], lambda = res$lam_val)
    if (slack) {
      sx[idx, ] <- res$slack_x
      sy[idx, ] <- res$slack_y
    }
    iters <- iters + res$iterations
    done <- done + length(idx)
    if (!is.null(pb)) utils::setTxtProgressBar(pb, done)
  }
  if (!is.null(pb)) close(pb)
  # a unit that uses no input can shrink its inputs by any factor: its
  # input-oriented program is unbounded, whatever bound the solver stops at
  free <- if (orientation == "in") which(rowSums(X != 0) == 0L & status == 0L) else integer(0)
  if (length(free)) {
    eff[free] <- NA_real_
    status[free] <- match("unbounded", dea_status_labels) - 1L
    lam <- lapply(lam, function(l) {
      k <- !l$dmu %in% free
      list(dmu = l$dmu[k], peer = l$peer[k], lambda = l$lambda[k])
    })
    exr_warning("x", length(free), " unit(s) use no input (rows ",
                paste(utils::head(free, 5L), collapse = ", "), if (length(free) > 5L) ", ..." else "",
                "): their input efficiency is undefined (NA, status \"unbounded\"), and as peers ",
                "they make every unit they dominate look fully inefficient.")
  }
  lambda <- data.frame(
    dmu = unlist(lapply(lam, `[[`, "dmu"), use.names = FALSE),
    peer = unlist(lapply(lam, `[[`, "peer"), use.names = FALSE),
    lambda = unlist(lapply(lam, `[[`, "lambda"), use.names = FALSE)
  )
  lambda <- lambda[order(lambda$dmu, lambda$peer), , drop = FALSE]
  rownames(lambda) <- NULL
  peers <- unname(split(lambda$peer, factor(lambda$dmu, levels = seq_len(n))))
  status <- dea_status_labels[status + 1L]
  if (!is.null(rownames(X))) names(eff) <- rownames(X)
  if (any(status == "failed")) {
    exr_warning(NULL, sum(status == "failed"), " DEA program(s) failed to solve ",
                "(numerical trouble); their efficiency is NA.")
  }
  structure(list(
    eff = eff, status = status, lambda = lambda, peers = peers,
    slack_x = sx, slack_y = sy,
    rts = rts, orientation = orientation, super = super, slack = slack,
    by = by, n_groups = length(groups), nobs = n,
    inputs = colnames(X), outputs = colnames(Y),
    iterations = iters, call = call
  ), class = "exr_dea")
}

# Row indices of each frontier.
dea_groups <- function(by, n) {
  if (is.null(by)) return(list(seq_len(n)))
  if (is.data.frame(by)) {
    if (ncol(by) != 1L) exr_error("by", "expected one grouping variable.")
    by <- by[[1L]]
  }
  if (!is.atomic(by) || length(by) != n) {
    exr_error("by", "expected a vector with one value per row of `x` (", n, "), got length ",
              length(by), ".")
  }
  if (anyNA(by)) exr_error("by", "has missing values.")
  pidx <- panel_index(by, check = FALSE)
  unname(split(pidx$order, rep.int(seq_len(pidx$n_groups), diff(pidx$start))))
}

#' @export
print.exr_dea <- function(x, digits = 4, ...) {
  ori <- if (x$orientation == "in") "input" else "output"
  cat("DEA (", x$rts, ", ", ori, " orientation", if (x$super) ", super-efficiency",
      ") of ", x$nobs, " units", if (x$n_groups > 1L) paste0(", ", x$n_groups, " frontiers"),
      "\n", sep = "")
  e <- x$eff
  ok <- !is.na(e)
  cat("Efficiency: mean ", format(mean(e[ok]), digits = digits),
      ", median ", format(stats::median(e[ok]), digits = digits),
      ", min ", format(min(e[ok]), digits = digits),
      ", max ", format(max(e[ok]), digits = digits), "\n", sep = "")
  cat("On the frontier (efficiency 1): ", sum(e[ok] == 1), "\n", sep = "")
  if (any(!ok)) {
    tab <- table(x$status[!ok])
    cat("No solution: ", paste0(names(tab), " ", tab, collapse = ", "), "\n", sep = "")
  }
  invisible(x)
}

#' @export
summary.exr_dea <- function(object, ...) {
  e <- object$eff
  ok <- !is.na(e)
  brk <- if (object$orientation == "in" && !object$super) {
    c(-Inf, 0.5, 0.6, 0.7, 0.8, 0.9, 1 - 1e-12, Inf)
  } else {
    NULL
  }
  dist <- if (!is.null(brk)) {
    table(cut(e[ok], brk, labels = c("<0.5", "0.5-0.6", "0.6-0.7", "0.7-0.8",
                                     "0.8-0.9", "0.9-1", "1")))
  }
  by_group <- NULL
  if (!is.null(object$by)) {
    by_group <- stats::aggregate(list(mean_eff = e), list(group = object$by),
                                 function(v) mean(v, na.rm = TRUE))
  }
  structure(list(
    dea = object, quantiles = stats::quantile(e[ok], c(0, 0.25, 0.5, 0.75, 1)),
    distribution = dist, by_group = by_group,
    n_efficient = sum(e[ok] == 1), status = table(object$status),
    mean_slack_x = if (!is.null(object$slack_x)) colMeans(object$slack_x, na.rm = TRUE),
    mean_slack_y = if (!is.null(object$slack_y)) colMeans(object$slack_y, na.rm = TRUE)
  ), class = "summary.exr_dea")
}

#' @export
print.summary.exr_dea <- function(x, digits = 4, ...) {
  print(x$dea, digits = digits)
  cat("\nQuantiles of efficiency:\n")
  print(signif(x$quantiles, digits))
  if (!is.null(x$distribution)) {
    cat("\nDistribution:\n")
    print(x$distribution)
  }
  if (!is.null(x$mean_slack_x)) {
    cat("\nMean slacks:\n")
    print(signif(c(x$mean_slack_x, x$mean_slack_y), digits))
  }
  if (!is.null(x$by_group)) {
    cat("\nMean efficiency by group:\n")
    print(x$by_group, digits = digits, row.names = FALSE)
  }
  invisible(x)
}

#' Plot DEA efficiencies
#'
#' @param x An `exr_dea` object.
#' @param type `"sorted"` (efficiencies in increasing order, one step per
#'   unit), `"hist"` (histogram) or `"by"` (boxplots of the efficiencies of
#'   each frontier of `by`, e.g. each year, with the mean path).
#' @param ... Passed to the base graphics function.
#' @return `x`, invisibly.
#' @examples
#' e <- dea(matrix(c(2, 4, 3, 5, 6), ncol = 1), c(1, 2, 1.5, 2, 2.5), rts = "vrs")
#' plot(e)
#' d <- dea(matrix(c(2, 4, 3, 5, 6, 3, 4, 5), ncol = 1), c(1, 2, 1.5, 2, 2.5, 1, 2, 2),
#'          rts = "vrs", by = rep(1:2, each = 4))
#' plot(d, type = "by")
#' @export
plot.exr_dea <- function(x, type = c("sorted", "hist", "by"), ...) {
  type <- match_choice(type, c("sorted", "hist", "by"), "type")
  e <- x$eff[!is.na(x$eff)]
  lab <- if (x$orientation == "in") "Input efficiency" else "Output efficiency (Farrell)"
  if (type == "by") {
    if (is.null(x$by)) exr_error("type", "type = \"by\" needs a DEA fitted with `by`.")
    ok <- !is.na(x$eff)
    draw_by_group(split(x$eff[ok], x$by[ok], drop = TRUE), main = paste0("DEA, ", x$rts),
                  xlab = "", ylab = lab, ...)
  } else if (type == "sorted") {
    graphics::plot(seq_along(e), sort(e), type = "s", xlab = "Units (sorted)",
                   ylab = lab, main = paste0("DEA, ", x$rts), ...)
    graphics::abline(h = 1, lty = 2)
  } else {
    graphics::hist(e, xlab = lab, main = paste0("DEA, ", x$rts), ...)
  }
  invisible(x)
}

#' @export
glance.exr_dea <- function(x, ...) {
  e <- x$eff
  ok <- !is.na(e)
  data.frame(nobs = x$nobs, n_groups = x$n_groups, mean_eff = mean(e[ok]),
             median_eff = stats::median(e[ok]), n_efficient = sum(e[ok] == 1),
             n_no_solution = sum(!ok))
}

#' Malmquist productivity index
#'
#' The Malmquist index of Fare, Grosskopf, Lindgren and Roos (1994) between
#' consecutive periods, with its decomposition into efficiency change and
#' technical change, from DEA efficiencies of each period's units against
#' their own and the adjacent period's frontier:
#' `m = ec * tc`, `ec = e11 / e00`, `tc = sqrt(e10 / e11 * e00 / e01)`, where
#' `eST` is the efficiency of period-S data against the period-T frontier
#' (0 = the earlier period). The formulas are applied to the efficiencies as
#' [dea()] reports them (input efficiency, or Farrell output efficiency), as
#' `Benchmarking::malmq()` does: with input orientation `m > 1` means
#' productivity growth; with output orientation `m < 1` does. Units observed
#' in both periods are compared; cross-period programs without a solution give
#' `NA`.
#'
#' @param x Inputs (matrix, data.frame or vector), one row per unit and period.
#' @param y Outputs, same rows as `x`.
#' @param id Unit identifier, one value per row.
#' @param time Period, one value per row (numeric or sortable).
#' @param rts Returns to scale of the frontiers: `"crs"` (the index of Fare et
#'   al.), `"vrs"`, `"nirs"` or `"ndrs"`.
#' @param orientation `"in"` or `"out"`.
#' @param cores Number of OpenMP threads.
#' @return A data.frame with one row per unit and pair of consecutive periods:
#'   `id`, `from`, `to`, `m`, `ec`, `tc`, `e00`, `e01`, `e10`, `e11`.
#' @examples
#' set.seed(1)
#' d <- data.frame(id = rep(1:6, 2), t = rep(1:2, each = 6),
#'                 x = runif(12, 1, 2), y = runif(12, 1, 2))
#' malmquist(d["x"], d["y"], d$id, d$t)
#' @export
malmquist <- function(x, y, id, time, rts = c("crs", "vrs", "nirs", "ndrs"),
                      orientation = c("in", "out"),
                      cores = getOption("exportres.cores", 1L)) {
  rts <- match_choice(rts, c("crs", "vrs", "nirs", "ndrs"), "rts")
  orientation <- match_choice(orientation, c("in", "out"), "orientation")
  cores <- check_cores(cores)
  X <- dea_as_matrix(x, "x")
  Y <- dea_as_matrix(y, "y")
  n <- nrow(X)
  if (nrow(Y) != n) exr_error("y", "has ", nrow(Y), " rows but `x` has ", n, ".")
  if (!is.atomic(id) || length(id) != n || anyNA(id)) {
    exr_error("id", "expected a vector without NA with one value per row (", n, ").")
  }
  if (!is.atomic(time) || length(time) != n || anyNA(time)) {
    exr_error("time", "expected a vector without NA with one value per row (", n, ").")
  }
  if (anyDuplicated(data.frame(id, time))) {
    exr_error("id", "has duplicated (id, time) pairs.")
  }
  periods <- sort(unique(time))
  if (length(periods) < 2L) exr_error("time", "needs at least two periods.")
  ev <- function(rows, ref) {
    res <- dea_solve(X[rows, , drop = FALSE], Y[rows, , drop = FALSE],
                     X[ref, , drop = FALSE], Y[ref, , drop = FALSE], rts, orientation,
                     rep(-1L, length(rows)), FALSE, cores, FALSE)
    res$eff
  }
  out <- vector("list", length(periods) - 1L)
  for (p in seq_len(length(periods) - 1L)) {
    r0 <- which(time == periods[p])
    r1 <- which(time == periods[p + 1L])
    common <- intersect(id[r0], id[r1])
    if (!length(common)) next
    c0 <- r0[match(common, id[r0])]
    c1 <- r1[match(common, id[r1])]
    e00 <- ev(c0, r0)
    e01 <- ev(c0, r1)
    e10 <- ev(c1, r0)
    e11 <- ev(c1, r1)
    tc <- sqrt(e10 / e11 * e00 / e01)
    ec <- e11 / e00
    out[[p]] <- data.frame(id = common, from = periods[p], to = periods[p + 1L],
                           m = tc * ec, ec = ec, tc = tc,
                           e00 = e00, e01 = e01, e10 = e10, e11 = e11)
  }
  res <- do.call(rbind, out)
  rownames(res) <- NULL
  attr(res, "rts") <- rts
  attr(res, "orientation") <- orientation
  res
}

# Unexported: the simplex on its own, for tests. sense: "<=", "=", ">=".
exr_lp_solve <- function(A, b, c, sense) {
  A <- as.matrix(A)
  storage.mode(A) <- "double"
  s <- match(sense, c("<=", "=", ">=")) - 2L
  r <- .Call(C_exr_lp_dense, A, as.double(b), as.double(c), as.integer(s))
  r$status <- c("optimal", "infeasible", "unbounded", "iteration limit", "numerical")[r$status + 1L]
  r
}
