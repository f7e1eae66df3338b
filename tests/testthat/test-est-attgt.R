# att_gt() and aggregate(): Callaway-Sant'Anna group-time ATTs against the did
# package on its own data (mpdta), the multiplier bootstrap against a slow R
# version of the same draws, a simulated staggered panel with known effects,
# and bad input.

mpdta_data <- function() {
  e <- new.env()
  utils::data("mpdta", package = "did", envir = e)
  d <- as.data.frame(e$mpdta)
  d$state <- d$countyreal %/% 1000
  d
}

ref_attgt <- function(d, xformla, control, method, base = "varying", anticipation = 0,
                      clustervars = NULL) {
  suppressWarnings(suppressMessages(did::att_gt(
    yname = "lemp", tname = "year", idname = "countyreal", gname = "first.treat",
    xformla = xformla, data = d, control_group = control, est_method = method,
    base_period = base, anticipation = anticipation, clustervars = clustervars,
    bstrap = FALSE, cband = FALSE)))
}

# max relative difference on the scale of the reference (ATTs near zero are
# compared relative to the largest one)
scaled_diff <- function(a, b) max(abs(a - b)) / max(abs(b))

test_that("att_gt equals did::att_gt on mpdta: all controls, methods, covariates", {
  skip_if_no_reference("did")
  skip_under_valgrind()
  d <- mpdta_data()
  for (control in c("nevertreated", "notyettreated")) {
    for (method in c("dr", "ipw", "reg")) {
      for (cov in c(FALSE, TRUE)) {
        ref <- ref_attgt(d, if (cov) ~lpop else ~1, control, method)
        fit <- att_gt(if (cov) lemp ~ lpop else lemp ~ 1, d, panel = c("countyreal", "year"),
                      adopt = "first.treat", control = if (control == "nevertreated") "never" else "notyet",
                      method = method, boot = 0)
        e <- fit$estimates
        i <- match(paste(ref$group, ref$t), paste(e$group, e$time))
        expect_false(anyNA(i))
        expect_lt(scaled_diff(e$estimate[i], ref$att), 1e-8)
        expect_lt(rel_diff(e$std.error[i], ref$se), 1e-6)
        # aggregations (analytic standard errors)
        for (type in c("simple", "group", "calendar", "dynamic")) {
          ra <- did::aggte(ref, type = type, bstrap = FALSE, cband = FALSE)
          oa <- aggregate(fit, type = type)
          expect_lt(abs(coef(oa)[["ATT"]] - ra$overall.att) / abs(ra$overall.att), 1e-8)
          expect_lt(rel_diff(oa$se[["ATT"]], ra$overall.se), 1e-6)
          if (type != "simple") {
            ee <- oa$estimates[-1L, ]
            expect_equal(ee$value, as.numeric(ra$egt))
            expect_lt(scaled_diff(ee$estimate, ra$att.egt), 1e-8)
            expect_lt(rel_diff(ee$std.error, ra$se.egt), 1e-6)
          }
        }
        # the pre-test of parallel trends
        if (!is.null(ref$W)) {
          expect_lt(rel_diff(glance(fit)$pretrend_stat, drop(ref$W)), 1e-6)
        }
      }
    }
  }
})

test_that("jobs spanning every unit, with three covariates, equal did (and fit their workspace)", {
  # with not-yet-treated comparisons, the first group's first post-period
  # cell compares it with every other unit: a job of all n units, whose
  # scratch once overran the thread's workspace (by about 2 n doubles; at
  # this size valgrind and AddressSanitizer report it, make sanitize runs this test)
  skip_if_no_reference("did")
  skip_under_valgrind()
  set.seed(21)
  n <- 3000
  g <- c(3, 4, 5, 0)[(seq_len(n) %% 4) + 1]
  d <- data.frame(id = rep(seq_len(n), each = 6), t = rep(1:6, n), g = rep(g, each = 6))
  z <- rnorm(n)
  d$x1 <- rep(z, each = 6) + 0.2 * rnorm(nrow(d))
  d$x2 <- rep(rnorm(n), each = 6)
  d$x3 <- rep(rbinom(n, 1, 0.5), each = 6)
  on <- d$g > 0 & d$t >= d$g
  d$y <- rep(z, each = 6) + 0.1 * d$t + 0.3 * d$x1 + ifelse(on, 1 + 0.3 * (d$t - d$g), 0) + rnorm(nrow(d))
  for (method in c("dr", "ipw", "reg")) {
    ref <- suppressWarnings(suppressMessages(did::att_gt(
      yname = "y", tname = "t", idname = "id", gname = "g", xformla = ~ x1 + x2 + x3, data = d,
      control_group = "notyettreated", est_method = method, bstrap = FALSE, cband = FALSE)))
    fit <- att_gt(y ~ x1 + x2 + x3, d, panel = c("id", "t"), adopt = "g", control = "notyet",
                  method = method, boot = 0)
    e <- fit$estimates
    i <- match(paste(ref$group, ref$t), paste(e$group, e$time))
    expect_false(anyNA(i))
    expect_identical(max(e$n_treated + e$n_control), n)
    expect_lt(scaled_diff(e$estimate[i], ref$att), 1e-8)
    expect_lt(rel_diff(e$std.error[i], ref$se), 1e-6)
  }
})

