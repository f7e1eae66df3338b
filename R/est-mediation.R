# Mediation with absorbed fixed effects (the paper's eqs. (5)-(6)): the three
# least-squares equations are fe_reg() models on one common sample, the
# indirect effect a*b is tested by the Sobel, Aroian and Goodman formulas, and
# a cluster bootstrap of a*b runs in C (src/resample.c). Helpers shared with
# moderation() and subgroup() (treatment, added terms, equation formulas) are
# at the end of this file.

#' Mediation analysis with fixed effects and clustered standard errors
#'
#' Estimates the three equations of a mediation model in the fixed-effects
#' setting of applied panel work (Baron and Kenny 1986; the paper's eqs. (5)
#' and (6)), with absorbed fixed effects and controls:
#' \deqn{Y = c\,T + \delta'X + FE + e_1 \quad\textrm{(total effect)}}
#' \deqn{M = a\,T + \delta'X + FE + e_2 \quad\textrm{(eq. 5)}}
#' \deqn{Y = c'\,T + b\,M + \delta'X + FE + e_3 \quad\textrm{(eq. 6)}}
#' and reports a, b, the total effect c, the direct effect c', the indirect
#' effect \eqn{ab} (equal to \eqn{c - c'}: the three equations are fitted on
#' the same rows) and the share mediated \eqn{ab/c}.
#'
#' @section Tests of the indirect effect:
#' With \eqn{s_a}, \eqn{s_b} the standard errors of a and b (clustered,
#' robust or iid as `cluster`/`vcov` say, with [fe_reg()]'s conventions):
#' Sobel (1982) \eqn{z = ab / \sqrt{b^2 s_a^2 + a^2 s_b^2}}; Aroian (1947)
#' adds \eqn{s_a^2 s_b^2} under the root, Goodman (1960) subtracts it (`NA`
#' when the difference is negative). Two-sided p-values from the normal
#' distribution. These are in [glance()] as `sobel`, `sobel_p`, `aroian`,
#' `aroian_p`, `goodman`, `goodman_p`.
#'
#' @section Bootstrap:
#' The product \eqn{ab} is not normal in small samples, so a bootstrap interval
#' is preferable (MacKinnon, Lockwood and Williams 2004). `boot` draws resample
#' whole clusters with replacement (the first cluster variable; rows when the
#' standard errors are not clustered), as `boot::boot()` on the cluster ids
#' does, and re-estimate all equations. Resampling whole clusters is the same
#' as weighting each cluster by the number of times it is drawn (a duplicated
#' cluster keeps identical data, and its fixed effects identical values), so
#' each draw is a weighted regression on the original design, computed in C,
#' in parallel over draws (`cores`), or over the nodes of a `parallel` cluster
#' (`cl`). The draws use R's random numbers in the main process, in the order
#' `boot::boot()` uses them, so `set.seed()` reproduces the result whatever
#' `cores` or `cl`, and equals `boot::boot()`'s resamples for the same seed.
#' The intervals are the percentile interval and the bias-corrected percentile
#' interval (Efron 1982; `boot::boot.ci()`'s BCa with zero acceleration), with
#' `boot.ci()`'s interpolation of order statistics. Draws in which a model
#' cannot be estimated (a regressor without variation) are left out, with a
#' warning.
#'
#' @section Several mediators:
#' Each mediator gets its own pair of equations (5)-(6) side by side, as in
#' the paper's Table 8 (simple mediation per mediator, not a joint model with
#' all mediators in equation (6)). All equations use the rows complete in the
#' response, the regressors and every mediator.
#'
#' [reg_table()] lays a mediation out as columns (5), (6) for each mediator,
#' the Sobel statistics as rows of the eq.-(6) column (e.g.
#' `stats = c("indirect", "sobel", "sobel_p", "nobs", "r.squared")`).
#'
#' @param formula `y ~ treatment + controls | fixed effects`, as in [fe_reg()].
#' @param mediator mediator names (columns of `data` or terms such as
#'   `log(m)`), or a one-sided formula `~ m1 + m2`.
#' @param data a data frame.
#' @param treatment the treatment term; by default the first regressor.
#' @param boot number of bootstrap draws (0 for none).
#' @param level confidence level of the intervals.
#' @param cluster,vcov,weights,panel,ssc,singletons,fixef_tol,fixef_maxit as in [fe_reg()].
#' @param cores threads for the bootstrap (default `getOption("exportres.cores", 1)`).
#' @param cl a cluster from [parallel::makeCluster()] to spread the bootstrap
#'   over (the package must be installed on its nodes), or `NULL`.
#' @return An object of class `exr_mediation`: a list with `effects` (one row
#'   per mediator and effect: `a`, `b`, `total`, `direct`, `indirect`, `share`,
#'   with estimate, standard error, statistic, p-value and interval), `tests`
#'   (Sobel, Aroian, Goodman per mediator), `boot` (the draws of the indirect
#'   effects and shares, the intervals, the number of failed draws), `models`
#'   (`total`, and lists `a` and `b` of [fe_reg()] fits, one per mediator),
#'   `treatment`, `mediators`, `nobs`, `level`, `call`. Methods: `print`,
#'   `summary`, `coef`, `tidy`, `glance`, `plot` (the bootstrap distribution).
#' @references Baron, R. M. and Kenny, D. A. (1986). The moderator-mediator
#'   variable distinction. *Journal of Personality and Social Psychology* 51,
#'   1173-1182. Sobel, M. E. (1982). Asymptotic confidence intervals for
#'   indirect effects in structural equation models. *Sociological Methodology*
#'   13, 290-312. MacKinnon, D. P., Lockwood, C. M. and Williams, J. (2004).
#'   Confidence limits for the indirect effect. *Multivariate Behavioral
#'   Research* 39, 99-128.
#' @seealso [moderation()], [subgroup()], [reg_table()].
#' @examples
#' set.seed(1)
#' df <- data.frame(firm = rep(1:40, each = 8), year = rep(1:8, 40), x = rnorm(320))
#' df$m <- 0.5 * df$x + rnorm(40)[df$firm] + rnorm(320)
#' df$y <- 0.3 * df$x + 0.4 * df$m + rnorm(320)
#' med <- mediation(y ~ x | firm + year, "m", df, cluster = ~firm, boot = 200)
#' med
#' glance(med)
#' reg_table(med, stats = c("indirect", "sobel", "sobel_p", "nobs"))
#' @export
mediation <- function(formula, mediator, data, treatment = NULL, boot = 1000L, level = 0.95,
                      cluster = NULL, vcov = NULL, weights = NULL, panel = NULL, ssc = NULL,
                      singletons = c("drop", "keep"), fixef_tol = 1e-10, fixef_maxit = 10000L,
                      cores = getOption("exportres.cores", 1L), cl = NULL) {
  call <- match.call()
  singletons <- match_choice(singletons, c("drop", "keep"), "singletons")
  vcov <- vcov_choice(vcov)
  ssc <- as_ssc(ssc)
  cores <- check_cores(cores)
  cl <- check_cl(cl)
  B <- check_draws(boot, "boot", min = 0L)
  level <- check_level(level)
  fml <- parse_fixest_formula(formula)
  if (!is.null(fml$endo)) exr_error("formula", "has an IV part; mediation() takes `y ~ x | fe`.")
  med_terms <- term_labels_arg(mediator, "mediator")
  rhs_labs <- rhs_term_labels(fml)
  clash <- intersect(med_terms, rhs_labs)
  if (length(clash)) {
    exr_error("mediator", "'", clash[1L], "' is also a regressor of `formula`; a mediator ",
              "enters only equation (6).")
  }
  if (deparse1(fml$lhs) %in% med_terms) exr_error("mediator", "is the response of `formula`.")
  check_term_vars(med_terms, data, fml$env, "mediator")
  fml_all <- add_rhs_terms(fml, med_terms)
  d <- build_design(fml_all, data, panel = panel, cluster = cluster, weights = weights,
                    singletons = singletons)
  med_cols <- single_columns(d, med_terms, "mediator")
  base_cols <- setdiff(colnames(d$X), med_cols)
  treat <- resolve_treatment(d, base_cols, treatment, med_cols)
  for (m in med_cols) {
    if (isTRUE(all.equal(d$X[, m], d$X[, treat], tolerance = 0, check.attributes = FALSE))) {
      exr_error("mediator", "'", m, "' is equal to the treatment '", treat, "'.")
    }
  }

  # the equations, one common sample
  eq_fit <- function(y, yname, cols, labels, what = NULL) {
    de <- d
    de$y <- y
    de$lhs_name <- yname
    fit <- fit_within(de, fixef_tol, fixef_maxit, cores, X = d$X[, cols, drop = FALSE], y = y,
                      what = what)
    need <- intersect(c(treat, med_cols), cols)
    lost <- need[!fit$kept[match(need, cols)]]
    if (length(lost)) {
      exr_error(if (lost[1L] == treat) "treatment" else "mediator", "'", lost[1L],
                "' is collinear with the other regressors or absorbed by the fixed effects ",
                "in the equation of ", yname, ".")
    }
    f <- equation_formula(yname, labels, fml)
    m <- fe_model(fit, de, vcov, ssc, call, f)
    m$call <- call("fe_reg", f)
    m
  }
  all_labs <- rhs_term_labels(fml_all)
  labs_of <- function(cols) column_labels(d, cols, all_labs)
  total <- eq_fit(d$y, d$lhs_name, base_cols, labs_of(base_cols), what = "regressor")
  a_mods <- b_mods <- stats::setNames(vector("list", length(med_cols)), med_cols)
  for (m in med_cols) {
    a_mods[[m]] <- eq_fit(d$X[, m], m, base_cols, labs_of(base_cols))
    bc <- append(base_cols, m, after = match(treat, base_cols))
    b_mods[[m]] <- eq_fit(d$y, d$lhs_name, bc, labs_of(bc))
  }

  # effects and the tests of a*b
  c_tot <- unname(total$coefficients[treat])
  tests <- do.call(rbind, lapply(med_cols, function(m) {
    a <- unname(a_mods[[m]]$coefficients[treat]); sa <- unname(a_mods[[m]]$se[treat])
    b <- unname(b_mods[[m]]$coefficients[m]); sb <- unname(b_mods[[m]]$se[m])
    sobel_tests(a, sa, b, sb, m)
  }))

  # the cluster bootstrap
  bt <- NULL
  if (B > 0L) {
    bt <- mediation_boot(d, treat, med_cols, total, a_mods, b_mods, B, level, fixef_tol,
                         fixef_maxit, cores, cl, vcov)
  }
  effects <- mediation_effects(treat, med_cols, total, a_mods, b_mods, tests, bt, level)
  for (m in med_cols) {
    tr <- tests[tests$mediator == m, ]
    b_mods[[m]]$stats[c("indirect", "sobel", "sobel_p", "aroian", "aroian_p", "goodman",
                        "goodman_p")] <- as.list(unname(unlist(tr[c("indirect", "sobel", "sobel_p",
                                                                    "aroian", "aroian_p", "goodman",
                                                                    "goodman_p")])))
    b_mods[[m]]$stats$share_mediated <- tr$indirect / c_tot
  }
  structure(list(effects = effects, tests = tests, boot = bt,
                 models = list(total = total, a = a_mods, b = b_mods),
                 treatment = treat, mediators = med_cols, outcome = d$lhs_name,
                 nobs = length(d$y), level = level, fixef = names(d$fe),
                 vcov_label = vcov_label(total), call = call, formula = formula),
            class = "exr_mediation")
}

