# heckman_2step(): sampleSelection::heckit on Greene's Mroz87 specification,
# the fixed-effects second step against fe_reg(), the cluster bootstrap of both
# steps against an R recomputation of its draws, simulated truth, bad input.

mroz_sel <- lfp ~ age + I(age^2) + faminc + kids + educ
mroz_out <- wage ~ exper + I(exper^2) + educ + city

test_that("equal to sampleSelection::heckit on Mroz87 (Greene's Example 22.8)", {
  skip_if_no_reference("sampleSelection")
  data("Mroz87", package = "sampleSelection", envir = environment())
  Mroz87$kids <- (Mroz87$kids5 + Mroz87$kids618 > 0)
  ref <- sampleSelection::heckit(mroz_sel, mroz_out, data = Mroz87)
  fit <- heckman_2step(mroz_sel, mroz_out, Mroz87)
  b_ref <- coef(ref)[7:12]
  se_ref <- sqrt(diag(vcov(ref)))[7:12]
  expect_identical(names(coef(fit)), c("(Intercept)", "exper", "I(exper^2)", "educ", "city", "imr"))
  expect_lt(rel_diff(coef(fit), b_ref), 1e-6)
  expect_lt(rel_diff(fit$se, se_ref), 1e-6)
  expect_lt(rel_diff(fit$lambda, coef(ref)["invMillsRatio"]), 1e-6)
  expect_lt(rel_diff(fit$se["imr"], se_ref["invMillsRatio"]), 1e-6)
  expect_lt(rel_diff(fit$sigma, coef(ref)["sigma"]), 1e-6)
  expect_lt(rel_diff(fit$rho, coef(ref)["rho"]), 1e-6)
  expect_lt(rel_diff(summary(fit)$table$p.value, summary(ref)$estimate[7:12, 4]), 1e-6)
  expect_identical(fit$vcov_type, "heckman")
  # the first step: the package's probit, equal to glm
  g <- glm(mroz_sel, binomial("probit"), Mroz87, control = glm.control(epsilon = 1e-15, maxit = 200))
  expect_lt(rel_diff(coef(fit$probit), coef(g)), 1e-6)
  expect_equal(as.numeric(logLik(fit$probit)), as.numeric(logLik(g)), tolerance = 1e-10)
  expect_lt(rel_diff(fit$imr[Mroz87$lfp == 1], ref$invMillsRatio[Mroz87$lfp == 1]), 1e-6)
  expect_output(print(fit), "rho")
})

heck_panel <- function(seed = 1, n_g = 60, n_t = 8) {
  set.seed(seed)
  n <- n_g * n_t
  d <- data.frame(g = rep(seq_len(n_g), each = n_t), t = rep(seq_len(n_t), n_g))
  d$x <- rnorm(n) + rnorm(n_g)[d$g]; d$z <- rnorm(n)
  e <- matrix(rnorm(2 * n), n) %*% chol(matrix(c(1, 0.6, 0.6, 1), 2))
  d$s <- as.integer(0.5 + 0.5 * d$x + d$z + e[, 1] > 0)
  d$y <- ifelse(d$s == 1, 0.7 * d$x + rnorm(n_g)[d$g] + 0.1 * d$t + e[, 2], NA)
  d
}

test_that("fixed effects: the second step is fe_reg() with the IMR as a regressor", {
  d <- heck_panel()
  fit <- heckman_2step(s ~ x + z, y ~ x | g + t, d, cluster = ~g)
  p <- probit(s ~ x + z, d)
  d$imr_ref <- dnorm(p$linear.predictors) / pnorm(p$linear.predictors)
  ref <- fe_reg(y ~ x + imr_ref | g + t, d[d$s == 1, ], cluster = ~g)
  expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-10)
  expect_equal(unname(fit$se), unname(ref$se), tolerance = 1e-8)
  expect_identical(fit$vcov_type, "cluster")
  expect_equal(unname(coef(fit$probit)), unname(coef(p)), tolerance = 1e-10)
  expect_equal(fit$stats$n_censored, sum(d$s == 0))
  used <- fit$obs
  e <- residuals(fit)[used]
  dl <- (d$imr_ref * (d$imr_ref + p$linear.predictors))[used]
  expect_equal(fit$sigma, sqrt(mean(e^2) + fit$lambda^2 * mean(dl)), tolerance = 1e-10)
})

