# Difference and system GMM for dynamic panels (Arellano-Bond 1991, Blundell-Bond
# 1998) on the shared layers: build_design() for the formula and the panel
# index, the C core (src/gmm.c) for every pass over the data, the variance
# engine for the one-step robust sandwich, new_exr_model() for the result.

#' Difference and system GMM for dynamic panels (Arellano-Bond, Blundell-Bond)
#'
#' Linear GMM on panels with few periods and many units: difference GMM
#' (Arellano and Bond 1991) on the equation in first differences or forward
#' orthogonal deviations, or system GMM (Arellano and Bover 1995, Blundell and
#' Bond 1998) that stacks the equation in levels on it. Lags of the outcome go
#' on the right of the formula (`l(y, 1)`, `l(y, 1:2)`); the variables in `gmm`
#' are instrumented GMM-style by their own lags; every other regressor
#' instruments itself IV-style, as in \pkg{plm}'s `pgmm()` and Stata's
#' `xtabond2` examples. The moment matrices are accumulated unit by unit in C:
#' the instrument matrix is never formed.
#'
#' @section Instruments:
#' For a variable \eqn{w} in `gmm` with `gmm_lags = c(a, b)`, the transformed
#' equation of period \eqn{t} is instrumented by \eqn{w_{t-a}, \dots, w_{t-b}},
#' one column per period and lag (Holtz-Eakin, Newey and Rosen), or one column
#' per lag with `collapse = TRUE`; missing values count as zeros. In system GMM
#' the level equation of period \eqn{t} is instrumented by
#' \eqn{\Delta w_{t-a+1}} (lag \eqn{\max(a-1, 0)}), one column per period or
#' one collapsed column. So `gmm = "y", gmm_lags = c(2, Inf)` is xtabond2's
#' `gmmstyle(L.y)` and pgmm's `lag(y, 2:99)`; a predetermined variable takes
#' `gmm_lags = c(1, Inf)`. `gmm_lags` may be a list with one pair per entry of
#' `gmm`, and `collapse` one flag per entry. Regressors whose variable is not in
#' `gmm` (a lag `l(x, k)` belongs to `x`), and the variables in `iv`, are
#' IV-style instruments: transformed in the transformed equation and in levels
#' in the level equation (one column each, xtabond2's `ivstyle(x)`).
#' Time dummies (`time_dummies = TRUE`, the default, as in the published
#' Arellano-Bond and Blundell-Bond estimates) are one per period of the sample
#' but the first, named `year::1980` and so on. In difference GMM they enter
#' transformed and instrument themselves (xtabond2's `iv(yr*)`); in system GMM
#' they and the intercept instrument the level equation only (xtabond2's
#' `ivstyle(yr*, equation(level))`, pgmm's `effect = "twoways"`). The intercept
#' of the formula enters system GMM in the level equation (remove it with
#' `- 1`); differencing removes it in difference GMM. Unbalanced panels and
#' gaps are handled on the calendar: a first difference needs the two
#' consecutive periods, a forward orthogonal deviation uses all the unit's later
#' complete periods (so orthogonal deviations lose fewer observations in panels
#' with gaps).
#'
#' @section Estimation and standard errors:
#' The one-step weighting matrix is \eqn{(\sum_i Z_i'H_iZ_i)^{-1}} with
#' \eqn{H_i} the covariance of the stacked errors under i.i.d. level errors
#' (xtabond2's default `h(3)`, which pgmm also uses); the two-step weighting
#' matrix is \eqn{(\sum_i Z_i'\hat e_i\hat e_i'Z_i)^{-1}} from the one-step
#' residuals. When a weighting matrix is singular a Moore-Penrose inverse is
#' used, with a warning, as xtabond2 and pgmm do. With `robust = TRUE` the
#' one-step variance is the cluster-robust sandwich by unit (through the
#' package's variance engine) and the two-step variance carries Windmeijer's
#' (2005) finite-sample correction; with `robust = FALSE` they are
#' \eqn{\hat\sigma^2 (X'ZAZ'X)^{-1}} and the uncorrected two-step variance.
#' By default no small-sample factor is applied and tests are z tests, which
#' is what xtabond2 (without `small`) and pgmm report. `ssc = exr_ssc(K_adj =
#' TRUE, G_adj = TRUE)` multiplies the robust variances by
#' \eqn{(n-1)/(n-K) \cdot G/(G-1)} (\eqn{n} observations of the main equation,
#' \eqn{G} units) and the one-step non-robust one by \eqn{n/(n-K)}, which is
#' xtabond2's `small` (pgmm has no such option); t tests then use \eqn{G-1}
#' degrees of freedom.
#'
#' @section Specification tests:
#' [glance()] reports the Arellano-Bond tests for autocorrelation of order 1
#' and 2 in the differenced residuals (`ar1`, `ar1_p`, `ar2`, `ar2_p`; after
#' orthogonal deviations, on the residuals in differences, as xtabond2), the
#' Sargan and Hansen tests of the overidentifying restrictions (`sargan`,
#' `sargan_p`, `hansen`, `hansen_p`, with `*_df`), a Wald test that the slopes
#' are zero (`wald`, `wald_df`, `wald_p`; time dummies and intercept excluded,
#' as pgmm), `n_instruments` (the rank of the instrument set, xtabond2's count)
#' and `n_groups`. `$diff_hansen` holds the difference-in-Hansen tests of each
#' instrument group: each variable in `gmm`, the level-equation GMM instruments
#' (system GMM) and the IV-style instruments (with the time dummies), computed
#' as xtabond2 does (the restricted model re-estimated with the submatrix of
#' the two-step moment covariance). A warning is given when the instruments
#' outnumber the units.
#'
#' @section xtabond2 and pgmm conventions:
#' The two references differ in a few places; `convention` picks one and the
#' default is xtabond2's (Stata is what published tables, the paper's Table 5
#' included, are made with).
#' * Sargan: xtabond2's Sargan is the non-robust statistic from the one-step
#'   residuals, \eqn{\hat e_1'Z(\sum Z_i'H_iZ_i)^{-1}Z'\hat e_1/\hat\sigma^2}
#'   with \eqn{\hat\sigma^2} the sum of squared transformed residuals over
#'   twice their number (once for orthogonal deviations), as in xtabond2 3.7;
#'   its Hansen is the two-step minimised criterion (reported after one-step
#'   estimation too). pgmm prints as "Sargan" the criterion with the two-step
#'   weighting matrix at the model's own estimates: after a two-step fit that
#'   is the Hansen statistic; after a one-step fit a statistic xtabond2 does
#'   not report. `convention = "plm"` reports pgmm's statistic as `sargan`;
#'   `$overid` holds all three. The paper's Table 5 reports "Sargan" p-values
#'   from Stata: xtabond2's Sargan (the default).
#' * AR tests in system GMM: both use the differenced residuals, but xtabond2
#'   (and Arellano and Bond's variance formula) covariances them with the moments
#'   of the whole system, whereas pgmm 2.6 uses the differenced equation's
#'   moments only; `convention = "plm"` reproduces pgmm. In difference GMM they
#'   agree.
#' * IV-style instruments in system GMM: one column in both equations
#'   (xtabond2) or one column per equation (pgmm).
#' * Level-equation GMM instruments: \eqn{\Delta w_{t-a+1}} (xtabond2) or
#'   always \eqn{\Delta w_{t-1}} (pgmm); the same for the usual `a = 2`.
#' * Sample: xtabond2 uses every period where the data allow; pgmm drops
#'   the first `a` periods of the calendar from the transformed equation
#'   (`a - 1` from the level equation), which differs only when the smallest
#'   GMM lag exceeds the formula's longest lag plus one.
#' * Observations: `nobs()` counts the main equation (the level equation in
#'   system GMM), as xtabond2; pgmm prints the stacked rows of both equations.
#' * One-step non-robust variance: \eqn{\hat\sigma^2(X'Z(\sum Z_i'H_iZ_i)^{-1}Z'X)^{-1}}
#'   in both conventions (xtabond2, Stata's xtabond); pgmm's `vcov()` omits
#'   \eqn{\hat\sigma^2}, and its non-robust AR statistics after one-step
#'   estimation differ accordingly.
#'
#' @param formula `y ~ l(y, 1) + x1 + x2`: the equation in levels (no fixed
#'   effects part: the transformation removes them).
#' @param data a data frame (or [exr_panel()]).
#' @param panel `c(id, time)` column names (time in whole numbers, e.g. years),
#'   unless `data` is an [exr_panel()].
#' @param gmm the variables instrumented GMM-style: a character vector of
#'   expressions (`c("y", "log(k)")`) or a one-sided formula (`~ y + log(k)`).
#' @param gmm_lags the lag range `c(a, b)` of the GMM-style instruments
#'   (`b = Inf` for all available lags), or a list of such pairs, one per
#'   entry of `gmm`.
#' @param iv further IV-style instruments (strictly exogenous variables not in
#'   the formula): a character vector or one-sided formula, or `NULL`.
#' @param system `TRUE` for system GMM, `FALSE` for difference GMM.
#' @param steps `1` or `2`.
#' @param collapse collapse the GMM-style instruments (Roodman 2009): `TRUE`,
#'   `FALSE`, or one flag per entry of `gmm`.
#' @param transformation `"fd"` (first differences) or `"fod"` (forward
#'   orthogonal deviations).
#' @param time_dummies include time dummies?
#' @param robust robust standard errors (cluster-robust by unit for one step,
#'   Windmeijer-corrected for two steps)?
#' @param convention `"xtabond2"` (default) or `"plm"`; see the section above.
#' @param ssc small-sample conventions ([exr_ssc()]); `NULL` for none (the
#'   references' default).
#' @return An object of class `c("exr_gmm", "exr_model")` with
#'   `coefficients` (formula terms, `(Intercept)` in system GMM, time
#'   dummies), `vcov`, `se`, `nobs`, `stats` (see [glance()]), `fixef` (the
#'   unit identifier, whose effects the transformation removes, and the time
#'   variable when there are time dummies: [reg_table()] marks both "Yes"),
#'   `coefficients_onestep`, `diff_hansen` (a data frame), `overid`, `n_groups`,
#'   `obs_per_group`, `n_transformed`, `n_levels`, `steps`, `system`,
#'   `transformation`, `convention`, `robust`, `sigma2` and `obs` (rows of the
#'   data used in the main equation).
#' @references Arellano, M. and S. Bond (1991), Review of Economic Studies 58,
#'   277-297. Blundell, R. and S. Bond (1998), Journal of Econometrics 87,
#'   115-143. Windmeijer, F. (2005), Journal of Econometrics 126, 25-51.
#'   Roodman, D. (2009), How to do xtabond2, Stata Journal 9(1), 86-136.
#' @seealso [reg_table()], [glance.exr_model()].
#' @examples
#' set.seed(1)
#' n <- 150; tt <- 7
#' df <- data.frame(id = rep(seq_len(n), each = tt), year = rep(2001:2007, n))
#' a <- rnorm(n)[df$id]
#' df$x <- a + rnorm(n * tt)
#' df$y <- 0
#' for (t in 2:tt) {
#'   i <- df$year == 2000 + t
#'   df$y[i] <- 0.5 * df$y[df$year == 1999 + t] + 0.3 * df$x[i] + a[i] + rnorm(n)
#' }
#' fit <- sys_gmm(y ~ l(y, 1) + x, df, panel = c("id", "year"), gmm = "y")
#' fit
#' glance(fit)
#' # difference GMM, one step, collapsed instruments, lags 2 to 3
#' sys_gmm(y ~ l(y, 1) + x, df, panel = c("id", "year"), gmm = "y",
#'         gmm_lags = c(2, 3), collapse = TRUE, system = FALSE, steps = 1)
#' @export
sys_gmm <- function(formula, data, panel = NULL, gmm, gmm_lags = c(2, Inf), iv = NULL,
                    system = TRUE, steps = 2, collapse = FALSE,
                    transformation = c("fd", "fod"), time_dummies = TRUE, robust = TRUE,
                    convention = c("xtabond2", "plm"), ssc = NULL) {
  call <- match.call()
  transformation <- match_choice(transformation, c("fd", "fod"), "transformation")
  convention <- match_choice(convention, c("xtabond2", "plm"), "convention")
  system <- check_flag(system, "system")
  robust <- check_flag(robust, "robust")
  time_dummies <- check_flag(time_dummies, "time_dummies")
  if (!is.numeric(steps) || length(steps) != 1L || !(steps %in% c(1, 2))) {
    exr_error("steps", "expected 1 or 2.")
  }
  if (convention == "plm" && transformation == "fod") {
    exr_error("convention", "plm::pgmm has no orthogonal deviations; use convention = \"xtabond2\".")
  }
  ssc <- if (is.null(ssc)) exr_ssc(K_adj = FALSE, G_adj = FALSE, t_df = "normal") else as_ssc(ssc)
  fml <- parse_fixest_formula(formula)
  if (length(fml$fe)) {
    exr_error("formula", "has a fixed-effects part; GMM removes the unit effects by its ",
              "transformation (use time_dummies for the time effects).")
  }
  if (!is.null(fml$endo)) {
    exr_error("formula", "has an IV part; give GMM-style instruments in `gmm` and others in `iv`.")
  }
  check_data_frame(data)
  pv <- panel_vars(data, panel)
  if (is.null(pv)) exr_error("panel", "sys_gmm() needs the panel: give panel = c(id, time) or an exr_panel.")
  if (missing(gmm) || is.null(gmm)) {
    exr_error("gmm", "no GMM-style instruments: name the variables to instrument by their lags, ",
              "e.g. gmm = \"y\" for the lagged outcome.")
  }
  gm <- gmm_exprs(gmm, "gmm")
  if (!length(gm$labels)) {
    exr_error("gmm", "no GMM-style instruments: name at least one variable.")
  }
  ng <- length(gm$labels)
  lagm <- gmm_lag_spec(gmm_lags, gm$labels)
  coll <- gmm_flag_spec(collapse, gm$labels, "collapse")
  ivx <- if (is.null(iv)) NULL else gmm_exprs(iv, "iv")
  parts <- NULL
  if (!is.null(ivx) && length(ivx$labels)) {
    parts <- list(iv = stats::as.formula(paste("~", paste(ivx$labels, collapse = " + "), "- 1"),
                                         env = fml$env))
  }
  d <- build_design(fml, data, panel = pv, parts = parts, singletons = "keep")
  pidx <- d$index
  n_all <- nrow(data)

  # the GMM-style variables on every row (a lag reaches rows whose other variables are missing)
  gmm_check_vars(gm, data, d$env)
  GV <- vapply(seq_len(ng), function(j) {
    v <- eval_in_data(gm$exprs[[j]], data, d$env, "gmm")
    if (!is.numeric(v) && !is.logical(v)) {
      exr_error("gmm", "'", gm$labels[j], "' must be numeric, not ", class(v)[1L], ".")
    }
    if (length(v) != n_all) exr_error("gmm", "'", gm$labels[j], "' does not have one value per row.")
    check_finite(as.double(v), gm$labels[j], "gmm")
    as.double(v)
  }, numeric(n_all))
  dim(GV) <- c(n_all, ng)

  # calendar: whole-number periods
  tv <- pidx$time[pidx$valid]
  if (any(tv != round(tv))) exr_error("panel", "the time column must hold whole numbers (e.g. years).")
  T <- as.integer(pidx$span)
  if (T > 10000L) exr_error("panel", "the time column spans ", T, " periods; expected consecutive whole numbers.")
  per <- rep(-1L, n_all)
  per[pidx$valid] <- as.integer(round(pidx$time[pidx$valid] - pidx$tmin))

  # complete rows (y, regressors, iv present; a valid panel index)
  kv <- d$keep & pidx$valid
  sel <- pidx$valid[d$keep]
  X <- d$X
  y <- d$y
  ivm <- d$parts$iv
  if (!all(sel)) {
    X <- X[sel, , drop = FALSE]
    y <- y[sel]
    if (!is.null(ivm)) ivm <- ivm[sel, , drop = FALSE]
  }
  pos <- rep(-1L, n_all)
  pos[kv] <- seq_len(sum(kv)) - 1L
  has_icpt <- "(Intercept)" %in% colnames(X)
  if (has_icpt) X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
  icpt <- as.integer(system && has_icpt)
  if (!ncol(X) && !icpt) exr_error("formula", "has no regressors.")

  # IV-style: regressors whose variable is not instrumented GMM-style, and `iv`
  bases <- gmm_column_bases(X, d$assign[colnames(d$X) != "(Intercept)"], fml)
  ivstyle <- !(bases %in% gm$labels)
  IV <- cbind(X[, ivstyle, drop = FALSE], ivm)
  if (is.null(IV)) IV <- matrix(0, nrow(X), 0L)
  storage.mode(IV) <- "double"

  # sample rules of the conventions
  gml <- min(lagm[, 1L])
  first_d <- if (convention == "plm") max(1L, as.integer(gml)) else 1L
  first_l <- if (convention == "plm") max(0L, as.integer(gml) - 1L) else 0L

  # time dummies: one per period of the main equation's sample but the first
  fod <- transformation == "fod"
  per_kv <- per
  per_kv[!kv] <- -1L
  P <- gmm_sample_periods(pidx, kv, per_kv, system, fod, first_d, first_l)
  dum_p <- integer(0)
  if (time_dummies && length(P) >= 2L) dum_p <- if (system && !icpt) P else P[-1L]
  if (time_dummies && system && !icpt && length(P) == 1L) dum_p <- P
  nd <- length(dum_p)
  dmap <- rep(-1L, T)
  dmap[dum_p + 1L] <- seq_len(nd) - 1L
  dum_names <- if (nd) paste0(pv[2L], "::", format(pidx$tmin + dum_p, scientific = FALSE, trim = TRUE))
  else character(0)

  for (g in seq_len(ng)) {
    if (lagm[g, 1L] > T - 1) {
      exr_error("gmm_lags", "no instrument from '", gm$labels[g], "' with lags from ", lagm[g, 1L],
                ": the panel has only ", T, " periods.")
    }
  }
  ispec <- as.integer(c(T, ncol(X), icpt, nd, ncol(IV), ng, system, fod,
                        system && convention == "plm", first_d, first_l,
                        if (nd == 0L) 0L else if (system) 2L else 1L))
  levlag <- if (convention == "plm") rep(1, ng) else pmax(lagm[, 1L] - 1, 0)
  bl <- ifelse(is.finite(lagm[, 2L]), pmin(lagm[, 2L], T), -1)
  gspec <- matrix(as.integer(c(lagm[, 1L], bl, coll, levlag)), ng, 4L)
  lay <- .Call(C_gmm_layout, ispec, gspec)
  storage.mode(X) <- "double"
  args <- list(ispec, gspec, as.integer(pidx$order - 1L), as.integer(pidx$start), per, pos,
               as.double(y), X, IV, GV, as.integer(dmap))
  cpass <- function(fun, ...) do.call(.Call, c(list(fun), args, list(...)))

  mom <- cpass(C_gmm_moments)
  n_tr <- sum(mom$ntr)
  n_lev <- sum(mom$nlev)
  if (n_tr == 0L) {
    exr_error("data", "too few periods for the lags requested: no unit has the consecutive ",
              "complete periods the transformed equation needs.")
  }
  reg_names <- c(colnames(X), if (icpt) "(Intercept)", dum_names)
  K_all <- length(reg_names)
  dimnames(mom$XX) <- list(reg_names, reg_names)

  # instruments that are nonzero somewhere; every GMM group must contribute
  zk <- mom$nz > 0
  groups <- gmm_instrument_groups(lay, gm$labels, system, ncol(IV), nd)
  for (g in seq_len(ng)) {
    if (!any(zk[groups$gmm[[g]]])) {
      exr_error("gmm_lags", "no instrument from '", gm$labels[g], "' with lags ", lagm[g, 1L],
                " to ", lagm[g, 2L], " is available: the panel has too few periods (", T, ").")
    }
  }
  # regressors collinear in the stacked system (time dummies after the formula's terms)
  xk <- drop_collinear_xtx(mom$XX, what = NULL)$kept
  dropped <- reg_names[!xk]
  shown <- setdiff(dropped, dum_names)
  if (length(shown)) {
    message("exportres: dropped collinear regressor(s) in the transformed system: ",
            paste(shown, collapse = ", "))
  }
  K <- sum(xk)
  ZX <- mom$ZX[zk, xk, drop = FALSE]
  Zy <- mom$Zy[zk]
  ZHZ <- mom$ZHZ[zk, zk, drop = FALSE]
  Lk <- sum(zk)

  # one step
  A1 <- gmm_ginv(ZHZ)
  n_instr <- A1$rank
  if (n_instr < K) {
    exr_error("gmm", "the model is not identified: ", n_instr, " instruments for ", K,
              " coefficients.")
  }
  if (A1$singular) {
    exr_warning("gmm", "the one-step weighting matrix (sum of Z'HZ) is singular; a generalised ",
                "inverse is used (as xtabond2 and pgmm do).")
  }
  s1 <- gmm_step(ZX, Zy, A1$inv)
  full_beta <- function(b) { out <- numeric(K_all); out[xk] <- b; out }
  full_M <- function(M) { out <- matrix(0, nrow(M), length(zk)); out[, zk] <- M; out }
  r1 <- cpass(C_gmm_residual, full_beta(s1$b), full_M(s1$M))
  S <- r1$S[zk, zk, drop = FALSE]
  main_rows <- if (system) mom$nlev else mom$ntr
  used <- main_rows > 0L
  n_groups <- sum(used)
  nobs <- if (system) n_lev else n_tr
  if (n_instr > n_groups) {
    exr_warning("gmm", "the instruments (", n_instr, ") outnumber the units (", n_groups,
                "): the Hansen test is weak and the two-step estimates are unreliable; ",
                "consider collapse = TRUE or a shorter gmm_lags.")
  }

  # two step (the Hansen statistic is computed after a one-step fit too, as xtabond2)
  A2 <- gmm_ginv(S)
  if (A2$singular) {
    exr_warning("gmm", "the two-step weighting matrix (sum of Z'ee'Z) is singular; a generalised ",
                "inverse is used (as xtabond2 and pgmm do)", if (steps == 1) " for the Hansen test", ".")
  }
  s2 <- gmm_step(ZX, Zy, A2$inv)
  Ze1 <- Zy - drop(ZX %*% s1$b)
  Ze2 <- Zy - drop(ZX %*% s2$b)
  hansen <- sum(Ze2 * drop(A2$inv %*% Ze2))
  df_over <- n_instr - K
  tdiv <- if (fod) 1 else 2
  sig2 <- r1$ssr_tr / (tdiv * n_tr)
  sargan_xt <- sum(Ze1 * drop(A1$inv %*% Ze1)) / sig2
  st <- if (steps == 1) s1 else s2
  Ze_m <- if (steps == 1) Ze1 else Ze2
  sargan_plm <- sum(Ze_m * drop(A2$inv %*% Ze_m))

  # variance
  kfac <- if (ssc$K_adj) (nobs - 1) / (nobs - K) else 1
  gfac <- if (ssc$G_adj) n_groups / (n_groups - 1) else 1
  coef_names <- reg_names[xk]
  V1r <- s1$B %*% s1$M %*% S %*% t(s1$M) %*% s1$B
  vcov_type <- "iid"
  df_t <- Inf
  sig2_v <- sig2
  if (steps == 1 && robust) {
    dimnames(s1$B) <- list(coef_names, coef_names)
    ve <- vcov_engine(s1$B, r1$scores[used, , drop = FALSE], "cluster",
                      stats::setNames(list(seq_len(n_groups)), pv[1L]), n = nobs, K = K, ssc = ssc)
    V <- ve$vcov
    df_t <- ve$df_t
    vcov_type <- "cluster"
  } else if (steps == 1) {
    if (ssc$K_adj) sig2_v <- r1$ssr_tr / (tdiv * (n_tr - K))
    V <- sig2_v * s1$B
  } else if (robust) {
    a_full <- numeric(length(zk))
    a_full[zk] <- drop(A2$inv %*% Ze2)
    Draw <- cpass(C_gmm_windmeijer, full_beta(s1$b), a_full)[zk, xk, drop = FALSE]
    Dw <- s2$B %*% s2$M %*% Draw
    V <- s2$B + Dw %*% V1r %*% t(Dw) + Dw %*% s2$B + s2$B %*% t(Dw)
    V <- (V + t(V)) / 2 * kfac * gfac
    vcov_type <- "windmeijer"
  } else {
    V <- s2$B * kfac * gfac
  }
  if (vcov_type != "cluster" && ssc$t_df != "normal" && (robust || steps == 2)) df_t <- n_groups - 1
  if (vcov_type == "iid" && ssc$t_df != "normal" && steps == 1) df_t <- nobs - K
  dimnames(V) <- list(coef_names, coef_names)

  # Arellano-Bond AR(1), AR(2), with the variance before any small-sample
  # factor (xtabond2 applies `small` to the reported copy only)
  V_ar <- if (steps == 1 && !robust) sig2 * s1$B else V / (kfac * gfac)
  V0 <- if (steps == 1) s1$B else s2$B
  Mst <- st$M
  ar_sig2 <- if (steps == 1 && !robust) sig2_v else 0
  arp <- cpass(C_gmm_ar, full_beta(st$b), 1:2, as.double(ar_sig2),
               as.integer(system && convention == "plm"))
  ar <- vapply(1:2, function(l) {
    xw <- arp$Xw[xk, l]
    zhw <- arp$ZHw[zk, l]
    dd <- arp$wHw[l] + sum(xw * (-2 * drop(V0 %*% (Mst %*% zhw)) + drop(V_ar %*% xw)))
    if (arp$num[l] == 0 || !(dd > 0)) NA_real_ else arp$num[l] / sqrt(dd)
  }, numeric(1))

  # difference-in-Hansen (or -Sargan after one-step non-robust estimation)
  nonrob1 <- steps == 1 && !robust
  J_full <- if (nonrob1) sargan_xt else hansen
  Smat <- if (nonrob1) ZHZ * sig2 else S
  diffh <- gmm_diff_hansen(groups, zk, ZX, Zy, Smat, ZHZ, J_full, n_instr, K,
                           if (nonrob1) "Sargan" else "Hansen")

  # Wald test of the slopes (formula regressors), as pgmm
  b <- st$b
  names(b) <- coef_names
  slopes <- intersect(colnames(X), coef_names)
  wald <- NA_real_
  if (length(slopes)) {
    w <- tryCatch(sum(b[slopes] * solve(V[slopes, slopes, drop = FALSE], b[slopes])),
                  error = function(e) NA_real_)
    wald <- w
  }
  sargan_rep <- if (convention == "plm") sargan_plm else sargan_xt
  pchi <- function(x, df) if (is.na(x) || df <= 0) NA_real_ else stats::pchisq(x, df, lower.tail = FALSE)
  stats <- list(ar1 = ar[1L], ar1_p = 2 * stats::pnorm(-abs(ar[1L])),
                ar2 = ar[2L], ar2_p = 2 * stats::pnorm(-abs(ar[2L])),
                sargan = sargan_rep, sargan_df = df_over, sargan_p = pchi(sargan_rep, df_over),
                hansen = hansen, hansen_df = df_over, hansen_p = pchi(hansen, df_over),
                wald = wald, wald_df = length(slopes), wald_p = pchi(wald, length(slopes)),
                n_instruments = n_instr, n_groups = n_groups)
  obs_rows <- gmm_main_rows(pidx, kv, per_kv, system, fod, first_d, first_l)
  mpg <- main_rows[used]
  b1 <- s1$b
  names(b1) <- coef_names
  # the unit effects are removed by the transformation, the time effects by dummies
  fixef <- c(pv[1L], if (nd > 0L) pv[2L])
  new_exr_model("gmm", b, V, nobs, call, formula, fixef = fixef,
                cluster = if (robust) pv[1L] else NULL, vcov_type = vcov_type, df_t = df_t,
                stats = stats, keep = obs_rows, depvar = d$lhs_name,
                coefficients_onestep = b1, diff_hansen = diffh,
                overid = list(sargan_xtabond2 = sargan_xt, sargan_plm = sargan_plm,
                              hansen = hansen, df = df_over),
                n_groups = n_groups, obs_per_group = c(min = min(mpg), avg = mean(mpg), max = max(mpg)),
                n_transformed = n_tr, n_levels = if (system) n_lev else 0L, steps = as.integer(steps),
                system = system, transformation = transformation, convention = convention,
                robust = robust, sigma2 = sig2, n_dropped = d$n_na, collinear = shown,
                gmm = data.frame(variable = gm$labels, lag_from = lagm[, 1L], lag_to = lagm[, 2L],
                                 collapse = coll, stringsAsFactors = FALSE),
                ssc = ssc, n_params = K)
}