# Sobel, Aroian and Goodman tests of a*b from a, b and their standard errors.
sobel_tests <- function(a, sa, b, sb, mediator = "") {
  ab <- a * b
  base <- b^2 * sa^2 + a^2 * sb^2
  se <- c(sobel = sqrt(base), aroian = sqrt(base + sa^2 * sb^2),
          goodman = if (base - sa^2 * sb^2 > 0) sqrt(base - sa^2 * sb^2) else NA_real_)
  z <- ab / se
  p <- 2 * stats::pnorm(-abs(z))
  data.frame(mediator = mediator, a = a, se_a = sa, b = b, se_b = sb, indirect = ab,
             sobel_se = se[["sobel"]], sobel = z[["sobel"]], sobel_p = p[["sobel"]],
             aroian_se = se[["aroian"]], aroian = z[["aroian"]], aroian_p = p[["aroian"]],
             goodman_se = se[["goodman"]], goodman = z[["goodman"]], goodman_p = p[["goodman"]],
             stringsAsFactors = FALSE)
}

# The bootstrap: counts of whole clusters drawn in R's RNG (boot's order), the
# equations re-estimated in C as count-weighted regressions.
mediation_boot <- function(d, treat, med_cols, total, a_mods, b_mods, B, level, fixef_tol,
                           fixef_maxit, cores, cl, vcov) {
  type <- resolve_vcov_type(vcov, d$cluster, d$fe)
  clv <- resolve_clusters(type, d$cluster, d$fe)
  n <- length(d$y)
  unit <- if (length(clv)) clv[[1L]] else seq_len(n)
  unit_name <- if (length(clv)) names(clv)[1L] else "observation"
  G <- max(unit)
  counts <- draw_cluster_counts(G, B)
  Z <- cbind(d$y, d$X)
  colnames(Z) <- c("(response)", colnames(d$X))
  eqs <- list(list(y = "(response)", x = names(total$coefficients)))
  for (m in med_cols) {
    eqs[[length(eqs) + 1L]] <- list(y = m, x = names(a_mods[[m]]$coefficients))
    eqs[[length(eqs) + 1L]] <- list(y = "(response)", x = names(b_mods[[m]]$coefficients))
  }
  res <- resample_fe_ls(Z, d$fe, d$weights, unit, counts, eqs, fixef_tol = fixef_tol,
                        fixef_maxit = fixef_maxit, cores = cores, cl = cl,
                        progress = show_progress() && B >= 200L)
  off <- cumsum(c(0L, vapply(eqs, function(e) length(e$x), integer(1))))
  coef_of <- function(e, name) res$coef[, off[e] + match(name, eqs[[e]]$x)]
  c_star <- coef_of(1L, treat)
  ok <- res$status == 0L
  ind <- share <- matrix(NA_real_, B, length(med_cols), dimnames = list(NULL, med_cols))
  for (j in seq_along(med_cols)) {
    m <- med_cols[j]
    ab <- coef_of(2L * j, treat) * coef_of(2L * j + 1L, m)
    ab[!ok] <- NA_real_
    ind[, j] <- ab
    share[, j] <- ab / c_star
  }
  failed <- sum(!ok)
  if (failed > 0L) {
    exr_warning("boot", failed, " of ", B, " bootstrap draws could not be estimated (a regressor ",
                "without variation in the resample) and are left out.")
  }
  if (any(res$iterations < 0L)) {
    exr_warning("fixef_maxit", "the fixed-effect projections did not converge in some ",
                "bootstrap draws; raise `fixef_maxit`.")
  }
  t0 <- vapply(med_cols, function(m) {
    unname(a_mods[[m]]$coefficients[treat] * b_mods[[m]]$coefficients[m])
  }, numeric(1))
  ci <- function(f, draws, est) {
    out <- t(vapply(seq_along(med_cols), function(j) f(draws[, j], est[j]), numeric(2)))
    dimnames(out) <- list(med_cols, c("low", "high"))
    out
  }
  s0 <- t0 / unname(total$coefficients[treat])
  list(B = B, unit = unit_name, n_units = G, indirect = ind, share = share, failed = failed,
       level = level, se = apply(ind, 2L, stats::sd, na.rm = TRUE),
       percentile = ci(function(t, e) boot_ci_percentile(t, level), ind, t0),
       bc = ci(function(t, e) boot_ci_bc(t, e, level), ind, t0),
       share_percentile = ci(function(t, e) boot_ci_percentile(t, level), share, s0),
       share_bc = ci(function(t, e) boot_ci_bc(t, e, level), share, s0),
       iterations = mean(abs(res$iterations)))
}

