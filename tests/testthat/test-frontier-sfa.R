# sfa(), sfa_distance(), efficiency(): likelihood and gradient against plain R,
# frontier::sfa and sfaR::sfacross on their own data, the true fixed-effects
# model against the full likelihood with one dummy per unit, the true
# random-effects model against quadrature, recovery of known truth, bad input.

sim_sfa <- function(n, seed, su = 0.4, sv = 0.12, mu = 0) {
  set.seed(seed)
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n))
  u <- if (mu == 0) abs(rnorm(n, sd = su)) else {
    # truncated normal N+(mu, su^2) by inversion
    a <- stats::pnorm(-mu / su)
    mu + su * stats::qnorm(a + stats::runif(n) * (1 - a))
  }
  d$u <- u
  d$y <- 1 + 0.3 * d$x1 + 0.6 * d$x2 + rnorm(n, sd = sv) - u
  d
}

# frontier uses ln(2 pi)/2 in single precision: its log-likelihood is larger
# than the exact one by this much per observation (checked below).
frontier_const <- 2.40317e-8

expect_as_frontier <- function(ours, ref, key_ours = NULL, key_ref = NULL,
                               coef_tol = 1e-4, map = c(time = "eta")) {
  cr <- stats::coef(ref)
  hit <- names(cr) %in% names(map)
  names(cr)[hit] <- map[names(cr)[hit]]
  expect_setequal(names(ours$coefficients), names(cr))
  at_ref <- exportres:::sfa_eval_at(ours, cr)
  # the same formula: frontier's reported value less its constant
  expect_lt(abs(at_ref$loglik - (as.numeric(stats::logLik(ref)) - ours$nobs * frontier_const)), 1e-9)
  # ours equal or higher, never lower by more than 1e-6
  expect_gte(ours$loglik, at_ref$loglik - 1e-6)
  if (is.finite(coef_tol)) expect_equal(ours$coefficients[names(cr)], cr, tolerance = coef_tol)
  # our efficiency formula at frontier's own estimates
  er <- as.numeric(frontier::efficiencies(ref, asInData = TRUE))
  eo <- if (is.null(key_ours)) at_ref$bc else at_ref$bc[match(key_ref, key_ours)]
  expect_lt(max(abs(eo - er)), 1e-8)
  invisible(at_ref)
}

test_that("the log-likelihood equals the textbook formula and its gradient is exact", {
  d <- sim_sfa(200, 1)
  fit <- sfa(y ~ x1 + x2, d)
  th <- c(0.9, 0.25, 0.55, 0.2, 0.7)
  names(th) <- c("(Intercept)", "x1", "x2", "sigmaSq", "gamma")
  e <- d$y - cbind(1, d$x1, d$x2) %*% th[1:3]
  s <- sqrt(th[["sigmaSq"]]); lam <- sqrt(th[["gamma"]] / (1 - th[["gamma"]]))
  ll_r <- sum(log(2) - log(s) + stats::dnorm(e / s, log = TRUE) + stats::pnorm(-e * lam / s, log.p = TRUE))
  at <- exportres:::sfa_eval_at(fit, th)
  expect_equal(at$loglik, ll_r, tolerance = 1e-12)
  jl <- exp(-(s * sqrt(th[["gamma"]] * (1 - th[["gamma"]])) *
                (stats::dnorm(e * lam / s) / stats::pnorm(-e * lam / s) - e * lam / s)))
  expect_equal(at$jlms, as.numeric(jl), tolerance = 1e-12)
  # analytic gradient against central differences, every model
  rp <- sim_sfa(120, 2)
  rp$id <- rep(1:20, each = 6)[seq_len(120)]
  rp$t <- rep(1:6, 20)
  rp$z1 <- rnorm(120)
  # (u is not unit-level here, so some fits are poor; only the gradient matters)
  fits <- suppressWarnings(list(
    sfa(y ~ x1 + x2, rp, dist = "truncnormal"),
    sfa(y ~ x1 + x2, rp[-c(3, 50, 51), ], panel = c("id", "t"), model = "bc92", dist = "truncnormal"),
    sfa(y ~ x1 + x2, rp, panel = c("id", "t"), model = "bc92", eta = FALSE),
    sfa(y ~ x1 + x2, rp, z = ~ z1),
    sfa(-y ~ x1 + x2, rp, panel = c("id", "t"), model = "bc92", type = "cost"),
    sfa(y ~ x1 + x2, rp, dist = "exponential"),
    sfa(y ~ x1 + x2, rp, panel = c("id", "t"), model = "bc92", dist = "exponential"),
    sfa(y ~ x1 + x2, rp, z_u = ~ z1, z_v = ~ x1, dist = "exponential"),
    sfa(-y ~ x1 + x2, rp, z = ~ z1, z_u = ~ z1, type = "cost"),
    sfa(y ~ x1 + x2, rp, panel = c("id", "t"), model = "tfe", dist = "truncnormal"),
    sfa(y ~ x1 + x2, rp, panel = c("id", "t"), model = "tre", z_u = ~ z1, control = list(draws = 20))
  ))
  for (f in fits) {
    th <- f$coefficients
    if (!f$heteroscedastic) {
      th[["gamma"]] <- 0.6
      th[["sigmaSq"]] <- 0.05
    }
    g <- exportres:::sfa_eval_at(f, th)$gradient
    num <- vapply(seq_along(th), function(j) {
      h <- 1e-6 * max(1, abs(th[j])); a <- b <- th
      a[j] <- a[j] + h; b[j] <- b[j] - h
      (exportres:::sfa_eval_at(f, a)$loglik - exportres:::sfa_eval_at(f, b)$loglik) / (2 * h)
    }, 0)
    expect_equal(unname(g), num, tolerance = 1e-6)
  }
})

