# The variance engine on (bread, scores): hand-worked meat, sandwich and fixest
# on scores that are not least-squares scores, multi-way clustering, the
# small-sample conventions and their presets.

test_that("the cluster meat is the sum of outer products of cluster score sums (hand-worked)", {
  S <- matrix(c(1, 2, 3, 4, 5, 6), 3, 2)
  cl <- c(1L, 2L, 1L)
  # cluster 1: rows 1 and 3 -> (4, 10); cluster 2: row 2 -> (2, 5)
  meat <- .Call(exportres:::C_score_meat, S, NULL, cl)
  expect_equal(meat, outer(c(4, 10), c(4, 10)) + outer(c(2, 5), c(2, 5)))
  # factored scores X * u give the same
  X <- matrix(c(1, 1, 1, 2, 2.5, 2), 3, 2); u <- c(1, 2, 3)
  expect_equal(.Call(exportres:::C_score_meat, X, u, cl), .Call(exportres:::C_score_meat, X * u, NULL, cl))
  # no cluster: one per row
  expect_equal(.Call(exportres:::C_score_meat, S, NULL, NULL), crossprod(S))
})

test_that("cross-products skip columns that are zero over a block of rows, with the same result", {
  # columns zero over long runs of rows (as att_gt's influence functions and
  # dummies are), others dense; weighted and unweighted, with and without a
  # response, against R's crossprod: the skipped products are exact zeros
  set.seed(5)
  n <- 9000
  X <- matrix(rnorm(n * 6), n, 6)
  X[1:4000, 2] <- 0
  X[2500:n, 3] <- 0
  X[, 4] <- 0
  X[c(1:1500, 7000:n), 5] <- 0
  X[4500, 4] <- 2.5   # one non-zero value in an otherwise zero column
  u <- runif(n, 0.5, 2)
  expect_equal(.Call(exportres:::C_score_meat, X, NULL, NULL), crossprod(X), tolerance = 1e-13)
  expect_equal(.Call(exportres:::C_score_meat, X, u, NULL), crossprod(X * u), tolerance = 1e-13)
  # a column that is zero everywhere gives zero rows and columns, not NaN
  Z <- cbind(X[, 1], 0, X[, 5])
  M <- .Call(exportres:::C_score_meat, Z, NULL, NULL)
  expect_identical(M[2, ], c(0, 0, 0))
  expect_equal(M, crossprod(Z), tolerance = 1e-13)
  # the weighted least-squares normal equations (X'WX, X'Wy) through lm.wfit
  y <- drop(X %*% c(1, -1, 0.5, 2, 0.3, 0)) + rnorm(n)
  Xf <- cbind(1, X[, -6])
  fit <- .Call(exportres:::C_ols_fit, Xf, y, u, NULL, 1e-10)
  expect_equal(fit$coefficients, unname(stats::lm.wfit(Xf, y, u)$coefficients), tolerance = 1e-10)
})

probit_glm <- function() {
  set.seed(71)
  n <- 600
  d <- data.frame(x = rnorm(n), z = rnorm(n), a = sample(1:25, n, TRUE), b = sample(1:12, n, TRUE))
  d$y <- as.numeric(0.3 + 0.7 * d$x - 0.4 * d$z + rnorm(25)[d$a] * 0.5 + rnorm(n) > 0)
  g <- glm(y ~ x + z, binomial("probit"), d, control = glm.control(epsilon = 1e-14))
  list(d = d, g = g, bread = summary(g)$cov.unscaled, n = n, k = 3L)
}

