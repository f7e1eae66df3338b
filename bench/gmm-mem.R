# Peak-memory helper for bench/gmm.R: builds the workload of bench/gmm-data.R
# for n units and fits it once, with exportres::sys_gmm() (`ours`) or
# plm::pgmm() + summary() (`ref`), or not at all (`base`: exportres loaded and
# the data built; `baseref`: plm loaded too). Meant to run in its own process
# under `/usr/bin/time -v`.
# Usage: Rscript bench/gmm-mem.R ours|ref|base|baseref <n>
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
a <- commandArgs(trailingOnly = TRUE)
side <- if (length(a)) a[1L] else "ours"
n <- if (length(a) > 1L) as.integer(a[2L]) else 2000L
suppressPackageStartupMessages({
  library(exportres)
  if (side %in% c("ref", "baseref")) library(plm)
})
source(file.path(here, "gmm-data.R"))
d <- gmm_bench_data(n)
if (side == "ours") {
  f <- gmm_bench_ours(d)
  cat(sprintf("gmm-mem: ours n=%d b1=%.8f se1=%.8f\n", n, coef(f)[[1L]], f$se[[1L]]))
} else if (side == "ref") {
  f <- gmm_bench_ref(d)
  cat(sprintf("gmm-mem: ref n=%d b1=%.8f\n", n, f[[1L]]$coefficients[[2L]][[1L]]))
} else {
  cat(sprintf("gmm-mem: base n=%d rows=%d\n", n, nrow(d)))
}