test_that("att_gt equals did with a universal base, anticipation, clusters and min/max/balance_e", {
  skip_if_no_reference("did")
  skip_under_valgrind()
  d <- mpdta_data()
  ref <- ref_attgt(d, ~lpop, "notyettreated", "dr", base = "universal")
  fit <- att_gt(lemp ~ lpop, d, panel = c("countyreal", "year"), adopt = "first.treat",
                control = "notyet", base = "universal", boot = 0)
  e <- fit$estimates
  i <- match(paste(ref$group, ref$t), paste(e$group, e$time))
  expect_lt(scaled_diff(e$estimate[i], ref$att), 1e-8)
  live <- !is.na(ref$se)
  expect_true(all(is.na(e$std.error[i][!live])))
  expect_lt(rel_diff(e$std.error[i][live], ref$se[live]), 1e-6)
  ra <- did::aggte(ref, type = "dynamic", bstrap = FALSE, cband = FALSE)
  oa <- aggregate(fit, type = "dynamic")
  expect_lt(scaled_diff(oa$estimates$estimate[-1L], ra$att.egt), 1e-8)
  expect_equal(is.na(oa$estimates$std.error[-1L]), is.na(ra$se.egt))

  ref <- ref_attgt(d, ~1, "nevertreated", "reg", anticipation = 1)
  # (the 2004 group, treated from the first period with one period of
  # anticipation, is dropped with a warning, as did drops it)
  expect_warning(fit <- att_gt(lemp ~ 1, d, panel = c("countyreal", "year"), adopt = "first.treat",
                               method = "reg", anticipation = 1, boot = 0),
                 class = "exportres_warning")
  e <- fit$estimates
  i <- match(paste(ref$group, ref$t), paste(e$group, e$time))
  expect_lt(scaled_diff(e$estimate[i], ref$att), 1e-8)
  expect_lt(rel_diff(e$std.error[i], ref$se), 1e-6)

  ref <- ref_attgt(d, ~lpop, "nevertreated", "dr", clustervars = "state")
  fit <- att_gt(lemp ~ lpop, d, panel = c("countyreal", "year"), adopt = "first.treat",
                cluster = ~state, boot = 0)
  e <- fit$estimates
  i <- match(paste(ref$group, ref$t), paste(e$group, e$time))
  expect_lt(rel_diff(e$std.error[i], ref$se), 1e-6)
  ra <- did::aggte(ref, type = "group", bstrap = FALSE, cband = FALSE)
  oa <- aggregate(fit, type = "group")
  expect_lt(rel_diff(oa$estimates$std.error, c(ra$overall.se, ra$se.egt)), 1e-6)

  ref <- ref_attgt(d, ~lpop, "nevertreated", "dr")
  fit <- att_gt(lemp ~ lpop, d, panel = c("countyreal", "year"), adopt = "first.treat", boot = 0)
  for (args in list(list(min_e = -2, max_e = 2), list(balance_e = 1))) {
    ra <- do.call(did::aggte, c(list(ref, type = "dynamic", bstrap = FALSE, cband = FALSE), args))
    oa <- do.call(aggregate, c(list(fit, type = "dynamic"), args))
    expect_equal(oa$estimates$value[-1L], as.numeric(ra$egt))
    expect_lt(scaled_diff(oa$estimates$estimate, c(ra$overall.att, ra$att.egt)), 1e-8)
    expect_lt(rel_diff(oa$estimates$std.error, c(ra$overall.se, ra$se.egt)), 1e-6)
  }
})

