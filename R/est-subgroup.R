# Heterogeneity by subgroups (the paper's Table 7): one fixed-effects fit per
# group, and two tests that a key coefficient is the same in every group: a
# Fisher permutation test (re-estimation in C, src/resample.c) and a stacked,
# cluster-robust Wald test (the equivalent of Stata's suest / bdiff).

#' Subgroup regressions with tests of equal coefficients across groups
#'
#' Splits the sample into groups, fits the same fixed-effects regression in
#' each (as [fe_reg()] would on the group's rows), and tests whether the key
#' coefficient (`term`, by default the first regressor) is the same in all
#' groups. Applied papers usually compare split-sample coefficients by eye;
#' the two tests here are those applied economists use in Stata (`bdiff`,
#' `suest`).
#'
#' @section Groups:
#' `groups` is one of
#' * the name of a numeric column: a median split, `High <var>` (above the
#'   median) and `Low <var>` (at or below). `median_by = "time"` (the default)
#'   takes the median within each period of the panel (each year), which is
#'   what the paper's Table 7 implies: its text splits risk exposure "by the
#'   median of each year", and its group sizes (1,277 and 1,902; 1,585) are not
#'   multiples of the 11 years, so cities change group from year to year, as
#'   per-year splits (not a split of cities by their average) do;
#'   `median_by = NULL` takes the pooled median of all rows, and a column name
#'   the median within each of its values. The median is over all rows where the
#'   variable is known. A 0/1 column is taken as a logical;
#' * the name of a logical, factor or character column, or such a vector with
#'   one value per row: one group per value (for a logical, `<var>` and
#'   `not <var>`);
#' * a named list of conditions, one-sided formulas evaluated in `data` (e.g.
#'   `list(East = ~ region == "east", West = ~ region != "east")`) or logical
#'   vectors. Groups must not overlap; rows in no group are not used.
#'
#' @section Tests:
#' *Permutation* (Fisher's permutation test, as `bdiff` in Stata): the group
#' labels are permuted `B` times, each group's regression is re-estimated on
#' its permuted rows, and the p-value is the share of permutations whose
#' statistic is at least the observed one, \eqn{(1 + \#\{T^* \ge T\})/(B + 1)}.
#' The statistic is \eqn{T = \sum_t \sum_g (b_{gt} - \bar b_t)^2 / v_t}, over
#' the key terms \eqn{t} and groups \eqn{g} (\eqn{v_t} the mean squared
#' standard error of term \eqn{t}; with two groups and one term this is the
#' two-sided test of \eqn{|b_1 - b_2|}); with two groups `p_one_sided` is
#' `bdiff`'s one-sided share. What is permuted (`permute = "auto"`): whole
#' clusters (the first cluster variable, else the panel unit, else the first
#' fixed effect) when the groups are constant within them (a coastal flag, a
#' city-level split), else rows, within each period for a per-period median
#' split (each year keeps its group sizes). The draws use R's random numbers in
#' the main process (so `set.seed()` reproduces them whatever `cores` or
#' `cl`); each permuted group is a 0/1-weighted regression on the design,
#' re-estimated in C with the fixed effects demeaned from warm starts.
#'
#' *Stacked* (the `suest` equivalent): the groups' regressions are stacked into
#' one system with group-specific coefficients and fixed effects (exactly the
#' fully interacted regression `y ~ x:group | fe^group`), whose variance is
#' clustered by `cluster` across groups (so the same city in two groups
#' counts as one cluster), heteroskedasticity-robust when there is no
#' `cluster` (as `suest`), with [fe_reg()]'s small-sample conventions; the
#' Wald statistic of equal key coefficients is reported as
#' \eqn{F = W/q} with \eqn{(q, G-1)} degrees of freedom when clustered (as
#' `fixest::wald()` and Stata's `test` after `regress`; `suest` reports
#' \eqn{W} against \eqn{\chi^2_q}, also given as `chi2`).
#'
#' [reg_table()] lays the result out as one column per group with the test's
#' p-value as the statistic `diff_p` (in the first group's column): e.g.
#' `reg_table(sg, keep = "dig", stats = c("diff_p", "nobs", "r.squared"))`.
#'
#' @param formula `y ~ x + controls | fixed effects`, as in [fe_reg()].
#' @param data a data frame.
#' @param groups how to split (see Groups).
#' @param test `"permutation"` (default), `"stacked"` (alias `"suest"`), or
#'   both (`c("permutation", "stacked")` given explicitly in another order,
#'   or `"both"`); the first is the one reported as `diff_p`.
#' @param term the key coefficient(s) compared across groups; by default the
#'   first regressor.
#' @param B number of permutations.
#' @param median_by for a median split: `"time"` (the panel's time variable,
#'   which needs `panel` or an [exr_panel()]), `NULL` (pooled), or a column name.
#' @param permute `"auto"`, `"cluster"` or `"rows"` (see Tests).
#' @param cluster,vcov,weights,panel,ssc,singletons,fixef_tol,fixef_maxit as in [fe_reg()].
#' @param cores threads for the permutations.
#' @param cl a cluster from [parallel::makeCluster()] for the permutations, or `NULL`.
#' @return An object of class `exr_subgroup`: a list with `fits` (one
#'   [fe_reg()] model per group, named by the group labels), `groups` (a data
#'   frame: group, rows, nobs), `term`, `tests` (a data frame: test,
#'   statistic, df1, df2, p.value, draws, p_one_sided, difference), `permutation`
#'   (the permutation statistics and differences, what was permuted),
#'   `stacked` (coefficients and variance of the stacked system), `split` (a
#'   description, and the medians of a median split), `call`. Methods:
#'   `print`, `coef`, `nobs`, `tidy`, `glance`, `plot`.
#' @references Cleary, S. (1999). The relationship between firm investment and
#'   financial status. *Journal of Finance* 54, 673-692 (the permutation test
#'   of group differences used by `bdiff`). Weesie, J. (1999). Seemingly
#'   unrelated estimation and the cluster-adjusted sandwich estimator. *Stata
#'   Technical Bulletin* 52, 34-47 (`suest`).
#' @seealso [mediation()], [moderation()], [reg_table()].
#' @examples
#' set.seed(4)
#' df <- data.frame(g = rep(1:60, each = 6), year = rep(1:6, 60), x = rnorm(360),
#'                  coast = rep(rep(c(TRUE, FALSE), 30), each = 6))
#' df$y <- ifelse(df$coast, 0.2, 0.8) * df$x + rnorm(60)[df$g] + rnorm(360)
#' sg <- subgroup(y ~ x | g + year, df, groups = "coast", cluster = ~g, B = 199,
#'                test = "both")
#' sg
#' reg_table(sg, stats = c("diff_p", "nobs"))
#' @export
subgroup <- function(formula, data, groups, test = c("permutation", "stacked"), term = NULL,
                     B = 1000L, median_by = "time", permute = c("auto", "cluster", "rows"),
                     cluster = NULL, vcov = NULL, weights = NULL, panel = NULL, ssc = NULL,
                     singletons = c("drop", "keep"), fixef_tol = 1e-10, fixef_maxit = 10000L,
                     cores = getOption("exportres.cores", 1L), cl = NULL) {
  call <- match.call()
  check_data_frame(data)
  tests <- subgroup_tests_arg(test)
  permute <- match_choice(permute, c("auto", "cluster", "rows"), "permute")
  singletons <- match_choice(singletons, c("drop", "keep"), "singletons")
  vcov <- vcov_choice(vcov)
  ssc <- as_ssc(ssc)
  cores <- check_cores(cores)
  cl <- check_cl(cl)
  if ("permutation" %in% tests) B <- check_draws(B, "B", min = 19L)
  fml <- parse_fixest_formula(formula)
  if (!is.null(fml$endo)) exr_error("formula", "has an IV part; subgroup() takes `y ~ x | fe`.")
  sp <- subgroup_split(groups, data, median_by, panel, fml$env)
  K <- length(sp$labels)
  if (K < 2L) exr_error("groups", "gives only one group; expected at least two.")

  fits <- designs <- raw <- vector("list", K)
  for (k in seq_len(K)) {
    lab <- sp$labels[k]
    if (!any(sp$group == k, na.rm = TRUE)) exr_error("groups", "group '", lab, "' has no rows.")
    res <- tryCatch({
      d <- build_design(fml, data, panel = panel, cluster = cluster, weights = weights,
                        singletons = singletons, subset = !is.na(sp$group) & sp$group == k)
      fit <- fit_within(d, fixef_tol, fixef_maxit, cores, what = NULL)
      K_all <- param_count(fit$rank, d$fe, list(), exr_ssc(K_fixef = "full"))
      if (length(d$y) - K_all < 1L) {
        exr_error("groups", "group '", lab, "' has ", length(d$y), " observations, too few for ",
                  fit$rank, " coefficients and the fixed effects.")
      }
      list(d = d, fit = fit)
    }, exportres_error = function(e) {
      if (identical(e$arg, "groups")) stop(e)
      exr_error("groups", "group '", lab, "': ", conditionMessage(e))
    })
    designs[[k]] <- res$d
    raw[[k]] <- res$fit
    if (is.null(term)) term <- resolve_treatment(res$d, colnames(res$d$X), NULL)
    if (k == 1L) term <- subgroup_terms(term, res$d)
    kept <- colnames(res$d$X)[res$fit$kept]
    miss <- setdiff(term, kept)
    if (length(miss)) {
      exr_error("groups", "'", miss[1L], "' has no variation within group '", lab,
                "' (after the fixed effects and the other regressors); its coefficient cannot be compared.")
    }
    fits[[k]] <- tryCatch(fe_model(res$fit, res$d, vcov, ssc, call, formula),
                          exportres_error = function(e) {
                            exr_error("groups", "group '", lab, "': ", conditionMessage(e))
                          })
  }
  names(fits) <- sp$labels

  test_rows <- list()
  perm <- stacked <- NULL
  for (tst in tests) {
    if (tst == "permutation") {
      perm <- subgroup_permutation(fml, data, sp, fits, term, B, permute, cluster, weights, panel,
                                   fixef_tol, fixef_maxit, cores, cl)
      test_rows[[tst]] <- perm$row
    } else {
      stacked <- subgroup_stacked(fits, designs, raw, term, data, fml, cluster, vcov, ssc)
      test_rows[[tst]] <- stacked$row
    }
  }
  test_tab <- do.call(rbind, test_rows)
  rownames(test_tab) <- NULL
  fits[[1L]]$stats$diff_p <- test_tab$p.value[1L]
  grp <- data.frame(group = sp$labels, rows = tabulate(sp$group[!is.na(sp$group)], nbins = K),
                    nobs = vapply(fits, function(f) as.integer(f$nobs), integer(1)),
                    row.names = NULL, stringsAsFactors = FALSE)
  structure(list(fits = fits, groups = grp, term = term, tests = test_tab, permutation = perm,
                 stacked = stacked, split = sp[c("description", "kind", "var", "medians", "by")],
                 call = call, formula = formula),
            class = "exr_subgroup")
}

