# event_study(): TWFE and Sun-Abraham against fixest on base_stagg, binning and
# references by hand, recovery under heterogeneous staggered effects, the
# bundled panel's pre-trends, bad input.

stagg <- function() {
  data("base_stagg", package = "fixest", envir = environment())
  base_stagg$adopt <- ifelse(base_stagg$year_treated == 10000, NA, base_stagg$year_treated)
  base_stagg
}

test_that("TWFE event study equals fixest i() on base_stagg (iid and clustered)", {
  skip_under_valgrind()
  skip_if_no_reference("fixest")
  bs <- stagg()
  for (cl in list(NULL, ~id)) {
    ref <- fixest::feols(y ~ x1 + i(time_to_treatment, ref = c(-1, -1000)) | id + year, bs,
                         cluster = cl, fixef.tol = 1e-10)
    es <- event_study(y ~ x1 | id + year, bs, adopt = "adopt", window = c(-Inf, Inf), cluster = cl)
    nm <- sub("time_to_treatment", "rel", names(coef(ref)))
    expect_identical(names(coef(es)), nm)
    named <- event_study(y ~ x1 | id + year, bs, adopt = "adopt", window = c(-Inf, Inf),
                         cluster = cl, name = "time_to_treatment")
    expect_identical(names(coef(named)), names(coef(ref)))
    expect_lt(max(abs(coef(es) - coef(ref))), 1e-8)
    expect_lt(max(abs(es$se - fixest::se(ref))), 1e-8)
    w <- fixest::wald(ref, keep = "::-", print = FALSE)
    g <- glance(es)
    expect_equal(g$pretrend_stat, w$stat, tolerance = 1e-8)
    expect_equal(g$pretrend_p, w$p, tolerance = 1e-8)
    expect_identical(c(g$pretrend_df1, g$pretrend_df2), c(w$df1, w$df2))
  }
  # end-point binning and another reference: equal to binning the variable by hand
  bs$relb <- ifelse(is.na(bs$adopt), -1000, pmin(pmax(bs$time_to_treatment, -3), 4))
  ref <- fixest::feols(y ~ x1 + i(relb, ref = c(-3, -1000)) | id + year, bs, cluster = ~id,
                       fixef.tol = 1e-10)
  es <- event_study(y ~ x1 | id + year, bs, adopt = "adopt", window = c(-3, 4), ref = -3, cluster = ~id)
  expect_lt(max(abs(coef(es) - coef(ref))), 1e-8)
  expect_lt(max(abs(es$se - fixest::se(ref))), 1e-8)
  expect_equal(unname(es$rel), c(-2, -1, 0, 1, 2, 3, 4))
})

test_that("Sun-Abraham equals fixest::sunab on base_stagg (periods, SEs, ATT, binning)", {
  skip_under_valgrind()
  skip_if_no_reference("fixest")
  bs <- stagg()
  for (cl in list(NULL, ~id)) {
    ref <- fixest::feols(y ~ x1 + sunab(year_treated, year) | id + year, bs, cluster = cl,
                         fixef.tol = 1e-10)
    es <- event_study(y ~ x1 | id + year, bs, adopt = "adopt", window = c(-Inf, Inf),
                      method = "sunab", cluster = cl)
    ct <- fixest::coeftable(summary(ref))
    nm <- sub("year::", "rel::", rownames(ct))
    expect_identical(names(coef(es)), nm)
    expect_lt(max(abs(coef(es) - ct[, 1])), 1e-8)
    expect_lt(max(abs(es$se - ct[, 2])), 1e-8)
    att <- fixest::coeftable(summary(ref, agg = "ATT"))["ATT", ]
    expect_equal(es$att$estimate, unname(att[1]), tolerance = 1e-8)
    expect_equal(es$att$std.error, unname(att[2]), tolerance = 1e-8)
    expect_identical(length(es$cells$coefficients), length(coef(ref, agg = FALSE)))
  }
  ref <- fixest::feols(y ~ x1 + sunab(year_treated, year, bin.rel = list("-3" = -9:-3, "4" = 4:8)) |
                         id + year, bs, cluster = ~id, fixef.tol = 1e-10)
  es <- event_study(y ~ x1 | id + year, bs, adopt = "adopt", window = c(-3, 4), method = "sunab",
                    cluster = ~id)
  ct <- fixest::coeftable(summary(ref))
  expect_lt(max(abs(coef(es)[sub("year::", "rel::", rownames(ct))] - ct[, 1])), 1e-8)
  expect_lt(max(abs(es$se[sub("year::", "rel::", rownames(ct))] - ct[, 2])), 1e-8)
  # weights: cohort shares weighted, as fixest
  bs$w <- 1 + (bs$id %% 3)
  ref <- fixest::feols(y ~ x1 + sunab(year_treated, year) | id + year, bs, weights = ~w,
                       cluster = ~id, fixef.tol = 1e-10)
  es <- event_study(y ~ x1 | id + year, bs, adopt = "adopt", window = c(-Inf, Inf), method = "sunab",
                    cluster = ~id, weights = "w")
  ct <- fixest::coeftable(summary(ref))
  expect_lt(max(abs(coef(es) - ct[, 1])), 1e-8)
  expect_lt(max(abs(es$se - ct[, 2])), 1e-8)
})