test_that("cross-section half-normal and truncated normal match frontier on front41Data", {
  skip_if_no_reference("frontier")
  data("front41Data", package = "frontier", envir = environment())
  f <- log(output) ~ log(capital) + log(labour)
  ours <- sfa(f, front41Data)
  ref <- frontier::sfa(f, data = front41Data)
  expect_as_frontier(ours, ref)
  expect_equal(ours$ols$loglik, ref$olsLogl, tolerance = 1e-10)
  expect_equal(efficiency(ours), as.numeric(frontier::efficiencies(ref)), tolerance = 1e-5)
  # truncated normal: the likelihood is a long flat ridge in mu, and frontier
  # stops on it (logLik -16.7957 at mu = -1.41); we climb further (-16.7856 at
  # mu = -2.84), so only the log-likelihood and the efficiency formula are compared.
  ours <- sfa(f, front41Data, dist = "truncnormal")
  ref <- frontier::sfa(f, data = front41Data, truncNorm = TRUE)
  at <- expect_as_frontier(ours, ref, coef_tol = Inf)
  expect_gt(ours$loglik, at$loglik + 1e-3)
})

test_that("BC92 and BC95 panel models match frontier on riceProdPhil", {
  skip_if_no_reference("frontier")
  skip_if_no_reference("plm")
  data("riceProdPhil", package = "frontier", envir = environment())
  rp <- plm::pdata.frame(riceProdPhil, c("FMERCODE", "YEARDUM"))
  key_o <- paste(riceProdPhil$FMERCODE, riceProdPhil$YEARDUM)
  key_r <- paste(rp$FMERCODE, rp$YEARDUM)
  f <- log(PROD) ~ log(AREA) + log(LABOR) + log(NPK)
  pan <- c("FMERCODE", "YEARDUM")
  expect_as_frontier(sfa(f, riceProdPhil, panel = pan, model = "bc92"),
                     frontier::sfa(f, data = rp, timeEffect = TRUE), key_o, key_r)
  expect_as_frontier(sfa(f, riceProdPhil, panel = pan, model = "bc92", eta = FALSE),
                     frontier::sfa(f, data = rp), key_o, key_r)
  expect_as_frontier(sfa(f, riceProdPhil, panel = pan, model = "bc92", dist = "truncnormal"),
                     frontier::sfa(f, data = rp, timeEffect = TRUE, truncNorm = TRUE), key_o, key_r)
  fz <- log(PROD) ~ log(AREA) + log(LABOR) + log(NPK) | EDYRS + BANRAT - 1
  expect_as_frontier(sfa(f, riceProdPhil, z = ~ EDYRS + BANRAT - 1),
                     frontier::sfa(fz, data = rp), key_o, key_r)
  fz <- log(PROD) ~ log(AREA) + log(LABOR) + log(NPK) | EDYRS + BANRAT
  expect_as_frontier(sfa(f, riceProdPhil, z = ~ EDYRS + BANRAT),
                     frontier::sfa(fz, data = rp), key_o, key_r)
  # unbalanced panel: u_it = exp(-eta (t - T)) u_i with T the panel's last period
  set.seed(5)
  ru <- riceProdPhil[-sample(nrow(riceProdPhil), 80), ]
  ru <- ru[!(ru$FMERCODE %in% 1:10 & ru$YEARDUM == 8), ]
  pu <- plm::pdata.frame(ru, pan)
  expect_as_frontier(sfa(f, ru, panel = pan, model = "bc92"),
                     frontier::sfa(f, data = pu, timeEffect = TRUE),
                     paste(ru$FMERCODE, ru$YEARDUM), paste(pu$FMERCODE, pu$YEARDUM))
})

test_that("a cost frontier matches frontier", {
  skip_if_no_reference("frontier")
  set.seed(3)
  d <- data.frame(x = rnorm(500))
  d$y <- 1 + 0.5 * d$x + rnorm(500, sd = 0.2) + abs(rnorm(500, sd = 0.4))
  expect_as_frontier(sfa(y ~ x, d, type = "cost", dist = "truncnormal"),
                     frontier::sfa(y ~ x, data = d, ineffDecrease = FALSE, truncNorm = TRUE))
})

