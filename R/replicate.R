# From the bundled raw data sets to the paper's analysis panel.

#' Build the analysis panel from the bundled raw data
#'
#' Derives every variable of the paper's regressions from the raw (simulated)
#' data sets with the package's own measures: 289 cities x 2011-2021 (3,179
#' rows). The data are simulated; see [city_panel] and [city_truth].
#'
#' Variables: `res` (eq. (2), [resilience_index()], base 2008, national growth
#' from [national_series]); `res_dev` (deviation measure, 2011-2015 only);
#' `res_w` (weighted measure, sigma = 8, city CPI, national CPI, relatedness
#' density); `hhi`, `emd` (= 1/HHI) and `n_partners` ([diversity_index()] on
#' [city_destinations]); `ifhhi` (1 when the city exports to more than 3
#' countries); `fma` (1 / distance to the coast, km); `dig` (pooled entropy
#' index of the seven digital indicators over the 2011-2021 rows,
#' [entropy_index()]); `dig_pca` ([pca_index()]); `expy` and `cetc` (EXPY from
#' [sophistication_index()], and EXPY standardised to mean 0 and sd 1 over the
#' panel); `iv1` = post offices in 1984 x internet ports / 10^4, `iv2` = fixed
#' telephones in 1984 x internet ports / 10^6 (the scalings only keep the
#' coefficients readable); `pilot` (city in a pilot zone), `did` (pilot x year >=
#' approval), `rel_year` (year - approval year, `NA` for other cities);
#' `risk_exposure` and `bri_share` (export-weighted geopolitical risk and
#' Belt-and-Road share of destinations); heterogeneity flags `high_fdi` (city's
#' mean FDI share over 2011-2021 above the median city), `coastal`,
#' `high_risk` (city's mean risk exposure above the median city), `bri_main`
#' (city's mean Belt-and-Road share above 0.5); controls `ed` (log GDP per
#' capita), `fdi`, `fp`, `ub`, `fc`, `mk`, `ts`, `er`, `lai`; and the four
#' innovation inputs and two outputs of [city_panel] with the efficiencies
#' built from them: `aif`, the Battese-Coelli efficiency \eqn{E[\exp(-u) | e]} of a
#' Cobb-Douglas output distance function ([sfa_distance()]: outputs valid
#' patents, the normaliser, and contracts; the four inputs; half-normal; all
#' city-years pooled), and `aif_dea`, input-oriented VRS DEA with one frontier
#' per year ([dea()]). dig enters neither, so the mediation test is not circular.
#'
#' @section Why `aif` is a pooled frontier by default:
#' In the Battese-Coelli (1992) panel model the inefficiency is
#' \eqn{u_{it} = e^{-\eta(t - T)} u_i}: a city constant times a common time
#' path. Its efficiencies are then (almost) absorbed by city and year fixed
#' effects, so regressing them on dig with those effects measures nothing
#' (R-squared above 0.999 on the bundled panel). The pooled frontier lets
#' inefficiency vary by city and year, as the simulated data (and the paper's
#' mediator story) have it. `aif_model = "bc92"` gives the panel version.
#'
#' @param years the estimation years (default 2011-2021).
#' @param base the resilience base year (default 2008).
#' @param aif_model the frontier behind `aif`: `"cross"` (pooled, default) or
#'   `"bc92"` (panel, time-varying decay).
#' @return A data frame, one row per city and year, sorted by city and year.
#' @examples
#' p <- build_city_panel()
#' dim(p)
#' summary(p[, c("res", "dig", "cetc")])
#' @export
build_city_panel <- function(years = 2011:2021, base = 2008, aif_model = c("cross", "bc92")) {
  aif_model <- match_choice(aif_model, c("cross", "bc92"), "aif_model")
  info <- exportres::city_info
  raw <- exportres::city_panel
  nat <- exportres::national_series
  if (!is.numeric(years) || !length(years) || anyNA(years) || any(!(years %in% raw$year))) {
    exr_error("years", "expected years within ", min(raw$year), "-", max(raw$year), ".")
  }
  if (!is.numeric(base) || length(base) != 1L || !(base %in% raw$year) || base >= min(years)) {
    exr_error("base", "expected one year of the data before `years`.")
  }
  growth <- data.frame(year = nat$year, rate = nat$export_growth, cpi_nat = nat$cpi_national)
  raw$res <- resilience_index(raw, "exports", "city", "year", base = base, growth = growth)
  raw$res_dev <- resilience_index(raw, "exports", "city", "year", base = base,
                                  method = "deviation", years = 2011:2015)
  raw$res_w <- resilience_index(raw, "exports", "city", "year", base = base, growth = growth,
                                method = "weighted", sigma = 8, cpi = "cpi",
                                relatedness = "relatedness", cpi_national = "cpi_nat")
  p <- raw[raw$year %in% years, , drop = FALSE]
  p <- p[order(p$city, p$year), , drop = FALSE]
  rownames(p) <- NULL
  key <- paste(p$city, p$year)
  ii <- match(p$city, info$city)

  dig_vars <- c("mobile", "broadband", "patents_inet", "st_share", "it_emp", "telecom_pc", "dfi")
  p$dig <- as.vector(entropy_index(p, dig_vars))
  p$dig_pca <- as.vector(pca_index(p, dig_vars))

  dest <- exportres::city_destinations
  dest <- dest[dest$year %in% years, , drop = FALSE]
  dv <- diversity_index(dest, "city", "year", "country", "exports")
  m <- match(key, paste(dv$city, dv$year))
  p$hhi <- dv$hhi[m]
  p$emd <- dv$diversity[m]
  p$n_partners <- ifelse(is.na(m), 0L, dv$n_partners[m])
  p$ifhhi <- as.integer(p$n_partners > 3)
  p$fma <- 1 / info$dist_coast[ii]

  cy <- exportres::country_year
  ctry <- exportres::countries
  dk <- paste(dest$country, dest$year)
  risk <- cy$risk[match(dk, paste(cy$country, cy$year))]
  bri <- as.numeric(ctry$bri[match(dest$country, ctry$country)])
  g <- factor(paste(dest$city, dest$year), levels = key)
  tot <- tapply(dest$exports, g, sum)
  p$risk_exposure <- as.vector(tapply(dest$exports * risk, g, sum) / tot)
  p$bri_share <- as.vector(tapply(dest$exports * bri, g, sum) / tot)

  so <- sophistication_index(exportres::country_products, cy, exportres::city_products,
                             value = "exports")
  p$expy <- so$expy$expy[match(key, paste(so$expy$city, so$expy$year))]
  p$cetc <- (p$expy - mean(p$expy, na.rm = TRUE)) / stats::sd(p$expy, na.rm = TRUE)

  p$iv1 <- info$post1984[ii] * p$inet_ports / 1e4
  p$iv2 <- info$phone1984[ii] * p$inet_ports / 1e6
  p$province <- info$province[ii]
  p$coastal <- info$coastal[ii]
  p$pilot <- !is.na(info$pilot_year[ii])
  p$pilot_year <- info$pilot_year[ii]
  p$did <- as.integer(p$pilot & p$year >= p$pilot_year)
  p$did[is.na(p$did)] <- 0L
  p$rel_year <- p$year - p$pilot_year

  cmean <- function(x) stats::ave(x, p$city, FUN = function(z) mean(z, na.rm = TRUE))
  med_city <- function(x) stats::median(x[!duplicated(p$city)])
  fdi_m <- cmean(p$fdi)
  risk_m <- cmean(p$risk_exposure)
  p$high_fdi <- fdi_m > med_city(fdi_m)
  p$high_risk <- risk_m > med_city(risk_m)
  p$bri_main <- cmean(p$bri_share) > 0.5
  p$ed <- log(p$ed)

  front <- c(st_fiscal = "st_fiscal", rd_internal = "rd_internal", fai_lag = "fai_lag",
             sci_emp = "sci_emp", contracts = "contracts", patents_valid = "patents_valid")
  alloc <- allocation_efficiency(p, inputs = front[1:4], outputs = front[c(6, 5)],
                                 model = aif_model)
  p$aif <- alloc$aif
  p$aif_dea <- alloc$aif_dea
  cols <- c("city", "year", "province", "coastal", "pilot", "pilot_year", "did", "rel_year",
            "exports", "res", "res_dev", "res_w", "hhi", "emd", "n_partners", "ifhhi", "fma",
            "dig", "dig_pca", "expy", "cetc", "iv1", "iv2", "risk_exposure", "bri_share",
            "high_fdi", "high_risk", "bri_main", "aif", "aif_dea",
            "ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai", unname(front))
  p[, cols]
}

# Innovation-factor allocation from the four inputs and two outputs: SFA on an
# output distance function (`model`: pooled or BC92 panel) and per-year VRS DEA.
allocation_efficiency <- function(p, inputs, outputs, model = "cross") {
  sf <- sfa_distance(outputs = unname(outputs), inputs = unname(inputs), data = p,
                     panel = c("city", "year"), model = model, form = "cobb-douglas")
  aif <- efficiency(sf)
  ok <- stats::complete.cases(p[, c(inputs, outputs)])
  aif_dea <- rep(NA_real_, nrow(p))
  de <- dea(p[ok, unname(inputs)], p[ok, unname(outputs)], rts = "vrs", orientation = "in",
            by = p$year[ok])
  aif_dea[ok] <- de$eff
  list(aif = as.vector(aif), aif_dea = aif_dea)
}
