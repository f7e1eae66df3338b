# wild_boot() after iv_reg(): the wild restricted efficient bootstrap (WRE) and
# its unrestricted version (WUE), against an independent slow implementation
# (the bootstrap samples built from fe_reg() fits and re-estimated by iv_reg()
# for every draw), against WildBootTests.jl's published output, and its
# properties and errors.

# ---- the slow reference ------------------------------------------------------
# Davidson & MacKinnon (2010): at the null value (WRE) or the estimate (WUE)
# the structural residuals u~, the first stage re-estimated with u~ added, the
# first-stage residuals v~ including u~'s part; Y* = fitted + v~ v, y* =
# rho Y* + fitted + u~ v; each sample re-estimated with iv_reg(). A two-way
# variance is assembled from one-way fits without the G/(G-1) factor (each
# positive semi-definite, so no eigenvalue fix), with the factor of the
# smallest dimension, as the package's default ssc does.
slow_wre <- function(df, y, Y, X, Z, fe = NULL, cl, boot, V, r = 0, impose_null = TRUE, w = NULL) {
  rx <- if (length(X)) paste(X, collapse = " + ") else "1"
  fp <- if (is.null(fe)) "" else paste(" |", paste(fe, collapse = " + "))
  fp0 <- if (is.null(fe)) "0" else paste(fe, collapse = " + ")
  df$.w <- if (is.null(w)) 1 else w
  wt <- if (is.null(w)) NULL else ".w"
  ivf <- function(lhs, endo) {
    stats::as.formula(paste(lhs, "~", rx, "|", fp0, "|", endo, "~", paste(Z, collapse = " + ")))
  }
  if (impose_null) {
    rho <- r
    df$.yr <- df[[y]] - r * df[[Y]]
    ut <- residuals(fe_reg(stats::as.formula(paste(".yr ~", rx, fp)), df, weights = wt))
  } else {
    f0 <- iv_reg(ivf(y, Y), df, weights = wt)
    rho <- unname(coef(f0)[Y])
    ut <- residuals(f0)
  }
  df$.ut <- ut
  m1 <- fe_reg(stats::as.formula(paste(Y, "~", rx, "+", paste(Z, collapse = " + "), "+ .ut", fp)),
               df, weights = wt)
  vt <- residuals(m1) + coef(m1)[[".ut"]] * ut
  Yfit <- df[[Y]] - vt
  yfix <- df[[y]] - rho * df[[Y]] - ut
  cls <- all.vars(cl)
  var_of <- function(f, dd) {
    if (length(cls) == 1L) return(vcov(f)[".Ys", ".Ys"])
    stopifnot(length(cls) == 2L)
    one <- function(cc) {
      vcov(iv_reg(ivf(".ys", ".Ys"), dd, cluster = cc, weights = wt,
                  ssc = exr_ssc(G_adj = FALSE)))[".Ys", ".Ys"]
    }
    G <- min(vapply(cls, function(v) length(unique(df[[v]])), 1))
    G / (G - 1) * (one(stats::as.formula(paste("~", cls[1]))) + one(stats::as.formula(paste("~", cls[2]))) -
                     one(stats::as.formula(paste("~", cls[1], "^", cls[2]))))
  }
  apply(V, 2L, function(v) {
    vv <- v[boot]
    df$.Ys <- Yfit + vt * vv
    df$.ys <- rho * df$.Ys + yfix + ut * vv
    f <- iv_reg(ivf(".ys", ".Ys"), df, cluster = cl, weights = wt)
    unname((coef(f)[".Ys"] - rho) / sqrt(var_of(f, df)))
  })
}

# The fast bootstrap t statistics for given weights (internal entries).
fast_wre <- function(fit, term, V, r = 0, impose_null = TRUE, data, cluster = NULL,
                     bootcluster = NULL, tie = impose_null, cores = 1L) {
  prep <- exportres:::wre_prepare(fit, term, cluster, bootcluster, data, environment(), 1e-13, 1L)
  rho <- if (impose_null) r else prep$estimate
  mom <- exportres:::wre_moments(prep, 0L, ncol(V), V, as.integer(cores))
  dr <- exportres:::wre_eval(prep, mom, rho, tie)
  pv <- .Call(exportres:::C_wildboot_pvalues, dr, prep$estimate, prep$se, as.double(r), 1L)
  list(tb = pv$tstar, t = (prep$estimate - r) / prep$se, prep = prep, p = pv$p)
}

