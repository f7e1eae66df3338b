# Rendering an exr_table: console text aligned by display width, Markdown pipe
# tables, HTML (a fragment that keeps its journal look inside any page, or a
# standalone document) and LaTeX (booktabs rules, threeparttable notes).

#' Format a regression table as text, Markdown, HTML or LaTeX
#'
#' `format()` gives a table from [reg_table()] as lines of text in any of four
#' forms, without writing a file; `print()` shows the text form, `knit_print()`
#' (R Markdown) the HTML form in HTML documents, the LaTeX form in PDF documents
#' and Markdown elsewhere, and [save_table()] writes any of them.
#'
#' * `"text"`: the console table, columns aligned by display width (Chinese
#'   characters count two), numbers aligned on their decimal point.
#' * `"markdown"`: a pipe table (Pandoc), grouped headers as a first row, the
#'   title as a Pandoc caption and the notes as a paragraph.
#' * `"html"`: a `<table class="exr-table">` with its own scoped style (rules
#'   as in a journal: a thick rule above and below, thin rules under the
#'   headers and the coefficients, no stripes), so it looks the same inside
#'   an R Markdown page whatever that page's style; `standalone = TRUE` wraps
#'   it in a complete UTF-8 HTML document.
#' * `"latex"`: a `table` environment with a `threeparttable` holding the
#'   caption, a `tabular` ruled with booktabs (`\toprule`, `\cmidrule`,
#'   `\midrule`, `\bottomrule`) and `tablenotes`; it needs
#'   `\usepackage{booktabs, threeparttable}`, and Chinese text needs XeLaTeX
#'   with `xeCJK`. `standalone = TRUE` gives a complete document that compiles
#'   with `pdflatex` (English) or `xelatex` (Chinese, with the CJK font
#'   `getOption("exportres.cjk_font", "Noto Serif CJK SC")`).
#'
#' @param x an `exr_table`.
#' @param type `"text"`, `"markdown"`, `"html"` or `"latex"`.
#' @param standalone for `"html"` and `"latex"`: a complete document rather
#'   than a fragment.
#' @param ... unused.
#' @return A character vector of lines.
#' @examples
#' set.seed(4)
#' df <- data.frame(g = rep(1:30, each = 5), t = rep(1:5, 30), x = rnorm(150))
#' df$y <- 0.8 * df$x + rnorm(150)
#' tab <- reg_table(fe_reg(y ~ x | t, df), fe_reg(y ~ x | g + t, df),
#'                  title = "Table 1. Example")
#' cat(format(tab), sep = "\n")
#' cat(format(tab, "markdown"), sep = "\n")
#' cat(format(tab, "latex"), sep = "\n")
#' html <- format(tab, "html", standalone = TRUE)
#' @export
format.exr_table <- function(x, type = c("text", "markdown", "html", "latex"),
                             standalone = FALSE, ...) {
  type <- match_choice(type, c("text", "markdown", "html", "latex"), "type")
  if (!is.logical(standalone) || length(standalone) != 1L || is.na(standalone)) {
    exr_error("standalone", "expected TRUE or FALSE.")
  }
  x <- upgrade_table(x)
  switch(type,
         text = table_text(x),
         markdown = table_markdown(x),
         html = table_html(x, standalone),
         latex = table_latex(x, standalone))
}

#' @export
print.exr_table <- function(x, ...) {
  cat(format(x, "text"), sep = "\n")
  invisible(x)
}

# Tables saved by an older version lack the newer fields.
upgrade_table <- function(x) {
  nr <- nrow(x$body)
  nm <- ncol(x$body)
  if (is.null(x$row_kind)) {
    x$row_kind <- c(rep(c("coef", "below"), length.out = x$n_coef_rows %||% 0L),
                    rep("stat", nr - (x$n_coef_rows %||% 0L)))
  }
  if (is.null(x$stars)) x$stars <- matrix("", nr, nm)
  if (is.null(x$indent)) x$indent <- rep(FALSE, nr)
  if (is.null(x$header)) {
    x$header <- list(list(labels = colnames(x$body), spans = rep(1L, nm), rule = rep(FALSE, nm),
                          names = TRUE))
  }
  if (is.null(x$title) && !is.null(attr(x, "title"))) x$title <- attr(x, "title")
  if (is.null(x$lang)) x$lang <- "en"
  x
}

