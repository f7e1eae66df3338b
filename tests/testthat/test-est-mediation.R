# mediation(): equations (5)-(6) and the total effect as fe_reg() fits, the
# Sobel/Aroian/Goodman tests, and the cluster bootstrap of a*b in C.
sim_med <- function(G = 40, Tn = 6, a = 0.5, b = 0.4, seed = 1) {
  set.seed(seed)
  d <- expand.grid(year = seq_len(Tn), firm = seq_len(G))
  n <- nrow(d)
  d$x <- rnorm(n) + 0.5 * rnorm(G)[d$firm]
  d$z <- rnorm(n)
  d$m <- a * d$x + 0.3 * d$z + rnorm(G)[d$firm] + rnorm(n)
  d$m2 <- 0.2 * d$x + rnorm(n)
  d$y <- 0.3 * d$x + b * d$m + 0.1 * d$m2 - 0.2 * d$z + rnorm(G)[d$firm] + rnorm(Tn)[d$year] + rnorm(n)
  d
}
d <- sim_med()

test_that("the equations are fe_reg() fits and the tests are the textbook formulas", {
  med <- mediation(y ~ x + z | firm + year, "m", d, cluster = ~firm, boot = 0)
  fa <- fe_reg(m ~ x + z | firm + year, d, cluster = ~firm)
  fb <- fe_reg(y ~ x + m + z | firm + year, d, cluster = ~firm)
  fc <- fe_reg(y ~ x + z | firm + year, d, cluster = ~firm)
  expect_equal(coef(med$models$a$m), coef(fa), tolerance = 1e-12)
  expect_equal(vcov(med$models$b$m), vcov(fb), tolerance = 1e-12)
  expect_equal(coef(med$models$total), coef(fc), tolerance = 1e-12)
  a <- coef(fa)[["x"]]; sa <- fa$se[["x"]]
  b <- coef(fb)[["m"]]; sb <- fb$se[["m"]]
  g <- glance(med)
  expect_equal(g$indirect, a * b, tolerance = 1e-12)
  expect_equal(g$sobel, a * b / sqrt(b^2 * sa^2 + a^2 * sb^2), tolerance = 1e-12)
  expect_equal(g$aroian, a * b / sqrt(b^2 * sa^2 + a^2 * sb^2 + sa^2 * sb^2), tolerance = 1e-12)
  expect_equal(g$goodman, a * b / sqrt(b^2 * sa^2 + a^2 * sb^2 - sa^2 * sb^2), tolerance = 1e-12)
  expect_equal(g$sobel_p, 2 * pnorm(-abs(g$sobel)), tolerance = 1e-12)
  expect_equal(g$aroian_p, 2 * pnorm(-abs(g$aroian)), tolerance = 1e-12)
  expect_equal(g$goodman_p, 2 * pnorm(-abs(g$goodman)), tolerance = 1e-12)
  # one sample for all equations: total = direct + indirect exactly
  e <- med$effects
  expect_equal(e$estimate[e$effect == "total"],
               e$estimate[e$effect == "direct"] + e$estimate[e$effect == "indirect"], tolerance = 1e-12)
  expect_equal(e$estimate[e$effect == "share"], a * b / coef(fc)[["x"]], tolerance = 1e-12)
  # iid standard errors and a treatment that is not the first regressor
  med2 <- mediation(y ~ z + x | firm + year, "m", d, treatment = "x", boot = 0)
  fa2 <- fe_reg(m ~ z + x | firm + year, d)
  expect_equal(med2$tests$se_a, fa2$se[["x"]], tolerance = 1e-12)
  expect_identical(med2$treatment, "x")
  # Goodman's variance can be negative: NA then
  st <- exportres:::sobel_tests(0.01, 1, 0.01, 1)
  expect_true(is.na(st$goodman) && is.na(st$goodman_p))
})

test_that("several mediators sit side by side, each as its own simple mediation", {
  both <- mediation(y ~ x + z | firm + year, c("m", "m2"), d, cluster = ~firm, boot = 0)
  one <- mediation(y ~ x + z | firm + year, ~ m2, d, cluster = ~firm, boot = 0)
  expect_identical(both$mediators, c("m", "m2"))
  expect_equal(both$tests[2, ], one$tests[1, ], ignore_attr = TRUE, tolerance = 1e-12)
  expect_identical(nrow(glance(both)), 2L)
  expect_identical(nrow(tidy(both)), 12L)
  expect_identical(names(coef(both))[1:2], c("m:a", "m:b"))
  tab <- reg_table(both, stats = c("indirect", "sobel", "sobel_p", "nobs"))
  expect_identical(ncol(tab$body), 4L)
  expect_identical(unname(tab$body["Sobel z", ]),
                   c("", paste0(formatC(both$tests$sobel[1], digits = 4, format = "f"),
                                exportres:::stars_of(both$tests$sobel_p[1])),
                     "", paste0(formatC(both$tests$sobel[2], digits = 4, format = "f"),
                                exportres:::stars_of(both$tests$sobel_p[2]))))
  expect_output(print(both), "Sobel z")
})

