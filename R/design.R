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

  ok <- not_na(y) & (if (anyNA(mf, recursive = TRUE)) stats::complete.cases(mf) else TRUE)
  for (v in fe_vals) ok <- ok & not_na(v)
  for (v in cl_names) ok <- ok & not_na(data[[v]])
  if (!is.null(w)) ok <- ok & not_na(w)
  if (!is.null(extra)) for (v in extra) ok <- ok & not_na(v)
  if (length(ok) == 1L) ok <- rep(ok, n_all)
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

  # Large designs are copied as little as possible: no row subset when every
  # row is used, and no intercept column built only to be dropped again.
  all_ok <- all(ok)
  mf_ok <- if (all_ok) mf else mf[ok, , drop = FALSE]
  has_factor <- any(vapply(mf_ok, function(v) is.factor(v) || is.character(v), logical(1)))
  if (has_factor) mf_ok[] <- lapply(mf_ok, function(v) if (is.factor(v)) droplevels(v) else v)
  tt <- attr(mf, "terms")
  drop_intercept <- length(fml$fe) > 0L || !fml$intercept
  # with factors, fixest's convention: build with the intercept (so the first
  # level is the reference) and then drop it
  if (drop_intercept && !has_factor) attr(tt, "intercept") <- 0L
  X <- design_matrix(tt, mf_ok, has_factor)
  assign <- attr(X, "assign")
  if (drop_intercept && has_factor) {
    keepc <- colnames(X) != "(Intercept)"
    X <- X[, keepc, drop = FALSE]
    assign <- assign[keepc]
  }
  if (!is.double(X)) storage.mode(X) <- "double"

  subset_ok <- function(v) if (all_ok) v else v[ok]
  fe <- lapply(fe_vals, function(v) codes_of(subset_ok(v)))
  names(fe) <- fml$fe
  cl <- lapply(cl_names, function(v) if (v %in% names(fe)) fe[[v]] else codes_of(subset_ok(data[[v]])))
  names(cl) <- cl_names

  list(
    y = subset_ok(y), X = X, assign = assign, fe = fe, cluster = cl,
    weights = if (is.null(w)) NULL else subset_ok(w),
    keep = ok, n_all = n_all, n_na = n_na, n_zero_weight = n_zero_w, n_singletons = n_singletons,
    panel = pv, env = env, intercept = fml$intercept, lhs_name = deparse1(fml$lhs)
  )
}

# model.matrix(), except that a design of plain numeric columns entering as
# themselves (the common case) is bound directly, which at a million rows is
# several times faster.
design_matrix <- function(tt, mf, has_factor) {
  labs <- attr(tt, "term.labels")
  plain <- !has_factor && attr(tt, "intercept") == 0L && length(labs) > 0L &&
    identical(labs, names(mf)) &&
    all(vapply(mf, function(v) is.double(v) && is.null(dim(v)), logical(1)))
  if (!plain) return(stats::model.matrix(tt, mf))
  X <- unlist(mf, use.names = FALSE)
  dim(X) <- c(nrow(mf), length(labs))
  dimnames(X) <- list(NULL, labs)
  attr(X, "assign") <- seq_along(labs)
  X
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

# Dense integer codes 1..G of the distinct values of x (NA stays NA). Whole
# numbers in a compact range are coded by counting, without hashing.
codes_of <- function(x) {
  if (is.factor(x)) x <- as.integer(x)
  if (is.numeric(x) && length(x)) {
    rng <- suppressWarnings(range(x, na.rm = TRUE))
    if (all(is.finite(rng)) && rng[2L] - rng[1L] < 4 * length(x) + 1000 &&
        (is.integer(x) || all(x == trunc(x), na.rm = TRUE))) {
      pos <- as.integer(x - rng[1L]) + 1L
      present <- tabulate(pos, nbins = as.integer(rng[2L] - rng[1L]) + 1L) > 0L
      return(cumsum(present)[pos])
    }
  }
  u <- unique(x)
  match(x, u[!is.na(u)])
}

# Rows with no NA in v (TRUE everywhere without allocating a test when none).
not_na <- function(v) if (anyNA(v)) !is.na(v) else TRUE

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
