# The one variance engine of the package. Every estimator hands it a bread (the
# inverse Hessian, (X'WX)^{-1} for least squares) and its scores (one row per
# observation, the contributions to the estimating equations), plus the cluster
# codes and parameter counts; the engine knows nothing else of the estimator.
# The shape is that of fixest's vcov_cluster_internal(bread, scores, vars, ssc).

#' Small-sample corrections for standard errors
#'
#' The conventions by which the package's variances are scaled in finite
#' samples, named as in \pkg{fixest}'s `ssc()` (version 0.14). The default
#' reproduces fixest's defaults, which are also those of Stata's `reghdfe` and
#' `xtreg, fe` (clustered and multi-way clustered).
#'
#' * `K_adj`: multiply by \eqn{(n-1)/(n-K)} (clustered) or use \eqn{n/(n-K)}
#'   (heteroskedasticity-robust) and \eqn{\hat\sigma^2 = SSR/(n-K)} (iid);
#'   without it, \eqn{\hat\sigma^2 = SSR/n} and no factor.
#' * `K_fixef`: how fixed effects count in \eqn{K}: `"nonnested"` (all
#'   fixed-effect coefficients, \eqn{\sum_q G_q - (Q-1)}, except that a fixed
#'   effect nested in a cluster variable counts as one), `"full"` (all, nested
#'   or not) or `"none"`.
#' * `G_adj`: multiply clustered variances by \eqn{G/(G-1)}.
#' * `G_df`: with multi-way clustering, `"min"` uses the smallest \eqn{G} in
#'   that factor for every term of the Cameron-Gelbach-Miller sum;
#'   `"conventional"` uses each term's own number of clusters.
#' * `t_df`: degrees of freedom of t tests when clustered: `"min"` (smallest
#'   \eqn{G} minus one), `"conventional"` (\eqn{n-K}) or `"normal"` (z tests).
#'
#' Presets: `"fixest"` (the default, equal to Stata's reghdfe); `"ivreg2"`, the
#' large-sample conventions of Stata's ivreg2 and xtivreg2 without `small`
#' (no \eqn{K} or \eqn{G} factors, \eqn{\hat\sigma^2 = SSR/n}, z tests).
#'
#' @param K_adj,G_adj logical.
#' @param K_fixef,G_df,t_df see Details.
#' @param preset `NULL`, `"fixest"` or `"ivreg2"`: start from these
#'   conventions (arguments given explicitly still override them).
#' @return An object of class `exr_ssc`, accepted by the `ssc` argument of
#'   the estimators.
#' @examples
#' exr_ssc()
#' exr_ssc(preset = "ivreg2")
#' set.seed(1)
#' df <- data.frame(g = rep(1:10, each = 5), x = rnorm(50))
#' df$y <- df$x + rnorm(50)
#' fe_reg(y ~ x | g, df, ssc = exr_ssc(G_adj = FALSE))
#' @export
exr_ssc <- function(K_adj = TRUE, K_fixef = c("nonnested", "full", "none"), G_adj = TRUE,
                    G_df = c("min", "conventional"), t_df = c("min", "conventional", "normal"),
                    preset = NULL) {
  out <- list(K_adj = TRUE, K_fixef = "nonnested", G_adj = TRUE, G_df = "min", t_df = "min")
  if (!is.null(preset)) {
    preset <- match_choice(preset, c("fixest", "ivreg2"), "preset")
    if (preset == "ivreg2") {
      out <- list(K_adj = FALSE, K_fixef = "none", G_adj = FALSE, G_df = "min", t_df = "normal")
    }
  }
  given <- names(match.call())[-1L]
  if ("K_adj" %in% given) out$K_adj <- check_flag(K_adj, "K_adj")
  if ("G_adj" %in% given) out$G_adj <- check_flag(G_adj, "G_adj")
  if ("K_fixef" %in% given) out$K_fixef <- match_choice(K_fixef, c("nonnested", "full", "none"), "K_fixef")
  if ("G_df" %in% given) out$G_df <- match_choice(G_df, c("min", "conventional"), "G_df")
  if ("t_df" %in% given) out$t_df <- match_choice(t_df, c("min", "conventional", "normal"), "t_df")
  structure(out, class = "exr_ssc")
}

