# Two-stage least squares with absorbed fixed effects, and the weak-instrument
# diagnostics applied economists report with it (first-stage F, Cragg-Donald,
# Kleibergen-Paap, Stock-Yogo, Sargan/Hansen, Durbin-Wu-Hausman). The design
# comes from build_design(), the demeaning from demean_design(), the 2SLS core
# from src/iv.c, every variance from vcov_engine(); the first stages are
# exr_fe models made by fe_model().

#' Instrumental-variables regression (2SLS) with absorbed fixed effects
#'
#' Two-stage least squares with any number of endogenous regressors, excluded
#' instruments and fixed effects, computed in C, with the weak-instrument and
#' specification diagnostics of Stata's `ivreg2`/`ivreghdfe`. The formula
#' follows fixest: `y ~ exog | fe | endo ~ inst` (write `0` for no fixed
#' effects: `y ~ x | 0 | d ~ z`); `l()`, `f()`, `d()` and `i()` work in every
#' part. The coefficients equal `fixest::feols()` with the same formula; the
#' endogenous regressors come first (as in fixest and ivreg2) and are named as
#' the variables (`dig`, not fixest's `fit_dig`).
#'
#' @section Standard errors:
#' As in [fe_reg()] (fixest's conventions, so that they equal
#' `feols(y ~ x | fe | endo ~ inst)` with the same `vcov`/`cluster`): the
#' sandwich on the bread \eqn{(\hat H'\hat H)^{-1}}, \eqn{\hat H} = the fitted
#' endogenous regressors and the exogenous ones, with the structural residuals
#' \eqn{y - X\hat\beta}; `ssc` changes the small-sample conventions.
#'
#' @section Diagnostics:
#' All in [glance()] and `print()`, computed within the fixed effects (the
#' fixed effects are partialled out of every variable, as `ivreghdfe` does):
#' * **First stages** (`$first`, one [fe_reg()]-type model per endogenous
#'   regressor, with the model's variance): `first_F`, the Wald test that the
#'   excluded instruments' coefficients are zero under the model's variance,
#'   divided by their number (clustered when clustered: what applied papers call
#'   the first-stage F; fixest's `fitstat` `ivwald`); with several endogenous
#'   regressors the smallest, all of them in `$first_stage` with the partial
#'   \eqn{R^2} of the excluded instruments.
#' * **Cragg-Donald Wald F** (`cd_F`): \eqn{\kappa/(1-\kappa)\,(N-L)/L_1},
#'   \eqn{\kappa} the smallest squared canonical correlation between the
#'   endogenous regressors and the excluded instruments, \eqn{L} all
#'   instruments counting the fixed-effect parameters (all of them, as a
#'   least-squares \eqn{K}), \eqn{L_1} the excluded ones: ivreg2's `cdf`, and
#'   the `cragg` package's statistic. (fixest's `fitstat` `cd` uses
#'   \eqn{N - K_1 - L_1 - 1} instead of \eqn{N - L}.)
#' * **Kleibergen-Paap (2006) rk statistics** for the full-rank test, from the
#'   rank (canonical-correlation) formula as `ranktest` computes it for ivreg2,
#'   with the model's variance (heteroskedasticity-robust or clustered, one- or
#'   multi-way): `kp_LM` (under-identification, \eqn{\chi^2_{L_1-K_1+1}},
#'   `kp_LM_p`) and `kp_F`, the rk Wald F (weak identification), scaled as
#'   ivreg2 scales it: \eqn{rk\,(N-L)/N/L_1} robust,
#'   \eqn{rk\,(N-L)/(N-1)\,(G-1)/G/L_1} clustered (smallest \eqn{G}), with
#'   \eqn{L} counted as the model's \eqn{K} (a fixed effect nested in a cluster
#'   variable counts as one, as fixest counts it; so that with one endogenous
#'   regressor `kp_F` equals `first_F`). With `vcov = "iid"` they are the
#'   Anderson canonical-correlation LM and the Cragg-Donald F, as ivreg2
#'   reports without `robust`.
#' * **Stock-Yogo (2005) critical values** for the Cragg-Donald F
#'   (`$weak_id$stock_yogo`; up to 30 excluded instruments; shipped in
#'   `inst/extdata/stock_yogo.csv`).
#' * **Over-identification** (more excluded instruments than endogenous
#'   regressors): `sargan`/`sargan_p` (iid) or Hansen's J `hansen`/`hansen_p`
#'   (robust or clustered; the minimised two-step efficient GMM criterion, as
#'   ivreg2 reports after 2SLS), \eqn{\chi^2_{L_1-K_1}}.
#' * **Endogeneity**: `dwh`/`dwh_p`, the regression-based Durbin-Wu-Hausman
#'   test: the first-stage residuals added to the structural equation
#'   estimated by least squares, their coefficients tested with the model's
#'   variance (robust or clustered), as an F with \eqn{K_1} numerator degrees of
#'   freedom (under iid: fixest's `fitstat` `wh`).
#' * `n_instruments`: the number of excluded instruments.
#'
#' @inheritParams fe_reg
#' @param formula `y ~ exog | fe | endo ~ inst`.
#' @param diagnostics `FALSE` skips the diagnostics that need further passes
#'   over the data when the variance is robust or clustered (the
#'   Kleibergen-Paap statistics, Hansen's J and the Durbin-Wu-Hausman test,
#'   then `NA`), for repeated fits on large data; the first stages, first-stage
#'   F, Cragg-Donald F and Sargan statistic are always computed.
#' @return An object of class `c("exr_iv", "exr_model")` with the fields of
#'   [fe_reg()]'s result, plus `first` (named list of the first stages, class
#'   `exr_fe`, each with `first_F`, `partial_r2`, `cd_F` and `kp_F` in its
#'   statistics so that a table can show them in a first-stage column),
#'   `first_stage` (data frame: per endogenous regressor, F, its degrees of
#'   freedom and p-value, partial \eqn{R^2}), `weak_id` (list: canonical
#'   correlations, statistics, Stock-Yogo critical values), `endogenous` and
#'   `instruments` (names).
#' @seealso [fe_reg()], [heckman_2step()], [reg_table()].
#' @examples
#' set.seed(1)
#' n <- 600
#' df <- data.frame(g = rep(1:60, each = 10), t = rep(1:10, 60), z1 = rnorm(n), z2 = rnorm(n))
#' v <- rnorm(n)
#' df$d <- 0.6 * df$z1 + 0.4 * df$z2 + rnorm(60)[df$g] + v
#' df$x <- rnorm(n)
#' df$y <- 0.5 * df$d + 0.3 * df$x + rnorm(60)[df$g] + 0.8 * v + rnorm(n)
#' fit <- iv_reg(y ~ x | g + t | d ~ z1 + z2, df, cluster = ~g)
#' fit
#' glance(fit)
#' fit$first$d          # the first stage, an exr_fe model
#' @export
iv_reg <- function(formula, data, cluster = NULL, vcov = NULL, weights = NULL, panel = NULL,
                   singletons = c("drop", "keep"), ssc = NULL, fixef_tol = 1e-10,
                   fixef_maxit = 10000L, cores = getOption("exportres.cores", 1L),
                   diagnostics = TRUE) {
  call <- match.call()
  singletons <- match_choice(singletons, c("drop", "keep"), "singletons")
  vcov <- vcov_choice(vcov)
  ssc <- as_ssc(ssc)
  cores <- check_cores(cores)
  check_fixef_control(fixef_tol, fixef_maxit)
  fml <- parse_fixest_formula(formula)
  if (is.null(fml$endo)) {
    exr_error("formula", "has no IV part; write `y ~ exog | fe | endo ~ inst` (fe_reg() fits OLS).")
  }
  d <- build_design(fml, data, panel = panel, cluster = cluster, weights = weights,
                    singletons = singletons)
  iv_check_parts(d)
  fit <- iv_fit_design(d, fixef_tol, fixef_maxit, cores)
  iv_model(fit, d, vcov, ssc, call, formula, fml, check_flag(diagnostics, "diagnostics"))
}

