# The paper's Tables 3-9 on the analysis panel, as far as the estimators built so
# far allow. Each table is a list of model specifications (table_spec()) fitted
# with the package's own estimators; standard errors are clustered by city
# (DESIGN.md). Around the specifications: the paper's column layout, titles and
# published values (inst/extdata/paper-*.csv), the simulation's truth
# (table_truth()) and figures (table_figures()).

#' Replicate the paper's tables
#'
#' Fits the models of Tables 3-9 of Zhang and Song's "Digital Economy, Factor
#' Allocation and Export Resilience" on the analysis panel (by default the one
#' [build_city_panel()] derives from the bundled simulated data) and lays them
#' out with [reg_table()] in the paper's layout: its column numbers and grouped
#' headers, a controls row, one row per fixed effect, and the statistics the
#' paper reports. Standard errors are clustered by city. Table 5 reports the
#' lag model, Heckman's two-step estimator ([heckman_2step()], selection
#' `ifhhi`, exclusion variable `fma`; second-step standard errors), two-step
#' system GMM ([sys_gmm()], Windmeijer-corrected standard errors, with its AR(2)
#' and Sargan p-values as rows) and 2SLS with `iv1` and with `iv2`
#' ([iv_reg()]), each as a first-stage column (the instrument's coefficient,
#' first-stage F, Cragg-Donald and Kleibergen-Paap rk Wald F) beside its second
#' stage. Columns whose estimator is not yet in the package are listed in the
#' table's `missing` attribute and notes rather than faked.
#'
#' Table 6: column (1) is the two-way fixed-effects DID; column (2) PSM-DID
#' (pilot cities matched to their k = 4 nearest neighbours on a logit score of
#' the nine controls, year by year, with replacement, by [psm_match()]; then
#' the DID weighted by the matching weights; the paper's N = 3,148 is not that
#' of a k = 4 matched sample, see [psm_match()]); columns (3)-(6) one
#' event-study regression ([event_study()], eq. (4) with the controls),
#' relative years -4 to 5 against the earliest (binned) year, as the paper's
#' layout implies, with the joint pre-trend test's p-value.
#'
#' Table 7 splits the sample with [subgroup()] (FDI share and risk exposure at
#' their medians in each year, as the paper does; coastal and Belt-and-Road
#' flags as they are) and reports the Fisher permutation test of equal `dig`
#' coefficients (1,000 permutations) as the row "Group difference p-value".
#' Table 8 is [mediation()] with `aif` and `aif_dea` as mediators (columns
#' (1)-(4), with the indirect effect, the Sobel z and its p-value, and a
#' cluster bootstrap of 1,000 draws behind `plot()`), and columns (5)-(6) a
#' [subgroup()] split by pilot zone comparing the coefficient of `aif`. Table 9
#' is [moderation()] of `dig` by `cetc` (centred), in all cities and in the
#' pilot and other cities.
#'
#' With `compare = TRUE` each estimate and statistic has the paper's published
#' value beneath it (from [paper_values()]; stars as printed in the paper),
#' and with `truth = TRUE` the true parameter of the simulated panel where
#' [city_truth] documents which column estimates it. The numbers cannot equal
#' the paper's: the data are simulated (see [city_panel]).
#'
#' @param tables which tables (numbers 3 to 9).
#' @param lang `"en"` or `"zh"` (the paper's Chinese titles and labels).
#' @param data the analysis panel; `NULL` builds it from the bundled data.
#' @param compare show the paper's published values beneath ours?
#' @param truth show the simulation's true parameters beneath ours?
#' @param format_args a list of further arguments to [reg_table()] (e.g.
#'   `list(se = "ci")`).
#' @param seed the random seed of the bootstrap (Table 8) and permutation
#'   (Tables 7 and 8) draws: table `k` uses `seed + k`, so each table is
#'   reproducible on its own. The caller's random-number state is left as it was.
#' @return A named list (`table3`, ...) of `exr_table` objects, each with
#'   attributes `title`, `models` (the fits), `columns` (the paper's column
#'   number of each model), `missing` (columns not yet estimable), `figures`
#'   (objects with a `plot()` method belonging to the table: the models that
#'   have one, and those listed for the table) and `seconds` (time taken).
#' @examples
#' \donttest{
#' tabs <- replicate_tables(3, compare = TRUE)
#' tabs$table3
#' replicate_tables(8, lang = "zh")$table8
#' }
#' @export
replicate_tables <- function(tables = 3:9, lang = c("en", "zh"), data = NULL, compare = FALSE,
                             truth = compare, format_args = list(), seed = 2024L) {
  lang <- match_choice(lang, c("en", "zh"), "lang")
  if (!is.numeric(tables) || !length(tables) || any(!tables %in% 3:9)) {
    exr_error("tables", "expected table numbers between 3 and 9.")
  }
  for (a in c("compare", "truth")) {
    v <- get(a)
    if (!is.logical(v) || length(v) != 1L || is.na(v)) exr_error(a, "expected TRUE or FALSE.")
  }
  if (!is.list(format_args)) exr_error("format_args", "expected a list of reg_table() arguments.")
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed)) exr_error("seed", "expected one number.")
  if (is.null(data)) data <- build_city_panel()
  check_data_frame(data)
  layout <- paper_layout()
  pv <- paper_values()
  out <- list()
  for (k in sort(unique(tables))) {
    t0 <- proc.time()[["elapsed"]]
    spec <- table_spec(k)
    fits <- with_seed(seed + k, lapply(spec$models, function(m) m(data)))
    models <- table_models(fits)
    lay <- layout[layout$table == k, , drop = FALSE]
    cols <- spec_columns(spec, nrow(lay), length(models))
    lang_col <- function(v) paste0(v, "_", lang)
    groups <- NULL
    if (!is.null(cols)) {
      lk <- lay[match(cols, lay$column), , drop = FALSE]
      groups <- list(lk[[lang_col("group")]])
      sub <- lk[[lang_col("sub")]]
      if (any(nzchar(sub))) groups[[2L]] <- stats::setNames(rep(1L, length(sub)), sub)
      names(models) <- sprintf("(%d)", cols)
    }
    ov <- if (compare && !is.null(cols)) overlay_for(pv[pv$table == k, , drop = FALSE], cols) else NULL
    tv <- if (truth && !is.null(cols)) overlay_for(table_truth(k), cols) else NULL
    words <- table_labels(lang)
    args <- c(list(models, keep = spec$keep, labels = spec$labels,
                   stats = paper_stat_order(spec$stats, pv$statistic[pv$table == k]),
                   controls = paper_controls, groups = groups, compare = ov, truth = tv,
                   title = if (lang == "zh") paper_title_zh(k) else spec$title, lang = lang,
                   digits = 4,
                   fixef_labels = if (lang == "zh" && k == 3) c(year = "\u65f6\u95f4\u56fa\u5b9a\u6548\u5e94")),
              format_args)
    args <- args[!duplicated(names(args), fromLast = TRUE) | names(args) == ""]
    tab <- do.call(reg_table, args)
    if (length(spec$notes)) tab$notes <- c(tab$notes, spec$notes)
    if (length(spec$missing)) {
      tab$notes <- c(tab$notes, fill_template(words$note.missing,
                                              x = paste(spec$missing, collapse = "; ")))
    }
    attr(tab, "title") <- tab$title
    attr(tab, "models") <- models
    attr(tab, "columns") <- cols
    attr(tab, "missing") <- spec$missing
    attr(tab, "figures") <- c(Filter(has_plot_method, fits), table_figures(k, models, data))
    attr(tab, "seconds") <- proc.time()[["elapsed"]] - t0
    out[[paste0("table", k)]] <- tab
  }
  out
}

