# Benchmark: the resampling behind mediation() and subgroup() against the way
# it is done in R today, side by side in one R process, on the bundled panel
# (3,175 rows with complete controls, 289 cities x 11 years), two-way fixed
# effects (city + year), nine controls, standard errors clustered by city.
#
#  (a) cluster bootstrap of the indirect effect a*b (mediator aif), B = 2,000:
#      mediation(..., boot = B) against boot::boot() on the city ids with a
#      statistic that rebuilds the resampled panel and runs two fixest::feols()
#      (equations (5) and (6)). Same seed on both sides: boot::boot() and
#      mediation() draw the same clusters, so the replicates must agree to the
#      demeaning tolerance (maxdiff over the B replicates and the percentile
#      interval). A second pair with different seeds compares the intervals
#      within Monte-Carlo error.
#  (b) Fisher permutation test of equal dig coefficients between high- and
#      low-FDI city-years (per-year median split, rows permuted within years),
#      B = 1,000: subgroup(..., test = "permutation") against a loop that
#      permutes the labels and runs fixest::feols() on each group. The loop
#      uses exactly the permutations subgroup() draws (same seed), so the
#      permutation differences must agree (maxdiff).
# Single-threaded both sides (ours cores = 1, fixest nthreads = 1), then ours
# at cores = 2. Prints
#   bench <name> n=<size> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>
# and a "#" line with CPU seconds (user + system), less disturbed by other
# processes on a shared machine.
#
# Usage: Rscript bench/mechanism.R [--boot=2000] [--perm=1000]
args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default) {
  a <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(a)) as.integer(sub(".*=", "", a[1L])) else default
}
B_boot <- opt("boot", 2000L)
B_perm <- opt("perm", 1000L)

suppressPackageStartupMessages({
  library(exportres)
  for (p in c("fixest", "boot")) {
    if (!requireNamespace(p, quietly = TRUE)) stop("bench/mechanism.R needs the ", p, " package")
  }
})
fixest::setFixest_nthreads(1)
fixest::setFixest_notes(FALSE)
options(exportres.progress = FALSE)

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
source(file.path(here, "timing.R"))
cat(sprintf("# %s | %s | exportres %s | fixest %s | boot %s | cores %d | load %s\n",
            format(Sys.time(), "%Y-%m-%d %H:%M"), R.version.string, packageVersion("exportres"),
            packageVersion("fixest"), packageVersion("boot"), parallel::detectCores(), loadavg()))

timed <- function(expr) {
  gc(FALSE)
  t0 <- proc.time()
  val <- force(expr)
  t1 <- proc.time() - t0
  list(value = val, elapsed = t1[["elapsed"]], cpu = t1[["user.self"]] + t1[["sys.self"]])
}
report <- function(name, n, o, r, maxdiff) {
  cat(sprintf("bench %s n=%d ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.1e\n", name, n, o$elapsed,
              r$elapsed, r$elapsed / o$elapsed, maxdiff))
  cat(sprintf("#   cpu: ours=%.3f ref=%.3f ratio=%.1f\n", o$cpu, r$cpu, r$cpu / o$cpu))
}

panel <- build_city_panel()
ctrl <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")
panel <- panel[stats::complete.cases(panel[c("res", "dig", "aif", ctrl)]), ]
rhs <- paste(ctrl, collapse = " + ")
f_tot <- stats::as.formula(paste("res ~ dig +", rhs, "| city + year"))
f_a <- stats::as.formula(paste("aif ~ dig +", rhs, "| city + year"))
f_b <- stats::as.formula(paste("res ~ dig + aif +", rhs, "| city + year"))
n <- nrow(panel)

# ---- (a) cluster bootstrap ---------------------------------------------------
cities <- unique(panel$city)                    # boot's data: clusters in order of appearance
rows <- split(seq_len(n), factor(panel$city, levels = cities))
ab_stat <- function(ids, i) {
  s <- panel[unlist(rows[i], use.names = FALSE), ]
  a <- stats::coef(fixest::feols(f_a, s, fixef.tol = 1e-10, warn = FALSE))[["dig"]]
  b <- stats::coef(fixest::feols(f_b, s, fixef.tol = 1e-10, warn = FALSE))[["aif"]]
  a * b
}
ours_boot <- function(cores) {
  set.seed(2024)
  mediation(f_tot, "aif", panel, cluster = ~city, boot = B_boot, cores = cores)
}
ref_boot <- function(seed = 2024) {
  set.seed(seed)
  boot::boot(cities, ab_stat, R = B_boot)
}
invisible(ours_boot(1L))                        # warm-up
o1 <- timed(ours_boot(1L))
o2 <- timed(ours_boot(2L))
r1 <- timed(ref_boot())
t_o <- o1$value$boot$indirect[, "aif"]
ci_r <- boot::boot.ci(r1$value, type = "perc")$percent[4:5]
md <- max(abs(c(t_o - r1$value$t[, 1], o1$value$boot$percentile["aif", ] - ci_r)))
report("mediation_boot_1thread", n, o1, r1, md)
report("mediation_boot_cores2", n, o2, r1, md)
cat(sprintf("#   identical draws cores 1 vs 2: %s; sweeps per draw (0 = exact two-way path): %.1f\n",
            identical(o1$value$boot, o2$value$boot), o1$value$boot$iterations))