test_that("known truth is recovered: cross-section, BC92, BC95", {
  within3 <- function(fit, truth) {
    se <- sqrt(diag(fit$vcov))[names(truth)]
    expect_true(all(abs(fit$coefficients[names(truth)] - truth) < 3 * se),
                label = paste(names(truth), collapse = ","))
  }
  d <- sim_sfa(3000, 11, su = 0.5, sv = 0.1)
  fit <- sfa(y ~ x1 + x2, d)
  within3(fit, c("(Intercept)" = 1, x1 = 0.3, x2 = 0.6, sigmaSq = 0.5^2 + 0.1^2,
                 gamma = 0.5^2 / (0.5^2 + 0.1^2)))
  expect_gt(stats::cor(efficiency(fit), exp(-d$u)), 0.9)
  expect_gt(stats::cor(efficiency(fit, "jlms"), exp(-d$u)), 0.9)
  expect_lt(fit$stats$lr_p, 1e-10)

  d <- sim_sfa(3000, 13, su = 0.3, mu = 0.3)
  fit <- sfa(y ~ x1 + x2, d, dist = "truncnormal")
  within3(fit, c(x1 = 0.3, x2 = 0.6, mu = 0.3, gamma = 0.09 / (0.09 + 0.0144)))

  set.seed(13)
  N <- 400; Tn <- 8
  p <- data.frame(id = rep(seq_len(N), each = Tn), t = rep(2011:2018, N))
  p <- p[-sample(nrow(p), 300), ]                 # unbalanced
  p$x1 <- rnorm(nrow(p)); p$x2 <- rnorm(nrow(p))
  ui <- abs(rnorm(N, sd = 0.35))
  p$u <- ui[p$id] * exp(-0.05 * (p$t - 2018))
  p$y <- 1 + 0.3 * p$x1 + 0.6 * p$x2 + rnorm(nrow(p), sd = 0.15) - p$u
  fit <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "bc92")
  within3(fit, c("(Intercept)" = 1, x1 = 0.3, x2 = 0.6, eta = 0.05,
                 sigmaSq = 0.35^2 + 0.15^2, gamma = 0.35^2 / (0.35^2 + 0.15^2)))
  expect_gt(stats::cor(efficiency(fit), exp(-p$u)), 0.9)
  expect_equal(fit$n_groups, N)

  set.seed(14)
  n <- 3000
  b <- data.frame(x1 = rnorm(n), z1 = rnorm(n))
  m <- 0.1 + 0.3 * b$z1
  a <- stats::pnorm(-m / 0.25)
  b$u <- m + 0.25 * stats::qnorm(a + stats::runif(n) * (1 - a))
  b$y <- 1 + 0.5 * b$x1 + rnorm(n, sd = 0.1) - b$u
  fit <- sfa(y ~ x1, b, z = ~ z1)
  within3(fit, c(x1 = 0.5, "Z_(Intercept)" = 0.1, Z_z1 = 0.3,
                 sigmaSq = 0.25^2 + 0.01, gamma = 0.0625 / 0.0725))
  expect_gt(stats::cor(efficiency(fit), exp(-b$u)), 0.9)
})

test_that("sfa_distance recovers a composite-output technology (the aif design)", {
  set.seed(21)
  N <- 150; Tn <- 11
  d <- data.frame(city = rep(sprintf("C%03d", seq_len(N)), each = Tn), year = rep(2011:2021, N))
  n <- nrow(d)
  for (v in c("rd_staff", "rd_capital", "tech_market", "edu")) d[[v]] <- exp(rnorm(n, 2))
  a <- 0.6
  ui <- abs(rnorm(N, sd = 0.4))
  d$u <- ui[match(d$city, unique(d$city))] * exp(-0.04 * (d$year - 2021))
  lY <- 0.5 + 0.3 * log(d$rd_staff) + 0.25 * log(d$rd_capital) + 0.15 * log(d$tech_market) +
    0.1 * log(d$edu) + rnorm(n, sd = 0.1) - d$u
  r <- rnorm(n, sd = 0.6)
  d$patents <- exp(lY + (1 - a) * r)
  d$contracts <- exp(lY - a * r)
  fit <- sfa_distance(outputs = c("patents", "contracts"),
                      inputs = c("rd_staff", "rd_capital", "tech_market", "edu"),
                      data = d, panel = c("city", "year"), model = "bc92", form = "cobb-douglas")
  truth <- c("log(rd_staff)" = 0.3, "log(rd_capital)" = 0.25, "log(tech_market)" = 0.15,
             "log(edu)" = 0.1, "log(contracts/patents)" = -(1 - a), eta = 0.04)
  se <- sqrt(diag(fit$vcov))[names(truth)]
  expect_true(all(abs(fit$coefficients[names(truth)] - truth) < 3 * se))
  expect_gt(stats::cor(efficiency(fit), exp(-d$u)), 0.9)
  expect_equal(fit$depvar, "log(patents)")
  # the new models and variance functions pass through
  # (two of the four inputs: the pooled residuals' skewness is near zero, warned about)
  ex <- suppressWarnings(sfa_distance(c("patents", "contracts"), c("rd_staff", "rd_capital"), d,
                                      dist = "exponential", z_u = ~ log(edu)))
  expect_identical(ex$dist, "exponential")
  expect_identical(ex$model, "cross")
  expect_true("Zu_log(edu)" %in% names(coef(ex)))
  fe <- suppressWarnings(sfa_distance(c("patents", "contracts"), c("rd_staff", "rd_capital"), d,
                                      panel = c("city", "year"), model = "tfe"))
  expect_identical(fe$model, "tfe")
  expect_length(fe$alpha, N)
  # translog nests Cobb-Douglas: the log-likelihood can only rise
  tl <- sfa_distance(c("patents", "contracts"), c("rd_staff", "rd_capital"), d, form = "translog")
  cd <- sfa_distance(c("patents", "contracts"), c("rd_staff", "rd_capital"), d)
  expect_gte(tl$loglik, cd$loglik - 1e-8)
  expect_true("0.5*log(rd_staff)^2" %in% names(tl$coefficients))
  expect_true("log(rd_staff):log(contracts/patents)" %in% names(tl$coefficients))
})

test_that("rows with NA are dropped and efficiencies stay aligned", {
  d <- sim_sfa(300, 31)
  d$x1[c(5, 17)] <- NA
  d$y[40] <- NA
  fit <- sfa(y ~ x1 + x2, d)
  expect_equal(fit$nobs, 297)
  expect_equal(fit$n_dropped, 3)
  e <- efficiency(fit)
  expect_length(e, 300)
  expect_true(all(is.na(e[c(5, 17, 40)])))
  expect_true(all(e[-c(5, 17, 40)] > 0 & e[-c(5, 17, 40)] <= 1))
  full <- sfa(y ~ x1 + x2, d[-c(5, 17, 40), ])
  expect_equal(e[-c(5, 17, 40)], efficiency(full))
  expect_named(fit$stats, c("logLik", "sigma", "gamma", "lr_stat", "lr_p"))
  expect_identical(fit$vcov_type, "hessian")
  expect_identical(fit$df_t, Inf)
  expect_s3_class(fit, c("exr_sfa", "exr_model"))
  expect_output(print(fit), "LR test")
  expect_output(print(summary(fit)), "JLMS")
})

