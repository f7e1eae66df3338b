# From (formula, data) to the numeric pieces every estimator works on: the
# response, one matrix per formula part (exogenous regressors, endogenous
# regressors, instruments, and any extra part such as a selection equation),
# fixed-effect and cluster codes, weights, and the one row selection they all
# share. NA handling, panel operators, i() interactions, singleton removal,
# collinearity and naming therefore behave the same in every estimator.

#' Build the numeric design of a model
#'
#' @param fml a parsed formula (parse_fixest_formula()).
#' @param data a data frame, or a psm_match() result (its matched rows, with
#'   the matching weights as `weights`).
#' @param panel `c(id, time)` or NULL (then the panel of an exr_panel, if any).
#' @param cluster cluster terms (one-sided formula or names; `a^b` = interaction).
#' @param weights column name or vector.
#' @param singletons "drop" (iteratively, as fixest and reghdfe) or "keep".
#' @param parts named list of extra one-sided formulas (e.g. a selection
#'   equation), each built with its own intercept rule (as model.matrix) on the
#'   same rows.
#' @param extra list of vectors (one value per row of data) whose NAs drop rows.
#' @param subset logical (one per row): rows outside it are not used (and not
#'   counted as dropped for NA).
#' @param response FALSE to keep rows whose response is NA (Heckman's
#'   selection equation).
#' @param columns TRUE to receive the regressors `X`, when they are plain
#'   numeric columns entering as themselves, as a list of those columns on
#'   the rows used
#'   (class `exr_columns`, attributes `assign` and names as the matrix's
#'   column names) instead of a bound matrix: for an estimator that
#'   lays them out differently anyway (att_gt()), which saves a copy of the
#'   design. Otherwise (or when FALSE, the default) a matrix.
#' @return list: y, X, endo, inst (matrices or NULL), parts (named list of
#'   matrices), fe, cluster (named lists of integer codes), weights, keep
#'   (logical, rows of data used), all_rows (every row used), n_all, n_na,
#'   n_zero_weight, n_singletons, panel, index (panel_index of the rows of data, or NULL), env, intercept,
#'   lhs_name, assign.
#' @keywords internal
#' @noRd
build_design <- function(fml, data, panel = NULL, cluster = NULL, weights = NULL,
                         singletons = "drop", parts = NULL, extra = NULL, subset = NULL,
                         response = TRUE, columns = FALSE) {
  if (inherits(data, "exr_match")) {
    # a psm_match() result: its matched rows, weighted by the matching weights
    if (!is.null(weights)) {
      exr_error("weights", "`data` is a psm_match() result, whose matching weights are used; ",
                "to combine them with other weights pass the data frame and a product of weights.")
    }
    weights <- data$data[[data$weights_col]]
    data <- data$data
  }
  check_data_frame(data)
  n_all <- nrow(data)
  pv <- panel_vars(data, panel)
  pidx <- if (is.null(pv)) NULL else panel_index(data[[pv[1L]]], data[[pv[2L]]], check = TRUE)
  env <- formula_env(pidx, fml$env, n_all)

  check_formula_vars(fml, data, env, parts)

  y <- eval_in_data(fml$lhs, data, env, "formula")
  if (!is.numeric(y) && !is.logical(y)) {
    exr_error("formula", "the response '", deparse1(fml$lhs), "' must be numeric, not ",
              class(y)[1L], ".")
  }
  y <- as.numeric(y)
  y_scan <- check_finite(y, deparse1(fml$lhs))
  if (length(y) != n_all) exr_error("formula", "the response has the wrong length.")
  if (y_scan[3L] > 0 && y_scan[3L] == length(y)) {
    exr_error("formula", "the response '", deparse1(fml$lhs), "' is entirely NA.")
  }

  forms <- c(list(x = fml$rhs, endo = fml$endo, inst = fml$inst), parts)
  forms <- forms[!vapply(forms, is.null, logical(1))]
  frames <- lapply(names(forms), function(nm) part_frame(forms[[nm]], data, env, nm))
  names(frames) <- names(forms)

  fe_vals <- lapply(fml$fe, function(term) fe_column(data, term))
  cl_terms <- cluster_terms(cluster, data)
  cl_vals <- lapply(cl_terms, function(term) fe_column(data, term))
  w <- weights_vector(weights, data)

  ok <- if (response && y_scan[3L] > 0) !is.na(y) else TRUE
  for (mf in frames) if (attr(mf, "has_na")) ok <- ok & stats::complete.cases(mf)
  for (v in c(fe_vals, cl_vals)) ok <- ok & not_na(v)
  if (!is.null(w)) ok <- ok & not_na(w)
  if (!is.null(extra)) for (v in extra) ok <- ok & not_na(v)
  # every: no row is lost so far (no scans of `ok` while that holds)
  every <- length(ok) == 1L && isTRUE(ok)
  if (length(ok) == 1L) ok <- rep(ok, n_all)
  if (!is.null(subset)) {
    if (!is.logical(subset) || length(subset) != n_all) {
      exr_error("subset", "expected one TRUE/FALSE per row of `data`.")
    }
    subset <- subset & !is.na(subset)
    n_na <- sum(subset & !ok)
    ok <- ok & subset
    every <- FALSE
  } else {
    n_na <- if (every) 0L else n_all - sum(ok)
  }
  n_zero_w <- 0L
  if (!is.null(w)) {
    w_ok <- if (every) w else w[ok]
    if (any(w_ok < 0)) exr_error("weights", "must be non-negative.")
    if (any(!is.finite(w_ok))) exr_error("weights", "must be finite.")
    zero <- ok & w == 0
    n_zero_w <- sum(zero)
    if (n_zero_w > 0) {
      ok <- ok & !zero
      every <- FALSE
    }
  }
  if (!every && !any(ok)) exr_error("data", "no row is complete in the variables used.")

  # fixed-effect codes over the complete rows, computed once; singletons are
  # found on them, and only when some are dropped are the codes made dense again
  all_ok <- every || all(ok)
  fe <- lapply(fe_vals, function(v) codes_of(if (all_ok) v else v[ok]))
  names(fe) <- fml$fe
  n_singletons <- 0L
  if (identical(singletons, "drop") && length(fe)) {
    keep_s <- .Call(C_singleton_keep, unname(fe))
    n_singletons <- sum(!keep_s)
    if (n_singletons > 0L) {
      ok[which(ok)[!keep_s]] <- FALSE
      if (!any(ok)) exr_error("data", "no row is left after removing singletons.")
      fe <- lapply(fe, function(v) codes_of(v[keep_s]))
      all_ok <- all(ok)
    }
  }

  # a constant response leaves nothing to explain: every slope is 0 with
  # standard error 0, and the R-squared 0/0 (fixest stops here too)
  # (with every row used, the smallest and largest value from the scan above)
  if (response && length(fml$lhs)) {
    y_ok <- if (all_ok) y else y[ok]
    if (if (all_ok) y_scan[4L] == y_scan[5L] else min(y_ok) == max(y_ok)) {
      y1 <- y_ok[1L]
      exr_error("formula", "the response '", deparse1(fml$lhs), "' is constant (", format(y1),
                ") on the rows used; there is nothing to explain.")
    }
  }

  # Large designs are copied as little as possible: no row subset when every
  # row is used, and no intercept column built only to be dropped again.
  subset_ok <- function(v) if (all_ok) v else v[ok]
  mats <- lapply(names(frames), function(nm) {
    icpt <- switch(nm, x = fml$intercept, endo = FALSE, inst = FALSE, NA)
    part_matrix(frames[[nm]], ok, all_ok, icpt, columns = columns && nm == "x")
  })
  names(mats) <- names(frames)

  # the number of groups travels with the codes (n_groups()), counted once
  with_g <- function(v) structure(v, n_groups = max(v))
  fe <- lapply(fe, with_g)
  cl <- lapply(seq_along(cl_terms), function(j) {
    if (cl_terms[j] %in% names(fe)) fe[[cl_terms[j]]] else with_g(codes_of(subset_ok(cl_vals[[j]])))
  })
  names(cl) <- cl_terms

  list(
    y = subset_ok(y), X = mats$x, endo = mats$endo, inst = mats$inst,
    parts = mats[setdiff(names(mats), c("x", "endo", "inst"))],
    assign = attr(mats$x, "assign"), fe = fe, cluster = cl,
    weights = if (is.null(w)) NULL else subset_ok(w),
    keep = ok, all_rows = all_ok, n_all = n_all, n_na = n_na, n_zero_weight = n_zero_w,
    n_singletons = n_singletons,
    panel = pv, index = pidx, env = env, intercept = fml$intercept,
    lhs_name = deparse1(fml$lhs)
  )
}