# One row per mediator and effect.
mediation_effects <- function(treat, med_cols, total, a_mods, b_mods, tests, bt, level) {
  row <- function(m, effect, fit, term) {
    tab <- coef_table(fit)[term, ]
    ci <- confint(fit, term, level = level)
    data.frame(mediator = m, effect = effect, estimate = tab$estimate, std.error = tab$std.error,
               statistic = tab$statistic, p.value = tab$p.value, conf.low = ci[1L, 1L],
               conf.high = ci[1L, 2L], stringsAsFactors = FALSE)
  }
  out <- lapply(med_cols, function(m) {
    tr <- tests[tests$mediator == m, ]
    ind_ci <- if (is.null(bt)) tr$indirect + c(-1, 1) * stats::qnorm((1 + level) / 2) * tr$sobel_se else
      bt$percentile[m, ]
    c_tot <- unname(total$coefficients[treat])
    share_ci <- if (is.null(bt)) c(NA_real_, NA_real_) else bt$share_percentile[m, ]
    rbind(row(m, "a", a_mods[[m]], treat), row(m, "b", b_mods[[m]], m),
          row(m, "total", total, treat), row(m, "direct", b_mods[[m]], treat),
          data.frame(mediator = m, effect = "indirect", estimate = tr$indirect,
                     std.error = tr$sobel_se, statistic = tr$sobel, p.value = tr$sobel_p,
                     conf.low = ind_ci[1L], conf.high = ind_ci[2L], stringsAsFactors = FALSE),
          data.frame(mediator = m, effect = "share", estimate = tr$indirect / c_tot,
                     std.error = NA_real_, statistic = NA_real_, p.value = NA_real_,
                     conf.low = share_ci[1L], conf.high = share_ci[2L], stringsAsFactors = FALSE))
  })
  out <- do.call(rbind, out)
  rownames(out) <- NULL
  out
}