wre_data <- function(n = 400, seed = 3) {
  set.seed(seed)
  df <- data.frame(g = sample(1:9, n, TRUE), t = sample(1:6, n, TRUE), s = sample(1:4, n, TRUE))
  df$sub <- df$g * 10 + sample(1:2, n, TRUE)
  df$z1 <- rnorm(n)
  df$z2 <- rnorm(n) + 0.3 * df$t
  df$x <- rnorm(n)
  e <- rnorm(n)
  df$d <- 0.5 * df$z1 + 0.4 * df$z2 + 0.2 * df$x + rnorm(9)[df$g] + e
  df$y <- 0.3 * df$d + 0.5 * df$x + rnorm(9)[df$g] + 0.6 * e + rnorm(n) * (1 + df$g / 5)
  df$w <- stats::runif(n, 0.5, 2)
  df
}

nlsw_iv <- function() {
  d <- utils::read.csv(test_path("fixtures", "nlsw88.csv"), comment.char = "#")
  d[stats::complete.cases(d[, c("wage", "tenure", "ttl_exp", "collgrad", "industry", "union")]), ]
}

# ---- draw by draw against the slow reference --------------------------------

test_that("WRE and WUE statistics equal the slow re-estimation draw by draw", {
  skip_under_valgrind()
  df <- wre_data()
  cases <- list(
    list(fe = "t", cl = ~g, boot = ~g, Z = c("z1", "z2"), w = NULL),   # year-type FE, 2 instruments
    list(fe = c("g", "t"), cl = ~g, boot = ~g, Z = "z1", w = NULL),    # FE nested in the cluster
    list(fe = "t", cl = ~g, boot = ~g, Z = c("z1", "z2"), w = "w"),    # weights
    list(fe = NULL, cl = ~g + s, boot = ~g, Z = "z1", w = NULL),       # two-way clustering
    list(fe = "t", cl = ~g, boot = ~sub, Z = "z1", w = "w")            # subcluster bootstrap
  )
  set.seed(11)
  for (cs in cases) {
    fp <- if (is.null(cs$fe)) "0" else paste(cs$fe, collapse = " + ")
    f <- stats::as.formula(paste("y ~ x |", fp, "| d ~", paste(cs$Z, collapse = " + ")))
    fit <- iv_reg(f, df, cluster = cs$cl, weights = cs$w)
    bcode <- as.integer(factor(df[[all.vars(cs$boot)]]))
    V <- matrix(sample(c(-1, 1), max(bcode) * 6, TRUE), max(bcode))
    V[, 2] <- stats::rnorm(max(bcode))          # not only signs
    for (null in c(TRUE, FALSE)) {
      s <- slow_wre(df, "y", "d", "x", cs$Z, cs$fe, cs$cl, bcode, V, 0.2, null,
                    w = if (is.null(cs$w)) NULL else df$w)
      fa <- fast_wre(fit, "d", V, 0.2, null, data = df, bootcluster = cs$boot)
      expect_lt(max(abs(fa$tb - s) / pmax(1, abs(s))), 1e-10)
    }
  }
})

test_that("the original statistic is iv_reg()'s, and the all-ones draw reproduces it", {
  df <- wre_data()
  fit <- iv_reg(y ~ x | t | d ~ z1 + z2, df, cluster = ~g)
  V <- cbind(rep(1, 9), rep(-1, 9))
  for (r in c(0, 0.2, 1)) {
    fa <- fast_wre(fit, "d", V, r, data = df, tie = FALSE)
    expect_equal(fa$prep$se, unname(sqrt(vcov(fit)["d", "d"])), tolerance = 1e-12)
    expect_equal(fa$tb[1], fa$t, tolerance = 1e-10)           # computed, not marked
    expect_false(isTRUE(all.equal(fa$tb[2], -fa$t)))         # -1 is not a copy under WRE
    marked <- fast_wre(fit, "d", V, r, data = df)
    expect_identical(marked$tb[1], marked$t)                 # marked as the tie it is
  }
})

