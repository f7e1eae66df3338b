# The bundled simulated panel: recovery of city_truth with the package's own
# estimators (fe_reg(), DESIGN.md API), and the paper's signs. One shipped seed
# (289), chosen in advance: these are checks of honesty, not of luck -- the
# coverage over 100 regenerated panels is in data-raw/COVERAGE.md.


ctl <- "ed + fdi + fp + ub + fc + mk + ts + er + lai"
fml <- function(s) stats::as.formula(sprintf(s, ctl))

test_that("data sets are documented shapes and labelled simulated", {
  expect_equal(nrow(city_info), 289L)
  expect_equal(nrow(city_panel), 289L * 14L)
  expect_match(city_truth$note, "simulated")
  expect_equal(city_truth$total_effect, 0.84 + 0.16 * 0.064)
  expect_true(all(c("total_effect", "direct_effect", "did") %in% names(city_truth$estimated_by)))
})

test_that("baseline total effect within 3 SE of city_truth (Table 3 col. 4)", {
  p <- build_city_panel()
  fit <- fe_reg(fml("res ~ dig + %s | city + year"), p, cluster = ~city)
  b <- coef(fit)[["dig"]]
  se <- sqrt(vcov(fit)["dig", "dig"])
  expect_lt(abs(b - city_truth$total_effect), 3 * se)
  expect_gt(b, 0)
})

test_that("first-stage F of each instrument near 20 (Table 5)", {
  p <- build_city_panel()
  for (iv in c("iv1", "iv2")) {
    fs <- fe_reg(stats::as.formula(sprintf("dig ~ %s + %s | city + year", iv, ctl)), p,
                 cluster = ~city)
    F <- coef(fs)[[iv]]^2 / vcov(fs)[iv, iv]
    expect_gt(F, 8)
    expect_lt(F, 60)
  }
})

test_that("the paper's signs: Tables 3, 4, 6, 8", {
  p <- build_city_panel()
  pos <- function(f, term = "dig") expect_gt(coef(fe_reg(f, p, cluster = ~city))[[term]], 0)
  pos(res ~ dig | city + year)
  pos(fml("res ~ dig_pca + %s | city + year"), "dig_pca")
  pos(fml("res_dev ~ dig + %s | city + year"))
  pos(fml("emd ~ dig + %s | city + year"))
  pos(fml("res ~ did + %s | city + year"), "did")
  pos(fml("aif ~ dig + %s | city + year"))
})
