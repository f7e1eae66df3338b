# Determinism and interrupts (issue 15). Every function that draws at random
# or runs in parallel gives identical numbers for the same seed with cores = 1,
# cores = 2 and (where it takes one) a `parallel` cluster; a long run stops
# promptly when interrupted (setTimeLimit() raises its error at the C code's
# next R_CheckUserInterrupt()), leaving no thread busy.

# The numbers of a result: its double, integer and logical leaves, in order,
# without the call (which records `cores`) or functions and environments.
det_numbers <- function(x) {
  if (is.function(x) || is.environment(x) || is.language(x)) return(NULL)
  if (is.list(x)) {
    x <- x[setdiff(names(x) %||% rep("", length(x)), c("call", "cores"))]
    return(unlist(lapply(unname(x), det_numbers)))
  }
  if (is.numeric(x) || is.logical(x)) return(as.vector(x))
  NULL
}
`%||%` <- function(a, b) if (is.null(a)) b else a

# Each case: function(cores, cl) returning a result; `cl`: whether the
# function takes a cluster.
det_cases <- function(HD, FE) {
  list(
    heckman_boot = list(f = function(cores, cl) {
      heckman_2step(s ~ x1 + z1, yo ~ x1 + x2, HD, boot = 19, cores = cores)
    }, cl = FALSE),
    mediation_boot = list(f = function(cores, cl) {
      mediation(y ~ x1 + x2 | id + year, "m", HD, boot = 19, cluster = ~id, cores = cores, cl = cl)
    }, cl = TRUE),
    subgroup_permutation = list(f = function(cores, cl) {
      subgroup(y ~ x1 + x2 | id + year, HD, groups = "grp", B = 19, cluster = ~id,
               cores = cores, cl = cl)
    }, cl = TRUE),
    placebo = list(f = function(cores, cl) {
      placebo_test(FE, "did", n = 60, adopt = "adopt", data = HD, cores = cores, cl = cl)
    }, cl = TRUE),
    wild_boot = list(f = function(cores, cl) wild_boot(FE, "x1", B = 199, data = HD, cores = cores),
                     cl = FALSE),
    att_gt_mboot = list(f = function(cores, cl) {
      att_gt(y ~ 1, HD, panel = c("id", "year"), adopt = "adopt", boot = 99, cores = cores)
    }, cl = FALSE),
    dea = list(f = function(cores, cl) {
      dea(as.matrix(HD[c("k", "l")]), HD$q, rts = "vrs", slack = TRUE, cores = cores)
    }, cl = FALSE),
    # matching takes no `cores`: the same seed twice
    psm_match = list(f = function(cores, cl) psm_match(treat ~ x1 + x2, HD, k = 2), cl = FALSE)
  )
}

test_that("resampling, permutation, matching and DEA: identical for cores = 1, 2 and a cluster", {
  skip_under_valgrind()
  HD <- hostile_data()
  FE <- fe_reg(y ~ x1 + did | id + year, HD, cluster = ~id)
  cl <- parallel::makeCluster(2L)
  on.exit(parallel::stopCluster(cl))
  for (nm in names(det_cases(HD, FE))) {
    case <- det_cases(HD, FE)[[nm]]
    set.seed(42)
    a <- det_numbers(case$f(1L, NULL))
    set.seed(42)
    b <- det_numbers(case$f(2L, NULL))
    expect_gt(length(a), 0L)
    expect(identical(a, b), paste0(nm, ": cores = 1 and cores = 2 differ"))
    if (case$cl) {
      set.seed(42)
      cc <- det_numbers(case$f(1L, cl))
      expect(identical(a, cc), paste0(nm, ": cores = 1 and a parallel cluster differ"))
    }
    # another seed gives other draws (so the comparison above can fail)
    if (!nm %in% c("dea", "psm_match")) {
      set.seed(43)
      expect(!identical(a, det_numbers(case$f(1L, NULL))), paste0(nm, ": the seed has no effect"))
    }
  }
})

# -- interrupts ---------------------------------------------------------------------
# `expr` must be interrupted by a time limit of `limit` seconds and return
# control within `slack` more; afterwards no thread of this process keeps
# using the CPU.
expect_interrupted <- function(expr, what, limit = 1, slack = 4) {
  t0 <- proc.time()[["elapsed"]]
  setTimeLimit(elapsed = limit, transient = TRUE)
  err <- tryCatch({
    force(expr)
    NULL
  }, error = function(e) conditionMessage(e))
  setTimeLimit(elapsed = Inf)
  took <- proc.time()[["elapsed"]] - t0
  expect(!is.null(err) && grepl("time limit", err),
         paste0(what, ": not interrupted (", if (is.null(err)) "it finished" else err, ")"))
  expect(took < limit + slack, sprintf("%s: took %.1f s to stop after a %.1f s limit", what, took, limit))
  # no thread left running: the process uses (almost) no CPU while it sleeps
  Sys.sleep(0.1)
  c0 <- sum(proc.time()[c("user.self", "sys.self")])
  Sys.sleep(0.5)
  busy <- sum(proc.time()[c("user.self", "sys.self")]) - c0
  expect(busy < 0.2, sprintf("%s: %.2f s of CPU used during 0.5 s of sleep after the interrupt", what, busy))
}

test_that("long demeaning, bootstrap, placebo and DEA runs stop promptly on an interrupt", {
  skip_on_cran()
  skip_under_valgrind()
  # demeaning that converges very slowly: units and periods linked in a chain
  G <- 3000L
  chain <- data.frame(id = rep(seq_len(G), each = 2L), yr = rep(seq_len(G), each = 2L) + 0:1)
  set.seed(1)
  chain$x <- rnorm(2L * G)
  chain$y <- chain$x + rnorm(2L * G)
  expect_interrupted(fe_reg(y ~ x | id + yr, chain, singletons = "keep", fixef_tol = 1e-300,
                            fixef_maxit = 2e9, cores = 2),
                     "demeaning")
  # a bootstrap, a placebo and a DEA far too long to finish
  HD <- hostile_data()
  FE <- fe_reg(y ~ x1 + did | id + year, HD, cluster = ~id)
  P <- data.frame(id = rep(seq_len(2000L), each = 3L), t = rep(1:3, 2000L))
  P$x <- rnorm(6000L)
  P$y <- P$x + rnorm(6000L)
  FB <- fe_reg(y ~ x | id + t, P, cluster = ~id)
  expect_interrupted(wild_boot(FB, "x", B = 2e6, data = P, cores = 2), "wild bootstrap")
  expect_interrupted(placebo_test(FE, "did", n = 1e6, adopt = "adopt", data = HD, cores = 2), "placebo")
  set.seed(2)
  big <- matrix(exp(rnorm(1.5e5 * 5)), ncol = 5)
  expect_interrupted(dea(big[, 1:3], big[, 4:5], rts = "vrs", slack = TRUE, cores = 2), "DEA")
  # the package still works, with the same numbers, after the interrupts
  set.seed(42)
  a <- det_numbers(wild_boot(FE, "x1", B = 99, data = HD, cores = 2))
  set.seed(42)
  expect_identical(det_numbers(wild_boot(FE, "x1", B = 99, data = HD, cores = 1)), a)
})