# Blocks of rows: coefficients (with their overlays), then indicators and statistics.
table_blocks <- function(x) {
  k <- x$row_kind
  ifelse(k %in% c("coef", "below", "paper", "paper_below", "truth"), 1L, 2L)
}

note_lines <- function(x) {
  if (!length(x$notes)) return(character(0))
  L <- table_labels(x$lang)
  c(paste0(L$word.note, x$notes[1L]), x$notes[-1L])
}

# ---- text ------------------------------------------------------------------

dwidth <- function(s) {
  w <- nchar(s, type = "width")
  w[is.na(w)] <- nchar(s[is.na(w)], type = "chars")
  w
}
pad_left <- function(s, n) paste0(strrep(" ", pmax(0L, n - dwidth(s))), s)
pad_right <- function(s, n) paste0(s, strrep(" ", pmax(0L, n - dwidth(s))))
pad_centre <- function(s, n) {
  extra <- pmax(0L, n - dwidth(s))
  paste0(strrep(" ", extra %/% 2L), s, strrep(" ", extra - extra %/% 2L))
}

table_text <- function(x) {
  b <- x$body
  nm <- ncol(b)
  numeric_row <- x$row_kind != "indicator"
  # Cells end with their stars padded to the column's widest stars, so that
  # numbers right-aligned in the column line up on the decimal point.
  # A closing parenthesis or bracket beneath takes the place of the first star.
  cells <- b
  closing <- x$row_kind %in% c("below", "paper_below")
  for (j in seq_len(nm)) {
    suffix <- ifelse(closing & grepl("[])]$", b[, j]), 1L, dwidth(x$stars[, j]))
    r <- numeric_row & nzchar(b[, j])
    sw <- max(c(0L, suffix[r]))
    cells[r, j] <- paste0(b[r, j], strrep(" ", sw - suffix[r]))
  }
  labels <- ifelse(x$indent, paste0("  ", rownames(b)), rownames(b))
  w0 <- max(c(dwidth(labels), dwidth(x$corner %||% ""), 1L))
  wc <- vapply(seq_len(nm), function(j) max(c(1L, dwidth(cells[, j]))), integer(1))
  for (lev in x$header) {
    start <- cumsum(c(1L, lev$spans))[seq_along(lev$spans)]
    for (g in seq_along(lev$spans)) {
      cols <- start[g]:(start[g] + lev$spans[g] - 1L)
      have <- sum(wc[cols]) + 2L * (length(cols) - 1L)
      need <- dwidth(lev$labels[g])
      if (need > have) wc[max(cols)] <- wc[max(cols)] + need - have
    }
  }
  total <- w0 + sum(wc + 2L)
  line <- function(left, parts) paste0(pad_right(left, w0), "  ", paste(parts, collapse = "  "))
  out <- character(0)
  if (!is.null(x$title)) out <- c(out, x$title)
  out <- c(out, strrep("=", total))
  for (lev in x$header) {
    start <- cumsum(c(1L, lev$spans))[seq_along(lev$spans)]
    widths <- vapply(seq_along(lev$spans), function(g) {
      cols <- start[g]:(start[g] + lev$spans[g] - 1L)
      as.integer(sum(wc[cols]) + 2L * (length(cols) - 1L))
    }, integer(1))
    out <- c(out, line(if (isTRUE(lev$names)) x$corner %||% "" else "",
                       pad_centre(lev$labels, widths)))
    if (any(lev$rule)) {
      out <- c(out, sub(" +$", "", line("", ifelse(lev$rule & nzchar(lev$labels), strrep("-", widths),
                                                      strrep(" ", widths)))))
    }
  }
  out <- c(out, strrep("-", total))
  blocks <- table_blocks(x)
  for (i in seq_len(nrow(b))) {
    if (i > 1L && blocks[i] != blocks[i - 1L]) out <- c(out, strrep("-", total))
    parts <- if (numeric_row[i]) pad_left(cells[i, ], wc) else pad_centre(cells[i, ], wc)
    out <- c(out, sub(" +$", "", line(labels[i], parts)))
  }
  c(out, strrep("=", total), note_lines(x))
}

