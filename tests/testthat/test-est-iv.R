# iv_reg(): 2SLS against fixest (coefficients, SEs, fitstat), ivreg2's published
# diagnostics (Card, Mroz, Arellano-Bond data), the cragg package, an
# independent dense implementation of the Kleibergen-Paap rank statistic,
# hand-worked cases, simulated truth and bad input.

iv_sim <- function(n_g = 40, n_t = 8, seed = 1, k_endo = 1) {
  set.seed(seed)
  n <- n_g * n_t
  d <- data.frame(g = rep(seq_len(n_g), each = n_t), t = rep(seq_len(n_t), n_g))
  d$z1 <- rnorm(n); d$z2 <- rnorm(n); d$z3 <- rnorm(n); d$x <- rnorm(n)
  a <- rnorm(n_g)[d$g]
  v1 <- rnorm(n); v2 <- rnorm(n)
  d$d1 <- 0.7 * d$z1 + 0.3 * d$z2 + 0.2 * d$x + a + v1
  d$d2 <- 0.2 * d$z1 + 0.6 * d$z3 + 0.5 * d$z2 + a + v2
  d$y <- 0.5 * d$d1 + (if (k_endo > 1) -0.4 * d$d2 else 0) + 0.3 * d$x + a + 0.2 * d$t +
    0.8 * v1 + 0.5 * v2 + rnorm(n)
  d
}

test_that("hand-worked: just-identified 2SLS is the Wald/IV ratio", {
  d <- iv_sim()
  fit <- iv_reg(y ~ 1 | 0 | d1 ~ z1, d)
  z <- d$z1 - mean(d$z1)
  expect_equal(unname(coef(fit)["d1"]), sum(z * d$y) / sum(z * d$d1), tolerance = 1e-12)
  expect_identical(names(coef(fit)), c("d1", "(Intercept)"))
  # with fixed effects: the ratio of the within-transformed covariances
  fit <- iv_reg(y ~ 1 | g | d1 ~ z1, d)
  wz <- d$z1 - ave(d$z1, d$g)
  expect_equal(unname(coef(fit)), sum(wz * d$y) / sum(wz * d$d1), tolerance = 1e-12)
  # the first stage is the regression of d1 on the instrument within g
  expect_s3_class(fit$first$d1, "exr_fe")
  expect_equal(unname(coef(fit$first$d1)), unname(coef(fe_reg(d1 ~ z1 | g, d))), tolerance = 1e-12)
})

test_that("equal to fixest::feols IV with fixed effects, iid / hc1 / one- and two-way clusters", {
  skip_if_no_reference("fixest")
  skip_if_no_reference("wooldridge")
  data("card", package = "wooldridge", envir = environment())
  card$region <- with(card, reg661 + 2 * reg662 + 3 * reg663 + 4 * reg664 + 5 * reg665 +
                        6 * reg666 + 7 * reg667 + 8 * reg668 + 9 * reg669)
  card$cl <- card$region * 10 + card$smsa66
  f <- lwage ~ exper + expersq + black + south | region | educ ~ nearc2 + nearc4
  for (spec in list(list(v = "iid"), list(v = "hc1", fv = "hetero"), list(v = "cluster", cl = ~cl),
                    list(v = "cluster", cl = ~cl + age))) {
    ours <- iv_reg(f, card, vcov = if (is.null(spec$cl)) spec$v else NULL, cluster = spec$cl)
    ref <- if (is.null(spec$cl)) {
      fixest::feols(f, card, vcov = if (spec$v == "iid") "iid" else "hetero", fixef.tol = 1e-10)
    } else {
      suppressWarnings(fixest::feols(f, card, cluster = spec$cl, fixef.tol = 1e-10))
    }
    bref <- stats::setNames(coef(ref), sub("^fit_", "", names(coef(ref))))
    sref <- stats::setNames(fixest::se(ref), names(bref))
    expect_lt(rel_diff(coef(ours)[names(bref)], bref), 1e-8)
    expect_lt(rel_diff(ours$se[names(sref)], sref), 1e-6)
    fs <- fixest::fitstat(ref, c("ivwald", "ivf", "cd", "wh"))
    expect_lt(rel_diff(glance(ours)$first_F, fs$ivwald1$stat), 1e-6)
    # with one endogenous regressor the Cragg-Donald F is the iid first-stage F
    expect_lt(rel_diff(ours$stats$cd_F, fs$ivf1$stat), 1e-6)
    # fixest's cd: the same canonical correlation, with N - K1 - L1 - 1 for N - L
    n <- nobs(ours)
    L <- 4 + 2 + 9       # exog, instruments, region effects (nine, the constant among them)
    expect_lt(rel_diff(ours$stats$cd_F * (n - 1 - 2 - 1) / (n - L), fs$cd), 1e-6)
    # one endogenous regressor: the KP rk Wald F is the first-stage F (one-way clusters)
    if (length(spec$cl[[2]]) < 2L) expect_lt(rel_diff(ours$stats$kp_F, ours$stats$first_F), 1e-8)
    if (spec$v == "iid") expect_lt(rel_diff(ours$stats$dwh, fs$wh$stat), 1e-6)
  }
})

