# Event studies around a (staggered) adoption date: relative-time dummies in a
# two-way fixed-effects regression, or Sun and Abraham's (2021)
# interaction-weighted estimator. Both are least squares on a design from
# build_design() (the relative-time terms enter through the i() operator),
# solved by fit_within(), with variances from the one engine.

#' Event study: dynamic effects around adoption (TWFE or Sun-Abraham)
#'
#' Estimates the effect of a treatment adopted at a unit-specific date, period
#' by period relative to adoption. `method = "twfe"` adds one dummy per
#' relative period (except the reference) to a fixed-effects regression, as
#' `fixest::feols(y ~ x + i(rel, ref = ...) | id + time)`. `method = "sunab"`
#' is Sun and Abraham's (2021) interaction-weighted estimator, as
#' `fixest::sunab()`: one dummy per adoption cohort and relative period, never
#' treated units as the controls, and each relative period's effect the average
#' of its cohort effects weighted by the cohorts' shares of the estimation
#' sample in that period. Under staggered adoption with effects that differ
#' across cohorts, the TWFE coefficients mix effects of other periods (Sun and
#' Abraham 2021); the interaction-weighted estimator does not.
#'
#' @section Relative periods, binning and the reference:
#' The relative period is `time - adopt` for units with an adoption date and
#' undefined for never-treated units (`adopt` is `NA`), which get no dummy and
#' serve as controls. Periods beyond `window` are binned into its end points:
#' with `window = c(-5, 5)`, every period five or more before adoption is
#' `-5` and every period five or more after is `5` (so the end-point
#' coefficients average the periods beyond). `-Inf`/`Inf` ends do not bin. The
#' coefficients are relative to `ref` (the year before adoption, `-1`, by
#' default). The paper's Table 6 reports coefficients from four periods before
#' to five after approval *including* the year before, so its reference is the
#' earliest (binned) period: `window = c(-5, 5), ref = -5` reproduces that layout.
#' An adoption date outside the time range of the data is an error (code
#' never-treated units as `NA`, not as a far-off year).
#'
#' @section Sun-Abraham:
#' Cohorts are the distinct adoption dates; units never treated form the
#' control cohort (there must be some). Cohorts observed only at or after
#' adoption (always treated) are dropped, as `fixest::sunab()` does, with a
#' message. For each cohort and relative period (binned by `window`, except
#' `ref`) there is one dummy; the coefficient of relative period \eqn{e} is
#' \eqn{\sum_c s_{ce} \beta_{ce}} with \eqn{s_{ce}} the share of the
#' estimation sample's observations in period \eqn{e} that belong to cohort
#' \eqn{c} (weighted by `weights` if given), and its variance
#' \eqn{s' V s}: the shares are taken as known, as in fixest (Sun and
#' Abraham's article adds a term for their estimation). The cohort-period
#' estimates are in `$cells`, and `$att` is the average over all post-adoption
#' cells (fixest's `agg = "ATT"`).
#'
#' @section Pre-trend test:
#' [glance()] reports the joint Wald test that all pre-adoption coefficients
#' (relative periods below zero, except the reference) are zero:
#' `pretrend_stat` \eqn{= b' V^{-1} b / q} with `pretrend_df1` \eqn{= q} and
#' `pretrend_df2` (the model's t degrees of freedom, e.g. \eqn{G-1} when
#' clustered, at least \eqn{q + 1}), and `pretrend_p` from the F distribution:
#' `fixest::wald()`'s convention.
#'
#' Standard errors and everything else follow [fe_reg()]; pass `cluster`
#' (e.g. `~id`) for clustered standard errors.
#'
#' @param formula `y ~ controls | id + time` (controls optional: `y ~ 1 | id + time`).
#' @param data a data frame.
#' @param adopt name of the column holding each unit's adoption date, in the
#'   units of the time variable (`NA` for never treated; constant within unit).
#' @param window two numbers: the first and last relative periods estimated;
#'   periods beyond are binned into them.
#' @param ref the reference relative period(s), within `window`.
#' @param method `"twfe"` or `"sunab"`.
#' @param cluster,vcov,weights,ssc,singletons,fixef_tol,fixef_maxit,cores as in [fe_reg()].
#' @param panel `c(id, time)`; by default the panel of an [exr_panel()], else
#'   the first two fixed effects of `formula`.
#' @param name prefix of the relative-period coefficients' names: `rel::-5`,
#'   ... by default; e.g. `"rel_year"` gives `rel_year::-5`, as a fixest
#'   `i(rel_year, ...)` fit names them.
#' @return An object of class `c("exr_event", "exr_fe", "exr_model")`: the
#'   fields of an [fe_reg()] fit, with the relative-period coefficients named
#'   `rel::-5`, ..., `rel::5` (see `name`) after the other regressors, plus `rel` (the
#'   relative period of each such coefficient), `ref`, `window`, `method`,
#'   `n_units_treated`, `n_units_never`, `cohorts` and, for Sun-Abraham,
#'   `cells` (cohort-period coefficients and variance) and `att`. `tidy()` has
#'   a `rel_time` column; `plot()` draws the coefficients with confidence intervals.
#' @references Sun, L. and Abraham, S. (2021). Estimating dynamic treatment
#'   effects in event studies with heterogeneous treatment effects. Journal of
#'   Econometrics 225(2), 175-199.
#' @seealso [fe_reg()], [placebo_test()], [psm_match()].
#' @examples
#' set.seed(1)
#' d <- expand.grid(id = 1:60, year = 2001:2012)
#' adopt <- c(rep(2006, 15), rep(2009, 15), rep(NA, 30))
#' d$adopt <- adopt[d$id]
#' rel <- d$year - d$adopt
#' d$y <- rnorm(60)[d$id] + 0.1 * (d$year - 2000) +
#'   ifelse(!is.na(rel) & rel >= 0, 0.5 + 0.1 * rel, 0) + rnorm(nrow(d), sd = 0.5)
#' es <- event_study(y ~ 1 | id + year, d, adopt = "adopt", window = c(-4, 3), cluster = ~id)
#' es
#' glance(es)[, c("pretrend_stat", "pretrend_p")]
#' plot(es)
#' sa <- event_study(y ~ 1 | id + year, d, adopt = "adopt", window = c(-4, 3),
#'                   method = "sunab", cluster = ~id)
#' tidy(sa)
#' @export
event_study <- function(formula, data, adopt, window = c(-5, 5), ref = -1,
                        method = c("twfe", "sunab"), cluster = NULL, vcov = NULL, weights = NULL,
                        panel = NULL, name = "rel", ssc = NULL, singletons = c("drop", "keep"),
                        fixef_tol = 1e-10, fixef_maxit = 10000L,
                        cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  method <- match_choice(method, c("twfe", "sunab"), "method")
  if (!is.character(name) || length(name) != 1L || is.na(name) || !nzchar(name) ||
      grepl(":", name, fixed = TRUE)) {
    exr_error("name", "expected one non-empty string without ':' (the coefficient prefix).")
  }
  singletons <- match_choice(singletons, c("drop", "keep"), "singletons")
  vcov <- vcov_choice(vcov)
  ssc <- as_ssc(ssc)
  cores <- check_cores(cores)
  fml <- parse_fixest_formula(formula)
  if (!is.null(fml$endo)) exr_error("formula", "an event study takes no IV part.")
  check_data_frame(data)
  pv <- event_panel(data, panel, fml)
  ev <- event_timing(data, pv, adopt, window, ref)

  data2 <- data
  if (method == "twfe") {
    # never-treated units take the reference value: no dummy
    data2$.exr_rel <- ifelse(is.na(ev$a), ev$ref[1L], ev$rb)
    term <- bquote(i(.exr_rel, ref = .(ev$ref)))
    subset <- NULL
  } else {
    sa <- sunab_cells(ev, name)
    data2$.exr_cell <- sa$cell
    term <- quote(i(.exr_cell, ref = 0))
    subset <- !sa$always
  }
  fml2 <- fml
  fml2$rhs <- stats::as.formula(call("~", call("+", fml$rhs[[2L]], term)), env = fml$env)
  d <- build_design(fml2, data2, panel = pv, cluster = cluster, weights = weights,
                    singletons = singletons, subset = subset)
  ev_cols <- if (method == "twfe") startsWith(colnames(d$X), ".exr_rel::") else
    startsWith(colnames(d$X), ".exr_cell::")
  if (!any(ev_cols)) exr_error("window", "no relative period left to estimate.")
  codes <- as.numeric(sub("^\\.exr_(rel|cell)::", "", colnames(d$X)[ev_cols]))
  colnames(d$X)[ev_cols] <- if (method == "twfe") paste0(name, "::", codes) else sa$names[codes]
  fit <- fit_within(d, fixef_tol, fixef_maxit, cores)
  m <- fe_model(fit, d, vcov, ssc, call, formula, kind = c("event", "fe"), method = method,
                ref = ev$ref, window = ev$window, adopt = adopt, n_units_treated = ev$n_treated,
                n_units_never = ev$n_never, cohorts = ev$cohorts, panel = pv, name = name)
  if (method == "sunab") {
    m <- sunab_aggregate(m, d, sa, name)
  } else {
    rel_of <- stats::setNames(codes, colnames(d$X)[ev_cols])
    kept <- intersect(names(m$coefficients), names(rel_of))
    m$rel <- rel_of[kept]
  }
  m$stats <- c(m$stats, pretrend_wald(m))
  m
}