# ---- markdown ---------------------------------------------------------------

md_escape <- function(s) gsub("([\\\\*_|`<>])", "\\\\\\1", s)

table_markdown <- function(x) {
  x <- upgrade_table(x)
  b <- x$body
  nm <- ncol(b)
  lab <- md_escape(rownames(b))
  lab[x$indent] <- paste0("\u00a0\u00a0", lab[x$indent])
  names_lev <- which(vapply(x$header, function(l) isTRUE(l$names), logical(1)))
  head <- paste0("| ", md_escape(x$corner %||% ""), " | ",
                 paste(md_escape(x$header[[names_lev]]$labels), collapse = " | "), " |")
  sep <- paste0("|:--|", paste(rep(":-:", nm), collapse = "|"), "|")
  extra <- character(0)
  for (lev in x$header[-names_lev]) {
    cells <- unlist(lapply(seq_along(lev$spans), function(g) {
      c(if (nzchar(lev$labels[g])) paste0("*", md_escape(lev$labels[g]), "*") else "",
        rep("", lev$spans[g] - 1L))
    }))
    extra <- c(extra, paste0("| | ", paste(cells, collapse = " | "), " |"))
  }
  rows <- vapply(seq_len(nrow(b)), function(i) {
    paste0("| ", lab[i], " | ", paste(md_escape(b[i, ]), collapse = " | "), " |")
  }, "")
  c(head, sep, extra, rows, "",
    if (!is.null(x$title)) c(paste0("Table: ", md_escape(x$title)), ""),
    if (length(x$notes)) utils::head(as.vector(rbind(md_escape(note_lines(x)), "")), -1L))
}

# ---- HTML -------------------------------------------------------------------

html_escape <- function(s) {
  s <- gsub("&", "&amp;", s, fixed = TRUE)
  s <- gsub("<", "&lt;", s, fixed = TRUE)
  gsub(">", "&gt;", s, fixed = TRUE)
}

# A number's minus sign as a typographic minus; stars as a superscript.
html_cell <- function(cell, star) {
  core <- substr(cell, 1L, nchar(cell) - nchar(star))
  core <- gsub("(^|[\\[(, ])-(?=[0-9.])", "\\1\u2212", core, perl = TRUE)
  paste0(html_escape(core), ifelse(nzchar(star), paste0("<sup>", html_escape(star), "</sup>"), ""))
}