test_that("the LR test uses the mixed chi-bar-square distribution", {
  expect_equal(exportres:::sfa_chibar_p(2.705543, 1), 0.05, tolerance = 1e-6)
  expect_equal(exportres:::sfa_chibar_p(5.138, 2), 0.05, tolerance = 1e-3)   # Kodde-Palm table
  expect_equal(exportres:::sfa_chibar_p(7.045, 3), 0.05, tolerance = 1e-3)
})

test_that("bad input gives exportres_error or exportres_warning", {
  d <- sim_sfa(100, 41)
  d$q <- exp(d$y)
  d0 <- d
  d0$q[3] <- 0
  expect_error(sfa(log(q) ~ log(x1 + 10), d0), class = "exportres_error")
  d1 <- d
  d1$x1[1] <- -20
  expect_error(sfa(y ~ log(x1 + 10), d1), class = "exportres_error")
  expect_error(sfa(y ~ x1 + x2, d[1:4, ]), class = "exportres_error")
  expect_error(sfa(x0 ~ x1, transform(d, x0 = 1)), class = "exportres_error")
  expect_error(sfa(y ~ x1, d, model = "bc92"), class = "exportres_error")
  expect_error(sfa(y ~ x1, d, z = ~ x2, model = "cross"), class = "exportres_error")
  expect_error(sfa(y ~ x1, d, dist = "gamma"), class = "exportres_error")
  expect_error(sfa(y ~ nothere, d), class = "exportres_error")
  expect_error(sfa(~ x1, d), class = "exportres_error")
  expect_error(sfa(y ~ x1, as.matrix(d)), class = "exportres_error")
  expect_error(sfa(y ~ x1, transform(d, id = 1, t = 1), panel = c("id", "t"), model = "bc92"),
               class = "exportres_error")
  expect_error(sfa(y ~ x1, d, control = list(bogus = 1)), class = "exportres_error")
  expect_error(sfa(y ~ x1, d, start = c(1, 2)), class = "exportres_error")
  expect_error(sfa(y ~ x1, d, z = ~ 1 + I(x2 * 0)), class = "exportres_error")
  expect_error(sfa_distance("q", "x1", d), class = "exportres_error")
  expect_error(sfa_distance(c("q", "x1"), "x2", d), class = "exportres_error")
  expect_error(sfa_distance(c("q", "q"), "x2", d, type = "cost"), class = "exportres_error")
  expect_error(efficiency(lm(y ~ x1, d)), class = "exportres_error")
  # wrong skew: warned, and the fit collapses to OLS with efficiencies 1
  w <- sim_sfa(500, 42)
  w$y <- 1 + w$x1 + abs(rnorm(500, sd = 0.4))
  expect_warning(fit <- sfa(y ~ x1, w), class = "exportres_warning")
  expect_equal(fit$coefficients[["gamma"]], 0)
  expect_true(all(efficiency(fit) == 1))
  expect_equal(fit$coefficients[1:2], fit$ols$coefficients)
  # failed convergence: a start far out on front41Data's flat ridge in mu
  skip_if_no_reference("frontier")
  data("front41Data", package = "frontier", envir = environment())
  st <- c("(Intercept)" = 0.44, "log(capital)" = 0.284, "log(labour)" = 0.542,
          sigmaSq = 12, gamma = 0.9955, mu = -50)
  w <- list()
  withCallingHandlers(sfa(log(output) ~ log(capital) + log(labour), front41Data, dist = "truncnormal",
                          start = st, control = list(maxit = 5)),
                      warning = function(cnd) { w[[length(w) + 1L]] <<- cnd; invokeRestart("muffleWarning") })
  expect_gte(length(w), 1L)
  expect_true(all(vapply(w, inherits, logical(1), "exportres_warning")))
  # a bad .Call does not crash the session
  expect_error(.Call(exportres:::C_sfa_loglik, 1, 1, 1, 1L, 1, 1, 1L))
})

test_that("standard errors: the exact inverse Hessian (frontier's DFP-based ones are within 2%)", {
  skip_if_no_reference("frontier")
  data("front41Data", package = "frontier", envir = environment())
  f <- log(output) ~ log(capital) + log(labour)
  ours <- sfa(f, front41Data)
  b <- ours$coefficients
  ll <- function(th) exportres:::sfa_eval_at(ours, th)$loglik
  p <- length(b)
  H <- matrix(0, p, p)
  for (i in 1:p) for (j in 1:p) {
    hi <- 1e-4 * max(abs(b[i]), 0.05); hj <- 1e-4 * max(abs(b[j]), 0.05)
    ei <- replace(b * 0, i, hi); ej <- replace(b * 0, j, hj)
    H[i, j] <- (ll(b + ei + ej) - ll(b + ei - ej) - ll(b - ei + ej) + ll(b - ei - ej)) / (4 * hi * hj)
  }
  expect_equal(unname(ours$se), sqrt(diag(solve(-H))), tolerance = 1e-4)
  # frontier (FRONTIER 4.1) reports the covariance of its quasi-Newton (DFP)
  # approximation of the Hessian, not the exact one: close, not equal
  ref <- frontier::sfa(f, data = front41Data)
  expect_lt(max(abs(sqrt(diag(vcov(ref))) / ours$se[names(coef(ref))] - 1)), 0.02)
})

