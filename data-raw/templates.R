# Writes the long-format templates of inst/extdata (vignette "From raw indicators
# to results"): 30 of the bundled simulated cities, renamed R01-R30, in the shape
# a user's own data would have. Run from the package root after installing.
library(exportres)
p <- city_panel
keep <- sort(unique(p$city))[seq(1, 289, length.out = 30)]
p <- p[p$city %in% keep, ]
p$region <- sprintf("R%02d", match(p$city, keep))
long <- function(d, vars, name) {
  out <- do.call(rbind, lapply(vars, function(v) {
    data.frame(region = d$region, year = d$year, variable = v, value = signif(d[[v]], 5))
  }))
  names(out)[3] <- name
  out[!is.na(out$value), ]
}
est <- p$year >= 2011
dig <- c("mobile", "broadband", "patents_inet", "st_share", "it_emp", "telecom_pc", "dfi")
innov <- c("st_fiscal", "rd_internal", "fai_lag", "sci_emp", "contracts", "patents_valid")
ctrl <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")
w <- function(x, f) utils::write.csv(x, file.path("inst/extdata", f), row.names = FALSE)
w(long(p[est, ], dig, "indicator"), "template-indicators.csv")
w(data.frame(region = p$region, year = p$year, exports = signif(p$exports, 6)), "template-exports.csv")
w(data.frame(year = national_series$year, rate = national_series$export_growth), "template-national.csv")
w(long(p[est, ], innov, "variable"), "template-innovation.csv")
w(long(p[est, ], ctrl, "variable"), "template-controls.csv")
