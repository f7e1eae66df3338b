# sys_gmm(): against plm::pgmm on EmplUK (its documented examples), against
# Roodman's xtabond2 output and Stata's xtabond manual (Arellano and Bond 1991,
# Table 4), against a slow dense R implementation (gaps, orthogonal
# deviations, collapse), recovery of simulated truth, and bad input.

data("EmplUK", package = "plm", envir = environment())
pnl <- c("firm", "year")

# pgmm() evaluates a call to plm() in its caller's frame, so it is called from
# a frame that sees plm's namespace, with the data inlined.
pgmm_ref <- function(formula, data, ...) {
  env <- new.env(parent = asNamespace("plm"))
  env$.args <- c(list(formula, data = data), list(...))
  eval(quote(do.call(pgmm, .args)), env)
}

# Stata's abdata stores emp, wage, capital, output and their logs n, w, k, ys
# as 4-byte floats; EmplUK holds the levels in double precision. Rounding
# through single precision gives Stata's data, and then every digit Stata prints.
as_float <- function(x) readBin(writeBin(x, raw(), size = 4), "double", n = length(x), size = 4)
abdata <- EmplUK
abdata$n <- as_float(log(as_float(EmplUK$emp)))
abdata$w <- as_float(log(as_float(EmplUK$wage)))
abdata$k <- as_float(log(as_float(EmplUK$capital)))
abdata$ys <- as_float(log(as_float(EmplUK$output)))
f_a <- n ~ l(n, 1:2) + l(w, 0:1) + l(k, 0:2) + l(ys, 0:2)

test_that("Arellano-Bond (1991) Table 4 (a1): every digit of xtabond2's output (Roodman 2009)", {
  a1 <- sys_gmm(f_a, abdata, panel = pnl, gmm = "n", system = FALSE, steps = 1)
  # Roodman (2009, Stata Journal 9(1)), section 3.3: xtabond2 n L.n L2.n w L.w
  # L(0/2).(k ys) yr*, gmm(L.n) iv(w L.w L(0/2).(k ys) yr*) nolevel robust
  b <- c(.6862261, -.0853582, -.6078208, .3926237, .3568456, -.0580012, -.0199475,
         .6085073, -.7111651, .1057969)
  se <- c(.1445943, .0560155, .1782055, .1679931, .0590203, .0731797, .0327126,
          .1725313, .2317163, .1412021)
  expect_lt(max(abs(coef(a1)[1:10] - b)), 5e-8)
  expect_lt(max(abs(a1$se[1:10] - se)), 5e-8)
  g <- glance(a1)
  expect_identical(c(g$nobs, g$n_groups, g$n_instruments), c(611L, 140L, 41L))
  expect_equal(round(c(g$ar1, g$ar1_p, g$ar2, g$ar2_p), c(2, 3, 2, 3)), c(-3.60, 0, -0.52, 0.606))
  expect_equal(round(c(g$sargan, g$sargan_p, g$hansen, g$hansen_p), c(2, 3, 2, 3)),
               c(67.59, 0, 31.38, 0.177))
  expect_identical(c(g$sargan_df, g$hansen_df), c(25L, 25L))
  dh <- a1$diff_hansen
  expect_identical(dh$group, "IV-style instruments")
  expect_equal(round(c(dh$excluding, dh$excluding_p, dh$difference, dh$difference_p), c(2, 3, 2, 3)),
               c(12.01, 0.363, 19.37, 0.151))
  expect_equal(c(dh$excluding_df, dh$difference_df), c(11, 14))
})

test_that("Table 4 (a1) non-robust and (a2) two-step: Stata's xtabond manual", {
  # [XT] xtabond, example 1 (homoskedastic one-step SEs, which use n/(n - K)) and
  # example 4 (twostep vce(robust): Windmeijer-corrected)
  a1n <- sys_gmm(f_a, abdata, panel = pnl, gmm = "n", system = FALSE, steps = 1, robust = FALSE,
                 ssc = exr_ssc(K_adj = TRUE))
  se1 <- c(.1486163, .0444365, .0657694, .1092374, .0370314, .0583051, .0416274, .1345412,
           .1844599, .1428568)
  expect_lt(max(abs(a1n$se[1:10] - se1)), 5e-8)
  a2 <- sys_gmm(f_a, abdata, panel = pnl, gmm = "n", system = FALSE, steps = 2)
  expect_lt(abs(coef(a2)[[1]] - .6287089), 5e-8)
  expect_lt(abs(a2$se[[1]] - .1934138), 5e-8)
  expect_identical(a2$vcov_type, "windmeijer")
})

