# Documentation of the bundled data sets. All are SIMULATED (data-raw/dgp.R,
# seed 289): only the design (provinces, coastal list, pilot zones and years,
# national export growth and CPI, destination countries and their Belt-and-Road
# membership) is real.

#' Simulated city panel: raw city-year inputs (simulated; calibrated so that the paper's estimates are the true parameters)
#'
#' The raw city-year data behind every measure of the paper, for 289 synthetic
#' cities (`C001`-`C289`) in real provinces, 2008-2021 (2008 is the resilience
#' base year, 2011-2021 the estimation sample). **Simulated; calibrated so that
#' the paper's estimates are the true parameters.** The paper's data (CSMAR,
#' WIND, EPS) are proprietary; this panel has its shape and a known
#' data-generating process (DGP), written out in `data-raw/dgp.R` of the source
#' package and summarised below. [build_city_panel()] derives the analysis
#' panel; [city_truth] lists the true parameters.
#'
#' @section Data-generating process:
#' City development \eqn{\alpha_i \sim N(0,1)}-like (province effect, higher for
#' municipalities, provincial capitals and the Pearl River Delta), coastal flag,
#' an unobserved AR(1) city-year shock \eqn{s_{it}} (\eqn{\rho = 0.5}) that
#' raises both the digital indicators and resilience (so `dig` is endogenous),
#' internet ports growing at city-specific rates, and a historical telecom base
#' proxied by the 1984 post offices and telephones ([city_info]).
#' Digital indicators: \eqn{\ln x_j = m_j + l_j(\alpha_i + 0.5 c_i) + g_j t +
#' k_j s_{it} + h_j D_{it} + e}, with \eqn{D_{it}} the log of historical base x
#' internet ports (mobile and broadband only). `dig` is their pooled entropy
#' index over 2011-2021. True innovation-allocation efficiency
#' \eqn{TE_{it} = \exp(-u_{it})}, with the inefficiency \eqn{u_{it}} half-normal,
#' \eqn{|N(0, \sigma_{it}^2)|}, and \eqn{\sigma_{it}} chosen so that its mean
#' \eqn{E[TE_{it}] = \tau_i + 0.16\,dig_{it} + \nu_t} (\eqn{\tau_i = 0.70 +
#' 0.03\alpha_i +} N(0, 0.05\eqn{^2}); the mean kept in \[0.15, 0.95\]): the mean of
#' \eqn{u} falls with dig, and TE regressed on dig with city and year effects
#' estimates 0.16. The two outputs (counts, at least 1) come from a Cobb-Douglas
#' frontier in the four inputs (elasticities 0.25, 0.30, 0.15, 0.20) with noise
#' \eqn{v} (sd 0.05, small next to \eqn{u}, so that the package's SFA `aif` and
#' DEA `aif_dea` measure it) and \eqn{u}, split by a random mix \eqn{r}:
#' \eqn{\ln y_1 = \ln Y + (1-a) r}, \eqn{\ln y_2 = \ln Y - a r}, \eqn{a = 0.5} (an
#' output distance function). Resilience (2011-2021):
#' \deqn{res_{it} = \beta_i dig_{it} + 0.064\,TE_{it} + 0.034\,dig_{it}\,cetc_{it} +
#'   \theta_{k(it)} D_{it} + \delta' X_{it} + a_i + \mu_t + 0.0025\,s_{it} + \varepsilon_{it}}
#' with \eqn{\beta_i = 0.84 +} heterogeneity (+0.15 high FDI, -0.25 coastal,
#' -0.15 high risk exposure, +0.15 Belt-and-Road destinations, centred so that
#' their average weighted by each city's two-way-demeaned `dig` variation is 0),
#' a pilot-zone effect rising with years since approval (0.02, 0.035, 0.05,
#' 0.06, 0.07, 0.075, 0.08), \eqn{\varepsilon} sd 0.22. Exports: 2008 from size
#' and \eqn{\alpha_i}, 2009-2010 at national growth times noise, 2011-2021
#' backed out from `res` through eq. (2):
#' \eqn{v_{it} = \hat v_{it} + res_{it} |\hat v_{it} - v_{i,2008}|},
#' \eqn{\hat v_{it} = v_{i,t-1} R_t}; where that would be below
#' \eqn{0.01\,\hat v_{it}} it would be set to \eqn{0.01\,\hat v_{it}} (this
#' never binds in the shipped panel nor in the regenerated ones, because the
#' city effect \eqn{a_i} offsets 80\% of each city's mean systematic
#' resilience, so exports do not compound without bound through eq. (2)). Products: city export mixes over 50 products tilt
#' toward high-PRODY products with a within-city AR(1) upgrading process independent of `dig` (so the `dig x cetc` moderation is identified cleanly), giving EXPY and
#' `cetc`. Destinations: each city-year exports to its \eqn{K_{it}} most
#' attractive of 60 countries, \eqn{K_{it}} rising with development,
#' \eqn{1/}distance to the coast (the exclusion restriction of the Heckman
#' selection `ifhhi` = more than 3 partners, failed by about 7\% of
#' city-years), within-city `dig` growth (0.25 per unit of `dig` in logs), a
#' persistent city component (sd 0.5) and a small yearly one (sd 0.08); shares
#' follow destination affinities with yearly noise sd 0.10 (so that 1/HHI moves
#' with `dig` at about the paper's scale, Table 4 col. 4). City CPI inflation
#' deviates from the national rate by N(0, 0.003\eqn{^2}) a year, accumulated. Controls trend with \eqn{\alpha_i}; `mk` for 2020-2021
#' is extrapolated by each city's average growth, as the paper does; four
#' control values are missing.
#'
#' Coverage over regenerated panels (`data-raw/coverage.R`) is reported in the
#' package's `data-raw/COVERAGE.md`.
#'
#' @format A data frame with 4,046 rows (289 cities x 14 years) and 30 columns:
#' \describe{
#'   \item{city}{synthetic city id, `C001`-`C289`}
#'   \item{year}{2008-2021}
#'   \item{exports}{export value, USD million (3 decimals); backed out from the resilience path via eq. (2)}
#'   \item{mobile}{mobile phone users per 100 people}
#'   \item{broadband}{broadband internet users per 100 people}
#'   \item{patents_inet}{internet-related patents granted, count}
#'   \item{st_share}{science and technology spending, percent of fiscal spending}
#'   \item{it_emp}{employees in IT, computer services and software, thousand persons}
#'   \item{telecom_pc}{telecom revenue per capita, yuan}
#'   \item{dfi}{digital inclusive finance index (`NA` before 2011, when the index starts)}
#'   \item{inet_ports}{internet broadband access ports, 10,000 ports (the time-varying part of the IVs)}
#'   \item{st_fiscal}{SFA/DEA input: fiscal S&T spending, 10,000 yuan}
#'   \item{rd_internal}{SFA/DEA input: internal R&D spending, 10,000 yuan}
#'   \item{fai_lag}{SFA/DEA input: previous year's fixed-asset investment, 100 million yuan}
#'   \item{sci_emp}{SFA/DEA input: urban employees in scientific research and technical services, 10,000 persons}
#'   \item{contracts}{SFA/DEA output: S&T projects/contracts signed in the year, count}
#'   \item{patents_valid}{SFA/DEA output: valid invention patents, count}
#'   \item{ed}{GDP per capita, yuan (the panel uses its log)}
#'   \item{fdi}{actual FDI used / GDP (fraction)}
#'   \item{fp}{budget revenue / budget expenditure}
#'   \item{ub}{log population density (persons per km2)}
#'   \item{fc}{(deposits + loans) / GDP}
#'   \item{mk}{marketisation index (2020-2021 extrapolated)}
#'   \item{ts}{S&T spending / GDP, percent}
#'   \item{er}{pollution-control investment / GDP, percent}
#'   \item{lai}{tertiary / secondary value added}
#'   \item{cpi}{city consumer price index, 2008 = 100}
#'   \item{relatedness}{industry-relatedness density, in (0, 1)}
#' }
#' @source Simulated by `data-raw/city_panel.R` (seed 289, the number of
#'   cities, fixed before any estimate was seen, and kept unchanged through the
#'   recalibration of the DGP, before the recalibrated panel's estimates were seen).
#' @seealso [city_truth], [city_info], [build_city_panel()].
"city_panel"

