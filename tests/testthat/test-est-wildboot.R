# wild_boot(): the fast algorithm against an independent slow implementation
# (the full model re-estimated for every draw, fixed effects as dummies, in R),
# against Stata boottest's published output, and its properties and errors.

# ---- the slow reference ------------------------------------------------------
# y* = fitted (restricted or not) + residual * v[boot], the full model with
# fixed-effect dummies re-estimated by lm.wfit for every draw, and the
# Cameron-Gelbach-Miller variance of coefficient j from the full design:
# sum over the given clusterings of fac * sum_g (row j of the bread times the
# cluster's score)^2. A draw whose multi-way variance is not positive gives NA
# (the fast code leaves such draws out).
slow_wild <- function(y, X, j, r, V, boot, err, fac, w = NULL, D = NULL, impose_null = TRUE) {
  n <- length(y)
  if (is.null(w)) w <- rep(1, n)
  Z <- cbind(X, D)
  bread <- solve(crossprod(Z * sqrt(w)))
  a <- bread[, j]
  za <- drop(Z %*% a) * w
  tstat <- function(yy, centre) {
    f <- lm.wfit(Z, yy, w)
    u <- f$residuals
    v <- sum(vapply(seq_along(err), function(d) fac[d] * sum(rowsum(za * u, err[[d]])^2), 0))
    if (v > 0) (f$coefficients[j] - centre) / sqrt(v) else NA_real_
  }
  full <- lm.wfit(Z, y, w)
  if (impose_null) {
    rf <- lm.wfit(Z[, -j, drop = FALSE], y - r * X[, j], w)
    fitted <- y - rf$residuals
    u <- rf$residuals
    centre <- r
  } else {
    fitted <- full$fitted.values
    u <- full$residuals
    centre <- full$coefficients[j]
  }
  tb <- apply(V, 2L, function(v) tstat(fitted + u * v[boot], centre))
  list(t = unname(tstat(y, r)), tb = unname(tb))
}

# The fast computation with a given weight matrix V (internal entry points).
fast_wild <- function(fit, term, V, r = 0, impose_null = TRUE, cluster = NULL, bootcluster = NULL,
                      data, cores = 1L) {
  prep <- exportres:::wb_prepare(fit, term, impose_null, cluster, bootcluster, data, environment(),
                                 1e-13, cores)
  draws <- .Call(exportres:::C_wildboot_draws, prep$setup, 0L, ncol(V), V, as.integer(impose_null),
                 as.integer(cores))
  se <- sqrt(prep$setup$se2)
  pv <- .Call(exportres:::C_wildboot_pvalues, draws, prep$estimate, se, as.double(r), 1L)
  list(t = (prep$estimate - r) / se, tb = pv$tstar, prep = prep, draws = draws)
}

dummies <- function(f) {
  m <- stats::model.matrix(~ factor(f))
  m[, -1L, drop = FALSE]
}
withr_options <- function(opts, expr) {
  old <- options(opts)
  on.exit(options(old))
  expr
}
rademacher <- function(G, B) matrix(sample(c(-1, 1), G * B, replace = TRUE), G, B)

sim_panel <- function(seed, n_g = 12, t_n = 6, unequal = TRUE) {
  set.seed(seed)
  sizes <- if (unequal) sample(2:9, n_g, replace = TRUE) else rep(4L, n_g)
  g <- rep(seq_len(n_g), sizes)
  n <- length(g)
  df <- data.frame(g = g, unit = seq_len(n), yr = sample(seq_len(t_n), n, replace = TRUE),
                   x = rnorm(n) + rnorm(n_g)[g], z = rnorm(n), w = runif(n, 0.5, 2))
  df$sub <- (df$unit %% 3L) + 3L * (df$g - 1L)
  df$y <- 0.3 * df$x - 0.2 * df$z + rnorm(n_g)[g] + 0.5 * rnorm(t_n)[df$yr] + rnorm(n)
  df
}
gfac <- function(G) G / (G - 1)

