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
  expect_gt(tabs$table6$coefs["did", 2], 0)                # PSM-DID
  expect_identical(colnames(tabs$table6$coefs), c("(1) DID", "(2) PSM-DID", "(3)-(6) Event study"))
  expect_identical(attr(tabs$table6, "missing"), character(0))
  es <- attr(tabs$table6, "models")[[3]]
  expect_s3_class(es, "exr_event")
  expect_equal(unname(es$rel), -4:5)
  expect_gt(mean(tabs$table6$coefs[paste0("rel::", 0:5), 3]), 0)   # effects after approval, on average
  expect_gt(glance(es)$pretrend_p, 0.05)
  expect_true(all(tabs$table7$coefs["dig", ] > 0))
  expect_gt(tabs$table8$coefs["aif", 2], 0)
  expect_gt(tabs$table8$coefs["dig", 2], 0)
})

test_that("the efficiencies behind aif and aif_dea are in (0, 1]", {
  expect_true(all(panel$aif > 0 & panel$aif <= 1, na.rm = TRUE))
  expect_true(all(panel$aif_dea > 0 & panel$aif_dea <= 1 + 1e-9, na.rm = TRUE))
  expect_error(build_city_panel(aif_model = "tfe"), class = "exportres_error")
})
