# The one collinearity rule, on a design and on a cross-product accumulated elsewhere.

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
