# Recovery of known truth by sfa() / sfa_distance() at 10,000 observations per
# model (issue 4's "must show"; the test file runs the same at 3,000).
# Prints, per model: the largest |estimate - truth| / SE and the correlation
# of the estimated efficiencies E[exp(-u)|e] with the true exp(-u).
suppressPackageStartupMessages(library(exportres))
tn <- function(n, m, s) { a <- pnorm(-m / s); m + s * qnorm(a + runif(n) * (1 - a)) }
show <- function(name, fit, truth, u) {
  se <- sqrt(diag(fit$vcov))[names(truth)]
  z <- (fit$coefficients[names(truth)] - truth) / se
  cat(sprintf("recovery %-22s n=%d max|z|=%.2f (%s) cor(eff, exp(-u))=%.3f logLik=%.2f\n", name, fit$nobs,
              max(abs(z)), names(which.max(abs(z))), cor(efficiency(fit), exp(-u)), fit$loglik))
}
n <- 10000
set.seed(101)
d <- data.frame(x1 = rnorm(n), x2 = rnorm(n)); d$u <- abs(rnorm(n, sd = 0.5))
d$y <- 1 + 0.3 * d$x1 + 0.6 * d$x2 + rnorm(n, sd = 0.1) - d$u
show("cross halfnormal", sfa(y ~ x1 + x2, d),
     c("(Intercept)" = 1, x1 = .3, x2 = .6, sigmaSq = .26, gamma = .25 / .26), d$u)
set.seed(102)
d$u <- tn(n, 0.3, 0.3); d$y <- 1 + 0.3 * d$x1 + 0.6 * d$x2 + rnorm(n, sd = 0.1) - d$u
show("cross truncnormal", sfa(y ~ x1 + x2, d, dist = "truncnormal"),
     c("(Intercept)" = 1, x1 = .3, x2 = .6, sigmaSq = .1, gamma = .9, mu = .3), d$u)
set.seed(103)
N <- 1000; Tn <- 10
p <- data.frame(id = rep(seq_len(N), each = Tn), t = rep(2012:2021, N))
p$x1 <- rnorm(N * Tn); p$x2 <- rnorm(N * Tn)
ui <- abs(rnorm(N, sd = 0.35))
p$u <- ui[p$id] * exp(-0.05 * (p$t - 2021))
p$y <- 1 + 0.3 * p$x1 + 0.6 * p$x2 + rnorm(N * Tn, sd = 0.15) - p$u
show("bc92 eta", sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "bc92"),
     c("(Intercept)" = 1, x1 = .3, x2 = .6, sigmaSq = .1225 + .0225, gamma = .1225 / .145, eta = .05), p$u)
p$u <- ui[p$id]
p$y <- 1 + 0.3 * p$x1 + 0.6 * p$x2 + rnorm(N * Tn, sd = 0.15) - p$u
show("bc92 time-invariant", sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "bc92", eta = FALSE),
     c("(Intercept)" = 1, x1 = .3, x2 = .6, sigmaSq = .1225 + .0225, gamma = .1225 / .145), p$u)
set.seed(104)
b <- data.frame(x1 = rnorm(n), z1 = rnorm(n)); m <- 0.1 + 0.3 * b$z1
b$u <- tn(n, m, 0.25); b$y <- 1 + 0.5 * b$x1 + rnorm(n, sd = 0.1) - b$u
show("bc95", sfa(y ~ x1, b, z = ~ z1),
     c("(Intercept)" = 1, x1 = .5, "Z_(Intercept)" = .1, Z_z1 = .3, sigmaSq = .0725, gamma = .0625 / .0725), b$u)
set.seed(105)
N <- 1000; Tn <- 10; a <- 0.6
d <- data.frame(city = rep(sprintf("C%04d", seq_len(N)), each = Tn), year = rep(2012:2021, N))
for (v in c("rd_staff", "rd_capital", "tech_market", "edu")) d[[v]] <- exp(rnorm(N * Tn, 2))
ui <- abs(rnorm(N, sd = 0.4))
d$u <- ui[match(d$city, unique(d$city))] * exp(-0.04 * (d$year - 2021))
lY <- 0.5 + 0.3 * log(d$rd_staff) + 0.25 * log(d$rd_capital) + 0.15 * log(d$tech_market) +
  0.1 * log(d$edu) + rnorm(N * Tn, sd = 0.1) - d$u
r <- rnorm(N * Tn, sd = 0.6)
d$patents <- exp(lY + (1 - a) * r); d$contracts <- exp(lY - a * r)
show("distance cd bc92 (aif)", sfa_distance(c("patents", "contracts"),
     c("rd_staff", "rd_capital", "tech_market", "edu"), d, panel = c("city", "year"), model = "bc92"),
     c("(Intercept)" = .5, "log(rd_staff)" = .3, "log(rd_capital)" = .25, "log(tech_market)" = .15,
       "log(edu)" = .1, "log(contracts/patents)" = -(1 - a), sigmaSq = .17, gamma = .16 / .17, eta = .04), d$u)
