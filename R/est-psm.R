# Propensity-score matching: the score from the package's one binary-choice
# kernel (src/binary.c, through binary_fit_design()), greedy nearest-neighbour
# matching on it in C (src/match.c: one sort, then neighbour scans), matching
# weights aligned with the caller's rows, and a balance table.

#' Propensity-score matching (nearest neighbour)
#'
#' Estimates propensity scores by logit or probit (the kernel of [logit()] and
#' [probit()]) and matches every treated unit to its `k` nearest controls on
#' the score, greedily, with or without replacement, optionally within a
#' caliper and within groups (`by`). The result carries matching weights
#' aligned with the rows of `data`, the matched data and a balance table, so
#' that PSM-DID is one call to [fe_reg()] (see Examples). The estimand is the
#' average effect on the treated (ATT): treated units are matched to controls.
#'
#' @section Matching rule and ties:
#' The rule is MatchIt's `method = "nearest"` (version 4.5.4 or later, with
#' `distance = "glm"`, `estimand = "ATT"`), so matched sets and weights equal
#' MatchIt's, ties included. The units are sorted once by the distance, ties in
#' the order of the data (a stable sort), and each treated unit takes the
#' nearest available control on either side of its own position in that
#' order, found by a scan (O(n log n) in all, not O(n1 n0)). When the nearest
#' controls below and above are equally distant, the lower one is taken; among
#' controls with identical distances, the one nearest in the sorted order
#' (below the treated unit: the last in the data; above: the first).
#' Without replacement, matching proceeds in `k` rounds: in each, the treated
#' units in `order` (by default from the largest score down, as MatchIt) take
#' one control each. With replacement each treated unit takes its `k` nearest
#' controls and the order does not matter. Stata's `psmatch2` differs in that
#' it sorts the data at random first (so its ties depend on the seed) and, with
#' its `ties` option, keeps all tied controls.
#'
#' @section Caliper and common support:
#' `caliper` is in standard deviations of the distance actually matched on
#' (`distance = "pscore"`: the propensity score on the probability scale;
#' `"linear"`: its logit (or probit) index), the standard deviation being taken
#' over all units not discarded, treated and controls pooled, as MatchIt's
#' `std.caliper = TRUE`. `std_caliper = FALSE` reads `caliper` in the
#' distance's own units (as `psmatch2`'s `caliper()`). A treated unit with no
#' control within the caliper stays unmatched. Common support is imposed by
#' `discard` before matching, as MatchIt's: `"both"` drops units of either group
#' whose score lies outside the other group's range, `"treated"` (`psmatch2`'s
#' `common`) only treated units, `"control"` only controls.
#'
#' @section Weights:
#' A matched treated unit weighs 1; a control weighs the sum, over the treated
#' units it is matched to, of one over the number of controls matched to each;
#' control weights are then scaled to sum to the number of matched controls
#' (MatchIt's weights). Unmatched and unused rows weigh 0, so that
#' `fe_reg(..., weights = m$weights)` on the original data is the regression on
#' the matched sample.
#'
#' @section Panels, by-period matching and the paper's Table 6:
#' With panel data the units matched are unit-periods. `by = NULL` pools all
#' periods: one score model, and a treated unit-period may be matched to a
#' control in any period. `by = "year"` (the usual PSM-DID practice, "period by
#' period" matching) fits a separate score model in each period and matches
#' within it; calipers and common support are then taken per period, and the
#' weights are scaled over the whole sample. The paper's Table 6 column (2)
#' reports N = 3,148 against 3,174 for the plain DID: it keeps all but 26
#' observations. That is what dropping the observations off the common
#' support gives (`fe_reg(..., data = data[m$support, ])` with a `discard`
#' rule), not a k = 4 matched sample, which keeps only the treated units and
#' their matched controls (about 2,100 city-years on the bundled panel, by
#' period or pooled); whether the paper matched by period or pooled cannot be
#' told from the table. [replicate_tables()] matches by year and reports the
#' matched-sample regression, the estimator the paper names.
#'
#' @section Balance:
#' `$balance` has, for the distance and each covariate (factors expanded into
#' one column per level), the means of treated and controls, the standardised
#' mean difference, the variance ratio and the p-value of a t test, before
#' (`_before`: all units, unweighted) and after (`_after`: weighted by the
#' matching weights). As in MatchIt's `summary()` and cobalt: the standardised
#' difference divides by the standard deviation of the treated units in the
#' full sample (\eqn{\sqrt{p(1-p)}} for a 0/1 covariate), differences below
#' \eqn{\sqrt{\epsilon}} are reported unstandardised; the variance ratio
#' (treated over control, weighted variances \eqn{\sum w (x - \bar x)^2 / (1 -
#' \sum w^2)} with normalised weights) is reported for non-binary covariates.
#' The t test is that of `lm(x ~ treat, weights = w)` on the units with
#' positive weight (before matching: the pooled-variance two-sample t test), as
#' in Stata's `pstest`.
#'
#' @param formula `treat ~ x1 + x2`: the treatment indicator (0/1 or logical)
#'   and the covariates of the score model (factors, `I()`, `i()`, `l()` work as
#'   in [fe_reg()]; no fixed-effects part).
#' @param data a data frame.
#' @param k number of controls matched to each treated unit.
#' @param replace match with replacement (a control can serve several treated units)?
#' @param caliper `NULL` (none) or the largest acceptable distance, in standard
#'   deviations of the distance (see Caliper and common support).
#' @param link `"logit"` or `"probit"`.
#' @param by `NULL` (pooled) or column name(s): match within their groups, with
#'   a separate score model in each (e.g. `by = "year"`).
#' @param distance `"pscore"` (the propensity score) or `"linear"` (its linear
#'   index, MatchIt's `"linear.logit"`): what is matched on and what the caliper
#'   is measured in.
#' @param std_caliper is `caliper` in standard deviations (`TRUE`) or in the
#'   distance's units?
#' @param discard common support: `"none"`, `"both"`, `"control"` or `"treated"`.
#' @param order order in which treated units are matched without replacement:
#'   `"largest"` score first (MatchIt's default), `"smallest"`, `"data"` or `"random"`.
#' @return An object of class `exr_match`: a list with `weights` (aligned with
#'   the rows of `data`; 0 for unmatched and unused rows), `pscore` and
#'   `distance` (aligned, `NA` for unused rows), `treat`, `matched`,
#'   `discarded` and `support` (logical, aligned), `match_matrix` (one row per
#'   treated unit, named by its row of `data`, holding the row numbers of its
#'   controls, `NA` where none), `data` (the matched rows of `data`, with
#'   columns `pscore` and `weights`), `balance` (see Balance), `counts`
#'   (all, matched, unmatched, discarded units by group), `caliper_abs` (the
#'   caliper in the distance's units, per group), `models` (the score models,
#'   one per group, as [logit()] fits) and the settings. `print()`,
#'   `summary()`, `plot()` (balance or score distributions) and `glance()` work.
#' @seealso [fe_reg()] for PSM-DID; [event_study()], [placebo_test()].
#' @examples
#' set.seed(1)
#' n <- 600
#' d <- data.frame(id = 1:n, x1 = rnorm(n), x2 = rnorm(n))
#' d$treat <- as.numeric(0.6 * d$x1 - 0.4 * d$x2 + rnorm(n) > 0.8)
#' m <- psm_match(treat ~ x1 + x2, d, k = 2)
#' m
#' m1 <- psm_match(treat ~ x1 + x2, d, k = 1, replace = FALSE, caliper = 0.2)
#' summary(m1)
#'
#' # PSM-DID: a two-period panel, matched on baseline covariates period by period
#' p <- data.frame(id = rep(1:n, 2), year = rep(1:2, each = n),
#'                 x1 = rep(d$x1, 2), x2 = rep(d$x2, 2), treat = rep(d$treat, 2))
#' p$did <- p$treat * (p$year == 2)
#' p$y <- 0.5 * p$did + p$x1 + rnorm(n)[p$id] + rnorm(2 * n)
#' mp <- psm_match(treat ~ x1 + x2, p, k = 4, by = "year")
#' fe_reg(y ~ did | id + year, p, weights = mp$weights, cluster = ~id)
#' @export
psm_match <- function(formula, data, k = 4, replace = TRUE, caliper = NULL,
                      link = c("logit", "probit"), by = NULL, distance = c("pscore", "linear"),
                      std_caliper = TRUE, discard = c("none", "both", "control", "treated"),
                      order = c("largest", "smallest", "data", "random")) {
  call <- match.call()
  link <- match_choice(link, c("logit", "probit"), "link")
  distance <- match_choice(distance, c("pscore", "linear"), "distance")
  discard <- match_choice(discard, c("none", "both", "control", "treated"), "discard")
  order <- match_choice(order, c("largest", "smallest", "data", "random"), "order")
  replace <- check_flag(replace, "replace")
  std_caliper <- check_flag(std_caliper, "std_caliper")
  if (!is.numeric(k) || length(k) != 1L || !is.finite(k) || k < 1 || k != round(k) ||
      k > .Machine$integer.max) {
    exr_error("k", "expected one whole number >= 1.")
  }
  k <- as.integer(k)
  if (!is.null(caliper) && (!is.numeric(caliper) || length(caliper) != 1L || is.na(caliper) ||
                            caliper <= 0 || !is.finite(caliper))) {
    exr_error("caliper", "expected NULL or one positive number.")
  }
  fml <- parse_fixest_formula(formula)
  if (length(fml$fe) || !is.null(fml$endo)) {
    exr_error("formula", "a propensity-score model takes no fixed-effects or IV part.")
  }
  check_data_frame(data)
  if (!is.null(by)) {
    if (!is.character(by) || !length(by) || anyNA(by)) exr_error("by", "expected column name(s).")
    check_columns(data, by, "by")
  }
  by_vals <- if (is.null(by)) NULL else lapply(by, function(b) data[[b]])
  d <- build_design(fml, data, singletons = "keep", extra = by_vals)
  treat <- d$y
  if (!all(treat %in% c(0, 1))) {
    exr_error("formula", "the treatment '", d$lhs_name, "' must be 0/1 (or logical).")
  }
  if (!any(treat == 1)) exr_error("formula", "no treated units (", d$lhs_name, " == 1).")
  if (!any(treat == 0)) exr_error("formula", "no control units (", d$lhs_name, " == 0).")
  rows <- which(d$keep)
  n <- length(rows)
  grp <- if (is.null(by)) rep(1L, n) else codes_of(interact_codes(lapply(by_vals, function(v) codes_of(v[rows]))))
  G <- max(grp)
  glabels <- if (is.null(by)) "all" else
    vapply(split(seq_len(n), grp), function(ix) paste(vapply(by_vals, function(v) format(v[rows[ix[1L]]]), ""),
                                                     collapse = ":"), "")

  # the score, per group, through the binary kernel (pooled: no copies)
  models <- vector("list", G)
  skipped <- character(0)
  if (G == 1L) {
    fit <- binary_fit_design(d$X, treat, NULL, link)
    lin <- fit$eta
    ps <- fit$probabilities
    models[[1L]] <- fit
  } else {
    lin <- ps <- rep(NA_real_, n)
    for (g in seq_len(G)) {
      ix <- which(grp == g)
      if (!any(treat[ix] == 1) || !any(treat[ix] == 0)) {
        skipped <- c(skipped, glabels[g])
        next
      }
      fit <- binary_fit_design(d$X[ix, , drop = FALSE], treat[ix], NULL, link)
      lin[ix] <- fit$eta
      ps[ix] <- fit$probabilities
      models[[g]] <- fit
    }
  }
  if (length(skipped)) {
    if (length(skipped) == G) exr_error("by", "no group has both treated and control units.")
    exr_warning("by", "group(s) ", paste(skipped, collapse = ", "), " have no treated or no ",
                "control units; their units are left unmatched.")
  }
  dist <- if (distance == "pscore") ps else lin
  part <- !is.na(dist)
  discarded <- psm_discard(dist, treat, grp, part, discard)
  role <- as.integer(treat)
  role[!part | discarded] <- -1L
  if (!any(role == 1L)) exr_error("discard", "the common-support rule discards every treated unit.")
  if (!any(role == 0L)) exr_error("discard", "the common-support rule discards every control unit.")

  # caliper in the distance's units, per group
  cal_abs <- rep(-1, G)
  if (!is.null(caliper)) {
    cal_abs <- vapply(seq_len(G), function(g) {
      ix <- grp == g & role >= 0L
      if (!std_caliper) return(caliper)
      if (sum(ix) < 2L) return(-1)
      caliper * stats::sd(dist[ix])
    }, numeric(1))
  }
  names(cal_abs) <- glabels

  tr <- which(role == 1L)
  torder <- switch(order,
                   largest = tr[base::order(dist[tr], decreasing = TRUE)],
                   smallest = tr[base::order(dist[tr])],
                   data = tr,
                   random = tr[sample.int(length(tr))])
  sorted <- if (G == 1L) base::order(dist, method = "radix") else base::order(grp, dist, method = "radix")
  if (!replace && k > sum(role == 0L)) {
    exr_error("k", "is larger than the number of controls (", sum(role == 0L),
              ") and matching is without replacement.")
  }
  d0 <- dist
  if (!all(part)) d0[!part] <- 0
  mt <- .Call(C_nn_match, d0, role,
              if (G > 1L) as.integer(grp) else NULL, as.integer(sorted), as.integer(torder),
              k, replace, as.double(if (G > 1L) cal_abs else cal_abs[1L]))
  if (mt$n_matched == 0L) {
    if (!is.null(caliper)) {
      exr_error("caliper", "no treated unit has a control within the caliper (", caliper,
                if (std_caliper) " SD" else "", ").")
    }
    exr_error("data", "no treated unit could be matched.")
  }
  w <- mt$weights
  # one row per treated unit (NA rows for those discarded or not taking part),
  # holding row numbers of `data`
  mm <- matrix(NA_integer_, sum(treat == 1), k,
               dimnames = list(rownames(data)[rows[treat == 1]], NULL))
  mm[role[treat == 1] == 1L, ] <- rows[mt$match_matrix]

  n_all <- nrow(data)
  align <- function(v, fill) { out <- rep(fill, n_all); out[rows] <- v; out }
  weights_all <- align(w, 0)
  bal <- balance_table(dist, balance_covariates(fml, data, d, rows), treat, w, part)

  md <- data[rows[w > 0], , drop = FALSE]
  wcol <- unused_name("weights", names(data))
  pcol <- unused_name("pscore", names(data))
  md[[pcol]] <- ps[w > 0]
  md[[wcol]] <- w[w > 0]
  # one tabulation: treated x matched x discarded
  cell <- tabulate(1L + as.integer(treat) + 2L * (w > 0) + 4L * discarded, 8L)
  tot <- function(t, m, dsc) sum(cell[outer(outer(1L + t, 2L * m, "+"), 4L * dsc, "+")])
  counts <- matrix(c(tot(0, 0:1, 0:1), tot(1, 0:1, 0:1), tot(0, 1, 0:1), tot(1, 1, 0:1),
                     tot(0, 0, 0), tot(1, 0, 0), tot(0, 0:1, 1), tot(1, 0:1, 1)),
                   ncol = 2L, byrow = TRUE,
                   dimnames = list(c("All", "Matched", "Unmatched", "Discarded"), c("Control", "Treated")))
  structure(list(
    call = call, formula = formula, treat_name = d$lhs_name, covariates = colnames(d$X),
    link = link, k = k, replace = replace, caliper = caliper, std_caliper = std_caliper,
    caliper_abs = cal_abs, distance_type = distance, discard = discard, order = order, by = by,
    groups = glabels, n_groups = G,
    weights = weights_all, pscore = align(ps, NA_real_), distance = align(dist, NA_real_),
    treat = align(treat, NA_real_), matched = weights_all > 0,
    discarded = align(discarded, FALSE), support = align(part & !discarded, FALSE),
    match_matrix = mm, data = md, weights_col = wcol, pscore_col = pcol,
    balance = bal, counts = counts, models = models, n_dropped = d$n_na,
    n_obs = n), class = "exr_match")
}

