# Composite indices: the entropy weight method (the paper's `dig`) and the
# principal-component composite (`dig_pca`, Table 4 column 1). The arithmetic is
# in src/measure.c; this file checks input and shapes results.

#' Entropy weight index
#'
#' The entropy weight method used for the paper's digital economy index `dig`:
#' for each indicator \eqn{j}, min-max normalisation
#' \eqn{Y_{ij} = (x_{ij} - \min_j)/(\max_j - \min_j)} (for a negative-direction
#' indicator \eqn{(\max_j - x_{ij})/(\max_j - \min_j)}), shares
#' \eqn{q_{ij} = Y_{ij} / \sum_i Y_{ij}}, entropy
#' \eqn{f_j = -\sum_i q_{ij} \ln q_{ij} / \ln n} (with \eqn{0 \ln 0 = 0}),
#' redundancy \eqn{d_j = 1 - f_j}, weights \eqn{w_j = d_j / \sum_j d_j}, and the
#' index \eqn{\sum_j w_j Y_{ij}}. Computed in C in three passes over the data.
#'
#' @section Pooled, by group, or from a base period:
#' * `by = NULL, base = NULL` (pooled): one normalisation and one set of weights
#'   from all complete rows; the index lies in \[0, 1\].
#' * `by = "year"`: normalisation and weights within each group (e.g. weights per
#'   year); the index lies in \[0, 1\] within each group but is not comparable
#'   across groups.
#' * `by = "year", base = 2011`: the weights, minima and maxima of the base
#'   period are applied to every period, so the index is comparable across
#'   periods; values outside the base period may then leave \[0, 1\] (e.g. above
#'   1 when an indicator grows past its base-period maximum).
#'
#' @section Constant indicators and missing values:
#' An indicator that is constant (within a group, or in the base period) has no
#' dispersion, so its normalisation would divide by zero. It carries no
#' information: it gets weight 0 and contributes nothing to the index, and a
#' warning of class `exportres_warning` names it. Rows with a missing value in
#' any indicator (or in `by`) are left out of the computation and get `NA`. A
#' group with fewer than two complete rows gets `NA` weights and index.
#'
#' @param data a data frame.
#' @param vars names of the numeric indicator columns.
#' @param by `NULL` or the name of one grouping column (typically the year).
#' @param base `NULL` or a value of `by`: the period whose normalisation and
#'   weights apply to all rows.
#' @param negative `NULL`, or names (a subset of `vars`) of indicators whose
#'   larger values mean less of the index, or a logical vector along `vars`.
#' @return A numeric vector aligned with the rows of `data`, with attribute
#'   `weights`: a named vector (pooled or `base`), or a matrix with one row per
#'   group (`by`).
#' @seealso [entropy_weights()], [pca_index()].
#' @examples
#' df <- data.frame(year = rep(1:2, each = 4), a = c(1, 2, 3, 4, 2, 3, 4, 6),
#'                  b = c(10, 10, 12, 30, 11, 13, 15, 40), c = c(5, 4, 3, 2, 5, 3, 3, 1))
#' entropy_index(df, c("a", "b", "c"), negative = "c")
#' entropy_index(df, c("a", "b"), by = "year")
#' entropy_index(df, c("a", "b"), by = "year", base = 1)
#' @export
entropy_index <- function(data, vars, by = NULL, base = NULL, negative = NULL) {
  check_data_frame(data)
  cols <- index_columns(data, vars)
  neg <- negative_flags(negative, vars)
  n <- nrow(data)
  if (is.null(by)) {
    if (!is.null(base)) exr_error("base", "needs `by`, the column that holds the periods.")
    grp <- rep.int(1L, n)
    levs <- "all"
  } else {
    if (!is.character(by) || length(by) != 1L) {
      exr_error("by", "expected the name of one grouping column.")
    }
    check_columns(data, by, "by")
    f <- factor(data[[by]])
    grp <- as.integer(f)
    levs <- levels(f)
  }
  b <- 0L
  if (!is.null(base)) {
    if (length(base) != 1L || is.na(base)) exr_error("base", "expected a single value of `by`.")
    b <- match(as.character(base), levs)
    if (is.na(b)) exr_error("base", "value ", format(base), " does not occur in column '", by, "'.")
  }
  r <- .Call(C_entropy_index_c, cols, grp, length(levs), neg, as.integer(b))
  w <- r$weights
  dimnames(w) <- list(levs, vars)
  cn <- r$constant
  dimnames(cn) <- list(levs, vars)
  rows <- if (b > 0L) b else seq_along(levs)
  where <- if (b > 0L) "base period" else if (is.null(by)) NULL else "group"
  warn_constant(cn[rows, , drop = FALSE], r$n_valid[rows], where)
  # no weights where fewer than two rows are complete or every indicator is constant
  none <- is.na(w[rows, 1L])
  if (length(rows) == 1L && none) {
    exr_error(if (r$n_valid[rows] < 2) "data" else "vars",
              if (r$n_valid[rows] < 2) "needs at least two complete rows" else "every indicator is constant",
              if (!is.null(where)) paste0(" in ", where, " '", levs[rows], "'"), "; no weights can be formed.")
  }
  if (any(none)) {
    exr_warning("by", "no weights in group(s) ", paste0("'", levs[rows][none], "'", collapse = ", "),
                " (fewer than two complete rows, or every indicator constant); their index is NA.")
  }
  wt <- if (is.null(by) || b > 0L) w[if (b > 0L) b else 1L, ] else w
  structure(r$index, weights = wt)
}

