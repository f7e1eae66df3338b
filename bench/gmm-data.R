# The benchmark workload of bench/gmm.R: a dynamic panel of n units over 12
# years, y_it = 0.5 y_i,t-1 + 0.3 x_it + a_i + e_it with x correlated with the
# unit effect and with e (endogenous), the first years dropped as burn-in.
gmm_bench_data <- function(n, years = 12L, seed = 1L) {
  set.seed(seed)
  burn <- 10L
  tt <- years + burn
  a <- rnorm(n)
  y <- x <- matrix(0, n, tt)
  e <- matrix(rnorm(n * tt), n, tt)
  for (t in 2:tt) {
    x[, t] <- 0.6 * x[, t - 1] + 0.5 * a + 0.4 * e[, t - 1] + rnorm(n)
    y[, t] <- 0.5 * y[, t - 1] + 0.3 * x[, t] + a + e[, t]
  }
  keep <- (burn + 1L):tt
  data.frame(id = rep(seq_len(n), each = years), year = rep(2000L + seq_len(years), n),
             y = as.vector(t(y[, keep])), x = as.vector(t(x[, keep])))
}

# The two calls the benchmark compares.
gmm_bench_ours <- function(d) {
  exportres::sys_gmm(y ~ l(y, 1) + x, d, panel = c("id", "year"), gmm = c("y", "x"),
                     convention = "plm")
}
gmm_bench_ref <- function(d) {
  z <- plm::pgmm(y ~ lag(y, 1) + x | lag(y, 2:99) + lag(x, 2:99), data = d,
                 index = c("id", "year"), effect = "twoways", model = "twosteps",
                 transformation = "ld")
  list(z, summary(z, robust = TRUE, time.dummies = TRUE))
}