# MatchIt's discard(): units whose distance lies outside the other group's
# range (per group of `by`); units not taking part are never discarded.
psm_discard <- function(dist, treat, grp, part, rule) {
  out <- rep(FALSE, length(dist))
  if (rule == "none") return(out)
  for (g in unique(grp[part])) {
    ix <- which(grp == g & part)
    d0 <- dist[ix][treat[ix] == 0]
    d1 <- dist[ix][treat[ix] == 1]
    x <- dist[ix]
    out[ix] <- switch(rule,
                      both = x < max(min(d0), min(d1)) | x > min(max(d0), max(d1)),
                      control = treat[ix] == 0 & (x < min(d1) | x > max(d1)),
                      treated = treat[ix] == 1 & (x < min(d0) | x > max(d0)))
  }
  out
}

unused_name <- function(nm, taken) {
  out <- nm
  while (out %in% taken) out <- paste0(out, "_psm")
  out
}

# The covariates of the score model for the balance table, factors expanded
# into one column per level (MatchIt's and cobalt's convention).
balance_covariates <- function(fml, data, d, rows) {
  vars <- intersect(all.vars(fml$rhs), names(data))
  if (!any(vapply(data[vars], function(v) is.factor(v) || is.character(v), logical(1)))) {
    # no factor: the design's own columns (without the intercept)
    return(d$X[, colnames(d$X) != "(Intercept)", drop = FALSE])
  }
  mf <- part_frame(fml$rhs, data, d$env, "x")[rows, , drop = FALSE]
  if (!ncol(mf)) return(matrix(numeric(0), length(rows), 0L))
  for (nm in names(mf)) if (is.character(mf[[nm]])) mf[[nm]] <- factor(mf[[nm]])
  mf <- droplevels(mf)
  facs <- Filter(is.factor, mf)
  tt <- stats::terms(mf)
  attr(tt, "intercept") <- 1L
  X <- stats::model.matrix(tt, mf, contrasts.arg = lapply(facs, stats::contrasts, contrasts = FALSE))
  assign <- attr(X, "assign")
  X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
  assign <- assign[assign > 0L]
  colnames(X) <- gsub("`", "", operator_column_names(colnames(X), assign, attr(tt, "term.labels")),
                      fixed = TRUE)
  X
}