# The paper's column number of each fitted model: spec$columns when given,
# else the paper's columns less those that `missing` names ("(2) ...",
# "(4)-(7) ..."), else by position. NULL when none fits.
spec_columns <- function(spec, n_paper, n_models) {
  if (!is.null(spec$columns)) {
    if (length(spec$columns) == n_models) return(as.integer(spec$columns))
    return(NULL)
  }
  miss <- unlist(lapply(spec$missing, function(s) {
    m <- regmatches(s, regexpr("^\\(([0-9]+)\\)(-\\(([0-9]+)\\))?", s))
    if (!length(m)) return(integer(0))
    n <- as.integer(regmatches(m, gregexpr("[0-9]+", m))[[1L]])
    seq(n[1L], n[length(n)])
  }))
  cols <- setdiff(seq_len(n_paper), miss)
  if (length(cols) == n_models) return(cols)
  if (n_models <= n_paper) return(seq_len(n_models))
  NULL
}

# Paper-keyed rows (column = the paper's column) re-keyed to model positions.
overlay_for <- function(v, cols) {
  if (is.null(v) || !nrow(v)) return(NULL)
  v$column <- match(v$column, cols)
  v <- v[!is.na(v$column), , drop = FALSE]
  if (!nrow(v)) NULL else v
}