# The model frame of one formula part, rows as in data (NAs kept for now).
part_frame <- function(form, data, env, part) {
  environment(form) <- env
  # NaNs from a transformation (log of a negative value) are reported below as
  # an error naming the variable; R's own "NaNs produced" warning would only repeat it
  mf <- tryCatch(muffle_nan(stats::model.frame(form, data = data, na.action = stats::na.pass)),
                 exportres_error = function(e) stop(e),
                 error = function(e) exr_error("formula", "could not evaluate the ",
                                               part_label(part), " '", deparse1(form[[2L]]),
                                               "': ", conditionMessage(e)))
  if (nrow(mf) != nrow(data) && length(attr(stats::terms(mf), "term.labels"))) {
    exr_error("formula", "the ", part_label(part), " do not have one value per row of `data`.")
  }
  has_na <- FALSE
  for (nm in names(mf)) {
    v <- mf[[nm]]
    if (!is.numeric(v) && !is.logical(v) && !is.factor(v) && !is.character(v)) {
      exr_error("formula", "the variable '", nm, "' must be numeric or a factor, not ",
                class(v)[1L], ".")
    }
    n_na <- if (is.double(v)) check_finite(v, nm)[3L] else if (anyNA(v)) sum(is.na(v)) else 0
    if (length(v) && n_na == length(v)) {
      exr_error("formula", "the variable '", nm, "' is entirely NA.")
    }
    has_na <- has_na || n_na > 0
  }
  # whether a row may be incomplete: build_design() looks for the complete
  # rows only then
  attr(mf, "has_na") <- has_na
  mf
}