test_that("robust and clustered sandwich variances from the per-observation scores", {
  d <- sim_sfa(400, 61)
  d$g <- rep(1:40, each = 10)
  fit <- sfa(y ~ x1 + x2, d)
  rob <- sfa(y ~ x1 + x2, d, vcov = "robust")
  clu <- sfa(y ~ x1 + x2, d, cluster = ~g)
  expect_identical(rob$vcov_type, "robust")
  expect_identical(clu$vcov_type, "cluster")
  expect_equal(rob$coefficients, fit$coefficients)
  # per-observation log-likelihood of the half-normal model (textbook formula)
  X <- cbind(1, d$x1, d$x2)
  lli <- function(th) {
    e <- d$y - drop(X %*% th[1:3]); s <- sqrt(th[4]); lam <- sqrt(th[5] / (1 - th[5]))
    log(2) - log(s) + stats::dnorm(e / s, log = TRUE) + stats::pnorm(-e * lam / s, log.p = TRUE)
  }
  b <- unname(fit$coefficients)
  S <- vapply(seq_along(b), function(j) {
    h <- 1e-6 * max(1, abs(b[j])); a <- c <- b
    a[j] <- a[j] + h; c[j] <- c[j] - h
    (lli(a) - lli(c)) / (2 * h)
  }, numeric(nrow(d)))
  B <- unname(fit$vcov)
  n <- 400; k <- 5
  V_hc1 <- B %*% crossprod(S) %*% B * n / (n - k)
  expect_equal(unname(rob$vcov), V_hc1, tolerance = 1e-5)
  Sg <- rowsum(S, d$g)
  V_cl <- B %*% crossprod(Sg) %*% B * (40 / 39) * ((n - 1) / (n - k))
  expect_equal(unname(clu$vcov), V_cl, tolerance = 1e-5)
  # panels: clusters must contain whole units
  d$t <- rep(1:10, 40)
  expect_error(sfa(y ~ x1 + x2, d, panel = c("g", "t"), model = "bc92", cluster = ~t),
               class = "exportres_error")
  pr <- sfa(y ~ x1 + x2, d, panel = c("g", "t"), model = "bc92", vcov = "robust")
  pc <- sfa(y ~ x1 + x2, d, panel = c("g", "t"), model = "bc92", cluster = ~g)
  # clustering by unit is the unit-level robust variance: 40/39 (39/34) = 40/34
  expect_equal(pr$vcov, pc$vcov, tolerance = 1e-10)
})

# ---- issue 16: exponential u, variance functions, true fixed and random effects ----

# sfaR's coefficients in our names: log-variances Zu_/Zv_ (homoscedastic: to
# sigmaSq and gamma), Zmu_(Intercept) to mu.
sfar_coef <- function(r, het) {
  cr <- stats::coef(r)
  names(cr)[names(cr) == "Zmu_(Intercept)"] <- "mu"
  if (!het) {
    U <- exp(cr[["Zu_(Intercept)"]]); V <- exp(cr[["Zv_(Intercept)"]])
    cr <- c(cr[!grepl("^Z[uv]_", names(cr))], sigmaSq = U + V, gamma = U / (U + V))
  }
  cr
}

expect_as_sfar <- function(ours, r, het = FALSE, coef_tol = 1e-4) {
  cr <- sfar_coef(r, het)
  expect_setequal(names(ours$coefficients), names(cr))
  at <- exportres:::sfa_eval_at(ours, cr)
  expect_lt(abs(at$loglik - r$mlLoglik), 1e-8)           # the same likelihood
  expect_gte(ours$loglik, r$mlLoglik - 1e-8)               # and ours at least as high
  expect_equal(ours$coefficients[names(cr)], cr, tolerance = coef_tol)
  # our efficiency formulas at sfaR's own estimates
  ef <- sfaR::efficiencies(r)
  expect_lt(max(abs(at$jlms - ef$teJLMS)), 1e-8)
  expect_lt(max(abs(at$bc - ef$teBC)), 1e-8)
}

test_that("half-normal, truncated normal and exponential match sfaR::sfacross on its own data", {
  skip_under_valgrind()
  skip_if_no_reference("sfaR")
  utility <- dairyspain <- NULL
  data("utility", package = "sfaR", envir = environment())
  data("dairyspain", package = "sfaR", envir = environment())
  ud <- c(halfnormal = "hnormal", truncnormal = "tnormal", exponential = "exponential")
  fu <- log(tc/wf) ~ log(y) + I(1/2 * (log(y))^2) + log(wl/wf) + log(wk/wf)
  fd <- YIT ~ X1 + X2 + X3 + X4
  for (dist in names(ud)) {
    # truncated normal on utility: sfaR stops on a flat ridge in mu (its
    # log-likelihood 8.7e-7 below ours), so its coefficients are 1e-3 away
    expect_as_sfar(sfa(fu, utility, dist = dist, type = "cost"),
                   sfaR::sfacross(fu, udist = ud[[dist]], data = utility, S = -1),
                   coef_tol = if (dist == "truncnormal") 2e-3 else 1e-4)
  }
  # a production frontier (sfaR is slow here: one distribution)
  expect_as_sfar(sfa(fd, dairyspain, dist = "exponential"),
                 sfaR::sfacross(fd, udist = "exponential", data = dairyspain, S = 1))
})

