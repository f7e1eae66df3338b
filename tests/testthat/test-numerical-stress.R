# Numerical stress (issue 15): ill-conditioned and near-collinear designs,
# variables on scales from 1e-9 to 1e9, a near-singular GMM weighting matrix,
# separated probit data. Each result equals the reference's, or is a clear
# classed error or warning: never a confident wrong answer.

stress_panel <- function(n_id = 60L, n_t = 10L, seed = 1L) {
  set.seed(seed)
  d <- data.frame(id = rep(seq_len(n_id), each = n_t), t = rep(seq_len(n_t), n_id))
  n <- nrow(d)
  d$x1 <- rnorm(n) + rnorm(n_id)[d$id]
  d$x3 <- rnorm(n)
  d$e <- rnorm(n)
  d$y <- d$x1 + d$x3 + rnorm(n_id)[d$id] + rnorm(n)
  d
}

test_that("near-collinear regressors: the same answer as QR least squares, or dropped as fixest drops them", {
  d <- stress_panel()
  for (eps in c(1e-2, 1e-4, 1e-6, 1e-8, 1e-12)) {
    d$x2 <- d$x1 + eps * d$e
    fit <- suppressMessages(fe_reg(y ~ x1 + x2 + x3 | id + t, d))
    b <- coef(fit)
    if ("x2" %in% names(b)) {
      # kept: equal to lm's QR solution up to the conditioning of the problem
      ref <- stats::lm(y ~ x1 + x2 + x3 + factor(id) + factor(t), d)
      X <- stats::model.matrix(ref)
      kap <- kappa(X, exact = TRUE)
      tol <- max(1e-10, kap^2 * 1e-15)
      expect_lt(rel_diff(b[c("x1", "x2", "x3")], coef(ref)[c("x1", "x2", "x3")]), tol,
                label = paste("eps", eps))
      expect_true(all(is.finite(fit$se) & fit$se > 0))
    } else {
      # dropped: said so, and fixest drops it too, with the same remaining fit
      expect_message(fe_reg(y ~ x1 + x2 + x3 | id + t, d), "collinear")
      skip_if_no_reference("fixest")
      ref <- fixest::feols(y ~ x1 + x2 + x3 | id + t, d, notes = FALSE)
      expect_setequal(names(coef(ref)), names(b))
      expect_lt(rel_diff(b, coef(ref)[names(b)]), 1e-8, label = paste("eps", eps))
    }
  }
  # the smallest perturbation is dropped (cond(X'X) about 1e24), the largest kept
  d$x2 <- d$x1 + 1e-12 * d$e
  expect_false("x2" %in% names(suppressMessages(coef(fe_reg(y ~ x1 + x2 + x3 | id + t, d)))))
  d$x2 <- d$x1 + 1e-2 * d$e
  expect_true("x2" %in% names(coef(fe_reg(y ~ x1 + x2 + x3 | id + t, d))))
})

test_that("an ill-conditioned design (condition number 1e9 to 1e11) is solved as accurately as QR, or the column dropped", {
  d <- stress_panel()
  # columns on very different scales and nearly dependent
  kept <- character(0)
  for (eps in c(1e-3, 1e-4, 1e-5)) {
    d$x2 <- 1e6 * (d$x1 + eps * d$e)
    ref <- stats::lm(y ~ x1 + x2 + x3, d)
    kap <- kappa(stats::model.matrix(ref), exact = TRUE)
    expect_gt(kap, 1e8)
    fit <- suppressMessages(fe_reg(y ~ x1 + x2 + x3, d))
    if ("x2" %in% names(coef(fit))) {
      # a backward-stable solve: error of order kappa * machine epsilon
      kept <- c(kept, format(eps))
      tol <- max(1e-10, kap * 1e-14)
      expect_lt(rel_diff(coef(fit), coef(ref)[names(coef(fit))]), tol, label = paste("eps", eps))
      expect_lt(rel_diff(fit$se, sqrt(diag(stats::vcov(ref)))[names(coef(fit))]), tol)
    } else {
      expect_message(fe_reg(y ~ x1 + x2 + x3, d), "collinear")
    }
  }
  # condition numbers up to 1e10 are solved (measured: 9e-12 from lm at 1.4e10,
  # where fixest is 3e-7 off); 1.4e11 is dropped as collinear
  expect_true(all(c("0.001", "1e-04") %in% kept))
})