test_that("Table 4 (a2), two-step without robust SEs, equals plm::pgmm on EmplUK", {
  skip_if_no_reference("plm")
  fz <- log(emp) ~ lag(log(emp), 1:2) + lag(log(wage), 0:1) + lag(log(capital), 0:2) +
    lag(log(output), 0:2) | lag(log(emp), 2:99)
  f <- log(emp) ~ l(log(emp), 1:2) + l(log(wage), 0:1) + l(log(capital), 0:2) + l(log(output), 0:2)
  # pgmm's a2 without robust SEs is "as tabulated by Arellano/Bond" (plm's tests)
  z <- pgmm_ref(fz, data = EmplUK, effect = "twoways", model = "twosteps")
  o <- sys_gmm(f, EmplUK, panel = pnl, gmm = "log(emp)", system = FALSE, robust = FALSE,
               convention = "plm")
  expect_lt(rel_diff(unname(coef(o)), unname(z$coefficients[[2]])), 1e-6)
  expect_lt(rel_diff(unname(o$se), unname(sqrt(diag(z$vcov)))), 1e-5)
  s <- summary(z, robust = FALSE)
  expect_lt(abs(o$stats$ar1 - s$m1$statistic), 1e-5)
  expect_lt(abs(o$stats$ar2 - s$m2$statistic), 1e-5)
  expect_lt(abs(o$stats$sargan - s$sargan$statistic), 1e-5)
  expect_lt(abs(o$stats$wald - s$wald.coef$statistic), 1e-5)
  # the two conventions agree on everything but the Sargan statistic here
  x2 <- sys_gmm(f, EmplUK, panel = pnl, gmm = "log(emp)", system = FALSE, robust = FALSE)
  expect_equal(coef(x2), coef(o), tolerance = 1e-12)
  expect_equal(x2$stats$ar2, o$stats$ar2, tolerance = 1e-12)
  expect_equal(x2$stats$hansen, o$stats$sargan, tolerance = 1e-10)
  expect_equal(x2$overid$sargan_plm, o$stats$sargan, tolerance = 1e-10)
})

# plm's documented examples (?pgmm): difference GMM (Arellano-Bond Table 4 col. b)
# and system GMM (Blundell-Bond), one- and two-step, with time effects
pgmm_cmp <- function(z, o) {
  s <- summary(z, robust = TRUE, time.dummies = TRUE)
  b <- if (is.list(z$coefficients)) z$coefficients[[2L]] else z$coefficients
  expect_lt(rel_diff(unname(coef(o)), unname(b)), 1e-6)
  expect_lt(rel_diff(unname(o$se), unname(s$coefficients[, 2L])), 1e-5)
  expect_lt(abs(o$stats$sargan - s$sargan$statistic), 1e-5)
  expect_lt(abs(o$stats$ar1 - s$m1$statistic), 1e-5)
  expect_lt(abs(o$stats$ar2 - s$m2$statistic), 1e-5)
  expect_lt(abs(o$stats$wald - s$wald.coef$statistic) / s$wald.coef$statistic, 1e-6)
  expect_identical(o$stats$n_instruments, ncol(z$W[[1L]]))
}

test_that("difference GMM equals pgmm's documented example, one- and two-step", {
  skip_if_no_reference("plm")
  fz <- log(emp) ~ lag(log(emp), 1:2) + lag(log(wage), 0:1) + log(capital) +
    lag(log(output), 0:1) | lag(log(emp), 2:99)
  f <- log(emp) ~ l(log(emp), 1:2) + l(log(wage), 0:1) + log(capital) + l(log(output), 0:1)
  for (st in 1:2) {
    z <- pgmm_ref(fz, data = EmplUK, effect = "twoways",
                   model = if (st == 1) "onestep" else "twosteps")
    o <- sys_gmm(f, EmplUK, panel = pnl, gmm = "log(emp)", system = FALSE, steps = st,
                 convention = "plm")
    pgmm_cmp(z, o)
  }
})