test_that("variance functions z_u, z_v match sfaR's uhet, vhet", {
  skip_under_valgrind()
  skip_if_no_reference("sfaR")
  utility <- NULL
  data("utility", package = "sfaR", envir = environment())
  fu <- log(tc/wf) ~ log(y) + I(1/2 * (log(y))^2) + log(wl/wf) + log(wk/wf)
  for (dist in c("halfnormal", "truncnormal", "exponential")) {
    ours <- sfa(fu, utility, dist = dist, type = "cost", z_u = ~ regu, z_v = ~ regu)
    expect_true(ours$heteroscedastic)
    expect_true(all(c("Zu_(Intercept)", "Zu_regu", "Zv_(Intercept)", "Zv_regu") %in% names(coef(ours))))
    expect_as_sfar(ours, sfaR::sfacross(fu, udist = c(halfnormal = "hnormal", truncnormal = "tnormal",
                                                       exponential = "exponential")[[dist]],
                                        data = utility, S = -1, uhet = ~ regu, vhet = ~ regu),
                   het = TRUE)
  }
  # only u heteroscedastic: v keeps its intercept alone
  ours <- sfa(fu, utility, type = "cost", z_u = ~ regu)
  expect_named(coef(ours)[-(1:5)], c("Zu_(Intercept)", "Zu_regu", "Zv_(Intercept)"))
  expect_as_sfar(ours, sfaR::sfacross(fu, udist = "hnormal", data = utility, S = -1, uhet = ~ regu),
                 het = TRUE)
})

# An independent implementation of the true fixed-effects likelihood: one dummy
# per unit, the textbook densities, plain R; the gradient analytic in the
# intercepts and slopes (so that the Hessian of this ill-conditioned problem,
# condition number ~1e12, can be had by differences of it), numerical in the
# two log-variances.
tfe_full <- function(y, D, X, dist, S = 1) {
  Xa <- cbind(D, X)
  q <- ncol(Xa)
  dens <- function(p) {
    e <- S * (y - drop(Xa %*% p[seq_len(q)]))
    U <- exp(p[q + 1]); V <- exp(p[q + 2])
    if (dist == "halfnormal") {
      s <- sqrt(U + V); lam <- sqrt(U / V); z <- -lam * e / s
      list(l = log(2) - log(s) + stats::dnorm(e / s, log = TRUE) + stats::pnorm(z, log.p = TRUE),
           le = -e / s^2 - (lam / s) * exp(stats::dnorm(z, log = TRUE) - stats::pnorm(z, log.p = TRUE)))
    } else {
      z <- -e / sqrt(V) - sqrt(V / U)
      list(l = -0.5 * log(U) + e / sqrt(U) + V / (2 * U) + stats::pnorm(z, log.p = TRUE),
           le = 1 / sqrt(U) - exp(stats::dnorm(z, log = TRUE) - stats::pnorm(z, log.p = TRUE)) / sqrt(V))
    }
  }
  ll <- function(p) sum(dens(p)$l)
  grad <- function(p) {
    gv <- vapply(q + 1:2, function(j) {
      h <- 1e-6; a <- b <- p
      a[j] <- a[j] + h; b[j] <- b[j] - h
      (ll(a) - ll(b)) / (2 * h)
    }, 0)
    c(drop(crossprod(Xa, -S * dens(p)$le)), gv)
  }
  list(ll = ll, grad = grad)
}

test_that("true fixed effects: the maximum of the full likelihood with one dummy per unit", {
  skip_under_valgrind()
  skip_if_no_reference("sfaR")
  utility <- NULL
  data("utility", package = "sfaR", envir = environment())
  fu <- log(tc/wf) ~ log(y) + I(1/2 * (log(y))^2) + log(wl/wf) + log(wk/wf)
  y <- log(utility$tc / utility$wf)
  X <- stats::model.matrix(fu, utility)[, -1]
  D <- stats::model.matrix(~ factor(firm) - 1, utility)
  k <- ncol(X)
  for (dist in c("halfnormal", "exponential")) {
    fit <- sfa(fu, utility, panel = c("firm", "year"), model = "tfe", dist = dist, type = "cost")
    expect_true(fit$converged)
    expect_false("(Intercept)" %in% names(coef(fit)))
    expect_length(fit$alpha, ncol(D))
    cf <- coef(fit)
    full <- tfe_full(y, D, X, dist, S = -1)
    p0 <- unname(c(fit$alpha[as.character(sort(unique(utility$firm)))], cf[1:k],
                   log(cf[["gamma"]] * cf[["sigmaSq"]]), log((1 - cf[["gamma"]]) * cf[["sigmaSq"]])))
    # the profile likelihood is the full likelihood at the unit intercepts' maximum
    expect_equal(full$ll(p0), fit$loglik, tolerance = 1e-10)
    # ... and our point is a maximum of the full likelihood in all N + k + 2 parameters
    expect_lt(max(abs(full$grad(p0))), 1e-3)
    H <- vapply(seq_along(p0), function(j) {
      h <- 1e-6 * max(1, abs(p0[j])); a <- b <- p0
      a[j] <- a[j] + h; b[j] <- b[j] - h
      (full$grad(a) - full$grad(b)) / (2 * h)
    }, numeric(length(p0)))
    H <- (H + t(H)) / 2
    expect_true(all(eigen(H, symmetric = TRUE, only.values = TRUE)$values < 0))
    # the frontier's standard errors are those of the full Hessian (partitioned inverse)
    se_full <- sqrt(diag(solve(-H)))[ncol(D) + seq_len(k)]
    expect_equal(unname(fit$se[1:k]), se_full, tolerance = 1e-3)
  }
})

num_grad <- function(f, p, h = 1e-5) {
  vapply(seq_along(p), function(j) {
    hj <- h * max(1, abs(p[j])); a <- b <- p
    a[j] <- a[j] + hj; b[j] <- b[j] - hj
    (f(a) - f(b)) / (2 * hj)
  }, 0)
}

# A simulated panel with known truth.
sim_true_panel <- function(N, Tn, seed, model, sw = 0.3, su = 0.3, sv = 0.15, dist = "halfnormal") {
  set.seed(seed)
  p <- data.frame(id = rep(seq_len(N), each = Tn), t = rep(seq_len(Tn), N))
  n <- N * Tn
  w <- rnorm(N, sd = sw)
  p$x1 <- rnorm(n) + if (model == "tfe") 0.5 * w[p$id] else 0   # correlated with the effect under FE
  p$x2 <- rnorm(n)
  p$u <- if (dist == "halfnormal") abs(rnorm(n, sd = su)) else stats::rexp(n, 1 / su)
  p$y <- 1 + w[p$id] + 0.3 * p$x1 + 0.6 * p$x2 + rnorm(n, sd = sv) - p$u
  p
}