test_that("always-treated cohorts are dropped by sunab", {
  skip_under_valgrind()
  skip_if_no_reference("fixest")
  bs <- stagg()
  bs$adopt[bs$id %in% 1:5] <- 1          # observed only from adoption on
  expect_message(es <- event_study(y ~ x1 | id + year, bs, adopt = "adopt", window = c(-Inf, Inf),
                                   method = "sunab", cluster = ~id), "always-treated")
  # fixest::sunab() means to drop them too, but 0.14.2 blanks one wrong row
  # and keeps them as controls; compare with fixest on the data without them
  ref <- fixest::feols(y ~ x1 + sunab(year_treated, year) | id + year, bs[!bs$id %in% 1:5, ],
                       cluster = ~id, fixef.tol = 1e-10)
  ct <- fixest::coeftable(summary(ref))
  expect_identical(nobs(es), nobs(ref))
  expect_lt(max(abs(coef(es) - ct[, 1])), 1e-8)
  expect_lt(max(abs(es$se - ct[, 2])), 1e-8)
})

test_that("TWFE equals fe_reg with hand-made dummies; Sun-Abraham recovers heterogeneous effects", {
  set.seed(21)
  G <- 120
  d <- expand.grid(id = seq_len(G), t = 1:12)
  d$adopt <- c(rep(4, 30), rep(8, 30), rep(NA, 60))[d$id]
  rel <- d$t - d$adopt
  # cohorts differ: the early one's effect is larger and grows, the late one's is flat
  lev <- ifelse(d$adopt == 4, 2, 0.5)
  slope <- ifelse(d$adopt == 4, 0.6, 0)
  d$y <- rnorm(G)[d$id] + 0.05 * d$t + ifelse(!is.na(rel) & rel >= 0, lev + slope * rel, 0) +
    rnorm(nrow(d), sd = 0.2)
  es <- event_study(y ~ 1 | id + t, d, adopt = "adopt", window = c(-3, 3), cluster = ~id)
  d$rb <- ifelse(is.na(rel), -1, pmin(pmax(rel, -3), 3))
  hand <- fe_reg(y ~ i(rb, ref = -1) | id + t, d, cluster = ~id)
  expect_equal(unname(coef(es)), unname(coef(hand)), tolerance = 1e-10)
  expect_equal(unname(es$se), unname(hand$se), tolerance = 1e-10)
  # no binning here: binned end points would force a growing effect to be constant
  sa <- event_study(y ~ 1 | id + t, d, adopt = "adopt", window = c(-Inf, Inf), method = "sunab",
                    cluster = ~id)
  tw <- event_study(y ~ 1 | id + t, d, adopt = "adopt", window = c(-Inf, Inf), cluster = ~id)
  # true effect of relative period e = 0..4 (both cohorts observed, equal shares)
  e <- 0:4
  truth <- (2 + 0.6 * e + 0.5) / 2
  nm <- paste0("rel::", e)
  expect_lt(max(abs(coef(sa)[nm] - truth) / sa$se[nm]), 4)
  expect_gt(glance(sa)$pretrend_p, 0.01)
  # TWFE's pre-period coefficients pick up the heterogeneous post-period
  # effects (Sun and Abraham's contamination): a spurious pre-trend
  expect_lt(glance(tw)$pretrend_p, 1e-6)
})