html_style <- function() {
  c("<style>",
    "div.exr-table-wrap{overflow-x:auto;margin:1.2em 0}",
    "table.exr-table{border-collapse:collapse;margin:0 auto;border:0;background:transparent;min-width:26em;",
    "  font-family:'Times New Roman',Times,'Noto Serif CJK SC','Noto Sans CJK SC','Source Han Serif SC',SimSun,serif;",
    "  font-size:14px;line-height:1.35;font-variant-numeric:tabular-nums;color:#111}",
    "table.exr-table caption{caption-side:top;text-align:left;font-weight:bold;padding:0 0 .5em 0;color:#111}",
    "table.exr-table th,table.exr-table td{padding:1px 9px;border:0;background:transparent;text-align:center;white-space:nowrap;font-weight:normal}",
    "table.exr-table th:first-child,table.exr-table td:first-child{text-align:left;padding-left:2px}",
    "table.exr-table thead,table.exr-table tbody,table.exr-table tfoot,table.exr-table tr,table.exr-table tr:nth-child(even){background:transparent}",
    "table.exr-table thead tr:first-child th{border-top:2px solid #111;padding-top:4px}",
    "table.exr-table thead tr:last-child th{border-bottom:1px solid #111;padding-bottom:3px}",
    "table.exr-table th.exr-span span{display:block;border-bottom:1px solid #111;padding-bottom:1px}",
    "table.exr-table tr.exr-rule td{border-top:1px solid #111;padding-top:3px}",
    "table.exr-table tbody tr:last-child td{border-bottom:2px solid #111;padding-bottom:4px}",
    "table.exr-table td.exr-indent{padding-left:1.4em}",
    "table.exr-table tr.exr-paper td,table.exr-table tr.exr-paper_below td,table.exr-table tr.exr-stat_paper td{color:#8a4b08;font-style:italic}",
    "table.exr-table tr.exr-truth td{color:#1f4e8c}",
    "table.exr-table tfoot td{white-space:normal;text-align:left;font-size:13px;padding-top:5px;max-width:0}",
    "</style>")
}

table_html <- function(x, standalone = FALSE) {
  x <- upgrade_table(x)
  b <- x$body
  nm <- ncol(b)
  out <- c(html_style(), "<div class=\"exr-table-wrap\">", "<table class=\"exr-table\">")
  if (!is.null(x$title)) out <- c(out, paste0("<caption>", html_escape(x$title), "</caption>"))
  out <- c(out, "<thead>")
  for (lev in x$header) {
    cells <- vapply(seq_along(lev$spans), function(g) {
      lab <- html_escape(lev$labels[g])
      sp <- if (lev$spans[g] > 1L) paste0(" colspan=\"", lev$spans[g], "\"") else ""
      if (isTRUE(lev$rule[g]) && nzchar(lev$labels[g])) {
        paste0("<th class=\"exr-span\"", sp, "><span>", lab, "</span></th>")
      } else paste0("<th", sp, ">", lab, "</th>")
    }, "")
    corner <- if (isTRUE(lev$names)) html_escape(x$corner %||% "") else ""
    out <- c(out, paste0("<tr><th>", corner, "</th>", paste(cells, collapse = ""), "</tr>"))
  }
  out <- c(out, "</thead>", "<tbody>")
  blocks <- table_blocks(x)
  for (i in seq_len(nrow(b))) {
    cls <- paste0("exr-", x$row_kind[i])
    if (i > 1L && blocks[i] != blocks[i - 1L]) cls <- paste(cls, "exr-rule")
    lab <- html_escape(rownames(b)[i])
    first <- if (x$indent[i]) paste0("<td class=\"exr-indent\">", lab, "</td>") else
      paste0("<td>", lab, "</td>")
    out <- c(out, paste0("<tr class=\"", cls, "\">", first,
                         paste0("<td>", html_cell(b[i, ], x$stars[i, ]), "</td>", collapse = ""),
                         "</tr>"))
  }
  out <- c(out, "</tbody>")
  if (length(x$notes)) {
    out <- c(out, paste0("<tfoot><tr><td colspan=\"", nm + 1L, "\">",
                         paste(html_escape(note_lines(x)), collapse = "<br>"), "</td></tr></tfoot>"))
  }
  out <- c(out, "</table>", "</div>")
  if (!standalone) return(out)
  c("<!DOCTYPE html>", paste0("<html lang=\"", if (x$lang == "zh") "zh-CN" else "en", "\">"),
    "<head>", "<meta charset=\"utf-8\">",
    paste0("<title>", html_escape(x$title %||% "exportres table"), "</title>"),
    "</head>", "<body>", out, "</body>", "</html>")
}

# ---- LaTeX ------------------------------------------------------------------

