# Benchmark: exportres::wild_boot() (the fast wild cluster bootstrap in C)
# against the obvious alternative, a loop that re-estimates the model with
# fixest::feols() for every bootstrap draw (fwildclusterboot, the R package
# that did this fast, is no longer on CRAN). Both sides single-threaded.
#
# A loop of 9,999 fixest refits takes hours at a million rows, so the
# reference is timed on `nref` draws and extrapolated linearly to B = 9,999
# (each refit does the same work); the printed ref= is that extrapolation,
# labelled as such. The refits use the same Rademacher draws as ours (R's
# runif, as wild_boot() draws them), and maxdiff is the largest relative
# difference between our bootstrap t statistics and fixest's over those draws.
#
#  (a) the bundled panel: Table 6 column 1 (res on did and the nine controls,
#      city and year fixed effects), 3,175 rows after singletons, clustered by
#      city (289 clusters), WCR, B = 9,999, with and without the interval;
#      year effects are not nested in the clusters, so their projection is
#      carried (the general path);
#  (b) 1,000,000 rows: 50,000 firms x 20 years in 50 states, firm and year
#      fixed effects, 3 regressors, clustered by state (50 clusters), B = 9,999:
#      firm effects are nested in the clusters and drop out, year effects are
#      carried;
#  (c) as (b) with firm effects only (all nested: the bootstrap needs no
#      projection at all);
#  (d) IV, the wild restricted efficient bootstrap (WRE): Table 5 column 5
#      (dig instrumented by iv1, nine controls, city and year effects) on the
#      bundled panel, clustered by city, with the interval; the reference
#      loop builds each WRE sample (restricted structural residuals, the first
#      stage re-estimated with them) and re-estimates it with feols() IV;
#  (e) IV at 1,000,000 rows: (b)'s panel with x1 endogenous, instrumented by
#      z, firm and year effects, 50 state clusters, with the interval.
#
# Prints: bench wildboot-<case> n=<rows> ours=<s> ref=<s> ratio=<ref/ours> maxdiff=<x>
# Usage: Rscript bench/wildboot.R [--nref=20] [--nref-big=3] [--only=ols|iv]
args <- commandArgs(trailingOnly = TRUE)
arg_int <- function(name, default) {
  a <- grep(paste0("^--", name, "="), args, value = TRUE)
  if (length(a)) as.integer(sub(".*=", "", a[1L])) else default
}
nref <- arg_int("nref", 20L)
nref_big <- arg_int("nref-big", 3L)
only <- sub("^--only=", "", grep("^--only=", args, value = TRUE))
run_ols <- !length(only) || only == "ols"
run_iv <- !length(only) || only == "iv"
B <- 9999L

suppressPackageStartupMessages({
  library(exportres)
  if (!requireNamespace("fixest", quietly = TRUE)) stop("bench/wildboot.R needs fixest")
  library(fixest)
})
setFixest_nthreads(1)
options(exportres.cores = 1L)
cat(sprintf("# %s | %s | exportres %s | fixest %s | load %s\n", format(Sys.time(), "%Y-%m-%d %H:%M"),
            R.version.string, packageVersion("exportres"), packageVersion("fixest"),
            paste(strsplit(readLines("/proc/loadavg", n = 1L), " ")[[1L]][1:3], collapse = " ")))

# Elapsed and CPU (user + system) seconds of evaluating expr.
secs <- function(expr) {
  gc(FALSE)
  t0 <- proc.time()
  force(expr)
  t1 <- proc.time() - t0
  c(elapsed = t1[["elapsed"]], cpu = t1[["user.self"]] + t1[["sys.self"]])
}

# The reference: for each of the first m draws, y* = restricted fit +
# restricted residual * v[cluster], re-estimated by feols with the same fixed
# effects and clustering; returns the bootstrap t statistics.
mk <- function(y, xs, fe) stats::as.formula(paste(y, "~", paste(xs, collapse = " + "), "|", fe))
fixest_loop <- function(y, xs, fe, data, term, cl, V, m) {
  restricted <- feols(mk(y, setdiff(xs, term), fe), data, nthreads = 1, fixef.tol = 1e-10)
  u <- resid(restricted)
  fit_r <- data[[y]] - u
  codes <- as.integer(factor(data[[cl]]))
  fml <- mk(".ystar", xs, fe)
  vapply(seq_len(m), function(b) {
    data$.ystar <- fit_r + u * V[codes, b]
    f <- feols(fml, data, cluster = cl, nthreads = 1, fixef.tol = 1e-10)
    unname(coef(f)[term] / se(f)[term])
  }, 0)
}

