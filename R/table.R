# Regression tables in the layout of applied-economics papers: coefficients with
# stars computed from p-values (never copied), standard errors (or t, p,
# confidence intervals) beneath, indicator rows for controls and fixed effects,
# statistic rows read through glance(), grouped column headers, a title and
# notes, in English or Chinese. The cells are built here; R/table-format.R
# renders them as text, Markdown, HTML or LaTeX.

#' Regression table of several models
#'
#' Lays out fitted models side by side as journals print them (the layout of
#' Stata's `esttab` and fixest's `etable`): each coefficient with its
#' significance stars, computed from the model's own p-values, and its standard
#' error (or t statistic, p-value or confidence interval) beneath; rows saying
#' whether controls and each fixed effect are included, detected from the
#' models; rows of model statistics read from [glance()]; grouped column
#' headers, a title and notes. `print()` aligns the console table by display
#' width (so Chinese labels line up), and `format()` gives it as text,
#' Markdown, HTML or LaTeX (see [format.exr_table()]).
#'
#' Statistic rows are labelled and formatted by kind: counts (`nobs`,
#' `n_groups`, `n_instruments`) with a thousands separator, test statistics
#' (`first_F`, `cd_F`, `kp_F`, `sargan`, ...) with two decimals, R-squared and
#' p-values (`ar2_p`, `sargan_p`, `hansen_p`, `diff_p`, ...) with `digits`
#' decimals; `sobel`, `aroian` and `goodman` carry stars from their p-values.
#' The labels, in English and Chinese, are kept in the package file
#' `extdata/table-labels.csv`; an unknown statistic is shown under its own name.
#' Rows whose cells are all empty are left out.
#'
#' @param ... fitted `exr_model` objects, or one list of them; names become
#'   column headers (default `(1)`, `(2)`, ...). A [mediation()] result enters
#'   as its equations (5) and (6) for each mediator (the Sobel statistics are
#'   statistics of the eq.-(6) column), a [subgroup()] result as one column per
#'   group, headed by the group labels (the test of equal coefficients,
#'   `diff_p`, is a statistic of the first group's column).
#' @param keep terms to show, in this order: exact names, or regular
#'   expressions when no name matches; all by default.
#' @param drop terms to leave out (names or regular expressions).
#' @param order terms to put first, in this order (names or regular expressions).
#' @param labels named character vector renaming terms, e.g.
#'   `c(dig = "Digital economy")`.
#' @param stats glance() statistics shown as rows, in this order.
#' @param se what goes beneath each coefficient: `"se"` (standard error, in
#'   parentheses), `"t"` (t statistic), `"p"` (p-value), `"ci"` (confidence
#'   interval at `level`, in brackets) or `"none"`.
#' @param level confidence level for `se = "ci"`.
#' @param stars named numeric vector of p-value thresholds, the names being the
#'   symbols, e.g. `c("***" = 0.01, "**" = 0.05, "*" = 0.1)` (the default) or
#'   `c("+" = 0.1, "*" = 0.05)`; `NULL` or `FALSE` for none. Stars are always
#'   computed from the models' p-values.
#' @param controls variables whose terms are controls: their coefficients are
#'   not shown and a "Controls: Yes/No" row says whether each model has any. A
#'   term is a control when every variable it uses is one of `controls` (so
#'   `l(ed, 1)` is a control when `"ed"` is).
#' @param fixef `TRUE` (default) adds a "Yes/No" row for each fixed effect
#'   found in the models; `FALSE` leaves them out.
#' @param fixef_labels named character vector of labels for the fixed-effect
#'   rows, e.g. `c(year = "Time FE")`; by default "City FE", "Year FE" and
#'   "<name> FE" (Chinese: 城市固定效应, 年份固定效应, <name>固定效应).
#' @param groups grouped column headers above the column names: a character
#'   vector with one label per model (neighbouring equal labels are merged, `""`
#'   leaves a column without one), a named integer vector of spans (names are
#'   the labels, spans add up to the number of models), or a list of either
#'   for several header rows, outermost first.
#' @param depvar add a header row with each model's dependent variable?
#' @param compare published values to show beneath ours: a data frame with
#'   columns `column` (model index), `term` (`NA` or `""` for a statistic),
#'   `statistic` (`"estimate"`, `"std.error"` or a glance() name), `value`,
#'   and optionally `stars` (shown as given). See [paper_values()].
#' @param truth true parameter values to show beneath (a data frame with
#'   `column`, `term`, `value`), e.g. from a simulation.
#' @param boot wild cluster bootstrap results to show beneath the standard
#'   errors, in brackets: a list with one element per model, each `NULL`, a
#'   [wild_boot()] result or a list of them (one per term). See `boot_show`.
#' @param boot_show `"p"` (bootstrap p-values) or `"ci"` (bootstrap confidence
#'   intervals). With `se = "none"` they replace the analytic standard errors.
#' @param title a title (caption).
#' @param notes notes added after the automatic one (which says what is in
#'   parentheses and what the stars mean).
#' @param lang `"en"` or `"zh"` (Chinese labels throughout: 控制变量, 是/否,
#'   城市固定效应, 年份固定效应, 观测值, 注).
#' @param digits decimals of coefficients, standard errors, R-squared and p-values.
#' @return An object of class `exr_table`: a list with `body` (character
#'   matrix of the cells, row labels as row names), `coefs`, `se`, `p` (numeric
#'   matrices, terms by models), `stars` (the star symbol of each cell),
#'   `row_kind` (`"coef"`, `"below"`, `"paper"`, `"paper_below"`, `"truth"`,
#'   `"indicator"`, `"stat"`, `"stat_paper"`), `header` (rows of column
#'   headers), `notes`, `title`, `lang`. It prints in the console, knits as a
#'   table in R Markdown, and [format.exr_table()], [save_table()] and
#'   `as.data.frame()` give it in other forms.
#' @seealso [format.exr_table()], [save_table()], [replicate_tables()].
#' @examples
#' set.seed(4)
#' df <- data.frame(g = rep(1:30, each = 5), t = rep(1:5, 30), x = rnorm(150),
#'                  z = rnorm(150), w = rnorm(150))
#' df$y <- 0.8 * df$x + 0.1 * df$w + rnorm(150)
#' m1 <- fe_reg(y ~ x | t, df, cluster = ~g)
#' m2 <- fe_reg(y ~ x + z + w | g + t, df, cluster = ~g)
#' reg_table(m1, m2, labels = c(x = "Digital economy"))
#' reg_table(m1, m2, controls = c("z", "w"), groups = c("Pooled" = 1, "Panel" = 1),
#'           stats = c("nobs", "r.squared", "within.r.squared"), se = "ci",
#'           title = "Table 1. An example")
#' reg_table(m1, m2, controls = c("z", "w"), lang = "zh")
#' @export
reg_table <- function(..., keep = NULL, drop = NULL, order = NULL, labels = NULL,
                      stats = c("nobs", "r.squared"), se = c("se", "t", "p", "ci", "none"),
                      level = 0.95, stars = c(`***` = 0.01, `**` = 0.05, `*` = 0.1),
                      controls = NULL, fixef = TRUE, fixef_labels = NULL, groups = NULL,
                      depvar = FALSE, compare = NULL, truth = NULL, boot = NULL,
                      boot_show = c("p", "ci"), title = NULL, notes = NULL, lang = c("en", "zh"),
                      digits = 4) {
  models <- list(...)
  if (length(models) == 1L && is.list(models[[1L]]) && !is_table_result(models[[1L]])) {
    models <- models[[1L]]
  }
  if (!length(models)) exr_error("...", "give at least one fitted model.")
  ok <- vapply(models, is_table_result, logical(1))
  if (!all(ok)) exr_error("...", "every model must be an exportres fit (class exr_model).")
  models <- table_models(models)
  lang <- match_choice(lang, c("en", "zh"), "lang")
  se <- match_choice(se, c("se", "t", "p", "ci", "none"), "se")
  if (!is.numeric(digits) || length(digits) != 1L || is.na(digits) || digits < 0) {
    exr_error("digits", "expected a non-negative number.")
  }
  if (!is.numeric(level) || length(level) != 1L || is.na(level) || level <= 0 || level >= 1) {
    exr_error("level", "expected one number between 0 and 1.")
  }
  stars <- check_stars(stars)
  check_names_arg(labels, "labels")
  check_names_arg(fixef_labels, "fixef_labels")
  for (a in c("keep", "drop", "order", "controls", "stats")) {
    v <- get(a)
    if (!is.null(v) && (!is.character(v) || anyNA(v))) exr_error(a, "expected a character vector.")
  }
  if (!is.logical(fixef) || length(fixef) != 1L || is.na(fixef)) exr_error("fixef", "expected TRUE or FALSE.")
  if (!is.logical(depvar) || length(depvar) != 1L || is.na(depvar)) exr_error("depvar", "expected TRUE or FALSE.")
  if (!is.null(title) && (!is.character(title) || length(title) != 1L)) exr_error("title", "expected one string.")
  if (!is.null(notes) && !is.character(notes)) exr_error("notes", "expected a character vector.")
  nmod <- length(models)
  hdr <- names(models)
  if (is.null(hdr)) hdr <- rep("", nmod)
  hdr[is.na(hdr) | hdr == ""] <- sprintf("(%d)", seq_len(nmod))[is.na(hdr) | hdr == ""]
  compare <- check_overlay(compare, "compare", hdr, c("column", "term", "statistic", "value"))
  truth <- check_overlay(truth, "truth", hdr, c("column", "term", "value"))
  boot <- wildboot_check(boot, nmod)
  boot_show <- match_choice(boot_show, c("p", "ci"), "boot_show")
  L <- table_labels(lang)
  digits <- as.integer(digits)

  tabs <- lapply(models, coef_table)
  all_terms <- unique(unlist(lapply(tabs, rownames)))
  is_control <- control_terms(all_terms, controls)
  terms <- select_terms(all_terms[!is_control], keep, drop, order)
  lab <- terms
  if (!is.null(labels)) {
    m <- match(terms, names(labels))
    lab[!is.na(m)] <- labels[m[!is.na(m)]]
  }
  fmt <- function(v) ifelse(is.na(v), "", formatC(v, digits = digits, format = "f"))
  est <- se_m <- p_m <- matrix(NA_real_, length(terms), nmod, dimnames = list(terms, hdr))
  rows <- list()
  add_row <- function(label, cells, kind, star = rep("", nmod), indent = FALSE) {
    rows[[length(rows) + 1L]] <<- list(label = label, cells = cells, kind = kind, star = star,
                                       indent = indent)
  }
  q <- stats::qnorm(1 - (1 - level) / 2)
  for (i in seq_along(terms)) {
    cells <- below <- st <- rep("", nmod)
    for (j in seq_len(nmod)) {
      t <- tabs[[j]]
      if (!(terms[i] %in% rownames(t))) next
      r <- t[terms[i], ]
      est[i, j] <- r$estimate; se_m[i, j] <- r$std.error; p_m[i, j] <- r$p.value
      st[j] <- stars_of(r$p.value, stars)
      cells[j] <- paste0(fmt(r$estimate), st[j])
      df <- model_df(models[[j]])
      qj <- if (is.finite(df)) stats::qt(1 - (1 - level) / 2, df) else q
      below[j] <- switch(se,
        se = paren(fmt(r$std.error)),
        t = paren(formatC(r$statistic, digits = 2, format = "f")),
        p = paren(fmt(r$p.value)),
        ci = paste0("[", fmt(r$estimate - qj * r$std.error), ", ",
                    fmt(r$estimate + qj * r$std.error), "]"),
        none = "")
      if (is.na(r$std.error)) below[j] <- ""
    }
    add_row(lab[i], cells, "coef", st)
    if (se != "none") add_row("", below, "below")
    if (!is.null(boot)) {
      bc <- wildboot_cells(boot, terms[i], boot_show, digits)
      if (any(nzchar(bc))) add_row("", bc, "below")
    }
    pv <- overlay_values(compare, terms[i], "estimate", nmod)
    if (any(nzchar(pv$text))) {
      add_row(L$word.paper, paste0(vapply(pv$value, function(v) fmt(v), ""), pv$stars), "paper",
              pv$stars, indent = TRUE)
      ps <- overlay_values(compare, terms[i], "std.error", nmod)
      if (se == "se" && any(nzchar(ps$text))) {
        add_row("", ifelse(is.na(ps$value), "", paren(fmt(ps$value))), "paper_below", indent = TRUE)
      }
    }
    tv <- overlay_values(truth, terms[i], "estimate", nmod)
    if (any(nzchar(tv$text))) add_row(L$word.truth, fmt(tv$value), "truth", indent = TRUE)
  }
  n_coef_rows <- length(rows)

  if (!is.null(controls)) {
    has <- vapply(tabs, function(t) any(control_terms(rownames(t), controls)), logical(1))
    add_row(L$word.controls, ifelse(has, L$word.yes, L$word.no), "indicator")
  }
  if (fixef) {
    # in the order of the model with the most fixed effects, then any others
    nfe <- vapply(models, function(m) length(m$fixef), integer(1))
    fes <- unique(c(models[[which.max(nfe)]]$fixef, unlist(lapply(models, function(m) m$fixef))))
    for (f in fes) {
      add_row(fixef_label(f, fixef_labels, L),
              vapply(models, function(m) if (f %in% m$fixef) L$word.yes else L$word.no, ""),
              "indicator")
    }
  }
  stat_rows <- unique(c(stats, if (!is.null(compare)) {
    s <- unique(compare$statistic[!(compare$statistic %in% c("estimate", "std.error"))])
    s[!(s %in% stats)]
  }))
  for (s in stat_rows) {
    info <- stat_info(s, L)
    vals <- lapply(models, function(m) {
      ms <- model_stats(m)
      v <- ms[[s]]
      if (is.null(v) || length(v) != 1L || is.na(v)) return(c("", ""))
      star <- if (nzchar(info$p_from) && !is.null(ms[[info$p_from]])) stars_of(ms[[info$p_from]], stars) else ""
      c(paste0(format_stat(v, info$format, digits), star), star)
    })
    cells <- vapply(vals, `[`, "", 1L)
    pv <- overlay_values(compare, NA, s, nmod)
    if (!any(nzchar(cells)) && !any(nzchar(pv$text))) next
    add_row(info$label, cells, "stat", vapply(vals, `[`, "", 2L))
    if (any(nzchar(pv$text))) {
      add_row(L$word.paper, ifelse(is.na(pv$value), "",
                                   paste0(vapply(pv$value, format_stat, "", kind = info$format,
                                                 digits = digits), pv$stars)),
              "stat_paper", pv$stars, indent = TRUE)
    }
  }

  body <- do.call(rbind, lapply(rows, `[[`, "cells"))
  if (is.null(body)) body <- matrix("", 0L, nmod)
  body <- matrix(body, ncol = nmod, dimnames = list(vapply(rows, `[[`, "", "label"), hdr))
  star_m <- matrix(unlist(lapply(rows, `[[`, "star")), ncol = nmod, byrow = TRUE,
                   dimnames = dimnames(body))
  header <- header_levels(groups, depvar, models, hdr, L)
  auto_note <- table_note(models, se, level, stars, lang, L)
  notes <- c(auto_note,
             if (!is.null(compare)) L$note.paper,
             if (!is.null(truth)) L$note.truth,
             if (!is.null(boot)) wildboot_note(boot, boot_show, lang),
             notes)
  structure(list(body = body, coefs = est, se = se_m, p = p_m, stars = star_m,
                 row_kind = vapply(rows, `[[`, "", "kind"),
                 indent = vapply(rows, `[[`, logical(1), "indent"),
                 n_coef_rows = n_coef_rows, header = header, notes = notes, title = title,
                 lang = lang, models = hdr, corner = L$word.variable),
            class = "exr_table")
}