subgroup_tests_arg <- function(test) {
  all <- c("permutation", "stacked")
  if (identical(test, all)) return("permutation")
  if (!is.character(test) || !length(test) || anyNA(test)) {
    exr_error("test", "expected \"permutation\", \"stacked\" or \"both\".")
  }
  test[test == "suest"] <- "stacked"
  if (identical(test, "both")) return(all)
  bad <- setdiff(test, all)
  if (length(bad)) exr_error("test", "expected \"permutation\", \"stacked\" or \"both\", got \"", bad[1L], "\".")
  unique(test)
}

subgroup_terms <- function(term, d) {
  if (!is.character(term) || !length(term) || anyNA(term)) exr_error("term", "expected regressor names.")
  term <- vapply(term, function(s) deparse1(str2lang(s)), "", USE.NAMES = FALSE)
  bad <- setdiff(term, setdiff(colnames(d$X), "(Intercept)"))
  if (length(bad)) {
    exr_error("term", "'", bad[1L], "' is not a regressor of `formula` (regressors: ",
              paste(setdiff(colnames(d$X), "(Intercept)"), collapse = ", "), ").")
  }
  term
}

# The groups: an integer vector over the rows of data (1..K, NA for rows in no
# group), labels, and how they were formed.
subgroup_split <- function(groups, data, median_by, panel, env) {
  n <- nrow(data)
  out <- list(kind = "category", var = NULL, medians = NULL, by = NULL, strata = NULL)
  if (is.list(groups) && !is.data.frame(groups)) {
    nm <- names(groups)
    if (is.null(nm) || anyNA(nm) || any(!nzchar(nm)) || anyDuplicated(nm)) {
      exr_error("groups", "a list of conditions must have distinct names (the group labels).")
    }
    cond <- lapply(seq_along(groups), function(k) {
      g <- groups[[k]]
      if (inherits(g, "formula")) {
        if (length(g) != 2L) exr_error("groups", "condition '", nm[k], "' must be a one-sided formula.")
        g <- eval_in_data(g[[2L]], data, environment(g), "groups")
      }
      if (!is.logical(g) || length(g) != n) {
        exr_error("groups", "condition '", nm[k], "' must give one TRUE/FALSE per row of `data`.")
      }
      g & !is.na(g)
    })
    cnt <- Reduce(`+`, lapply(cond, as.integer))
    if (any(cnt > 1L)) {
      exr_error("groups", "the conditions overlap (", sum(cnt > 1L), " rows are in more than one group).")
    }
    grp <- rep(NA_integer_, n)
    for (k in seq_along(cond)) grp[cond[[k]]] <- k
    out$group <- grp
    out$labels <- nm
    out$kind <- "conditions"
    out$description <- paste("conditions:", paste(nm, collapse = ", "))
    return(out)
  }
  var <- "group"
  v <- groups
  if (is.character(groups) && length(groups) == 1L && n != 1L) {
    check_columns(data, groups, "groups")
    var <- groups
    v <- data[[groups]]
  }
  if (length(v) != n) exr_error("groups", "expected a column name, a vector with one value per row, or a list of conditions.")
  out$var <- var
  if (is.numeric(v) && !all(v[!is.na(v)] %in% c(0, 1))) {
    by <- NULL
    if (!is.null(median_by)) {
      if (!is.character(median_by) || length(median_by) != 1L || is.na(median_by)) {
        exr_error("median_by", "expected \"time\", NULL or a column name.")
      }
      if (median_by == "time") {
        pv <- panel_vars(data, panel)
        if (is.null(pv)) {
          exr_error("median_by", "\"time\" needs the panel: give `panel = c(id, time)` or an ",
                    "exr_panel, or median_by = NULL for the pooled median.")
        }
        median_by <- pv[2L]
      }
      check_columns(data, median_by, "median_by")
      by <- data[[median_by]]
    }
    ok <- !is.na(v) & (if (is.null(by)) TRUE else !is.na(by))
    if (is.null(by)) {
      med <- stats::median(v[ok])
      medv <- rep(med, n)
      out$medians <- med
      out$description <- sprintf("%s above / at or below its median (%s)", var, format(signif(med, 4)))
    } else {
      bc <- codes_of(by)
      meds <- vapply(split(v[ok], bc[ok]), stats::median, numeric(1))
      medv <- rep(NA_real_, n)
      medv[ok] <- meds[as.character(bc[ok])]
      keys <- unique(by[ok])[order(unique(bc[ok]))]
      out$medians <- stats::setNames(unname(meds), format(keys))
      out$by <- median_by
      out$strata <- bc
      out$description <- sprintf("%s above / at or below its median in each %s", var, median_by)
    }
    grp <- rep(NA_integer_, n)
    grp[ok] <- ifelse(v[ok] > medv[ok], 1L, 2L)
    out$group <- grp
    out$labels <- c(paste("High", var), paste("Low", var))
    out$kind <- "median"
    return(out)
  }
  if (is.numeric(v) || is.logical(v)) {
    v <- as.logical(v)
    grp <- ifelse(v, 1L, 2L)
    out$group <- grp
    out$labels <- c(var, paste("not", var))
    out$description <- sprintf("%s (TRUE / FALSE)", var)
    return(out)
  }
  if (is.factor(v) || is.character(v)) {
    lev <- if (is.factor(v)) levels(droplevels(v)) else sort(unique(v[!is.na(v)]))
    out$group <- match(as.character(v), lev)
    out$labels <- paste0(var, " = ", lev)
    out$description <- sprintf("%s (%d values)", var, length(lev))
    return(out)
  }
  exr_error("groups", "expected a column name, a vector with one value per row, or a list of conditions.")
}