# Monte-Carlo agreement: different seeds on the two sides
r2 <- ref_boot(7L)
ci_r2 <- boot::boot.ci(r2, type = "perc")$percent[4:5]
ci_o <- o1$value$boot$percentile["aif", ]
se_b <- stats::sd(t_o)
# standard error of an estimated 2.5% / 97.5% quantile: sqrt(p(1-p)/B) / f(q), f normal
mc_se <- sqrt(0.025 * 0.975 / B_boot) / (stats::dnorm(stats::qnorm(0.975)) / se_b)
cat(sprintf("#   percentile CI ours (seed 2024) [%.5f, %.5f], boot (seed 7) [%.5f, %.5f]; ",
            ci_o[1], ci_o[2], ci_r2[1], ci_r2[2]))
cat(sprintf("difference / MC SE of the difference: %.2f, %.2f\n",
            (ci_o[1] - ci_r2[1]) / (sqrt(2) * mc_se), (ci_o[2] - ci_r2[2]) / (sqrt(2) * mc_se)))
cat(sprintf("#   bootstrap SE ours %.5f, boot %.5f\n", se_b, stats::sd(r2$t[, 1])))

# the two ways to the within transformation inside a draw: exact (city
# absorbed, year dummies partialled out) and warm-started iterative demeaning
ns <- asNamespace("exportres")
Zk <- cbind(`(response)` = panel$res, as.matrix(panel[c("dig", "aif", ctrl)]))
fek <- list(as.integer(factor(panel$city)), as.integer(factor(panel$year)))
eqk <- list(list(y = "aif", x = c("dig", ctrl)), list(y = "(response)", x = c("dig", "aif", ctrl)))
set.seed(2024)
cnt <- ns$draw_cluster_counts(length(cities), B_boot)
ke <- timed(ns$resample_fe_ls(Zk, fek, NULL, fek[[1L]], cnt, eqk, small_max = 200))
ki <- timed(ns$resample_fe_ls(Zk, fek, NULL, fek[[1L]], cnt, eqk, small_max = 0))
cat(sprintf("#   kernel alone, %d draws: exact two-way path %.3f s (cpu %.3f), warm-started demeaning %.3f s (cpu %.3f, %.1f sweeps per column and draw; %d from a cold start on the full sample); maxdiff %.1e\n",
            B_boot, ke$elapsed, ke$cpu, ki$elapsed, ki$cpu, mean(abs(ki$value$iterations)) / ncol(Zk),
            ki$value$warm_iterations %/% ncol(Zk), max(abs(ke$value$coef - ki$value$coef))))

# ---- (b) permutation test ------------------------------------------------------
f_res <- f_tot
ours_perm <- function(cores) {
  set.seed(11)
  subgroup(f_res, panel, "fdi", panel = c("city", "year"), cluster = ~city, B = B_perm,
           cores = cores)
}
# the same permutations as subgroup(): labels 1 (high) / 2 (low), within years
hi <- stats::ave(panel$fdi, panel$year, FUN = function(v) v > stats::median(v)) == 1
lab <- ifelse(hi, 1L, 2L)
yr <- as.integer(factor(panel$year))
ref_perm <- function() {
  set.seed(11)
  draws <- exportres:::draw_permutations(lab, yr, B_perm)
  d <- numeric(B_perm)
  for (b in seq_len(B_perm)) {
    l <- draws[, b]
    b1 <- stats::coef(fixest::feols(f_res, panel[l == 1L, ], fixef.tol = 1e-10, warn = FALSE))[["dig"]]
    b2 <- stats::coef(fixest::feols(f_res, panel[l == 2L, ], fixef.tol = 1e-10, warn = FALSE))[["dig"]]
    d[b] <- b1 - b2
  }
  d
}
invisible(ours_perm(1L))
p1 <- timed(ours_perm(1L))
p2 <- timed(ours_perm(2L))
q1 <- timed(ref_perm())
md_p <- max(abs(p1$value$permutation$differences - q1$value))
report("subgroup_permutation_1thread", n, p1, q1, md_p)
report("subgroup_permutation_cores2", n, p2, q1, md_p)
cat(sprintf("#   identical permutations cores 1 vs 2: %s; p = %.4f (stacked Wald p = %.4f)\n",
            identical(p1$value$permutation, p2$value$permutation), p1$value$tests$p.value[1],
            subgroup(f_res, panel, "fdi", panel = c("city", "year"), cluster = ~city,
                     test = "stacked")$tests$p.value))