test_that("WUE draws do not depend on the null value; WRE draws do", {
  df <- wre_data()
  fit <- iv_reg(y ~ x | t | d ~ z1, df, cluster = ~g)
  set.seed(2)
  V <- matrix(sample(c(-1, 1), 9 * 20, TRUE), 9)
  expect_identical(fast_wre(fit, "d", V, 0, FALSE, data = df)$tb,
                   fast_wre(fit, "d", V, 0.7, FALSE, data = df)$tb)
  expect_false(identical(fast_wre(fit, "d", V, 0, data = df)$tb, fast_wre(fit, "d", V, 0.7, data = df)$tb))
})

# ---- published and independent results ------------------------------------

test_that("nlsw88, tenure instrumented by union: the enumerated WRE p-values", {
  d <- nlsw_iv()
  fit <- iv_reg(wage ~ ttl_exp + collgrad | 0 | tenure ~ union, d, cluster = ~industry)
  expect_equal(nobs(fit), 1855L)
  expect_message(wb <- wild_boot(fit, "tenure", B = 9999), "full enumeration")
  # an independent implementation (2SLS re-estimated for each of the 4096
  # sign vectors, in plain R): 91 draws with |t*| > |t|, 91 with t* > t
  expect_equal(wb$statistic, 0.7359540 / 0.2954346, tolerance = 1e-6)
  expect_identical(wb$B, 4096L)
  expect_equal(wb$p[["symmetric"]], 91 / 4096, tolerance = 1e-12)
  expect_equal(wb$p[["equal-tailed"]], 182 / 4096, tolerance = 1e-12)
  expect_equal(wb$p[["upper"]], 91 / 4096, tolerance = 1e-12)
  expect_identical(wb$method, "WRE")
  # the interval: p crosses 0.05 at each bound
  prep <- exportres:::wre_prepare(fit, "tenure", NULL, NULL, d, environment(), 1e-10, 1L)
  mom <- exportres:::wre_moments(prep, 4L, 4096L, NULL, 1L)
  p_at <- function(r) {
    dr <- exportres:::wre_eval(prep, mom, r, TRUE)
    .Call(exportres:::C_wildboot_pvalues, dr, prep$estimate, prep$se, r, 0L)$p[1, 1]
  }
  eps <- 1e-6 * wb$std.error
  expect_lte(p_at(wb$conf.int[1] - eps), 0.05)
  expect_gt(p_at(wb$conf.int[1] + eps), 0.05)
  expect_gt(p_at(wb$conf.int[2] - eps), 0.05)
  expect_lte(p_at(wb$conf.int[2] + eps), 0.05)
  expect_true(wb$conf.int[1] < wb$estimate && wb$estimate < wb$conf.int[2])
})

test_that("SchoolingReturns: WildBootTests.jl's published WRE result (Webb, 9 clusters)", {
  skip_if_no_reference("ivreg")
  data("SchoolingReturns", package = "ivreg", envir = environment())
  d <- SchoolingReturns
  d$parents14 <- factor(d$parents14)
  d$fam <- as.integer(d$fameducation)
  fit <- iv_reg(log(wage) ~ age + ethnicity + smsa + south + parents14 | 0 | education ~ nearcollege,
                d, cluster = ~fam)
  set.seed(42)
  wb <- wild_boot(fit, "education", B = 9999, type = "webb")
  # fwildclusterboot's README (its Julia back end, WildBootTests.jl, 999 draws)
  # prints: estimate 0.09, t 2.201, p 0.01, 95% interval [0.015, 0.227]
  expect_equal(round(wb$estimate, 2), 0.09)
  expect_equal(round(wb$statistic, 3), 2.201)
  # p: within 3 Monte Carlo standard deviations of both runs
  sd_p <- sqrt(0.012 * 0.988 / 999 + 0.012 * 0.988 / 9999)
  expect_lt(abs(wb$p.value - 0.01), 3 * sd_p)
  # the bounds of a 999-draw interval vary by about 10% from run to run here
  expect_lt(abs(wb$conf.int[1] - 0.015) / 0.015, 0.25)
  expect_lt(abs(wb$conf.int[2] - 0.227) / 0.227, 0.25)
})

