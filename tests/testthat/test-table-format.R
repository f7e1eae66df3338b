# A fixed table in English and Chinese, rendered in every format.
format_tables <- function() {
  set.seed(11)
  df <- data.frame(city = rep(1:40, each = 6), year = rep(2011:2016, 40), dig = runif(240),
                   ed = rnorm(240), fdi = rnorm(240))
  df$res <- 0.8 * df$dig + 0.2 * df$ed + rnorm(40)[df$city] + rnorm(240, sd = 0.3)
  df$res[1] <- NA
  m <- list(fe_reg(res ~ dig | year, df, cluster = ~city),
            fe_reg(res ~ dig + ed + fdi | year, df, cluster = ~city),
            fe_reg(res ~ dig + ed + fdi | city + year, df, cluster = ~city))
  cmp <- data.frame(column = c(3, 3, 3), term = c("dig", "dig", ""),
                    statistic = c("estimate", "std.error", "nobs"), value = c(0.851, 0.212, 3174),
                    stars = c("***", "", ""))
  args <- list(m, controls = c("ed", "fdi"), groups = c("Pooled", "Pooled", "Panel"),
               stats = c("nobs", "r.squared", "within.r.squared"), compare = cmp,
               truth = data.frame(column = 3, term = "dig", value = 0.8))
  list(en = do.call(reg_table, c(args, title = "Table 1. Digital economy & resilience_1")),
       zh = do.call(reg_table, c(args, title = "\u8868 1\u3000\u57fa\u51c6\u56de\u5f52", lang = "zh")))
}

snapshot_formats <- function(tab) {
  expect_snapshot(cat(format(tab, "text"), sep = "\n"))
  expect_snapshot(cat(format(tab, "markdown"), sep = "\n"))
  expect_snapshot(cat(format(tab, "html"), sep = "\n"))
  expect_snapshot(cat(format(tab, "latex"), sep = "\n"))
}

test_that("text, Markdown, HTML and LaTeX snapshots in English", {
  snapshot_formats(format_tables()$en)
})

test_that("text, Markdown, HTML and LaTeX snapshots in Chinese", {
  skip_if_not(l10n_info()[["UTF-8"]], "needs a UTF-8 locale")
  snapshot_formats(format_tables()$zh)
})

test_that("the console table is aligned by display width, Chinese labels included", {
  skip_if_not(l10n_info()[["UTF-8"]], "needs a UTF-8 locale")
  for (tab in format_tables()) {
    lines <- format(tab, "text")
    w <- nchar(lines, type = "width")
    rules <- grepl("^[=-]+$", lines)
    expect_true(length(unique(w[rules])) == 1L)
    body <- lines[!rules & !grepl("^(Note|Paper|Truth|Table|\u6ce8|\u539f\u6587|\u771f\u503c|\u8868)", lines)]
    expect_true(all(nchar(body, type = "width") <= w[rules][1]))
    # the decimal points of each column fall at the same display position
    num <- body[grepl("[0-9]\\.[0-9]", body)]
    pos <- t(vapply(num, function(l) {
      ch <- strsplit(l, "")[[1]]
      dots <- which(ch == "." & c(FALSE, grepl("[0-9]", ch[-length(ch)])))
      cw <- cumsum(nchar(ch, type = "width"))
      c(cw[dots], rep(NA, 3))[1:3]
    }, numeric(3)))
    full <- pos[stats::complete.cases(pos), , drop = FALSE]
    expect_gt(nrow(full), 3L)
    expect_true(all(apply(full, 2, function(p) length(unique(p)) == 1L)))
  }
})

test_that("HTML is well formed, standalone with a charset, spans add up", {
  tab <- format_tables()$zh
  h <- format(tab, "html")
  expect_identical(sum(lengths(regmatches(h, gregexpr("<tr", h)))),
                   sum(lengths(regmatches(h, gregexpr("</tr>", h)))))
  head_rows <- grep("^<tr><th", h, value = TRUE)
  for (r in head_rows) {
    th <- regmatches(r, gregexpr("<th[^>]*>", r))[[1]]
    sp <- ifelse(grepl("colspan", th), sub(".*colspan=\"([0-9]+)\".*", "\\1", th), "1")
    sp <- as.integer(sp)
    expect_identical(sum(sp), ncol(tab$body) + 1L)
  }
  expect_match(paste(h, collapse = ""), "0.8000</td>", fixed = TRUE)
  s <- format(tab, "html", standalone = TRUE)
  expect_identical(s[1], "<!DOCTYPE html>")
  expect_true(any(grepl("<meta charset=\"utf-8\">", s, fixed = TRUE)))
  expect_true(any(grepl("lang=\"zh-CN\"", s, fixed = TRUE)))
  expect_false(any(grepl("&(?![a-z]+;)", h, perl = TRUE)))
})