# ---- helpers -----------------------------------------------------------------

# `gmm` / `iv`: a character vector of expressions or a one-sided formula ->
# list(exprs, labels) with labels deparsed canonically.
gmm_exprs <- function(x, arg) {
  if (inherits(x, "formula")) {
    if (length(x) != 2L) exr_error(arg, "expected a one-sided formula such as `~ y + x`.")
    lab <- attr(stats::terms(x), "term.labels")
  } else if (is.character(x) && !anyNA(x)) {
    lab <- x
  } else {
    exr_error(arg, "expected a character vector of variables (or expressions) or a one-sided formula.")
  }
  exprs <- lapply(lab, function(s) {
    tryCatch(str2lang(s), error = function(e) exr_error(arg, "could not parse '", s, "'."))
  })
  labels <- vapply(exprs, deparse1, "")
  if (anyDuplicated(labels)) exr_error(arg, "lists '", labels[anyDuplicated(labels)], "' twice.")
  list(exprs = exprs, labels = labels)
}

gmm_check_vars <- function(gm, data, env) {
  vars <- unique(unlist(lapply(gm$exprs, all.vars)))
  miss <- vars[!vars %in% names(data) &
                 !vapply(vars, exists, logical(1), envir = env, inherits = TRUE)]
  if (length(miss)) {
    exr_error("gmm", "unknown variable(s) ", paste0("'", miss, "'", collapse = ", "),
              " (not columns of `data`).")
  }
}

