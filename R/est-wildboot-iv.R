# The wild restricted efficient bootstrap (WRE; Davidson & MacKinnon 2010) of
# the coefficient of the one endogenous regressor of an iv_reg() fit, by the
# "fast and wild" route of the least-squares bootstrap: R rebuilds the fit's
# design through the shared layers (wb_design(), iv_fit_design(),
# wb_clusters()), partials the exogenous regressors out of the demeaned
# outcome, endogenous regressor and instruments, and reduces the data to the
# cluster arrays of two affine least-squares setups per instrument
# (src/wildboot.c, wildboot_setup() with xa = w z); wildboot_wre_moments()
# then reduces every draw to a few numbers from which wildboot_wre_eval()
# gives its 2SLS t statistic at any null value. See the comment above them
# for the algebra.

# Everything the draws need that does not depend on the null value.
wre_prepare <- function(fit, term, cluster, bootcluster, data, env, fixef_tol, cores) {
  if (length(fit$endogenous) != 1L) {
    exr_error("fit", "the wild restricted efficient bootstrap needs one endogenous regressor; ",
              "the model has ", length(fit$endogenous), " (", paste(fit$endogenous, collapse = ", "), ").")
  }
  if (!identical(term, fit$endogenous)) {
    exr_error("term", "after iv_reg() the bootstrap tests the endogenous regressor's coefficient ('",
              fit$endogenous, "'), not '", term, "'.")
  }
  des <- wb_design(fit, cluster, bootcluster, data, env)
  d <- des$d
  tol <- min(fixef_tol, if (is.null(fit$fixef_tol)) 1e-10 else fit$fixef_tol)
  f <- iv_fit_design(d, tol, 10000L, cores)
  wb_check_coefficients(f$coefficients, fit$coefficients)
  w <- d$weights
  n <- length(d$y)
  Xx <- f$A[, f$nm_x_idx, drop = FALSE]
  kx <- ncol(Xx)
  partial <- function(v) if (kx) .Call(C_ols_fit, Xx, v, w, NULL, collinear_tol)$residuals else v
  Z <- vapply(f$nm_z_idx, function(j) partial(f$A[, j]), numeric(n))
  dim(Z) <- c(n, length(f$nm_z_idx))
  Yd <- partial(f$A[, f$nm_e_idx])
  yd <- partial(f$yd)
  wZ <- if (is.null(w)) Z else Z * w
  Q <- crossprod(Z, wZ)
  Qinv <- chol2inv(chol(Q))
  zY <- drop(crossprod(wZ, Yd))
  zy <- drop(crossprod(wZ, yd))
  pihat <- drop(Qinv %*% zY)          # first stage
  gy <- drop(Qinv %*% zy)
  PY <- drop(Z %*% pihat)
  Py <- drop(Z %*% gy)
  wip <- function(a, b) if (is.null(w)) sum(a * b) else sum(w * a * b)
  MY <- Yd - PY
  My <- yd - Py
  den <- sum(zY * pihat)
  est <- sum(pihat * zy) / den
  if (abs(est - fit$coefficients[[term]]) > 1e-6 * max(1, abs(est))) {
    exr_error("data", "does not reproduce the fitted coefficients; pass the data the model was fitted on.")
  }

  bcl <- wb_clusters(d, des$err_terms, des$boot_terms, fit$ssc, length(f$coefficients))
  # the original cluster-robust standard error from the variance engine's
  # Cameron-Gelbach-Miller meat, as iv_reg() computes it but without the
  # eigenvalue fix of a multi-way matrix (boottest's t, as for least squares)
  score <- matrix((if (is.null(w)) PY else w * PY) * (yd - est * Yd), ncol = 1L)
  se2 <- bcl$kfac * cluster_meat_cgm(score, bcl$cl_err, bcl$ssc)[1L, 1L] / den^2
  # the per-instrument setups: A on (yd, Yd), B on (P yd, P Yd)
  Xs <- if (kx) Xx else matrix(0, n, 1L)
  XXinv <- if (kx) chol2inv(chol(crossprod(Xs, if (is.null(w)) Xs else Xs * w))) else matrix(0, 1L, 1L)
  ctrl <- wb_control(tol, cores)
  one_setup <- function(u0, u1, l) {
    .Call(C_wildboot_setup, Xs, w, numeric(ncol(Xs)), XXinv, u0, u1, u0, bcl$bc, bcl$codes,
          bcl$fac, bcl$fe, bcl$nest, ctrl, wZ[, l])
  }
  L <- ncol(Z)
  setups <- c(lapply(seq_len(L), function(l) one_setup(yd, Yd, l)),
              lapply(seq_len(L), function(l) one_setup(Py, PY, l)))
  # Q_g for each cluster of each clustering: G_d x L^2, Q_g[l, m] in column l + L (m - 1)
  Qg <- lapply(bcl$codes, function(cc) {
    arr <- array(0, c(max(cc), L, L))
    for (l in seq_len(L)) for (m in seq_len(l)) {
      s <- rowsum(wZ[, l] * Z[, m], cc, reorder = TRUE)[, 1L]
      arr[, l, m] <- s
      arr[, m, l] <- s
    }
    matrix(arr, nrow = dim(arr)[1L])
  })
  list(iv = TRUE, setups = setups, Qinv = Qinv, Qg = Qg, pihat = pihat, gy = gy, Q = Q,
       gram = c(a = wip(My, My), b = wip(My, MY), c = wip(MY, MY)),
       se = sqrt(se2), estimate = est, term = term, nobs = n,
       cluster = names(bcl$G_err), n_clusters = bcl$G_err, bootcluster = bcl$boot_name,
       n_bootclusters = bcl$Gb, df = min(bcl$G_err) - 1L, fe_in_boot = is.null(bcl$fe),
       boot_codes = bcl$bc, n_instruments = L)
}