test_that("system GMM equals pgmm's documented example, one- and two-step", {
  skip_if_no_reference("plm")
  fz <- log(emp) ~ lag(log(emp), 1) + lag(log(wage), 0:1) + lag(log(capital), 0:1) |
    lag(log(emp), 2:99) + lag(log(wage), 2:99) + lag(log(capital), 2:99)
  f <- log(emp) ~ l(log(emp), 1) + l(log(wage), 0:1) + l(log(capital), 0:1)
  for (st in 1:2) {
    z <- pgmm_ref(fz, data = EmplUK, effect = "twoways", transformation = "ld",
                   model = if (st == 1) "onestep" else "twosteps")
    o <- sys_gmm(f, EmplUK, panel = pnl, gmm = c("log(emp)", "log(wage)", "log(capital)"),
                 steps = st, convention = "plm")
    pgmm_cmp(z, o)
  }
  # a regressor instrumenting itself: pgmm gives it one column per equation
  z <- pgmm_ref(log(emp) ~ lag(log(emp), 1) + lag(log(wage), 0:1) + log(output) |
                  lag(log(emp), 2:99) + lag(log(wage), 2:99), data = EmplUK, effect = "twoways",
                transformation = "ld", model = "onestep")
  o <- sys_gmm(log(emp) ~ l(log(emp), 1) + l(log(wage), 0:1) + log(output), EmplUK, panel = pnl,
               gmm = c("log(emp)", "log(wage)"), steps = 1, convention = "plm")
  pgmm_cmp(z, o)
  x <- update(o, convention = "xtabond2")
  expect_identical(x$stats$n_instruments, o$stats$n_instruments - 1L)
})

test_that("system GMM: Roodman's Blundell-Bond example (xtabond2 conventions)", {
  d <- abdata
  o <- sys_gmm(n ~ l(n, 1) + l(w, 0:1) + l(k, 0:1), d, panel = pnl, gmm = c("n", "w", "k"),
               steps = 1, ssc = exr_ssc(K_adj = TRUE, G_adj = TRUE))
  # xtabond2 n L.n L(0/1).(w k) yr*, gmmstyle(L.(n w k)) ivstyle(yr*, equation(level)) robust small
  b <- c(.9356053, -.6309761, .4826203, .4839299, -.4243928)
  se <- c(.026569, .1192834, .1383132, .0544281, .059088)
  expect_lt(max(abs(coef(o)[1:5] - b)), 5e-8)
  # `small` in the version Roodman ran scaled by N/(N - K + 1) G/(G - 1) (891/879 * 140/139,
  # still the formula of xtabond2's ado code); its Mata code now uses (N - 1)/(N - K),
  # fixest's and exr_ssc()'s factor: 890/878 (1.5e-5 larger)
  o0 <- update(o, ssc = NULL)
  expect_lt(max(abs(o0$se[1:5] * sqrt(891 / 879 * 140 / 139) - se)), 5e-8)
  expect_equal(o$se^2, o0$se^2 * 890 / 878 * 140 / 139, tolerance = 1e-12)
  g <- glance(o)
  expect_identical(c(g$nobs, g$n_groups, g$n_instruments), c(891L, 140L, 113L))
  expect_equal(round(c(g$ar1, g$ar2, g$ar2_p, g$hansen, g$hansen_p), c(2, 2, 3, 2, 3)),
               c(-5.46, -0.25, 0.804, 110.70, 0.218))
  expect_identical(o$df_t, 139)   # `small`: t tests with G - 1 degrees of freedom
  # Roodman's printed Sargan, 186.90, divides by the level-equation observations
  # (xtabond2 before 2.8.3); xtabond2 3.7 divides by the transformed ones
  expect_equal(round(g$sargan * o$n_levels / o$n_transformed, 2), 186.90)
  dh <- o$diff_hansen
  lev <- dh[dh$group == "GMM instruments for levels", ]
  ivs <- dh[dh$group == "IV-style instruments", ]
  expect_equal(round(c(lev$excluding, lev$excluding_p, lev$difference, lev$difference_p), c(2, 3, 2, 3)),
               c(84.33, 0.320, 26.37, 0.193))
  expect_equal(c(lev$excluding_df, lev$difference_df), c(79, 21))
  expect_equal(round(c(ivs$excluding, ivs$excluding_p, ivs$difference, ivs$difference_p), c(2, 3, 2, 3)),
               c(107.79, 0.140, 2.91, 0.893))
  expect_equal(c(ivs$excluding_df, ivs$difference_df), c(93, 7))
  # pgmm's AR statistics in system GMM leave the level moments out
  p <- sys_gmm(n ~ l(n, 1) + l(w, 0:1) + l(k, 0:1), d, panel = pnl, gmm = c("n", "w", "k"),
               steps = 1, convention = "plm")
  expect_equal(coef(p), coef(o), tolerance = 1e-12)
  expect_false(isTRUE(all.equal(p$stats$ar1, o$stats$ar1)))
})

