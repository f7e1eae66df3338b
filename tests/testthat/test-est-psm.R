# psm_match(): the matching kernel by hand and against a brute-force
# reference, MatchIt on lalonde (matched sets, weights, balance), PSM-DID on
# the bundled panel, bad input.

# The kernel on given distances: role 1 treated, 0 control.
kernel <- function(d, role, k = 1L, replace = FALSE, caliper = -1, grp = NULL,
                   order = c("largest", "data")) {
  order <- match.arg(order)
  tr <- which(role == 1L)
  torder <- if (order == "largest") tr[base::order(d[tr], decreasing = TRUE)] else tr
  g <- if (is.null(grp)) rep(1L, length(d)) else grp
  .Call(C_nn_match, as.double(d), as.integer(role), if (is.null(grp)) NULL else as.integer(grp),
        as.integer(base::order(g, d, method = "radix")), as.integer(torder), as.integer(k),
        replace, as.double(caliper))
}

# Obviously-correct greedy matching by full scans (O(n1 n0)), MatchIt's rule:
# rounds, treated units in `torder`, nearest available control, ties to the
# lower distance, then to the position in the stable sort.
brute_match <- function(d, role, k, replace, caliper, grp, torder) {
  n <- length(d)
  pos <- integer(n)
  pos[base::order(grp, d, method = "radix")] <- seq_len(n)
  tr <- which(role == 1L)
  mm <- matrix(NA_integer_, length(tr), k)
  avail <- role == 0L
  for (r in seq_len(k)) {
    for (t in torder) {
      cand <- which(avail & grp == grp[t])
      if (replace) cand <- setdiff(cand, mm[match(t, tr), ])
      if (caliper >= 0) cand <- cand[abs(d[cand] - d[t]) <= caliper]
      if (!length(cand)) next
      dist <- abs(d[cand] - d[t])
      best <- cand[dist == min(dist)]
      lower <- best[d[best] < d[t] | (d[best] == d[t] & pos[best] < pos[t])]
      pick <- if (length(lower)) lower[which.max(pos[lower])] else best[which.min(pos[best])]
      mm[match(t, tr), r] <- pick
      if (!replace) avail[pick] <- FALSE
    }
  }
  mm
}

test_that("hand-worked matches, weights and MatchIt's tie rules", {
  # treated at 0.5 and 0.8; controls at 0.4, 0.62, 0.9
  d <- c(0.5, 0.4, 0.62, 0.9, 0.8)
  role <- c(1L, 0L, 0L, 0L, 1L)
  r <- kernel(d, role)
  expect_identical(r$match_matrix[, 1], c(2L, 4L))   # 0.8 first: 0.9 (0.1 < 0.18); then 0.5: 0.4
  expect_identical(r$weights, c(1, 1, 0, 1, 1))
  r2 <- kernel(d, role, k = 2L, replace = TRUE)
  expect_identical(r2$match_matrix, matrix(c(2L, 4L, 3L, 3L), 2))
  # controls weigh 1/2, 1/2 + 1/2, 1/2, scaled to sum to 3 matched controls
  expect_equal(r2$weights, c(1, 0.75, 1.5, 0.75, 1))
  # without replacement, the second round takes what is left
  r3 <- kernel(d, role, k = 2L)
  expect_identical(r3$match_matrix, matrix(c(2L, 4L, NA, 3L), 2))
  # ties: identical controls below -> the last in the data; equal distances on
  # both sides -> the lower one (MatchIt's rule)
  expect_identical(kernel(c(0.5, 0.4, 0.4, 0.9), c(1L, 0L, 0L, 0L))$match_matrix[1, 1], 3L)
  expect_identical(kernel(c(0.5, 0.4, 0.4, 0.4, 0.9), c(1L, 0L, 0L, 0L, 0L))$match_matrix[1, 1], 4L)
  expect_identical(kernel(c(0.5, 0.625, 0.375, 0.9), c(1L, 0L, 0L, 0L))$match_matrix[1, 1], 3L)
  expect_identical(kernel(c(0.5, 0.375, 0.625, 0.9), c(1L, 0L, 0L, 0L))$match_matrix[1, 1], 2L)
  # caliper: 0.12 accepts 0.62 for the unit at 0.5 but nothing beyond
  r4 <- kernel(c(0.5, 0.3, 0.62), c(1L, 0L, 0L), caliper = 0.12)
  expect_identical(r4$match_matrix[1, 1], 3L)
  expect_true(is.na(kernel(c(0.5, 0.3, 0.7), c(1L, 0L, 0L), caliper = 0.1)$match_matrix[1, 1]))
})