#' Entropy weights
#'
#' The weights of the entropy weight method (see [entropy_index()]) for the
#' columns of a matrix or data frame, using its complete rows.
#'
#' @param x a numeric matrix or a data frame of numeric columns (indicators).
#' @param negative `NULL`, or names or a logical vector marking
#'   negative-direction indicators.
#' @return A named numeric vector of weights summing to 1 (a constant indicator
#'   gets weight 0, with a warning).
#' @examples
#' x <- cbind(a = c(1, 2, 3, 10), b = c(4, 5, 6, 7))
#' entropy_weights(x)
#' @export
entropy_weights <- function(x, negative = NULL) {
  if (is.matrix(x)) {
    if (is.null(colnames(x))) colnames(x) <- paste0("V", seq_len(ncol(x)))
    x <- as.data.frame(x)
  }
  check_data_frame(x, "x")
  vars <- names(x)
  cols <- index_columns(x, vars, arg = "x")
  neg <- negative_flags(negative, vars)
  r <- .Call(C_entropy_index_c, cols, rep.int(1L, nrow(x)), 1L, neg, 0L)
  cn <- r$constant
  dimnames(cn) <- list("all", vars)
  warn_constant(cn, r$n_valid, NULL, arg = "x")
  if (r$n_valid[1L] < 2) exr_error("x", "needs at least two complete rows.")
  if (all(cn)) exr_error("x", "every indicator is constant; no weights can be formed.")
  setNames(as.vector(r$weights), vars)
}