test_that("hand-worked: four clusters, all 16 sign vectors, counted by hand", {
  df <- data.frame(g = rep(1:4, times = c(2, 3, 3, 4)),
                   x = c(0.5, -1.2, 0.3, 2.0, -0.7, 1.1, 0.4, -0.2, 1.5, -1.0, 0.8, 0.1))
  df$y <- c(1.0, -0.4, 0.9, 2.2, 0.1, 1.9, 0.2, 0.5, 2.4, -0.8, 1.3, 0.7)
  fit <- fe_reg(y ~ x, df, cluster = ~g)
  V <- t(as.matrix(expand.grid(rep(list(c(1, -1)), 4))))
  fast <- fast_wild(fit, "x", V, data = df)
  n <- nrow(df)
  slow <- slow_wild(df$y, cbind(1, df$x), 2L, 0, V, df$g, list(df$g), gfac(4) * (n - 1) / (n - 2))
  expect_equal(fast$t, slow$t, tolerance = 1e-12)
  expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
  # the all-plus draw reproduces t, the all-minus draw gives -t (exactly, by construction)
  expect_identical(fast$tb[1], fast$t)
  expect_identical(fast$tb[16], -fast$t)
  expect_equal(fast$t, unname(coef(fit)["x"] / fit$se["x"]), tolerance = 1e-12)
  # the p-value is the share of strictly larger |t*|
  expect_message(wb <- wild_boot(fit, "x", B = 99, conf_int = FALSE), "full enumeration")
  expect_equal(wb$p.value, sum(abs(slow$tb[2:15]) > abs(slow$t)) / 16)
  expect_identical(wb$B, 16L)
})

test_that("equal to the slow re-estimation draw by draw: OLS, WCR and WCU, r != 0", {
  df <- sim_panel(1)
  fit <- fe_reg(y ~ x + z, df, cluster = ~g)
  set.seed(11)
  V <- rademacher(12, 40)
  n <- nrow(df)
  X <- cbind(1, df$x, df$z)
  fac <- gfac(12) * (n - 1) / (n - 3)
  for (null in c(TRUE, FALSE)) {
    for (r in c(0, 0.7)) {
      fast <- fast_wild(fit, "x", V, r = r, impose_null = null, data = df)
      slow <- slow_wild(df$y, X, 2L, r, V, df$g, list(df$g), fac, impose_null = null)
      expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
      expect_equal(fast$t, slow$t, tolerance = 1e-12)
    }
  }
})

test_that("equal to the slow re-estimation: weights, two-way fixed effects, year effects not nested", {
  df <- sim_panel(2)
  fit <- fe_reg(y ~ x + z | g + yr, df, cluster = ~g, weights = "w", fixef_tol = 1e-13)
  set.seed(12)
  V <- matrix(rnorm(12 * 30), 12, 30)
  n <- nrow(df)
  D <- cbind(dummies(df$g), dummies(df$yr))
  K <- 2 + 1 + (6 - 1)                    # g nested in the cluster counts as one
  fac <- gfac(12) * (n - 1) / (n - K)
  for (r in c(0, -0.4)) {
    slow <- slow_wild(df$y, cbind(df$x, df$z, 1), 1L, r, V, df$g, list(df$g), fac, w = df$w, D = D)
    # both ways of carrying the year effects: the Schur complement, and a
    # demeaned column per bootstrap cluster
    for (demean in c(FALSE, TRUE)) {
      fast <- withr_options(list(exportres.wildboot_demean = demean),
                            fast_wild(fit, "x", V, r = r, data = df))
      expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
      expect_equal(fast$t, slow$t, tolerance = 1e-10)
    }
  }
  expect_true(any(vapply(fast$prep$setup$clusters, `[[`, 0L, "mode") > 0L))
})

test_that("equal to the slow re-estimation: fixed effects nested in the cluster drop out", {
  df <- sim_panel(3)
  fit <- fe_reg(y ~ x + z | g, df, cluster = ~g)
  set.seed(13)
  V <- rademacher(12, 30)
  fast <- fast_wild(fit, "z", V, r = 0.1, data = df)
  n <- nrow(df)
  slow <- slow_wild(df$y, cbind(df$x, df$z, 1), 2L, 0.1, V, df$g, list(df$g),
                    gfac(12) * (n - 1) / (n - 3), D = dummies(df$g))
  expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
  expect_null(fast$prep$setup$Gam)        # no correction computed
})

