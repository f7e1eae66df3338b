# Hostile inputs to every exported function (issue 15). The table of inputs and
# promised outcomes is data, in helper-hostile.R; this file only runs it.

hostile_rows <- hostile_cases()
hostile_funs <- unique(vapply(hostile_rows, `[[`, "", "fun"))

test_that("every exported function has rows in the hostile-input table", {
  ns <- asNamespace("exportres")
  exported <- Filter(function(f) is.function(get(f, envir = ns)), getNamespaceExports("exportres"))
  expect_identical(setdiff(sort(exported), hostile_funs), character(0))
  # each has hostile rows besides its valid baseline (glance() is the generic
  # re-exported from generics, whose methods take no argument to get wrong)
  for (f in setdiff(hostile_funs, "glance")) {
    rows <- Filter(function(r) r$fun == f, hostile_rows)
    expect(any(vapply(rows, function(r) r$expect != "ok", logical(1))),
           paste0(f, "() has no hostile row expecting an error or a warning"))
  }
})

test_that("the runner tells classed conditions from unclassed ones, NaN and hangs", {
  env <- new.env()
  run <- function(expr, ...) run_hostile(hostile_row("f", "c", substitute(expr), "ok", ...), env)$outcome
  expect_identical(run(exportres:::exr_error("x", "no")), "error")
  expect_identical(run(stop("no")), "unclassed error")
  expect_identical(run({warning("w"); 1}), "unclassed warning")
  expect_identical(run({exportres:::exr_warning("x", "w"); 1}), "warning")
  expect_identical(run(list(a = 1, b = list(c = NaN))), "NaN in result")
  expect_identical(run(list(a = NA_real_)), "ok")
  expect_identical(run(1, check = function(r, e) r == 2), "check failed")
  expect_identical(run_hostile(hostile_row("f", "c", quote(repeat Sys.sleep(0.01)), "ok"), env,
                               limit = 0.2)$outcome, "timeout")
})

hostile_env_run <- hostile_env()
for (f in hostile_funs) {
  test_that(paste0("hostile input to ", f, "(): classed errors and warnings, no NaN"), {
    for (r in Filter(function(r) r$fun == f, hostile_rows)) {
      got <- run_hostile(r, hostile_env_run)
      expect(identical(got$outcome, r$expect),
             sprintf("%s(), %s: expected %s (%s), got %s: %s", f, r$case, r$expect, r$doc,
                     got$outcome, got$message))
    }
  })
}