# The argument checks of the fixed-effect projections, shared by the estimators.
check_fixef_control <- function(fixef_tol, fixef_maxit) {
  if (!is.numeric(fixef_tol) || length(fixef_tol) != 1L || !is.finite(fixef_tol) || fixef_tol <= 0) {
    exr_error("fixef_tol", "expected one positive number.")
  }
  if (!is.numeric(fixef_maxit) || length(fixef_maxit) != 1L || !is.finite(fixef_maxit) ||
      fixef_maxit < 1 || fixef_maxit > .Machine$integer.max) {
    exr_error("fixef_maxit", "expected one positive whole number.")
  }
  invisible(TRUE)
}

# Identification by counting and by names, before any arithmetic.
iv_check_parts <- function(d) {
  en <- colnames(d$endo)
  both <- intersect(en, colnames(d$X))
  if (length(both)) {
    exr_error("formula", "the endogenous regressor(s) ", paste0("'", both, "'", collapse = ", "),
              " are also listed as exogenous regressors.")
  }
  both <- intersect(en, colnames(d$inst))
  if (length(both)) {
    exr_error("formula", "the endogenous regressor(s) ", paste0("'", both, "'", collapse = ", "),
              " are also listed as instruments.")
  }
  if (ncol(d$inst) < ncol(d$endo)) {
    exr_error("formula", "fewer excluded instruments (", ncol(d$inst), ") than endogenous ",
              "regressors (", ncol(d$endo), "): the model is not identified.")
  }
  invisible(TRUE)
}