test_that("equal to fixest with weights and with two endogenous regressors", {
  skip_if_no_reference("fixest")
  d <- iv_sim(k_endo = 2)
  d$w <- runif(nrow(d), 0.5, 2)
  f <- y ~ x | g + t | d1 + d2 ~ z1 + z2 + z3
  ours <- iv_reg(f, d, weights = "w", cluster = ~g)
  ref <- fixest::feols(f, d, weights = ~w, cluster = ~g, fixef.tol = 1e-10)
  bref <- stats::setNames(coef(ref), sub("^fit_", "", names(coef(ref))))
  expect_lt(rel_diff(coef(ours)[names(bref)], bref), 1e-8)
  expect_lt(rel_diff(ours$se[names(bref)], unname(fixest::se(ref))), 1e-6)
  wald <- fixest::fitstat(ref, "ivwald")
  expect_lt(rel_diff(ours$first_stage$F, c(wald[[1]]$stat, wald[[2]]$stat)), 1e-6)
})

test_that("ivreg2's published diagnostics: Card (1995), just- and over-identified", {
  skip_if_no_reference("wooldridge")
  data("card", package = "wooldridge", envir = environment())
  # Stata: ivreg2 lwage exper expersq black south (educ = nearc4 [nearc2]), first [robust];
  # e() values at full precision. Identification statistics do not involve y and
  # reproduce to machine precision; Sargan and J involve lwage, which Stata stores
  # as float, so they agree to about 1e-6.
  ji <- lwage ~ exper + expersq + black + south | 0 | educ ~ nearc4
  oi <- lwage ~ exper + expersq + black + south | 0 | educ ~ nearc2 + nearc4
  a <- iv_reg(ji, card)
  expect_lt(rel_diff(a$stats$kp_LM, 34.85824659887334), 1e-8)        # Anderson LM
  expect_lt(rel_diff(a$stats$cd_F, 35.19636422812735), 1e-8)
  expect_lt(rel_diff(unname(coef(a)["educ"]), .2213902429585039), 1e-6)
  expect_lt(rel_diff(unname(a$se["educ"]) * sqrt((3010 - 6) / 3010), .0408605467085464), 1e-6)
  a <- iv_reg(ji, card, vcov = "hc1")
  expect_lt(rel_diff(a$stats$kp_LM, 36.29487536068563), 1e-8)
  expect_lt(rel_diff(a$stats$kp_F, 36.95573706485129), 1e-8)
  expect_lt(rel_diff(a$stats$kp_LM_p, 1.69609260939e-09), 1e-6)
  expect_null(a$stats$hansen)
  b <- iv_reg(oi, card)
  expect_lt(rel_diff(b$stats$kp_LM, 38.94717794124797), 1e-8)
  expect_lt(rel_diff(b$stats$cd_F, 19.68298484786327), 1e-8)
  expect_lt(rel_diff(b$stats$sargan, 1.85880380002939), 1e-5)
  expect_lt(rel_diff(b$stats$sargan_p, .17276292238585), 1e-5)
  b <- iv_reg(oi, card, vcov = "hc1")
  expect_lt(rel_diff(b$stats$kp_LM, 40.07919463212782), 1e-8)
  expect_lt(rel_diff(b$stats$kp_LM_p, 1.98113224244e-09), 1e-6)
  expect_lt(rel_diff(b$stats$kp_F, 20.42000777158254), 1e-8)
  expect_lt(rel_diff(b$stats$hansen, 1.864712064638993), 1e-5)
  expect_lt(rel_diff(b$stats$hansen_p, .1720819441017082), 1e-5)
  stata_b <- c(educ = .2403153190327482, exper = .1517070463803998, expersq = -.0024098637244484,
               black = -.0182843040098444, south = -.0807446140166484, `(Intercept)` = 1.998076542659363)
  # coefficients involve Stata's float lwage: educ to 2e-7, the small ones to 2e-6
  expect_lt(rel_diff(coef(b)["educ"], stata_b["educ"]), 1e-6)
  expect_lt(rel_diff(coef(b)[names(stata_b)], stata_b), 1e-5)
  expect_identical(b$stats$n_instruments, 2L)
  expect_identical(nrow(b$weak_id$stock_yogo), 4L)
})

