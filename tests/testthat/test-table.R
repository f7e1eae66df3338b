fit_pair <- function() {
  set.seed(4)
  df <- data.frame(g = rep(1:30, each = 5), t = rep(1:5, 30), x = rnorm(150), z = rnorm(150))
  df$y <- 0.8 * df$x + rnorm(150)
  list(m1 = fe_reg(y ~ x | t, df, vcov = "cluster"), m2 = fe_reg(y ~ x + z | g + t, df, vcov = "cluster"))
}

test_that("reg_table lays out coefficients, stars from p-values, FE rows and stats", {
  m <- fit_pair()
  tab <- reg_table(m$m1, m$m2, labels = c(x = "Digital economy"))
  expect_s3_class(tab, "exr_table")
  expect_identical(colnames(tab$body), c("(1)", "(2)"))
  expect_identical(rownames(tab$body)[1:4], c("Digital economy", "", "z", ""))
  p <- tidy(m$m2)$p.value[1]
  expect_identical(tab$body[1, 2], paste0(formatC(coef(m$m2)[["x"]], digits = 4, format = "f"),
                                          exportres:::stars_of(p)))
  expect_identical(tab$body["N", 1], "150")
  expect_identical(tab$body["g FE", ], c(`(1)` = "No", `(2)` = "Yes"))
  expect_equal(tab$coefs["x", ], c(`(1)` = coef(m$m1)[["x"]], `(2)` = coef(m$m2)[["x"]]))
  expect_snapshot(print(tab))
  zh <- reg_table(list(A = m$m1, B = m$m2), keep = "x", lang = "zh")
  expect_identical(colnames(zh$body), c("A", "B"))
  expect_identical(unname(zh$body[3, ]), c("\u662f", "\u662f"))
})

test_that("stars follow the p-value thresholds", {
  expect_identical(exportres:::stars_of(c(0.001, 0.02, 0.07, 0.2, NA)), c("***", "**", "*", "", ""))
})

test_that("tables knit as markdown and save in several formats", {
  m <- fit_pair()
  tab <- reg_table(m$m1, m$m2)
  md <- exportres:::table_markdown(tab)
  expect_match(md[1], "^\\| \\| \\(1\\) \\| \\(2\\) \\|$")
  for (ext in c("csv", "md", "html", "tex", "txt")) {
    f <- tempfile(fileext = paste0(".", ext))
    save_table(tab, f)
    expect_true(file.exists(f))
  }
  expect_equal(nrow(as.data.frame(tab)), nrow(tab$body))
  expect_error(save_table(tab, tempfile(fileext = ".xyz")), class = "exportres_error")
  expect_error(save_table(1, "a.md"), class = "exportres_error")
  expect_error(reg_table(), class = "exportres_error")
  expect_error(reg_table(lm(1 ~ 1)), class = "exportres_error")
  expect_error(reg_table(m$m1, lang = "fr"), class = "exportres_error")
})
