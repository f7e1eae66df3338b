# Benchmark: exportres::dea() against Benchmarking::dea(), VRS, input
# orientation, 4 inputs and 2 outputs, n = 2,000 and 10,000 DMUs.
#   Rscript bench/dea.R              both sides in one process, timings + agreement
#   Rscript bench/dea.R ours 10000   one side only (run under /usr/bin/time -v
#   Rscript bench/dea.R ref 10000    for each side's peak memory)
args <- commandArgs(trailingOnly = TRUE)
# one side per process loads only its own package, so that the peak memory
# under /usr/bin/time -v is that side's alone
if (length(args) != 2L || args[1] == "ours") suppressMessages(library(exportres))
if (length(args) != 2L || args[1] == "ref") suppressMessages(library(Benchmarking))
gen <- function(n, seed = 1) {
  set.seed(seed)
  x <- matrix(exp(rnorm(n * 4)), n, 4)                     # 4 inputs
  f <- exp(0.3 * rowSums(log(x))) * exp(-abs(rnorm(n)) * 0.3)
  y <- cbind(f * runif(n, 0.5, 1.5), f * runif(n, 0.5, 1.5)) # 2 outputs
  list(x = x, y = y)
}
if (length(args) == 2L) {
  d <- gen(as.integer(args[2]))
  t <- system.time(e <- if (args[1] == "ours") {
    exportres::dea(d$x, d$y, rts = "vrs", orientation = "in", cores = 1)$eff
  } else {
    Benchmarking::dea(d$x, d$y, RTS = "vrs", ORIENTATION = "in")$eff
  })[["elapsed"]]
  cat(sprintf("side=%s n=%s time=%.3f mean_eff=%.6f\n", args[1], args[2], t, mean(e)))
  quit(save = "no")
}
for (n in c(2000L, 10000L)) {
  d <- gen(n)
  t1 <- system.time(o1 <- exportres::dea(d$x, d$y, rts = "vrs", orientation = "in", cores = 1))[["elapsed"]]
  t2 <- system.time(o2 <- exportres::dea(d$x, d$y, rts = "vrs", orientation = "in", cores = 2))[["elapsed"]]
  tr <- system.time(r <- Benchmarking::dea(d$x, d$y, RTS = "vrs", ORIENTATION = "in"))[["elapsed"]]
  md <- max(abs(o1$eff - r$eff))
  stopifnot(identical(o1$eff, o2$eff))
  cat(sprintf("bench dea n=%d ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.2e\n", n, t1, tr, tr / t1, md))
  cat(sprintf("bench dea_2threads n=%d ours=%.3f ref=%.3f ratio=%.1f maxdiff=%.2e\n", n, t2, tr, tr / t2, md))
  rm(r); gc()
}
