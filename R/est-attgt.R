# Callaway and Sant'Anna (2021) group-time average treatment effects on a
# balanced panel with staggered adoption, their influence-function variances,
# the multiplier bootstrap with uniform bands, and their aggregation. The 2x2
# estimators (doubly robust, IPW, outcome regression) and the bootstrap run in
# C (src/staggered.c) on the package's logit and least-squares kernels; this
# file prepares the panel, lays out the (g, t) cells as the did package does,
# and assembles the results.

#' Group-time average treatment effects with staggered adoption
#'
#' Callaway and Sant'Anna's (2021) estimator of the average treatment effect
#' of the units first treated in period \eqn{g} at period \eqn{t},
#' \eqn{ATT(g, t)}, for every adoption group and period, comparing each group
#' with units never treated (`control = "never"`) or not yet treated by
#' \eqn{t} (`"notyet"`), so that already-treated units are never used as
#' controls (the "forbidden comparisons" of two-way fixed effects). Each
#' \eqn{ATT(g, t)} is a two-period DiD between the group's base period and
#' \eqn{t}; with covariates it is the doubly robust estimator of Sant'Anna and
#' Zhao (2020, `method = "dr"`), inverse probability weighting (`"ipw"`) or
#' outcome regression (`"reg"`), with covariates taken at the base period.
#' The numbers equal those of the \pkg{did} package's `att_gt()` (whose
#' `est_method = "dr"` calls `DRDID::drdid_panel`) with
#' `bstrap = FALSE`; [aggregate()][aggregate.exr_attgt] gives those of its
#' `aggte()`.
#'
#' @section Cells and base periods:
#' As in \pkg{did}: with `base = "varying"` a pre-treatment \eqn{ATT(g, t)}
#' compares \eqn{t} with \eqn{t - 1} (a pseudo-effect for testing parallel
#' trends), a post-treatment one compares \eqn{t} with \eqn{g - \delta - 1}
#' (\eqn{\delta} = `anticipation`); with `"universal"` every cell compares with
#' \eqn{g - \delta - 1}, whose own cell is the reference (0, not estimated).
#' Not-yet-treated comparison units are those with adoption after
#' \eqn{\max(t, base) + \delta}. A panel must be balanced: units missing a
#' period (after dropping rows with missing values) are dropped with a warning,
#' as `did` does, and units treated in the first period (no pre-period) too.
#' Propensity scores are capped at \eqn{1 - 10^{-6}}, comparison units with a
#' score above 0.995 are trimmed, and a cell whose largest score reaches 0.999
#' fails the overlap check (its ATT is `NA`, with a warning), all as in DRDID
#' and did. (did's overlap check fits an unweighted logit; with `weights` ours
#' uses the weighted one.)
#'
#' @section Standard errors and bands:
#' Standard errors come from the influence functions of the cells, as in the
#' paper and in `did::att_gt(bstrap = FALSE)`: the variance of the estimates is
#' \eqn{\frac{1}{n^2}\sum_i \psi_i \psi_i'} over units, or over clusters of
#' units with `cluster` (cluster sums, no small-sample factor, as did). They
#' are z tests. With `boot > 0` a multiplier bootstrap (Rademacher weights on
#' units or clusters, drawn from R's random number generator, so `set.seed()`
#' reproduces it and `cores` does not change it; the weights go to the units
#' in order of adoption period, never-treated units last, and to clusters in
#' order of their codes) gives the critical value of
#' simultaneous (uniform, sup-t) confidence bands over all cells, as
#' did's `cband = TRUE`; `boot_se = TRUE` reports the bootstrap standard
#' errors (interquartile range of the draws over that of the normal), which is
#' what did reports by default (`bstrap = TRUE`). The Wald test of the
#' pre-treatment cells (all zero under parallel trends) is in [glance()]
#' (`pretrend_stat`, `pretrend_df`, `pretrend_p`).
#'
#' @param formula `y ~ 1`, or `y ~ x1 + x2` with covariates (time-varying
#'   covariates are taken at each cell's base period).
#' @param data a data frame (or [exr_panel()]).
#' @param panel `c(id, time)` column names (unless `data` is an `exr_panel`);
#'   the time column must be numeric.
#' @param adopt name of the column giving the period a unit is first treated:
#'   `NA`, `0` or `Inf` for never-treated units; constant within a unit.
#' @param control `"never"` (never-treated units) or `"notyet"` (never and
#'   not-yet-treated units) as comparisons.
#' @param method `"dr"` (doubly robust, default), `"ipw"` or `"reg"`.
#' @param anticipation number of periods before adoption in which units may
#'   already react.
#' @param base `"varying"` or `"universal"` base period.
#' @param cluster `NULL` (units), or one time-invariant cluster variable
#'   (formula `~province` or a column name) in which units are nested.
#' @param boot number of multiplier-bootstrap draws for the uniform band (0:
#'   none).
#' @param weights a column name or numeric vector of sampling weights,
#'   constant within unit.
#' @param level confidence level of the intervals and bands.
#' @param boot_se report bootstrap standard errors instead of analytic ones?
#' @param cores threads (cells and bootstrap draws in parallel; results do not
#'   depend on it).
#' @return An object of class `c("exr_attgt", "exr_model")`: coefficients
#'   `ATT(g,t)` for the estimated cells and their variance, `estimates` (a data
#'   frame with one row per cell: `group`, `time`, `event` = t - g, `estimate`,
#'   `std.error`, `conf.low`/`conf.high` (pointwise), `band.low`/`band.high`
#'   (uniform), `post`, `base_period`, `n_treated`, `n_control`,
#'   `reference`), `inf` (the units x cells influence functions, units
#'   ordered by adoption period, never-treated units last), `crit_value`,
#'   and the settings; [aggregate()][aggregate.exr_attgt] summarises it.
#' @references Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-
#'   differences with multiple time periods. *Journal of Econometrics* 225(2),
#'   200-230. Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust
#'   difference-in-differences estimators. *Journal of Econometrics* 219(1),
#'   101-122.
#' @seealso [aggregate.exr_attgt()], [did_imputation()], [plot_event_studies()].
#' @examples
#' set.seed(1)
#' sim <- expand.grid(id = 1:300, year = 1:6)
#' first <- c(3, 4, 5, NA)[(sim$id %% 4) + 1]
#' sim$adopt <- first
#' sim$x <- rnorm(300)[sim$id]
#' treated <- !is.na(first) & sim$year >= first
#' sim$y <- sim$x + 0.1 * sim$year + ifelse(treated, 1 + 0.5 * (sim$year - first), 0) +
#'   rnorm(nrow(sim))
#' fit <- att_gt(y ~ x, sim, panel = c("id", "year"), adopt = "adopt", boot = 199)
#' fit
#' aggregate(fit, type = "dynamic")
#' @export
att_gt <- function(formula, data, panel = NULL, adopt, control = c("never", "notyet"),
                   method = c("dr", "ipw", "reg"), anticipation = 0,
                   base = c("varying", "universal"), cluster = NULL, boot = 999L,
                   weights = NULL, level = 0.95, boot_se = FALSE,
                   cores = getOption("exportres.cores", 1L)) {
  call <- match.call()
  control <- match_choice(control, c("never", "notyet"), "control")
  method <- match_choice(method, c("dr", "ipw", "reg"), "method")
  base <- match_choice(base, c("varying", "universal"), "base")
  anticipation <- check_count(anticipation, "anticipation")
  boot <- check_count(boot, "boot")
  level <- check_level(level)
  boot_se <- check_flag(boot_se, "boot_se")
  if (boot_se && boot < 2L) exr_error("boot_se", "bootstrap standard errors need `boot` >= 2 draws.")
  cores <- check_cores(cores)
  fml <- parse_fixest_formula(formula)
  if (length(fml$fe) || !is.null(fml$endo)) {
    exr_error("formula", "att_gt() takes covariates only: `y ~ x1 + x2` or `y ~ 1` ",
              "(no fixed-effect or IV part).")
  }
  if (!fml$intercept) exr_error("formula", "att_gt() needs the intercept (remove `- 1` / `+ 0`).")
  check_data_frame(data)
  pv <- panel_vars(data, panel)
  if (is.null(pv)) exr_error("panel", "att_gt() needs `panel = c(id, time)` or an exr_panel.")
  # the panel index is needed only by the panel operators l(), f(), d(); the
  # covariates are built without the intercept, which the C code supplies
  ops <- any(c("l", "f", "d") %in% all.names(fml$rhs))
  fml_x <- fml
  fml_x$intercept <- FALSE
  d <- build_design(fml_x, data, panel = if (ops) pv else NULL, cluster = cluster,
                    weights = weights, singletons = "keep",
                    extra = list(data[[pv[1L]]], data[[pv[2L]]]), columns = TRUE)
  if (length(d$cluster) > 1L) exr_error("cluster", "at most one cluster variable (beyond the unit).")
  s <- attgt_panel(d, data, pv, adopt, anticipation, control)
  cells <- attgt_cells(s, control, base, anticipation)
  s <- attgt_data(s, d, sort(unique(cells$x_index[!cells$reference])))
  attgt_fit(s, cells, d, fml, method, control, base, anticipation, boot, level, boot_se, cores,
            call, formula, pv, adopt)
}

