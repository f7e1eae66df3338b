# fe_reg(): hand-worked answers, fixest on its own data, plm's panels,
# reghdfe's singleton rule, properties and bad input.

test_that("one-way fixed effects equal the dummy-variable regression (hand-worked)", {
  df <- data.frame(g = c(1, 1, 2, 2, 3, 3), x = c(1, 2, 3, 5, 2, 6), y = c(2, 3, 7, 10, 3, 9))
  fit <- fe_reg(y ~ x | g, df, vcov = "iid")
  # within: x - mean_g(x) = -.5 .5 -1 1 -2 2 ; y - mean_g(y) = -.5 .5 -1.5 1.5 -3 3
  # b = sum(xd*yd)/sum(xd^2) = (.25+.25+1.5+1.5+6+6)/(.25+.25+1+1+4+4) = 15.5/10.5
  expect_equal(unname(coef(fit)), 15.5 / 10.5, tolerance = 1e-14)
  lmfit <- lm(y ~ x + factor(g), df)
  expect_equal(unname(coef(fit)), unname(coef(lmfit)["x"]), tolerance = 1e-12)
  # iid SE: SSR/(n - K), K = 1 + 3
  expect_equal(unname(fit$se), unname(summary(lmfit)$coefficients["x", 2]), tolerance = 1e-12)
  expect_equal(fit$stats$r.squared, summary(lmfit)$r.squared, tolerance = 1e-12)
  expect_equal(fitted(fit), unname(fitted(lmfit)), tolerance = 1e-12)
})

test_that("no fixed effects: OLS with intercept equals lm, iid and HC1", {
  set.seed(11)
  df <- data.frame(x1 = rnorm(50), x2 = rnorm(50))
  df$y <- 1 + df$x1 - 2 * df$x2 + rnorm(50)
  fit <- fe_reg(y ~ x1 + x2, df)
  lmfit <- lm(y ~ x1 + x2, df)
  expect_equal(fit$vcov_type, "iid")
  expect_equal(coef(fit), coef(lmfit), tolerance = 1e-12)
  expect_equal(vcov(fit), vcov(lmfit), tolerance = 1e-12)
  expect_equal(fit$stats$adj.r.squared, summary(lmfit)$adj.r.squared, tolerance = 1e-12)
  expect_equal(fit$stats$f_stat, unname(summary(lmfit)$fstatistic[1]), tolerance = 1e-10)
  expect_equal(fit$stats$logLik, as.numeric(logLik(lmfit)), tolerance = 1e-12)
  # HC1 by hand: n/(n-k) (X'X)^-1 X' diag(e^2) X (X'X)^-1
  X <- model.matrix(lmfit); e <- resid(lmfit); n <- 50; k <- 3
  B <- solve(crossprod(X))
  hc1 <- B %*% crossprod(X * e) %*% B * n / (n - k)
  expect_equal(unname(vcov(fe_reg(y ~ x1 + x2, df, vcov = "hc1"))), unname(hc1), tolerance = 1e-12)
})

test_that("ill-conditioned designs fall back to QR and stay accurate", {
  set.seed(13)
  df <- data.frame(g = rep(1:20, each = 10), x1 = rnorm(200))
  df$x2 <- df$x1 + 3e-5 * rnorm(200)
  df$y <- df$x1 + df$x2 + rnorm(20)[df$g] + rnorm(200)
  fit <- fe_reg(y ~ x1 + x2 | g, df, vcov = "iid")
  expect_identical(fit$ls_method, "qr")
  expect_identical(fe_reg(y ~ x1 | g, df)$ls_method, "cholesky")
  lmfit <- lm(y ~ x1 + x2 + factor(g), df)
  expect_equal(coef(fit), coef(lmfit)[c("x1", "x2")], tolerance = 1e-7)
  expect_equal(unname(fit$se), unname(summary(lmfit)$coefficients[c("x1", "x2"), 2]), tolerance = 1e-7)
  fit2 <- fe_reg(y ~ x1 + x2, df, vcov = "iid")
  expect_equal(coef(fit2), coef(lm(y ~ x1 + x2, df)), tolerance = 1e-7)
})

