#' exportres: digital economy, factor allocation and export resilience
#'
#' Measures (entropy and PCA indices, export resilience, market diversity,
#' export sophistication, SFA and DEA efficiency) and estimators (fixed effects,
#' IV, Heckman, system GMM, DID, event studies, mediation and moderation) with a
#' compiled C core. Standard errors follow fixest's defaults; see [fe_reg()].
#'
#' Options: `exportres.cores` (default number of threads, 1),
#' `exportres.progress` (progress bars in interactive sessions, `TRUE`).
#'
#' @keywords internal
#' @useDynLib exportres, .registration = TRUE, .fixes = "C_"
#' @importFrom stats coef vcov nobs confint fitted residuals pt pnorm qt qnorm
#' @importFrom stats pf pchisq model.matrix terms na.omit setNames sd var
#' @importFrom generics tidy glance
"_PACKAGE"