# Fisher's permutation test, re-estimated in C: the union of the groups' rows
# as one design; each permutation gives each group a 0/1 weight vector.
subgroup_permutation <- function(fml, data, sp, fits, term, B, permute, cluster, weights, panel,
                                 fixef_tol, fixef_maxit, cores, cl) {
  K <- length(fits)
  in_any <- !is.na(sp$group)
  du <- build_design(fml, data, panel = panel, cluster = cluster, weights = weights,
                     singletons = "keep", subset = in_any)
  lab <- sp$group[du$keep]
  n <- length(lab)
  # the permutation unit: clusters when the groups are constant within them
  unit_codes <- if (length(du$cluster)) du$cluster[[1L]] else if (!is.null(du$panel)) {
    codes_of(data[[du$panel[1L]]][du$keep])
  } else if (length(du$fe)) du$fe[[1L]] else NULL
  unit_name <- if (length(du$cluster)) names(du$cluster)[1L] else if (!is.null(du$panel)) {
    du$panel[1L]
  } else if (length(du$fe)) names(du$fe)[1L] else NULL
  constant <- !is.null(unit_codes) && all(tapply(lab, unit_codes, function(z) all(z == z[1L])))
  by_unit <- switch(permute, auto = constant, cluster = {
    if (!constant) {
      exr_error("permute", "\"cluster\" needs groups that are constant within ",
                if (is.null(unit_name)) "a cluster variable" else paste0("each ", unit_name), ".")
    }
    TRUE
  }, rows = FALSE)
  if (by_unit) {
    unit <- unit_codes
    labels <- lab[match(seq_len(max(unit)), unit)]
    strata <- NULL
    what <- sprintf("whole %s units", unit_name)
  } else {
    unit <- seq_len(n)
    labels <- lab
    strata <- if (!is.null(sp$strata)) codes_of(sp$strata[du$keep]) else NULL
    what <- if (is.null(strata)) "rows" else sprintf("rows within each %s", sp$by)
  }
  draws <- draw_permutations(labels, strata, B)
  draws <- cbind(as.integer(labels), draws)   # the observed assignment first
  kept_all <- Reduce(intersect, lapply(fits, function(f) names(f$coefficients)))
  Z <- cbind(du$y, du$X[, kept_all, drop = FALSE])
  colnames(Z) <- c("(response)", kept_all)
  res <- resample_fe_ls(Z, du$fe, du$weights, unit, draws, list(list(y = "(response)", x = kept_all)),
                        ngroups = K, fixef_tol = fixef_tol, fixef_maxit = fixef_maxit,
                        cores = cores, cl = cl, progress = show_progress() && B >= 200L)
  bmat <- res$coef[, term, drop = FALSE]
  bad <- res$status != 0L
  bmat[bad, ] <- NA_real_
  v <- vapply(term, function(t) mean(vapply(fits, function(f) f$se[[t]]^2, numeric(1))), numeric(1))
  # T = sum over terms of the squared deviations of the K group estimates
  # from their mean, over v; each draw's K groups are consecutive rows
  Tall <- numeric(B + 1L)
  for (j in seq_along(term)) {
    bj <- matrix(bmat[, j], K, B + 1L)
    Tall <- Tall + colSums(sweep(bj, 2L, colMeans(bj))^2) / v[[j]]
  }
  diff_all <- if (K == 2L) bmat[c(TRUE, FALSE), 1L] - bmat[c(FALSE, TRUE), 1L] else NULL
  T0 <- Tall[1L]
  Ts <- Tall[-1L]
  ok <- is.finite(Ts)
  if (sum(!ok)) {
    exr_warning("B", sum(!ok), " of ", B, " permutations could not be estimated (a regressor ",
                "without variation in a permuted group) and are left out.")
  }
  p <- (1 + sum(Ts[ok] >= T0)) / (sum(ok) + 1)
  p1 <- NA_real_
  d0 <- NA_real_
  if (K == 2L && length(term) == 1L) {
    d0 <- diff_all[1L]
    ds <- diff_all[-1L][ok]
    p1 <- if (d0 >= 0) (1 + sum(ds >= d0)) / (length(ds) + 1) else (1 + sum(ds <= d0)) / (length(ds) + 1)
  }
  list(row = data.frame(test = "permutation", statistic = T0, df1 = NA_real_, df2 = NA_real_,
                        p.value = p, draws = sum(ok), p_one_sided = p1, difference = d0,
                        stringsAsFactors = FALSE),
       statistics = Ts, differences = if (K == 2L) diff_all[-1L] else NULL, observed = T0,
       observed_difference = d0, unit = what, B = B, failed = sum(!ok),
       iterations = mean(abs(res$iterations)))
}

