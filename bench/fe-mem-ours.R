# Peak-memory helper for bench/fe.R: builds workload (a) (same seed as fe.R) and
# fits it once with exportres::fe_reg(), single-threaded. Meant to run in its own
# process under `/usr/bin/time -v` (Maximum resident set size).
# `Rscript bench/fe-mem-ours.R base` loads the package and builds the data only.
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
suppressPackageStartupMessages(library(exportres))
source(file.path(here, "fe-data.R"))
d <- fe_panel()
if (identical(commandArgs(trailingOnly = TRUE)[1L], "base")) {
  cat(sprintf("fe-mem-ours: base (exportres loaded, %d rows built, no fit)\n", nrow(d)))
} else {
  fit <- fe_reg(fe_formula(5L), d, cluster = ~id, cores = 1L)
  cat(sprintf("fe-mem-ours: nobs=%d b1=%.8f se1=%.8f\n", fit$nobs, coef(fit)[[1L]], fit$se[[1L]]))
}