test_that("ivreg2's published diagnostics: Mroz (iid, robust) and Arellano-Bond (clustered)", {
  skip_if_no_reference("wooldridge")
  skip_if_no_reference("plm")
  data("mroz", package = "wooldridge", envir = environment())
  m <- mroz[!is.na(mroz$lwage), ]
  f <- lwage ~ exper + expersq | 0 | educ ~ age + kidslt6 + kidsge6
  a <- iv_reg(f, m)
  expect_lt(rel_diff(a$stats$kp_LM, 12.81582310684222), 1e-8)
  expect_lt(rel_diff(a$stats$cd_F, 4.342070862428497), 1e-8)
  expect_lt(rel_diff(a$stats$sargan, .7015124317084478), 1e-5)
  a <- iv_reg(f, m, vcov = "hc1")
  expect_lt(rel_diff(a$stats$kp_LM, 11.23055884485077), 1e-8)
  expect_lt(rel_diff(a$stats$kp_F, 5.021219248782474), 1e-8)
  expect_lt(rel_diff(a$stats$hansen, .5138487725388226), 1e-5)
  # ivreg2 n (w k ys = d.w d.k d.ys d2.w d2.k d2.ys), cluster(id): Stata's abdata
  # stores the levels as floats, plm's EmplUK to 4 digits, hence 1e-5
  data("EmplUK", package = "plm", envir = environment())
  e <- EmplUK
  e$n <- log(e$emp); e$w <- log(e$wage); e$k <- log(e$capital); e$ys <- log(e$output)
  b <- iv_reg(n ~ 1 | 0 | w + k + ys ~ d(w) + d(k) + d(ys) + d(d(w)) + d(d(k)) + d(d(ys)), e,
              cluster = ~firm, panel = c("firm", "year"))
  expect_identical(nobs(b), 751L)
  expect_lt(rel_diff(b$stats$kp_LM, 29.78650262720528), 1e-5)
  expect_lt(rel_diff(b$stats$cd_F, 1.635189969309412), 1e-5)
  expect_lt(rel_diff(b$stats$kp_F, 10.72610384764291), 1e-5)
  expect_lt(rel_diff(b$stats$hansen, 7.540198390518064), 1e-5)
  expect_true(is.na(b$stats$first_F) || b$stats$first_F > 0)
  expect_identical(nrow(b$first_stage), 3L)
})