test_that("equals sandwich::vcovHC and vcovCL on a probit's scores", {
  skip_if_no_reference("sandwich")
  P <- probit_glm()
  S <- sandwich::estfun(P$g)
  ours <- exportres:::vcov_engine(P$bread, S, "hc1", n = P$n, K = P$k)
  expect_lt(rel_diff(ours$vcov, sandwich::vcovHC(P$g, type = "HC1")), 1e-8)
  ours0 <- exportres:::vcov_engine(P$bread, S, "hc1", n = P$n, K = P$k, ssc = exr_ssc(K_adj = FALSE))
  expect_lt(rel_diff(ours0$vcov, sandwich::vcovHC(P$g, type = "HC0")), 1e-8)
  cl <- list(a = P$d$a)
  ours_cl <- exportres:::vcov_engine(P$bread, S, "cluster", cl, n = P$n, K = P$k)
  expect_lt(rel_diff(ours_cl$vcov, sandwich::vcovCL(P$g, cluster = P$d$a, type = "HC1")), 1e-8)
  expect_identical(ours_cl$df_t, 24)
  expect_identical(unname(ours_cl$n_clusters), 25L)
  # two-way, each term with its own G/(G-1) (sandwich's multiway rule), no PSD fix needed here
  cl2 <- list(a = P$d$a, b = P$d$b)
  ours_2 <- exportres:::vcov_engine(P$bread, S, "cluster", cl2, n = P$n, K = P$k,
                                    ssc = exr_ssc(G_df = "conventional"))
  ref_2 <- sandwich::vcovCL(P$g, cluster = P$d[c("a", "b")], type = "HC1", multi0 = FALSE)
  expect_lt(rel_diff(ours_2$vcov, ref_2), 1e-8)
  expect_identical(ours_2$df_t, 11)
})

test_that("equals fixest on a feglm probit (its scores and bread), one- and two-way", {
  skip_if_no_reference("fixest")
  P <- probit_glm()
  fx <- fixest::feglm(y ~ x + z, P$d, family = binomial("probit"), glm.tol = 1e-12)
  bread <- unclass(fixest:::vcov.fixest(fx, vcov = "iid", ssc = fixest::ssc(K.adj = FALSE)))
  attributes(bread) <- attributes(bread)[c("dim", "dimnames")]
  S <- fx$scores
  for (cl in list(~a, ~a + b)) {
    ref <- unclass(vcov(fx, vcov = cl))
    codes <- lapply(all.vars(cl), function(v) P$d[[v]])
    names(codes) <- all.vars(cl)
    ours <- exportres:::vcov_engine(bread, S, "cluster", codes, n = P$n, K = P$k)
    expect_lt(rel_diff(ours$vcov, matrix(ref, 3, 3)), 1e-8)
  }
  ours_hc <- exportres:::vcov_engine(bread, S, "hc1", n = P$n, K = P$k)
  expect_lt(rel_diff(ours_hc$vcov, matrix(unclass(vcov(fx, vcov = "hetero")), 3, 3)), 1e-8)
})

test_that("clustering on an interaction a^b equals fixest (it is not two-way)", {
  skip_if_no_reference("fixest")
  data(trade, package = "fixest", envir = environment())
  f <- log(Euros) ~ log(dist_km) | Origin + Destination + Product + Year
  ours <- fe_reg(f, trade, cluster = ~Origin^Product)
  ref <- fixest::feols(f, trade, cluster = ~Origin^Product, fixef.tol = 1e-10, notes = FALSE)
  expect_lt(rel_diff(ours$se, fixest::se(ref)), 1e-6)
  expect_identical(ours$cluster, "Origin^Product")
  expect_identical(ours$df_t, unname(unlist(fixest::degrees_freedom(ref, "t"))))
  two <- fe_reg(f, trade, cluster = ~Origin + Product)
  expect_gt(abs(two$se - ours$se), 1e-3)
})

test_that("small-sample conventions equal fixest's ssc() settings", {
  skip_if_no_reference("fixest")
  skip_if_no_reference("plm")
  data("Grunfeld", package = "plm", envir = environment())
  f <- inv ~ value + capital | firm + year
  ref <- fixest::feols(f, Grunfeld, fixef.tol = 1e-10)
  cases <- list(
    list(exr_ssc(G_df = "conventional"), fixest::ssc(G.df = "conventional"), ~firm + year),
    list(exr_ssc(K_fixef = "full"), fixest::ssc(K.fixef = "full"), ~firm),
    list(exr_ssc(K_fixef = "none"), fixest::ssc(K.fixef = "none"), ~firm),
    list(exr_ssc(G_adj = FALSE), fixest::ssc(G.adj = FALSE), ~firm),
    list(exr_ssc(K_adj = FALSE), fixest::ssc(K.adj = FALSE), ~firm),
    list(exr_ssc(t_df = "conventional"), fixest::ssc(t.df = "conventional"), ~firm)
  )
  for (cs in cases) {
    ours <- fe_reg(f, Grunfeld, cluster = cs[[3]], ssc = cs[[1]])
    s <- summary(ref, vcov = cs[[3]], ssc = cs[[2]])
    expect_lt(rel_diff(ours$se, fixest::se(s)), 1e-8)
    expect_equal(ours$df_t, unname(unlist(fixest::degrees_freedom(s, "t"))))
  }
})