# Demean every column once, then 2SLS in C. Collinear exogenous regressors are
# dropped with a message (as fe_reg does); collinear or absorbed instruments
# with a warning; an endogenous regressor collinear with the exogenous ones, or
# too few instruments left, is an error.
iv_fit_design <- function(d, fixef_tol, fixef_maxit, cores) {
  X <- d$X
  Zx <- d$inst
  E <- d$endo
  kx <- ncol(X); l1 <- ncol(Zx); k1 <- ncol(E)
  A <- cbind(X, Zx, E)
  dm <- demean_design(d, d$y, A, fixef_tol, fixef_maxit, cores)
  r <- .Call(C_iv_fit, dm$X, dm$y, d$weights, dm$scale, c(kx, l1, k1), collinear_tol)
  keep_x <- r$keep_z[seq_len(kx)]
  keep_i <- r$keep_z[kx + seq_len(l1)]
  if (!all(keep_x)) {
    message("exportres: dropped collinear regressor(s) (collinear with earlier terms or ",
            "absorbed by the fixed effects): ", paste(colnames(X)[!keep_x], collapse = ", "))
  }
  if (r$status == 1L) {
    exr_error("formula", "the endogenous regressor(s) ",
              paste0("'", colnames(E)[!r$keep_e], "'", collapse = ", "),
              " are collinear with the exogenous regressors or absorbed by the fixed effects.")
  }
  if (!all(keep_i)) {
    msg <- paste0("excluded instrument(s) ", paste0("'", colnames(Zx)[!keep_i], "'", collapse = ", "),
                  " collinear with the exogenous regressors (or earlier instruments) or ",
                  "absorbed by the fixed effects")
    if (r$status == 2L) {
      exr_error("formula", msg, ": fewer usable instruments (", sum(keep_i),
                ") than endogenous regressors (", k1, ").")
    }
    exr_warning("formula", msg, "; dropped.")
  }
  if (r$status == 2L) exr_error("formula", "fewer usable instruments than endogenous regressors.")
  nm_x_idx <- which(keep_x)
  nm_z_idx <- kx + which(keep_i)
  nm_e_idx <- kx + l1 + seq_len(k1)
  nm_x <- colnames(X)[keep_x]
  nm_z <- colnames(Zx)[keep_i]
  nm_e <- colnames(E)
  b <- stats::setNames(r$coefficients, c(nm_e, nm_x))
  dimnames(r$bread) <- list(names(b), names(b))
  # (the n-row matrix HV = [Ehat, X, V] stays unnamed: naming it would copy it)
  zcols <- which(r$keep_z)
  dimnames(r$Pi) <- list(c(nm_x, nm_z), nm_e)
  dimnames(r$ZZinv) <- list(c(nm_x, nm_z), c(nm_x, nm_z))
  cn <- c(colnames(X), colnames(Zx), colnames(E))
  dimnames(r$crossprod) <- list(cn, cn)
  names(r$Aty) <- cn
  kb <- length(b)
  list(coefficients = b, bread = r$bread, residuals = r$residuals, HV = r$HV,
       H_cols = seq_len(kb), V_cols = kb + seq_len(k1), Pi = r$Pi,
       crossprod = r$crossprod, Aty = r$Aty, nm_x_idx = nm_x_idx, nm_z_idx = nm_z_idx,
       nm_e_idx = nm_e_idx,
       ZZinv = r$ZZinv, A = dm$X, zcols = zcols,
       yd = dm$y, keep_z = r$keep_z, nm_x = nm_x, nm_z = nm_z, nm_e = nm_e,
       dropped_x = colnames(X)[!keep_x], dropped_z = colnames(Zx)[!keep_i],
       ls_method = r$method, iterations = dm$iterations,
       converged = all(dm$iterations >= 0L),
       fe_sizes = vapply(d$fe, n_groups, integer(1)))
}