test_that("Cragg-Donald F equals the cragg package (one and two endogenous regressors)", {
  skip_if_no_reference("cragg")
  skip_if_no_reference("wooldridge")
  data("mroz", package = "wooldridge", envir = environment())
  m <- mroz[!is.na(mroz$lwage), ]
  a <- iv_reg(lwage ~ expersq | 0 | educ ~ age + kidslt6 + kidsge6 + huseduc, m)
  r <- cragg::cragg_donald(~expersq, ~educ, ~age + kidslt6 + kidsge6 + huseduc, m)
  expect_lt(rel_diff(a$stats$cd_F, r$cd_stat), 1e-6)
  a <- iv_reg(lwage ~ expersq | 0 | educ + exper ~ age + kidslt6 + kidsge6 + huseduc, m)
  r <- cragg::cragg_donald(~expersq, ~educ + exper, ~age + kidslt6 + kidsge6 + huseduc, m)
  expect_lt(rel_diff(a$stats$cd_F, r$cd_stat), 1e-6)
})

# Kleibergen and Paap (2006), written out from the paper with dense matrices:
# fixed effects as dummies, symmetric square roots (the statistic does not depend
# on the square root chosen), the rank-(K-1) projections of the SVD, and the
# cluster covariance of vec(Theta) built from the clusters' score sums.
kp_direct <- function(Y, Z, W, cl, wald) {
  res <- function(A) A - W %*% qr.solve(W, A)
  Y <- res(Y); Z <- res(Z)
  n <- nrow(Y); k <- ncol(Y); l <- ncol(Z)
  msqrt <- function(M, inv = FALSE) {
    e <- eigen(M, symmetric = TRUE)
    e$vectors %*% diag((if (inv) 1 / sqrt(e$values) else sqrt(e$values)), nrow(M)) %*% t(e$vectors)
  }
  Pi <- solve(crossprod(Z), crossprod(Z, Y))
  Gz <- msqrt(crossprod(Z) / n); Fy <- msqrt(crossprod(Y) / n, inv = TRUE)
  Th <- Gz %*% Pi %*% Fy
  s <- svd(Th, nu = l, nv = k)
  U <- s$u; V <- s$v
  U22 <- U[k:l, k:l, drop = FALSE]; V22 <- V[k:k, k:k, drop = FALSE]
  Aq <- U[, k:l, drop = FALSE] %*% solve(U22) %*% msqrt(U22 %*% t(U22))
  Bq <- msqrt(V22 %*% t(V22)) %*% solve(t(V22)) %*% t(V[, k:k, drop = FALSE])
  lam <- kronecker(Bq, t(Aq)) %*% as.vector(Th)
  e <- if (wald) Y - Z %*% Pi else Y
  sc <- matrix(0, n, k * l)
  for (j in seq_len(k)) sc[, (j - 1) * l + seq_len(l)] <- e[, j] * Z
  S <- crossprod(rowsum(sc, cl)) / n
  # vec(Theta) = (Fy' x Gz (Z'Z/n)^-1) vec(Z'e/n) + ...: its asymptotic covariance
  J <- kronecker(t(Fy), Gz %*% solve(crossprod(Z) / n))
  Vth <- J %*% S %*% t(J)
  M <- kronecker(Bq, t(Aq))
  drop(n * t(lam) %*% solve(M %*% Vth %*% t(M)) %*% lam)
}

test_that("KP rk LM and Wald F: an independent dense implementation, 2 endogenous, FE, clusters", {
  d <- iv_sim(k_endo = 2, seed = 3)
  fit <- iv_reg(y ~ x | g + t | d1 + d2 ~ z1 + z2 + z3, d, cluster = ~g)
  W <- model.matrix(~ x + factor(g) + factor(t), d)
  Y <- as.matrix(d[, c("d1", "d2")]); Z <- as.matrix(d[, c("z1", "z2", "z3")])
  lm_direct <- kp_direct(Y, Z, W, d$g, wald = FALSE)
  wd_direct <- kp_direct(Y, Z, W, d$g, wald = TRUE)
  n <- nrow(d); G <- 40; L <- 1 + 3 + 1          # x, z1-z3, g nested in the cluster (one), ...
  L <- L + 8 - 1                                # ... plus the year effects
  expect_lt(rel_diff(fit$stats$kp_LM, lm_direct), 1e-8)
  expect_lt(rel_diff(fit$stats$kp_F, wd_direct / (n - 1) * (n - L) * (G - 1) / G / 3), 1e-8)
  expect_equal(fit$weak_id$kp_LM_df, 2)
  # Cragg-Donald from the same canonical correlations, all fixed effects counted
  res <- function(A) A - W %*% qr.solve(W, A)
  cc2 <- cancor(res(Y), res(Z), xcenter = FALSE, ycenter = FALSE)$cor^2
  expect_lt(rel_diff(fit$stats$cd_F, min(cc2) / (1 - min(cc2)) * (n - ncol(W) - 3) / 3), 1e-8)
})