# Results that hold several fits enter a table as those fits, one column each:
# a mediation as its equations (5) and (6) per mediator, a subgroup analysis
# as its groups (the group labels become the column names).
is_table_result <- function(x) inherits(x, c("exr_model", "exr_mediation", "exr_subgroup"))

table_models <- function(models) {
  outer <- names(models)
  if (is.null(outer)) outer <- rep("", length(models))
  outer[is.na(outer)] <- ""
  out <- list()
  nm <- character(0)
  for (i in seq_along(models)) {
    x <- models[[i]]
    inner <- if (inherits(x, "exr_mediation")) {
      unname(unlist(lapply(x$mediators, function(m) list(x$models$a[[m]], x$models$b[[m]])),
                    recursive = FALSE))
    } else if (inherits(x, "exr_subgroup")) {
      x$fits
    }
    if (is.null(inner)) {
      out <- c(out, list(x))
      nm <- c(nm, outer[i])
    } else {
      inner_nm <- names(inner)
      if (is.null(inner_nm)) inner_nm <- rep("", length(inner))
      out <- c(out, unname(inner))
      nm <- c(nm, inner_nm)
    }
  }
  if (any(nzchar(nm))) names(out) <- nm
  out
}

paren <- function(s) ifelse(nzchar(s), paste0("(", s, ")"), "")