tex_escape <- function(s) {
  s <- gsub("\\", "\001", s, fixed = TRUE)
  s <- gsub("([&%$#_{}])", "\\\\\\1", s)
  s <- gsub("\001", "\\textbackslash{}", s, fixed = TRUE)
  s <- gsub("~", "\\textasciitilde{}", s, fixed = TRUE)
  s <- gsub("^", "\\textasciicircum{}", s, fixed = TRUE)
  s <- gsub("<", "$<$", s, fixed = TRUE)
  s <- gsub(">", "$>$", s, fixed = TRUE)
  s <- gsub("\u00b2", "$^2$", s, fixed = TRUE)
  s <- gsub("\u00d7", "$\\times$", s, fixed = TRUE)
  s <- gsub("\u2212", "$-$", s, fixed = TRUE)
  gsub("\u2013", "--", s, fixed = TRUE)
}

tex_cell <- function(cell, star) {
  core <- substr(cell, 1L, nchar(cell) - nchar(star))
  core <- tex_escape(core)
  core <- gsub("(^|[\\[(, ])-(?=[0-9.])", "\\1$-$", core, perl = TRUE)
  paste0(core, ifelse(nzchar(star), paste0("$^{", tex_escape(star), "}$"), ""))
}

table_latex <- function(x, standalone = FALSE) {
  x <- upgrade_table(x)
  b <- x$body
  nm <- ncol(b)
  out <- c("\\begin{table}[htbp]", "\\centering", "\\begin{threeparttable}")
  if (!is.null(x$title)) {
    # "Table 3. Title" / "\u8868 3 Title": LaTeX numbers the caption itself.
    num <- regmatches(x$title, regexec("^(Table|\u8868)\\s*([0-9]+)[.:\u3000 ]+\\s*(.*)$", x$title))[[1L]]
    if (length(num)) {
      out <- c(out, sprintf("\\setcounter{table}{%d}", as.integer(num[3L]) - 1L),
               paste0("\\caption{", tex_escape(num[4L]), "}"))
    } else out <- c(out, paste0("\\caption{", tex_escape(x$title), "}"))
  }
  out <- c(out, paste0("\\begin{tabular}{l", strrep("c", nm), "}"), "\\toprule")
  for (lev in x$header) {
    start <- cumsum(c(1L, lev$spans))[seq_along(lev$spans)]
    cells <- vapply(seq_along(lev$spans), function(g) {
      lab <- tex_escape(lev$labels[g])
      if (lev$spans[g] > 1L) paste0("\\multicolumn{", lev$spans[g], "}{c}{", lab, "}") else lab
    }, "")
    corner <- if (isTRUE(lev$names)) tex_escape(x$corner %||% "") else ""
    out <- c(out, paste0(corner, " & ", paste(cells, collapse = " & "), " \\\\"))
    if (any(lev$rule)) {
      rules <- vapply(which(lev$rule & nzchar(lev$labels)), function(g) {
        sprintf("\\cmidrule(lr){%d-%d}", start[g] + 1L, start[g] + lev$spans[g])
      }, "")
      if (length(rules)) out <- c(out, paste(rules, collapse = " "))
    }
  }
  out <- c(out, "\\midrule")
  blocks <- table_blocks(x)
  for (i in seq_len(nrow(b))) {
    if (i > 1L && blocks[i] != blocks[i - 1L]) out <- c(out, "\\midrule")
    lab <- tex_escape(rownames(b)[i])
    if (x$indent[i]) lab <- paste0("\\quad ", lab)
    cells <- tex_cell(b[i, ], x$stars[i, ])
    if (x$row_kind[i] %in% c("paper", "paper_below", "stat_paper")) {
      cells <- ifelse(nzchar(cells), paste0("\\textit{", cells, "}"), "")
    }
    out <- c(out, paste0(lab, " & ", paste(cells, collapse = " & "), " \\\\"))
  }
  out <- c(out, "\\bottomrule", "\\end{tabular}")
  if (length(x$notes)) {
    out <- c(out, "\\begin{tablenotes}[flushleft]", "\\footnotesize",
             paste0("\\item ", tex_escape(note_lines(x))), "\\end{tablenotes}")
  }
  out <- c(out, "\\end{threeparttable}", "\\end{table}")
  if (!standalone) return(out)
  cjk <- any(grepl("[\u3000-\u9fff\uff00-\uffef]", out, perl = TRUE))
  c("\\documentclass{article}", "\\usepackage{booktabs}", "\\usepackage{threeparttable}",
    if (cjk) c("\\usepackage{xeCJK}",
               paste0("\\setCJKmainfont{", getOption("exportres.cjk_font", "Noto Serif CJK SC"), "}"),
               "\\renewcommand{\\tablename}{\u8868}") else "\\usepackage[T1]{fontenc}",
    "\\begin{document}", out, "\\end{document}")
}

