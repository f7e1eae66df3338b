# Recovery of known truth by the true fixed- and random-effects frontiers
# (sfa(model = "tfe" / "tre"), issue 16): simulated panels of N = 500 units
# x T = 10 periods, over many seeds. Prints per model and parameter: the mean
# estimate, its bias, the standard deviation of the estimates across seeds,
# the mean standard error (inverse Hessian), the coverage of the 95% normal
# interval, and the mean correlation of the efficiencies E[exp(-u)|e] with
# the true exp(-u).
#   Rscript bench/sfa-true-effects.R [seeds = 50] [cores = 1]
# DGP: y_it = 1 + a_i + 0.3 x1_it + 0.6 x2_it + v_it - u_it,
#   v ~ N(0, 0.15^2), u ~ N+(0, 0.3^2) (half-normal; lambda = 2),
#   true FE: a_i ~ N(0, 0.5^2) and x1_it = z_it + 0.5 a_i (correlated with the effect);
#   true RE: a_i = w_i ~ N(0, 0.3^2), independent of x.
suppressPackageStartupMessages(library(exportres))
args <- commandArgs(trailingOnly = TRUE)
seeds <- if (length(args) >= 1) as.integer(args[1]) else 50L
cores <- if (length(args) >= 2) as.integer(args[2]) else 1L
N <- 500; Tn <- 10; su <- 0.3; sv <- 0.15

sim <- function(seed, model) {
  set.seed(seed)
  d <- data.frame(id = rep(seq_len(N), each = Tn), t = rep(seq_len(Tn), N))
  n <- N * Tn
  a <- rnorm(N, sd = if (model == "tfe") 0.5 else 0.3)
  d$x1 <- rnorm(n) + if (model == "tfe") 0.5 * a[d$id] else 0
  d$x2 <- rnorm(n)
  d$u <- abs(rnorm(n, sd = su))
  d$y <- 1 + a[d$id] + 0.3 * d$x1 + 0.6 * d$x2 + rnorm(n, sd = sv) - d$u
  d
}

truth <- list(
  tfe = c(x1 = 0.3, x2 = 0.6, sigmaSq = su^2 + sv^2, gamma = su^2 / (su^2 + sv^2)),
  tre = c("(Intercept)" = 1, x1 = 0.3, x2 = 0.6, sigmaSq = su^2 + sv^2,
          gamma = su^2 / (su^2 + sv^2), sigmaW = 0.3)
)

for (model in c("tfe", "tre")) {
  tr <- truth[[model]]
  est <- se <- matrix(NA_real_, seeds, length(tr), dimnames = list(NULL, names(tr)))
  cors <- conv <- secs <- numeric(seeds)
  for (s in seq_len(seeds)) {
    d <- sim(1000 + s, model)
    secs[s] <- system.time(fit <- suppressWarnings(
      sfa(y ~ x1 + x2, d, panel = c("id", "t"), model = model, cores = cores)))[["elapsed"]]
    est[s, ] <- fit$coefficients[names(tr)]
    se[s, ] <- fit$se[names(tr)]
    cors[s] <- stats::cor(efficiency(fit), exp(-d$u))
    conv[s] <- fit$converged
  }
  cover <- colMeans(abs(est - rep(tr, each = seeds)) <= stats::qnorm(0.975) * se, na.rm = TRUE)
  cat(sprintf("\nsimulation %s N=%d T=%d seeds=%d converged=%d mean time=%.2fs cor(eff, exp(-u)) mean=%.3f min=%.3f\n",
              model, N, Tn, seeds, sum(conv), mean(secs), mean(cors), min(cors)))
  cat(sprintf("  %-12s %8s %8s %9s %8s %8s %8s\n", "parameter", "truth", "mean", "bias", "sd", "mean se", "cover95"))
  for (j in names(tr)) {
    cat(sprintf("  %-12s %8.4f %8.4f %+9.4f %8.4f %8.4f %8.2f\n", j, tr[[j]], mean(est[, j]),
                mean(est[, j]) - tr[[j]], stats::sd(est[, j]), mean(se[, j]), cover[[j]]))
  }
}