test_that("the ivreg2 preset: no small-sample factors and z tests", {
  skip_if_no_reference("sandwich")
  set.seed(72)
  d <- data.frame(x = rnorm(200), g = sample(1:20, 200, TRUE))
  d$y <- 1 + d$x + rnorm(200)
  l <- lm(y ~ x, d)
  fit <- fe_reg(y ~ x, d, cluster = ~g, ssc = "ivreg2")
  expect_lt(rel_diff(vcov(fit), sandwich::vcovCL(l, cluster = d$g, type = "HC0", cadjust = FALSE)), 1e-10)
  expect_identical(fit$df_t, Inf)
  iid <- fe_reg(y ~ x, d, vcov = "iid", ssc = "ivreg2")
  expect_equal(vcov(iid), vcov(l) * (200 - 2) / 200, tolerance = 1e-12)
  expect_s3_class(exr_ssc(preset = "ivreg2"), "exr_ssc")
  expect_output(print(exr_ssc()), "K_fixef")
})

test_that("multi-way clustering: three ways by inclusion-exclusion, PSD by eigenvalue fix", {
  skip_if_no_reference("fixest")
  data(trade, package = "fixest", envir = environment())
  f <- log(Euros) ~ log(dist_km) | Origin + Destination
  ours <- fe_reg(f, trade, cluster = ~Origin + Destination + Product)
  ref <- fixest::feols(f, trade, cluster = ~Origin + Destination + Product, fixef.tol = 1e-10)
  expect_lt(rel_diff(ours$se, fixest::se(ref)), 1e-6)
  V <- matrix(c(1, 2, 2, 1), 2)
  expect_gte(min(eigen(exportres:::fix_psd(V))$values), -1e-12)
})

test_that("bad input to the engine and the conventions", {
  expect_error(exr_ssc(K_fixef = "some"), class = "exportres_error")
  expect_error(exr_ssc(K_adj = NA), class = "exportres_error")
  expect_error(exr_ssc(preset = "stata9"), class = "exportres_error")
  df <- data.frame(y = rnorm(10), x = rnorm(10), g = 1)
  expect_error(fe_reg(y ~ x, df, cluster = ~g), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, ssc = 3), class = "exportres_error")
  expect_error(exportres:::vcov_engine(diag(2), matrix(1, 3, 2), "hc1", n = 3, K = 3),
               class = "exportres_error")
})

test_that("score_meat equals crossprod of the (cluster sums of the) scores, across row blocks", {
  # enough rows for several of exr_crossprod's cache blocks, few and many
  # columns, with and without u, one cluster per row and clusters
  set.seed(4)
  for (k in c(1L, 3L, 20L)) {
    n <- 7001L
    X <- matrix(rnorm(n * k), n, k)
    u <- rnorm(n)
    cl <- sample.int(250L, n, replace = TRUE)
    S <- X * u
    expect_equal(.Call(exportres:::C_score_meat, X, u, NULL), crossprod(S), tolerance = 1e-13)
    expect_equal(.Call(exportres:::C_score_meat, X, NULL, NULL), crossprod(X), tolerance = 1e-13)
    expect_equal(.Call(exportres:::C_score_meat, X, u, cl), crossprod(rowsum(S, cl)),
                 tolerance = 1e-13)
    expect_equal(.Call(exportres:::C_score_meat, S, NULL, cl), crossprod(rowsum(S, cl)),
                 tolerance = 1e-13)
  }
})
