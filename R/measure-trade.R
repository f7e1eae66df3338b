# Trade measures: export resilience (eq. (2) and the two alternatives of
# Table 4), market diversity (HHI, 1/HHI) and export sophistication
# (PRODY/EXPY, Hausmann, Hwang and Rodrik 2007). All vectorised over rows
# (match() on keys and rowsum()), no loop over observations.

#' Export resilience
#'
#' The paper's export resilience measures for a panel of export values.
#'
#' @section Counterfactual measure (eq. (2), the paper's `res`):
#' With base year \eqn{b}, counterfactual \eqn{\hat v_{pt} = v_{p,t-1} R_t}
#' (\eqn{R_t = 1 +} national growth rate in year \eqn{t}):
#' \deqn{res_{pt} = \frac{(v_{pt} - v_{pb}) - (\hat v_{pt} - v_{pb})}{|\hat v_{pt} - v_{pb}|}
#'       = \frac{v_{pt} - \hat v_{pt}}{|\hat v_{pt} - v_{pb}|}}
#' for every year \eqn{t > b} whose previous year is present for the same unit.
#' `NA` where undefined: the base year and earlier, a missing previous year or
#' base value, or \eqn{\hat v_{pt} = v_{pb}}.
#'
#' @section Deviation measure (Table 4 col. 2, Liu and Qi 2021):
#' \eqn{(v_{pt} - v_{pb}) / v_{pb}} for the years in `years` (the paper uses
#' 2011-2015); `NA` in other years and where \eqn{v_{pb} = 0}. `growth` is not
#' used.
#'
#' @section Weighted measure (Table 4 col. 3):
#' The paper decomposes export growth under CES demand with elasticity
#' \eqn{\sigma = 8}: \eqn{\Delta \ln x_{pt} \approx \Delta\ln Y_t \sum \beta + \Delta\ln Y_t
#' + (\sigma - 1)\Delta \ln P_t}, proxying the price term by city CPI relative to
#' national CPI and \eqn{\beta} by an industry-relatedness density. The formula
#' implemented here is
#' \deqn{g_{pt} = \ln R_t \,(1 + \beta_{pt}) + (\sigma - 1)\,[\Delta \ln CPI^{nat}_t - \Delta \ln CPI_{pt}],}
#' \deqn{\hat v^w_{pt} = v_{p,t-1} \exp(g_{pt}), \quad
#'       res^w_{pt} = (v_{pt} - \hat v^w_{pt}) / |\hat v^w_{pt} - v_{pb}|,}
#' with \eqn{\Delta \ln CPI_{pt} = \ln CPI_{pt} - \ln CPI_{p,t-1}} (CPI as price
#' levels, any base), \eqn{\beta_{pt}} the relatedness density (column
#' `relatedness`, a number in \[0, 1\]) and \eqn{CPI^{nat}} the column
#' `cpi_national` of `growth`. A city whose prices rise faster than the
#' nation's is expected to export less (\eqn{(\sigma-1)} times the relative price
#' change), so beating that lower counterfactual counts as resilience.
#'
#' @param data a data frame in long format (one row per unit and year).
#' @param value name of the export value column (non-negative).
#' @param id,time names of the unit and year columns.
#' @param base the base year (default 2008).
#' @param growth a data frame with the year (column named as `time`, or
#'   `year`) and `rate`, the national export growth rate (\eqn{R_t = 1 + rate});
#'   it must cover every year after `base` in `data` (not needed for
#'   `"deviation"`). For `"weighted"` it also holds the national CPI column.
#' @param method `"counterfactual"` (eq. (2)), `"deviation"` or `"weighted"`.
#' @param years for `"deviation"`, the years to report (default: all after
#'   `base`).
#' @param sigma for `"weighted"`, the CES elasticity of substitution (8).
#' @param cpi,relatedness for `"weighted"`, names of the city CPI (price level)
#'   and relatedness-density columns of `data`.
#' @param cpi_national for `"weighted"`, name of the national CPI column of
#'   `growth`.
#' @return A numeric vector aligned with the rows of `data` (`NA` where
#'   undefined).
#' @examples
#' df <- data.frame(city = "A", year = 2008:2011, v = c(100, 120, 130, 150))
#' g <- data.frame(year = 2009:2011, rate = c(0.1, 0.1, 0.05))
#' resilience_index(df, "v", "city", "year", growth = g)
#' resilience_index(df, "v", "city", "year", method = "deviation")
#' @export
resilience_index <- function(data, value, id, time, base = 2008, growth,
                             method = c("counterfactual", "deviation", "weighted"),
                             years = NULL, sigma = 8, cpi = NULL, relatedness = NULL,
                             cpi_national = NULL) {
  check_data_frame(data)
  method <- match_choice(method, c("counterfactual", "deviation", "weighted"), "method")
  for (a in c("value", "id", "time")) {
    nm <- get(a)
    if (!is.character(nm) || length(nm) != 1L) exr_error(a, "expected one column name.")
    check_columns(data, nm, a)
  }
  if (!is.numeric(base) || length(base) != 1L || is.na(base)) {
    exr_error("base", "expected a single year.")
  }
  v <- data[[value]]
  check_numeric_column(v, value, "value")
  v <- as.double(v)
  if (any(v < 0, na.rm = TRUE)) exr_error("value", "export values must be non-negative.")
  tt <- data[[time]]
  check_numeric_column(tt, time, "time")
  ids <- data[[id]]
  key <- paste(ids, tt, sep = "\r")
  if (anyDuplicated(key)) exr_error("data", "has duplicate (", id, ", ", time, ") pairs.")
  vb <- v[match(paste(ids, base, sep = "\r"), key)]

  if (method == "deviation") {
    if (is.null(years)) years <- unique(tt[tt > base])
    out <- (v - vb) / vb
    out[!(tt %in% years) | !is.finite(out)] <- NA_real_
    return(out)
  }

  if (missing(growth) || is.null(growth)) exr_error("growth", "is needed for method \"", method, "\".")
  check_data_frame(growth, "growth")
  gyear <- if (time %in% names(growth)) time else "year"
  check_columns(growth, c(gyear, "rate"), "growth")
  check_numeric_column(growth$rate, "rate", "growth")
  if (any(duplicated(growth[[gyear]]))) exr_error("growth", "has a year more than once.")
  need <- sort(unique(tt[!is.na(tt) & tt > base]))
  gi <- match(need, growth[[gyear]])
  if (anyNA(gi) || anyNA(growth$rate[gi])) {
    exr_error("growth", "has no rate for year(s) ",
              paste(need[is.na(gi) | is.na(growth$rate[gi])], collapse = ", "), ".")
  }
  R <- 1 + growth$rate[match(tt, growth[[gyear]])]
  if (any(R <= 0, na.rm = TRUE)) exr_error("growth", "rates must exceed -1.")
  prev <- match(paste(ids, tt - 1, sep = "\r"), key)
  vprev <- v[prev]

  if (method == "counterfactual") {
    vhat <- vprev * R
  } else {
    if (!is.numeric(sigma) || length(sigma) != 1L || !is.finite(sigma)) {
      exr_error("sigma", "expected a single number.")
    }
    for (a in c("cpi", "relatedness")) {
      nm <- get(a)
      if (!is.character(nm) || length(nm) != 1L) {
        exr_error(a, "expected one column name (method \"weighted\").")
      }
      check_columns(data, nm, a)
      check_numeric_column(data[[nm]], nm, a)
    }
    if (!is.character(cpi_national) || length(cpi_national) != 1L) {
      exr_error("cpi_national", "expected one column name of `growth` (method \"weighted\").")
    }
    check_columns(growth, cpi_national, "cpi_national")
    cp <- as.double(data[[cpi]])
    cn <- as.double(growth[[cpi_national]])
    if (any(cp <= 0, na.rm = TRUE)) exr_error("cpi", "CPI levels must be positive.")
    if (any(cn <= 0, na.rm = TRUE)) exr_error("cpi_national", "CPI levels must be positive.")
    gy <- growth[[gyear]]
    dln_nat <- log(cn[match(tt, gy)]) - log(cn[match(tt - 1, gy)])
    dln_city <- log(cp) - log(cp[prev])
    beta <- as.double(data[[relatedness]])
    g <- log(R) * (1 + beta) + (sigma - 1) * (dln_nat - dln_city)
    vhat <- vprev * exp(g)
  }
  den <- abs(vhat - vb)
  out <- (v - vhat) / den
  out[!(tt > base) | !is.finite(out)] <- NA_real_
  out
}

