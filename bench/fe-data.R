# Workloads for the fixed-effects benchmark (bench/fe.R, fe-mem-*.R, fe-profile.R).
# Sourced by those scripts; run directly (`Rscript bench/fe-data.R`) it only
# builds workload (a), which is the data-only memory baseline of bench/fe.R.

# (a) A slightly unbalanced panel: n_id ids x n_t years, ~5% of rows dropped at
# random, k regressors correlated with the id (and year) effects, so that
# pooled OLS is biased and the fixed effects matter. 1,000,000 rows before the
# drop, 950,000 after.
fe_panel <- function(n_id = 50000L, n_t = 20L, k = 5L, drop = 0.05, seed = 20240601L) {
  set.seed(seed)
  N <- n_id * n_t
  keep <- sort(sample.int(N, round(N * (1 - drop))))   # rows kept, of the full id x year grid
  n <- length(keep)
  id <- (keep - 1L) %/% n_t + 1L
  t <- (keep - 1L) %% n_t + 1L
  rm(keep)
  a <- rnorm(n_id)                      # id effects
  g <- rnorm(n_t, sd = 0.5)             # year effects
  beta <- seq(0.5, by = -0.2, length.out = k)
  cols <- list(id = id, year = 1999L + t, y = a[id] + g[t] + rnorm(n))
  # built a column at a time, so that building the data peaks near its own size
  for (j in seq_len(k)) {
    x <- rnorm(n) + 0.5 * a[id] + 0.3 * g[t]
    cols$y <- cols$y + beta[j] * x
    cols[[paste0("x", j)]] <- x
  }
  structure(cols, class = "data.frame", row.names = c(NA_integer_, -n))
}

# (b) The paper's size: 289 ids x 11 years = 3,179 rows (balanced), 10 regressors.
fe_paper <- function(seed = 20240602L) {
  fe_panel(n_id = 289L, n_t = 11L, k = 10L, drop = 0, seed = seed)
}

fe_formula <- function(k) {
  stats::as.formula(paste("y ~", paste0("x", seq_len(k), collapse = " + "), "| id + year"))
}

if (sys.nframe() == 0L) {
  d <- fe_panel()
  cat(sprintf("fe-data: built workload (a), %d rows, no fit\n", nrow(d)))
}
