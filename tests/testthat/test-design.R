# build_design(): one row selection for every part, the NA report, singletons,
# subsets, non-finite values, and the one collinearity rule.

parse <- function(f) exportres:::parse_fixest_formula(f)

test_that("every part shares one row selection and NAs anywhere drop the row everywhere", {
  df <- data.frame(y = 1:8 + 0.5, x = c(1, NA, 3, 4, 5, 6, 7, 8), e = c(2, 3, 4, NA, 6, 7, 8, 9),
                   z = c(1, 2, 3, 4, 5, 6, NA, 8), s = c(1, 0, 1, 1, 0, 1, 1, 0), w = c(1, 1, 1, 1, 1, 0, 1, 1))
  d <- exportres:::build_design(parse(y ~ x | 0 | e ~ z), df, weights = "w",
                                parts = list(sel = ~ s + x))
  expect_identical(d$keep, c(TRUE, FALSE, TRUE, FALSE, TRUE, FALSE, FALSE, TRUE))
  expect_identical(d$n_na, 3L)
  expect_identical(d$n_zero_weight, 1L)
  expect_equal(nrow(d$X), 4L); expect_equal(nrow(d$endo), 4L); expect_equal(nrow(d$inst), 4L)
  expect_equal(nrow(d$parts$sel), 4L)
  expect_identical(colnames(d$X), c("(Intercept)", "x"))
  expect_identical(colnames(d$endo), "e")
  expect_identical(colnames(d$inst), "z")
  expect_identical(colnames(d$parts$sel), c("(Intercept)", "s", "x"))
  expect_equal(d$y, df$y[d$keep])
  # a subset is not counted as dropped for NA; response = FALSE keeps NA outcomes
  d2 <- exportres:::build_design(parse(y ~ x), df, subset = df$s == 1)
  expect_identical(d2$keep, c(TRUE, FALSE, TRUE, TRUE, FALSE, TRUE, TRUE, FALSE))
  expect_identical(d2$n_na, 0L)
  df$y[1] <- NA
  d3 <- exportres:::build_design(parse(y ~ s), df, response = FALSE)
  expect_true(d3$keep[1])
  expect_error(exportres:::build_design(parse(y ~ x), df, subset = TRUE), class = "exportres_error")
})

test_that("columns = TRUE gives the plain regressors as their columns, else the same matrix", {
  df <- data.frame(y = c(1.5, 2, 3.5, 4, 6, 5.5), x = c(1, NA, 3, 4, 5, 6), z = c(2, 1, 4, 3, 6, 5),
                   f = factor(c("u", "v", "u", "v", "u", "v")), `a b` = 1:6, check.names = FALSE)
  fx <- parse(y ~ x + z)
  fx$intercept <- FALSE
  m <- exportres:::build_design(fx, df)
  cc <- exportres:::build_design(fx, df, columns = TRUE)
  expect_s3_class(cc$X, "exr_columns")
  expect_identical(names(cc$X), colnames(m$X))
  expect_identical(names(cc$X), c("x", "z"))
  expect_identical(attr(cc$X, "assign"), attr(m$X, "assign"))
  # the rows used only (row 2 has a missing x), equal to the matrix's columns
  expect_identical(cc$X[[1L]], unname(m$X[, 1L]))
  expect_identical(cc$X[[2L]], unname(m$X[, 2L]))
  expect_identical(cc$X[[2L]], df$z[-2])
  expect_identical(cc$y, m$y)
  # a transformed column is a plain column too
  fl <- parse(y ~ log(x))
  fl$intercept <- FALSE
  expect_equal(exportres:::build_design(fl, df, columns = TRUE)$X[[1L]], log(df$x[-2]))
  # with an intercept, a factor or a non-syntactic name: the matrix, as without
  ff <- parse(y ~ x + f)
  ff$intercept <- FALSE
  fb <- parse(y ~ x + `a b`)
  fb$intercept <- FALSE
  for (p in list(parse(y ~ x), ff, fb)) {
    expect_identical(exportres:::build_design(p, df, columns = TRUE)$X, exportres:::build_design(p, df)$X)
  }
})

test_that("singletons are dropped by default, kept on request", {
  df <- data.frame(g = c(1, 1, 2, 2, 3), x = c(1, 2, 3, 5, 4), y = c(2, 3, 6, 9, 1))
  d <- exportres:::build_design(parse(y ~ x | g), df)
  expect_identical(d$n_singletons, 1L)
  expect_false(d$keep[5])
  k <- exportres:::build_design(parse(y ~ x | g), df, singletons = "keep")
  expect_identical(k$n_singletons, 0L)
  expect_true(all(k$keep))
})