# The panel's id and time columns: `panel`, an exr_panel's, or the first two
# fixed effects of the formula (NULL when none of these says).
panel_or_fe <- function(data, panel, fml) {
  pv <- panel_vars(data, panel)
  fe <- fml$fe
  if (is.null(pv) && length(fe) >= 2L && !any(grepl("^", fe[1:2], fixed = TRUE)) &&
      all(fe[1:2] %in% names(data)) && is.numeric(data[[fe[2L]]])) {
    pv <- fe[1:2]
  }
  pv
}

event_panel <- function(data, panel, fml) {
  pv <- panel_or_fe(data, panel, fml)
  if (is.null(pv)) exr_error("panel", "give `panel = c(id, time)` (or fixed effects `| id + time`).")
  pv
}

# Each unit's adoption date, checked: a numeric column, constant within unit,
# inside the time range of the data, some unit treated. Shared by
# event_study() and placebo_test().
unit_adoption <- function(data, pv, adopt) {
  if (!is.character(adopt) || length(adopt) != 1L || is.na(adopt)) {
    exr_error("adopt", "expected the name of the column of adoption dates.")
  }
  check_columns(data, adopt, "adopt")
  a <- data[[adopt]]
  if (!is.numeric(a)) exr_error("adopt", "column '", adopt, "' must be numeric (adoption dates).")
  a <- as.numeric(a)
  id <- data[[pv[1L]]]
  time <- as.numeric(data[[pv[2L]]])
  idc <- codes_of(id)
  if (all(is.na(idc))) exr_error("data", "the unit identifier '", pv[1L], "' is entirely NA.")
  ok <- !is.na(idc)
  first <- a[match(seq_len(max(idc, na.rm = TRUE)), idc)]
  fa <- first[idc]
  bad <- ok & (is.na(a) != is.na(fa) | (!is.na(a) & !is.na(fa) & a != fa))
  if (any(bad)) {
    exr_error("adopt", "must be constant within each unit (", pv[1L], " '",
              format(id[which(bad)[1L]]), "' has several values).")
  }
  tr <- range(time, na.rm = TRUE)
  out <- !is.na(a) & (a < tr[1L] | a > tr[2L])
  if (any(out)) {
    exr_error("adopt", "adoption date(s) outside the time range of the data (", tr[1L], "-", tr[2L],
              "): ", paste(utils::head(sort(unique(a[out])), 5L), collapse = ", "),
              ". Code never-treated units as NA.")
  }
  if (all(is.na(first))) exr_error("adopt", "no treated unit (every adoption date is NA).")
  list(a = a, idc = idc, time = time, unit_a = first)
}