# gmm_lags -> ng x 2 matrix (a, b); b may be Inf.
gmm_lag_spec <- function(gmm_lags, labels) {
  ng <- length(labels)
  one <- function(v) {
    if (!is.numeric(v) || length(v) != 2L || anyNA(v) || v[1L] < 0 || v[2L] < v[1L] ||
        v[1L] != round(v[1L]) || (is.finite(v[2L]) && v[2L] != round(v[2L]))) {
      exr_error("gmm_lags", "expected c(a, b) with whole numbers 0 <= a <= b (b may be Inf).")
    }
    v
  }
  if (is.list(gmm_lags)) {
    if (!is.null(names(gmm_lags)) && all(names(gmm_lags) %in% labels)) {
      gmm_lags <- gmm_lags[labels]
      if (any(vapply(gmm_lags, is.null, logical(1)))) {
        exr_error("gmm_lags", "a named list needs one entry per variable in `gmm`.")
      }
    }
    if (length(gmm_lags) != ng) exr_error("gmm_lags", "expected one pair c(a, b) per entry of `gmm`.")
    return(do.call(rbind, lapply(gmm_lags, one)))
  }
  matrix(one(gmm_lags), ng, 2L, byrow = TRUE)
}

gmm_flag_spec <- function(x, labels, arg) {
  if (!is.logical(x) || anyNA(x) || !(length(x) %in% c(1L, length(labels)))) {
    exr_error(arg, "expected TRUE/FALSE, or one flag per entry of `gmm`.")
  }
  rep_len(x, length(labels))
}