# Times wild_boot() on `fit` (median of 3 after a warm-up) and `ref(data, V, m)`,
# the reference loop on the first m of the same Rademacher draws, extrapolated
# to B; prints the bench line and the details.
time_boot <- function(name, fit, term, data, ref, m, conf_int = TRUE, what = "fixest refits") {
  G <- fit$n_clusters
  run <- function() {
    set.seed(1)
    suppressMessages(wild_boot(fit, term, B = B, data = data, conf_int = conf_int, cores = 1L))
  }
  wb <- run()                                          # warm-up
  times <- vapply(1:3, function(i) secs(run()), numeric(2))
  t_ours <- apply(times, 1L, stats::median)
  set.seed(1)
  V <- matrix(ifelse(stats::runif(G * B) < 0.5, -1, 1), G, B)
  data <- data[fit$obs, , drop = FALSE]
  t_ref_m <- secs(tb <- ref(data, V, m))
  t_ref <- t_ref_m / m * B
  maxdiff <- max(abs(tb - wb$t_boot[seq_len(m)]) / abs(tb))
  cat(sprintf("bench wildboot-%s n=%d ours=%.3f ref=%.1f ratio=%.0f maxdiff=%.2g\n", name,
              nrow(data), t_ours[["elapsed"]], t_ref[["elapsed"]],
              t_ref[["elapsed"]] / t_ours[["elapsed"]], maxdiff))
  cat(sprintf(paste0("#   %s G=%d B=%d p=%.4f CI=[%.5f, %.5f]; ours: median of 3 (cpu %.3f s); ref: %d ",
                     "%s took %.2f s (cpu %.2f s), %.4f s each, extrapolated to B ",
                     "(cpu ratio %.0f)\n"),
              wb$method, G, B, wb$p.value, wb$conf.int[1L], wb$conf.int[2L], t_ours[["cpu"]], m, what,
              t_ref_m[["elapsed"]], t_ref_m[["cpu"]], t_ref_m[["elapsed"]] / m,
              t_ref[["cpu"]] / t_ours[["cpu"]]))
  invisible(wb)
}

run_case <- function(name, y, xs, fe, data, term, cl, m, conf_int = TRUE) {
  fit <- fe_reg(mk(y, xs, fe), data, cluster = stats::as.formula(paste("~", cl)), cores = 1L)
  time_boot(name, fit, term, data, function(dd, V, m) fixest_loop(y, xs, fe, dd, term, cl, V, m), m,
            conf_int)
}

# The IV reference: the WRE sample of each draw at r = 0 (restricted
# structural residuals u~, the first stage re-estimated with u~ added, v~ its
# residuals plus u~'s part), re-estimated with feols() IV.
fixest_iv_loop <- function(y, xs, endo, inst, fe, data, cl, V, m) {
  restricted <- feols(mk(y, xs, fe), data, nthreads = 1, fixef.tol = 1e-10)
  data$.ut <- resid(restricted)
  first <- feols(mk(endo, c(xs, inst, ".ut"), fe), data, nthreads = 1, fixef.tol = 1e-10)
  vt <- resid(first) + coef(first)[[".ut"]] * data$.ut
  Yfit <- data[[endo]] - vt
  yfix <- data[[y]] - data$.ut
  codes <- as.integer(factor(data[[cl]]))
  fml <- stats::as.formula(paste(".ys ~", paste(xs, collapse = " + "), "|", fe, "| .Ys ~",
                                 paste(inst, collapse = " + ")))
  vapply(seq_len(m), function(b) {
    v <- V[codes, b]
    data$.Ys <- Yfit + vt * v
    data$.ys <- yfix + data$.ut * v
    f <- feols(fml, data, cluster = cl, nthreads = 1, fixef.tol = 1e-10)
    unname(coef(f)["fit_.Ys"] / se(f)["fit_.Ys"])
  }, 0)
}

run_case_iv <- function(name, y, xs, endo, inst, fe, data, cl, m) {
  fml <- stats::as.formula(paste(y, "~", paste(xs, collapse = " + "), "|", fe, "|", endo, "~",
                                 paste(inst, collapse = " + ")))
  fit <- iv_reg(fml, data, cluster = stats::as.formula(paste("~", cl)), cores = 1L,
                diagnostics = FALSE)
  time_boot(name, fit, endo, data,
            function(dd, V, m) fixest_iv_loop(y, xs, endo, inst, fe, dd, cl, V, m), m,
            what = "fixest IV refits")
}

# (a) the bundled panel, Table 6 column 1
panel <- build_city_panel()
controls <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")
if (run_ols) {
  run_case("table6-ci", "res", c("did", controls), "city + year", panel, "did", "city", nref)
  run_case("table6-noci", "res", c("did", controls), "city + year", panel, "did", "city", nref,
           conf_int = FALSE)
}
# (d) the bundled panel, Table 5 column 5 (IV, WRE)
if (run_iv) run_case_iv("table5-iv-wre", "res", controls, "dig", "iv1", "city + year", panel, "city", nref)

# (b), (c) a million rows in 50 clusters
big <- local({
  set.seed(20240607)
  n_f <- 50000L; n_t <- 20L; n <- n_f * n_t
  firm <- rep(seq_len(n_f), each = n_t)
  year <- rep(seq_len(n_t), n_f)
  state <- (firm - 1L) %% 50L + 1L
  a <- rnorm(n_f); s <- rnorm(50); g <- rnorm(n_t)
  x1 <- rnorm(n) + 0.5 * a[firm]; x2 <- rnorm(n) + s[state]; x3 <- rnorm(n)
  y <- 0.2 * x1 - 0.1 * x2 + a[firm] + g[year] + s[state] + rnorm(n)
  z <- rnorm(n)
  e <- rnorm(n)
  xe <- 0.5 * z + 0.5 * a[firm] + e
  ye <- 0.2 * xe - 0.1 * x2 + a[firm] + g[year] + s[state] + 0.5 * e + rnorm(n)
  data.frame(firm = firm, year = year, state = state, x1 = x1, x2 = x2, x3 = x3, y = y,
             z = z, xe = xe, ye = ye)
})
if (run_ols) {
  run_case("1e6-firm-year", "y", c("x1", "x2", "x3"), "firm + year", big, "x1", "state", nref_big)
  run_case("1e6-firm", "y", c("x1", "x2", "x3"), "firm", big, "x1", "state", nref_big)
}
# (e) IV at a million rows
if (run_iv) run_case_iv("1e6-iv-wre", "ye", c("x2", "x3"), "xe", "z", "firm + year", big, "state", nref_big)