test_that("difference GMM with separate lag ranges: xtabond2's difference-in-Hansen tests", {
  # xtabond2 n L(1/2).n w k, gmm(n, lag(2 4)) gmm(w, lag(1 3)) iv(k) nolevel twostep robust
  # (xtabond2 output printed in pydynpd's benchmark, Benchmark/test_1.md)
  o <- sys_gmm(n ~ l(n, 1:2) + w + k, abdata, panel = pnl, gmm = c("n", "w"),
               gmm_lags = list(c(2, 4), c(1, 3)), system = FALSE, time_dummies = FALSE)
  expect_equal(round(coef(o), 4), c(`l(n, 1)` = .1701, `l(n, 2)` = -.0113, w = -.9511, k = .4637))
  expect_equal(round(unname(o$se), 4), c(.1047, .0377, .1277, .0718))
  g <- glance(o)
  expect_identical(g$n_instruments, 36L)
  expect_equal(round(c(g$ar1, g$ar1_p, g$ar2, g$ar2_p), c(2, 3, 2, 3)), c(-1.19, 0.235, -0.81, 0.417))
  expect_equal(round(c(g$sargan, g$hansen, g$hansen_p), c(2, 2, 3)), c(91.61, 47.86, 0.035))
  dh <- o$diff_hansen
  expect_identical(dh$group, c("gmm(n)", "gmm(w)", "IV-style instruments"))
  expect_equal(round(dh$excluding, 2), c(23.75, 17.25, 38.33))
  expect_equal(round(dh$difference, 2), c(24.11, 30.61, 9.53))
  expect_equal(round(dh$difference_p, 3), c(0.117, 0.032, 0.002))
  expect_equal(dh$excluding_df, c(15, 14, 31))
})

# ---- a slow dense implementation of the same estimator ---------------------------