check_count <- function(x, arg) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < 0 || x != round(x) || !is.finite(x)) {
    exr_error(arg, "expected a single non-negative whole number.")
  }
  as.integer(x)
}

# The adoption column's values on `rows` (NULL: all rows), checked to be a
# numeric column; as doubles, or with double = FALSE as they are (integer or
# double: the C layout reads either, without a copy of the column).
adoption_values <- function(data, adopt, rows, arg = "adopt", double = TRUE) {
  if (missing(adopt) || !is.character(adopt) || length(adopt) != 1L || is.na(adopt)) {
    exr_error(arg, "expected the name of the column holding each unit's adoption period.")
  }
  check_columns(data, adopt, arg)
  g <- data[[adopt]]
  if (!is.null(rows)) g <- g[rows]
  if (!is.numeric(g)) exr_error(arg, "column '", adopt, "' must be numeric (a period, NA if never treated).")
  if (double || !is.integer(g)) as.numeric(g) else g
}

# Adoption periods (Inf for never treated) must be positive and, when finite,
# within the data's periods `rng`.
adoption_check <- function(g, rng, arg = "adopt") {
  if (any(g < 0)) exr_error(arg, "adoption periods must be positive (NA, 0 or Inf: never treated).")
  out <- is.finite(g) & (g < rng[1L] | g > rng[2L])
  if (any(out)) {
    bad <- sort(unique(g[out]))
    exr_error(arg, "adoption period(s) ", paste(format(bad), collapse = ", "),
              " outside the data's periods ", format(rng[1L]), "-", format(rng[2L]),
              ": code never-treated units as NA (or 0), and drop units adopting before the data start.")
  }
  invisible(g)
}