# The variable each regressor column belongs to: the first argument of a panel
# operator (l(x, 1), f(x), d(x)), else the term itself.
gmm_column_bases <- function(X, assign, fml) {
  labs <- attr(stats::terms(fml$rhs), "term.labels")
  base_of <- function(lab) {
    e <- str2lang(lab)
    if (is.call(e) && as.character(e[[1L]]) %in% c("l", "f", "d") && length(e) >= 2L) {
      return(deparse1(e[[2L]]))
    }
    deparse1(e)
  }
  tb <- vapply(labs, base_of, "")
  if (is.null(assign) || length(assign) != ncol(X)) return(colnames(X))
  unname(tb[assign])
}

# Periods (0-based) of the main equation's sample: the level rows (system) or
# the periods the transformed rows involve (difference GMM).
gmm_sample_periods <- function(pidx, kv, per, system, fod, first_d, first_l) {
  if (system) return(sort(unique(per[kv & per >= first_l])))
  if (!fod) {
    li <- panel_shift_index(pidx, 1)
    lagc <- !is.na(li) & kv[ifelse(is.na(li), 1L, li)]
    tr <- kv & lagc & per >= first_d
    return(sort(unique(c(per[tr], per[tr] - 1L))))
  }
  cnt <- tabulate(pidx$id[kv], nbins = pidx$n_groups)
  ok <- kv
  ok[kv] <- cnt[pidx$id[kv]] >= 2L
  sort(unique(per[ok]))
}