test_that("fe_reg() with defaults equals feols() with defaults: unbalanced, singletons, NAs, absorbed regressor", {
  skip_if_no_reference("fixest")
  set.seed(3)
  n <- 900
  df <- data.frame(id = sample(1:150, n, TRUE), t = sample(1:9, n, TRUE))
  df <- df[!duplicated(df[c("id", "t")]), ]
  df$x <- rnorm(nrow(df))
  df$z <- rnorm(150)[df$id]          # absorbed by the id effects
  df$w <- rnorm(nrow(df))
  df$y <- df$x + rnorm(150)[df$id] + rnorm(9)[df$t] + rnorm(nrow(df))
  df$x[c(3, 10, 40)] <- NA
  df$y[55] <- NA
  ref <- fixest::feols(y ~ x + z + w | id + t, df, fixef.tol = 1e-10, notes = FALSE)
  expect_message(ours <- fe_reg(y ~ x + z + w | id + t, df), "z")
  expect_gt(ours$n_singletons, 0L)
  expect_identical(nobs(ours), nobs(ref))
  expect_lt(rel_diff(coef(ours), coef(ref)[names(coef(ours))]), 1e-8)
  expect_lt(rel_diff(ours$se, fixest::se(ref)[names(ours$se)]), 1e-6)
  expect_lt(abs(ours$stats$r.squared - fixest::r2(ref, "r2")), 1e-8)
  expect_lt(abs(ours$stats$within.r.squared - fixest::r2(ref, "wr2")), 1e-8)
  expect_identical(ours$vcov_type, "iid")
  # clustered, the same with cluster = ~id
  refc <- summary(ref, vcov = ~id)
  oc <- suppressMessages(fe_reg(y ~ x + z + w | id + t, df, cluster = ~id))
  expect_lt(rel_diff(oc$se, fixest::se(refc)[names(oc$se)]), 1e-6)
  expect_identical(oc$df_t, unname(unlist(fixest::degrees_freedom(refc, "t"))))
})

test_that("infinite values and NaNs are errors naming the variable", {
  df <- data.frame(y = c(1, 2, 3, 4), x = c(1, Inf, 2, 3), g = c(1, 1, 2, 2))
  e <- tryCatch(fe_reg(y ~ x, df), error = function(e) e)
  expect_s3_class(e, "exportres_error")
  expect_match(conditionMessage(e), "'x'")
  df$x[2] <- 1
  df$y[1] <- NaN
  expect_error(fe_reg(y ~ x, df), class = "exportres_error")
  expect_error(fe_reg(y ~ x, df, weights = c(1, Inf, 1, 1)), class = "exportres_error")
})

test_that("drop_collinear keeps the earlier column, in formula order, with one tolerance", {
  set.seed(9)
  X <- cbind(a = rnorm(50), b = rnorm(50))
  X <- cbind(X, c = X[, "a"] - 2 * X[, "b"], d = rnorm(50))
  expect_message(r <- exportres:::drop_collinear(X), "c")
  expect_identical(r$dropped, "c")
  expect_identical(colnames(r$X), c("a", "b", "d"))
  X2 <- X[, c("c", "a", "b", "d")]
  r2 <- exportres:::drop_collinear(X2, what = NULL)
  expect_identical(r2$dropped, "b")
  # a column nearly absorbed: tiny remainder relative to its reference norm
  Z <- cbind(z = rep(1:5, 10) + 1e-8 * rnorm(50))
  dm <- Z - ave(Z[, 1], rep(1:5, 10))
  expect_identical(exportres:::drop_collinear(matrix(dm, dimnames = list(NULL, "z")), scale = sum(Z^2),
                                              what = NULL)$dropped, "z")
})

test_that("data in a declared panel must not repeat (id, time)", {
  df <- data.frame(id = c(1, 1, 2), t = c(1, 1, 1), x = 1:3, y = c(1, 2, 4))
  expect_error(exportres:::build_design(parse(y ~ x), df, panel = c("id", "t")), class = "exportres_error")
  pidx <- exportres:::panel_index(c("b", "a", "b", NA), c(2, 1, 1, 3))
  # units in order of first appearance ("b" then "a"), rows sorted by time within
  expect_identical(pidx$order, c(3L, 1L, 2L))
  expect_identical(pidx$start, c(0L, 2L, 3L))
  expect_identical(pidx$n_groups, 2L)
  expect_identical(pidx$valid, c(TRUE, TRUE, TRUE, FALSE))
})

test_that("drop_collinear_xtx() keeps what drop_collinear() keeps, in formula order", {
  set.seed(7)
  X <- cbind(a = rnorm(50), b = rnorm(50), z = 0, c = rnorm(50))
  X <- cbind(X, d = X[, "a"] - 2 * X[, "c"], e = rnorm(50))
  k1 <- exportres:::drop_collinear(X, what = NULL)$kept
  k2 <- exportres:::drop_collinear_xtx(crossprod(X), what = NULL)
  expect_identical(k2$kept, k1)
  expect_identical(k2$kept, c(TRUE, TRUE, FALSE, TRUE, FALSE, TRUE))
  expect_identical(k2$dropped, c("z", "d"))
  expect_message(exportres:::drop_collinear_xtx(crossprod(X)), "dropped collinear")
  expect_error(.Call(exportres:::C_collinear_keep_xtx, X, NULL, 1e-10), "square")
})

test_that("finite_scan: non-finite count, magnitude, NAs and range in one pass", {
  scan <- function(x) .Call(exportres:::C_finite_scan, x)
  # NA is missing; NaN and Inf are non-finite; the rest give the range
  expect_identical(scan(c(1, NA, -3, NaN, Inf, 2e200, -0.5)), c(2, 2e200, 1, -3, 2e200))
  expect_identical(scan(c(NA_real_, NA)), c(0, 0, 2, Inf, -Inf))
  expect_identical(scan(numeric(0)), c(0, 0, 0, Inf, -Inf))
  expect_identical(scan(c(3L, NA, -7L)), c(0, 7, 1, -7, 3))
  set.seed(4)
  x <- rnorm(1e5)
  x[sample(1e5, 50)] <- NA
  expect_identical(scan(x), c(0, max(abs(x), na.rm = TRUE), 50, min(x, na.rm = TRUE), max(x, na.rm = TRUE)))
})