test_that("Hansen J with fixed effects and clusters: the two-step GMM criterion", {
  d <- iv_sim(seed = 4)
  fit <- iv_reg(y ~ x | g + t | d1 ~ z1 + z2 + z3, d, cluster = ~g)
  W <- model.matrix(~ factor(g) + factor(t), d)
  res <- function(A) as.matrix(A) - W %*% qr.solve(W, as.matrix(A))
  X <- res(d[, c("d1", "x")]); Z <- res(d[, c("x", "z1", "z2", "z3")]); y <- res(d$y)
  b2 <- solve(crossprod(X, Z %*% solve(crossprod(Z), crossprod(Z, X))),
              crossprod(X, Z %*% solve(crossprod(Z), crossprod(Z, y))))
  u <- drop(y - X %*% b2)
  S <- crossprod(rowsum(u * Z, d$g))
  bg <- solve(t(crossprod(Z, X)) %*% solve(S, crossprod(Z, X)), t(crossprod(Z, X)) %*% solve(S, crossprod(Z, y)))
  g <- crossprod(Z, y - X %*% bg)
  expect_lt(rel_diff(fit$stats$hansen, drop(t(g) %*% solve(S, g))), 1e-8)
  expect_equal(fit$stats$hansen_p, pchisq(fit$stats$hansen, 2, lower.tail = FALSE))
  expect_lt(rel_diff(unname(coef(fit)[c("d1", "x")]), drop(b2)), 1e-8)
})

test_that("l() lags in every part equal precomputed lags; print and glance", {
  d <- iv_sim(seed = 5)
  d <- d[order(d$g, d$t), ]
  lagv <- function(v) ave(v, d$g, FUN = function(s) c(NA, s[-length(s)]))
  d$lz1 <- lagv(d$z1); d$lx <- lagv(d$x); d$ld1 <- lagv(d$d1)
  a <- iv_reg(y ~ l(x, 1) | g + t | l(d1, 1) ~ l(z1, 1) + z2, d, panel = c("g", "t"))
  b <- iv_reg(y ~ lx | g + t | ld1 ~ lz1 + z2, d)
  expect_equal(unname(coef(a)), unname(coef(b)), tolerance = 1e-12)
  expect_identical(names(coef(a)), c("l(d1, 1)", "l(x, 1)"))
  expect_output(print(a), "Cragg-Donald")
  # diagnostics = FALSE: the same fit, the expensive robust diagnostics left out
  q <- iv_reg(y ~ l(x, 1) | g + t | l(d1, 1) ~ l(z1, 1) + z2, d, panel = c("g", "t"), cluster = ~g,
              diagnostics = FALSE)
  r <- iv_reg(y ~ l(x, 1) | g + t | l(d1, 1) ~ l(z1, 1) + z2, d, panel = c("g", "t"), cluster = ~g)
  expect_identical(coef(q), coef(r))
  expect_identical(q$vcov, r$vcov)
  expect_identical(q$stats$first_F, r$stats$first_F)
  expect_identical(q$stats$cd_F, r$stats$cd_F)
  expect_true(is.na(q$stats$kp_F) && is.na(q$stats$dwh) && is.null(q$stats$hansen))
  expect_output(print(q), "diagnostics = FALSE")
  gl <- glance(a)
  expect_true(all(c("first_F", "cd_F", "kp_F", "kp_LM", "kp_LM_p", "sargan", "sargan_p", "dwh",
                    "dwh_p", "n_instruments") %in% names(gl)))
  tab <- reg_table(a$first[[1]], a, stats = c("nobs", "first_F", "cd_F", "kp_F"))
  expect_equal(as.numeric(tab$body["First-stage F", 1]), a$stats$first_F, tolerance = 1e-3)
})