test_that("the sort-and-scan kernel equals a brute-force O(n1 n0) matching", {
  set.seed(11)
  for (rep in 1:30) {
    n <- sample(20:120, 1)
    d <- round(runif(n), sample(c(1, 2, 6), 1))          # coarse rounding makes ties
    role <- sample(c(0L, 1L, -1L), n, TRUE, prob = c(0.55, 0.35, 0.1))
    if (!any(role == 1L) || !any(role == 0L)) next
    grp <- if (rep %% 3 == 0) sample(1:3, n, TRUE) else rep(1L, n)
    k <- sample(1:4, 1)
    replace <- rep %% 2 == 0
    cal <- if (rep %% 5 == 0) 0.05 else -1
    tr <- which(role == 1L)
    torder <- tr[base::order(d[tr], decreasing = TRUE)]
    got <- .Call(C_nn_match, d, role, if (all(grp == 1L)) NULL else as.integer(grp),
                 as.integer(base::order(grp, d, method = "radix")), as.integer(torder), as.integer(k),
                 replace, rep(cal, max(grp)))
    want <- brute_match(d, role, k, replace, cal, grp, torder)
    expect_identical(got$match_matrix, want)
  }
})

lalonde_f <- treat ~ age + educ + race + nodegree + married + re74 + re75

test_that("psm_match equals MatchIt nearest on lalonde: matched sets, weights, balance", {
  skip_under_valgrind()
  skip_if_no_reference("MatchIt", "4.5.4")
  data("lalonde", package = "MatchIt", envir = environment())
  cfgs <- list(list(k = 1, replace = FALSE, caliper = NULL), list(k = 4, replace = FALSE, caliper = NULL),
               list(k = 1, replace = TRUE, caliper = NULL), list(k = 4, replace = TRUE, caliper = NULL),
               list(k = 1, replace = FALSE, caliper = 0.1), list(k = 4, replace = TRUE, caliper = 0.1))
  for (cf in cfgs) {
    mi <- suppressWarnings(MatchIt::matchit(lalonde_f, data = lalonde, method = "nearest", ratio = cf$k,
                                            replace = cf$replace, caliper = cf$caliper))
    m <- psm_match(lalonde_f, lalonde, k = cf$k, replace = cf$replace, caliper = cf$caliper)
    expect_lt(max(abs(m$distance - mi$distance)), 1e-7)
    expect_equal(unname(m$weights), unname(mi$weights), tolerance = 1e-12)
    mine <- matrix(rownames(lalonde)[m$match_matrix], nrow(m$match_matrix))
    theirs <- unname(mi$match.matrix)
    # the same controls for every treated unit (in the same order, except among
    # exactly tied controls, which MatchIt orders by a partial sort)
    expect_true(all(vapply(seq_len(nrow(theirs)), function(i) setequal(mine[i, ], theirs[i, ]), TRUE)))
    if (!cf$replace) expect_identical(mine, theirs)
    s <- summary(mi)
    expect_identical(rownames(m$balance), rownames(s$sum.all))
    expect_lt(max(abs(m$balance$smd_before - s$sum.all[, "Std. Mean Diff."])), 1e-6)
    expect_lt(max(abs(m$balance$smd_after - s$sum.matched[, "Std. Mean Diff."])), 1e-6)
    expect_lt(max(abs(m$balance$mean_control_after - s$sum.matched[, "Means Control"]) /
                    pmax(1, abs(s$sum.matched[, "Means Control"]))), 1e-6)
    vr <- s$sum.matched[, "Var. Ratio"]
    expect_identical(is.na(m$balance$var_ratio_after), unname(is.na(vr)))
    expect_lt(max(abs(m$balance$var_ratio_after - vr), na.rm = TRUE), 1e-6)
    expect_equal(unname(m$counts["Matched", ]), unname(s$nn["Matched", ]))
  }
  # MatchIt's caliper: 0.1 SD of the distance, pooled over non-discarded units
  m <- psm_match(lalonde_f, lalonde, k = 1, replace = FALSE, caliper = 0.1)
  expect_equal(unname(m$caliper_abs), 0.1 * sd(m$distance), tolerance = 1e-12)
})