#' True parameters of the simulated city panel
#'
#' Every true parameter of the data-generating process of [city_panel]
#' (**simulated; calibrated so that the paper's estimates are the true
#' parameters**), and which regression estimates which (element
#' `estimated_by`).
#'
#' @format A list:
#' \describe{
#'   \item{note}{"simulated; calibrated so that the paper's estimates are the true parameters"}
#'   \item{seed}{the seed of the shipped panel (289)}
#'   \item{total_effect}{0.84 + 0.16 x 0.064 = 0.85024: the `dig` coefficient of `res ~ dig + controls | city + year` (Table 3 col. 4) and of the 2SLS (Table 5)}
#'   \item{direct_effect}{0.84: the `dig` coefficient with the mediator controlled (Table 8 col. 2)}
#'   \item{a_mediator}{0.16: effect of `dig` on the true efficiency (Table 8 col. 1)}
#'   \item{b_mediator}{0.064: effect of the true efficiency on `res` (Table 8 col. 2)}
#'   \item{interaction}{0.034: coefficient of `dig x cetc` (Table 9 col. 2)}
#'   \item{did}{the two-way FE estimand of `did_path` on this design (about 0.05), estimated by `res ~ did + dig + controls | city + year`; Table 6 col. 1 omits `dig` and also picks up differential `dig` trends of pilot cities}
#'   \item{did_path}{pilot-zone effect by years since approval, 0-6 (0 before approval; event study, Table 6)}
#'   \item{heterogeneity}{slope shifts by flag before centring (Table 7 ordering)}
#'   \item{heterogeneity_centre}{the weighted mean subtracted from the shifts}
#'   \item{controls}{coefficients of the nine controls (`ed` in logs)}
#'   \item{kappa, rho}{effect of the unobserved AR(1) shock on `res` and its autocorrelation}
#'   \item{sigma_eps}{sd of the idiosyncratic error of `res`}
#'   \item{frontier}{Cobb-Douglas elasticities of the four inputs, output mix `a`, frontier noise sd}
#'   \item{efficiency_clipped}{number of city-years whose mean efficiency was clipped to \[0.15, 0.95\]}
#'   \item{destinations}{within-city dig effect on log partners, partner noise sds (city, year), share noise sd}
#'   \item{sigma_cpi}{sd of a city's yearly CPI inflation around the national rate}
#'   \item{instrument_strength, instrument_noise}{loading of historical base x ports in the indicators; noise of the 1984 proxies}
#'   \item{entropy_weights}{the entropy weights of `dig` computed by the DGP (plain R, unrounded data)}
#'   \item{clipped_exports}{number of city-years whose backed-out exports were clipped}
#'   \item{estimated_by}{named character: which regression estimates each parameter}
#' }
#' @source `data-raw/city_panel.R`.
#' @seealso [city_panel], [build_city_panel()].
"city_truth"