#' @export
print.exr_ssc <- function(x, ...) {
  cat(sprintf("<exr_ssc> K_adj = %s, K_fixef = \"%s\", G_adj = %s, G_df = \"%s\", t_df = \"%s\"\n",
              x$K_adj, x$K_fixef, x$G_adj, x$G_df, x$t_df))
  invisible(x)
}

# The `ssc` argument of an estimator: NULL, a preset name or exr_ssc().
as_ssc <- function(ssc, arg = "ssc") {
  if (is.null(ssc)) return(exr_ssc())
  if (inherits(ssc, "exr_ssc")) return(ssc)
  if (is.character(ssc) && length(ssc) == 1L) return(exr_ssc(preset = ssc))
  exr_error(arg, "expected exr_ssc(), \"fixest\" or \"ivreg2\".")
}

# The `vcov` argument: NULL (fixest's default) or one of the types.
vcov_choice <- function(vcov) {
  if (is.null(vcov)) return(NULL)
  match_choice(vcov, c("iid", "hc1", "cluster"), "vcov")
}

# fixest's default variance (>= 0.13): clustered when cluster variables are
# given, else iid, with or without fixed effects.
resolve_vcov_type <- function(vcov, cluster, fe) {
  if (is.null(vcov)) return(if (length(cluster)) "cluster" else "iid")
  if (vcov == "cluster" && !length(cluster) && !length(fe)) {
    exr_error("vcov", "\"cluster\" needs `cluster` (or a fixed effect to cluster by).")
  }
  vcov
}

# The cluster codes the variance uses: those given, else the first fixed effect.
resolve_clusters <- function(type, cluster, fe) {
  if (type != "cluster") return(list())
  if (length(cluster)) return(cluster)
  stats::setNames(list(fe[[1L]]), names(fe)[1L])
}

# Number of parameters K for the small-sample factor: `rank` coefficients plus
# the fixed-effect coefficients (sum(G_q) - (Q - 1)); under K_fixef =
# "nonnested" a fixed effect nested in a cluster variable counts as one, under
# "none" fixed effects do not count.
# `nested` may give fe_nested_in_cluster(fe, cluster) when the caller already
# has it (an estimator counting K for several equations on the same rows).
param_count <- function(rank, fe, cluster = list(), ssc = exr_ssc(), nested = NULL) {
  if (!length(fe) || ssc$K_fixef == "none") return(rank)
  sizes <- vapply(fe, n_groups, integer(1))
  if (ssc$K_fixef == "nonnested" && length(cluster)) {
    sizes[if (is.null(nested)) fe_nested_in_cluster(fe, cluster) else nested] <- 1L
  }
  rank + sum(sizes) - (length(sizes) - 1L)
}

# Is each fixed effect nested in any of the cluster variables (every group of
# the fixed effect inside one cluster)? A fixed effect that is itself a cluster
# variable is, without looking at the data.
fe_nested_in_cluster <- function(fe, cl) {
  vapply(names(fe), function(nm) {
    if (nm %in% names(cl)) return(TRUE)
    f <- fe[[nm]]
    any(vapply(cl, function(c) {
      first <- integer(n_groups(f))
      first[f] <- c
      all(first[f] == c)
    }, logical(1)))
  }, logical(1))
}

# Least-squares residual variance under the conventions: SSR/(n-K), or SSR/n.
ls_sigma2 <- function(ssr, n, K, ssc = exr_ssc()) {
  if (ssc$K_adj) ssr / (n - K) else ssr / n
}

# Scores of least squares, kept factored: row i is x_i * u_i with u_i = w_i e_i.
# The engine never materialises the n x k product. `cols` (optional) selects
# columns of X, so that a design held in one larger matrix needs no copy.
ls_scores <- function(X, u, cols = NULL) {
  structure(list(X = X, u = u, cols = cols), class = "exr_ls_scores")
}