check_stars <- function(stars) {
  if (is.null(stars) || isFALSE(stars)) return(numeric(0))
  if (!is.numeric(stars) || is.null(names(stars)) || anyNA(stars) || any(stars <= 0 | stars >= 1) ||
      any(!nzchar(names(stars))) || anyDuplicated(names(stars)) || anyDuplicated(stars)) {
    exr_error("stars", "expected p-value thresholds in (0, 1) named by distinct symbols, ",
              "e.g. c(\"***\" = 0.01, \"**\" = 0.05, \"*\" = 0.1), or NULL.")
  }
  sort(stars)
}

check_names_arg <- function(x, arg) {
  if (!is.null(x) && (!is.character(x) || is.null(names(x)) || anyNA(names(x)))) {
    exr_error(arg, "expected a named character vector.")
  }
}

# compare/truth: a data frame keyed by model column (index or header) and term.
check_overlay <- function(x, arg, hdr, cols) {
  if (is.null(x)) return(NULL)
  if (!is.data.frame(x) || !all(cols %in% names(x))) {
    exr_error(arg, "expected a data frame with columns ", paste(cols, collapse = ", "), ".")
  }
  col <- x$column
  if (is.character(col) || is.factor(col)) col <- match(as.character(col), hdr)
  if (!is.numeric(col) || anyNA(col) || any(col < 1 | col > length(hdr) | col != round(col))) {
    exr_error(arg, "`column` must give model indices (1 to ", length(hdr), ") or headers.")
  }
  if (!is.numeric(x$value)) exr_error(arg, "`value` must be numeric.")
  term <- as.character(x$term)
  term[is.na(term)] <- ""
  data.frame(column = as.integer(col), term = term,
             statistic = if (is.null(x$statistic)) "estimate" else as.character(x$statistic),
             value = x$value,
             stars = if (is.null(x$stars)) "" else ifelse(is.na(x$stars), "", as.character(x$stars)),
             stringsAsFactors = FALSE)
}