test_that("probit scores, the linear index, common support and groups equal MatchIt's", {
  skip_under_valgrind()
  skip_if_no_reference("MatchIt", "4.5.4")
  data("lalonde", package = "MatchIt", envir = environment())
  mi <- MatchIt::matchit(lalonde_f, data = lalonde, link = "probit", ratio = 2)
  m <- psm_match(lalonde_f, lalonde, link = "probit", k = 2, replace = FALSE)
  expect_equal(unname(m$weights), unname(mi$weights), tolerance = 1e-12)
  mi <- MatchIt::matchit(lalonde_f, data = lalonde, link = "linear.logit", caliper = 0.2)
  m <- psm_match(lalonde_f, lalonde, distance = "linear", k = 1, replace = FALSE, caliper = 0.2)
  expect_equal(unname(m$weights), unname(mi$weights), tolerance = 1e-12)
  mi <- MatchIt::matchit(lalonde_f, data = lalonde, discard = "both", ratio = 3, replace = TRUE)
  m <- psm_match(lalonde_f, lalonde, discard = "both", k = 3)
  expect_identical(unname(m$discarded), unname(mi$discarded))
  expect_equal(unname(m$weights), unname(mi$weights), tolerance = 1e-12)
  # by: a score model and a matching per group = separate matchit() calls
  f2 <- treat ~ age + educ + race + nodegree + re74 + re75
  m <- psm_match(f2, lalonde, k = 1, replace = FALSE, by = "married")
  for (g in 0:1) {
    sub <- lalonde[lalonde$married == g, ]
    mi <- MatchIt::matchit(f2, data = sub, ratio = 1)
    rows <- rownames(m$match_matrix) %in% rownames(sub)
    expect_identical(unname(rownames(lalonde)[m$match_matrix[rows, 1]]), unname(mi$match.matrix[, 1]))
  }
})

test_that("PSM-DID: fe_reg(data = m) is the weighted regression on the matched rows", {
  set.seed(5)
  n <- 400
  d <- data.frame(x1 = rnorm(n), x2 = rnorm(n), g = sample(1:8, n, TRUE))
  d$treat <- as.numeric(d$x1 + 0.5 * d$x2 + rnorm(n) > 0.7)
  d$y <- 1 + 0.5 * d$treat + d$x1 + rnorm(n)
  m <- psm_match(treat ~ x1 + x2, d, k = 3)
  a <- fe_reg(y ~ treat + x1 | g, d, weights = m$weights)
  b <- fe_reg(y ~ treat + x1 | g, m)
  expect_equal(coef(a), coef(b), tolerance = 1e-12)
  expect_equal(a$se, b$se, tolerance = 1e-12)
  expect_identical(nobs(a), sum(m$weights > 0))
  expect_identical(nrow(m$data), sum(m$weights > 0))
  expect_equal(m$data$weights, m$weights[m$weights > 0])
  # weights: treated 1, controls sum to their count; balance improves
  expect_true(all(m$weights[d$treat == 1 & m$matched] == 1))
  expect_equal(sum(m$weights[d$treat == 0]), sum(d$treat == 0 & m$matched))
  expect_lt(max(abs(m$balance$smd_after[-1])), max(abs(m$balance$smd_before[-1])))
  expect_error(fe_reg(y ~ treat | g, m, weights = rep(1, n)), class = "exportres_error")
  # the balance t tests are lm()'s (weighted after matching)
  pos <- m$weights > 0
  for (v in c("x1", "x2")) {
    p_un <- summary(lm(d[[v]] ~ d$treat))$coefficients[2, 4]
    p_m <- summary(lm(d[[v]][pos] ~ d$treat[pos], weights = m$weights[pos]))$coefficients[2, 4]
    expect_equal(m$balance[v, "p_before"], p_un, tolerance = 1e-10)
    expect_equal(m$balance[v, "p_after"], p_m, tolerance = 1e-10)
  }
})

