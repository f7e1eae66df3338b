# The paper's Tables 3-9 on the analysis panel, as far as the estimators built so
# far allow. Each table is a list of model specifications fitted with the
# package's own estimators; standard errors are clustered by city (DESIGN.md).

#' Replicate the paper's tables
#'
#' Fits the models of Tables 3-9 of Zhang and Song's "Digital Economy, Factor
#' Allocation and Export Resilience" on the analysis panel (by default the one
#' [build_city_panel()] derives from the bundled simulated data) and lays them
#' out with [reg_table()]. Standard errors are clustered by city. Table 5
#' reports the lag model, Heckman's two-step estimator ([heckman_2step()],
#' selection `ifhhi`, exclusion variable `fma`; second-step standard errors) and
#' 2SLS with `iv1` and with `iv2` ([iv_reg()]), each as a first-stage column
#' (the instrument's coefficient, first-stage F, Cragg-Donald and
#' Kleibergen-Paap rk Wald F) beside its second stage. Columns whose estimator
#' is not yet in the package (system GMM, PSM-DID, event study, Sobel test) are
#' listed in the table's `missing` attribute rather than faked.
#'
#' @param tables which tables (numbers 3 to 9).
#' @param lang `"en"` or `"zh"` row labels.
#' @param data the analysis panel; `NULL` builds it from the bundled data.
#' @return A named list (`table3`, ...) of `exr_table` objects, each with
#'   attributes `title`, `models` (the fits) and `missing` (columns not yet estimable).
#' @examples
#' \donttest{
#' tabs <- replicate_tables(3)
#' tabs$table3
#' }
#' @export
replicate_tables <- function(tables = 3:9, lang = c("en", "zh"), data = NULL) {
  lang <- match_choice(lang, c("en", "zh"), "lang")
  if (!is.numeric(tables) || !length(tables) || any(!tables %in% 3:9)) {
    exr_error("tables", "expected table numbers between 3 and 9.")
  }
  if (is.null(data)) data <- build_city_panel()
  check_data_frame(data)
  out <- list()
  for (k in sort(unique(tables))) {
    spec <- table_spec(k)
    models <- lapply(spec$models, function(m) m(data))
    tab <- reg_table(models, keep = spec$keep, labels = spec$labels, stats = spec$stats,
                     lang = lang, digits = 4)
    attr(tab, "title") <- spec$title
    attr(tab, "models") <- models
    attr(tab, "missing") <- spec$missing
    if (length(spec$notes)) tab$notes <- c(tab$notes, spec$notes)
    if (length(spec$missing)) {
      tab$notes <- c(tab$notes, paste("Not yet estimable in exportres:",
                                      paste(spec$missing, collapse = "; ")))
    }
    out[[paste0("table", k)]] <- tab
  }
  out
}

paper_controls <- c("ed", "fdi", "fp", "ub", "fc", "mk", "ts", "er", "lai")

# y ~ x + controls | fe, as a formula.
paper_formula <- function(y, x, controls = paper_controls, fe = c("city", "year")) {
  rhs <- paste(c(x, controls), collapse = " + ")
  if (length(fe)) rhs <- paste(rhs, "|", paste(fe, collapse = " + "))
  stats::as.formula(paste(y, "~", rhs), env = baseenv())
}

# A model specification: a function of the panel returning a fit.
fe_spec <- function(y, x, controls = paper_controls, fe = c("city", "year"), subset = NULL,
                    panel = NULL) {
  force(y); force(x); force(controls); force(fe); force(subset); force(panel)
  function(data) {
    if (!is.null(subset)) {
      keep <- eval(str2lang(subset), data, baseenv())
      data <- data[!is.na(keep) & keep, , drop = FALSE]
    }
    fe_reg(paper_formula(y, x, controls, fe), data, cluster = ~city, panel = panel)
  }
}

# Table 5 col. (2): Heckman's two-step estimator, selection into exporting to
# more than 3 countries (ifhhi) with the exclusion variable fma = 1 / distance
# to the coast; the second step with city and year effects, clustered by city
# (second-step standard errors). A few coastal city-years have selection
# probabilities within 1e-10 of one; the probit's warning about them (glm's
# "fitted probabilities numerically 0 or 1") is not separation and is muffled here.
heckman_spec <- function(controls = paper_controls) {
  force(controls)
  function(data) {
    sel <- stats::as.formula(paste("ifhhi ~", paste(c("fma", "dig", controls), collapse = " + ")),
                             env = baseenv())
    withCallingHandlers(
      heckman_2step(sel, paper_formula("res", "dig", controls), data, cluster = ~city),
      exportres_warning = function(w) {
        if (grepl("numerically 0 or 1", conditionMessage(w), fixed = TRUE)) {
          invokeRestart("muffleWarning")
        }
      })
  }
}