# The balance table: means, standardised mean differences, variance ratios and
# t-test p-values, before (unweighted, all units) and after (matching
# weights), from per-column sums computed in C (src/match.c). Definitions as
# MatchIt's summary() and cobalt: weighted variances sum w (x - m)^2 / (1 -
# sum w^2) with normalised weights, p (1 - p) for 0/1 columns.
balance_table <- function(dist, X, treat, w, part) {
  if (!is.double(X)) storage.mode(X) <- "double"
  t1 <- as.integer(treat == 1)
  t1[!part] <- -1L                      # units not taking part are left out
  d0 <- dist
  d0[!part] <- 0
  sums <- function(wt) {
    cbind(.Call(C_balance_sums, matrix(d0, ncol = 1L), t1, wt), .Call(C_balance_sums, X, t1, wt))
  }
  before <- balance_stats(sums(NULL), NULL)
  after <- balance_stats(sums(as.double(w)), before)
  out <- data.frame(before[, 1:5], after[, 1:5], row.names = c("distance", colnames(X)))
  names(out) <- c(paste0(c("mean_treated", "mean_control", "smd", "var_ratio", "p"), "_before"),
                  paste0(c("mean_treated", "mean_control", "smd", "var_ratio", "p"), "_after"))
  out
}

# Statistics from the sums of exr_balance_sums() (rows S1, S0, Q1, Q0, m1, m0,
# SS1, SS0, npos, binary); `unw` = the unweighted (before) statistics, whose
# treated standard deviation standardises the differences after matching too.
balance_stats <- function(s, unw) {
  S1 <- s[1L, ]; S0 <- s[2L, ]; Q1 <- s[3L, ]; Q0 <- s[4L, ]
  m1 <- s[5L, ]; m0 <- s[6L, ]; SS1 <- s[7L, ]; SS0 <- s[8L, ]
  npos <- s[9L, ]; binary <- s[10L, ] == 1
  wvar <- function(m, SS, S, Q) {
    v <- (SS / S) / (1 - Q / S^2)
    v[binary] <- (m * (1 - m))[binary]
    v
  }
  v1 <- wvar(m1, SS1, S1, Q1)
  v0 <- wvar(m0, SS0, S0, Q0)
  diff <- m1 - m0
  eps <- sqrt(.Machine$double.eps)
  std <- if (is.null(unw)) sqrt(v1) else unw$std
  if (is.null(unw)) {
    # MatchIt's fallback when the treated SD is zero: the pooled within-group SD
    n <- S1 + S0
    pooled <- (SS1 + SS0) / (n - 1)
    pooled[binary] <- ((m1 * S1 * (1 - m1) + m0 * S0 * (1 - m0)) / n)[binary]
    bad <- !is.finite(std) | std < eps
    std[bad] <- sqrt(pooled[bad])
  }
  smd <- ifelse(abs(diff) > eps, diff / std, diff)
  vr <- v1 / v0
  vr[binary] <- NA_real_
  # t test of lm(x ~ treat, weights = w) on the units with positive weight
  df <- npos - 2
  se <- if (all(df > 0)) sqrt((SS1 + SS0) / df * (1 / S1 + 1 / S0)) else rep(NA_real_, length(df))
  p <- rep(NA_real_, length(se))
  ok <- !is.na(se) & se > 0
  p[ok] <- 2 * stats::pt(abs(diff / se)[ok], df[ok], lower.tail = FALSE)
  data.frame(mean_treated = m1, mean_control = m0, smd = smd, var_ratio = vr, p = p, std = std)
}

