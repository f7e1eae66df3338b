# Hostile inputs for every exported function, as data (issue 15).
#
# hostile_cases() is a table: one row per (function, hostile input) with the
# outcome the package promises:
#   "error"   an `exportres_error` (no other error class is acceptable);
#   "warning" a result and at least one `exportres_warning`;
#   "ok"      a result (the documented one: `doc` says where), no warning.
# Any other outcome fails: an unclassed error or warning, a result holding
# NaN, or a run longer than the time limit (a hang). A crash ends the test run.
#
# Formula estimators share the shared-layer inputs (data, columns, scales,
# weights, clusters, formula parts): each has one template in
# hostile_templates() and hostile_perturbations() derives its rows; function-
# specific inputs are rows of hostile_specific(). A new exported function adds
# a template and/or rows, not code; test-hostile-input.R fails while an export
# has no row.

# -- the tiny data everything runs on ---------------------------------------------
hostile_data <- function() {
  set.seed(20240915)
  n_id <- 28L
  n_t <- 6L
  n <- n_id * n_t
  d <- data.frame(id = rep(seq_len(n_id), each = n_t), year = rep(2001:2006, n_id))
  a <- rnorm(n_id)[d$id]
  d$x1 <- rnorm(n) + 0.5 * a
  d$x2 <- rnorm(n)
  d$z1 <- rnorm(n)
  d$xe <- 0.8 * d$z1 + 0.6 * rnorm(n)
  d$m <- 0.5 * d$x1 + rnorm(n)
  d$w <- rnorm(n)
  d$adopt <- c(2003, 2004, 2005, NA)[(d$id %% 4L) + 1L]
  d$did <- as.numeric(!is.na(d$adopt) & d$year >= d$adopt)
  d$grp <- d$id %% 2L == 0L
  d$y <- a + 0.5 * d$x1 + 0.3 * d$x2 + 0.4 * d$did + 0.3 * d$m + 0.2 * d$x1 * d$w +
    0.5 * d$xe + rnorm(n)
  # a dynamic outcome for GMM
  d$yd <- 0
  for (t in 2:n_t) {
    i <- d$year == 2000 + t
    d$yd[i] <- 0.5 * d$yd[d$year == 1999 + t] + 0.3 * d$x1[i] + a[i] + rnorm(n_id)
  }
  d$s <- as.numeric(0.3 + d$x1 + d$z1 + rnorm(n) > 0)
  d$yo <- ifelse(d$s == 1, d$y, NA)
  d$treat <- as.numeric(d$x1 + rnorm(n) > 0.5)
  d$k <- exp(rnorm(n))
  d$l <- exp(rnorm(n))
  d$q <- exp(1 + 0.3 * log(d$k) + 0.6 * log(d$l) + rnorm(n, sd = 0.1) - abs(rnorm(n, sd = 0.5)))
  d$q2 <- d$q * exp(rnorm(n, sd = 0.3))
  d$wt <- runif(n, 0.5, 2)
  d$one <- 1
  d
}

# Data mutators used in the table.
with_col <- function(d, col, value, rows = 1L) {
  if (is.null(rows)) d[[col]] <- value else d[[col]][rows] <- value
  d
}
# The column rescaled so that its largest magnitude is s (still finite).
scale_col <- function(d, col, s) {
  d[[col]] <- d[[col]] / max(abs(d[[col]]), na.rm = TRUE) * s
  d
}
drop_col <- function(d, col) d[setdiff(names(d), col)]
dup_name <- function(d, col, as) {
  names(d)[names(d) == col] <- as
  d
}
list_col <- function(d, col) {
  d[[col]] <- as.list(d[[col]])
  d
}
char_col <- function(d, col) {
  d[[col]] <- format(d[[col]])
  d
}
factor_col <- function(d, col) {
  d[[col]] <- factor(c("a", "b", "c")[(seq_len(nrow(d)) * 7L) %% 11L %% 3L + 1L])
  d
}
# A formula with one part emptied: `y ~ | id` (part = 1) or `y ~ x |` (part = 2).
empty_part <- function(f, part) {
  f[[3L]][[part + 1L]] <- quote(expr = )
  f
}
# The fixed-effects part replaced: `y ~ x | fe` -> `y ~ x | by`.
fe_part <- function(f, by) {
  f[[3L]][[3L]] <- by
  f
}
# Replace a variable inside a formula, e.g. x1 -> log(-abs(x1)).
subst_var <- function(f, var, by) {
  env <- environment(f)
  f <- do.call(substitute, list(f, stats::setNames(list(by), var)))
  f <- eval(f)
  environment(f) <- env
  f
}
hostile_stop <- function(x) stop("this transformation fails")
hostile_short <- c(1, 2, 3)

# -- formula estimators: one template each -----------------------------------------
# call: the call with DATA and FORMULA as placeholders; y, x: the response and a
# numeric regressor (column names) the perturbations work on; fe: whether the
# formula has a fixed-effects part; args: which of the shared arguments the
# function takes; num: numeric arguments with a valid value, in which NA, NaN,
# Inf and -Inf must each be an error (except those listed in num_ok).
hostile_templates <- function() {
  list(
    fe_reg = list(call = quote(fe_reg(FORMULA, DATA, cluster = ~id)),
                  formula = y ~ x1 + x2 | id + year, y = "y", x = "x1", fe = TRUE,
                  args = c("weights", "cluster", "vcov", "ssc", "cores", "fixef", "panel"),
                  num = list(fixef_tol = 1e-10, fixef_maxit = 100)),
    iv_reg = list(call = quote(iv_reg(FORMULA, DATA, cluster = ~id)),
                  formula = y ~ x1 + x2 | id + year | xe ~ z1, y = "y", x = "x1", fe = FALSE,
                  args = c("weights", "cluster", "vcov", "ssc", "cores", "fixef", "panel"),
                  num = list(fixef_tol = 1e-10, fixef_maxit = 100)),
    heckman_2step = list(call = quote(heckman_2step(s ~ x1 + z1, FORMULA, DATA)),
                         formula = yo ~ x1 + x2, y = "yo", x = "x1", fe = FALSE,
                         args = c("weights", "cluster", "vcov", "ssc", "cores"),
                  num = list(fixef_tol = 1e-10)),
    probit = list(call = quote(probit(FORMULA, DATA)), formula = s ~ x1 + z1, y = "s",
                  x = "x1", fe = FALSE, args = c("weights", "cluster", "vcov", "ssc")),
    logit = list(call = quote(logit(FORMULA, DATA)), formula = s ~ x1 + z1, y = "s",
                 x = "x1", fe = FALSE, args = c("weights", "cluster", "vcov", "ssc")),
    event_study = list(call = quote(event_study(FORMULA, DATA, adopt = "adopt", window = c(-2, 2),
                                                cluster = ~id)),
                       formula = y ~ x1 + x2 | id + year, y = "y", x = "x1", fe = TRUE,
                       args = c("weights", "cluster", "vcov", "ssc", "cores", "fixef"),
                       num = list(window = c(-2, 2), ref = -1),
                       num_ok = list(window = -Inf)),
    mediation = list(call = quote(mediation(FORMULA, "m", DATA, boot = 19, cluster = ~id)),
                     formula = y ~ x1 + x2 | id + year, y = "y", x = "x1", fe = TRUE,
                     args = c("weights", "cluster", "vcov", "ssc", "cores", "fixef", "panel"),
                  num = list(boot = 19, level = 0.9)),
    moderation = list(call = quote(moderation(FORMULA, "w", DATA, cluster = ~id)),
                      formula = y ~ x1 + x2 | id + year, y = "y", x = "x1", fe = TRUE,
                      args = c("weights", "cluster", "vcov", "ssc", "cores", "fixef", "panel"),
                  num = list(level = 0.9)),
    subgroup = list(call = quote(subgroup(FORMULA, DATA, groups = "grp", B = 19, cluster = ~id)),
                    formula = y ~ x1 + x2 | id + year, y = "y", x = "x1", fe = TRUE,
                    args = c("weights", "cluster", "vcov", "ssc", "cores", "fixef", "panel"),
                  num = list(B = 19)),
    sys_gmm = list(call = quote(sys_gmm(FORMULA, DATA, panel = c("id", "year"), gmm = "yd",
                                        collapse = TRUE)),
                   formula = yd ~ l(yd, 1) + x1, y = "yd", x = "x1", fe = FALSE,
                   args = character(0),
                  num = list(gmm_lags = c(2, 3), steps = 2)),
    did_imputation = list(call = quote(did_imputation(FORMULA, DATA, panel = c("id", "year"),
                                                      adopt = "adopt")),
                          formula = y ~ x1, y = "y", x = "x1", fe = FALSE,
                          args = c("cluster", "cores", "fixef"),
                  num = list(fixef_tol = 1e-10, pretrends = -2)),
    att_gt = list(call = quote(att_gt(FORMULA, DATA, panel = c("id", "year"), adopt = "adopt",
                                      boot = 0, method = "reg")),
                  formula = y ~ x1, y = "y", x = "x1", fe = FALSE,
                  args = c("weights", "cluster", "cores"),
                  num = list(anticipation = 0, level = 0.9, boot = 0)),
    psm_match = list(call = quote(psm_match(FORMULA, DATA, k = 1)), formula = treat ~ x1 + x2,
                     y = "treat", x = "x1", fe = FALSE, args = character(0),
                  num = list(k = 1, caliper = 0.5)),
    sfa = list(call = quote(sfa(FORMULA, DATA)), formula = log(q) ~ log(k) + log(l), y = "q",
               x = "k", fe = FALSE, args = c("cluster", "cores"),
                  num = list(start = c(1, 0.3, 0.6, 0.3, 0.9)))
  )
}