test_that("equal to the slow re-estimation: subcluster bootstrap, factored correction", {
  df <- sim_panel(4, n_g = 8, t_n = 3)
  fit <- fe_reg(y ~ x | yr, df, cluster = ~g)
  Gb <- max(df$sub)
  df$sub <- as.integer(factor(df$sub))
  Gb <- max(df$sub)
  set.seed(14)
  V <- rademacher(Gb, 25)
  n <- nrow(df)
  slow <- slow_wild(df$y, cbind(df$x, 1), 1L, 0, V, df$sub, list(df$g),
                    gfac(8) * (n - 1) / (n - 1 - 3), D = dummies(df$yr))
  fast <- withr_options(list(exportres.wildboot_demean = TRUE),
                        fast_wild(fit, "x", V, bootcluster = ~sub, data = df))
  expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
  fast <- fast_wild(fit, "x", V, bootcluster = ~sub, data = df)
  expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
  expect_identical(fast$prep$n_bootclusters, Gb)
  expect_true(2L %in% vapply(fast$prep$setup$clusters, `[[`, 0L, "mode"))
})

test_that("equal to the slow re-estimation: two-way clustering, both small-sample conventions", {
  df <- sim_panel(15)
  n <- nrow(df)
  g12 <- as.integer(factor(paste(df$g, df$yr)))
  for (conv in c("min", "conventional")) {
    fit <- fe_reg(y ~ x + z | g, df, cluster = ~g + yr, ssc = exr_ssc(G_df = conv),
                  fixef_tol = 1e-13)
    K <- 2 + 1
    kf <- (n - 1) / (n - K)
    fac <- if (conv == "min") kf * gfac(6) * c(1, 1, -1) else
      kf * c(gfac(12), gfac(6), -gfac(max(g12)))
    set.seed(15)
    V <- rademacher(12, 25)
    fast <- fast_wild(fit, "x", V, data = df)           # bootstrap by g, the larger
    slow <- slow_wild(df$y, cbind(df$x, df$z, 1), 1L, 0, V, df$g, list(df$g, df$yr, g12), fac,
                      D = dummies(df$g))
    expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
    expect_equal(fast$t, slow$t, tolerance = 1e-10)
    # bootstrap by the intersection: g is not nested in it, so the correction is carried
    Vi <- rademacher(max(g12), 10)
    fast2 <- fast_wild(fit, "x", Vi, bootcluster = ~g + yr, data = df)
    fast3 <- withr_options(list(exportres.wildboot_demean = TRUE),
                           fast_wild(fit, "x", Vi, bootcluster = ~g + yr, data = df))
    expect_equal(fast2$tb, fast3$tb, tolerance = 1e-10)
    # (V's rows follow the package's numbering of the intersection cells)
    bcodes <- fast2$prep$boot_codes
    expect_identical(nrow(unique(cbind(bcodes, g12))), max(g12))   # the same partition
    slow2 <- slow_wild(df$y, cbind(df$x, df$z, 1), 1L, 0, Vi, bcodes,
                       list(df$g, df$yr, g12), fac, D = dummies(df$g))
    expect_equal(fast2$tb, slow2$tb, tolerance = 1e-10)
  }
})

# ---- Stata boottest's published output ----------------------------------------
# boottest's own test log ("unit tests.log" in the boottest repository) prints
# these results on Stata's nlsw88 (the same 2,246 rows as the fixture), with 999
# random draws from Stata's generator: t statistics are deterministic and must
# agree to the printed digits; p-values only within Monte Carlo error.
nlsw <- function() utils::read.csv(test_path("fixtures", "nlsw88.csv"), comment.char = "#")
mc_ok <- function(p_ours, p_stata, B = 999) abs(p_ours - p_stata) < 4 * sqrt(p_ours * (1 - p_ours) / B) + 1e-3

test_that("boottest: regress wage tenure ttl_exp collgrad, cluster(industry)", {
  d <- nlsw()
  fit <- fe_reg(wage ~ tenure + ttl_exp + collgrad, d, cluster = ~industry)
  expect_message(wb <- wild_boot(fit, "tenure", B = 9999), "full enumeration")
  expect_equal(round(wb$statistic, 4), 1.0772)               # t(11) = 1.0772
  expect_true(mc_ok(wb$p.value, 0.2843))                     # Prob>|t| = 0.2843 (999 draws)
  # our enumeration is exact: 1190 of the 4,096 draws exceed |t| strictly (the
  # two exact ties, v = +1 and v = -1, do not); an independent R
  # implementation (research notes, enumerated, bisection) found the same set
  expect_equal(wb$p.value, 1190 / 4096)
  expect_equal(wb$p[["equal-tailed"]], 1190 / 4096)
  expect_equal(wb$conf.int, c(-0.03728987, 0.16208384), tolerance = 1e-7)
  expect_message(wb2 <- wild_boot(fit, "collgrad", B = 9999), "enumeration")
  expect_equal(wb2$p.value, 40 / 4096)
  expect_equal(wb2$conf.int, c(1.40854395, 5.25013328), tolerance = 1e-8)
})

