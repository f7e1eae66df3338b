# Size of the wild cluster bootstrap (wild_boot()) against the cluster-robust t
# test, on simulated data with few clusters of unequal size and a true null.
# Run from the package root (needs the package installed):
#   Rscript data-raw/wildboot-size.R [reps]        (default 1000 replications)
# Writes the table to stdout; data-raw/WILDBOOT-SIZE.md records a run.
#
# Design (after MacKinnon & Webb 2017, 2018): G clusters whose sizes grow
# geometrically (N_g proportional to exp(2 g / G), so the largest cluster is
# about e^2 = 7.4 times the smallest), about 40 observations per cluster on
# average, five years with year fixed effects (not nested in the clusters, so
# the bootstrap carries their projection). The regressor has a cluster-level
# component (half its variance); the error has a cluster random effect (intra-
# cluster correlation 0.3) and heteroskedasticity that grows with |x|. The
# true coefficient of x is 0, and H0: beta_x = 0 is tested at 5%:
#   CRVE t:  the cluster-robust t test with t(G - 1) critical values (fixest's
#            and Stata's default);
#   WCR:     wild_boot(), null imposed, symmetric p-value, B = 999 Rademacher
#            (with G = 6, 2^6 = 64 <= B: full enumeration), and with Webb weights;
#   WCU:     null not imposed, Rademacher.
# Monte Carlo standard error of a rejection rate near 5% over R replications:
# sqrt(0.05 * 0.95 / R) (0.0069 for R = 1000).
suppressPackageStartupMessages(library(exportres))
args <- commandArgs(TRUE)
reps <- if (length(args)) as.integer(args[1]) else 1000L
B <- 999L

sim <- function(G, seed) {
  set.seed(seed)
  w <- exp(2 * seq_len(G) / G)
  sizes <- pmax(5L, round(40 * G * w / sum(w)))
  g <- rep(seq_len(G), sizes)
  n <- length(g)
  yr <- sample.int(5L, n, replace = TRUE)
  x <- sqrt(0.5) * rnorm(G)[g] + sqrt(0.5) * rnorm(n)
  u <- sqrt(0.3) * rnorm(G)[g] + sqrt(0.7) * rnorm(n) * sqrt(0.5 + 0.5 * x^2)
  data.frame(g = g, yr = yr, x = x, z = rnorm(n), y = 0.3 * rnorm(5)[yr] + 0 * x + u)
}

one <- function(G, r) {
  d <- sim(G, 1e6 * G + r)
  fit <- fe_reg(y ~ x + z | yr, d, cluster = ~g)
  p_t <- tidy(fit)$p.value[1L]
  set.seed(r)
  p_wcr <- suppressMessages(wild_boot(fit, "x", B = B, conf_int = FALSE, data = d))$p.value
  set.seed(r)
  p_webb <- wild_boot(fit, "x", B = B, type = "webb", conf_int = FALSE, data = d)$p.value
  set.seed(r)
  p_wcu <- suppressMessages(wild_boot(fit, "x", B = B, impose_null = FALSE, conf_int = FALSE,
                                      data = d))$p.value
  c(crve_t = p_t, wcr_rademacher = p_wcr, wcr_webb = p_webb, wcu_rademacher = p_wcu)
}

t0 <- proc.time()[["elapsed"]]
res <- lapply(c(6L, 12L, 30L), function(G) {
  p <- t(vapply(seq_len(reps), function(r) one(G, r), numeric(4)))
  rate <- colMeans(p <= 0.05)
  data.frame(G = G, n_avg = nrow(sim(G, 1)), t(rate), check.names = FALSE)
})
tab <- do.call(rbind, res)
mcse <- sqrt(0.05 * 0.95 / reps)
cat(sprintf("# %d replications per row, B = %d, %s; Monte Carlo s.e. of a 5%% rate: %.4f; %.0f s\n",
            reps, B, format(Sys.time(), "%Y-%m-%d"), mcse, proc.time()[["elapsed"]] - t0))
cat("| G | N | CRVE t(G-1) | WCR Rademacher | WCR Webb | WCU Rademacher |\n|---|---|---|---|---|---|\n")
for (i in seq_len(nrow(tab))) {
  cat(sprintf("| %d | %d | %.3f | %.3f | %.3f | %.3f |\n", tab$G[i], tab$n_avg[i], tab$crve_t[i],
              tab$wcr_rademacher[i], tab$wcr_webb[i], tab$wcu_rademacher[i]))
}