# Adoption periods of the rows: Inf for never treated (NA, 0, Inf), checked
# against the data's periods and for constancy within unit. `uid` are unit codes.
adoption_of <- function(data, adopt, rows, uid, times, arg = "adopt") {
  g <- adoption_values(data, adopt, rows, arg)
  g[is.na(g) | g == 0] <- Inf
  first <- g[match(seq_len(max(uid)), uid)]
  if (any(g != first[uid])) {
    u <- which(g != first[uid])[1L]
    exr_error(arg, "the adoption period must be constant within a unit (unit ", u,
              " has several); treatment is irreversible.")
  }
  adoption_check(g, range(times), arg)
}

# The balanced panel of units x periods from the design's rows: panel_index()
# sorts the rows by unit and time, and the C code reads each unit's adoption
# period and checks constancy within units and balance (attgt_layout). The
# outcomes and covariates are laid out by period afterwards (attgt_data()),
# once the cells say which periods' covariates are used.
attgt_panel <- function(d, data, pv, adopt, anticipation, control) {
  rows <- if (d$all_rows) NULL else which(d$keep)
  sub <- function(v) if (is.null(rows)) v else v[rows]
  g_rows <- adoption_values(data, adopt, rows, double = FALSE)
  id <- sub(data[[pv[1L]]])
  tm <- sub(data[[pv[2L]]])
  if (!is.integer(tm) || is.factor(tm)) tm <- as.numeric(tm)   # integer periods: no copy
  pidx <- panel_index(id, tm, check = TRUE, mask = FALSE)
  cl0 <- if (length(d$cluster)) d$cluster[[1L]] else NULL
  ord <- if (pidx$in_order) NULL else pidx$order   # NULL: the C code reads the rows in order
  lay <- .Call(C_attgt_layout, ord, pidx$start, tm, g_rows, d$weights, cl0)
  unit_row <- function(u) pidx$order[pidx$start[u] + 1L]
  if (lay$adopt_varies > 0L) {
    exr_error("adopt", "the adoption period must be constant within a unit (unit ",
              format(id[unit_row(lay$adopt_varies)]), " has several); treatment is irreversible.")
  }
  ua <- lay$unit_adopt
  periods <- if (lay$extra > 0L) sort(unique(as.numeric(tm))) else lay$periods
  nT <- length(periods)
  # the kept units, in C: observed in every period (a balanced panel) and
  # not treated by the first period plus anticipation (no pre-period),
  # ordered by adoption period (never treated last, ties in the order of
  # their codes), so that the units of every cell are a few runs of
  # consecutive units; and the cohorts, runs of equal adoption periods
  ku <- .Call(C_attgt_units, ua, lay$count, as.double(periods),
              as.double(periods[1L] + anticipation), ord, pidx$start)
  if (ku$outside > 0L) adoption_check(ua, c(periods[1L], periods[nT]))
  if (nT < 2L) exr_error("data", "att_gt() needs at least two periods.")
  if (ku$incomplete > 0L) {
    exr_warning("data", ku$incomplete, " unit(s) not observed in every period (after dropping rows ",
                "with missing values) were dropped: att_gt() needs a balanced panel, as did does.")
  }
  if (ku$early > 0L) {
    exr_warning(adopt, ku$early, " unit(s) treated from the first period",
                if (anticipation > 0) " (with anticipation)", " have no pre-treatment period and ",
                "were dropped, as did does.")
  }
  if (!length(ku$units)) exr_error("data", "no unit is left in the balanced panel.")
  if (lay$w_varies > 0L) exr_error("weights", "must be constant within unit.")
  if (lay$cl_varies > 0L) {
    exr_error("cluster", "the cluster variable must be constant within unit (units nested in clusters).")
  }
  k <- if (is.list(d$X)) length(d$X) else ncol(d$X)
  units <- ku$units
  first <- ku$first
  n <- length(first)
  w <- if (is.null(d$weights)) NULL else d$weights[first]
  cl <- if (is.null(cl0)) NULL else codes_of(cl0[first])
  G <- ku$adopt
  groups <- ku$cohorts[is.finite(ku$cohorts)]
  if (!length(groups)) exr_error(adopt, "no unit is ever treated within the data.")
  if (control == "never" && is.finite(G[n])) {   # G is sorted: never treated last
    exr_error("control", "there are no never-treated units to compare with; use ",
              "control = \"notyet\" (not-yet-treated units), or code the comparison units' adoption as NA.")
  }
  list(k = k + 1L, w = w, cl = cl, G = G, groups = groups, cohorts = ku$cohorts,
       cohort_size = ku$cohort_size, periods = periods, n = n,
       ids = id[first], n_rows = n * nT, xnames = if (is.list(d$X)) names(d$X) else colnames(d$X),
       order = ord, start = pidx$start, units = units)
}

