fit_pair <- function() {
  set.seed(4)
  df <- data.frame(g = rep(1:30, each = 5), t = rep(1:5, 30), x = rnorm(150), z = rnorm(150),
                   w = rnorm(150))
  df$y <- 0.8 * df$x + 0.1 * df$w + rnorm(150)
  list(m1 = fe_reg(y ~ x | t, df, vcov = "cluster"),
       m2 = fe_reg(y ~ x + z | g + t, df, vcov = "cluster"),
       m3 = fe_reg(y ~ x + z + w | g + t, df, cluster = ~g),
       df = df)
}

# The number in a cell, without stars, parentheses or thousands separators.
cell_number <- function(s) as.numeric(gsub("[^0-9.eE+-]", "", s))

test_that("reg_table lays out coefficients, stars from p-values, FE rows and stats", {
  m <- fit_pair()
  tab <- reg_table(m$m1, m$m2, labels = c(x = "Digital economy"))
  expect_s3_class(tab, "exr_table")
  expect_identical(colnames(tab$body), c("(1)", "(2)"))
  expect_identical(rownames(tab$body)[1:4], c("Digital economy", "", "z", ""))
  p <- tidy(m$m2)$p.value[1]
  expect_identical(tab$body[1, 2], paste0(formatC(coef(m$m2)[["x"]], digits = 4, format = "f"),
                                          exportres:::stars_of(p)))
  expect_identical(tab$body[2, 2], paste0("(", formatC(m$m2$se[["x"]], digits = 4, format = "f"), ")"))
  expect_identical(tab$body["N", 1], "150")
  expect_identical(tab$body["g FE", ], c(`(1)` = "No", `(2)` = "Yes"))
  expect_equal(tab$coefs["x", ], c(`(1)` = coef(m$m1)[["x"]], `(2)` = coef(m$m2)[["x"]]))
  expect_equal(tab$p["x", 2], p)
  expect_identical(tab$row_kind[1:2], c("coef", "below"))
  zh <- reg_table(list(A = m$m1, B = m$m2), keep = "x", lang = "zh")
  expect_identical(colnames(zh$body), c("A", "B"))
  expect_identical(unname(zh$body["t\u56fa\u5b9a\u6548\u5e94", ]), c("\u662f", "\u662f"))
  expect_identical(unname(zh$body["g\u56fa\u5b9a\u6548\u5e94", ]), c("\u5426", "\u662f"))
  expect_true("\u89c2\u6d4b\u503c" %in% rownames(zh$body))    # observations
})

test_that("stars follow configurable p-value thresholds", {
  expect_identical(exportres:::stars_of(c(0.001, 0.02, 0.07, 0.2, NA)), c("***", "**", "*", "", ""))
  expect_identical(exportres:::stars_of(c(0.001, 0.02, 0.07), c(`+` = 0.1, `*` = 0.05)),
                   c("*", "*", "+"))
  m <- fit_pair()
  p <- tidy(m$m3)$p.value
  tab <- reg_table(m$m3, stars = c(a = 0.5, b = 0.2))
  for (i in seq_along(p)) {
    want <- if (p[i] < 0.2) "b" else if (p[i] < 0.5) "a" else ""
    expect_identical(unname(tab$stars[2 * i - 1, 1]), want)
    expect_true(endsWith(tab$body[2 * i - 1, 1], want))
  }
  none <- reg_table(m$m3, stars = NULL)
  expect_false(any(grepl("*", none$body, fixed = TRUE)))
  expect_false(any(grepl("p<", none$notes, fixed = TRUE)))
  expect_error(reg_table(m$m3, stars = c(0.1, 0.05)), class = "exportres_error")
  expect_error(reg_table(m$m3, stars = c(`*` = 1.5)), class = "exportres_error")
})

test_that("t, p and confidence intervals beneath equal the model's", {
  m <- fit_pair()
  td <- tidy(m$m3, conf.int = TRUE, conf.level = 0.9)
  t_tab <- reg_table(m$m3, se = "t")
  expect_equal(cell_number(t_tab$body[c(2, 4, 6), 1]), round(td$statistic, 2))
  p_tab <- reg_table(m$m3, se = "p", digits = 3)
  expect_equal(cell_number(p_tab$body[c(2, 4, 6), 1]), round(td$p.value, 3))
  ci_tab <- reg_table(m$m3, se = "ci", level = 0.9)
  ci <- strsplit(gsub("[][]", "", ci_tab$body[c(2, 4, 6), 1]), ", ")
  expect_equal(as.numeric(vapply(ci, `[`, "", 1)), round(td$conf.low, 4))
  expect_equal(as.numeric(vapply(ci, `[`, "", 2)), round(td$conf.high, 4))
  expect_match(ci_tab$notes[1], "90% confidence intervals")
  no <- reg_table(m$m3, se = "none")
  expect_identical(nrow(no$body), 3L + 2L + 2L)   # coefficients, two FE rows, N and R2
  expect_error(reg_table(m$m3, se = "var"), class = "exportres_error")
  expect_error(reg_table(m$m3, level = 2), class = "exportres_error")
})