# Monte-Carlo standard errors of the bootstrap's IQR scale and sup-t critical
# value, from B draws split into 20 batches (a batch of B/20 draws has sqrt(20)
# times the Monte-Carlo standard deviation of the full run).
boot_stats <- function(draws, level = 0.95) {
  sig <- apply(draws, 2L, function(b) {
    b <- sort(b)
    (b[ceiling(0.75 * length(b))] - b[ceiling(0.25 * length(b))]) / (2 * stats::qnorm(0.75))
  })
  tmax <- apply(abs(draws) / rep(sig, each = nrow(draws)), 1L, max)
  c(sig, crit = unname(stats::quantile(tmax, level, type = 1)))
}

test_that("bootstrap standard errors and uniform bands agree with did's within Monte-Carlo error", {
  skip_if_no_reference("did")
  skip_under_valgrind()
  d <- mpdta_data()
  B <- 20000L
  set.seed(11)
  ref <- suppressWarnings(did::att_gt(yname = "lemp", tname = "year", idname = "countyreal",
                                      gname = "first.treat", xformla = ~lpop, data = d,
                                      bstrap = TRUE, cband = TRUE, biters = B))
  set.seed(12)
  fit <- att_gt(lemp ~ lpop, d, panel = c("countyreal", "year"), adopt = "first.treat",
                boot = B, boot_se = TRUE)
  e <- fit$estimates
  i <- match(paste(ref$group, ref$t), paste(e$group, e$time))
  # Monte-Carlo error from our own draws, in batches
  set.seed(13)
  ok <- !e$reference & e$status == 0L
  dr <- .Call(exportres:::C_attgt_mboot, fit$inf[, ok], B, 0.95, 1L)$draws
  batches <- vapply(split(seq_len(B), rep(1:20, each = B / 20)),
                    function(r) boot_stats(dr[r, , drop = FALSE]), numeric(sum(ok) + 1L))
  mc_sd <- apply(batches, 1L, stats::sd) / sqrt(20)
  n <- nrow(fit$inf)
  se_mc <- mc_sd[seq_len(sum(ok))] * sqrt(n) / n
  # two independent runs: the difference has sqrt(2) times the error of one
  expect_true(all(abs(e$std.error[i] - ref$se) < 4 * sqrt(2) * se_mc[i]))
  expect_lt(abs(fit$crit_value - unname(ref$c)), 4 * sqrt(2) * mc_sd[["crit"]])
  # the band is wider than the pointwise interval
  expect_true(fit$crit_value > stats::qnorm(0.975))
})

test_that("the multiplier bootstrap in C equals a slow R version of the same draws", {
  set.seed(3)
  psi <- matrix(rnorm(37 * 3), 37, 3)
  B <- 25L
  set.seed(99)
  r <- .Call(exportres:::C_attgt_mboot, psi, B, 0.9, 1L)
  set.seed(99)
  m <- nrow(psi)
  nbyte <- (m + 7) %/% 8
  u <- runif(ceiling(B * nbyte / 3))
  v <- floor(u * 2^24)
  bytes <- as.vector(rbind(v %% 256, (v %/% 256) %% 256, v %/% 65536))[seq_len(B * nbyte)]
  signs <- matrix(0, B, m)
  for (b in seq_len(B)) for (i in seq_len(m)) {
    byte <- bytes[((i - 1) %/% 8) * B + b]
    signs[b, i] <- if (bitwAnd(byte, 2^((i - 1) %% 8)) > 0) 1 else -1
  }
  slow <- sqrt(m) * signs %*% psi / m
  expect_equal(r$draws, slow, tolerance = 1e-12)
  st <- boot_stats(slow, 0.9)
  expect_equal(r$sigma, unname(st[1:3]), tolerance = 1e-12)
  expect_equal(r$crit, st[["crit"]], tolerance = 1e-12)
  # reproducible, and the same with two threads
  set.seed(5)
  a <- .Call(exportres:::C_attgt_mboot, psi, 200L, 0.95, 1L)
  set.seed(5)
  b <- .Call(exportres:::C_attgt_mboot, psi, 200L, 0.95, 2L)
  expect_identical(a, b)
})