# The outcomes by period (n x T) and the covariates of the periods `xper`
# that the cells use (n x kx x S), in the units' order (attgt_reshape), with
# the rank check: the covariates must have full rank in every such period (a
# covariate without variation, or collinear with others, cannot be used), by
# the package's collinearity rule on the period's cross-product of
# (intercept, covariates).
attgt_data <- function(s, d, xper) {
  X <- if (s$k > 1L) d$X else NULL
  rr <- .Call(C_attgt_reshape, s$order, s$start, s$units, length(s$periods), d$y, X, d$weights,
              as.integer(xper))
  if (s$k > 1L) {
    nm <- c("(Intercept)", s$xnames)
    for (q in seq_along(xper)) {
      xtx <- matrix(rr$XtX[, , q], s$k, s$k, dimnames = list(nm, nm))
      dc <- drop_collinear_xtx(xtx, what = NULL)
      if (length(dc$dropped)) {
        exr_error("formula", "covariate(s) ", paste(dc$dropped, collapse = ", "),
                  " constant or collinear with the others across units in period ",
                  format(s$periods[xper[q]]), ": remove them.")
      }
    }
  }
  s$Y <- rr$Y
  s$X <- rr$X
  s$xper <- xper
  s$order <- s$start <- s$units <- NULL
  s
}

# The (g, t) cells, laid out as did's compute.att_gt2(): the period, base period
# and covariate period of each, and the comparison cutoff.
attgt_cells <- function(s, control, base, anticipation) {
  tp <- s$periods
  nT <- length(tp)
  tfac <- if (base == "varying") 1L else 0L
  tlen <- if (base == "varying") nT - 1L else nT
  out <- list()
  for (g in s$groups) {
    pret_g <- max(which(tp + anticipation < g))
    for (t in seq_len(tlen)) {
      ev <- t + tfac
      pret <- if (base == "universal") pret_g else t
      post <- g <= tp[ev]
      if (post) pret <- pret_g
      ref <- base == "universal" && pret == ev
      cut <- if (control == "never") Inf else tp[max(t, pret) + tfac] + anticipation
      out[[length(out) + 1L]] <- c(g, ev, pret, min(pret, t), cut, post, ref)
    }
  }
  m <- do.call(rbind, out)
  cells <- data.frame(group = m[, 1L], time = tp[m[, 2L]], event = tp[m[, 2L]] - m[, 1L],
                      t_index = m[, 2L], base_index = m[, 3L], x_index = m[, 4L],
                      cutoff = m[, 5L], post = m[, 6L] == 1, reference = m[, 7L] == 1)
  cells$base_period <- tp[cells$base_index]
  # comparison units for every cell
  # group sizes from the cohort counts
  coh <- s$cohorts
  size <- s$cohort_size
  never <- sum(size[!is.finite(coh)])
  nt <- size[match(cells$group, coh)]
  nc <- never + vapply(seq_len(nrow(cells)), function(j) {
    sum(size[is.finite(coh) & coh > cells$cutoff[j] & coh != cells$group[j]])
  }, 0)
  bad <- !cells$reference & nc == 0
  if (any(bad)) {
    b <- cells[bad, , drop = FALSE]
    exr_error("control", "no never-treated and no not-yet-treated units to compare group ",
              format(b$group[1L]), " with in period ", format(b$time[1L]),
              if (nrow(b) > 1L) paste0(" (and ", nrow(b) - 1L, " more cell(s))"),
              ": drop the periods from the last adoption on (as did does), or the last group.")
  }
  small <- unique(c(cells$group[nt < s$k + 5]))
  if (length(small)) {
    exr_warning("adopt", "group(s) ", paste(format(small), collapse = ", "), " have fewer than ",
                s$k + 5, " units; their estimates may be unreliable.")
  }
  cells$n_treated <- nt
  cells$n_control <- nc
  cells
}

attgt_method_code <- function(method) match(method, c("dr", "ipw", "reg")) - 1L

