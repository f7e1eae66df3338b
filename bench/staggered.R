# Benchmark: exportres::att_gt() against did::att_gt(), and
# exportres::did_imputation() against didimputation::did_imputation(), side by
# side in one R process, on generated staggered panels.
#
# Prints one line per comparison:
#   bench <name> n=<size> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>
# ratio > 1: ours is faster. maxdiff: the largest relative difference between
# the estimates (ATT(g,t), or the imputation ATT) and between their standard
# errors. Times are medians of `reps` repetitions after one warm-up call of
# each, the two sides alternating, gc() (untimed) before every call; both sides
# single-threaded (ours cores = 1; did's pl = FALSE, its default; fixest
# nthreads = 1 inside didimputation). The "#   runs" line under each gives
# every run and the median CPU time (user + system) of each side, less
# disturbed by other processes on a shared machine.
#
#  (a) att_gt, doubly robust with three covariates (two time-varying), never-
#      treated comparisons, 100,000 units x 10 periods (1,000,000 rows), three
#      adoption cohorts: analytic standard errors (ours boot = 0, did
#      bstrap = FALSE, cband = FALSE), and each at its default with the
#      multiplier bootstrap and uniform band (ours boot = 999, did bstrap =
#      TRUE, biters = 1000, cband = TRUE; maxdiff then compares the estimates only).
#  (b) did_imputation, overall ATT, unit and period fixed effects, clustered
#      by unit, at 500,000 rows (50,000 units x 10 periods) side by side, and
#      at 1,000,000 rows, where didimputation fails (its sparse LU of Z0'Z0;
#      the error is printed) and ours is timed alone; and with event-time
#      horizons 0-3 at 200,000 rows. didimputation runs fixest at its default
#      fixef.tol (1e-6), so the estimates agree to about 1e-9 here (the tests
#      compare at fixest's tightest tolerance).
#
# Usage: Rscript bench/staggered.R [--reps=3] [--only=attgt|imputation]
args <- commandArgs(trailingOnly = TRUE)
reps <- 3L
if (length(a <- grep("^--reps=", args, value = TRUE))) reps <- as.integer(sub("^--reps=", "", a[1L]))
only <- "all"
if (length(a <- grep("^--only=", args, value = TRUE))) only <- sub("^--only=", "", a[1L])

suppressPackageStartupMessages({
  library(exportres)
  for (p in c("did", "didimputation", "fixest")) {
    if (!requireNamespace(p, quietly = TRUE)) stop("bench/staggered.R needs the ", p, " package")
  }
})
fixest::setFixest_nthreads(1)
options(exportres.progress = FALSE)

gen_panel <- function(n_units, n_periods = 10L, seed = 1L) {
  set.seed(seed)
  cohorts <- c(4L, 6L, 8L, 0L)
  g <- cohorts[(seq_len(n_units) %% 4L) + 1L]
  d <- data.frame(id = rep(seq_len(n_units), each = n_periods),
                  year = rep(seq_len(n_periods), n_units))
  d$g <- rep(g, each = n_periods)
  z <- rnorm(n_units)
  d$x1 <- rep(z, each = n_periods) + 0.1 * rnorm(nrow(d))
  d$x2 <- rep(rnorm(n_units), each = n_periods)
  d$x3 <- rep(rbinom(n_units, 1, 0.4), each = n_periods) + 0.05 * d$year
  on <- d$g > 0 & d$year >= d$g
  d$y <- rep(z, each = n_periods) + 0.1 * d$year + 0.3 * d$x1 + 0.2 * d$x2 +
    ifelse(on, 1 + 0.2 * (d$year - d$g), 0) + rnorm(nrow(d))
  d$adopt <- ifelse(d$g > 0, d$g, NA)
  d
}

time_it <- function(f) {
  gc(FALSE)
  t <- system.time(r <- f())
  list(t = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]], r = r)
}