# The shared hostile inputs, with their default outcome and the documentation
# that promises it. Each returns NULL where it does not apply to a template.
hostile_perturbations <- function() {
  P <- list()
  add <- function(case, expect, doc, make) P[[case]] <<- list(expect = expect, doc = doc, make = make)
  # a data expression, with .(t$x) / .(t$y) filled in from the template
  on_data <- function(e) function(t) list(DATA = do.call(bquote, list(e, list2env(list(t = t)))))
  on_formula <- function(f) function(t) list(FORMULA = f(t))
  with_arg <- function(arg, value) function(t) if (arg %in% t$args) list(ARGS = stats::setNames(list(value), arg))

  add("data = NULL", "error", "DESIGN: data must be a data frame", function(t) list(DATA = NULL))
  add("data a list", "error", "data must be a data frame", on_data(quote(as.list(HD))))
  add("data a matrix", "error", "data must be a data frame", on_data(quote(as.matrix(HD))))
  add("zero rows", "error", "check_data_frame(): zero rows", on_data(quote(HD[0, ])))
  add("one row", "error", "no residual degrees of freedom / nothing to estimate",
      on_data(quote(HD[1, ])))
  add("NA in x", "ok", "DESIGN: rows with NA in a used variable are dropped",
      on_data(quote(with_col(HD, .(t$x), NA))))
  add("NaN in x", "error", "CONTRIBUTING: NaN are errors naming the variable",
      on_data(quote(with_col(HD, .(t$x), NaN))))
  add("Inf in x", "error", "CONTRIBUTING: Inf are errors naming the variable",
      on_data(quote(with_col(HD, .(t$x), Inf))))
  add("-Inf in y", "error", "CONTRIBUTING: Inf are errors naming the variable",
      on_data(quote(with_col(HD, .(t$y), -Inf, rows = which(!is.na(HD[[.(t$y)]]))[1L]))))
  add("NA in every y", "error", "the response is entirely NA",
      on_data(quote(with_col(HD, .(t$y), NA_real_, rows = NULL))))
  add("x a list column", "error", "variables must be numeric or factors",
      on_data(quote(list_col(HD, .(t$x)))))
  add("y character", "error", "the response must be numeric", on_data(quote(char_col(HD, .(t$y)))))
  add("x a factor", "ok", "as lm() and fixest: a factor enters as dummies",
      function(t) if (t$x == "x1") list(DATA = quote(factor_col(HD, "x1"))))
  add("constant column", "ok", "DESIGN: collinear regressors are dropped with a message",
      function(t) if (t$x == "x1") list(DATA = quote(with_col(HD, "x2", 1, rows = NULL))))
  add("duplicated column names", "error", "a used name that is not unique is ambiguous",
      on_data(quote(dup_name(HD, "z1", .(t$x)))))
  add("x on a 1e308 scale", "error", "cross-products overflow: an error naming the variable",
      on_data(quote(scale_col(HD, .(t$x), 1e308))))
  add("x on a 1e-308 scale", "error", "cross-products underflow: an error naming the variable",
      on_data(quote(scale_col(HD, .(t$x), 1e-308))))
  add("y on a 1e308 scale", "error", "cross-products overflow: an error naming the variable",
      on_data(quote(scale_col(HD, .(t$y), 1e308))))
  add("x absent", "error", "check_formula_vars(): unknown variable", on_data(quote(drop_col(HD, .(t$x)))))
  add("formula names an absent column", "error", "check_formula_vars(): unknown variable",
      on_formula(function(t) subst_var(t$formula, t$x, quote(not_a_column))))
  add("formula with a failing function", "error", "could not evaluate the regressors",
      on_formula(function(t) subst_var(t$formula, t$x, quote(hostile_stop(x1)))))
  add("formula with a NaN-making function", "error", "NaN from a transformation: an error",
      on_formula(function(t) subst_var(t$formula, t$x, call("log", call("-", call("abs", as.name(t$x)))))))
  add("formula with a variable of the wrong length", "error", "one value per row of data",
      on_formula(function(t) subst_var(t$formula, t$x, quote(hostile_short))))
  add("formula `y ~ | fe`", "error", "an empty formula part is malformed",
      function(t) if (t$fe) list(FORMULA = empty_part(t$formula, 1L)))
  add("formula `y ~ x |`", "error", "an empty formula part is malformed",
      function(t) if (t$fe) list(FORMULA = empty_part(t$formula, 2L)))
  add("formula = NULL", "error", "expected a two-sided formula", function(t) list(FORMULA = NULL))
  add("formula one-sided", "error", "expected a two-sided formula", function(t) list(FORMULA = ~x1))
  add("formula a string", "error", "expected a two-sided formula",
      function(t) list(FORMULA = deparse1(t$formula)))
  add("one fixed-effect group", "ok", "a fixed effect with one level is the intercept",
      function(t) if (t$fe) list(FORMULA = fe_part(t$formula, quote(one))))
  add("weights negative", "error", "weights must be non-negative",
      with_arg("weights", quote(with_col(HD, "wt", -1)$wt)))
  add("weights NA", "ok", "fe_reg: rows with NA weights are dropped, as NA anywhere",
      with_arg("weights", quote(with_col(HD, "wt", NA)$wt)))
  add("weights all zero", "error", "rows with weight zero are dropped: none left",
      with_arg("weights", quote(0 * HD$wt)))
  add("weights of the wrong length", "error", "one weight per row", with_arg("weights", c(1, 2)))
  add("weights character", "error", "numeric weights", with_arg("weights", quote(format(HD$wt))))
  add("one cluster", "error", "clustered variances need two clusters", with_arg("cluster", ~one))
  add("cluster an absent column", "error", "unknown column", with_arg("cluster", ~nope))
  add("cluster = 1", "error", "a one-sided formula or names", with_arg("cluster", 1))
  add("vcov unknown", "error", "one of the types", with_arg("vcov", "HC9"))
  add("ssc = 3", "error", "exr_ssc() or a preset", with_arg("ssc", 3))
  add("cores = 0", "error", "a positive whole number", with_arg("cores", 0))
  add("cores = NA", "error", "a positive whole number", with_arg("cores", NA))
  add("cores = Inf", "error", "a positive whole number", with_arg("cores", Inf))
  add("fixef_tol negative", "error", "a positive tolerance", with_arg("fixef", -1))
  add("panel one name", "error", "c(id, time)", with_arg("panel", "id"))
  P
}

