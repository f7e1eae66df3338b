# probit() and logit(): glm on its own data, sandwich variances, the observed
# information against finite differences, separation, bad input.

mroz_f <- lfp ~ age + I(age^2) + faminc + kids5 + educ

test_that("probit and logit equal glm on Mroz87 (coefficients, logLik, SEs)", {
  skip_if_no_reference("sampleSelection")
  data("Mroz87", package = "sampleSelection", envir = environment())
  for (link in c("probit", "logit")) {
    g <- glm(mroz_f, binomial(link), Mroz87, control = glm.control(epsilon = 1e-15, maxit = 200))
    fit <- if (link == "probit") probit(mroz_f, Mroz87) else logit(mroz_f, Mroz87)
    expect_lt(rel_diff(coef(fit), coef(g)), 1e-8)
    expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(g)), tolerance = 1e-12)
    expect_equal(attr(logLik(fit), "df"), attr(logLik(g), "df"))
    expect_lt(rel_diff(fit$se, sqrt(diag(vcov(g)))), 1e-7)
    expect_equal(fitted(fit), unname(fitted(g)), tolerance = 1e-8)
    expect_identical(fit$df_t, Inf)
  }
})

test_that("robust and clustered variances equal sandwich's on the probit", {
  skip_if_no_reference("sandwich")
  skip_if_no_reference("sampleSelection")
  data("Mroz87", package = "sampleSelection", envir = environment())
  Mroz87$cl <- rep(1:40, length.out = nrow(Mroz87))
  g <- glm(mroz_f, binomial("probit"), Mroz87, control = glm.control(epsilon = 1e-15, maxit = 200))
  hc <- probit(mroz_f, Mroz87, vcov = "hc1")
  expect_lt(rel_diff(vcov(hc), sandwich::vcovHC(g, type = "HC1")), 1e-6)
  cl <- probit(mroz_f, Mroz87, cluster = ~cl)
  expect_lt(rel_diff(vcov(cl), sandwich::vcovCL(g, cluster = Mroz87$cl, type = "HC1")), 1e-6)
  expect_identical(cl$vcov_type, "cluster")
})

test_that("weights: equal to glm with prior weights (integer weights = replicated rows)", {
  set.seed(41)
  d <- data.frame(x = rnorm(300), z = rnorm(300), w = sample(1:3, 300, TRUE))
  d$y <- as.numeric(0.3 + d$x - d$z + rnorm(300) > 0)
  fit <- probit(y ~ x + z, d, weights = "w")
  g <- suppressWarnings(glm(y ~ x + z, binomial("probit"), d, weights = w,
                            control = glm.control(epsilon = 1e-15, maxit = 100)))
  expect_lt(rel_diff(coef(fit), coef(g)), 1e-8)
  rep_d <- d[rep(seq_len(300), d$w), ]
  expect_equal(coef(probit(y ~ x + z, rep_d)), coef(fit), tolerance = 1e-9)
  expect_equal(as.numeric(logLik(probit(y ~ x + z, rep_d))), as.numeric(logLik(fit)), tolerance = 1e-10)
})

test_that("the observed information is the negative Hessian (finite differences)", {
  set.seed(42)
  d <- data.frame(x = rnorm(400))
  d$y <- as.numeric(0.2 + 0.8 * d$x + rnorm(400) > 0)
  fit <- probit(y ~ x, d, information = "observed")
  X <- cbind(1, d$x)
  ll <- function(b) sum(pnorm((2 * d$y - 1) * drop(X %*% b), log.p = TRUE))
  b <- coef(fit)
  H <- matrix(0, 2, 2)
  h <- 1e-4
  for (i in 1:2) for (j in 1:2) {
    ei <- replace(c(0, 0), i, h); ej <- replace(c(0, 0), j, h)
    H[i, j] <- (ll(b + ei + ej) - ll(b + ei - ej) - ll(b - ei + ej) + ll(b - ei - ej)) / (4 * h^2)
  }
  expect_equal(unname(solve(-H)), unname(vcov(fit)), tolerance = 1e-5)
  # logit: observed and expected coincide
  lo <- logit(y ~ x, d, information = "observed")
  expect_equal(vcov(lo), vcov(logit(y ~ x, d)), tolerance = 1e-10)
})

test_that("separation: complete is an error, quasi-complete a warning", {
  d <- data.frame(x = 1:10, y = c(rep(0, 5), rep(1, 5)))
  expect_error(probit(y ~ x, d), class = "exportres_error")
  expect_error(logit(y ~ x, d), class = "exportres_error")
  q <- data.frame(x = c(1:10, 5, 5), y = c(rep(0, 5), rep(1, 5), 1, 0), z = rnorm(12))
  q$d <- as.numeric(q$x > 7)
  expect_warning(probit(y ~ x + d, q), class = "exportres_warning")
})