# Adoption dates, relative periods and their binning, with the checks.
event_timing <- function(data, pv, adopt, window, ref) {
  if (!is.numeric(window) || length(window) != 2L || anyNA(window) || window[1L] >= window[2L] ||
      any(is.finite(window) & window != round(window))) {
    exr_error("window", "expected two whole numbers c(first, last), first < last (or -Inf/Inf).")
  }
  if (!is.numeric(ref) || !length(ref) || anyNA(ref) || any(ref != round(ref))) {
    exr_error("ref", "expected whole number(s): the reference relative period(s).")
  }
  if (any(ref < window[1L] | ref > window[2L])) {
    exr_error("ref", "the reference period(s) must lie within `window` (", window[1L], ", ",
              window[2L], ").")
  }
  ua <- unit_adoption(data, pv, adopt)
  a <- ua$a
  rel <- ua$time - a
  rb <- pmin(pmax(rel, window[1L]), window[2L])
  if (!any(rb[!is.na(rb)] %in% ref)) {
    exr_error("ref", "no observation of a treated unit falls in the reference period(s) ",
              paste(ref, collapse = ", "), ".")
  }
  list(a = a, rel = rel, rb = rb, ref = sort(unique(as.numeric(ref))), window = as.numeric(window),
       idc = ua$idc, time = ua$time, n_treated = sum(!is.na(ua$unit_a)),
       n_never = sum(is.na(ua$unit_a)), cohorts = table(ua$unit_a, useNA = "ifany", dnn = NULL))
}