# Table 5 cols. (4)-(7): 2SLS with one instrument, city and year effects,
# clustered by city; the first-stage column is the first stage (an exr_fe) with
# the instrument's coefficient renamed "iv" so that both instruments share a row.
iv_spec <- function(inst, stage = c("first", "second"), controls = paper_controls) {
  stage <- match.arg(stage)
  force(inst); force(controls)
  function(data) {
    f <- stats::as.formula(paste("res ~", paste(controls, collapse = " + "),
                                 "| city + year | dig ~", inst), env = baseenv())
    fit <- iv_reg(f, data, cluster = ~city)
    if (stage == "second") return(fit)
    first <- fit$first$dig
    nm <- names(first$coefficients)
    nm[nm == inst] <- "iv"
    names(first$coefficients) <- nm
    dimnames(first$vcov) <- list(nm, nm)
    names(first$se) <- nm
    first
  }
}

table_spec <- function(k) {
  dig_label <- c(dig = "dig", `l(dig, 1)` = "dig (t-1)")
  switch(as.character(k),
    "3" = list(
      title = "Table 3. Baseline regression (dependent variable: res)",
      models = list(fe_spec("res", "dig", character(0), "year"),
                    fe_spec("res", "dig", paper_controls, "year"),
                    fe_spec("res", "dig", character(0)),
                    fe_spec("res", "dig")),
      keep = "dig", labels = dig_label, stats = c("nobs", "r.squared"), missing = character(0)),
    "4" = list(
      title = "Table 4. Robustness: alternative measures",
      models = list(fe_spec("res", "dig_pca"), fe_spec("res_dev", "dig"),
                    fe_spec("res_w", "dig"), fe_spec("emd", "dig")),
      keep = c("dig_pca", "dig"), labels = NULL, stats = c("nobs", "r.squared"),
      missing = character(0)),
    "5" = list(
      title = "Table 5. Endogeneity",
      models = list(`(1)` = fe_spec("res", "l(dig, 1)", sprintf("l(%s, 1)", paper_controls),
                                    panel = c("city", "year")),
                    `(2)` = heckman_spec(),
                    `(4)` = iv_spec("iv1", "first"), `(5)` = iv_spec("iv1", "second"),
                    `(6)` = iv_spec("iv2", "first"), `(7)` = iv_spec("iv2", "second")),
      keep = c("l(dig, 1)", "dig", "iv", "imr"),
      labels = c(dig_label, iv = "iv (first stage)", imr = "imr (inverse Mills ratio)"),
      stats = c("nobs", "r.squared", "first_F", "cd_F", "kp_F"),
      missing = "(3) system GMM",
      notes = paste("(2) Heckman two-step (selection ifhhi, exclusion variable fma), second-step",
                    "standard errors; (4)/(6) first stages of the 2SLS (5)/(7), instrument iv1 / iv2.")),
    "6" = list(
      title = "Table 6. Big-data pilot zones: difference in differences",
      models = list(fe_spec("res", "did")),
      keep = "did", labels = c(did = "Treated x ddig"), stats = c("nobs", "r.squared"),
      missing = c("(2) PSM-DID", "(3)-(6) event study")),
    "7" = list(
      title = "Table 7. Heterogeneity (dependent variable: res)",
      models = list(`High FDI` = fe_spec("res", "dig", subset = "high_fdi"),
                    `Low FDI` = fe_spec("res", "dig", subset = "!high_fdi"),
                    `High openness` = fe_spec("res", "dig", subset = "coastal"),
                    `Low openness` = fe_spec("res", "dig", subset = "!coastal"),
                    `High risk` = fe_spec("res", "dig", subset = "high_risk"),
                    `Low risk` = fe_spec("res", "dig", subset = "!high_risk"),
                    `Belt and Road` = fe_spec("res", "dig", subset = "bri_main"),
                    `Other` = fe_spec("res", "dig", subset = "!bri_main")),
      keep = "dig", labels = NULL, stats = c("nobs", "r.squared"), missing = character(0)),
    "8" = list(
      title = "Table 8. Mechanism: innovation-factor allocation",
      models = list(fe_spec("aif", "dig"), fe_spec("res", c("dig", "aif")),
                    fe_spec("aif_dea", "dig"), fe_spec("res", c("dig", "aif_dea")),
                    `Pilot cities` = fe_spec("res", c("dig", "aif"), subset = "pilot"),
                    `Other cities` = fe_spec("res", c("dig", "aif"), subset = "!pilot")),
      keep = c("dig", "aif", "aif_dea"), labels = NULL, stats = c("nobs", "r.squared"),
      missing = "Sobel tests (mediation())"),
    "9" = list(
      title = "Table 9. Moderation by export sophistication",
      models = list(fe_spec("res", c("dig", "cetc")),
                    fe_spec("res", c("dig", "cetc", "dig:cetc")),
                    `Pilot cities` = fe_spec("res", c("dig", "cetc", "dig:cetc"), subset = "pilot"),
                    `Other cities` = fe_spec("res", c("dig", "cetc", "dig:cetc"), subset = "!pilot")),
      keep = c("dig", "dig:cetc"), labels = c(`dig:cetc` = "dig x cetc"),
      stats = c("nobs", "r.squared"), missing = character(0))
  )
}