# Rows of the data in the main equation (the result's `obs`).
gmm_main_rows <- function(pidx, kv, per, system, fod, first_d, first_l) {
  if (system) return(kv & per >= first_l)
  if (!fod) {
    li <- panel_shift_index(pidx, 1)
    lagc <- !is.na(li) & kv[ifelse(is.na(li), 1L, li)]
    return(kv & lagc & per >= first_d)
  }
  # forward orthogonal deviations: complete rows with a later complete row
  lastp <- rep(-1L, pidx$n_groups)
  idk <- pidx$id[kv]
  pk <- per[kv]
  lastp <- vapply(split(pk, factor(idk, levels = seq_len(pidx$n_groups))),
                  function(v) if (length(v)) max(v) else -1L, integer(1))
  out <- kv
  out[kv] <- pk < lastp[idk] & pk + 1L >= first_d
  out
}

# Instrument columns (1-based) of each difference-in-Hansen group.
gmm_instrument_groups <- function(lay, labels, system, q, nd) {
  rng <- function(off, n) if (off < 0L || n <= 0L) integer(0) else seq.int(off + 1L, length.out = n)
  gmm <- lapply(seq_along(labels), function(g) {
    c(rng(lay$off_gd[g], lay$n_gd[g]), rng(lay$off_gl[g], lay$n_gl[g]))
  })
  lev <- if (system) unlist(lapply(seq_along(labels), function(g) rng(lay$off_gl[g], lay$n_gl[g])))
  ivc <- c(rng(lay$off_iv, q), rng(lay$off_ivl, q), rng(lay$off_dum, nd))
  list(gmm = gmm, labels = labels, levels = lev, iv = ivc)
}