# The stacked (fully interacted) system: block-diagonal demeaned designs of the
# groups' fits, one variance through the engine, clustered across groups.
subgroup_stacked <- function(fits, designs, raw, term, data, fml, cluster, vcov, ssc) {
  K <- length(fits)
  type <- if (is.null(vcov)) (if (is.null(cluster)) "hc1" else "cluster") else vcov
  cl_vals <- NULL
  if (type == "cluster") {
    terms <- if (is.null(cluster)) {
      if (!length(fml$fe)) exr_error("vcov", "\"cluster\" needs `cluster` (or a fixed effect to cluster by).")
      fml$fe[1L]
    } else cluster_terms(cluster, data)
    cl_vals <- lapply(terms, function(t) codes_of(fe_column(data, t)))
    names(cl_vals) <- terms
  }
  ks <- vapply(fits, function(f) length(f$coefficients), integer(1))
  ns <- vapply(designs, function(d) length(d$y), integer(1))
  off_c <- cumsum(c(0L, ks))
  off_r <- cumsum(c(0L, ns))
  N <- sum(ns)
  X <- matrix(0, N, sum(ks))
  bread <- matrix(0, sum(ks), sum(ks))
  u <- e <- numeric(N)
  b <- numeric(sum(ks))
  nm <- character(sum(ks))
  grp <- integer(N)
  fe_st <- vector("list", length(fml$fe))
  for (k in seq_len(K)) {
    f <- fits[[k]]
    d <- designs[[k]]
    rr <- off_r[k] + seq_len(ns[k])
    cc <- off_c[k] + seq_len(ks[k])
    X[rr, cc] <- raw[[k]]$Xd
    bread[cc, cc] <- raw[[k]]$bread
    ek <- raw[[k]]$residuals
    e[rr] <- ek
    u[rr] <- if (is.null(d$weights)) ek else d$weights * ek
    b[cc] <- f$coefficients
    nm[cc] <- paste0(names(fits)[k], ":", names(f$coefficients))
    grp[rr] <- k
  }
  for (q in seq_along(fml$fe)) {
    fe_st[[q]] <- codes_of(interact_codes(list(grp, unlist(lapply(designs, function(d) d$fe[[q]])))))
  }
  names(fe_st) <- fml$fe
  cl_st <- if (is.null(cl_vals)) list() else lapply(cl_vals, function(v) {
    codes_of(unlist(lapply(designs, function(d) v[d$keep])))
  })
  rank <- sum(ks)
  Kp <- param_count(rank, fe_st, cl_st, ssc)
  dimnames(bread) <- list(nm, nm)
  V <- vcov_engine(bread, ls_scores(X, u), type, cl_st, n = N, K = Kp,
                   sigma2 = ls_sigma2(sum(u * e), N, Kp, ssc), ssc = ssc)
  # contrasts: each term's coefficient in group 1 minus that in group g
  R <- matrix(0, (K - 1L) * length(term), rank)
  r <- 0L
  for (t in term) for (k in 2:K) {
    r <- r + 1L
    R[r, match(paste0(names(fits)[1L], ":", t), nm)] <- 1
    R[r, match(paste0(names(fits)[k], ":", t), nm)] <- -1
  }
  Rb <- R %*% b
  W <- drop(crossprod(Rb, solve(R %*% V$vcov %*% t(R), Rb)))
  q <- nrow(R)
  Fst <- W / q
  df2 <- V$df_t
  p <- if (is.finite(df2)) stats::pf(Fst, q, df2, lower.tail = FALSE) else stats::pchisq(W, q, lower.tail = FALSE)
  d0 <- if (K == 2L && length(term) == 1L) drop(Rb) else NA_real_
  list(row = data.frame(test = "stacked", statistic = Fst, df1 = q, df2 = df2, p.value = p,
                        draws = NA_real_, p_one_sided = NA_real_, difference = d0,
                        stringsAsFactors = FALSE),
       coefficients = stats::setNames(b, nm), vcov = V$vcov, chi2 = W,
       chi2_p = stats::pchisq(W, q, lower.tail = FALSE), vcov_type = type,
       cluster = V$cluster_names, nobs = N, K = Kp)
}

