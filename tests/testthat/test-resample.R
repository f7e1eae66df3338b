# The resampling machinery (src/resample.c): draws in R's RNG, and least squares
# with fixed effects re-estimated for many weight vectors.
rs <- function(...) exportres:::resample_fe_ls(...)

# a small unbalanced two-way panel with a few missing rows
make_panel <- function(G = 30, Tn = 6, seed = 1) {
  set.seed(seed)
  d <- expand.grid(year = seq_len(Tn), firm = seq_len(G))
  d <- d[-sample(nrow(d), 12), ]
  n <- nrow(d)
  d$x <- rnorm(n) + rnorm(G)[d$firm]
  d$z <- rnorm(n)
  d$m <- 0.5 * d$x + rnorm(n)
  d$y <- 0.4 * d$x + 0.3 * d$m - 0.2 * d$z + rnorm(G)[d$firm] + rnorm(Tn)[d$year] + rnorm(n)
  d
}

test_that("cluster counts are boot's ordinary resamples, drawn in R's RNG", {
  set.seed(11)
  cnt <- exportres:::draw_cluster_counts(7L, 5L)
  set.seed(11)
  idx <- sample.int(7L, 7L * 5L, replace = TRUE)
  dim(idx) <- c(5L, 7L)          # boot's ordinary.array(): R x n
  hand <- vapply(1:5, function(b) tabulate(idx[b, ], nbins = 7L), integer(7))
  expect_identical(cnt, hand)
  expect_true(all(colSums(cnt) == 7L))
  set.seed(12)
  expect_false(identical(exportres:::draw_cluster_counts(7L, 5L), cnt))
})

test_that("permutations keep every stratum's labels", {
  lab <- c(1L, 1L, 2L, 2L, 2L, 1L, 2L, 1L)
  st <- c(1L, 1L, 1L, 1L, 2L, 2L, 2L, 2L)
  set.seed(3)
  pm <- exportres:::draw_permutations(lab, st, 200L)
  for (b in seq_len(ncol(pm))) {
    expect_identical(sort(pm[st == 1L, b]), sort(lab[st == 1L]))
    expect_identical(sort(pm[st == 2L, b]), sort(lab[st == 2L]))
  }
  # every arrangement of stratum 1 (6 distinct) appears
  keys <- apply(pm[st == 1L, ], 2L, paste, collapse = "")
  expect_identical(length(unique(keys)), 6L)
  set.seed(3)
  expect_identical(exportres:::draw_permutations(lab, st, 200L), pm)
  expect_error(exportres:::draw_permutations(lab, c(0L, st[-1]), 2L), class = "exportres_error")
  expect_error(exportres:::draw_cluster_counts(0L, 2L), class = "exportres_error")
})

test_that("a count-weighted fit equals the fit on the data with clusters duplicated", {
  d <- make_panel()
  Z <- cbind(y = d$y, m = d$m, x = d$x, z = d$z)
  fe <- list(d$firm, d$year)
  set.seed(5)
  cnt <- exportres:::draw_cluster_counts(30L, 3L)
  eqs <- list(list(y = "m", x = c("x", "z")), list(y = "y", x = c("x", "m", "z")))
  exact <- rs(Z, fe, NULL, d$firm, cnt, eqs)
  iter <- rs(Z, fe, NULL, d$firm, cnt, eqs, small_max = 0)
  expect_true(all(exact$iterations == 0L))     # the exact small-factor path
  expect_true(all(iter$iterations > 0L))       # warm-started demeaning
  for (b in 1:3) {
    ids <- rep(seq_len(30L), cnt[, b])
    dup <- do.call(rbind, lapply(seq_along(ids), function(k) {
      s <- d[d$firm == ids[k], ]
      s$copy <- k                                  # each copy its own cluster
      s
    }))
    f1 <- fe_reg(m ~ x + z | copy + year, dup)
    f2 <- fe_reg(y ~ x + m + z | firm + year, dup)  # copies sharing their fixed effect
    ref <- c(coef(f1), coef(f2))
    expect_equal(unname(exact$coef[b, ]), unname(ref), tolerance = 1e-10)
    expect_equal(unname(iter$coef[b, ]), unname(ref), tolerance = 1e-8)
  }
})