#' @export
print.exr_mediation <- function(x, digits = 4, ...) {
  cat(sprintf("Mediation analysis: treatment %s, outcome %s\n", x$treatment, x$outcome))
  cat(sprintf("Observations: %s", format(x$nobs, big.mark = ",")))
  if (length(x$fixef)) cat("; fixed effects:", paste(x$fixef, collapse = ", "))
  cat("\nStandard errors:", x$vcov_label, "\n")
  fmt <- function(v) ifelse(is.na(v), "", formatC(v, digits = digits, format = "f"))
  for (m in x$mediators) {
    e <- x$effects[x$effects$mediator == m, ]
    lab <- c(a = sprintf("a  (%s -> %s)", x$treatment, m),
             b = sprintf("b  (%s -> %s)", m, x$outcome),
             total = "c  (total effect)", direct = "c' (direct effect)",
             indirect = "ab (indirect effect)", share = "ab/c (share mediated)")
    cat(sprintf("\nMediator %s\n", m))
    tab <- data.frame(Estimate = fmt(e$estimate), `Std. Error` = fmt(e$std.error),
                      `z/t` = ifelse(is.na(e$statistic), "", formatC(e$statistic, digits = 3, format = "f")),
                      `Pr(>|z/t|)` = ifelse(is.na(e$p.value), "", format.pval(e$p.value, digits = 3)),
                      ` ` = stars_of(e$p.value), row.names = lab[e$effect], check.names = FALSE)
    print(tab, right = TRUE)
    t <- x$tests[x$tests$mediator == m, ]
    cat(sprintf("Sobel z = %s (p = %s); Aroian z = %s (p = %s); Goodman z = %s (p = %s)\n",
                fmt(t$sobel), format.pval(t$sobel_p, digits = 3), fmt(t$aroian),
                format.pval(t$aroian_p, digits = 3), fmt(t$goodman),
                if (is.na(t$goodman_p)) "NA" else format.pval(t$goodman_p, digits = 3)))
    if (!is.null(x$boot)) {
      bt <- x$boot
      cat(sprintf("Bootstrap (%d draws of whole %s clusters): %g%% percentile [%s, %s], bias-corrected [%s, %s]\n",
                  bt$B - bt$failed, bt$unit, 100 * bt$level, fmt(bt$percentile[m, 1L]),
                  fmt(bt$percentile[m, 2L]), fmt(bt$bc[m, 1L]), fmt(bt$bc[m, 2L])))
    }
  }
  invisible(x)
}