test_that("true random effects: the simulated likelihood agrees with the exact one by quadrature", {
  skip_under_valgrind()
  p <- sim_true_panel(60, 8, 8, "tre", su = 0.4)
  fit <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "tre")
  expect_true(fit$converged)
  expect_identical(fit$draws, 250L)
  cf <- coef(fit)
  X <- cbind(1, p$x1, p$x2)
  hq <- seq(-7, 7, length.out = 401)
  wq <- stats::dnorm(hq) * (hq[2] - hq[1])
  ll_quad <- function(q) {   # q = (b, ln su2, ln sv2, ln sw): trapezoid over w, plain R
    e <- p$y - drop(X %*% q[1:3]); U <- exp(q[4]); V <- exp(q[5]); sw <- exp(q[6]); s <- sqrt(U + V)
    M <- vapply(hq, function(h) {
      ee <- e - sw * h
      rowsum(log(2) - log(s) + stats::dnorm(ee / s, log = TRUE) +
               stats::pnorm(-ee * sqrt(U / V) / s, log.p = TRUE), p$id)[, 1]
    }, numeric(60))
    mx <- apply(M, 1, max)
    sum(mx + log(drop(exp(M - mx) %*% wq)))
  }
  q0 <- unname(c(cf[1:3], log(cf[["gamma"]] * cf[["sigmaSq"]]), log((1 - cf[["gamma"]]) * cf[["sigmaSq"]]),
                 log(cf[["sigmaW"]])))
  # the simulated log-likelihood is close to the exact one at the estimate
  expect_lt(abs(ll_quad(q0) - fit$loglik), 0.5)
  # and the estimate is close to the exact maximum: the exact score is small
  # in the metric of the estimate's variance (a Lagrange-multiplier statistic)
  g <- num_grad(ll_quad, q0, 1e-5)
  Ji <- solve(fit$sfa_data$to_out(fit$sfa_data$to_internal(cf))$J)
  Vin <- Ji %*% fit$vcov %*% t(Ji)     # the variance in (b, ln su2, ln sv2, ln sw)
  expect_lt(drop(t(g) %*% Vin %*% g), 0.05)
})

test_that("known truth is recovered: true FE and true RE, half-normal and exponential", {
  within3 <- function(fit, truth) {
    se <- sqrt(diag(fit$vcov))[names(truth)]
    expect_true(all(abs(fit$coefficients[names(truth)] - truth) < 3 * se),
                label = paste(fit$model, fit$dist, paste(names(truth), collapse = ",")))
  }
  p <- sim_true_panel(200, 10, 31, "tfe")
  fe <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "tfe")
  within3(fe, c(x1 = 0.3, x2 = 0.6))
  expect_gt(stats::cor(efficiency(fe), exp(-p$u)), 0.65)   # lambda = su / sv = 2: no more to be had
  expect_equal(fe$n_groups, 200)
  expect_identical(fe$fixef, "id")
  # the within estimator ignores the frontier but is consistent for the slopes too
  expect_equal(unname(fe$ols$coefficients), c(0.3, 0.6), tolerance = 0.05)
  p <- sim_true_panel(200, 10, 32, "tfe", dist = "exponential", su = 0.25)
  fe <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "tfe", dist = "exponential")
  within3(fe, c(x1 = 0.3, x2 = 0.6))
  expect_gt(stats::cor(efficiency(fe, "jlms"), exp(-p$u)), 0.65)
  p <- sim_true_panel(150, 6, 33, "tre", sw = 0.2)
  re <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "tre", control = list(draws = 100))
  within3(re, c("(Intercept)" = 1, x1 = 0.3, x2 = 0.6, sigmaW = 0.2, sigmaSq = 0.09 + 0.0225,
                gamma = 0.09 / 0.1125))
  expect_gt(stats::cor(efficiency(re), exp(-p$u)), 0.65)
  expect_output(print(re), "true random effects, MSL with 100 Halton draws")
  expect_true(is.na(re$lr_test$statistic))
  # exponential u in BC92: with one period per unit it is the cross-section model
  d <- sim_true_panel(300, 1, 34, "tre", dist = "exponential", sw = 0)
  cs <- sfa(y ~ x1 + x2, d, dist = "exponential")
  b92 <- sfa(y ~ x1 + x2, d, dist = "exponential", panel = c("id", "t"), model = "bc92", eta = FALSE)
  expect_equal(b92$loglik, cs$loglik, tolerance = 1e-8)
  expect_equal(coef(b92), coef(cs), tolerance = 1e-4)
  expect_equal(efficiency(b92), efficiency(cs), tolerance = 1e-4)
})

