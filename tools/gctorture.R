# make gctorture (issue 15): every registered .Call routine, on the tiny valid
# arguments recorded from the valid rows of the hostile-input table
# (tests/testthat/helper-calls.R), called once normally and once under
# gctorture(TRUE), which collects garbage at every allocation: an object the C
# code forgot to PROTECT is then freed and reused at once, so the two results
# differ or R crashes. Routines that no row reaches fail too. Ends with
# "gctorture: R routines, C calls, F failures"; exit status 1 on a failure.
suppressMessages(library(exportres))
for (f in file.path("tests", "testthat", c("helper-hostile.R", "helper-calls.R"))) {
  sys.source(f, envir = globalenv())
}
store <- record_routine_calls()
routines <- exr_routines()
syms <- getDLLRegisteredRoutines("exportres")$.Call
call_once <- function(sym, args, torture) {
  set.seed(20240915)  # routines that draw from R's RNG draw the same numbers
  gctorture(torture)
  on.exit(gctorture(FALSE))
  tryCatch(suppressWarnings(do.call(.Call, c(list(sym), args))),
           error = function(e) paste("error:", conditionMessage(e)))
}
fails <- setdiff(names(routines), ls(store))
if (length(fails)) cat("not reached by any valid row:", fails, "\n")
n_calls <- 0L
t0 <- proc.time()[["elapsed"]]
for (name in names(routines)) {
  for (args in store[[name]]) {
    ref <- call_once(syms[[name]], args, FALSE)
    got <- call_once(syms[[name]], args, TRUE)
    n_calls <- n_calls + 1L
    ok <- identical(ref, got)
    if (!ok) fails <- c(fails, name)
    cat(sprintf("%-20s %s\n", name, if (ok) "ok" else "DIFFERS under gctorture"))
  }
}
cat(sprintf("gctorture: %d routines, %d calls, %d failures, %.0f s\n", length(routines), n_calls,
            length(fails), proc.time()[["elapsed"]] - t0))
if (length(fails)) quit(status = 1)