# The second stage's variance and statistics, the first stages and the diagnostics.
iv_model <- function(fit, d, vcov, ssc, call, formula, fml, diagnostics = TRUE) {
  n <- length(d$y)
  w <- d$weights
  type <- resolve_vcov_type(vcov, d$cluster, d$fe)
  cl <- resolve_clusters(type, d$cluster, d$fe)
  b <- fit$coefficients
  u <- fit$residuals
  uw <- if (is.null(w)) u else w * u
  ssr <- sum(uw * u)
  nested <- if (length(cl) && length(d$fe)) fe_nested_in_cluster(d$fe, cl) else NULL
  K <- param_count(length(b), d$fe, cl, ssc, nested)
  K_all <- param_count(length(b), d$fe, list(), exr_ssc(K_fixef = "full"))
  V <- vcov_engine(fit$bread, ls_scores(fit$HV, uw, fit$H_cols), type, cl, n = n, K = K,
                   sigma2 = ls_sigma2(ssr, n, K, ssc), ssc = ssc)
  if (!fit$converged) {
    exr_warning("fixef_maxit", "the fixed-effect projections did not converge in ",
                max(abs(fit$iterations)), " sweeps; raise `fixef_maxit` or `fixef_tol`.")
  }
  first <- iv_first_stages(fit, d, vcov, ssc, call, nested)
  diag <- iv_diagnostics(fit, d, type, cl, ssc, first, nested, ssr, full = diagnostics)
  for (j in seq_along(first)) {
    first[[j]]$stats$first_F <- diag$first_stage$F[j]
    first[[j]]$stats$partial_r2 <- diag$first_stage$partial_r2[j]
    first[[j]]$stats$cd_F <- diag$stats$cd_F
    first[[j]]$stats$kp_F <- diag$stats$kp_F
  }
  # ls_stats() reads the regressors' names only (is there an intercept?)
  st <- ls_stats(list(yd = fit$yd, rank = length(b), fe_sizes = fit$fe_sizes,
                      Xd = matrix(0, 0L, length(b), dimnames = list(NULL, names(b)))),
                 d, ssr, K_all)
  st <- st[intersect(names(st), c("r.squared", "adj.r.squared", "within.r.squared", "sigma",
                                  "n_groups"))]
  new_exr_model("iv", b, V$vcov, n, call, formula, fixef = names(d$fe),
                cluster = V$cluster_names, vcov_type = type, df_t = V$df_t,
                stats = c(st, diag$stats), keep = d$keep,
                per_row = list(fitted.values = d$y - u, residuals = u),
                depvar = d$lhs_name, fixef_sizes = fit$fe_sizes, n_clusters = V$n_clusters,
                n_params = K_all, ssc = ssc, weights = d$weights,
                collinear = c(fit$dropped_x, fit$dropped_z), n_dropped = d$n_na + d$n_zero_weight,
                n_singletons = d$n_singletons, iterations = fit$iterations,
                converged = fit$converged, ls_method = fit$ls_method, first = first,
                first_stage = diag$first_stage, weak_id = diag$weak_id,
                endogenous = fit$nm_e, instruments = fit$nm_z, diagnostics = diagnostics)
}

# One exr_fe model per endogenous regressor: its regression on the exogenous
# regressors and the excluded instruments, from the 2SLS core's first stages
# (no second pass over the data), with the model's variance through fe_model().
iv_first_stages <- function(fit, d, vcov, ssc, call, nested = NULL) {
  znames <- c(colnames(d$X), colnames(d$inst))
  kept <- fit$keep_z
  out <- list()
  for (j in seq_along(fit$nm_e)) {
    e <- fit$nm_e[j]
    coef_all <- stats::setNames(rep(NA_real_, length(znames)), znames)
    coef_all[kept] <- fit$Pi[, j]
    f1 <- list(coef_all = coef_all, kept = kept, bread = fit$ZZinv,
               residuals = fit$HV[, fit$V_cols[j]], Xd = fit$A, Xd_cols = fit$zcols,
               yd = fit$A[, fit$nm_e_idx[j]], rank = sum(kept),
               collinear = znames[!kept], ls_method = fit$ls_method, fe_sizes = fit$fe_sizes,
               iterations = fit$iterations, converged = fit$converged)
    dj <- d
    dj$y <- d$endo[, j]
    dj$lhs_name <- e
    rhs <- paste(c(znames, if (!d$intercept && !length(d$fe)) "0"), collapse = " + ")
    fj <- stats::as.formula(paste0("`", e, "` ~ ", rhs,
                                   if (length(d$fe)) paste(" |", paste(names(d$fe), collapse = " + "))),
                            env = baseenv())
    m <- fe_model(f1, dj, vcov, ssc, call, fj, kind = "fe", nested = nested,
                  first_stage_of = d$lhs_name)
    m$stats$logLik <- NULL
    out[[e]] <- m
  }
  out
}

