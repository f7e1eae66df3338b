# Policy evaluation benchmarks, ours and the reference side by side in one process:
#   (a) psm_match() against MatchIt::matchit(method = "nearest") on 100,000 and
#       1,000,000 generated units (five covariates, about 31% treated), logit
#       score, k = 4 with replacement (and 1:1 without replacement at 100,000);
#   (b) 500 placebo draws of the pilot-zone DID on the bundled panel (3,179
#       city-years, city and year fixed effects, nine controls and dig, clustered
#       by city) against a loop of fixest::feols() over the same 500 permutations.
# Prints `bench <name> n=<size> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>` (CPU seconds),
# then the wall-clock seconds. maxdiff: largest difference of the matching weights, or of
# the placebo coefficients and standard errors.
# Usage: Rscript bench/did.R [sizes]   (e.g. Rscript bench/did.R 1e5)
suppressPackageStartupMessages({
  library(exportres)
  library(MatchIt)
  library(fixest)
})
setFixest_nthreads(1)
options(exportres.cores = 1L, exportres.progress = FALSE)
args <- commandArgs(trailingOnly = TRUE)
sizes <- if (length(args)) as.numeric(args) else c(1e5, 1e6)
cat(sprintf("MatchIt %s, fixest %s, exportres %s\n", packageVersion("MatchIt"),
            packageVersion("fixest"), packageVersion("exportres")))

gen <- function(n, seed = 1) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), x3 = runif(n), x4 = rbinom(n, 1, 0.3),
                  x5 = rnorm(n))
  d$treat <- rbinom(n, 1, plogis(-1.5 + 0.5 * d$x1 - 0.3 * d$x2 + d$x3 + 0.4 * d$x4))
  d
}
# Times are CPU seconds of this process (user + system): the machine is shared,
# and under contention wall-clock times mostly measure the other processes.
# Wall-clock times are printed alongside (wall_ours, wall_ref).
timed <- function(expr) {
  gc(FALSE)
  t <- system.time(v <- force(expr))
  list(value = v, time = t[["user.self"]] + t[["sys.self"]], wall = t[["elapsed"]])
}
line <- function(name, n, ours, ref, maxdiff, wall = NULL) {
  cat(sprintf("bench %s n=%s ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.2e%s\n", name,
              format(n, scientific = FALSE, big.mark = ""), ours, ref, ref / ours, maxdiff,
              if (is.null(wall)) "" else sprintf(" wall_ours=%.3f wall_ref=%.3f", wall[1], wall[2])))
}

# (a) matching
f <- treat ~ x1 + x2 + x3 + x4 + x5
for (n in sizes) {
  d <- gen(n)
  reps <- if (n <= 1e5) 3L else 1L
  for (cfg in list(list(k = 4L, replace = TRUE, name = "psm-k4-replace"),
                   list(k = 1L, replace = FALSE, name = "psm-1to1"))) {
    if (!cfg$replace && n > 1e5) next      # MatchIt's no-replacement path is quadratic here
    ours <- ref <- wo <- wr <- numeric(0)
    for (r in seq_len(reps)) {
      a <- timed(psm_match(f, d, k = cfg$k, replace = cfg$replace))
      b <- timed(matchit(f, data = d, method = "nearest", ratio = cfg$k, replace = cfg$replace))
      ours <- c(ours, a$time); wo <- c(wo, a$wall)
      ref <- c(ref, b$time); wr <- c(wr, b$wall)
    }
    line(cfg$name, n, stats::median(ours), stats::median(ref),
         max(abs(a$value$weights - b$value$weights)), c(stats::median(wo), stats::median(wr)))
  }
}

# (b) placebo draws on the bundled panel
p <- build_city_panel()
ctr <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")
fml <- as.formula(paste("res ~ did + dig +", paste(ctr, collapse = " + "), "| city + year"))
fit <- fe_reg(fml, p, cluster = ~city)
units <- unique(p$city)
ua <- p$pilot_year[match(units, p$city)]
ndraw <- 500L
ours <- ref <- wo <- wr <- numeric(0)
for (r in 1:3) {
  set.seed(r)
  a <- timed(placebo_test(fit, "did", n = ndraw, adopt = "pilot_year", data = p))
  set.seed(r)
  b <- timed({
    out <- matrix(NA_real_, ndraw, 2)
    for (j in seq_len(ndraw)) {
      na <- ua[sample(length(units))]
      q <- p
      aj <- na[match(q$city, units)]
      q$did <- as.numeric(!is.na(aj) & q$year >= aj)
      e <- feols(fml, q, cluster = ~city, fixef.tol = 1e-10, notes = FALSE)
      out[j, ] <- c(coef(e)[["did"]], se(e)[["did"]])
    }
    out
  })
  ours <- c(ours, a$time); wo <- c(wo, a$wall)
  ref <- c(ref, b$time); wr <- c(wr, b$wall)
}
md <- max(abs(a$value$draws$estimate - b$value[, 1]), abs(a$value$draws$std.error - b$value[, 2]))
line("placebo-500-draws", nrow(p), stats::median(ours), stats::median(ref), md,
     c(stats::median(wo), stats::median(wr)))
a2 <- timed(placebo_test(fit, "did", n = ndraw, adopt = "pilot_year", data = p, cores = 2L))
cat(sprintf("bench placebo-500-draws-2threads n=%d wall_ours=%.3f (1 thread: %.3f)\n", nrow(p),
            a2$wall, stats::median(wo)))
