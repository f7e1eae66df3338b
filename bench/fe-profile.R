# Where fe_reg()'s time goes on workload (a) of bench/fe.R (950,000 rows, 5
# regressors, id + year, clustered by id), single-threaded: each step of
# fe_reg() -> build_design() / fit_within() / add_vcov() / finish_fe() timed by
# calling it directly (median of 5 after a warm-up, gc() before each), the C
# entry points (.Call(C_fe_demean), .Call(C_ols_fit), .Call(C_score_meat)) on
# their own, fixest's demean() on the same matrix for comparison, the large
# allocations of one fe_reg() call (Rprofmem, >= 1 MB) and an Rprof summary.
# Usage: Rscript bench/fe-profile.R
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)[1L]))
suppressPackageStartupMessages({ library(exportres); library(fixest) })
source(file.path(here, "fe-data.R"))
ns <- asNamespace("exportres")
d <- fe_panel()
f5 <- fe_formula(5L)
n <- nrow(d)

med <- function(expr, reps = 5L) {
  e <- substitute(expr); pf <- parent.frame()
  eval(e, pf)
  ts <- vapply(seq_len(reps), function(i) {
    gc(FALSE); t0 <- proc.time()[["elapsed"]]; eval(e, pf); proc.time()[["elapsed"]] - t0
  }, numeric(1))
  median(ts)
}
row <- function(label, s) cat(sprintf("step %-58s %7.3f s\n", label, s))

tot <- med(fe_reg(f5, d, cluster = ~id, cores = 1L))
row("fe_reg() total, cores = 1", tot)
row("feols() total, nthreads = 1, fixef.tol = 1e-10",
    med(feols(f5, d, cluster = ~id, fixef.tol = 1e-10, nthreads = 1L)))

fml <- ns$parse_fixest_formula(f5)
row("build_design()", med(D <- ns$build_design(fml, d, cluster = ~id)))
## build_design()'s large steps, as it does them
rhs <- fml$rhs
row("  model.frame(rhs, na.pass)", med(mf <- stats::model.frame(rhs, data = d, na.action = stats::na.pass)))
row("  complete.cases(mf) & !is.na(...)", med(ok <- !is.na(d$y) & stats::complete.cases(mf) &
                                                !is.na(d$id) & !is.na(d$year) & !is.na(d$id)))
row("  mf[ok, ] (row subset copy of all columns)", med(mf_ok <- mf[ok, , drop = FALSE]))
row("  mf_ok[] <- lapply(droplevels)", med({ m2 <- mf_ok; m2[] <- lapply(m2, function(v) v) }))
row("  model.matrix(terms, mf_ok)", med(X <- stats::model.matrix(attr(mf, "terms"), mf_ok)))
row("  X[, -'(Intercept)'] (column subset copy)", med(X2 <- X[, colnames(X) != "(Intercept)", drop = FALSE]))
row("  codes_of() x 3 (id, year, cluster id) incl. v[ok]",
    med({ ns$codes_of(d$id[ok]); ns$codes_of(d$year[ok]); ns$codes_of(d$id[ok]) }))

row("fit_within(cores = 1)", med(fw <- ns$fit_within(D, 1e-10, 10000L, 1L)))
row("  cbind(y, X)", med(M <- cbind(D$y, D$X)))
fe <- unname(D$fe)
row("  .Call(C_fe_demean), cores = 1", med(dm <- .Call(ns$C_fe_demean, M, fe, NULL, 1e-10, 10000L, 1L)))
row("  .Call(C_fe_demean), cores = 2", med(.Call(ns$C_fe_demean, M, fe, NULL, 1e-10, 10000L, 2L)))
row("  .Call(C_fe_demean), one column (y), cores = 1",
    med(.Call(ns$C_fe_demean, M[, 1L, drop = FALSE], fe, NULL, 1e-10, 10000L, 1L)))
