test_that("panel_distribution summarises each variable by group", {
  d <- data.frame(year = rep(c(2012, 2011), each = 4), a = c(1, 2, 3, 10, 5, 6, NA, 8),
                  b = c(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8))
  x <- panel_distribution(d, c("a", "b"))
  expect_s3_class(x, "exr_distribution")
  s <- x$stats
  a11 <- s[s$variable == "a" & s$year == "2011", ]
  expect_identical(a11$n, 3L)                        # the NA is left out
  expect_equal(a11$mean, mean(c(5, 6, 8)))
  expect_equal(a11$median, 6)
  a12 <- s[s$variable == "a" & s$year == "2012", ]
  expect_equal(c(a12$min, a12$q25, a12$q75, a12$max), unname(stats::quantile(c(1, 2, 3, 10))[c(1, 2, 4, 5)]))
  expect_equal(a12$sd, stats::sd(c(1, 2, 3, 10)))
  expect_identical(names(x$values$b), c("2011", "2012"))
  expect_output(print(x), "Distribution of a, b by year")
  expect_error(panel_distribution(d, "zz"), class = "exportres_error")
  expect_error(panel_distribution(d, "a", by = 1), class = "exportres_error")
  expect_error(panel_distribution(transform(d, a = as.character(a)), "a"), class = "exportres_error")
})

test_that("the plots draw on a base-graphics device", {
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  set.seed(2)
  d <- data.frame(year = rep(1:4, each = 50), x = runif(200, 1, 3), k = runif(200, 1, 2))
  d$y <- 1 + 0.6 * log(d$x) + rnorm(200, sd = 0.1) - abs(rnorm(200, sd = 0.3))
  x <- panel_distribution(d, c("x", "y"))
  expect_identical(plot(x), x)
  expect_identical(plot(x, vars = "y"), x)
  expect_error(plot(x, vars = "q"), class = "exportres_error")
  fit <- sfa(y ~ log(x), d)
  expect_identical(plot(fit), fit)
  expect_identical(plot(fit, by = d$year), fit)
  expect_error(plot(fit, by = 1:3), class = "exportres_error")
  de <- dea(d[c("x", "k")], exp(d$y), rts = "vrs", by = d$year)
  expect_identical(plot(de, type = "by"), de)
  expect_identical(plot(de, type = "hist"), de)
  expect_error(plot(dea(d[c("x", "k")], exp(d$y)), type = "by"), class = "exportres_error")
})
