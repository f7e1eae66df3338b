# Benchmark: exportres::sfa() against frontier::sfa() (FRONTIER 4.1 in Fortran),
# side by side in one R process, single-threaded both (neither uses threads).
# Prints: bench <name> n=<size> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>
# where maxdiff is the largest absolute coefficient difference, and a line
# with the log-likelihoods (ours is computed with the exact ln(2 pi); frontier
# uses a constant that is 2.4e-8 per observation larger, which is added back
# for a like-for-like comparison).
suppressPackageStartupMessages({
  library(exportres)
  if (!requireNamespace("frontier", quietly = TRUE)) stop("bench/sfa.R needs the frontier package")
  if (!requireNamespace("plm", quietly = TRUE)) stop("bench/sfa.R needs the plm package")
})
args <- commandArgs(trailingOnly = TRUE)
scale <- if (length(args)) as.numeric(args[1]) else 1

sim_cross <- function(n, seed = 1) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), x3 = rnorm(n))
  d$y <- 1 + 0.3 * d$x1 + 0.5 * d$x2 + 0.1 * d$x3 + rnorm(n, sd = 0.2) - abs(rnorm(n, sd = 0.35))
  d
}
sim_bc92 <- function(N, T, seed = 2) {
  set.seed(seed)
  d <- data.frame(id = rep(seq_len(N), each = T), t = rep(seq_len(T), N))
  d$x1 <- rnorm(N * T); d$x2 <- rnorm(N * T)
  u <- abs(rnorm(N, sd = 0.3))[d$id] * exp(-0.05 * (d$t - T))
  d$y <- 1 + 0.4 * d$x1 + 0.5 * d$x2 + rnorm(N * T, sd = 0.2) - u
  d
}
report <- function(name, n, t_ours, t_ref, ours, ref, cmap = NULL) {
  cr <- coef(ref)
  if (!is.null(cmap)) names(cr)[match(names(cmap), names(cr))] <- cmap
  co <- coef(ours)[names(cr)]
  ll_ref <- as.numeric(logLik(ref)) - ours$nobs * 2.40317e-8
  cat(sprintf("bench %s n=%d ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.2e\n", name, n, t_ours, t_ref,
              t_ref / t_ours, max(abs(co - cr))))
  cat(sprintf("  logLik ours=%.6f ref=%.6f (ref reported %.6f) ours-ref=%.2e\n", ours$loglik, ll_ref,
              as.numeric(logLik(ref)), ours$loglik - ll_ref))
}

n <- round(1e5 * scale)
d <- sim_cross(n)
f <- y ~ x1 + x2 + x3
t_ref <- system.time(ref <- frontier::sfa(f, data = d))[["elapsed"]]
t_ours <- system.time(ours <- sfa(f, d))[["elapsed"]]
report("sfa_cross_halfnormal", n, t_ours, t_ref, ours, ref)

N <- round(1e4 * scale); T <- 10
d <- sim_bc92(N, T)
pd <- plm::pdata.frame(d, c("id", "t"))
f <- y ~ x1 + x2
t_ref <- system.time(ref <- frontier::sfa(f, data = pd, timeEffect = TRUE))[["elapsed"]]
t_ours <- system.time(ours <- sfa(f, d, panel = c("id", "t"), model = "bc92"))[["elapsed"]]
report("sfa_bc92_eta", N * T, t_ours, t_ref, ours, ref, c(time = "eta"))