muffle_nan <- function(expr) {
  withCallingHandlers(expr, warning = function(w) {
    if (grepl("NaNs produced", conditionMessage(w), fixed = TRUE)) invokeRestart("muffleWarning")
  })
}

# Infinite values and NaNs are errors, not silently dropped rows: they come
# from a transformation (log of zero or of a negative value) the user should see.
# So are magnitudes whose cross-products would overflow or underflow double
# precision (beyond 1e100, or a non-zero column below 1e-100): least squares on
# them would drop the variable as collinear or return Inf, never the answer.
# Returns finite_scan()'s summary of a double vector (NULL for others): the
# number of non-finite values, the largest magnitude, the number of NAs, the
# smallest and largest value, for the caller's other checks.
check_finite <- function(v, name, arg = "formula") {
  if (!is.double(v)) return(invisible(NULL))
  scan <- .Call(C_finite_scan, v)
  if (scan[1L] > 0) {
    exr_error(arg, "'", name, "' has non-finite values (Inf or NaN: a log of a non-positive ",
              "value?) in ", scan[1L], " row(s).")
  }
  if (scan[2L] > value_range[2L] || (scan[2L] > 0 && scan[2L] < value_range[1L])) {
    exr_error(arg, "'", name, "' has values of magnitude up to ", format(scan[2L], digits = 3),
              ": its cross-products would ", if (scan[2L] > 1) "overflow" else "underflow",
              " double precision; rescale it (e.g. to thousands or millions).")
  }
  invisible(scan)
}

# The magnitudes a variable may take (largest |value| of a non-zero column).
value_range <- c(1e-100, 1e100)

part_label <- function(part) {
  switch(part, x = "regressors", endo = "endogenous regressors", inst = "instruments",
         paste0("'", part, "' variables"))
}