test_that("LaTeX escapes specials and uses booktabs and threeparttable", {
  tab <- format_tables()$en
  l <- format(tab, "latex")
  expect_true(all(c("\\toprule", "\\midrule", "\\bottomrule", "\\begin{threeparttable}",
                    "\\begin{tablenotes}[flushleft]") %in% l))
  expect_true(any(grepl("\\cmidrule(lr){2-3}", l, fixed = TRUE)))
  expect_true(any(grepl("Digital economy \\& resilience\\_1", l, fixed = TRUE)))
  expect_true(any(grepl("R$^2$", l, fixed = TRUE)))
  expect_identical(exportres:::tex_escape("a\\b{c}_%$#~^"),
                   "a\\textbackslash{}b\\{c\\}\\_\\%\\$\\#\\textasciitilde{}\\textasciicircum{}")
  s <- format(tab, "latex", standalone = TRUE)
  expect_identical(s[1], "\\documentclass{article}")
  expect_false(any(grepl("xeCJK", s)))
  expect_true(any(grepl("xeCJK", format(format_tables()$zh, "latex", standalone = TRUE))))
})

`%||%` <- function(a, b) if (is.null(a)) b else a

test_that("the English LaTeX table compiles with pdflatex", {
  skip_if(!nzchar(Sys.which("pdflatex")), "no pdflatex")
  skip_if(!nzchar(Sys.which("kpsewhich")) ||
            !nzchar(suppressWarnings(system2("kpsewhich", "threeparttable.sty", stdout = TRUE))[1] %||% ""),
          "no threeparttable")
  old <- getwd()
  on.exit(setwd(old))
  dir <- tempfile("tex")
  dir.create(dir)
  setwd(dir)
  writeLines(format(format_tables()$en, "latex", standalone = TRUE), "t.tex")
  res <- suppressWarnings(system2("pdflatex", c("-interaction=nonstopmode", "-halt-on-error", "t.tex"),
                                  stdout = TRUE, stderr = TRUE))
  expect_null(attr(res, "status"))
  expect_true(file.exists("t.pdf"))
})

test_that("the Chinese LaTeX table compiles with xelatex and xeCJK", {
  skip_if(!nzchar(Sys.which("xelatex")), "no xelatex")
  skip_if(!nzchar(suppressWarnings(system2("kpsewhich", "xeCJK.sty", stdout = TRUE))[1] %||% ""), "no xeCJK")
  fonts <- suppressWarnings(tryCatch(system2("fc-list", c(":lang=zh", "family"), stdout = TRUE),
                                     error = function(e) character(0)))
  fonts <- unique(trimws(sub(",.*", "", fonts)))
  fonts <- fonts[nzchar(fonts) & !grepl("Mono", fonts)]
  skip_if(!length(fonts), "no Chinese font")
  font <- if ("Noto Serif CJK SC" %in% fonts) "Noto Serif CJK SC" else fonts[1]
  old_opt <- options(exportres.cjk_font = font)
  old <- getwd()
  on.exit({ setwd(old); options(old_opt) })
  dir <- tempfile("tex")
  dir.create(dir)
  setwd(dir)
  writeLines(enc2utf8(format(format_tables()$zh, "latex", standalone = TRUE)), "t.tex", useBytes = TRUE)
  # (under `make sanitize` the AddressSanitizer runtime, preloaded for R, must
  # not be preloaded into xelatex, which it aborts)
  res <- suppressWarnings(system2("xelatex", c("-interaction=nonstopmode", "-halt-on-error", "t.tex"),
                                  stdout = TRUE, stderr = TRUE,
                                  env = if (grepl("asan", Sys.getenv("LD_PRELOAD"))) "LD_PRELOAD="))
  expect_null(attr(res, "status"))
  expect_true(file.exists("t.pdf"))
})

test_that("knit_print gives HTML in HTML documents and Markdown elsewhere", {
  skip_if_not_installed("knitr")
  tab <- format_tables()$en
  md <- knitr::knit_print(tab)
  expect_s3_class(md, "knit_asis")
  expect_match(md, "| dig |", fixed = TRUE)
  skip_if_not_installed("rmarkdown")
  skip_if_not(rmarkdown::pandoc_available(), "no pandoc")
  rmd <- tempfile(fileext = ".Rmd")
  writeLines(c("---", "output: html_document", "---", "```{r, echo = FALSE}",
               "tab", "```"), rmd)
  env <- new.env()
  env$tab <- tab
  out <- rmarkdown::render(rmd, quiet = TRUE, envir = env, output_dir = tempdir())
  html <- paste(readLines(out, encoding = "UTF-8"), collapse = "\n")
  expect_match(html, "<table class=\"exr-table\">", fixed = TRUE)
  expect_match(html, "Pooled", fixed = TRUE)
  unlink(out)
})

test_that("save_table writes each format from format()", {
  tab <- format_tables()$zh
  for (ext in c("txt", "md", "html", "tex")) {
    f <- tempfile(fileext = paste0(".", ext))
    save_table(tab, f)
    got <- readLines(f, encoding = "UTF-8")
    want <- switch(ext, txt = format(tab), md = format(tab, "markdown"),
                   html = format(tab, "html", standalone = TRUE), tex = format(tab, "latex"))
    expect_identical(enc2utf8(got), enc2utf8(want))
  }
  f <- tempfile(fileext = ".csv")
  save_table(tab, f)
  back <- utils::read.csv(f, encoding = "UTF-8", check.names = FALSE, colClasses = "character")
  expect_identical(dim(back), dim(as.data.frame(tab)))
  expect_error(save_table(tab, tempfile(fileext = ".xyz")), class = "exportres_error")
  expect_error(save_table(1, "a.md"), class = "exportres_error")
  expect_error(format(tab, "pdf"), class = "exportres_error")
  expect_error(format(tab, "html", standalone = NA), class = "exportres_error")
})