# One overlay row: value and stars per model column for a term (or a statistic).
overlay_values <- function(ov, term, statistic, nmod) {
  value <- rep(NA_real_, nmod)
  st <- rep("", nmod)
  if (!is.null(ov)) {
    sel <- if (is.na(term)) ov$term == "" & ov$statistic == statistic else
      ov$term == term & ov$statistic == statistic
    sub <- ov[sel, , drop = FALSE]
    value[sub$column] <- sub$value
    st[sub$column] <- sub$stars
  }
  list(value = value, stars = st, text = ifelse(is.na(value), "", "x"))
}

# Terms matching patterns: exact names first, else regular expressions.
match_terms <- function(patterns, terms, arg) {
  unique(unlist(lapply(patterns, function(k) {
    hit <- terms[terms == k]
    if (!length(hit)) {
      hit <- tryCatch(suppressWarnings(grep(k, terms, value = TRUE)),
                      error = function(e) exr_error(arg, "'", k, "' is neither a term nor a valid regular expression."))
    }
    hit
  })))
}

select_terms <- function(terms, keep, drop, order) {
  if (!is.null(keep)) {
    terms <- match_terms(keep, terms, "keep")
    if (length(keep) && !length(terms)) {
      exr_error("keep", "matches no coefficient of the models (a typo?); use keep = character(0) ",
                "for a table of statistics only.")
    }
  }
  if (!is.null(drop)) terms <- setdiff(terms, match_terms(drop, terms, "drop"))
  if (!is.null(order)) {
    first <- match_terms(order, terms, "order")
    terms <- c(first, setdiff(terms, first))
  }
  terms
}