# The matrix of one part on the used rows. intercept: TRUE/FALSE, or NA to
# follow the part's own formula (extra parts such as a selection equation).
part_matrix <- function(mf, ok, all_ok, intercept, columns = FALSE) {
  tt <- attr(mf, "terms")
  mf_ok <- if (all_ok) mf else mf[ok, , drop = FALSE]
  has_factor <- any(vapply(mf_ok, function(v) is.factor(v) || is.character(v), logical(1)))
  if (has_factor) mf_ok[] <- lapply(mf_ok, function(v) if (is.factor(v)) droplevels(v) else v)
  keep_icpt <- if (is.na(intercept)) attr(tt, "intercept") == 1L else intercept
  # with factors, fixest's convention: build with the intercept (so the first
  # level is the reference) and then drop it
  if (!keep_icpt && !has_factor) attr(tt, "intercept") <- 0L
  X <- design_matrix(tt, mf_ok, has_factor, columns)
  if (inherits(X, "exr_columns")) return(X)
  assign <- attr(X, "assign")
  if (!keep_icpt && has_factor) {
    keepc <- colnames(X) != "(Intercept)"
    X <- X[, keepc, drop = FALSE]
    assign <- assign[keepc]
  }
  if (!is.double(X)) storage.mode(X) <- "double"
  # names as written, without the backticks of non-syntactic column names
  # (renamed only when they differ: a million-row matrix is not copied for nothing)
  cn <- gsub("`", "", operator_column_names(colnames(X), assign, attr(tt, "term.labels")), fixed = TRUE)
  if (!identical(cn, colnames(X))) colnames(X) <- cn
  if (!identical(attr(X, "assign"), assign)) attr(X, "assign") <- assign
  X
}

# model.matrix(), except that a design of plain numeric columns entering as
# themselves (the common case) is bound directly, which at a million rows is
# several times faster, or with columns = TRUE returned as the list of those
# columns (no copy; see build_design()).
design_matrix <- function(tt, mf, has_factor, columns = FALSE) {
  labs <- attr(tt, "term.labels")
  plain <- !has_factor && attr(tt, "intercept") == 0L && length(labs) > 0L &&
    identical(labs, names(mf)) &&
    all(vapply(mf, function(v) is.double(v) && is.null(dim(v)), logical(1)))
  if (!plain) {
    X <- stats::model.matrix(tt, mf)
    if (!length(labs) && attr(tt, "intercept") == 0L) X <- X[, 0L, drop = FALSE]
    return(X)
  }
  if (columns) {
    X <- unname(as.list(mf))
    names(X) <- gsub("`", "", labs, fixed = TRUE)
    return(structure(X, assign = seq_along(labs), class = "exr_columns"))
  }
  X <- unlist(mf, use.names = FALSE)
  dim(X) <- c(nrow(mf), length(labs))
  dimnames(X) <- list(NULL, labs)
  attr(X, "assign") <- seq_along(labs)
  X
}

# Columns of an i() term, or of a lag over several orders, are named as
# fixest names them ("rel::-2", "l(y, 2)"), not prefixed with the term's label
# as model.matrix would.
operator_column_names <- function(cn, assign, labels) {
  if (is.null(cn)) return(cn)
  for (a in unique(assign[assign > 0L])) {
    lab <- labels[a]
    if (grepl("^[ilf]\\(", lab)) {
      j <- assign == a & startsWith(cn, lab) & nchar(cn) > nchar(lab)
      cn[j] <- substring(cn[j], nchar(lab) + 1L)
    }
  }
  cn
}

# Every variable named in a formula must be a column of `data` or visible from
# the formula's environment; an unknown one is the user's typo, named here.
check_formula_vars <- function(fml, data, env, parts = NULL) {
  vars <- unique(c(all.vars(fml$lhs), all.vars(fml$rhs),
                   if (!is.null(fml$endo)) all.vars(fml$endo),
                   if (!is.null(fml$inst)) all.vars(fml$inst),
                   unlist(lapply(parts, all.vars))))
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
  check_unique_columns(data, c(vars, fe_cols), "formula")
}

eval_in_data <- function(expr, data, env, arg) {
  tryCatch(muffle_nan(eval(expr, data, env)), exportres_error = function(e) stop(e),
           error = function(e) exr_error(arg, "could not evaluate '", deparse1(expr), "': ",
                                         conditionMessage(e)))
}

