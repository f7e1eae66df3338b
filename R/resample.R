# Resampling for fixed-effects least squares (src/resample.c), shared by the
# cluster bootstrap of mediation(), the permutation test of subgroup() and any
# estimator that re-estimates a least-squares model on reweighted data. The
# draws use R's RNG in the main process (set.seed() reproduces them, whatever
# `cores` or `cl`); the re-estimation runs in C, in parallel over draws, or over
# the nodes of a `parallel` cluster.

# B vectors of cluster counts (an m x B integer matrix), drawn in exactly the
# order of boot::boot's ordinary resampling of m units: with the same seed,
# column b resamples the clusters of boot's replicate b.
draw_cluster_counts <- function(m, B) {
  .Call(C_draw_cluster_counts, as.integer(m), as.integer(B))
}

# B permutations of integer labels (an m x B matrix), within strata (integer
# codes, or NULL for none).
draw_permutations <- function(labels, strata = NULL, B) {
  .Call(C_draw_permutations, as.integer(labels),
        if (is.null(strata)) NULL else as.integer(strata), as.integer(B))
}

# Equations for resample_fe_ls(): a list of list(y = column, x = columns) with
# columns named or numbered in Z; returns the integer encoding of the C side.
resample_equations <- function(eqs, Z) {
  col <- function(v) {
    j <- if (is.character(v)) match(v, colnames(Z)) else as.integer(v)
    if (anyNA(j)) stop("resample_equations: unknown column")
    j - 1L
  }
  as.integer(unlist(lapply(eqs, function(e) c(col(e$y), length(e$x), col(e$x)))))
}

#' Re-estimate least-squares equations with fixed effects for many weight vectors
#'
#' @param Z n x p matrix of every variable of the equations (raw, not demeaned).
#' @param fe list of integer fixed-effect codes (1..G), possibly empty.
#' @param weights base weights or NULL.
#' @param unit integer resampling unit of each row (1..m).
#' @param draws m x B integer matrix: counts (ngroups = 0) or group labels
#'   1..ngroups (0 = no group; one fit per group and draw).
#' @param eqs list of list(y = , x = ) naming columns of Z.
#' @param cores threads; cl a `parallel` cluster or NULL; progress logical.
#' @param small_max when the fixed effects other than the largest have at most
#'   this many levels in all, they are solved exactly (0: always iterate).
#' @return list(coef = D x ncoef matrix (D = B, or B * ngroups with a draw's
#'   groups consecutive), status (0 ok, 1 collinear, 2 empty), iterations).
#' @keywords internal
#' @noRd
resample_fe_ls <- function(Z, fe, weights, unit, draws, eqs, ngroups = 0L, fixef_tol = 1e-10,
                           fixef_maxit = 10000L, cores = 1L, cl = NULL, progress = FALSE,
                           small_max = resample_small_max) {
  storage.mode(Z) <- "double"
  eq_int <- resample_equations(eqs, Z)
  fe <- lapply(unname(fe), as.integer)
  ctrl <- c(fixef_tol, fixef_maxit, cores, collinear_tol, small_max)
  B <- ncol(draws)
  if (is.null(cl)) {
    out <- .Call(C_resample_fe_ls, Z, fe, weights, as.integer(unit), draws, as.integer(ngroups),
                 eq_int, as.double(ctrl), as.integer(progress))
  } else {
    # chunks of draws over the nodes: the draws are already made, so the
    # result is the same as in one process
    nchunk <- min(B, 4L * length(cl))
    idx <- split(seq_len(B), cut(seq_len(B), nchunk, labels = FALSE))
    ctrl[3L] <- 1
    parts <- parallel::parLapply(cl, lapply(idx, function(j) draws[, j, drop = FALSE]),
                                 resample_chunk, Z = Z, fe = fe, weights = weights,
                                 unit = as.integer(unit), ngroups = as.integer(ngroups),
                                 eqs = eq_int, ctrl = as.double(ctrl))
    out <- list(coef = do.call(rbind, lapply(parts, `[[`, "coef")),
                status = unlist(lapply(parts, `[[`, "status")),
                iterations = unlist(lapply(parts, `[[`, "iterations")),
                warm_iterations = parts[[1L]]$warm_iterations)
  }
  nm <- unlist(lapply(eqs, function(e) if (is.character(e$x)) e$x else colnames(Z)[e$x]))
  colnames(out$coef) <- nm
  out
}

# Fixed effects besides the largest with at most this many levels in all are
# solved exactly as dummies (no iteration); larger ones are iterated with warm
# starts. The partitioned solve costs O(L^2) per draw, against tens of sweeps.
resample_small_max <- 200

# One chunk of draws on a cluster node (its environment is the package
# namespace, so the node loads exportres).
resample_chunk <- function(draws, Z, fe, weights, unit, ngroups, eqs, ctrl) {
  .Call(C_resample_fe_ls, Z, fe, weights, unit, draws, ngroups, eqs, ctrl, 0L)
}

check_cl <- function(cl, arg = "cl") {
  if (is.null(cl)) return(NULL)
  if (!inherits(cl, "cluster")) {
    exr_error(arg, "expected a cluster from parallel::makeCluster(), or NULL.")
  }
  cl
}

check_draws <- function(B, arg, min = 1L) {
  if (!is.numeric(B) || length(B) != 1L || !is.finite(B) || B < min || B != round(B) ||
      B > .Machine$integer.max) {
    exr_error(arg, "expected a whole number of at least ", min, ".")
  }
  as.integer(B)
}

# Bootstrap confidence intervals from replicates t (non-finite ones dropped):
# the order statistic (R + 1) * alpha of the sorted replicates, interpolated on
# the normal-quantile scale between neighbours when it is not a whole number
# (Davison and Hinkley 1997, eq. 5.8), as boot::boot.ci computes its intervals.
boot_quantiles <- function(t, alpha) {
  t <- sort(t[is.finite(t)])
  R <- length(t)
  if (!R) return(rep(NA_real_, length(alpha)))
  rk <- (R + 1) * alpha
  k <- trunc(rk)
  vapply(seq_along(alpha), function(i) {
    if (k[i] <= 0) return(t[1L])
    if (k[i] >= R) return(t[R])
    if (k[i] == rk[i]) return(t[k[i]])
    z <- stats::qnorm(c(alpha[i], k[i] / (R + 1), (k[i] + 1) / (R + 1)))
    t[k[i]] + (z[1L] - z[2L]) / (z[3L] - z[2L]) * (t[k[i] + 1L] - t[k[i]])
  }, numeric(1))
}

# Percentile interval.
boot_ci_percentile <- function(t, level) {
  boot_quantiles(t, (1 + c(-level, level)) / 2)
}

# Bias-corrected percentile interval (Efron 1982): the percentile interval at
# levels Phi(2 z0 + z_alpha), z0 = Phi^{-1}(share of replicates below the
# estimate); boot.ci's BCa with zero acceleration.
boot_ci_bc <- function(t, t0, level) {
  t <- t[is.finite(t)]
  if (!length(t)) return(c(NA_real_, NA_real_))
  z0 <- stats::qnorm(mean(t < t0))
  if (!is.finite(z0)) return(c(NA_real_, NA_real_))
  boot_quantiles(t, stats::pnorm(2 * z0 + stats::qnorm((1 + c(-level, level)) / 2)))
}