attgt_fit <- function(s, cells, d, fml, method, control, base, anticipation, boot, level,
                      boot_se, cores, call, formula, pv, adopt) {
  est <- !cells$reference
  cm <- as.matrix(cells[, c("group", "t_index", "base_index", "x_index", "cutoff")])
  storage.mode(cm) <- "double"
  # the covariates' period as its slice of s$X (1 for reference cells, not estimated)
  slot <- match(cells$x_index, s$xper)
  cm[, "x_index"] <- ifelse(is.na(slot), 1, slot)
  # cells with the same group, comparison units and covariate period form a
  # job: they share the propensity score, the regression's Gram matrix and
  # the projections of the influence function, computed once; within a group
  # the job with the most cells is fitted first, and its propensity-score
  # estimate starts the logits of the group's other jobs
  key <- paste(cm[est, "group"], cm[est, "cutoff"], cm[est, "x_index"])
  jobs <- integer(nrow(cm))
  jobs[est] <- match(key, unique(key))
  nj <- max(jobs, 0L)
  head <- integer(nj)
  if (method != "reg" && nj > 0L) {
    job_group <- cm[est, "group"][match(seq_len(nj), jobs[est])]
    size <- tabulate(jobs[est], nj)
    for (g in unique(job_group)) {
      js <- which(job_group == g)
      h <- js[which.max(size[js])]
      head[setdiff(js, h)] <- h
    }
  }
  r <- .Call(C_attgt_cells, s$Y, s$X, s$w, s$G, cm, attgt_method_code(method), cores, jobs, head)
  lab <- sprintf("(%s, %s)", format(cells$group, trim = TRUE), format(cells$time, trim = TRUE))
  if (any(r$maxit > 0)) {
    exr_warning("formula", "the propensity-score logit did not converge for cell(s) ",
                paste(lab[r$maxit > 0], collapse = ", "), ".")
  }
  why <- c("overlap condition violated (a propensity score reaches 0.999)",
           "the comparison units' covariates are collinear",
           "the propensity-score model is singular", "no treated or comparison unit")
  for (st in 1:4) {
    if (any(r$status == st)) {
      exr_warning("formula", why[st], " for cell(s) (g, t) = ",
                  paste(lab[r$status == st], collapse = ", "), "; their ATT is NA.")
    }
  }
  K <- nrow(cells)
  att <- r$att
  inf <- r$inf
  cells$estimate <- att
  cells$status <- r$status
  ok <- !cells$reference & cells$status == 0L
  names_ok <- sprintf("ATT(%s,%s)", format(cells$group, trim = TRUE), format(cells$time, trim = TRUE))
  inf_ok <- if (all(ok)) inf else inf[, ok, drop = FALSE]
  V <- attgt_vcov(inf_ok, s$cl, s$n, names_ok[ok])
  se <- rep(NA_real_, K)
  se[ok] <- sqrt(pmax(diag(V), 0))
  se[ok][se[ok] <= sqrt(.Machine$double.eps) * 10] <- NA
  pre <- attgt_pretest(att[ok], V, cells$group[ok] > cells$time[ok])
  bt <- NULL
  crit <- stats::qnorm(1 - (1 - level) / 2)
  if (boot > 0L && any(ok)) {
    bt <- attgt_boot(inf_ok, s$cl, s$n, boot, level, cores)
    if (boot_se) {
      se_b <- bt$se
      V <- V * outer(se_b / se[ok], se_b / se[ok])
      se[ok] <- se_b
    }
    crit <- attgt_crit(bt$crit, level)
  }
  z <- stats::qnorm(1 - (1 - level) / 2)
  cells$std.error <- se
  cells$conf.low <- att - z * se
  cells$conf.high <- att + z * se
  cells$band.low <- att - crit * se
  cells$band.high <- att + crit * se
  cells$estimate[!cells$reference & cells$status != 0L] <- NA_real_
  b <- stats::setNames(att[ok], names_ok[ok])
  stats <- list(n_units = s$n, n_groups = length(s$groups), n_periods = length(s$periods),
                crit_value = crit, pretrend_stat = pre$stat, pretrend_df = pre$df,
                pretrend_p = pre$p)
  cl_name <- if (length(d$cluster)) names(d$cluster) else pv[1L]
  new_exr_model("attgt", b, V, s$n, call, formula, cluster = cl_name, vcov_type = "influence",
                df_t = Inf, stats = stats, depvar = d$lhs_name,
                estimates = cells[, c("group", "time", "event", "estimate", "std.error",
                                      "conf.low", "conf.high", "band.low", "band.high", "post",
                                      "base_period", "n_treated", "n_control", "reference",
                                      "status")],
                inf = inf, unit = list(G = s$G, w = if (is.null(s$w)) rep(1, s$n) else s$w / mean(s$w),
                                       cl = s$cl),
                periods = s$periods, groups = s$groups, control = control, method = method,
                anticipation = anticipation, base = base, level = level, boot = boot,
                boot_se = boot_se, cores = cores, crit_value = crit, panel = pv, adopt = adopt,
                n_obs = s$n_rows, n_dropped = d$n_na, covariates = s$xnames)
}

# The variance of estimates whose influence functions are the columns of inf:
# (1/n^2) sum over units (or clusters) of the outer products, through the
# package's variance engine (no small-sample factors, as did).
attgt_vcov <- function(inf, cl, n, nm) {
  K <- ncol(inf)
  if (!K) return(matrix(0, 0, 0))
  bread <- diag(1 / n, K)
  dimnames(bread) <- list(nm, nm)
  ssc <- exr_ssc(K_adj = FALSE, G_adj = FALSE, t_df = "normal")
  if (is.null(cl)) {
    vcov_engine(bread, inf, "hc1", n = n, K = 0, ssc = ssc)$vcov
  } else {
    vcov_engine(bread, inf, "cluster", list(cluster = cl), n = n, K = 0, ssc = ssc)$vcov
  }
}

# Multiplier bootstrap of the columns of inf: the C kernel on unit rows or
# cluster sums; bootstrap standard errors as did's mboot() (IQR-based scale
# times sqrt(m) / n).
attgt_boot <- function(inf, cl, n, boot, level, cores) {
  psi <- if (is.null(cl)) inf else rowsum(inf, cl, reorder = TRUE)
  m <- nrow(psi)
  r <- .Call(C_attgt_mboot, psi, as.integer(boot), as.double(level), as.integer(cores))
  list(se = r$sigma * sqrt(m) / n, crit = r$crit, sigma = r$sigma)
}

# The uniform band's critical value, never below the pointwise one (did warns
# and falls back likewise).
attgt_crit <- function(crit, level) {
  z <- stats::qnorm(1 - (1 - level) / 2)
  if (is.na(crit) || !is.finite(crit)) {
    exr_warning("boot", "the uniform band's critical value could not be computed; pointwise intervals.")
    return(z)
  }
  if (crit < z) {
    exr_warning("boot", "the uniform band came out narrower than the pointwise intervals; ",
                "pointwise intervals are used.")
    return(z)
  }
  crit
}

# Wald test that the pre-treatment cells are zero (did's W = n b' V^{-1} b with
# its V; ours is already divided by n).
attgt_pretest <- function(b, V, pre) {
  none <- list(stat = NA_real_, df = NA_real_, p = NA_real_)
  if (!any(pre)) return(none)
  Vp <- V[pre, pre, drop = FALSE]
  if (anyNA(Vp) || rcond(Vp) <= .Machine$double.eps) return(none)
  W <- drop(crossprod(b[pre], solve(Vp, b[pre])))
  list(stat = W, df = sum(pre), p = stats::pchisq(W, sum(pre), lower.tail = FALSE))
}

