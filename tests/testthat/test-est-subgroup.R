# subgroup(): one fe_reg() fit per group, the Fisher permutation test in C and
# the stacked (suest-like) cluster-robust Wald test of equal coefficients.
sim_sub <- function(G = 60, Tn = 6, shift = 0.6, seed = 3) {
  set.seed(seed)
  d <- expand.grid(year = 2010 + seq_len(Tn), firm = seq_len(G))
  n <- nrow(d)
  d$coast <- rep(rep(c(TRUE, FALSE), length.out = G), each = Tn)
  d$size <- rnorm(n) + rnorm(G)[d$firm]
  d$region <- rep(sample(c("east", "west", "north"), G, replace = TRUE), each = Tn)
  d$x <- rnorm(n) + 0.5 * rnorm(G)[d$firm]
  d$z <- rnorm(n)
  d$y <- (0.5 + shift * d$coast) * d$x - 0.2 * d$z + rnorm(G)[d$firm] + rnorm(Tn)[d$year - 2010] +
    rnorm(n)
  d
}
d <- sim_sub()
f <- y ~ x + z | firm + year

test_that("each group's fit is fe_reg() on the group's rows", {
  sg <- subgroup(f, d, "coast", cluster = ~firm, test = "stacked")
  expect_identical(names(sg$fits), c("coast", "not coast"))
  ref <- fe_reg(f, d[!d$coast, ], cluster = ~firm)
  expect_equal(coef(sg$fits[[2]]), coef(ref), tolerance = 1e-12)
  expect_equal(vcov(sg$fits[[2]]), vcov(ref), tolerance = 1e-12)
  # per-year median split (the default), pooled median, factor, conditions
  sm <- subgroup(f, d, "size", panel = c("firm", "year"), test = "stacked")
  hi <- ave(d$size, d$year, FUN = function(v) v > median(v)) == 1
  expect_equal(coef(sm$fits[["High size"]]), coef(fe_reg(f, d[hi, ])), tolerance = 1e-12)
  expect_equal(coef(sm$fits[["Low size"]]), coef(fe_reg(f, d[!hi, ])), tolerance = 1e-12)
  expect_identical(length(sm$split$medians), 6L)
  sp <- subgroup(f, d, "size", median_by = NULL, test = "stacked")
  expect_equal(coef(sp$fits[[1]]), coef(fe_reg(f, d[d$size > median(d$size), ])), tolerance = 1e-12)
  sr <- subgroup(f, d, "region", test = "stacked")
  expect_identical(names(sr$fits), c("region = east", "region = north", "region = west"))
  expect_equal(sr$tests$df1, 2)
  sc <- subgroup(f, d, list(early = ~ year <= 2013, late = ~ year > 2014), test = "stacked")
  expect_identical(sum(sc$groups$rows), sum(d$year != 2014))
  expect_equal(coef(sc$fits$late), coef(fe_reg(f, d[d$year > 2014, ])), tolerance = 1e-12)
  sv <- subgroup(f, d, d$coast, test = "stacked")
  expect_identical(names(sv$fits), c("group", "not group"))
})

test_that("the stacked Wald test equals the hand-built interacted regression's", {
  sm <- subgroup(f, d, "size", panel = c("firm", "year"), cluster = ~firm, test = "stacked")
  hi <- ave(d$size, d$year, FUN = function(v) v > median(v)) == 1
  h <- d
  h$grp <- ifelse(hi, 1L, 2L)
  for (v in c("x", "z")) for (g in 1:2) h[[paste0(v, g)]] <- h[[v]] * (h$grp == g)
  hf <- fe_reg(y ~ x1 + x2 + z1 + z2 | firm^grp + year^grp, h, cluster = ~firm)
  r <- c(x1 = 1, x2 = -1)
  W <- (sum(r * coef(hf)[names(r)]))^2 / drop(t(r) %*% vcov(hf)[names(r), names(r)] %*% r)
  st <- sm$tests[sm$tests$test == "stacked", ]
  expect_equal(st$statistic, W, tolerance = 1e-8)
  expect_identical(st$df2, hf$df_t)
  expect_equal(st$p.value, pf(W, 1, hf$df_t, lower.tail = FALSE), tolerance = 1e-8)
  expect_equal(st$difference, coef(sm$fits[[1]])[["x"]] - coef(sm$fits[[2]])[["x"]], tolerance = 1e-12)
  # without clusters: heteroskedasticity-robust, as suest
  s2 <- subgroup(f, d, "coast", test = "stacked")
  h$grp <- ifelse(h$coast, 1L, 2L)
  for (v in c("x", "z")) for (g in 1:2) h[[paste0(v, g)]] <- h[[v]] * (h$grp == g)
  hf2 <- fe_reg(y ~ x1 + x2 + z1 + z2 | firm^grp + year^grp, h, vcov = "hc1")
  W2 <- (sum(r * coef(hf2)[names(r)]))^2 / drop(t(r) %*% vcov(hf2)[names(r), names(r)] %*% r)
  expect_equal(s2$tests$statistic, W2, tolerance = 1e-8)
  skip_if_no_reference("fixest")
  h$grp <- ifelse(hi, 1L, 2L)
  for (v in c("x", "z")) for (g in 1:2) h[[paste0(v, g)]] <- h[[v]] * (h$grp == g)
  fx <- fixest::feols(y ~ x1 + x2 + z1 + z2 | firm^grp + year^grp, h, cluster = ~firm,
                      fixef.tol = 1e-10)
  Wf <- (sum(r * coef(fx)[names(r)]))^2 / drop(t(r) %*% vcov(fx)[names(r), names(r)] %*% r)
  expect_equal(st$statistic, Wf, tolerance = 1e-6)
})