test_that("boottest: two-way clustering, bootcluster(industry)", {
  d <- nlsw()
  # regress wage ttl_exp collgrad tenure, cluster(industry)
  # boottest tenure, cluster(industry age) bootcluster(industry): t(11) = 1.0951, p = 0.2663
  fit <- fe_reg(wage ~ ttl_exp + collgrad + tenure, d, cluster = ~industry + age,
                ssc = exr_ssc(G_df = "conventional"))
  expect_message(wb <- wild_boot(fit, "tenure", bootcluster = ~industry), "enumeration")
  expect_equal(round(wb$statistic, 4), 1.0951)
  expect_true(mc_ok(wb$p.value, 0.2663))
})

test_that("boottest: areg with analytic weights, absorbed industry, cluster(age occupation)", {
  d <- nlsw()
  d <- d[!is.na(d$occupation), ]
  # areg wage ttl_exp collgrad tenure [aw=hours] if occupation<., cluster(age) absorb(industry)
  # boottest tenure, cluster(age occupation) bootcluster(occupation): t(12) = 0.4874, p = 0.6266
  fit <- fe_reg(wage ~ ttl_exp + collgrad + tenure | industry, d, cluster = ~age + occupation,
                weights = "hours", ssc = exr_ssc(G_df = "conventional"))
  expect_message(wb <- wild_boot(fit, "tenure", bootcluster = ~occupation), "enumeration")
  expect_equal(round(wb$statistic, 4), 0.4874)
  expect_true(mc_ok(wb$p.value, 0.6266))
})

test_that("boottest: areg with absorbed industry, 1,217 clusters, 9,999 draws", {
  skip_under_valgrind()
  d <- nlsw()
  d <- d[stats::complete.cases(d[, c("wage", "tenure", "ttl_exp", "collgrad", "industry")]), ]
  d$id <- seq_len(nrow(d)) - ifelse(seq_len(nrow(d)) > 1000, 1000, 0)
  # areg wage tenure ttl_exp collgrad, cluster(id) a(industry); boottest tenure, reps(9999):
  # t(1216) = 0.7606, p = 0.4456, CI [-.02785, .06359]
  fit <- fe_reg(wage ~ tenure + ttl_exp + collgrad | industry, d, cluster = ~id,
                ssc = exr_ssc(K_fixef = "full"))
  set.seed(20)
  wb <- wild_boot(fit, "tenure", B = 9999)
  expect_equal(round(wb$statistic, 4), 0.7606)
  expect_true(mc_ok(wb$p.value, 0.4456, 9999))
  # (over 12 seeds our bounds ranged over [-0.0286, -0.0275] and [0.0631, 0.0645])
  expect_equal(wb$conf.int, c(-0.02785, 0.06359), tolerance = 0.05)
})

# Stata's abdata is plm::EmplUK: n = log(emp), w = log(wage), k = log(capital),
# ys = log(output), ind = sector, id = firm. Each firm-year is one row, so
# bootstrapping by the intersection of id and year bootstraps by observation.
abdata <- function() {
  data("EmplUK", package = "plm", envir = environment())
  data.frame(n = log(EmplUK$emp), w = log(EmplUK$wage), k = log(EmplUK$capital),
             ys = log(EmplUK$output), ind = EmplUK$sector, id = EmplUK$firm, year = EmplUK$year)
}

