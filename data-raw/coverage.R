# Coverage of the headline truths over regenerated panels (not the shipped seed).
# Run from the package root: Rscript data-raw/coverage.R [n_panels]
# Regressions use fixest::feols(..., cluster = ~city) (t with G - 1 df), on the
# latent analysis frame of each panel: `res` is the measured eq. (2) resilience
# recomputed from the backed-out exports (unrounded), `aif_true` the true
# efficiency, `dig` the entropy index. The package's MEASURED mediators (`aif`:
# pooled SFA distance-function efficiency; `aif_dea`: per-year VRS DEA) and the
# Table 4 measures (`res_w`, `emd`) come from build_city_panel() run on each
# regenerated panel's raw data (data-raw/measure.R; needs the package installed).
source("data-raw/dgp.R")
source("data-raw/measure.R")
suppressPackageStartupMessages(library(fixest))
setFixest_notes(FALSE)
args <- commandArgs(TRUE)
n_panels <- if (length(args)) as.integer(args[1]) else 60L
ctl <- "ed + fdi + fp + ub + fc + mk + ts + er + lai"
f <- function(s) as.formula(sprintf(s, ctl))
p <- dgp_par()
truth <- c(direct_meas_aif = p$beta_direct, a_meas_aif = p$a_mediator,
           b_meas_aif = p$b_mediator, a_meas_dea = NA, b_meas_dea = NA, t4_res_w = NA, t4_emd = NA,
           total = p$beta_direct + p$a_mediator * p$b_mediator, direct = p$beta_direct,
           a = p$a_mediator, b = p$b_mediator, interaction = p$interaction,
           did = NA, total_did_ctrl = p$beta_direct + p$a_mediator * p$b_mediator, iv1_total = p$beta_direct + p$a_mediator * p$b_mediator)
ci_hit <- function(m, term, val) {
  ci <- confint(m, parm = term, level = 0.95)
  c(est = unname(coef(m)[term]), se = unname(se(m)[term]),
    hit = if (is.na(val)) NA_real_ else as.numeric(ci[1, 1] <= val && val <= ci[1, 2]))
}
rows <- lapply(seq_len(n_panels), function(k) {
  d <- simulate_city_data(10000L + k)
  L <- d$latent
  pm <- measured_panel(d)
  mi <- match(paste(L$city, L$year), paste(pm$city, pm$year))
  for (v in c("aif", "aif_dea", "res_w", "emd")) L[[v]] <- pm[[v]][mi]
  tr <- truth; tr["did"] <- d$truth$did_estimand
  m_tot <- feols(f("res ~ dig + %s | city + year"), L, cluster = ~city)
  m_dir <- feols(f("res ~ dig + aif_true + %s | city + year"), L, cluster = ~city)
  m_a <- feols(f("aif_true ~ dig + %s | city + year"), L, cluster = ~city)
  m_dir_m <- feols(f("res ~ dig + aif + %s | city + year"), L, cluster = ~city)
  m_a_m <- feols(f("aif ~ dig + %s | city + year"), L, cluster = ~city)
  m_a_dea <- feols(f("aif_dea ~ dig + %s | city + year"), L, cluster = ~city)
  m_dir_dea <- feols(f("res ~ dig + aif_dea + %s | city + year"), L, cluster = ~city)
  m_emd <- feols(f("emd ~ dig + %s | city + year"), L, cluster = ~city)
  m_resw <- feols(f("res_w ~ dig + %s | city + year"), L, cluster = ~city)
  m_int <- feols(f("res ~ dig * cetc + %s | city + year"), L, cluster = ~city)
  m_did <- feols(f("res ~ did + dig + %s | city + year"), L, cluster = ~city)
  m_iv <- feols(f("res ~ %s | city + year | dig ~ iv1"), L, cluster = ~city)
  m_td <- feols(f("res ~ dig + did + %s | city + year"), L, cluster = ~city)
  m_or <- feols(f("res ~ dig + s + %s | city + year"), L, cluster = ~city)
  fs1 <- feols(f("dig ~ iv1 + %s | city + year"), L, cluster = ~city)
  fs2 <- feols(f("dig ~ iv2 + %s | city + year"), L, cluster = ~city)
  r <- rbind(total = ci_hit(m_tot, "dig", tr[["total"]]),
             total_did_ctrl = ci_hit(m_td, "dig", tr[["total_did_ctrl"]]),
             direct = ci_hit(m_dir, "dig", tr[["direct"]]),
             a = ci_hit(m_a, "dig", tr[["a"]]),
             b = ci_hit(m_dir, "aif_true", tr[["b"]]),
             direct_meas_aif = ci_hit(m_dir_m, "dig", tr[["direct"]]),
             a_meas_aif = ci_hit(m_a_m, "dig", tr[["a"]]),
             b_meas_aif = ci_hit(m_dir_m, "aif", tr[["b"]]),
             a_meas_dea = ci_hit(m_a_dea, "dig", NA),
             b_meas_dea = ci_hit(m_dir_dea, "aif_dea", NA),
             t4_res_w = ci_hit(m_resw, "dig", NA),
             t4_emd = ci_hit(m_emd, "dig", NA),
             interaction = ci_hit(m_int, "dig:cetc", tr[["interaction"]]),
             did = ci_hit(m_did, "did", tr[["did"]]),
             iv1_total = ci_hit(m_iv, "fit_dig", tr[["iv1_total"]]))
  data.frame(panel = k, param = rownames(r), r, truth = tr[rownames(r)],
             F1 = unname(tstat(fs1)["iv1"]^2), F2 = unname(tstat(fs2)["iv2"]^2),
             fe_bias_se = unname((coef(m_tot)["dig"] - coef(m_or)["dig"]) / se(m_tot)["dig"]),
             clipped = d$truth$clipped, row.names = NULL)
})
res <- do.call(rbind, rows)
summ <- do.call(rbind, lapply(split(res, res$param), function(x) data.frame(
  param = x$param[1], truth = mean(x$truth), mean_est = mean(x$est), sd_est = sd(x$est),
  median_est = median(x$est), mean_se = mean(x$se), share_pos = mean(x$est > 0),
  coverage = mean(x$hit))))
per_panel <- res[!duplicated(res$panel), ]
cat(sprintf("panels: %d\n", n_panels))
print(summ, row.names = FALSE, digits = 4)
cat(sprintf("first-stage F (squared clustered t): iv1 median %.1f [IQR %.1f-%.1f], iv2 median %.1f [IQR %.1f-%.1f]\n",
            median(per_panel$F1), quantile(per_panel$F1, .25), quantile(per_panel$F1, .75),
            median(per_panel$F2), quantile(per_panel$F2, .25), quantile(per_panel$F2, .75)))
cat(sprintf("FE bias (baseline - oracle with s controlled) / SE: mean %.2f, median %.2f\n",
            mean(per_panel$fe_bias_se), median(per_panel$fe_bias_se)))
cat(sprintf("clipped export values per panel: mean %.2f, max %d\n",
            mean(per_panel$clipped), max(per_panel$clipped)))
