# The formula parser and the formula operators l(), f(), d(), i().

test_that("the formula parser splits regressors, fixed effects and IV parts", {
  f <- exportres:::parse_fixest_formula(y ~ x1 + l(x2, 1) | city + year | dig ~ iv1 + iv2)
  expect_identical(f$fe, c("city", "year"))
  expect_identical(all.vars(f$endo), "dig")
  expect_identical(all.vars(f$inst), c("iv1", "iv2"))
  expect_identical(attr(terms(f$rhs), "term.labels"), c("x1", "l(x2, 1)"))
  g <- exportres:::parse_fixest_formula(y ~ x | 0 | d ~ z)
  expect_identical(g$fe, character(0))
  h <- exportres:::parse_fixest_formula(y ~ x | a^b + c)
  expect_identical(h$fe, c("a^b", "c"))
  expect_false(h$intercept)
  expect_true(exportres:::parse_fixest_formula(y ~ x)$intercept)
  expect_error(exportres:::parse_fixest_formula(~x), class = "exportres_error")
  expect_error(exportres:::parse_fixest_formula(y ~ x | log(a)), class = "exportres_error")
  expect_error(exportres:::parse_fixest_formula(y ~ x | a | b | c), class = "exportres_error")
})

test_that("cluster terms read a^b as an interaction and a + b as two ways", {
  df <- data.frame(a = 1:4, b = c(1, 1, 2, 2))
  expect_identical(exportres:::cluster_terms(~a^b, df), "a^b")
  expect_identical(exportres:::cluster_terms(~a + b, df), c("a", "b"))
  expect_identical(exportres:::cluster_terms(c("a", "b"), df), c("a", "b"))
  expect_error(exportres:::cluster_terms(~nope, df), class = "exportres_error")
  expect_error(exportres:::cluster_terms(~log(a), df), class = "exportres_error")
  expect_error(exportres:::cluster_terms(y ~ a, df), class = "exportres_error")
})

test_that("i() gives one dummy per value except the reference, named as fixest names them", {
  df <- data.frame(g = rep(1:6, each = 4), t = rep(1:4, 6))
  df$rel <- ifelse(df$g <= 3, df$t - 2, NA)
  df$x <- seq_len(24) / 10
  set.seed(1)
  df$y <- rnorm(24)
  fit <- fe_reg(y ~ i(t, ref = 1) + x, df)
  expect_identical(names(coef(fit)), c("(Intercept)", "t::2", "t::3", "t::4", "x"))
  ref <- lm(y ~ factor(t) + x, df)
  expect_equal(unname(coef(fit)), unname(coef(ref)), tolerance = 1e-12)
  # interaction with a variable; NA rows of the factor are dropped
  f2 <- fe_reg(y ~ i(rel, x, ref = -1) | g, df, vcov = "iid")
  expect_identical(names(coef(f2)), c("rel::0:x", "rel::1:x", "rel::2:x"))
  expect_equal(nobs(f2), 12L)
  # keep = restricts the values; ref = TRUE drops the first
  f3 <- fe_reg(y ~ i(t, ref = TRUE, keep = c(2, 3)), df)
  expect_identical(names(coef(f3)), c("(Intercept)", "t::2", "t::3"))
  expect_error(fe_reg(y ~ i(t, ref = 9), df), class = "exportres_error")
})

test_that("i() and l(x, 1:2) equal fixest", {
  skip_if_no_reference("fixest")
  skip_if_no_reference("plm")
  data("EmplUK", package = "plm", envir = environment())
  ref <- fixest::feols(log(emp) ~ l(log(wage), 1:2) + i(sector, ref = 1) | firm + year, EmplUK,
                       panel.id = ~firm + year, fixef.tol = 1e-10, notes = FALSE)
  fit <- fe_reg(log(emp) ~ l(log(wage), 1:2) + i(sector, ref = 1) | firm + year, EmplUK,
                panel = c("firm", "year"))
  expect_identical(names(coef(fit)), c("l(log(wage), 1)", "l(log(wage), 2)"))
  expect_lt(rel_diff(coef(fit), coef(ref)[names(coef(fit))]), 1e-8)
  data(base_did, package = "fixest", envir = environment())
  ref2 <- fixest::feols(y ~ x1 + i(period, treat, 5) | id + period, base_did, fixef.tol = 1e-10)
  fit2 <- fe_reg(y ~ x1 + i(period, treat, 5) | id + period, base_did)
  expect_identical(names(coef(fit2)), names(coef(ref2)))
  expect_lt(rel_diff(coef(fit2), coef(ref2)), 1e-8)
  expect_lt(rel_diff(fit2$se, fixest::se(ref2)), 1e-6)
})

test_that("panel operators: NA ids are never pooled, NA times drop the row", {
  df <- data.frame(id = rep(c(1, 2, NA), each = 4), t = rep(1:4, 3), x = as.numeric(1:12))
  df$t[8] <- NA
  pidx <- exportres:::panel_index(df$id, df$t)
  env <- exportres:::formula_env(pidx, globalenv(), nrow(df))
  # rows with NA id would get 9, 10, 11 if they were pooled into one unit
  expect_identical(env$l(df$x, 1), c(NA, 1, 2, 3, NA, 5, 6, NA, NA, NA, NA, NA))
  expect_identical(env$f(df$x, 1), c(2, 3, 4, NA, 6, 7, NA, NA, NA, NA, NA, NA))
  set.seed(2)
  df$y <- rnorm(12)
  fit <- fe_reg(y ~ l(x, 1), df, panel = c("id", "t"))
  expect_equal(nobs(fit), 5L)
  expect_equal(fit$n_dropped, 7L)
})

test_that("errors evaluating the formula are exportres_errors naming it", {
  df <- data.frame(y = rnorm(10), x = rnorm(10), g = rep(1:2, 5))
  e <- tryCatch(fe_reg(y ~ no_such_fun(x), df), error = function(e) e)
  expect_s3_class(e, "exportres_error")
  expect_identical(e$arg, "formula")
  expect_error(fe_reg(y ~ log(x), df), class = "exportres_error")     # NaN from log of negatives
  df$z <- 0
  expect_error(fe_reg(y ~ log(z), df), class = "exportres_error")     # -Inf
  expect_error(fe_reg(log(x) ~ y, df), class = "exportres_error")
  expect_error(fe_reg(y ~ l(x, 1.5), df, panel = c("g", "x")), class = "exportres_error")
})

test_that("variables from the formula's environment are found, as in lm()", {
  df <- data.frame(g = rep(1:5, each = 4), x = rnorm(20))
  yy <- df$x + rnorm(20)
  scale_by <- 2
  fit <- fe_reg(yy ~ I(x * scale_by) | g, df)
  expect_equal(unname(coef(fit)), unname(coef(lm(yy ~ I(x * 2) + factor(g), df))[2]), tolerance = 1e-12)
  f <- function() {
    local_x <- df$x^2
    fe_reg(yy ~ x + local_x | g, df)
  }
  expect_identical(names(coef(f())), c("x", "local_x"))
})
