# The package internals are tested directly.
exr_error <- exportres:::exr_error
exr_warning <- exportres:::exr_warning
check_data_frame <- exportres:::check_data_frame
check_columns <- exportres:::check_columns
check_numeric_column <- exportres:::check_numeric_column
match_choice <- exportres:::match_choice
check_cores <- exportres:::check_cores

test_that("errors and warnings carry the package's classes and the argument name", {
  f <- function(x) exr_error("x", "expected a number, got ", class(x), ".")
  err <- tryCatch(f("a"), error = function(e) e)
  expect_s3_class(err, "exportres_error")
  expect_s3_class(err, "error")
  expect_identical(err$arg, "x")
  expect_match(conditionMessage(err), "^`x`: expected a number, got character\\.$")
  g <- function() exr_warning("tol", "did not converge")
  expect_warning(g(), class = "exportres_warning")
})

test_that("shared validators name the offending argument", {
  df <- data.frame(a = 1:3, b = letters[1:3], n = NA_real_)
  expect_error(check_data_frame(list()), class = "exportres_error")
  expect_error(check_columns(df, "z", "vars"), class = "exportres_error")
  expect_error(check_numeric_column(df$b, "b"), class = "exportres_error")
  expect_error(check_numeric_column(df$n, "n"), class = "exportres_error")
  expect_identical(match_choice(c("a", "b"), c("a", "b"), "m"), "a")
  expect_identical(match_choice("b", c("a", "b"), "m"), "b")
  expect_error(match_choice("c", c("a", "b"), "m"), class = "exportres_error")
  expect_identical(check_cores(2), 2L)
  expect_error(check_cores(0), class = "exportres_error")
})
