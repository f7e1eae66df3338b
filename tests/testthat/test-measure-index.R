# Entropy and PCA indices: hand-worked answers, a plain-R copy of the paper's
# formula, properties, and bad input.

plain_entropy <- function(X, neg = rep(FALSE, ncol(X))) {
  Y <- X
  for (j in seq_len(ncol(X))) {
    r <- max(X[, j]) - min(X[, j])
    Y[, j] <- if (neg[j]) (max(X[, j]) - X[, j]) / r else (X[, j] - min(X[, j])) / r
  }
  q <- sweep(Y, 2, colSums(Y), "/")
  f <- -colSums(ifelse(q > 0, q * log(q), 0)) / log(nrow(X))
  w <- (1 - f) / sum(1 - f)
  list(w = w, idx = unname(drop(Y %*% w)))
}

test_that("entropy weights match a hand-worked 3 x 2 example", {
  # x1 = (1, 2, 3): Y = (0, 1/2, 1), q = (0, 1/3, 2/3)
  # x2 = (1, 1, 4): Y = (0, 0, 1),   q = (0, 0, 1) -> entropy 0, redundancy 1
  x <- cbind(x1 = c(1, 2, 3), x2 = c(1, 1, 4))
  f1 <- -(1 / 3 * log(1 / 3) + 2 / 3 * log(2 / 3)) / log(3)   # 0.57938
  d <- c(1 - f1, 1)
  w <- entropy_weights(x)
  expect_equal(unname(w), d / sum(d), tolerance = 1e-14)
  expect_equal(unname(w[1]), 0.296082, tolerance = 1e-5)
  expect_named(w, c("x1", "x2"))
  idx <- entropy_index(as.data.frame(x), c("x1", "x2"))
  expect_equal(as.vector(idx), c(0, 0.5 * w[[1]], 1), tolerance = 1e-14)
})

test_that("entropy index equals a plain-R copy of the formula, with a negative indicator", {
  set.seed(3)
  X <- cbind(a = rlnorm(200), b = runif(200), c = rnorm(200, 5), d = rexp(200))
  ref <- plain_entropy(X, c(FALSE, FALSE, TRUE, FALSE))
  idx <- entropy_index(as.data.frame(X), colnames(X), negative = "c")
  expect_equal(attr(idx, "weights"), ref$w, tolerance = 1e-12)
  expect_equal(as.vector(idx), ref$idx, tolerance = 1e-12)
  expect_equal(entropy_weights(X, negative = c(FALSE, FALSE, TRUE, FALSE)), ref$w,
               tolerance = 1e-12)
})

test_that("weights sum to 1, are unchanged by positive affine rescaling, pooled index in [0, 1]", {
  set.seed(4)
  df <- data.frame(a = rlnorm(100), b = rgamma(100, 2), c = runif(100))
  w <- entropy_weights(df)
  expect_equal(sum(w), 1, tolerance = 1e-14)
  df2 <- transform(df, a = 3 + 7 * a, c = 0.01 * c - 5)
  expect_equal(entropy_weights(df2), w, tolerance = 1e-12)
  idx <- entropy_index(df, names(df))
  expect_true(all(idx >= 0 & idx <= 1))
  expect_equal(range(entropy_index(data.frame(a = 1:5, b = c(2, 4, 6, 8, 10)), c("a", "b"))),
               c(0, 1))
})

test_that("by groups and base period", {
  set.seed(5)
  df <- data.frame(year = rep(2011:2013, each = 30), a = rlnorm(90), b = runif(90))
  df$a <- df$a * (df$year - 2010)
  byy <- entropy_index(df, c("a", "b"), by = "year")
  W <- attr(byy, "weights")
  expect_equal(dim(W), c(3L, 2L))
  for (yr in 2011:2013) {
    r <- plain_entropy(as.matrix(df[df$year == yr, c("a", "b")]))
    expect_equal(W[as.character(yr), ], r$w, tolerance = 1e-12)
    expect_equal(as.vector(byy[df$year == yr]), r$idx, tolerance = 1e-12)
  }
  bs <- entropy_index(df, c("a", "b"), by = "year", base = 2011)
  r <- plain_entropy(as.matrix(df[df$year == 2011, c("a", "b")]))
  expect_equal(attr(bs, "weights"), r$w, tolerance = 1e-12)
  b11 <- df[df$year == 2011, ]
  Y <- cbind((df$a - min(b11$a)) / diff(range(b11$a)), (df$b - min(b11$b)) / diff(range(b11$b)))
  expect_equal(as.vector(bs), drop(Y %*% r$w), tolerance = 1e-12)
  expect_true(max(bs) > 1)     # later years grow past the base maximum
})

