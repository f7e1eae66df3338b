# The paper's tables on the bundled panel: shape, what is not yet estimable, and
# the paper's signs where the package can estimate them.
panel <- build_city_panel()
tabs <- replicate_tables(data = panel)

test_that("Tables 3-9 are built, titled and list what is not yet estimable", {
  expect_identical(names(tabs), paste0("table", 3:9))
  for (t in tabs) {
    expect_s3_class(t, "exr_table")
    expect_match(attr(t, "title"), "^Table [3-9]\\.")
  }
  expect_identical(ncol(tabs$table3$body), 4L)
  expect_identical(ncol(tabs$table7$body), 8L)
  expect_identical(attr(tabs$table3, "missing"), character(0))
  expect_error(replicate_tables(2), class = "exportres_error")
})

test_that("the tables have the paper's signs and sample sizes", {
  t3 <- tabs$table3$coefs["dig", ]
  expect_true(all(t3 > 0))
  expect_identical(unname(vapply(attr(tabs$table3, "models"), nobs, 1L)),
                   c(3179L, 3175L, 3179L, 3175L))
  expect_gt(tabs$table4$coefs["dig_pca", 1], 0)
  expect_identical(nobs(attr(tabs$table4, "models")[[2]]), 1442L)   # deviation: 2011-2015, less the rows with a missing control
  expect_identical(nobs(attr(tabs$table5, "models")[[1]]), 2887L)   # lag loses 2011
  # Table 5: Heckman (2), system GMM (3), first and second stages of 2SLS with iv1 (4)-(5) and iv2 (6)-(7)
  t5 <- attr(tabs$table5, "models")
  expect_identical(names(t5), c("(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"))
  expect_s3_class(t5[["(3)"]], "exr_gmm")
  expect_s3_class(t5[["(2)"]], "exr_heckman")
  expect_s3_class(t5[["(4)"]], "exr_fe")
  expect_s3_class(t5[["(5)"]], "exr_iv")
  expect_true(all(tabs$table5$coefs["iv", c("(4)", "(6)")] > 0))
  for (m in t5[c("(5)", "(7)")]) {
    ci <- confint(m)["dig", ]
    expect_true(ci[1] < city_truth$total_effect && city_truth$total_effect < ci[2])
  }
  expect_true(all(nzchar(tabs$table5$body["Kleibergen-Paap rk Wald F", c("(4)", "(5)", "(6)", "(7)")])))
  expect_identical(attr(tabs$table5, "missing"), character(0))
  expect_gt(tabs$table6$coefs["did", 1], 0)
  expect_gt(tabs$table6$coefs["did", 2], 0)                # PSM-DID
  expect_identical(colnames(tabs$table6$coefs), c("(1)", "(2)", "(3)"))
  expect_identical(tabs$table6$header[[1]]$labels, c("TWFE DID", "PSM-DID", "Event study"))
  expect_identical(attr(tabs$table6, "missing"), character(0))
  expect_s3_class(attr(tabs$table6, "models")[[2]]$matching, "exr_match")
  es <- attr(tabs$table6, "models")[[3]]
  expect_s3_class(es, "exr_event")
  expect_equal(unname(es$rel), -4:5)
  expect_identical(names(es$rel), paste0("rel_year::", -4:5))       # keyed as paper_values()
  expect_gt(mean(tabs$table6$coefs[paste0("rel_year::", 0:5), 3]), 0)   # effects after approval, on average
  expect_gt(glance(es)$pretrend_p, 0.05)
  expect_true(any(vapply(attr(tabs$table6, "figures"), inherits, TRUE, "exr_event")))
  expect_true(all(tabs$table7$coefs["dig", ] > 0))
  expect_gt(tabs$table8$coefs["aif", 2], 0)
  expect_gt(tabs$table8$coefs["dig", 2], 0)
})

test_that("the efficiencies behind aif and aif_dea are in (0, 1]", {
  expect_true(all(panel$aif > 0 & panel$aif <= 1, na.rm = TRUE))
  expect_true(all(panel$aif_dea > 0 & panel$aif_dea <= 1 + 1e-9, na.rm = TRUE))
  expect_error(build_city_panel(aif_model = "tfe"), class = "exportres_error")
})

