# Cross-checks against reference packages: skipped when the package is missing,
# except in CI (EXPORTRES_REFERENCE=required), where a missing reference fails.
# `min_version`: an older release with known bugs counts as missing (MatchIt
# before 4.5.4 mismatches calipers and ratio > 1 with replacement).
#
# Under valgrind (EXPORTRES_VALGRIND) every cross-check is skipped: the
# reference packages' own code is what would take the time, and the package's
# code paths are covered by the other tests.
skip_if_no_reference <- function(pkg, min_version = NULL) {
  skip_under_valgrind()
  ok <- requireNamespace(pkg, quietly = TRUE)
  why <- "not installed"
  if (ok && !is.null(min_version) && utils::packageVersion(pkg) < min_version) {
    ok <- FALSE
    why <- paste0("older than ", min_version, " (", utils::packageVersion(pkg), ")")
  }
  if (ok) return(invisible(TRUE))
  if (identical(Sys.getenv("EXPORTRES_REFERENCE"), "required")) {
    stop("reference package '", pkg, "' is required (EXPORTRES_REFERENCE=required) but ", why)
  }
  testthat::skip(paste("reference package", pkg, why))
}

# Under valgrind the slow reference cross-checks are skipped: the package's own
# code paths are what valgrind is there to check.
skip_under_valgrind <- function() {
  if (nzchar(Sys.getenv("EXPORTRES_VALGRIND"))) testthat::skip("skipped under valgrind")
}

rel_diff <- function(a, b) max(abs(a - b) / pmax(abs(b), 1e-300))