test_that("on the bundled panel the pre-adoption coefficients are jointly insignificant", {
  skip_under_valgrind()
  p <- build_city_panel()
  ctr <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")
  f <- stats::as.formula(paste("res ~", paste(ctr, collapse = " + "), "| city + year"))
  # the paper's layout: reference = the earliest (binned) period, 6 binned into 5
  es <- event_study(f, p, adopt = "pilot_year", window = c(-5, 5), ref = -5, cluster = ~city)
  expect_equal(unname(es$rel), -4:5)
  expect_gt(glance(es)$pretrend_p, 0.05)
  sa <- event_study(f, p, adopt = "pilot_year", window = c(-5, 5), method = "sunab", cluster = ~city)
  expect_gt(glance(sa)$pretrend_p, 0.05)
  expect_identical(es$n_units_treated, 57L)
})

test_that("tidy, print and plot", {
  set.seed(1)
  d <- expand.grid(id = 1:40, year = 1:10)
  d$adopt <- c(rep(5, 20), rep(NA, 20))[d$id]
  d$x <- rnorm(400)
  d$y <- rnorm(40)[d$id] + ifelse(!is.na(d$adopt) & d$year >= d$adopt, 1, 0) + rnorm(400)
  es <- event_study(y ~ x | id + year, d, adopt = "adopt", window = c(-3, 3), cluster = ~id)
  td <- tidy(es, conf.int = TRUE, reference = TRUE)
  expect_identical(td$term, c("x", paste0("rel::", -3:3)))
  expect_equal(td$rel_time, c(NA, -3:3))
  expect_identical(td$estimate[td$rel_time %in% -1], 0)
  expect_output(print(es), "Pre-trend test")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot(es), es)
  expect_s3_class(reg_table(es), "exr_table")
})

test_that("bad input gives exportres errors", {
  d <- expand.grid(id = 1:20, year = 2001:2008)
  d$adopt <- c(rep(2004, 8), rep(NA, 12))[d$id]
  d$y <- rnorm(nrow(d))
  ok <- function(...) event_study(y ~ 1 | id + year, d, adopt = "adopt", window = c(-2, 2), ...)
  expect_s3_class(ok(), "exr_event")
  bad <- d; bad$adopt[bad$id == 1] <- 2030
  expect_error(event_study(y ~ 1 | id + year, bad, adopt = "adopt"), class = "exportres_error")
  bad <- d; bad$adopt[bad$id == 1 & bad$year == 2001] <- 2005
  expect_error(event_study(y ~ 1 | id + year, bad, adopt = "adopt"), class = "exportres_error")
  bad <- d; bad$adopt <- NA_real_
  expect_error(event_study(y ~ 1 | id + year, bad, adopt = "adopt"), class = "exportres_error")
  bad <- d; bad$adopt <- ifelse(is.na(bad$adopt), 2006, bad$adopt)
  expect_error(event_study(y ~ 1 | id + year, bad, adopt = "adopt", method = "sunab"),
               class = "exportres_error")
  expect_error(ok(ref = 5), class = "exportres_error")
  expect_error(ok(ref = 0.5), class = "exportres_error")
  expect_error(event_study(y ~ 1 | id + year, d, adopt = "adopt", window = c(2, -2)),
               class = "exportres_error")
  expect_error(event_study(y ~ 1 | id + year, d, adopt = "nope"), class = "exportres_error")
  expect_error(event_study(y ~ 1, d, adopt = "adopt"), class = "exportres_error")
  expect_error(ok(method = "cs"), class = "exportres_error")
  expect_error(ok(name = "a:b"), class = "exportres_error")
  d$adopt_chr <- as.character(d$adopt)
  expect_error(event_study(y ~ 1 | id + year, d, adopt = "adopt_chr"), class = "exportres_error")
})
