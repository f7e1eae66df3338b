# The data-generating process of exportres' bundled simulated city panel.
#
# simulate_city_data(seed) returns the raw data sets shipped in data/ (rounded),
# the true parameters (`truth`) and the unrounded latent analysis variables
# (`latent`, used by the coverage study). Plain R only (no exportres code), so
# the DGP and the package's measures are computed independently; the entropy
# index and PRODY/EXPY are plain-R copies of the paper's formulas.
#
# SIMULATED. Calibrated so that the paper's estimates are the true parameters.
# Nothing here is real data except: the list of provinces and how many cities
# each contributes, the coastal list, the pilot-zone provinces/cities and their
# approval years, China's national export growth and CPI inflation series,
# the destination countries' names and their Belt-and-Road membership.

# ---- fixed design ----------------------------------------------------------

provinces <- data.frame(
  province = c("Beijing", "Tianjin", "Hebei", "Shanxi", "Inner Mongolia", "Liaoning",
               "Jilin", "Heilongjiang", "Shanghai", "Jiangsu", "Zhejiang", "Anhui",
               "Fujian", "Jiangxi", "Shandong", "Henan", "Hubei", "Hunan", "Guangdong",
               "Guangxi", "Hainan", "Chongqing", "Sichuan", "Guizhou", "Yunnan",
               "Shaanxi", "Gansu", "Qinghai", "Ningxia", "Xinjiang"),
  n = c(1, 1, 11, 11, 9, 14, 8, 12, 1, 13, 11, 16, 9, 11, 17, 17, 12, 13, 21, 14, 2, 1,
        18, 6, 8, 10, 12, 2, 4, 4),
  # typical distance of the province's cities to the coastline, km
  dist = c(150, 50, 150, 500, 900, 80, 400, 600, 30, 80, 60, 400, 60, 400, 80, 500, 800,
           700, 60, 150, 30, 1100, 1300, 1000, 1100, 900, 1500, 2000, 1300, 3000),
  stringsAsFactors = FALSE
)
# The paper's high-openness (coastal) provinces.
coastal_provinces <- c("Zhejiang", "Jiangsu", "Guangxi", "Guangdong", "Hebei", "Tianjin",
                       "Liaoning", "Shandong", "Shanghai", "Fujian")

# China's annual export growth in current US dollars (General Administration of
# Customs, as reported in the National Bureau of Statistics' Statistical
# Communiques on National Economic and Social Development, 2009-2021), percent.
export_growth_pct <- c(`2009` = -16.0, `2010` = 31.3, `2011` = 20.3, `2012` = 7.9,
                       `2013` = 7.9, `2014` = 6.0, `2015` = -2.9, `2016` = -7.7,
                       `2017` = 7.9, `2018` = 9.9, `2019` = 0.5, `2020` = 3.6,
                       `2021` = 29.9)
# National CPI inflation, percent (NBS Statistical Communiques); index 2008 = 100.
cpi_infl_pct <- c(`2009` = -0.7, `2010` = 3.3, `2011` = 5.4, `2012` = 2.6, `2013` = 2.6,
                  `2014` = 2.0, `2015` = 1.4, `2016` = 2.0, `2017` = 1.6, `2018` = 2.1,
                  `2019` = 2.9, `2020` = 2.5, `2021` = 0.9)