# The table's statistics: the paper's special rows (AR(2), Sargan, first-stage
# F, ...) first, in the paper's order, then N and R2 and any others asked for.
paper_stat_order <- function(stats, paper_stats) {
  paper_stats <- unique(paper_stats[!(paper_stats %in% c("estimate", "std.error"))])
  special <- unique(c(paper_stats[!(paper_stats %in% c("nobs", "r.squared"))],
                      stats[!(stats %in% c("nobs", "r.squared"))]))
  unique(c(special, intersect(c("nobs", "r.squared"), c(stats, paper_stats)), stats))
}

has_plot_method <- function(x) {
  any(vapply(class(x), function(cl) !is.null(utils::getS3method("plot", cl, optional = TRUE)),
             logical(1)))
}

read_extdata <- function(name) {
  f <- system.file("extdata", name, package = "exportres")
  utils::read.csv(f, encoding = "UTF-8", stringsAsFactors = FALSE, na.strings = "",
                  check.names = FALSE, colClasses = "character")
}

#' The paper's published values
#'
#' Every number of Tables 3-9 of Zhang and Song, "Digital Economy, Factor
#' Allocation and Export Resilience", as printed: coefficients with their
#' stars, standard errors, N, R-squared and the reported test statistics,
#' transcribed from the paper (`paper/TABLES.md`) and checked against the
#' Chinese original. They ship in the package file
#' `extdata/paper-values.csv`; [replicate_tables()] shows them beside the
#' estimates with `compare = TRUE`.
#'
#' Keys: `table` (3-9) and `column` (the paper's column number; the event
#' study printed across columns (3)-(6) of Table 6 is one regression, column
#' 3), `term` (the coefficient as exportres names it: `dig`, `l(dig, 1)` for
#' the paper's dig-1, `iv1`/`iv2` for the first-stage instrument the paper
#' prints as "iv", `did` for Treated x ddig, `dig:cetc`, and
#' `rel_year::-4` ... for the event-study terms time(-4) ...; empty for a
#' model statistic), `statistic` (`estimate`, `std.error`, or a [glance()]
#' name: `nobs`, `r.squared`, `ar2_p`, `sargan_p`, `first_F`, `cd_F`, `kp_F`,
#' `sobel`), `value`, `stars` (as printed: they are sometimes inconsistent
#' with the printed standard errors) and `paper_label` (the row label in the
#' Chinese original).
#'
#' Readings of the original where it is ambiguous: Table 5's AR(2) and Sargan
#' rows are taken as p-values; Table 8's "Sobel" row (0.0775*, 0.0828**) cannot
#' be a z statistic (a z of 0.08 is not significant), so it is probably the
#' indirect effect, but it is kept under `sobel`, the row's label; Table 8
#' columns (5)-(6) print one coefficient each, taken as that of `aif`, as the
#' text says ("creative-factor allocation promoted resilience more in the
#' pilot group").
#'
#' @param table table numbers to return (3-9); all by default.
#' @return A data frame with columns `table`, `column`, `term`, `statistic`,
#'   `value`, `stars`, `paper_label`.
#' @examples
#' pv <- paper_values(3)
#' pv[pv$statistic == "estimate", ]
#' @export
paper_values <- function(table = 3:9) {
  if (!is.numeric(table) || !length(table) || any(!table %in% 3:9)) {
    exr_error("table", "expected table numbers between 3 and 9.")
  }
  v <- read_extdata("paper-values.csv")
  v$table <- as.integer(v$table)
  v$column <- as.integer(v$column)
  v$value <- as.numeric(v$value)
  v$term[is.na(v$term)] <- ""
  v$stars[is.na(v$stars)] <- ""
  v <- v[v$table %in% table, , drop = FALSE]
  rownames(v) <- NULL
  v
}

paper_layout <- function() {
  l <- read_extdata("paper-columns.csv")
  l$table <- as.integer(l$table)
  l$column <- as.integer(l$column)
  for (nm in names(l)[-(1:2)]) l[[nm]][is.na(l[[nm]])] <- ""
  l
}