# Per-template outcomes that differ from a perturbation's default, with why.
hostile_overrides <- function() {
  o <- function(expect, doc) list(expect = expect, doc = doc)
  factor_treatment <- o("error", "the treatment must be one numeric column")
  list(
    heckman_2step = list(
      "weights NA" = o("error", "?heckman_2step: the Heckman-Greene variance takes no weights")),
    event_study = list(
      "one fixed-effect group" = o("error", "?event_study: the panel comes from `panel` or `| id + time`")),
    mediation = list("x a factor" = factor_treatment),
    moderation = list("x a factor" = factor_treatment),
    subgroup = list("x a factor" = factor_treatment),
    att_gt = list(
      "NA in x" = o("warning", "?att_gt: units not observed in every period are dropped, with a warning"),
      "x a factor" = o("warning", "?att_gt: collinear covariates in a comparison are reported"),
      "weights NA" = o("error", "?att_gt: weights are per unit, constant within unit")),
    # sfa: the rescaled variables enter through log(), which is finite
    sfa = list(
      "x on a 1e308 scale" = o("ok", "log() brings the scale back"),
      "x on a 1e-308 scale" = o("ok", "log() brings the scale back"),
      "y on a 1e308 scale" = o("ok", "log() brings the scale back"))
  )
}

hostile_fill <- function(expr, sub) {
  e <- do.call(substitute, list(expr, sub[intersect(names(sub), c("DATA", "FORMULA"))]))
  if (!is.null(sub$ARGS)) {
    arg <- names(sub$ARGS)
    val <- sub$ARGS[[1L]]
    if (arg == "fixef") arg <- "fixef_tol"
    e[[arg]] <- val
  }
  e
}

hostile_template_rows <- function() {
  tpl <- hostile_templates()
  P <- hostile_perturbations()
  ov <- hostile_overrides()
  rows <- list()
  for (fn in names(tpl)) {
    t <- tpl[[fn]]
    base <- list(DATA = quote(HD), FORMULA = t$formula)
    rows[[length(rows) + 1L]] <- hostile_row(fn, "valid tiny input", hostile_fill(t$call, base),
                                             "ok", "the baseline")
    for (case in names(P)) {
      sub <- P[[case]]$make(t)
      if (is.null(sub)) next
      full <- base
      for (nm in names(sub)) full[nm] <- list(sub[[nm]])
      o <- ov[[fn]][[case]]
      if (is.null(o)) o <- P[[case]]
      rows[[length(rows) + 1L]] <- hostile_row(fn, case, hostile_fill(t$call, full), o$expect, o$doc)
    }
    # NA, NaN, Inf and -Inf in each numeric argument (its first element)
    for (arg in names(t$num)) {
      for (bad in list(NA_real_, NaN, Inf, -Inf)) {
        v <- t$num[[arg]]
        v[1L] <- bad
        e <- hostile_fill(t$call, base)
        e[[arg]] <- v
        ok <- bad %in% t$num_ok[[arg]]
        rows[[length(rows) + 1L]] <- hostile_row(fn, paste(format(bad), "in", arg), e,
                                                 if (ok) "ok" else "error",
                                                 if (ok) "documented as valid" else "numeric arguments must be finite")
      }
    }
  }
  rows
}

hostile_row <- function(fun, case, expr, expect, doc = "", check = NULL) {
  stopifnot(expect %in% c("error", "warning", "ok"))
  list(fun = fun, case = case, expr = expr, expect = expect, doc = doc, check = check)
}

# -- function-specific rows ----------------------------------------------------------
H <- function(fun, case, expr, expect, doc = "", check = NULL) {
  hostile_row(fun, case, substitute(expr), expect, doc, check)
}

# The objects the rows run on: the data, and fits made on first use.
# `parent`: where the package's functions are found (the recording copies of
# helper-calls.R); the table's own helpers are copied in then.
hostile_env <- function(parent = NULL) {
  e <- new.env(parent = if (is.null(parent)) environment(hostile_env) else parent)
  if (!is.null(parent)) {
    for (f in c("with_col", "scale_col", "drop_col", "dup_name", "list_col", "char_col",
                "factor_col", "hostile_stop", "hostile_short")) {
      assign(f, get(f, envir = environment(hostile_env)), envir = e)
    }
  }
  e$HD <- hostile_data()
  delayedAssign("FE", fe_reg(y ~ x1 + did | id + year, HD, cluster = ~id), assign.env = e, eval.env = e)
  delayedAssign("FE0", fe_reg(y ~ x1 + did | id + year, HD), assign.env = e, eval.env = e)
  delayedAssign("IV", iv_reg(y ~ x1 | id + year | xe ~ z1, HD, cluster = ~id), assign.env = e,
                eval.env = e)
  delayedAssign("MOD", moderation(y ~ x1 | id + year, "w", HD), assign.env = e, eval.env = e)
  delayedAssign("ATT", att_gt(y ~ 1, HD, panel = c("id", "year"), adopt = "adopt", boot = 0),
                assign.env = e, eval.env = e)
  delayedAssign("IMP", did_imputation(y ~ 1, HD, panel = c("id", "year"), adopt = "adopt",
                                      horizons = TRUE), assign.env = e, eval.env = e)
  delayedAssign("SF", sfa(log(q) ~ log(k) + log(l), HD), assign.env = e, eval.env = e)
  delayedAssign("TAB", reg_table(FE), assign.env = e, eval.env = e)
  delayedAssign("DX", as.matrix(HD[c("k", "l")]), assign.env = e, eval.env = e)
  e
}

