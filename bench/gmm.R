# Benchmark: exportres::sys_gmm() against plm::pgmm(), side by side in one R
# process, on generated dynamic panels (bench/gmm-data.R): n units x 12 years,
# y_it = 0.5 y_i,t-1 + 0.3 x_it + a_i + e_it with x endogenous; two-step system
# GMM with time dummies, y and x instrumented GMM-style by all their lags from 2,
# Windmeijer-corrected standard errors:
#   sys_gmm(y ~ l(y, 1) + x, d, panel = c("id", "year"), gmm = c("y", "x"),
#           convention = "plm")
#   pgmm(y ~ lag(y, 1) + x | lag(y, 2:99) + lag(x, 2:99), d, effect = "twoways",
#        model = "twosteps", transformation = "ld") followed by summary()
# (pgmm() alone gives no robust SEs nor tests; summary() computes them, which
# sys_gmm() always does). convention = "plm" makes the statistics pgmm's; the
# default xtabond2 convention costs the same.
#
# Prints one line per comparison:
#   bench gmm n=<units> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>
# maxdiff: the largest relative difference over the coefficients, the
# Windmeijer SEs, the Sargan (two-step Hansen) and AR(1)/AR(2) statistics.
# Ours: median of `reps` runs after a warm-up; pgmm: one run (tens of seconds).
# Peak memory: each side alone in its own Rscript under /usr/bin/time -v
# (bench/gmm-mem.R), printing
#   mem gmm n=<units> ours=<MB> ref=<MB> ratio=<ours/ref>
# and n = 100,000 for ours alone (pgmm cannot): time and memory.
#
# Usage: Rscript bench/gmm.R [--reps=5] [--no-mem] [--sizes=2000,5000] [--big=100000]
args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default) {
  a <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(a)) sub(paste0("^--", name, "="), "", a[1L]) else default
}
reps <- as.integer(opt("reps", "5"))
sizes <- as.integer(strsplit(opt("sizes", "2000,5000"), ",")[[1L]])
big <- as.integer(opt("big", "100000"))
do_mem <- !"--no-mem" %in% args
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))

suppressPackageStartupMessages({
  library(exportres)
  if (!requireNamespace("plm", quietly = TRUE)) stop("bench/gmm.R needs the plm package")
  library(plm)
})
source(file.path(here, "gmm-data.R"))
source(file.path(here, "timing.R"))
cat(sprintf("# %s | %s | exportres %s | plm %s | load %s\n", format(Sys.time(), "%Y-%m-%d %H:%M"),
            R.version.string, packageVersion("exportres"), packageVersion("plm"), loadavg()))

for (n in sizes) {
  d <- gmm_bench_data(n)
  ours <- function() gmm_bench_ours(d)
  ref <- function() gmm_bench_ref(d)
  fo <- ours()
  t_o <- median(vapply(seq_len(reps), function(r) elapsed(ours)[1L], 0))
  t_pgmm <- NA_real_
  gc(FALSE)
  t0 <- proc.time()[["elapsed"]]
  z <- pgmm(y ~ lag(y, 1) + x | lag(y, 2:99) + lag(x, 2:99), data = d, index = c("id", "year"),
            effect = "twoways", model = "twosteps", transformation = "ld")
  t_pgmm <- proc.time()[["elapsed"]] - t0
  s <- summary(z, robust = TRUE, time.dummies = TRUE)
  t_r <- proc.time()[["elapsed"]] - t0
  ours_v <- c(coef(fo), fo$se, fo$stats$sargan, fo$stats$ar1, fo$stats$ar2)
  ref_v <- c(z$coefficients[[2L]], s$coefficients[, 2L], s$sargan$statistic, s$m1$statistic,
             s$m2$statistic)
  md <- max(abs(ours_v - ref_v) / abs(ref_v))
  cat(sprintf("bench gmm n=%d ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.1e\n", n, t_o, t_r,
              t_r / t_o, md))
  cat(sprintf("#   pgmm() alone %.3f s (ratio %.1f); instruments %d; rows %d\n", t_pgmm,
              t_pgmm / t_o, fo$stats$n_instruments, nrow(d)))
}

peak_mb <- function(script_args) {
  out <- suppressWarnings(system2("/usr/bin/time", c("-v", file.path(R.home("bin"), "Rscript"),
                                   file.path(here, "gmm-mem.R"), script_args),
                                  stdout = TRUE, stderr = TRUE))
  kb <- as.numeric(sub(".*: *", "", grep("Maximum resident set size", out, value = TRUE)))
  el <- sub(".*: *", "", grep("Elapsed \\(wall clock\\)", out, value = TRUE))
  msg <- grep("^gmm-mem", out, value = TRUE)
  list(mb = kb / 1024, elapsed = el, msg = msg)
}
if (do_mem && file.exists("/usr/bin/time")) {
  for (n in sizes) {
    mo <- peak_mb(c("ours", n))
    mr <- peak_mb(c("ref", n))
    bo <- peak_mb(c("base", n))
    br <- peak_mb(c("baseref", n))
    cat(sprintf(paste0("mem gmm n=%d ours=%.0f ref=%.0f ratio=%.3f (bases: %.0f and %.0f; ",
                       "above them %.0f vs %.0f MB, %.3f)\n"),
                n, mo$mb, mr$mb, mo$mb / mr$mb, bo$mb, br$mb, mo$mb - bo$mb, mr$mb - br$mb,
                (mo$mb - bo$mb) / (mr$mb - br$mb)))
  }
}
if (!is.na(big) && big > 0) {
  d <- gmm_bench_data(big)
  t_b <- elapsed(function() gmm_bench_ours(d))[1L]
  cat(sprintf("bench gmm n=%d ours=%.3f ref=NA ratio=NA maxdiff=NA (pgmm cannot)\n", big, t_b))
  rm(d)
  if (do_mem && file.exists("/usr/bin/time")) {
    mo <- peak_mb(c("ours", big))
    mb <- peak_mb(c("base", big))
    cat(sprintf("mem gmm n=%d ours=%.0f ref=NA base=%.0f (wall %s for the whole process)\n", big,
                mo$mb, mb$mb, mo$elapsed))
  }
}
