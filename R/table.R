# Regression tables in the layout of applied-economics papers: coefficients with
# stars computed from p-values (never copied), standard errors in parentheses,
# fixed-effect indicator rows and model statistics, printable in the console and
# knitted as a real table in RMarkdown.

#' Regression table of several models
#'
#' @param ... fitted `exr_model` objects, or one list of them; names become
#'   column headers (default `(1)`, `(2)`, ...).
#' @param keep coefficient names (or regular expressions) to show, in order; all by default.
#' @param labels named character vector renaming coefficients, e.g.
#'   `c(dig = "Digital economy")`.
#' @param stats glance() statistics to show as rows; default `c("nobs", "r.squared")`.
#' @param lang `"en"` or `"zh"` (Chinese row labels).
#' @param digits decimals.
#' @param fixef show "yes/no" rows for the fixed effects used?
#' @return An object of class `exr_table`: a list with `body` (character matrix),
#'   `coefs` (numeric estimates), `se`, `p`, `notes`; it prints in the console and as
#'   a table inside R Markdown (`knit_print`), and `as.data.frame()` gives the cells.
#' @examples
#' set.seed(4)
#' df <- data.frame(g = rep(1:30, each = 5), t = rep(1:5, 30), x = rnorm(150), z = rnorm(150))
#' df$y <- 0.8 * df$x + rnorm(150)
#' m1 <- fe_reg(y ~ x | t, df)
#' m2 <- fe_reg(y ~ x + z | g + t, df)
#' reg_table(m1, m2, labels = c(x = "Digital economy"))
#' @export
reg_table <- function(..., keep = NULL, labels = NULL, stats = c("nobs", "r.squared"),
                      lang = c("en", "zh"), digits = 4, fixef = TRUE) {
  models <- list(...)
  if (length(models) == 1L && is.list(models[[1L]]) && !inherits(models[[1L]], "exr_model")) {
    models <- models[[1L]]
  }
  if (!length(models)) exr_error("...", "give at least one fitted model.")
  ok <- vapply(models, inherits, logical(1), what = "exr_model")
  if (!all(ok)) exr_error("...", "every model must be an exportres fit (class exr_model).")
  lang <- match_choice(lang, c("en", "zh"), "lang")
  if (!is.numeric(digits) || length(digits) != 1L || digits < 0) exr_error("digits", "expected a non-negative number.")
  hdr <- names(models)
  if (is.null(hdr)) hdr <- rep("", length(models))
  hdr[hdr == ""] <- sprintf("(%d)", seq_along(models))[hdr == ""]

  tabs <- lapply(models, coef_table)
  terms <- unique(unlist(lapply(tabs, rownames)))
  if (!is.null(keep)) {
    sel <- unlist(lapply(keep, function(k) {
      hit <- terms[terms == k]
      if (!length(hit)) hit <- grep(k, terms, value = TRUE)
      hit
    }))
    terms <- unique(sel)
  }
  lab <- terms
  if (!is.null(labels)) {
    m <- match(terms, names(labels))
    lab[!is.na(m)] <- labels[m[!is.na(m)]]
  }
  fmt <- function(v) formatC(v, digits = digits, format = "f")
  nmod <- length(models)
  est <- se <- p <- matrix(NA_real_, length(terms), nmod, dimnames = list(terms, hdr))
  body <- matrix("", 2L * length(terms), nmod)
  rn <- character(2L * length(terms))
  for (i in seq_along(terms)) {
    rn[2L * i - 1L] <- lab[i]
    for (j in seq_len(nmod)) {
      t <- tabs[[j]]
      if (terms[i] %in% rownames(t)) {
        r <- t[terms[i], ]
        est[i, j] <- r$estimate; se[i, j] <- r$std.error; p[i, j] <- r$p.value
        body[2L * i - 1L, j] <- paste0(fmt(r$estimate), stars_of(r$p.value))
        body[2L * i, j] <- paste0("(", fmt(r$std.error), ")")
      }
    }
  }
  words <- table_words(lang)
  extra <- NULL
  extra_rn <- character(0)
  if (fixef) {
    fes <- unique(unlist(lapply(models, function(m) m$fixef)))
    for (f in fes) {
      extra <- rbind(extra, vapply(models, function(m) if (f %in% m$fixef) words$yes else words$no, ""))
      extra_rn <- c(extra_rn, paste(f, words$fe))
    }
  }
  for (s in stats) {
    vals <- vapply(models, function(m) {
      v <- model_stats(m)[[s]]
      if (is.null(v) || length(v) != 1L || is.na(v)) return("")
      if (s %in% c("nobs", "n_groups", "n_instruments")) format(v, big.mark = ",") else fmt(v)
    }, "")
    extra <- rbind(extra, vals)
    extra_rn <- c(extra_rn, stat_label(s, words))
  }
  body <- rbind(body, extra)
  rownames(body) <- c(rn, extra_rn)
  colnames(body) <- hdr
  notes <- words$note
  structure(list(body = body, coefs = est, se = se, p = p, n_coef_rows = 2L * length(terms),
                 notes = notes, models = hdr), class = "exr_table")
}

table_words <- function(lang) {
  if (lang == "zh") {
    list(yes = "\u662f", no = "\u5426", fe = "\u56fa\u5b9a\u6548\u5e94",
         note = "\u62ec\u53f7\u5185\u4e3a\u6807\u51c6\u8bef\uff1b*** p<0.01, ** p<0.05, * p<0.1",
         nobs = "\u6837\u672c\u91cf", r.squared = "R\u00b2")
  } else {
    list(yes = "Yes", no = "No", fe = "FE",
         note = "Standard errors in parentheses; *** p<0.01, ** p<0.05, * p<0.1",
         nobs = "N", r.squared = "R2")
  }
}