test_that("cluster bootstrap of both steps: reproducible, thread-independent, equal to R's recomputation", {
  d <- heck_panel(seed = 2, n_g = 30)
  set.seed(7)
  a <- heckman_2step(s ~ x + z, y ~ x | g + t, d, cluster = ~g, boot = 20)
  set.seed(7)
  b <- heckman_2step(s ~ x + z, y ~ x | g + t, d, cluster = ~g, boot = 20, cores = 2)
  expect_identical(a$boot, b$boot)
  expect_identical(a$vcov_type, "bootstrap")
  expect_equal(a$vcov, cov(a$boot), ignore_attr = TRUE)
  # draw 1 and 2 recomputed in R: the clusters drawn, each copy of g a new group
  set.seed(7)
  draws <- matrix(sample.int(30, 30 * 20, replace = TRUE), 30, 20)
  for (bb in 1:2) {
    idx <- do.call(rbind, lapply(seq_len(30), function(j) data.frame(i = which(d$g == draws[j, bb]), copy = j)))
    db <- d[idx$i, ]
    db$gg <- idx$copy
    p <- probit(s ~ x + z, db)
    db$imr_b <- dnorm(p$linear.predictors) / pnorm(p$linear.predictors)
    r <- fe_reg(y ~ x + imr_b | gg + t, db[db$s == 1, ], singletons = "keep")
    expect_equal(unname(a$boot[bb, ]), unname(coef(r)), tolerance = 1e-7)
  }
})

test_that("simulated truth: the selection correction recovers beta; OLS on the selected rows does not", {
  set.seed(3)
  n <- 20000
  d <- data.frame(x = rnorm(n), z = rnorm(n))
  e <- matrix(rnorm(2 * n), n) %*% chol(matrix(c(1, 0.7, 0.7, 1), 2))
  d$s <- as.integer(0.2 + 0.8 * d$x + d$z + e[, 1] > 0)
  d$y <- ifelse(d$s == 1, 1 + 0.5 * d$x + e[, 2], NA)
  fit <- heckman_2step(s ~ x + z, y ~ x, d)
  expect_lt(abs(coef(fit)["x"] - 0.5), 4 * fit$se["x"])
  expect_lt(abs(fit$rho - 0.7), 0.1)
  ols <- fe_reg(y ~ x, d[d$s == 1, ])
  expect_gt(abs(coef(ols)["x"] - 0.5), 6 * ols$se["x"])
})

test_that("bad input: classed errors, the exclusion-restriction message", {
  d <- heck_panel()
  expect_message(heckman_2step(s ~ x, y ~ x, d), "excluded")
  d1 <- d
  d1$s <- 1L
  d1$y <- d1$x + rnorm(nrow(d1))
  expect_error(heckman_2step(s ~ x + z, y ~ x, d1), class = "exportres_error")
  d2 <- d
  d2$s <- as.integer(d2$z > 0)                 # perfectly predicted by z
  d2$y[d2$s == 1] <- rnorm(sum(d2$s))
  expect_error(heckman_2step(s ~ x + z, y ~ x, d2), class = "exportres_error")
  expect_error(heckman_2step(s ~ x + z, y ~ x | g, d, vcov = "heckman"), class = "exportres_error")
  expect_error(heckman_2step(s ~ x + z, y ~ x, d, boot = -1), class = "exportres_error")
  expect_error(heckman_2step(s ~ x + z | g, y ~ x, d), class = "exportres_error")
  expect_error(heckman_2step(s ~ x + z, y ~ x | g | x ~ z, d), class = "exportres_error")
  d3 <- d
  d3$s <- d3$s * 2
  expect_error(heckman_2step(s ~ x + z, y ~ x, d3), class = "exportres_error")
})
