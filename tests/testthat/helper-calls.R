# The package's .Call routines with arguments recorded from real calls (issue
# 15): the fuzz test mutates them, the gctorture test replays them.
#
# recording_namespace() copies every function of the namespace into an
# environment whose parent is the namespace, with each `.Call` replaced by a
# recorder that makes the call and, when it returns, keeps its arguments. The
# valid rows of the hostile-input table (helper-hostile.R), run against these
# copies, then give tiny, valid argument lists for every routine they reach; a
# routine no row reaches fails the test until a row is added.

# The registered routines, read from the loaded DLL (so new ones are covered).
exr_routines <- function() {
  r <- getDLLRegisteredRoutines("exportres")$.Call
  n <- vapply(r, function(x) as.integer(x$numParameters), integer(1))
  stats::setNames(n, vapply(r, function(x) x$name, ""))
}

record_rewrite <- function(e) {
  if (is.symbol(e)) {
    return(if (identical(e, as.name(".Call"))) as.name(".exr_record_call") else e)
  }
  if (is.call(e)) {
    for (i in seq_along(e)) {
      # (an empty argument, as in x[, 1], cannot be held in a variable; a NULL
      # one must not be assigned, which would delete it)
      if (!identical(e[[i]], quote(expr = )) && !is.null(e[[i]])) e[[i]] <- record_rewrite(e[[i]])
    }
  }
  e
}

# `store`: an environment; store[[routine]] becomes a list of argument lists
# (at most `keep` per routine, of distinct shapes, smallest first).
recording_namespace <- function(store, keep = 2L) {
  ns <- asNamespace("exportres")
  rec <- new.env(parent = ns)
  rec$.exr_record_call <- function(.NAME, ...) {
    out <- .Call(.NAME, ...)
    args <- list(...)
    name <- .NAME$name
    have <- store[[name]]
    shape <- function(a) paste(vapply(a, function(v) paste(typeof(v), length(v) > 0L,
                                                             paste(dim(v), collapse = "x")), ""),
                               collapse = "|")
    if (length(have) < keep && !shape(args) %in% vapply(have, shape, "")) {
      store[[name]] <- c(have, list(args))
    }
    out
  }
  for (f in ls(ns, all.names = TRUE)) {
    fn <- get(f, envir = ns)
    if (is.function(fn) && !is.primitive(fn)) {
      body(fn) <- record_rewrite(body(fn))
      environment(fn) <- rec
      assign(f, fn, envir = rec)
    }
  }
  rec
}

# Calls of routines that no exported function reaches (internal helpers the
# tests use).
record_internal_calls <- list(
  quote(exr_lp_solve(matrix(c(1, 2, 3, 1), 2), c(4, 5), c(-1, -1), c("<=", "<="))),
  quote({
    fit <- sfa(log(q) ~ log(k) + log(l), HD, panel = c("id", "year"), model = "bc92")
    sfa_eval_at(fit, coef(fit))
  })
)

# Run the valid rows of the hostile-input table against the recording copies;
# returns the store.
record_routine_calls <- function(keep = 2L) {
  store <- new.env()
  rec <- recording_namespace(store, keep)
  env <- hostile_env(parent = rec)
  grDevices::pdf(NULL)
  dev <- grDevices::dev.cur()
  on.exit(grDevices::dev.off(dev))
  exprs <- c(lapply(Filter(function(r) r$expect != "error", hostile_cases()), `[[`, "expr"),
             record_internal_calls)
  for (e in exprs) try(suppressWarnings(suppressMessages(eval(e, env))), silent = TRUE)
  store
}

# -- the fuzz (test-fuzz-call.R) --------------------------------------------------