# A term is a control when every variable it uses is a control variable.
control_terms <- function(terms, controls) {
  if (is.null(controls) || !length(terms)) return(rep(FALSE, length(terms)))
  vapply(terms, function(t) {
    v <- tryCatch(all.vars(str2lang(t)), error = function(e) t)
    if (!length(v)) v <- t
    all(v %in% controls)
  }, logical(1), USE.NAMES = FALSE)
}

fixef_label <- function(f, fixef_labels, L) {
  if (!is.null(fixef_labels) && f %in% names(fixef_labels)) return(unname(fixef_labels[[f]]))
  key <- paste0("fe.", f)
  if (!is.null(L[[key]])) return(L[[key]])
  fill_template(L$fe.default, x = f)
}

# The labels of tables, in one language, from the package's label file.
table_labels <- function(lang = "en") {
  f <- system.file("extdata", "table-labels.csv", package = "exportres")
  lab <- utils::read.csv(f, encoding = "UTF-8", stringsAsFactors = FALSE, colClasses = "character",
                         na.strings = character(0))
  out <- as.list(enc2utf8(lab[[lang]]))
  names(out) <- lab$key
  attr(out, "format") <- stats::setNames(lab$format, lab$key)
  attr(out, "p_from") <- stats::setNames(lab$p_from, lab$key)
  out
}

table_words <- function(lang) table_labels(lang)