test_that("abdata, two-way clustering, bootstrap by observation: equal to the slow re-estimation at r != 0", {
  skip_under_valgrind()
  skip_if_no_reference("plm")
  e <- abdata()
  ssc <- exr_ssc(G_df = "conventional", K_fixef = "full")
  n <- nrow(e)
  g12 <- as.integer(factor(paste(e$id, e$year)))
  G <- c(length(unique(e$id)), length(unique(e$year)), max(g12))
  expect_identical(G[3], n)
  fac <- (n - 1) / (n - 2 - length(unique(e$ind))) * G / (G - 1) * c(1, 1, -1)
  set.seed(23)
  V <- rademacher(n, 30)
  for (wt in list(NULL, "ys")) {
    fit <- fe_reg(n ~ w + k | ind, e, cluster = ~id + year, ssc = ssc, weights = wt,
                  fixef_tol = 1e-13)
    # at 0 and at the bounds boottest printed for this model (see the next test)
    for (r in c(0, 0.844, 0.8847)) {
      fast <- fast_wild(fit, "k", V, r = r, bootcluster = ~id + year, data = e)
      slow <- slow_wild(e$n, cbind(e$w, e$k, 1), 2L, r, V, fast$prep$boot_codes,
                        list(e$id, e$year, g12), fac, w = if (is.null(wt)) NULL else e[[wt]],
                        D = dummies(e$ind))
      expect_identical(is.na(fast$tb), is.na(slow$tb))
      expect_equal(fast$tb, slow$tb, tolerance = 1e-10)
      expect_equal(fast$t, slow$t, tolerance = 1e-10)
    }
  }
})

test_that("boottest: areg n w k, absorb(ind), two-way clustering by id and year (abdata)", {
  skip_under_valgrind()
  skip_if_no_reference("plm")
  e <- abdata()
  ssc <- exr_ssc(G_df = "conventional", K_fixef = "full")
  # areg n w k [aw=ys], absorb(ind); boottest k, cluster(id year) (bootcluster(id year)
  # assumed), 999 draws. Unweighted: t(8) = 28.5012, p = 0.0010, 34 infeasible draws,
  # CI [.844, .8847]; [aw=ys]: t(8) = 28.4248, p = 0.0000, 31 infeasible, [.8449, .8833].
  cases <- list(list(wt = NULL, t = 28.5012, infeasible = 34, ci = c(0.844, 0.8847)),
                list(wt = "ys", t = 28.4248, infeasible = 31, ci = c(0.8449, 0.8833)))
  for (cs in cases) {
    fit <- fe_reg(n ~ w + k | ind, e, cluster = ~id + year, ssc = ssc, weights = cs$wt)
    set.seed(21)
    wb <- suppressWarnings(wild_boot(fit, "k", B = 999, bootcluster = ~id + year))
    expect_equal(round(wb$statistic, 4), cs$t)
    expect_lt(wb$p.value, 0.01)
    # a non-positive two-way variance in about 3.5% of the draws, as in boottest
    expect_true(mc_ok(1 - wb$B_feasible / 999, cs$infeasible / 999))
    expect_true(wb$conf.int[1] < cs$ci[1] - 0.03 && wb$conf.int[2] > cs$ci[2] + 0.03)
    # the p-value function of 9,999 draws (Monte Carlo error about 0.002 at 5%)
    prep <- exportres:::wb_prepare(fit, "k", TRUE, NULL, ~id + year, e, environment(), 1e-10, 1L)
    set.seed(22)
    dr <- .Call(exportres:::C_wildboot_draws, prep$setup, 0L, 9999L, NULL, 1L, 1L)
    est <- prep$estimate
    se <- sqrt(prep$setup$se2)
    p_at <- function(r) .Call(exportres:::C_wildboot_pvalues, dr, est, se, as.double(r), 0L)$p[, 1]
    # boottest's interval is not a 95% interval: at its bounds the bootstrap
    # p-value (checked against the slow re-estimation above) is about 0.58
    expect_true(all(p_at(cs$ci) > 0.3))
    # boottest 4.0-4.3, bootstrapping by observation, kept the bootstrap
    # variances of its first evaluation (r = 0) while it moved r to invert the
    # test: numerators at r over variances at 0 put 5% at boottest's bounds,
    # within the Monte Carlo error of boottest's 999 draws (0.007 at 5%)
    p_frozen <- function(r) vapply(r, function(rr) {
      ok <- dr$ss00 > 0
      tb <- (dr$num0[ok] - rr * dr$num1[ok]) / sqrt(dr$ss00[ok])
      mean(abs(tb) > abs((est - rr) / se))
    }, 0)
    expect_true(all(abs(p_frozen(cs$ci) - 0.05) < 0.025))
  }
})

test_that("WildBootTests.jl's documented example: PetersenCL, H0: x = 1, p = 0.492", {
  skip_under_valgrind()
  skip_if_no_reference("sandwich")
  data("PetersenCL", package = "sandwich", envir = environment())
  fit <- fe_reg(y ~ x, PetersenCL, cluster = ~firm)
  set.seed(22)
  wb <- wild_boot(fit, "x", r = 1, B = 9999)
  expect_true(mc_ok(wb$p.value, 0.492))                    # 999 draws, Julia's generator
  expect_equal(wb$conf.int, c(0.93461335, 1.1347668), tolerance = 0.01)
})

