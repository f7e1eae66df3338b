# From (formula, data) to the numeric pieces every regression estimator works on:
# response, design matrix, fixed-effect and cluster codes, weights, and the rows
# used. Shared by fe_reg() and the estimators built on it, so NA handling,
# panel operators, singleton removal and naming behave the same everywhere.

build_design <- function(fml, data, panel = NULL, cluster = NULL, weights = NULL,
                         singletons = "keep", extra = NULL) {
  check_data_frame(data)
  n_all <- nrow(data)
  pv <- panel_vars(data, panel)
  env <- panel_env(data, pv, fml$env)

  check_formula_vars(fml, data, env)

  y <- eval_in_data(fml$lhs, data, env, "formula")
  if (!is.numeric(y) && !is.logical(y)) {
    exr_error("formula", "the response '", deparse1(fml$lhs), "' must be numeric, not ",
              class(y)[1L], ".")
  }
  y <- as.numeric(y)
  if (length(y) != n_all) exr_error("formula", "the response has the wrong length.")
  if (all(is.na(y))) exr_error("formula", "the response '", deparse1(fml$lhs), "' is entirely NA.")

  rhs <- fml$rhs
  environment(rhs) <- env
  mf <- stats::model.frame(rhs, data = data, na.action = stats::na.pass)
  for (nm in names(mf)) {
    v <- mf[[nm]]
    if (!is.numeric(v) && !is.logical(v) && !is.factor(v) && !is.character(v) && !is.matrix(v)) {
      exr_error("formula", "the regressor '", nm, "' must be numeric or a factor.")
    }
    if (length(v) && all(is.na(v))) exr_error("formula", "the regressor '", nm, "' is entirely NA.")
  }

  fe_vals <- lapply(fml$fe, function(term) fe_column(data, term))
  cl_names <- vars_of(cluster, "cluster")
  if (!is.null(cl_names)) check_columns(data, cl_names, "cluster")
  w <- weights_vector(weights, data)

  ok <- !is.na(y) & stats::complete.cases(mf)
  for (v in fe_vals) ok <- ok & !is.na(v)
  for (v in cl_names) ok <- ok & !is.na(data[[v]])
  if (!is.null(w)) ok <- ok & !is.na(w)
  if (!is.null(extra)) for (v in extra) ok <- ok & !is.na(v)
  n_na <- sum(!ok)
  n_zero_w <- 0L
  if (!is.null(w)) {
    if (any(w[ok] < 0)) exr_error("weights", "must be non-negative.")
    zero <- ok & w == 0
    n_zero_w <- sum(zero)
    ok <- ok & !zero
  }
  if (!any(ok)) exr_error("data", "no row is complete in the variables used.")

  n_singletons <- 0L
  if (identical(singletons, "drop") && length(fe_vals)) {
    keep_s <- drop_singletons(lapply(fe_vals, function(v) v[ok]))
    n_singletons <- sum(!keep_s)
    ok[which(ok)[!keep_s]] <- FALSE
    if (!any(ok)) exr_error("data", "no row is left after removing singletons.")
  }

  mf_ok <- mf[ok, , drop = FALSE]
  mf_ok[] <- lapply(mf_ok, function(v) if (is.factor(v)) droplevels(v) else v)
  X <- stats::model.matrix(attr(mf, "terms"), mf_ok)
  assign <- attr(X, "assign")
  if (length(fml$fe) || !fml$intercept) {
    keepc <- colnames(X) != "(Intercept)"
    X <- X[, keepc, drop = FALSE]
    assign <- assign[keepc]
  }
  storage.mode(X) <- "double"

  fe <- lapply(fe_vals, function(v) codes_of(v[ok]))
  names(fe) <- fml$fe
  cl <- lapply(cl_names, function(v) codes_of(data[[v]][ok]))
  names(cl) <- cl_names

  list(
    y = y[ok], X = X, assign = assign, fe = fe, cluster = cl, weights = if (is.null(w)) NULL else w[ok],
    keep = ok, n_all = n_all, n_na = n_na, n_zero_weight = n_zero_w, n_singletons = n_singletons,
    panel = pv, env = env, intercept = fml$intercept, lhs_name = deparse1(fml$lhs)
  )
}

# Every variable named in a formula must be a column of `data` or visible from
# the formula's environment; an unknown one is the user's typo, named here.
check_formula_vars <- function(fml, data, env) {
  vars <- unique(c(all.vars(fml$lhs), all.vars(fml$rhs),
                   if (!is.null(fml$endo)) all.vars(fml$endo),
                   if (!is.null(fml$inst)) all.vars(fml$inst)))
  miss <- vars[!vars %in% names(data) &
                 !vapply(vars, exists, logical(1), envir = env, inherits = TRUE)]
  if (length(miss)) {
    exr_error("formula", "unknown variable(s) ", paste0("'", miss, "'", collapse = ", "),
              " (not columns of `data`).")
  }
  fe_cols <- unlist(strsplit(fml$fe, "^", fixed = TRUE))
  miss <- setdiff(fe_cols, names(data))
  if (length(miss)) {
    exr_error("formula", "unknown fixed-effect column(s) ", paste0("'", miss, "'", collapse = ", "), ".")
  }
}

eval_in_data <- function(expr, data, env, arg) {
  tryCatch(eval(expr, data, env), exportres_error = function(e) stop(e),
           error = function(e) exr_error(arg, "could not evaluate '", deparse1(expr), "': ",
                                         conditionMessage(e)))
}

# A fixed-effect term `a` or `a^b` as one vector whose distinct values are the groups.
fe_column <- function(data, term) {
  cols <- strsplit(term, "^", fixed = TRUE)[[1L]]
  if (length(cols) == 1L) return(data[[cols]])
  codes <- lapply(cols, function(v) codes_of(data[[v]]))
  key <- codes[[1L]]
  for (k in codes[-1L]) key <- (key - 1) * max(k, na.rm = TRUE) + k
  key
}

# Integer codes 1..G in order of first appearance (NA stays NA).
codes_of <- function(x) {
  u <- unique(x)
  match(x, u[!is.na(u)])
}

weights_vector <- function(weights, data) {
  if (is.null(weights)) return(NULL)
  if (is.character(weights) && length(weights) == 1L) {
    check_columns(data, weights, "weights")
    w <- data[[weights]]
  } else {
    w <- weights
  }
  if (!is.numeric(w)) exr_error("weights", "expected a numeric column name or vector.")
  if (length(w) != nrow(data)) {
    exr_error("weights", "has length ", length(w), "; expected one weight per row of `data` (",
              nrow(data), ").")
  }
  if (all(is.na(w))) exr_error("weights", "is entirely NA.")
  as.numeric(w)
}

# reghdfe's rule: drop observations alone in a fixed-effect group, repeatedly,
# since each removal can create new singletons in another dimension.
drop_singletons <- function(fe_vals) {
  keep <- rep(TRUE, length(fe_vals[[1L]]))
  codes <- lapply(fe_vals, codes_of)
  repeat {
    single <- rep(FALSE, length(keep))
    for (cd in codes) {
      cnt <- tabulate(cd[keep], nbins = max(cd))
      single <- single | (keep & cnt[cd] == 1L)
    }
    if (!any(single)) break
    keep <- keep & !single
  }
  keep
}