# Sun-Abraham cells: one code per (cohort, binned relative period) except the
# reference periods; 0 for never-treated units and reference cells; cohorts
# observed only at or after adoption flagged as always treated.
sunab_cells <- function(ev, name = "rel") {
  a <- ev$a
  if (!any(is.na(a[!is.na(ev$idc)]))) {
    exr_error("adopt", "the Sun-Abraham estimator needs never-treated units (adopt NA) as controls.")
  }
  minrel <- tapply(ev$rel, a, min, na.rm = TRUE)
  always_c <- as.numeric(names(minrel)[minrel >= 0])
  always <- !is.na(a) & a %in% always_c
  if (length(always_c)) {
    message("exportres: dropped ", length(always_c), " always-treated cohort(s) (observed only ",
            "at or after adoption): ", paste(always_c, collapse = ", "))
  }
  if (all(is.na(a) | always)) exr_error("adopt", "no cohort is observed before adoption.")
  use <- !is.na(a) & !always & !is.na(ev$rb) & !(ev$rb %in% ev$ref)
  key <- unique(data.frame(rel = ev$rb[use], cohort = a[use]))
  key <- key[order(key$rel, key$cohort), , drop = FALSE]
  cell <- rep(0, length(a))
  cell[use] <- match(paste(ev$rb[use], a[use]), paste(key$rel, key$cohort))
  list(cell = cell, always = always, key = key,
       names = paste0(name, "::", key$rel, ":cohort::", key$cohort))
}

# Aggregate the cohort-period coefficients into one per relative period (and
# the ATT), weights = the cells' shares of the estimation sample, variance
# A V A'. The cell-level fit stays in `cells`.
sunab_aggregate <- function(m, d, sa, name = "rel") {
  b <- m$coefficients
  V <- m$vcov
  is_cell <- names(b) %in% sa$names
  cells <- names(b)[is_cell]
  Xc <- d$X[, cells, drop = FALSE]
  share <- if (is.null(d$weights)) colSums(Xc != 0) else colSums(d$weights * (Xc != 0))
  rel <- sa$key$rel[match(cells, sa$names)]
  periods <- sort(unique(rel))
  other <- names(b)[!is_cell]
  agg <- paste0(name, "::", periods)
  A <- matrix(0, length(other) + length(periods), length(b),
              dimnames = list(c(other, agg), names(b)))
  A[cbind(seq_along(other), match(other, names(b)))] <- 1
  for (j in seq_along(periods)) {
    ix <- which(rel == periods[j])
    A[length(other) + j, cells[ix]] <- share[ix] / sum(share[ix])
  }
  post <- which(rel >= 0)
  att <- NULL
  if (length(post)) {
    s <- numeric(length(b))
    names(s) <- names(b)
    s[cells[post]] <- share[post] / sum(share[post])
    att <- data.frame(estimate = sum(s * b), std.error = sqrt(drop(s %*% V %*% s)))
  }
  m$cells <- list(coefficients = b, vcov = V, shares = share)
  m$coefficients <- drop(A %*% b)
  m$vcov <- A %*% V %*% t(A)
  m$se <- sqrt(pmax(diag(m$vcov), 0))
  m$att <- att
  m$rel <- stats::setNames(periods, agg)
  m
}

# Joint Wald test that the pre-adoption coefficients are zero (fixest::wald()).
pretrend_wald <- function(m) {
  nm <- names(m$rel)[m$rel < 0]
  if (!length(nm)) return(list())
  b <- m$coefficients[nm]
  V <- m$vcov[nm, nm, drop = FALSE]
  q <- length(nm)
  Vi <- tryCatch(chol2inv(chol(V)), error = function(e) NULL)
  if (is.null(Vi)) return(list(pretrend_stat = NA_real_, pretrend_p = NA_real_, pretrend_df1 = q,
                               pretrend_df2 = NA_real_))
  stat <- drop(b %*% Vi %*% b) / q
  df2 <- model_df(m)
  if (is.finite(df2)) df2 <- max(df2, q + 1)
  p <- if (is.finite(df2)) stats::pf(stat, q, df2, lower.tail = FALSE) else
    stats::pchisq(stat * q, q, lower.tail = FALSE)
  list(pretrend_stat = stat, pretrend_p = p, pretrend_df1 = q, pretrend_df2 = df2)
}