#' Aggregate group-time average treatment effects
#'
#' Summarises the \eqn{ATT(g, t)} of [att_gt()] as Callaway and Sant'Anna
#' (2021, Section 3) and did's `aggte()` do: `"simple"` (the average over all
#' post-treatment cells weighted by group size), `"group"` (the average effect
#' of each adoption group over its post-treatment periods, and their average
#' weighted by group size), `"calendar"` (the average effect in each calendar
#' period among the groups treated by then, and their mean) and `"dynamic"`
#' (the average effect \eqn{e} periods after adoption, weighted by group size,
#' and the mean of the post-adoption ones: an event study free of forbidden
#' comparisons). Standard errors come from the aggregated influence functions,
#' including the estimation of the group shares where weights depend on them,
#' so that estimates and standard errors equal `did::aggte(..., bstrap =
#' FALSE)`'s; with bootstrap draws (`boot > 0`) the uniform band over the
#' components uses a new multiplier bootstrap, as did does.
#'
#' @param x an [att_gt()] fit.
#' @param type `"group"` (default, as did), `"dynamic"`, `"calendar"` or `"simple"`.
#' @param min_e,max_e event times kept (dynamic; `max_e` also limits the
#'   post-treatment periods of `"simple"` and `"group"`, as did).
#' @param balance_e for `"dynamic"`: keep only groups observed at least
#'   `balance_e` periods after adoption (a balanced event study).
#' @param na_rm drop cells whose ATT could not be estimated (otherwise an error).
#' @param boot,level,cores bootstrap draws for the uniform band, confidence
#'   level, threads (default: those of the fit).
#' @param ... unused.
#' @return An object of class `c("exr_attgt_agg", "exr_model")` whose
#'   coefficients are the overall ATT (`ATT`) and the components
#'   (`group::2015`, `time::2016`, `event::-2`, ...), with their joint variance
#'   from the influence functions; `estimates` holds one row per component
#'   (`estimate`, `std.error`, pointwise and uniform bounds), `crit_value` the
#'   uniform band's critical value. Reference cells of a universal base period
#'   appear in `estimates` (estimate 0, no standard error) but not among the
#'   coefficients.
#' @examples
#' set.seed(1)
#' sim <- expand.grid(id = 1:200, year = 1:6)
#' sim$adopt <- c(3, 4, NA)[(sim$id %% 3) + 1]
#' on <- !is.na(sim$adopt) & sim$year >= sim$adopt
#' sim$y <- ifelse(on, 1 + (sim$year - sim$adopt), 0) + rnorm(nrow(sim))
#' fit <- att_gt(y ~ 1, sim, panel = c("id", "year"), adopt = "adopt", boot = 0)
#' aggregate(fit, "dynamic")
#' aggregate(fit, "group")
#' tidy(aggregate(fit, "simple"))
#' @importFrom stats aggregate
#' @export
aggregate.exr_attgt <- function(x, type = c("group", "dynamic", "calendar", "simple"),
                                min_e = -Inf, max_e = Inf, balance_e = NULL, na_rm = FALSE,
                                boot = x$boot, level = x$level, cores = x$cores, ...) {
  type <- match_choice(type, c("group", "dynamic", "calendar", "simple"), "type")
  for (a in c("min_e", "max_e")) {
    v <- get(a)
    if (!is.numeric(v) || length(v) != 1L || is.na(v)) exr_error(a, "expected a single number.")
  }
  if (!is.null(balance_e)) balance_e <- check_count(balance_e, "balance_e")
  na_rm <- check_flag(na_rm, "na_rm")
  boot <- check_count(boot, "boot")
  level <- check_level(level)
  cores <- check_cores(cores)
  est <- x$estimates
  inf <- x$inf
  bad <- !est$reference & is.na(est$estimate)
  if (any(bad)) {
    if (!na_rm) {
      exr_error("na_rm", sum(bad), " ATT(g,t) could not be estimated (see the warnings of att_gt()); ",
                "na_rm = TRUE leaves them out of the aggregation.")
    }
    est <- est[!bad, , drop = FALSE]
    inf <- inf[, !bad, drop = FALSE]
  }
  att <- est$estimate
  n <- nrow(inf)
  G <- x$unit$G
  w <- x$unit$w
  glist <- sort(unique(est$group))
  # did compares periods and groups on the index of their sorted union
  idx <- sort(unique(c(x$periods, glist)))
  tI <- match(est$time, idx)
  gI <- match(est$group, idx)
  pg_g <- vapply(glist, function(g) mean(w * (G == g)), 0)
  pg <- pg_g[match(est$group, glist)]
  keepers <- which(gI <= tI & tI <= gI + max_e)
  comps <- list()
  lab <- character(0)
  if (type == "simple") {
    if (!length(keepers)) exr_error("x", "no post-treatment cell to aggregate.")
    o <- attgt_component(keepers, pg, att, inf, w, G, est$group)
    overall <- o$att
    oif <- o$inf
  } else if (type == "group") {
    for (g in glist) {
      wg <- which(est$group == g & gI <= tI & tI <= gI + max_e)
      if (!length(wg)) next
      comps[[length(comps) + 1L]] <- list(att = mean(att[wg]),
                                          inf = inf[, wg, drop = FALSE] %*% (pg[wg] / sum(pg[wg])))
      lab <- c(lab, format(g, trim = TRUE))
    }
    gk <- as.numeric(lab)
    pgk <- pg_g[match(gk, glist)]
    a <- vapply(comps, `[[`, 0, "att")
    cinf <- do.call(cbind, lapply(comps, `[[`, "inf"))
    overall <- sum(a * pgk) / sum(pgk)
    oif <- cinf %*% (pgk / sum(pgk)) + attgt_wif(seq_along(gk), pgk, w, G, gk) %*% a
    lab <- paste0("group::", lab)
  } else if (type == "dynamic") {
    e_all <- est$time - est$group
    inc <- rep(TRUE, nrow(est))
    eseq <- sort(unique(e_all))
    if (!is.null(balance_e)) {
      maxT <- max(tI)
      inc <- idx[maxT] - est$group >= balance_e
      eseq <- sort(unique(e_all[inc]))
      eseq <- eseq[eseq <= balance_e & eseq >= balance_e - idx[maxT] + idx[1L]]
    }
    eseq <- eseq[eseq >= min_e & eseq <= max_e]
    if (!length(eseq)) exr_error("min_e", "no event time falls within min_e, max_e (and balance_e).")
    for (e in eseq) {
      comps[[length(comps) + 1L]] <- attgt_component(which(e_all == e & inc), pg, att, inf, w, G,
                                                     est$group)
    }
    a <- vapply(comps, `[[`, 0, "att")
    cinf <- do.call(cbind, lapply(comps, `[[`, "inf"))
    post <- eseq >= 0
    if (!any(post)) exr_error("max_e", "no event time at or after adoption is kept.")
    overall <- mean(a[post])
    oif <- cinf[, post, drop = FALSE] %*% rep(1 / sum(post), sum(post))
    lab <- paste0("event::", format(eseq, trim = TRUE))
  } else {
    minG <- min(gI)
    tl <- sort(unique(tI))
    tl <- tl[tl >= minG]
    tl <- tl[vapply(tl, function(t1) any(tI == t1 & gI <= tI), logical(1))]
    if (!length(tl)) exr_error("x", "no calendar period has a post-treatment cell.")
    for (t1 in tl) {
      comps[[length(comps) + 1L]] <- attgt_component(which(tI == t1 & gI <= tI), pg, att, inf, w, G,
                                                     est$group)
    }
    a <- vapply(comps, `[[`, 0, "att")
    cinf <- do.call(cbind, lapply(comps, `[[`, "inf"))
    overall <- mean(a)
    oif <- cinf %*% rep(1 / length(a), length(a))
    lab <- paste0("time::", format(idx[tl], trim = TRUE))
  }
  attgt_agg_model(x, type, overall, oif, if (type == "simple") NULL else a,
                  if (type == "simple") NULL else cinf, lab, boot, level, cores,
                  list(min_e = min_e, max_e = max_e, balance_e = balance_e, na_rm = na_rm))
}