test_that("on the bundled panel, PSM-DID by year covers the documented DID effect", {
  skip_under_valgrind()
  p <- build_city_panel()
  ctr <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")
  m <- suppressMessages(psm_match(stats::reformulate(ctr, "pilot"), p, k = 4, by = "year"))
  expect_identical(m$n_groups, 11L)
  expect_lt(max(abs(m$balance$smd_after)), 0.1)
  f <- stats::reformulate(c("did", "dig", ctr), "res")
  f <- stats::as.formula(paste(deparse1(f), "| city + year"))
  fit <- fe_reg(f, p, weights = m$weights, cluster = ~city)
  ci <- confint(fit)["did", ]
  expect_true(ci[1] < city_truth$did && city_truth$did < ci[2])
  dd <- fe_reg(f, p, cluster = ~city)
  ci <- confint(dd)["did", ]
  expect_true(ci[1] < city_truth$did && city_truth$did < ci[2])
})

test_that("print, summary, plot and glance", {
  set.seed(3)
  d <- data.frame(x1 = rnorm(200), f = factor(sample(c("a", "b", "c"), 200, TRUE)))
  d$treat <- as.numeric(d$x1 + (d$f == "b") + rnorm(200) > 1)
  m <- psm_match(treat ~ x1 + f, d, k = 2)
  expect_identical(rownames(m$balance), c("distance", "x1", "fa", "fb", "fc"))
  expect_output(print(m), "nearest neighbour")
  expect_output(print(summary(m)), "after matching")
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot(m), m)
  expect_identical(plot(m, type = "pscore"), m)
  g <- glance(m)
  expect_identical(g$n_matched_treated, sum(d$treat == 1))
  expect_lt(g$max_abs_smd_after, g$max_abs_smd_before)
})

test_that("bad input gives exportres errors", {
  set.seed(4)
  d <- data.frame(x = rnorm(50), treat = rep(0:1, 25))
  expect_error(psm_match(treat ~ x, transform(d, treat = 0)), class = "exportres_error")
  expect_error(psm_match(treat ~ x, transform(d, treat = 1)), class = "exportres_error")
  expect_error(psm_match(treat ~ x, transform(d, treat = 2 * treat)), class = "exportres_error")
  expect_error(psm_match(treat ~ x, d, k = 30, replace = FALSE), class = "exportres_error")
  expect_error(psm_match(treat ~ x, d, caliper = 1e-12, std_caliper = FALSE), class = "exportres_error")
  expect_error(psm_match(treat ~ x, d, k = 0), class = "exportres_error")
  expect_error(psm_match(treat ~ x, d, caliper = -1), class = "exportres_error")
  expect_error(psm_match(treat ~ x | g, d), class = "exportres_error")
  expect_error(psm_match(treat ~ x, d, by = "nope"), class = "exportres_error")
  expect_error(psm_match(treat ~ x, d, link = "cloglog"), class = "exportres_error")
  # a group without controls is left unmatched, with a warning
  d$g <- c(rep(1, 40), rep(2, 10))
  d$treat[d$g == 2] <- 1
  expect_warning(m <- psm_match(treat ~ x, d, by = "g"), class = "exportres_warning")
  expect_true(all(m$weights[d$g == 2] == 0))
  # the .Call entry checks its arguments
  expect_error(.Call(C_nn_match, c(0.1, 0.2), c(1L, 0L), NULL, c(1L, 1L), 1L, 1L, TRUE, -1),
               class = "exportres_error")
  expect_error(.Call(C_nn_match, c(0.1, 0.2), c(1L, 0L), NULL, c(2L, 1L), 1L, 1L, TRUE, -1),
               class = "exportres_error")
  expect_error(.Call(C_nn_match, c(0.1, 0.2), c(1L, 0L), NULL, c(1L, 2L), 2L, 1L, TRUE, -1),
               class = "exportres_error")
})