# One pass over the draws (weights V, or drawn afresh: kind, B): per draw, the
# numbers from which wre_eval() gives the statistic at any null value.
wre_moments <- function(prep, kind, B, V, cores) {
  .Call(C_wildboot_wre_moments, prep$setups, prep$Qg, kind, B, V, cores)
}

# The bootstrap statistics at the null value rho (WRE) or at the estimate (the
# unrestricted WUE, rho = the estimate): the first stage re-estimated with the
# structural residuals u~ = yd - rho Yd added (delta its coefficient, pi~ the
# instruments'), then the draws' statistics from their moments.
wre_eval <- function(prep, moments, rho, identity_tie) {
  g <- prep$gram
  dd <- g[["a"]] - 2 * rho * g[["b"]] + rho^2 * g[["c"]]
  delta <- if (dd > 0) (g[["b"]] - rho * g[["c"]]) / dd else 0
  pit <- prep$pihat - delta * (prep$gy - rho * prep$pihat)
  .Call(C_wildboot_wre_eval, moments, c(rho, delta, as.double(identity_tie)), prep$Qinv,
        drop(prep$Q %*% pit), pit)
}

# pv_at(r, want_t) for wb_result(): one pass over the draws, then the
# statistics at each r from their moments (WRE: the bootstrap samples change
# with r; WUE: one set of statistics serves every r).
wre_pvalue_function <- function(prep, kind, B, impose_null, cores) {
  est <- prep$estimate
  se <- prep$se
  L <- prep$n_instruments
  nB <- if (kind == 4L) 2^prep$n_bootclusters else B
  J <- 4 * L + L^2
  if (nB * (4 * L + J * (J + 1) / 2) > 2.5e8) {
    exr_error("B", "with ", L, " instruments, ", format(nB), " draws would keep more than 2 GB ",
              "of per-draw numbers; use fewer draws.")
  }
  mom <- wre_moments(prep, kind, B, NULL, cores)
  if (!impose_null) {
    draws <- wre_eval(prep, mom, est, FALSE)
    return(function(rr, want_t = 0L) .Call(C_wildboot_pvalues, draws, est, se, as.double(rr), want_t))
  }
  function(rr, want_t = 0L) {
    res <- lapply(rr, function(r1) {
      .Call(C_wildboot_pvalues, wre_eval(prep, mom, r1, TRUE), est, se, r1, want_t)
    })
    list(p = do.call(rbind, lapply(res, `[[`, "p")), tstar = res[[1L]]$tstar)
  }
}