test_that("variables on scales from 1e-9 to 1e9: the rescaled fixest answer to the last digits", {
  skip_if_no_reference("fixest")
  d <- stress_panel()
  ref <- fixest::feols(y ~ x1 + x3 | id + t, d, cluster = ~id, notes = FALSE)
  d$xb <- d$x1 * 1e9
  d$xs <- d$x3 * 1e-9
  for (sy in c(1e-9, 1, 1e9)) {
    d$ys <- d$y * sy
    fit <- fe_reg(ys ~ xb + xs | id + t, d, cluster = ~id)
    back <- c(1e9, 1e-9) / sy
    expect_lt(rel_diff(coef(fit) * back, coef(ref)), 1e-10)
    expect_lt(rel_diff(fit$se * back, fixest::se(ref)), 1e-10)
  }
  # a column of order 1e-9 is not mistaken for a collinear one (fixest drops it)
  expect_identical(names(coef(fe_reg(y ~ x1 + xs | id + t, d))), c("x1", "xs"))
  # SFA: scaling output by 1e9 shifts only the intercept of the log frontier
  h <- hostile_data()
  a <- sfa(log(q) ~ log(k) + log(l), h)
  h$q <- h$q * 1e9
  b <- sfa(log(q) ~ log(k) + log(l), h)
  expect_equal(coef(b)[-1], coef(a)[-1], tolerance = 1e-5)
  expect_equal(unname(coef(b)[1] - coef(a)[1]), log(1e9), tolerance = 1e-6)
})

test_that("a near-singular GMM weighting matrix: classed warnings, and no standard error claimed for a negative variance", {
  h <- hostile_data()
  h <- h[h$id <= 8, ]
  warns <- character(0)
  g <- withCallingHandlers(
    sys_gmm(yd ~ l(yd, 1) + x1, h, panel = c("id", "year"), gmm = "yd", collapse = FALSE),
    warning = function(w) {
      expect_s3_class(w, "exportres_warning")
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  expect_true(any(grepl("outnumber the units", warns)))
  expect_true(any(grepl("singular; a generalised inverse", warns)))
  v <- diag(g$vcov)
  # a negative variance has no standard error (NA, with a warning), never 0
  expect_identical(is.na(g$se), v < 0)
  if (any(v < 0)) expect_true(any(grepl("not positive semi-definite", warns)))
  expect_true(all(g$se[!is.na(g$se)] > 0))
  tb <- tidy(g)
  expect_true(all(is.na(tb$p.value[v < 0])))
  # confint() follows the same rule: no interval, and no "NaNs produced"
  ci <- expect_no_warning(confint(g))
  expect_identical(unname(is.na(ci[, 1L])), unname(v < 0))
})

test_that("separated probit and logit data: a classed error or warning where glm is silently wrong", {
  s <- data.frame(x = c(-3:-1, 1:3))
  s$y <- as.numeric(s$x > 0)
  # complete separation: no estimate exists; glm only warns
  expect_error(probit(y ~ x, s), class = "exportres_error")
  expect_error(logit(y ~ x, s), class = "exportres_error")
  expect_warning(stats::glm(y ~ x, stats::binomial("probit"), s))
  # quasi-complete separation (both outcomes only at x = 0): a classed warning
  q <- data.frame(x = c(-3:3, 0), y = c(0, 0, 0, 0, 1, 1, 1, 1))
  expect_warning(probit(y ~ x, q), class = "exportres_warning")
  # overlapping data near separation: glm's answer, to its convergence
  o <- data.frame(x = c(-3:3, 0.5, -0.5), y = c(0, 0, 0, 0, 1, 1, 1, 0, 1))
  ref <- stats::glm(y ~ x, stats::binomial("probit"), o,
                    control = stats::glm.control(epsilon = 1e-14, maxit = 100))
  fit <- probit(y ~ x, o)
  expect_lt(rel_diff(coef(fit), coef(ref)), 1e-7)
  expect_lt(rel_diff(fit$se, sqrt(diag(stats::vcov(ref)))), 1e-6)
})