test_that("simulated truth: 2SLS recovers the effect that OLS misses", {
  set.seed(11)
  n <- 20000
  z <- rnorm(n); v <- rnorm(n); x <- rnorm(n)
  dd <- 0.5 * z + v + 0.3 * x
  y <- 1 + 0.8 * dd + 0.5 * x + 0.9 * v + rnorm(n)
  df <- data.frame(y, dd, z, x)
  fit <- iv_reg(y ~ x | 0 | dd ~ z, df, vcov = "hc1")
  expect_lt(abs(coef(fit)["dd"] - 0.8), 4 * fit$se["dd"])
  ols <- fe_reg(y ~ dd + x, df)
  expect_gt(abs(coef(ols)["dd"] - 0.8), 10 * ols$se["dd"])
  expect_lt(fit$stats$dwh_p, 1e-6)           # endogeneity detected
})

test_that("the shipped Stock-Yogo table equals the cragg package's transcription", {
  skip_if_no_reference("cragg")
  sy <- utils::read.csv(system.file("extdata", "stock_yogo.csv", package = "exportres"),
                        comment.char = "#")
  ns <- asNamespace("cragg")
  chk <- function(tab, kind, cols, pcts) {
    for (i in seq_along(cols)) {
      ours <- sy[sy$kind == kind & sy$pct == pcts[i], ]
      key <- paste(ours$K1, ours$L1)
      ref <- tab[[cols[i]]][match(key, paste(tab$N, tab$K))]
      ok <- !(kind == "ivbias" && pcts[i] == 5 & ours$K1 == 1 & ours$L1 == 24) # 21.41 vs cragg's 21.42
      expect_false(anyNA(ref[ok]))
      expect_equal(ours$crit[ok], ref[ok])
    }
  }
  chk(get("sy_bias", ns), "ivbias", c("B0.05", "B0.1", "B0.2", "B0.3"), c(5, 10, 20, 30))
  chk(get("sy_size", ns), "ivsize", c("B0.1", "B0.15", "B0.2", "B0.25"), c(10, 15, 20, 25))
  expect_identical(nrow(sy), 560L)
})

test_that("bad input: classed errors and warnings", {
  d <- iv_sim(k_endo = 2)
  d$zg <- rnorm(40)[d$g]                     # constant within g: absorbed by the g effects
  d$zx <- 2 * d$x                            # collinear with the exogenous regressor
  expect_error(iv_reg(y ~ x | g | d1 + d2 ~ z1, d), class = "exportres_error")
  expect_error(iv_reg(y ~ x + d1 | g | d1 ~ z1, d), class = "exportres_error")
  expect_error(iv_reg(y ~ x | g | d1 ~ d1 + z1, d), class = "exportres_error")
  expect_error(iv_reg(y ~ x | g | d1 ~ zg, d), class = "exportres_error")
  expect_error(iv_reg(y ~ x | g | d1 ~ zx, d), class = "exportres_error")
  expect_warning(fit <- iv_reg(y ~ x | g | d1 ~ z1 + zg, d), class = "exportres_warning")
  expect_identical(fit$instruments, "z1")
  expect_error(iv_reg(y ~ x | g, d), class = "exportres_error")
  expect_error(iv_reg(y ~ x | g | d1 ~ z1, d, vcov = "robust"), class = "exportres_error")
  d$dg <- rnorm(40)[d$g]
  expect_error(iv_reg(y ~ x | g | dg ~ z1, d), class = "exportres_error")
  expect_error(fe_reg(y ~ x | g | d1 ~ z1, d), class = "exportres_error")
})