# Inverse of a symmetric positive semi-definite matrix: Cholesky of the
# equilibrated matrix when it has full rank, else the Moore-Penrose inverse
# (MASS::ginv's tolerance, as pgmm). Returns list(inv, rank, singular).
gmm_ginv <- function(S) {
  n <- nrow(S)
  if (n == 0L) return(list(inv = S, rank = 0L, singular = FALSE))
  dg <- sqrt(pmax(diag(S), 0))
  dg[dg == 0] <- 1
  Ss <- S / outer(dg, dg)
  ch <- suppressWarnings(tryCatch(chol(Ss, pivot = TRUE, tol = 1e-10), error = function(e) NULL))
  if (!is.null(ch) && attr(ch, "rank") == n) {
    R <- tryCatch(chol(Ss), error = function(e) NULL)
    if (!is.null(R)) return(list(inv = chol2inv(R) / outer(dg, dg), rank = n, singular = FALSE))
  }
  sv <- svd(S)
  tol <- sqrt(.Machine$double.eps) * max(sv$d)
  pos <- sv$d > tol
  inv <- sv$v[, pos, drop = FALSE] %*% (t(sv$u[, pos, drop = FALSE]) / sv$d[pos])
  list(inv = (inv + t(inv)) / 2, rank = sum(pos), singular = TRUE)
}

