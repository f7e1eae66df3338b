# Every registered .Call routine, called directly with arguments of the wrong
# type, length, dimension and value, and with NULL (issue 15). The routine list
# is read from the DLL at run time and the valid arguments each mutation starts
# from are recorded from the valid rows of the hostile-input table
# (helper-calls.R), so a new routine is fuzzed without editing this file.
# A call must return an R error or a value, within a time limit. The fuzz runs
# in a separate R process so that a crash fails this test, naming the call.
# Under `make sanitize` the subprocess inherits the sanitizer runtime (and a
# sanitizer report kills it, failing this test); `make valgrind` skips it
# (about 5000 calls under valgrind would take many minutes; AddressSanitizer
# checks the same calls).

test_that("every registered .Call routine: wrong arguments give R errors or values, never a crash", {
  skip_under_valgrind()
  res <- fuzz_in_subprocess()
  expect(identical(res$status, 0L) && !is.null(res$result),
         paste0("the fuzz process died (status ", res$status, ") at the call: ", res$last,
                "\n", paste(res$stderr, collapse = "\n")))
  r <- res$result
  skip_if(is.null(r))
  expect_identical(r$problems, character(0))
  # every routine was fuzzed, with more calls than it has arguments
  expect_setequal(names(r$routines), names(exr_routines()))
  n_args <- exr_routines()[names(r$routines)]
  calls <- vapply(r$routines, `[[`, 0, "calls")
  expect_true(all(calls > n_args))
  if (nzchar(Sys.getenv("EXPORTRES_FUZZ_REPORT"))) {
    errors <- sum(vapply(r$routines, `[[`, 0, "errors"))
    message(sprintf("fuzz: %d routines, %d calls, %d R errors, %d values, 0 crashes",
                    length(calls), sum(calls), errors, sum(calls) - errors))
  }
})
