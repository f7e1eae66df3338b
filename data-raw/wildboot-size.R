# Size of the wild cluster bootstrap (wild_boot()) against the cluster-robust t
# test, on simulated data with few clusters of unequal size and a true null:
# least squares (WCR/WCU) and, with `iv`, IV (the wild restricted efficient
# bootstrap, WRE/WUE). Run from the package root (needs the package installed):
#   Rscript data-raw/wildboot-size.R [reps] [ols|iv]   (default 1000, ols)
# Writes the table to stdout; data-raw/WILDBOOT-SIZE.md records the runs.
#
# Clusters (after MacKinnon & Webb 2017, 2018): G clusters whose sizes grow
# geometrically (N_g proportional to exp(2 g / G), so the largest cluster is
# about e^2 = 7.4 times the smallest), about 40 observations per cluster on
# average, five years with year fixed effects (not nested in the clusters, so
# the bootstrap carries their projection).
#
# ols: the regressor has a cluster-level component (half its variance); the
# error has a cluster random effect (intra-cluster correlation 0.3) and
# heteroskedasticity that grows with |x|. The true coefficient of x is 0, and
# H0: beta_x = 0 is tested at 5%:
#   CRVE t:  the cluster-robust t test with t(G - 1) critical values (fixest's
#            and Stata's default);
#   WCR:     wild_boot(), null imposed, symmetric p-value, B = 999 Rademacher
#            (with G = 6, 2^6 = 64 <= B: full enumeration), and with Webb weights;
#   WCU:     null not imposed, Rademacher.
# iv (after Davidson & MacKinnon 2010): the instrument z and both errors have
# cluster components (half of z's variance; intra-cluster correlation 0.3),
# the structural and first-stage errors are correlated (0.5), so d is
# endogenous; the first stage d = 0.4 z + 0.3 x + v. The true coefficient of d
# is 0, tested at 5% after iv_reg(y ~ x | year | d ~ z):
#   CRVE t:  the cluster-robust 2SLS t test with t(G - 1) critical values;
#   WRE:     null imposed, B = 999 Rademacher, symmetric and equal-tailed;
#   WUE:     null not imposed, symmetric.
# Monte Carlo standard error of a rejection rate near 5% over R replications:
# sqrt(0.05 * 0.95 / R) (0.0069 for R = 1000).
suppressPackageStartupMessages(library(exportres))
args <- commandArgs(TRUE)
reps <- if (length(args) >= 1L) as.integer(args[1]) else 1000L
design <- if (length(args) >= 2L) match.arg(args[2], c("ols", "iv")) else "ols"
B <- 999L

# cluster codes and years of the design with G clusters
layout <- function(G) {
  w <- exp(2 * seq_len(G) / G)
  sizes <- pmax(5L, round(40 * G * w / sum(w)))
  g <- rep(seq_len(G), sizes)
  list(g = g, n = length(g), yr = sample.int(5L, length(g), replace = TRUE))
}

sim_ols <- function(G, seed) {
  set.seed(seed)
  L <- layout(G)
  g <- L$g
  n <- L$n
  x <- sqrt(0.5) * rnorm(G)[g] + sqrt(0.5) * rnorm(n)
  u <- sqrt(0.3) * rnorm(G)[g] + sqrt(0.7) * rnorm(n) * sqrt(0.5 + 0.5 * x^2)
  data.frame(g = g, yr = L$yr, x = x, z = rnorm(n), y = 0.3 * rnorm(5)[L$yr] + 0 * x + u)
}

sim_iv <- function(G, seed) {
  set.seed(seed)
  L <- layout(G)
  g <- L$g
  n <- L$n
  z <- sqrt(0.5) * rnorm(G)[g] + sqrt(0.5) * rnorm(n)
  cu <- rnorm(G)[g]
  cv <- rnorm(G)[g]
  e1 <- rnorm(n)
  e2 <- 0.5 * e1 + sqrt(0.75) * rnorm(n)
  u <- sqrt(0.3) * cu + sqrt(0.7) * e1 * sqrt(0.5 + 0.5 * z^2)
  v <- sqrt(0.3) * (0.5 * cu + sqrt(0.75) * cv) + sqrt(0.7) * e2
  x <- rnorm(n)
  d <- 0.4 * z + 0.3 * x + v
  data.frame(g = g, yr = L$yr, z = z, x = x, d = d, y = 0.3 * rnorm(5)[L$yr] + 0 * d + 0.2 * x + u)
}

# p-values of one replication (and, for iv, the first-stage F last)
one_ols <- function(G, r) {
  d <- sim_ols(G, 1e6 * G + r)
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

one_iv <- function(G, r) {
  dat <- sim_iv(G, 2e6 * G + r)
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

spec <- switch(design,
  ols = list(one = one_ols, sim = sim_ols, np = 4L,
             head = "| G | N | CRVE t(G-1) | WCR Rademacher | WCR Webb | WCU Rademacher |"),
  iv = list(one = one_iv, sim = sim_iv, np = 4L,
            head = paste("| G | N | median first-stage F | CRVE t(G-1) | WRE symmetric |",
                         "WRE equal-tailed | WUE symmetric |")))

t0 <- proc.time()[["elapsed"]]
rows <- vapply(c(6L, 12L, 30L), function(G) {
  p <- do.call(rbind, lapply(seq_len(reps), function(r) spec$one(G, r)))
  rate <- colMeans(p[, seq_len(spec$np), drop = FALSE] <= 0.05)
  f <- if (design == "iv") sprintf("| %.1f ", stats::median(p[, "F"])) else ""
  sprintf("| %d | %d %s| %s |", G, nrow(spec$sim(G, 1)), f, paste(sprintf("%.3f", rate), collapse = " | "))
}, "")
cat(sprintf("# %s, %d replications per row, B = %d, %s; Monte Carlo s.e. of a 5%% rate: %.4f; %.0f s\n",
            design, reps, B, format(Sys.time(), "%Y-%m-%d"), sqrt(0.05 * 0.95 / reps),
            proc.time()[["elapsed"]] - t0))
cat(spec$head, "\n", sep = "")
cat(paste(rep("|---", length(strsplit(spec$head, "|", fixed = TRUE)[[1L]]) - 1L), collapse = ""), "|\n",
    sep = "")
cat(rows, sep = "\n")
cat("\n")