fill_template <- function(s, x = "", y = "", z = "") {
  s <- gsub("{x}", x, s, fixed = TRUE)
  s <- gsub("{y}", y, s, fixed = TRUE)
  gsub("{z}", z, s, fixed = TRUE)
}

# Label, number format and the p-value a statistic's stars come from.
stat_info <- function(s, L) {
  key <- paste0("stat.", s)
  if (is.null(L[[key]])) return(list(label = s, format = "dig", p_from = ""))
  list(label = L[[key]], format = attr(L, "format")[[key]] %||% "dig",
       p_from = attr(L, "p_from")[[key]] %||% "")
}

stat_label <- function(s, words = table_labels("en")) stat_info(s, words)$label

format_stat <- function(v, kind, digits) {
  if (is.na(v)) return("")
  switch(kind,
         int = formatC(round(v), format = "d", big.mark = ","),
         f2 = formatC(v, digits = 2, format = "f"),
         formatC(v, digits = digits, format = "f"))
}

`%||%` <- function(a, b) if (is.null(a) || length(a) == 0L || is.na(a) || identical(a, "")) b else a

# Header rows, top to bottom: each a list of labels and spans; the last is the
# column names.
header_levels <- function(groups, depvar, models, hdr, L) {
  nmod <- length(hdr)
  lev <- list()
  if (!is.null(groups)) {
    if (!is.list(groups)) groups <- list(groups)
    for (g in groups) lev[[length(lev) + 1L]] <- group_spans(g, nmod)
  }
  lev[[length(lev) + 1L]] <- list(labels = hdr, spans = rep(1L, nmod), rule = rep(FALSE, nmod),
                                  names = TRUE)
  if (depvar) {
    dv <- vapply(models, function(m) if (is.null(m$depvar)) "" else as.character(m$depvar)[1L], "")
    lev[[length(lev) + 1L]] <- list(labels = dv, spans = rep(1L, nmod), rule = rep(FALSE, nmod),
                                    names = FALSE)
  }
  lev
}

group_spans <- function(g, nmod) {
  if (is.character(g) && is.null(names(g))) {
    if (length(g) != nmod || anyNA(g)) exr_error("groups", "expected one label per model (", nmod, ").")
    r <- rle(g)
    return(list(labels = r$values, spans = r$lengths, rule = r$lengths > 1L, names = FALSE))
  }
  if (!is.numeric(g) || is.null(names(g)) || anyNA(g) || any(g < 1 | g != round(g)) ||
      sum(g) != nmod) {
    exr_error("groups", "expected labels (one per model) or spans named by their labels adding up to ",
              nmod, ".")
  }
  nm <- names(g)
  nm[is.na(nm)] <- ""
  list(labels = nm, spans = as.integer(g), rule = g > 1L, names = FALSE)
}

# The automatic note: what is beneath the coefficients and what the stars mean.
table_note <- function(models, se, level, stars, lang, L) {
  first <- switch(se,
    se = {
      types <- unique(vapply(models, function(m) {
        if (identical(m$vcov_type, "cluster")) paste0("cluster:", paste(m$cluster, collapse = "+")) else
          as.character(m$vcov_type %||% "iid")
      }, ""))
      if (length(types) != 1L) L$note.se.mixed else if (startsWith(types, "cluster:")) {
        cl <- strsplit(sub("^cluster:", "", types), "+", fixed = TRUE)[[1L]]
        fill_template(L$note.se.cluster, x = paste(cl, collapse = if (lang == "zh") "\u548c" else " and "))
      } else if (types == "hc1") L$note.se.hc1 else L$note.se.iid
    },
    t = L$note.t, p = L$note.p,
    ci = fill_template(L$note.ci, x = format(100 * level)),
    none = NULL)
  st <- NULL
  if (length(stars)) {
    pct <- paste0(format(100 * unname(stars), trim = TRUE, drop0trailing = TRUE), "%")
    st <- fill_template(L$note.stars, x = paste(names(stars), collapse = L$note.list_sep),
                        y = paste(pct, collapse = L$note.list_sep),
                        z = paste(paste0(names(stars), " p<", as.character(unname(stars))),
                                  collapse = ", "))
  }
  parts <- c(first, st)
  if (!length(parts)) return(NULL)
  paste0(paste(parts, collapse = L$note.sep), L$note.end)
}

#' @export
as.data.frame.exr_table <- function(x, ...) {
  data.frame(term = rownames(x$body), x$body, row.names = NULL, check.names = FALSE)
}