test_that("heteroscedastic inefficiency (Caudill-Ford-Gropper, Wang 2002) is recovered", {
  set.seed(41)
  n <- 3000
  d <- data.frame(x = rnorm(n), z = rnorm(n), w = runif(n))
  su <- exp(0.5 * (-2 + 0.8 * d$z))
  d$u <- abs(rnorm(n, sd = su))
  d$y <- 1 + 0.5 * d$x + rnorm(n, sd = exp(0.5 * (-4 + 1 * d$w))) - d$u
  fit <- sfa(y ~ x, d, z_u = ~ z, z_v = ~ w)
  truth <- c(x = 0.5, "Zu_(Intercept)" = -2, Zu_z = 0.8, "Zv_(Intercept)" = -4, Zv_w = 1)
  se <- fit$se[names(truth)]
  expect_true(all(abs(fit$coefficients[names(truth)] - truth) < 3 * se))
  expect_gt(stats::cor(efficiency(fit), exp(-d$u)), 0.8)
  expect_null(fit$stats$gamma)
  expect_true(is.na(fit$lr_test$statistic))     # z_v: the restricted model is not OLS
  # Wang (2002): mean and variance of the pre-truncation normal both depend on z
  m <- 0.1 + 0.3 * d$z
  # N+(m, su^2) by inversion in the log scale (stable in both tails)
  d$u2 <- m - su * stats::qnorm(log(stats::runif(n)) + stats::pnorm(m / su, log.p = TRUE), log.p = TRUE)
  d$y2 <- 1 + 0.5 * d$x + rnorm(n, sd = 0.1) - d$u2
  fw <- sfa(y2 ~ x, d, z = ~ z, z_u = ~ z)
  expect_identical(fw$model, "bc95")
  truth <- c(x = 0.5, "Z_(Intercept)" = 0.1, Z_z = 0.3, "Zu_(Intercept)" = -2, Zu_z = 0.8)
  expect_true(all(abs(fw$coefficients[names(truth)] - truth) < 3.5 * fw$se[names(truth)]))
})

test_that("robust and clustered variances for every model; threads change nothing", {
  p <- sim_true_panel(60, 10, 51, "tfe")
  p$region <- (p$id - 1) %/% 6
  for (m in c("tfe", "tre")) {
    ctl <- if (m == "tre") list(draws = 50) else list()
    h <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = m, control = ctl)
    r <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = m, control = ctl, vcov = "robust")
    cu <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = m, control = ctl, cluster = ~id)
    cr <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = m, control = ctl, cluster = ~region)
    expect_equal(coef(r), coef(h))
    # unit-level scores: clustering by unit is the robust variance (G/(G-1) (G-1)/(G-K) = G/(G-K))
    expect_equal(r$vcov, cu$vcov, tolerance = 1e-10)
    expect_identical(cr$n_clusters, c(region = 10L))
    expect_false(isTRUE(all.equal(cr$vcov, r$vcov)))
    # the sandwich by hand: bread = the Hessian variance, scores = per-unit gradients
    ed <- r$sfa_data
    th <- ed$to_internal(coef(r))
    S <- .Call(exportres:::C_sfo_eval_at, th, ed$dat, ed$iflags, 1L, ed$alpha)
    expect_lt(max(abs(colSums(S))), 1e-4)            # the gradient at the maximum
    J <- ed$to_out(th)$J
    B <- solve(J) %*% h$vcov %*% t(solve(J))
    G <- nrow(S); K <- ncol(S)
    V <- J %*% (B %*% crossprod(S) %*% B * G / (G - K)) %*% t(J)
    expect_equal(unname(r$vcov), unname(V), tolerance = 1e-8)
    expect_error(sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = m, control = ctl, cluster = ~t),
                 class = "exportres_error")
    # one thread or two: the same numbers
    two <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = m, control = ctl, vcov = "robust", cores = 2)
    expect_identical(two$coefficients, r$coefficients)
    expect_identical(two$vcov, r$vcov)
    expect_identical(two$efficiency, r$efficiency)
  }
  # cross-section with variance functions: per-observation scores
  het <- sfa(y ~ x1 + x2, p, z_u = ~ x1, vcov = "robust")
  het2 <- sfa(y ~ x1 + x2, p, z_u = ~ x1, vcov = "robust", cores = 2)
  expect_identical(het$vcov, het2$vcov)
  expect_identical(het$vcov_type, "robust")
  b1 <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "bc92", vcov = "robust")
  b2 <- sfa(y ~ x1 + x2, p, panel = c("id", "t"), model = "bc92", vcov = "robust", cores = 2)
  expect_identical(b1$coefficients, b2$coefficients)
  expect_identical(b1$vcov, b2$vcov)
  ex <- sfa(y ~ x1 + x2, p, dist = "exponential", cluster = ~region)
  expect_identical(ex$vcov_type, "cluster")
  expect_true(all(is.finite(ex$se)))
})

test_that("bad input to the new models gives classed errors", {
  p <- sim_true_panel(20, 4, 61, "tfe")
  expect_error(sfa(y ~ x1, p[-(2:4), ], panel = c("id", "t"), model = "tfe"), class = "exportres_error")
  expect_error(sfa(y ~ x1, transform(p, k = 3), z_u = ~ k), class = "exportres_error")
  expect_error(sfa(y ~ x1, transform(p, k = 3), z_v = ~ x2 + k), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, z_u = ~ x2 + I(2 * x2)), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, z_u = ~ x2, panel = c("id", "t"), model = "bc92"), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, model = "tfe"), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, model = "tre"), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, z = ~ x2, dist = "exponential", model = "bc95"), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, z = ~ x2, dist = "halfnormal", panel = c("id", "t"), model = "tfe"),
               class = "exportres_error")
  expect_error(sfa(y ~ x1, p, z_u = "x2"), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, z_u = ~ nothere), class = "exportres_error")
  expect_error(sfa(y ~ x1, p, panel = c("id", "t"), model = "tre", control = list(draws = 0)),
               class = "exportres_error")
  expect_error(sfa(y ~ x1, p, cores = 0), class = "exportres_error")
  expect_error(sfa(y ~ 1, p, panel = c("id", "t"), model = "tfe"), class = "exportres_error")
  expect_error(.Call(exportres:::C_sfo_fit, list(1), 1L, 1, 1))
  expect_error(.Call(exportres:::C_sfo_eval_at, 1, list(1, 2, 3, 4, 5, 6, 7), 1:7, 0L, 1))
})