test_that("influence functions: the 2x2 kernel equals a slow R transcription of DRDID", {
  set.seed(8)
  n <- 400
  x <- rnorm(n)
  D <- rbinom(n, 1, plogis(0.3 * x))
  dy <- 0.5 * x + D * 0.7 + rnorm(n)
  X <- cbind(1, x)
  ps <- glm.fit(X, D, family = binomial())$fitted.values
  b <- qr.solve(X[D == 0, ], dy[D == 0])
  out <- drop(X %*% b)
  wt <- D; wc <- ps * (1 - D) / (1 - ps)
  att <- mean(wt * (dy - out)) / mean(wt) - mean(wc * (dy - out)) / mean(wc)
  df <- data.frame(id = rep(1:n, 2), t = rep(1:2, each = n), g = rep(ifelse(D == 1, 2, NA), 2),
                   x = rep(x, 2), y = c(rep(0, n), dy))
  fit <- att_gt(y ~ x, df, panel = c("id", "t"), adopt = "g", boot = 0)
  expect_equal(unname(coef(fit)), att, tolerance = 1e-9)
  # reg and ipw by hand too
  fr <- att_gt(y ~ x, df, panel = c("id", "t"), adopt = "g", method = "reg", boot = 0)
  expect_equal(unname(coef(fr)), mean(dy[D == 1]) - mean(out[D == 1]), tolerance = 1e-10)
  fi <- att_gt(y ~ x, df, panel = c("id", "t"), adopt = "g", method = "ipw", boot = 0)
  expect_equal(unname(coef(fi)), mean(wt * dy) / mean(wt) - mean(wc * dy) / mean(wc),
               tolerance = 1e-9)
  # without covariates all three are the difference of mean changes
  f1 <- att_gt(y ~ 1, df, panel = c("id", "t"), adopt = "g", boot = 0)
  expect_equal(unname(coef(f1)), mean(dy[D == 1]) - mean(dy[D == 0]), tolerance = 1e-12)
  se <- sqrt(var(dy[D == 1]) * (sum(D) - 1) / sum(D)^2 + var(dy[D == 0]) * (sum(1 - D) - 1) / sum(1 - D)^2)
  expect_equal(unname(f1$se), se, tolerance = 1e-10)
})

test_that("simulated staggered panel: TWFE is biased, att_gt and did_imputation recover the truth", {
  sim <- sim_staggered(1200, seed = 2024)
  tr <- attr(sim, "truth")
  sim$D <- as.numeric(sim$treated)
  twfe <- fe_reg(y ~ D + x | id + t, sim, cluster = ~id)
  cs <- att_gt(y ~ x, sim, panel = c("id", "t"), adopt = "adopt", boot = 499)
  imp <- did_imputation(y ~ x, sim, panel = c("id", "t"), adopt = "adopt", horizons = TRUE)
  cs_s <- aggregate(cs, "simple")
  # TWFE averages over forbidden comparisons: far from the truth
  expect_gt(abs(coef(twfe)[["D"]] - tr$att) / twfe$se[["D"]], 5)
  # both estimators: the overall effect within 2 standard errors
  expect_lt(abs(coef(cs_s)[["ATT"]] - tr$att) / cs_s$se[["ATT"]], 2)
  expect_lt(abs(coef(imp)[["ATT"]] - tr$att) / imp$se[["ATT"]], 2)
  # event times: the truth inside the uniform band (CS), and inside the
  # Bonferroni-corrected intervals (imputation)
  dyn <- aggregate(cs, "dynamic")
  de <- dyn$estimates[dyn$estimates$value %in% tr$event$event, ]
  tv <- tr$event$tau[match(de$value, tr$event$event)]
  expect_true(all(de$band.low <= tv & tv <= de$band.high))
  ie <- imp$estimates[!is.na(imp$estimates$event), ]
  ti <- tr$event$tau[match(ie$event, tr$event$event)]
  expect_true(all(abs(ie$estimate - ti) / ie$std.error < stats::qnorm(1 - 0.025 / nrow(ie))))
  # group-time cells: truth recovered on average (mean t-statistic near 0)
  e <- cs$estimates[cs$estimates$post, ]
  tg <- tr$att_gt$tau[match(paste(e$group, e$time), paste(tr$att_gt$group, tr$att_gt$time))]
  expect_lt(abs(mean((e$estimate - tg) / e$std.error)), 1)
})