test_that("every number in a replicated table equals the underlying model's", {
  num <- function(s) as.numeric(gsub("[^0-9.eE-]", "", s))
  for (t in tabs) {
    models <- attr(t, "models")
    b <- t$body
    k <- t$row_kind
    coef_rows <- which(k == "coef")
    expect_gt(length(coef_rows), 0L)
    for (i in coef_rows) {
      term <- rownames(t$coefs)[match(i, coef_rows)]
      for (j in seq_along(models)) {
        tt <- tidy(models[[j]])
        r <- match(term, tt$term)
        if (is.na(r)) {
          expect_identical(unname(b[i, j]), "")
          next
        }
        expect_identical(num(b[i, j]), round(tt$estimate[r], 4))
        expect_identical(unname(t$stars[i, j]), exportres:::stars_of(tt$p.value[r]))
        expect_identical(num(b[i + 1L, j]), round(tt$std.error[r], 4))
      }
    }
    stat <- b[k == "stat", , drop = FALSE]
    for (j in seq_along(models)) {
      g <- glance(models[[j]])
      expect_identical(num(stat["N", j]), as.numeric(nobs(models[[j]])))
      r2 <- if (is.null(g$r.squared)) NA_real_ else round(g$r.squared, 4)   # none for GMM
      expect_identical(num(stat["R\u00b2", j]), r2)
    }
  }
})

test_that("the paper's columns, headers and published values are laid out", {
  cmp <- replicate_tables(c(3, 5, 8), data = panel, compare = TRUE)
  t3 <- cmp$table3
  expect_identical(colnames(t3$body), sprintf("(%d)", 1:4))
  expect_identical(t3$header[[1]]$labels, "Export resilience")
  expect_identical(unname(t3$body["Controls", ]), c("No", "Yes", "No", "Yes"))
  pv <- paper_values(3)
  est <- pv[pv$statistic == "estimate", ]
  paper_row <- t3$body[which(t3$row_kind == "paper")[1], ]
  expect_identical(unname(paper_row), paste0(formatC(est$value, digits = 4, format = "f"), est$stars))
  truth_row <- t3$body[t3$row_kind == "truth", , drop = FALSE]
  expect_identical(unname(truth_row[1, ]), c("", "", "", formatC(city_truth$total_effect, digits = 4, format = "f")))
  # Table 5: every column is estimable, in the paper's numbering
  expect_identical(attr(cmp$table5, "columns"), 1:7)
  expect_identical(colnames(cmp$table5$body), sprintf("(%d)", 1:7))
  expect_true(any(grepl("Heckman", cmp$table5$notes)))
  expect_true(any(grepl("GMM", cmp$table5$notes)))
  t8 <- cmp$table8
  expect_identical(t8$header[[2]]$labels, c("aif", "res", "aif_dea", "res", "Pilot cities", "Other cities"))
  expect_true("Sobel z" %in% rownames(t8$body))
  zh <- replicate_tables(3, data = panel, lang = "zh")$table3
  expect_match(zh$title, "^\u8868 3")
  expect_true(all(c("\u63a7\u5236\u53d8\u91cf", "\u57ce\u5e02\u56fa\u5b9a\u6548\u5e94",
                    "\u65f6\u95f4\u56fa\u5b9a\u6548\u5e94", "\u89c2\u6d4b\u503c") %in% rownames(zh$body)))
  expect_error(replicate_tables(3, data = panel, compare = NA), class = "exportres_error")
})

test_that("Tables 7-9 carry the mechanism estimators' tests", {
  t7 <- tabs$table7
  p7 <- t7$body["Group difference p-value", ]
  expect_true(all(nzchar(p7[c(1, 3, 5, 7)])) && !any(nzchar(p7[c(2, 4, 6, 8)])))
  expect_identical(attr(t7, "missing"), character(0))
  figs7 <- attr(t7, "figures")
  expect_true(all(vapply(figs7, inherits, logical(1), what = "exr_subgroup")))
  # FDI and risk exposure are split at their medians in each year, as the paper does
  expect_identical(figs7[[1]]$split$by, "year")
  expect_identical(figs7[[1]]$tests$p.value, glance(figs7[[1]])$diff_p)
  t8 <- tabs$table8
  expect_identical(attr(t8, "missing"), character(0))
  med <- Filter(function(x) inherits(x, "exr_mediation"), attr(t8, "figures"))[[1]]
  sob <- t8$body["Sobel z", ]
  expect_identical(unname(sob[c(1, 3, 5, 6)]), rep("", 4))
  expect_identical(as.numeric(sub("[*]+$", "", sob[c(2, 4)])), round(med$tests$sobel, 4))
  expect_identical(med$boot$B, 1000L)
  expect_true(inherits(attr(tabs$table9, "models")[[2]], "exr_moderation"))
  expect_identical(names(coef(attr(tabs$table9, "models")[[2]]))[c(1, 12)], c("dig", "dig:cetc"))
  # the draws are reproducible and the caller's random numbers untouched
  set.seed(99)
  before <- runif(1)
  set.seed(99)
  again <- replicate_tables(7, data = panel)$table7
  expect_identical(runif(1), before)
  expect_identical(again$body, t7$body)
  expect_error(replicate_tables(7, data = panel, seed = NA), class = "exportres_error")
})