# ---- properties ------------------------------------------------------------

test_that("draws are reproducible under set.seed and identical for any number of cores", {
  df <- wre_data()
  fit <- iv_reg(y ~ x | t | d ~ z1 + z2, df, cluster = ~g)
  set.seed(5)
  a <- wild_boot(fit, "d", B = 199, type = "webb", cores = 1L)
  set.seed(5)
  b <- wild_boot(fit, "d", B = 199, type = "webb", cores = 2L)
  expect_identical(a$t_boot, b$t_boot)
  expect_identical(a$conf.int, b$conf.int)
  set.seed(5)
  c0 <- wild_boot(fit, "d", B = 199, type = "webb", conf_int = FALSE)
  expect_identical(c0$t_boot, a$t_boot)        # the same weights with or without the interval
  expect_identical(c0$p, a$p)
})

test_that("the WUE interval contains the estimate and p-values move with r", {
  df <- wre_data()
  fit <- iv_reg(y ~ x | t | d ~ z1, df, cluster = ~g)
  set.seed(1)
  wb <- wild_boot(fit, "d", B = 999, type = "mammen", impose_null = FALSE, r = 0.3)
  expect_identical(wb$method, "WUE")
  expect_true(wb$conf.int[1] < wb$estimate && wb$estimate < wb$conf.int[2])
  expect_output(print(wb), "unrestricted efficient \\(WUE\\)")
})

test_that("reg_table() shows IV bootstrap p-values with the method in the note", {
  df <- wre_data()
  fit <- iv_reg(y ~ x | t | d ~ z1, df, cluster = ~g)
  set.seed(1)
  wb <- wild_boot(fit, "d", B = 199)
  tab <- reg_table(fit, boot = list(wb))
  expect_true(any(grepl("WRE", tab$notes)))
  row <- which(rownames(tab$body) == "d")
  expect_identical(unname(tab$body[row + 2L, 1L]), sprintf("[%.4f]", wb$p.value))
  set.seed(1)
  wb_et <- wild_boot(fit, "d", B = 199, ptype = "equal-tailed")
  expect_true(any(grepl("bootstrap equal-tailed p-values (WRE", reg_table(fit, boot = wb_et)$notes,
                        fixed = TRUE)))
})

# ---- bad input ---------------------------------------------------------------

test_that("IV bootstrap errors are classed and name the argument", {
  df <- wre_data()
  fit <- iv_reg(y ~ x | t | d ~ z1, df, cluster = ~g)
  expect_error(wild_boot(fit, "x", B = 99), class = "exportres_error", regexp = "endogenous")
  fit2 <- iv_reg(y ~ 1 | t | d + x ~ z1 + z2, df, cluster = ~g)
  expect_error(wild_boot(fit2, "d", B = 99), class = "exportres_error", regexp = "one endogenous")
  expect_error(wild_boot(fit, "d", B = 50), class = "exportres_error", regexp = "B")
  df1 <- df
  df1$one <- 1
  expect_error(wild_boot(fit, "d", B = 99, cluster = ~one, data = df1), class = "exportres_error",
               regexp = "cluster")
  df1$gna <- df1$g
  df1$gna[3] <- NA
  expect_error(wild_boot(fit, "d", B = 99, cluster = ~gna, data = df1), class = "exportres_error",
               regexp = "NA")
  expect_error(wild_boot(iv_reg(y ~ x | t | d ~ z1, df), "d", B = 99), class = "exportres_error",
               regexp = "cluster")
})