#' @export
print.exr_match <- function(x, digits = 4, ...) {
  cat(sprintf("Propensity-score matching: nearest neighbour, k = %d, %s replacement\n", x$k,
              if (x$replace) "with" else "without"))
  cat(sprintf("Score: %s of %s on %d covariate column(s), %s\n", x$link, x$treat_name,
              length(setdiff(x$covariates, "(Intercept)")),
              if (is.null(x$by)) "pooled" else sprintf("by %s (%d groups)", paste(x$by, collapse = ":"),
                                                        x$n_groups)))
  cal <- if (is.null(x$caliper)) "none" else if (x$std_caliper) {
    sprintf("%s SD of the %s", format(x$caliper), if (x$distance_type == "pscore") "score" else "linear index")
  } else sprintf("%s (in the %s's units)", format(x$caliper),
                 if (x$distance_type == "pscore") "score" else "linear index")
  cat(sprintf("Distance: %s; caliper: %s; common support: %s\n",
              if (x$distance_type == "pscore") "propensity score" else "linear index", cal, x$discard))
  if (isTRUE(x$n_dropped > 0)) cat(sprintf("Rows dropped for NA: %d\n", x$n_dropped))
  print(x$counts)
  cat("\nBalance (standardised mean differences; variance ratios):\n")
  b <- x$balance
  shown <- data.frame(`SMD before` = formatC(b$smd_before, digits = digits, format = "f"),
                      `SMD after` = formatC(b$smd_after, digits = digits, format = "f"),
                      `VR before` = ifelse(is.na(b$var_ratio_before), ".",
                                           formatC(b$var_ratio_before, digits = 3, format = "f")),
                      `VR after` = ifelse(is.na(b$var_ratio_after), ".",
                                          formatC(b$var_ratio_after, digits = 3, format = "f")),
                      `p before` = format.pval(b$p_before, digits = 3),
                      `p after` = format.pval(b$p_after, digits = 3),
                      row.names = rownames(b), check.names = FALSE)
  print(shown, right = TRUE)
  invisible(x)
}