#' Methods for mediation results
#'
#' `summary()` prints the three equations and the effects; `coef()` gives
#' the effects (named `<mediator>:<effect>`); `tidy()` one row per mediator
#' and effect (the indirect effect's interval is the bootstrap percentile
#' interval when there is a bootstrap, else the normal interval from the
#' Sobel standard error); `glance()` one row per mediator with the tests;
#' `plot()` the bootstrap distribution of each indirect effect with the
#' estimate and both intervals.
#'
#' @param object,x an `exr_mediation` from [mediation()].
#' @param ... unused (passed to [graphics::hist()] by `plot()`).
#' @return `coef()`: a named numeric vector; `tidy()`, `glance()`: data
#'   frames; `summary()`, `plot()`: the object, invisibly.
#' @examples
#' set.seed(2)
#' df <- data.frame(g = rep(1:30, each = 6), t = rep(1:6, 30), x = rnorm(180))
#' df$m <- 0.6 * df$x + rnorm(180)
#' df$y <- 0.2 * df$x + 0.5 * df$m + rnorm(180)
#' med <- mediation(y ~ x | g + t, "m", df, cluster = ~g, boot = 199)
#' coef(med)
#' tidy(med)
#' glance(med)
#' plot(med)
#' @name exr_mediation
NULL

