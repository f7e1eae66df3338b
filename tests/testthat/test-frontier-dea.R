# dea(), malmquist() and the simplex underneath them.

lp <- exportres:::exr_lp_solve

test_that("the simplex solves small programs with known answers", {
  # max x1 + 2 x2 s.t. x1 + x2 <= 4, x1 + 3 x2 <= 6  ->  (3, 1), value 5
  r <- lp(matrix(c(1, 1, 1, 3), 2), c(4, 6), c(-1, -2), c("<=", "<="))
  expect_equal(r$status, "optimal")
  expect_equal(r$x, c(3, 1), tolerance = 1e-12)
  expect_equal(r$objective, -5, tolerance = 1e-12)
  # equality and >= rows: min x1 + x2 s.t. x1 + 2 x2 = 4, x1 >= 1 -> (1, 1.5)
  r <- lp(matrix(c(1, 1, 2, 0), 2), c(4, 1), c(1, 1), c("=", ">="))
  expect_equal(r$x, c(1, 1.5), tolerance = 1e-12)
  # infeasible: x1 + x2 <= 1 and x1 + x2 >= 3
  r <- lp(matrix(1, 2, 2), c(1, 3), c(1, 1), c("<=", ">="))
  expect_equal(r$status, "infeasible")
  # unbounded: min -x1 s.t. x1 - x2 <= 1
  r <- lp(matrix(c(1, -1), 1), 1, c(-1, 0), "<=")
  expect_equal(r$status, "unbounded")
  # negative right-hand side: x1 - x2 <= -2, min x1 + x2 -> (0, 2)
  r <- lp(matrix(c(1, -1), 1), -2, c(1, 1), "<=")
  expect_equal(r$x, c(0, 2), tolerance = 1e-12)
})

test_that("the simplex does not cycle on Beale's example", {
  # Beale (1955): cycles under Dantzig's rule without an anti-cycling rule.
  A <- rbind(c(1 / 4, -8, -1, 9), c(1 / 2, -12, -1 / 2, 3), c(0, 0, 1, 0))
  r <- lp(A, c(0, 0, 1), c(-3 / 4, 20, -1 / 2, 6), rep("<=", 3))
  expect_equal(r$status, "optimal")
  expect_equal(r$objective, -5 / 4, tolerance = 1e-12)
  expect_equal(r$x, c(1, 0, 1, 0), tolerance = 1e-12)
})

test_that("dea() matches hand-worked one-input one-output efficiencies", {
  x <- c(2, 3, 6, 9, 5)
  y <- c(2, 5, 7, 8, 3)
  crs <- dea(x, y, rts = "crs")
  expect_equal(crs$eff, (y / x) / max(y / x), tolerance = 1e-12)
  vrs <- dea(x, y, rts = "vrs")
  # unit 5 (5, 3) is projected onto the segment between (2, 2) and (3, 5)
  expect_equal(vrs$eff[5], 7 / 15, tolerance = 1e-12)
  l5 <- vrs$lambda[vrs$lambda$dmu == 5, ]
  expect_equal(l5$peer, c(1L, 2L))
  expect_equal(l5$lambda, c(2 / 3, 1 / 3), tolerance = 1e-12)
  expect_equal(vrs$peers[[5]], c(1L, 2L))
  # output orientation, crs: Farrell phi = 1 / input efficiency
  out <- dea(x, y, rts = "crs", orientation = "out")
  expect_equal(out$eff, 1 / crs$eff, tolerance = 1e-12)
  # fdh by enumeration: unit 5 is dominated in output by units 2, 3, 4
  fdh <- dea(x, y, rts = "fdh")
  expect_equal(fdh$eff, c(1, 1, 1, 1, 3 / 5))
  expect_equal(fdh$peers[[5]], 2L)
})

bm_rts <- c(crs = "crs", vrs = "vrs", nirs = "drs", ndrs = "irs", fdh = "fdh")
# Benchmarking reports Inf (input) / -Inf (output) for programs without a
# solution; we report NA with the reason in $status.
bm_eff <- function(e) unname(ifelse(is.finite(e), e, NA))

