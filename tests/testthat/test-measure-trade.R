# Resilience, diversity and sophistication: hand-worked answers, reference
# packages on their own data, properties, bad input.

test_that("counterfactual resilience matches a hand-worked 3-year example", {
  df <- data.frame(city = "A", year = 2008:2011, v = c(100, 120, 130, 150))
  g <- data.frame(year = 2009:2011, rate = c(0.10, 0.10, 0.05))
  # 2009: vhat = 110, res = (120 - 110) / |110 - 100| = 1
  # 2010: vhat = 132, res = (130 - 132) / |132 - 100| = -0.0625
  # 2011: vhat = 136.5, res = (150 - 136.5) / |136.5 - 100| = 13.5 / 36.5
  r <- resilience_index(df, "v", "city", "year", growth = g)
  expect_equal(r, c(NA, 1, -0.0625, 13.5 / 36.5), tolerance = 1e-14)
  # rows in any order, two cities, a missing year breaks the chain
  df2 <- rbind(df, data.frame(city = "B", year = c(2008, 2009, 2011), v = c(50, 40, 70)))
  o <- c(7, 3, 1, 5, 2, 6, 4)
  r2 <- resilience_index(df2[o, ], "v", "city", "year", growth = g)
  expect_equal(r2, c(NA, 1, -0.0625, 13.5 / 36.5, NA, (40 - 55) / 5, NA)[o], tolerance = 1e-14)
})

test_that("deviation and weighted resilience follow their documented formulas", {
  df <- data.frame(city = "A", year = 2008:2011, v = c(100, 120, 130, 150),
                   cpi = c(100, 102, 105, 106), rd = c(0.2, 0.3, 0.4, 0.5))
  g <- data.frame(year = 2008:2011, rate = c(NA, 0.10, 0.10, 0.05),
                  cpi_nat = c(100, 101, 104, 107))
  dv <- resilience_index(df, "v", "city", "year", method = "deviation", years = 2010:2011)
  expect_equal(dv, c(NA, NA, 0.3, 0.5))
  w <- resilience_index(df, "v", "city", "year", growth = g, method = "weighted",
                        cpi = "cpi", relatedness = "rd", cpi_national = "cpi_nat")
  gr <- log(1 + g$rate) * (1 + df$rd) + 7 * (diff(log(c(NA, g$cpi_nat))) -
                                               diff(log(c(NA, df$cpi))))
  vhat <- c(NA, df$v[-4]) * exp(gr)
  expect_equal(w, c(NA, ((df$v - vhat) / abs(vhat - 100))[-1]), tolerance = 1e-14)
  # sigma = 1 and zero relatedness give back the counterfactual measure
  df$rd <- 0
  expect_equal(resilience_index(df, "v", "city", "year", growth = g, method = "weighted",
                                sigma = 1, cpi = "cpi", relatedness = "rd", cpi_national = "cpi_nat"),
               resilience_index(df, "v", "city", "year", growth = g), tolerance = 1e-14)
})

test_that("diversity: HHI against a direct computation and REAT::herf", {
  set.seed(7)
  fl <- expand.grid(country = paste0("k", 1:12), year = 2011:2013, city = c("A", "B", "C"),
                    stringsAsFactors = FALSE)
  fl$exports <- rexp(nrow(fl)) * rbinom(nrow(fl), 1, 0.6)
  d <- diversity_index(fl, id = "city", time = "year", partner = "country", value = "exports")
  expect_named(d, c("city", "year", "hhi", "diversity", "n_partners"))
  expect_equal(nrow(d), 9L)
  for (k in seq_len(nrow(d))) {
    v <- fl$exports[fl$city == d$city[k] & fl$year == d$year[k]]
    expect_equal(d$hhi[k], sum((v / sum(v))^2), tolerance = 1e-14)
    expect_identical(d$n_partners[k], sum(v > 0))
  }
  expect_true(all(d$diversity >= 1 - 1e-12 & d$diversity <= d$n_partners + 1e-12))
  # duplicates are summed before squaring
  dup <- rbind(fl, transform(fl[1, ], exports = 1))
  d2 <- diversity_index(dup, "city", "year", "country", "exports")
  v <- fl$exports[fl$city == "A" & fl$year == 2011]; v[1] <- v[1] + 1
  expect_equal(d2$hhi[1], sum((v / sum(v))^2), tolerance = 1e-14)
  skip_if_no_reference("REAT")
  ref <- vapply(seq_len(nrow(d)), function(k) {
    REAT::herf(fl$exports[fl$city == d$city[k] & fl$year == d$year[k]])
  }, numeric(1))
  expect_equal(d$hhi, ref, tolerance = 1e-12)
})

