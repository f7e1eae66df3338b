# Size of the wild restricted efficient bootstrap (wild_boot() after iv_reg())
# against the cluster-robust 2SLS t test, on simulated data with few clusters
# of unequal size, an endogenous regressor and a true null.
# Run from the package root (needs the package installed):
#   Rscript data-raw/wildboot-size-iv.R [reps]        (default 500 replications)
# Writes the table to stdout; data-raw/WILDBOOT-SIZE.md records a run.
#
# Design (after Davidson & MacKinnon 2010 and the least-squares design of
# wildboot-size.R): G clusters whose sizes grow geometrically (the largest
# about 7.4 times the smallest), about 40 observations per cluster, five years
# with year fixed effects (not nested in the clusters). The instrument z and
# the errors have cluster components (half of z's variance; intra-cluster
# correlation 0.3 in both errors); the structural and first-stage errors are
# correlated (0.5), so d is endogenous; the first stage d = 0.4 z + v gives a
# concentration parameter of about 0.16 N. The true coefficient of d is 0,
# and H0: beta_d = 0 is tested at 5%:
#   CRVE t:  the cluster-robust 2SLS t test with t(G - 1) critical values;
#   WRE:     wild_boot(), null imposed, B = 999 Rademacher (G = 6: full
#            enumeration), symmetric and equal-tailed p-values;
#   WUE:     null not imposed, symmetric.
# Monte Carlo standard error of a rejection rate near 5% over R replications:
# sqrt(0.05 * 0.95 / R) (0.0097 for R = 500).
suppressPackageStartupMessages(library(exportres))
args <- commandArgs(TRUE)
reps <- if (length(args)) as.integer(args[1]) else 500L
B <- 999L

sim <- function(G, seed) {
  set.seed(seed)
  w <- exp(2 * seq_len(G) / G)
  sizes <- pmax(5L, round(40 * G * w / sum(w)))
  g <- rep(seq_len(G), sizes)
  n <- length(g)
  yr <- sample.int(5L, n, replace = TRUE)
  z <- sqrt(0.5) * rnorm(G)[g] + sqrt(0.5) * rnorm(n)
  cu <- rnorm(G)[g]
  cv <- rnorm(G)[g]
  e1 <- rnorm(n)
  e2 <- 0.5 * e1 + sqrt(0.75) * rnorm(n)
  u <- sqrt(0.3) * cu + sqrt(0.7) * e1 * sqrt(0.5 + 0.5 * z^2)
  v <- sqrt(0.3) * (0.5 * cu + sqrt(0.75) * cv) + sqrt(0.7) * e2
  x <- rnorm(n)
  d <- 0.4 * z + 0.3 * x + v
  data.frame(g = g, yr = yr, z = z, x = x, d = d, y = 0.3 * rnorm(5)[yr] + 0 * d + 0.2 * x + u)
}

one <- function(G, r) {
  dat <- sim(G, 2e6 * G + r)
  fit <- iv_reg(y ~ x | yr | d ~ z, dat, cluster = ~g, diagnostics = FALSE)
  p_t <- tidy(fit)$p.value[1L]
  set.seed(r)
  wre <- suppressMessages(wild_boot(fit, "d", B = B, conf_int = FALSE, data = dat))
  set.seed(r)
  wue <- suppressMessages(wild_boot(fit, "d", B = B, impose_null = FALSE, conf_int = FALSE,
                                    data = dat))
  c(crve_t = p_t, wre_sym = wre$p[["symmetric"]], wre_et = wre$p[["equal-tailed"]],
    wue_sym = wue$p[["symmetric"]], F = fit$stats$first_F)
}

t0 <- proc.time()[["elapsed"]]
res <- lapply(c(6L, 12L, 30L), function(G) {
  p <- t(vapply(seq_len(reps), function(r) one(G, r), numeric(5)))
  rate <- colMeans(p[, 1:4] <= 0.05)
  data.frame(G = G, n_avg = nrow(sim(G, 1)), F = stats::median(p[, 5]), t(rate), check.names = FALSE)
})
tab <- do.call(rbind, res)
mcse <- sqrt(0.05 * 0.95 / reps)
cat(sprintf("# %d replications per row, B = %d, %s; Monte Carlo s.e. of a 5%% rate: %.4f; %.0f s\n",
            reps, B, format(Sys.time(), "%Y-%m-%d"), mcse, proc.time()[["elapsed"]] - t0))
cat(paste0("| G | N | median first-stage F | CRVE t(G-1) | WRE symmetric | WRE equal-tailed | ",
           "WUE symmetric |\n|---|---|---|---|---|---|---|\n"))
for (i in seq_len(nrow(tab))) {
  cat(sprintf("| %d | %d | %.1f | %.3f | %.3f | %.3f | %.3f |\n", tab$G[i], tab$n_avg[i], tab$F[i],
              tab$crve_t[i], tab$wre_sym[i], tab$wre_et[i], tab$wue_sym[i]))
}