test_that("a model's paper column comes from `missing`, `columns` or its position", {
  sc <- exportres:::spec_columns
  expect_identical(sc(list(missing = c("(2) Heckman", "(3) GMM", "(4)-(7) 2SLS")), 7L, 1L), 1L)
  expect_identical(sc(list(missing = c("(2) Heckman", "(4)-(7) 2SLS")), 7L, 2L), c(1L, 3L))
  expect_identical(sc(list(missing = "Sobel tests"), 6L, 6L), 1:6)
  expect_identical(sc(list(missing = "(2) PSM-DID", columns = c(1, 3)), 3L, 2L), c(1L, 3L))
  expect_identical(sc(list(missing = character(0)), 4L, 2L), 1:2)
  expect_null(sc(list(missing = character(0)), 2L, 3L))
})

test_that("the published values are complete and match the Chinese original", {
  pv <- paper_values()
  expect_identical(sort(unique(pv$table)), 3:9)
  key <- paste(pv$table, pv$column, pv$term, pv$statistic)
  expect_false(anyDuplicated(key) > 0)
  est <- pv[pv$statistic == "estimate", ]
  se <- pv[pv$statistic == "std.error", ]
  expect_identical(paste(est$table, est$column, est$term), paste(se$table, se$column, se$term))
  expect_true(all(se$value > 0))
  cols <- unique(pv[c("table", "column")])
  expect_identical(nrow(cols), 4L + 4L + 7L + 3L + 8L + 6L + 4L)
  expect_true(all(pv$value[pv$statistic == "nobs"] %in% c(528, 615, 1229, 1277, 1444, 1585, 1859, 1902,
                                                          1945, 2034, 2557, 2889, 2890, 3137, 3148,
                                                          3172, 3174, 3178, 3179)))
  expect_error(paper_values(2), class = "exportres_error")
  # against the Chinese original, when it is at hand (not shipped with the package)
  f <- c(Sys.getenv("EXPORTRES_PAPER_ZH"), "/work/shared/paper/paper-zh.txt",
         test_path("../../../shared/paper/paper-zh.txt"), test_path("../../../../shared/paper/paper-zh.txt"))
  f <- f[nzchar(f) & file.exists(f)]
  skip_if(!length(f), "the Chinese original is not at hand")
  txt <- paste(readLines(f[1], encoding = "UTF-8", warn = FALSE), collapse = "\n")
  txt <- gsub("\uff08", "(", gsub("\uff09", ")", txt))
  raw <- utils::read.csv(system.file("extdata", "paper-values.csv", package = "exportres"),
                         colClasses = "character", encoding = "UTF-8", na.strings = "")
  raw$stars[is.na(raw$stars)] <- ""
  printed <- ifelse(raw$statistic == "std.error", paste0("(", raw$value, ")"), paste0(raw$value, raw$stars))
  found <- vapply(printed, grepl, logical(1), x = txt, fixed = TRUE)
  expect_identical(printed[!found], character(0))
  more_stars <- vapply(paste0(printed, "*")[raw$statistic == "estimate"], grepl, logical(1), x = txt, fixed = TRUE)
  expect_false(any(more_stars))
})

test_that("the truth rows are the documented parameters", {
  tr <- exportres:::table_truth(8)
  expect_identical(tr$value, c(city_truth$a_mediator, city_truth$direct_effect, city_truth$b_mediator))
  ev <- exportres:::table_truth(6)
  expect_identical(ev$value[ev$term == "rel_year::2"], unname(city_truth$did_path["2"]))
  expect_identical(ev$value[ev$term == "rel_year::-3"], 0)
  expect_null(exportres:::table_truth(4))
  figs <- attr(tabs$table3, "figures")
  expect_true(is.list(figs))
  expect_true(all(vapply(figs, exportres:::has_plot_method, logical(1))))
})

test_that("Table 5 column (3) is two-step system GMM with AR(2) and Sargan p-values", {
  t5 <- tabs$table5
  m <- attr(t5, "models")
  expect_identical(names(m), sprintf("(%d)", 1:7))
  g3 <- m[["(3)"]]
  expect_s3_class(g3, "exr_gmm")
  expect_identical(g3$steps, 2L)
  expect_true(g3$system)
  expect_identical(g3$vcov_type, "windmeijer")
  expect_gt(t5$coefs["dig", "(3)"], 0)
  body <- t5$body
  stat <- body[t5$row_kind == "stat", , drop = FALSE]
  rows <- c("AR(2) p-value", "Sargan p-value")
  expect_true(all(rows %in% rownames(stat)))
  expect_identical(unname(stat[rows, "(1)"]), c("", ""))
  g <- glance(g3)
  num <- function(s) as.numeric(gsub("[^0-9.eE-]", "", s))
  expect_identical(num(stat[rows, "(3)"]), round(c(g$ar2_p, g$sargan_p), 4))
  # the main equation is in levels: every complete city-year from 2012 on
  expect_identical(nobs(g3), sum(g3$obs, na.rm = TRUE))
  expect_lt(g$n_instruments, g$n_groups)
  expect_false(any(grepl("GMM", attr(t5, "missing"))))
})
