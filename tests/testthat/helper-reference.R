# Cross-checks against reference packages: skipped when the package is missing,
# except in CI (EXPORTRES_REFERENCE=required), where a missing reference fails.
skip_if_no_reference <- function(pkg) {
  if (requireNamespace(pkg, quietly = TRUE)) return(invisible(TRUE))
  if (identical(Sys.getenv("EXPORTRES_REFERENCE"), "required")) {
    stop("reference package '", pkg, "' is required (EXPORTRES_REFERENCE=required) but not installed")
  }
  testthat::skip(paste("reference package", pkg, "not installed"))
}

# Under valgrind the slow reference cross-checks are skipped: the package's own
# code paths are what valgrind is there to check.
skip_under_valgrind <- function() {
  if (nzchar(Sys.getenv("EXPORTRES_VALGRIND"))) testthat::skip("skipped under valgrind")
}

rel_diff <- function(a, b) max(abs(a - b) / pmax(abs(b), 1e-300))