test_that("the bootstrap is reproducible, thread-independent and equal to boot::boot + fixest", {
  set.seed(42)
  m1 <- mediation(y ~ x + z | firm + year, "m", d, cluster = ~firm, boot = 99, cores = 1)
  set.seed(42)
  m2 <- mediation(y ~ x + z | firm + year, "m", d, cluster = ~firm, boot = 99, cores = 2)
  expect_identical(m1$boot, m2$boot)
  set.seed(43)
  m3 <- mediation(y ~ x + z | firm + year, "m", d, cluster = ~firm, boot = 99)
  expect_false(isTRUE(all.equal(m1$boot$indirect, m3$boot$indirect)))
  expect_identical(m1$boot$failed, 0L)
  skip_under_valgrind()
  skip_if_no_reference("fixest")
  skip_if_no_reference("boot")
  firms <- unique(d$firm)                       # clusters in order of first appearance
  rows <- split(seq_len(nrow(d)), factor(d$firm, levels = firms))
  stat <- function(ids, i) {
    s <- d[unlist(rows[i], use.names = FALSE), ]
    a <- coef(fixest::feols(m ~ x + z | firm + year, s, fixef.tol = 1e-10, notes = FALSE))[["x"]]
    b <- coef(fixest::feols(y ~ x + m + z | firm + year, s, fixef.tol = 1e-10, notes = FALSE))[["m"]]
    a * b
  }
  set.seed(42)
  bo <- boot::boot(firms, stat, R = 99)
  # the same resamples: the same replicates, hence the same intervals
  expect_equal(m1$boot$indirect[, "m"], bo$t[, 1], tolerance = 1e-8)
  expect_equal(unname(m1$boot$percentile["m", ]), boot::boot.ci(bo, type = "perc")$percent[4:5],
               tolerance = 1e-8)
  L0 <- c(1, -1, rep(0, length(firms) - 2))     # zero acceleration: BCa is BC
  expect_equal(unname(m1$boot$bc["m", ]), boot::boot.ci(bo, type = "bca", L = L0)$bca[4:5],
               tolerance = 1e-8)
})

test_that("a parallel cluster gives the same draws", {
  skip_on_cran()
  skip_under_valgrind()
  cl <- parallel::makeCluster(2L)
  on.exit(parallel::stopCluster(cl))
  set.seed(5)
  m1 <- mediation(y ~ x + z | firm + year, "m", d, cluster = ~firm, boot = 60)
  set.seed(5)
  m2 <- mediation(y ~ x + z | firm + year, "m", d, cluster = ~firm, boot = 60, cl = cl)
  expect_equal(m1$boot$indirect, m2$boot$indirect, tolerance = 1e-14)
  expect_error(mediation(y ~ x | firm, "m", d, cl = "two"), class = "exportres_error")
})

test_that("on the bundled panel a, b and a*b cover the documented truth within 2 SE", {
  skip_under_valgrind()
  p <- build_city_panel()
  f <- res ~ dig + ed + fdi + fp + ub + fc + mk + ts + er + lai | city + year
  set.seed(1)
  med <- mediation(f, "aif", p, cluster = ~city, boot = 199)
  t <- med$tests
  tr <- city_truth
  expect_lt(abs(t$a - tr$a_mediator), 2 * t$se_a)
  expect_lt(abs(t$b - tr$b_mediator), 2 * t$se_b)
  expect_lt(abs(t$indirect - tr$a_mediator * tr$b_mediator), 2 * t$sobel_se)
  ci <- med$boot$percentile["aif", ]
  expect_true(ci[1] < tr$a_mediator * tr$b_mediator && tr$a_mediator * tr$b_mediator < ci[2])
  expect_identical(med$nobs, nobs(fe_reg(f, p)))
})

test_that("bad input gives classed errors", {
  f <- y ~ x + z | firm + year
  expect_error(mediation(f, "x", d), class = "exportres_error")          # the treatment itself
  d$x_copy <- d$x
  expect_error(mediation(f, "x_copy", d), class = "exportres_error")     # equal to the treatment
  expect_error(mediation(y ~ x_copy + z | firm, "m", d, treatment = "m"), class = "exportres_error")
  expect_error(mediation(f, "z", d), class = "exportres_error")          # already a control
  expect_error(mediation(f, "y", d), class = "exportres_error")          # the response
  expect_error(mediation(f, "nope", d), class = "exportres_error")
  d$fac <- factor(rep(letters[1:3], length.out = nrow(d)))
  expect_error(mediation(f, "fac", d), class = "exportres_error")
  expect_error(mediation(f, "m", d, boot = -1), class = "exportres_error")
  expect_error(mediation(f, "m", d, level = 1.5), class = "exportres_error")
  expect_error(mediation(f, "m", d, treatment = "w"), class = "exportres_error")
  expect_error(mediation(f, 3, d), class = "exportres_error")
  d$cst <- 1
  expect_error(mediation(f, "cst", d, boot = 0), class = "exportres_error")  # absorbed
  expect_error(plot(mediation(f, "m", d, boot = 0)), class = "exportres_error")
})

test_that("plot draws the bootstrap distribution", {
  set.seed(3)
  med <- mediation(y ~ x + z | firm + year, c("m", "m2"), d, cluster = ~firm, boot = 50)
  pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot(med), med)
  expect_output(summary(med), "Equation \\(6\\)")
})