test_that("keep, drop, order and labels select and rename terms", {
  m <- fit_pair()
  coef_rows <- function(tab) rownames(tab$body)[tab$row_kind == "coef"]
  expect_identical(coef_rows(reg_table(m$m3, keep = c("w", "x"))), c("w", "x"))
  expect_identical(coef_rows(reg_table(m$m3, drop = "^z$")), c("x", "w"))
  expect_identical(coef_rows(reg_table(m$m3, order = c("w", "z"))), c("w", "z", "x"))
  expect_identical(coef_rows(reg_table(m$m3, keep = "[xw]", labels = c(w = "W"))), c("x", "W"))
  expect_error(reg_table(m$m3, keep = "("), class = "exportres_error")
  expect_error(reg_table(m$m3, labels = "a"), class = "exportres_error")
  expect_error(reg_table(m$m3, keep = 1), class = "exportres_error")
})

test_that("controls become an indicator row, detected from each model's terms", {
  m <- fit_pair()
  tab <- reg_table(m$m1, m$m2, m$m3, controls = c("z", "w"))
  expect_identical(rownames(tab$body)[tab$row_kind == "coef"], "x")
  expect_identical(unname(tab$body["Controls", ]), c("No", "Yes", "Yes"))
  # a lagged control is a control; an interaction with a control is not
  expect_identical(exportres:::control_terms(c("l(z, 1)", "x:z", "z", "x", "year::2015"), "z"),
                   c(TRUE, FALSE, TRUE, FALSE, FALSE))
  zh <- reg_table(m$m1, m$m3, controls = "z", lang = "zh")
  expect_identical(unname(zh$body["\u63a7\u5236\u53d8\u91cf", ]), c("\u5426", "\u662f"))
})

test_that("fixed-effect rows are labelled, each fixed effect detected", {
  m <- fit_pair()
  m$df$city <- m$df$g
  m$df$year <- m$df$t
  a <- fe_reg(y ~ x | year, m$df)
  b <- fe_reg(y ~ x | city + year, m$df)
  tab <- reg_table(a, b)
  ind <- rownames(tab$body)[tab$row_kind == "indicator"]
  expect_identical(ind, c("City FE", "Year FE"))
  expect_identical(unname(tab$body["City FE", ]), c("No", "Yes"))
  zh <- reg_table(a, b, lang = "zh", fixef_labels = c(year = "\u65f6\u95f4\u56fa\u5b9a\u6548\u5e94"))
  expect_identical(rownames(zh$body)[zh$row_kind == "indicator"],
                   c("\u57ce\u5e02\u56fa\u5b9a\u6548\u5e94", "\u65f6\u95f4\u56fa\u5b9a\u6548\u5e94"))
  expect_false(any(reg_table(a, b, fixef = FALSE)$row_kind == "indicator"))
})

test_that("statistic rows: labels, thousands separators, two-decimal F, stars from their p", {
  m <- fit_pair()
  v <- vcov(m$m1)
  fake <- exportres:::new_exr_model("fake", coef(m$m1), v, 12345L, quote(f()), y ~ x,
                                    vcov_type = "iid", df_t = Inf,
                                    stats = list(r.squared = 0.123456, first_F = 19.2345,
                                                 cd_F = 17.3449, kp_F = 18.05, ar2_p = 0.20291,
                                                 sargan_p = 0.241, sobel = 2.1, sobel_p = 0.03,
                                                 diff_p = 0.0412))
  s <- c("first_F", "cd_F", "kp_F", "ar2_p", "sargan_p", "sobel", "diff_p", "nobs", "r.squared")
  tab <- reg_table(fake, m$m1, stats = s)
  st <- tab$body[tab$row_kind == "stat", 1]
  expect_identical(unname(st), c("19.23", "17.34", "18.05", "0.2029", "0.2410", "2.1000**",
                                 "0.0412", "12,345", "0.1235"))
  expect_identical(names(st), c("First-stage F", "Cragg-Donald Wald F", "Kleibergen-Paap rk Wald F",
                                "AR(2) p-value", "Sargan p-value", "Sobel z",
                                "Group difference p-value", "N", "R\u00b2"))
  # rows no model has are left out; unknown statistics keep their name
  expect_false("Sobel z" %in% rownames(reg_table(m$m1, stats = c("sobel", "nobs"))$body))
  expect_true("RMSE" %in% rownames(reg_table(m$m1, stats = "sigma")$body))
  expect_true("within_f_stat" %in% rownames(reg_table(m$m1, stats = "within_f_stat", digits = 2)$body) ||
                "Within F" %in% rownames(reg_table(m$m1, stats = "within_f_stat")$body))
  expect_true("my_stat" %in% rownames(reg_table(
    exportres:::new_exr_model("fake", coef(m$m1), v, 10L, quote(f()), y ~ x, vcov_type = "iid",
                              df_t = Inf, stats = list(my_stat = 1)), stats = "my_stat")$body))
  zh <- reg_table(fake, stats = s, lang = "zh")
  expect_true("\u4e00\u9636\u6bb5 F \u7edf\u8ba1\u91cf" %in% rownames(zh$body))   # first-stage F
})