paper_title_zh <- function(k) {
  t <- read_extdata("paper-titles.csv")
  t$title_zh[as.integer(t$table) == k]
}

# The documented truth of the simulated panel (?city_truth), keyed like
# paper_values(): only the columns city_truth names as estimating a parameter.
table_truth <- function(k, truth = exportres::city_truth) {
  row <- function(column, term, value) {
    data.frame(column = as.integer(column), term = term, statistic = "estimate",
               value = as.numeric(value), stringsAsFactors = FALSE)
  }
  path <- truth$did_path
  switch(as.character(k),
    "3" = row(4, "dig", truth$total_effect),
    "5" = row(c(5, 7), "dig", truth$total_effect),
    "6" = rbind(row(1, "did", truth$did),
                row(3, paste0("rel_year::", c(-4:-1, 0:5)),
                    c(rep(0, 4), path[as.character(0:5)]))),
    "8" = rbind(row(1, "dig", truth$a_mediator), row(2, "dig", truth$direct_effect),
                row(2, "aif", truth$b_mediator)),
    "9" = row(2, "dig:cetc", truth$interaction),
    NULL)
}

# Figures that belong to table k besides its models' own plot() methods: a
# list of objects with a plot() method (e.g. a placebo distribution), computed
# from the fitted models and the panel. Estimator branches add theirs here.
table_figures <- function(k, models, data) {
  switch(as.character(k),
    list())
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

# Table 5 column (3): two-step system GMM of res on its lag, dig and the
# controls with time dummies, as xtabond2 is usually run for such tables
# (`xtabond2 res L.res dig X i.year, gmm(L.res dig) iv(X i.year) twostep
# robust`): res and dig instrumented GMM-style by all their lags from 2 on
# (lag 1 of the differences in the level equation), the controls IV-style,
# Windmeijer-corrected standard errors. The paper reports the AR(2) and Sargan
# p-values; its "Sargan" is xtabond2's (the default convention).
gmm_spec <- function(y, x, controls = paper_controls) {
  force(y); force(x); force(controls)
  function(data) {
    f <- stats::as.formula(paste(y, "~", paste(c(sprintf("l(%s, 1)", y), x, controls),
                                               collapse = " + ")), env = baseenv())
    sys_gmm(f, data, panel = c("city", "year"), gmm = c(y, x), gmm_lags = c(2, Inf),
            steps = 2, robust = TRUE)
  }
}

# Table 6 column (2): PSM-DID. Pilot cities are matched to k = 4 nearest
# neighbours on a logit score of the nine controls, year by year (the usual
# practice; with replacement), and the DID of column (1) is re-run weighted by
# the matching weights. The paper's N = 3,148 (26 fewer than column 1) is not a
# k = 4 matched sample, which keeps the pilot city-years and their matched
# controls only; it looks like the common-support sample. The matched-sample
# regression is the estimator the paper names, so it is what is reported. The
# matching travels with the fit as `$matching`.
psm_did_spec <- function(y, x, controls = paper_controls) {
  force(y); force(x); force(controls)
  function(data) {
    m <- psm_match(stats::reformulate(controls, "pilot"), data, k = 4, by = "year")
    fit <- fe_reg(paper_formula(y, x, controls), data, cluster = ~city, weights = m$weights)
    fit$matching <- m
    fit
  }
}

# Table 6 columns (3)-(6): one event-study regression, eq. (4), with the
# controls and city and year fixed effects. The paper reports relative years
# -4 to 5 *including* -1, so its reference is the earliest period: window
# c(-5, 5) with reference -5 (2011 for the 2016 zones; Guizhou's 2021, six
# years after approval, is binned into 5). Terms named rel_year::k, as the
# paper's values are keyed (paper_values()).
event_spec <- function(y, controls = paper_controls) {
  force(y); force(controls)
  function(data) {
    event_study(paper_formula(y, character(0), controls), data, adopt = "pilot_year",
                window = c(-5, 5), ref = -5, cluster = ~city, name = "rel_year")
  }
}

# Table 7's splits: subgroup() with per-year medians for numeric variables,
# the Fisher permutation test of equal coefficients.
subgroup_spec <- function(groups, x = "dig", term = x[1L]) {
  force(groups); force(x); force(term)
  function(data) {
    subgroup(paper_formula("res", x), data, groups = groups, term = term, cluster = ~city,
             panel = c("city", "year"), B = 1000L)
  }
}

mediation_spec <- function(mediators) {
  force(mediators)
  function(data) {
    mediation(paper_formula("res", "dig"), mediators, data, cluster = ~city, boot = 1000L)
  }
}

moderation_spec <- function(subset = NULL) {
  force(subset)
  function(data) {
    if (!is.null(subset)) {
      keep <- eval(str2lang(subset), data, baseenv())
      data <- data[!is.na(keep) & keep, , drop = FALSE]
    }
    moderation(paper_formula("res", "dig"), "cetc", data, cluster = ~city)
  }
}

# Evaluate expr with the random seed set, leaving the caller's random-number
# state as it was.
with_seed <- function(seed, expr) {
  genv <- globalenv()
  had <- exists(".Random.seed", envir = genv, inherits = FALSE)
  old <- if (had) get(".Random.seed", envir = genv, inherits = FALSE)
  on.exit(if (had) assign(".Random.seed", old, envir = genv) else
    rm(".Random.seed", envir = genv), add = TRUE)
  set.seed(seed)
  expr
}

# One entry per table: `models` (functions of the panel returning fits, in the
# paper's column order), `keep`, `labels`, `stats`, `missing` (the paper's
# columns not yet estimable, written "(k) ..." or "(k)-(m) ..." so that
# replicate_tables() knows which paper column each model is) and optionally
# `columns` (the paper's column numbers of the models, when `missing` cannot say).
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
      models = list(fe_spec("res", "l(dig, 1)", sprintf("l(%s, 1)", paper_controls),
                            panel = c("city", "year")),
                    heckman_spec(), gmm_spec("res", "dig"),
                    iv_spec("iv1", "first"), iv_spec("iv1", "second"),
                    iv_spec("iv2", "first"), iv_spec("iv2", "second")),
      keep = c("l(dig, 1)", "dig", "iv", "imr"),
      labels = c(dig_label, iv = "iv", imr = "imr (inverse Mills ratio)"),
      stats = c("nobs", "r.squared", "ar2_p", "sargan_p", "first_F", "cd_F", "kp_F"),
      missing = character(0),
      notes = paste("(2) Heckman two-step (selection ifhhi, exclusion variable fma), second-step",
                    "standard errors; (3) two-step system GMM, Windmeijer-corrected standard",
                    "errors; (4)/(6) first stages of the 2SLS (5)/(7), instrument iv1 / iv2.")),
    "6" = list(
      title = "Table 6. Big-data pilot zones: DID, PSM-DID and event study",
      models = list(fe_spec("res", "did"), psm_did_spec("res", "did"), event_spec("res")),
      keep = c("did", paste0("rel_year::", -4:5)),
      labels = c(did = "Treated x ddig",
                 stats::setNames(sprintf("time(%d)", -4:5), paste0("rel_year::", -4:5))),
      stats = c("nobs", "r.squared", "pretrend_p"), missing = character(0)),
    "7" = list(
      title = "Table 7. Heterogeneity (dependent variable: res)",
      models = list(subgroup_spec("fdi"), subgroup_spec("coastal"), subgroup_spec("risk_exposure"),
                    subgroup_spec("bri_main")),
      keep = "dig", labels = NULL, stats = c("diff_p", "nobs", "r.squared"),
      missing = character(0)),
    "8" = list(
      title = "Table 8. Mechanism: innovation-factor allocation",
      models = list(mediation_spec(c("aif", "aif_dea")),
                    subgroup_spec("pilot", x = c("dig", "aif"), term = "aif")),
      keep = c("dig", "aif", "aif_dea"), labels = NULL,
      stats = c("indirect", "sobel", "sobel_p", "diff_p", "nobs", "r.squared"),
      missing = character(0)),
    "9" = list(
      title = "Table 9. Moderation by export sophistication",
      models = list(fe_spec("res", c("dig", "cetc")), moderation_spec(),
                    moderation_spec("pilot"), moderation_spec("!pilot")),
      keep = c("dig", "dig:cetc"), labels = c(`dig:cetc` = "dig x cetc"),
      stats = c("nobs", "r.squared"), missing = character(0))
  )
}