#' @rdname exr_mediation
#' @export
summary.exr_mediation <- function(object, ...) {
  m <- object$models
  cat("Total effect:\n")
  print(m$total)
  for (k in object$mediators) {
    cat(sprintf("\nEquation (5), mediator %s:\n", k))
    print(m$a[[k]])
    cat(sprintf("\nEquation (6), mediator %s:\n", k))
    print(m$b[[k]])
  }
  cat("\n")
  print(object)
  invisible(object)
}

#' @rdname exr_mediation
#' @export
coef.exr_mediation <- function(object, ...) {
  e <- object$effects
  stats::setNames(e$estimate, paste0(e$mediator, ":", e$effect))
}

#' @rdname exr_mediation
#' @export
nobs.exr_mediation <- function(object, ...) object$nobs

#' @rdname exr_mediation
#' @export
tidy.exr_mediation <- function(x, ...) {
  e <- x$effects
  data.frame(mediator = e$mediator, term = e$effect, e[setdiff(names(e), c("mediator", "effect"))],
             row.names = NULL, stringsAsFactors = FALSE)
}

#' @rdname exr_mediation
#' @export
glance.exr_mediation <- function(x, ...) {
  t <- x$tests
  out <- data.frame(mediator = t$mediator, nobs = x$nobs, indirect = t$indirect,
                    share = t$indirect / unname(x$models$total$coefficients[x$treatment]),
                    sobel = t$sobel, sobel_p = t$sobel_p, aroian = t$aroian, aroian_p = t$aroian_p,
                    goodman = t$goodman, goodman_p = t$goodman_p, stringsAsFactors = FALSE)
  if (!is.null(x$boot)) {
    b <- x$boot
    out$boot_se <- unname(b$se[t$mediator])
    out$boot_low <- unname(b$percentile[t$mediator, 1L])
    out$boot_high <- unname(b$percentile[t$mediator, 2L])
    out$bc_low <- unname(b$bc[t$mediator, 1L])
    out$bc_high <- unname(b$bc[t$mediator, 2L])
    out$n_boot <- b$B - b$failed
  }
  out
}

#' @rdname exr_mediation
#' @export
plot.exr_mediation <- function(x, ...) {
  if (is.null(x$boot)) exr_error("x", "has no bootstrap draws (fit it with boot > 0).")
  k <- length(x$mediators)
  if (k > 1L) {
    op <- graphics::par(mfrow = c(1L, k))
    on.exit(graphics::par(op))
  }
  for (m in x$mediators) {
    t <- x$boot$indirect[, m]
    t <- t[is.finite(t)]
    est <- x$tests$indirect[x$tests$mediator == m]
    graphics::hist(t, breaks = 40, col = "grey85", border = "white", las = 1,
                   main = sprintf("Indirect effect via %s", m),
                   xlab = sprintf("a*b (%d bootstrap draws)", length(t)), ...)
    graphics::abline(v = est, col = "#1f4e8c", lwd = 2)
    graphics::abline(v = x$boot$percentile[m, ], col = "#b2182b", lty = 2)
    graphics::abline(v = x$boot$bc[m, ], col = "#4d9221", lty = 3, lwd = 1.5)
    graphics::abline(v = 0, col = "grey40")
    graphics::legend("topright", c("estimate", "percentile CI", "bias-corrected CI"),
                     col = c("#1f4e8c", "#b2182b", "#4d9221"), lty = c(1, 2, 3), bty = "n",
                     cex = 0.8)
  }
  invisible(x)
}

# ---- helpers shared by mediation(), moderation() and subgroup() ---------------