#' Summaries and plots of a matching
#'
#' `summary()` returns the balance table (means, standardised mean differences,
#' variance ratios and t-test p-values, before and after matching; see
#' [psm_match()]) with the sample sizes; `plot()` draws the standardised mean
#' differences before and after matching (`type = "balance"`, a "Love plot") or
#' the distributions of the propensity score of treated and controls before
#' and after (`type = "pscore"`); `glance()` gives the counts and the largest
#' absolute standardised difference before and after.
#'
#' @param object,x an `exr_match` object from [psm_match()].
#' @param type `"balance"` or `"pscore"`.
#' @param threshold for `"balance"`: a reference line at this absolute
#'   standardised difference (0.1 is the usual rule of thumb).
#' @param ... passed to the plotting functions (`summary`: unused).
#' @return `summary()`: an object of class `summary.exr_match` (a list with
#'   `balance` and `counts`) that prints; `plot()`: `x`, invisibly;
#'   `glance()`: a one-row data frame.
#' @examples
#' set.seed(2)
#' d <- data.frame(x1 = rnorm(400), x2 = rbinom(400, 1, 0.4))
#' d$treat <- as.numeric(d$x1 + d$x2 + rnorm(400) > 1)
#' m <- psm_match(treat ~ x1 + x2, d, k = 1)
#' summary(m)
#' plot(m)
#' plot(m, type = "pscore")
#' glance(m)
#' @name summary.exr_match
#' @export
summary.exr_match <- function(object, ...) {
  structure(list(balance = object$balance, counts = object$counts, call = object$call),
            class = "summary.exr_match")
}