# Mutations of one argument value v: name = list(value, strict). A strict
# mutation (a character vector or a list where numbers are expected) must be
# an error; the others may also be accepted (an optional argument may be NULL,
# a number may be coerced, an NA may be a valid "none").
fuzz_mutations <- function(v) {
  m <- list()
  add <- function(name, value, strict = FALSE) m[[name]] <<- list(value = value, strict = strict)
  numeric_like <- is.numeric(v) || is.logical(v)
  if (!is.null(v)) add("NULL", NULL)
  if (numeric_like) {
    add("character", rep("a", max(1L, length(v))), strict = TRUE)
    add("list", as.list(v), strict = length(v) > 0L)
    add("complex", as.complex(v), strict = length(v) > 0L)
  }
  if (is.double(v)) {
    add("integer", structure(as.integer(pmax(pmin(round(v), 1e9), -1e9)), dim = dim(v)))
    for (bad in list(NA_real_, NaN, Inf, -Inf, -1, 0, 1e308)) {
      if (length(v)) {
        w <- v
        w[1L] <- bad
        add(paste("first value", format(bad)), w)
      }
    }
  }
  if (is.integer(v)) {
    add("double", structure(as.double(v), dim = dim(v)))
    for (bad in list(NA_integer_, -1L, 0L, "max + 1", 2147483647L)) {
      if (length(v)) {
        w <- v
        w[1L] <- if (identical(bad, "max + 1")) max(v, 0L, na.rm = TRUE) + 1L else bad
        add(paste("first value", format(bad)), w)
      }
    }
  }
  if (is.logical(v) && length(v)) {
    w <- v
    w[1L] <- NA
    add("first value NA", w)
  }
  if (is.atomic(v) && !is.null(v)) {
    add("length 0", v[0L])
    if (length(v) >= 2L) add("one element fewer", v[-length(v)])
    if (length(v) >= 1L) add("one element more", c(v, v[1L]))
  }
  if (is.matrix(v)) {
    if (nrow(v) != ncol(v)) add("transposed", t(v))
    add("dim dropped", as.vector(v))
    if (nrow(v) >= 2L) add("one row fewer", v[-1L, , drop = FALSE])
    if (ncol(v) >= 2L) add("one column fewer", v[, -1L, drop = FALSE])
    if (ncol(v) >= 1L) add("one column more", cbind(v, v[, 1L]))
  }
  if (is.list(v)) {
    add("empty list", list())
    add("atomic instead", 1, strict = length(v) > 0L)
    if (length(v)) {
      w <- v
      w[1L] <- list(NULL)
      add("first element NULL", w)
      w <- v
      w[[1L]] <- "a"
      add("first element character", w)
      if (length(v[[1L]]) >= 2L && is.atomic(v[[1L]])) {
        w <- v
        w[[1L]] <- v[[1L]][-1L]
        add("first element shorter", w)
      }
      if (is.integer(v[[1L]]) && length(v[[1L]])) {
        w <- v
        w[[1L]][1L] <- max(v[[1L]], 0L, na.rm = TRUE) + 1L
        add("first element out of range", w)
        w[[1L]][1L] <- NA_integer_
        add("first element NA", w)
      }
      if (length(v) >= 2L) add("one element fewer", v[-length(v)])
      add("one element more", c(v, v[1L]))
    }
  }
  m
}

# One call: "error", "value", or "timeout".
fuzz_call <- function(sym, args, limit = 10) {
  on.exit(setTimeLimit(elapsed = Inf))
  setTimeLimit(elapsed = limit, transient = TRUE)
  out <- tryCatch({
    suppressWarnings(do.call(.Call, c(list(sym), args)))
    "value"
  }, error = function(e) {
    if (grepl("time limit", conditionMessage(e), fixed = TRUE)) "timeout" else "error"
  })
  setTimeLimit(elapsed = Inf)
  out
}