# Term labels from names or a one-sided formula.
term_labels_arg <- function(x, arg) {
  if (inherits(x, "formula")) {
    if (length(x) != 2L) exr_error(arg, "expected names or a one-sided formula such as `~ m1 + m2`.")
    labs <- attr(stats::terms(x), "term.labels")
  } else if (is.character(x) && length(x) >= 1L && !anyNA(x) && all(nzchar(x))) {
    labs <- vapply(x, function(s) {
      e <- tryCatch(str2lang(s), error = function(e) exr_error(arg, "could not parse '", s, "'."))
      deparse1(e)
    }, "", USE.NAMES = FALSE)
  } else {
    exr_error(arg, "expected names (a character vector) or a one-sided formula.")
  }
  if (!length(labs)) exr_error(arg, "is empty.")
  if (anyDuplicated(labs)) exr_error(arg, "names '", labs[anyDuplicated(labs)], "' twice.")
  labs
}

# Every variable of the terms must be a column of data or visible from env.
check_term_vars <- function(labels, data, env, arg) {
  check_data_frame(data)
  vars <- unique(unlist(lapply(labels, function(l) all.vars(str2lang(l)))))
  miss <- vars[!vars %in% names(data) & !vapply(vars, exists, logical(1), envir = env)]
  if (length(miss)) {
    exr_error(arg, "unknown variable(s) ", paste0("'", miss, "'", collapse = ", "),
              " (not columns of `data`).")
  }
  invisible(labels)
}

rhs_term_labels <- function(fml) attr(stats::terms(fml$rhs), "term.labels")

# The parsed formula with terms added to its regressors.
add_rhs_terms <- function(fml, labels) {
  rhs <- fml$rhs[[2L]]
  for (l in labels) rhs <- call("+", rhs, str2lang(l))
  fml$rhs <- stats::as.formula(call("~", rhs), env = fml$env)
  fml
}

# The design column of each single-column term (an error for a term that
# expands into several columns, such as a factor).
single_columns <- function(d, labels, arg) {
  for (l in labels) {
    if (!(l %in% colnames(d$X))) {
      exr_error(arg, "'", l, "' must be one numeric column (not a factor or several columns).")
    }
  }
  labels
}

# The treatment: a single-column regressor, by default the first.
resolve_treatment <- function(d, cols, treatment, exclude = character(0), arg = "treatment") {
  cand <- setdiff(cols, c("(Intercept)", exclude))
  if (is.null(treatment)) {
    if (!length(cand)) exr_error("formula", "has no regressor to serve as the treatment.")
    treatment <- cand[1L]
  } else {
    if (!is.character(treatment) || length(treatment) != 1L || is.na(treatment)) {
      exr_error(arg, "expected one regressor name.")
    }
    treatment <- deparse1(str2lang(treatment))
    if (treatment %in% exclude) exr_error(arg, "'", treatment, "' is also given as a mediator or moderator.")
    if (!(treatment %in% cand)) {
      exr_error(arg, "'", treatment, "' is not a regressor of `formula` (regressors: ",
                paste(cand, collapse = ", "), ").")
    }
  }
  a <- d$assign[match(treatment, colnames(d$X))]
  if (!is.null(d$assign) && sum(d$assign == a) > 1L) {
    exr_error(arg, "'", treatment, "' must be a single numeric column, not a term with several columns.")
  }
  treatment
}

# Term labels of design columns (the term each column comes from), in order;
# `labels` are the term labels of the formula the design was built from.
column_labels <- function(d, cols, labels) {
  unique(vapply(cols, function(cn) {
    a <- d$assign[match(cn, colnames(d$X))]
    if (cn == "(Intercept)" || is.na(a) || a == 0L) return("1")
    labels[a]
  }, "", USE.NAMES = FALSE))
}

# y ~ labels | fe as a formula in the original formula's environment.
equation_formula <- function(lhs, labels, fml) {
  labels <- setdiff(labels, "1")
  icpt <- attr(stats::terms(fml$rhs), "intercept") == 1L
  rhs <- if (length(labels)) paste(labels, collapse = " + ") else "1"
  if (!icpt && !length(fml$fe)) rhs <- paste(rhs, "- 1")
  if (length(fml$fe)) rhs <- paste(rhs, "|", paste(fml$fe, collapse = " + "))
  stats::as.formula(paste(lhs, "~", rhs), env = fml$env)
}