# Builds every unit's Z_i, X_i, y_i and error weights W_i densely, by name, from
# the rules in ?sys_gmm: y ~ l(y, 1) + x (+ intercept in system GMM), gmm = "y"
# with lags a..b, x IV-style, no time dummies.
ref_gmm <- function(df, a, b, collapse, system, fod) {
  ids <- unique(df$id)
  tmin <- min(df$t)
  TT <- max(df$t) - tmin + 1
  units <- lapply(ids, function(i) {
    u <- df[df$id == i, ]
    y <- x <- rep(NA_real_, TT)
    y[u$t - tmin + 1] <- u$y
    x[u$t - tmin + 1] <- u$x
    ly <- c(NA, y[-TT])
    comp <- !is.na(y) & !is.na(ly) & !is.na(x)
    rows <- list()
    add <- function(yv, xv, z, w) rows[[length(rows) + 1L]] <<- list(y = yv, x = xv, z = z, w = w)
    gmmz <- function(p) {            # instruments of the transformed row dated p (1-based)
      z <- c()
      if (a > p - 1) return(z)
      for (l in seq(a, min(b, p - 1))) {
        v <- y[p - l]
        if (!is.na(v)) z[if (collapse) paste0("d", l) else paste0("d", p, "_", l)] <- v
      }
      z
    }
    for (t in seq_len(TT)) {
      if (!fod) {
        if (t < 2 || !comp[t] || !comp[t - 1]) next
        w <- numeric(TT); w[t] <- 1; w[t - 1] <- -1
        add(y[t] - y[t - 1], c(ly[t] - ly[t - 1], x[t] - x[t - 1], if (system) 0),
            c(iv = x[t] - x[t - 1], gmmz(t)), w)
      } else {
        fut <- which(comp & seq_len(TT) > t)
        if (!comp[t] || !length(fut)) next
        m <- length(fut); cc <- sqrt(m / (m + 1))
        w <- numeric(TT); w[t] <- cc; w[fut] <- -cc / m
        add(sum(w[comp] * y[comp]), c(sum(w[comp] * ly[comp]), sum(w[comp] * x[comp]), if (system) 0),
            c(iv = sum(w[comp] * x[comp]), gmmz(t + 1)), w)
      }
    }
    if (system) for (t in seq_len(TT)) {
      if (!comp[t]) next
      w <- numeric(TT); w[t] <- 1
      z <- c(iv = x[t], cons = 1)
      s <- t - max(a - 1, 0)
      if (s >= 2 && !is.na(y[s]) && !is.na(y[s - 1])) {
        z[if (collapse) "lev" else paste0("l", t)] <- y[s] - y[s - 1]
      }
      add(y[t], c(ly[t], x[t], 1), z, w)
    }
    rows
  })
  zn <- unique(unlist(lapply(units, function(r) unlist(lapply(r, function(q) names(q$z))))))
  mats <- lapply(units[lengths(units) > 0], function(r) {
    Z <- t(vapply(r, function(q) { v <- setNames(numeric(length(zn)), zn); v[names(q$z)] <- q$z; v },
                  numeric(length(zn))))
    if (length(zn) == 1L) Z <- t(Z)
    list(Z = Z, X = t(vapply(r, function(q) q$x, numeric(length(r[[1]]$x)))),
         y = vapply(r, function(q) q$y, 0), W = t(vapply(r, function(q) q$w, numeric(TT))))
  })
  sum_of <- function(f) Reduce(`+`, lapply(mats, f))
  ZHZ <- sum_of(function(m) crossprod(m$Z, m$W %*% t(m$W) %*% m$Z))
  keep <- diag(ZHZ) > 0
  ZX <- sum_of(function(m) crossprod(m$Z, m$X))[keep, , drop = FALSE]
  Zy <- sum_of(function(m) crossprod(m$Z, m$y))[keep, ]
  step <- function(A) {
    B <- solve(t(ZX) %*% A %*% ZX)
    list(b = drop(B %*% t(ZX) %*% A %*% Zy), B = B)
  }
  A1 <- solve(ZHZ[keep, keep])
  s1 <- step(A1)
  u <- lapply(mats, function(m) crossprod(m$Z[, keep, drop = FALSE], m$y - m$X %*% s1$b))
  S <- Reduce(`+`, lapply(u, tcrossprod))
  A2 <- solve(S)
  s2 <- step(A2)
  Ze2 <- Zy - ZX %*% s2$b
  V1 <- s1$B %*% t(ZX) %*% A1 %*% S %*% A1 %*% ZX %*% s1$B
  list(b1 = s1$b, b2 = s2$b, hansen = drop(t(Ze2) %*% A2 %*% Ze2), V1 = V1, L = sum(keep))
}

sim_panel <- function(n, TT, seed, gaps = 0) {
  set.seed(seed)
  a <- rnorm(n)
  burn <- 30
  y <- x <- matrix(0, n, TT + burn)
  for (t in 2:(TT + burn)) {
    x[, t] <- 0.5 * x[, t - 1] + 0.5 * a + rnorm(n)
    y[, t] <- 0.5 * y[, t - 1] + 0.3 * x[, t] + a + rnorm(n)
  }
  df <- data.frame(id = rep(seq_len(n), each = TT), t = rep(seq_len(TT), n),
                   y = as.vector(t(y[, burn + seq_len(TT)])), x = as.vector(t(x[, burn + seq_len(TT)])))
  if (gaps) df <- df[-sample(nrow(df), gaps), ]
  df
}

test_that("the C core equals a dense R implementation: gaps, FOD, collapse, system", {
  df <- sim_panel(40, 7, 11, gaps = 25)
  df <- df[sample(nrow(df)), ]           # row order must not matter
  for (cf in list(list(FALSE, FALSE, FALSE, 2, Inf), list(TRUE, FALSE, FALSE, 2, 4),
                  list(FALSE, TRUE, FALSE, 2, Inf), list(TRUE, TRUE, TRUE, 3, Inf),
                  list(FALSE, TRUE, TRUE, 2, 3), list(TRUE, FALSE, TRUE, 1, Inf))) {
    sys <- cf[[1]]; fod <- cf[[2]]; coll <- cf[[3]]; a <- cf[[4]]; b <- cf[[5]]
    r <- ref_gmm(df, a, b, coll, sys, fod)
    o1 <- sys_gmm(y ~ l(y, 1) + x, df, panel = c("id", "t"), gmm = "y", gmm_lags = c(a, b),
                  collapse = coll, system = sys, steps = 1, time_dummies = FALSE,
                  transformation = if (fod) "fod" else "fd")
    o2 <- suppressWarnings(update(o1, steps = 2))
    expect_lt(rel_diff(unname(coef(o1)), r$b1), 1e-9)
    expect_lt(rel_diff(unname(coef(o2)), r$b2), 1e-9)
    expect_lt(abs(o2$stats$hansen - r$hansen) / r$hansen, 1e-8)
    expect_lt(rel_diff(unname(diag(vcov(o1))), diag(r$V1)), 1e-8)
    expect_identical(o1$stats$n_instruments, r$L)
  }
})