#' Export market diversity
#'
#' Herfindahl-Hirschman index of a unit's exports over its partners,
#' \eqn{HHI_{pt} = \sum_i (Y_{pit} / Y_{pt})^2}, its inverse (the paper's
#' market-diversity resilience measure `emd`, Table 4 col. 4) and the number of
#' partners with positive exports (the Heckman selection `ifhhi` is
#' `n_partners > 3`). Duplicate (unit, time, partner) rows are summed; rows
#' with a missing value are ignored.
#'
#' @param flows a data frame of flows in long format.
#' @param id,time,partner,value column names: the unit, the year, the partner
#'   and the (non-negative) export value.
#' @return A data frame with one row per unit and year (sorted), columns named
#'   as `id` and `time`, then `hhi`, `diversity` (= 1/hhi; between 1 and
#'   `n_partners`) and `n_partners`. Units with zero total exports in a year get
#'   `NA` for `hhi` and `diversity` and 0 partners.
#' @examples
#' fl <- data.frame(city = "A", year = 2020, country = c("x", "y", "z"),
#'                  v = c(50, 30, 20))
#' diversity_index(fl, "city", "year", "country", "v")
#' @export
diversity_index <- function(flows, id, time, partner, value) {
  check_data_frame(flows, "flows")
  for (a in c("id", "time", "partner", "value")) {
    nm <- get(a)
    if (!is.character(nm) || length(nm) != 1L) exr_error(a, "expected one column name.")
    check_columns(flows, nm, a)
  }
  v <- flows[[value]]
  check_numeric_column(v, value, "value")
  v <- as.double(v)
  if (any(v < 0, na.rm = TRUE)) exr_error("value", "export values must be non-negative.")
  ok <- !is.na(v)
  # shares are scale-free: in units of a power of two near the largest value
  # (exact), totals cannot overflow however large the values
  mx <- if (any(ok)) max(v[ok]) else 0
  if (mx > 0) v <- v / 2^floor(log2(mx))
  ut <- unique(flows[ok, c(id, time), drop = FALSE])
  ut <- ut[order(ut[[id]], ut[[time]]), , drop = FALSE]
  ukey <- paste(ut[[id]], ut[[time]], sep = "\r")
  g <- match(paste(flows[[id]], flows[[time]], sep = "\r")[ok], ukey)
  # sum duplicates within (unit, time, partner) first, then square shares;
  # every group 1..G occurs, and rowsum() on integer codes returns them in order
  pk <- paste(g, flows[[partner]][ok], sep = "\r")
  pf <- factor(pk)
  vp <- as.vector(rowsum(v[ok], pf))
  gp <- g[match(levels(pf), pk)]
  tot <- as.vector(rowsum(vp, gp))
  s2 <- as.vector(rowsum((vp / tot[gp])^2, gp))
  np <- as.vector(rowsum(as.integer(vp > 0), gp))
  hhi <- ifelse(tot > 0, s2, NA_real_)
  out <- data.frame(ut[[id]], ut[[time]], hhi, 1 / hhi, as.integer(np))
  names(out) <- c(id, time, "hhi", "diversity", "n_partners")
  rownames(out) <- NULL
  out
}