# Every diagnostic of the model (see ?iv_reg).
iv_diagnostics <- function(fit, d, type, cl, ssc, first, nested = NULL, ssr, full = TRUE) {
  n <- length(d$y)
  w <- d$weights
  sw <- if (is.null(w)) NULL else sqrt(w)
  k1 <- length(fit$nm_e)
  l1 <- length(fit$nm_z)
  kx <- length(fit$nm_x)
  nz <- fit$nm_z

  # first-stage F on the excluded instruments under the model's variance
  fs <- do.call(rbind, lapply(fit$nm_e, function(e) {
    m <- first[[e]]
    bz <- m$coefficients[nz]
    Vz <- m$vcov[nz, nz, drop = FALSE]
    Fst <- drop(crossprod(bz, solve(Vz, bz))) / l1
    df2 <- m$df_t
    data.frame(endogenous = e, F = Fst, df1 = l1, df2 = df2,
               p.value = if (is.finite(df2)) stats::pf(Fst, l1, df2, lower.tail = FALSE) else
                 stats::pchisq(Fst * l1, l1, lower.tail = FALSE),
               stringsAsFactors = FALSE)
  }))

  # the endogenous regressors and excluded instruments with the exogenous
  # regressors partialled out (within the fixed effects), from the weighted
  # cross-products of the 2SLS core; per observation only when a robust
  # statistic needs them (scaled by the square roots of the weights)
  C <- fit$crossprod
  xi <- fit$nm_x_idx; zi <- fit$nm_z_idx; ei <- fit$nm_e_idx
  yy <- C[ei, ei, drop = FALSE]
  zz <- C[zi, zi, drop = FALSE]
  zy <- C[zi, ei, drop = FALSE]
  if (kx > 0) {
    XXc <- chol(C[xi, xi, drop = FALSE])
    BE <- chol2inv(XXc) %*% C[xi, c(ei, zi), drop = FALSE]
    yy <- yy - crossprod(C[xi, ei, drop = FALSE], BE[, seq_len(k1), drop = FALSE])
    zz <- zz - crossprod(C[xi, zi, drop = FALSE], BE[, k1 + seq_len(l1), drop = FALSE])
    zy <- zy - crossprod(C[xi, zi, drop = FALSE], BE[, seq_len(k1), drop = FALSE])
  }
  dimnames(yy) <- list(fit$nm_e, fit$nm_e)
  # first-stage residual sums of squares: V'WV = E'WE - Pi'Z'WE
  zc <- c(xi, zi)
  vv <- C[ei, ei, drop = FALSE] - crossprod(fit$Pi, C[zc, ei, drop = FALSE])
  fs$partial_r2 <- 1 - diag(vv) / diag(yy)
  # the two meats of the robust rank statistics, in C, per cluster variable
  # set (the Cameron-Gelbach-Miller sum for several), no small-sample factor
  kp_meats <- function(cl_kp) {
    BEm <- if (kx > 0) BE[, seq_len(k1), drop = FALSE] else numeric(0)
    BZm <- if (kx > 0) BE[, k1 + seq_len(l1), drop = FALSE] else numeric(0)
    one <- function(cc) .Call(C_iv_kp_meat, fit$A, as.integer(ei), as.integer(zi), as.integer(xi),
                              as.double(BEm), as.double(BZm), fit$HV, as.integer(fit$V_cols), sw, cc)
    if (is.null(cl_kp)) return(one(NULL))
    Q <- length(cl_kp)
    acc <- NULL
    for (size in seq_len(Q)) {
      for (set in utils::combn(Q, size, simplify = FALSE)) {
        cc <- if (size == 1L) cl_kp[[set]] else codes_of(interact_codes(cl_kp[set]))
        r <- one(as.integer(cc))
        sg <- if (size %% 2L == 1L) 1 else -1
        acc <- if (is.null(acc)) lapply(r, `*`, sg) else Map(function(a, b) a + sg * b, acc, r)
      }
    }
    acc
  }

  # instruments counted with the fixed effects: all of them (CD), or as the
  # model's K counts them (KP, nested fixed effects as one)
  L_all <- param_count(kx + l1, d$fe, list(), exr_ssc(K_fixef = "full"))
  L_vc <- param_count(kx + l1, d$fe, cl, exr_ssc(K_fixef = ssc$K_fixef), nested)
  rk_iid <- kp_rank_stat(yy, zz, zy, n, meat = NULL)
  cc <- rk_iid$cc
  kappa <- min(cc)^2
  cd_F <- kappa / (1 - kappa) * (n - L_all) / l1
  robust <- type != "iid"
  if (robust && !full) {
    kp_LM <- kp_F <- NA_real_
  } else if (robust) {
    cl_kp <- if (type == "cluster") cl else NULL
    mt <- kp_meats(cl_kp)
    lm <- kp_rank_stat(yy, zz, zy, n, meat = mt$lm)
    wd <- kp_rank_stat(yy, zz, zy, n, meat = mt$wald)
    if (type == "cluster") {
      G <- min(vapply(cl, n_groups, integer(1)))
      kp_F <- wd$stat / (n - 1) * (n - L_vc) * (G - 1) / G / l1
    } else {
      kp_F <- wd$stat * (n - L_vc) / n / l1
    }
    kp_LM <- lm$stat
  } else {
    kp_LM <- rk_iid$stat
    kp_F <- cd_F
  }
  id_df <- l1 - k1 + 1

  stats <- list(first_F = min(fs$F), cd_F = cd_F, kp_F = kp_F, kp_LM = kp_LM,
                kp_LM_p = stats::pchisq(kp_LM, id_df, lower.tail = FALSE))

  # over-identification
  if (l1 > k1) {
    # Z'Wu = Z'Wy - Z'W[E, X] b, from the cross-products
    Zu <- fit$Aty[zc] - C[zc, c(ei, xi), drop = FALSE] %*% fit$coefficients
    if (!robust) {
      stats$sargan <- n * drop(crossprod(Zu, fit$ZZinv %*% Zu)) / ssr
      stats$sargan_p <- stats::pchisq(stats$sargan, l1 - k1, lower.tail = FALSE)
    } else if (full) {
      stats$hansen <- hansen_j(fit, d, type, cl, zc, c(ei, xi))
      stats$hansen_p <- stats::pchisq(stats$hansen, l1 - k1, lower.tail = FALSE)
    }
  }

  # regression-based Durbin-Wu-Hausman test with the model's variance
  dwh <- if (full) iv_dwh(fit, d, type, cl, ssc, nested, vv) else list(F = NA_real_, p = NA_real_)
  stats$dwh <- dwh$F
  stats$dwh_p <- dwh$p
  stats$n_instruments <- l1

  sy <- stock_yogo_values(k1, l1)
  list(stats = stats, first_stage = fs,
       weak_id = list(canonical_correlations = cc, cd_F = cd_F, kp_F = kp_F, kp_LM = kp_LM,
                      kp_LM_df = id_df, robust = robust, stock_yogo = sy))
}