# ---- properties ------------------------------------------------------------

test_that("reproducible under set.seed, identical for cores = 1 and 2, all weight types", {
  df <- sim_panel(6, n_g = 20)
  fit <- fe_reg(y ~ x + z | yr, df, cluster = ~g)
  for (type in c("rademacher", "webb", "mammen", "norm")) {
    set.seed(3); a <- wild_boot(fit, "x", B = 499, type = type, cores = 1)
    set.seed(3); b <- wild_boot(fit, "x", B = 499, type = type, cores = 2)
    expect_identical(a$t_boot, b$t_boot)
    expect_identical(a$conf.int, b$conf.int)
    expect_gt(stats::sd(a$t_boot), 0)
  }
  set.seed(4); c1 <- wild_boot(fit, "x", B = 499)
  set.seed(5); c2 <- wild_boot(fit, "x", B = 499)
  expect_false(identical(c1$t_boot, c2$t_boot))
})

test_that("the draws follow R's generator: Rademacher from runif, normal from rnorm", {
  df <- sim_panel(7, n_g = 15)
  fit <- fe_reg(y ~ x, df, cluster = ~g)
  set.seed(8)
  wb <- wild_boot(fit, "x", B = 120, conf_int = FALSE)
  set.seed(8)
  V <- matrix(ifelse(stats::runif(15 * 120) < 0.5, -1, 1), 15, 120)
  expect_equal(wb$t_boot, fast_wild(fit, "x", V, data = df)$tb, tolerance = 1e-12)
  set.seed(9)
  wn <- wild_boot(fit, "x", B = 120, type = "norm", conf_int = FALSE)
  set.seed(9)
  Vn <- matrix(stats::rnorm(15 * 120), 15, 120)
  expect_equal(wn$t_boot, fast_wild(fit, "x", Vn, data = df)$tb, tolerance = 1e-12)
})

test_that("p-values: the four types, the interval contains the estimate and inverts the test", {
  df <- sim_panel(8, n_g = 16)
  fit <- fe_reg(y ~ x + z, df, cluster = ~g)
  set.seed(10)
  wb <- wild_boot(fit, "z", B = 1999)
  tb <- wb$t_boot
  t0 <- wb$statistic
  expect_equal(wb$p[["symmetric"]], mean(abs(tb) > abs(t0)))
  expect_equal(wb$p[["upper"]], mean(tb > t0))
  expect_equal(wb$p[["lower"]], mean(tb < t0))
  expect_equal(wb$p[["equal-tailed"]], 2 * min(mean(tb > t0), mean(tb < t0)))
  ci <- wb$conf.int
  expect_true(ci[1] < wb$estimate && wb$estimate < ci[2])
  # at the bounds the p-value crosses 5%
  set.seed(10); lo_in <- wild_boot(fit, "z", B = 1999, r = ci[1] + 1e-7 * abs(ci[1]), conf_int = FALSE)
  set.seed(10); lo_out <- wild_boot(fit, "z", B = 1999, r = ci[1] - 1e-7 * abs(ci[1]), conf_int = FALSE)
  expect_gt(lo_in$p.value, 0.05)
  expect_lte(lo_out$p.value, 0.05)
  set.seed(10)
  up <- wild_boot(fit, "z", B = 1999, ptype = "upper")
  expect_identical(up$conf.int[2], Inf)
  expect_true(is.finite(up$conf.int[1]) && up$conf.int[1] > ci[1])
  expect_equal(up$p.value, wb$p[["upper"]])
  set.seed(10)
  lo <- wild_boot(fit, "z", B = 1999, ptype = "lower")
  expect_identical(lo$conf.int[1], -Inf)
  expect_true(is.finite(lo$conf.int[2]) && lo$conf.int[2] < ci[2])
  set.seed(10)
  expect_gt(wild_boot(fit, "z", B = 1999, ptype = "upper", conf_int = FALSE,
                      r = up$conf.int[1] + 1e-7 * abs(up$conf.int[1]))$p.value, 0.05)
  # WCU: the bootstrap distribution does not depend on r
  set.seed(10)
  wu <- wild_boot(fit, "z", B = 999, impose_null = FALSE)
  expect_true(wu$conf.int[1] < wu$estimate && wu$estimate < wu$conf.int[2])
})