test_that("bad input raises classed errors", {
  d <- data.frame(x = rnorm(20), y = rep(0:1, 10), y3 = rep(0:2, length.out = 20), g = 1:20)
  expect_error(probit(y3 ~ x, d), class = "exportres_error")
  expect_error(probit(y ~ x | g, d), class = "exportres_error")
  expect_error(probit(y ~ x, d, information = "both"), class = "exportres_error")
  expect_error(probit(y ~ x, d, control = list(nope = 1)), class = "exportres_error")
  expect_error(probit(rep(0, 20) ~ x, d), class = "exportres_error")
  expect_error(.Call(exportres:::C_binary_fit, matrix(1, 3, 1), c(0, 1, 2), NULL, 0L, NULL, c(10, 1e-10)),
               class = "exportres_error")
  expect_error(.Call(exportres:::C_binary_fit, matrix(1, 3, 1), c(0, 1, 1), NULL, 5L, NULL, c(10, 1e-10)),
               class = "exportres_error")
  expect_error(.Call(exportres:::C_binary_fit, 1:3, c(0, 1, 1), NULL, 0L, NULL, c(10, 1e-10)),
               class = "exportres_error")
})

test_that("logit from a far start (step halving, the line search's comparisons) equals glm", {
  # a start far from the estimate: the first steps lower the log-likelihood
  # and are halved (the line search compares log-likelihoods), the later ones
  # are accepted on the concavity bounds without computing it
  set.seed(21)
  n <- 3000
  d <- data.frame(x1 = rnorm(n), x2 = rexp(n), x3 = rbinom(n, 1, 0.3))
  wts <- runif(n, 0.2, 3)
  eta <- -3 + 2.5 * d$x1 - 1.5 * d$x2 + 2 * d$x3
  d$y <- rbinom(n, 1, plogis(eta))
  X <- cbind(1, as.matrix(d[c("x1", "x2", "x3")]))
  for (wt in c(FALSE, TRUE)) {
    w <- if (wt) wts else NULL
    g <- suppressWarnings(glm(y ~ x1 + x2 + x3, binomial("logit"), d, weights = w,
                              control = glm.control(epsilon = 1e-15, maxit = 200)))
    r <- .Call(exportres:::C_binary_fit, X, as.double(d$y), w, 1L, c(4, -6, 5, -3),
               c(100, 1e-20, 1))
    expect_identical(r$status, 0L)
    expect_gt(r$iterations, 5L)
    expect_lt(rel_diff(r$coefficients, unname(coef(g))), 1e-8)
    ll_g <- sum((if (wt) wts else 1) * dbinom(d$y, 1, fitted(g), log = TRUE))
    expect_equal(r$loglik, ll_g, tolerance = 1e-12)
    V <- solve(r$info_observed)
    expect_lt(rel_diff(sqrt(diag(V)), unname(sqrt(diag(vcov(g))))), 1e-7)
  }
})

test_that("logit with indices far into both tails (the vectorised exponential) equals glm", {
  # |x'b| up to about 35: the information weights p (1 - p) span fifteen
  # orders of magnitude, and the score and information come from the
  # package's own exponential (exr_exp_negabs) rather than exp()
  set.seed(22)
  n <- 4000
  d <- data.frame(x = runif(n, -25, 25), z = rnorm(n))
  d$y <- rbinom(n, 1, plogis(0.5 + 1.3 * d$x + d$z))
  # (probabilities within 1e-10 of 0 or 1: both warn, as they should)
  g <- suppressWarnings(glm(y ~ x + z, binomial("logit"), d,
                            control = glm.control(epsilon = 1e-15, maxit = 200)))
  expect_warning(fit <- logit(y ~ x + z, d), "numerically 0 or 1")
  expect_lt(rel_diff(unname(coef(fit)), unname(coef(g))), 1e-9)
  expect_lt(rel_diff(sqrt(diag(vcov(fit))), sqrt(diag(vcov(g)))), 1e-8)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(g)), tolerance = 1e-12)
  # beyond exp()'s range: no NaN, the start is kept finite
  X <- cbind(1, c(-800, -1, 1, 800, 2, -2))
  r <- .Call(exportres:::C_binary_fit, X, c(0, 1, 0, 1, 1, 0), NULL, 1L, c(0, 1), c(1, 1e-20, 1))
  expect_true(all(is.finite(r$coefficients)))
})

test_that("tol_lag: the last Newton step untested lands on the estimate; the information lags one step", {
  # exr_binary_fit's option for att_gt's propensity scores: once the Newton
  # decrement is below tol_lag the last step is taken without evaluating the
  # new point (glm's IRLS weights lag likewise)
  set.seed(23)
  n <- 5000
  X <- cbind(1, rnorm(n), runif(n))
  y <- rbinom(n, 1, plogis(drop(X %*% c(-0.5, 1, 0.8))))
  w <- runif(n, 0.5, 2)
  exact <- .Call(exportres:::C_binary_fit, X, as.double(y), w, 1L, NULL, c(100, 1e-20, 0))
  lag <- .Call(exportres:::C_binary_fit, X, as.double(y), w, 1L, NULL, c(100, 1e-20, 0, 1e-10))
  expect_identical(lag$status, 0L)
  expect_identical(lag$iterations, exact$iterations - 1L)   # one evaluation fewer
  expect_lt(rel_diff(lag$coefficients, exact$coefficients), 1e-12)
  expect_lt(max(abs(lag$eta - exact$eta)), 1e-11)
  # the information: one step behind, so within about sqrt(1e-10) relative
  d_info <- rel_diff(lag$info_observed, exact$info_observed)
  expect_gt(d_info, 0)
  expect_lt(d_info, 1e-5)
  expect_error(.Call(exportres:::C_binary_fit, X, as.double(y), w, 1L, NULL, c(100, 1e-20, 0, -1)),
               class = "exportres_error")
})