test_that("results work with tidy, glance, reg_table, plots and event_estimates", {
  sim <- sim_staggered(300, seed = 5)
  fit <- att_gt(y ~ x, sim, panel = c("id", "t"), adopt = "adopt", boot = 99)
  dyn <- aggregate(fit, "dynamic")
  imp <- did_imputation(y ~ x, sim, panel = c("id", "t"), adopt = "adopt", horizons = 0:2,
                        pretrends = -2:-1)
  td <- tidy(dyn, conf.int = TRUE)
  expect_equal(td$term[1L], "ATT")
  expect_true(all(grepl("^event::", td$term[-1L])))
  expect_equal(nrow(glance(fit)), 1L)
  expect_true(all(c("crit_value", "pretrend_p") %in% names(glance(fit))))
  tab <- reg_table(CS = aggregate(fit, "simple"), Imputation = imp, keep = "ATT")
  expect_s3_class(tab, "exr_table")
  ev <- event_estimates(imp)
  expect_equal(ev$event, c(-2, -1, 0, 1, 2))
  ee <- event_estimates(fit)
  expect_true(all(ee$band.high >= ee$conf.high, na.rm = TRUE))
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  plot(fit)
  plot(dyn)
  plot(aggregate(fit, "group"))
  plot(imp)
  out <- plot_event_studies(CS = fit, Imputation = imp)
  grDevices::dev.off()
  unlink(f)
  expect_setequal(unique(out$model), c("CS", "Imputation"))
})

test_that("att_gt rejects bad input with classed errors", {
  sim <- sim_staggered(120, periods = 1:5, cohorts = c(3, 4), scale = c(1, 1), seed = 6)
  p <- c("id", "t")
  # every unit eventually treated: no never-treated comparison
  all_t <- sim[!is.na(sim$adopt), ]
  expect_error(att_gt(y ~ 1, all_t, panel = p, adopt = "adopt", boot = 0),
               class = "exportres_error")
  # ... and with not-yet-treated comparisons the last group has none
  expect_error(att_gt(y ~ 1, all_t, panel = p, adopt = "adopt", control = "notyet", boot = 0),
               class = "exportres_error")
  # an adoption period outside the data
  bad <- sim
  bad$adopt[bad$id == 1] <- 12
  expect_error(att_gt(y ~ 1, bad, panel = p, adopt = "adopt", boot = 0), class = "exportres_error")
  # a covariate constant across all units (collinear with the intercept)
  cst <- sim
  cst$k <- 3
  expect_error(att_gt(y ~ x + k, cst, panel = p, adopt = "adopt", boot = 0),
               class = "exportres_error")
  # adoption not constant within unit
  var_a <- sim
  var_a$adopt[var_a$id == 1 & var_a$t == 1] <- 4
  expect_error(att_gt(y ~ 1, var_a, panel = p, adopt = "adopt", boot = 0), class = "exportres_error")
  expect_error(att_gt(y ~ 1, sim, adopt = "adopt"), class = "exportres_error")
  expect_error(att_gt(y ~ 1, sim, panel = p, adopt = "nope"), class = "exportres_error")
  expect_error(att_gt(y ~ x | id, sim, panel = p, adopt = "adopt"), class = "exportres_error")
  expect_error(att_gt(y ~ 1, sim, panel = p, adopt = "adopt", method = "ols"),
               class = "exportres_error")
  expect_error(att_gt(y ~ 1, sim, panel = p, adopt = "adopt", boot = -1), class = "exportres_error")
  expect_error(att_gt(y ~ 1, sim, panel = p, adopt = "adopt", boot = 0, boot_se = TRUE),
               class = "exportres_error")
  # a cluster variable that varies within unit
  sim$cl <- sim$t %% 2
  expect_error(att_gt(y ~ 1, sim, panel = p, adopt = "adopt", cluster = ~cl, boot = 0),
               class = "exportres_error")
  fit <- att_gt(y ~ 1, sim, panel = p, adopt = "adopt", boot = 0)
  expect_error(aggregate(fit, type = "weekly"), class = "exportres_error")
  expect_error(aggregate(fit, type = "dynamic", min_e = 10), class = "exportres_error")
  # unbalanced panels: units missing a period are dropped with a warning
  ub <- sim[-1L, ]
  expect_warning(att_gt(y ~ 1, ub, panel = p, adopt = "adopt", boot = 0), class = "exportres_warning")
})

