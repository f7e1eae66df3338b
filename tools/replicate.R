# The main job: fit what the package can estimate so far on the bundled simulated
# panel, print the paper's tables and write an HTML report to replication/.
suppressPackageStartupMessages(library(exportres))
dir.create("replication", showWarnings = FALSE)
out <- file.path(getwd(), "replication", "exportres-replication.html")
rmarkdown::render(system.file("replication", "replication.Rmd", package = "exportres"),
                  output_file = out, intermediates_dir = tempdir(), quiet = TRUE,
                  envir = new.env())
tables <- replicate_tables()
for (nm in names(tables)) {
  print(tables[[nm]])
  cat("\n")
}
cat("HTML report:", out, "\n")