#' The Kleibergen-Paap (2006) rk statistic for the full-rank test
#'
#' As Stata's ranktest computes it for ivreg2: Theta = chol(zz) pi chol(yy)^-1
#' (Mata's lower Cholesky factors, transposed), its singular value
#' decomposition, the projection onto the smallest singular direction, and a
#' Wald form with the variance of vec(Theta) from `meat` (the unscaled meat of
#' vec(z_i e_i'); NULL: the iid LM version, N times the smallest squared
#' canonical correlation).
#' @return list(stat, cc (canonical correlations, decreasing)).
#' @keywords internal
#' @noRd
kp_rank_stat <- function(yy, zz, zy, n, meat = NULL) {
  K <- ncol(yy); L <- ncol(zz)
  Uy <- chol(yy); Uz <- chol(zz)
  pihat <- solve(zz, zy)
  theta <- Uz %*% pihat %*% backsolve(Uy, diag(K))
  sv <- svd(theta, nu = L, nv = K)
  cc <- sv$d
  u <- sv$u; v <- sv$v
  q <- K
  u22 <- u[q:L, q:L, drop = FALSE]
  v22 <- v[q:K, q:K, drop = FALSE]
  sqrtm <- function(M) {
    e <- eigen(M, symmetric = TRUE)
    e$vectors %*% (sqrt(pmax(e$values, 0)) * t(e$vectors))
  }
  if (q > 1) {
    aq <- rbind(u[1:(q - 1), q:L, drop = FALSE], u22) %*% solve(u22) %*% sqrtm(tcrossprod(u22))
    bq <- sqrtm(tcrossprod(v22)) %*% solve(t(v22)) %*% t(rbind(v[1:(q - 1), q:K, drop = FALSE], v22))
  } else {
    aq <- u22 %*% solve(u22) %*% sqrtm(tcrossprod(u22))
    bq <- sqrtm(tcrossprod(v22)) %*% solve(t(v22)) %*% t(v22)
  }
  Bk <- kronecker(bq, t(aq))
  lab <- Bk %*% as.vector(theta)
  if (is.null(meat)) {
    vlab <- tcrossprod(Bk) / n
  } else {
    Ak <- kronecker(t(backsolve(Uy, diag(K))), t(backsolve(Uz, diag(L))))
    vlab <- Bk %*% Ak %*% meat %*% t(Ak) %*% t(Bk)
  }
  list(stat = drop(crossprod(lab, solve(vlab, lab))), cc = cc)
}