test_that("simulated truth is recovered; properties of the fit", {
  df <- sim_panel(1500, 7, 5)
  o <- sys_gmm(y ~ l(y, 1) + x, df, panel = c("id", "t"), gmm = c("y", "x"))
  z <- (coef(o)[c("l(y, 1)", "x")] - c(0.5, 0.3)) / o$se[c("l(y, 1)", "x")]
  expect_true(all(abs(z) < 4))
  expect_lt(o$stats$ar1, 0)                     # differenced iid errors: negative AR(1)
  expect_gt(o$stats$ar2_p, 0.001)
  expect_identical(names(coef(o))[1:3], c("l(y, 1)", "x", "(Intercept)"))
  expect_true(all(grepl("^t::", names(coef(o))[-(1:3)])))
  expect_identical(o$nobs, sum(o$obs))
  expect_s3_class(tidy(o), "data.frame")
  expect_output(print(o), "Two-step system GMM")
  # collapse: one column per lag; difference GMM has no intercept
  oc <- sys_gmm(y ~ l(y, 1) + x, df, panel = c("id", "t"), gmm = "y", gmm_lags = c(2, 3),
                collapse = TRUE, system = FALSE, time_dummies = FALSE)
  expect_identical(oc$stats$n_instruments, 3L)   # y lags 2 and 3, and x
  expect_false("(Intercept)" %in% names(coef(oc)))
  # small-sample option: xtabond2's `small` factor on the robust variance
  os <- sys_gmm(y ~ l(y, 1) + x, df, panel = c("id", "t"), gmm = "y", steps = 1,
                ssc = exr_ssc(K_adj = TRUE, G_adj = TRUE))
  o1 <- update(os, ssc = NULL)
  K <- length(coef(o1))
  expect_equal(vcov(os), vcov(o1) * (o1$nobs - 1) / (o1$nobs - K) * 1500 / 1499, tolerance = 1e-12)
})

test_that("bad input gives classed errors; degenerate cases warn", {
  df <- sim_panel(30, 5, 2)
  p <- c("id", "t")
  expect_error(sys_gmm(y ~ l(y, 1:4) + x, df, panel = p, gmm = "y"), class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = "y", gmm_lags = c(6, 8)),
               class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = p), class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = character(0)), class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = "zz"), class = "exportres_error")
  dup <- rbind(df, df[5, ])
  expect_error(sys_gmm(y ~ l(y, 1) + x, dup, panel = p, gmm = "y"), class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, gmm = "y"), class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x | id, df, panel = p, gmm = "y"), class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = "y", steps = 3), class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = "y", gmm_lags = c(3, 2)),
               class = "exportres_error")
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = "y", transformation = "fod",
                       convention = "plm"), class = "exportres_error")
  df$tt <- df$t + 0.5
  expect_error(sys_gmm(y ~ l(y, 1) + x, df, panel = c("id", "tt"), gmm = "y"),
               class = "exportres_error")
  # more instruments than units; a duplicated instrument makes Z'HZ singular
  warns <- function(expr) {
    w <- list()
    withCallingHandlers(expr, warning = function(cnd) {
      w[[length(w) + 1L]] <<- cnd
      invokeRestart("muffleWarning")
    })
    w
  }
  w <- warns(sys_gmm(y ~ l(y, 1) + x, df[df$id <= 6, ], panel = p, gmm = c("y", "x")))
  expect_gt(length(w), 0L)
  expect_true(all(vapply(w, inherits, TRUE, what = "exportres_warning")))
  df$y2 <- 2 * df$y
  w <- warns(fit <- sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = c("y", "y2"), steps = 1))
  expect_gt(length(w), 0L)
  expect_true(all(vapply(w, inherits, TRUE, what = "exportres_warning")))
  # the generalised inverse leaves the estimates of the non-duplicated model
  ref <- sys_gmm(y ~ l(y, 1) + x, df, panel = p, gmm = "y", steps = 1)
  expect_equal(coef(fit), coef(ref), tolerance = 1e-6)
})