hostile_specific <- function() {
  list(
    # measures
    H("entropy_index", "valid", entropy_index(HD, c("k", "l", "q")), "ok"),
    H("entropy_index", "data = NULL", entropy_index(NULL, "k"), "error"),
    H("entropy_index", "vars absent", entropy_index(HD, c("k", "nope")), "error"),
    H("entropy_index", "vars numeric", entropy_index(HD, 1:2), "error"),
    H("entropy_index", "zero rows", entropy_index(HD[0, ], c("k", "l")), "error"),
    H("entropy_index", "one row", entropy_index(HD[1, ], c("k", "l")), "error",
      "no spread in one row: no weights"),
    H("entropy_index", "NA in a variable", entropy_index(with_col(HD, "k", NA), c("k", "l")), "ok",
      "index NA for that row"),
    H("entropy_index", "NaN in a variable", entropy_index(with_col(HD, "k", NaN), c("k", "l")), "error"),
    H("entropy_index", "Inf in a variable", entropy_index(with_col(HD, "k", Inf), c("k", "l")), "error"),
    H("entropy_index", "constant column", entropy_index(with_col(HD, "k", 1, NULL), c("k", "l")),
      "warning", "a constant indicator gets weight 0, with a warning"),
    H("entropy_index", "character column", entropy_index(char_col(HD, "k"), c("k", "l")), "error"),
    H("entropy_index", "list column", entropy_index(list_col(HD, "k"), c("k", "l")), "error"),
    H("entropy_index", "duplicated column names", entropy_index(dup_name(HD, "q", "k"), c("k", "l")),
      "error"),
    H("entropy_index", "1e308 scale", entropy_index(scale_col(HD, "k", 1e308), c("k", "l")), "ok",
      "min-max normalisation is scale-free"),
    H("entropy_index", "1e-308 scale", entropy_index(scale_col(HD, "k", 1e-308), c("k", "l")), "ok",
      "min-max normalisation is scale-free"),
    H("entropy_index", "negative not among vars", entropy_index(HD, c("k", "l"), negative = "q"), "error"),
    H("entropy_index", "by absent", entropy_index(HD, c("k", "l"), by = "nope"), "error"),
    H("entropy_index", "base not a period", entropy_index(HD, c("k", "l"), by = "year", base = 1990),
      "error"),
    H("entropy_index", "all-NA column", entropy_index(with_col(HD, "k", NA_real_, NULL), c("k", "l")),
      "error"),
    H("entropy_weights", "valid", entropy_weights(HD[c("k", "l")]), "ok"),
    H("entropy_weights", "x = NULL", entropy_weights(NULL), "error"),
    H("entropy_weights", "character matrix", entropy_weights(matrix("a", 3, 2)), "error"),
    H("entropy_weights", "one row", entropy_weights(HD[1, c("k", "l")]), "error"),
    H("entropy_weights", "all constant", entropy_weights(data.frame(a = c(1, 1, 1), b = 2)), "error"),
    H("entropy_weights", "NaN", entropy_weights(with_col(HD[c("k", "l")], "k", NaN)), "error"),
    H("entropy_weights", "Inf", entropy_weights(with_col(HD[c("k", "l")], "k", Inf)), "error"),
    H("entropy_weights", "list", entropy_weights(list(1, 2)), "error"),
    H("pca_index", "valid", pca_index(HD, c("k", "l", "q")), "ok"),
    H("pca_index", "data = NULL", pca_index(NULL, c("k", "l")), "error"),
    H("pca_index", "one variable", pca_index(HD, "k"), "error"),
    H("pca_index", "two rows", pca_index(HD[1:2, ], c("k", "l")), "error"),
    H("pca_index", "constant column", pca_index(with_col(HD, "k", 2, NULL), c("k", "l")), "error"),
    H("pca_index", "NA in a variable", pca_index(with_col(HD, "k", NA), c("k", "l")), "ok",
      "index NA for that row"),
    H("pca_index", "NaN in a variable", pca_index(with_col(HD, "k", NaN), c("k", "l")), "error"),
    H("pca_index", "Inf in a variable", pca_index(with_col(HD, "k", Inf), c("k", "l")), "error"),
    H("pca_index", "character column", pca_index(char_col(HD, "k"), c("k", "l")), "error"),
    H("pca_index", "duplicated column names", pca_index(dup_name(HD, "q", "k"), c("k", "l")), "error"),
    H("pca_index", "1e308 scale", pca_index(scale_col(HD, "k", 1e308), c("k", "l")), "ok",
      "standardised first"),
    H("pca_index", "1e-308 scale", pca_index(scale_col(HD, "k", 1e-308), c("k", "l")), "ok",
      "standardised first"),
    H("pca_index", "min_eigen NA", pca_index(HD, c("k", "l"), min_eigen = NA), "error"),
    H("pca_index", "min_eigen NaN", pca_index(HD, c("k", "l"), min_eigen = NaN), "error"),
    H("pca_index", "min_eigen Inf", pca_index(HD, c("k", "l"), min_eigen = Inf), "ok",
      "?pca_index: at least the first component is kept"),
    H("pca_index", "identical columns", pca_index(transform(HD, l = k), c("k", "l")), "ok",
      "one component carries all the variance"),
    H("resilience_index", "valid deviation",
      resilience_index(transform(HD, v = q), "v", "id", "year", base = 2001, method = "deviation"), "ok"),
    H("resilience_index", "valid counterfactual",
      resilience_index(transform(HD, v = q), "v", "id", "year", base = 2001,
                       growth = data.frame(year = 2002:2006, rate = 0.05)), "ok"),
    H("resilience_index", "data = NULL", resilience_index(NULL, "q", "id", "year"), "error"),
    H("resilience_index", "value absent", resilience_index(HD, "nope", "id", "year"), "error"),
    H("resilience_index", "negative values",
      resilience_index(with_col(HD, "q", -1), "q", "id", "year", base = 2001, method = "deviation"),
      "error"),
    H("resilience_index", "zero base value",
      resilience_index(with_col(HD, "q", 0), "q", "id", "year", base = 2001, method = "deviation"),
      "ok", "NA where undefined (DESIGN)"),
    H("resilience_index", "Inf value",
      resilience_index(with_col(HD, "q", Inf, 2), "q", "id", "year", base = 2001, method = "deviation"),
      "error"),
    H("resilience_index", "character value",
      resilience_index(char_col(HD, "q"), "q", "id", "year", base = 2001, method = "deviation"), "error"),
    H("resilience_index", "duplicated pairs",
      resilience_index(rbind(HD, HD[1, ]), "q", "id", "year", base = 2001, method = "deviation"), "error"),
    H("resilience_index", "growth missing", resilience_index(HD, "q", "id", "year", base = 2001), "error"),
    H("resilience_index", "growth rate -1",
      resilience_index(HD, "q", "id", "year", base = 2001,
                       growth = data.frame(year = 2002:2006, rate = -1)), "error"),
    H("resilience_index", "growth NaN",
      resilience_index(HD, "q", "id", "year", base = 2001,
                       growth = data.frame(year = 2002:2006, rate = NaN)), "error"),
    H("resilience_index", "sigma NaN",
      resilience_index(transform(HD, cpi = 1, rel = 0.1), "q", "id", "year", base = 2001,
                       growth = data.frame(year = 2001:2006, rate = 0.05, cpi = 1),
                       method = "weighted", sigma = NaN, cpi = "cpi", relatedness = "rel",
                       cpi_national = "cpi"), "error"),
    H("resilience_index", "sigma Inf",
      resilience_index(transform(HD, cpi = 1, rel = 0.1), "q", "id", "year", base = 2001,
                       growth = data.frame(year = 2001:2006, rate = 0.05, cpi = 1),
                       method = "weighted", sigma = Inf, cpi = "cpi", relatedness = "rel",
                       cpi_national = "cpi"), "error"),
    H("resilience_index", "valid weighted",
      resilience_index(transform(HD, cpi = 1 + 0.01 * x2, rel = 0.1), "q", "id", "year", base = 2001,
                       growth = data.frame(year = 2001:2006, rate = 0.05, cpi = 1),
                       method = "weighted", cpi = "cpi", relatedness = "rel",
                       cpi_national = "cpi"), "ok"),
    H("resilience_index", "base NA", resilience_index(HD, "q", "id", "year", base = NA,
                                                      method = "deviation"), "error"),
    H("resilience_index", "base absent from data",
      resilience_index(HD, "q", "id", "year", base = 1990, method = "deviation"), "ok",
      "NA where undefined (DESIGN)"),
    H("resilience_index", "one row",
      resilience_index(HD[1, ], "q", "id", "year", base = 2001, method = "deviation"), "ok",
      "NA where undefined (DESIGN)"),
    H("diversity_index", "valid", diversity_index(HD, "id", "year", "x1", "q"), "ok"),
    H("diversity_index", "flows = NULL", diversity_index(NULL, "id", "year", "x1", "q"), "error"),
    H("diversity_index", "negative value", diversity_index(with_col(HD, "q", -1), "id", "year", "x1", "q"),
      "error"),
    H("diversity_index", "zero values",
      diversity_index(with_col(HD, "q", 0, NULL), "id", "year", "x1", "q"), "ok",
      "documented: NA hhi and diversity, 0 partners"),
    H("diversity_index", "Inf value", diversity_index(with_col(HD, "q", Inf), "id", "year", "x1", "q"),
      "error"),
    H("diversity_index", "character value",
      diversity_index(char_col(HD, "q"), "id", "year", "x1", "q"), "error"),
    H("diversity_index", "column absent", diversity_index(HD, "id", "year", "nope", "q"), "error"),
    H("diversity_index", "id two names", diversity_index(HD, c("id", "year"), "year", "x1", "q"), "error"),
    H("diversity_index", "1e308 values",
      diversity_index(scale_col(HD, "q", 1e308), "id", "year", "x1", "q"), "ok",
      "shares are scale-free", check = function(r, e) {
        b <- diversity_index(e$HD, "id", "year", "x1", "q")
        isTRUE(all.equal(r$hhi, b$hhi, tolerance = 1e-12))
      }),
    H("sophistication_index", "valid",
      sophistication_index(data.frame(country = rep(c("a", "b", "c"), each = 2), product = c("p", "q"),
                                      year = 2020, value = c(10, 0, 5, 5, 1, 9)),
                           data.frame(country = c("a", "b", "c"), year = 2020, gdp_pc = c(1, 5, 20)),
                           data.frame(city = "X", product = c("p", "q"), year = 2020, value = c(3, 1))),
      "ok"),
    H("sophistication_index", "NULL", sophistication_index(NULL, NULL, NULL), "error"),
    H("sophistication_index", "zero GDP",
      sophistication_index(data.frame(country = "a", product = "p", year = 1, value = 1),
                           data.frame(country = "a", year = 1, gdp_pc = 0),
                           data.frame(city = "X", product = "p", year = 1, value = 1)), "error"),
    H("sophistication_index", "negative flows",
      sophistication_index(data.frame(country = "a", product = "p", year = 1, value = -1),
                           data.frame(country = "a", year = 1, gdp_pc = 1),
                           data.frame(city = "X", product = "p", year = 1, value = 1)), "error"),
    H("sophistication_index", "Inf flows",
      sophistication_index(data.frame(country = "a", product = "p", year = 1, value = Inf),
                           data.frame(country = "a", year = 1, gdp_pc = 1),
                           data.frame(city = "X", product = "p", year = 1, value = 1)), "error"),
    H("sophistication_index", "all flows zero",
      sophistication_index(data.frame(country = "a", product = "p", year = 1, value = 0),
                           data.frame(country = "a", year = 1, gdp_pc = 1),
                           data.frame(city = "X", product = "p", year = 1, value = 1)), "ok",
      "documented: NA PRODY and EXPY"),
    H("sophistication_index", "character values",
      sophistication_index(data.frame(country = "a", product = "p", year = 1, value = "1"),
                           data.frame(country = "a", year = 1, gdp_pc = 1),
                           data.frame(city = "X", product = "p", year = 1, value = 1)), "error"),
    # panels and plots
    H("exr_panel", "valid", exr_panel(HD, "id", "year"), "ok"),
    H("exr_panel", "data = NULL", exr_panel(NULL, "id", "year"), "error"),
    H("exr_panel", "duplicated pairs", exr_panel(rbind(HD, HD[1, ]), "id", "year"), "error"),
    H("exr_panel", "NA id", exr_panel(with_col(HD, "id", NA), "id", "year"), "error"),
    H("exr_panel", "character time", exr_panel(char_col(HD, "year"), "id", "year"), "error"),
    H("exr_panel", "absent column", exr_panel(HD, "nope", "year"), "error"),
    H("exr_panel", "Inf time", exr_panel(with_col(HD, "year", Inf), "id", "year"), "error"),
    H("exr_panel", "list id", exr_panel(list_col(HD, "id"), "id", "year"), "error"),
    H("panel_distribution", "valid", panel_distribution(HD, "x1"), "ok"),
    H("panel_distribution", "data = NULL", panel_distribution(NULL, "x1"), "error"),
    H("panel_distribution", "absent variable", panel_distribution(HD, "nope"), "error"),
    H("panel_distribution", "character variable", panel_distribution(char_col(HD, "x1"), "x1"), "error"),
    H("panel_distribution", "all NA", panel_distribution(with_col(HD, "x1", NA_real_, NULL), "x1"), "error"),
    H("panel_distribution", "Inf", panel_distribution(with_col(HD, "x1", Inf), "x1"), "error"),
    H("panel_distribution", "one row", panel_distribution(HD[1, ], "x1"), "ok",
      "one year, one value"),
    H("panel_distribution", "by absent", panel_distribution(HD, "x1", by = "nope"), "error"),
    H("plot_event_studies", "valid", plot_event_studies(A = IMP), "ok"),
    H("plot_event_studies", "nothing", plot_event_studies(), "error"),
    H("plot_event_studies", "a number", plot_event_studies(A = 1), "error"),
    H("plot_event_studies", "level 2", plot_event_studies(A = IMP, level = 2), "error"),
    H("plot_event_studies", "truth not a data frame", plot_event_studies(A = IMP, truth = 1), "error"),
    H("event_estimates", "valid", event_estimates(IMP), "ok"),
    H("event_estimates", "a number", event_estimates(1), "error"),
    H("event_estimates", "NULL", event_estimates(NULL), "error"),
    # frontiers
    H("dea", "valid", dea(DX, HD$q, rts = "vrs"), "ok"),
    H("dea", "valid fdh", dea(DX, HD$q, rts = "fdh"), "ok"),
    H("dea", "valid slacks, output orientation", dea(DX, HD$q, orientation = "out", slack = TRUE), "ok"),
    H("dea", "x = NULL", dea(NULL, HD$q), "error"),
    H("dea", "rows differ", dea(DX, HD$q[-1]), "error"),
    H("dea", "zero inputs", dea(DX * 0, HD$q), "error", "nothing to compare the units by"),
    H("dea", "one unit without inputs", dea(rbind(c(0, 0), DX[-1, ]), HD$q),
      "warning", "its input efficiency is undefined: NA, status unbounded, warning"),
    H("dea", "a zero input column", dea(cbind(DX, 0), HD$q), "ok",
      "a zero input is allowed (Benchmarking)"),
    H("dea", "negative inputs", dea(-DX, HD$q), "error"),
    H("dea", "negative outputs", dea(DX, -HD$q), "error"),
    H("dea", "zero outputs", dea(DX, 0 * HD$q), "error", "nothing to compare the units by"),
    H("dea", "NA input", dea(with_col(HD, "k", NA)[c("k", "l")], HD$q), "error"),
    H("dea", "NaN input", dea(with_col(HD, "k", NaN)[c("k", "l")], HD$q), "error"),
    H("dea", "Inf input", dea(with_col(HD, "k", Inf)[c("k", "l")], HD$q), "error"),
    H("dea", "character input", dea(char_col(HD, "k")[c("k", "l")], HD$q), "error"),
    H("dea", "list input", dea(list(1, 2), 1), "error"),
    H("dea", "all-identical units", dea(matrix(1, 5, 2), rep(1, 5), rts = "vrs"), "ok",
      "every unit efficient", check = function(r, e) all(r$eff == 1)),
    H("dea", "all-identical units, super", dea(matrix(1, 5, 2), rep(1, 5), super = TRUE), "ok",
      "super-efficiency of a unit equal to its peers is 1"),
    H("dea", "one unit", dea(matrix(1, 1, 2), 1), "ok", "a lone unit is efficient"),
    H("dea", "one unit, super vrs", dea(matrix(1, 1, 2), 1, rts = "vrs", super = TRUE), "ok",
      "infeasible: NA with its status (DESIGN)"),
    H("dea", "1e308 scale", dea(DX / max(DX) * 1e308, HD$q), "ok", "ratios: scale-free"),
    H("dea", "1e-308 scale", dea(DX / max(DX) * 1e-308, HD$q), "ok", "ratios: scale-free"),
    H("dea", "by of the wrong length", dea(DX, HD$q, by = 1:3), "error"),
    H("dea", "rts unknown", dea(DX, HD$q, rts = "xrs"), "error"),
    H("dea", "cores = 0", dea(DX, HD$q, cores = 0), "error"),
    H("dea", "slack = NA", dea(DX, HD$q, slack = NA), "error"),
    H("dea", "duplicated column names", dea(dup_name(HD[c("k", "l")], "l", "k"), HD$q), "ok",
      "matrices: columns are positional"),
    H("malmquist", "valid", malmquist(HD[c("k", "l")], HD$q, HD$id, HD$year), "ok"),
    H("malmquist", "x = NULL", malmquist(NULL, HD$q, HD$id, HD$year), "error"),
    H("malmquist", "id of the wrong length", malmquist(DX, HD$q, 1:3, HD$year), "error"),
    H("malmquist", "one period", malmquist(DX, HD$q, HD$id, rep(1, nrow(HD))), "error"),
    H("malmquist", "duplicated pairs", malmquist(DX, HD$q, rep(1, nrow(HD)), rep(1:2, length.out = nrow(HD))), "error"),
    H("malmquist", "NA time", malmquist(DX, HD$q, HD$id, with_col(HD, "year", NA)$year), "error"),
    H("malmquist", "negative input", malmquist(-DX, HD$q, HD$id, HD$year), "error"),
    H("malmquist", "rts fdh", malmquist(DX, HD$q, HD$id, HD$year, rts = "fdh"), "error"),
    H("sfa", "valid bc92 panel", sfa(log(q) ~ log(k) + log(l), HD, panel = c("id", "year"),
                                     model = "bc92", vcov = "robust"), "ok"),
    H("sfa", "fewer rows than parameters", sfa(log(q) ~ log(k) + log(l), HD[1:3, ]), "error"),
    H("sfa", "no noise (deterministic frontier)",
      sfa(log(q) ~ log(k), transform(HD, q = exp(1 + 0.5 * log(k) - abs(x1)))), "warning",
      "?sfa: the maximum on the boundary gamma = 1 is reported with a warning"),
    H("sfa", "no inefficiency", sfa(log(q) ~ log(k), transform(HD, q = exp(1 + 0.5 * log(k) + x2))),
      "warning", "wrong (zero) skewness: a classed warning, OLS-like result"),
    H("sfa", "wrong skewness", sfa(log(q) ~ log(k), transform(HD, q = exp(1 + 0.5 * log(k) + abs(x2)))),
      "warning", "skewness of the wrong sign: a classed warning"),
    H("sfa", "panel model without panel", sfa(log(q) ~ log(k), HD, model = "bc92"), "error"),
    H("sfa", "dist unknown", sfa(log(q) ~ log(k), HD, dist = "gamma"), "error"),
    H("sfa", "start of the wrong length", sfa(log(q) ~ log(k), HD, start = c(1, 2)), "error"),
    H("sfa", "start NaN", sfa(log(q) ~ log(k), HD, start = c(1, 0.5, NaN, 0.5)), "error"),
    H("sfa", "control not a list", sfa(log(q) ~ log(k), HD, control = 1), "error"),
    H("sfa", "z naming an absent column", sfa(log(q) ~ log(k), HD, model = "bc95", z = ~nope), "error"),
    H("sfa", "cores = 0", sfa(log(q) ~ log(k), HD, cores = 0), "error"),
    H("sfa_distance", "valid", sfa_distance(c("q", "q2"), c("k", "l"), HD), "ok"),
    H("sfa_distance", "one output", sfa_distance("q", c("k", "l"), HD), "error"),
    H("sfa_distance", "absent output", sfa_distance(c("q", "nope"), c("k", "l"), HD), "error"),
    H("sfa_distance", "zero input", sfa_distance(c("q", "q2"), c("k", "l"), with_col(HD, "k", 0)), "error"),
    H("sfa_distance", "negative output", sfa_distance(c("q", "q2"), c("k", "l"), with_col(HD, "q", -1)),
      "error"),
    H("sfa_distance", "data = NULL", sfa_distance(c("q", "q2"), c("k", "l"), NULL), "error"),
    H("sfa_distance", "character input", sfa_distance(c("q", "q2"), c("k", "l"), char_col(HD, "k")),
      "error"),
    H("sfa_distance", "form unknown", sfa_distance(c("q", "q2"), c("k", "l"), HD, form = "ces"), "error"),
    H("efficiency", "valid", efficiency(SF), "ok"),
    H("efficiency", "not an sfa fit", efficiency(FE), "error"),
    H("efficiency", "NULL", efficiency(NULL), "error"),
    H("efficiency", "type unknown", efficiency(SF, type = "xyz"), "error"),
    # estimators on fits
    H("placebo_test", "valid", placebo_test(FE, "did", n = 20, adopt = "adopt"), "ok"),
    H("placebo_test", "not an fe fit", placebo_test(SF, "did", n = 20, adopt = "adopt"), "error"),
    H("placebo_test", "term absent", placebo_test(FE, "nope", n = 20, adopt = "adopt"), "error"),
    H("placebo_test", "n = 0", placebo_test(FE, "did", n = 0, adopt = "adopt"), "error"),
    H("placebo_test", "n = NA", placebo_test(FE, "did", n = NA, adopt = "adopt"), "error"),
    H("placebo_test", "n = Inf", placebo_test(FE, "did", n = Inf, adopt = "adopt"), "error"),
    H("placebo_test", "n = NaN", placebo_test(FE, "did", n = NaN, adopt = "adopt"), "error"),
    H("placebo_test", "n = -Inf", placebo_test(FE, "did", n = -Inf, adopt = "adopt"), "error"),
    H("placebo_test", "adopt absent", placebo_test(FE, "did", n = 20, adopt = "nope"), "error"),
    H("placebo_test", "adopt character", placebo_test(FE, "did", n = 20, adopt = "x1x"), "error"),
    H("placebo_test", "cores = 0", placebo_test(FE, "did", n = 20, adopt = "adopt", cores = 0), "error"),
    H("placebo_test", "cl not a cluster", placebo_test(FE, "did", n = 20, adopt = "adopt", cl = 2), "error"),
    H("placebo_test", "alternative unknown",
      placebo_test(FE, "did", n = 20, adopt = "adopt", alternative = "sideways"), "error"),
    H("placebo_test", "data of other rows", placebo_test(FE, "did", n = 20, adopt = "adopt",
                                                          data = HD[1:10, ]), "error"),
    H("wild_boot", "valid", wild_boot(FE, "x1", B = 99), "ok"),
    H("wild_boot", "not a fit", wild_boot(1, "x1"), "error"),
    H("wild_boot", "term absent", wild_boot(FE, "nope", B = 99), "error"),
    H("wild_boot", "B = 0", wild_boot(FE, "x1", B = 0), "error"),
    H("wild_boot", "B = Inf", wild_boot(FE, "x1", B = Inf), "error"),
    H("wild_boot", "B = NA", wild_boot(FE, "x1", B = NA), "error"),
    H("wild_boot", "type unknown", wild_boot(FE, "x1", B = 99, type = "coin"), "error"),
    H("wild_boot", "r = NaN", wild_boot(FE, "x1", B = 99, r = NaN), "error"),
    H("wild_boot", "level = 1", wild_boot(FE, "x1", B = 99, level = 1), "error"),
    H("wild_boot", "level NaN", wild_boot(FE, "x1", B = 99, level = NaN), "error"),
    H("wild_boot", "r = Inf", wild_boot(FE, "x1", B = 99, r = Inf), "error"),
    H("wild_boot", "fixef_tol NA", wild_boot(FE, "x1", B = 99, fixef_tol = NA), "error"),
    H("wild_boot", "unclustered fit", wild_boot(FE0, "x1", B = 99), "error",
      "the wild cluster bootstrap needs clusters"),
    H("wild_boot", "one cluster", wild_boot(FE0, "x1", B = 99, cluster = ~one), "error"),
    H("wild_boot", "cluster absent", wild_boot(FE0, "x1", B = 99, cluster = ~nope), "error"),
    H("wild_boot", "cores = NA", wild_boot(FE, "x1", B = 99, cores = NA), "error"),
    H("wild_boot", "valid IV (WRE)", wild_boot(IV, "xe", B = 99), "ok"),
    H("wild_boot", "valid IV (WUE)", wild_boot(IV, "xe", B = 99, impose_null = FALSE), "ok"),
    H("wild_boot", "IV: exogenous term", wild_boot(IV, "x1", B = 99), "error",
      "the IV bootstrap tests the endogenous regressor"),
    H("wild_boot", "IV: two endogenous regressors",
      wild_boot(iv_reg(y ~ 1 | id | xe + x1 ~ z1 + x2, HD, cluster = ~id), "xe", B = 99), "error"),
    H("wild_boot", "IV: cluster with NA",
      wild_boot(IV, "xe", B = 99, cluster = ~grp, data = with_col(HD, "grp", NA)), "error"),
    H("simple_slopes", "valid", simple_slopes(MOD), "ok"),
    H("simple_slopes", "not a moderation", simple_slopes(FE), "error"),
    H("simple_slopes", "at NA", simple_slopes(MOD, at = NA), "error"),
    H("simple_slopes", "at character", simple_slopes(MOD, at = "a"), "error"),
    H("simple_slopes", "at Inf", simple_slopes(MOD, at = Inf), "error"),
    H("simple_slopes", "level 1.5", simple_slopes(MOD, level = 1.5), "error"),
    H("aggregate", "valid", aggregate(ATT, "dynamic"), "ok"),
    H("aggregate", "type unknown", aggregate(ATT, "sideways"), "error"),
    H("aggregate", "boot = -1", aggregate(ATT, "simple", boot = -1), "error"),
    H("att_gt", "valid multiplier bootstrap",
      att_gt(y ~ 1, HD, panel = c("id", "year"), adopt = "adopt", boot = 19), "ok"),
    H("att_gt", "no never-treated unit",
      att_gt(y ~ 1, HD[!is.na(HD$adopt), ], panel = c("id", "year"), adopt = "adopt", boot = 0), "error"),
    H("att_gt", "adopt absent", att_gt(y ~ 1, HD, panel = c("id", "year"), adopt = "nope"), "error"),
    H("att_gt", "boot = NA", att_gt(y ~ 1, HD, panel = c("id", "year"), adopt = "adopt", boot = NA),
      "error"),
    H("att_gt", "adopt Inf", att_gt(y ~ 1, with_col(HD, "adopt", Inf), panel = c("id", "year"),
                                    adopt = "adopt", boot = 0), "error"),
    H("did_imputation", "adopt absent",
      did_imputation(y ~ 1, HD, panel = c("id", "year"), adopt = "nope"), "error"),
    H("did_imputation", "no untreated rows",
      did_imputation(y ~ 1, transform(HD, adopt = 2001), panel = c("id", "year"), adopt = "adopt"),
      "error"),
    H("did_imputation", "horizons character",
      did_imputation(y ~ 1, HD, panel = c("id", "year"), adopt = "adopt", horizons = "a"), "error"),
    H("event_study", "window reversed",
      event_study(y ~ x1 | id + year, HD, adopt = "adopt", window = c(2, -2)), "error"),
    H("event_study", "ref outside the window",
      event_study(y ~ x1 | id + year, HD, adopt = "adopt", window = c(-2, 2), ref = -9), "error"),
    H("event_study", "adopt absent", event_study(y ~ x1 | id + year, HD, adopt = "nope"), "error"),
    H("event_study", "no treated unit",
      event_study(y ~ x1 | id + year, transform(HD, adopt = NA), adopt = "adopt"), "error"),
    H("psm_match", "k = 0", psm_match(treat ~ x1, HD, k = 0), "error"),
    H("psm_match", "caliper negative", psm_match(treat ~ x1, HD, caliper = -1), "error"),
    H("psm_match", "treatment not 0/1", psm_match(x1 ~ x2, HD), "error"),
    H("psm_match", "no treated unit", psm_match(treat ~ x1, transform(HD, treat = 0)), "error"),
    H("psm_match", "by absent", psm_match(treat ~ x1, HD, by = "nope"), "error"),
    H("psm_match", "perfect separation", psm_match(treat ~ x1, transform(HD, treat = as.numeric(x1 > 0))),
      "error", "?psm_match: the score's maximum likelihood does not exist"),
    H("probit", "perfect separation", probit(s ~ x1, transform(HD, s = as.numeric(x1 > 0))), "error",
      "?probit: under separation the maximum likelihood estimate does not exist"),
    H("probit", "response not 0/1", probit(x1 ~ x2, HD), "error"),
    H("logit", "perfect separation", logit(s ~ x1, transform(HD, s = as.numeric(x1 > 0))), "error",
      "?probit: under separation the maximum likelihood estimate does not exist"),
    H("heckman_2step", "valid cluster bootstrap",
      heckman_2step(s ~ x1 + z1, yo ~ x1, HD, boot = 9, cluster = ~id), "ok"),
    H("heckman_2step", "selection not 0/1", heckman_2step(x1 ~ z1, yo ~ x1, HD), "error"),
    H("heckman_2step", "selection all 1", heckman_2step(one ~ z1, y ~ x1, HD), "error"),
    H("sys_gmm", "gmm absent", sys_gmm(yd ~ l(yd, 1) + x1, HD, panel = c("id", "year")), "error"),
    H("sys_gmm", "gmm_lags reversed", sys_gmm(yd ~ l(yd, 1) + x1, HD, panel = c("id", "year"),
                                              gmm = "yd", gmm_lags = c(3, 2)), "error"),
    H("sys_gmm", "steps = 3", sys_gmm(yd ~ l(yd, 1) + x1, HD, panel = c("id", "year"), gmm = "yd",
                                      steps = 3), "error"),
    H("sys_gmm", "fractional time", sys_gmm(yd ~ l(yd, 1) + x1, transform(HD, year = year + 0.5 * (id == 1)),
                                            panel = c("id", "year"), gmm = "yd"), "error"),
    H("sys_gmm", "two periods", sys_gmm(yd ~ l(yd, 1) + x1, HD[HD$year <= 2002, ],
                                        panel = c("id", "year"), gmm = "yd"), "error"),
    H("mediation", "mediator absent", mediation(y ~ x1 | id, "nope", HD, boot = 19), "error"),
    H("mediation", "mediator is the response", mediation(y ~ x1 | id, "y", HD, boot = 19), "error"),
    H("mediation", "boot = Inf", mediation(y ~ x1 | id, "m", HD, boot = Inf), "error"),
    H("mediation", "constant mediator", mediation(y ~ x1 | id, "one", HD, boot = 0), "error",
      "a mediator absorbed by the fixed effects has no path a"),
    H("moderation", "moderator absent", moderation(y ~ x1 | id, "nope", HD), "error"),
    H("moderation", "constant moderator", moderation(y ~ x1 | id, "one", HD), "error",
      "a constant moderator cannot moderate"),
    H("subgroup", "groups absent", subgroup(y ~ x1 | id, HD, groups = "nope", B = 19), "error"),
    H("subgroup", "one group", subgroup(y ~ x1 | id, transform(HD, grp = TRUE), groups = "grp", B = 19),
      "error"),
    H("subgroup", "B = 5", subgroup(y ~ x1 | id, HD, groups = "grp", B = 5), "error"),
    H("subgroup", "B = Inf", subgroup(y ~ x1 | id, HD, groups = "grp", B = Inf), "error"),
    H("iv_reg", "no instrument", iv_reg(y ~ x1 | id | xe ~ 1, HD), "error"),
    H("iv_reg", "constant instrument", iv_reg(y ~ x1 | id | xe ~ one, HD), "error",
      "an instrument absorbed by the fixed effects: under-identified"),
    H("fe_reg", "singletons unknown", fe_reg(y ~ x1 | id, HD, singletons = "maybe"), "error"),
    H("fe_reg", "fixef_maxit = 1 (no convergence)",
      fe_reg(y ~ x1 | id + year, HD, fixef_maxit = 1, fixef_tol = 1e-14), "warning",
      "a classed warning naming fixef_maxit"),
    H("fe_reg", "constant response", fe_reg(one ~ x1 | id, HD), "error",
      "a constant response leaves nothing to explain"),
    H("fe_reg", "only singletons", fe_reg(y ~ x1 | id, HD[!duplicated(HD$id), ]), "error"),
    # tables
    H("reg_table", "valid", reg_table(FE, FE0), "ok"),
    H("reg_table", "nothing", reg_table(), "error"),
    H("reg_table", "a number", reg_table(1), "error"),
    H("reg_table", "keep absent", reg_table(FE, keep = "nope"), "error"),
    H("reg_table", "digits -1", reg_table(FE, digits = -1), "error"),
    H("reg_table", "digits NA", reg_table(FE, digits = NA), "error"),
    H("reg_table", "lang unknown", reg_table(FE, lang = "fr"), "error"),
    H("reg_table", "stats unknown", reg_table(FE, stats = "nope"), "ok",
      "a statistic a model lacks is left blank"),
    H("reg_table", "labels unnamed", reg_table(FE, labels = "a"), "error"),
    H("save_table", "valid", save_table(TAB, tempfile(fileext = ".md")), "ok"),
    H("save_table", "not a table", save_table(1, tempfile(fileext = ".md")), "error"),
    H("save_table", "file NA", save_table(TAB, NA_character_), "error"),
    H("save_table", "unknown extension", save_table(TAB, tempfile(fileext = ".xyz")), "error"),
    H("save_table", "directory absent", save_table(TAB, file.path(tempfile(), "no", "t.md")), "error"),
    H("save_table", "two files", save_table(TAB, c("a.md", "b.md")), "error"),
    H("replicate_tables", "tables = 2", replicate_tables(2), "error"),
    H("replicate_tables", "tables = NA", replicate_tables(NA), "error"),
    H("replicate_tables", "lang unknown", replicate_tables(3, lang = "fr"), "error"),
    H("replicate_tables", "data not a panel", replicate_tables(3, data = HD), "error"),
    H("build_city_panel", "years outside the data", build_city_panel(years = 1990:1995), "error"),
    H("build_city_panel", "base NA", build_city_panel(base = NA), "error"),
    H("build_city_panel", "aif_model unknown", build_city_panel(aif_model = "dea"), "error"),
    H("sim_staggered", "valid", sim_staggered(20, seed = 1), "ok"),
    H("sim_staggered", "n_units = 0", sim_staggered(0, seed = 1), "error"),
    H("sim_staggered", "n_units NA", sim_staggered(NA, seed = 1), "error"),
    H("sim_staggered", "n_units Inf", sim_staggered(Inf, seed = 1), "error"),
    H("sim_staggered", "one period", sim_staggered(20, periods = 1, seed = 1), "error"),
    H("sim_staggered", "cohorts outside the periods", sim_staggered(20, cohorts = 99, seed = 1), "error"),
    H("sim_staggered", "sigma negative", sim_staggered(20, sigma = -1, seed = 1), "error"),
    H("exr_ssc", "valid", exr_ssc(), "ok"),
    H("exr_ssc", "K_adj NA", exr_ssc(K_adj = NA), "error"),
    H("exr_ssc", "K_fixef unknown", exr_ssc(K_fixef = "some"), "error"),
    H("exr_ssc", "preset unknown", exr_ssc(preset = "stata"), "error"),
    H("exr_ssc", "G_adj a number", exr_ssc(G_adj = 1), "error"),
    H("paper_values", "valid", paper_values(3), "ok"),
    H("paper_values", "table 2", paper_values(2), "error"),
    H("paper_values", "table NA", paper_values(NA), "error"),
    H("paper_values", "table character", paper_values("x"), "error"),
    # the broom generics on the package's models
    H("tidy", "valid", tidy(FE, conf.int = TRUE), "ok"),
    H("tidy", "conf.level 2", tidy(FE, conf.int = TRUE, conf.level = 2), "error"),
    H("tidy", "conf.int NA", tidy(FE, conf.int = NA), "error"),
    H("glance", "valid", glance(FE), "ok"),
    H("glance", "a dea result", glance(dea(DX, HD$q)), "ok")
  )
}