#' @export
print.exr_subgroup <- function(x, digits = 4, ...) {
  cat("Subgroup regressions:", deparse1(x$formula), "\n")
  cat("Groups:", x$split$description, "\n")
  print(reg_table(x, keep = x$term, stats = c("nobs", "r.squared"), digits = digits))
  cat(sprintf("\nTest of equal %s across groups:\n", paste(x$term, collapse = ", ")))
  for (i in seq_len(nrow(x$tests))) {
    r <- x$tests[i, ]
    if (r$test == "permutation") {
      cat(sprintf("  Fisher permutation (%d draws, %s): %sp = %s\n", r$draws, x$permutation$unit,
                  if (is.na(r$difference)) "" else sprintf("difference = %s, ",
                                                           formatC(r$difference, digits = digits, format = "f")),
                  format.pval(r$p.value, digits = 3)))
    } else {
      cat(sprintf("  Stacked Wald (%s): F(%d, %s) = %s, p = %s\n", vcov_label(x$stacked),
                  r$df1, format(r$df2), formatC(r$statistic, digits = 3, format = "f"),
                  format.pval(r$p.value, digits = 3)))
    }
  }
  invisible(x)
}

#' Methods for subgroup results
#'
#' `coef()` gives the key coefficient(s) of each group (named
#' `<group>:<term>`); `nobs()` the observations used over all groups;
#' `tidy()` every coefficient of every group; `glance()` one row with the
#' tests (`diff_p`, the p-value of the first test, `perm_p`, `wald_stat`,
#' `wald_p`, ...); `plot()` the key coefficient by group with confidence
#' intervals and, after a permutation test, the permutation distribution with
#' the observed statistic.
#'
#' @param object,x an `exr_subgroup` from [subgroup()].
#' @param level confidence level of the intervals in `plot()`.
#' @param ... unused.
#' @return `coef()`: named numeric; `tidy()`, `glance()`: data frames;
#'   `plot()`: `x`, invisibly.
#' @examples
#' set.seed(5)
#' df <- data.frame(g = rep(1:40, each = 5), x = rnorm(200), z = rep(rnorm(40), each = 5))
#' df$y <- (1 + 0.5 * (df$z > 0)) * df$x + rnorm(200)
#' sg <- subgroup(y ~ x | g, df, groups = "z", median_by = NULL, B = 199)
#' coef(sg)
#' glance(sg)
#' plot(sg)
#' @name exr_subgroup
NULL