#' @export
print.exr_event <- function(x, digits = 4, ...) {
  NextMethod()
  s <- x$stats
  binned <- if (all(is.finite(x$window))) "ends binned" else if (any(is.finite(x$window))) "finite end binned" else "no binning"
  cat(sprintf("Relative periods %s to %s (%s), reference %s; %d treated unit(s), %d never treated\n",
              format(x$window[1L]), format(x$window[2L]), binned, paste(x$ref, collapse = ", "),
              x$n_units_treated, x$n_units_never))
  if (!is.null(s$pretrend_stat)) {
    cat(sprintf("Pre-trend test (joint Wald, %d pre-period coefficients): F = %s, p = %s\n",
                as.integer(s$pretrend_df1), formatC(s$pretrend_stat, digits = digits, format = "f"),
                format.pval(s$pretrend_p, digits = 3)))
  }
  if (!is.null(x$att)) {
    cat(sprintf("ATT (all post-adoption cells): %s (SE %s)\n",
                formatC(x$att$estimate, digits = digits, format = "f"),
                formatC(x$att$std.error, digits = digits, format = "f")))
  }
  invisible(x)
}

#' Tidy and plot an event study
#'
#' `tidy()` gives the coefficient table of [tidy.exr_model()] with a column
#' `rel_time` (the relative period; `NA` for other regressors), optionally with
#' a row of zeros for each reference period. `plot()` draws the relative-period
#' coefficients with confidence intervals, the reference period(s) at zero
#' (hollow points) and a dashed line between the last pre-adoption period and
#' adoption.
#'
#' @param x an `exr_event` fit from [event_study()].
#' @param conf.int,conf.level as in [tidy.exr_model()].
#' @param reference add the reference period(s) as rows with estimate 0 (and
#'   `NA` standard error)?
#' @param level confidence level of the intervals drawn.
#' @param ... passed to [graphics::plot()] (`tidy`: unused).
#' @return `tidy()`: a data frame; `plot()`: `x`, invisibly.
#' @examples
#' set.seed(1)
#' d <- expand.grid(id = 1:40, year = 1:10)
#' d$adopt <- c(rep(5, 20), rep(NA, 20))[d$id]
#' d$y <- rnorm(40)[d$id] + ifelse(!is.na(d$adopt) & d$year >= d$adopt, 1, 0) + rnorm(400)
#' es <- event_study(y ~ 1 | id + year, d, adopt = "adopt", window = c(-3, 3), cluster = ~id)
#' tidy(es, reference = TRUE)
#' plot(es)
#' @name tidy.exr_event
#' @export
tidy.exr_event <- function(x, conf.int = FALSE, conf.level = 0.95, reference = FALSE, ...) {
  out <- NextMethod()
  out$rel_time <- unname(x$rel[out$term])
  if (reference) {
    refs <- data.frame(term = paste0(x$name, "::", x$ref), estimate = 0, std.error = NA_real_,
                       statistic = NA_real_, p.value = NA_real_)
    if (conf.int) refs$conf.low <- refs$conf.high <- NA_real_
    refs$rel_time <- x$ref
    out <- rbind(out, refs)
    ev <- !is.na(out$rel_time)
    out <- rbind(out[!ev, , drop = FALSE], out[ev, , drop = FALSE][order(out$rel_time[ev]), , drop = FALSE])
    rownames(out) <- NULL
  }
  out
}

#' @rdname tidy.exr_event
#' @export
plot.exr_event <- function(x, level = 0.95, ...) {
  nm <- names(x$rel)
  k <- x$rel
  ci <- confint(x, parm = nm, level = level)
  b <- x$coefficients[nm]
  kk <- c(k, x$ref)
  rng <- range(c(ci, 0), na.rm = TRUE)
  graphics::plot(k, b, ylim = rng, xlim = range(kk), pch = 19,
                 xlab = "Periods relative to adoption", ylab = "Estimate",
                 main = if (identical(x$method, "sunab")) "Event study (Sun-Abraham)" else
                   "Event study (TWFE)", xaxt = "n", ...)
  graphics::axis(1, at = sort(kk))
  graphics::segments(k, ci[, 1L], k, ci[, 2L])
  graphics::points(x$ref, rep(0, length(x$ref)), pch = 1)
  graphics::abline(h = 0, col = "grey50")
  graphics::abline(v = -0.5, lty = 2, col = "grey50")
  invisible(x)
}