#' @export
print.summary.exr_match <- function(x, digits = 4, ...) {
  cat("Balance before matching (all units):\n")
  b <- x$balance
  pr <- function(sfx) {
    tab <- b[, paste0(c("mean_treated", "mean_control", "smd", "var_ratio", "p"), sfx)]
    names(tab) <- c("Mean treated", "Mean control", "Std. mean diff.", "Var. ratio", "t-test p")
    print(round(tab, digits))
  }
  pr("_before")
  cat("\nBalance after matching (weighted by the matching weights):\n")
  pr("_after")
  cat("\nSample sizes:\n")
  print(x$counts)
  invisible(x)
}

#' @rdname summary.exr_match
#' @export
plot.exr_match <- function(x, type = c("balance", "pscore"), threshold = 0.1, ...) {
  type <- match_choice(type, c("balance", "pscore"), "type")
  if (type == "balance") {
    b <- x$balance
    vars <- rownames(b)
    nv <- length(vars)
    rng <- range(c(0, abs(b$smd_before), abs(b$smd_after), threshold), na.rm = TRUE)
    graphics::plot(abs(b$smd_before), seq_len(nv), xlim = rng, ylim = c(0.5, nv + 0.5), pch = 1,
                   yaxt = "n", xlab = "Absolute standardised mean difference", ylab = "",
                   main = "Covariate balance", ...)
    graphics::points(abs(b$smd_after), seq_len(nv), pch = 19)
    graphics::axis(2, at = seq_len(nv), labels = vars, las = 1, cex.axis = 0.8)
    graphics::abline(v = c(0, threshold), lty = c(1, 2), col = "grey50")
    graphics::legend("bottomright", c("before matching", "after matching"), pch = c(1, 19), bty = "n")
  } else {
    ok <- !is.na(x$pscore)
    ps <- x$pscore[ok]
    t1 <- x$treat[ok] == 1
    w <- x$weights[ok]
    old <- graphics::par(mfrow = c(1, 2))
    on.exit(graphics::par(old))
    br <- seq(min(ps), max(ps), length.out = 21)
    for (after in c(FALSE, TRUE)) {
      wt <- if (after) w else rep(1, length(ps))
      h1 <- psm_whist(ps[t1], wt[t1], br)
      h0 <- psm_whist(ps[!t1], wt[!t1], br)
      top <- max(c(h1, h0), 0.01)
      graphics::plot(NA, xlim = range(br), ylim = c(-top, top), xlab = "Propensity score",
                     ylab = "Density (treated up, controls down)",
                     main = if (after) "After matching" else "Before matching", ...)
      graphics::rect(br[-length(br)], 0, br[-1L], h1, col = "grey40", border = "white")
      graphics::rect(br[-length(br)], -h0, br[-1L], 0, col = "grey75", border = "white")
      graphics::abline(h = 0)
    }
  }
  invisible(x)
}

psm_whist <- function(x, w, br) {
  if (!length(x) || sum(w) <= 0) return(rep(0, length(br) - 1L))
  bin <- findInterval(x, br, rightmost.closed = TRUE, all.inside = TRUE)
  tot <- vapply(seq_len(length(br) - 1L), function(b) sum(w[bin == b]), numeric(1))
  tot / (sum(w) * diff(br))
}

#' @rdname summary.exr_match
#' @export
glance.exr_match <- function(x, ...) {
  cn <- x$counts
  data.frame(n_treated = cn["All", "Treated"], n_control = cn["All", "Control"],
             n_matched_treated = cn["Matched", "Treated"], n_matched_control = cn["Matched", "Control"],
             n_discarded = sum(cn["Discarded", ]),
             max_abs_smd_before = max(abs(x$balance$smd_before)),
             max_abs_smd_after = max(abs(x$balance$smd_after)), row.names = NULL)
}
