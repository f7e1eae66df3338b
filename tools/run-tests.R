# Runs the package's testthat tests against the installed package and ends with
# the line "N passed, N failed" (failures include errors). Exit status 1 on any
# failure, so make and CI stop.
if (!nzchar(Sys.getenv("NOT_CRAN"))) Sys.setenv(NOT_CRAN = "true")
library(testthat)
library(exportres)
# EXPORTRES_TEST_FILTER: a regular expression on the test file names (as
# testthat's `filter`), for the runs under a sanitizer or valgrind.
filter <- Sys.getenv("EXPORTRES_TEST_FILTER")
res <- testthat::test_dir("tests/testthat", package = "exportres",
                          filter = if (nzchar(filter)) filter,
                          load_package = "installed", stop_on_failure = FALSE,
                          reporter = testthat::ProgressReporter$new(show_praise = FALSE))
df <- as.data.frame(res)
n_failed <- sum(df$failed) + sum(df$error)
n_skipped <- sum(df$skipped)
n_passed <- sum(df$nb) - sum(df$failed) - sum(df$skipped) - sum(df$warning)
cat(sprintf("\n%d passed, %d failed, %d skipped\n", n_passed, n_failed, n_skipped))
if (n_failed > 0) quit(status = 1)
