# The main job: the paper's tables (as many of Tables 3-9 as the estimators built
# so far allow) on the bundled simulated panel, printed here and written to an
# HTML report by rendering the replication vignette.
suppressPackageStartupMessages(library(exportres))
dir.create("replication", showWarnings = FALSE)
out <- file.path(normalizePath("replication"), "exportres-replication.html")
rmarkdown::render("vignettes/replication.Rmd", output_file = out,
                  intermediates_dir = tempdir(), quiet = TRUE, envir = new.env())
tables <- replicate_tables()
for (nm in names(tables)) {
  cat("\n", attr(tables[[nm]], "title"), "\n", sep = "")
  print(tables[[nm]])
}
cat("\nHTML report:", out, "\n")