test_that("simulated truth: WCR rejects a false null and keeps a true one", {
  set.seed(30)
  n_g <- 30
  g <- rep(seq_len(n_g), sample(10:40, n_g, replace = TRUE))
  x <- rnorm(length(g)) + rnorm(n_g)[g]
  df <- data.frame(g = g, x = x, y = 0.5 * x + rnorm(n_g)[g] + rnorm(length(g)))
  fit <- fe_reg(y ~ x, df, cluster = ~g)
  wb <- wild_boot(fit, "x", r = 0.5, B = 999)
  expect_gt(wb$p.value, 0.01)
  expect_true(wb$conf.int[1] < 0.5 && 0.5 < wb$conf.int[2])
  expect_lt(wild_boot(fit, "x", r = 0, B = 999, conf_int = FALSE)$p.value, 0.01)
})

test_that("print, tidy, glance and the reg_table() rows", {
  df <- sim_panel(9, n_g = 14)
  fit <- fe_reg(y ~ x + z | yr, df, cluster = ~g)
  set.seed(1)
  wb <- wild_boot(fit, "x", B = 999)
  expect_output(print(wb), "null imposed")
  expect_output(print(wb), "confidence interval by test inversion")
  td <- tidy(wb)
  expect_identical(names(td), c("term", "estimate", "statistic", "p.value", "conf.low", "conf.high"))
  expect_equal(td$p.value, wb$p.value)
  gl <- glance(wb)
  expect_identical(gl$n_clusters, 14L)
  expect_identical(gl$B, 999L)
  tab <- reg_table(fit, boot = list(wb))
  row <- which(rownames(tab$body) == "x")
  expect_identical(unname(tab$body[row + 2L, 1L]), sprintf("[%.4f]", wb$p.value))
  expect_true(any(grepl("wild cluster bootstrap p-values", tab$notes)))
  tab_ci <- reg_table(fit, fit, boot = list(NULL, wb), boot_show = "ci", se = "none")
  expect_identical(unname(tab_ci$body[row + 1L, 2L]),
                   sprintf("[%.4f, %.4f]", wb$conf.int[1], wb$conf.int[2]))
  expect_identical(unname(tab_ci$body[row + 1L, 1L]), "")
  expect_true(any(grepl("\u91ce\u81ea\u52a9", reg_table(fit, boot = wb, lang = "zh")$notes)))
  expect_error(reg_table(fit, boot = list(wb, wb)), class = "exportres_error")
})

test_that("bad input: classed errors naming the argument", {
  df <- sim_panel(10)
  fit <- fe_reg(y ~ x + z, df, cluster = ~g)
  expect_error(wild_boot(fit, "nope"), class = "exportres_error")
  expect_error(wild_boot(fit, c("x", "z")), class = "exportres_error")
  expect_error(wild_boot(fit, "x", B = 50), class = "exportres_error")
  expect_error(wild_boot(fit, "x", B = 999.5), class = "exportres_error")
  expect_error(wild_boot(fit, "x", type = "gamma"), class = "exportres_error")
  expect_error(wild_boot(fit, "x", r = NA), class = "exportres_error")
  expect_error(wild_boot(fit, "x", level = 1), class = "exportres_error")
  expect_error(wild_boot(lm(y ~ x, df), "x"), class = "exportres_error")
  # one cluster
  df$one <- 1L
  expect_error(wild_boot(fit, "x", cluster = ~one), class = "exportres_error")
  expect_error(wild_boot(fit, "x", bootcluster = ~one), class = "exportres_error")
  # a cluster variable with NA in the rows used
  df$cl_na <- df$g
  df$cl_na[3] <- NA
  expect_error(wild_boot(fit, "x", cluster = ~cl_na, data = df), class = "exportres_error")
  e <- tryCatch(wild_boot(fit, "x", cluster = ~cl_na, data = df), exportres_error = function(e) e)
  expect_identical(e$arg, "cluster")
  # an unclustered fit needs `cluster`
  expect_error(wild_boot(fe_reg(y ~ x, df), "x"), class = "exportres_error")
  # data that do not reproduce the fit
  df2 <- df
  df2$y <- df2$y + df2$x
  expect_error(wild_boot(fit, "x", data = df2), class = "exportres_error")
  expect_error(wild_boot(fit, "x", data = df[-1, ]), class = "exportres_error")
})
