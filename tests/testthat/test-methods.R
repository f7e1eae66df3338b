# The model constructor and the shared methods: glance() as the one reader of
# statistics, logLik/AIC/BIC, the F statistics, print() showing what applies.

test_that("new_exr_model checks names and aligns per-row vectors with the data rows", {
  V <- diag(2) * 0.01
  dimnames(V) <- list(c("a", "b"), c("a", "b"))
  keep <- c(TRUE, FALSE, TRUE, TRUE)
  m <- exportres:::new_exr_model("toy", c(a = 1, b = 2), V, 3L, quote(toy()), y ~ a + b,
                                 vcov_type = "iid", df_t = 10, stats = list(r.squared = 0.5),
                                 keep = keep, per_row = list(residuals = c(0.1, 0.2, 0.3)))
  expect_s3_class(m, c("exr_toy", "exr_model"))
  expect_equal(residuals(m), c(0.1, NA, 0.2, 0.3))
  expect_equal(m$se, c(a = 0.1, b = 0.1))
  expect_identical(glance(m)$r.squared, 0.5)
  expect_identical(glance(m)$nobs, 3L)
  bad <- V; dimnames(bad) <- list(c("b", "a"), c("b", "a"))
  expect_error(exportres:::new_exr_model("toy", c(a = 1, b = 2), bad, 3L, NULL, NULL,
                                         vcov_type = "iid", df_t = 1))
  expect_error(exportres:::new_exr_model("toy", c(1, 2), V, 3L, NULL, NULL, vcov_type = "iid", df_t = 1))
  expect_error(exportres:::new_exr_model("toy", c(a = 1, b = 2), V, 3L, NULL, NULL, vcov_type = "iid",
                                         df_t = 1, keep = keep, per_row = list(r = 1:2)))
  expect_error(exportres:::new_exr_model("toy", c(a = 1, b = 2), V, 3L, NULL, NULL, vcov_type = "iid",
                                         df_t = 1, stats = list(x = 1:2)))
})

test_that("logLik, AIC and BIC equal lm's, and fixest's without weights", {
  set.seed(31)
  df <- data.frame(g = rep(1:12, each = 5), x = rnorm(60), w = runif(60, 0.5, 2))
  df$y <- df$x + rnorm(12)[df$g] + rnorm(60)
  fit <- fe_reg(y ~ x | g, df)
  l <- lm(y ~ x + factor(g), df)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(l)), tolerance = 1e-12)
  expect_identical(attr(logLik(fit), "df"), attr(logLik(l), "df"))
  expect_equal(AIC(fit), AIC(l), tolerance = 1e-12)
  expect_equal(BIC(fit), BIC(l), tolerance = 1e-12)
  fw <- fe_reg(y ~ x | g, df, weights = "w")
  lw <- lm(y ~ x + factor(g), df, weights = w)
  expect_equal(as.numeric(logLik(fw)), as.numeric(logLik(lw)), tolerance = 1e-12)
  skip_if_no_reference("fixest")
  ref <- fixest::feols(y ~ x | g, df)
  expect_equal(as.numeric(logLik(fit)), as.numeric(logLik(ref)), tolerance = 1e-12)
  # fixest's AIC does not count the residual variance as a parameter (lm's does)
  expect_equal(AIC(fit), AIC(ref) + 2, tolerance = 1e-12)
  # fixest's logLik ignores the weights (its formula uses the unweighted residuals)
  refw <- fixest::feols(y ~ x | g, df, weights = ~w)
  e <- residuals(fw)
  expect_equal(as.numeric(logLik(refw)), -30 * (log(2 * pi) + log(mean(e^2)) + 1), tolerance = 1e-12)
  V <- matrix(1, 1, 1, dimnames = list("a", "a"))
  toy <- exportres:::new_exr_model("toy", c(a = 1), V, 3L, NULL, NULL, vcov_type = "iid", df_t = 1)
  expect_error(logLik(toy), class = "exportres_error")
})

test_that("f_stat and within_f_stat are fixest's fitstat f and wf", {
  skip_if_no_reference("fixest")
  data(trade, package = "fixest", envir = environment())
  tr <- trade[seq(1, nrow(trade), by = 5), ]
  for (w in list(NULL, ~Year)) {
    ref <- fixest::feols(log(Euros) ~ log(dist_km) | Origin + Destination, tr, weights = w,
                         fixef.tol = 1e-10, notes = FALSE)
    fit <- fe_reg(log(Euros) ~ log(dist_km) | Origin + Destination, tr,
                  weights = if (is.null(w)) NULL else "Year")
    fs <- fixest::fitstat(ref, ~ f + wf)
    expect_equal(fit$stats$f_stat, fs$f$stat, tolerance = 1e-8)
    expect_equal(fit$stats$f_p, fs$f$p, tolerance = 1e-8)
    expect_equal(fit$stats$within_f_stat, fs$wf$stat, tolerance = 1e-8)
  }
  # without fixed effects f is lm's F
  set.seed(3)
  d <- data.frame(x = rnorm(40), z = rnorm(40)); d$y <- d$x + rnorm(40)
  expect_equal(fe_reg(y ~ x + z, d)$stats$f_stat, unname(summary(lm(y ~ x + z, d))$fstatistic[1]),
               tolerance = 1e-10)
})

test_that("glance() is the one reader: reg_table and print show what it gives", {
  set.seed(32)
  df <- data.frame(g = rep(1:10, each = 6), x = rnorm(60))
  df$y <- df$x + rnorm(60)
  fit <- fe_reg(y ~ x | g, df)
  gl <- glance(fit)
  tab <- reg_table(fit, stats = c("nobs", "r.squared", "within.r.squared", "f_stat"))
  expect_identical(unname(tab$body["Within R\u00b2", 1]), formatC(gl$within.r.squared, digits = 4, format = "f"))
  expect_identical(unname(tab$body["F", 1]), formatC(gl$f_stat, digits = 2, format = "f"))
  expect_output(print(fit), "Within R2")
  ols <- fe_reg(y ~ x, df)
  expect_false("within.r.squared" %in% names(glance(ols)))
  out <- capture.output(print(ols))
  expect_false(any(grepl("Within R2", out)))
  expect_false(any(grepl("Fixed effects", out)))
  expect_output(print(summary(fit)), "Std. Error")
})

test_that("modelsummary lays out exportres models through tidy() and glance()", {
  skip_if_no_reference("modelsummary")
  set.seed(4)
  df <- data.frame(g = rep(1:30, each = 5), t = rep(1:5, 30), x = rnorm(150), z = rnorm(150))
  df$y <- 0.8 * df$x + rnorm(150)
  m1 <- fe_reg(y ~ x | t, df, cluster = ~g)
  m2 <- fe_reg(y ~ x + z | g + t, df, cluster = ~g)
  out <- modelsummary::modelsummary(list(m1, m2), output = "data.frame", fmt = 6,
                                    statistic = "std.error")
  est <- out[out$part == "estimates" & out$statistic == "estimate", ]
  se <- out[out$part == "estimates" & out$statistic == "std.error", ]
  expect_identical(est$term, c("x", "z"))
  expect_equal(as.numeric(est[1, "(1)"]), unname(round(coef(m1)[["x"]], 6)))
  expect_equal(as.numeric(gsub("[()]", "", se[2, "(2)"])), unname(round(m2$se[["z"]], 6)))
  gof <- out[out$part == "gof", ]
  expect_identical(gof[gof$term == "Num.Obs.", "(1)"], "150")
  md <- modelsummary::modelsummary(list(m1, m2), output = "markdown")
  expect_true(any(grepl("Num.Obs.", md, fixed = TRUE)))
})