hostile_cases <- function() c(hostile_template_rows(), hostile_specific())

# -- running one row -----------------------------------------------------------------
# Outcome of one row: "error", "warning", "ok", or what went wrong:
# "unclassed error", "unclassed warning", "NaN in result", "check failed", "timeout".
hostile_has_nan <- function(x, depth = 0L) {
  if (depth > 6L) return(FALSE)
  if (is.double(x) || is.complex(x)) return(any(is.nan(x)))
  if (is.list(x) && !is.environment(x)) {
    for (el in x) if (hostile_has_nan(el, depth + 1L)) return(TRUE)
  }
  FALSE
}

run_hostile <- function(row, env, limit = 60) {
  warns <- list()
  grDevices::pdf(NULL)
  dev <- grDevices::dev.cur()
  on.exit({
    setTimeLimit(elapsed = Inf)
    if (dev %in% grDevices::dev.list()) grDevices::dev.off(dev)
  })
  setTimeLimit(elapsed = limit, transient = TRUE)
  res <- tryCatch(
    withCallingHandlers(list(value = eval(row$expr, env)),
                        warning = function(w) {
                          warns[[length(warns) + 1L]] <<- w
                          invokeRestart("muffleWarning")
                        },
                        message = function(m) invokeRestart("muffleMessage")),
    error = function(e) list(error = e))
  setTimeLimit(elapsed = Inf)
  if (!is.null(res$error)) {
    e <- res$error
    if (grepl("time limit", conditionMessage(e), fixed = TRUE)) {
      return(list(outcome = "timeout", message = conditionMessage(e)))
    }
    return(list(outcome = if (inherits(e, "exportres_error")) "error" else "unclassed error",
                message = conditionMessage(e)))
  }
  unclassed <- Filter(function(w) !inherits(w, "exportres_warning"), warns)
  msg <- paste(vapply(warns, conditionMessage, ""), collapse = " | ")
  if (length(unclassed)) return(list(outcome = "unclassed warning", message = msg))
  if (hostile_has_nan(res$value)) return(list(outcome = "NaN in result", message = msg))
  if (!is.null(row$check) && !isTRUE(row$check(res$value, env))) {
    return(list(outcome = "check failed", message = msg))
  }
  list(outcome = if (length(warns)) "warning" else "ok", message = msg, value = res$value)
}