check_against_benchmarking <- function(X, Y, slack_check = TRUE) {
  for (rts in names(bm_rts)) for (ori in c("in", "out")) {
    ours <- dea(X, Y, rts = rts, orientation = ori, slack = slack_check)
    ref <- Benchmarking::dea(X, Y, RTS = bm_rts[[rts]], ORIENTATION = ori,
                             SLACK = slack_check && rts != "fdh")
    expect_equal(unname(ours$eff), bm_eff(ref$eff), tolerance = 1e-6,
                 label = paste(rts, ori, "eff"))
    expect_true(all(ours$status == "optimal"))
    sup <- dea(X, Y, rts = rts, orientation = ori, super = TRUE)
    sref <- bm_eff(Benchmarking::sdea(X, Y, RTS = bm_rts[[rts]], ORIENTATION = ori)$eff)
    expect_identical(is.na(unname(sup$eff)), is.na(sref), label = paste(rts, ori, "super NA"))
    expect_equal(unname(sup$eff), sref, tolerance = 1e-6, label = paste(rts, ori, "super"))
    expect_true(all(sup$status[is.na(sup$eff)] %in% c("infeasible", "unbounded")))
    if (slack_check) {
      if (rts == "fdh") ref <- Benchmarking::slack(X, Y, ref)
      # compare slacks where the maximal-slack optimum is unique, taken as:
      # both solvers found the same peers
      bl <- ref$lambda
      same <- vapply(seq_len(nrow(X)), function(i)
        setequal(which(bl[i, ] > 1e-7), ours$peers[[i]]), logical(1))
      expect_gt(mean(same), 0.9)
      sc <- max(c(X, Y))
      expect_equal(unname(ours$slack_x[same, ]) / sc, unname(ref$sx[same, ]) / sc,
                   tolerance = 1e-6, label = paste(rts, ori, "slack_x"))
      expect_equal(unname(ours$slack_y[same, ]) / sc, unname(ref$sy[same, ]) / sc,
                   tolerance = 1e-6, label = paste(rts, ori, "slack_y"))
    }
  }
}

test_that("dea() equals Benchmarking on charnes1981 and milkProd", {
  skip_if_no_reference("Benchmarking")
  suppressMessages(library(Benchmarking))
  e <- new.env()
  utils::data("charnes1981", "milkProd", package = "Benchmarking", envir = e)
  check_against_benchmarking(as.matrix(e$charnes1981[c("x1", "x2", "x3", "x4", "x5")]),
                             as.matrix(e$charnes1981[c("y1", "y2", "y3")]))
  # milkProd's means exceed 1e4: slacks are summed in units of the means
  check_against_benchmarking(as.matrix(e$milkProd[c("energy", "vet", "cows")]),
                             as.matrix(e$milkProd["milk"]))
})

gen_dmus <- function(n, seed) {
  set.seed(seed)
  x <- matrix(exp(rnorm(n * 4)), n, 4)
  f <- exp(0.3 * rowSums(log(x))) * exp(-abs(rnorm(n)) * 0.3)
  list(x = x, y = cbind(f * runif(n, 0.5, 1.5), f * runif(n, 0.5, 1.5)))
}

test_that("dea() equals Benchmarking on random DMUs", {
  skip_if_no_reference("Benchmarking")
  d <- gen_dmus(150, 7)
  check_against_benchmarking(d$x, d$y)
})

test_that("malmquist() equals Benchmarking::malmq", {
  skip_if_no_reference("Benchmarking")
  set.seed(3)
  np <- 40
  px <- matrix(exp(rnorm(np * 3 * 2)), ncol = 2)
  tt <- rep(1:3, each = np)
  ii <- rep(1:np, 3)
  py <- exp(0.4 * rowSums(log(px)) + 0.05 * tt - abs(rnorm(np * 3)) * 0.3)
  keep <- !(tt == 3 & ii == 5) # an unbalanced panel
  for (rts in c("crs", "vrs")) for (ori in c("in", "out")) {
    ours <- malmquist(px[keep, ], py[keep], ii[keep], tt[keep], rts = rts, orientation = ori)
    for (p in 1:2) {
      r0 <- tt == p & keep
      r1 <- tt == p + 1 & keep
      ref <- suppressWarnings(Benchmarking::malmq(
        px[r0, ], matrix(py[r0]), ii[r0], px[r1, ], matrix(py[r1]), ii[r1],
        RTS = bm_rts[[rts]], ORIENTATION = ori))
      o <- ours[ours$from == p, ]
      expect_equal(o$id, ref$id)
      for (v in c("e00", "e01", "e10", "e11")) {
        expect_equal(o[[v]], bm_eff(ref[[v]]), tolerance = 1e-6)
      }
      ok <- !is.na(o$e01) & !is.na(o$e10)
      for (v in c("m", "tc", "ec")) expect_equal(o[[v]][ok], ref[[v]][ok], tolerance = 1e-6)
    }
  }
})