#' @rdname exr_subgroup
#' @export
coef.exr_subgroup <- function(object, ...) {
  out <- unlist(lapply(names(object$fits), function(g) {
    stats::setNames(object$fits[[g]]$coefficients[object$term], paste0(g, ":", object$term))
  }))
  out
}

#' @rdname exr_subgroup
#' @export
nobs.exr_subgroup <- function(object, ...) sum(object$groups$nobs)

#' @rdname exr_subgroup
#' @export
tidy.exr_subgroup <- function(x, ...) {
  out <- do.call(rbind, lapply(names(x$fits), function(g) {
    data.frame(group = g, tidy(x$fits[[g]]), stringsAsFactors = FALSE)
  }))
  rownames(out) <- NULL
  out
}

#' @rdname exr_subgroup
#' @export
glance.exr_subgroup <- function(x, ...) {
  t <- x$tests
  out <- data.frame(n_groups = length(x$fits), nobs = nobs(x), diff_p = t$p.value[1L])
  if ("permutation" %in% t$test) {
    r <- t[t$test == "permutation", ]
    out$perm_stat <- r$statistic
    out$perm_p <- r$p.value
    out$perm_draws <- r$draws
    out$perm_p_one_sided <- r$p_one_sided
  }
  if ("stacked" %in% t$test) {
    r <- t[t$test == "stacked", ]
    out$wald_stat <- r$statistic
    out$wald_df1 <- r$df1
    out$wald_df2 <- r$df2
    out$wald_p <- r$p.value
  }
  if (length(x$fits) == 2L && length(x$term) == 1L) out$difference <- t$difference[1L]
  out
}

