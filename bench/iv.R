# Benchmark: exportres::iv_reg() against fixest::feols() IV, and
# exportres::heckman_2step() against sampleSelection::heckit(), side by side in
# one R process. Prints one line per comparison:
#   bench <name> n=<size> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>
# ratio > 1: ours is faster; maxdiff: the largest relative difference over the
# coefficients and the SEs. Medians of `reps` runs after one warm-up of each,
# the sides alternating, gc() (untimed) before every call.
#
#  (a) iv: 1,000,000 rows (50,000 ids x 20 years), two-way fixed effects, two
#      exogenous regressors, one endogenous regressor, two instruments,
#      clustered by id; one thread each (cores = 1, fixest nthreads = 1),
#      fixest at fixef.tol = 1e-10 (ours' default). Ours computes every
#      diagnostic (first stage, CD, KP LM and Wald, Hansen J, DWH) in the timed
#      call; fixest's fit computes its first stages and its own diagnostics on
#      demand, so `fitstat(ivwald, cd, wh)` is also timed on its side in
#      (a2) and not in (a1); (a3) ours with diagnostics = FALSE (first stages,
#      first-stage F, Cragg-Donald only) against fixest's plain fit.
#  (b) heckman: 100,000 rows cross-section, Heckman-Greene variance, against
#      heckit (its default two-step with the corrected variance).
#
# Usage: Rscript bench/iv.R [--reps=3]
args <- commandArgs(trailingOnly = TRUE)
reps <- 3L
if (length(a <- grep("^--reps=", args, value = TRUE))) reps <- as.integer(sub("^--reps=", "", a[1L]))
suppressPackageStartupMessages({
  library(exportres)
  library(fixest)
  library(sampleSelection)
})
setFixest_nthreads(1)
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
source(file.path(here, "timing.R"))
cat(sprintf("# %s | %s | exportres %s | fixest %s | sampleSelection %s | load %s\n",
            format(Sys.time(), "%Y-%m-%d %H:%M"), R.version.string, packageVersion("exportres"),
            packageVersion("fixest"), packageVersion("sampleSelection"),
            loadavg()))

# The ratio line uses elapsed medians; the "#   cpu" line the CPU-time medians,
# which a shared machine's other processes disturb less.
report <- function(name, n, tp, maxdiff) {
  cat(sprintf("bench %s n=%d ours=%.3f ref=%.3f ratio=%.2f maxdiff=%.1e\n", name, n, tp$ours,
              tp$ref, tp$ref / tp$ours, maxdiff))
  cat(sprintf("#   runs ours: %s | ref: %s\n", paste(sprintf("%.3f", tp$runs_o), collapse = " "),
              paste(sprintf("%.3f", tp$runs_r), collapse = " ")))
  cat(sprintf("#   cpu ours=%.3f ref=%.3f ratio=%.2f\n", tp$cpu_o, tp$cpu_r, tp$cpu_r / tp$cpu_o))
}
rd <- function(a, b) max(abs(a - b) / abs(b))

# (a) 2SLS, two-way fixed effects, a million rows
set.seed(1)
n_id <- 50000L; n_t <- 20L; n <- n_id * n_t
d <- data.frame(id = rep(seq_len(n_id), each = n_t), year = rep(seq_len(n_t), n_id))
a_i <- rnorm(n_id)[d$id]; m_t <- rnorm(n_t)[d$year]
d$z1 <- rnorm(n) + 0.3 * a_i; d$z2 <- rnorm(n) + 0.2 * m_t
d$x1 <- rnorm(n) + 0.5 * a_i; d$x2 <- rnorm(n)
v <- rnorm(n)
d$dig <- 0.5 * d$z1 + 0.3 * d$z2 + 0.2 * d$x1 + a_i + m_t + v
d$y <- 0.85 * d$dig + 0.3 * d$x1 - 0.2 * d$x2 + a_i + m_t + 0.7 * v + rnorm(n)
f <- y ~ x1 + x2 | id + year | dig ~ z1 + z2
ours <- function() iv_reg(f, d, cluster = ~id, cores = 1L)
ref <- function() feols(f, d, cluster = ~id, fixef.tol = 1e-10, nthreads = 1L)
ref2 <- function() {
  r <- feols(f, d, cluster = ~id, fixef.tol = 1e-10, nthreads = 1L)
  fitstat(r, c("ivwald", "cd", "wh"))
  r
}
ours_lean <- function() iv_reg(f, d, cluster = ~id, cores = 1L, diagnostics = FALSE)
tp <- time_pair(ours, ref, reps)
bo <- coef(tp$fit_o); so <- tp$fit_o$se
br <- coef(tp$fit_r); names(br) <- sub("^fit_", "", names(br))
sr <- se(tp$fit_r); names(sr) <- names(br)
md <- max(rd(bo[names(br)], br), rd(so[names(sr)], sr),
          rd(tp$fit_o$stats$first_F, fitstat(tp$fit_r, "ivwald")[[1]]$stat))
report("iv_fe2_cluster_1thread", n, tp, md)
tp2 <- time_pair(ours, ref2, reps)
report("iv_fe2_cluster_1thread_with_fitstat", n, tp2, md)
tp3 <- time_pair(ours_lean, ref, reps)
report("iv_fe2_cluster_1thread_diagnostics_false", n, tp3, md)

# (b) Heckman two-step, cross-section of 100,000
set.seed(2)
nh <- 100000L
h <- data.frame(x1 = rnorm(nh), x2 = rnorm(nh), z = rnorm(nh))
e <- matrix(rnorm(2 * nh), nh) %*% chol(matrix(c(1, 0.5, 0.5, 1), 2))
h$s <- as.integer(0.2 + 0.5 * h$x1 - 0.3 * h$x2 + h$z + e[, 1] > 0)
h$y <- ifelse(h$s == 1, 1 + 0.5 * h$x1 + 0.25 * h$x2 + e[, 2], 0)
hs <- s ~ x1 + x2 + z
ho <- y ~ x1 + x2
ours_h <- function() heckman_2step(hs, ho, h)
ref_h <- function() heckit(hs, ho, data = h)
tp <- time_pair(ours_h, ref_h, reps)
bref <- coef(tp$fit_r)[5:8]
sref <- sqrt(diag(vcov(tp$fit_r)))[5:8]
md <- max(rd(coef(tp$fit_o), bref), rd(tp$fit_o$se, sref))
report("heckman_cross_section", nh, tp, md)