# The group-size weighted average of the cells `idx` and its influence
# function, which includes the estimation of the weights.
attgt_component <- function(idx, pg, att, inf, w, G, group) {
  p <- pg[idx] / sum(pg[idx])
  list(att = sum(att[idx] * p),
       inf = inf[, idx, drop = FALSE] %*% p + attgt_wif(idx, pg, w, G, group) %*% att[idx])
}

# The influence function of the estimated group shares in an aggregation
# (did's wif()): n x length(keepers).
attgt_wif <- function(keepers, pg, w, G, group) {
  Spg <- sum(pg[keepers])
  centered <- outer(G, group[keepers], "==") * w - rep(pg[keepers], each = length(G))
  centered / Spg - rowSums(centered) %o% (pg[keepers] / Spg^2)
}

attgt_agg_model <- function(x, type, overall, oif, a, cinf, lab, boot, level, cores, opts) {
  n <- nrow(x$inf)
  cl <- x$unit$cl
  z <- stats::qnorm(1 - (1 - level) / 2)
  all_if <- cbind(oif, cinf)
  nm <- c("ATT", lab)
  V <- attgt_vcov(all_if, cl, n, nm)
  se <- sqrt(pmax(diag(V), 0))
  tiny <- se <= sqrt(.Machine$double.eps) * 10
  se[tiny] <- NA
  crit <- z
  if (boot > 0L) {
    live <- which(!tiny)
    if (x$boot_se && length(live)) {
      bt <- attgt_boot(all_if[, live, drop = FALSE], cl, n, boot, level, cores)
      V[live, live] <- V[live, live] * outer(bt$se / se[live], bt$se / se[live])
      se[live] <- bt$se
    }
    live_c <- setdiff(live, 1L)
    if (length(live_c)) {
      bt <- attgt_boot(all_if[, live_c, drop = FALSE], cl, n, boot, level, cores)
      crit <- attgt_crit(bt$crit, level)
    }
  }
  b <- c(overall, a)
  names(b) <- nm
  tab <- data.frame(term = nm, estimate = b, std.error = se, conf.low = b - z * se,
                    conf.high = b + z * se, band.low = b - crit * se, band.high = b + crit * se,
                    row.names = NULL, stringsAsFactors = FALSE)
  tab$band.low[1L] <- tab$conf.low[1L]
  tab$band.high[1L] <- tab$conf.high[1L]
  tab$value <- c(NA, suppressWarnings(as.numeric(sub("^[a-z]+::", "", lab))))
  keep <- !is.na(se)
  stats <- list(n_units = n, crit_value = crit)
  new_exr_model("attgt_agg", b[keep], V[keep, keep, drop = FALSE], n, x$call, x$formula,
                cluster = x$cluster, vcov_type = "influence", df_t = Inf, stats = stats,
                depvar = x$depvar, type = type, estimates = tab, inf = all_if,
                crit_value = crit, level = level, boot = boot, method = x$method,
                control = x$control, base = x$base, options = opts)
}