# Destination countries: ISO3, English name, Belt-and-Road cooperation document
# signed with China (as listed by the Belt and Road Portal, 2023), and an
# approximate 2011 GDP per capita in US dollars (only a starting level: the
# series itself is simulated).
countries <- data.frame(
  country = c("USA", "JPN", "KOR", "DEU", "NLD", "GBR", "FRA", "ITA", "ESP", "CAN",
              "AUS", "RUS", "IND", "VNM", "THA", "MYS", "SGP", "IDN", "PHL", "BRA",
              "MEX", "ARE", "SAU", "TUR", "POL", "BEL", "CHE", "SWE", "NZL", "ZAF",
              "NGA", "EGY", "PAK", "BGD", "IRN", "KAZ", "UZB", "CHL", "ARG", "PER",
              "COL", "ISR", "KWT", "QAT", "OMN", "IRQ", "KEN", "ETH", "DZA", "MAR",
              "UKR", "GRC", "PRT", "HUN", "CZE", "ROU", "AUT", "DNK", "NOR", "MMR"),
  name = c("United States", "Japan", "Korea, Rep.", "Germany", "Netherlands",
           "United Kingdom", "France", "Italy", "Spain", "Canada", "Australia", "Russia",
           "India", "Viet Nam", "Thailand", "Malaysia", "Singapore", "Indonesia",
           "Philippines", "Brazil", "Mexico", "United Arab Emirates", "Saudi Arabia",
           "Turkiye", "Poland", "Belgium", "Switzerland", "Sweden", "New Zealand",
           "South Africa", "Nigeria", "Egypt", "Pakistan", "Bangladesh", "Iran",
           "Kazakhstan", "Uzbekistan", "Chile", "Argentina", "Peru", "Colombia", "Israel",
           "Kuwait", "Qatar", "Oman", "Iraq", "Kenya", "Ethiopia", "Algeria", "Morocco",
           "Ukraine", "Greece", "Portugal", "Hungary", "Czechia", "Romania", "Austria",
           "Denmark", "Norway", "Myanmar"),
  bri = c(FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE, FALSE,
          FALSE, TRUE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, FALSE,
          FALSE, TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, TRUE, TRUE,
          TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE,
          FALSE, FALSE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE,
          TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, TRUE),
  gdp2011 = c(49900, 48700, 25100, 46600, 54200, 42100, 43800, 38600, 31800, 52200,
              62500, 14300, 1460, 1530, 5490, 10400, 53900, 3640, 2360, 13200,
              10200, 41000, 23700, 11300, 13900, 47400, 90500, 60800, 38400, 8000,
              2500, 2600, 1160, 860, 7600, 11600, 1600, 14600, 12800, 6100,
              7300, 33700, 48600, 88600, 23100, 6100, 1000, 350, 5400, 3000,
              3600, 25900, 23200, 14100, 21700, 9000, 51400, 61800, 100600, 1000),
  stringsAsFactors = FALSE
)

digital_vars <- c("mobile", "broadband", "patents_inet", "st_share", "it_emp",
                  "telecom_pc", "dfi")
control_vars <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")

# ---- true parameters ----------------------------------------------------------

dgp_par <- function() {
  list(
    beta_direct = 0.84,     # dig -> res holding the mediator fixed
    a_mediator = 0.16,      # dig -> true innovation-allocation efficiency (aif)
    b_mediator = 0.064,     # aif -> res
    interaction = 0.034,    # dig x cetc -> res
    theta_path = c(`0` = 0.02, `1` = 0.035, `2` = 0.05, `3` = 0.06, `4` = 0.07,
                   `5` = 0.075, `6` = 0.08),    # pilot-zone effect by years since approval
    het = c(high_fdi = 0.15, coastal = -0.25, high_risk = -0.15, bri_main = 0.15),
    delta = c(ed = 0.25, fdi = 1.5, fp = 0.10, ub = 0.02, fc = 0.02, mk = 0.03,
              ts = 0.05, er = 0, lai = 0.05),   # controls (ed enters as log yuan)
    kappa = 0.0025,          # unobserved AR(1) shock s_it -> res (endogeneity; FE bias ~0.3 SE)
    rho = 0.5,              # AR(1) coefficient of s_it
    sigma_eps = 0.22,       # idiosyncratic error of res
    sigma_city = 0.12,      # city effect in res (plus 0.15 alpha)
    h_inst = 0.18,          # historical infrastructure x internet ports -> digital indicators
    inst_noise = 0.6,      # noise of the 1984 proxies for historical infrastructure
    tfe = c(x1 = 0.25, x2 = 0.30, x3 = 0.15, x4 = 0.20),   # frontier elasticities
    mix_a = 0.5,            # output mix: ln Y = a ln y1 + (1 - a) ln y2
    sigma_v = 0.05,         # frontier noise (small next to u, so SFA and DEA can see u)
    partner_dig = 0.25,     # within-city dig (unit scale) -> log number of destination partners
    sigma_partner = c(city = 0.5, year = 0.08),  # persistent and yearly noise of log partners
    sigma_share = 0.10,     # yearly noise of destination affinities
    sigma_cpi = 0.003       # sd of a city's yearly CPI inflation around the national rate
  )
}