#' @rdname exr_subgroup
#' @export
plot.exr_subgroup <- function(x, level = 0.95, ...) {
  level <- check_level(level)
  has_perm <- !is.null(x$permutation)
  if (has_perm) {
    op <- graphics::par(mfrow = c(1L, 2L))
    on.exit(graphics::par(op))
  }
  t1 <- x$term[1L]
  ci <- t(vapply(x$fits, function(f) confint(f, t1, level = level)[1L, ], numeric(2)))
  b <- vapply(x$fits, function(f) unname(f$coefficients[t1]), numeric(1))
  k <- length(b)
  graphics::plot(seq_len(k), b, xlim = c(0.5, k + 0.5), ylim = range(c(ci, 0)), pch = 19,
                 col = "#1f4e8c", xaxt = "n", las = 1, xlab = "", ylab = t1,
                 main = sprintf("%s by group (%g%% CI)", t1, 100 * level))
  graphics::axis(1, at = seq_len(k), labels = names(x$fits))
  graphics::segments(seq_len(k), ci[, 1L], seq_len(k), ci[, 2L], col = "#1f4e8c", lwd = 2)
  graphics::abline(h = 0, col = "grey40", lty = 2)
  if (has_perm) {
    p <- x$permutation
    use_diff <- !is.null(p$differences) && is.finite(p$observed_difference)
    s <- if (use_diff) p$differences else p$statistics
    s <- s[is.finite(s)]
    obs <- if (use_diff) p$observed_difference else p$observed
    graphics::hist(s, breaks = 40, col = "grey85", border = "white", las = 1,
                   xlim = range(c(s, obs)),
                   main = sprintf("Permutation test (p = %s)", format.pval(x$tests$p.value[x$tests$test == "permutation"], digits = 3)),
                   xlab = if (use_diff) sprintf("difference in %s (%d permutations)", t1, length(s)) else
                     sprintf("statistic (%d permutations)", length(s)))
    graphics::abline(v = obs, col = "#b2182b", lwd = 2)
  }
  invisible(x)
}