test_that("missing values give NA rows; constant indicators get weight 0 with a warning", {
  df <- data.frame(a = c(1, 2, NA, 4, 5), b = c(3, 1, 2, 2, 9), k = 7)
  expect_warning(idx <- entropy_index(df, c("a", "b", "k")), class = "exportres_warning")
  expect_true(is.na(idx[3]))
  expect_equal(attr(idx, "weights")[["k"]], 0)
  ref <- plain_entropy(as.matrix(df[-3, c("a", "b")]))
  expect_equal(as.vector(idx[-3]), ref$idx, tolerance = 1e-12)
  expect_equal(attr(idx, "weights")[c("a", "b")], ref$w, tolerance = 1e-12)
  expect_error(suppressWarnings(entropy_weights(data.frame(a = c(1, 1), b = c(2, 2)))),
               class = "exportres_error")
})

test_that("pca_index: Kaiser rule, variance-share weights, [0, 1], rises with the indicators", {
  set.seed(6)
  f <- rnorm(300); g <- rnorm(300)
  df <- data.frame(a = f + rnorm(300, sd = .3), b = f + rnorm(300, sd = .4),
                   c = g + rnorm(300, sd = .3), d = g + rnorm(300, sd = .4), e = rnorm(300))
  idx <- pca_index(df, names(df))
  ev <- eigen(cor(df), symmetric = TRUE)
  expect_equal(attr(idx, "eigenvalues"), ev$values, tolerance = 1e-10)
  K <- sum(ev$values > 1)
  expect_equal(ncol(attr(idx, "loadings")), K)
  V <- ev$vectors[, 1:K, drop = FALSE]
  V <- sweep(V, 2, sign(colSums(V)), "*")
  expect_equal(unname(attr(idx, "loadings")), V, tolerance = 1e-8)
  s <- scale(df) %*% V %*% (ev$values[1:K] / sum(ev$values[1:K]))
  s <- (s - min(s)) / (max(s) - min(s))
  expect_equal(as.vector(idx), as.vector(s), tolerance = 1e-8)
  expect_equal(range(idx), c(0, 1))
  expect_gt(cor(idx, rowSums(scale(df))), 0)
  df$a[2] <- NA
  expect_true(is.na(pca_index(df, names(df))[2]))
})

test_that("bad input -> exportres_error", {
  df <- data.frame(a = 1:5, b = c(2, 3, 1, 5, 4), s = letters[1:5], n = NA_real_)
  expect_error(entropy_index(df, c("a", "s")), class = "exportres_error")
  expect_error(entropy_index(df, c("a", "n")), class = "exportres_error")
  expect_error(entropy_index(df, c("a", "zz")), class = "exportres_error")
  expect_error(entropy_index(list(a = 1), "a"), class = "exportres_error")
  expect_error(entropy_index(df, c("a", "b"), negative = "zz"), class = "exportres_error")
  expect_error(entropy_index(df, c("a", "b"), base = 1), class = "exportres_error")
  expect_error(entropy_index(df, c("a", "b"), by = "a", base = 99), class = "exportres_error")
  expect_error(entropy_weights(df[, c("a", "s")]), class = "exportres_error")
  expect_error(pca_index(df, c("a", "s")), class = "exportres_error")
  expect_error(pca_index(df, c("a", "n")), class = "exportres_error")
  expect_error(pca_index(transform(df, k = 1), c("a", "k")), class = "exportres_error")
  expect_error(pca_index(df, "a"), class = "exportres_error")
})

test_that("a bad .Call never crashes the session", {
  expect_error(.Call(exportres:::C_entropy_index_c, list(1:3), 1L, 1L, 0L, 0L))
  expect_error(.Call(exportres:::C_entropy_index_c, list(c(1, 2)), 1L, 1L, 0L, 0L))
  expect_error(.Call(exportres:::C_entropy_index_c, list(), integer(0), 1L, integer(0), 0L))
  expect_error(.Call(exportres:::C_entropy_index_c, list(c(1, 2)), c(1L, 1L), 1L, 0L, 5L))
  expect_error(.Call(exportres:::C_pca_index_c, list(c(1, 2, 3), c(1, 1, 1)), 1))
  expect_error(.Call(exportres:::C_pca_index_c, "a", 1))
})