#' Principal-component composite index
#'
#' The alternative digital economy index `dig_pca` (Table 4, column 1). The
#' indicators are standardised (mean 0, standard deviation 1 over the complete
#' rows); their correlation matrix is decomposed in C by LAPACK (`dsyevr`);
#' the components whose eigenvalue exceeds `min_eigen` (Kaiser's rule,
#' eigenvalue > 1; at least the first) are kept, each oriented so that its
#' loadings sum to a non-negative number; the composite is the sum of their
#' scores weighted by their shares of the kept variance,
#' \eqn{\sum_k (\lambda_k / \sum_{kept} \lambda) z' v_k}, and is finally
#' rescaled to \[0, 1\] by min-max (when `rescale = TRUE`). With this orientation
#' the composite rises with the indicators on average (its covariance with the
#' sum of the standardised indicators is non-negative).
#'
#' @param data a data frame.
#' @param vars names of the numeric indicator columns (at least two, none
#'   constant).
#' @param min_eigen components with eigenvalue above this are kept (default 1).
#' @param rescale rescale the composite to \[0, 1\] (default `TRUE`).
#' @return A numeric vector aligned with the rows of `data` (`NA` for rows with
#'   a missing indicator), with attributes `loadings` (indicators x kept
#'   components, the eigenvectors), `eigenvalues` (all, descending) and
#'   `shares` (variance shares of the kept components within the kept set).
#' @examples
#' set.seed(1)
#' f <- rnorm(50)
#' df <- data.frame(a = f + rnorm(50, sd = 0.3), b = f + rnorm(50, sd = 0.5),
#'                  c = rnorm(50))
#' idx <- pca_index(df, c("a", "b", "c"))
#' range(idx)
#' attr(idx, "loadings")
#' @export
pca_index <- function(data, vars, min_eigen = 1, rescale = TRUE) {
  check_data_frame(data)
  cols <- index_columns(data, vars)
  if (length(vars) < 2L) exr_error("vars", "needs at least two indicators.")
  if (!is.numeric(min_eigen) || length(min_eigen) != 1L || is.na(min_eigen)) {
    exr_error("min_eigen", "expected a single number.")
  }
  ok <- Reduce(`&`, lapply(cols, function(v) !is.na(v)))
  if (sum(ok) < 3L) exr_error("data", "needs at least three complete rows.")
  cnst <- vapply(cols, function(v) {
    v <- v[ok]
    all(v == v[1L])
  }, logical(1))
  if (any(cnst)) {
    exr_error("vars", "indicator(s) ", paste0("'", vars[cnst], "'", collapse = ", "),
              " constant over the complete rows; cannot be standardised.")
  }
  r <- .Call(C_pca_index_c, cols, as.double(min_eigen))
  K <- r$n_components
  score <- r$score
  if (isTRUE(rescale)) {
    rg <- range(score, na.rm = TRUE)
    score <- (score - rg[1L]) / (rg[2L] - rg[1L])
  }
  vec <- r$vectors[, seq_len(K), drop = FALSE]
  dimnames(vec) <- list(vars, paste0("PC", seq_len(K)))
  lam <- r$values
  structure(score, loadings = vec, eigenvalues = lam,
            shares = setNames(lam[seq_len(K)] / sum(lam[seq_len(K)]), colnames(vec)))
}

# Indicator columns as a list of doubles (no copy when already double).
index_columns <- function(data, vars, arg = "vars") {
  if (!is.character(vars) || length(vars) < 1L) {
    exr_error(arg, "expected the names of the indicator columns.")
  }
  check_columns(data, vars, arg)
  if (anyDuplicated(vars)) exr_error(arg, "names an indicator twice.")
  lapply(vars, function(v) {
    x <- data[[v]]
    check_numeric_column(x, v, arg)
    if (any(is.infinite(x))) exr_error(arg, "column '", v, "' has infinite values.")
    if (is.double(x)) x else as.double(x)
  })
}

negative_flags <- function(negative, vars) {
  if (is.null(negative)) return(integer(length(vars)))
  if (is.logical(negative)) {
    if (length(negative) != length(vars) || anyNA(negative)) {
      exr_error("negative", "a logical `negative` must have one TRUE/FALSE per indicator.")
    }
    return(as.integer(negative))
  }
  if (!is.character(negative)) exr_error("negative", "expected indicator names or a logical vector.")
  bad <- setdiff(negative, vars)
  if (length(bad)) {
    exr_error("negative", "names ", paste0("'", bad, "'", collapse = ", "), " not among `vars`.")
  }
  as.integer(vars %in% negative)
}

warn_constant <- function(cn, nvalid, where, arg = "vars") {
  for (k in seq_len(nrow(cn))) {
    if (nvalid[k] < 2) next
    if (any(cn[k, ])) {
      exr_warning(arg, "indicator(s) ", paste0("'", colnames(cn)[cn[k, ]], "'", collapse = ", "),
                  " constant", if (!is.null(where)) paste0(" in ", where, " '", rownames(cn)[k], "'"),
                  "; given weight 0.")
    }
  }
}
