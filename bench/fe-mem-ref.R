# Peak-memory helper for bench/fe.R: builds workload (a) (same seed as fe.R) and
# fits it once with fixest::feols(), single-threaded, fixef.tol = 1e-10.
# Meant to run in its own process under `/usr/bin/time -v` (Maximum resident set size).
# `Rscript bench/fe-mem-ref.R base` loads fixest and builds the data only.
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
suppressPackageStartupMessages(library(fixest))
source(file.path(here, "fe-data.R"))
d <- fe_panel()
if (identical(commandArgs(trailingOnly = TRUE)[1L], "base")) {
  cat(sprintf("fe-mem-ref: base (fixest loaded, %d rows built, no fit)\n", nrow(d)))
} else {
  fit <- feols(fe_formula(5L), d, cluster = ~id, fixef.tol = 1e-10, nthreads = 1L)
  cat(sprintf("fe-mem-ref: nobs=%d b1=%.8f se1=%.8f\n", nobs(fit), coef(fit)[[1L]], se(fit)[[1L]]))
}
