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
  expect_true(length(attr(tabs$table5, "missing")) > 0)
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
  expect_gt(tabs$table6$coefs["did", 1], 0)
  expect_true(all(tabs$table7$coefs["dig", ] > 0))
  expect_gt(tabs$table8$coefs["aif", 2], 0)
  expect_gt(tabs$table8$coefs["dig", 2], 0)
})

test_that("the efficiencies behind aif and aif_dea are in (0, 1]", {
  expect_true(all(panel$aif > 0 & panel$aif <= 1, na.rm = TRUE))
  expect_true(all(panel$aif_dea > 0 & panel$aif_dea <= 1 + 1e-9, na.rm = TRUE))
  expect_error(build_city_panel(aif_model = "tfe"), class = "exportres_error")
})

test_that("Table 5 column (3) is two-step system GMM with AR(2) and Sargan p-values", {
  t5 <- tabs$table5
  m <- attr(t5, "models")
  expect_identical(names(m), c("(1)", "(3)"))
  expect_s3_class(m[["(3)"]], "exr_gmm")
  expect_identical(m[["(3)"]]$steps, 2L)
  expect_true(m[["(3)"]]$system)
  expect_gt(t5$coefs["dig", "(3)"], 0)
  body <- t5$body
  expect_true(all(c("AR(2) p", "Sargan p") %in% rownames(body)))
  expect_identical(unname(body[c("AR(2) p", "Sargan p"), "(1)"]), c("", ""))
  g <- glance(m[["(3)"]])
  expect_identical(unname(body["AR(2) p", "(3)"]), formatC(g$ar2_p, digits = 4, format = "f"))
  expect_identical(unname(body["Sargan p", "(3)"]), formatC(g$sargan_p, digits = 4, format = "f"))
  # the main equation is in levels: every complete city-year from 2012 on
  expect_identical(nobs(m[["(3)"]]), sum(m[["(3)"]]$obs, na.rm = TRUE))
  expect_lt(g$n_instruments, g$n_groups)
  expect_false("(3) system GMM" %in% attr(t5, "missing"))
})