#' Knit an exportres table as a real table in R Markdown
#'
#' HTML output gets the HTML table (with its own journal style), LaTeX/PDF
#' output the booktabs table (the packages `booktabs` and `threeparttable`
#' are declared to R Markdown), and any other output (Word, GitHub Markdown)
#' a Markdown pipe table.
#' @param x an `exr_table`.
#' @param ... unused.
#' @return a `knit_asis` object.
#' @keywords internal
#' @exportS3Method knitr::knit_print
knit_print.exr_table <- function(x, ...) {
  if (knitr::is_html_output()) {
    return(knitr::asis_output(paste(c("", "```{=html}", format(x, "html"), "```", ""),
                                    collapse = "\n")))
  }
  if (knitr::is_latex_output()) {
    meta <- if (requireNamespace("rmarkdown", quietly = TRUE)) {
      list(rmarkdown::latex_dependency("booktabs"), rmarkdown::latex_dependency("threeparttable"))
    }
    return(knitr::asis_output(paste(c("", "```{=latex}", format(x, "latex"), "```", ""),
                                    collapse = "\n"), meta = meta))
  }
  knitr::asis_output(paste(c("", format(x, "markdown"), ""), collapse = "\n"))
}

#' Save a regression table
#'
#' @param x an `exr_table` from [reg_table()].
#' @param file path; the format follows the extension: `.txt` (the console
#'   table), `.md` (Markdown), `.html` (a standalone HTML page), `.tex` (a
#'   LaTeX table to `\input{}`; needs booktabs and threeparttable) or `.csv`
#'   (the cells).
#' @param standalone for `.tex`: a complete document instead (for `.html` it is
#'   always complete).
#' @return `file`, invisibly.
#' @examples
#' set.seed(5)
#' df <- data.frame(g = rep(1:10, each = 4), x = rnorm(40))
#' df$y <- df$x + rnorm(40)
#' tab <- reg_table(fe_reg(y ~ x | g, df))
#' save_table(tab, file.path(tempdir(), "table.md"))
#' save_table(tab, file.path(tempdir(), "table.html"))
#' @export
save_table <- function(x, file, standalone = FALSE) {
  if (!inherits(x, "exr_table")) exr_error("x", "expected a table from reg_table().")
  if (!is.character(file) || length(file) != 1L || is.na(file)) exr_error("file", "expected one file path.")
  if (!dir.exists(dirname(file))) exr_error("file", "the folder '", dirname(file), "' does not exist.")
  ext <- tolower(sub(".*\\.", "", basename(file)))
  lines <- switch(ext,
    csv = {
      utils::write.csv(as.data.frame(x), file, row.names = FALSE, fileEncoding = "UTF-8")
      return(invisible(file))
    },
    md = format(x, "markdown"),
    html = format(x, "html", standalone = TRUE),
    tex = format(x, "latex", standalone = standalone),
    txt = format(x, "text"),
    exr_error("file", "unknown extension '.", ext, "'; use .csv, .md, .html, .tex or .txt."))
  con <- file(file, open = "wb")
  on.exit(close(con))
  writeLines(enc2utf8(lines), con, useBytes = TRUE)
  invisible(file)
}