test_that("weights give weighted least squares", {
  set.seed(12)
  df <- data.frame(g = rep(1:10, each = 6), x = rnorm(60), w = runif(60, 0.5, 2))
  df$y <- df$x + rnorm(10)[df$g] + rnorm(60)
  fit <- fe_reg(y ~ x | g, df, weights = "w", vcov = "iid")
  lmfit <- lm(y ~ x + factor(g), df, weights = w)
  expect_equal(unname(coef(fit)), unname(coef(lmfit)["x"]), tolerance = 1e-10)
  expect_equal(unname(fit$se), unname(summary(lmfit)$coefficients["x", 2]), tolerance = 1e-10)
  expect_equal(coef(fe_reg(y ~ x | g, df, weights = df$w)), coef(fit))
})

fixest_compare <- function(fml, data, ours_args, fixest_vcov, tol_b = 1e-8, tol_se = 1e-6) {
  w <- if (is.null(ours_args$weights)) NULL else stats::as.formula(paste("~", ours_args$weights))
  ref <- fixest::feols(fml, data, weights = w, fixef.tol = 1e-10, notes = FALSE)
  s <- summary(ref, vcov = fixest_vcov)
  fit <- do.call(fe_reg, c(list(formula = fml, data = data), ours_args))
  expect_equal(nobs(fit), nobs(ref))
  expect_lt(rel_diff(coef(fit), coef(ref)), tol_b)
  expect_lt(rel_diff(fit$se, fixest::se(s)), tol_se)
  expect_equal(fit$df_t, unname(unlist(fixest::degrees_freedom(s, "t"))))
  expect_lt(abs(fit$stats$r.squared - fixest::r2(ref, "r2")), 1e-8)
  if (length(fit$fixef)) expect_lt(abs(fit$stats$within.r.squared - fixest::r2(ref, "wr2")), 1e-8)
  expect_lt(abs(fit$stats$adj.r.squared - fixest::r2(ref, "ar2")), 1e-8)
  invisible(fit)
}

test_that("matches fixest on its trade data (4 fixed effects), all variance types", {
  skip_if_no_reference("fixest")
  skip_under_valgrind()
  data(trade, package = "fixest", envir = environment())
  f <- log(Euros) ~ log(dist_km) | Origin + Destination + Product + Year
  fixest_compare(f, trade, list(vcov = "iid"), "iid")
  fixest_compare(f, trade, list(vcov = "hc1"), "hetero")
  fixest_compare(f, trade, list(vcov = "cluster"), ~Origin)
  fixest_compare(f, trade, list(cluster = ~Product), ~Product)
  fixest_compare(f, trade, list(cluster = ~Origin + Destination), ~Origin + Destination)
  fixest_compare(f, trade, list(cluster = c("Product", "Year")), ~Product + Year)
  f2 <- log(Euros) ~ log(dist_km) | Origin^Product + Destination + Year
  fixest_compare(f2, trade, list(cluster = ~Origin), ~Origin)
})

test_that("matches fixest on plm's Grunfeld and EmplUK panels", {
  skip_if_no_reference("fixest")
  skip_if_no_reference("plm")
  data("Grunfeld", package = "plm", envir = environment())
  f <- inv ~ value + capital | firm + year
  fixest_compare(f, Grunfeld, list(vcov = "cluster"), ~firm)
  fixest_compare(f, Grunfeld, list(vcov = "iid"), "iid")
  fixest_compare(f, Grunfeld, list(vcov = "hc1"), "hetero")
  fixest_compare(f, Grunfeld, list(cluster = ~firm + year), ~firm + year)
  fixest_compare(inv ~ value + capital, Grunfeld, list(vcov = "hc1"), "hetero")
  data("EmplUK", package = "plm", envir = environment())
  fe <- log(emp) ~ log(wage) + log(capital) + log(output) | firm + year
  fixest_compare(fe, EmplUK, list(vcov = "cluster"), ~firm)
  fixest_compare(fe, EmplUK, list(cluster = ~firm + year), ~firm + year)
  # weights and a factor regressor
  EmplUK$w <- EmplUK$output / mean(EmplUK$output)
  fixest_compare(fe, EmplUK, list(weights = "w", cluster = ~firm), ~firm)
  fixest_compare(log(emp) ~ log(wage) + factor(sector) | year, EmplUK, list(cluster = ~firm), ~firm)
  fixest_compare(log(emp) ~ log(wage) * log(capital) | firm + year, EmplUK, list(vcov = "cluster"), ~firm)
  fixest_compare(log(emp) ~ log(wage) + I(log(wage)^2) | firm^sector + year, EmplUK,
                 list(cluster = ~firm), ~firm)
})