stat_label <- function(s, words) {
  if (!is.null(words[[s]])) return(words[[s]])
  c(within.r.squared = "Within R2", adj.r.squared = "Adj. R2", f_stat = "F", sigma = "RMSE",
    first_F = "First-stage F", cd_F = "Cragg-Donald Wald F", kp_F = "Kleibergen-Paap rk Wald F",
    ar1_p = "AR(1) p", ar2_p = "AR(2) p", sargan_p = "Sargan p", hansen_p = "Hansen p",
    pretrend_p = "Pre-trend test p",
    sobel = "Sobel z", logLik = "Log-likelihood")[s] %||% s
}

`%||%` <- function(a, b) if (is.null(a) || length(a) == 0L || is.na(a)) b else a

#' @export
as.data.frame.exr_table <- function(x, ...) {
  data.frame(term = rownames(x$body), x$body, row.names = NULL, check.names = FALSE)
}

#' @export
format.exr_table <- function(x, ...) {
  b <- rbind(colnames(x$body), x$body)
  rn <- c("", rownames(x$body))
  w0 <- max(nchar(rn, type = "width"))
  w <- apply(b, 2L, function(col) max(nchar(col, type = "width")))
  pad <- function(s, n) paste0(strrep(" ", pmax(0L, n - nchar(s, type = "width"))), s)
  lines <- vapply(seq_len(nrow(b)), function(i) {
    paste0(rn[i], strrep(" ", w0 - nchar(rn[i], type = "width")), "  ",
           paste(vapply(seq_along(w), function(j) pad(b[i, j], w[j]), ""), collapse = "  "))
  }, "")
  rule <- strrep("-", max(nchar(lines, type = "width")))
  c(rule, lines[1L], rule, lines[2L:(x$n_coef_rows + 1L)], rule,
    lines[-seq_len(x$n_coef_rows + 1L)], rule, x$notes)
}

#' @export
print.exr_table <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

# Markdown pipe table: knits to HTML, PDF and Word alike.
table_markdown <- function(x) {
  esc <- function(s) gsub("\\*", "\\\\*", gsub("|", "\\|", s, fixed = TRUE))
  b <- x$body
  head <- paste0("| | ", paste(esc(colnames(b)), collapse = " | "), " |")
  sep <- paste0("|:--|", paste(rep("--:", ncol(b)), collapse = "|"), "|")
  rows <- vapply(seq_len(nrow(b)), function(i) {
    paste0("| ", esc(rownames(b)[i]), " | ", paste(esc(b[i, ]), collapse = " | "), " |")
  }, "")
  c(head, sep, rows, "", esc(x$notes))
}

#' Knit an exportres table as a real table in R Markdown
#' @param x an `exr_table`.
#' @param ... unused.
#' @return a `knit_asis` markdown table.
#' @keywords internal
#' @exportS3Method knitr::knit_print
knit_print.exr_table <- function(x, ...) {
  knitr::asis_output(paste(c("", table_markdown(x), ""), collapse = "\n"))
}

#' Save a regression table
#'
#' @param x an `exr_table` from [reg_table()].
#' @param file path; the format follows the extension: `.csv`, `.md`, `.html`, `.tex` or `.txt`.
#' @return `file`, invisibly.
#' @examples
#' set.seed(5)
#' df <- data.frame(g = rep(1:10, each = 4), x = rnorm(40))
#' df$y <- df$x + rnorm(40)
#' tab <- reg_table(fe_reg(y ~ x | g, df))
#' save_table(tab, file.path(tempdir(), "table.md"))
#' @export
save_table <- function(x, file) {
  if (!inherits(x, "exr_table")) exr_error("x", "expected a table from reg_table().")
  if (!is.character(file) || length(file) != 1L) exr_error("file", "expected one file path.")
  ext <- tolower(sub(".*\\.", "", basename(file)))
  lines <- switch(ext,
    csv = {
      utils::write.csv(as.data.frame(x), file, row.names = FALSE)
      return(invisible(file))
    },
    md = table_markdown(x),
    html = table_html(x),
    tex = table_latex(x),
    txt = format(x),
    exr_error("file", "unknown extension '.", ext, "'; use .csv, .md, .html, .tex or .txt."))
  writeLines(enc2utf8(lines), file, useBytes = TRUE)
  invisible(file)
}

table_html <- function(x) {
  h <- function(s) gsub(">", "&gt;", gsub("<", "&lt;", gsub("&", "&amp;", s, fixed = TRUE)))
  b <- x$body
  c("<table>", paste0("<thead><tr><th></th>", paste0("<th>", h(colnames(b)), "</th>", collapse = ""),
                      "</tr></thead><tbody>"),
    vapply(seq_len(nrow(b)), function(i) paste0("<tr><td>", h(rownames(b)[i]), "</td>",
                                                paste0("<td>", h(b[i, ]), "</td>", collapse = ""), "</tr>"), ""),
    "</tbody>", paste0("<caption>", h(x$notes), "</caption>"), "</table>")
}

table_latex <- function(x) {
  tx <- function(s) gsub("([%&_#])", "\\\\\\1", s)
  b <- x$body
  c(paste0("\\begin{tabular}{l", strrep("c", ncol(b)), "}"), "\\hline",
    paste0(" & ", paste(tx(colnames(b)), collapse = " & "), " \\\\"), "\\hline",
    vapply(seq_len(nrow(b)), function(i) paste0(tx(rownames(b)[i]), " & ",
                                                paste(tx(b[i, ]), collapse = " & "), " \\\\"), ""),
    "\\hline", "\\end{tabular}")
}
