# Benchmark: exportres::sfa() against sfaR::sfacross() (1.0.1, R with
# analytic gradients) and frontier::sfa() (FRONTIER 4.1 in Fortran), side by
# side in one R process. Ratios compare like with like: ours with cores = 1
# against the references, which are single-threaded; a second line gives ours
# with cores = 2.
# Prints: bench <name> n=<size> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>
# where maxdiff is the largest absolute difference of the coefficients (in
# frontier's parameters: the frontier, sigmaSq, gamma, mu), and a line with
# the log-likelihoods. frontier's reported log-likelihood is larger than the
# exact one by 2.40317e-8 per observation (its ln(2 pi) constant): that is
# subtracted for a like-for-like comparison. sfaR's is exact.
#   Rscript bench/sfa.R [scale = 1] [sizes = "1e5,1e6"] [frontier = 1]
suppressPackageStartupMessages({
  library(exportres)
  for (p in c("frontier", "plm", "sfaR")) {
    if (!requireNamespace(p, quietly = TRUE)) stop("bench/sfa.R needs the ", p, " package")
  }
})
args <- commandArgs(trailingOnly = TRUE)
scale <- if (length(args) >= 1) as.numeric(args[1]) else 1
sizes <- if (length(args) >= 2) as.numeric(strsplit(args[2], ",")[[1]]) else c(1e5, 1e6)
with_frontier <- if (length(args) >= 3) as.logical(as.integer(args[3])) else TRUE

sim_cross <- function(n, dist, seed = 1) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), x3 = rnorm(n))
  u <- switch(dist, halfnormal = abs(rnorm(n, sd = 0.35)), exponential = rexp(n, 1 / 0.25),
              truncnormal = { m <- 0.1; s <- 0.3
                m - s * qnorm(log(runif(n)) + pnorm(m / s, log.p = TRUE), log.p = TRUE) })
  d$y <- 1 + 0.3 * d$x1 + 0.5 * d$x2 + 0.1 * d$x3 + rnorm(n, sd = 0.2) - u
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
# sfaR's log-variances (and Zmu) in frontier's parameters
sfar_coef <- function(r) {
  cr <- coef(r)
  U <- exp(cr[["Zu_(Intercept)"]]); V <- exp(cr[["Zv_(Intercept)"]])
  out <- c(cr[!grepl("^Z", names(cr))], sigmaSq = U + V, gamma = U / (U + V))
  if ("Zmu_(Intercept)" %in% names(cr)) out <- c(out, mu = cr[["Zmu_(Intercept)"]])
  out
}
line <- function(name, n, t_ours, t_ref, co, cr, ll_ours, ll_ref, ref = "ref") {
  cat(sprintf("bench %s n=%d ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.2e\n", name, n, t_ours, t_ref,
              t_ref / t_ours, max(abs(co[names(cr)] - cr))))
  cat(sprintf("  logLik ours=%.6f %s=%.6f ours-ref=%.2e\n", ll_ours, ref, ll_ref, ll_ours - ll_ref))
}

f <- y ~ x1 + x2 + x3
udist <- c(halfnormal = "hnormal", truncnormal = "tnormal", exponential = "exponential")
for (n0 in sizes) {
  n <- round(n0 * scale)
  for (dist in names(udist)) {
    d <- sim_cross(n, dist)
    t_ref <- system.time(r <- suppressWarnings(sfaR::sfacross(f, udist = udist[[dist]], data = d)))[["elapsed"]]
    t_ours <- system.time(o <- sfa(f, d, dist = dist, cores = 1))[["elapsed"]]
    t_two <- system.time(o2 <- sfa(f, d, dist = dist, cores = 2))[["elapsed"]]
    stopifnot(identical(coef(o), coef(o2)))
    line(paste0("sfa_cross_", dist, "_vs_sfaR"), n, t_ours, t_ref, coef(o), sfar_coef(r), o$loglik,
         r$mlLoglik, "sfaR")
    cat(sprintf("bench %s n=%d ours=%.3f ref=%.3f ratio=%.1f maxdiff=0 (cores = 2)\n",
                paste0("sfa_cross_", dist, "_vs_sfaR_2cores"), n, t_two, t_ref, t_ref / t_two))
  }
}

if (with_frontier) {
  n <- round(1e5 * scale)
  d <- sim_cross(n, "halfnormal")
  t_ref <- system.time(ref <- frontier::sfa(f, data = d))[["elapsed"]]
  t_ours <- system.time(ours <- sfa(f, d))[["elapsed"]]
  line("sfa_cross_halfnormal", n, t_ours, t_ref, coef(ours), coef(ref), ours$loglik,
       as.numeric(logLik(ref)) - n * 2.40317e-8, "frontier")

  N <- round(1e4 * scale); T <- 10
  d <- sim_bc92(N, T)
  pd <- plm::pdata.frame(d, c("id", "t"))
  fb <- y ~ x1 + x2
  t_ref <- system.time(ref <- frontier::sfa(fb, data = pd, timeEffect = TRUE))[["elapsed"]]
  t_ours <- system.time(ours <- sfa(fb, d, panel = c("id", "t"), model = "bc92"))[["elapsed"]]
  cr <- coef(ref)
  names(cr)[names(cr) == "time"] <- "eta"
  line("sfa_bc92_eta", N * T, t_ours, t_ref, coef(ours), cr, ours$loglik,
       as.numeric(logLik(ref)) - N * T * 2.40317e-8, "frontier")
}
