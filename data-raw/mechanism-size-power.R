# Size and power of subgroup()'s two tests of equal coefficients: the Fisher
# permutation test and the stacked cluster-robust Wald test.
#
# Simulated panels: G cities x T years, two-way fixed effects, a regressor x
# and a control z that are serially correlated within city, errors AR(1)
# within city (rho = 0.5, so standard errors must be clustered), and
#   y_it = (beta + delta * high_it) x_it - 0.2 z_it + a_i + m_t + e_it.
# Two kinds of split:
#   "city"   a time-invariant city flag (half the cities), permuted by city;
#   "median" a per-year median split of a persistent city-year variable s
#            (AR(1), rho = 0.8), permuted by rows within year.
# delta = 0 gives the size (rejection rate at 5% and 10%), delta > 0 the power.
# Each cell: R replications, B permutations each, cluster = ~city.
#
# Usage: Rscript data-raw/mechanism-size-power.R [--reps=200] [--B=199] [--G=100] [--T=10]
args <- commandArgs(trailingOnly = TRUE)
opt <- function(name, default) {
  a <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(a)) as.numeric(sub(".*=", "", a[1L])) else default
}
R <- opt("reps", 200)
B <- opt("B", 199)
G <- opt("G", 100)
Tn <- opt("T", 10)
suppressPackageStartupMessages(library(exportres))
options(exportres.progress = FALSE)

ar1 <- function(G, Tn, rho) {
  e <- matrix(0, G, Tn)
  e[, 1] <- rnorm(G) / sqrt(1 - rho^2)
  for (t in 2:Tn) e[, t] <- rho * e[, t - 1] + rnorm(G)
  as.vector(t(e))                        # city-major: city 1 years 1..T, ...
}
sim <- function(delta, split) {
  d <- data.frame(city = rep(seq_len(G), each = Tn), year = rep(seq_len(Tn), G))
  n <- G * Tn
  d$x <- ar1(G, Tn, 0.5) + rnorm(G)[d$city]
  d$z <- ar1(G, Tn, 0.5)
  d$s <- ar1(G, Tn, 0.8)
  d$flag <- rep(seq_len(G) <= G / 2, each = Tn)
  high <- if (split == "city") d$flag else ave(d$s, d$year, FUN = function(v) v > median(v)) == 1
  d$y <- (0.5 + delta * high) * d$x - 0.2 * d$z + rnorm(G)[d$city] + rnorm(Tn)[d$year] +
    ar1(G, Tn, 0.5)
  d
}
one <- function(delta, split) {
  d <- sim(delta, split)
  g <- if (split == "city") "flag" else "s"
  sg <- subgroup(y ~ x + z | city + year, d, groups = g, panel = c("city", "year"),
                 cluster = ~city, B = B, test = "both")
  sg$tests$p.value
}

set.seed(20261129)
cells <- expand.grid(delta = c(0, 0.05, 0.1, 0.2), split = c("city", "median"),
                     stringsAsFactors = FALSE)
t0 <- proc.time()[["elapsed"]]
out <- do.call(rbind, lapply(seq_len(nrow(cells)), function(k) {
  p <- t(replicate(R, one(cells$delta[k], cells$split[k])))
  data.frame(split = cells$split[k], delta = cells$delta[k], reps = R,
             perm_05 = mean(p[, 1] <= 0.05), perm_10 = mean(p[, 1] <= 0.10),
             wald_05 = mean(p[, 2] <= 0.05), wald_10 = mean(p[, 2] <= 0.10))
}))
secs <- proc.time()[["elapsed"]] - t0
cat(sprintf("# %s | G = %d cities x T = %d years | %d replications per cell | B = %d permutations | %.0f s\n",
            format(Sys.time(), "%Y-%m-%d %H:%M"), G, Tn, R, B, secs))
cat("# rejection rates (delta = 0: size; MC standard error at 5%: ",
    sprintf("%.3f", sqrt(0.05 * 0.95 / R)), ")\n", sep = "")
print(out, row.names = FALSE, digits = 3)