test_that("efficiencies have the textbook properties", {
  d <- gen_dmus(200, 11)
  crs <- dea(d$x, d$y, rts = "crs")$eff
  vrs <- dea(d$x, d$y, rts = "vrs")$eff
  nirs <- dea(d$x, d$y, rts = "nirs")$eff
  expect_true(all(crs <= vrs + 1e-10))
  expect_true(all(crs <= nirs + 1e-10) && all(nirs <= vrs + 1e-10))
  expect_true(all(crs > 0 & crs <= 1) && all(vrs > 0 & vrs <= 1))
  expect_true(all(dea(d$x, d$y, rts = "vrs", orientation = "out")$eff >= 1))
  # units of an input do not matter
  x2 <- d$x
  x2[, 2] <- x2[, 2] * 1e6
  expect_equal(dea(x2, d$y, rts = "vrs")$eff, vrs, tolerance = 1e-9)
  expect_equal(dea(d$x, d$y * 1e-4, rts = "crs")$eff, crs, tolerance = 1e-9)
  # a frontier unit scores 1: the best output/input ratio (crs), and each
  # unit that is its own peer
  expect_equal(dea(d$x[, 1], d$y[, 1], rts = "crs")$eff[which.max(d$y[, 1] / d$x[, 1])], 1)
  e <- dea(d$x, d$y, rts = "vrs")
  own <- which(vapply(seq_along(e$peers), function(i) identical(e$peers[[i]], i), logical(1)))
  expect_true(length(own) > 0)
  expect_equal(unname(e$eff[own]), rep(1, length(own)))
  # super-efficiency equals efficiency for inefficient units, exceeds 1 otherwise
  s <- dea(d$x, d$y, rts = "crs", super = TRUE)$eff
  expect_equal(s[crs < 1], crs[crs < 1], tolerance = 1e-9)
  expect_true(all(s[crs == 1] >= 1))
})

test_that("per-group frontiers equal separate runs; cores do not change results", {
  d <- gen_dmus(120, 5)
  g <- rep(c(2012, 2011, 2013), 40)
  e <- dea(d$x, d$y, rts = "vrs", by = g, slack = TRUE)
  for (v in unique(g)) {
    i <- which(g == v)
    s <- dea(d$x[i, ], d$y[i, ], rts = "vrs", slack = TRUE)
    expect_equal(e$eff[i], s$eff)
    expect_equal(unname(e$slack_x[i, ]), unname(s$slack_x))
    expect_true(all(e$lambda$peer[e$lambda$dmu %in% i] %in% i))
  }
  df <- data.frame(d$x, d$y, year = g)
  e2 <- dea(df[c("X1", "X2", "X3", "X4")], df[c("X1.1", "X2.1")], rts = "vrs", by = df$year)
  expect_equal(e2$eff, e$eff)
  d <- gen_dmus(300, 9)
  for (sup in c(FALSE, TRUE)) {
    a <- dea(d$x, d$y, rts = "vrs", slack = !sup, super = sup, cores = 1)
    b <- dea(d$x, d$y, rts = "vrs", slack = !sup, super = sup, cores = 2)
    expect_identical(a[c("eff", "status", "lambda", "slack_x", "slack_y")],
                     b[c("eff", "status", "lambda", "slack_x", "slack_y")])
  }
})

test_that("degenerate programs solve without cycling", {
  d <- gen_dmus(60, 2)
  # every unit twice: massively degenerate programs
  X <- rbind(d$x, d$x)
  Y <- rbind(d$y, d$y)
  for (rts in c("crs", "vrs", "nirs", "ndrs")) for (ori in c("in", "out")) {
    a <- dea(X, Y, rts = rts, orientation = ori, slack = TRUE)
    b <- dea(d$x, d$y, rts = rts, orientation = ori, slack = TRUE)
    expect_true(all(a$status == "optimal"))
    expect_equal(a$eff, c(b$eff, b$eff), tolerance = 1e-9)
    expect_equal(a$slack_x, rbind(b$slack_x, b$slack_x), tolerance = 1e-7)
    # duplicates make each other's super-efficiency 1 (or less)
    s <- dea(X, Y, rts = rts, orientation = ori, super = TRUE)
    expect_true(all(s$status == "optimal"))
    expect_equal(s$eff, c(b$eff, b$eff), tolerance = 1e-9)
  }
  # zero inputs and outputs
  X <- d$x
  Y <- d$y
  X[1:5, 1] <- 0
  Y[6:10, 2] <- 0
  Y[11, ] <- 0
  for (rts in c("crs", "vrs")) {
    e <- dea(X, Y, rts = rts, slack = TRUE)
    expect_true(all(e$status == "optimal"))
    expect_true(all(e$eff >= 0 & e$eff <= 1))
    skip_if_no_reference("Benchmarking")
    expect_equal(unname(e$eff), bm_eff(Benchmarking::dea(X, Y, RTS = rts)$eff), tolerance = 1e-6)
  }
  # a unit with no output cannot be expanded radially: unbounded (Benchmarking -Inf)
  o <- dea(X, Y, rts = "vrs", orientation = "out")
  expect_equal(o$status[11], "unbounded")
  expect_true(is.na(o$eff[11]))
  # one unit only
  expect_equal(dea(matrix(1:2, 1), 3, rts = "vrs")$eff, 1)
})