test_that("plm's within estimator agrees on the coefficients", {
  skip_if_no_reference("plm")
  data("Grunfeld", package = "plm", envir = environment())
  p <- plm::plm(inv ~ value + capital, Grunfeld, index = c("firm", "year"), model = "within",
                effect = "twoways")
  fit <- fe_reg(inv ~ value + capital | firm + year, Grunfeld)
  expect_lt(rel_diff(coef(fit), coef(p)), 1e-8)
})

test_that("panel lags match fixest's l() and lose the first period", {
  skip_if_no_reference("fixest")
  skip_if_no_reference("plm")
  data("EmplUK", package = "plm", envir = environment())
  ref <- fixest::feols(log(emp) ~ l(log(wage), 1) + d(log(capital)) | firm + year, EmplUK,
                       panel.id = ~firm + year, fixef.tol = 1e-10, notes = FALSE)
  fit <- fe_reg(log(emp) ~ l(log(wage), 1) + d(log(capital)) | firm + year, EmplUK,
                panel = c("firm", "year"))
  expect_equal(nobs(fit), nobs(ref))
  expect_lt(rel_diff(coef(fit), coef(ref)), 1e-8)
  # both defaults are iid (fixest >= 0.13), and clustered they agree too
  expect_lt(rel_diff(fit$se, fixest::se(ref)), 1e-6)
  fit_cl <- fe_reg(log(emp) ~ l(log(wage), 1) + d(log(capital)) | firm + year, EmplUK,
                   panel = c("firm", "year"), cluster = ~firm)
  expect_lt(rel_diff(fit_cl$se, fixest::se(summary(ref, vcov = ~firm))), 1e-6)
  expect_identical(names(coef(fit)), c("l(log(wage), 1)", "d(log(capital))"))
})

test_that("singletons = 'drop' removes them iteratively as reghdfe does", {
  # g1 = 4 has one row; removing it makes h = 9 a singleton, and so on.
  df <- data.frame(g = c(1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 5, 5, 6, 6),
                   h = c(1, 2, 3, 1, 2, 3, 1, 2, 3, 9, 9, 8, 7, 7),
                   x = c(1, 3, 2, 5, 4, 4, 1, 2, 3, 7, 1, 2, 5, 3),
                   y = c(1, 2, 3, 5, 4, 6, 2, 1, 4, 2, 3, 1, 4, 4))
  fit <- fe_reg(y ~ x | g + h, df, vcov = "iid")
  # g = 4 is alone; without it h = 9 is alone (row 11); then g = 5 (row 12); then h = 8 is empty
  expect_equal(fit$n_singletons, 3L)
  # independent rule: iterate until no group of size one remains
  keep <- rep(TRUE, nrow(df))
  repeat {
    s <- keep & (ave(keep, df$g, FUN = sum) == 1 | ave(keep, df$h, FUN = sum) == 1)
    if (!any(s)) break
    keep <- keep & !s
  }
  expect_equal(nobs(fit), sum(keep))
  kept <- fe_reg(y ~ x | g + h, df[keep, ], vcov = "iid")
  expect_equal(coef(fit), coef(kept))
  # dropping is the default (fixest >= 0.14 and reghdfe); "keep" keeps all 14 rows
  expect_equal(nobs(fe_reg(y ~ x | g + h, df, vcov = "iid")), sum(keep))
  expect_equal(nobs(fe_reg(y ~ x | g + h, df, vcov = "iid", singletons = "keep")), 14L)
})

test_that("singletons rule agrees with an independent count on fixest's trade data", {
  skip_if_no_reference("fixest")
  data(trade, package = "fixest", envir = environment())
  tr <- trade[seq(1, nrow(trade), by = 37), ]
  fit <- fe_reg(log(Euros) ~ log(dist_km) | Origin^Product + Destination^Year, tr,
                singletons = "drop")
  a <- paste(tr$Origin, tr$Product); b <- paste(tr$Destination, tr$Year)
  keep <- rep(TRUE, nrow(tr))
  repeat {
    ca <- table(a[keep]); cb <- table(b[keep])
    s <- keep & (ca[a] == 1 | cb[b] == 1)
    s[is.na(s)] <- FALSE
    if (!any(s)) break
    keep <- keep & !s
  }
  expect_equal(nobs(fit), sum(keep))
  expect_equal(fit$n_singletons, sum(!keep))
})