test_that("PRODY/EXPY match a hand-worked 3-country x 2-product example", {
  cf <- data.frame(country = rep(c("a", "b", "c"), each = 2), product = c("p", "q"),
                   year = 2020, value = c(10, 0, 5, 5, 1, 9))
  gdp <- data.frame(country = c("a", "b", "c"), year = 2020, gdp_pc = c(1000, 5000, 20000))
  city <- data.frame(city = "X", product = c("p", "q"), year = 2020, value = c(3, 1))
  s <- sophistication_index(cf, gdp, city)
  # shares a (1, 0), b (.5, .5), c (.1, .9)
  # PRODY_p = (1*1000 + .5*5000 + .1*20000) / 1.6 = 3437.5
  # PRODY_q = (0 + .5*5000 + .9*20000) / 1.4 = 14642.857...
  expect_equal(s$prody$prody, c(5500 / 1.6, 20500 / 1.4), tolerance = 1e-14)
  expect_equal(s$expy$expy, 0.75 * 5500 / 1.6 + 0.25 * 20500 / 1.4, tolerance = 1e-14)
  expect_named(s$prody, c("product", "year", "prody"))
  expect_named(s$expy, c("city", "year", "expy"))
  # missing GDP drops the country; a product with no PRODY is left out of EXPY
  gdp$gdp_pc[3] <- NA
  city2 <- rbind(city, data.frame(city = "X", product = "z", year = 2020, value = 5))
  s2 <- sophistication_index(cf, gdp, city2)
  expect_equal(s2$prody$prody, c((1000 + 2500) / 1.5, 5000))
  expect_equal(s2$expy$expy, 0.75 * 3500 / 1.5 + 0.25 * 5000)
})

test_that("PRODY/EXPY equal economiccomplexity::productivity_levels() on its world trade data", {
  skip_if_no_reference("economiccomplexity")
  skip_under_valgrind()
  tr <- as.data.frame(economiccomplexity::world_trade_avg_1998_to_2000)
  gd <- as.data.frame(economiccomplexity::world_gdp_avg_1998_to_2000)
  # both use HHR (2007) eq. (1)-(2): RCA-weighted GDP per capita, EXPY = share-weighted PRODY
  ref <- suppressWarnings(economiccomplexity::productivity_levels(tr, gd))
  tr$year <- 2000L
  gd$year <- 2000L
  s <- sophistication_index(tr, gd, transform(tr, city = country), gdp = "value")
  pr <- setNames(s$prody$prody, s$prody$product)
  expect_equal(pr[names(ref$productivity_level_product)], ref$productivity_level_product,
               tolerance = 1e-10)
  ex <- setNames(s$expy$expy, s$expy$city)
  cc <- names(ref$productivity_level_country)
  expect_equal(ex[cc], ref$productivity_level_country, tolerance = 1e-10)
  # property: EXPY lies within the range of its PRODYs
  rg <- range(pr)
  expect_true(all(ex >= rg[1] & ex <= rg[2], na.rm = TRUE))
})

test_that("bad input -> exportres_error", {
  df <- data.frame(city = "A", year = 2008:2011, v = c(100, 120, 130, 150), s = "x")
  g <- data.frame(year = 2009:2011, rate = c(0.1, 0.1, 0.05))
  expect_error(resilience_index(df, "s", "city", "year", growth = g), class = "exportres_error")
  expect_error(resilience_index(transform(df, v = -v), "v", "city", "year", growth = g),
               class = "exportres_error")
  expect_error(resilience_index(df, "v", "city", "year", growth = g[-2, ]),
               class = "exportres_error")
  expect_error(resilience_index(df, "zz", "city", "year", growth = g), class = "exportres_error")
  expect_error(resilience_index(df, "v", "city", "year"), class = "exportres_error")
  expect_error(resilience_index(rbind(df, df), "v", "city", "year", growth = g),
               class = "exportres_error")
  expect_error(resilience_index(df, "v", "city", "year", growth = g, method = "xx"),
               class = "exportres_error")
  expect_error(resilience_index(df, "v", "city", "year", growth = g, method = "weighted"),
               class = "exportres_error")
  fl <- data.frame(city = "A", year = 1, k = c("x", "y"), v = c(1, -1))
  expect_error(diversity_index(fl, "city", "year", "k", "v"), class = "exportres_error")
  expect_error(diversity_index(fl, "city", "year", "kk", "v"), class = "exportres_error")
  expect_error(diversity_index(transform(fl, v = NA_real_), "city", "year", "k", "v"),
               class = "exportres_error")
  cf <- data.frame(country = "a", product = "p", year = 1, value = 1)
  gd <- data.frame(country = "a", year = 1, gdp_pc = 10)
  ci <- data.frame(city = "X", product = "p", year = 1, value = 1)
  expect_error(sophistication_index(transform(cf, value = -1), gd, ci), class = "exportres_error")
  expect_error(sophistication_index(cf, gd, transform(ci, value = "a")), class = "exportres_error")
  expect_error(sophistication_index(cf, gd, ci, product = "prod"), class = "exportres_error")
  expect_error(sophistication_index(cf, transform(gd, gdp_pc = NA_real_), ci),
               class = "exportres_error")
})
