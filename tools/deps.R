# CRAN packages Debian does not ship (or that apt could not install here). Only missing
# packages are installed; nothing already present is upgraded.
needed <- c(
  # building and documenting
  "roxygen2", "knitr", "rmarkdown", "generics", "testthat",
  # reference implementations the tests compare against
  "fixest", "plm", "frontier", "Benchmarking", "sampleSelection", "MatchIt", "AER",
  "sandwich", "lmtest", "economiccomplexity", "REAT", "sfaR"
)
have <- rownames(installed.packages())
todo <- setdiff(needed, have)
if (length(todo)) {
  message("deps: install.packages(", paste(todo, collapse = ", "), ")")
  options(Ncpus = 2L)
  repos <- getOption("repos")
  if (is.null(repos) || identical(unname(repos["CRAN"]), "@CRAN@")) {
    repos <- c(CRAN = "https://cloud.r-project.org")
  }
  # dependencies = NA: Depends/Imports/LinkingTo only; "recommended" packages that are already
  # installed are skipped by install.packages, so Matrix and friends are never replaced.
  install.packages(todo, repos = repos, dependencies = NA, quiet = TRUE)
  still <- setdiff(todo, rownames(installed.packages()))
  if (length(still)) stop("deps: could not install: ", paste(still, collapse = ", "))
}