test_that("collinear and absorbed regressors are dropped with a message", {
  set.seed(5)
  df <- data.frame(g = rep(1:8, each = 5), t = rep(1:5, 8), x = rnorm(40))
  df$z <- rep(rnorm(8), each = 5)   # constant within g: absorbed
  df$x2 <- 2 * df$x                 # collinear with x
  df$y <- df$x + rnorm(40)
  expect_message(fit <- fe_reg(y ~ x + z + x2 | g, df), "z, x2")
  expect_identical(names(coef(fit)), "x")
  expect_identical(fit$collinear, c("z", "x2"))
  ref <- fe_reg(y ~ x | g, df)
  expect_equal(coef(fit), coef(ref))
  expect_equal(fit$se, ref$se)
})

test_that("results are aligned with the input rows and NA rows are counted", {
  set.seed(6)
  df <- data.frame(g = rep(1:10, each = 4), x = rnorm(40))
  df$y <- df$x + rnorm(40)
  df$x[c(3, 17)] <- NA
  fit <- fe_reg(y ~ x | g, df)
  expect_equal(nobs(fit), 38L)
  expect_equal(fit$n_dropped, 2L)
  expect_length(fitted(fit), 40L)
  expect_true(all(is.na(residuals(fit)[c(3, 17)])))
  expect_equal((fitted(fit) + residuals(fit))[-c(3, 17)], df$y[-c(3, 17)])
  expect_output(print(fit), "2 dropped for NA")
})

test_that("properties: invariance to rescaling and to row order", {
  set.seed(7)
  df <- data.frame(g = rep(1:15, each = 6), t = rep(1:6, 15), x = rnorm(90), z = rnorm(90))
  df$y <- df$x - df$z + rnorm(15)[df$g] + rnorm(90)
  fit <- fe_reg(y ~ x + z | g + t, df, cluster = ~g)
  df2 <- df; df2$x <- df2$x * 1000
  fit2 <- fe_reg(y ~ x + z | g + t, df2, cluster = ~g)
  expect_equal(coef(fit2)[["x"]] * 1000, coef(fit)[["x"]], tolerance = 1e-10)
  expect_equal(fit2$se[["x"]] * 1000, fit$se[["x"]], tolerance = 1e-10)
  perm <- sample(90)
  fit3 <- fe_reg(y ~ x + z | g + t, df[perm, ], cluster = ~g)
  expect_equal(coef(fit3), coef(fit), tolerance = 1e-10)
  expect_equal(vcov(fit3), vcov(fit), tolerance = 1e-10)
  # confidence intervals use t(G - 1) when clustered
  ci <- confint(fit)
  expect_equal(unname(ci["x", 2] - coef(fit)["x"]), unname(qt(0.975, 14) * fit$se["x"]))
  # tidy/glance
  td <- tidy(fit, conf.int = TRUE)
  expect_identical(td$term, c("x", "z"))
  expect_equal(td$conf.low, unname(ci[, 1]))
  gl <- glance(fit)
  expect_identical(nrow(gl), 1L)
  expect_true(all(c("nobs", "r.squared", "within.r.squared", "adj.r.squared", "f_stat", "f_p",
                    "sigma", "logLik") %in% names(gl)))
})

test_that("cores = 2 gives the same result as cores = 1", {
  set.seed(8)
  n <- 2000
  df <- data.frame(a = sample(200, n, TRUE), b = sample(30, n, TRUE), c = sample(5, n, TRUE),
                   x1 = rnorm(n), x2 = rnorm(n))
  df$y <- df$x1 + df$x2 + rnorm(200)[df$a] + rnorm(n)
  f1 <- fe_reg(y ~ x1 + x2 | a + b + c, df, cores = 1)
  f2 <- fe_reg(y ~ x1 + x2 | a + b + c, df, cores = 2)
  expect_identical(coef(f1), coef(f2))
  expect_true(f1$converged)
})

test_that("bad input raises exportres_error naming the argument", {
  df <- data.frame(id = c(1, 1, 2, 2), t = c(1, 1, 1, 2), x = 1:4, y = c(1, 3, 2, 5),
                   s = letters[1:4], allna = NA_real_)
  expect_error(fe_reg(y ~ l(x) | id, df, panel = c("id", "t")), class = "exportres_error")
  expect_error(exr_panel(df, "id", "t"), class = "exportres_error")
  expect_error(fe_reg(y ~ x | id, df, panel = c("id", "t")), class = "exportres_error")
  expect_error(fe_reg(y ~ nope | id, df), class = "exportres_error")
  expect_error(fe_reg(y ~ x | nope, df), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df[0, ]), class = "exportres_error")
  expect_error(fe_reg(y ~ allna, df), class = "exportres_error")
  expect_error(fe_reg(s ~ x, df), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, weights = c(1, 2)), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, weights = "nope"), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, weights = c(1, -1, 1, 1)), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, vcov = "robustish"), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, cluster = ~nope), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, vcov = "cluster"), class = "exportres_error")
  expect_error(fe_reg("y ~ x", df), class = "exportres_error")
  expect_error(fe_reg(y ~ x, as.matrix(df)), class = "exportres_error")
  expect_error(fe_reg(y ~ x | id | x ~ t, df), class = "exportres_error")
  err <- tryCatch(fe_reg(y ~ x, df, weights = c(1, 2)), error = function(e) e)
  expect_identical(err$arg, "weights")
})