# Cluster terms from a one-sided formula (`~a + b`, `~a^b`) or column names.
cluster_terms <- function(cluster, data) {
  if (is.null(cluster)) return(character(0))
  if (inherits(cluster, "formula")) {
    if (length(cluster) != 2L) exr_error("cluster", "expected a one-sided formula such as `~city`.")
    terms <- fe_terms(cluster[[2L]], "cluster")
  } else if (is.character(cluster) && length(cluster) >= 1L && !anyNA(cluster)) {
    terms <- cluster
  } else {
    exr_error("cluster", "expected a one-sided formula (`~city`) or column names.")
  }
  check_columns(data, unique(unlist(strsplit(terms, "^", fixed = TRUE))), "cluster")
  terms
}

# A fixed-effect or cluster term `a` or `a^b` as one vector whose distinct
# values are the groups.
fe_column <- function(data, term) {
  cols <- strsplit(term, "^", fixed = TRUE)[[1L]]
  if (length(cols) == 1L) return(data[[cols]])
  interact_codes(lapply(cols, function(v) codes_of(data[[v]])))
}

# One key per combination of several code vectors (NA where any is NA); its
# distinct values are the cells of the interaction.
interact_codes <- function(codes) {
  key <- codes[[1L]]
  for (k in codes[-1L]) key <- (key - 1) * max(k, na.rm = TRUE) + k
  key
}

# The number of groups G of dense codes 1..G: the attribute codes_of() and
# build_design() leave on them, else their maximum.
n_groups <- function(codes) {
  g <- attr(codes, "n_groups", exact = TRUE)
  if (is.null(g)) max(codes) else g
}

# Dense integer codes 1..G of the distinct values of x (NA stays NA). Whole
# numbers in a compact range are coded by counting in C (codes then follow the
# values' order, and carry G as attribute n_groups), anything else by first
# appearance.
codes_of <- function(x) {
  if (is.factor(x)) x <- as.integer(x)
  if ((is.integer(x) || is.double(x)) && length(x)) {
    cd <- .Call(C_group_codes_count, x)
    if (!is.null(cd)) return(cd)
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

# The one collinearity rule of the package.
collinear_tol <- 1e-10

#' Drop collinear columns in formula order
#'
#' A column is dropped when its squared norm orthogonal to the earlier kept
#' columns is below `tol` times `scale` (its squared norm before any
#' demeaning, so that a column absorbed by fixed effects is dropped), as fixest
#' and lm decide. The same kernel decides inside fe_reg()'s least squares.
#' @param X numeric matrix; weights optional; scale optional reference norms.
#' @param what how to name the columns in the message; NULL for no message.
#' @return list(X = kept columns, kept = logical, dropped = names)
#' @keywords internal
#' @noRd
drop_collinear <- function(X, weights = NULL, scale = NULL, tol = collinear_tol,
                           what = "regressor") {
  kept <- .Call(C_collinear_keep, X, weights, if (is.null(scale)) NULL else as.double(scale),
                as.double(tol))
  dropped <- colnames(X)[!kept]
  if (length(dropped) && !is.null(what)) {
    message("exportres: dropped collinear ", what, "(s) (collinear with earlier terms or ",
            "absorbed by the fixed effects): ", paste(dropped, collapse = ", "))
  }
  list(X = if (all(kept)) X else X[, kept, drop = FALSE], kept = kept, dropped = dropped)
}

# The same rule on a cross-product X'X accumulated elsewhere (GMM's stacked
# system is built unit by unit in C and never held as a matrix): which columns
# to keep, in formula order, with the same message.
drop_collinear_xtx <- function(XtX, scale = NULL, tol = collinear_tol, what = "regressor") {
  kept <- .Call(C_collinear_keep_xtx, XtX, if (is.null(scale)) NULL else as.double(scale),
                as.double(tol))
  dropped <- colnames(XtX)[!kept]
  if (length(dropped) && !is.null(what)) {
    message("exportres: dropped collinear ", what, "(s) (collinear with earlier terms or ",
            "absorbed by the fixed effects): ", paste(dropped, collapse = ", "))
  }
  list(kept = kept, dropped = dropped)
}
