# The one constructor of fitted models. Every estimator ends by calling
# new_exr_model(), so that every result has the same fields, checked the same
# way, with per-observation vectors aligned with the rows of the caller's data.

#' Construct a fitted model (for estimator authors)
#'
#' @param kind the model kind: the class becomes `c("exr_<kind>", "exr_model")`
#'   (a vector gives several subclasses, most specific first).
#' @param coefficients named numeric vector, in formula order.
#' @param vcov their variance, with the same names as dimnames.
#' @param nobs observations used.
#' @param call,formula the call and the formula.
#' @param fixef names of the absorbed fixed effects (character(0) for none).
#' @param cluster names of the cluster variables, or NULL.
#' @param vcov_type "iid", "hc1", "cluster", "hessian", ...
#' @param df_t degrees of freedom of t tests (Inf for z tests).
#' @param stats named list of scalar statistics (glance() reads them; names as
#'   in DESIGN.md: r.squared, logLik, first_F, ...).
#' @param ... further fields of the model.
#' @param keep logical, one per row of the caller's data: the rows used.
#' @param per_row named list of vectors over the used rows (fitted values,
#'   residuals, ...), stored aligned with the rows of the data (NA elsewhere).
#' @return the model object.
#' @keywords internal
#' @noRd
new_exr_model <- function(kind, coefficients, vcov, nobs, call, formula,
                          fixef = character(0), cluster = NULL, vcov_type, df_t,
                          stats = list(), ..., keep = NULL, per_row = list()) {
  b <- coefficients
  if (!is.numeric(b) || is.null(names(b)) || anyNA(names(b)) || anyDuplicated(names(b))) {
    stop("new_exr_model: coefficients must be numeric with unique names")
  }
  vcov <- as.matrix(vcov)
  if (!identical(dim(vcov), c(length(b), length(b))) ||
      !identical(rownames(vcov), names(b)) || !identical(colnames(vcov), names(b))) {
    stop("new_exr_model: the dimnames of vcov must be the coefficient names")
  }
  if (!is.list(stats) || (length(stats) && (is.null(names(stats)) ||
      !all(vapply(stats, function(s) length(s) == 1L && (is.numeric(s) || is.logical(s)),
                  logical(1)))))) {
    stop("new_exr_model: stats must be a named list of scalars")
  }
  stats$nobs <- NULL
  rows <- if (is.null(keep) || all(keep)) NULL else which(keep)
  aligned <- lapply(per_row, function(v) {
    if (is.null(keep)) return(v)
    if (length(v) != if (is.null(rows)) length(keep) else length(rows)) {
      stop("new_exr_model: per-row vectors must cover the rows used")
    }
    if (is.null(rows)) return(v)
    out <- rep(NA_real_, length(keep))
    out[rows] <- v
    out
  })
  se <- vcov_se(diag(vcov))
  neg <- names(b)[is.na(se) & is.finite(diag(vcov))]
  if (length(neg)) {
    exr_warning("vcov", "the variance estimate is not positive semi-definite: the variance of ",
                paste(neg, collapse = ", "), " is negative, so its standard error is NA ",
                "(too few clusters or units for the number of parameters or instruments?).",
                call = call)
  }
  structure(c(list(coefficients = b, vcov = vcov, se = se, nobs = nobs,
                   call = call, formula = formula, fixef = fixef, cluster = cluster,
                   vcov_type = vcov_type, df_t = df_t, stats = stats, obs = keep),
              aligned, list(...)),
            class = c(paste0("exr_", kind), "exr_model"))
}

# The statistics of a model as a named list: glance()'s source, and the only
# place reg_table(), print() and summary() read statistics from.
model_stats <- function(x) {
  s <- x$stats
  c(list(nobs = x$nobs), s[setdiff(names(s), "nobs")])
}

#' Log-likelihood of an exportres model
#'
#' For least squares the Gaussian log-likelihood (with weights, that of the
#' weighted model, as [stats::lm()] computes it; fixest's `logLik()` ignores
#' the weights), with degrees of freedom counting the coefficients, the
#' fixed-effect parameters and the residual variance; for models estimated by
#' maximum likelihood, the maximised log-likelihood. `AIC()` and `BIC()` follow,
#' counting the residual variance as a parameter as `lm()` does (fixest's
#' `AIC()` does not, so it is 2 lower).
#'
#' @param object a fitted model.
#' @param ... unused.
#' @return An object of class `logLik`; an error for models without one.
#' @examples
#' set.seed(1)
#' df <- data.frame(g = rep(1:10, each = 5), x = rnorm(50))
#' df$y <- df$x + rnorm(50)
#' fit <- fe_reg(y ~ x | g, df)
#' logLik(fit); AIC(fit); BIC(fit)
#' @export
logLik.exr_model <- function(object, ...) {
  ll <- object$stats$logLik
  if (is.null(ll)) exr_error("object", "this model has no log-likelihood.")
  structure(ll, df = as.numeric(object$df_loglik %||% length(object$coefficients)),
            nobs = object$nobs, nall = object$nobs, class = "logLik")
}

# Standard errors from the diagonal d of a variance matrix. An entry below zero
# by more than rounding (a matrix that is not positive semi-definite, as a
# Windmeijer-corrected two-step GMM variance with more instruments than units
# can be) has no standard error: NA, not the 0 that truncating it would claim.
vcov_se <- function(d) {
  fin <- is.finite(d)
  tol <- sqrt(.Machine$double.eps) * max(abs(d[fin]), 0)
  se <- sqrt(pmax(d, 0))
  se[!fin | d < -tol] <- NA
  se
}
