test_that("exr_panel marks the panel and lags are found by value, not position", {
  df <- data.frame(id = c("a", "a", "a", "b", "b"), yr = c(2011, 2012, 2014, 2012, 2011),
                   x = c(1, 2, 4, 20, 10))
  p <- exr_panel(df, "id", "yr")
  expect_s3_class(p, "exr_panel")
  expect_identical(attr(p, "panel"), c("id", "yr"))
  env <- exportres:::formula_env(exportres:::panel_index(df$id, df$yr), globalenv(), nrow(df))
  expect_identical(env$l(df$x, 1), c(NA, 1, NA, 10, NA))
  expect_identical(env$f(df$x, 1), c(2, NA, NA, NA, 20))
  expect_identical(env$l(df$x, 2), c(NA, NA, 2, NA, NA))
  expect_identical(env$d(df$x), c(NA, 1, NA, 10, NA))
  expect_output(print(p), "2 units")
})

test_that("panel arguments are validated", {
  df <- data.frame(id = 1:3, t = c("a", "b", "c"), x = 1:3)
  expect_error(exr_panel(df, "id", "t"), class = "exportres_error")
  expect_error(exr_panel(df, "id", "nope"), class = "exportres_error")
  expect_error(exr_panel(df, c("id", "t"), "t"), class = "exportres_error")
  expect_error(fe_reg(x ~ l(x), df), class = "exportres_error")
  expect_error(fe_reg(x ~ id, df, panel = "id"), class = "exportres_error")
})