#' Simulate a staggered-adoption panel with known dynamic, heterogeneous effects
#'
#' A balanced panel in which units adopt a treatment in waves and the effect
#' grows with time since adoption, at a rate that differs across adoption
#' groups: the setting in which two-way fixed effects averages over forbidden
#' comparisons and is biased, and in which [att_gt()] and [did_imputation()]
#' recover the truth. The outcome is
#' \deqn{y_{it} = \alpha_i + \lambda_t + \beta x_{it} + \tau_{g(i)}(t - g(i)) + \varepsilon_{it},}
#' \eqn{\tau_g(e) = s_g (1 + r e)} for \eqn{e \ge 0} and 0 before adoption,
#' \eqn{\alpha_i \sim N(0, 1)}, \eqn{\lambda_t = 0.1 t}, \eqn{x_{it} \sim N(0, 1)},
#' \eqn{\varepsilon_{it} \sim N(0, \sigma^2)}, parallel trends holding exactly.
#'
#' @param n_units number of units, split evenly over `cohorts` and the never
#'   treated.
#' @param periods the periods (whole numbers).
#' @param cohorts adoption periods of the treated groups.
#' @param scale effect at adoption of each cohort (\eqn{s_g}).
#' @param slope growth of the effect per period since adoption (\eqn{r}).
#' @param beta coefficient of the covariate `x`.
#' @param sigma noise standard deviation.
#' @param seed random seed (the generator's state is restored afterwards).
#' @return A data frame with `id`, `t`, `adopt` (`NA` for never treated),
#'   `x`, `y`, `tau` (the true effect of each observation) and `treated`;
#'   attribute `truth`: a list with `att` (the mean effect over treated
#'   observations, the estimand of the simple aggregation and of the
#'   imputation estimator's ATT), `event` (a data frame of the true average
#'   effect at each event time, weighted by group size) and `att_gt` (the true
#'   effect of each group and period).
#' @examples
#' sim <- sim_staggered(300, seed = 1)
#' attr(sim, "truth")$att
#' head(attr(sim, "truth")$event)
#' @export
sim_staggered <- function(n_units = 1200, periods = 1:10, cohorts = c(3, 6, 8),
                          scale = c(1.5, 1, 0.5), slope = 0.3, beta = 0.5, sigma = 1,
                          seed = 1) {
  n_units <- check_count(n_units, "n_units")
  if (n_units < length(cohorts) + 1L) {
    exr_error("n_units", "expected at least one unit per cohort and one never treated (",
              length(cohorts) + 1L, ").")
  }
  for (a in c("slope", "beta", "sigma")) {
    v <- get(a)
    if (!is.numeric(v) || length(v) != 1L || !is.finite(v)) exr_error(a, "expected one finite number.")
  }
  if (sigma < 0) exr_error("sigma", "expected a non-negative standard deviation.")
  if (!is.numeric(periods) || length(periods) < 2L || anyNA(periods)) {
    exr_error("periods", "expected at least two periods.")
  }
  if (!is.numeric(cohorts) || !length(cohorts) || any(!cohorts %in% periods[-1L])) {
    exr_error("cohorts", "expected adoption periods within `periods`, after the first.")
  }
  if (!is.numeric(scale) || length(scale) != length(cohorts)) {
    exr_error("scale", "expected one effect per cohort.")
  }
  if (exists(".Random.seed", envir = globalenv())) {
    old <- get(".Random.seed", envir = globalenv())
    on.exit(assign(".Random.seed", old, envir = globalenv()))
  } else {
    on.exit(rm(".Random.seed", envir = globalenv()))
  }
  set.seed(seed)
  nT <- length(periods)
  grp <- rep_len(seq_len(length(cohorts) + 1L), n_units)
  adopt_u <- c(cohorts, NA)[grp]
  d <- data.frame(id = rep(seq_len(n_units), each = nT), t = rep(periods, n_units))
  d$adopt <- adopt_u[d$id]
  alpha <- stats::rnorm(n_units)
  d$x <- stats::rnorm(nrow(d))
  e <- d$t - d$adopt
  d$treated <- !is.na(e) & e >= 0
  sg <- scale[match(d$adopt, cohorts)]
  d$tau <- ifelse(d$treated, sg * (1 + slope * e), 0)
  d$y <- alpha[d$id] + 0.1 * d$t + beta * d$x + d$tau + stats::rnorm(nrow(d), sd = sigma)
  tr <- d[d$treated, ]
  ev <- sort(unique(tr$t - tr$adopt))
  ev_truth <- vapply(ev, function(k) mean(tr$tau[tr$t - tr$adopt == k]), 0)
  cells <- unique(tr[, c("adopt", "t")])
  cells$tau <- scale[match(cells$adopt, cohorts)] * (1 + slope * (cells$t - cells$adopt))
  names(cells)[1:2] <- c("group", "time")
  attr(d, "truth") <- list(att = mean(tr$tau), event = data.frame(event = ev, tau = ev_truth),
                           att_gt = cells[order(cells$group, cells$time), ], beta = beta)
  d
}