test_that(".Call entry points refuse malformed input instead of crashing", {
  y <- c(1, 2, 3)
  expect_error(.Call(exportres:::C_fe_demean, y, 1:3, list(1:3), NULL, 1e-8, 10L, 1L), "matrix")
  expect_error(.Call(exportres:::C_fe_demean, y, matrix(1, 3, 1), list(c(1L, NA, 2L)), NULL, 1e-8, 10L, 1L),
               "positive")
  expect_error(.Call(exportres:::C_fe_demean, y, matrix(1, 3, 1), list(1:2), NULL, 1e-8, 10L, 1L), "length")
  expect_error(.Call(exportres:::C_fe_demean, 1:3, matrix(1, 3, 1), list(1:3), NULL, 1e-8, 10L, 1L), "double")
  expect_error(.Call(exportres:::C_ols_fit, matrix(1, 3, 1), 1:3, NULL, 1, 1e-10))
  expect_error(.Call(exportres:::C_score_meat, matrix(1, 3, 1), c(1, 2), NULL))
  expect_error(.Call(exportres:::C_score_meat, matrix(1, 3, 1), c(1, 2, 3), c(0L, 1L, 1L)))
})

test_that("fe_solve: fixed-effect normal equations for any right-hand side", {
  set.seed(41)
  n <- 1500
  a <- sample(40, n, TRUE); b <- sample(7, n, TRUE); cc <- sample(5, n, TRUE)
  y <- rnorm(40)[a] + rnorm(7)[b] + rnorm(n)
  # with the group sums of y itself: the fixed-effect fit of lm()
  r <- .Call(exportres:::C_fe_solve, matrix(y), list(a, b), list(a, b), c(40L, 7L), NULL,
             1e-12, 10000L, 1L)
  fit <- r$coef[a, 1] + r$coef[40 + b, 1]
  expect_equal(fit, unname(fitted(lm(y ~ factor(a) + factor(b)))), tolerance = 1e-9)
  # sums taken over other rows (three factors, two columns, weights, a level
  # absent from the regression rows): Z'WZ a = Z_v' v
  nv <- 200
  v <- matrix(runif(2 * nv), nv, 2)
  va <- sample(41, nv, TRUE); vb <- sample(7, nv, TRUE); vc <- sample(5, nv, TRUE)
  v[va == 41, ] <- 0
  w <- runif(n, 0.5, 2)
  r2 <- .Call(exportres:::C_fe_solve, v, list(va, vb, vc), list(a, b, cc), c(41L, 7L, 5L), w,
              1e-13, 10000L, 2L)
  Z <- cbind(outer(a, 1:41, "=="), outer(b, 1:7, "=="), outer(cc, 1:5, "==")) + 0
  Zv <- cbind(outer(va, 1:41, "=="), outer(vb, 1:7, "=="), outer(vc, 1:5, "==")) + 0
  expect_lt(max(abs(crossprod(Z, w * Z) %*% r2$coef - crossprod(Zv, v))), 1e-8)
  expect_true(all(r2$coef[41, ] == 0))
  expect_true(all(r2$iterations > 0))
  # the refactored demeaning gives the same numbers as before (one and two factors)
  X <- matrix(rnorm(n * 2), n, 2)
  d1 <- .Call(exportres:::C_fe_demean, y, X, list(a), NULL, 1e-10, 1000L, 1L)
  expect_equal(d1$y, y - ave(y, a), tolerance = 1e-12)
  expect_error(.Call(exportres:::C_fe_solve, v, list(va), list(a, b), c(41L, 7L), NULL, 1e-8, 10L, 1L))
  expect_error(.Call(exportres:::C_fe_solve, v, list(va, vb), list(a, b), c(3L, 7L), NULL, 1e-8, 10L, 1L))
})