#' Simulated cities: time-invariant traits
#'
#' One row per synthetic city (simulated except province, coastal flag and
#' pilot zones, which follow the real lists).
#' @format A data frame with 289 rows:
#' \describe{
#'   \item{city}{synthetic id `C001`-`C289`}
#'   \item{province}{province (pinyin), real; each contributes its usual number of prefecture-level cities (no Tibet, Hong Kong, Macao, Taiwan; Danzhou and Guyuan dropped)}
#'   \item{coastal}{in the paper's high-openness provinces: Zhejiang, Jiangsu, Guangxi, Guangdong, Hebei, Tianjin, Liaoning, Shandong, Shanghai, Fujian}
#'   \item{pilot_zone}{National Big Data Comprehensive Pilot Zone (real list: Guizhou; Beijing-Tianjin-Hebei; Pearl River Delta, 9 cities; Shanghai; Henan; Chongqing; Shenyang; Inner Mongolia), `NA` otherwise}
#'   \item{pilot_year}{approval year: Guizhou 2015, the others 2016; `NA` otherwise}
#'   \item{dist_coast}{distance to the coastline, km (fma = 1/dist_coast)}
#'   \item{post1984}{post offices in 1984 (IV 1)}
#'   \item{phone1984}{fixed telephones in 1984 (IV 2)}
#' }
#' @source Simulated by `data-raw/city_panel.R`.
"city_info"