row("  (fixest::demean same matrix, nthreads = 1, tol 1e-10)",
    med(dmf <- fixest::demean(M, data.frame(id = fe[[1L]], year = fe[[2L]]), nthreads = 1L, tol = 1e-10)))
cat(sprintf("#   sweeps ours %s; max |ours - fixest::demean| = %.1e\n",
            paste(dm$iterations, collapse = ","), max(abs(dm$X - dmf))))
row("  dm$X[, 1] and dm$X[, -1] (copies)", med({ yd <- dm$X[, 1L]; Xd <- dm$X[, -1L, drop = FALSE] }))
row("  colSums(X * X) (scale)", med(sc <- colSums(D$X * D$X)))
row("  .Call(C_ols_fit)", med(ols <- .Call(ns$C_ols_fit, Xd, yd, NULL, as.double(sc), 1e-10)))
row("  Xd[, kept] (copy)", med(Xk <- Xd[, ols$kept, drop = FALSE]))

row("add_vcov()", med(fv <- ns$add_vcov(fw, D, NULL)))
row("  fe_nested_in_cluster()", med(ns$fe_nested_in_cluster(D$fe, D$cluster)))
row("  .Call(C_score_meat)", med(.Call(ns$C_score_meat, fw$Xd, fw$residuals, D$cluster[[1L]])))
row("finish_fe()", med(ns$finish_fe(fv, D, quote(fe_reg()), f5)))

## Large allocations (>= 1 MB) in one fe_reg() call, by the R function doing them
pm <- tempfile()
invisible(gc(FALSE))
utils::Rprofmem(pm, threshold = 2^20)
fit <- fe_reg(f5, d, cluster = ~id, cores = 1L)
utils::Rprofmem(NULL)
lines <- readLines(pm)
lines <- lines[grepl("^[0-9]+ *:", lines)]
bytes <- as.numeric(sub(" *:.*", "", lines))
stack <- sub("^[0-9]+ *: *", "", lines)
top <- vapply(strsplit(stack, " "), function(s) paste(head(gsub("\"", "", s), 3L), collapse = " < "),
              character(1))
agg <- aggregate(list(MB = bytes / 2^20), list(where = top), sum)
agg$count <- aggregate(bytes, list(where = top), length)$x
agg <- agg[order(-agg$MB), ]
cat(sprintf("alloc %d allocations >= 1 MB in one fe_reg() call, %.0f MB in all (one n-vector = %.1f MB)\n",
            length(bytes), sum(bytes) / 2^20, n * 8 / 2^20))
for (i in seq_len(nrow(agg))) cat(sprintf("alloc   %7.1f MB %3d x  %s\n", agg$MB[i], agg$count[i], agg$where[i]))
invisible(gc(FALSE))
utils::Rprofmem(pm, threshold = 2^20)
fr <- feols(f5, d, cluster = ~id, fixef.tol = 1e-10, nthreads = 1L)
utils::Rprofmem(NULL)
lr <- readLines(pm); lr <- lr[grepl("^[0-9]+ *:", lr)]
cat(sprintf("alloc (feols, same call: %d allocations >= 1 MB from R, %.0f MB; its C++ allocations are not seen)\n",
            length(lr), sum(as.numeric(sub(" *:.*", "", lr))) / 2^20))

## Rprof of fe_reg()
pf <- tempfile()
Rprof(pf, interval = 0.005)
for (i in 1:3) fit <- fe_reg(f5, d, cluster = ~id, cores = 1L)
Rprof(NULL)
s <- summaryRprof(pf)$by.total
s <- s[!rownames(s) %in% c("\"fe_reg\"", "\"eval\"", "\"proc.time\""), ]
cat("rprof total% self% function (3 calls)\n")
for (i in seq_len(min(18L, nrow(s)))) {
  cat(sprintf("rprof %5.1f %5.1f %s\n", s$total.pct[i], s$self.pct[i], rownames(s)[i]))
}
