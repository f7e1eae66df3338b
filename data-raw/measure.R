# The analysis panel of a simulated data set as the PACKAGE measures it:
# build_city_panel() run on the raw data sets of `d` (the output of
# simulate_city_data()) instead of the bundled ones, by swapping them into the
# installed package's lazy-data environment for the duration of the call.
# Used by coverage.R so that `aif` (pooled SFA) and `aif_dea` (per-year VRS DEA),
# `res_w` and `emd` are the package's measured values, not the DGP's truths.
suppressPackageStartupMessages(library(exportres))
measured_panel <- function(d) {
  ld <- getNamespaceInfo(asNamespace("exportres"), "lazydata")
  nms <- c("city_info", "city_panel", "national_series", "city_destinations", "city_products",
           "countries", "country_year", "country_products")
  old <- mget(nms, envir = ld)
  swap <- function(vals) for (nm in nms) {
    if (bindingIsLocked(nm, ld)) unlockBinding(nm, ld)
    assign(nm, vals[[nm]], envir = ld)
  }
  swap(d)
  on.exit(swap(old))
  build_city_panel()
}