test_that("tie-ridden integer data and extreme scales agree with Benchmarking", {
  skip_if_no_reference("Benchmarking")
  for (seed in 1:4) {
    set.seed(seed)
    n <- 40
    X <- matrix(sample(0:3, n * 3, TRUE), n)
    Y <- matrix(sample(0:3, n * 2, TRUE), n)
    X[rowSums(X) == 0, 1] <- 1
    if (seed %% 2 == 0) {
      X[, 1] <- X[, 1] * 1e9
      Y[, 2] <- Y[, 2] * 1e-6
    }
    for (rts in c("crs", "vrs", "nirs", "ndrs")) for (ori in c("in", "out")) {
      a <- dea(X, Y, rts = rts, orientation = ori, slack = TRUE)
      expect_false(any(a$status == "failed"))
      b <- Benchmarking::dea(X, Y, RTS = bm_rts[[rts]], ORIENTATION = ori)
      expect_equal(unname(a$eff), bm_eff(b$eff), tolerance = 1e-6)
      s <- dea(X, Y, rts = rts, orientation = ori, super = TRUE)
      sb <- suppressWarnings(Benchmarking::sdea(X, Y, RTS = bm_rts[[rts]], ORIENTATION = ori))
      expect_equal(unname(s$eff), bm_eff(sb$eff), tolerance = 1e-6)
    }
  }
})

test_that("bad input raises exportres_error", {
  x <- matrix(c(1, 2, 3, 4), 2)
  y <- c(1, 2)
  expect_error(dea(-x, y), class = "exportres_error")
  expect_error(dea(x, c(1, NA)), class = "exportres_error")
  expect_error(dea(x, c(1, 2, 3)), class = "exportres_error")
  expect_error(dea(data.frame(a = c("a", "b")), y), class = "exportres_error")
  expect_error(dea(x, y, rts = "increasing"), class = "exportres_error")
  expect_error(dea(x, y, orientation = "graph"), class = "exportres_error")
  expect_error(dea(x, y, by = 1:3), class = "exportres_error")
  expect_error(dea(x, y, slack = NA), class = "exportres_error")
  expect_error(dea(x, y, cores = 0), class = "exportres_error")
  expect_error(dea(x, c(1, Inf)), class = "exportres_error")
  expect_error(malmquist(x, y, id = 1:2, time = c(1, 1)), class = "exportres_error")
  expect_error(malmquist(x, y, id = c(1, 1), time = c(1, 1)), class = "exportres_error")
  # the .Call entry points check their arguments too
  expect_error(.Call(exportres:::C_dea_envelopment, x, 1, x, x, 0L, 0L, -1L, 0L, 1, 1L, 0L))
  expect_error(.Call(exportres:::C_exr_lp_dense, x, 1, 1, 0L))
})

test_that("print, summary, plot and glance work", {
  d <- gen_dmus(30, 1)
  e <- dea(d$x, d$y, rts = "vrs", super = TRUE, by = rep(1:2, 15))
  expect_output(print(e), "super-efficiency")
  expect_output(print(summary(e)), "Quantiles")
  expect_output(print(summary(dea(d$x, d$y, slack = TRUE))), "Mean slacks")
  g <- glance(e)
  expect_equal(g$nobs, 30)
  expect_equal(g$n_groups, 2)
  pdf(NULL)
  on.exit(dev.off())
  expect_invisible(plot(e))
  expect_invisible(plot(e, type = "hist"))
})
