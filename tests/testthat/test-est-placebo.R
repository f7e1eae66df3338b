# placebo_test(): the random draws, each draw against a full fe_reg() refit,
# thread- and cluster-invariance, the bundled panel, bad input.

sim_did <- function(seed = 1, G = 40, T = 8) {
  set.seed(seed)
  d <- expand.grid(id = seq_len(G), year = 2001:(2000 + T))
  d$adopt <- c(rep(2004, G / 4), rep(2006, G / 4), rep(NA, G / 2))[d$id]
  d$did <- as.numeric(!is.na(d$adopt) & d$year >= d$adopt)
  d$x <- rnorm(nrow(d))
  d$reg <- d$id %% 5
  d$w <- runif(nrow(d), 0.5, 2)
  d$y <- 0.5 * d$did + 0.3 * d$x + rnorm(G)[d$id] + rnorm(nrow(d))
  d
}

# Draw j's treatment column rebuilt by hand from the permutation R's sample() gives.
refit_draw <- function(fit_fun, d, perms, j) {
  units <- sort(unique(d$id))
  ua <- d$adopt[match(units, d$id)]
  na <- ua[perms[, j]]
  q <- d
  a <- na[match(q$id, units)]
  q$did <- as.numeric(!is.na(a) & q$year >= a)
  fit_fun(q)
}

test_that("the draws are R's sample() permutations, drawn in order", {
  set.seed(42)
  a <- .Call(C_rng_permutations, 37L, 5L)
  set.seed(42)
  expect_identical(a, replicate(5, sample(37)))
  expect_identical(.Call(C_rng_permutations, 3L, 0L), matrix(integer(0), 3, 0))
})

test_that("each placebo draw equals re-running fe_reg on the re-randomised data", {
  d <- sim_did()
  specs <- list(
    function(q) fe_reg(y ~ did + x | id + year, q, cluster = ~id),
    function(q) fe_reg(y ~ did + x | id + year, q),
    function(q) fe_reg(y ~ did + x | id + year, q, vcov = "hc1", weights = "w"),
    function(q) fe_reg(y ~ did | id + year, q, cluster = ~id + year),
    function(q) fe_reg(y ~ did + x, q, cluster = ~reg),
    function(q) fe_reg(y ~ did + x | id + year, q, cluster = ~id, ssc = "ivreg2"))
  for (s in specs) {
    fit <- s(d)
    set.seed(7)
    pt <- placebo_test(fit, "did", n = 4, adopt = "adopt", unit = "id", time = "year", data = d)
    expect_equal(pt$estimate_check, pt$estimate, tolerance = 1e-10)
    expect_equal(pt$std.error_check, pt$std.error, tolerance = 1e-8)
    set.seed(7)
    perms <- replicate(4, sample(40))
    for (j in 1:4) {
      ref <- refit_draw(s, d, perms, j)
      expect_equal(pt$draws$estimate[j], unname(coef(ref)["did"]), tolerance = 1e-9)
      expect_equal(pt$draws$std.error[j], unname(ref$se["did"]), tolerance = 1e-8)
    }
  }
})

test_that("results do not depend on cores or on a parallel cluster", {
  d <- sim_did(2)
  fit <- fe_reg(y ~ did + x | id + year, d, cluster = ~id)
  set.seed(3)
  a <- placebo_test(fit, "did", n = 120, adopt = "adopt", cores = 1)
  set.seed(3)
  b <- placebo_test(fit, "did", n = 120, adopt = "adopt", cores = 2)
  expect_identical(a$draws, b$draws)
  skip_on_cran()
  skip_under_valgrind()
  cl <- parallel::makeCluster(2L)
  on.exit(parallel::stopCluster(cl))
  set.seed(3)
  cc <- placebo_test(fit, "did", n = 120, adopt = "adopt", cl = cl)
  expect_identical(a$draws, cc$draws)
})

test_that("p-values count the actual assignment as a draw", {
  expect_equal(placebo_p(c(-3, -1, 0.5, 2), 1, "two.sided"), 4 / 5)
  expect_equal(placebo_p(c(-3, -1, 0.5, 2), 1, "greater"), 2 / 5)
  expect_equal(placebo_p(c(-3, -1, 0.5, 2), 1, "less"), 4 / 5)
  d <- sim_did(3)
  d$y <- d$y + 2 * d$did
  fit <- fe_reg(y ~ did + x | id + year, d, cluster = ~id)
  set.seed(1)
  pt <- placebo_test(fit, "did", n = 99, adopt = "adopt")
  expect_equal(pt$p_value, (1 + sum(abs(pt$draws$estimate) >= abs(pt$estimate))) / 100)
  expect_equal(pt$p_value, 0.01)
})

test_that("on the bundled panel the placebo distribution centres on zero, the estimate in its upper tail", {
  skip_under_valgrind()
  p <- build_city_panel()
  ctr <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")
  f <- stats::as.formula(paste("res ~ did + dig +", paste(ctr, collapse = " + "), "| city + year"))
  fit <- fe_reg(f, p, cluster = ~city)
  set.seed(2024)
  pt <- placebo_test(fit, "did", n = 500, adopt = "pilot_year", data = p)
  b <- pt$draws$estimate
  expect_identical(pt$n_failed, 0L)
  expect_lt(abs(mean(b)), 3 * sd(b) / sqrt(length(b)))
  expect_gt(pt$estimate, stats::quantile(b, 0.75))
  expect_gt(mean(b < pt$estimate), 0.75)
})

test_that("print, summary, plot and glance", {
  d <- sim_did(4)
  fit <- fe_reg(y ~ did + x | id + year, d, cluster = ~id)
  set.seed(5)
  pt <- placebo_test(fit, "did", n = 60, adopt = "adopt")
  expect_output(print(pt), "Randomisation p-value")
  expect_output(print(summary(pt)), "Quantiles")
  g <- glance(pt)
  expect_identical(g$n, 60L)
  expect_equal(g$p.value, pt$p_value)
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot(pt), pt)
  expect_identical(plot(pt, what = "statistic"), pt)
})

test_that("bad input gives exportres errors", {
  d <- sim_did(5)
  fit <- fe_reg(y ~ did + x | id + year, d, cluster = ~id)
  expect_error(placebo_test(lm(y ~ did, d), "did", adopt = "adopt"), class = "exportres_error")
  expect_error(placebo_test(fit, "nope", adopt = "adopt"), class = "exportres_error")
  expect_error(placebo_test(fit, "x", adopt = "adopt"), class = "exportres_error")
  expect_error(placebo_test(fit, "did", n = 0, adopt = "adopt"), class = "exportres_error")
  expect_error(placebo_test(fit, "did", adopt = "nope"), class = "exportres_error")
  expect_error(placebo_test(fit, "did", adopt = "adopt", data = d[-1, ]), class = "exportres_error")
  expect_error(placebo_test(fit, "did", adopt = "adopt", cl = 2), class = "exportres_error")
  bad <- d; bad$adopt[1] <- 2030
  expect_error(placebo_test(fit, "did", adopt = "adopt", data = bad), class = "exportres_error")
  d2 <- d; d2$adopt <- 2004; d2$did <- as.numeric(d2$year >= 2004)
  fit2 <- fe_reg(y ~ did + x | id, d2)
  expect_error(placebo_test(fit2, "did", adopt = "adopt", time = "year"), class = "exportres_error")
  es <- event_study(y ~ x | id + year, d, adopt = "adopt", window = c(-2, 2))
  expect_error(placebo_test(es, "rel::0", adopt = "adopt"), class = "exportres_error")
})