# One GMM step with weighting matrix A: list(b, B = (X'ZAZ'X)^{-1}, M = X'ZA).
gmm_step <- function(ZX, Zy, A) {
  M <- crossprod(ZX, A)
  H <- M %*% ZX
  H <- (H + t(H)) / 2
  B <- tryCatch(solve(H), error = function(e) NULL)
  if (is.null(B) || any(!is.finite(B))) {
    exr_error("gmm", "the model is not identified: X'Z A Z'X is singular (the instruments do ",
              "not determine every coefficient).")
  }
  list(b = drop(B %*% (M %*% Zy)), B = B, M = M)
}

# Difference-in-Hansen/Sargan tests, as xtabond2: for each group, the model
# re-estimated without it, weighted by the submatrix of the full model's
# moment covariance.
gmm_diff_hansen <- function(groups, zk, ZX, Zy, Smat, ZHZ, J_full, n_instr, K, test) {
  idx_k <- cumsum(zk)
  to_k <- function(cols) sort(unique(idx_k[cols[zk[cols]]]))
  grp <- list()
  for (g in seq_along(groups$gmm)) grp[[paste0("gmm(", groups$labels[g], ")")]] <- groups$gmm[[g]]
  if (length(groups$levels)) grp[["GMM instruments for levels"]] <- groups$levels
  if (length(groups$iv)) grp[["IV-style instruments"]] <- groups$iv
  rows <- lapply(names(grp), function(nm) {
    gk <- to_k(grp[[nm]])
    if (!length(gk)) return(NULL)
    p <- setdiff(seq_len(ncol(ZHZ)), gk)
    n_other <- if (length(p)) gmm_ginv(ZHZ[p, p, drop = FALSE])$rank else 0L
    if (n_other < K || n_other >= n_instr) return(NULL)
    App <- gmm_ginv(Smat[p, p, drop = FALSE])$inv
    st <- tryCatch(gmm_step(ZX[p, , drop = FALSE], Zy[p], App), exportres_error = function(e) NULL)
    if (is.null(st)) return(NULL)
    e <- Zy[p] - drop(ZX[p, , drop = FALSE] %*% st$b)
    J_ex <- sum(e * drop(App %*% e))
    df_g <- n_instr - n_other
    df_ex <- n_instr - K - df_g
    data.frame(group = nm, test = test, n_instruments = df_g, excluding = J_ex,
               excluding_df = df_ex,
               excluding_p = stats::pchisq(J_ex, df_ex, lower.tail = FALSE),
               difference = J_full - J_ex, difference_df = df_g,
               difference_p = stats::pchisq(J_full - J_ex, df_g, lower.tail = FALSE),
               stringsAsFactors = FALSE)
  })
  out <- do.call(rbind, rows[!vapply(rows, is.null, logical(1))])
  if (is.null(out)) {
    out <- data.frame(group = character(0), test = character(0), n_instruments = integer(0),
                      excluding = numeric(0), excluding_df = numeric(0), excluding_p = numeric(0),
                      difference = numeric(0), difference_df = numeric(0),
                      difference_p = numeric(0), stringsAsFactors = FALSE)
  }
  rownames(out) <- NULL
  out
}