run_pair <- function(name, n, ours, ref, compare) {
  o <- ours(); r <- ref()                           # warm-up, and the results compared
  md <- compare(o, r)
  to <- tr <- co <- cr <- numeric(reps)
  for (i in seq_len(reps)) {
    a <- time_it(ours); to[i] <- a$t; co[i] <- a$cpu
    b <- time_it(ref); tr[i] <- b$t; cr[i] <- b$cpu
  }
  mo <- stats::median(to); mr <- stats::median(tr)
  cat(sprintf("bench %s n=%s ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.2e\n", name,
              format(n, big.mark = ",", scientific = FALSE), mo, mr, mr / mo, md))
  cat(sprintf("#   runs ours: %s; ref: %s; median cpu ours=%.3f ref=%.3f ratio=%.1f\n",
              paste(sprintf("%.3f", to), collapse = " "), paste(sprintf("%.3f", tr), collapse = " "),
              stats::median(co), stats::median(cr), stats::median(cr) / stats::median(co)))
  invisible(list(ours = o, ref = r))
}

rel <- function(a, b) max(abs(a - b) / pmax(abs(b), 1e-300))

# ---- (a) att_gt ---------------------------------------------------------------
d <- gen_panel(100000L)
cmp_attgt <- function(se = TRUE) function(o, r) {
  e <- o$estimates
  i <- match(paste(r$group, r$t), paste(e$group, e$time))
  dd <- max(abs(e$estimate[i] - r$att)) / max(abs(r$att))
  if (se) dd <- max(dd, rel(e$std.error[i], r$se))
  dd
}
ours_a <- function(boot) function() {
  att_gt(y ~ x1 + x2 + x3, d, panel = c("id", "year"), adopt = "adopt", method = "dr",
         boot = boot, cores = 1L)
}
ref_a <- function(bstrap) function() {
  suppressWarnings(did::att_gt(yname = "y", tname = "year", idname = "id", gname = "g",
                               xformla = ~ x1 + x2 + x3, data = d, est_method = "dr",
                               bstrap = bstrap, cband = bstrap, biters = 1000, pl = FALSE, cores = 1))
}
if (only %in% c("all", "attgt")) {
  run_pair("attgt_dr_analytic", nrow(d), ours_a(0L), ref_a(FALSE), cmp_attgt(TRUE))
  run_pair("attgt_dr_bootstrap", nrow(d), ours_a(999L), ref_a(TRUE), cmp_attgt(FALSE))
}
if (only == "attgt") quit(save = "no")

# ---- (b) did_imputation --------------------------------------------------------
d$g0 <- d$g
cmp_imp <- function(o, r) {
  oe <- o$estimates
  i <- match(ifelse(r$term == "treat", "ATT", paste0("event::", r$term)), oe$term)
  max(rel(oe$estimate[i], r$estimate), rel(oe$std.error[i], r$std.error))
}
d5 <- d[d$id <= 50000L, ]
run_pair("imputation_att", nrow(d5),
         function() did_imputation(y ~ 1, d5, panel = c("id", "year"), adopt = "adopt"),
         function() didimputation::did_imputation(d5, yname = "y", gname = "g0", tname = "year",
                                                  idname = "id"),
         cmp_imp)
# At 1,000,000 rows didimputation's sparse LU of Z0'Z0 fails on this design
# ("cs_lu(A) failed: near-singular A (or out of memory)"): ours alone, and the
# reference's error.
t_ours <- vapply(seq_len(reps), function(i) time_it(function() {
  did_imputation(y ~ 1, d, panel = c("id", "year"), adopt = "adopt")
})$t, 0)
ref_err <- tryCatch({
  didimputation::did_imputation(d, yname = "y", gname = "g0", tname = "year", idname = "id")
  "none"
}, error = function(e) conditionMessage(e))
cat(sprintf("bench imputation_att n=%s ours=%.3f ref=failed (%s)\n",
            format(nrow(d), big.mark = ","), stats::median(t_ours), ref_err))
d2 <- d[d$id <= 20000L, ]
run_pair("imputation_horizons", nrow(d2),
         function() did_imputation(y ~ 1, d2, panel = c("id", "year"), adopt = "adopt", horizons = 0:3),
         function() didimputation::did_imputation(d2, yname = "y", gname = "g0", tname = "year",
                                                  idname = "id", horizon = 0:3),
         cmp_imp)