test_that("grouped column headers from labels or spans", {
  m <- fit_pair()
  tab <- reg_table(m$m1, m$m2, m$m3, groups = c("A", "A", "B"))
  expect_identical(tab$header[[1]]$labels, c("A", "B"))
  expect_identical(tab$header[[1]]$spans, c(2L, 1L))
  two <- reg_table(m$m1, m$m2, m$m3, groups = list(c(Outer = 3), c("", "x", "y")), depvar = TRUE)
  expect_length(two$header, 4L)
  expect_identical(two$header[[4]]$labels, c("y", "y", "y"))
  expect_error(reg_table(m$m1, m$m2, groups = c(A = 3)), class = "exportres_error")
  expect_error(reg_table(m$m1, m$m2, groups = "A"), class = "exportres_error")
})

test_that("published and true values appear beneath the estimates", {
  m <- fit_pair()
  cmp <- data.frame(column = c(1, 1, 2, 2), term = c("x", "x", NA, "z"),
                    statistic = c("estimate", "std.error", "nobs", "estimate"),
                    value = c(0.75, 0.05, 149, -0.1), stars = c("***", "", "", ""))
  tru <- data.frame(column = 2, term = "x", value = 0.8)
  tab <- reg_table(m$m1, m$m2, compare = cmp, truth = tru, title = "T")
  k <- tab$row_kind
  expect_identical(unname(tab$body[k == "paper", ][1, ]), c("0.7500***", ""))
  expect_identical(unname(tab$body[k == "paper_below", ]), c("(0.0500)", ""))
  expect_identical(unname(tab$body[k == "truth", ]), c("", "0.8000"))
  expect_identical(unname(tab$body[k == "stat_paper", ]), c("", "149"))
  expect_identical(tab$title, "T")
  expect_length(tab$notes, 3L)
  expect_error(reg_table(m$m1, compare = data.frame(column = 3, term = "x", statistic = "estimate",
                                                    value = 1)), class = "exportres_error")
  expect_error(reg_table(m$m1, truth = data.frame(a = 1)), class = "exportres_error")
})

test_that("the automatic note says what is in parentheses", {
  m <- fit_pair()
  expect_match(reg_table(m$m3)$notes[1], "^Standard errors clustered by g in parentheses; \\*\\*\\* p<0.01")
  expect_match(reg_table(fe_reg(y ~ x, m$df))$notes[1], "^Standard errors in parentheses")
  expect_match(reg_table(fe_reg(y ~ x, m$df, vcov = "hc1"))$notes[1], "^Heteroskedasticity-robust")
  expect_match(reg_table(m$m3, se = "t")$notes[1], "^t statistics")
  expect_match(reg_table(m$m3, lang = "zh")$notes[1], "\u5206\u522b\u8868\u793a\u5728 1%\u30015%\u300110% \u7684\u6c34\u5e73\u4e0a\u663e\u8457")
})

test_that("bad input gives classed errors", {
  m <- fit_pair()
  expect_error(reg_table(), class = "exportres_error")
  expect_error(reg_table(lm(1 ~ 1)), class = "exportres_error")
  expect_error(reg_table(m$m1, lang = "fr"), class = "exportres_error")
  expect_error(reg_table(m$m1, digits = -1), class = "exportres_error")
  expect_error(reg_table(m$m1, fixef = NA), class = "exportres_error")
  expect_error(reg_table(m$m1, title = 1), class = "exportres_error")
  expect_error(reg_table(m$m1, notes = 1), class = "exportres_error")
  expect_identical(nrow(as.data.frame(reg_table(m$m1))), nrow(reg_table(m$m1)$body))
})

test_that("mediation and subgroup results enter as their fits, one column each", {
  m <- fit_pair()
  df <- m$df
  df$med <- 0.5 * df$x + rnorm(nrow(df))
  med <- mediation(y ~ x | g, "med", df, boot = 0)
  sg <- subgroup(y ~ x | g, df, list(A = ~ t <= 2, B = ~ t > 2), test = "stacked")
  tab <- reg_table(m$m1, med, sg, stats = c("sobel", "diff_p", "nobs"))
  expect_identical(colnames(tab$body), c("(1)", "(2)", "(3)", "A", "B"))
  expect_identical(unname(tab$coefs["x", 2:5]),
                   unname(c(coef(med$models$a$med)["x"], coef(med$models$b$med)["x"], coef(sg))))
  expect_identical(unname(nzchar(tab$body["Sobel z", ])), c(FALSE, FALSE, TRUE, FALSE, FALSE))
  expect_identical(unname(nzchar(tab$body["Group difference p-value", ])),
                   c(FALSE, FALSE, FALSE, TRUE, FALSE))
  expect_identical(ncol(reg_table(list(med))$body), 2L)
  expect_identical(colnames(reg_table(Named = m$m1, sg)$body), c("Named", "A", "B"))
})