#' @export
print.exr_gmm <- function(x, digits = 4, ...) {
  step <- if (x$steps == 1L) "One-step" else "Two-step"
  kind <- if (x$system) "system" else "difference"
  tr <- if (x$transformation == "fod") ", orthogonal deviations" else ""
  cat(sprintf("%s %s GMM%s, dependent variable: %s\n", step, kind, tr, x$depvar))
  opg <- x$obs_per_group
  cat(sprintf("Observations: %s (%s equation)  Groups: %s  Obs per group: min %d, avg %.2f, max %d\n",
              format(x$nobs, big.mark = ","), if (x$system) "levels" else "transformed",
              format(x$n_groups, big.mark = ","), as.integer(opg[["min"]]), opg[["avg"]],
              as.integer(opg[["max"]])))
  cat(sprintf("Instruments: %d  (conventions: %s)\n", x$stats$n_instruments, x$convention))
  cat("Standard errors: ", vcov_label(x), "\n", sep = "")
  print_coef_table(coef_table(x), digits, z = !is.finite(model_df(x)))
  if (length(x$collinear)) cat("Dropped (collinear):", paste(x$collinear, collapse = ", "), "\n")
  s <- x$stats
  f2 <- function(v) if (is.na(v)) "NA" else formatC(v, digits = 2, format = "f")
  f3 <- function(v) if (is.na(v)) "NA" else formatC(v, digits = 3, format = "f")
  cat(sprintf("Arellano-Bond AR(1) in differences: z = %s  Pr > |z| = %s\n", f2(s$ar1), f3(s$ar1_p)))
  cat(sprintf("Arellano-Bond AR(2) in differences: z = %s  Pr > |z| = %s\n", f2(s$ar2), f3(s$ar2_p)))
  cat(sprintf("Sargan test of overid. restrictions: chi2(%d) = %s  Prob > chi2 = %s%s\n",
              as.integer(s$sargan_df), f2(s$sargan), f3(s$sargan_p),
              if (x$convention == "plm") " (pgmm's)" else " (not robust)"))
  cat(sprintf("Hansen test of overid. restrictions: chi2(%d) = %s  Prob > chi2 = %s (robust)\n",
              as.integer(s$hansen_df), f2(s$hansen), f3(s$hansen_p)))
  if (!is.na(s$wald)) {
    cat(sprintf("Wald test of the slopes: chi2(%d) = %s  Prob > chi2 = %s\n",
                as.integer(s$wald_df), f2(s$wald), f3(s$wald_p)))
  }
  invisible(x)
}
