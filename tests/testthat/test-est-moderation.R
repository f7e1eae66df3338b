# moderation(): the interaction model as fe_reg() with the hand-made product,
# simple slopes and the marginal-effect plot.
sim_mod <- function(G = 40, Tn = 6, seed = 2) {
  set.seed(seed)
  d <- expand.grid(year = seq_len(Tn), firm = seq_len(G))
  n <- nrow(d)
  d$x <- rnorm(n) + rnorm(G)[d$firm]
  d$w <- 1 + rnorm(n)
  d$z <- rnorm(n)
  d$y <- 0.5 * d$x + 0.2 * d$w + 0.3 * d$x * d$w - 0.1 * d$z + rnorm(G)[d$firm] + rnorm(n)
  d
}
d <- sim_mod()

test_that("moderation() equals fe_reg() with the hand-made interaction", {
  m0 <- moderation(y ~ x + z | firm + year, "w", d, cluster = ~firm, center = FALSE)
  h0 <- fe_reg(y ~ x + z + w + x:w | firm + year, d, cluster = ~firm)
  expect_identical(names(coef(m0)), c("x", "z", "w", "x:w"))
  expect_equal(coef(m0), coef(h0), tolerance = 1e-10)
  expect_equal(vcov(m0), vcov(h0), tolerance = 1e-10)
  expect_equal(glance(m0)$r.squared, glance(h0)$r.squared, tolerance = 1e-10)
  expect_s3_class(m0, c("exr_moderation", "exr_fe", "exr_model"))
  # centred: fe_reg on hand-centred columns; the interaction does not change
  m1 <- moderation(y ~ x + z | firm + year, "w", d, cluster = ~firm)
  dc <- d
  dc$x <- d$x - mean(d$x)
  dc$w <- d$w - mean(d$w)
  h1 <- fe_reg(y ~ x + z + w + x:w | firm + year, dc, cluster = ~firm)
  expect_equal(coef(m1), coef(h1), tolerance = 1e-10)
  expect_equal(vcov(m1), vcov(h1), tolerance = 1e-10)
  expect_equal(coef(m1)[["x:w"]], coef(m0)[["x:w"]], tolerance = 1e-10)
  expect_equal(unname(m1$centers), c(mean(d$x), mean(d$w)))
  # a moderator already among the regressors is not added twice; weights
  d$w2 <- runif(nrow(d), 0.5, 2)
  m2 <- moderation(y ~ x + w + z | firm, "w", d, weights = "w2", center = FALSE)
  h2 <- fe_reg(y ~ x + w + z + x:w | firm, d, weights = "w2")
  expect_equal(coef(m2), coef(h2), tolerance = 1e-10)
  skip_if_no_reference("fixest")
  fx <- fixest::feols(y ~ x + z + w + x:w | firm + year, d, cluster = ~firm, fixef.tol = 1e-10)
  expect_equal(coef(m0), coef(fx), tolerance = 1e-8)
  expect_equal(unname(m0$se), as.vector(fixest::se(fx)), tolerance = 1e-6)
})

test_that("simple slopes at the mean and +/- 1 SD, by hand", {
  m <- moderation(y ~ x + z | firm + year, "w", d, cluster = ~firm)
  s <- m$simple_slopes
  mu <- mean(d$w); sdv <- sd(d$w)
  expect_identical(s$at, c("mean - 1 SD", "mean", "mean + 1 SD"))
  expect_equal(s$moderator, mu + c(-1, 0, 1) * sdv)
  b <- coef(m); V <- vcov(m)
  for (k in 1:3) {
    dm <- s$moderator[k] - mu
    expect_equal(s$slope[k], b[["x"]] + dm * b[["x:w"]], tolerance = 1e-12)
    g <- c(1, dm)
    se <- sqrt(drop(t(g) %*% V[c("x", "x:w"), c("x", "x:w")] %*% g))
    expect_equal(s$std.error[k], se, tolerance = 1e-12)
    expect_equal(s$p.value[k], 2 * pt(-abs(s$slope[k] / se), m$df_t), tolerance = 1e-12)
  }
  # without centring the slope at w = 0 is the coefficient of x
  m0 <- moderation(y ~ x + z | firm + year, "w", d, center = FALSE)
  s0 <- simple_slopes(m0, at = 0)
  expect_equal(s0$slope, coef(m0)[["x"]], tolerance = 1e-12)
  expect_equal(s0$std.error, m0$se[["x"]], tolerance = 1e-12)
  # the true slopes (0.5 + 0.3 w) are recovered
  expect_lt(abs(simple_slopes(m, at = 1)$slope - 0.8), 3 * simple_slopes(m, at = 1)$std.error)
  # a binary moderator: slopes at its two values
  d$b <- as.numeric(d$z > 0)
  mb <- moderation(y ~ x | firm, "b", d)
  expect_identical(mb$simple_slopes$moderator, c(0, 1))
  expect_error(simple_slopes(fe_reg(y ~ x | firm, d)), class = "exportres_error")
  expect_error(simple_slopes(m, at = "a"), class = "exportres_error")
})

test_that("the marginal-effect plot draws the band over the moderator's range", {
  m <- moderation(y ~ x + z | firm + year, "w", d, cluster = ~firm)
  pdf(NULL)
  on.exit(grDevices::dev.off())
  g <- plot(m, n = 25)
  expect_identical(nrow(g), 25L)
  expect_equal(range(g$moderator), range(d$w))
  expect_true(all(g$conf.low < g$slope & g$slope < g$conf.high))
  expect_output(print(m), "Simple slopes")
})

test_that("bad input gives classed errors", {
  f <- y ~ x + z | firm + year
  d$cst <- 3
  expect_error(moderation(f, "cst", d), class = "exportres_error")       # constant
  expect_error(moderation(f, "x", d), class = "exportres_error")         # the treatment
  d$x2 <- d$x
  expect_error(moderation(f, "x2", d), class = "exportres_error")        # equal to it
  expect_error(moderation(f, "y", d), class = "exportres_error")
  expect_error(moderation(f, "nope", d), class = "exportres_error")
  expect_error(moderation(f, c("w", "z"), d), class = "exportres_error")
  expect_error(moderation(f, "w", d, center = NA), class = "exportres_error")
  expect_error(moderation(y ~ x + z + x:w | firm, "w", d), class = "exportres_error")
  d$fac <- factor(rep(c("a", "b", "c"), length.out = nrow(d)))
  expect_error(moderation(f, "fac", d), class = "exportres_error")
  d$g_cst <- rep(rnorm(40), each = 6)                                   # absorbed by firm
  expect_error(moderation(y ~ g_cst + z | firm, "w", d), class = "exportres_error")
})