test_that("the kept units are those R would keep, in order of adoption, by counting or by sorting", {
  units_of <- function(ua, count, periods, early) {
    start <- c(0L, cumsum(count))
    order <- sample.int(sum(count))   # rows in any order: first = order[start + 1]
    r <- .Call(exportres:::C_attgt_units, ua, as.integer(count), periods, early, order,
               as.integer(start))
    keep <- count == length(periods) & !(is.finite(ua) & ua <= early)
    u <- which(keep)
    u <- u[order(ua[u])]
    expect_identical(r$units, u)
    expect_identical(r$adopt, ua[u])
    expect_identical(r$first, order[start[u] + 1L])
    expect_identical(r$cohorts, unique(ua[u]))
    expect_identical(r$cohort_size, as.vector(table(match(ua[u], unique(ua[u])))))
    expect_identical(r$incomplete, sum(count != length(periods)))
    expect_identical(r$early, sum(count == length(periods) & is.finite(ua) & ua <= early))
    r
  }
  set.seed(11)
  ua <- c(3, Inf, 5, 3, 1, Inf, 4, 2)
  count <- c(5, 5, 5, 4, 5, 5, 5, 5)
  r <- units_of(ua, count, as.double(1:5), 1)   # every adoption is a period: counting
  expect_identical(r$units, c(8L, 1L, 7L, 3L, 2L, 6L))
  expect_identical(r$outside, 0L)
  ua[7] <- 3.5                                   # between periods: sorting
  r <- units_of(ua, count, as.double(1:5), 1)
  expect_identical(r$units, c(8L, 1L, 7L, 3L, 2L, 6L))
  big <- sample(c(2, 2.5, 4, Inf, 7), 500, replace = TRUE)
  units_of(big, sample(c(7, 7, 7, 6), 500, replace = TRUE), as.double(1:7), 2)
  units_of(big, rep(7, 500), as.double(1:7), 2.5)
  # adoption outside the periods, or negative, is counted for the caller's error
  expect_identical(units_of(c(3, 6, -1, Inf), rep(5, 4), as.double(1:5), 1)$outside, 2L)
})

test_that("att_gt does not depend on the order of the rows; dropped units equal their removal", {
  sim <- sim_staggered(150, periods = 1:6, cohorts = c(3, 5), scale = c(1, 1), seed = 8)
  sim$w <- rep(stats::runif(150, 0.5, 2), each = 6)[match(sim$id, sort(unique(sim$id)))]
  sim$st <- sim$id %% 7
  p <- c("id", "t")
  fit_of <- function(dd, ...) att_gt(y ~ x, dd, panel = p, adopt = "adopt", boot = 0, ...)
  set.seed(3)
  shuf <- sim[sample(nrow(sim)), ]
  for (method in c("dr", "ipw", "reg")) {
    a <- fit_of(sim, method = method, weights = "w", cluster = ~st)
    b <- fit_of(shuf, method = method, weights = "w", cluster = ~st)
    expect_equal(b$estimates$estimate, a$estimates$estimate, tolerance = 1e-12)
    expect_equal(b$estimates$std.error, a$estimates$std.error, tolerance = 1e-12)
  }
  # a unit missing a period (and a row with a missing outcome) is dropped:
  # the same as removing the unit
  ub <- shuf
  ub <- ub[!(ub$id == 4 & ub$t == 2), ]
  ub$y[ub$id == 9 & ub$t == 5] <- NA
  expect_warning(f1 <- fit_of(ub), class = "exportres_warning")
  f2 <- fit_of(sim[!sim$id %in% c(4, 9), ])
  expect_equal(f1$estimates$estimate, f2$estimates$estimate, tolerance = 1e-12)
  expect_equal(f1$estimates$std.error, f2$estimates$std.error, tolerance = 1e-12)
  expect_identical(f1$n_obs, f2$n_obs)
  # an integer adoption column (read as it is), coded NA or 0 for never
  # treated, gives the same as a double one
  si <- sim
  si$adopt <- as.integer(si$adopt)
  si$adopt[si$id %% 2 == 0 & is.na(si$adopt)] <- 0L
  fi <- fit_of(si, weights = "w")
  fd <- fit_of(sim, weights = "w")
  expect_identical(fi$estimates$estimate, fd$estimates$estimate)
  expect_identical(fi$estimates$std.error, fd$estimates$std.error)
  expect_identical(fi$unit$G, fd$unit$G)
  # units in order of adoption (never treated last) in the influence functions
  expect_false(is.unsorted(fd$unit$G))
  # weights varying within a unit, and a repeated (id, time) pair
  bw <- sim
  bw$w[bw$id == 2 & bw$t == 3] <- 9
  expect_error(att_gt(y ~ x, bw, panel = p, adopt = "adopt", weights = "w", boot = 0),
               class = "exportres_error")
  expect_error(fit_of(rbind(sim, sim[5L, ])), "duplicate", class = "exportres_error")
})