#' The variance engine
#'
#' @param bread k x k: the inverse Hessian ((X'WX)^{-1} for least squares).
#' @param scores n x k matrix of scores, or `ls_scores(X, u)`.
#' @param type "iid", "hc1" or "cluster".
#' @param cluster named list of integer cluster codes (length n each), for
#'   "cluster"; several give multi-way clustering.
#' @param n observations; K parameters (for the factors), counted by
#'   param_count() with the same clusters.
#' @param sigma2 for "iid": the residual variance (ls_sigma2(); 1 for maximum
#'   likelihood, where the bread is the variance).
#' @param ssc exr_ssc().
#' @return list(vcov, df_t, n_clusters, type, cluster_names).
#' @keywords internal
#' @noRd
vcov_engine <- function(bread, scores, type, cluster = list(), n, K, sigma2 = 1,
                        ssc = exr_ssc()) {
  bread <- as.matrix(bread)
  nm <- colnames(bread)
  k <- ncol(bread)
  if (n - K <= 0 && (ssc$K_adj || type == "iid")) {
    exr_error("data", "no residual degrees of freedom (n = ", n, ", K = ", K, ").")
  }
  kfac <- if (ssc$K_adj) (n - 1) / (n - K) else 1
  G <- NULL
  if (type == "iid") {
    V <- bread * sigma2
    df_t <- if (ssc$t_df == "normal") Inf else n - K
  } else if (type == "hc1") {
    V <- sandwich_of(bread, scores_meat(scores, NULL)) * (if (ssc$K_adj) n / (n - K) else 1)
    df_t <- if (ssc$t_df == "normal") Inf else n - K
  } else {
    if (!length(cluster)) exr_error("cluster", "clustered variances need cluster variables.")
    G <- vapply(cluster, n_groups, integer(1))
    if (min(G) < 2L) exr_error("cluster", "needs at least two clusters.")
    meat <- cluster_meat_cgm(scores, cluster, ssc)
    V <- sandwich_of(bread, meat) * kfac
    if (length(cluster) > 1L) V <- fix_psd(V)
    df_t <- switch(ssc$t_df, min = min(G) - 1, conventional = n - K, normal = Inf)
  }
  dimnames(V) <- list(nm, nm)
  list(vcov = V, df_t = df_t, n_clusters = G, type = type,
       cluster_names = if (type == "cluster") names(cluster) else NULL)
}

sandwich_of <- function(bread, meat) bread %*% meat %*% bread

# sum_g s_g s_g' in C; cl NULL = one cluster per row.
scores_meat <- function(scores, cl) {
  if (inherits(scores, "exr_ls_scores")) {
    M <- .Call(C_score_meat, scores$X, scores$u, cl)
    if (is.null(scores$cols)) M else M[scores$cols, scores$cols, drop = FALSE]
  } else {
    .Call(C_score_meat, scores, NULL, cl)
  }
}

# The Cameron-Gelbach-Miller multi-way meat: inclusion-exclusion over every
# non-empty subset of the cluster variables, each clustered on the
# intersection, with the G/(G-1) factor per term (G_df = "conventional") or the
# smallest G's for all (G_df = "min").
cluster_meat_cgm <- function(scores, cluster, ssc) {
  terms <- cgm_terms(cluster, ssc)
  meat <- 0
  for (j in seq_along(terms$codes)) meat <- meat + scores_meat(scores, terms$codes[[j]]) * terms$factor[j]
  meat
}

# The terms of the Cameron-Gelbach-Miller sum: the cluster codes of every
# non-empty subset of the cluster variables (their intersection) and the signed
# factor of each (+ for odd subsets, - for even, times G/(G-1) under G_adj with
# the smallest G for all under G_df = "min"). The variance engine, the wild
# bootstrap and the placebo draws (which need the same sum draw by draw) read them here.
cgm_terms <- function(cluster, ssc) {
  Q <- length(cluster)
  G <- vapply(cluster, n_groups, integer(1))
  gfac <- function(g) if (ssc$G_adj) g / (g - 1) else 1
  codes <- list()
  fac <- numeric(0)
  for (size in seq_len(Q)) {
    for (set in utils::combn(Q, size, simplify = FALSE)) {
      cl <- if (size == 1L) cluster[[set]] else codes_of(interact_codes(cluster[set]))
      g <- if (ssc$G_df == "min") min(G) else n_groups(cl)
      codes[[length(codes) + 1L]] <- cl
      fac <- c(fac, gfac(g) * (if (size %% 2L == 1L) 1 else -1))
    }
  }
  list(codes = codes, factor = fac)
}

# Multi-way clustered variances can be indefinite; as fixest does, negative
# eigenvalues are set to zero.
fix_psd <- function(V) {
  ev <- eigen(V, symmetric = TRUE)
  if (min(ev$values) >= 0) return(V)
  out <- ev$vectors %*% (pmax(ev$values, 0) * t(ev$vectors))
  dimnames(out) <- dimnames(V)
  out
}
