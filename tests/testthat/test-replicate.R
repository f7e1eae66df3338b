# build_city_panel(): shape, definitions, agreement with the raw data and the measures.

test_that("the analysis panel has the paper's shape and definitions", {
  p <- build_city_panel()
  expect_equal(nrow(p), 289L * 11L)
  expect_equal(sort(unique(p$year)), 2011:2021)
  expect_false(anyDuplicated(paste(p$city, p$year)) > 0)
  expect_true(all(p$dig >= 0 & p$dig <= 1))
  expect_true(all(p$dig_pca >= 0 & p$dig_pca <= 1))
  expect_equal(sum(!duplicated(p$city[p$pilot])), 57L)
  expect_true(all(p$pilot_year[p$province == "Guizhou"] == 2015L))
  expect_true(all(p$did == as.integer(p$pilot & !is.na(p$pilot_year) & p$year >= p$pilot_year)))
  expect_equal(p$ifhhi, as.integer(p$n_partners > 3))
  expect_true(all(is.na(p$res_dev[p$year > 2015])))
  expect_equal(mean(p$cetc, na.rm = TRUE), 0, tolerance = 1e-12)
  expect_equal(sd(p$cetc, na.rm = TRUE), 1, tolerance = 1e-12)
  expect_true(all(p$emd >= 1 - 1e-9 & p$emd <= p$n_partners + 1e-9, na.rm = TRUE))
  expect_equal(sum(!complete.cases(p[, c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")])), 4L)
  for (v in c("st_fiscal", "rd_internal", "fai_lag", "sci_emp", "contracts", "patents_valid")) {
    expect_true(all(p[[v]] > 0))
  }
})

test_that("dig agrees with the DGP's own entropy weights and res with eq. (2)", {
  p <- build_city_panel()
  raw <- exportres::city_panel
  r <- raw[raw$year >= 2011, ]
  r <- r[order(r$city, r$year), ]
  vars <- names(city_truth$entropy_weights)
  w <- attr(entropy_index(r, vars), "weights")
  expect_equal(w, city_truth$entropy_weights, tolerance = 1e-3)   # rounding of the stored data
  # eq. (2) by hand for one city-year
  nat <- exportres::national_series
  k <- which(p$city == "C010" & p$year == 2015)
  v <- raw$exports[raw$city == "C010"]
  yr <- raw$year[raw$city == "C010"]
  vhat <- v[yr == 2014] * (1 + nat$export_growth[nat$year == 2015])
  expect_equal(p$res[k], (v[yr == 2015] - vhat) / abs(vhat - v[yr == 2008]), tolerance = 1e-12)
})

test_that("bad arguments -> exportres_error", {
  expect_error(build_city_panel(years = 1990:1995), class = "exportres_error")
  expect_error(build_city_panel(base = 2015), class = "exportres_error")
})