# ---- helpers (plain R copies of the paper's formulas) -------------------------

plain_entropy <- function(X) {
  Y <- apply(X, 2, function(x) (x - min(x)) / (max(x) - min(x)))
  q <- sweep(Y, 2, colSums(Y), "/")
  f <- -colSums(ifelse(q > 0, q * log(q), 0)) / log(nrow(X))
  w <- (1 - f) / sum(1 - f)
  list(index = drop(Y %*% w), weights = w)
}

# within (two-way) demeaning for a balanced panel given as an N x T matrix
demean2 <- function(M) sweep(sweep(M, 1, rowMeans(M)), 2, colMeans(M)) + mean(M)

# ---- the generator -------------------------------------------------------------

simulate_city_data <- function(seed, par = dgp_par()) {
  set.seed(seed)
  years <- 2008:2021
  est <- 2011:2021
  nT <- length(years)
  prov <- rep(provinces$province, provinces$n)
  N <- length(prov)
  stopifnot(N == 289)
  city <- sprintf("C%03d", seq_len(N))
  coastal <- prov %in% coastal_provinces
  pos_in_prov <- ave(seq_len(N), prov, FUN = seq_along)
  # pilot zones (real): Guizhou 2015; from 2016 Beijing, Tianjin, Hebei, the
  # Pearl River Delta (9 Guangdong cities), Shanghai, Henan, Chongqing,
  # Shenyang (Liaoning), Inner Mongolia
  zone <- rep(NA_character_, N)
  zone[prov == "Guizhou"] <- "Guizhou"
  zone[prov %in% c("Beijing", "Tianjin", "Hebei")] <- "Beijing-Tianjin-Hebei"
  zone[prov == "Guangdong" & pos_in_prov <= 9] <- "Pearl River Delta"
  zone[prov == "Shanghai"] <- "Shanghai"
  zone[prov == "Henan"] <- "Henan"
  zone[prov == "Chongqing"] <- "Chongqing"
  zone[prov == "Liaoning" & pos_in_prov == 1] <- "Shenyang"
  zone[prov == "Inner Mongolia"] <- "Inner Mongolia"
  pilot_year <- ifelse(is.na(zone), NA_integer_, ifelse(zone == "Guizhou", 2015L, 2016L))

  # latent city traits
  prov_eff <- rnorm(nrow(provinces), 0, 0.4)[match(prov, provinces$province)]
  alpha <- prov_eff + rnorm(N, 0, 0.9) + 0.4 * coastal
  alpha[prov %in% c("Beijing", "Shanghai")] <- alpha[prov %in% c("Beijing", "Shanghai")] + 2
  alpha[prov %in% c("Tianjin", "Chongqing")] <- alpha[prov %in% c("Tianjin", "Chongqing")] + 1.2
  alpha[which(zone == "Pearl River Delta")] <- alpha[which(zone == "Pearl River Delta")] + 0.8
  alpha[pos_in_prov == 1 & provinces$n[match(prov, provinces$province)] > 1] <-
    alpha[pos_in_prov == 1 & provinces$n[match(prov, provinces$province)] > 1] + 1  # capitals
  dist_coast <- round(pmax(5, provinces$dist[match(prov, provinces$province)] *
                             exp(rnorm(N, 0, 0.5))))
  fma <- 1 / dist_coast
  hist_infra <- 0.5 * alpha + rnorm(N, 0, 0.85)          # historical telecom base
  post1984 <- round(exp(4.3 + 0.45 * hist_infra + rnorm(N, 0, par$inst_noise)))
  phone1984 <- round(exp(8.5 + 0.45 * hist_infra + rnorm(N, 0, 0.8 * par$inst_noise)))
  fdi_trait <- rnorm(N, 0, 0.5)

  tt <- matrix(years - 2008, N, nT, byrow = TRUE)
  A <- matrix(alpha, N, nT)
  C <- matrix(coastal, N, nT)
  # AR(1) shock s_it, stationary, unit variance
  s <- matrix(0, N, nT)
  s[, 1] <- rnorm(N)
  for (k in 2:nT) s[, k] <- par$rho * s[, k - 1] + sqrt(1 - par$rho^2) * rnorm(N)
  # internet ports (10,000 ports), growing at city-specific rates
  p0 <- exp(1 + 0.6 * alpha + rnorm(N, 0, 0.4))
  r_port <- runif(N, 0.04, 0.28)
  ports <- p0 * exp(r_port * tt) * exp(rnorm(N * nT, 0, 0.03))
  Hp <- exp(0.45 * hist_infra) * ports          # the driver the 1984 stock x ports proxies
  Dz <- log(Hp) - mean(log(Hp))

  # digital indicators: log x = m + l (alpha + 0.5 c) + g t + k s + h D + noise
  spec <- rbind(
    mobile       = c(m = log(60),  l = 0.15, g = 0.05, k = 0.05, h = 0.5, e = 0.05),
    broadband    = c(m = log(8),   l = 0.25, g = 0.08, k = 0.08, h = 1.0, e = 0.08),
    patents_inet = c(m = log(30),  l = 0.60, g = 0.15, k = 0.15, h = 0.0, e = 0.20),
    st_share     = c(m = log(1.2), l = 0.30, g = 0.04, k = 0.05, h = 0.0, e = 0.12),
    it_emp       = c(m = log(2),   l = 0.50, g = 0.06, k = 0.10, h = 0.0, e = 0.12),
    telecom_pc   = c(m = log(600), l = 0.30, g = 0.04, k = 0.08, h = 0.0, e = 0.10),
    dfi          = c(m = log(25),  l = 0.15, g = 0.18, k = 0.03, h = 0.0, e = 0.04)
  )
  X <- list()
  for (j in rownames(spec)) {
    p <- spec[j, ]
    X[[j]] <- exp(p[["m"]] + p[["l"]] * (A + 0.5 * C) + p[["g"]] * tt + p[["k"]] * s +
                    p[["h"]] * par$h_inst * Dz + matrix(rnorm(N * nT, 0, p[["e"]]), N, nT))
  }
  X$dfi[, years < 2011] <- NA       # the digital inclusive finance index starts in 2011
  ie <- which(years %in% est)
  Xe <- sapply(X, function(M) as.vector(M[, ie]))
  ent <- plain_entropy(Xe)
  dig <- matrix(ent$index, N, length(ie))

  # controls (realistic ranges), correlated with alpha and trending
  eps <- function(sd) matrix(rnorm(N * nT, 0, sd), N, nT)
  ctrl <- list(
    ed = exp(10.3 + 0.45 * A + 0.3 * C + 0.065 * tt + eps(0.05)),            # yuan per person
    fdi = matrix(pmin(0.2, exp(-4.2 + 0.25 * A + 0.6 * C + fdi_trait - 0.03 * tt + eps(0.15))), N, nT),
    fp = plogis(-0.4 + 0.6 * A + eps(0.15)),
    ub = matrix(5.6 + 0.45 * alpha + rnorm(N, 0, 0.7), N, nT) + 0.005 * tt + eps(0.01),
    fc = exp(0.9 + 0.2 * A + 0.03 * tt + eps(0.08)),
    mk = 5.5 + 1.1 * A + 0.8 * C + 0.12 * tt + eps(0.15),
    ts = exp(-1.6 + 0.4 * A + 0.04 * tt + eps(0.15)),                       # percent of GDP
    er = exp(-1.8 + rnorm(N, 0, 0.4) - 0.02 * tt + eps(0.3)),                # percent of GDP
    lai = exp(-0.1 + 0.2 * A + 0.035 * tt + eps(0.06))
  )
  # marketisation index: 2020-21 extrapolated by each city's average growth 2008-19
  g_mk <- (ctrl$mk[, 12] / ctrl$mk[, 1])^(1 / 11)
  ctrl$mk[, 13] <- ctrl$mk[, 12] * g_mk
  ctrl$mk[, 14] <- ctrl$mk[, 13] * g_mk

  # innovation allocation: inefficiency u_it >= 0 half-normal with a scale
  # sigma_it chosen so that the MEAN efficiency E[exp(-u_it)] is linear in dig
  # (a = 0.16): E[exp(-u)] = 2 exp(sigma^2 / 2) pnorm(-sigma) for u ~ |N(0, sigma^2)|,
  # inverted on a grid. So u's mean falls with dig, the composed error of the
  # frontier is skewed as a stochastic frontier's is (SFA and DEA can see u),
  # and TE = exp(-u) regressed on dig with city and year effects estimates a.
  sg <- seq(0, 6, by = 0.001)
  mte <- 2 * exp(sg^2 / 2) * pnorm(-sg)
  sigma_of_mean <- function(m) stats::approx(rev(mte), rev(sg), xout = m, ties = "ordered")$y
  tau <- 0.70 + 0.03 * alpha + rnorm(N, 0, 0.05)
  nu <- rnorm(nT, 0, 0.01)
  mTE <- matrix(tau, N, nT) + matrix(nu, N, nT, byrow = TRUE)
  mTE[, ie] <- mTE[, ie] + par$a_mediator * dig
  te_clip <- sum(mTE < 0.15 | mTE > 0.95)
  mTE <- pmin(pmax(mTE, 0.15), 0.95)
  TE <- exp(-abs(matrix(rnorm(N * nT), N, nT)) * sigma_of_mean(mTE))
  inputs <- list(
    st_fiscal = exp(log(3e4) + 0.9 * A + 0.08 * tt + eps(0.2)),       # 10,000 yuan
    rd_internal = exp(log(2e5) + 1.0 * A + 0.09 * tt + eps(0.25)),    # 10,000 yuan
    fai_lag = exp(log(500) + 0.7 * A + 0.08 * tt + eps(0.2)),         # 100 million yuan
    sci_emp = exp(log(0.5) + 0.8 * A + 0.04 * tt + eps(0.2))          # 10,000 persons
  )
  lnY <- 0.5 + par$tfe[["x1"]] * log(inputs$st_fiscal) + par$tfe[["x2"]] * log(inputs$rd_internal) +
    par$tfe[["x3"]] * log(inputs$fai_lag) + par$tfe[["x4"]] * log(inputs$sci_emp) +
    eps(par$sigma_v) + log(TE)
  mix <- eps(0.3)
  outputs <- list(contracts = exp(lnY + (1 - par$mix_a) * mix),
                  patents_valid = exp(lnY - par$mix_a * mix))

  # countries: GDP per capita, risk, product flows (2011-2021)
  K <- nrow(countries)
  nE <- length(est)
  gdp <- countries$gdp2011 * exp(outer(rnorm(K, 0.02, 0.02), 0:(nE - 1)) +
                                   matrix(rnorm(K * nE, 0, 0.03), K))
  risk_level <- rnorm(K, 0, 0.5) + 0.3 * countries$bri
  risk <- matrix(0, K, nE)
  rk <- rnorm(K, 0, 0.3)
  for (k in seq_len(nE)) {
    rk <- 0.7 * rk + rnorm(K, 0, 0.2)
    risk[, k] <- exp(risk_level + rk + 0.05 * (k - 1))
  }
  P <- 50
  q <- sort(runif(P))
  product <- sprintf("P%02d", seq_len(P))
  size_c <- rnorm(K, 0, 1)
  cv <- matrix(rnorm(K * P, 0, 1), K, P)
  lg <- log(countries$gdp2011) - mean(log(countries$gdp2011))
  cflow <- array(0, c(K, P, nE))
  for (k in seq_len(nE)) {
    cflow[, , k] <- exp(10 + size_c + 3 * outer(lg, q - 0.5) + cv +
                          matrix(rnorm(K * P, 0, 0.1), K, P))
  }
  cflow <- array(signif(cflow, 4), dim(cflow))
  gdp <- signif(gdp, 5)
  prody <- matrix(0, P, nE)
  for (k in seq_len(nE)) {
    sh <- cflow[, , k] / rowSums(cflow[, , k])
    prody[, k] <- colSums(sh * gdp[, k]) / colSums(sh)
  }

  # city product mix: 20 products per city, tilted to high-q products with alpha and dig
  eta <- rnorm(P, 0, 0.8)
  upv <- matrix(rnorm(N * P, 0, 1), N, P)
  base_aff <- outer(rep(1, N), eta) + 0.8 * outer(rnorm(N), 2 * (q - 0.5)) + upv
  keep_p <- t(apply(base_aff, 1, function(a) rank(-a) <= 20))
  # within-city upgrading of the product mix: an AR(1) process independent of
  # dig (so the dig x cetc moderation is identified without a quadratic in dig)
  zmix <- matrix(0, N, nE)
  zmix[, 1] <- rnorm(N)
  for (k in 2:nE) zmix[, k] <- 0.6 * zmix[, k - 1] + 0.8 * rnorm(N)
  pshare <- array(0, c(N, P, nE))
  expy <- matrix(0, N, nE)
  for (k in seq_len(nE)) {
    la <- base_aff + 0.5 * outer(zmix[, k], 2 * (q - 0.5)) + matrix(rnorm(N * P, 0, 0.15), N, P)
    w <- exp(la) * keep_p
    pshare[, , k] <- w / rowSums(w)
    expy[, k] <- pshare[, , k] %*% prody[, k]
  }
  cetc <- (expy - mean(expy)) / sd(as.vector(expy))

  # destinations: K_it partners with the largest affinity, shares by affinity
  bri_orient <- rnorm(N, -0.3, 1.2) + 0.6 * (!coastal)
  aff <- outer(rep(1, N), 0.9 * log(countries$gdp2011) + size_c) +
    outer(bri_orient, countries$bri * 1.2) + matrix(rnorm(N * K, 0, 1), N, K)
  lfz <- (log(fma) - mean(log(fma))) / sd(log(fma))
  # number of partners: alpha, market access, within-city dig growth, a persistent
  # city component and a small yearly one (1/HHI then moves with dig at about the
  # paper's scale, Table 4 col. 4)
  npart <- matrix(pmin(K, pmax(1, round(exp(2.2 + 0.3 * matrix(alpha, N, nE) + 0.35 * lfz +
                                        par$partner_dig * (dig - rowMeans(dig)) +
                                        matrix(rnorm(N, 0, par$sigma_partner[["city"]]), N, nE) +
                                        matrix(rnorm(N * nE, 0, par$sigma_partner[["year"]]), N))))), N, nE)
  dshare <- array(0, c(N, K, nE))
  for (k in seq_len(nE)) {
    la <- aff + matrix(rnorm(N * K, 0, par$sigma_share), N, K)
    for (i in seq_len(N)) {
      top <- order(-la[i, ])[seq_len(npart[i, k])]
      w <- exp(0.8 * la[i, top])
      dshare[i, top, k] <- w / sum(w)
    }
  }
  risk_exp <- sapply(seq_len(nE), function(k) dshare[, , k] %*% risk[, k])
  bri_share <- sapply(seq_len(nE), function(k) dshare[, , k] %*% countries$bri)

  # heterogeneity flags (as build_city_panel() derives them) and slopes
  flags <- cbind(
    high_fdi = rowMeans(ctrl$fdi[, ie]) > median(rowMeans(ctrl$fdi[, ie])),
    coastal = coastal,
    high_risk = rowMeans(risk_exp) > median(rowMeans(risk_exp)),
    bri_main = rowMeans(bri_share) > 0.5
  )
  h <- drop(flags %*% par$het[colnames(flags)])
  # centre the slope shifts with the weights the two-way FE regression with
  # controls gives each city (sum_t r_it dig_it, r = dig residualised on the
  # controls and city and year effects), so that it estimates 0.84 (+ a b)
  Xc0 <- cbind(log(as.vector(ctrl$ed[, ie])), sapply(ctrl[-1], function(M) as.vector(M[, ie])))
  fr <- data.frame(dig = as.vector(dig), Xc0, cty = factor(rep(seq_len(N), nE)),
                   yr = factor(rep(seq_len(nE), each = N)))
  rr <- matrix(stats::residuals(stats::lm(dig ~ ., fr)), N, nE)
  Wd <- rowSums(rr * dig)
  h_c <- h - sum(Wd * h) / sum(Wd)
  beta_i <- par$beta_direct + h_c

  # pilot-zone effect path
  rel <- matrix(est, N, nE, byrow = TRUE) - pilot_year
  D <- !is.na(rel) & rel >= 0
  tau_did <- ifelse(D, par$theta_path[pmin(6, pmax(0, rel)) + 1], 0)
  tau_did[is.na(tau_did)] <- 0

  # resilience (2011-2021), the structural equation
  Xc <- cbind(log(as.vector(ctrl$ed[, ie])), sapply(ctrl[-1], function(M) as.vector(M[, ie])))
  colnames(Xc) <- control_vars
  mu <- c(0.08, -0.03, 0.01, 0.03, -0.05, -0.08, 0.03, 0.04, -0.01, 0.00, 0.10)
  res <- beta_i * dig + par$b_mediator * TE[, ie] + par$interaction * dig * cetc + tau_did +
    matrix(Xc %*% par$delta[control_vars], N) + matrix(mu, N, nE, byrow = TRUE) +
    par$kappa * s[, ie] + matrix(rnorm(N * nE, 0, par$sigma_eps), N)
  # city effect: offsets 80% of each city's mean systematic resilience (absorbed
  # by the city fixed effect), so that no city's exports compound without bound
  # through eq. (2); plus noise
  a_i <- -0.8 * rowMeans(res) + rnorm(N, 0, par$sigma_city)
  res <- res + a_i
  res <- res - mean(res)     # centre: the average city keeps pace with the nation

  # export values: 2008 from size and alpha; 2009-10 at national growth times
  # noise; 2011-21 backed out from res through eq. (2)
  R <- 1 + export_growth_pct / 100
  v <- matrix(NA_real_, N, nT)
  v[, 1] <- exp(log(1500) + 1.1 * alpha + 0.9 * coastal + rnorm(N, 0, 0.6))   # USD million
  for (k in 2:3) v[, k] <- v[, k - 1] * R[k - 1] * exp(rnorm(N, 0, 0.08))
  clipped <- 0L
  res_meas <- matrix(NA_real_, N, nE)
  for (k in 4:nT) {
    vhat <- v[, k - 1] * R[k - 1]
    vk <- vhat + res[, k - 3] * abs(vhat - v[, 1])
    bad <- vk < 0.01 * vhat
    clipped <- clipped + sum(bad)
    vk[bad] <- 0.01 * vhat[bad]
    v[, k] <- vk
    res_meas[, k - 3] <- (vk - vhat) / abs(vhat - v[, 1])
  }
  v <- round(v, 3)

  # city CPI (index 2008 = 100) and relatedness density
  cpi_nat <- 100 * cumprod(c(1, 1 + cpi_infl_pct / 100))
  cpi_city <- matrix(cpi_nat, N, nT, byrow = TRUE) *
    exp(t(apply(cbind(0, matrix(rnorm(N * (nT - 1), 0, par$sigma_cpi), N)), 1, cumsum)))
  relatedness <- plogis(-1 + 0.4 * A + matrix(rnorm(N, 0, 0.3), N, nT) + eps(0.1))

  # ---- assemble the raw data sets ----
  long <- function(M) as.vector(M)   # N x T matrix -> city-fastest long vector
  cy <- data.frame(city = rep(city, nT), year = rep(years, each = N), stringsAsFactors = FALSE)
  panel <- cbind(cy, exports = long(v))
  for (j in digital_vars) panel[[j]] <- signif(long(X[[j]]), 5)
  panel$inet_ports <- signif(long(ports), 5)
  for (j in names(inputs)) panel[[j]] <- signif(long(inputs[[j]]), 5)
  panel$contracts <- pmax(1, round(long(outputs$contracts)))    # counts: at least 1
  panel$patents_valid <- pmax(1, round(long(outputs$patents_valid)))
  for (j in control_vars) panel[[j]] <- signif(long(ctrl[[j]]), 5)
  panel$ed <- round(long(ctrl$ed))
  panel$cpi <- round(long(cpi_city), 3)
  panel$relatedness <- round(long(relatedness), 4)
  # a few scattered missing control values in the estimation years
  na_rows <- sample(which(panel$year %in% est), 4)
  na_cols <- sample(c("fc", "er", "lai", "mk"), 4, replace = TRUE)
  for (k in 1:4) panel[na_rows[k], na_cols[k]] <- NA
  panel <- panel[order(panel$city, panel$year), ]
  rownames(panel) <- NULL

  info <- data.frame(city = city, province = prov, coastal = coastal, pilot_zone = zone,
                     pilot_year = pilot_year, dist_coast = dist_coast,
                     post1984 = post1984, phone1984 = phone1984, stringsAsFactors = FALSE)
  national <- data.frame(year = years, export_growth = c(NA, export_growth_pct) / 100,
                         cpi_national = round(cpi_nat, 3))

  # flows in long format (positive flows only), values rounded to 4 digits
  dest <- do.call(rbind, lapply(seq_len(nE), function(k) {
    val <- dshare[, , k] * v[, ie[k]]
    nz <- which(val > 0, arr.ind = TRUE)
    data.frame(city = city[nz[, 1]], year = est[k], country = countries$country[nz[, 2]],
               exports = signif(val[nz], 4), stringsAsFactors = FALSE)
  }))
  dest <- dest[order(dest$city, dest$year, dest$country), ]
  prods <- do.call(rbind, lapply(seq_len(nE), function(k) {
    val <- pshare[, , k] * v[, ie[k]]
    nz <- which(val > 0, arr.ind = TRUE)
    data.frame(city = city[nz[, 1]], year = est[k], product = product[nz[, 2]],
               exports = signif(val[nz], 4), stringsAsFactors = FALSE)
  }))
  prods <- prods[order(prods$city, prods$year, prods$product), ]
  cprod <- data.frame(country = rep(countries$country, P * nE),
                      year = rep(est, each = K * P),
                      product = rep(rep(product, each = K), nE),
                      exports = as.vector(cflow), stringsAsFactors = FALSE)
  cprod <- cprod[order(cprod$country, cprod$year, cprod$product), ]
  cyear <- data.frame(country = rep(countries$country, nE), year = rep(est, each = K),
                      gdp_pc = as.vector(gdp), risk = round(as.vector(risk), 4),
                      stringsAsFactors = FALSE)
  cyear <- cyear[order(cyear$country, cyear$year), ]
  for (d in c("dest", "prods", "cprod", "cyear")) {
    x <- get(d); rownames(x) <- NULL; assign(d, x)
  }

  # DID truth: the two-way FE estimand of the dynamic effect path on this design
  dd <- data.frame(tau = as.vector(tau_did), D = as.numeric(as.vector(D)),
                   city = factor(rep(city, nE)), year = factor(rep(est, each = N)))
  did_estimand <- unname(coef(lm(tau ~ D + city + year, dd))["D"])

  latent <- data.frame(city = rep(city, nE), year = rep(est, each = N),
                       res = as.vector(res_meas), res_struct = as.vector(res), dig = as.vector(dig), aif_true = as.vector(TE[, ie]),
                       cetc = as.vector(cetc), did = as.numeric(as.vector(D)),
                       s = as.vector(s[, ie]), iv1 = as.vector(post1984 * ports[, ie] / 1e4),
                       iv2 = as.vector(phone1984 * ports[, ie] / 1e6),
                       emd = as.vector(1 / apply(dshare, c(1, 3), function(z) sum(z^2))),
                       n_partners = as.vector(npart), fma = rep(fma, nE),
                       beta_i = rep(beta_i, nE), Xc, stringsAsFactors = FALSE)
  latent <- cbind(latent, flags[rep(seq_len(N), nE), ])

  list(city_info = info, city_panel = panel, national_series = national,
       city_destinations = dest, city_products = prods, countries = countries[, 1:3],
       country_year = cyear, country_products = cprod,
       truth = list(par = par, did_estimand = did_estimand,
                    entropy_weights = ent$weights, clipped = clipped, te_clipped = te_clip,
                    het_centre = sum(Wd * h) / sum(Wd),
                    slope_by_flag = c(tapply(beta_i, flags[, "high_fdi"], mean),
                                      tapply(beta_i, flags[, "coastal"], mean))),
       latent = latent)
}
