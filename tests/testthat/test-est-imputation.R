# did_imputation(): the Borusyak-Jaravel-Spiess imputation estimator against
# didimputation on its own example data, a hand-worked case, and bad input.

# didimputation's first stage is fixest::feols at its default fixef.tol (1e-6);
# the reference is run at fixest's tightest setting, as DESIGN.md asks.
tight_fixest <- function(env = parent.frame()) {
  fixest::setFixest_estimation(fixef.tol = 1e-11)
  withr_defer <- function() fixest::setFixest_estimation(reset = TRUE)
  do.call(on.exit, list(quote(withr_defer()), add = TRUE), envir = env)
  assign("withr_defer", withr_defer, envir = env)
}

het_data <- function() {
  data("df_het", package = "didimputation", envir = environment())
  as.data.frame(df_het)
}

test_that("did_imputation equals didimputation on df_het: ATT, event times, pre-trends", {
  skip_if_no_reference("didimputation")
  skip_under_valgrind()
  tight_fixest()
  df <- het_data()
  ref <- didimputation::did_imputation(df, yname = "dep_var", gname = "g", tname = "year",
                                       idname = "unit")
  ref_h <- didimputation::did_imputation(df, yname = "dep_var", gname = "g", tname = "year",
                                         idname = "unit", horizon = c(0, 1, 5, 10),
                                         pretrends = -4:-1)
  fit <- did_imputation(dep_var ~ 1, df, panel = c("unit", "year"), adopt = "g",
                        horizons = c(0, 1, 5, 10), pretrends = -4:-1)
  expect_lt(rel_diff(coef(fit)[["ATT"]], ref$estimate), 1e-8)
  expect_lt(rel_diff(fit$se[["ATT"]], ref$std.error), 1e-6)
  post <- ref_h[as.numeric(ref_h$term) >= 0, ]
  ours <- fit$estimates[match(paste0("event::", post$term), fit$estimates$term), ]
  expect_lt(rel_diff(ours$estimate, post$estimate), 1e-8)
  expect_lt(rel_diff(ours$std.error, post$std.error), 1e-6)
  pre <- ref_h[as.numeric(ref_h$term) < 0, ]
  pf <- fit$pretrends
  expect_lt(rel_diff(coef(pf)[paste0("event::", pre$term)], pre$estimate), 1e-8)
  expect_lt(rel_diff(pf$se[paste0("event::", pre$term)], pre$std.error), 1e-6)
  g <- glance(fit)
  expect_equal(g$pretrend_df, 4)
  expect_true(g$pretrend_p > 0 && g$pretrend_p < 1)
})

test_that("did_imputation equals didimputation with a covariate and another cluster", {
  skip_if_no_reference("didimputation")
  skip_under_valgrind()
  tight_fixest()
  df <- het_data()
  set.seed(17)
  df$x <- rnorm(nrow(df)) + 0.02 * (df$year - 2000)
  df$dep_var <- df$dep_var + 0.5 * df$x
  ref <- didimputation::did_imputation(df, yname = "dep_var", gname = "g", tname = "year",
                                       idname = "unit", first_stage = ~ x | unit + year,
                                       horizon = c(0, 3), cluster_var = "state")
  fit <- did_imputation(dep_var ~ x | unit + year, df, panel = c("unit", "year"), adopt = "g",
                        horizons = c(0, 3), cluster = ~state)
  ours <- fit$estimates[match(paste0("event::", ref$term), fit$estimates$term), ]
  expect_lt(rel_diff(ours$estimate, ref$estimate), 1e-8)
  expect_lt(rel_diff(ours$std.error, ref$std.error), 1e-6)
  expect_equal(fit$cluster, "state")
  expect_lt(abs(fit$beta[["x"]] - 0.5), 0.05)
})

test_that("a hand-worked two-unit case: imputation by the untreated fit", {
  # unit 1 treated from t = 3, unit 2 never; y = a_i + l_t (+ 2 when treated)
  df <- data.frame(id = rep(1:3, each = 4), t = rep(1:4, 3), g = rep(c(3, NA, NA), each = 4))
  a <- c(1, 2, 0)[df$id]
  l <- c(0, 1, 3, 4)[df$t]
  df$y <- a + l + ifelse(!is.na(df$g) & df$t >= df$g, 2 + (df$t - df$g), 0)
  fit <- did_imputation(y ~ 1, df, panel = c("id", "t"), adopt = "g", horizons = TRUE)
  expect_equal(unname(coef(fit)), c(2.5, 2, 3), tolerance = 1e-10)
  expect_equal(fit$effects[!is.na(fit$effects)], c(2, 3), tolerance = 1e-10)
  # no error: standard errors are zero in an exact model
  expect_true(all(fit$se < 1e-8))
})

test_that("did_imputation rejects bad input with classed errors", {
  df <- data.frame(id = rep(1:6, each = 4), t = rep(1:4, 6),
                   g = rep(c(3, 3, 2, NA, NA, NA), each = 4))
  set.seed(1)
  df$y <- rnorm(24)
  df$xc <- rep(rnorm(6), each = 4)          # constant within every unit
  expect_error(did_imputation(y ~ xc, df, panel = c("id", "t"), adopt = "g"),
               class = "exportres_error")
  df2 <- df
  df2$g[df2$id == 1] <- 9                   # adoption after the data end
  expect_error(did_imputation(y ~ 1, df2, panel = c("id", "t"), adopt = "g"),
               class = "exportres_error")
  df3 <- df
  df3$g[df3$id == 1 & df3$t == 2] <- 4      # not constant within unit
  expect_error(did_imputation(y ~ 1, df3, panel = c("id", "t"), adopt = "g"),
               class = "exportres_error")
  expect_error(did_imputation(y ~ 1, df, panel = c("id", "t"), adopt = "g", horizons = 7),
               class = "exportres_error")
  expect_error(did_imputation(y ~ 1, df, panel = c("id", "t"), adopt = "g", pretrends = 1),
               class = "exportres_error")
  expect_error(did_imputation(y ~ 1, df, adopt = "g"), class = "exportres_error")
  expect_error(did_imputation(y ~ 1, df, panel = c("id", "t"), adopt = "nope"),
               class = "exportres_error")
})