# Hansen's J after 2SLS as ivreg2 reports it: the two-step efficient GMM
# criterion with the weight matrix from the 2SLS residuals (no small-sample
# factor), robust or clustered.
hansen_j <- function(fit, d, type, cl, zc, xc) {
  w <- d$weights
  u <- fit$residuals
  sc <- ls_scores(fit$A, if (is.null(w)) u else w * u, fit$zcols)
  M <- if (type == "cluster") cluster_meat_cgm(sc, cl, exr_ssc(G_adj = FALSE)) else scores_meat(sc, NULL)
  ZX <- fit$crossprod[zc, xc, drop = FALSE]
  Zy <- fit$Aty[zc]
  Mi_ZX <- solve(M, ZX)
  bg <- solve(crossprod(ZX, Mi_ZX), crossprod(Mi_ZX, Zy))
  g <- Zy - ZX %*% bg
  drop(crossprod(g, solve(M, g)))
}

# The regression-based (control-function) Durbin-Wu-Hausman test: least
# squares of y on the endogenous and exogenous regressors and the first-stage
# residuals; Wald test of the residuals' coefficients with the model's variance.
iv_dwh <- function(fit, d, type, cl, ssc, nested, vv) {
  n <- length(d$y)
  C <- fit$crossprod
  ei <- fit$nm_e_idx; xi <- fit$nm_x_idx
  zc <- c(xi, fit$nm_z_idx)
  k1 <- length(ei); kx <- length(xi)
  # The augmented regression y = E b_E + X b_X + V b_V is fitted as
  # y = Ehat c_E + X c_X + V c_V on the columns of HV = [Ehat, X, V] (the same
  # column space: E = Ehat + V, so c_E = b_E and c_V = b_E + b_V), whose Gram
  # matrix comes from the cross-products (Ehat'X = Pi'Z'X, V'Ehat = V'X = 0,
  # V'V = vv) and whose scores need no copy; b_V = c_V - c_E is then tested.
  ZZ <- C[zc, zc, drop = FALSE]
  Pi <- fit$Pi
  hh <- crossprod(Pi, ZZ %*% Pi)
  hx <- crossprod(Pi, C[zc, xi, drop = FALSE])
  G <- matrix(0, 2 * k1 + kx, 2 * k1 + kx)
  ie <- seq_len(k1); ix <- k1 + seq_len(kx); iv <- k1 + kx + seq_len(k1)
  G[ie, ie] <- hh; G[ie, ix] <- hx; G[ix, ie] <- t(hx)
  G[ix, ix] <- C[xi, xi, drop = FALSE]; G[iv, iv] <- vv
  Zy <- fit$Aty[zc]
  g <- c(crossprod(Pi, Zy), fit$Aty[xi], fit$Aty[ei] - crossprod(Pi, Zy))
  Gi <- tryCatch(chol2inv(chol(G)), error = function(e) NULL)
  if (is.null(Gi)) return(list(F = NA_real_, p = NA_real_))
  cf <- drop(Gi %*% g)
  nm <- c(fit$nm_e, fit$nm_x, paste0(".v_", fit$nm_e))
  dimnames(Gi) <- list(nm, nm)
  e <- fit$yd - drop(fit$HV %*% cf)
  ue <- if (is.null(d$weights)) e else d$weights * e
  K <- param_count(length(cf), d$fe, cl, ssc, nested)
  V <- vcov_engine(Gi, ls_scores(fit$HV, ue), type, cl, n = n, K = K,
                   sigma2 = ls_sigma2(sum(ue * e), n, K, ssc), ssc = ssc)
  R <- cbind(-diag(k1), matrix(0, k1, kx), diag(k1))
  bv <- drop(R %*% cf)
  Fst <- drop(crossprod(bv, solve(R %*% V$vcov %*% t(R), bv))) / k1
  p <- if (is.finite(V$df_t)) stats::pf(Fst, k1, V$df_t, lower.tail = FALSE) else
    stats::pchisq(Fst * k1, k1, lower.tail = FALSE)
  list(F = Fst, p = p)
}