test_that("the permutation test: observed statistic, reproducibility, units", {
  set.seed(7)
  s1 <- subgroup(f, d, "coast", cluster = ~firm, B = 199, cores = 1)
  set.seed(7)
  s2 <- subgroup(f, d, "coast", cluster = ~firm, B = 199, cores = 2)
  expect_identical(s1$permutation, s2$permutation)
  expect_identical(s1$permutation$unit, "whole firm units")
  pt <- s1$tests
  expect_equal(pt$difference, coef(s1$fits[[1]])[["x"]] - coef(s1$fits[[2]])[["x"]], tolerance = 1e-10)
  expect_equal(pt$p.value, (1 + sum(s1$permutation$statistics >= pt$statistic)) / 200)
  expect_identical(glance(s1)$diff_p, pt$p.value)
  expect_lt(pt$p.value, 0.05)                         # the slopes differ by 0.6
  set.seed(8)
  s3 <- subgroup(f, d, "coast", cluster = ~firm, B = 199)
  expect_false(identical(s3$permutation$statistics, s1$permutation$statistics))
  # a split that changes within firms is permuted by rows within each year
  set.seed(9)
  sm <- subgroup(f, d, "size", panel = c("firm", "year"), cluster = ~firm, B = 99, test = "both")
  expect_identical(sm$permutation$unit, "rows within each year")
  expect_identical(sm$tests$test, c("permutation", "stacked"))
  expect_error(subgroup(f, d, "size", panel = c("firm", "year"), cluster = ~firm, B = 99,
                        permute = "cluster"), class = "exportres_error")
  set.seed(9)
  sr <- subgroup(f, d, "coast", cluster = ~firm, B = 99, permute = "rows")
  expect_identical(sr$permutation$unit, "rows")
  # homogeneous slopes: no rejection
  set.seed(10)
  h <- subgroup(f, sim_sub(shift = 0, seed = 4), "coast", cluster = ~firm, B = 199, test = "both")
  expect_gt(min(h$tests$p.value), 0.05)
})

test_that("reg_table lays the groups out with the test's p-value as a row", {
  set.seed(1)
  sg <- subgroup(f, d, "coast", cluster = ~firm, B = 99)
  tab <- reg_table(sg, keep = "x", stats = c("diff_p", "nobs"))
  expect_identical(colnames(tab$body), c("coast", "not coast"))
  row <- tab$body[tab$row_kind == "stat", , drop = FALSE]
  expect_identical(unname(row[1, ]), c(formatC(sg$tests$p.value, digits = 4, format = "f"), ""))
  expect_identical(unname(tab$coefs["x", ]), unname(coef(sg)))
  expect_identical(nrow(tidy(sg)), 4L)
  expect_identical(nobs(sg), nrow(d))
  expect_output(print(sg), "Fisher permutation")
  pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot(sg), sg)
})

test_that("bad input gives classed errors", {
  e <- "exportres_error"
  small <- d
  small$tiny <- small$firm == 1                                 # 6 rows, one firm
  expect_error(subgroup(y ~ x + z | firm + year, small[small$firm <= 4, ], "tiny",
                        test = "stacked"), class = e)
  d$flat <- ifelse(d$coast, 1, d$x)                             # no variation in x... by group
  expect_error(subgroup(y ~ flat + z | firm + year, d, "coast", test = "stacked"), class = e)
  expect_error(subgroup(f, d, list(a = ~ year > 2012, b = ~ year < 2015), test = "stacked"), class = e)
  expect_error(subgroup(f, d, list(~ coast, ~ !coast), test = "stacked"), class = e)
  expect_error(subgroup(f, d, rep(TRUE, nrow(d)), test = "stacked"), class = e)
  expect_error(subgroup(f, d, "size"), class = e)               # per-year median needs the panel
  expect_error(subgroup(f, d, "nope"), class = e)
  expect_error(subgroup(f, d, "coast", term = "w"), class = e)
  expect_error(subgroup(f, d, "coast", test = "bdiff"), class = e)
  expect_error(subgroup(f, d, "coast", B = 5), class = e)
  expect_error(subgroup(f, d, "coast", cl = 1), class = e)
  expect_error(subgroup(f, d, list(a = ~ year > 2030, b = ~ year <= 2030), test = "stacked"), class = e)
})