test_that("0/1 group weights equal fits on the subsets; threads do not change results", {
  d <- make_panel(G = 40, seed = 2)
  Z <- cbind(y = d$y, x = d$x, z = d$z)
  set.seed(8)
  lab <- exportres:::draw_permutations(rep(1:2, length.out = nrow(d)), NULL, 4L)
  eqs <- list(list(y = "y", x = c("x", "z")))
  r1 <- rs(Z, list(d$firm, d$year), NULL, seq_len(nrow(d)), lab, eqs, ngroups = 2L, cores = 1L)
  r2 <- rs(Z, list(d$firm, d$year), NULL, seq_len(nrow(d)), lab, eqs, ngroups = 2L, cores = 2L)
  expect_identical(r1, r2)
  for (b in 1:4) for (k in 1:2) {
    s <- d[lab[, b] == k, ]
    ref <- coef(fe_reg(y ~ x + z | firm + year, s))
    expect_equal(unname(r1$coef[(b - 1) * 2 + k, ]), unname(ref), tolerance = 1e-10)
  }
  # three fixed effects (two small), weights, no fixed effects at all
  d$w <- runif(nrow(d), 0.5, 2)
  d$q <- rep(1:3, length.out = nrow(d))
  one <- matrix(1L, 40L, 1L)
  r3 <- rs(Z, list(d$firm, d$year, d$q), d$w, d$firm, one, eqs)
  expect_equal(unname(r3$coef[1, ]),
               unname(coef(fe_reg(y ~ x + z | firm + year + q, d, weights = "w"))), tolerance = 1e-10)
  # the largest fixed effect need not come first
  r5 <- rs(Z, list(d$q, d$year, d$firm), d$w, d$firm, one, eqs)
  expect_equal(r5$coef, r3$coef, tolerance = 1e-10)
  Z1 <- cbind(Z, `(Intercept)` = 1)
  r4 <- rs(Z1, list(), NULL, d$firm, one, list(list(y = "y", x = c("(Intercept)", "x", "z"))))
  expect_equal(unname(r4$coef[1, ]), unname(coef(lm(y ~ x + z, d))), tolerance = 1e-10)
})

test_that("collinear or empty draws are flagged, and bad calls are classed errors", {
  d <- make_panel(G = 10, seed = 4)
  Z <- cbind(y = d$y, x = d$x, x2 = 2 * d$x)
  one <- matrix(1L, 10L, 1L)
  r <- rs(Z, list(d$firm), NULL, d$firm, one, list(list(y = "y", x = c("x", "x2"))))
  expect_identical(r$status, 1L)
  expect_true(all(is.na(r$coef)))
  zero <- matrix(0L, 10L, 1L)
  expect_identical(rs(Z, list(d$firm), NULL, d$firm, zero, list(list(y = "y", x = "x")))$status, 2L)
  C <- exportres:::C_resample_fe_ls
  ctrl <- c(1e-10, 100, 1, 1e-10, 200)
  eq <- c(0L, 1L, 1L)
  expect_identical(.Call(C, Z, list(d$firm), NULL, d$firm, one, 0L, eq, ctrl, 0L)$status, 0L)
  expect_error(.Call(C, Z, list(d$firm), -d$y, d$firm, one, 0L, eq, ctrl, 0L), class = "exportres_error")
  expect_error(.Call(C, Z, list(d$firm), NULL, d$firm + 1L, one, 0L, eq, ctrl, 0L),
               class = "exportres_error")
  expect_error(.Call(C, Z, list(d$firm), NULL, d$firm, one, 0L, c(0L, 5L, 1L), ctrl, 0L),
               class = "exportres_error")
  expect_error(.Call(C, Z, list(d$firm), NULL, d$firm, one, 0L, eq, ctrl[1:3], 0L), "ctrl")
  expect_error(.Call(C, Z, list(d$firm), NULL, d$firm, -one, 0L, eq, ctrl, 0L),
               class = "exportres_error")
  expect_error(.Call(C, "Z", list(d$firm), NULL, d$firm, one, 0L, eq, ctrl, 0L),
               class = "exportres_error")
})

test_that("bootstrap intervals follow boot.ci's order statistics", {
  t <- c(5, 1, 4, 2, 3, 9, 7, 8, 6)
  # (R + 1) * alpha = 10 * 0.1 = 1: the smallest; 10 * 0.9 = 9: the largest
  expect_identical(exportres:::boot_quantiles(t, c(0.1, 0.9)), c(1, 9))
  # 10 * 0.25 = 2.5: between the 2nd and 3rd on the normal-quantile scale
  z <- qnorm(c(0.25, 2 / 10, 3 / 10))
  expect_equal(exportres:::boot_quantiles(t, 0.25), 2 + (z[1] - z[2]) / (z[3] - z[2]))
  skip_if_no_reference("boot")
  set.seed(9)
  b <- boot::boot(rnorm(30), function(x, i) mean(x[i]), R = 499)
  expect_equal(exportres:::boot_ci_percentile(b$t[, 1], 0.9),
               boot::boot.ci(b, conf = 0.9, type = "perc")$percent[4:5])
  L0 <- c(1, -1, rep(0, 28))                      # zero acceleration: BCa = BC
  expect_equal(exportres:::boot_ci_bc(b$t[, 1], b$t0, 0.9),
               boot::boot.ci(b, conf = 0.9, type = "bca", L = L0)$bca[4:5])
})