# The fuzz of every registered routine. `log`: a file that receives one line
# per call before it is made (so the call that crashed a subprocess is known).
# Returns list(routines = named list of c(calls, errors), problems = character
# (timeouts, values where an error was promised, recorded calls that fail,
# routines that no valid row reaches)).
fuzz_all <- function(log = "") {
  store <- record_routine_calls()
  routines <- exr_routines()
  symbols <- getDLLRegisteredRoutines("exportres")$.Call
  problems <- character(0)
  unreached <- setdiff(names(routines), ls(store))
  if (length(unreached)) {
    problems <- c(problems, paste("no valid row of the hostile table reaches", unreached))
  }
  counts <- list()
  for (name in names(routines)) {
    sym <- symbols[[name]]
    n_args <- routines[[name]]
    calls <- errors <- 0L
    one <- function(args, what, strict = FALSE) {
      if (nzchar(log)) cat(name, what, "\n", file = log, append = TRUE)
      got <- fuzz_call(sym, args)
      calls <<- calls + 1L
      errors <<- errors + (got == "error")
      if (got == "timeout") problems <<- c(problems, paste0(name, ", ", what, ": no result in time"))
      if (strict && got == "value") {
        problems <<- c(problems, paste0(name, ", ", what, ": expected an R error, got a value"))
      }
    }
    # the recorded arguments are valid: replayed, each call returns a value
    for (args in store[[name]]) {
      if (fuzz_call(sym, args) != "value") problems <- c(problems, paste0(name, ": a recorded call fails"))
    }
    # the wrong number of arguments, and every argument NULL or character
    one(rep(list(NULL), n_args - 1L), "one argument fewer", strict = TRUE)
    one(rep(list(NULL), n_args + 1L), "one argument more", strict = TRUE)
    one(rep(list(NULL), n_args), "all NULL")
    one(rep(list("a"), n_args), "all character", strict = n_args > 0L)
    for (base in store[[name]]) {
      for (i in seq_len(n_args)) {
        muts <- fuzz_mutations(base[[i]])
        for (mn in names(muts)) {
          args <- base
          args[i] <- list(muts[[mn]]$value)
          one(args, paste0("argument ", i, ": ", mn), muts[[mn]]$strict)
        }
      }
    }
    counts[[name]] <- c(calls = calls, errors = errors)
  }
  list(routines = counts, problems = problems)
}

# fuzz_all() in a fresh R process, so that a crash is a test failure naming the
# call, not the end of the test run. Without a sanitizer the process gets a
# 4 GB address-space limit: a routine asked for 2^31 levels must fail to
# allocate (an R error), not exhaust the machine. Under AddressSanitizer
# (LD_PRELOAD, inherited) its allocator returns NULL above 4 GB instead.
# Returns list(status, result (NULL if the process died), last (the last call
# attempted), stderr).
fuzz_in_subprocess <- function(dir = ".") {
  tmp <- tempfile("fuzz")
  dir.create(tmp)
  on.exit(unlink(tmp, recursive = TRUE))
  files <- file.path(tmp, c("fuzz.R", "log", "out.rds", "stderr"))
  helpers <- normalizePath(file.path(dir, c("helper-hostile.R", "helper-calls.R")))
  writeLines(c("suppressMessages(library(exportres))",
               sprintf("for (f in %s) sys.source(f, envir = globalenv())", paste(deparse(helpers), collapse = "")),
               sprintf("saveRDS(fuzz_all(%s), %s)", deparse(files[2]), deparse(files[3]))),
             files[1])
  rscript <- file.path(R.home("bin"), "Rscript")
  asan <- grepl("asan", Sys.getenv("LD_PRELOAD"), fixed = TRUE)
  cmd <- paste(if (!asan) "ulimit -v 4000000;", "exec", shQuote(rscript), "--vanilla", shQuote(files[1]))
  env <- if (asan) {
    paste0("ASAN_OPTIONS=", Sys.getenv("ASAN_OPTIONS"),
         ":allocator_may_return_null=1:max_allocation_size_mb=4000")
  }
  status <- system2("bash", c("-c", shQuote(cmd)), stdout = files[4], stderr = files[4], env = env)
  rd <- function(f, n) if (file.exists(f)) utils::tail(readLines(f, warn = FALSE), n) else character(0)
  err <- if (file.exists(files[4])) readLines(files[4], warn = FALSE) else character(0)
  at <- grep("ERROR: AddressSanitizer|runtime error:", err)[1L]
  list(status = status, result = if (file.exists(files[3])) readRDS(files[3]),
       last = rd(files[2], 1L),
       stderr = if (is.na(at)) utils::tail(err, 40L) else err[at:min(length(err), at + 30L)])
}