# The Stock-Yogo critical values that apply to K1 endogenous regressors and L1
# excluded instruments (a data frame, empty when none is tabulated).
stock_yogo_values <- function(k1, l1) {
  path <- system.file("extdata", "stock_yogo.csv", package = "exportres")
  tab <- utils::read.csv(path, comment.char = "#", stringsAsFactors = FALSE)
  tab <- tab[tab$K1 == k1 & tab$L1 == l1, , drop = FALSE]
  data.frame(test = ifelse(tab$kind == "ivbias",
                           paste0(tab$pct, "% maximal IV relative bias"),
                           paste0(tab$pct, "% maximal IV size")),
             critical_value = tab$crit, stringsAsFactors = FALSE)
}

#' @export
print.exr_iv <- function(x, digits = 4, ...) {
  NextMethod()
  fmt <- function(v, d = digits) formatC(v, digits = d, format = "f")
  s <- x$stats
  cat("Endogenous: ", paste(x$endogenous, collapse = ", "), "; excluded instruments: ",
      paste(x$instruments, collapse = ", "), "\n", sep = "")
  for (i in seq_len(nrow(x$first_stage))) {
    r <- x$first_stage[i, ]
    m <- x$first[[r$endogenous]]
    tab <- coef_table(m)[x$instruments, , drop = FALSE]
    cat(sprintf("First stage (%s): %s; F(%d, %s) = %s, p = %s; partial R2 = %s\n", r$endogenous,
                paste0(rownames(tab), " ", fmt(tab$estimate), " (", fmt(tab$std.error), ")",
                       collapse = ", "),
                r$df1, if (is.finite(r$df2)) format(r$df2) else "Inf", fmt(r$F, 2),
                format.pval(r$p.value, digits = 3), fmt(r$partial_r2)))
  }
  wi <- x$weak_id
  cat(sprintf("Weak identification: Cragg-Donald Wald F = %s", fmt(s$cd_F, 2)))
  if (wi$robust) cat(sprintf("; Kleibergen-Paap rk Wald F = %s", fmt(s$kp_F, 2)))
  cat("\n")
  if (nrow(wi$stock_yogo)) {
    cat("  Stock-Yogo critical values (Cragg-Donald F, iid errors):",
        paste0(wi$stock_yogo$test, " ", fmt(wi$stock_yogo$critical_value, 2), collapse = "; "), "\n")
  } else {
    cat("  Stock-Yogo critical values: not tabulated for these numbers of regressors and instruments\n")
  }
  cat(sprintf("Under-identification: %s = %s, chi2(%d) p = %s\n",
              if (wi$robust) "Kleibergen-Paap rk LM" else "Anderson canon. corr. LM",
              fmt(s$kp_LM, 2), wi$kp_LM_df, format.pval(s$kp_LM_p, digits = 3)))
  dfo <- length(x$instruments) - length(x$endogenous)
  if (!is.null(s$sargan)) {
    cat(sprintf("Over-identification: Sargan = %s, chi2(%d) p = %s\n", fmt(s$sargan),
                dfo, format.pval(s$sargan_p, digits = 3)))
  } else if (!is.null(s$hansen)) {
    cat(sprintf("Over-identification: Hansen J = %s, chi2(%d) p = %s\n", fmt(s$hansen),
                dfo, format.pval(s$hansen_p, digits = 3)))
  } else {
    cat("Over-identification: exactly identified\n")
  }
  cat(sprintf("Endogeneity (Durbin-Wu-Hausman, regression-based, %s): F = %s, p = %s\n",
              tolower(vcov_label(x)), fmt(s$dwh), format.pval(s$dwh_p, digits = 3)))
  if (isFALSE(x$diagnostics)) {
    cat("(diagnostics = FALSE: the robust rank statistics, Hansen J and the DWH test were not computed)\n")
  }
  invisible(x)
}