#' National export growth and CPI
#'
#' @format A data frame with 14 rows (2008-2021):
#' \describe{
#'   \item{year}{year}
#'   \item{export_growth}{China's annual export growth in current US dollars, as a fraction (R_t = 1 + export_growth; `NA` in 2008). Real: General Administration of Customs figures as reported in the National Bureau of Statistics' Statistical Communiques (percent: -16.0, 31.3, 20.3, 7.9, 7.9, 6.0, -2.9, -7.7, 7.9, 9.9, 0.5, 3.6, 29.9 for 2009-2021)}
#'   \item{cpi_national}{national CPI, 2008 = 100, chained from the NBS annual inflation rates}
#' }
#' @source National Bureau of Statistics of China, Statistical Communiques 2009-2021.
"national_series"

#' Simulated city exports by destination country
#'
#' @format A data frame (long format; positive flows only), 2011-2021:
#' \describe{
#'   \item{city}{synthetic city id}
#'   \item{year}{year}
#'   \item{country}{ISO3 code of the destination (see [countries])}
#'   \item{exports}{exports, USD million (4 significant digits)}
#' }
#' @source Simulated by `data-raw/city_panel.R`.
"city_destinations"

#' Simulated city exports by product
#'
#' @format A data frame (long format; positive flows only; 20 products per city), 2011-2021:
#' \describe{
#'   \item{city}{synthetic city id}
#'   \item{year}{year}
#'   \item{product}{synthetic product code `P01`-`P50` (higher codes are more sophisticated)}
#'   \item{exports}{exports, USD million (4 significant digits)}
#' }
#' @source Simulated by `data-raw/city_panel.R`.
"city_products"

#' Destination countries
#'
#' @format A data frame with 60 rows:
#' \describe{
#'   \item{country}{ISO3 code}
#'   \item{name}{English name (ASCII)}
#'   \item{bri}{has signed a Belt-and-Road cooperation document with China (as of 2023)}
#' }
#' @source Belt and Road Portal list of cooperation documents (approximate, as of 2023).
"countries"

#' Simulated country GDP per capita and geopolitical risk
#'
#' @format A data frame (60 countries x 2011-2021):
#' \describe{
#'   \item{country}{ISO3 code}
#'   \item{year}{year}
#'   \item{gdp_pc}{GDP per capita, current USD (simulated around each country's approximate 2011 level)}
#'   \item{risk}{geopolitical risk index (simulated; higher = riskier)}
#' }
#' @source Simulated by `data-raw/city_panel.R`.
"country_year"

#' Simulated country exports by product
#'
#' @format A data frame (60 countries x 50 products x 2011-2021):
#' \describe{
#'   \item{country}{ISO3 code}
#'   \item{year}{year}
#'   \item{product}{synthetic product code `P01`-`P50`}
#'   \item{exports}{exports, USD million (4 significant digits)}
#' }
#' @source Simulated by `data-raw/city_panel.R`.
"country_products"