#' Export sophistication: PRODY and EXPY
#'
#' Hausmann, Hwang and Rodrik (2007). For each product \eqn{v} and year,
#' \deqn{PRODY_v = \sum_i \frac{x_{iv}/X_i}{\sum_i x_{iv}/X_i} L_i,}
#' the revealed-comparative-advantage weighted average of exporters' GDP per
#' capita \eqn{L_i} (\eqn{x_{iv}} country \eqn{i}'s exports of \eqn{v},
#' \eqn{X_i} its total exports); for each city and year,
#' \deqn{EXPY_p = \sum_v (x_{pv}/X_p)\, PRODY_v.}
#' This is the variant of HHR (2007) eq. (1)-(2) also used by
#' `economiccomplexity::productivity_levels()` (not the export-share-weighted
#' variant of Lall et al.).
#'
#' Zero and missing flows: countries with zero total exports in a year, or
#' without GDP per capita in that year, are left out of that year's PRODY (their
#' flows do not enter the shares); a product that no remaining country exports
#' has `NA` PRODY. A city's EXPY uses the products with a PRODY in that year,
#' its shares renormalised over them; a city-year with no such exports gets `NA`.
#' Negative values are an error; rows with missing values are ignored.
#'
#' @param country_flows exports by country, product and year (long format).
#' @param country_gdp GDP per capita by country and year.
#' @param city_flows exports by city, product and year (long format).
#' @param country,product,time,value,gdp,city column names (shared by the
#'   three data frames where they apply).
#' @return A list: `prody`, a data frame with columns named as `product` and
#'   `time` plus `prody`; `expy`, a data frame with columns named as `city` and
#'   `time` plus `expy`.
#' @examples
#' cf <- data.frame(country = rep(c("a", "b", "c"), each = 2), product = c("p", "q"),
#'                  year = 2020, value = c(10, 0, 5, 5, 1, 9))
#' gdp <- data.frame(country = c("a", "b", "c"), year = 2020, gdp_pc = c(1000, 5000, 20000))
#' city <- data.frame(city = "X", product = c("p", "q"), year = 2020, value = c(3, 1))
#' sophistication_index(cf, gdp, city)
#' @export
sophistication_index <- function(country_flows, country_gdp, city_flows,
                                 country = "country", product = "product", time = "year",
                                 value = "value", gdp = "gdp_pc", city = "city") {
  check_data_frame(country_flows, "country_flows")
  check_data_frame(country_gdp, "country_gdp")
  check_data_frame(city_flows, "city_flows")
  for (a in c("country", "product", "time", "value", "gdp", "city")) {
    nm <- get(a)
    if (!is.character(nm) || length(nm) != 1L) exr_error(a, "expected one column name.")
  }
  check_columns(country_flows, c(country, product, time, value), "country_flows")
  check_columns(country_gdp, c(country, time, gdp), "country_gdp")
  check_columns(city_flows, c(city, product, time, value), "city_flows")
  x <- country_flows[[value]]
  check_numeric_column(x, value, "country_flows")
  L <- country_gdp[[gdp]]
  check_numeric_column(L, gdp, "country_gdp")
  y <- city_flows[[value]]
  check_numeric_column(y, value, "city_flows")
  if (any(x < 0, na.rm = TRUE)) exr_error("country_flows", "export values must be non-negative.")
  if (any(y < 0, na.rm = TRUE)) exr_error("city_flows", "export values must be non-negative.")
  if (any(L <= 0, na.rm = TRUE)) exr_error("country_gdp", "GDP per capita must be positive.")
  gk <- paste(country_gdp[[country]], country_gdp[[time]], sep = "\r")
  if (anyDuplicated(gk[!is.na(L)])) exr_error("country_gdp", "has a country-year more than once.")

  # PRODY: countries with GDP and positive total exports in the year
  ck <- paste(country_flows[[country]], country_flows[[time]], sep = "\r")
  Lc <- as.double(L)[match(ck, gk[!is.na(L)])]
  keep <- !is.na(x) & !is.na(Lc)
  x <- as.double(x[keep]); ck <- ck[keep]; Lc <- Lc[keep]
  cf <- factor(ck)
  Xc <- as.vector(rowsum(x, cf))[as.integer(cf)]
  pos <- Xc > 0
  s <- x[pos] / Xc[pos]
  pk_t <- country_flows[[time]][keep][pos]
  pk_p <- country_flows[[product]][keep][pos]
  pf <- factor(paste(pk_p, pk_t, sep = "\r"))
  den <- as.vector(rowsum(s, pf))
  num <- as.vector(rowsum(s * Lc[pos], pf))
  first <- match(levels(pf), as.character(pf))
  prody <- data.frame(pk_p[first], pk_t[first], ifelse(den > 0, num / den, NA_real_))
  names(prody) <- c(product, time, "prody")
  prody <- prody[order(prody[[time]], prody[[product]]), , drop = FALSE]
  rownames(prody) <- NULL

  # EXPY
  okc <- !is.na(y)
  y <- as.double(y[okc])
  ct <- city_flows[[time]][okc]
  cc <- city_flows[[city]][okc]
  pr <- prody$prody[match(paste(city_flows[[product]][okc], ct, sep = "\r"),
                          paste(prody[[product]], prody[[time]], sep = "\r"))]
  ef <- factor(paste(cc, ct, sep = "\r"))
  has <- !is.na(pr)
  tot <- as.vector(rowsum(ifelse(has, y, 0), ef))
  sp <- as.vector(rowsum(ifelse(has, y * pr, 0), ef))
  first <- match(levels(ef), as.character(ef))
  expy <- data.frame(cc[first], ct[first], ifelse(tot > 0, sp / tot, NA_real_))
  names(expy) <- c(city, time, "expy")
  expy <- expy[order(expy[[city]], expy[[time]]), , drop = FALSE]
  rownames(expy) <- NULL
  list(prody = prody, expy = expy)
}
